//! Fund governance on both backends: the month's early warning (one months payable, the same in
//! the warning report and the disbursement report), and the year's gap computed, shared to the
//! fen by county, cause and level, recorded as liabilities in the ledger and settled until
//! nothing is owed.

mod common;

use std::collections::BTreeMap;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_app::{AppError, gap, reports, warn};
use tongchou_core::access::Role;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_ledger::Chart;
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, testing};

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

fn user(db: &mut Db, login: &str, role: Role, region: u32) -> tongchou_core::access::Principal {
    add_user(
        db,
        &Actor::operator("test"),
        &NewUser {
            login,
            display_name: login,
            role,
            region: RegionCode::new(region).expect("code"),
            person_id: None,
            password: "correct horse battery staple",
        },
        &AuthPolicy::default(),
        0,
    )
    .expect("user")
    .principal()
}

/// Two months of a province whose tax bureau collects little (so the fund has a gap).
fn months(db: &mut Db, tag: &str) {
    common::province(db, 1500, "2020-01");
    let actors = common::actors(db);
    tongchou_sim::historical::seed(db, 3, date("2019-12-31")).expect("seed");
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-governance-{}-{tag}", std::process::id()));
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        // per 10,000 assessments: 60 % pay nothing
        behaviour: Behaviour {
            late: 500,
            partial: 1_000,
            none: 6_000,
        },
    });
    for m in ["2020-01", "2020-02"] {
        let month: Period = m.parse().expect("p");
        collect::run_month(db, &policy, month, src).expect("collection");
        let mut opts = MonthOptions::new(&out.join(m));
        opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
        disburse::run_month(db, &policy, month, &actors, &opts).expect("disbursement");
    }
    let _ = std::fs::remove_dir_all(&out);
}

fn early_warning(db: &mut Db) {
    let feb: Period = "2020-02".parse().expect("p");
    let report = warn::compute(db, feb).expect("warn");
    let d = Divisions::shanxi();
    assert_eq!(
        report.regions.len(),
        1 + d.cities().count() + d.counties().count()
    );
    let months = report.province_months_payable().expect("months payable");
    // one definition: the disbursement report shows the same figure
    let sheet = reports::disbursement(db, feb, None).expect("disbursement report");
    let shown = sheet
        .extras
        .iter()
        .find(|e| e.key == "months_payable")
        .map(|e| e.value.text())
        .expect("months payable in the report");
    assert_eq!(shown, tongchou_engine::warning::tenths_text(months));
    assert_eq!(warn::months_payable(db, feb).expect("mp"), Some(months));
    let json = warn::json(&report, None).expect("json");
    assert_eq!(json["period"], "2020-02");
    assert_eq!(
        json["regions"][0]["months_payable"]
            .as_f64()
            .map(|m| (m * 10.0).round() as i64),
        Some(months)
    );
    // most contributors paid nothing: collection against the task warns somewhere, with who acts
    let warned: Vec<_> = report
        .regions
        .iter()
        .flat_map(|r| r.warnings.iter())
        .filter(|w| w.indicator == "collection_rate")
        .collect();
    assert!(!warned.is_empty());
    assert!(
        warned
            .iter()
            .all(|w| !w.act.is_empty() && w.evidence.contains("征缴任务"))
    );
    // a county's scope holds the county only
    let county = report.regions.last().expect("county").region;
    let scoped = warn::json(&report, Some(county)).expect("scoped");
    assert_eq!(scoped["regions"].as_array().map(Vec::len), Some(1));
    // the month before any collection is refused, naming the command
    assert!(matches!(
        warn::compute(db, "2019-12".parse().expect("p")),
        Err(AppError::NotFound(_))
    ));
}

fn receivable_total(db: &mut Db) -> i64 {
    let chart = Chart::standard();
    Ledger::new(db)
        .accounts()
        .expect("accounts")
        .iter()
        .filter(|a| {
            chart
                .kind_of(a.id)
                .is_some_and(|k| k.key == "gap_share_receivable")
        })
        .map(|a| a.balances.debits_posted.fen() - a.balances.credits_posted.fen())
        .sum()
}

