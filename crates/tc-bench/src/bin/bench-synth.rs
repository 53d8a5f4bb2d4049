//! Benchmark: generate a synthetic province, then apply the rules to it.
//!
//! `cargo run --release -p tongchou-bench --bin bench-synth -- --persons 10000000 --runs 3`
//!
//! Reports the median of `--runs` runs of: generating the province; the monthly contribution
//! assessment of every active contributor (`ContributionTerms::assess`, summed per county); and the
//! full pension rule (`rules::pension::pension`, with its explanation) for every pensioner, checked
//! against the components the generator stored.

use rayon::prelude::*;
use std::process::ExitCode;
use tongchou_bench::{Timing, arg, load_average, peak_rss_mib, report, timed};
use tongchou_core::Policy;
use tongchou_core::rules::contribution::ContributionTerms;
use tongchou_core::rules::pension::pension;
use tongchou_synth::{Options, Province, Status, generate_with};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-synth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let persons: usize = arg("--persons", 10_000_000)?;
    let runs: usize = arg("--runs", 3)?;
    let seed: u64 = arg("--seed", 1)?;
    let start: String = arg("--start", "2026-01".to_string())?;
    let options = Options {
        seed,
        persons,
        employers: None,
        start: start
            .parse()
            .map_err(|e: tongchou_core::period::DateError| e.0)?,
    };
    let policy = Policy::builtin().map_err(|e| e.to_string())?;
    println!(
        "bench-synth: {persons} persons, seed {seed}, start {start}, {} rayon threads, load average {}",
        rayon::current_num_threads(),
        load_average()
    );

    // 1. Generation (the province of the last run is kept for the rules).
    let mut times = Timing::default();
    let mut province: Option<Province> = None;
    for _ in 0..runs {
        drop(province.take()); // free the previous one before timing the next
        let (t, p) = timed(1, || generate_with(&policy, &options));
        let p = p.ok_or("no run")?.map_err(|e| e.to_string())?;
        times.push(t);
        province = Some(p);
    }
    let p = province.ok_or("--runs must be at least 1")?;
    println!(
        "generate {} persons, {} employers, {} pensioners: {}",
        p.persons.len(),
        p.employers.len(),
        p.pensioners.len(),
        report(&times)
    );
    let counts = p.status_counts();
    println!(
        "  statuses: {}",
        counts
            .iter()
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 2. Contribution assessment for the start month, per county.
    let terms = ContributionTerms::at(&policy, options.start).map_err(|e| e.to_string())?;
    let ncounty = p.counties.len();
    let (times, sums) = timed(runs, || {
        p.persons
            .par_chunks(1 << 16)
            .map(|chunk| {
                let mut acc = vec![[0i64; 3]; ncounty];
                for x in chunk {
                    if x.status == Status::Active {
                        let c = terms.assess(x.payer, x.declared);
                        let a = &mut acc[x.county as usize];
                        a[0] += c.base.fen();
                        a[1] += c.pooling.fen();
                        a[2] += c.account.fen();
                    }
                }
                acc
            })
            .reduce(
                || vec![[0i64; 3]; ncounty],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        x[0] += y[0];
                        x[1] += y[1];
                        x[2] += y[2];
                    }
                    a
                },
            )
    });
    let sums = sums.ok_or("no run")?;
    let contributors = counts
        .iter()
        .find(|c| c.0 == Status::Active)
        .map(|c| c.1)
        .unwrap_or(0);
    let total: [i64; 3] = sums
        .iter()
        .fold([0; 3], |a, s| [a[0] + s[0], a[1] + s[1], a[2] + s[2]]);
    println!(
        "assess {contributors} contributors for {} (per-county sums): {}",
        options.start,
        report(&times)
    );
    println!(
        "  base {} yuan, pooling {} yuan, account {} yuan",
        tongchou_core::Fen::new(total[0]),
        tongchou_core::Fen::new(total[1]),
        tongchou_core::Fen::new(total[2])
    );

    // 3. The pension rule (full, with explanations) for every pensioner.
    let (times, result) = timed(runs, || {
        p.pensioners
            .par_iter()
            .map(|pn| match pension(&policy, &p.pension_input(pn)) {
                Ok(r) => {
                    let same = (r.basic, r.account, r.transitional)
                        == (pn.basic, pn.account, pn.transitional);
                    (r.total.fen(), 0usize, usize::from(!same))
                }
                Err(_) => (0, 1, 0),
            })
            .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    });
    let (sum, errors, mismatches) = result.ok_or("no run")?;
    println!(
        "pension rule for {} pensioners: {}",
        p.pensioners.len(),
        report(&times)
    );
    println!(
        "  Σ components at retirement {} yuan; {errors} errors; {mismatches} differ from the generator",
        tongchou_core::Fen::new(sum)
    );
    if let Some(m) = peak_rss_mib() {
        println!("peak resident memory {m} MiB");
    }
    println!("load average at the end: {}", load_average());
    if errors > 0 || mismatches > 0 {
        return Err(format!("{errors} errors, {mismatches} mismatches"));
    }
    Ok(())
}
