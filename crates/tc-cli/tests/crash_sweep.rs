//! The crash sweep: the month run by the real binary is killed (SIGKILL) at random moments
//! spread over its whole length, again and again, on SQLite and PostgreSQL. Every month, however
//! often it was killed and wherever, is resumed until it completes and must end in exactly the
//! digest of an uninterrupted run; its ledger checks and its audit chain verifies. Each kill is
//! counted against the stage the month was in (the collection close, then each disbursement
//! step), read from the step records after the kill.
//!
//! Bounded by time in the suite: `TONGCHOU_SWEEP_SECS` (default 30) per backend. On demand,
//! `TONGCHOU_SWEEP_KILLS=1000` sweeps until that many kills have landed, and then every stage
//! must have been hit; a line per month tells the progress:
//! `TONGCHOU_SWEEP_KILLS=1000 cargo nextest run -p tongchou-cli --test crash_sweep --no-capture`.
//! The kills are spread over the length of an uninterrupted run measured again every
//! [`MEASURE_EVERY`] months. Each month runs in a copy of one database set up once: a copied
//! file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL; the copy is removed after it.

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

/// An uninterrupted run of the month on `db`: its length in milliseconds (the process's start
/// included) and its digest.
fn timed_run(db: &str, args: &[&str]) -> (u64, String) {
    let t0 = Instant::now();
    ok(&tongchou(db, args));
    let ms = (t0.elapsed().as_millis() as u64).max(50);
    (ms, digest(db))
}

/// Every how many months an uninterrupted run measures the month's length again: the kills are
/// spread over the length of a run *now*, not over the first run's (measured once, under the
/// load of the start, it left most later kills drawn after the month had already ended).
const MEASURE_EVERY: usize = 20;

/// The databases of a sweep: `fresh` gives a new one set up for the month each call, `gone`
/// removes one after its month.
struct Databases<F: Fn() -> String, G: Fn(&str)> {
    fresh: F,
    gone: G,
}

fn sweep<F: Fn() -> String, G: Fn(&str)>(dbs: Databases<F, G>, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-sweep-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    let args = run_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // the uninterrupted run: its digest, and its length, over which the kills are spread
    let reference = (dbs.fresh)();
    let (mut length_ms, want) = timed_run(&reference, &args);
    (dbs.gone)(&reference);

    let secs: u64 = std::env::var("TONGCHOU_SWEEP_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let target: Option<usize> = std::env::var("TONGCHOU_SWEEP_KILLS")
        .ok()
        .and_then(|s| s.parse().ok());
    let seed = 0x2545_f491_4f6c_dd1d ^ u64::from(std::process::id()) ^ length_ms;
    let mut rng = Rng(seed);
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
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
        if months > 0 && months % MEASURE_EVERY == 0 {
            let db = (dbs.fresh)();
            let (ms, d) = timed_run(&db, &args);
            assert_eq!(d, want, "an uninterrupted run after {months} months");
            (dbs.gone)(&db);
            length_ms = ms;
        }
        let this = (dbs.fresh)();
        let hit = killed_month(&this, &args, length_ms, &mut rng);
        months += 1;
        kills += hit.len();
        let here = hit.len();
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
        (dbs.gone)(&this);
        if target.is_some() {
            eprintln!(
                "crash sweep {tag}: month {months}: {here} kills, {kills} in all after {} s (month {length_ms} ms): {by_stage:?}",
                started.elapsed().as_secs()
            );
        }
    }
    eprintln!(
        "crash sweep {tag}: {kills} kills over {months} months in {} s (seed {seed:#x}, month {length_ms} ms): {by_stage:?}",
        started.elapsed().as_secs()
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
    // the demo's master key file beside it too (the demo is encrypted, docs/CRYPTO.md)
    let files = ["", "-wal", "-shm", ".key"];
    sweep(
        Databases {
            fresh: || {
                let url = tongchou_store::testing::sqlite_url("sweep");
                for suffix in files {
                    let from = format!("{}{suffix}", path(&template));
                    if suffix != "-shm" && std::path::Path::new(&from).exists() {
                        std::fs::copy(&from, format!("{}{suffix}", path(&url))).expect("copy");
                    }
                }
                url
            },
            gone: |url: &str| {
                for suffix in files {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path(url)));
                }
            },
        },
        "sqlite",
    );
    for suffix in files {
        let _ = std::fs::remove_file(format!("{}{suffix}", path(&template)));
    }
}

/// The URL of the PostgreSQL database `name` on the test server, in the schema `sweep`.
fn pg_database(name: &str) -> String {
    let base = tongchou_store::testing::pg_base();
    let (head, query) = base.split_once('?').unwrap_or((&base, ""));
    let server = head.rsplit_once('/').map_or(head, |(s, _)| s);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("&{query}")
    };
    format!("{server}/{name}?schema=sweep{query}")
}

/// A statement on the test server's own database (databases are made and dropped from there).
fn pg_admin(sql: &str) {
    let mut d = tongchou_store::Db::connect(&tongchou_store::testing::pg_base()).expect("connect");
    d.batch(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn killed_at_random_across_the_month_on_postgres() {
    // set up once in a database of its own; each month runs in a copy of it
    // (`CREATE DATABASE … TEMPLATE`: a fresh demo took about 6 s a month, the copy a fraction)
    let pid = std::process::id();
    let template = format!("tcsweep_{pid}_template");
    pg_admin(&format!("DROP DATABASE IF EXISTS {template}"));
    pg_admin(&format!("CREATE DATABASE {template}"));
    setup(&pg_database(&template));
    let n = std::sync::atomic::AtomicUsize::new(0);
    let name = |url: &str| {
        let (head, _) = url.split_once('?').unwrap_or((url, ""));
        head.rsplit('/').next().unwrap_or_default().to_string()
    };
    sweep(
        Databases {
            fresh: || {
                let db = format!(
                    "tcsweep_{pid}_{}",
                    n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                );
                pg_admin(&format!("CREATE DATABASE {db} TEMPLATE {template}"));
                pg_database(&db)
            },
            gone: |url: &str| pg_admin(&format!("DROP DATABASE {} WITH (FORCE)", name(url))),
        },
        "pg",
    );
    pg_admin(&format!("DROP DATABASE {template} WITH (FORCE)"));
}
