//! The fund ledger on SQL (migration `0002_ledger.sql`), with the rules of `tongchou-ledger`.
//!
//! Every write is one database transaction:
//! 1. lock the journal head (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
//!    already holds the write lock), so journal entries are chained in one order;
//! 2. load what the batch refers to — the transfers under its keys and target keys (with their
//!    resolutions and reversals) and the accounts involved — into a [`State`];
//! 3. run the pure [`execute`] (the same code as [`tongchou_ledger::MemLedger`]);
//! 4. write the created transfers (multi-row INSERT / COPY when many), the new balances by
//!    conditional UPDATEs (`WHERE` the old balances, row count checked), the head, and the
//!    person-level lines (COPY on PostgreSQL, multi-row INSERT on SQLite);
//! 5. commit. A failure anywhere rolls everything back: a killed process leaves the ledger as if
//!    the batch had never started. Serialization failures on PostgreSQL are retried (the batch is
//!    idempotent by its keys).
//!
//! [`Ledger::check`] re-verifies everything from the stored rows and names the first broken item.

use crate::{Backend, Db, Result, Row, StoreError, Val};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tongchou_core::region::{Divisions, RegionCode};
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
const TRANSFER_COL_LIST: [&str; 17] = [
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
/// Rows per `IN (…)` list and per page when streaming.
const CHUNK: usize = 500;
const PAGE: i64 = 5000;
const LINE_PAGE: i64 = 100_000;
/// Below this many created transfers, plain INSERTs; at or above, [`Db::bulk_insert`].
const BULK_TRANSFERS: usize = 8;
const RETRIES: usize = 5;

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

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError(format!("ledger: unreadable row: {what}"))
}

fn retryable(e: &StoreError) -> bool {
    e.0.contains("(40001)") || e.0.contains("(40P01)")
}

/// Read a transfer row (columns in [`TRANSFER_COLS`] order) into a journal entry.
fn entry_of(r: &Row) -> Result<JournalEntry> {
    if r.len() < 16 {
        return Err(corrupt("short transfer row"));
    }
    let id = r[0].i64()?;
    let op = Op::from_code(r[2].i64()?)
        .ok_or_else(|| corrupt(format!("transfer {id}: op {:?}", r[2])))?;
    let date = date_from_int(r[9].i64()?)
        .ok_or_else(|| corrupt(format!("transfer {id}: value_date {:?}", r[9])))?;
    let hash = |i: usize| {
        Hash::from_hex(r[i].text()?)
            .ok_or_else(|| corrupt(format!("transfer {id}: hash column {i}")))
    };
    let transfer = Transfer {
        id,
        key: r[1].text()?.to_string(),
        op,
        target: r[3].opt_i64()?,
        debit: AccountId(r[4].i64()?),
        credit: AccountId(r[5].i64()?),
        amount: Fen(r[6].i64()?),
        category: r[7].text()?.to_string(),
        reference: r[8].text()?.to_string(),
        date,
        linked: r[10].i64()? != 0,
        line_count: u64::try_from(r[11].i64()?)
            .map_err(|_| corrupt(format!("transfer {id}: line_count")))?,
        lines_digest: hash(12)?,
        recorded_at: r[13].i64()?,
    };
    Ok(JournalEntry {
        transfer,
        prev_hash: hash(14)?,
        hash: hash(15)?,
    })
}

