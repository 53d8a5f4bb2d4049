//! Benchmark (not a test): importing the banks' returns of a whole payroll month (issue 10)
//! against the raw writing of the rows the import changes, on the embedded default (SQLite file)
//! or PostgreSQL, measured in the same run.
//!
//! cargo run --release -p tongchou-app --example bench_returns -- [PERSONS] [sqlite|postgres] [REJECTS]
//!
//! The province is generated and loaded as `bench_month` does; its first month is run as
//! `tongchou month run --simulate 1 --returns none` runs it (the payment files issued, no answer
//! read); the simulated bank then writes a pain.002 status report for every payment file, as a
//! bank sends them back, rejecting about REJECTS payments in 10,000 (default 20); and every file
//! is read from disk and imported by the provincial bureau officer through the use case
//! `tongchou bank returns import` calls (`disburse::import_returns`: role and region checks,
//! reconciliation, line states, the benefit transfers posted, the file recorded, audited). Only
//! the import is timed.
//!
//! Raw baseline: exactly the rows the import changed or inserted, in their final state, read back
//! in key order and bulk-written (`Db::bulk_insert`, one transaction per table) into the same
//! tables of a fresh database of the same engine: the payment lines it stored returned or paid one
//! by one and the messages it stored paid (migration 0073: a message paid whole leaves its lines'
//! rows as they were), and the rows it added (ledger transfers, return file records, audit
//! entries, quarantine).

use std::time::Instant;
use tongchou_app::disburse;
use tongchou_bank::DateTime;
use tongchou_core::{Period, Policy};
use tongchou_sim::bank::{SimulatedBank, answers};
use tongchou_store::ledger::Ledger;

mod support;
use support::{SKIP, count, raw_write, read_rows, table_counts};

fn main() {
    let (persons, backend, rest) = support::args();
    let rejects: u32 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(20);
    let policy = Policy::builtin().expect("policy");
    let month: Period = "2020-01".parse().expect("p");
    eprintln!("province of {persons} insured on {backend}");
    let (mut db, actors, setup) = support::province(&backend, "bench_returns", persons, "2020-01");
    eprintln!("setup (generate + load registry + accounts): {setup:.1} s");
    let out = std::env::temp_dir()
        .join("tongchou-bench")
        .join("returns-files");
    let (c, d) = support::month(&mut db, &policy, &actors, &out, month, None);
    eprintln!("month {month} with --returns none: collection {c:.1} s, disbursement {d:.1} s");

    // the banks' answers, written as files like a bank sends them back
    let answered_on = month.day(20);
    let bank = SimulatedBank { rejects, seed: 1 };
    let at = DateTime::new(answered_on, 18, 0, 0).expect("time");
    let dir = out.join("pain002");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut paths = Vec::new();
    let mut bytes_total = 0usize;
    for (msg, bytes) in answers(&mut db, month, &bank, at).expect("answers") {
        let p = dir.join(format!("{msg}.pain002.xml"));
        std::fs::write(&p, &bytes).expect("write");
        bytes_total += bytes.len();
        paths.push(p);
    }
    let issued = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines WHERE status = 'issued'",
            &[],
        )
        .expect("issued");

    // the import, file by file, as `tongchou bank returns import FILE` reads them
    let before = table_counts(&mut db);
    let on = month.day(21);
    let (mut accepted, mut rejected, mut quarantined, mut posted) = (0u64, 0u64, 0u64, 0u64);
    let t = Instant::now();
    for p in &paths {
        let bytes = std::fs::read(p).expect("read");
        let name = p.display().to_string();
        let r = disburse::import_returns(&mut db, &actors.officer, &name, &bytes, on, 0)
            .expect("import");
        accepted += r.accepted;
        rejected += r.rejected;
        quarantined += r.quarantined + r.conflicts;
        posted += r.posted_transfers;
    }
    let t_import = t.elapsed().as_secs_f64();
    let after = table_counts(&mut db);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    assert_eq!(
        accepted + rejected,
        issued as u64,
        "every issued payment answered"
    );

    // Raw baseline: the rows the import rewrote and the rows it added, into a fresh database of
    // the same engine. Since migration 0073 an accepted payment's row is not rewritten when its
    // message is paid whole: the rows rewritten are the payment lines stored returned or paid one
    // by one, and the messages stored paid.
    let mut raw_db =
        tongchou_store::Db::open(&support::url(&backend, "bench_returns_raw")).expect("open raw");
    let (cols, lines) = read_rows(
        &mut db,
        "payroll_line_rows",
        "status IN ('paid', 'returned')",
    );
    let mut raw = raw_write(&mut raw_db, "payroll_line_rows", &cols, &lines);
    let (fcols, files) = read_rows(&mut db, "payment_files", "paid = 1");
    let files_secs = raw_write(&mut raw_db, "payment_files", &fcols, &files);
    let mut per_table = vec![
        format!("payroll_line_rows {} updated ({raw:.2} s)", lines.len()),
        format!("payment_files {} updated ({files_secs:.2} s)", files.len()),
    ];
    raw += files_secs;
    let mut rows = lines.len() + files.len();
    drop(lines);
    for (table, n_after) in &after {
        let n_before = before.get(table).copied().unwrap_or(0);
        if n_after <= &n_before || SKIP.contains(&table.as_str()) {
            continue;
        }
        let (cols, all) = read_rows(&mut db, table, "");
        let new_rows = &all[all.len() - (n_after - n_before) as usize..];
        let secs = raw_write(&mut raw_db, table, &cols, new_rows);
        raw += secs;
        rows += new_rows.len();
        per_table.push(format!("{table} {} inserted ({secs:.2} s)", new_rows.len()));
    }
    println!(
        "persons {persons}, pensioners {}, backend {backend}: {} return files ({:.1} MB) answering {issued} payments",
        count(&mut db, "pensioners"),
        paths.len(),
        bytes_total as f64 / 1e6
    );
    println!(
        "import: {t_import:.2} s ({accepted} accepted, {rejected} rejected, {quarantined} quarantined, {posted} transfers posted)"
    );
    println!(
        "raw bulk write of the rows it changed: {raw:.2} s, {rows} rows: {}",
        per_table.join(", ")
    );
    println!("ratio import / raw: {:.2}", t_import / raw);
}
