//! The fund-use application in the browser, through the real server on a random port, on SQLite
//! and PostgreSQL: the month stops after its plans step; users see the plan rows of their own
//! region; only the finance approver gets the decision form, the officer who submitted the
//! application cannot decide it, a bad amount is refused, the decision is recorded once, and the
//! month's next run applies it.

mod support;

use support::{Client, PW, recorded, seed, seed_application, start};
use tongchou_app::disburse;
use tongchou_core::Period;
use tongchou_store::ledger::Ledger;

fn month() -> Period {
    "2022-06".parse().expect("month")
}

fn scenario(url: &str, tag: &str) {
    seed(url);
    let out = std::env::temp_dir().join(format!("tc-plans-{tag}-{}", std::process::id()));
    let (mut db, policy, actors) = seed_application(url, &out);
    let srv = start(url);
    // a county clerk sees the list and the rows of their county
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let list = clerk.get("/plans");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("2022-06") && list.body.contains("待批复"),
        "{}",
        list.body
    );
    let page = clerk.get("/plans/2022-06");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<td>140105</td>"), "{}", page.body);
    assert!(page.body.contains("4,194.36 元"), "{}", page.body);
    assert!(
        !page.body.contains("decision-form"),
        "a clerk cannot decide"
    );
    // a clerk of another county does not see it
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let other = clerk2.get("/plans/2022-06");
    assert_eq!(other.status, 200);
    assert!(!other.body.contains("<td>140105</td>"), "{}", other.body);
    // an insured person may not look at plans
    let mut citizen = Client::new(srv.addr);
    assert_eq!(citizen.login("citizen", PW).status, 303);
    assert_eq!(citizen.get("/plans").status, 403);

    // the officer who submitted the application cannot decide it
    let mut officer = Client::new(srv.addr);
    assert_eq!(officer.login("officer", PW).status, 303);
    let dash = officer.get("/dashboard");
    assert!(dash.body.contains("plans-link"));
    let csrf = Client::csrf_in(&dash.body);
    let r = officer.post_form(
        "/plans/2022-06/decision",
        &[("decision", "full"), ("csrf", &csrf)],
    );
    assert_ne!(r.status, 303);
    assert!(r.body.contains("决定未记录"), "{}", r.body);
    // the refusal is audited although the decision's transaction was rolled back (finding 1)
    let denied = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE login = 'officer' AND action = 'approval.decide' \
             AND result = 'denied' AND details LIKE '%self_approval%'",
            &[],
        )
        .expect("audit");
    assert_eq!(denied, 1, "the officer's refused decision is audited");
    // and a refused page is audited at the edge
    let forbidden = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE login = 'citizen' AND action = 'http.forbidden' \
             AND object_id = '/plans'",
            &[],
        )
        .expect("audit");
    assert_eq!(
        forbidden, 1,
        "the insured person's refused GET /plans is audited"
    );

    // the JSON API routes a fund-use decision the same way: its amount is required
    let mut api = Client::new(srv.addr);
    assert_eq!(api.login("finance", PW).status, 303);
    let api_csrf = api.get("/api/me").json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let id = db
        .query_i64(
            "SELECT approval_id FROM fund_plans WHERE month = 202206 AND level = 'province'",
            &[],
        )
        .expect("approval id");
    let r = api.post_json(
        &format!("/api/approvals/{id}/decision"),
        &serde_json::json!({"decision": "partly_approved"}),
        Some(&api_csrf),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("approved"), "{}", r.body);

    // the finance approver: the form, a bad amount refused, without CSRF refused, then half
    let mut fin = Client::new(srv.addr);
    assert_eq!(fin.login("finance", PW).status, 303);
    // the dashboard says what awaits the approver
    let dash = fin.get("/dashboard");
    assert!(
        dash.body.contains("id=\"awaiting\"") && dash.body.contains("/plans/2022-06"),
        "{}",
        dash.body
    );
    let page = fin.get("/plans/2022-06");
    assert!(page.body.contains("decision-form"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[
            ("decision", "partial"),
            ("amount", "5000.00"),
            ("csrf", &csrf),
        ],
    );
    assert_ne!(r.status, 303);
    assert!(r.body.contains("批准金额 5,000.00 元"), "{}", r.body);
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[("decision", "partial"), ("amount", "2000.00")],
    );
    assert_eq!(r.status, 403, "no CSRF token");
    // a rejection is confirmed first; a refusal comes back on the plan page, form and all
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[("decision", "reject"), ("reason", "x"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("不予批复须勾选确认") && r.body.contains("decision-form"),
        "{}",
        r.body
    );
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[
            ("decision", "reject"),
            ("reason", ""),
            ("confirm_reject", "yes"),
            ("csrf", &csrf),
        ],
    );
    assert!(
        r.body.contains("决定未记录") && r.body.contains("decision-form"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("id=\"plan-months-payable\""),
        "the months payable beside the form: {}",
        r.body
    );
    // amounts are typed as finance staff write them
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[
            ("decision", "partial"),
            ("amount", "2,000.00 元"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/plans/2022-06"));
    let page = fin.get("/plans/2022-06");
    assert!(
        page.body.contains("data-status=\"partly_approved\"") && page.body.contains("2,000.00 元"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("decision-form"),
        "decided: no form any more"
    );
    assert!(
        !fin.get("/dashboard").body.contains("id=\"awaiting\""),
        "nothing awaits once decided"
    );
    // execution so far: Taiyuan's payroll, nothing allocated yet
    assert!(
        page.body
            .contains("<td>140100</td><td>太原市</td><td class=\"num\">4,194.36 元</td><td class=\"num\">0.00 元</td><td class=\"num\">0.00 元</td>"),
        "{}",
        page.body
    );
    // once only
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[("decision", "full"), ("csrf", &csrf)],
    );
    assert_ne!(r.status, 303);
    drop(srv);

    // the month's next run applies the decision
    let done = disburse::run_month(&mut db, &policy, month(), &actors, &recorded(&out))
        .expect("month after the decision");
    assert_eq!(done["approve"]["decision"], "partly_approved", "{done}");
    assert_eq!(done["approve"]["approved_fen"], 200_000, "{done}");
    // after the month's run the page shows the allocation
    let srv = start(url);
    let mut fin = Client::new(srv.addr);
    assert_eq!(fin.login("finance", PW).status, 303);
    let page = fin.get("/plans/2022-06");
    assert!(page.body.contains("id=\"execution\""), "{}", page.body);
    assert!(
        page.body.contains(
            "<td>140100</td><td>太原市</td><td class=\"num\">4,194.36 元</td><td class=\"num\">0.00 元</td><td class=\"num\">2,000.00 元</td>"
        ),
        "{}",
        page.body
    );
    drop(srv);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn fund_plan_decision_in_the_browser_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("plans"), "sqlite");
}

#[test]
fn fund_plan_decision_in_the_browser_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("plans"), "pg");
}
