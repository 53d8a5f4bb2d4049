//! Individual accounts (个人账户): the individual part is credited in the month it is paid (the
//! collection batch that applied it); at year end every account is closed with the year's
//! interest at the crediting rate (记账利率), and each person gets a yearly statement (对账单).
//!
//! Opening balance of year Y: the closing of Y−1 in `account_years`, or the registry balance
//! (`persons.balance_fen`, as at the first day of `persons.as_of`) for the first year closed.

use crate::error::{AppError, Result};
use crate::{clock, jobs};
use serde::Serialize;
use std::collections::HashMap;
use tongchou_core::rules::account::{InterestTerms, YearEnd};
use tongchou_core::{Explanation, Fen, Period, Policy};
use tongchou_store::Db;
use tongchou_store::accounts as store;
use tongchou_store::audit::{self, Actor, Entry};

pub const JOB: &str = "accounts";

/// Close year `year` for every account: writes one `account_years` row per person. Refused when
/// the year was already closed or a month of it has not been collected yet.
pub fn close_year(db: &mut Db, policy: &Policy, year: i32) -> Result<(u64, Fen)> {
    let dec = Period::new(year, 12)?;
    let terms = InterestTerms::at(policy, year)?;
    db.transaction(|db| {
        if jobs::is_done(db, JOB, dec, "close")? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-acc-closed",
                year = year
            )));
        }
        for m in Period::new(year, 1)?.through(dec) {
            if !jobs::is_done(db, crate::collect::JOB, m, crate::collect::STEP_CLOSE)? {
                return Err(AppError::State(tongchou_core::tr!(
                    "app-acc-month-open",
                    month = m,
                    year = year
                )));
            }
        }
        // credits of the year by person and month (the month of the collection batch)
        let mut credits: HashMap<i64, [Fen; 12]> = HashMap::new();
        for c in store::credits_of_year(db, year)? {
            credits.entry(c.person).or_insert([Fen::ZERO; 12])[c.month.month() as usize - 1] =
                c.amount;
        }
        let rate = terms
            .explanation
            .steps
            .iter()
            .find(|s| s.name == "rate")
            .map(|s| s.value.clone())
            .unwrap_or_default();
        let closes: Vec<(i64, YearEnd)> = store::openings(db, year)?
            .into_iter()
            .map(|(person, opening)| {
                let m = credits.get(&person).copied().unwrap_or([Fen::ZERO; 12]);
                (person, terms.close(opening, &m))
            })
            .collect();
        let n = store::write_years(db, year, &rate, &closes)?;
        let total = Fen::try_sum(
            closes
                .iter()
                .flat_map(|(_, y)| [y.interest_on_opening, y.interest_on_contributions]),
        )?;
        jobs::mark_done(
            db,
            JOB,
            dec,
            "close",
            clock::now(),
            &serde_json::json!({"accounts": n, "interest_fen": total.fen(), "rate": rate}),
        )?;
        Ok((n, total))
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

/// A person's statement of `year`, read by `who`: a read of personal data, audited
/// (`account.statement`, the person and their county) when it is returned.
pub fn statement(
    db: &mut Db,
    who: &Actor,
    now_ms: i64,
    policy: &Policy,
    person: i64,
    year: i32,
) -> Result<Statement> {
    let p = tongchou_store::registry::person_record(db, person)?.ok_or_else(|| {
        AppError::NotFound(tongchou_core::tr!("app-person-none", person = person))
    })?;
    let stored = store::stored_year(db, person, year)?
        .ok_or_else(|| AppError::State(tongchou_core::tr!("app-acc-not-closed", year = year)))?;
    let monthly = store::credits_of_person(db, person, year)?;
    let mut m = [Fen::ZERO; 12];
    for (period, amount) in &monthly {
        m[period.month() as usize - 1] = *amount;
    }
    let terms = InterestTerms::at(policy, year)?;
    let (ye, explain) = terms.explain(stored.opening, &m);
    // the stored year must be what the rule gives on the stored inputs
    if ye.closing != stored.closing {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-acc-differs",
            person = person,
            year = year,
            stored = stored.closing,
            rule = ye.closing
        )));
    }
    let id = &p.id_number;
    let masked = if id.len() == 18 {
        format!("{}********{}", &id[..6], &id[14..])
    } else {
        "******".into()
    };
    audit::append(
        db,
        &Entry {
            actor: who,
            action: "account.statement",
            object_type: "person",
            object_id: &person.to_string(),
            region: Some(p.county.get()),
            result: "ok",
            details: serde_json::json!({ "year": year }),
        },
        now_ms,
    )?;
    Ok(Statement {
        person,
        id_number_masked: masked,
        name: p.name,
        year,
        monthly,
        year_end: ye,
        explain,
    })
}
