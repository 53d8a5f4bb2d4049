//! What fund governance (`tongchou_app::{warn, gap, assess}`) reads and writes: the ledger's
//! posted flows per account and month, the registry's counts per county (contributors,
//! pensioners in payment, open recovery cases, retirements whose contribution base jumped), and
//! the gap shares (migration 0020) with their settlements.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::{Backend, Db, Result, Val};
use tongchou_core::{Date, Fen, Period, Ratio};
use tongchou_ledger::AccountId;
use tongchou_ledger::transfer::date_to_int;

/// The category of the transfers that book gap-sharing money (data/chart-of-accounts.toml).
pub const GAP_CATEGORY: &str = "gap_sharing";
/// The category of the reserve fund's transfers: its uses cover a gap like the gap-sharing money
/// and are left out of the year's own income with it.
pub const RESERVE_CATEGORY: &str = "reserve_fund";

/// The posted amounts of one account in one month: debits and credits, with the gap-sharing
/// money and the reserve fund's apart (neither is the year's own income of mechanisms.md §2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    pub debits: i64,
    pub credits: i64,
    pub gap_debits: i64,
    pub gap_credits: i64,
}

/// Posted ledger flows (post, posted part of a pending transfer, reversal) dated on or before
/// `through`, per (account, yyyymm of the value date).
pub fn flows_by_month(db: &mut Db, through: Date) -> Result<Vec<((AccountId, i32), Flow)>> {
    let mut out: std::collections::BTreeMap<(AccountId, i32), Flow> = Default::default();
    for (side, col) in [(0, "debit_account"), (1, "credit_account")] {
        let rows = db.query(
            &format!(
                "SELECT {col}, value_date / 100, CASE WHEN category IN ($2, $3) THEN 1 ELSE 0 END, \
                 CAST(SUM(amount) AS BIGINT) FROM ledger_transfer \
                 WHERE op IN (0, 2, 4) AND value_date <= $1 \
                 GROUP BY {col}, value_date / 100, CASE WHEN category IN ($2, $3) THEN 1 ELSE 0 END"
            ),
            &[
                Val::I64(date_to_int(through)),
                Val::Str(GAP_CATEGORY),
                Val::Str(RESERVE_CATEGORY),
            ],
        )?;
        for r in rows {
            let key = (AccountId(r[0].i64()?), r[1].i64()? as i32);
            let gap = r[2].i64()? == 1;
            let amount = r[3].i64()?;
            let f = out.entry(key).or_default();
            match (side, gap) {
                (0, false) => f.debits += amount,
                (0, true) => f.gap_debits += amount,
                (_, false) => f.credits += amount,
                (_, true) => f.gap_credits += amount,
            }
        }
    }
    Ok(out.into_iter().collect())
}

