//! Payroll and payments (migrations 0005, 0010, 0073): the month's payment lines
//! (`payroll_line_rows`, read through the view `payroll_lines`), the payment files sent to the
//! banks (`payment_files`), the banks' return files read back (`bank_returns`,
//! `return_quarantine`), and the re-issues of returned payments.
//!
//! A line goes `planned` (payroll step) → `issued` in a file (pay step) → `paid` or `returned`
//! (a bank's answer); a returned line is re-issued by a later payroll as a new line with a later
//! attempt, linked by `reissue_of`. A line is written once: it takes `issued` and `paid` from
//! its message (the message's range of end-to-end ids, the message accepted whole) unless the
//! state is its own (issued or paid one by one, returned, deferred, carried), which its row
//! holds (migration 0073). Writers write `payroll_line_rows`; readers of a line's state read
//! the view, or the rows where the state they read is always the row's (returned, deferred,
//! carried, planned through [`PLANNED`]).

use crate::{Backend, Db, Result, StoreError, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, Period, RegionCode};
use tongchou_engine::disbursement::Item;

fn region(v: i64) -> Result<RegionCode> {
    RegionCode::from_stored(v).ok_or_else(|| crate::corrupt("region", v))
}

fn item(s: &str) -> Result<Item> {
    Item::parse(s).ok_or_else(|| crate::corrupt("item", s))
}

/// A pensioner in payment, as the payroll reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivePensioner {
    pub person: i64,
    pub county: u32,
    /// The month of retirement (paid from the month after).
    pub retire_period: Period,
    pub monthly: Fen,
    pub contribution_months: u32,
}

/// Every active pensioner, handed to `f` as the rows stream in (no collection, no allocation per
/// row).
pub fn each_active_pensioner(
    db: &mut Db,
    mut f: impl FnMut(ActivePensioner) -> Result<()>,
) -> Result<u64> {
    db.each(
        "SELECT person_id, county, retire_period, monthly_fen, contribution_months FROM pensioners WHERE status = 'active'",
        &[],
        |r| {
            let person = r.i64(0)?;
            f(ActivePensioner {
                person,
                county: r.i64(1)? as u32,
                retire_period: Period::from_yyyymm(r.i64(2)? as i32)
                    .map_err(|e| crate::corrupt(format!("pensions[{person}].retire_period"), e.0))?,
                monthly: Fen::new(r.i64(3)?),
                contribution_months: r.i64(4)? as u32,
            })
        },
    )
}

/// A row of `payroll_line_rows l` still planned (migration 0073): stored `planned`, and its
/// county's payments of the month did not go out whole (a county that went out whole has every
/// planned line of the month in one of its messages' ranges).
pub(crate) const PLANNED: &str = "l.status = 'planned' AND l.msg_id IS NULL AND NOT EXISTS (SELECT 1 FROM payment_files pf \
     WHERE pf.month = l.month AND pf.county = l.county AND pf.first_e2e IS NOT NULL)";

/// The rows of `payroll_line_rows l` that went out in message `$3` of month `$1`, county `$2`
/// (joined to its file `f`): stored with the message (issued, paid or returned one by one), or
/// stored planned inside the message's range (migration 0073).
const OF_MESSAGE: &str = "payroll_line_rows l JOIN payment_files f ON f.msg_id = $3 \
     WHERE l.month = $1 AND l.county = $2 AND (l.msg_id = $3 OR (l.msg_id IS NULL AND l.status = 'planned' \
     AND f.first_e2e <= l.end_to_end AND f.last_e2e >= l.end_to_end))";

/// The state of a row of [`OF_MESSAGE`] (what the view `payroll_lines` says of it).
const STATE_IN_MESSAGE: &str = "CASE WHEN l.status IN ('planned', 'issued') AND f.paid = 1 THEN 'paid' \
     WHEN l.status = 'planned' THEN 'issued' ELSE l.status END";

/// A payment that a later line must replace: returned by the bank and not yet re-issued, or
/// deferred and not yet carried forward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returned {
    pub person: i64,
    pub county: u32,
    pub amount: Fen,
    pub attempt: i64,
    pub end_to_end: String,
    pub item: Item,
}

/// A row of (person_id, county, amount_fen, attempt, end_to_end, item) as a line to replace.
fn replaced_of(r: &[crate::Value]) -> Result<Returned> {
    Ok(Returned {
        person: r[0].i64()?,
        county: r[1].i64()? as u32,
        amount: Fen::new(r[2].i64()?),
        attempt: r[3].i64()?,
        end_to_end: r[4].text()?.to_string(),
        item: item(r[5].text()?)?,
    })
}

/// The returned payments not yet re-issued, by person and end-to-end id.
pub fn returned_not_reissued(db: &mut Db) -> Result<Vec<Returned>> {
    let rows = db.query(
        "SELECT r.person_id, r.county, r.amount_fen, r.attempt, r.end_to_end, r.item FROM payroll_line_rows r
         WHERE r.held = 'returned' AND r.status = 'returned'
           AND NOT EXISTS (SELECT 1 FROM payroll_line_rows x WHERE x.reissue_of = r.end_to_end)
         ORDER BY r.person_id, r.end_to_end",
        &[],
    )?;
    rows.iter().map(|r| replaced_of(r)).collect()
}

