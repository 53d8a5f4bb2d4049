//! Job steps (`job_steps`, migration 0004): each step of a monthly job (the collection close, the
//! disbursement's steps, the accounts' year end) is recorded done in the same transaction that
//! does its work, with when it finished (a [`Timestamp`] in its one text form) and the details it
//! reports (JSON text). A step is done at most once: the primary key (job, period, step) refuses a
//! second record.

use crate::benefits::{period_of, ym};
use crate::{Db, Result, Val};
use std::collections::BTreeSet;
use tongchou_core::{Period, Timestamp};

/// Whether step `step` of job `job` is recorded done for `period`.
pub fn is_done(db: &mut Db, job: &str, period: Period, step: &str) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM job_steps WHERE job = $1 AND period = $2 AND step = $3",
        &[Val::Str(job), ym(period), Val::Str(step)],
    )? > 0)
}

/// Record a step done, finished at `finished_at`, with its `details` (JSON text). Returns false
/// (writing nothing) when it was already recorded.
pub fn mark_done(
    db: &mut Db,
    job: &str,
    period: Period,
    step: &str,
    finished_at: Timestamp,
    details: &str,
) -> Result<bool> {
    let at = finished_at.to_string();
    let n = db.exec(
        "INSERT INTO job_steps (job, period, step, status, finished_at, details) VALUES ($1, $2, $3, 'done', $4, $5) ON CONFLICT DO NOTHING",
        &[Val::Str(job), ym(period), Val::Str(step), Val::Str(&at), Val::Str(details)],
    )?;
    Ok(n > 0)
}

/// The recorded details (JSON text) of a finished step.
pub fn details(db: &mut Db, job: &str, period: Period, step: &str) -> Result<Option<String>> {
    db.query_opt(
        "SELECT details FROM job_steps WHERE job = $1 AND period = $2 AND step = $3",
        &[Val::Str(job), ym(period), Val::Str(step)],
    )?
    .map(|mut r| r.swap_remove(0).into_text())
    .transpose()
}

/// The months for which step `step` of job `job` is recorded done (for an import of wage
/// declarations: the months whose collection is closed, their assessments final).
pub fn periods_done(db: &mut Db, job: &str, step: &str) -> Result<BTreeSet<Period>> {
    db.query(
        "SELECT period FROM job_steps WHERE job = $1 AND step = $2",
        &[Val::Str(job), Val::Str(step)],
    )?
    .iter()
    .map(|r| period_of(r[0].i64()?))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn check(url: &str) {
        let mut db = Db::open(url).expect("open");
        let p = |s: &str| s.parse::<Period>().expect("period");
        let at: Timestamp = "2026-10-06T01:02:03.004Z".parse().expect("t");
        assert!(
            periods_done(&mut db, "collection", "close")
                .expect("done")
                .is_empty()
        );
        assert!(!is_done(&mut db, "collection", p("2026-09"), "close").expect("q"));
        for (job, period, step) in [
            ("collection", "2026-09", "close"),
            ("collection", "2026-10", "close"),
            ("collection", "2026-11", "other"),
            ("disbursement", "2026-08", "close"),
        ] {
            assert!(mark_done(&mut db, job, p(period), step, at, "{\"n\":1}").expect("mark"));
        }
        // a second record of a step writes nothing
        assert!(!mark_done(&mut db, "collection", p("2026-09"), "close", at, "{}").expect("mark"));
        assert!(is_done(&mut db, "collection", p("2026-09"), "close").expect("q"));
        assert_eq!(
            periods_done(&mut db, "collection", "close")
                .expect("done")
                .into_iter()
                .collect::<Vec<_>>(),
            [p("2026-09"), p("2026-10")]
        );
        assert_eq!(
            details(&mut db, "collection", p("2026-09"), "close").expect("d"),
            Some("{\"n\":1}".to_string())
        );
        assert_eq!(
            details(&mut db, "collection", p("2026-12"), "close").expect("d"),
            None
        );
        // the finish time in the one timestamp format
        let stored = db
            .query_opt(
                "SELECT finished_at FROM job_steps WHERE job = 'collection' AND period = 202609",
                &[],
            )
            .expect("q")
            .expect("row");
        assert_eq!(stored[0].text().expect("text"), "2026-10-06T01:02:03.004Z");
    }

    #[test]
    fn job_steps_on_sqlite() {
        check(&testing::sqlite_url("jobs"));
    }

    #[test]
    fn job_steps_on_postgres() {
        check(&testing::pg_url("jobs"));
    }
}
