//! Shared by the benchmark examples (`bench_month`, `bench_governance`, `bench_returns`): where
//! the databases go, a synthetic province loaded with its users and paying accounts, one
//! simulated month as `tongchou month run --simulate` runs it, row counts of every table, and the
//! raw baseline: rows read back in key order and bulk-written into the same table of a fresh
//! database of the same engine.

#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
pub mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, Actors, Counterpart, MonthOptions};
use tongchou_core::{Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::{Backend, Db, Val, Value};

/// A database of the engine (`sqlite`: a fresh file under the temporary directory; `postgres`:
/// a fresh database of the test server) named by `tag`.
pub fn url(backend: &str, tag: &str) -> String {
    match backend {
        "postgres" => tongchou_store::testing::pg_url(tag),
        _ => {
            let dir = std::env::temp_dir().join("tongchou-bench");
            let _ = std::fs::create_dir_all(&dir);
            let p = dir.join(format!("{tag}.db"));
            for s in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{s}", p.display()));
            }
            format!("sqlite://{}", p.display())
        }
    }
}

/// The benchmark's arguments: persons (default 1,000,000), engine (default sqlite), then the
/// example's own.
pub fn args() -> (usize, String, Vec<String>) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let persons = args
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let backend = args.get(1).cloned().unwrap_or_else(|| "sqlite".into());
    (persons, backend, args.into_iter().skip(2).collect())
}

/// A fresh database `tag` of `backend` holding a synthetic province of `persons` from `start`,
/// its ledger accounts, the month's officer and approver and the county agencies' paying
/// accounts; with the seconds the setup took.
pub fn province(backend: &str, tag: &str, persons: usize, start: &str) -> (Db, Actors, f64) {
    let mut db = Db::open(&url(backend, tag)).expect("open");
    let t = Instant::now();
    common::province(&mut db, persons, start);
    let actors = common::actors(&mut db);
    (db, actors, t.elapsed().as_secs_f64())
}

/// One simulated month as `tongchou month run --simulate SEED` runs it: the collection close
/// (simulated tax bureau), other departments' records of pensioners seen alive, then the
/// disbursement with the dues and the certification's sweep; `bank` answers the month's files
/// (`None`: `--returns none`, the files are issued and the returns left to be imported). Bank
/// files under `out/M`. Returns the seconds of the collection close and of the disbursement.
pub fn month(
    db: &mut Db,
    policy: &Policy,
    actors: &Actors,
    out: &Path,
    month: Period,
    bank: Option<Counterpart>,
) -> (f64, f64) {
    let t = Instant::now();
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 1,
        behaviour: Behaviour::default(),
    });
    collect::run_month(db, policy, month, src).expect("collection");
    let t_collect = t.elapsed().as_secs_f64();
    let t = Instant::now();
    if let Some(bytes) = tongchou_sim::alive::records(db, policy, month, 1).expect("alive") {
        let on = month.day(1);
        tongchou_app::certification::import_alive(
            db,
            &actors.officer,
            &format!("alive-{month}.csv"),
            &bytes,
            on,
            0,
        )
        .expect("alive records");
    }
    let mut opts = MonthOptions::new(&out.join(month.to_string()));
    opts.timing = std::env::var_os("TONGCHOU_TIMING").is_some();
    opts.bank = bank;
    opts.include_dues = true;
    opts.certify = true;
    disburse::run_month(db, policy, month, actors, &opts).expect("disbursement");
    (t_collect, t.elapsed().as_secs_f64())
}

/// With `TONGCHOU_TIMING` set, print the resident memory after `phase` and the process's peak
/// so far (VmRSS, VmHWM of `/proc/self/status`, MiB; the peak is never reset, so that
/// `/usr/bin/time -v` still reports the whole process's): a phase raised the peak when its
/// line shows a higher one than the line before.
pub fn mem(phase: &str) {
    if std::env::var_os("TONGCHOU_TIMING").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    eprintln!(
        "memory after {phase}: resident {} MiB, peak so far {} MiB",
        kib("VmRSS:") / 1024,
        kib("VmHWM:") / 1024
    );
}

pub fn count(db: &mut Db, table: &str) -> i64 {
    db.query_i64(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap_or(0)
}

/// Bookkeeping tables a raw baseline leaves out: the job's own step records and the migration
/// list (a handful of rows, not the month's data).
pub const SKIP: [&str; 3] = ["job_steps", "schema_migrations", "jobs"];

/// Row counts of every table.
pub fn table_counts(db: &mut Db) -> BTreeMap<String, i64> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            // the partitioned tables (migration 0059) once, not again through their partitions
            "SELECT CAST(relname AS TEXT) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1"
        }
    };
    let names: Vec<String> = db
        .query(sql, &[])
        .expect("tables")
        .iter()
        .map(|r| r[0].text().expect("name").to_string())
        .collect();
    names
        .into_iter()
        .map(|t| {
            let n = count(db, &t);
            (t, n)
        })
        .collect()
}

