//! The real `tongchou` binary run by the CLI's integration tests: one runner for every test
//! file, so that none keeps its own copy.
#![allow(dead_code)]

pub mod transfer;

use std::process::{Command, Output};

/// The demo's password of the acting users (`--as LOGIN` reads `TONGCHOU_PASSWORD`).
pub const PW: &str = "demo-only-password-2020";

/// `tongchou --db DB ARGS…` with the acting users' password and `env` set.
pub fn tongchou_env(db: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongchou"));
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("TONGCHOU_PASSWORD", PW);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run tongchou")
}

/// `tongchou --db DB ARGS…` with the acting users' password.
pub fn tongchou(db: &str, args: &[&str]) -> Output {
    tongchou_env(db, args, &[])
}

/// The standard output of a run that must have succeeded (else both outputs are shown).
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A demo province of `persons` insured set up for 2020-01 and nothing run (`demo --setup-only`),
/// its registry written straight in (`--direct`: the migration's legacy files would land in the
/// working directory).
pub fn demo_setup(db: &str, persons: u32) {
    let persons = persons.to_string();
    let args = [
        "demo",
        "--persons",
        &persons,
        "--from",
        "2020-01",
        "--setup-only",
        "--direct",
    ];
    ok(&tongchou(db, &args));
}

/// Output bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The rows of `table` in the database.
pub fn count(db: &str, table: &str) -> i64 {
    let mut d = tongchou_store::Db::open(db).expect("open");
    d.query_i64(&format!("SELECT count(*) FROM {table}"), &[])
        .expect("count")
}

/// A synthetic city's legacy files written into `dir` (`migrate synth`, cut-over 2020-01),
/// with `extra` arguments (`--gbk`).
pub fn synth_city(db: &str, city: &str, dir: &str, persons: u32, extra: &[&str]) {
    let persons = persons.to_string();
    let mut a = vec![
        "migrate",
        "synth",
        "--city",
        city,
        "--dir",
        dir,
        "--persons",
        &persons,
        "--cutover",
        "2020-01",
    ];
    a.extend_from_slice(extra);
    ok(&tongchou(db, &a));
}
