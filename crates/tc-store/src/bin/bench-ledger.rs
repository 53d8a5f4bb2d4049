//! Benchmark of the ledger's write paths against the raw insert speed of the same backend,
//! measured in the same run (not a test):
//!
//! ```text
//! cargo run --release -p tongchou-store --bin bench-ledger -- [--single N] [--batched N]
//!     [--batch-size B] [--lines M] [--rounds R] [--sqlite PATH] [--pg URL] [--only sqlite|postgres]
//! ```
//!
//! For each backend it measures
//! - raw: single rows each in its own transaction, many rows in one transaction
//!   ([`Db::bulk_insert`]), person-level line rows in one transaction — into tables with the same
//!   columns, keys and indexes as `ledger_transfer` and `ledger_line`;
//! - ledger: single transfers (one `submit` each), batched transfers (`--batch-size` per
//!   `submit`), and a collection batch (a linked pair per county) carrying `--lines` lines;
//!
//! alternating raw and ledger in each of `--rounds` rounds (the machine is noisy), and prints the
//! median rows per second and the ledger's cost relative to raw (time per row ÷ raw time per row).

use std::time::Instant;
use tongchou_core::region::{Divisions, RegionCode};
use tongchou_core::{Date, Fen};
use tongchou_ledger::flows::{self, ContributionPart, Doc};
use tongchou_ledger::{AccountId, Chart, Line, Request};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, StoreError, Val, testing};

const RAW_DDL: &str = "
CREATE TABLE bench_raw_transfer (
    id BIGINT PRIMARY KEY, idem_key TEXT NOT NULL, op SMALLINT NOT NULL, target_id BIGINT, resolves BIGINT,
    debit_account BIGINT NOT NULL, credit_account BIGINT NOT NULL, amount BIGINT NOT NULL CHECK (amount > 0),
    category TEXT NOT NULL, doc_ref TEXT NOT NULL, value_date INTEGER NOT NULL, linked SMALLINT NOT NULL,
    line_count BIGINT NOT NULL, lines_digest TEXT NOT NULL, recorded_at BIGINT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    CONSTRAINT bench_raw_transfer_key UNIQUE (idem_key), CONSTRAINT bench_raw_transfer_resolves UNIQUE (resolves));
CREATE INDEX bench_raw_transfer_debit ON bench_raw_transfer (debit_account, id);
CREATE INDEX bench_raw_transfer_credit ON bench_raw_transfer (credit_account, id);
CREATE INDEX bench_raw_transfer_target ON bench_raw_transfer (target_id);
CREATE TABLE bench_raw_line (transfer_id BIGINT NOT NULL, line_no BIGINT NOT NULL, person_id BIGINT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0), PRIMARY KEY (transfer_id, line_no));
";

const COLS: [&str; 17] = tongchou_store::ledger::TRANSFER_COL_LIST;

struct Opts {
    single: usize,
    batched: usize,
    batch_size: usize,
    lines: usize,
    sqlite: String,
    pg: String,
    only: Option<String>,
    rounds: usize,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        single: 1000,
        batched: 20_000,
        batch_size: 1000,
        lines: 2_000_000,
        sqlite: "target/bench-ledger.db".into(),
        pg: testing::pg_base(),
        only: None,
        rounds: 3,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args
            .get(i + 1)
            .cloned()
            .ok_or_else(|| format!("{} needs a value", args[i]))?;
        let num = || {
            v.parse::<usize>()
                .map_err(|_| format!("{}: not a number: {v}", args[i]))
        };
        match args[i].as_str() {
            "--single" => o.single = num()?,
            "--batched" => o.batched = num()?,
            "--batch-size" => o.batch_size = num()?.max(1),
            "--lines" => o.lines = num()?,
            "--sqlite" => o.sqlite = v,
            "--pg" => o.pg = v,
            "--only" => o.only = Some(v),
            "--rounds" => o.rounds = num()?.max(1),
            other => return Err(format!("unknown option {other}")),
        }
        i += 2;
    }
    Ok(o)
}

