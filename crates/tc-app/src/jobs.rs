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
        return Err(AppError::State(format!(
            "{job} {period} step {step} is already done"
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
            serde_json::from_str(&d).map_err(|e| AppError::Invalid(format!("job details: {e}")))
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
        run_lock::Attempt::Busy(Some(h)) => Err(AppError::State(format!(
            "{period} 的{}正在运行：{} 自 {} 起（主机 {}，进程 {}）; {job} {period} is being run by {} since {} (host {}, pid {})",
            job_name_zh(job),
            h.who,
            h.started_at,
            h.host,
            h.pid,
            h.who,
            h.started_at,
            h.host,
            h.pid
        ))),
        run_lock::Attempt::Busy(None) => Err(AppError::State(format!(
            "{period} 的{}正在由另一进程运行; {job} {period} is being run by another process",
            job_name_zh(job)
        ))),
    }
}

fn job_name_zh(job: &str) -> &str {
    match job {
        MONTH_RUN => "统收统支",
        crate::collect::JOB => "统收",
        crate::disburse::JOB => "统支",
        other => other,
    }
}