/// A table's columns and its primary key (the order its rows are read back in).
pub fn columns(db: &mut Db, table: &str) -> (Vec<String>, String) {
    let rows = match db.backend() {
        Backend::Sqlite => db.query(
            "SELECT name, pk FROM pragma_table_info($1) ORDER BY cid",
            &[Val::Str(table)],
        ),
        Backend::Postgres => db.query(
            "SELECT CAST(c.column_name AS TEXT), CAST(COALESCE(k.ordinal_position, 0) AS BIGINT)
             FROM information_schema.columns c
             LEFT JOIN information_schema.table_constraints t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY'
             LEFT JOIN information_schema.key_column_usage k
               ON k.constraint_name = t.constraint_name AND k.table_schema = c.table_schema AND k.column_name = c.column_name
             WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position",
            &[Val::Str(table)],
        ),
    }
    .expect("columns");
    let cols: Vec<String> = rows
        .iter()
        .map(|r| r[0].text().expect("col").to_string())
        .collect();
    let mut pk: Vec<(i64, String)> = rows
        .iter()
        .filter(|r| r[1].i64().unwrap_or(0) > 0)
        .map(|r| {
            (
                r[1].i64().unwrap_or(0),
                r[0].text().expect("col").to_string(),
            )
        })
        .collect();
    pk.sort();
    let order = if pk.is_empty() {
        cols[0].clone()
    } else {
        pk.into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>()
            .join(", ")
    };
    (cols, order)
}

/// A table's rows (those `filter` keeps, a SQL condition; all when empty) in key order, with
/// its columns.
pub fn read_rows(db: &mut Db, table: &str, filter: &str) -> (Vec<String>, Vec<Vec<Value>>) {
    let (cols, sql) = select(db, table, filter);
    let rows = db.query(&sql, &[]).expect("read back");
    (cols, rows)
}

/// The SQL reading a table's rows in key order (those `filter` keeps, a SQL condition; all when
/// empty), with its columns.
fn select(db: &mut Db, table: &str, filter: &str) -> (Vec<String>, String) {
    let (cols, order) = columns(db, table);
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" WHERE {filter}")
    };
    let sql = format!(
        "SELECT {} FROM {table}{filter} ORDER BY {order}",
        cols.join(", ")
    );
    (cols, sql)
}

/// Columns stored that are no fact of their own, left out of [`rows_digest`]: the receipt that
/// paid an assessment in full at once (migration 0067), digested as the row of the view
/// `applications` it implies; so that the digests of a build before 0067 and one after compare.
const STORED_ONLY: [(&str, &str); 1] = [("assessments", "paid_by")];

/// Tables and views [`rows_digest`] reads in an order of its own: a view in the key order of the
/// table it replaces (migration 0067), the assessments in the order of their identity (person,
/// period), whatever their storage order (SQLite's (period, county, person), PostgreSQL's
/// (period, person) since migrations 0069 and 0070), so that builds and engines compare.
const VIEW_KEYS: [(&str, &str); 2] = [
    ("applications", "receipt, period"),
    ("assessments", "person_id, period"),
];

/// The SHA-256 (hex) of a table's rows in key order as `format!("{:?}", rows)` writes them
/// (`read_rows`' rows), computed as they are read: equal to the digest of that text, without
/// holding the rows or the text.
pub fn rows_digest(db: &mut Db, table: &str) -> String {
    use sha2::{Digest, Sha256};
    let (cols, order) = columns(db, table);
    let cols: Vec<String> = cols
        .into_iter()
        .filter(|c| !STORED_ONLY.contains(&(table, c.as_str())))
        .collect();
    let order = VIEW_KEYS
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(order, |(_, k)| k.to_string());
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", cols.join(", "));
    let mut h = Sha256::new();
    let mut first = true;
    h.update(b"[");
    db.each(&sql, &[], |r| {
        if !first {
            h.update(b", ");
        }
        first = false;
        h.update(format!("{:?}", r.values()?).as_bytes());
        Ok(())
    })
    .expect("read back");
    h.update(b"]");
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The raw write of a table's rows after its first `skip` in key order: read back from `db` and
/// bulk-written into the same table of `raw`, one transaction, 100,000 rows at a time; the
/// seconds the writing took (the batches' writes and the commit).
pub fn raw_copy(db: &mut Db, raw: &mut Db, table: &str, skip: usize) -> f64 {
    const BATCH: usize = 100_000;
    let (cols, sql) = select(db, table, "");
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let mut secs = 0.0;
    let mut write = |raw: &mut Db, rows: &mut Vec<Vec<Value>>| {
        let t = Instant::now();
        raw.bulk_insert_values(table, &col_refs, rows)
            .expect("raw insert");
        secs += t.elapsed().as_secs_f64();
        rows.clear();
    };
    let (mut seen, mut rows) = (0usize, Vec::with_capacity(BATCH));
    raw.begin().expect("begin raw");
    db.each(&sql, &[], |r| {
        seen += 1;
        if seen > skip {
            rows.push(r.values()?);
            if rows.len() == BATCH {
                write(raw, &mut rows);
            }
        }
        Ok(())
    })
    .expect("read back");
    write(raw, &mut rows);
    let t = Instant::now();
    raw.commit().expect("commit raw");
    secs + t.elapsed().as_secs_f64()
}

/// The raw write: `rows` bulk-written (`Db::bulk_insert`, one transaction) into `table` of
/// `raw`; the seconds it took.
pub fn raw_write(raw: &mut Db, table: &str, cols: &[String], rows: &[Vec<Value>]) -> f64 {
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let t = Instant::now();
    raw.bulk_insert_values(table, &col_refs, rows)
        .expect("raw insert");
    t.elapsed().as_secs_f64()
}
