//! Benchmark (not a test): `tongchou import` of large files through the real binary.
//!
//! Generates, in a temporary directory, 1,000 employers, `rows / 10` persons, and `rows`
//! wage declarations and `rows` collection results (each person, ten months), then imports them
//! in that order into a fresh database and prints the wall time and rows per second of each
//! import (checking pass and writing pass included), and of a second import of the same
//! declarations file (recognised by its SHA-256, nothing written). Then the raw baseline: the
//! rows the declarations and collections imports wrote (`wage_declarations`, `receipts`), read
//! back in the order they were written and bulk-written (`Db::bulk_insert`: COPY on PostgreSQL,
//! multi-row inserts on SQLite; one transaction per table) into the same tables of a fresh
//! database of the same engine, timed; and each import's time over its rows' raw write.
//!
//! ```sh
//! cargo bench -p tongchou-cli --bench import                       # 1,000,000 rows, SQLite
//! cargo bench -p tongchou-cli --bench import -- --rows 200000 --db postgres://postgres@127.0.0.1:5432/test?schema=bench_import
//! TONGCHOU_BIN=/path/to/other/tongchou cargo bench -p tongchou-cli --bench import   # another build
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tongchou_core::{CreditCode, Date, Divisions, IdNumber, Period, Sex};
use tongchou_store::Db;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

struct Files {
    employers: PathBuf,
    persons: PathBuf,
    declarations: PathBuf,
    collections: PathBuf,
    employers_n: u64,
    persons_n: u64,
    rows: u64,
}

fn generate(dir: &Path, rows: u64) -> Files {
    let d = Divisions::shanxi();
    let counties: Vec<_> = d.counties().map(|c| c.code).take(100).collect();
    let mut employers = String::from("统一社会信用代码,单位名称,所属区县代码,行业代码,单位状态\n");
    let mut codes = Vec::new();
    for i in 0..1000u32 {
        let county = counties[i as usize % counties.len()];
        let body = format!("MA{:06}", i);
        let mut org = [0u8; 8];
        org.copy_from_slice(body.as_bytes());
        let Some(code) = CreditCode::from_parts(b'9', b'1', county, &org) else {
            continue;
        };
        let _ = writeln!(employers, "{code},单位{i},{county},C,正常");
        codes.push((code, county));
    }
    let persons_n = (rows / 10).max(1);
    let months = rows / persons_n;
    let mut persons = String::from(
        "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n",
    );
    let mut ids = Vec::with_capacity(persons_n as usize);
    let start = Date::new(1970, 1, 1).unwrap_or_else(|_| std::process::exit(2));
    for i in 0..persons_n {
        let (code, county) = &codes[i as usize % codes.len()];
        let birth = start.add_days((i / 900) as i64);
        let id = IdNumber::from_parts(*county, birth, (i % 900 + 1) as u16);
        let category = if id.sex() == Sex::Male {
            "男"
        } else {
            "女工人"
        };
        let _ = writeln!(
            persons,
            "{id},职工{i},{category},{county},{code},职工,2015-01-01"
        );
        ids.push((id, *code));
    }
    let first = Period::new(2025, 1).unwrap_or_else(|_| std::process::exit(2));
    let mut declarations = String::from("单位统一社会信用代码,身份证号,所属期,申报基数\n");
    let mut collections =
        String::from("缴费人识别号,身份证号,费款所属期,实缴金额,缴款日期,电子税票号码\n");
    for m in 0..months {
        let period = first.add_months(m as i32);
        let paid_on = period.day(15);
        for (i, (id, code)) in ids.iter().enumerate() {
            let base = 500_000 + (i as u64 % 100) * 1_000;
            let _ = writeln!(
                declarations,
                "{code},{id},{period},{}.{:02}",
                base / 100,
                base % 100
            );
            let paid = base * 24 / 100;
            let _ = writeln!(
                collections,
                "{code},{id},{period},{}.{:02},{paid_on},R{m:03}{i:09}",
                paid / 100,
                paid % 100
            );
        }
    }
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        if let Err(e) = std::fs::write(&p, text) {
            eprintln!("{}: {e}", p.display());
            std::process::exit(2);
        }
        p
    };
    Files {
        employers: write("employers.csv", &employers),
        persons: write("persons.csv", &persons),
        declarations: write("declarations.csv", &declarations),
        collections: write("collections.csv", &collections),
        employers_n: codes.len() as u64,
        persons_n,
        rows: persons_n * months,
    }
}

