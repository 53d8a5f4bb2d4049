//! Individual accounts (个人账户, migration 0004) as `tongchou_app::accounts` reads and writes
//! them: the individual part each collection close credited (`applications.account_fen`, in the
//! month of the close that applied it), the opening balances of a year (the closing of the year
//! before in `account_years`, else the registry balance `persons.balance_fen`), and the closed
//! years (`account_years`, one row per person and year).
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::benefits::period_of;
use crate::{Db, Result, Val};
use tongchou_core::rules::account::YearEnd;
use tongchou_core::{Fen, Period};

/// The first and last close (yyyymm) of `year`.
fn months(year: i32) -> [Val<'static>; 2] {
    [
        Val::I64(year as i64 * 100 + 1),
        Val::I64(year as i64 * 100 + 12),
    ]
}

/// The individual part credited to one account by one close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credit {
    pub person: i64,
    /// The month of the close that applied it.
    pub month: Period,
    pub amount: Fen,
}

/// What the closes of `year` credited, per person and month: the view `applications` read by
/// its two sides, the applications implied by an assessment (migration 0067) by the
/// assessments' period, which is their close's (migration 0068), so that both sides are
/// ranges of an index.
pub fn credits_of_year(db: &mut Db, year: i32) -> Result<Vec<Credit>> {
    let [first, last] = months(year);
    let sides = crate::collection::applications_by_sides(
        &["person_id", "batch_id", "account_fen"],
        "batch_id >= $1 AND batch_id <= $2",
        "period >= $1 AND period <= $2",
    );
    db.query(
        &format!(
            "SELECT person_id, batch_id, CAST(SUM(account_fen) AS BIGINT) FROM ({sides}) x \
             GROUP BY person_id, batch_id"
        ),
        &[first, last],
    )?
    .iter()
    .map(|r| {
        Ok(Credit {
            person: r[0].i64()?,
            month: period_of(r[1].i64()?)?,
            amount: Fen::new(r[2].i64()?),
        })
    })
    .collect()
}

/// What the closes of `year` credited to `person`, by month: the implied applications by their
/// period, which is their close's (migration 0068), probed month by month (`crate::months`).
pub fn credits_of_person(db: &mut Db, person: i64, year: i32) -> Result<Vec<(Period, Fen)>> {
    let [first, last] = months(year);
    let sides = crate::collection::applications_by_sides(
        &["batch_id", "account_fen"],
        "person_id = $1 AND batch_id >= $2 AND batch_id <= $3",
        "person_id = $1 AND period IN (SELECT p FROM m)",
    );
    db.query(
        &format!(
            "WITH RECURSIVE {} SELECT batch_id, CAST(SUM(account_fen) AS BIGINT) FROM ({sides}) y \
             GROUP BY batch_id ORDER BY batch_id",
            crate::months::months("m", "$2", "$3")
        ),
        &[Val::I64(person), first, last],
    )?
    .iter()
    .map(|r| Ok((period_of(r[0].i64()?)?, Fen::new(r[1].i64()?))))
    .collect()
}

/// The opening balance of `year` of every account whose registry balance is as at a day no later
/// than 1 January of `year`: the closing of `year - 1` if that year was closed, else the registry
/// balance. (person, opening). An account transferred out of the province (转出, its balance
/// gone with the person) on or before 31 December of `year` is closed: not listed, so it earns
/// no interest from that year on.
pub fn openings(db: &mut Db, year: i32) -> Result<Vec<(i64, Fen)>> {
    let year_end = format!("{year:04}-12-31");
    db.query(
        "SELECT p.id, COALESCE(y.closing_fen, p.balance_fen) FROM persons p
         LEFT JOIN account_years y ON y.person_id = p.id AND y.year = $1
         WHERE p.as_of <= $2 AND NOT (p.status = 'transferred_out' AND p.status_since <= $3)",
        &[
            Val::I64(year as i64 - 1),
            Val::I64(year as i64 * 100 + 1),
            Val::Str(&year_end),
        ],
    )?
    .iter()
    .map(|r| Ok((r[0].i64()?, Fen::new(r[1].i64()?))))
    .collect()
}

/// Write the closed `year` of every account given, at the crediting `rate` (as the rule shows it).
pub fn write_years(db: &mut Db, year: i32, rate: &str, closes: &[(i64, YearEnd)]) -> Result<u64> {
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
            for (person, y) in closes {
                sink.row(&[
                    Val::I64(*person),
                    Val::I64(year as i64),
                    Val::I64(y.opening.fen()),
                    Val::I64(y.contributions.fen()),
                    Val::I64(y.interest_on_opening.fen()),
                    Val::I64(y.interest_on_contributions.fen()),
                    Val::I64(y.closing.fen()),
                    Val::Str(rate),
                ])?;
            }
            Ok(())
        },
    )
}

/// A closed year of one account, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredYear {
    pub opening: Fen,
    pub contributions: Fen,
    pub interest_on_opening: Fen,
    pub interest_on_contributions: Fen,
    pub closing: Fen,
}

/// The closed `year` of `person`'s account, if it was closed.
pub fn stored_year(db: &mut Db, person: i64, year: i32) -> Result<Option<StoredYear>> {
    db.query_opt(
        "SELECT opening_fen, contributions_fen, interest_opening_fen, interest_contrib_fen, closing_fen FROM account_years WHERE person_id = $1 AND year = $2",
        &[Val::I64(person), Val::I64(year as i64)],
    )?
    .map(|r| {
        Ok(StoredYear {
            opening: Fen::new(r[0].i64()?),
            contributions: Fen::new(r[1].i64()?),
            interest_on_opening: Fen::new(r[2].i64()?),
            interest_on_contributions: Fen::new(r[3].i64()?),
            closing: Fen::new(r[4].i64()?),
        })
    })
    .transpose()
}
