//! Benchmark (not a test): the fund governance of issues 11 and 12 on a synthetic province after
//! N simulated months, on the embedded default (SQLite file) or PostgreSQL.
//!
//! cargo run --release -p tongchou-app --example bench_governance -- [PERSONS] [sqlite|postgres] [MONTHS]
//!
//! The province is generated and loaded as `bench_month` does, MONTHS months from 2020-01 are run
//! as `tongchou month run --simulate` runs them (simulated tax bureau and bank, 20 rejections in
//! 10,000), then each use case is timed on its own: drafting next year's budget for every book
//! (`budget::draft`), the final accounts of the last month's year (`final_accounts::compute`),
//! computing and recording the year's gap (`gap::compute`, then `gap::show`), the assessment
//! (`assess::assess`), the warnings of the last month (`warn::compute`) and the 30-year
//! projection (`projection::project`, every scenario of the policy). The read-only steps run
//! `RUNS` times (default 3) and print every run. `REUSE=FILE` times the use cases again on the
//! SQLite file an earlier run left (`$TMPDIR/tongchou-bench/bench_gov.db`), MONTHS naming its
//! last month, after this build's migrations.

use std::time::Instant;
use tongchou_app::{assess, budget, final_accounts, gap, projection, warn};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Divisions, Period, Policy};

mod support;
use support::count;

fn timed<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) -> T {
    let mut secs = Vec::with_capacity(runs);
    let mut out = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        out = Some(f());
        secs.push(format!("{:.3}", t.elapsed().as_secs_f64()));
    }
    println!("{label}: {} s", secs.join(" / "));
    out.expect("at least one run")
}

/// An earlier run's SQLite file (migrated to this build's schema) and its provincial bureau
/// officer.
fn reuse(path: &str, last: Period) -> (tongchou_store::Db, Principal, Period) {
    let t = Instant::now();
    let mut db = tongchou_store::Db::open(&format!("sqlite://{path}")).expect("open");
    eprintln!(
        "reopened {path} (migrations included): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let row = db
        .query_opt(
            "SELECT id, login FROM users WHERE role = 'province_bureau_officer' ORDER BY id",
            &[],
        )
        .expect("users")
        .expect("an officer");
    let officer = Principal {
        user_id: row[0].i64().expect("id"),
        login: row[1].text().expect("login").to_string(),
        role: Role::ProvinceBureauOfficer,
        region: Divisions::shanxi().province().code,
        person_id: None,
    };
    (db, officer, last)
}

fn main() {
    let (persons, backend, rest) = support::args();
    let months: i32 = rest.first().and_then(|s| s.parse().ok()).unwrap_or(12);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let policy = Policy::builtin().expect("policy");
    let first: Period = "2020-01".parse().expect("p");
    eprintln!("province of {persons} insured on {backend}, {months} months");
    let (mut db, officer, last) = match std::env::var("REUSE") {
        // the SQLite file an earlier run left (its province and months as they were; only the
        // timed use cases run, after any new migration)
        Ok(path) => reuse(&path, first.add_months(months - 1)),
        Err(_) => {
            let (mut db, actors, setup) =
                support::province(&backend, "bench_gov", persons, "2020-01");
            eprintln!("setup (generate + load registry + accounts): {setup:.1} s");
            let out = std::env::temp_dir()
                .join("tongchou-bench")
                .join("gov-files");
            let mut last = first;
            for i in 0..months {
                last = first.add_months(i);
                let bank = Some(tongchou_sim::bank::counterpart(20, 1));
                let (c, d) = support::month(&mut db, &policy, &actors, &out, last, bank);
                eprintln!("month {last}: collection {c:.1} s, disbursement {d:.1} s");
            }
            (db, actors.officer, last)
        }
    };
    let year = last.year();
    println!(
        "persons {persons}, backend {backend}, months {months} ({first} to {last}): pensioners {}, ledger transfers {}, person-level lines {}, payroll lines {}, assessments {}",
        count(&mut db, "pensioners"),
        count(&mut db, "ledger_transfer"),
        count(&mut db, "ledger_line"),
        count(&mut db, "payroll_lines"),
        count(&mut db, "assessments"),
    );
    let who = &officer;
    let drafted = timed(&format!("budget draft {} (all books)", year + 1), 1, || {
        budget::draft(&mut db, &policy, who, year + 1, None, 0).expect("draft")
    });
    println!("  books drafted: {}", drafted.len());
    let fa = timed(&format!("final accounts {year}"), runs, || {
        final_accounts::compute(&mut db, year).expect("final accounts")
    });
    println!("  books: {}", fa.books.len());
    let on: Date = Period::new(year + 1, 1).expect("p").day(15);
    timed(&format!("gap inputs {year} (read only)"), runs, || {
        gap::inputs(&mut db, year).expect("gap inputs")
    });
    timed(&format!("gap compute {year} (recorded)"), 1, || {
        gap::compute(&mut db, who, year, on, "2021-01-15T09:00:00+08:00", 0).expect("gap")
    });
    let v = timed(&format!("gap show {year}"), runs, || {
        gap::show(&mut db, year, on).expect("gap show")
    });
    println!("  gap {} yuan", v.year.gap.grouped());
    let a = timed(&format!("assessment {year}"), runs, || {
        assess::assess(&mut db, year).expect("assess")
    });
    println!("  counties ranked: {}", a.counties.len());
    let w = timed(&format!("warnings {last}"), runs, || {
        warn::compute(&mut db, last).expect("warn")
    });
    println!("  regions: {}", w.regions.len());
    let p = timed(&format!("projection from {year}, 30 years"), runs, || {
        projection::project(&mut db, year, 30, &[]).expect("projection")
    });
    println!("  scenarios: {}", p.runs.len());
}
