//! Benchmark: write a synthetic province into the registry and read the per-county summary back.
//!
//! `cargo run --release -p tongchou-bench --bin bench-registry -- --persons 1000000 --runs 3`
//! (`--url postgres://…` for PostgreSQL; by default a fresh SQLite file in the temp directory for
//! each run, removed afterwards unless `--keep`).
//!
//! The province is generated once (not timed); each run opens a fresh database, applies the
//! migrations (not timed), then times `load::write_province` (one transaction) and
//! `registry::county_summary`.

use std::process::ExitCode;
use std::time::Instant;
use tongchou_bench::{Timing, arg, cpu_seconds, load_average, median, peak_rss_mib, report};
use tongchou_sim::load::write_province;
use tongchou_store::{Db, registry};
use tongchou_synth::{Options, generate};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-registry: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let persons: usize = arg("--persons", 1_000_000)?;
    let runs: usize = arg("--runs", 3)?;
    let seed: u64 = arg("--seed", 1)?;
    let url: String = arg("--url", String::new())?;
    let keep = std::env::args().any(|a| a == "--keep");
    let t = Instant::now();
    let p = generate(&Options {
        seed,
        persons,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    println!(
        "bench-registry: {persons} persons, {} employers, {} pensioners generated in {:.3} s",
        p.employers.len(),
        p.pensioners.len(),
        t.elapsed().as_secs_f64()
    );
    println!("load average {}", load_average());
    let mut load_times = Timing::default();
    let mut summary_times = Timing::default();
    for run in 0..runs.max(1) {
        let (db_url, file) = if url.is_empty() {
            let path = std::env::temp_dir().join(format!(
                "tongchou-bench-registry-{}-{run}.db",
                std::process::id()
            ));
            (format!("sqlite://{}", path.display()), Some(path))
        } else if url.starts_with("postgres") {
            let sep = if url.contains('?') { '&' } else { '?' };
            (
                format!(
                    "{url}{sep}schema=bench_registry_{}_{run}",
                    std::process::id()
                ),
                None,
            )
        } else {
            return Err("--url must be a postgres:// URL (SQLite files are made here)".into());
        };
        let mut db = Db::open(&db_url).map_err(|e| e.to_string())?;
        let (t, c) = (Instant::now(), cpu_seconds());
        let st = write_province(&mut db, &p).map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        load_times.wall.push(secs);
        load_times.cpu.push(cpu_seconds() - c);
        let per_table: Vec<String> = st
            .seconds
            .iter()
            .map(|(t, s)| format!("{t} {s:.2}"))
            .collect();
        println!(
            "  run {}: {} rows in {secs:.3} s ({:.0} rows/s): {}",
            run + 1,
            st.rows(),
            st.rows() as f64 / secs,
            per_table.join(", ")
        );
        let (t, c) = (Instant::now(), cpu_seconds());
        let s = registry::county_summary(&mut db).map_err(|e| e.to_string())?;
        summary_times.wall.push(t.elapsed().as_secs_f64());
        summary_times.cpu.push(cpu_seconds() - c);
        let insured: i64 = s.iter().map(|c| c.insured).sum();
        if insured != persons as i64 {
            return Err(format!("summary counts {insured} persons, wrote {persons}"));
        }
        drop(db);
        if let Some(f) = file {
            let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            println!("  SQLite file {:.0} MiB", size as f64 / 1_048_576.0);
            if !keep {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
                }
            }
        } else if !keep {
            let mut db = Db::connect(&url).map_err(|e| e.to_string())?;
            db.batch(&format!(
                "DROP SCHEMA IF EXISTS bench_registry_{}_{run} CASCADE",
                std::process::id()
            ))
            .map_err(|e| e.to_string())?;
        }
    }
    println!("write_province: {}", report(&load_times));
    println!("county_summary: {}", report(&summary_times));
    println!(
        "  {:.0} persons/s (median)",
        persons as f64 / median(&load_times.wall)
    );
    if let Some(m) = peak_rss_mib() {
        println!("peak resident memory {m} MiB");
    }
    println!("load average at the end: {}", load_average());
    Ok(())
}