/// The deferred lines of months before `month` not yet carried forward, by person and
/// end-to-end id (the partial index `payroll_lines_deferred` holds only these: `held`,
/// migration 0063).
pub fn deferred_before(db: &mut Db, month: Period) -> Result<Vec<Returned>> {
    let rows = db.query(
        "SELECT person_id, county, amount_fen, attempt, end_to_end, item FROM payroll_line_rows
         WHERE held = 'deferred' AND status = 'deferred' AND month < $1 ORDER BY person_id, end_to_end",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    rows.iter().map(|r| replaced_of(r)).collect()
}

/// The deferred lines of months before `month` become `carried` (their successors, linked by
/// `reissue_of`, are written in the same transaction) and no longer wait. Returns how many.
pub fn mark_carried_before(db: &mut Db, month: Period) -> Result<u64> {
    db.exec(
        "UPDATE payroll_line_rows SET status = 'carried', held = NULL WHERE held = 'deferred' AND status = 'deferred' AND month < $1",
        &[Val::I64(month.yyyymm() as i64)],
    )
}

/// The county's lines of `month` still planned after its payments went out are deferred (the
/// county account could not cover them): the next month's payroll carries them forward.
pub fn mark_county_deferred(db: &mut Db, month: Period, county: RegionCode) -> Result<u64> {
    db.exec(
        "UPDATE payroll_line_rows SET status = 'deferred', held = 'deferred' WHERE month = $1 AND county = $2 AND status = 'planned' AND msg_id IS NULL",
        &[Val::I64(month.yyyymm() as i64), Val::I64(county.get() as i64)],
    )
}

/// A payment line of the payroll, before it is written (status `planned`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLine {
    pub person: i64,
    pub item: Item,
    pub attempt: u8,
    pub county: u32,
    pub amount: Fen,
    pub end_to_end: String,
    /// The end-to-end id of the returned payment this line re-issues.
    pub reissue_of: Option<String>,
}

/// Above this many lines written at once, PostgreSQL analyzes the payment lines after writing
/// them (see [`write_planned`]).
const ANALYZE_AFTER: usize = 10_000;

/// Write the month's planned lines in the given order (one bulk write). On PostgreSQL a large
/// payroll is then analyzed (in the caller's transaction, which sees its own rows): the pay step
/// reads these lines with their payees next, and without statistics the planner took the month's
/// lines for ten rows and joined them to persons and pensioners by 2 × 227,000 index probes (3.8
/// s at 1 M insured, against 1.8 s by hash joins).
pub fn write_planned(db: &mut Db, month: Period, lines: &[NewLine]) -> Result<u64> {
    let m = month.yyyymm() as i64;
    // a planned line inside a message's range is issued in it (migration 0073): once a month's
    // payments went out, no line is planned into it
    let files = db.query_i64(
        "SELECT count(*) FROM payment_files WHERE month = $1",
        &[Val::I64(m)],
    )?;
    if files > 0 && !lines.is_empty() {
        return Err(StoreError::Invalid(tongchou_core::tr!(
            "store-err-payroll-after-pay",
            month = month.to_string(),
            files = files
        )));
    }
    let mut totals: BTreeMap<(i64, i64), PayrollTotal> = BTreeMap::new();
    for l in lines {
        let t = totals.entry((m, l.county as i64)).or_default();
        t.lines += 1;
        t.amount += l.amount.fen();
        if l.reissue_of.is_some() {
            t.reissue_lines += 1;
            t.reissue_amount += l.amount.fen();
        }
    }
    add_payroll_totals(db, &totals)?;
    // written county by county: the rows of a county's month lie together in the table (its
    // insertion order), so that the reads of one county's lines through the (month, county)
    // index — the pay step, the returns, the plans, the ledger check's groups — read adjacent
    // pages, not one row of every page of the month
    let mut order: Vec<&NewLine> = lines.iter().collect();
    order.sort_by_key(|l| (l.county, l.person, l.item.as_str(), l.attempt));
    db.bulk_insert(
        "payroll_line_rows",
        &[
            "month",
            "person_id",
            "item",
            "attempt",
            "county",
            "amount_fen",
            "end_to_end",
            "status",
            "reissue_of",
        ],
        &mut |sink| {
            for l in &order {
                sink.row(&[
                    Val::I64(m),
                    Val::I64(l.person),
                    Val::Str(l.item.as_str()),
                    Val::I64(l.attempt as i64),
                    Val::I64(l.county as i64),
                    Val::I64(l.amount.fen()),
                    Val::Str(&l.end_to_end),
                    Val::Str("planned"),
                    l.reissue_of.as_deref().map(Val::Str).unwrap_or(Val::Null),
                ])?;
            }
            Ok(())
        },
    )?;
    if lines.len() >= ANALYZE_AFTER && db.backend() == Backend::Postgres {
        db.batch("ANALYZE payroll_line_rows")?;
    }
    Ok(lines.len() as u64)
}

/// The month's planned (not yet issued) amounts per county and item.
pub fn planned_by_county_item(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, Item, Fen)>> {
    let rows = db.query(
        &format!("SELECT l.county, l.item, CAST(SUM(l.amount_fen) AS BIGINT) FROM payroll_line_rows l WHERE l.month = $1 AND {PLANNED} GROUP BY l.county, l.item"),
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            region(r[0].i64()?)?,
            item(r[1].text()?)?,
            Fen::new(r[2].i64()?),
        ));
    }
    Ok(out)
}