/// A fresh database of the same engine beside `db`: the schema `NAME_raw` on PostgreSQL, the
/// file `raw.db` beside an SQLite file.
fn raw_url(db: &str) -> String {
    match db.split_once("schema=") {
        Some((head, tail)) => {
            let (name, rest) = tail.split_once('&').unwrap_or((tail, ""));
            let rest = if rest.is_empty() {
                String::new()
            } else {
                format!("&{rest}")
            };
            format!("{head}schema={name}_raw{rest}")
        }
        None if db.starts_with("sqlite://") => {
            let path = Path::new(&db["sqlite://".len()..]).with_file_name("raw.db");
            for s in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{s}", path.display()));
            }
            format!("sqlite://{}", path.display())
        }
        None => format!("{db}?schema=bench_import_raw"),
    }
}

/// The raw write of the rows of `table` (those of `cols`) in `db` into the same table of `raw`:
/// seconds and rows.
fn raw_write(db: &mut Db, raw: &mut Db, table: &str, cols: &[&str]) -> (f64, usize) {
    // no ORDER BY: a table only appended to reads back in the order it was written
    let rows = db
        .query(&format!("SELECT {} FROM {table}", cols.join(", ")), &[])
        .unwrap_or_else(|e| panic!("read back {table}: {e}"));
    let t = Instant::now();
    raw.bulk_insert_values(table, cols, &rows)
        .unwrap_or_else(|e| panic!("raw write {table}: {e}"));
    (t.elapsed().as_secs_f64(), rows.len())
}

/// The raw baseline: each import's rows bulk-written into a fresh database, against the import.
fn raw_baseline(db: &str, timed: &[(&str, f64)]) {
    let mut from = Db::open(db).unwrap_or_else(|e| panic!("open {db}: {e}"));
    let raw = raw_url(db);
    let mut to = Db::open(&raw).unwrap_or_else(|e| panic!("open {raw}: {e}"));
    for (kind, table, cols) in [
        (
            "declarations",
            "wage_declarations",
            &tongchou_store::imports::DECLARATION_COLUMNS[..],
        ),
        (
            "collections",
            "receipts",
            &tongchou_store::collection::RECEIPT_COLUMNS[..],
        ),
    ] {
        let (secs, n) = raw_write(&mut from, &mut to, table, cols);
        let import = timed.iter().find(|(k, _)| *k == kind).map_or(0.0, |x| x.1);
        println!(
            "raw write of the {kind} import's {} {table} rows: {secs:.2} s ({} rows/s); import / raw = {:.2}",
            grouped(n as u64),
            grouped((n as f64 / secs) as u64),
            import / secs
        );
    }
}

/// The `tongchou` built beside this bench, or the one `TONGCHOU_BIN` names (to time two builds
/// in turn with the same bench).
fn tongchou_bin() -> PathBuf {
    std::env::var_os("TONGCHOU_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_tongchou")))
}

fn import(db: &str, kind: &str, file: &Path, rows: u64) -> f64 {
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let out = Command::new(tongchou_bin())
        .args(["--db", db, "import", kind, "--file"])
        .arg(file)
        .args(["--today", "2026-11-27"])
        .output();
    let secs = t.elapsed().as_secs_f64();
    match out {
        Ok(o) if o.status.success() => {
            let said = String::from_utf8_lossy(&o.stdout);
            println!(
                "{kind:<13} {:>10} rows {:>6.1} MB {:>8.2} s {:>10} rows/s   | {}",
                grouped(rows),
                size as f64 / 1e6,
                secs,
                grouped((rows as f64 / secs) as u64),
                said.trim()
            );
            secs
        }
        Ok(o) => {
            eprintln!(
                "{kind}: exit {:?}\n{}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            );
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{kind}: cannot run tongchou: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let rows: u64 = arg("--rows")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("tongchou-bench-import-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        std::process::exit(2);
    }
    let db = arg("--db").unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    let t = Instant::now();
    let f = generate(&dir, rows);
    println!(
        "generated {} employers, {} persons, {} declarations and collections in {:.1} s; database {db}",
        grouped(f.employers_n),
        grouped(f.persons_n),
        grouped(f.rows),
        t.elapsed().as_secs_f64()
    );
    import(&db, "employers", &f.employers, f.employers_n);
    import(&db, "persons", &f.persons, f.persons_n);
    let declarations = import(&db, "declarations", &f.declarations, f.rows);
    let collections = import(&db, "collections", &f.collections, f.rows);
    import(&db, "declarations", &f.declarations, f.rows);
    raw_baseline(
        &db,
        &[("declarations", declarations), ("collections", collections)],
    );
    if std::env::var_os("TONGCHOU_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
