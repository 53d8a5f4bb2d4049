//! The fund ledger on SQL (migration `0002_ledger.sql`), with the rules of `tongchou-ledger`.
//!
//! Every write is one database transaction:
//! 1. one load query: the journal head (locked `FOR UPDATE` on PostgreSQL; SQLite's
//!    `BEGIN IMMEDIATE` already holds the write lock, so entries are chained in one order), the
//!    transfers under the batch's keys and target keys (with their resolutions and reversals)
//!    and the accounts involved, into a [`State`];
//! 2. the pure [`execute`] (the same code as [`tongchou_ledger::MemLedger`]);
//! 3. the writes: many transfers by COPY / multi-row INSERT, then few transfers, the new
//!    balances (each row conditional on the balances read, row counts checked) and the head —
//!    as one statement on PostgreSQL (one round trip), one by one on SQLite; then the
//!    person-level lines (COPY on PostgreSQL, multi-row INSERT on SQLite), or for a transfer
//!    whose lines another table already holds, one row naming them ([`sources`]);
//! 4. commit. A failure anywhere rolls everything back: a killed process leaves the ledger as if
//!    the batch had never started. Serialization failures on PostgreSQL (a writer that waited
//!    for the head) are retried: the batch is idempotent by its keys.
//!
//! [`Ledger::check`] re-verifies everything from the stored rows and names the first broken item.

pub mod sources;

pub use sources::LineSource;

use crate::{Backend, Db, Result, Row, StoreError, Val, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tongchou_core::region::{Divisions, RegionCode};
use tongchou_core::tr;
use tongchou_core::{Date, Fen, Period};
use tongchou_ledger::chart::AccountId;
use tongchou_ledger::engine::{
    Account, Balances, Head, Known, Outcome, Replay, State, TransferError, execute,
};
use tongchou_ledger::report::{self, BalanceFold, MonthEndViolation, Problem, TrialBalance};
use tongchou_ledger::transfer::{
    Hash, JournalEntry, Line, LinesHasher, LinesSummary, Op, Request, Transfer, date_from_int,
    date_to_int,
};
use tongchou_ledger::{Chart, Limit};

const TRANSFER_COLS: &str = "id, idem_key, op, target_id, debit_account, credit_account, amount, category, doc_ref, \
     value_date, linked, line_count, lines_digest, recorded_at, prev_hash, hash";
/// The columns of `ledger_transfer` as the ledger writes them (benchmarks write the same).
pub const TRANSFER_COL_LIST: [&str; 17] = [
    "id",
    "idem_key",
    "op",
    "target_id",
    "resolves",
    "debit_account",
    "credit_account",
    "amount",
    "category",
    "doc_ref",
    "value_date",
    "linked",
    "line_count",
    "lines_digest",
    "recorded_at",
    "prev_hash",
    "hash",
];
const ACCOUNT_COLS: &str =
    "id, region, kind, limit_kind, debits_posted, credits_posted, debits_pending, credits_pending";
/// Rows per page when streaming.
const PAGE: i64 = 5000;
const LINE_PAGE: i64 = 100_000;
/// Below this many created transfers, plain INSERTs; at or above, [`Db::bulk_insert`].
const BULK_TRANSFERS: usize = 8;
const RETRIES: usize = 30;
/// Accounts per balance UPDATE (9 parameters each).
const UPDATE_CHUNK: usize = 256;

/// The result of one request of a batch: accepted ([`Outcome`]) or refused ([`TransferError`]).
pub type TransferResult = std::result::Result<Outcome, TransferError>;

/// What [`Ledger::check`] found.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub accounts: usize,
    pub transfers: i64,
    pub lines: i64,
    /// The verified head (or as far as verification got).
    pub head: Head,
    /// The first broken item, if any.
    pub problem: Option<Problem>,
}

/// The person-level lines a request of a batch comes with.
#[derive(Clone, Copy)]
enum Lines<'a> {
    /// Written into `ledger_line` with the transfer (none if empty).
    Stored(&'a [Line]),
    /// Kept by another table; only the reference is written.
    Source(&'a LineSource),
}

/// The fund ledger over a [`Db`].
pub struct Ledger<'d> {
    db: &'d mut Db,
    chart: &'static Chart,
    clock: fn() -> i64,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A row of the ledger's load that has no columns after its kind.
fn short_row(r: &[Value]) -> StoreError {
    crate::corrupt("ledger_head", r.len())
}

/// The name of column `i` of [`TRANSFER_COLS`].
fn transfer_col(i: usize) -> &'static str {
    TRANSFER_COLS.split(", ").nth(i).unwrap_or("?")
}

/// Read a transfer row (columns in [`TRANSFER_COLS`] order) into a journal entry.
fn entry_of(r: &[Value]) -> Result<JournalEntry> {
    if r.len() < 16 {
        return Err(crate::corrupt("ledger_transfer", r.len()));
    }
    let id = r[0].i64()?;
    let op = Op::from_code(r[2].i64()?)
        .ok_or_else(|| crate::corrupt(format!("ledger_transfer[{id}].op"), &r[2]))?;
    let date = date_from_int(r[9].i64()?)
        .ok_or_else(|| crate::corrupt(format!("ledger_transfer[{id}].value_date"), &r[9]))?;
    let hash = |i: usize| {
        Hash::from_hex(r[i].text()?).ok_or_else(|| {
            crate::corrupt(format!("ledger_transfer[{id}].{}", transfer_col(i)), &r[i])
        })
    };
    let transfer = Transfer {
        id,
        key: r[1].text()?.to_string(),
        op,
        target: r[3].opt_i64()?,
        debit: AccountId(r[4].i64()?),
        credit: AccountId(r[5].i64()?),
        amount: Fen::new(r[6].i64()?),
        category: r[7].text()?.to_string(),
        reference: r[8].text()?.to_string(),
        date,
        linked: r[10].i64()? != 0,
        line_count: u64::try_from(r[11].i64()?)
            .map_err(|_| crate::corrupt(format!("ledger_transfer[{id}].line_count"), &r[11]))?,
        lines_digest: hash(12)?,
        recorded_at: r[13].i64()?,
    };
    let tagged = |i: usize| {
        Hash::from_tagged(r[i].text()?).ok_or_else(|| {
            crate::corrupt(format!("ledger_transfer[{id}].{}", transfer_col(i)), &r[i])
        })
    };
    let (prev_alg, prev_hash) = tagged(14)?;
    let (alg, hash) = tagged(15)?;
    Ok(JournalEntry {
        transfer,
        prev_hash,
        hash,
        alg,
        prev_alg,
    })
}