/// A planned line with its payee: the pensioner's name and account, and the survivor's claim if
/// one was filed (a death settlement is paid to the claimant). Borrowed from the driver.
#[derive(Clone, Copy, Debug)]
pub struct PlannedLine<'a> {
    pub person: i64,
    pub item: Item,
    pub attempt: i64,
    pub amount: Fen,
    pub end_to_end: &'a str,
    /// The person's payee ([`Payees`]).
    pub payee: Payee<'a>,
    /// The earlier line this one replaces, if any.
    pub replaces: Option<Replaced>,
}

/// Whom a pensioner's payments go to: the pensioner's name and account, and a survivor's claim
/// (the claimant's name and account) where one was filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payee<'a> {
    pub name: &'a str,
    pub account: &'a str,
    pub claimant: Option<(&'a str, &'a str)>,
}

/// Every pensioner's payee, read once for the pay step in one pass over the pensioners in person
/// order (each page of `persons` read once, in file order), with the accounts decrypted
/// (`crate::keys`); looked up by person. Reading them with each county's lines instead — a
/// county's pensioners scattered over the whole `persons` table, whose persons are not numbered
/// by county — cost twenty times the lines' own read at 1 M insured (docs/PERFORMANCE.md).
/// The names and accounts lie in one string: about 50 bytes a pensioner.
#[derive(Debug, Default)]
pub struct Payees {
    /// By person: (person, start in `text`, the name's length, the account's length).
    at: Vec<(i64, u32, u32, u32)>,
    text: String,
    /// The survivors' claims by person: (person, claimant's name, claimant's account).
    claims: Vec<(i64, String, String)>,
}

impl Payees {
    /// Every pensioner's payee (and every survivor's claim).
    pub fn read(db: &mut Db) -> Result<Payees> {
        crate::keys::refresh(db)?;
        let ring = db.keyring.clone();
        let mut p = Payees::default();
        let too_long = |what: &str| crate::corrupt("payees", what);
        db.each(PAYEES_SQL, &[], |r| {
            let account =
                crate::keys::reveal_with(ring.as_deref(), "pensioners.bank_account", r.text(2)?)?;
            let name = r.text(1)?;
            let start = u32::try_from(p.text.len()).map_err(|_| too_long("text"))?;
            let n = u32::try_from(name.len()).map_err(|_| too_long("name"))?;
            let a = u32::try_from(account.len()).map_err(|_| too_long("account"))?;
            p.text.push_str(name);
            p.text.push_str(&account);
            p.at.push((r.i64(0)?, start, n, a));
            Ok(())
        })?;
        db.each(
            "SELECT person_id, claimant_name, bank_account FROM survivor_claims ORDER BY person_id",
            &[],
            |r| {
                let account = crate::keys::reveal_with(
                    ring.as_deref(),
                    "survivor_claims.bank_account",
                    r.text(2)?,
                )?;
                p.claims.push((r.i64(0)?, r.text(1)?.to_string(), account));
                Ok(())
            },
        )?;
        // looked up by binary search: in person order whatever order an engine gave the rows
        if !p.at.is_sorted_by_key(|e| e.0) {
            p.at.sort_unstable_by_key(|e| e.0);
        }
        if !p.claims.is_sorted_by_key(|c| c.0) {
            p.claims.sort_unstable_by_key(|c| c.0);
        }
        Ok(p)
    }

    /// The payee of `person`'s payments, if the person is a pensioner.
    pub fn get(&self, person: i64) -> Option<Payee<'_>> {
        let k = self.at.binary_search_by_key(&person, |e| e.0).ok()?;
        let (_, start, n, a) = self.at[k];
        let (start, n, a) = (start as usize, n as usize, a as usize);
        let claimant = self
            .claims
            .binary_search_by_key(&person, |c| c.0)
            .ok()
            .map(|c| (self.claims[c].1.as_str(), self.claims[c].2.as_str()));
        Some(Payee {
            name: self.text.get(start..start + n)?,
            account: self.text.get(start + n..start + n + a)?,
            claimant,
        })
    }

    /// How many pensioners it holds.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

/// [`Payees::read`]'s statement: the pensioners in person order, each with the person's name.
pub const PAYEES_SQL: &str = "SELECT s.person_id, p.name, s.bank_account FROM pensioners s \
     JOIN persons p ON p.id = s.person_id ORDER BY s.person_id";

/// What became of the earlier line a payroll line replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replaced {
    /// Returned by the bank: this line re-issues it.
    Returned,
    /// Deferred by a short approval: this line carries it forward.
    Carried,
}

