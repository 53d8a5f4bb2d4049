//! Benchmark (not a test): one full month of a synthetic province on the embedded default
//! (SQLite file) or PostgreSQL, against the raw write speed of the same rows into the same tables
//! of a fresh database of the same engine, measured in the same run.
//!
//! cargo run --release -p tongchou-app --example bench_month -- [PERSONS] [sqlite|postgres] [MONTHS]
//!
//! MONTHS (default 1): months after the first are run and timed one by one, each on the
//! history of those before it (a steady-state month), without a raw baseline of their own.
//!
//! Steps timed: collection close (assessment, simulated tax receipts, matching, arrears, ledger
//! postings with person-level lines) and the disbursement month (payroll, plans, approval,
//! allocation, pass-down, pain.001/CSV files, simulated pain.002 returns read back).
//! Raw baseline: the rows the month inserted, read back and bulk-inserted into the same tables of
//! a fresh database (same keys, same values), one transaction per table.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, Actors, MonthOptions};
use tongchou_core::{Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

/// The allocator of the `tongchou` binary (`tc-cli/src/main.rs`), so that the month timed here
/// is the month `tongchou month run` runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;
use support::{SKIP, count, mem, raw_copy, rows_digest, table_counts};

fn main() {
    let (persons, backend, rest) = support::args();
    // months after the first, timed one by one (each on the history of those before)
    let later: u32 = rest
        .first()
        .map(|m| m.parse::<u32>().expect("MONTHS: a number") - 1)
        .unwrap_or(0);
    let backend = backend.as_str();
    let policy = Policy::builtin().expect("policy");
    let month: Period = "2020-01".parse().expect("p");
    eprintln!("province of {persons} insured on {backend}");

    let (mut db, actors, setup) = support::province(backend, "bench_month", persons, "2020-01");
    let pensioners = count(&mut db, "pensioners");
    eprintln!("setup (generate + load registry + accounts): {setup:.1} s, {pensioners} pensioners");
    mem("setup");

    let before = table_counts(&mut db);
    let out = std::env::temp_dir().join("tongchou-bench").join("files");
    let mut mid = BTreeMap::new();
    let (c, t_collect, t_disburse) = one_month(&mut db, &policy, &actors, month, &out, |db| {
        mem("collection close");
        mid = table_counts(db);
    });
    mem("disbursement");
    checks(&mut db, "");
    let after = table_counts(&mut db);
    // what the month left, to compare two builds: the disbursement's state digest and the
    // collection's rows (every table the collection writes, in key order)
    let disbursed = disburse::state_digest(&mut db).expect("digest");
    let mut collected = String::new();
    for t in [
        "assessments",
        "receipts",
        "applications",
        "arrears",
        "unapplied",
        "collection_postings",
        "assessment_totals",
    ] {
        collected.push_str(&format!("{t} {}\n", rows_digest(&mut db, t)));
    }
    let collected = tongchou_bank::file_digest(collected.as_bytes());
    mem("digests (benchmark)");

    // Raw baseline: the very rows the month inserted (same tables, same keys, same values, same
    // order), read back and bulk-written into the same tables of a fresh database of the same
    // engine, one transaction per table, streamed (a batch of rows at a time); only the writing
    // is timed.
    let mut raw_db =
        tongchou_store::Db::open(&support::url(backend, "bench_raw")).expect("open raw");
    let (mut rows_c, mut rows_d, mut raw_c, mut raw_d) = (0i64, 0i64, 0.0f64, 0.0f64);
    let mut per_table = Vec::new();
    for (table, n_after) in &after {
        let n_before = before.get(table).copied().unwrap_or(0);
        let n_mid = mid.get(table).copied().unwrap_or(0);
        if n_after <= &n_before || SKIP.contains(&table.as_str()) {
            continue;
        }
        // the rows the month added are the last ones in key order (ids and months only grow)
        let added = (n_after - n_before) as usize;
        let split = (n_mid - n_before).clamp(0, n_after - n_before) as usize;
        let secs = raw_copy(&mut db, &mut raw_db, table, n_before as usize);
        // a table both jobs write (the ledger) is split by the rows each added
        let share = split as f64 / added as f64;
        raw_c += secs * share;
        raw_d += secs * (1.0 - share);
        rows_c += split as i64;
        rows_d += (added - split) as i64;
        per_table.push(format!("{table} {added} ({secs:.2} s)"));
    }
    mem("raw baseline (benchmark)");
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
        "ledger check and month reconcile passed; disbursement state digest {disbursed}; collection rows digest {collected}"
    );
    println!(
        "collection close / raw of its rows: {:.2} ({t_collect:.2} s / {raw_c:.2} s); disbursement / raw of its rows: {:.2} ({t_disburse:.2} s / {raw_d:.2} s)",
        t_collect / raw_c,
        t_disburse / raw_d
    );
    later_months(&mut db, &policy, &actors, month, later, &out);
}

