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
    let counties: Vec<RegionCode> = a.counties.iter().map(|c| c.region).collect();
    drills_in_both_languages(db, &counties);
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
/// Every drill-down of `county` in Chinese and in English: in English no cell, column or title
/// holds Chinese (the stored codes of a recovery's kind and status, a retirement application's
/// status and its decision's timeliness, an unpaid line's item and status through the
/// catalogue); in Chinese those cells are Chinese words, not codes.
fn drills_in_both_languages(db: &mut Db, counties: &[RegionCode]) {
    use tongchou_app::reports::Cell;
    use tongchou_core::i18n::{Lang, scope};
    let cjk = |s: &str| {
        s.chars()
            .any(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'))
    };
    let mut worded = 0;
    for (&county, indicator) in counties.iter().flat_map(|c| {
        tongchou_core::rules::governance::INDICATORS
            .iter()
            .map(move |i| (c, *i))
    }) {
        let en = scope(Lang::En, || {
            tongchou_app::assess::drill(db, 2020, county, indicator)
        })
        .expect(indicator);
        let zh = scope(Lang::ZhCn, || {
            tongchou_app::assess::drill(db, 2020, county, indicator)
        })
        .expect(indicator);
        let place = Divisions::shanxi()
            .get(county)
            .map_or(String::new(), |r| r.name.clone());
        assert!(!cjk(&en.title.replace(&place, "")), "{}", en.title);
        for c in &en.cols {
            assert!(!cjk(c.en()), "{indicator}: {}", c.en());
        }
        let words: &[usize] = match indicator {
            "policy_execution" | "fund_security" => &[1, 4],
            "retirement_approval" => &[3, 5],
            "payment" => &[2, 4],
            _ => &[],
        };
        for (e, z) in en.rows.iter().zip(&zh.rows) {
            for (i, cell) in e.iter().enumerate() {
                if let Cell::Text(t) = cell {
                    assert!(!cjk(t), "{indicator}: {t}");
                }
                if words.contains(&i) {
                    worded += 1;
                    assert!(
                        matches!(&z[i], Cell::Text(t) if cjk(t)),
                        "{indicator}: {:?}",
                        z[i]
                    );
                }
            }
        }
    }
    assert!(
        worded > 0,
        "no recovery case or retirement decision to show"
    );
}

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
    // due to the centre until advanced and settled
    assert_eq!(balance(db, "central_clearing"), -r.amount.fen());
    assert!(matches!(
        tongchou_app::central::remit(db, &officer, 2022, date("2022-03-31"), 3),
        Err(AppError::Invalid(_))
    ));
}

fn balance(db: &mut Db, kind: &str) -> i64 {
    let id = Chart::standard()
        .account(RegionCode::new(140000).expect("c"), kind)
        .expect("account");
    Ledger::new(db).account(id).expect("read").map_or(0, |a| {
        a.balances.debits_posted.fen() - a.balances.credits_posted.fen()
    })
}

