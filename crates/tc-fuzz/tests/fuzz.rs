//! Coverage-guided fuzzing of every target in the suite (`docs/FUZZING.md`): builds `fuzz/` (a
//! workspace of its own) with the stable sanitizer-coverage flags into `target/fuzz`, then runs
//! libFuzzer on each target for `TONGCHOU_FUZZ_SECS` seconds (5 by default: under a minute for
//! all), seeded with `fuzz/corpus/<target>/`. Fails on any crash, panic, hang (an input taking
//! over `TONGCHOU_FUZZ_TIMEOUT` seconds, 10), memory above `-rss_limit_mb` (1024) or a single
//! allocation above 256 MiB, and when the build is not instrumented (libFuzzer then sees no
//! coverage). `TONGCHOU_FUZZ_ONLY=a,b` runs only those targets; `TONGCHOU_FUZZ_KEEP=1` merges what the run found into the kept corpus
//! (`scripts/fuzz SECONDS` sets it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .current_dir(root())
        .output()
        .expect("rustc -vV");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_string()
}

/// The coverage flags of `cargo fuzz build --sanitizer none` (stable): counters, the PC table
/// and comparison tracing for libFuzzer, no sanitizer. `fuzz/instrument` (the rustc wrapper)
/// gives them to Tongchou's crates, or to every crate with `TONGCHOU_FUZZ_DEPS=1`.
const SANCOV: [&str; 5] = [
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
];

/// Build the instrumented driver; `--target` keeps the flags off build scripts and proc macros.
fn build(target_dir: &Path) -> PathBuf {
    let host = host();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args(["build", "--release", "--locked", "--manifest-path"])
        .arg(root().join("fuzz/Cargo.toml"))
        .args(["--target", &host])
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_ENCODED_RUSTFLAGS", "--cfg=fuzzing")
        .env("RUSTC_WRAPPER", root().join("fuzz/instrument"))
        .env("TONGCHOU_SANCOV_FLAGS", SANCOV.join(" "))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("cargo build of fuzz/");
    assert!(status.success(), "building fuzz/ failed");
    target_dir.join(host).join("release/tongchou-fuzz")
}

/// What one target's run came to, from libFuzzer's own report.
#[derive(Debug, Default)]
struct Run {
    execs: u64,
    execs_per_sec: u64,
    cov_start: u64,
    cov_end: u64,
    new_units: u64,
    peak_rss_mb: u64,
    corpus: u64,
}

fn field(line: &str, key: &str) -> Option<u64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace()
        .next()?
        .split('/')
        .next()?
        .parse()
        .ok()
}

fn parse_report(log: &str) -> Run {
    let mut run = Run::default();
    for line in log.lines() {
        if line.contains("INITED") {
            run.cov_start = field(line, "cov: ").unwrap_or(0);
        }
        if line.starts_with('#') && line.contains("cov: ") {
            run.cov_end = field(line, "cov: ").unwrap_or(run.cov_end);
            run.corpus = field(line, "corp: ").unwrap_or(run.corpus);
        }
        let stat = |k: &str| line.strip_prefix(k).and_then(|v| v.trim().parse().ok());
        if let Some(v) = stat("stat::number_of_executed_units:") {
            run.execs = v;
        }
        if let Some(v) = stat("stat::average_exec_per_sec:") {
            run.execs_per_sec = v;
        }
        if let Some(v) = stat("stat::new_units_added:") {
            run.new_units = v;
        }
        if let Some(v) = stat("stat::peak_rss_mb:") {
            run.peak_rss_mb = v;
        }
    }
    run
}