fn county_counts(db: &mut Db, sql: &str, params: &[Val<'_>]) -> Result<Vec<(i64, i64)>> {
    db.query(sql, params)?
        .iter()
        .map(|r| Ok((r[0].i64()?, r[1].i64()?)))
        .collect()
}

/// Pensioners in payment in `month` per county: retired before it, and active or not yet
/// deceased or suspended at its end.
///
/// Counted from the index `pensioners_in_payment` alone (migration 0048), which SQLite is told to
/// use: its planner would otherwise walk the (county, status) index and look up every
/// pensioner's row from it (at 10 M: 0.4 s against 1.3 s reading the table in its own order).
pub fn pensioners_by_county(db: &mut Db, month: Period) -> Result<Vec<(i64, i64)>> {
    let last = month.last_day().to_string();
    let pensioners = match db.backend() {
        Backend::Sqlite => "pensioners INDEXED BY pensioners_in_payment",
        Backend::Postgres => "pensioners",
    };
    county_counts(
        db,
        &format!(
            "SELECT county, count(*) FROM {pensioners} WHERE retire_period < $1 \
             AND (status = 'active' OR status_since > $2) GROUP BY county"
        ),
        &[Val::I64(month.yyyymm() as i64), Val::Str(&last)],
    )
}

/// The contributions assessed (pooling + account) for the periods `from..=to`, per county (from
/// the stored totals, migration 0048).
pub fn assessed_between(db: &mut Db, from: Period, to: Period) -> Result<Vec<(i64, Fen)>> {
    Ok(county_counts(
        db,
        "SELECT county, CAST(SUM(pooling_fen + account_fen) AS BIGINT) FROM assessment_totals \
         WHERE period >= $1 AND period <= $2 GROUP BY county",
        &[Val::I64(from.yyyymm() as i64), Val::I64(to.yyyymm() as i64)],
    )?
    .into_iter()
    .map(|(c, f)| (c, Fen::new(f)))
    .collect())
}

/// Recovery cases (improper payments) opened by `month` and still open, per county: (county,
/// cases, amount).
pub fn open_recoveries(db: &mut Db, month: Period) -> Result<Vec<(i64, i64, Fen)>> {
    db.query(
        "SELECT county, count(*), CAST(SUM(amount_fen) AS BIGINT) FROM recovery_cases \
         WHERE status = 'open' AND opened_month <= $1 GROUP BY county",
        &[Val::I64(month.yyyymm() as i64)],
    )?
    .iter()
    .map(|r| Ok((r[0].i64()?, r[1].i64()?, Fen::new(r[2].i64()?))))
    .collect()
}

/// Pensioners who retired in `month` whose last contribution base before retirement exceeds
/// the base of 12 months earlier by more than `jump`, per county.
///
/// The assessments are keyed by period first (`crate::months`): each retiree's last
/// contribution is looked for month by month backwards from the retirement, one probe of the
/// key a month, the base carried along, and the search `s` stops for a retiree at the first
/// month assessed (or at the first period any assessment has), so that a retiree who paid until
/// retiring costs one probe, and one more for the base of 12 months before.
pub fn base_jumps(db: &mut Db, month: Period, jump: Ratio) -> Result<Vec<(i64, i64)>> {
    let before = crate::months::month_before("s.p");
    let base_at = |period: &str, who: &str| {
        format!(
            "(SELECT x.base_fen FROM assessments x WHERE x.period = {period} AND x.person_id = {who})"
        )
    };
    county_counts(
        db,
        &format!(
            "WITH RECURSIVE s(person_id, county, p, base) AS ( \
               SELECT r.person_id, r.county, CAST($1 AS BIGINT), {} \
               FROM pensioners r WHERE r.retire_period = $1 \
               UNION ALL \
               SELECT s.person_id, s.county, {before}, {} \
               FROM s WHERE s.base IS NULL AND s.p > {}) \
             SELECT s.county, count(*) FROM s \
             WHERE s.base IS NOT NULL AND s.base * 100000000 > $2 * {} \
             GROUP BY s.county",
            base_at("$1", "r.person_id"),
            base_at(&before, "s.person_id"),
            crate::months::ASSESSED.0,
            base_at("s.p - 100", "s.person_id")
        ),
        &[
            Val::I64(month.yyyymm() as i64),
            Val::I64(100_000_000 + jump.0),
        ],
    )
}

/// The benefits flagged non-compliant in `year` per county (mechanisms.md §2: payments after
/// death and duplicate receipt found, and overpayments, for the year's months, not recovered).
pub fn noncompliant_by_county(db: &mut Db, year: i32) -> Result<Vec<(i64, Fen)>> {
    Ok(county_counts(
        db,
        "SELECT county, CAST(SUM(amount_fen) AS BIGINT) FROM recovery_cases \
         WHERE status <> 'recovered' AND month >= $1 AND month <= $2 GROUP BY county",
        &[
            Val::I64(year as i64 * 100 + 1),
            Val::I64(year as i64 * 100 + 12),
        ],
    )?
    .into_iter()
    .map(|(c, f)| (c, Fen::new(f)))
    .collect())
}

/// A year's computed gap (`gap_years`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapYear {
    pub year: i32,
    pub expenditure: Fen,
    pub income: Fen,
    pub gap: Fen,
    pub shortfall: Fen,
    pub noncompliant: Fen,
    pub policy: Fen,
    pub due: Date,
    /// JSON array of the parameters used.
    pub parameters: String,
    pub computed_by: String,
    pub computed_at: String,
}