fn gap_sharing(db: &mut Db) {
    let officer = user(db, "gap.officer", Role::ProvinceBureauOfficer, 140000);
    let finance = user(db, "gap.finance", Role::FinanceOfficer, 140000);
    let clerk = user(db, "gap.clerk", Role::CountyAgency, 140105);
    let on = date("2021-01-15");
    assert!(matches!(
        gap::compute(db, &clerk, 2020, on, "t", 1),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        gap::compute(db, &officer, 2020, date("2020-12-31"), "t", 1),
        Err(AppError::Invalid(_))
    ));
    assert!(gap::compute(db, &officer, 2020, on, "t", 1).expect("compute"));
    assert!(!gap::compute(db, &officer, 2020, on, "t", 2).expect("again"));
    let v = gap::show(db, 2020, date("2021-07-01")).expect("show");
    assert!(v.year.gap.is_positive(), "{:?}", v.year);
    // every county's shares add up to its gap by cause, and the counties' to the year's gap
    let mut by_county: BTreeMap<i64, i64> = BTreeMap::new();
    for s in &v.shares {
        *by_county.entry(s.county).or_default() += s.amount.fen();
    }
    assert_eq!(by_county.values().sum::<i64>(), v.year.gap.fen());
    let json = gap::json(&v, None).expect("json");
    assert_eq!(json["year"], 2020);
    for r in json["regions"].as_array().expect("regions") {
        let gap: Fen = r["gap"].as_str().expect("gap").parse().expect("yuan");
        let causes: i64 = r["causes"]
            .as_object()
            .expect("causes")
            .values()
            .map(|c| {
                c.as_str()
                    .expect("yuan")
                    .parse::<Fen>()
                    .expect("yuan")
                    .fen()
            })
            .sum();
        let shares: i64 = r["shares"]
            .as_array()
            .expect("shares")
            .iter()
            .map(|s| {
                s["amount"]
                    .as_str()
                    .expect("y")
                    .parse::<Fen>()
                    .expect("y")
                    .fen()
            })
            .sum();
        assert_eq!(gap.fen(), causes);
        assert_eq!(gap.fen(), shares);
    }
    // the liabilities stand in the ledger, overdue after the due date until paid
    assert_eq!(receivable_total(db), v.year.gap.fen());
    assert!(
        json["governments"]
            .as_array()
            .expect("g")
            .iter()
            .all(|g| g["overdue"] == true)
    );
    let governments: Vec<i64> = json["governments"]
        .as_array()
        .expect("g")
        .iter()
        .map(|g| g["region"].as_i64().expect("region"))
        .collect();
    let pay = |db: &mut Db, who, region: i64, amount| {
        gap::settle(
            db,
            who,
            &gap::Payment {
                year: 2020,
                region: RegionCode::from_stored(region).expect("code"),
                amount,
                on: date("2021-03-01"),
            },
            "t",
            3,
        )
    };
    assert!(matches!(
        pay(db, &officer, governments[0], None),
        Err(AppError::Forbidden(_))
    ));
    // one government pays a fen first, then the rest; every other pays all at once
    assert_eq!(
        pay(db, &finance, governments[0], Some(Fen::new(1))).expect("a fen"),
        Fen::new(1)
    );
    for r in &governments {
        assert!(pay(db, &finance, *r, None).expect("settle").is_positive());
    }
    assert!(matches!(
        pay(db, &finance, governments[0], None),
        Err(AppError::Invalid(_))
    ));
    assert_eq!(receivable_total(db), 0, "settlements clear the liabilities");
    let check = Ledger::new(db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let after = gap::json(
        &gap::show(db, 2020, date("2021-07-01")).expect("show"),
        None,
    )
    .expect("j");
    assert!(
        after["governments"]
            .as_array()
            .expect("g")
            .iter()
            .all(|g| g["overdue"] == false && g["outstanding"] == "0.00")
    );
    let audited = tongchou_store::audit::list(
        db,
        &tongchou_store::audit::Filter {
            action: Some("gap.settle".into()),
            ..Default::default()
        },
    )
    .expect("audit");
    assert_eq!(audited.len(), governments.len() + 1);
}

fn assessment(db: &mut Db) {
    let a = tongchou_app::assess::assess(db, 2020).expect("assess");
    let d = Divisions::shanxi();
    assert_eq!(a.cities.len(), d.cities().count());
    assert_eq!(a.counties.len(), d.counties().count());
    let ranks: Vec<usize> = a.counties.iter().map(|c| c.rank).collect();
    assert_eq!(ranks, (1..=a.counties.len()).collect::<Vec<_>>());
    assert!(a.counties.windows(2).all(|w| w[0].score >= w[1].score));
    // most contributors paid nothing: collection is below 1 somewhere, and the score with it
    assert!(
        a.counties
            .iter()
            .any(|c| c.values[2] < tongchou_core::Ratio::ONE && c.score < 10_000)
    );
    let j = tongchou_app::assess::json(&a, None).expect("json");
    assert_eq!(j["year"], 2020);
    let first = &j["counties"][0];
    assert_eq!(first["rank"], 1);
    assert!(first["indicators"]["collection"].is_number(), "{first}");
    assert!(
        first["measures"]["collection"]["den"].is_number(),
        "{first}"
    );
    assert_eq!(
        j["accountability"].as_array().map(|a| a.len() >= 6),
        Some(true)
    );
    // the drill-down: the records behind a county's collection add up to its measure
    let county = a
        .counties
        .iter()
        .find(|c| c.measures[2].den > 0)
        .expect("a county with a task");
    let sheet = tongchou_app::assess::drill(db, 2020, county.region, "collection").expect("drill");
    assert_eq!(sheet.rows.len(), 12);
    let sum = |i: usize| -> i64 {
        sheet
            .rows
            .iter()
            .map(|r| match &r[i] {
                tongchou_app::reports::Cell::Money(f) => f.fen(),
                _ => 0,
            })
            .sum()
    };
    assert_eq!(sum(1), county.measures[2].den);
    assert_eq!(sum(2), county.measures[2].num);
    for indicator in tongchou_core::rules::governance::INDICATORS {
        tongchou_app::assess::drill(db, 2020, county.region, indicator).expect(indicator);
    }
    assert!(matches!(
        tongchou_app::assess::drill(db, 2020, county.region, "nope"),
        Err(AppError::Invalid(_))
    ));
    assert!(matches!(
        tongchou_app::assess::drill(db, 2020, RegionCode::new(140100).expect("c"), "payment"),
        Err(AppError::Invalid(_))
    ));
    // a city's view: itself and its counties
    let city =
        tongchou_app::assess::json(&a, Some(RegionCode::new(140100).expect("c"))).expect("j");
    assert_eq!(city["cities"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        city["counties"].as_array().map(Vec::len),
        Some(d.counties_of(RegionCode::new(140100).expect("c")).count())
    );
}

/// The central adjustment remittance of 2021 (the register at the end of 2020), once; 2022 is
/// national pooling and refused.
fn central_adjustment(db: &mut Db) {
    let officer = user(db, "central.officer", Role::ProvinceBureauOfficer, 140000);
    let clerk = user(db, "central.clerk", Role::CountyAgency, 140105);
    let on = date("2021-03-31");
    assert!(matches!(
        tongchou_app::central::remit(db, &clerk, 2021, on, 1),
        Err(AppError::Forbidden(_))
    ));
    let r = tongchou_app::central::remit(db, &officer, 2021, on, 1).expect("remit");
    assert!(r.created && r.insured > 0);
    // 2020's average wage × 0.9 × insured × 4.5 %, rounded once
    let want = Fen::div_half_up(6_207_700_i128 * 9 * r.insured as i128 * 45, 10_000).expect("fen");
    assert_eq!(r.amount, want);
    let again = tongchou_app::central::remit(db, &officer, 2021, on, 2).expect("again");
    assert!(!again.created && again.amount == r.amount);
    let chart = Chart::standard();
    let account = chart
        .account(
            RegionCode::new(140000).expect("c"),
            "central_adjustment_expenditure",
        )
        .expect("account");
    let booked = Ledger::new(db)
        .account(account)
        .expect("read")
        .expect("open");
    assert_eq!(booked.balances.debits_posted, r.amount);
    assert!(matches!(
        tongchou_app::central::remit(db, &officer, 2022, date("2022-03-31"), 3),
        Err(AppError::Invalid(_))
    ));
}

fn run(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    months(&mut db, tag);
    early_warning(&mut db);
    assessment(&mut db);
    gap_sharing(&mut db);
    central_adjustment(&mut db);
}

#[test]
fn governance_on_sqlite() {
    run(&testing::sqlite_url("governance"), "sqlite");
}

#[test]
fn governance_on_postgres() {
    run(&testing::pg_url("governance"), "pg");
}
