//! Transfers of the pension relationship (国办发〔2009〕66号) between two synthetic provinces,
//! each its own database: a migrated insured person leaves province A with the certificate and
//! the money (the whole balance and 12 % of each year's base since 1998) and arrives in province
//! B with the same insured years and balance to the fen; both ledgers book it (转移支出 /
//! 转移收入); a pensioner is refused; money that disagrees with the certificate is held. On SQLite
//! and PostgreSQL.

use tongchou_app::AppError;
use tongchou_app::income::{self, Income};
use tongchou_app::migrate::{self, LoadReport, Request};
use tongchou_app::transfer::{self, Certificate};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Divisions, Fen, Period, Policy, Ratio, RegionCode};
use tongchou_ledger::Chart;
use tongchou_sim::legacy;
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, testing};

const PW: &str = "correct horse battery staple";

fn open(url: &str) -> (Db, Principal) {
    let mut db = Db::open(url).expect("open");
    Ledger::new(&mut db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
    let officer = testing::add_user(&mut db, "officer", Role::ProvinceBureauOfficer, 140000, PW);
    (db, officer)
}

/// The posted balance of a provincial account of `kind` (on its normal side).
fn posted(db: &mut Db, kind: &str) -> i64 {
    let id = Chart::standard()
        .account(Divisions::shanxi().province().code, kind)
        .expect("account");
    let b = Ledger::new(db).balances().expect("balances");
    let x = b.get(&id).copied().unwrap_or_default();
    (x.debits_posted.fen() - x.credits_posted.fen()).abs()
}

fn province_a(url: &str, policy: &Policy) -> (Db, Principal, legacy::LegacyCity) {
    let (mut db, officer) = open(url);
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 11,
        persons: 2_000,
        employers: None,
        start: "2020-01".parse::<Period>().expect("period"),
    })
    .expect("generate");
    let city = legacy::city(&p, RegionCode::new(140100).expect("c"));
    let req = Request {
        city: RegionCode::new(140100).expect("c"),
        cutover: "2020-01".parse().expect("p"),
        today: Date::new(2020, 1, 10).expect("d"),
        policy,
    };
    let r = migrate::load(&mut db, &officer, &req, &city.file_set(&[]), 1).expect("load");
    assert!(matches!(r, LoadReport::Loaded { .. }), "{r:?}");
    let subsidy = Income {
        key: "voucher-1",
        region: Divisions::shanxi().province().code,
        kind: "subsidy-province",
        amount: Fen::new(1_000_000_000),
        date: Date::new(2020, 1, 2).expect("d"),
        reference: "test",
    };
    income::record(&mut db, &Actor::of(&officer), 2, &subsidy).expect("income");
    (db, officer, city)
}

fn story(url_a: &str, url_b: &str) {
    let policy = Policy::builtin().expect("policy");
    let (mut a, officer_a, city) = province_a(url_a, &policy);
    let on = Date::new(2020, 3, 15).expect("d");
    // someone with years before and after 1998
    let x = city
        .insured
        .iter()
        .find(|r| {
            r.history
                .iter()
                .any(|h| h[1].parse::<i32>().expect("y") < 1998)
                && r.balance > 0
        })
        .expect("an insured person insured since before 1998");
    let id = x.row[0].clone();
    let cert =
        transfer::transfer_out(&mut a, &officer_a, &policy, &id, 110000, on, 3).expect("out");
    // the insured years and the money of 66号
    let months: u32 = x
        .history
        .iter()
        .map(|h| h[2].parse::<u32>().expect("m"))
        .sum();
    assert_eq!(cert.paid_months, months);
    assert_eq!(cert.account_balance.fen(), x.balance);
    let twelve: Ratio = "12%".parse().expect("r");
    let mut pooling = 0;
    for (y, h) in cert.years.iter().zip(&x.history) {
        let base: Fen = h[3].parse().expect("base");
        let total = Fen::new(base.fen() * y.months as i64);
        assert_eq!(y.base_total, total);
        let want = if y.year < 1998 {
            Fen::ZERO
        } else {
            twelve.of(total)
        };
        assert_eq!(y.pooling, want, "{}", y.year);
        pooling += want.fen();
    }
    assert!(pooling > 0);
    assert_eq!(cert.pooling.fen(), pooling);
    assert_eq!(cert.total.fen(), x.balance + pooling);
    assert_eq!(posted(&mut a, "transfer_out"), cert.total.fen());
    let status = a
        .query(&format!("SELECT p.status FROM persons p JOIN person_ids i ON i.person_id = p.id WHERE i.id_number = '{id}'"), &[])
        .expect("status");
    assert_eq!(status[0][0].text().expect("t"), "transferred_out");
    // gone: a second transfer is refused; a pensioner never transfers
    let again = transfer::transfer_out(&mut a, &officer_a, &policy, &id, 110000, on, 4);
    assert!(matches!(again, Err(AppError::State(_))), "{again:?}");
    let pensioner = city.pensioners[0][0].clone();
    match transfer::transfer_out(&mut a, &officer_a, &policy, &pensioner, 110000, on, 5) {
        Err(AppError::State(m)) => assert!(m.contains("do not transfer"), "{m}"),
        o => panic!("{o:?}"),
    }
    // province B reads it: same years and balance, 转移收入 booked
    let bytes = transfer::to_bytes(&Certificate {
        to_province: 140000,
        ..cert.clone()
    })
    .expect("bytes");
    let (mut b, officer_b) = open(url_b);
    let county = RegionCode::new(140212).expect("c");
    // money that disagrees: held, nothing booked or added
    let held = transfer::transfer_in(
        &mut b,
        &officer_b,
        &policy,
        &bytes,
        Fen::new(cert.total.fen() - 1),
        county,
        on,
        6,
    )
    .expect("held");
    assert_eq!(held.status, "held");
    assert_eq!(posted(&mut b, "transfer_in"), 0);
    assert_eq!(
        b.query_i64("SELECT count(*) FROM persons", &[]).expect("n"),
        0
    );
    // the same certificate is read once
    let twice = transfer::transfer_in(
        &mut b, &officer_b, &policy, &bytes, cert.total, county, on, 7,
    );
    assert!(matches!(twice, Err(AppError::State(_))), "{twice:?}");
    let mut again = cert.clone();
    again.to_province = 140000;
    again.name.push(' ');
    let bytes = transfer::to_bytes(&again).expect("bytes");
    let done = transfer::transfer_in(
        &mut b, &officer_b, &policy, &bytes, cert.total, county, on, 8,
    )
    .expect("in");
    assert_eq!(done.status, "done", "{:?}", done.reasons);
    assert_eq!(posted(&mut b, "transfer_in"), cert.total.fen());
    let row = b
        .query(&format!("SELECT p.paid_months, p.balance_fen, p.county FROM persons p JOIN person_ids i ON i.person_id = p.id WHERE i.id_number = '{id}'"), &[])
        .expect("person");
    assert_eq!(row[0][0].i64().expect("m"), months as i64);
    assert_eq!(row[0][1].i64().expect("b"), x.balance);
    assert_eq!(row[0][2].i64().expect("c"), 140212);
    let years = b
        .query_i64("SELECT count(*) FROM contribution_years", &[])
        .expect("years");
    assert_eq!(years as usize, cert.years.len());
}

#[test]
fn round_trip_sqlite() {
    story(
        &testing::sqlite_url("transfer_a"),
        &testing::sqlite_url("transfer_b"),
    );
}

#[test]
fn round_trip_postgres() {
    story(
        &testing::pg_url("transfer_a"),
        &testing::pg_url("transfer_b"),
    );
}