fn account_of(r: &Row) -> Result<(Account, i64, String)> {
    let id = AccountId(r[0].i64()?);
    let limit = Limit::from_code(r[3].i64()?)
        .ok_or_else(|| corrupt(format!("account {id}: limit_kind {:?}", r[3])))?;
    let balances = Balances {
        debits_posted: Fen(r[4].i64()?),
        credits_posted: Fen(r[5].i64()?),
        debits_pending: Fen(r[6].i64()?),
        credits_pending: Fen(r[7].i64()?),
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
                return Err(StoreError(format!(
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
        let none: Vec<&[Line]> = vec![&[]; batch.len()];
        self.run(batch.to_vec(), &none)
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
                    .map_err(|e| StoreError(format!("transfer {}: {e}", r.key)))?;
                r.lines = Some(s);
            }
            reqs.push(r);
            lines.push(*ls);
        }
        self.run(reqs, &lines)
    }

    fn run(&mut self, batch: Vec<Request>, lines: &[&[Line]]) -> Result<Vec<TransferResult>> {
        if let Some((r, _)) = batch
            .iter()
            .zip(lines)
            .find(|(r, ls)| r.lines.is_some() && ls.is_empty())
        {
            return Err(StoreError(format!(
                "transfer {}: a lines summary without the lines (use submit_with_lines)",
                r.key
            )));
        }
        let (chart, now) = (self.chart, (self.clock)());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = self
                .db
                .transaction(|db| write_batch(db, chart, &batch, lines, now));
            match r {
                Err(e) if attempt < RETRIES && retryable(&e) => {
                    std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
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
                        amount: Fen(r[2].i64()?),
                    },
                ))
            })
            .collect()
    }

    /// The stored journal head.
    pub fn head(&mut self) -> Result<Head> {
        read_head(self.db, false)
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
                Err(e) => fail!(format!("account row {:?}", r.first()), e.0),
            };
            let item = format!("account {} ({})", a.id, chart.label(a.id));
            match chart.kind_of(a.id) {
                Some(k)
                    if chart.allows(a.id)
                        && k.key == kind
                        && a.id.region().map(|r| r.get() as i64) == Some(region) =>
                {
                    if k.limit != a.limit {
                        fail!(
                            item,
                            format!("limit {:?} differs from the chart's {:?}", a.limit, k.limit)
                        );
                    }
                }
                _ => fail!(
                    item,
                    format!("region {region} / kind {kind} do not match the id or the chart")
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
                    Err(err) => fail!(format!("transfer row {:?}", r.first()), err.0),
                };
                after = e.transfer.id;
                let t = &e.transfer;
                if let Err(err) = replay.push(&e) {
                    report.head = replay.head();
                    fail!(format!("transfer {} ({})", t.id, t.key), err.to_string());
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
        let stored_head = read_head(self.db, false)?;
        if stored_head != replay.head() {
            fail!(
                "journal head",
                format!(
                    "stored head is entry {} ({}), the journal ends at entry {} ({})",
                    stored_head.seq,
                    stored_head.hash,
                    replay.head().seq,
                    replay.head().hash
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
                    format!("account {} ({})", a.id, chart.label(a.id)),
                    format!(
                        "stored balances {:?} are not the sum of its postings {:?}",
                        a.balances, rebuilt
                    )
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
        // lines: counts and sums in one pass, then the digests
        let sums = self.db.query(
            "SELECT transfer_id, COUNT(*), CAST(SUM(amount) AS BIGINT) FROM ledger_line GROUP BY transfer_id ORDER BY transfer_id",
            &[],
        )?;
        let mut seen = 0usize;
        for r in &sums {
            let (tid, n, sum) = (r[0].i64()?, r[1].i64()?, r[2].i64()?);
            report.lines += n;
            match with_lines.get(&tid) {
                None => fail!(
                    format!("lines of transfer {tid}"),
                    format!("{n} lines belong to no transfer that has lines")
                ),
                Some((count, amount, _)) if *count as i64 != n || amount.0 != sum => fail!(
                    format!("lines of transfer {tid}"),
                    format!(
                        "{n} lines summing to {sum} fen; the transfer has {count} lines and amount {} fen",
                        amount.0
                    )
                ),
                Some(_) => seen += 1,
            }
        }
        if seen != with_lines.len() {
            let missing = with_lines
                .keys()
                .find(|id| !sums.iter().any(|r| r[0].i64().ok() == Some(**id)));
            fail!(
                format!("lines of transfer {}", missing.copied().unwrap_or(0)),
                "its lines are missing"
            );
        }
        for (tid, (_, _, digest)) in &with_lines {
            let mut h = LinesHasher::default();
            let mut next = 0i64;
            loop {
                let page = self.lines(*tid, next - 1, LINE_PAGE as usize)?;
                for (no, line) in &page {
                    if *no != next {
                        fail!(
                            format!("lines of transfer {tid}"),
                            format!("line {next} is missing (found {no})")
                        );
                    }
                    h.push(line);
                    next += 1;
                }
                if (page.len() as i64) < LINE_PAGE {
                    break;
                }
            }
            match h.finish() {
                Ok(s) if s.digest == *digest => {}
                _ => fail!(
                    format!("lines of transfer {tid}"),
                    "the lines do not match the digest recorded in the journal"
                ),
            }
        }
        Ok(report)
    }
}

fn read_head(db: &mut Db, lock: bool) -> Result<Head> {
    let sql = if lock && db.backend() == Backend::Postgres {
        "SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT seq, hash FROM ledger_head WHERE id = 1"
    };
    let r = db
        .query_opt(sql, &[])?
        .ok_or_else(|| StoreError("ledger: the journal head row is missing".into()))?;
    let hash = Hash::from_hex(r[1].text()?).ok_or_else(|| corrupt("journal head hash"))?;
    Ok(Head {
        seq: r[0].i64()?,
        hash,
    })
}

fn load_transfers(db: &mut Db, column: &str, values: &[Val<'_>]) -> Result<Vec<JournalEntry>> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        let sql = format!(
            "SELECT {TRANSFER_COLS} FROM ledger_transfer WHERE {column} IN ({})",
            placeholders(1, chunk.len())
        );
        for r in db.query(&sql, chunk)? {
            out.push(entry_of(&r)?);
        }
    }
    Ok(out)
}

/// Load what `batch` refers to into a state: transfers under its keys and target keys, what
/// resolved or reversed them, and the accounts involved.
fn load_state(db: &mut Db, batch: &[Request]) -> Result<State> {
    let mut state = State {
        head: read_head(db, true)?,
        ..State::default()
    };
    let keys: BTreeSet<&str> = batch
        .iter()
        .flat_map(|r| std::iter::once(r.key.as_str()).chain(r.target.as_deref()))
        .collect();
    let vals: Vec<Val<'_>> = keys.iter().map(|k| Val::Str(k)).collect();
    let found = load_transfers(db, "idem_key", &vals)?;
    let ids: Vec<Val<'_>> = found.iter().map(|e| Val::I64(e.transfer.id)).collect();
    let resolvers = load_transfers(db, "resolves", &ids)?;
    let mut reversed: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT target_id, CAST(SUM(amount) AS BIGINT) FROM ledger_transfer WHERE op = 4 AND target_id IN ({}) GROUP BY target_id",
            placeholders(1, chunk.len())
        );
        for r in db.query(&sql, chunk)? {
            reversed.insert(r[0].i64()?, r[1].i64()?);
        }
    }
    let mut account_ids: BTreeSet<i64> = BTreeSet::new();
    for r in batch {
        account_ids.extend(r.debit.map(|a| a.0));
        account_ids.extend(r.credit.map(|a| a.0));
    }
    for e in &found {
        account_ids.insert(e.transfer.debit.0);
        account_ids.insert(e.transfer.credit.0);
    }
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
            reversed: Fen(reversed.get(&id).copied().unwrap_or(0)),
            transfer: e.transfer,
        });
    }
    let acc_vals: Vec<Val<'_>> = account_ids.iter().map(|&a| Val::I64(a)).collect();
    for chunk in acc_vals.chunks(CHUNK) {
        let sql = format!(
            "SELECT {ACCOUNT_COLS} FROM ledger_account WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        for r in db.query(&sql, chunk)? {
            let (a, _, _) = account_of(&r)?;
            state.accounts.insert(a.id, a);
        }
    }
    Ok(state)
}

