//! The crash sweep: the month run by the real binary is killed (SIGKILL) at random moments
//! spread over its whole length, again and again, on SQLite and PostgreSQL. Every month, however
//! often it was killed and wherever, is resumed until it completes and must end in exactly the
//! digest of an uninterrupted run; its ledger checks and its audit chain verifies. Each kill is
//! counted against the stage the month was in (the collection close, then each disbursement
//! step), read from the step records after the kill.
//!
//! Bounded by time in the suite: `TONGCHOU_SWEEP_SECS` (default 30) per backend. On demand,
//! `TONGCHOU_SWEEP_KILLS=1000` sweeps until that many kills have landed, and then every stage
//! must have been hit:
//! `TONGCHOU_SWEEP_KILLS=1000 cargo nextest run -p tongchou-cli --test crash_sweep --no-capture`.

mod run;
use run::{ok, tongchou};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tongchou_app::disburse;

const MONTH: &str = "2020-01";

fn setup(db: &str) {
    run::demo_setup(db, 1500);
}

fn run_args(out: &str) -> Vec<String> {
    let a = [
        "month",
        "run",
        "--period",
        MONTH,
        "--simulate",
        "5",
        "--out",
        out,
    ];
    a.iter().map(|s| s.to_string()).collect()
}

fn digest(db: &str) -> String {
    ok(&tongchou(db, &["month", "digest"])).trim().to_string()
}

/// The stage the month is at: `collection` until its close is recorded, then the first
/// disbursement step not done, `complete` after the last.
fn stage(db: &str) -> String {
    let mut d = tongchou_store::Db::open(db).expect("open");
    let s = disburse::month_state(&mut d, MONTH.parse().expect("month")).expect("state");
    if !s.collection_closed {
        return "collection".into();
    }
    s.steps
        .iter()
        .find(|(_, done)| done.is_none())
        .map_or("complete".into(), |(step, _)| step.as_str().to_string())
}

/// A small xorshift generator: the sweep's moments differ from run to run (the seed is printed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// One month killed at random moments until it completes; returns the stages its kills hit.
fn killed_month(db: &str, args: &[&str], length_ms: u64, rng: &mut Rng) -> Vec<String> {
    let mut hit = Vec::new();
    loop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongchou"))
            .arg("--db")
            .arg(db)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // a moment anywhere in an uninterrupted run's length (the process's start included)
        std::thread::sleep(Duration::from_millis(rng.below(length_ms)));
        if child.try_wait().expect("wait").is_some() {
            let o = child.wait_with_output().expect("output");
            // the run ended by itself: done, or refused because an earlier run completed it
            assert!(
                o.status.success() || String::from_utf8_lossy(&o.stderr).contains("统支已全部完成"),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            return hit;
        }
        child.kill().expect("kill");
        let _ = child.wait();
        hit.push(stage(db));
    }
}

/// `fresh` gives a new database set up for the month each call.
fn sweep(fresh: impl Fn() -> String, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-sweep-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    let args = run_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // the uninterrupted run: its digest, and its length, over which the kills are spread
    let reference = fresh();
    let t0 = Instant::now();
    ok(&tongchou(&reference, &args));
    let length_ms = (t0.elapsed().as_millis() as u64).max(50);
    let want = digest(&reference);

    let secs: u64 = std::env::var("TONGCHOU_SWEEP_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let target: Option<usize> = std::env::var("TONGCHOU_SWEEP_KILLS")
        .ok()
        .and_then(|s| s.parse().ok());
    let seed = 0x2545_f491_4f6c_dd1d ^ u64::from(std::process::id()) ^ length_ms;
    let mut rng = Rng(seed);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut by_stage: BTreeMap<String, usize> = BTreeMap::new();
    let (mut kills, mut months) = (0usize, 0usize);
    loop {
        let done = match target {
            Some(t) => kills >= t,
            None => Instant::now() >= until,
        };
        if done && months > 0 {
            break;
        }
        let this = fresh();
        let hit = killed_month(&this, &args, length_ms, &mut rng);
        months += 1;
        kills += hit.len();
        for s in hit {
            *by_stage.entry(s).or_default() += 1;
        }
        assert_eq!(
            digest(&this),
            want,
            "month {months} (seed {seed:#x}) after its kills"
        );
        ok(&tongchou(&this, &["ledger", "check"]));
        ok(&tongchou(&this, &["audit", "verify"]));
    }
    eprintln!(
        "crash sweep {tag}: {kills} kills over {months} months (seed {seed:#x}, month {length_ms} ms): {by_stage:?}"
    );
    assert!(
        kills > 0,
        "no kill landed: the month ran too fast to be hit"
    );
    if target.is_some() {
        for s in [
            "collection",
            "payroll",
            "plans",
            "approve",
            "allocate",
            "passdown",
            "pay",
        ] {
            assert!(
                by_stage.contains_key(s),
                "no kill in stage {s}: {by_stage:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_at_random_across_the_month_on_sqlite() {
    // set up once; each month starts from a copy of the file
    let template = tongchou_store::testing::sqlite_url("sweep_template");
    setup(&template);
    let path = |url: &str| url.trim_start_matches("sqlite://").to_string();
    sweep(
        || {
            let url = tongchou_store::testing::sqlite_url("sweep");
            // the demo's master key file beside it too (the demo is encrypted, docs/CRYPTO.md)
            for suffix in ["", "-wal", ".key"] {
                let from = format!("{}{suffix}", path(&template));
                if std::path::Path::new(&from).exists() {
                    std::fs::copy(&from, format!("{}{suffix}", path(&url))).expect("copy");
                }
            }
            url
        },
        "sqlite",
    );
}

#[test]
fn killed_at_random_across_the_month_on_postgres() {
    sweep(
        || {
            let url = tongchou_store::testing::pg_url("sweep");
            setup(&url);
            url
        },
        "pg",
    );
}
