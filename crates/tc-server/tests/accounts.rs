//! The final accounts and the period close in the browser, through the real server on SQLite
//! and PostgreSQL, over a small synthetic province whose January 2020 was collected and
//! disbursed: the page shows the figures of `tongchou_app::final_accounts` (the CLI's), with
//! XLSX and JSON downloads; a county clerk sees their county and is refused (and audited) for
//! another; the close page lists the books with their last closed month.

mod support;

use support::{Client, PW, add_staff, rc};
use tongchou_app::close::{self, CloseRequest};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_app::final_accounts;
use tongchou_core::access::Role;
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

fn seed(url: &str, out: &std::path::Path) -> Db {
    let month: Period = "2020-01".parse().expect("month");
    let mut db = Db::open(url).expect("open");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons: 1000,
        employers: None,
        start: month,
    })
    .expect("generate");
    tongchou_sim::load::write_province(&mut db, &p).expect("load");
    Ledger::new(&mut db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
    tongchou_sim::historical::seed(&mut db, 3, "2019-12-31".parse().expect("d")).expect("hist");
    add_staff(&mut db, "clerk", Role::CountyAgency, 140105);
    add_staff(&mut db, "auditor", Role::Auditor, 140000);
    let officer = add_staff(&mut db, "officer", Role::ProvinceBureauOfficer, 140000);
    let approver = add_staff(&mut db, "approver", Role::FinanceApprover, 140000);
    tongchou_sim::accounts::register_all(&mut db, &officer, "2000-01-01".parse().expect("d"), 0)
        .expect("paying accounts");
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour::default(),
    });
    collect::run_month(&mut db, &policy, month, src).expect("collection");
    let actors = disburse::Actors {
        officer: officer.clone(),
        approver: Some(approver),
    };
    disburse::run_month(&mut db, &policy, month, &actors, &MonthOptions::new(out))
        .expect("disbursement");
    let req = CloseRequest {
        level: Level::County,
        period: month,
        year: false,
        region: Some(rc(140105)),
        today: "2026-01-01".parse().expect("d"),
    };
    close::close(&mut db, &officer, &req, tongchou_app::clock::now_ms()).expect("close");
    // the 2020 budget drafted by the officer for the whole province (from 2019: the historical
    // balances only)
    tongchou_app::budget::draft(&mut db, &policy, &officer, 2020, None, 0).expect("draft");
    db
}

fn scenario(url: &str, tag: &str) {
    let out = std::env::temp_dir().join(format!("tc-accounts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut db = seed(url, &out);
    let fa = final_accounts::compute(&mut db, 2020).expect("final accounts");
    let srv = support::start(url);
    let mut anon = Client::new(srv.addr);
    assert_eq!(anon.get("/accounts/final?year=2020").status, 303);

    let mut aud = Client::new(srv.addr);
    assert_eq!(aud.login("auditor", PW).status, 303);
    assert!(aud.get("/dashboard").body.contains("id=\"accounts-link\""));
    let page = aud.get("/accounts/final?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2020 年企业职工基本养老保险基金决算表"),
        "{}",
        page.body
    );
    assert!(page.body.contains("山西省汇总") && page.body.contains("年末滚存结余"));
    let p = fa.books[0].consolidated.as_ref().expect("province");
    let closing = format!("{} 元", p.closing.grouped());
    assert!(p.closing.is_positive());
    assert!(page.body.contains(&closing), "{closing} not in the page");
    // the JSON download is the CLI's JSON
    let (status, _, json) = aud.get_bytes("/accounts/final?year=2020&format=json");
    assert_eq!(status, 200);
    let j: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(j, fa.json(rc(140000)).expect("json"));
    let (status, _, book) = aud.get_bytes("/accounts/final?year=2020&region=140100&format=xlsx");
    assert_eq!(status, 200);
    assert!(book.starts_with(b"PK\x03\x04"));

    // a county clerk: their county, not another
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let own = clerk.get("/accounts/final?year=2020&region=140105");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("小店区") && !own.body.contains("迎泽区"));
    let other = clerk.get("/accounts/final?year=2020&region=140106");
    assert_eq!(other.status, 403, "{}", other.body);
    let denied = tongchou_store::audit::list(
        &mut db,
        &tongchou_store::audit::Filter {
            action: Some("report.read".into()),
            ..Default::default()
        },
    )
    .expect("audit");
    assert!(
        denied
            .iter()
            .any(|r| r.result == "denied" && r.object_id == "final_accounts")
    );

    // the budget page: the drafted budget, its execution and its actions, in Chinese
    let page = aud.get("/budget?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2020 年基金预算（第 0 号，compiling）"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"budget-table\"") && page.body.contains("id=\"execution-table\"")
    );
    assert!(
        page.body.contains("年初滚存结余") && page.body.contains("officer draft"),
        "{}",
        page.body
    );
    assert_eq!(clerk.get("/budget?year=2020&region=140100").status, 403);
    assert_eq!(aud.get("/budget?year=2031").status, 404);

    // the close page: 小店区 closed through January, its neighbours not yet
    let page = aud.get("/close?region=140100");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<td>小店区</td><td>县级</td><td>2020-01</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td>迎泽区</td><td>县级</td><td>未结账</td>"),
        "{}",
        page.body
    );
}

#[test]
fn final_accounts_and_close_pages_on_sqlite() {
    scenario(
        &tongchou_store::testing::sqlite_url("accounts_web"),
        "sqlite",
    );
}

#[test]
fn final_accounts_and_close_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("accounts_web"), "pg");
}
