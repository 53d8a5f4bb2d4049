//! The plan chain in the browser, through the real server on a random port, on SQLite and
//! PostgreSQL: the month waits for plans; the county clerk sees the proposal from the payroll and
//! submits it with a note; another county cannot open it; the city returns it (not without a
//! reason and the confirmation), the clerk resubmits, the city forwards and submits the city's
//! plan; the bureau sees the chain per city; the month then applies with the submitted figure.

mod support;

use support::{Client, PW, seed, seed_chain, start};
use tongchou_app::disburse;

fn scenario(url: &str, tag: &str) {
    seed(url);
    let out = std::env::temp_dir().join(format!("tc-chain-{tag}-{}", std::process::id()));
    let (mut db, policy, actors, opts) = seed_chain(url, &out);
    let month = "2022-06".parse().expect("month");
    let srv = start(url);

    // the county clerk: dashboard link, own plan with the proposal, submits with a note
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("chain-link"));
    let r = clerk.get("/chain");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/chain/2022-06/140105"))
    );
    let page = clerk.get("/chain/2022-06/140105");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("4,194.36 元") && page.body.contains("submit-county"),
        "{}",
        page.body
    );
    let csrf = Client::csrf_in(&page.body);
    let r = clerk.post_form(
        "/chain/2022-06/140105/submit",
        &[("note", "六月计划"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = clerk.get("/chain/2022-06/140105");
    assert!(
        page.body.contains("data-state=\"submitted\"") && !page.body.contains("submit-county"),
        "{}",
        page.body
    );
    // submitting again is refused by the use case, in the reader's language
    let again = [("note", "再报"), ("csrf", csrf.as_str())];
    let r = clerk.post_form("/chain/2022-06/140105/submit", &again);
    assert!(
        r.status >= 400
            && r.body
                .contains("140105 小店区 的 2022-06 用款计划已报送，不能再报送"),
        "{}",
        r.body
    );
    clerk.accept_language = Some("en-US,en;q=0.8");
    let r = clerk.post_form("/chain/2022-06/140105/submit", &again);
    assert!(
        r.body.contains(
            "the plan of 140105 小店区 for 2022-06 is submitted: it cannot be submitted again"
        ),
        "{}",
        r.body
    );
    assert!(!r.body.contains("不能再报送"), "{}", r.body);
    clerk.accept_language = None;
    // submitted years after June 2022's deadline (2022-05-25, policy/calendar.toml): a breach
    assert!(
        page.body.contains("id=\"chain-deadline\"")
            && page.body.contains("2022-05-25")
            && page.body.contains("逾期"),
        "{}",
        page.body
    );
    // another county's clerk cannot open it (audited)
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    assert_eq!(clerk2.get("/chain/2022-06/140105").status, 403);
    let denied = db
        .query_i64("SELECT count(*) FROM audit_log WHERE login = 'clerk2' AND action = 'plan.read' AND result = 'denied'", &[])
        .expect("audit");
    assert_eq!(denied, 1);

    // the city: its counties, returns (reason and confirmation required)
    let mut city = Client::new(srv.addr);
    assert_eq!(city.login("city.ty", PW).status, 303);
    let list = city.get("/chain?month=2022-06");
    assert!(
        list.body.contains("open-140105")
            && list.body.contains("已报送")
            && list.body.contains("逾期"),
        "{}",
        list.body
    );
    assert!(list.body.contains("city-waits"), "{}", list.body);
    let page = city.get("/chain/2022-06/140105");
    assert!(
        page.body.contains("return-form") && page.body.contains("forward-form"),
        "{}",
        page.body
    );
    let csrf = Client::csrf_in(&page.body);
    let path = "/chain/2022-06/140105/review";
    let r = city.post_form(
        path,
        &[
            ("verdict", "return"),
            ("reason", ""),
            ("confirm_return", "yes"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = city.post_form(
        path,
        &[
            ("verdict", "return"),
            ("reason", "人数不符"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("勾选确认"), "{}", r.body);
    // another city may not
    let mut other = Client::new(srv.addr);
    assert_eq!(other.login("city.dt", PW).status, 303);
    let ocsrf = Client::csrf_in(&other.get("/dashboard").body);
    assert_eq!(
        other
            .post_form(path, &[("verdict", "forward"), ("csrf", &ocsrf)])
            .status,
        403
    );
    let r = city.post_form(
        path,
        &[
            ("verdict", "return"),
            ("reason", "人数不符"),
            ("confirm_return", "yes"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);

    // the clerk sees the reason and resubmits; both versions stay
    let page = clerk.get("/chain/2022-06/140105");
    assert!(
        page.body.contains("人数不符") && page.body.contains("重新报送"),
        "{}",
        page.body
    );
    let csrf = Client::csrf_in(&page.body);
    let r = clerk.post_form(
        "/chain/2022-06/140105/submit",
        &[("note", "已核对"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = city.get("/chain/2022-06/140105");
    assert!(
        page.body.contains("version-1") && page.body.contains("version-2"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("六月计划") && page.body.contains("已核对"),
        "{}",
        page.body
    );

    // the city forwards, then submits the city's plan
    let csrf = Client::csrf_in(&page.body);
    assert_eq!(
        city.post_form(path, &[("verdict", "forward"), ("csrf", &csrf)])
            .status,
        303
    );
    let list = city.get("/chain?month=2022-06");
    assert!(list.body.contains("submit-city"), "{}", list.body);
    let csrf = Client::csrf_in(&list.body);
    let r = city.post_form(
        "/chain/2022-06/140100/submit",
        &[("note", "太原市六月"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);

    // the bureau sees the chain per city
    let mut bureau = Client::new(srv.addr);
    assert_eq!(bureau.login("officer", PW).status, 303);
    let list = bureau.get("/chain");
    assert!(
        list.body
            .contains("data-region=\"140100\" data-state=\"submitted\""),
        "{}",
        list.body
    );
    drop(srv);

    // the month applies with the submitted figure, and waits for the finance department
    let next = disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("month");
    assert_eq!(next["plans"]["planned_fen"], 419_436, "{next}");
    assert!(next["waiting"]["application"].is_object(), "{next}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn plan_chain_in_the_browser_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("chain"), "sqlite");
}

#[test]
fn plan_chain_in_the_browser_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("chain"), "pg");
}