fn write_batch(
    db: &mut Db,
    chart: &Chart,
    batch: &[Request],
    lines: &[&[Line]],
    now: i64,
) -> Result<Vec<TransferResult>> {
    if db.backend() == Backend::Postgres {
        // Writers serialize on the head row lock; under READ COMMITTED the lock holder then reads
        // the latest committed rows (under REPEATABLE READ it would fail with 40001 instead).
        db.batch("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
    }
    let mut state = load_state(db, batch)?;
    let before: HashMap<AccountId, Balances> = state
        .accounts
        .values()
        .map(|a| (a.id, a.balances))
        .collect();
    let head_before = state.head;
    let ex = execute(chart, &mut state, batch, now);
    if ex.created.is_empty() {
        return Ok(ex.results);
    }
    // transfers (= journal entries)
    if ex.created.len() < BULK_TRANSFERS {
        // target_id and resolves may be NULL: cast so PostgreSQL types the parameters
        let sql = format!(
            "INSERT INTO ledger_transfer ({}) VALUES ($1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT), {})",
            TRANSFER_COL_LIST.join(", "),
            placeholders(6, 12)
        );
        for e in &ex.created {
            let (p, h, d) = (
                e.prev_hash.to_hex(),
                e.hash.to_hex(),
                e.transfer.lines_digest.to_hex(),
            );
            db.exec(&sql, &transfer_vals(&e.transfer, &d, &p, &h))?;
        }
    } else {
        db.bulk_insert("ledger_transfer", &TRANSFER_COL_LIST, &mut |sink| {
            for e in &ex.created {
                let (p, h, d) = (
                    e.prev_hash.to_hex(),
                    e.hash.to_hex(),
                    e.transfer.lines_digest.to_hex(),
                );
                sink.row(&transfer_vals(&e.transfer, &d, &p, &h))?;
            }
            Ok(())
        })?;
    }
    // balances, each conditional on what was read
    let touched: BTreeSet<AccountId> = ex
        .created
        .iter()
        .flat_map(|e| [e.transfer.debit, e.transfer.credit])
        .collect();
    for id in touched {
        let (Some(old), Some(new)) = (before.get(&id), state.accounts.get(&id).map(|a| a.balances))
        else {
            return Err(StoreError(format!(
                "ledger: account {id} changed but was not loaded"
            )));
        };
        let n = db.exec(
            "UPDATE ledger_account SET debits_posted = $1, credits_posted = $2, debits_pending = $3, credits_pending = $4 \
             WHERE id = $5 AND debits_posted = $6 AND credits_posted = $7 AND debits_pending = $8 AND credits_pending = $9",
            &[
                Val::I64(new.debits_posted.0),
                Val::I64(new.credits_posted.0),
                Val::I64(new.debits_pending.0),
                Val::I64(new.credits_pending.0),
                Val::I64(id.0),
                Val::I64(old.debits_posted.0),
                Val::I64(old.credits_posted.0),
                Val::I64(old.debits_pending.0),
                Val::I64(old.credits_pending.0),
            ],
        )?;
        if n != 1 {
            return Err(StoreError(format!(
                "ledger: account {id} changed concurrently; batch rolled back"
            )));
        }
    }
    // the head
    let hash = state.head.hash.to_hex();
    let n = db.exec(
        "UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3",
        &[
            Val::I64(state.head.seq),
            Val::Str(&hash),
            Val::I64(head_before.seq),
        ],
    )?;
    if n != 1 {
        return Err(StoreError(
            "ledger: the journal head moved concurrently; batch rolled back".into(),
        ));
    }
    // person-level lines of the transfers created now
    let mut with_lines: Vec<(i64, &[Line])> = Vec::new();
    for (res, ls) in ex.results.iter().zip(lines) {
        if let (Ok(Outcome::Created { id }), false) = (res, ls.is_empty()) {
            with_lines.push((*id, ls));
        }
    }
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
                            Val::I64(l.amount.0),
                        ])?;
                    }
                }
                Ok(())
            },
        )?;
    }
    Ok(ex.results)
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
        Val::I64(t.amount.0),
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