/// The planned lines of one county's month, each with its person's payee from `payees` (a line
/// of a person who is no pensioner has none and is not handed over), streamed to `f` in no
/// particular order: read through the (month, county) index, where a county's rows lie together
/// ([`write_planned`]). (An `ORDER BY` of the key made SQLite read the month's whole key range
/// for each county instead: the pay step took 13 s at 1 M insured instead of 2 s.)
pub fn each_planned_line(
    db: &mut Db,
    month: Period,
    county: RegionCode,
    payees: &Payees,
    mut f: impl FnMut(&PlannedLine<'_>) -> Result<()>,
) -> Result<u64> {
    db.each(
        &planned_lines_sql(),
        &[
            Val::I64(month.yyyymm() as i64),
            Val::I64(county.get() as i64),
        ],
        |r| {
            let person = r.i64(0)?;
            let Some(payee) = payees.get(person) else {
                return Ok(());
            };
            f(&PlannedLine {
                person,
                item: item(r.text(1)?)?,
                attempt: r.i64(2)?,
                amount: Fen::new(r.i64(3)?),
                end_to_end: r.text(4)?,
                payee,
                replaces: match r.opt_text(5)? {
                    None => None,
                    Some("carried") => Some(Replaced::Carried),
                    Some(_) => Some(Replaced::Returned),
                },
            })
        },
    )
}

/// A payment file as recorded when it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFile<'a> {
    pub msg_id: &'a str,
    pub month: Period,
    pub county: RegionCode,
    pub payments: i64,
    pub ctrl_sum: Fen,
    pub xml_sha256: &'a str,
    pub xml_path: &'a str,
    pub csv_path: &'a str,
    pub created_on: &'a str,
}

pub fn record_payment_file(db: &mut Db, f: &PaymentFile<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO payment_files (msg_id, month, county, payments, ctrl_sum_fen, xml_sha256, xml_path, csv_path, created_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            Val::Str(f.msg_id),
            Val::I64(f.month.yyyymm() as i64),
            Val::I64(f.county.get() as i64),
            Val::I64(f.payments),
            Val::I64(f.ctrl_sum.fen()),
            Val::Str(f.xml_sha256),
            Val::Str(f.xml_path),
            Val::Str(f.csv_path),
            Val::Str(f.created_on),
        ],
    )?;
    Ok(())
}

/// Issue the county's planned lines with end-to-end ids in `first..=last` in `msg_id` (a file
/// holds a contiguous range of ids when the whole county goes out): the message records the
/// range, and its lines — every planned line of the range — are issued in it without being
/// rewritten (migration 0073). Returns the rows of `payment_files` changed (1).
pub fn mark_range_issued(
    db: &mut Db,
    month: Period,
    county: RegionCode,
    msg_id: &str,
    first: &str,
    last: &str,
) -> Result<u64> {
    db.exec(
        "UPDATE payment_files SET first_e2e = $1, last_e2e = $2 WHERE msg_id = $3 AND month = $4 AND county = $5 AND first_e2e IS NULL",
        &[
            Val::Str(first),
            Val::Str(last),
            Val::Str(msg_id),
            Val::I64(month.yyyymm() as i64),
            Val::I64(county.get() as i64),
        ],
    )
}

/// Mark one planned line issued in `msg_id`.
pub fn mark_line_issued(
    db: &mut Db,
    month: Period,
    person: i64,
    item: Item,
    attempt: i64,
    msg_id: &str,
) -> Result<u64> {
    db.exec(
        "UPDATE payroll_line_rows SET status = 'issued', msg_id = $1 WHERE month = $2 AND person_id = $3 AND item = $4 AND attempt = $5 AND status = 'planned'",
        &[
            Val::Str(msg_id),
            Val::I64(month.yyyymm() as i64),
            Val::I64(person),
            Val::Str(item.as_str()),
            Val::I64(attempt),
        ],
    )
}

/// The month's payment files: message id, XML path and CSV path, by message id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthFile {
    pub msg_id: String,
    pub county: RegionCode,
    pub xml_path: String,
    pub csv_path: String,
}

pub fn files_of_month(db: &mut Db, month: Period) -> Result<Vec<MonthFile>> {
    let rows = db.query(
        "SELECT msg_id, xml_path, county, csv_path FROM payment_files WHERE month = $1 ORDER BY msg_id",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(MonthFile {
            msg_id: r[0].text()?.to_string(),
            xml_path: r[1].text()?.to_string(),
            county: region(r[2].i64()?)?,
            csv_path: r[3].text()?.to_string(),
        });
    }
    Ok(out)
}

/// Each payment of a file (end-to-end id and amount) in end-to-end order.
pub fn payments_of_file(
    db: &mut Db,
    month: Period,
    county: RegionCode,
    msg_id: &str,
) -> Result<Vec<(String, Fen)>> {
    let rows = db.query(
        &format!("SELECT l.end_to_end, l.amount_fen FROM {OF_MESSAGE} ORDER BY l.end_to_end"),
        &[
            Val::I64(month.yyyymm() as i64),
            Val::I64(county.get() as i64),
            Val::Str(msg_id),
        ],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((r[0].text()?.to_string(), Fen::new(r[1].i64()?)));
    }
    Ok(out)
}

/// Whether a return file with this SHA-256 was already read.
pub fn return_file_read(db: &mut Db, sha256: &str) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM bank_returns WHERE file_sha256 = $1",
        &[Val::Str(sha256)],
    )? > 0)
}

/// Whether a return file was read under this name (its path as it was read).
pub fn return_file_named(db: &mut Db, file_name: &str) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM bank_returns WHERE file_name = $1",
        &[Val::Str(file_name)],
    )? > 0)
}

