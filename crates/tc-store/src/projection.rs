//! What the fund's cohort projection (`tongchou_app::projection`) reads: aggregates only, never a
//! person: the insured in service by birth month and retirement category (and sex), the
//! pensioners in payment by birth year and sex with the sum of their pensions, and the
//! contributors of one month with the sum of their bases and contributions.

use crate::{Backend, Db, Result, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, Period};

/// Insured persons in service (active or suspended): birth month `YYYY-MM`, category (`male`,
/// `female-cadre`, `female-worker`), count.
///
/// On SQLite the persons are read in table order and counted here: its GROUP BY would sort
/// every person in service through a temporary B-tree (most of the statement's time at 10 M);
/// PostgreSQL aggregates them itself.
pub fn insured_by_birth(db: &mut Db) -> Result<Vec<(String, String, i64)>> {
    if db.backend() == Backend::Sqlite {
        // keyed by the birth month's first 7 bytes and the category's index in `categories`:
        // no allocation per person
        let mut categories: Vec<String> = Vec::new();
        let mut by: BTreeMap<([u8; 7], usize), i64> = BTreeMap::new();
        db.each(
            "SELECT birth, category FROM persons WHERE status IN ('active', 'suspended')",
            &[],
            |r| {
                let (birth, category) = (r.text(0)?.as_bytes(), r.text(1)?);
                let mut month = [b' '; 7];
                let n = birth.len().min(7);
                month[..n].copy_from_slice(&birth[..n]);
                let c = match categories.iter().position(|c| c == category) {
                    Some(c) => c,
                    None => {
                        categories.push(category.to_string());
                        categories.len() - 1
                    }
                };
                *by.entry((month, c)).or_default() += 1;
                Ok(())
            },
        )?;
        let mut out: Vec<(String, String, i64)> = by
            .into_iter()
            .map(|((m, c), n)| {
                let month = String::from_utf8_lossy(&m).trim_end().to_string();
                (month, categories[c].clone(), n)
            })
            .collect();
        out.sort();
        return Ok(out);
    }
    db.query(
        "SELECT SUBSTR(birth, 1, 7), category, COUNT(*) FROM persons \
         WHERE status IN ('active', 'suspended') \
         GROUP BY SUBSTR(birth, 1, 7), category ORDER BY 1, 2",
        &[],
    )?
    .into_iter()
    .map(|r| {
        Ok((
            r[0].text()?.to_string(),
            r[1].text()?.to_string(),
            r[2].i64()?,
        ))
    })
    .collect()
}

/// Pensioners in payment in `month` (retired before it, active or not yet deceased or
/// suspended at its end): birth year `YYYY`, sex, count, Σ monthly pension in force.
pub fn pensioners_by_birth(db: &mut Db, month: Period) -> Result<Vec<(String, String, i64, Fen)>> {
    db.query(
        "SELECT SUBSTR(p.birth, 1, 4), p.sex, COUNT(*), CAST(SUM(n.monthly_fen) AS BIGINT) \
         FROM pensioners n JOIN persons p ON p.id = n.person_id \
         WHERE n.retire_period < $1 AND (n.status = 'active' OR n.status_since > $2) \
         GROUP BY SUBSTR(p.birth, 1, 4), p.sex ORDER BY 1, 2",
        &[
            Val::I64(month.yyyymm() as i64),
            Val::Str(&month.last_day().to_string()),
        ],
    )?
    .into_iter()
    .map(|r| {
        Ok((
            r[0].text()?.to_string(),
            r[1].text()?.to_string(),
            r[2].i64()?,
            Fen::new(r[3].i64()?),
        ))
    })
    .collect()
}

/// The last month of `year` with assessed contributions, if any.
pub fn last_assessed_month(db: &mut Db, year: i32) -> Result<Option<Period>> {
    let rows = db.query(
        "SELECT MAX(period) FROM assessment_totals WHERE period >= $1 AND period <= $2",
        &[
            Val::I64(year as i64 * 100 + 1),
            Val::I64(year as i64 * 100 + 12),
        ],
    )?;
    match rows.first().map(|r| r[0].opt_i64()).transpose()?.flatten() {
        Some(v) => Ok(Period::from_yyyymm(v as i32).ok()),
        None => Ok(None),
    }
}

/// The contributions assessed for `month`: (contributors, Σ base, Σ pooling + account), from the
/// stored totals (one assessment per person and period).
pub fn assessed_month(db: &mut Db, month: Period) -> Result<(i64, Fen, Fen)> {
    let rows = db.query(
        "SELECT CAST(COALESCE(SUM(assessments), 0) AS BIGINT), CAST(COALESCE(SUM(base_fen), 0) AS BIGINT), \
         CAST(COALESCE(SUM(pooling_fen + account_fen), 0) AS BIGINT) FROM assessment_totals \
         WHERE period = $1",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| crate::StoreError::Invalid("no aggregate row".into()))?;
    Ok((r[0].i64()?, Fen::new(r[1].i64()?), Fen::new(r[2].i64()?)))
}

/// The latest month with assessed contributions, if any.
pub fn latest_assessed_month(db: &mut Db) -> Result<Option<Period>> {
    let rows = db.query("SELECT MAX(period) FROM assessment_totals", &[])?;
    match rows.first().map(|r| r[0].opt_i64()).transpose()?.flatten() {
        Some(v) => Ok(Period::from_yyyymm(v as i32).ok()),
        None => Ok(None),
    }
}
