//! Shared by the integration tests: the batches the fixtures in tests/fixtures are about.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use tongchou_bank::*;
use tongchou_core::{Date, Period, RegionCode};

pub fn county(code: u32) -> RegionCode {
    RegionCode::new(code).expect("county code")
}

pub fn jan2020() -> Period {
    Period::new(2020, 1).expect("period")
}

pub fn created() -> DateTime {
    DateTime::new(Date::new(2020, 1, 12).expect("date"), 9, 30, 0).expect("date-time")
}

pub fn exec_date() -> Date {
    Date::new(2020, 1, 15).expect("date")
}

/// (payee reference, name, account, amount in fen)
pub const FIXTURE_PAYEES: [(&str, &str, &str, i64); 5] = [
    ("P001", "张三", "6222020200000000011", 312_050),
    ("P002", "李四 & 王五 <代领>", "6222020200000000029", 280_000),
    ("P003", "O'Brien \"Jr\"", "6222020200000000037", 150_075),
    ("P004", "欧阳娜娜", "6222020200000000045", 99),
    ("P005", "赵六", "6222020200000000052", 420_000),
];

pub fn e2e(county_code: u32, payee: &str, attempt: u8) -> EndToEndId {
    EndToEndId::derive(&PaymentKey {
        county: county(county_code),
        period: jan2020(),
        item: "BP",
        payee,
        attempt,
    })
    .expect("e2e id")
}

/// The batch TC1401052020010001 that tests/fixtures/*.xml and *.csv answer.
pub fn fixture_batch() -> PaymentBatch {
    let payments = FIXTURE_PAYEES
        .iter()
        .map(|(payee, name, acct, fen)| {
            Payment::new(
                e2e(140105, payee, 0),
                name,
                AccountNumber::parse(acct).expect("account"),
                None,
                Fen::new(*fen),
                "2020-01 基本养老金",
            )
            .expect("payment")
        })
        .collect();
    PaymentBatch::new(
        county(140105),
        jan2020(),
        1,
        created(),
        exec_date(),
        Debtor::synthetic(county(140105), "太原市小店区社会保险事业管理中心").expect("debtor"),
        payments,
    )
    .expect("batch")
}

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn schema(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name)
}

/// Validate `xml` against `schema_file` with `xmllint --noout --schema`. Panics (the test
/// fails, it does not skip) when xmllint is missing: CI installs it (.ci/run).
pub fn xmllint(xml: &str, schema_file: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("tc-bank-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let file = dir.join(format!("doc-{n}.xml"));
    std::fs::write(&file, xml).expect("write temp file");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema(schema_file))
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is required for these tests (apt-get install libxml2-utils): {e}")
        });
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
