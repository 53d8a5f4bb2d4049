//! Job steps: each step of a monthly job is recorded in the same transaction that does its work,
//! so a step is either done (and never done again) or not started.

use crate::error::{AppError, Result};
use tongchou_core::Period;
use tongchou_store::{Db, Val};

pub fn is_done(db: &mut Db, job: &str, period: Period, step: &str) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM job_steps WHERE job = $1 AND period = $2 AND step = $3",
        &[
            Val::Str(job),
            Val::I64(period.yyyymm() as i64),
            Val::Str(step),
        ],
    )? > 0)
}

/// Record a step as done; fails if it already was (the caller's transaction then rolls back).
pub fn mark_done(
    db: &mut Db,
    job: &str,
    period: Period,
    step: &str,
    details: &serde_json::Value,
) -> Result<()> {
    let now = format!("{:?}", std::time::SystemTime::now());
    let d = details.to_string();
    let n = db.exec(
        "INSERT INTO job_steps (job, period, step, status, finished_at, details) VALUES ($1, $2, $3, 'done', $4, $5) ON CONFLICT DO NOTHING",
        &[Val::Str(job), Val::I64(period.yyyymm() as i64), Val::Str(step), Val::Str(&now), Val::Str(&d)],
    )?;
    if n == 0 {
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
    let r = db.query_opt(
        "SELECT details FROM job_steps WHERE job = $1 AND period = $2 AND step = $3",
        &[
            Val::Str(job),
            Val::I64(period.yyyymm() as i64),
            Val::Str(step),
        ],
    )?;
    match r {
        Some(row) => {
            Ok(Some(serde_json::from_str(row[0].text()?).map_err(|e| {
                AppError::Invalid(format!("job details: {e}"))
            })?))
        }
        None => Ok(None),
    }
}