fn account_of(r: &Row) -> Result<(Account, i64, String)> {
    let id = AccountId(r[0].i64()?);
    let limit = Limit::from_code(r[3].i64()?)
        .ok_or_else(|| crate::corrupt(format!("ledger_account[{}].limit_kind", id.0), &r[3]))?;
    let balances = Balances {
        debits_posted: Fen::new(r[4].i64()?),
        credits_posted: Fen::new(r[5].i64()?),
        debits_pending: Fen::new(r[6].i64()?),
        credits_pending: Fen::new(r[7].i64()?),
    };
    Ok((
        Account {
            id,
            limit,
            balances,
        },
        r[1].i64()?,
        r[2].text()?.to_string(),
    ))
}

impl<'d> Ledger<'d> {
    /// The ledger over `db`, with the compiled-in chart of accounts. `db` must be migrated
    /// ([`Db::open`] does it).
    pub fn new(db: &'d mut Db) -> Ledger<'d> {
        Ledger {
            db,
            chart: Chart::standard(),
            clock: now_micros,
        }
    }

    /// Replace the clock that stamps `recorded_at` (UTC microseconds), e.g. to make journal
    /// hashes reproducible in tests.
    pub fn with_clock(mut self, clock: fn() -> i64) -> Ledger<'d> {
        self.clock = clock;
        self
    }

