//! Benchmark (not a test): one full month of a synthetic province on the embedded default
//! (SQLite file) or PostgreSQL, against the raw write speed of the same rows into the same tables
//! of a fresh database of the same engine, measured in the same run.
//!
//! cargo run --release -p tongchou-engine --example bench_month -- [PERSONS] [sqlite|postgres]
//!
//! Steps timed: collection close (assessment, simulated tax receipts, matching, arrears, ledger
//! postings with person-level lines) and the disbursement month (payroll, plans, approval,
//! allocation, pass-down, pain.001/CSV files, simulated pain.002 returns read back).
//! Raw baseline: bulk inserts of as many rows, of the same shapes, into the same tables.

use std::time::Instant;
use tongchou_core::{Divisions, Period, Policy};
use tongchou_engine::collect::{self, ReceiptSource};
use tongchou_engine::disburse::{self, MonthOptions};
use tongchou_engine::simulate::Behaviour;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, RowSink, Val};

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

/// Time one bulk write into `table` of `db` (one transaction).
fn raw(
    db: &mut Db,
    table: &str,
    cols: &[&str],
    fill: &mut dyn FnMut(&mut dyn RowSink) -> tongchou_store::Result<()>,
) -> f64 {
    let t = Instant::now();
    db.bulk_insert(table, cols, fill).expect("raw insert");
    t.elapsed().as_secs_f64()
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

    let t = Instant::now();
    let c = collect::run_month(
        &mut db,
        &policy,
        month,
        ReceiptSource::Simulated {
            seed: 1,
            behaviour: Behaviour::default(),
        },
    )
    .expect("collection");
    let t_collect = t.elapsed().as_secs_f64();
    let lines_after_collection = count(&mut db, "ledger_line");
    let out = std::env::temp_dir().join("tongchou-bench").join("files");
    let mut opts = MonthOptions::new(&out);
    opts.simulate_rejects = Some(20);
    let t = Instant::now();
    disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("disbursement");
    let t_disburse = t.elapsed().as_secs_f64();
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);

    let n_assess = count(&mut db, "assessments");
    let n_receipts = count(&mut db, "receipts");
    let n_apps = count(&mut db, "applications");
    let n_arrears = count(&mut db, "arrears");
    let n_lines = count(&mut db, "ledger_line");
    let n_payroll = count(&mut db, "payroll_lines");
    let rows = n_assess + n_receipts + n_apps + n_arrears + n_lines + n_payroll;

    // raw baseline: the same numbers of rows into the same tables of a fresh database
    let u2 = url(backend, "bench_raw");
    let mut raw_db = Db::open(&u2).expect("open raw");
    let r_assess = raw(
        &mut raw_db,
        "assessments",
        &collect::ASSESSMENTS_COLS,
        &mut |sink| {
            for i in 0..n_assess {
                sink.row(&[
                    Val::I64(i),
                    Val::I64(202001),
                    Val::I64(140105),
                    Val::I64(i % 1000 + 1),
                    Val::Str("employee"),
                    Val::I64(500_000),
                    Val::I64(500_000),
                    Val::I64(80_000),
                    Val::I64(40_000),
                    Val::Str("2020-01-31"),
                    Val::I64(202001),
                ])?;
            }
            Ok(())
        },
    );
    let r_receipts = raw(
        &mut raw_db,
        "receipts",
        &collect::RECEIPTS_COLS,
        &mut |sink| {
            for i in 0..n_receipts {
                let k = format!("T202001-{i}");
                sink.row(&[
                    Val::Str(&k),
                    Val::I64(i),
                    Val::I64(202001),
                    Val::I64(120_000),
                    Val::Str("2020-01-25"),
                    Val::I64(7),
                ])?;
            }
            Ok(())
        },
    );
    let r_apps = raw(
        &mut raw_db,
        "applications",
        &collect::APPLICATIONS_COLS,
        &mut |sink| {
            for i in 0..n_apps {
                let k = format!("T202001-{i}");
                sink.row(&[
                    Val::Str(&k),
                    Val::I64(202001),
                    Val::I64(i),
                    Val::I64(140105),
                    Val::I64(120_000),
                    Val::I64(80_000),
                    Val::I64(40_000),
                    Val::I64(0),
                    Val::I64(0),
                    Val::I64(202001),
                ])?;
            }
            Ok(())
        },
    );
    let r_arrears = raw(
        &mut raw_db,
        "arrears",
        &collect::ARREARS_COLS,
        &mut |sink| {
            for i in 0..n_arrears {
                sink.row(&[
                    Val::I64(i),
                    Val::I64(202001),
                    Val::I64(140105),
                    Val::I64(1),
                    Val::Str("2020-01-31"),
                    Val::I64(120_000),
                    Val::I64(40_000),
                    Val::I64(60_000),
                ])?;
            }
            Ok(())
        },
    );
    let r_lines = raw(
        &mut raw_db,
        "ledger_line",
        &["transfer_id", "line_no", "person_id", "amount"],
        &mut |sink| {
            for i in 0..n_lines {
                sink.row(&[
                    Val::I64(i / 100_000 + 1),
                    Val::I64(i),
                    Val::I64(i),
                    Val::I64(40_000),
                ])?;
            }
            Ok(())
        },
    );
    let r_payroll = raw(
        &mut raw_db,
        "payroll_lines",
        &[
            "month",
            "person_id",
            "item",
            "attempt",
            "county",
            "amount_fen",
            "end_to_end",
            "status",
        ],
        &mut |sink| {
            for i in 0..n_payroll {
                let e = format!("E2E{i}");
                sink.row(&[
                    Val::I64(202001),
                    Val::I64(i),
                    Val::Str("basic_pension"),
                    Val::I64(0),
                    Val::I64(140105),
                    Val::I64(350_000),
                    Val::Str(&e),
                    Val::Str("paid"),
                ])?;
            }
            Ok(())
        },
    );
    let t_raw = r_assess + r_receipts + r_apps + r_arrears + r_lines + r_payroll;
    // split the raw time of the ledger lines between the two jobs by their row counts
    let share = if n_lines > 0 {
        lines_after_collection as f64 / n_lines as f64
    } else {
        0.0
    };
    let raw_collect = r_assess + r_receipts + r_apps + r_arrears + r_lines * share;
    let raw_disburse = r_payroll + r_lines * (1.0 - share);
    let month_s = t_collect + t_disburse;
    println!(
        "persons {persons}, contributors {}, pensioners {pensioners}, backend {backend}",
        c.contributors
    );
    println!(
        "rows written by the month: {rows} (assessments {n_assess}, receipts {n_receipts}, applications {n_apps}, arrears {n_arrears}, ledger lines {n_lines}, payroll lines {n_payroll})"
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
        "collection close / raw of its rows: {:.2} ({t_collect:.2} s / {raw_collect:.2} s); disbursement / raw of its rows: {:.2} ({t_disburse:.2} s / {raw_disburse:.2} s)",
        t_collect / raw_collect,
        t_disburse / raw_disburse
    );
    let _ = Divisions::shanxi();
}
