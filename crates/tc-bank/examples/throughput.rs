//! Throughput of the bank-file layer for one large county:
//! `cargo run --release -p tongchou-bank --example throughput [PAYMENTS]` (default 100 000).
//! Writes pain.001 and CSV, simulates a pain.002 with 1% rejects, reads it, reconciles it and
//! re-reads it, and prints the time and size of each step.

use std::time::Instant;
use tongchou_bank::*;
use tongchou_core::{Date, Period, RegionCode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let county = RegionCode::new(140105)?;
    let period = Period::new(2020, 1)?;
    let created = DateTime::new(Date::new(2020, 1, 12)?, 9, 30, 0)?;
    let debtor = Debtor::synthetic(county, "太原市小店区社会保险事业管理中心")?;

    let t = Instant::now();
    let mut payments = Vec::with_capacity(n);
    for i in 0..n {
        let payee = format!("{i:09}");
        let id = EndToEndId::derive(&PaymentKey {
            county,
            period,
            item: "BP",
            payee: &payee,
            attempt: 0,
        })?;
        payments.push(Payment::new(
            id,
            "张三丰 & <李>",
            AccountNumber::parse(&format!("6222020{i:012}"))?,
            None,
            Fen::new(250_000 + (i as i64 % 5000)),
            "2020-01 基本养老金",
        )?);
    }
    let batches = plan_batches(
        county,
        period,
        1,
        created,
        Date::new(2020, 1, 15)?,
        &debtor,
        payments,
        n,
    )?;
    let batch = &batches[0];
    println!("build {n} payments (ids, checks, sort): {:?}", t.elapsed());

    let t = Instant::now();
    let xml = write_pain001(batch);
    println!(
        "write pain.001: {:?}, {} MB",
        t.elapsed(),
        xml.len() / 1_000_000
    );
    let t = Instant::now();
    let csv = write_payment_csv(batch);
    println!("write CSV: {:?}, {} MB", t.elapsed(), csv.len() / 1_000_000);

    let rejects: Vec<(String, &str)> = batch
        .payments()
        .iter()
        .step_by(100)
        .map(|p| (p.end_to_end_id().to_string(), "AC04"))
        .collect();
    let rejects: Vec<(&str, &str)> = rejects.iter().map(|(e, r)| (e.as_str(), *r)).collect();
    let report = StatusReport::for_batch(batch, "SIM-1", created, &rejects);
    let ret = write_pain002(&report, 10);

    let t = Instant::now();
    let file = read_pain002(&ret)?;
    println!(
        "read pain.002 ({} lines, {} MB): {:?}",
        file.lines.len(),
        ret.len() / 1_000_000,
        t.elapsed()
    );

    let t = Instant::now();
    let mut set = IssuedSet::from_batches(&batches)?;
    let rec = set.reconcile(&file);
    set.apply(&rec)?;
    println!("reconcile + apply: {:?}", t.elapsed());
    print!("{rec}");

    let t = Instant::now();
    let again = set.reconcile(&read_pain002(&ret)?);
    println!(
        "re-read + reconcile: {:?}, changed: {}",
        t.elapsed(),
        again.changed()
    );
    Ok(())
}
