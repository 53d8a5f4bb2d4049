//! The month's run as the bureau follows it, through the real server on SQLite and PostgreSQL:
//! a month whose application waits for the finance department says so, step by step; once
//! decided and run, its steps read done; a county clerk may not see the page.

mod support;

use support::{Client, PW, recorded, seed, seed_application, start};
use tongchou_app::disburse;
use tongchou_engine::disbursement::Decision;

fn scenario(url: &str, tag: &str) {
    seed(url);
    let out = std::env::temp_dir().join(format!("tc-month-{tag}-{}", std::process::id()));
    let (mut db, policy, actors) = seed_application(url, &out);
    let srv = start(url);
    let mut auditor = Client::new(srv.addr);
    assert_eq!(auditor.login("auditor", PW).status, 303);
    assert!(auditor.get("/dashboard").body.contains("month-link"));
    let r = auditor.get("/month");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("2022-06"), "{}", r.body);
    assert!(r.body.contains("id=\"month-waiting\""), "{}", r.body);
    assert!(r.body.contains("等待财政厅审批"), "{}", r.body);
    assert!(
        r.body.contains(
            "<tr data-step=\"approve\"><td>财政审批 approval</td><td>未完成 not yet</td>"
        ),
        "{}",
        r.body
    );
    // decided and run: the steps up to the payment files are done, nothing waits
    let month = "2022-06".parse().expect("month");
    let finance = tongchou_store::access::get_user(&mut db, "finance")
        .expect("q")
        .expect("finance")
        .principal();
    disburse::decide_fund_plan(&mut db, &finance, month, &Decision::Full, 0).expect("decide");
    disburse::run_month(&mut db, &policy, month, &actors, &recorded(&out)).expect("run");
    let r = auditor.get("/month?period=2022-06");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("id=\"month-waiting\""), "{}", r.body);
    assert_eq!(r.body.matches("已完成 done").count(), 6, "{}", r.body);
    assert_eq!(auditor.get("/month?period=2022-13").status, 400);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert_eq!(clerk.get("/month").status, 403);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn month_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_month"), "sqlite");
}

#[test]
fn month_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_month"), "pg");
}