/// A row shaped like a ledger transfer.
/// The row the ledger would write for `r` (same columns, same accounts and amounts, so the same
/// index traffic), written without the ledger.
fn raw_row(
    id: i64,
    r: &Request,
    hex: &str,
    f: &mut dyn FnMut(&[Val<'_>]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let acct = |a: Option<AccountId>| Val::I64(a.map(|a| a.0).unwrap_or(0));
    f(&[
        Val::I64(id),
        Val::Str(&r.key),
        Val::I64(0),
        Val::Null,
        Val::Null,
        acct(r.debit),
        acct(r.credit),
        Val::I64(r.amount.map(|a| a.fen()).unwrap_or(0)),
        Val::Str(&r.category),
        Val::Str(&r.reference),
        Val::I64(20240105),
        Val::I64(0),
        Val::I64(0),
        Val::Str(hex),
        Val::I64(1_700_000_000_000_000),
        Val::Str(hex),
        Val::Str(hex),
    ])
}

/// Seconds per round of one measurement.
#[derive(Default)]
struct Series {
    rows: usize,
    secs: Vec<f64>,
}

impl Series {
    fn median(&self) -> f64 {
        let mut v = self.secs.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Medians of one backend: (raw, ledger) for single transfers, batched transfers and lines.
struct Results {
    backend: &'static str,
    pairs: [(&'static str, Series, Series); 3],
    check_secs: f64,
    transfers: i64,
    lines: i64,
}

fn counties() -> Vec<RegionCode> {
    Divisions::shanxi().counties().map(|c| c.code).collect()
}

/// An intra-book posting in county `i`: income account ← contribution income.
fn simple(key: &str, i: usize, cs: &[RegionCode], date: Date) -> Request {
    let chart = Chart::standard();
    let c = cs[i % cs.len()];
    let d = chart.account(c, "income_account").unwrap_or(AccountId(0));
    let k = chart
        .account(c, "contribution_individual")
        .unwrap_or(AccountId(0));
    Request::post(
        key,
        d,
        k,
        Fen::new(10_000 + i as i64 % 997),
        "contribution",
        "bench",
        date,
    )
}

fn timed(f: impl FnOnce() -> Result<(), StoreError>) -> Result<f64, StoreError> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed().as_secs_f64())
}

fn refused(r: &[tongchou_store::ledger::TransferResult], what: &str) -> Result<(), StoreError> {
    match r.iter().find(|x| x.is_err()) {
        Some(e) => Err(StoreError::Invalid(format!("{what}: refused {e:?}"))),
        None => Ok(()),
    }
}

fn run(backend: &'static str, url: &str, o: &Opts) -> Result<Results, StoreError> {
    let mut db = Db::open(url)?;
    db.batch(RAW_DDL)?;
    let hex = "0".repeat(64);
    let cs = counties();
    let date = Date::new(2024, 1, 5).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let chart = Chart::standard();
    Ledger::new(&mut db).open_standard(Divisions::shanxi())?;
    let insert_sql = format!(
        "INSERT INTO bench_raw_transfer ({}) VALUES ($1, $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT), {})",
        COLS.join(", "),
        (6..=17)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let per = o.lines.div_ceil(cs.len()).max(1);
    let nlines = per * cs.len();
    let mut single = (
        Series {
            rows: o.single,
            ..Series::default()
        },
        Series {
            rows: o.single,
            ..Series::default()
        },
    );
    let mut batched = (
        Series {
            rows: o.batched,
            ..Series::default()
        },
        Series {
            rows: o.batched,
            ..Series::default()
        },
    );
    let mut lines = (
        Series {
            rows: nlines,
            ..Series::default()
        },
        Series {
            rows: nlines,
            ..Series::default()
        },
    );
    let mut raw_id = 0i64;
    let mut n = 0usize;
    for round in 0..o.rounds {
        // raw single rows, one transaction each
        single.0.secs.push(timed(|| {
            for _ in 0..o.single {
                raw_id += 1;
                let r = simple(&format!("raw/{raw_id}"), raw_id as usize, &cs, date);
                db.transaction(|db| {
                    raw_row(raw_id, &r, &hex, &mut |v| {
                        db.exec(&insert_sql, v).map(|_| ())
                    })
                })?;
            }
            Ok(())
        })?);
        // ledger single transfers, one submit each
        single.1.secs.push(timed(|| {
            let mut l = Ledger::new(&mut db);
            for _ in 0..o.single {
                n += 1;
                refused(
                    &l.submit(&[simple(&format!("t/{n}"), n, &cs, date)])?,
                    "single",
                )?;
            }
            Ok(())
        })?);
        // raw batched rows, batch_size per transaction
        batched.0.secs.push(timed(|| {
            let mut done = 0;
            while done < o.batched {
                let k = o.batch_size.min(o.batched - done);
                db.bulk_insert("bench_raw_transfer", &COLS, &mut |sink| {
                    for _ in 0..k {
                        raw_id += 1;
                        let r = simple(&format!("raw/{raw_id}"), raw_id as usize, &cs, date);
                        raw_row(raw_id, &r, &hex, &mut |v| sink.row(v))?;
                    }
                    Ok(())
                })?;
                done += k;
            }
            Ok(())
        })?);
        // ledger batched transfers, batch_size per submit
        batched.1.secs.push(timed(|| {
            let mut l = Ledger::new(&mut db);
            let mut done = 0;
            while done < o.batched {
                let k = o.batch_size.min(o.batched - done);
                let batch: Vec<Request> = (0..k)
                    .map(|_| {
                        n += 1;
                        simple(&format!("t/{n}"), n, &cs, date)
                    })
                    .collect();
                refused(&l.submit(&batch)?, "batched")?;
                done += k;
            }
            Ok(())
        })?);
        // raw person-level line rows, one transaction
        let base = (round * cs.len()) as i64;
        lines.0.secs.push(timed(|| {
            db.bulk_insert(
                "bench_raw_line",
                &["transfer_id", "line_no", "person_id", "amount"],
                &mut |sink| {
                    for c in 0..cs.len() {
                        for j in 0..per {
                            sink.row(&[
                                Val::I64(base + c as i64 + 1),
                                Val::I64(j as i64),
                                Val::I64((c * per + j) as i64),
                                Val::I64(30_000),
                            ])?;
                        }
                    }
                    Ok(())
                },
            )?;
            Ok(())
        })?);
        // ledger: a collection batch, one linked pair per county, carrying the lines
        let mut owned: Vec<(Request, Vec<Line>)> = Vec::new();
        for (ci, c) in cs.iter().enumerate() {
            let ls: Vec<Line> = (0..per)
                .map(|j| Line {
                    person: (ci * per + j) as i64,
                    amount: Fen::new(30_000),
                })
                .collect();
            let key = format!("collect/{round}/{c}");
            let doc = Doc {
                key: &key,
                reference: "bench",
                date,
            };
            let total = Fen::new(30_000 * per as i64);
            let mut pair =
                flows::collection(chart, doc, *c, ContributionPart::Employer, total, None)
                    .map_err(|e| StoreError::Invalid(e.0))?;
            let upper = pair
                .pop()
                .ok_or_else(|| StoreError::Invalid("pair".into()))?;
            let lower = pair
                .pop()
                .ok_or_else(|| StoreError::Invalid("pair".into()))?;
            owned.push((lower, ls));
            owned.push((upper, Vec::new()));
        }
        let batch: Vec<(Request, &[Line])> = owned
            .iter()
            .map(|(r, l)| (r.clone(), l.as_slice()))
            .collect();
        lines.1.secs.push(timed(|| {
            refused(&Ledger::new(&mut db).submit_with_lines(&batch)?, "lines")
        })?);
    }
    let t = Instant::now();
    let report = Ledger::new(&mut db).check()?;
    if let Some(p) = report.problem {
        return Err(StoreError::Invalid(format!(
            "check failed after the benchmark: {p}"
        )));
    }
    Ok(Results {
        backend,
        pairs: [
            ("transfers, single (1 per transaction)", single.0, single.1),
            ("transfers, batched", batched.0, batched.1),
            ("person-level lines (collection batch)", lines.0, lines.1),
        ],
        check_secs: t.elapsed().as_secs_f64(),
        transfers: report.transfers,
        lines: report.lines,
    })
}

fn main() -> std::process::ExitCode {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = Vec::new();
    let want = |b: &str| o.only.as_deref().is_none_or(|x| x == b);
    if want("sqlite") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", o.sqlite));
        }
        match run("sqlite", &format!("sqlite://{}", o.sqlite), &o) {
            Ok(r) => out.push(r),
            Err(e) => {
                eprintln!("sqlite: {e}");
                return std::process::ExitCode::from(1);
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", o.sqlite));
        }
    }
    if want("postgres") {
        let schema = format!("bench_ledger_{}", std::process::id());
        let sep = if o.pg.contains('?') { '&' } else { '?' };
        let r = run("postgres", &format!("{}{sep}schema={schema}", o.pg), &o);
        if let Ok(mut db) = Db::connect(&o.pg) {
            let _ = db.batch(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
        match r {
            Ok(r) => out.push(r),
            Err(e) => {
                eprintln!("postgres: {e}");
                return std::process::ExitCode::from(1);
            }
        }
    }
    println!(
        "{} rounds; single {} / batched {} in batches of {} / {} lines per round; medians",
        o.rounds, o.single, o.batched, o.batch_size, o.lines
    );
    println!();
    println!(
        "| backend | what | rows per round | raw rows/s | ledger rows/s | ledger ÷ raw (time per row) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for r in &out {
        for (what, raw, led) in &r.pairs {
            let (rm, lm) = (raw.median(), led.median());
            println!(
                "| {} | {} | {} | {:.0} | {:.0} | {:.2} |",
                r.backend,
                what,
                led.rows,
                raw.rows as f64 / rm,
                led.rows as f64 / lm,
                (lm / led.rows as f64) / (rm / raw.rows as f64)
            );
        }
    }
    println!();
    for r in &out {
        println!(
            "{}: `ledger check` of {} transfers and {} lines: {:.2} s",
            r.backend, r.transfers, r.lines, r.check_secs
        );
    }
    std::process::ExitCode::SUCCESS
}