    pub fn chart(&self) -> &'static Chart {
        self.chart
    }

    pub fn db(&mut self) -> &mut Db {
        self.db
    }

    /// Open accounts (idempotent). Returns how many were new.
    pub fn open_accounts(&mut self, ids: &[AccountId]) -> Result<usize> {
        let chart = self.chart;
        let mut rows = Vec::with_capacity(ids.len());
        for &id in ids {
            let (Some(region), Some(kind)) =
                (id.region(), chart.kind_of(id).filter(|_| chart.allows(id)))
            else {
                return Err(StoreError::Invalid(format!(
                    "account {id} is not in the chart of accounts"
                )));
            };
            rows.push((id, region, kind.key.clone(), kind.limit));
        }
        self.db.transaction(|db| {
            let existing: BTreeSet<i64> = db
                .query("SELECT id FROM ledger_account", &[])?
                .iter()
                .map(|r| r[0].i64())
                .collect::<Result<_>>()?;
            let new: Vec<_> = rows.iter().filter(|r| !existing.contains(&r.0.0)).collect();
            let cols = [
                "id",
                "region",
                "kind",
                "limit_kind",
                "debits_posted",
                "credits_posted",
                "debits_pending",
                "credits_pending",
            ];
            db.bulk_insert("ledger_account", &cols, &mut |sink| {
                for (id, region, kind, limit) in &new {
                    sink.row(&[
                        Val::I64(id.0),
                        Val::I64(region.get() as i64),
                        Val::Str(kind),
                        Val::I64(limit.code()),
                        Val::I64(0),
                        Val::I64(0),
                        Val::I64(0),
                        Val::I64(0),
                    ])?;
                }
                Ok(())
            })?;
            Ok(new.len())
        })
    }

    /// Open the standard accounts of every region of `divisions` (idempotent).
    pub fn open_standard(&mut self, divisions: &Divisions) -> Result<usize> {
        let ids = self.chart.standard_accounts(divisions);
        self.open_accounts(&ids)
    }

    /// Submit a batch of requests: one result per request, all written in one transaction.
    pub fn submit(&mut self, batch: &[Request]) -> Result<Vec<TransferResult>> {
        let none = vec![Lines::Stored(&[]); batch.len()];
        self.run(batch.to_vec(), &none)
    }

    /// Submit a batch whose transfers aggregate person-level lines that another table already
    /// holds (the month's applications and payment lines): a request with a source carries its
    /// lines' summary ([`Request::lines`], computed in the source's canonical order, e.g.
    /// [`sources::applied_summaries`]); the ledger records the source beside the transfer
    /// instead of a copy of the lines, and [`Ledger::check`] recomputes count, total and digest
    /// from the source's rows.
    pub fn submit_with_sources(
        &mut self,
        batch: &[(Request, Option<LineSource>)],
    ) -> Result<Vec<TransferResult>> {
        let reqs = batch.iter().map(|(r, _)| r.clone()).collect();
        let lines: Vec<Lines<'_>> = batch
            .iter()
            .map(|(_, s)| s.as_ref().map_or(Lines::Stored(&[]), Lines::Source))
            .collect();
        self.run(reqs, &lines)
    }

    /// Submit a batch whose transfers aggregate person-level lines (the bulk path): each
    /// request's line summary is computed from its lines (which must add up to its amount), and
    /// the lines of created transfers are written with them, in the same transaction.
    pub fn submit_with_lines(
        &mut self,
        batch: &[(Request, &[Line])],
    ) -> Result<Vec<TransferResult>> {
        let mut reqs = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.len());
        for (r, ls) in batch {
            let mut r = r.clone();
            if !ls.is_empty() {
                let s = LinesSummary::of(ls)
                    .map_err(|e| StoreError::Invalid(format!("transfer {}: {e}", r.key)))?;
                r.lines = Some(s);
            }
            reqs.push(r);
            lines.push(Lines::Stored(ls));
        }
        self.run(reqs, &lines)
    }

    fn run(&mut self, batch: Vec<Request>, lines: &[Lines<'_>]) -> Result<Vec<TransferResult>> {
        for (r, ls) in batch.iter().zip(lines) {
            let why = match (r.lines.map(|s| s.count), ls) {
                (Some(_), Lines::Stored([])) => {
                    "a lines summary without the lines (use submit_with_lines)"
                }
                (None | Some(0), Lines::Source(_)) => "a line source without the lines' summary",
                _ => continue,
            };
            return Err(StoreError::Invalid(format!("transfer {}: {why}", r.key)));
        }
        let (chart, now) = (self.chart, (self.clock)());
        // Writers serialize on the journal head: SQLite's BEGIN IMMEDIATE holds the write lock;
        // on PostgreSQL the load query locks the head row (REPEATABLE READ: a writer that had to
        // wait for it fails with 40001 and is retried here, the batch being idempotent by its
        // keys). Inside a caller's transaction the batch joins it, and a serialization
        // failure is the caller's to retry with its whole transaction.
        let nested = self.db.in_transaction();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = self
                .db
                .transaction(|db| write_batch(db, chart, &batch, lines, now));
            match r {
                Err(e) if !nested && attempt < RETRIES && e.is_conflict() => {
                    // another writer held the journal head: back off a little, with jitter
                    let jitter = now_micros().rem_euclid(1000) as u64;
                    let micros = (200u64 << attempt.min(8)) + jitter;
                    std::thread::sleep(std::time::Duration::from_micros(micros));
                }
                other => return other,
            }
        }
    }

    /// All open accounts with their stored balances, by id.
    pub fn accounts(&mut self) -> Result<Vec<Account>> {
        let rows = self.db.query(
            &format!("SELECT {ACCOUNT_COLS} FROM ledger_account ORDER BY id"),
            &[],
        )?;
        rows.iter().map(|r| account_of(r).map(|a| a.0)).collect()
    }

    pub fn account(&mut self, id: AccountId) -> Result<Option<Account>> {
        let r = self.db.query_opt(
            &format!("SELECT {ACCOUNT_COLS} FROM ledger_account WHERE id = $1"),
            &[Val::I64(id.0)],
        )?;
        r.map(|r| account_of(&r).map(|a| a.0)).transpose()
    }

    /// The stored balances of every account.
    pub fn balances(&mut self) -> Result<BTreeMap<AccountId, Balances>> {
        Ok(self
            .accounts()?
            .into_iter()
            .map(|a| (a.id, a.balances))
            .collect())
    }

    /// Balances at the end of `date`, rebuilt from the transfers dated on or before it.
    pub fn balances_at(&mut self, date: Date) -> Result<BTreeMap<AccountId, Balances>> {
        let mut fold = BalanceFold::new(Some(date));
        let d = date_to_int(date);
        let mut after = 0i64;
        loop {
            let rows = self.db.query(
                &format!("SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE id > $1 AND value_date <= $2 ORDER BY id LIMIT $3"),
                &[Val::I64(after), Val::I64(d), Val::I64(PAGE)],
            )?;
            for r in &rows {
                let e = entry_of(r)?;
                after = e.transfer.id;
                fold.push(&e.transfer);
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        Ok(fold.balances)
    }

    /// The posted debits and credits of every account over the transfers dated `from` (None:
    /// since the beginning) through `to`: what a book's year moved (final accounts). Pending
    /// and voided amounts are not posted; a pending transfer posts on the date of its posting.
    pub fn posted_movements(
        &mut self,
        from: Option<Date>,
        to: Date,
    ) -> Result<BTreeMap<AccountId, (Fen, Fen)>> {
        let lo = from.map_or(0, date_to_int);
        let hi = date_to_int(to);
        let mut out: BTreeMap<AccountId, (Fen, Fen)> = BTreeMap::new();
        for (side, col) in [(0, "debit_account"), (1, "credit_account")] {
            let rows = self.db.query(
                &format!(
                    "SELECT {col}, CAST(SUM(amount) AS BIGINT) FROM ledger_transfer \
                     WHERE op IN (0, 2, 4) AND value_date >= $1 AND value_date <= $2 GROUP BY {col}"
                ),
                &[Val::I64(lo), Val::I64(hi)],
            )?;
            for r in &rows {
                let e = out.entry(AccountId(r[0].i64()?)).or_default();
                let v = Fen::new(r[1].i64()?);
                if side == 0 {
                    e.0 = v;
                } else {
                    e.1 = v;
                }
            }
        }
        Ok(out)
    }

    /// The trial balance: now (stored balances) or at the end of a date; by level, or the book
    /// of one region.
    pub fn trial_balance(
        &mut self,
        at: Option<Date>,
        region: Option<RegionCode>,
    ) -> Result<TrialBalance> {
        let balances = match at {
            Some(d) => self.balances_at(d)?,
            None => self.balances()?,
        };
        Ok(report::trial_balance(self.chart, &balances, at, region))
    }

    /// Accounts that must be empty at the end of `period` and are not (收入户).
    pub fn month_end_check(&mut self, period: Period) -> Result<Vec<MonthEndViolation>> {
        let b = self.balances_at(period.last_day())?;
        Ok(report::month_end_violations(self.chart, &b))
    }

    /// The transfer recorded under `key`.
    pub fn transfer(&mut self, key: &str) -> Result<Option<Transfer>> {
        let r = self.db.query_opt(
            &format!("SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE idem_key = $1"),
            &[Val::Str(key)],
        )?;
        r.map(|r| entry_of(&r).map(|e| e.transfer)).transpose()
    }

    /// Transfers touching `account` with id > `after`, in journal order, at most `limit`
    /// (keyset pagination: pass the last id seen as `after`).
    pub fn history(
        &mut self,
        account: AccountId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Transfer>> {
        let sql = format!(
            "SELECT * FROM (SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE debit_account = $1 AND id > $2 ORDER BY id LIMIT $3) d \
             UNION ALL \
             SELECT * FROM (SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE credit_account = $1 AND id > $2 ORDER BY id LIMIT $3) c \
             ORDER BY id LIMIT $3"
        );
        let rows = self.db.query(
            &sql,
            &[Val::I64(account.0), Val::I64(after), Val::I64(limit as i64)],
        )?;
        rows.iter()
            .map(|r| entry_of(r).map(|e| e.transfer))
            .collect()
    }

    /// Transfers touching `account`, newest first, at most `limit`: the newest, those before
    /// an id (the next page) or those after one (the previous page; still newest first).
    pub fn history_page(
        &mut self,
        account: AccountId,
        cursor: crate::audit::Cursor,
        limit: usize,
    ) -> Result<Vec<Transfer>> {
        use crate::audit::Cursor;
        let (cond, order, bound) = match cursor {
            Cursor::Newest => ("id < $2", "DESC", i64::MAX),
            Cursor::Before(id) => ("id < $2", "DESC", id),
            Cursor::After(id) => ("id > $2", "ASC", id),
        };
        let sql = format!(
            "SELECT * FROM (SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE debit_account = $1 AND {cond} ORDER BY id {order} LIMIT $3) d \
             UNION ALL \
             SELECT * FROM (SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE credit_account = $1 AND {cond} ORDER BY id {order} LIMIT $3) c \
             ORDER BY id {order} LIMIT $3"
        );
        let rows = self.db.query(
            &sql,
            &[Val::I64(account.0), Val::I64(bound), Val::I64(limit as i64)],
        )?;
        let mut out: Vec<Transfer> = rows
            .iter()
            .map(|r| entry_of(r).map(|e| e.transfer))
            .collect::<Result<_>>()?;
        if order == "ASC" {
            out.reverse();
        }
        Ok(out)
    }

    /// Lines of a transfer with line_no > `after`, at most `limit`.
    pub fn lines(
        &mut self,
        transfer_id: i64,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Line)>> {
        let rows = self.db.query(
            "SELECT line_no, person_id, amount FROM ledger_line WHERE transfer_id = $1 AND line_no > $2 ORDER BY line_no LIMIT $3",
            &[Val::I64(transfer_id), Val::I64(after), Val::I64(limit as i64)],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r[0].i64()?,
                    Line {
                        person: r[1].i64()?,
                        amount: Fen::new(r[2].i64()?),
                    },
                ))
            })
            .collect()
    }

    /// The stored journal head.
    /// The hash of journal entry `seq`, if it exists (to compare with a published anchor).
    pub fn hash_at(&mut self, seq: i64) -> Result<Option<String>> {
        match self.db.query_opt(
            "SELECT hash FROM ledger_transfer WHERE id = $1",
            &[Val::I64(seq)],
        )? {
            Some(r) => Ok(Some(r[0].text()?.to_string())),
            None => Ok(None),
        }
    }

    pub fn head(&mut self) -> Result<Head> {
        read_head(self.db)
    }

    /// Verify the whole ledger from the stored rows: accounts against the chart; the hash chain
    /// and every transfer against the rules, replayed in order; the head; every stored balance
    /// against the sum of its postings; the books of every region and the inter-level accounts;
    /// the limits; and the lines of every transfer (count, sum = amount, digest). The first
    /// broken item is reported in [`CheckReport::problem`].
    pub fn check(&mut self) -> Result<CheckReport> {
        let chart = self.chart;
        let mut report = CheckReport {
            accounts: 0,
            transfers: 0,
            lines: 0,
            head: Head::default(),
            problem: None,
        };
        macro_rules! fail {
            ($item:expr, $detail:expr) => {{
                report.problem = Some(Problem::new($item, $detail));
                return Ok(report);
            }};
        }
        // accounts
        let rows = self.db.query(
            &format!("SELECT {ACCOUNT_COLS} FROM ledger_account ORDER BY id"),
            &[],
        )?;
        let mut accounts = Vec::with_capacity(rows.len());
        for r in &rows {
            let (a, region, kind) = match account_of(r) {
                Ok(x) => x,
                Err(e) => fail!(
                    tr!("ledger-chk-account-row", row = format!("{:?}", r.first())),
                    e.to_string()
                ),
            };
            let item = tr!("ledger-chk-account", id = a.id, label = chart.shown(a.id));
            match chart.kind_of(a.id) {
                Some(k)
                    if chart.allows(a.id)
                        && k.key == kind
                        && a.id.region().map(|r| r.get() as i64) == Some(region) =>
                {
                    if k.limit != a.limit {
                        fail!(
                            item,
                            tr!("ledger-chk-limit", limit = a.limit, chart = k.limit)
                        );
                    }
                }
                _ => fail!(
                    item,
                    tr!("ledger-chk-region-kind", region = region, kind = kind)
                ),
            }
            accounts.push(a);
        }
        report.accounts = accounts.len();
        // the journal, replayed
        let mut replay = Replay::new(chart, accounts.iter().map(|a| (a.id, a.limit)));
        let mut with_lines: BTreeMap<i64, (u64, Fen, Hash)> = BTreeMap::new();
        let mut after = 0i64;
        loop {
            let rows = self.db.query(
                &format!(
                    "SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE id > $1 ORDER BY id LIMIT $2"
                ),
                &[Val::I64(after), Val::I64(PAGE)],
            )?;
            for r in &rows {
                let e = match entry_of(r) {
                    Ok(e) => e,
                    Err(err) => fail!(
                        tr!("ledger-chk-transfer-row", row = format!("{:?}", r.first())),
                        err.to_string()
                    ),
                };
                after = e.transfer.id;
                let t = &e.transfer;
                if let Err(err) = replay.push(&e) {
                    report.head = replay.head();
                    fail!(
                        tr!("ledger-chk-transfer", id = t.id, key = t.key),
                        err.to_string()
                    );
                }
                report.transfers += 1;
                if t.line_count > 0 {
                    with_lines.insert(t.id, (t.line_count, t.amount, t.lines_digest));
                }
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        report.head = replay.head();
        let stored_head = read_head(self.db)?;
        if stored_head != replay.head() {
            fail!(
                tr!("ledger-chk-head"),
                tr!(
                    "ledger-chk-head-stored",
                    seq = stored_head.seq,
                    hash = stored_head.hash,
                    last = replay.head().seq,
                    last_hash = replay.head().hash
                )
            );
        }
        // stored balances = sum of postings
        for a in &accounts {
            let rebuilt = replay
                .state()
                .accounts
                .get(&a.id)
                .map(|x| x.balances)
                .unwrap_or_default();
            if rebuilt != a.balances {
                fail!(
                    tr!("ledger-chk-account", id = a.id, label = chart.shown(a.id)),
                    tr!("ledger-chk-rebuilt", stored = a.balances, rebuilt = rebuilt)
                );
            }
        }
        // books, limits, inter-level accounts
        if let Err(p) =
            report::check_invariants(chart, accounts.iter().map(|a| (a.id, a.limit, &a.balances)))
        {
            report.problem = Some(p);
            return Ok(report);
        }
        // lines: stored ones (counts and sums in one pass, then the digests) and referenced ones
        if let Some(p) = self.check_lines(&with_lines, &mut report.lines)? {
            report.problem = Some(p);
        }
        Ok(report)
    }

    /// The lines of every transfer that has lines, stored in `ledger_line` or kept by the
    /// source it names (recomputed from the source's rows), never both, never neither: count,
    /// sum = amount, digest = the one in the journal. The first problem, if any; `lines` counts
    /// the lines verified.
    fn check_lines(
        &mut self,
        with_lines: &BTreeMap<i64, (u64, Fen, Hash)>,
        lines: &mut i64,
    ) -> Result<Option<Problem>> {
        let fail = |tid: i64, detail: String| {
            Ok(Some(Problem::new(
                tr!("ledger-chk-lines", id = tid),
                detail,
            )))
        };
        let sums = self.db.query(
            "SELECT transfer_id, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM ledger_line GROUP BY transfer_id ORDER BY transfer_id",
            &[],
        )?;
        let mut stored = BTreeSet::new();
        for r in &sums {
            let (tid, n, sum) = (r[0].i64()?, r[1].i64()?, r[2].i64()?);
            *lines += n;
            match with_lines.get(&tid) {
                None => {
                    return fail(tid, tr!("ledger-chk-lines-orphan", n = n));
                }
                Some((count, amount, _)) if *count as i64 != n || amount.fen() != sum => {
                    return fail(
                        tid,
                        tr!(
                            "ledger-chk-lines-sum",
                            n = n,
                            sum = sum,
                            count = count,
                            amount = amount.fen()
                        ),
                    );
                }
                Some(_) => stored.insert(tid),
            };
        }
        let referenced = sources::all(self.db)?;
        let mut named: HashMap<&LineSource, i64> = HashMap::new();
        for (tid, src) in &referenced {
            // the same person-level rows behind two transfers would book them twice
            if let Some(other) = named.insert(src, *tid) {
                return fail(
                    *tid,
                    tr!("ledger-chk-source-twice", source = src, other = other),
                );
            }
            if !with_lines.contains_key(tid) {
                return fail(*tid, tr!("ledger-chk-source-orphan", source = src));
            }
            if stored.contains(tid) {
                return fail(*tid, tr!("ledger-chk-lines-both", source = src));
            }
        }
        if let Some(tid) = with_lines.keys().find(|id| {
            !stored.contains(*id) && referenced.binary_search_by_key(*id, |(t, _)| *t).is_err()
        }) {
            return fail(*tid, tr!("ledger-chk-lines-missing"));
        }
        for tid in &stored {
            if let Some(detail) = self.stored_digest_problem(*tid, with_lines[tid].2)? {
                return fail(*tid, detail);
            }
        }
        let names: BTreeMap<i64, &LineSource> = referenced.iter().map(|(t, s)| (*t, s)).collect();
        for (tid, got) in sources::recompute(self.db, &referenced)? {
            let (count, amount, digest) = with_lines[&tid];
            let src = names[&tid];
            match got {
                Some(g) if g.count == count && g.total == amount && g.digest == digest => {
                    *lines += g.count as i64;
                }
                Some(g) if g.count != count || g.total != amount => {
                    return fail(
                        tid,
                        tr!(
                            "ledger-chk-source-sum",
                            source = src,
                            n = g.count,
                            sum = g.total.fen(),
                            count = count,
                            amount = amount.fen()
                        ),
                    );
                }
                _ => {
                    return fail(tid, tr!("ledger-chk-source-digest", source = src));
                }
            }
        }
        Ok(None)
    }

    /// Whether a transfer's stored lines run 0.. without a gap and give the journal's digest.
    fn stored_digest_problem(&mut self, tid: i64, digest: Hash) -> Result<Option<String>> {
        let mut h = LinesHasher::default();
        let mut next = 0i64;
        loop {
            let page = self.lines(tid, next - 1, LINE_PAGE as usize)?;
            for (no, line) in &page {
                if *no != next {
                    return Ok(Some(tr!("ledger-chk-line-gap", next = next, found = no)));
                }
                h.push(line);
                next += 1;
            }
            if (page.len() as i64) < LINE_PAGE {
                break;
            }
        }
        Ok(match h.finish() {
            Ok(s) if s.digest == digest => None,
            _ => Some(tr!("ledger-chk-lines-digest")),
        })
    }

    /// Where a transfer's person-level lines are kept when they are not in `ledger_line`.
    pub fn line_source(&mut self, transfer_id: i64) -> Result<Option<LineSource>> {
        sources::of(self.db, transfer_id)
    }
}

fn read_head(db: &mut Db) -> Result<Head> {
    let r = db
        .query_opt("SELECT seq, hash FROM ledger_head WHERE id = 1", &[])?
        .ok_or_else(|| crate::corrupt("ledger_head", ""))?;
    head_of(&r[0], &r[1])
}

/// The journal head from its seq and its stored (tagged) hash.
fn head_of(seq: &Value, hash: &Value) -> Result<Head> {
    let (alg, hash) =
        Hash::from_tagged(hash.text()?).ok_or_else(|| crate::corrupt("ledger_head.hash", hash))?;
    Ok(Head {
        seq: seq.i64()?,
        hash,
        alg,
    })
}

/// Keys or account ids per load query.
const LOAD_CHUNK: usize = 4096;

/// One `SELECT` branch of the load query: a tag, then 16 expressions in the positions (and
/// types) of [`TRANSFER_COLS`]; `None` is a typed NULL.
fn branch(tag: i64, exprs: [Option<&str>; 16], from: &str) -> String {
    const TYPES: [&str; 16] = [
        "BIGINT", "TEXT", "SMALLINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "TEXT", "TEXT",
        "INTEGER", "SMALLINT", "BIGINT", "TEXT", "BIGINT", "TEXT", "TEXT",
    ];
    let cols: Vec<String> = exprs
        .iter()
        .zip(TYPES)
        .map(|(e, t)| match e {
            Some(e) => e.to_string(),
            None => format!("CAST(NULL AS {t})"),
        })
        .collect();
    format!("SELECT {tag}, {} {from}", cols.join(", "))
}

/// The load query of a batch, in one round trip: the head (tag 0); the transfers under the
/// batch's keys and target keys (1); for the targets (of post, void and reverse requests), the
/// transfers that resolved them (2), the sums reversed of them (3) and their accounts (4); and
/// the accounts the batch names (4). Parameters: `nkeys` keys, `ntargets` target keys, then
/// `naccounts` account ids. With `lock` (PostgreSQL), the head row is locked FOR UPDATE first.
fn load_sql(nkeys: usize, ntargets: usize, naccounts: usize, lock: bool) -> String {
    let keys = placeholders(1, nkeys);
    let targets = placeholders(nkeys + 1, ntargets);
    let accounts = placeholders(nkeys + ntargets + 1, naccounts);
    let t: [Option<&str>; 16] = [
        Some("id"),
        Some("idem_key"),
        Some("op"),
        Some("target_id"),
        Some("debit_account"),
        Some("credit_account"),
        Some("amount"),
        Some("category"),
        Some("doc_ref"),
        Some("value_date"),
        Some("linked"),
        Some("line_count"),
        Some("lines_digest"),
        Some("recorded_at"),
        Some("prev_hash"),
        Some("hash"),
    ];
    // account columns go where the transfer has id, key, op, target, debit, credit, amount and
    // line count (the same types)
    let account = |cols: [&'static str; 8]| {
        let mut a = [None; 16];
        for (slot, col) in [0usize, 1, 2, 3, 4, 5, 6, 11].into_iter().zip(cols) {
            a[slot] = Some(col);
        }
        a
    };
    let mut head = [None; 16];
    head[0] = Some("seq");
    head[15] = Some("hash");
    let mut parts = vec![branch(
        0,
        head,
        if lock {
            "FROM h"
        } else {
            "FROM ledger_head WHERE id = 1"
        },
    )];
    if nkeys > 0 {
        parts.push(branch(
            1,
            t,
            &format!("FROM ledger_transfer WHERE idem_key IN ({keys})"),
        ));
    }
    if ntargets > 0 {
        let target_ids = format!("SELECT id FROM ledger_transfer WHERE idem_key IN ({targets})");
        parts.push(branch(
            2,
            t,
            &format!("FROM ledger_transfer WHERE resolves IN ({target_ids})"),
        ));
        let mut rev = [None; 16];
        rev[0] = Some("target_id");
        rev[6] = Some("CAST(SUM(amount) AS BIGINT)");
        parts.push(branch(
            3,
            rev,
            &format!("FROM ledger_transfer WHERE op = 4 AND target_id IN ({target_ids}) GROUP BY target_id"),
        ));
        let qualified = [
            "a.id",
            "a.kind",
            "a.limit_kind",
            "a.region",
            "a.debits_posted",
            "a.credits_posted",
            "a.debits_pending",
            "a.credits_pending",
        ];
        for side in ["debit_account", "credit_account"] {
            parts.push(branch(
                4,
                account(qualified),
                &format!(
                    "FROM ledger_account a JOIN ledger_transfer t ON a.id = t.{side} WHERE t.idem_key IN ({targets})"
                ),
            ));
        }
    }
    if naccounts > 0 {
        let plain = [
            "id",
            "kind",
            "limit_kind",
            "region",
            "debits_posted",
            "credits_posted",
            "debits_pending",
            "credits_pending",
        ];
        parts.push(branch(
            4,
            account(plain),
            &format!("FROM ledger_account WHERE id IN ({accounts})"),
        ));
    }
    let union = parts.join(" UNION ALL ");
    if lock {
        format!("WITH h AS (SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE) {union}")
    } else {
        union
    }
}

/// The next power of two (0 stays 0): the padded length of a parameter list.
fn padded(n: usize) -> usize {
    if n == 0 { 0 } else { n.next_power_of_two() }
}

fn nth_chunk<T>(v: &[T], i: usize) -> &[T] {
    let lo = (i * LOAD_CHUNK).min(v.len());
    &v[lo..(lo + LOAD_CHUNK).min(v.len())]
}

/// Load what `batch` refers to into a state (see [`load_sql`]).
fn load_state(db: &mut Db, batch: &[Request], lock: bool) -> Result<State> {
    let keys: Vec<&str> = batch
        .iter()
        .flat_map(|r| std::iter::once(r.key.as_str()).chain(r.target.as_deref()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let accounts: Vec<i64> = batch
        .iter()
        .flat_map(|r| r.debit.into_iter().chain(r.credit).map(|a| a.0))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let targets: Vec<&str> = batch
        .iter()
        .filter_map(|r| r.target.as_deref())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rounds = [keys.len(), targets.len(), accounts.len()]
        .iter()
        .map(|n| n.div_ceil(LOAD_CHUNK))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut head = None;
    let mut found: Vec<JournalEntry> = Vec::new();
    let mut resolvers: Vec<JournalEntry> = Vec::new();
    let mut reversed: HashMap<i64, i64> = HashMap::new();
    let chain = db.chain_hash()?;
    let mut state = State::default();
    for i in 0..rounds {
        let (ks, ts, accs) = (
            nth_chunk(&keys, i),
            nth_chunk(&targets, i),
            nth_chunk(&accounts, i),
        );
        // lists padded to a power of two with values that match nothing (no key is empty, no
        // account id negative), so that a few statement shapes are prepared and planned once
        let (nk, nt, na) = (padded(ks.len()), padded(ts.len()), padded(accs.len()));
        let mut params: Vec<Val<'_>> = Vec::with_capacity(nk + nt + na);
        params.extend(
            ks.iter()
                .map(|k| Val::Str(k))
                .chain(std::iter::repeat(Val::Str("")))
                .take(nk),
        );
        params.extend(
            ts.iter()
                .map(|k| Val::Str(k))
                .chain(std::iter::repeat(Val::Str("")))
                .take(nt),
        );
        params.extend(
            accs.iter()
                .map(|&a| Val::I64(a))
                .chain(std::iter::repeat(Val::I64(-1)))
                .take(na),
        );
        for r in db.query(&load_sql(nk, nt, na, lock && i == 0), &params)? {
            let row = r.get(1..).ok_or_else(|| short_row(&r))?;
            match r[0].i64()? {
                0 => head = Some(head_of(&row[0], &row[15])?),
                1 => found.push(entry_of(row)?),
                2 => resolvers.push(entry_of(row)?),
                3 => {
                    reversed.insert(row[0].i64()?, row[6].i64()?);
                }
                _ => {
                    // back into the order of ACCOUNT_COLS
                    let a: Row = [0, 3, 1, 2, 4, 5, 6, 11]
                        .iter()
                        .map(|&k| row[k].clone())
                        .collect();
                    let (a, _, _) = account_of(&a)?;
                    state.accounts.insert(a.id, a);
                }
            }
        }
    }
    state.head = head.ok_or_else(|| crate::corrupt("ledger_head", ""))?;
    state.chain = chain;
    let resolved_by: HashMap<i64, i64> = resolvers
        .iter()
        .filter_map(|e| e.transfer.target.map(|t| (t, e.transfer.id)))
        .collect();
    for e in found.into_iter().chain(resolvers) {
        let id = e.transfer.id;
        if state.transfers.contains_key(&id) {
            continue;
        }
        state.insert_known(Known {
            resolved_by: resolved_by.get(&id).copied(),
            reversed: Fen::new(reversed.get(&id).copied().unwrap_or(0)),
            transfer: e.transfer,
        });
    }
    Ok(state)
}

/// The balances of the accounts a batch loaded, as read.
fn balances_of(state: &State) -> HashMap<AccountId, Balances> {
    state
        .accounts
        .values()
        .map(|a| (a.id, a.balances))
        .collect()
}

/// A new transfer dated in a month its book has closed is refused ([`StoreError::PeriodClosed`]):
/// the whole batch, nothing written. Existing transfers (a retried key) are not new.
fn refuse_closed(db: &mut Db, created: &[JournalEntry]) -> Result<()> {
    let locks = crate::closing::locks(db)?;
    if locks.is_empty() {
        return Ok(());
    }
    for e in created {
        let t = &e.transfer;
        let Some(region) = t.debit.region() else {
            continue;
        };
        let Some(&through) = locks.get(&(region.get() as i64)) else {
            continue;
        };
        if t.date.period().yyyymm() <= through {
            let period = Period::from_yyyymm(through)
                .map(|p| p.to_string())
                .unwrap_or_else(|_| through.to_string());
            return Err(StoreError::PeriodClosed {
                region: region.get() as i64,
                period,
                date: t.date.to_string(),
                key: t.key.clone(),
            });
        }
    }
    Ok(())
}

fn write_batch(
    db: &mut Db,
    chart: &Chart,
    batch: &[Request],
    lines: &[Lines<'_>],
    now: i64,
) -> Result<Vec<TransferResult>> {
    let pg = db.backend() == Backend::Postgres;
    let mut state = load_state(db, batch, pg)?;
    let before = balances_of(&state);
    let head_before = state.head;
    let ex = execute(chart, &mut state, batch, now);
    if ex.created.is_empty() {
        return Ok(ex.results);
    }
    refuse_closed(db, &ex.created)?;
    let hexes: Vec<[String; 3]> = ex
        .created
        .iter()
        .map(|e| {
            [
                e.transfer.lines_digest.to_hex(),
                e.prev_hash.to_tagged(e.prev_alg),
                e.hash.to_tagged(e.alg),
            ]
        })
        .collect();
    // many transfers: COPY (PostgreSQL) or multi-row INSERTs (SQLite) first
    let bulk = ex.created.len() >= BULK_TRANSFERS;
    if bulk {
        db.bulk_insert("ledger_transfer", &TRANSFER_COL_LIST, &mut |sink| {
            for (e, [d, p, h]) in ex.created.iter().zip(&hexes) {
                sink.row(&transfer_vals(&e.transfer, d, p, h))?;
            }
            Ok(())
        })?;
    }
    // new balances, each row conditional on what was read
    let touched: BTreeSet<AccountId> = ex
        .created
        .iter()
        .flat_map(|e| [e.transfer.debit, e.transfer.credit])
        .collect();
    let mut rows: Vec<[i64; 9]> = Vec::with_capacity(touched.len());
    for id in touched {
        let (Some(old), Some(new)) = (before.get(&id), state.accounts.get(&id).map(|a| a.balances))
        else {
            return Err(StoreError::Invalid(format!(
                "ledger: account {id} changed but was not loaded"
            )));
        };
        rows.push([
            id.0,
            new.debits_posted.fen(),
            new.credits_posted.fen(),
            new.debits_pending.fen(),
            new.credits_pending.fen(),
            old.debits_posted.fen(),
            old.credits_posted.fen(),
            old.debits_pending.fen(),
            old.credits_pending.fen(),
        ]);
    }
    let head_hash = state.head.hash.to_tagged(state.head.alg);
    // The statements: [few transfers,] balances (per chunk of accounts), head. On PostgreSQL
    // they go as one statement (data-modifying WITH: one round trip); on SQLite one by one.
    let mut stmts: Vec<(String, Vec<Val<'_>>, u64)> = Vec::new();
    if !bulk {
        let mut params = Vec::with_capacity(17 * ex.created.len());
        for (e, [d, p, h]) in ex.created.iter().zip(&hexes) {
            params.extend(transfer_vals(&e.transfer, d, p, h));
        }
        stmts.push((String::new(), params, ex.created.len() as u64));
    }
    for chunk in rows.chunks(UPDATE_CHUNK) {
        // padded like the load lists: rows with account id -1 match nothing
        let pad = [-1i64, 0, 0, 0, 0, 0, 0, 0, 0];
        let params = chunk
            .iter()
            .chain(std::iter::repeat(&pad))
            .take(padded(chunk.len()))
            .flatten()
            .map(|&v| Val::I64(v))
            .collect();
        stmts.push((String::from("a"), params, chunk.len() as u64));
    }
    stmts.push((
        String::from("h"),
        vec![
            Val::I64(state.head.seq),
            Val::Str(&head_hash),
            Val::I64(head_before.seq),
        ],
        1,
    ));
    // SQL for each statement, with placeholders numbered from `from`
    let sql_of = |kind: &str, nparams: usize, from: usize| -> String {
        match kind {
            "" => {
                let rows: Vec<String> = (0..nparams / 17)
                    .map(|r| {
                        let b = from + r * 17;
                        format!(
                            "(${}, ${}, ${}, CAST(${} AS BIGINT), CAST(${} AS BIGINT), {})",
                            b,
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            placeholders(b + 5, 12)
                        )
                    })
                    .collect();
                format!(
                    "INSERT INTO ledger_transfer ({}) VALUES {}",
                    TRANSFER_COL_LIST.join(", "),
                    rows.join(", ")
                )
            }
            "a" => {
                let values: Vec<String> = (0..nparams / 9)
                    .map(|r| format!("({})", placeholders(from + r * 9, 9)))
                    .collect();
                format!(
                    "UPDATE ledger_account SET debits_posted = v.column2, credits_posted = v.column3, \
                     debits_pending = v.column4, credits_pending = v.column5 FROM (VALUES {}) AS v \
                     WHERE ledger_account.id = v.column1 AND ledger_account.debits_posted = v.column6 \
                     AND ledger_account.credits_posted = v.column7 AND ledger_account.debits_pending = v.column8 \
                     AND ledger_account.credits_pending = v.column9",
                    values.join(", ")
                )
            }
            _ => format!(
                "UPDATE ledger_head SET seq = ${from}, hash = ${} WHERE id = 1 AND seq = ${}",
                from + 1,
                from + 2
            ),
        }
    };
    let moved = |what: &str| {
        StoreError::Conflict(format!(
            "ledger: {what} changed concurrently; batch rolled back"
        ))
    };
    if pg {
        let mut ctes = Vec::new();
        let mut counts = Vec::new();
        let mut params: Vec<Val<'_>> = Vec::new();
        for (i, (kind, p, _)) in stmts.iter().enumerate() {
            ctes.push(format!(
                "w{i} AS ({} RETURNING 1)",
                sql_of(kind, p.len(), params.len() + 1)
            ));
            counts.push(format!("(SELECT count(*) FROM w{i})"));
            params.extend(p.iter().cloned());
        }
        let sql = format!("WITH {} SELECT {}", ctes.join(", "), counts.join(", "));
        let row = db
            .query_opt(&sql, &params)?
            .ok_or_else(|| moved("the ledger"))?;
        for ((_, _, want), got) in stmts.iter().zip(&row) {
            if got.i64()? != *want as i64 {
                return Err(moved("the ledger"));
            }
        }
    } else {
        for (kind, p, want) in &stmts {
            if db.exec(&sql_of(kind, p.len(), 1), p)? != *want {
                return Err(moved(if kind == "h" {
                    "the journal head"
                } else {
                    "an account"
                }));
            }
        }
    }
    write_lines(db, &ex.results, lines)?;
    Ok(ex.results)
}

/// The person-level lines of the transfers created now: copied into `ledger_line`, or their
/// source recorded.
fn write_lines(db: &mut Db, results: &[TransferResult], lines: &[Lines<'_>]) -> Result<()> {
    let mut with_lines: Vec<(i64, &[Line])> = Vec::new();
    let mut with_source: Vec<(i64, &LineSource)> = Vec::new();
    for (res, ls) in results.iter().zip(lines) {
        match (res, ls) {
            (Ok(Outcome::Created { id }), Lines::Stored(ls)) if !ls.is_empty() => {
                with_lines.push((*id, ls))
            }
            (Ok(Outcome::Created { id }), Lines::Source(s)) => with_source.push((*id, s)),
            _ => {}
        }
    }
    sources::write(db, &with_source)?;
    if !with_lines.is_empty() {
        db.bulk_insert(
            "ledger_line",
            &["transfer_id", "line_no", "person_id", "amount"],
            &mut |sink| {
                for (id, ls) in &with_lines {
                    for (no, l) in ls.iter().enumerate() {
                        sink.row(&[
                            Val::I64(*id),
                            Val::I64(no as i64),
                            Val::I64(l.person),
                            Val::I64(l.amount.fen()),
                        ])?;
                    }
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

fn transfer_vals<'a>(
    t: &'a Transfer,
    digest: &'a str,
    prev: &'a str,
    hash: &'a str,
) -> [Val<'a>; 17] {
    let opt = |v: Option<i64>| v.map(Val::I64).unwrap_or(Val::Null);
    let resolves = if matches!(t.op, Op::PostPending | Op::VoidPending) {
        t.target
    } else {
        None
    };
    [
        Val::I64(t.id),
        Val::Str(&t.key),
        Val::I64(t.op.code()),
        opt(t.target),
        opt(resolves),
        Val::I64(t.debit.0),
        Val::I64(t.credit.0),
        Val::I64(t.amount.fen()),
        Val::Str(&t.category),
        Val::Str(&t.reference),
        Val::I64(date_to_int(t.date)),
        Val::I64(t.linked as i64),
        Val::I64(t.line_count as i64),
        Val::Str(digest),
        Val::I64(t.recorded_at),
        Val::Str(prev),
        Val::Str(hash),
    ]
}