/// Run one target for `secs` seconds; new inputs go to `found`, crashes to `artifacts`.
fn fuzz_one(bin: &Path, t: &tongchou_fuzz::Target, secs: u64, out: &Path) -> Run {
    let found = out.join("found").join(t.name);
    let artifacts = out.join("artifacts").join(t.name);
    for d in [&found, &artifacts] {
        std::fs::create_dir_all(d).expect("fuzz output folders");
    }
    let seeds = root().join("fuzz/corpus").join(t.name);
    let timeout = env_u64("TONGCHOU_FUZZ_TIMEOUT", 10);
    let output = Command::new(bin)
        .env("TONGCHOU_FUZZ_TARGET", t.name)
        .arg(format!("-max_total_time={secs}"))
        .arg(format!("-timeout={timeout}"))
        .arg("-rss_limit_mb=1024")
        .arg(format!("-max_len={}", t.max_len))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&found)
        .arg(&seeds)
        .output()
        .expect("run the fuzzer");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    std::fs::write(out.join(format!("{}.log", t.name)), &log).expect("keep the log");
    let crashes: Vec<String> = std::fs::read_dir(&artifacts)
        .map(|d| {
            d.flatten()
                .map(|e| e.path().display().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        output.status.success() && crashes.is_empty(),
        "{}: the fuzzer failed ({}); inputs: {crashes:?}; replay with \
         TONGCHOU_FUZZ_TARGET={} {} INPUT; log {}:\n{}",
        t.name,
        output.status,
        t.name,
        bin.display(),
        out.join(format!("{}.log", t.name)).display(),
        tail(&log, 40)
    );
    let run = parse_report(&log);
    assert!(
        run.cov_start > 0,
        "{}: libFuzzer saw no coverage: the build is not instrumented\n{log}",
        t.name
    );
    run
}

/// The last `n` lines of a log.
fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Merge what a run found into the kept corpus: only inputs that reach new edges are copied,
/// the fewest that do (libFuzzer's set cover; counters ignored, so the corpus stays small).
fn keep(bin: &Path, t: &tongchou_fuzz::Target, out: &Path) {
    let status = Command::new(bin)
        .env("TONGCHOU_FUZZ_TARGET", t.name)
        .args(["-set_cover_merge=1", "-use_counters=0"])
        .arg(format!("-max_len={}", t.max_len))
        .arg(root().join("fuzz/corpus").join(t.name))
        .arg(out.join("found").join(t.name))
        .output()
        .expect("merge")
        .status;
    assert!(status.success(), "{}: merging the corpus failed", t.name);
}

#[test]
fn every_target_survives_the_fuzzer() {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        // the wrapper's flags are not in cargo's fingerprints: one folder per instrumentation
        .join(match std::env::var("TONGCHOU_FUZZ_DEPS").as_deref() {
            Ok("1") => "fuzz-deps",
            _ => "fuzz",
        });
    let started = Instant::now();
    let bin = build(&target_dir);
    let built = started.elapsed();
    let out = target_dir.join("runs").join(std::process::id().to_string());
    let secs = env_u64("TONGCHOU_FUZZ_SECS", 5);
    let mut new_units = 0;
    println!("built in {:.0?}; {secs} s per target", built);
    println!("target            execs  exec/s  cov(start→end)  corpus  new  peak RSS");
    let only = std::env::var("TONGCHOU_FUZZ_ONLY").unwrap_or_default();
    let chosen = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);
    for t in tongchou_fuzz::TARGETS.iter().filter(|t| chosen(t.name)) {
        let r = fuzz_one(&bin, t, secs, &out);
        println!(
            "{:<16} {:>7} {:>7} {:>7} → {:<6} {:>6} {:>4}  {} MB",
            t.name,
            r.execs,
            r.execs_per_sec,
            r.cov_start,
            r.cov_end,
            r.corpus,
            r.new_units,
            r.peak_rss_mb
        );
        new_units += r.new_units;
        if std::env::var("TONGCHOU_FUZZ_KEEP").is_ok_and(|v| v == "1") {
            keep(&bin, t, &out);
        }
    }
    println!(
        "fuzzed for {:.0?} after the build",
        started.elapsed() - built
    );
    assert!(
        new_units > 0,
        "no target found a new input: no coverage feedback"
    );
    let _ = std::fs::remove_dir_all(&out);
}
