//! The month's run as the bureau follows it, through the real server on SQLite and PostgreSQL:
//! a month whose application waits for the finance department says so, step by step; once
//! decided and run, its steps read done; a county clerk may not see the page. The provincial
//! bureau officer runs a month from the page: the collection closes and the payroll runs, the
//! page says it waits for the plans; running it again does nothing new; a forged form, an
//! auditor's run and a bad month are refused, the auditor's refusal and every run audited.

mod support;

use support::{Client, PW, ready_for_month, recorded, seed, seed_application, start};
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
            "<tr data-step=\"approve\"><td>财政审批</td><td><strong class=\"warning\">等待中</strong></td>"
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
    assert_eq!(r.body.matches("已完成").count(), 6, "{}", r.body);
    assert_eq!(auditor.get("/month?period=2022-13").status, 400);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert_eq!(clerk.get("/month").status, 403);
    let _ = std::fs::remove_dir_all(&out);
}

fn audited(db: &mut tongchou_store::Db, login: &str, result: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE action = 'month.run' AND login = $1 AND result = $2",
        &[
            tongchou_store::Val::Str(login),
            tongchou_store::Val::Str(result),
        ],
    )
    .expect("count")
}

/// The page of a run started from it, followed (as its reloads would) until the run ends: while
/// it runs, the page says so, reloads itself and offers no second run.
fn follow(c: &mut Client, at: &str) -> support::Resp {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let p = c.get(at);
        assert_eq!(p.status, 200, "{}", p.body);
        if !p.body.contains("id=\"month-running\"") {
            assert!(!p.body.contains("http-equiv=\"refresh\""), "{}", p.body);
            return p;
        }
        assert!(p.body.contains("http-equiv=\"refresh\""), "{}", p.body);
        assert!(!p.body.contains("id=\"month-run\""), "{}", p.body);
        assert!(std::time::Instant::now() < until, "the run never ended");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn run_from_the_page(url: &str) {
    seed(url);
    let mut db = tongchou_store::Db::open(url).expect("open");
    ready_for_month(&mut db);
    let srv = start(url);
    let mut officer = Client::new(srv.addr);
    assert_eq!(officer.login("officer", PW).status, 303);
    let none = officer.get("/month");
    assert_eq!(none.status, 200, "{}", none.body);
    assert!(none.body.contains("id=\"month-none\""), "{}", none.body);
    let page = officer.get("/month?period=2022-06");
    assert!(page.body.contains("id=\"month-run\""), "{}", page.body);
    assert!(page.body.contains("等待征缴结账"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let run = |c: &mut Client, csrf: &str, period: &str| {
        c.post_form("/month/run", &[("csrf", csrf), ("period", period)])
    };
    // a forged form and a bad month change nothing
    assert_eq!(run(&mut officer, "forged", "2022-06").status, 403);
    assert_eq!(run(&mut officer, &csrf, "2022-13").status, 400);
    // an auditor sees the page but may not run the month: refused and audited
    let mut auditor = Client::new(srv.addr);
    assert_eq!(auditor.login("auditor", PW).status, 303);
    let seen = auditor.get("/month?period=2022-06");
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("id=\"month-run\""), "{}", seen.body);
    let auditor_csrf = Client::csrf_in(&auditor.get("/dashboard").body);
    let refused = run(&mut auditor, &auditor_csrf, "2022-06");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("无权运行月度业务"),
        "{}",
        refused.body
    );
    assert_eq!(audited(&mut db, "auditor", "denied"), 1);
    let month = "2022-06".parse().expect("month");
    assert!(!tongchou_app::jobs::is_done(&mut db, "collection", month, "close").expect("q"));
    // the officer runs it: the collection closes, the payroll runs, it waits for the plans
    let r = run(&mut officer, &csrf, "2022-06");
    assert_eq!(r.status, 303, "{}", r.body);
    let at = r.header("location").expect("location").to_string();
    assert!(at.starts_with("/month?period=2022-06&run="), "{at}");
    let shown = follow(&mut officer, &at);
    assert!(
        shown
            .body
            .contains("2022-06 已运行：征缴结账、生成发放名册"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("140105 小店区"), "{}", shown.body);
    assert!(
        shown
            .body
            .contains("<tr data-step=\"payroll\"><td>生成发放名册</td><td>已完成</td>"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("等待中"), "{}", shown.body);
    assert_eq!(audited(&mut db, "officer", "ok"), 1);
    // again: nothing new until the plans are in
    let at = run(&mut officer, &csrf, "2022-06")
        .header("location")
        .expect("location")
        .to_string();
    let again = follow(&mut officer, &at);
    assert!(
        again.body.contains("本次运行未完成新的步骤"),
        "{}",
        again.body
    );
    assert_eq!(audited(&mut db, "officer", "ok"), 2);
}

#[test]
fn month_run_from_the_page_on_sqlite() {
    run_from_the_page(&tongchou_store::testing::sqlite_url("srv_month_run"));
}

#[test]
fn month_run_from_the_page_on_postgres() {
    run_from_the_page(&tongchou_store::testing::pg_url("srv_month_run"));
}

#[test]
fn month_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_month"), "sqlite");
}

#[test]
fn month_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_month"), "pg");
}
