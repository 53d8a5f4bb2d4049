//! Job steps: each step of a monthly job is recorded in the same transaction that does its work,
//! so a step is either done (and never done again) or not started. Stored by
//! `tongchou_store::jobs`.

use crate::error::{AppError, Result};
use tongchou_core::{Period, Timestamp};
use tongchou_store::Db;
use tongchou_store::jobs as store;
use tongchou_store::run_lock;

pub fn is_done(db: &mut Db, job: &str, period: Period, step: &str) -> Result<bool> {
    Ok(store::is_done(db, job, period, step)?)
}

/// Record a step as done, finished at `finished_at` (the caller's clock); fails if it already was
/// (the caller's transaction then rolls back).
pub fn mark_done(
    db: &mut Db,
    job: &str,
    period: Period,
    step: &str,
    finished_at: Timestamp,
    details: &serde_json::Value,
) -> Result<()> {
    if !store::mark_done(db, job, period, step, finished_at, &details.to_string())? {
        return Err(AppError::State(tongchou_core::tr!(
            "app-job-done",
            job = job,
            period = period,
            step = step
        )));
    }
    Ok(())
}

/// The recorded details of a finished step.
pub fn details(
    db: &mut Db,
    job: &str,
    period: Period,
    step: &str,
) -> Result<Option<serde_json::Value>> {
    store::details(db, job, period, step)?
        .map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-job-details", error = e)))
        })
        .transpose()
}

/// The job name of a whole month's run (collection close and disbursement) in run locks.
pub const MONTH_RUN: &str = "month";

/// How long a runner waits for a month's run lock before it is refused: long enough for a
/// database server to notice that a killed runner's connection is gone.
const RUN_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Take the run lock of `job` for `period` in the name of `who` (a login, or an operator's name),
/// since `now`, with this host and process; keep it for the whole run (dropping it releases it,
/// and so does the end of the process, however it ends). Another runner holding it is a
/// [`AppError::State`] naming them and since when; nothing is written then.
pub fn lock_run(
    db: &mut Db,
    job: &str,
    period: Period,
    who: &str,
    now: Timestamp,
) -> Result<run_lock::RunLock> {
    let me = run_lock::Holder {
        who: who.to_string(),
        host: whoami::hostname().unwrap_or_else(|_| "?".into()),
        pid: std::process::id(),
        started_at: now,
    };
    match run_lock::try_take(db, job, period, &me, RUN_LOCK_WAIT)? {
        run_lock::Attempt::Taken(lock) => Ok(lock),
        run_lock::Attempt::Busy(Some(h)) => Err(AppError::State(tongchou_core::tr!(
            "app-job-busy",
            period = period,
            job = job_name(job),
            who = h.who,
            since = h.started_at,
            host = h.host,
            pid = h.pid
        ))),
        run_lock::Attempt::Busy(None) => Err(AppError::State(tongchou_core::tr!(
            "app-job-busy-other",
            period = period,
            job = job_name(job)
        ))),
    }
}

fn job_name(job: &str) -> &str {
    use tongchou_core::i18n::word;
    match job {
        MONTH_RUN => word("app-job-month-run"),
        crate::collect::JOB => word("app-job-collect"),
        crate::disburse::JOB => word("app-job-disburse"),
        other => other,
    }
}
