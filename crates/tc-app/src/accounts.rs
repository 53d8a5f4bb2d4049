//! Individual accounts (个人账户): the individual part is credited in the month it is paid (the
//! collection batch that applied it); at year end every account is closed with the year's
//! interest at the crediting rate (记账利率), and each person gets a yearly statement (对账单).
//!
//! Opening balance of year Y: the closing of Y−1 in `account_years`, or the registry balance
//! (`persons.balance_fen`, as at the first day of `persons.as_of`) for the first year closed.

use crate::error::{AppError, Result};
use crate::jobs;
use serde::Serialize;
use std::collections::HashMap;
use tongchou_core::rules::account::{InterestTerms, YearEnd};
use tongchou_core::{Explanation, Fen, Period, Policy};
use tongchou_store::{Db, Val};

pub const JOB: &str = "accounts";

/// Close year `year` for every account: writes one `account_years` row per person. Refused when
/// the year was already closed or a month of it has not been collected yet.
pub fn close_year(db: &mut Db, policy: &Policy, year: i32) -> Result<(u64, Fen)> {
    let dec = Period::new(year, 12)?;
    let terms = InterestTerms::at(policy, year)?;
    db.transaction(|db| {
        if jobs::is_done(db, JOB, dec, "close")? {
            return Err(AppError::State(format!(
                "the accounts of {year} are already closed"
            )));
        }
        for m in Period::new(year, 1)?.through(dec) {
            if !jobs::is_done(db, crate::collect::JOB, m, crate::collect::STEP_CLOSE)? {
                return Err(AppError::State(format!(
                    "the collection of {m} has not been closed: close every month of {year} first"
                )));
            }
        }
        // credits of the year by person and month (the month of the collection batch)
        let rows = db.query(
            "SELECT person_id, batch_id, CAST(SUM(account_fen) AS BIGINT) FROM applications
             WHERE batch_id >= $1 AND batch_id <= $2 GROUP BY person_id, batch_id",
            &[
                Val::I64(year as i64 * 100 + 1),
                Val::I64(year as i64 * 100 + 12),
            ],
        )?;
        let mut credits: HashMap<i64, [Fen; 12]> = HashMap::new();
        for r in rows {
            let month = (r[1].i64()? % 100) as usize;
            if !(1..=12).contains(&month) {
                continue;
            }
            credits.entry(r[0].i64()?).or_insert([Fen::ZERO; 12])[month - 1] =
                Fen::new(r[2].i64()?);
        }
        let persons = db.query(
            "SELECT p.id, COALESCE(y.closing_fen, p.balance_fen) FROM persons p
             LEFT JOIN account_years y ON y.person_id = p.id AND y.year = $1
             WHERE p.as_of <= $2",
            &[Val::I64(year as i64 - 1), Val::I64(year as i64 * 100 + 1)],
        )?;
        let rate = terms
            .explanation
            .steps
            .iter()
            .find(|s| s.name == "rate")
            .map(|s| s.value.clone())
            .unwrap_or_default();
        let mut total = 0i64;
        let mut n = 0u64;
        let closes: Vec<(i64, YearEnd)> = persons
            .iter()
            .map(|r| {
                let person = r[0].i64()?;
                let opening = Fen::new(r[1].i64()?);
                let m = credits.get(&person).copied().unwrap_or([Fen::ZERO; 12]);
                Ok((person, terms.close(opening, &m)))
            })
            .collect::<Result<_>>()?;
        db.bulk_insert(
            "account_years",
            &[
                "person_id",
                "year",
                "opening_fen",
                "contributions_fen",
                "interest_opening_fen",
                "interest_contrib_fen",
                "closing_fen",
                "rate",
            ],
            &mut |sink| {
                for (person, y) in &closes {
                    sink.row(&[
                        Val::I64(*person),
                        Val::I64(year as i64),
                        Val::I64(y.opening.fen()),
                        Val::I64(y.contributions.fen()),
                        Val::I64(y.interest_on_opening.fen()),
                        Val::I64(y.interest_on_contributions.fen()),
                        Val::I64(y.closing.fen()),
                        Val::Str(&rate),
                    ])?;
                    total += y.interest_on_opening.fen() + y.interest_on_contributions.fen();
                    n += 1;
                }
                Ok(())
            },
        )?;
        jobs::mark_done(
            db,
            JOB,
            dec,
            "close",
            &serde_json::json!({"accounts": n, "interest_fen": total, "rate": rate}),
        )?;
        Ok((n, Fen::new(total)))
    })
}

/// A person's yearly statement (对账单): opening, the months credited, interest, closing, and
/// the rule with its parameters.
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    pub person: i64,
    pub id_number_masked: String,
    pub name: String,
    pub year: i32,
    pub monthly: Vec<(Period, Fen)>,
    pub year_end: YearEnd,
    pub explain: Explanation,
}

pub fn statement(db: &mut Db, policy: &Policy, person: i64, year: i32) -> Result<Statement> {
    let p = db
        .query_opt(
            "SELECT id_number, name FROM persons WHERE id = $1",
            &[Val::I64(person)],
        )?
        .ok_or_else(|| AppError::NotFound(format!("no person {person}")))?;
    let row = db
        .query_opt(
            "SELECT opening_fen, contributions_fen, interest_opening_fen, interest_contrib_fen, closing_fen FROM account_years WHERE person_id = $1 AND year = $2",
            &[Val::I64(person), Val::I64(year as i64)],
        )?
        .ok_or_else(|| AppError::State(format!("the account of {year} is not closed yet (tongchou account close --year {year})")))?;
    let mut m = [Fen::ZERO; 12];
    let mut monthly = Vec::new();
    for r in db.query(
        "SELECT batch_id, CAST(SUM(account_fen) AS BIGINT) FROM applications WHERE person_id = $1 AND batch_id >= $2 AND batch_id <= $3 GROUP BY batch_id ORDER BY batch_id",
        &[Val::I64(person), Val::I64(year as i64 * 100 + 1), Val::I64(year as i64 * 100 + 12)],
    )? {
        let period = Period::from_yyyymm(r[0].i64()? as i32)?;
        m[period.month() as usize - 1] = Fen::new(r[1].i64()?);
        monthly.push((period, Fen::new(r[1].i64()?)));
    }
    let terms = InterestTerms::at(policy, year)?;
    let (ye, explain) = terms.explain(Fen::new(row[0].i64()?), &m);
    // the stored year must be what the rule gives on the stored inputs
    if ye.closing.fen() != row[4].i64()? {
        return Err(AppError::Invalid(format!(
            "person {person} {year}: stored closing {} differs from the rule's {}",
            Fen::new(row[4].i64()?),
            ye.closing
        )));
    }
    let id = p[0].text()?;
    let masked = if id.len() == 18 {
        format!("{}********{}", &id[..6], &id[14..])
    } else {
        "******".into()
    };
    Ok(Statement {
        person,
        id_number_masked: masked,
        name: p[1].text()?.to_string(),
        year,
        monthly,
        year_end: ye,
        explain,
    })
}