/// One stored share of a county's gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapShareRow {
    pub year: i32,
    pub county: i64,
    pub cause: String,
    pub level: String,
    pub region: i64,
    pub amount: Fen,
    pub paid: Fen,
    pub explanation: String,
}

/// The computed gap of `year`, if any.
pub fn gap_year(db: &mut Db, year: i32) -> Result<Option<GapYear>> {
    let Some(r) = db.query_opt(
        "SELECT year, expenditure_fen, income_fen, gap_fen, shortfall_fen, noncompliant_fen, policy_fen, \
         due_date, parameters, computed_by, computed_at FROM gap_years WHERE year = $1",
        &[Val::I64(year as i64)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(GapYear {
        year: r[0].i64()? as i32,
        expenditure: Fen::new(r[1].i64()?),
        income: Fen::new(r[2].i64()?),
        gap: Fen::new(r[3].i64()?),
        shortfall: Fen::new(r[4].i64()?),
        noncompliant: Fen::new(r[5].i64()?),
        policy: Fen::new(r[6].i64()?),
        due: crate::benefits::date_of(r[7].text()?)?,
        parameters: r[8].text()?.to_string(),
        computed_by: r[9].text()?.to_string(),
        computed_at: r[10].text()?.to_string(),
    }))
}

/// Record a year's gap and its shares (inside the caller's transaction).
pub fn insert_gap(db: &mut Db, y: &GapYear, shares: &[GapShareRow]) -> Result<()> {
    let due = y.due.to_string();
    db.exec(
        "INSERT INTO gap_years (year, expenditure_fen, income_fen, gap_fen, shortfall_fen, noncompliant_fen, \
         policy_fen, due_date, parameters, computed_by, computed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            Val::I64(y.year as i64),
            Val::I64(y.expenditure.fen()),
            Val::I64(y.income.fen()),
            Val::I64(y.gap.fen()),
            Val::I64(y.shortfall.fen()),
            Val::I64(y.noncompliant.fen()),
            Val::I64(y.policy.fen()),
            Val::Str(&due),
            Val::Str(&y.parameters),
            Val::Str(&y.computed_by),
            Val::Str(&y.computed_at),
        ],
    )?;
    let cols = [
        "year",
        "county",
        "cause",
        "level",
        "region",
        "amount_fen",
        "paid_fen",
        "explanation",
    ];
    db.bulk_insert("gap_shares", &cols, &mut |sink| {
        for s in shares {
            sink.row(&[
                Val::I64(s.year as i64),
                Val::I64(s.county),
                Val::Str(&s.cause),
                Val::Str(&s.level),
                Val::I64(s.region),
                Val::I64(s.amount.fen()),
                Val::I64(s.paid.fen()),
                Val::Str(&s.explanation),
            ])?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The shares of `year` (of one bearing government with `region`), by county, cause and level.
pub fn gap_shares(db: &mut Db, year: i32, region: Option<i64>) -> Result<Vec<GapShareRow>> {
    let rows = db.query(
        "SELECT year, county, cause, level, region, amount_fen, paid_fen, explanation FROM gap_shares \
         WHERE year = $1 AND ($2 = 0 OR region = $2) ORDER BY county, cause, level",
        &[Val::I64(year as i64), Val::I64(region.unwrap_or(0))],
    )?;
    rows.iter()
        .map(|r| {
            Ok(GapShareRow {
                year: r[0].i64()? as i32,
                county: r[1].i64()?,
                cause: r[2].text()?.to_string(),
                level: r[3].text()?.to_string(),
                region: r[4].i64()?,
                amount: Fen::new(r[5].i64()?),
                paid: Fen::new(r[6].i64()?),
                explanation: r[7].text()?.to_string(),
            })
        })
        .collect()
}

/// Set what has been paid of one share.
pub fn set_share_paid(db: &mut Db, s: &GapShareRow) -> Result<()> {
    db.exec(
        "UPDATE gap_shares SET paid_fen = $1 WHERE year = $2 AND county = $3 AND cause = $4 AND level = $5",
        &[
            Val::I64(s.paid.fen()),
            Val::I64(s.year as i64),
            Val::I64(s.county),
            Val::Str(&s.cause),
            Val::Str(&s.level),
        ],
    )?;
    Ok(())
}

/// One payment of a government's shares of a year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapSettlement {
    pub year: i32,
    pub region: i64,
    pub seq: i64,
    pub amount: Fen,
    pub paid_on: Date,
    pub transfer_key: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// The payments of `year`, by region and sequence.
pub fn gap_settlements(db: &mut Db, year: i32) -> Result<Vec<GapSettlement>> {
    let rows = db.query(
        "SELECT year, region, seq, amount_fen, paid_on, transfer_key, recorded_by, recorded_at \
         FROM gap_settlements WHERE year = $1 ORDER BY region, seq",
        &[Val::I64(year as i64)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(GapSettlement {
                year: r[0].i64()? as i32,
                region: r[1].i64()?,
                seq: r[2].i64()?,
                amount: Fen::new(r[3].i64()?),
                paid_on: crate::benefits::date_of(r[4].text()?)?,
                transfer_key: r[5].text()?.to_string(),
                recorded_by: r[6].text()?.to_string(),
                recorded_at: r[7].text()?.to_string(),
            })
        })
        .collect()
}

/// Record a payment (inside the caller's transaction).
pub fn insert_settlement(db: &mut Db, s: &GapSettlement) -> Result<()> {
    let paid_on = s.paid_on.to_string();
    db.exec(
        "INSERT INTO gap_settlements (year, region, seq, amount_fen, paid_on, transfer_key, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Val::I64(s.year as i64),
            Val::I64(s.region),
            Val::I64(s.seq),
            Val::I64(s.amount.fen()),
            Val::Str(&paid_on),
            Val::Str(&s.transfer_key),
            Val::Str(&s.recorded_by),
            Val::Str(&s.recorded_at),
        ],
    )?;
    Ok(())
}

fn year_months(year: i32) -> [Val<'static>; 2] {
    [
        Val::I64(year as i64 * 100 + 1),
        Val::I64(year as i64 * 100 + 12),
    ]
}

/// Contribution assessments of `year`'s months, per county: (county, count).
pub fn assessments_of_year(db: &mut Db, year: i32) -> Result<Vec<(i64, i64)>> {
    county_counts(
        db,
        "SELECT county, CAST(SUM(assessments) AS BIGINT) FROM assessment_totals \
         WHERE period >= $1 AND period <= $2 GROUP BY county",
        &year_months(year),
    )
}

/// The payroll of `year`'s months (re-issues and carried lines left out: a line paid on its pay
/// day is paid by its first attempt), per county: (county, lines, amount, amount paid), from the
/// stored totals (migration 0048).
pub fn payroll_of_year(db: &mut Db, year: i32) -> Result<Vec<(i64, i64, Fen, Fen)>> {
    db.query(
        "SELECT county, CAST(SUM(lines - reissue_lines) AS BIGINT), \
         CAST(SUM(amount_fen - reissue_amount_fen) AS BIGINT), \
         CAST(SUM(paid_fen - reissue_paid_fen) AS BIGINT) \
         FROM payroll_totals WHERE month >= $1 AND month <= $2 GROUP BY county",
        &year_months(year),
    )?
    .iter()
    .map(|r| {
        Ok((
            r[0].i64()?,
            r[1].i64()?,
            Fen::new(r[2].i64()?),
            Fen::new(r[3].i64()?),
        ))
    })
    .collect()
}

/// Recovery cases (rule violations found) for `year`'s months, per county: (county, cases).
pub fn violations_of_year(db: &mut Db, year: i32) -> Result<Vec<(i64, i64)>> {
    county_counts(
        db,
        "SELECT county, count(*) FROM recovery_cases WHERE month >= $1 AND month <= $2 GROUP BY county",
        &year_months(year),
    )
}

/// Persons enrolled in `year`, per county. No index holds the enrolment date: on SQLite the
/// table is read in its own order (`NOT INDEXED`), because its planner would otherwise walk the
/// (county, status) index to save sorting the few rows that match, looking up every person at
/// random (at 10 M persons, most of the assessment's time).
pub fn enrolled_in_year(db: &mut Db, year: i32) -> Result<Vec<(i64, i64)>> {
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let persons = match db.backend() {
        Backend::Sqlite => "persons NOT INDEXED",
        Backend::Postgres => "persons",
    };
    county_counts(
        db,
        &format!(
            "SELECT county, count(*) FROM {persons} WHERE enrolled_on >= $1 AND enrolled_on <= $2 GROUP BY county"
        ),
        &[Val::Str(&from), Val::Str(&to)],
    )
}

/// Retirement applications submitted in `year`: (county, submitted at, decided at).
pub fn retirement_applications_of_year(
    db: &mut Db,
    year: i32,
) -> Result<Vec<(i64, String, Option<String>)>> {
    let (from, to) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
    db.query(
        "SELECT county, submitted_at, decided_at FROM retirement_applications \
         WHERE submitted_at >= $1 AND submitted_at < $2",
        &[Val::Str(&from), Val::Str(&to)],
    )?
    .iter()
    .map(|r| {
        Ok((
            r[0].i64()?,
            r[1].text()?.to_string(),
            r[2].opt_text()?.map(str::to_string),
        ))
    })
    .collect()
}

/// The records behind an assessment indicator of one county (the drill-down): text cells.
pub type Records = Vec<Vec<String>>;

fn texts(db: &mut Db, sql: &str, params: &[Val<'_>], cols: usize) -> Result<Records> {
    let mut out = Vec::new();
    for r in db.query(sql, params)? {
        let mut row = Vec::with_capacity(cols);
        for v in r.iter().take(cols) {
            row.push(match v {
                crate::Value::Null => String::new(),
                crate::Value::I64(i) => i.to_string(),
                crate::Value::Text(t) => t.clone(),
            });
        }
        out.push(row);
    }
    Ok(out)
}

/// Recovery cases of `year`'s months in `county` (all, or those not recovered): person, kind,
/// month, amount in fen, status, source.
pub fn recovery_records(db: &mut Db, year: i32, county: i64, open_only: bool) -> Result<Records> {
    let [from, to] = year_months(year);
    texts(
        db,
        "SELECT person_id, kind, month, amount_fen, status, source FROM recovery_cases \
         WHERE county = $1 AND month >= $2 AND month <= $3 AND ($4 = 0 OR status <> 'recovered') \
         ORDER BY month, person_id",
        &[Val::I64(county), from, to, Val::I64(open_only as i64)],
        6,
    )
}

/// Persons of `county` enrolled in `year`: person, enrolled on.
pub fn enrolled_records(db: &mut Db, year: i32, county: i64) -> Result<Records> {
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    texts(
        db,
        "SELECT id, enrolled_on FROM persons WHERE county = $1 AND enrolled_on >= $2 \
         AND enrolled_on <= $3 ORDER BY enrolled_on, id",
        &[Val::I64(county), Val::Str(&from), Val::Str(&to)],
        2,
    )
}

/// Retirement applications of `county` submitted in `year`: person, submitted at, decided at,
/// status.
pub fn retirement_records(db: &mut Db, year: i32, county: i64) -> Result<Records> {
    let (from, to) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
    texts(
        db,
        "SELECT person_id, submitted_at, decided_at, status FROM retirement_applications \
         WHERE county = $1 AND submitted_at >= $2 AND submitted_at < $3 ORDER BY submitted_at, person_id",
        &[Val::I64(county), Val::Str(&from), Val::Str(&to)],
        4,
    )
}

/// Payroll lines of `county` in `year` not paid on their first attempt: month, person, item,
/// amount in fen, status.
pub fn unpaid_records(db: &mut Db, year: i32, county: i64) -> Result<Records> {
    let [from, to] = year_months(year);
    texts(
        db,
        "SELECT month, person_id, item, amount_fen, status FROM payroll_lines \
         WHERE county = $1 AND month >= $2 AND month <= $3 AND item <> 'reissue' AND status <> 'paid' \
         ORDER BY month, person_id",
        &[Val::I64(county), from, to],
        5,
    )
}