/// Where a message went: the month and county of its file (they locate its lines).
pub fn file_of_message(db: &mut Db, msg_id: &str) -> Result<Option<(i64, i64)>> {
    match db
        .query(
            "SELECT month, county FROM payment_files WHERE msg_id = $1",
            &[Val::Str(msg_id)],
        )?
        .first()
    {
        Some(r) => Ok(Some((r[0].i64()?, r[1].i64()?))),
        None => Ok(None),
    }
}

/// [`each_planned_line`]'s statement ($1 month, $2 county).
pub fn planned_lines_sql() -> String {
    format!(
        "SELECT l.person_id, l.item, l.attempt, l.amount_fen, l.end_to_end,
         CASE WHEN l.reissue_of IS NULL THEN NULL
              ELSE (SELECT o.status FROM payroll_line_rows o WHERE o.end_to_end = l.reissue_of) END
         FROM payroll_line_rows l
         WHERE l.month = $1 AND l.county = $2 AND {PLANNED}"
    )
}

/// [`each_line_out`]'s statement ($1 month, $2 county).
pub fn lines_out_sql() -> String {
    format!(
        "SELECT f.msg_id, l.end_to_end, l.amount_fen, l.item, {STATE_IN_MESSAGE} \
             FROM payroll_line_rows l JOIN payment_files f ON f.month = l.month AND f.county = l.county \
             AND (f.msg_id = l.msg_id OR (l.msg_id IS NULL AND l.status = 'planned' \
             AND f.first_e2e <= l.end_to_end AND f.last_e2e >= l.end_to_end)) \
             WHERE l.month = $1 AND l.county = $2"
    )
}

/// The statements that read one county's lines of a month: each must be read through the
/// (month, county) index (`tests/payroll_states.rs` holds SQLite's plans to it).
pub fn county_reads_sql() -> [String; 2] {
    [planned_lines_sql(), lines_out_sql()]
}

/// What became of an issued line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineState {
    Paid,
    Returned,
    /// Issued (or anything not yet final).
    Pending,
}

/// A payment line of one month and county that went out in a message, as [`each_line_out`]
/// streams it: its message, end-to-end id, amount, item and state (what the view
/// `payroll_lines` says of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineOut<'a> {
    pub msg_id: &'a str,
    pub end_to_end: &'a str,
    pub amount: Fen,
    pub item: &'a str,
    pub state: LineState,
}

/// Every line of `month` (yyyymm) and `county` that went out in a message, whichever message,
/// streamed to `f` — one read of the county's lines for what a return file needs of them: the
/// answered messages' lines with their states and items, and the outcome of each (month,
/// county, item) group after the answer (`tc-app`'s returns). Stored with its message, or stored
/// planned inside a message's range (migration 0073); a county's messages are few, each row is
/// joined to the one it went out in.
pub fn each_line_out(
    db: &mut Db,
    month: i64,
    county: i64,
    mut f: impl FnMut(&LineOut<'_>) -> Result<()>,
) -> Result<u64> {
    db.each(
        &lines_out_sql(),
        &[Val::I64(month), Val::I64(county)],
        |r| {
            let state = match r.text(4)? {
                "paid" => LineState::Paid,
                "returned" => LineState::Returned,
                _ => LineState::Pending,
            };
            f(&LineOut {
                msg_id: r.text(0)?,
                end_to_end: r.text(1)?,
                amount: Fen::new(r.i64(2)?),
                item: r.text(3)?,
                state,
            })
        },
    )
}

/// The condition on a row of `payroll_line_rows` (unaliased, in an UPDATE) of being issued in
/// message `$3` and still awaiting the bank's answer: stored issued with the message, or stored
/// planned inside the message's range; the message not accepted whole (migration 0073).
const ISSUED_IN: &str = "EXISTS (SELECT 1 FROM payment_files f WHERE f.msg_id = $3 AND f.paid = 0 AND \
     ((payroll_line_rows.status = 'issued' AND payroll_line_rows.msg_id = $3) OR \
      (payroll_line_rows.status = 'planned' AND payroll_line_rows.msg_id IS NULL \
       AND f.first_e2e <= payroll_line_rows.end_to_end AND f.last_e2e >= payroll_line_rows.end_to_end)))";

/// An issued payment of `month` (yyyymm, its file's) in message `msg_id` the bank rejected:
/// returned, with the reason (queued for re-issue); its row now names its message. The month
/// finds the line in its partition through the unique (month, end-to-end id) key on PostgreSQL.
pub fn mark_returned(
    db: &mut Db,
    month: i64,
    msg_id: &str,
    end_to_end: &str,
    reason: &str,
) -> Result<u64> {
    db.exec(
        &format!(
            "UPDATE payroll_line_rows SET status = 'returned', held = 'returned', reason = $4, msg_id = $3 \
             WHERE month = $1 AND end_to_end = $2 AND {ISSUED_IN}"
        ),
        &[
            Val::I64(month),
            Val::Str(end_to_end),
            Val::Str(msg_id),
            Val::Str(reason),
        ],
    )
}

/// How many lines of a message are still issued (no final answer).
pub fn issued_in_message(db: &mut Db, month: i64, county: i64, msg_id: &str) -> Result<i64> {
    db.query_i64(
        &format!(
            "SELECT count(*) FROM {OF_MESSAGE} AND f.paid = 0 AND l.status IN ('planned', 'issued')"
        ),
        &[Val::I64(month), Val::I64(county), Val::Str(msg_id)],
    )
}

/// The bank accepted every issued line of a message: the message is paid (one row, migration
/// 0073: its lines still issued are paid), and their amounts are added to the month's paid
/// totals. Returns how many lines became paid (none when the message was paid before).
pub fn mark_message_paid(db: &mut Db, month: i64, county: i64, msg_id: &str) -> Result<u64> {
    let params = [Val::I64(month), Val::I64(county), Val::Str(msg_id)];
    let sums = db.query(
        &format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN l.reissue_of IS NULL THEN 0 ELSE l.amount_fen END), 0) AS BIGINT) \
             FROM {OF_MESSAGE} AND f.paid = 0 AND l.status IN ('planned', 'issued')"
        ),
        &params,
    )?;
    let (n, paid, reissue_paid) = match sums.first() {
        Some(r) => (r[0].i64()?, r[1].i64()?, r[2].i64()?),
        None => (0, 0, 0),
    };
    let changed = db.exec(
        "UPDATE payment_files SET paid = 1 WHERE msg_id = $1 AND month = $2 AND county = $3 AND paid = 0",
        &[Val::Str(msg_id), Val::I64(month), Val::I64(county)],
    )?;
    if changed == 0 || n == 0 {
        return Ok(0);
    }
    let mut totals = BTreeMap::new();
    totals.insert(
        (month, county),
        PayrollTotal {
            paid,
            reissue_paid,
            ..PayrollTotal::default()
        },
    );
    add_payroll_totals(db, &totals)?;
    Ok(n as u64)
}

