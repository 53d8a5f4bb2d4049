//! Job steps: each step of a monthly job is recorded in the same transaction that does its work,
//! so a step is either done (and never done again) or not started. Stored by
//! `tongchou_store::jobs`.

use crate::error::{AppError, Result};
use tongchou_core::{Period, Timestamp};
use tongchou_store::Db;
use tongchou_store::jobs as store;

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