fn ledger_ok(db: &mut Db) {
    let check = Ledger::new(db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
}

fn audited(db: &mut Db, action: &str, result: &str) -> usize {
    tongchou_store::audit::list(
        db,
        &tongchou_store::audit::Filter {
            action: Some(action.into()),
            ..Default::default()
        },
    )
    .expect("audit")
    .iter()
    .filter(|e| e.result == result)
    .count()
}

/// 2021's allocation (pensioners × the per-capita amount entered), four quarters' advances and
/// the year-end settlement: each once, the clearing account back to zero, the fiscal special
/// account moved by allocation − remittance.
fn central_year(db: &mut Db) {
    use tongchou_app::central::{self, AdvanceInput, AllocationInput, PoolingInput};
    let officer = user(db, "central.finance", Role::FinanceOfficer, 140000);
    let clerk = user(db, "central.clerk2", Role::CountyAgency, 140105);
    let fiscal_before = balance(db, "fiscal_special_account");
    let remitted = central::show(db, 2021)
        .expect("show")
        .remitted
        .expect("remitted");
    let pensioners = central::pensioners_before(db, 2021).expect("pensioners");
    assert!(pensioners > 0);
    let alloc = |per_capita: i64, source: &str| AllocationInput {
        year: 2021,
        per_capita: Fen::new(per_capita),
        pensioners: None,
        source_doc: source.into(),
        on: date("2021-03-31"),
    };
    assert!(matches!(
        central::allocate(db, &clerk, &alloc(123_456, "财社〔2021〕1号"), 1),
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(audited(db, "central.allocate", "denied"), 1);
    assert!(matches!(
        central::allocate(db, &officer, &alloc(123_456, " "), 1),
        Err(AppError::Invalid(_))
    ));
    let a =
        central::allocate(db, &officer, &alloc(123_456, "财社〔2021〕1号"), 1).expect("allocate");
    assert!(a.created);
    assert_eq!(a.movement.amount, Fen::new(123_456 * pensioners));
    let again =
        central::allocate(db, &officer, &alloc(123_456, "财社〔2021〕1号"), 2).expect("again");
    assert!(!again.created);
    assert!(matches!(
        central::allocate(db, &officer, &alloc(99_999, "财社〔2021〕1号"), 2),
        Err(AppError::State(_))
    ));
    let allocated = a.movement.amount;
    let adv = |q: u8, paid: Option<i64>| AdvanceInput {
        year: 2021,
        quarter: q,
        paid: paid.map(Fen::new),
        received: None,
        source_doc: format!("预拨通知 {q}"),
        on: date("2021-06-30"),
    };
    assert!(matches!(
        central::advance(db, &officer, &adv(5, None), 3),
        Err(AppError::Invalid(_))
    ));
    for q in 1..=3 {
        let [p, r] = central::advance(db, &officer, &adv(q, None), 3).expect("advance");
        assert!(p.created && r.created);
        assert_eq!(p.movement.amount, quarter_part(remitted, q));
        assert_eq!(r.movement.amount, quarter_part(allocated, q));
        // the same again books nothing
        let [p2, r2] = central::advance(db, &officer, &adv(q, None), 4).expect("again");
        assert!(!p2.created && !r2.created);
    }
    // the fourth quarter paid less than a quarter: the settlement makes it up
    central::advance(db, &officer, &adv(4, Some(100)), 5).expect("q4");
    let view = central::show(db, 2021).expect("show");
    let expect = (allocated.fen() - remitted.fen())
        - (view.advances_received.fen() - view.advances_paid.fen());
    assert_eq!(view.to_settle, Some(Fen::new(expect)));
    let s = central::settle(db, &officer, 2021, "2021 年清算通知", date("2022-02-28"), 6)
        .expect("settle");
    assert_eq!(s.movement.amount, Fen::new(expect));
    assert!(
        !central::settle(db, &officer, 2021, "2021 年清算通知", date("2022-02-28"), 7)
            .expect("again")
            .created
    );
    assert!(matches!(
        central::advance(db, &officer, &adv(1, Some(1)), 8),
        Err(AppError::State(_))
    ));
    // everything settled: the clearing nets to zero, the fund got allocation − remittance
    assert_eq!(balance(db, "central_clearing"), 0);
    assert_eq!(
        balance(db, "fiscal_special_account") - fiscal_before,
        allocated.fen() - remitted.fen()
    );
    // 2022 is national pooling: the finance department's figures, booked once
    assert!(matches!(
        central::allocate(
            db,
            &officer,
            &AllocationInput {
                year: 2022,
                ..alloc(1, "x")
            },
            9
        ),
        Err(AppError::Invalid(_))
    ));
    let pool = |remitted: bool, fen: i64| PoolingInput {
        year: 2022,
        remitted,
        amount: Fen::new(fen),
        source_doc: "财社〔2022〕全国统筹调剂资金".into(),
        on: date("2022-12-20"),
    };
    assert!(
        central::pooling(db, &officer, &pool(true, 100_000_000), 9)
            .expect("up")
            .created
    );
    assert!(
        central::pooling(db, &officer, &pool(false, 250_000_000), 9)
            .expect("down")
            .created
    );
    assert!(
        !central::pooling(db, &officer, &pool(false, 250_000_000), 10)
            .expect("again")
            .created
    );
    assert!(matches!(
        central::pooling(
            db,
            &officer,
            &PoolingInput {
                year: 2021,
                ..pool(true, 1)
            },
            10
        ),
        Err(AppError::Invalid(_))
    ));
    let j = central::json(&central::show(db, 2022).expect("2022"));
    assert_eq!(j["regime"], "national-pooling");
    assert_eq!(j["movements"].as_array().map(Vec::len), Some(2));
    let j = central::json(&central::show(db, 2021).expect("2021"));
    assert_eq!(j["movements"].as_array().map(Vec::len), Some(2 + 8 + 1));
    assert_eq!(j["settlement"], Fen::new(expect).to_string());
    ledger_ok(db);
}

fn quarter_part(f: Fen, q: u8) -> Fen {
    tongchou_core::rules::governance::quarter_part(f, q).expect("q")
}

/// The reserve fund: equity transferred, a dividend, uses within 2020's gap with a maker and a
/// different checker, a sale refused before the lock-up and done after it.
fn reserve_fund(db: &mut Db) {
    use tongchou_app::reserve::{self, HoldingInput, ReturnInput, UseInput};
    let maker = user(db, "reserve.maker", Role::FinanceOfficer, 140000);
    let maker2 = user(db, "reserve.maker2", Role::FinanceOfficer, 140000);
    let checker = user(db, "reserve.checker", Role::FinanceApprover, 140000);
    let clerk = user(db, "reserve.clerk", Role::CountyAgency, 140105);
    let holding = HoldingInput {
        enterprise: "山西某能源集团有限公司".into(),
        credit_code: "91110000600037341L".into(),
        share: "0.1".into(),
        book_value: Fen::from_yuan(50_000_000),
        transfer_date: date("2020-12-14"),
        source_doc: "晋政发〔2020〕24号".into(),
    };
    assert!(matches!(
        reserve::register(db, &clerk, &holding, 1),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        reserve::register(db, &checker, &holding, 1),
        Err(AppError::Forbidden(_))
    ));
    let bad = HoldingInput {
        credit_code: "91110000600037341X".into(),
        ..holding.clone()
    };
    assert!(matches!(
        reserve::register(db, &maker, &bad, 1),
        Err(AppError::Invalid(_))
    ));
    let (h, created) = reserve::register(db, &maker, &holding, 1).expect("register");
    assert!(created);
    assert_eq!(h.lockup_end, date("2023-12-14"));
    assert!(!reserve::register(db, &maker, &holding, 2).expect("again").1);
    let more = HoldingInput {
        book_value: Fen::from_yuan(1),
        ..holding.clone()
    };
    assert!(matches!(
        reserve::register(db, &maker, &more, 2),
        Err(AppError::State(_))
    ));
    let div = ReturnInput {
        holding_id: h.id,
        kind: "dividend".into(),
        amount: Fen::from_yuan(3_000_000),
        received_on: date("2021-06-30"),
        reference: "JK2021-001".into(),
    };
    assert!(reserve::collect(db, &maker, &div, 3).expect("dividend").1);
    assert!(!reserve::collect(db, &maker, &div, 4).expect("again").1);
    let other = ReturnInput {
        amount: Fen::from_yuan(1),
        ..div.clone()
    };
    assert!(matches!(
        reserve::collect(db, &maker, &other, 4),
        Err(AppError::State(_))
    ));
    assert_eq!(
        balance(db, "reserve_equity"),
        Fen::from_yuan(50_000_000).fen()
    );
    assert_eq!(
        balance(db, "reserve_deposit"),
        Fen::from_yuan(3_000_000).fen()
    );
    let gap = tongchou_store::governance::gap_year(db, 2020)
        .expect("gap")
        .expect("computed")
        .gap;
    let uses = |amount: Fen, reference: &str, sell: Option<(i64, Fen)>| UseInput {
        year: 2020,
        amount,
        sell,
        reason: "弥补 2020 年基金缺口".into(),
        reference: reference.into(),
    };
    // more than the gap, or for a year whose gap was not computed, is refused
    let over = gap.try_add(Fen::new(1)).expect("fen");
    let e = reserve::propose_use(db, &maker, &uses(over, "U-0", None), date("2021-07-01"), 5);
    assert!(
        matches!(&e, Err(AppError::Invalid(m)) if m.contains("超过")),
        "{e:?}"
    );
    assert_eq!(
        audited(db, "reserve.use_proposed", "failed"),
        1,
        "the refusal is audited"
    );
    let y2019 = UseInput {
        year: 2019,
        ..uses(Fen::new(1), "U-2019", None)
    };
    assert!(matches!(
        reserve::propose_use(db, &maker, &y2019, date("2021-07-01"), 5),
        Err(AppError::State(_))
    ));
    assert!(gap.fen() >= 2, "{gap}");
    let first = Fen::new(gap.fen() / 2).min(Fen::from_yuan(1_000_000));
    let u = reserve::propose_use(db, &maker, &uses(first, "U-1", None), date("2021-07-01"), 5)
        .expect("propose");
    assert_eq!(u.status, "pending");
    // the maker never approves it, nor another officer without the approver's right
    assert!(matches!(
        reserve::decide_use(db, &maker, u.approval_id, true, "", date("2021-07-01"), 6),
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        reserve::decide_use(db, &maker2, u.approval_id, true, "", date("2021-07-01"), 6),
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        balance(db, "reserve_deposit"),
        Fen::from_yuan(3_000_000).fen()
    );
    let fiscal = balance(db, "fiscal_special_account");
    let done = reserve::decide_use(
        db,
        &checker,
        u.approval_id,
        true,
        "同意",
        date("2021-07-01"),
        7,
    )
    .expect("approve");
    assert_eq!(done.status, "approved");
    assert!(matches!(
        reserve::decide_use(db, &checker, u.approval_id, true, "", date("2021-07-01"), 8),
        Err(AppError::State(_))
    ));
    assert_eq!(
        balance(db, "reserve_deposit"),
        Fen::from_yuan(3_000_000).fen() - first.fen()
    );
    assert_eq!(balance(db, "fiscal_special_account") - fiscal, first.fen());
    // the reserve's money is not the year's own income: the gap stands as computed
    let officer = user(db, "reserve.bureau", Role::ProvinceBureauOfficer, 140000);
    assert!(!gap::compute(db, &officer, 2020, date("2021-01-15"), "t", 9).expect("recompute"));
    // a sale before the lock-up end is refused; after it the holding is sold and used
    let left = gap.try_sub(first).expect("fen");
    let sale = uses(left, "U-2", Some((h.id, Fen::from_yuan(60_000_000))));
    let e = reserve::propose_use(db, &maker, &sale, date("2022-01-01"), 10);
    assert!(
        matches!(&e, Err(AppError::Invalid(m)) if m.contains("禁售期")),
        "{e:?}"
    );
    let u = reserve::propose_use(db, &maker, &sale, date("2024-01-02"), 10).expect("sale");
    let rejected = uses(Fen::new(1), "U-3", None);
    let r = reserve::propose_use(db, &maker, &rejected, date("2024-01-02"), 10);
    assert!(
        matches!(r, Err(AppError::Invalid(_))),
        "the pending sale takes the rest of the gap"
    );
    reserve::decide_use(
        db,
        &checker,
        u.approval_id,
        true,
        "",
        date("2024-01-02"),
        11,
    )
    .expect("sold");
    assert_eq!(balance(db, "reserve_equity"), 0);
    let v = reserve::show(db, &checker, 12).expect("show");
    assert_eq!(
        v.fund.fen(),
        balance(db, "reserve_equity") + balance(db, "reserve_deposit")
    );
    assert!(matches!(
        reserve::show(db, &clerk, 12),
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(audited(db, "reserve.use", "ok"), 2);
    ledger_ok(db);
}

fn run(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    months(&mut db, tag);
    early_warning(&mut db);
    assessment(&mut db);
    gap_sharing(&mut db);
    central_adjustment(&mut db);
    central_year(&mut db);
    reserve_fund(&mut db);
}

#[test]
fn governance_on_sqlite() {
    run(&testing::sqlite_url("governance"), "sqlite");
}

#[test]
fn governance_on_postgres() {
    run(&testing::pg_url("governance"), "pg");
}