/// Mark one issued line of `month` (yyyymm) in message `msg_id` paid (its row now names its
/// message), and add it to its month's paid totals.
pub fn mark_line_paid(db: &mut Db, month: i64, msg_id: &str, end_to_end: &str) -> Result<u64> {
    let mut totals: BTreeMap<(i64, i64), PayrollTotal> = BTreeMap::new();
    let mut changed = 0u64;
    db.each(
        &format!(
            "UPDATE payroll_line_rows SET status = 'paid', msg_id = $3 \
             WHERE month = $1 AND end_to_end = $2 AND {ISSUED_IN} \
             RETURNING month, county, amount_fen, CASE WHEN reissue_of IS NULL THEN 0 ELSE amount_fen END"
        ),
        &[Val::I64(month), Val::Str(end_to_end), Val::Str(msg_id)],
        |r| {
            let t = totals.entry((r.i64(0)?, r.i64(1)?)).or_default();
            changed += 1;
            t.paid += r.i64(2)?;
            t.reissue_paid += r.i64(3)?;
            Ok(())
        },
    )?;
    add_payroll_totals(db, &totals)?;
    Ok(changed)
}

/// The payroll of one month and county added up (migration 0048).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PayrollTotal {
    pub lines: i64,
    pub amount: i64,
    pub paid: i64,
    /// Of the above, the lines replacing an earlier line (re-issues, carried lines).
    pub reissue_lines: i64,
    pub reissue_amount: i64,
    pub reissue_paid: i64,
}

/// Add to the stored payroll totals (`payroll_totals`), in the caller's transaction.
fn add_payroll_totals(db: &mut Db, totals: &BTreeMap<(i64, i64), PayrollTotal>) -> Result<()> {
    for ((month, county), t) in totals {
        db.exec(
            "INSERT INTO payroll_totals (month, county, lines, amount_fen, paid_fen, reissue_lines, \
             reissue_amount_fen, reissue_paid_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (month, county) DO UPDATE SET lines = payroll_totals.lines + excluded.lines, \
             amount_fen = payroll_totals.amount_fen + excluded.amount_fen, \
             paid_fen = payroll_totals.paid_fen + excluded.paid_fen, \
             reissue_lines = payroll_totals.reissue_lines + excluded.reissue_lines, \
             reissue_amount_fen = payroll_totals.reissue_amount_fen + excluded.reissue_amount_fen, \
             reissue_paid_fen = payroll_totals.reissue_paid_fen + excluded.reissue_paid_fen",
            &[
                Val::I64(*month),
                Val::I64(*county),
                Val::I64(t.lines),
                Val::I64(t.amount),
                Val::I64(t.paid),
                Val::I64(t.reissue_lines),
                Val::I64(t.reissue_amount),
                Val::I64(t.reissue_paid),
            ],
        )?;
    }
    Ok(())
}

/// Where the stored payroll totals disagree with the lines: ((month, county), stored, summed).
#[allow(clippy::type_complexity)]
pub fn payroll_totals_disagree(
    db: &mut Db,
) -> Result<Vec<((i64, i64), PayrollTotal, PayrollTotal)>> {
    let of = |v: &[i64]| PayrollTotal {
        lines: v[0],
        amount: v[1],
        paid: v[2],
        reissue_lines: v[3],
        reissue_amount: v[4],
        reissue_paid: v[5],
    };
    Ok(crate::collection::totals_disagree(
        db,
        "SELECT month, county, lines, amount_fen, paid_fen, reissue_lines, reissue_amount_fen, \
         reissue_paid_fen FROM payroll_totals",
        "SELECT month, county, COUNT(*), CAST(SUM(amount_fen) AS BIGINT), \
         CAST(SUM(CASE WHEN status = 'paid' THEN amount_fen ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN reissue_of IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN reissue_of IS NOT NULL THEN amount_fen ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN reissue_of IS NOT NULL AND status = 'paid' THEN amount_fen ELSE 0 END) AS BIGINT) \
         FROM payroll_lines GROUP BY month, county",
    )?
    .into_iter()
    .map(|(k, a, b)| (k, of(&a), of(&b)))
    .collect())
}

