//! One person's own history as they read it (issue 13, the insured person's pages): each month's
//! assessment with what was paid against it, the closed years of the individual account, and the
//! pension payments made to them. Reads only; the caller checks who reads and audits it.

use crate::benefits::period_of;
use crate::{Db, Result, Val, collection, months};
use tongchou_core::{Fen, Period};

/// One month's contribution: the assessment and what has been applied to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnMonth {
    pub period: Period,
    /// The contribution base.
    pub base: Fen,
    /// The pooling part (to the pooled fund) and the individual part (to the account).
    pub pooling: Fen,
    pub account: Fen,
    /// Receipts applied to the month (without late fees).
    pub paid: Fen,
    /// Late fees paid with it.
    pub late_fees: Fen,
    /// `YYYY-MM-DD`, as assessed.
    pub due_date: String,
}

impl OwnMonth {
    /// What the month asked for.
    pub fn assessed(&self) -> Fen {
        Fen::new(self.pooling.fen() + self.account.fen())
    }
    /// What is still owed of it.
    pub fn open(&self) -> Fen {
        Fen::new((self.assessed().fen() - self.paid.fen()).max(0))
    }
}

/// The query of [`contributions`] ($1 the person): the assessments and their implied
/// applications probed month by month over every period assessed (`crate::months`).
fn contributions_sql() -> String {
    let (lo, hi) = months::ASSESSED;
    let applied = collection::applications_by_sides(
        &["period", "amount_fen", "late_fee_fen"],
        "person_id = $1",
        "person_id = $1 AND period IN (SELECT p FROM m)",
    );
    format!(
        "WITH RECURSIVE {} \
         SELECT a.period, a.base_fen, a.pooling_fen, a.account_fen, a.due_date, \
         CAST(COALESCE(x.paid, 0) AS BIGINT), CAST(COALESCE(x.fees, 0) AS BIGINT) \
         FROM m CROSS JOIN assessments a \
         LEFT JOIN (SELECT period, SUM(amount_fen) AS paid, SUM(late_fee_fen) AS fees \
           FROM ({applied}) y GROUP BY period) x ON x.period = a.period \
         WHERE a.period = m.p AND a.person_id = $1 \
         ORDER BY a.period DESC",
        months::months("m", lo, hi)
    )
}

/// The query of [`payments`] ($1 the person, $2 how many lines).
fn payments_sql() -> String {
    format!(
        "WITH RECURSIVE {} \
         SELECT l.month, l.item, l.amount_fen, l.status, l.reason \
         FROM m CROSS JOIN payroll_lines l WHERE l.month = m.p AND l.person_id = $1 \
         ORDER BY l.month DESC, l.item, l.attempt DESC LIMIT $2",
        months::months("m", months::PAID.0, months::PAID.1)
    )
}

/// Every assessed month of `person`, newest first.
pub fn contributions(db: &mut Db, person: i64) -> Result<Vec<OwnMonth>> {
    db.query(&contributions_sql(), &[Val::I64(person)])?
        .iter()
        .map(|r| {
            Ok(OwnMonth {
                period: period_of(r[0].i64()?)?,
                base: Fen::new(r[1].i64()?),
                pooling: Fen::new(r[2].i64()?),
                account: Fen::new(r[3].i64()?),
                due_date: r[4].text()?.to_string(),
                paid: Fen::new(r[5].i64()?),
                late_fees: Fen::new(r[6].i64()?),
            })
        })
        .collect()
}

/// A closed year of the individual account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnYear {
    pub year: i32,
    pub opening: Fen,
    pub contributions: Fen,
    pub interest: Fen,
    pub closing: Fen,
    /// The crediting rate of the year, as stored.
    pub rate: String,
}

/// The closed years of `person`'s account, newest first.
pub fn account_years(db: &mut Db, person: i64) -> Result<Vec<OwnYear>> {
    db.query(
        "SELECT year, opening_fen, contributions_fen, interest_opening_fen + interest_contrib_fen, \
         closing_fen, rate FROM account_years WHERE person_id = $1 ORDER BY year DESC",
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| {
        Ok(OwnYear {
            year: i32::try_from(r[0].i64()?).unwrap_or(0),
            opening: Fen::new(r[1].i64()?),
            contributions: Fen::new(r[2].i64()?),
            interest: Fen::new(r[3].i64()?),
            closing: Fen::new(r[4].i64()?),
            rate: r[5].text()?.to_string(),
        })
    })
    .collect()
}

/// One payment line to the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnPayment {
    pub month: Period,
    /// The payroll item's code (`BP` basic pension, …).
    pub item: String,
    pub amount: Fen,
    /// planned, issued, paid, returned, deferred or carried
    pub status: String,
    /// Why a line was returned or deferred, as recorded.
    pub reason: Option<String>,
}

/// The latest `limit` payment lines of `person`, newest month first, probed month by month over
/// every month paid (`crate::months`).
pub fn payments(db: &mut Db, person: i64, limit: i64) -> Result<Vec<OwnPayment>> {
    db.query(&payments_sql(), &[Val::I64(person), Val::I64(limit)])?
        .iter()
        .map(|r| {
            Ok(OwnPayment {
                month: period_of(r[0].i64()?)?,
                item: r[1].text()?.to_string(),
                amount: Fen::new(r[2].i64()?),
                status: r[3].text()?.to_string(),
                reason: r[4].opt_text()?.map(str::to_string),
            })
        })
        .collect()
}

/// The stored explanation (JSON text) of the pension row of `person` in force from `from`.
pub fn pension_explanation(db: &mut Db, person: i64, from: Period) -> Result<Option<String>> {
    db.query_opt(
        "SELECT explanation FROM pension_explanations WHERE person_id = $1 AND effective_from = $2",
        &[Val::I64(person), Val::I64(from.yyyymm() as i64)],
    )?
    .map(|r| Ok(r[0].text()?.to_string()))
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan of `sql` (`EXPLAIN QUERY PLAN`), one step per line.
    fn plan(db: &mut Db, sql: &str, params: &[Val<'_>]) -> String {
        db.query(&format!("EXPLAIN QUERY PLAN {sql}"), params)
            .expect("plan")
            .iter()
            .map(|r| r[3].text().map(str::to_string).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A person's rows are found by the month-first keys, one probe a month: no step of the plan
    /// reads the assessments or the payment lines without the month and the person
    /// (migration 0069 took away the indexes by person first).
    #[test]
    fn a_persons_months_are_probed_by_the_month_first_keys() {
        let mut db = Db::open("sqlite::memory:").expect("open");
        db.migrate().expect("migrate");
        for (sql, n, key) in [
            (contributions_sql(), 1, "(period=? AND person_id=?)"),
            (payments_sql(), 2, "(month=? AND person_id=?)"),
        ] {
            let plan = plan(&mut db, &sql, &[Val::I64(1), Val::I64(5)][..n]);
            assert!(
                plan.contains(key),
                "no search by {key} in the plan:\n{plan}"
            );
            for step in plan.lines() {
                let w: Vec<&str> = step.split_whitespace().collect();
                assert!(
                    !(w.first() == Some(&"SCAN")
                        && w.get(1).is_some_and(|t| {
                            ["a", "assessments", "l", "payroll_lines"].contains(t)
                        })),
                    "{step}: a scan, in the plan:\n{plan}"
                );
            }
        }
    }
}