/// `ledger check` and `month reconcile`, which must pass, each timed (`what` names the
/// months checked in the lines printed).
fn checks(db: &mut Db, what: &str) {
    let t = Instant::now();
    let check = Ledger::new(db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let t_check = t.elapsed().as_secs_f64();
    mem(&format!("ledger check{what}"));
    let t = Instant::now();
    let problems = collect::reconcile(db).expect("reconcile");
    assert!(problems.is_empty(), "{problems:?}");
    let t_reconcile = t.elapsed().as_secs_f64();
    mem(&format!("month reconcile{what}"));
    println!("ledger check{what}: {t_check:.2} s; month reconcile{what}: {t_reconcile:.2} s");
}

/// One month as the benchmark times it: the collection close (the simulated tax bureau's
/// receipts), `between` (untimed), then the disbursement month with the simulated banks'
/// returns; the close's report and the seconds of each.
fn one_month(
    db: &mut Db,
    policy: &Policy,
    actors: &Actors,
    month: Period,
    out: &Path,
    mut between: impl FnMut(&mut Db),
) -> (collect::MonthReport, f64, f64) {
    let t = Instant::now();
    let c = collect::run_month(
        db,
        policy,
        month,
        ReceiptSource::Counterpart(&TaxBureau {
            seed: 1,
            behaviour: Behaviour::default(),
        }),
    )
    .expect("collection");
    let t_collect = t.elapsed().as_secs_f64();
    between(db);
    let mut opts = MonthOptions::new(out);
    opts.timing = std::env::var_os("TONGCHOU_TIMING").is_some();
    opts.bank = Some(tongchou_sim::bank::counterpart(20, 1));
    let t = Instant::now();
    disburse::run_month(db, policy, month, actors, &opts).expect("disbursement");
    (c, t_collect, t.elapsed().as_secs_f64())
}

/// The `later` months after `first`, each timed on the history the months before it left
/// (the first month is the only one with a raw baseline: its rows are the last in every
/// table's key order, a later month's are not — the assessments' key is (person, period));
/// the previous month's bank files are removed first (untimed); then `ledger check` and
/// `month reconcile` must pass.
fn later_months(
    db: &mut Db,
    policy: &Policy,
    actors: &Actors,
    first: Period,
    later: u32,
    out: &Path,
) {
    if later == 0 {
        return;
    }
    let mut month = first;
    for _ in 0..later {
        month = month.add_months(1);
        let _ = std::fs::remove_dir_all(out);
        let before = table_counts(db);
        let (_, t_collect, t_disburse) = one_month(db, policy, actors, month, out, |_| {});
        let after = table_counts(db);
        let rows: i64 = after
            .iter()
            .filter(|(t, _)| !SKIP.contains(&t.as_str()))
            .map(|(t, n)| n - before.get(t).copied().unwrap_or(0))
            .filter(|n| *n > 0)
            .sum();
        println!(
            "month {month}: collection close {t_collect:.2} s; disbursement {t_disburse:.2} s; month total {:.2} s; rows inserted {rows}",
            t_collect + t_disburse
        );
        mem(&format!("month {month}"));
    }
    checks(db, " (all months)");
    println!(
        "after {} months: ledger check and month reconcile passed",
        later + 1
    );
}