/// Keep a return line that could not be applied (unknown payment, conflicting answer).
pub fn quarantine(
    db: &mut Db,
    file_sha256: &str,
    line_no: i64,
    end_to_end: &str,
    reason: &str,
) -> Result<()> {
    db.exec(
        "INSERT INTO return_quarantine (file_sha256, line_no, end_to_end, reason) VALUES ($1, $2, $3, $4)",
        &[
            Val::Str(file_sha256),
            Val::I64(line_no),
            Val::Str(end_to_end),
            Val::Str(reason),
        ],
    )?;
    Ok(())
}

/// What reading a return file found: its status lines, and the payments accepted and rejected,
/// the lines quarantined and the conflicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReturnCounts {
    pub lines: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub quarantined: i64,
    pub conflicts: i64,
}

/// A return file as recorded once read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnFile<'a> {
    pub sha256: &'a str,
    pub file_name: &'a str,
    pub read_on: &'a str,
    pub counts: ReturnCounts,
    /// The region of its payments (their county, else city, else the province), if any is known.
    pub region: Option<RegionCode>,
    /// Who read it (an audit login), if a person did.
    pub read_by: Option<&'a str>,
}

pub fn record_return_file(db: &mut Db, f: &ReturnFile<'_>) -> Result<()> {
    db.exec(
        "INSERT INTO bank_returns (file_sha256, file_name, read_on, lines, accepted, rejected, quarantined, conflicts, region, read_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS INTEGER), $10)",
        &[
            Val::Str(f.sha256),
            Val::Str(f.file_name),
            Val::Str(f.read_on),
            Val::I64(f.counts.lines),
            Val::I64(f.counts.accepted),
            Val::I64(f.counts.rejected),
            Val::I64(f.counts.quarantined),
            Val::I64(f.counts.conflicts),
            f.region
                .map(|r| Val::I64(r.get() as i64))
                .unwrap_or(Val::Null),
            f.read_by.map(Val::Str).unwrap_or(Val::Null),
        ],
    )?;
    Ok(())
}

/// A return file already read, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadReturnFile {
    pub sha256: String,
    pub file_name: String,
    pub read_on: String,
    pub counts: ReturnCounts,
    pub region: Option<RegionCode>,
    pub read_by: Option<String>,
}

/// The return files read, latest first (by the day read, then name), at most `limit`.
pub fn return_files(db: &mut Db, limit: i64) -> Result<Vec<ReadReturnFile>> {
    let rows = db.query(
        "SELECT file_sha256, file_name, read_on, lines, accepted, rejected, quarantined, conflicts, region, read_by \
         FROM bank_returns ORDER BY read_on DESC, file_name LIMIT $1",
        &[Val::I64(limit)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(ReadReturnFile {
            sha256: r[0].text()?.to_string(),
            file_name: r[1].text()?.to_string(),
            read_on: r[2].text()?.to_string(),
            counts: ReturnCounts {
                lines: r[3].i64()?,
                accepted: r[4].i64()?,
                rejected: r[5].i64()?,
                quarantined: r[6].i64()?,
                conflicts: r[7].i64()?,
            },
            region: r[8].opt_i64()?.and_then(RegionCode::from_stored),
            read_by: r[9].opt_text()?.map(str::to_string),
        });
    }
    Ok(out)
}

/// The month's payment lines summed per county and status.
pub fn sums_by_county_status(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, String, Fen)>> {
    let rows = db.query(
        "SELECT county, status, CAST(SUM(amount_fen) AS BIGINT) FROM payroll_lines WHERE month = $1 GROUP BY county, status",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            region(r[0].i64()?)?,
            r[1].text()?.to_string(),
            Fen::new(r[2].i64()?),
        ));
    }
    Ok(out)
}

/// The month's lines that carry forward a deferred line of an earlier month, summed per county.
pub fn carried_in_by_county(db: &mut Db, month: Period) -> Result<Vec<(RegionCode, Fen)>> {
    let rows = db.query(
        "SELECT l.county, CAST(SUM(l.amount_fen) AS BIGINT) FROM payroll_line_rows l
         JOIN payroll_line_rows o ON o.end_to_end = l.reissue_of
         WHERE l.month = $1 AND l.reissue_of IS NOT NULL AND o.status = 'carried'
         GROUP BY l.county",
        &[Val::I64(month.yyyymm() as i64)],
    )?;
    rows.iter()
        .map(|r| Ok((region(r[0].i64()?)?, Fen::new(r[1].i64()?))))
        .collect()
}

