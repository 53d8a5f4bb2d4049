//! Benchmark (not a test): one full month of a synthetic province on the embedded default
//! (SQLite file) or PostgreSQL, against the raw write speed of the same rows into the same tables
//! of a fresh database of the same engine, measured in the same run.
//!
//! cargo run --release -p tongchou-app --example bench_month -- [PERSONS] [sqlite|postgres]
//!
//! Steps timed: collection close (assessment, simulated tax receipts, matching, arrears, ledger
//! postings with person-level lines) and the disbursement month (payroll, plans, approval,
//! allocation, pass-down, pain.001/CSV files, simulated pain.002 returns read back).
//! Raw baseline: the rows the month inserted, read back and bulk-inserted into the same tables of
//! a fresh database (same keys, same values), one transaction per table.

use std::collections::BTreeMap;
use std::time::Instant;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_core::{Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Backend, Db, Val, Value};

#[path = "../tests/common/mod.rs"]
mod common;

fn count(db: &mut Db, table: &str) -> i64 {
    db.query_i64(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap_or(0)
}

fn url(backend: &str, tag: &str) -> String {
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

/// Bookkeeping tables the raw baseline leaves out: the job's own step records and the migration
/// list (a handful of rows, not the month's data).
const SKIP: [&str; 3] = ["job_steps", "schema_migrations", "jobs"];

/// Row counts of every table.
fn table_counts(db: &mut Db) -> BTreeMap<String, i64> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
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
fn columns(db: &mut Db, table: &str) -> (Vec<String>, String) {
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let persons: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let backend = args.get(2).map(String::as_str).unwrap_or("sqlite");
    let policy = Policy::builtin().expect("policy");
    let month: Period = "2020-01".parse().expect("p");
    eprintln!("province of {persons} insured on {backend}");

    let u = url(backend, "bench_month");
    let mut db = Db::open(&u).expect("open");
    let t = Instant::now();
    common::province(&mut db, persons, "2020-01");
    let actors = common::actors(&mut db);
    let setup = t.elapsed().as_secs_f64();
    let pensioners = count(&mut db, "pensioners");
    eprintln!("setup (generate + load registry + accounts): {setup:.1} s, {pensioners} pensioners");

    let before = table_counts(&mut db);
    let t = Instant::now();
    let c = collect::run_month(
        &mut db,
        &policy,
        month,
        ReceiptSource::Counterpart(&TaxBureau {
            seed: 1,
            behaviour: Behaviour::default(),
        }),
    )
    .expect("collection");
    let t_collect = t.elapsed().as_secs_f64();
    let mid = table_counts(&mut db);
    let out = std::env::temp_dir().join("tongchou-bench").join("files");
    let mut opts = MonthOptions::new(&out);
    opts.timing = std::env::var_os("TONGCHOU_TIMING").is_some();
    opts.bank = Some(tongchou_sim::bank::counterpart(20, 1));
    let t = Instant::now();
    disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("disbursement");
    let t_disburse = t.elapsed().as_secs_f64();
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let after = table_counts(&mut db);

    // Raw baseline: the very rows the month inserted (same tables, same keys, same values, same
    // order), read back and bulk-written into the same tables of a fresh database of the same
    // engine, one transaction per table; only the writing is timed.
    let u2 = url(backend, "bench_raw");
    let mut raw_db = Db::open(&u2).expect("open raw");
    let (mut rows_c, mut rows_d, mut raw_c, mut raw_d) = (0i64, 0i64, 0.0f64, 0.0f64);
    let mut per_table = Vec::new();
    for (table, n_after) in &after {
        let n_before = before.get(table).copied().unwrap_or(0);
        let n_mid = mid.get(table).copied().unwrap_or(0);
        if n_after <= &n_before || SKIP.contains(&table.as_str()) {
            continue;
        }
        let (cols, order) = columns(&mut db, table);
        let sql = format!("SELECT {} FROM {table} ORDER BY {order}", cols.join(", "));
        let rows = db.query(&sql, &[]).expect("read back");
        // the rows the month added are the last ones in key order (ids and months only grow)
        let new_rows = &rows[rows.len() - (n_after - n_before) as usize..];
        let split = (n_mid - n_before).clamp(0, n_after - n_before) as usize;
        let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        let t = Instant::now();
        raw_db
            .bulk_insert(table, &col_refs, &mut |sink| {
                let mut vals: Vec<Val<'_>> = Vec::with_capacity(col_refs.len());
                for r in new_rows {
                    vals.clear();
                    vals.extend(r.iter().map(|v| match v {
                        Value::Null => Val::Null,
                        Value::I64(x) => Val::I64(*x),
                        Value::Text(s) => Val::Str(s),
                    }));
                    sink.row(&vals)?;
                }
                Ok(())
            })
            .expect("raw insert");
        let secs = t.elapsed().as_secs_f64();
        // a table both jobs write (the ledger) is split by the rows each added
        let share = split as f64 / new_rows.len() as f64;
        raw_c += secs * share;
        raw_d += secs * (1.0 - share);
        rows_c += split as i64;
        rows_d += (new_rows.len() - split) as i64;
        per_table.push(format!("{table} {} ({secs:.2} s)", new_rows.len()));
        drop(rows);
    }
    let rows = rows_c + rows_d;
    let t_raw = raw_c + raw_d;
    let month_s = t_collect + t_disburse;
    println!(
        "persons {persons}, contributors {}, pensioners {pensioners}, backend {backend}",
        c.contributors
    );
    println!(
        "rows inserted by the month: {rows} (collection {rows_c}, disbursement {rows_d}): {}",
        per_table.join(", ")
    );
    println!(
        "collection close: {t_collect:.2} s; disbursement month (incl. bank files and returns): {t_disburse:.2} s; month total {month_s:.2} s"
    );
    println!(
        "raw bulk write of the same rows into the same tables: {t_raw:.2} s ({:.0} rows/s)",
        rows as f64 / t_raw
    );
    println!("ratio month / raw: {:.2}", month_s / t_raw);
    println!(
        "collection close / raw of its rows: {:.2} ({t_collect:.2} s / {raw_c:.2} s); disbursement / raw of its rows: {:.2} ({t_disburse:.2} s / {raw_d:.2} s)",
        t_collect / raw_c,
        t_disburse / raw_d
    );
}