/// The SHA-256 (hex) of the business state of the disbursement months (payment lines, plans,
/// allocations, files, returns, ledger transfers and balances; no timestamps or hashes) as text —
/// per table its name and row count on a line, then each row's `{:?}` on a line — to compare a
/// resumed run with an uninterrupted one. Hashed as the rows are read: the text and the payment
/// lines are never held (2.28 million lines at 10 million insured).
pub fn disbursement_digest(db: &mut Db) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (name, table, sql) in [
        (
            "payroll",
            "payroll_lines",
            "SELECT month, person_id, item, attempt, county, amount_fen, end_to_end, COALESCE(msg_id, ''), status, COALESCE(reissue_of, '') FROM payroll_lines ORDER BY month, person_id, item, attempt",
        ),
        (
            "plans",
            "fund_plans",
            "SELECT month, region, level, planned_fen, COALESCE(approved_fen, -1), status FROM fund_plans ORDER BY month, region",
        ),
        (
            "allocations",
            "allocations",
            "SELECT month, region, level, amount_fen, deadline, done_on, delay_days FROM allocations ORDER BY month, region",
        ),
        (
            "files",
            "payment_files",
            "SELECT msg_id, payments, ctrl_sum_fen, xml_sha256 FROM payment_files ORDER BY msg_id",
        ),
        (
            "returns",
            "bank_returns",
            "SELECT file_sha256, lines, accepted, rejected FROM bank_returns ORDER BY file_sha256",
        ),
        (
            "transfers",
            "ledger_transfer",
            "SELECT idem_key, op, debit_account, credit_account, amount, category, value_date, line_count, lines_digest FROM ledger_transfer ORDER BY idem_key",
        ),
        (
            "accounts",
            "ledger_account",
            "SELECT id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_account ORDER BY id",
        ),
    ] {
        // no condition: the rows are the table's
        let n = db.query_i64(&format!("SELECT count(*) FROM {table}"), &[])?;
        h.update(format!("{name} {n}\n").as_bytes());
        db.each(sql, &[], |r| {
            h.update(format!("{:?}\n", r.values()?).as_bytes());
            Ok(())
        })?;
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// One issued line as the ledger holds it in the pending benefit transfer of its
/// (month, county, item): streamed in the ledger's line order (person, then attempt).
#[derive(Clone, Copy, Debug)]
pub struct IssuedLine<'a> {
    pub month: i64,
    pub county: i64,
    pub item: &'a str,
    pub person: i64,
    pub amount: Fen,
    pub status: &'a str,
}

/// Every issued line (issued, paid or returned), by month, county, item, person and attempt;
/// with `only` the lines of those (month, county, item) groups alone.
pub fn each_issued_line(
    db: &mut Db,
    only: Option<(i64, i64, &str)>,
    mut f: impl FnMut(&IssuedLine<'_>) -> Result<()>,
) -> Result<u64> {
    let (filter, params): (&str, Vec<Val<'_>>) = match only {
        None => ("", vec![]),
        Some((m, c, i)) => (
            " AND month = $1 AND county = $2 AND item = $3",
            vec![Val::I64(m), Val::I64(c), Val::Str(i)],
        ),
    };
    db.each(
        &format!(
            "SELECT month, county, item, person_id, amount_fen, status FROM payroll_lines
             WHERE msg_id IS NOT NULL{filter} ORDER BY month, county, item, person_id, attempt"
        ),
        &params,
        |r| {
            f(&IssuedLine {
                month: r.i64(0)?,
                county: r.i64(1)?,
                item: r.text(2)?,
                person: r.i64(3)?,
                amount: Fen::new(r.i64(4)?),
                status: r.text(5)?,
            })
        },
    )
}

/// The (month, county, item) groups of the returned payments not yet re-issued: the payroll
/// checks them against the ledger before it re-issues anything.
pub fn groups_of_returned_not_reissued(db: &mut Db) -> Result<Vec<(i64, i64, String)>> {
    let rows = db.query(
        "SELECT DISTINCT r.month, r.county, r.item FROM payroll_line_rows r
         WHERE r.held = 'returned' AND r.status = 'returned'
           AND NOT EXISTS (SELECT 1 FROM payroll_line_rows x WHERE x.reissue_of = r.end_to_end)
         ORDER BY r.month, r.county, r.item",
        &[],
    )?;
    rows.iter()
        .map(|r| Ok((r[0].i64()?, r[1].i64()?, r[2].text()?.to_string())))
        .collect()
}

/// A payment file as recorded, beside what its lines add up to now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAgainstLines {
    pub msg_id: String,
    pub payments: i64,
    pub ctrl_sum: Fen,
    pub xml_sha256: String,
    pub xml_path: String,
    pub lines: i64,
    pub lines_sum: Fen,
}

/// Every payment file with the count and sum of the lines that went out in it.
pub fn files_against_lines(db: &mut Db) -> Result<Vec<FileAgainstLines>> {
    let rows = db.query(
        "SELECT f.msg_id, f.payments, f.ctrl_sum_fen, f.xml_sha256, f.xml_path,
                COALESCE(l.n, 0), COALESCE(l.s, 0)
         FROM payment_files f
         LEFT JOIN (SELECT msg_id, count(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS s
                    FROM payroll_lines WHERE msg_id IS NOT NULL GROUP BY msg_id) l ON l.msg_id = f.msg_id
         ORDER BY f.msg_id",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(FileAgainstLines {
                msg_id: r[0].text()?.to_string(),
                payments: r[1].i64()?,
                ctrl_sum: Fen::new(r[2].i64()?),
                xml_sha256: r[3].text()?.to_string(),
                xml_path: r[4].text()?.to_string(),
                lines: r[5].i64()?,
                lines_sum: Fen::new(r[6].i64()?),
            })
        })
        .collect()
}
