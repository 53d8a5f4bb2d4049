//! Retirement approval in the browser, through the real server on a random port, on SQLite and
//! PostgreSQL: the county clerk submits an application by ID number and sees the pension it
//! would fix with its explanation; a clerk of another county gets the same answer as for an
//! unknown number and cannot open it; the submitter cannot decide; the reviewer refuses only
//! with a confirmation and a note, and approves; every read of an application is audited.

mod support;

use support::{Client, PW, rc, seed, start};
use tongchou_core::{Date, IdNumber};
use tongchou_store::Db;

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

fn bank<'a>(csrf: &'a str, id_number: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("id_number", id_number),
        ("retire", ""),
        ("bank_code", "ICBC"),
        ("bank_name", "中国工商银行"),
        ("bank_account", "6222020200112233445"),
    ]
}

fn scenario(url: &str) {
    let s = seed(url);
    let mut db = Db::open(url).expect("open");
    let idn = support::insured(&mut db);
    let srv = start(url);

    // a clerk of another county: the same answer as for a number nobody has
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let csrf2 = Client::csrf_in(&clerk2.get("/retirement").body);
    let r = clerk2.post_form("/retirement", &bank(&csrf2, &idn));
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("本辖区无此参保人"), "{}", r.body);
    assert!(!r.body.contains("周退休"), "{}", r.body);
    let unknown = IdNumber::from_parts(rc(140106), Date::new(1965, 1, 10).expect("d"), 5);
    let r2 = clerk2.post_form("/retirement", &bank(&csrf2, unknown.as_str()));
    assert_eq!(r2.status, 404, "{}", r2.body);

    // the county's clerk submits
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("retirement-link"));
    let page = clerk.get("/retirement");
    assert!(page.body.contains("retire-form"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let r = clerk.post_form("/retirement", &bank(&csrf, &idn));
    assert_eq!(r.status, 303, "{}", r.body);
    let at = r.header("location").expect("location").to_string();
    assert!(at.starts_with("/retirement/"), "{at}");
    let shown = clerk.get(&at);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("待审批"), "{}", shown.body);
    assert!(shown.body.contains("id=\"award-total\""), "{}", shown.body);
    assert!(
        shown.body.contains("data-rule=\"pension.basic\""),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains(" 元"),
        "amounts in yuan: {}",
        shown.body
    );
    assert!(
        !shown.body.contains("retire-decision"),
        "the submitter gets no form"
    );
    let id = at.trim_start_matches("/retirement/").to_string();
    // the submitter cannot decide
    let r = clerk.post_form(
        &format!("{at}/decision"),
        &[("csrf", &csrf), ("verdict", "approve"), ("note", "")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // the other county cannot open it
    assert_eq!(clerk2.get(&at).status, 404);
    // and sees nothing of it in the list
    assert!(!clerk2.get("/retirement").body.contains(&at));
    assert!(clerk.get("/retirement?status=pending").body.contains(&at));
    // the list sorts, filters and exports what it selects, keeping the status filter
    let sorted = clerk.get("/retirement?status=pending&sort=0&dir=desc");
    assert!(
        sorted.body.contains("编号 ▼") && sorted.body.contains(&at),
        "{}",
        sorted.body
    );
    assert!(
        !clerk
            .get("/retirement?status=pending&q=nobody")
            .body
            .contains(&at)
    );
    let (st, _, csv) = clerk.get_bytes("/retirement?status=pending&export=csv");
    assert_eq!(st, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("\u{feff}编号,人员编号,区县"), "{csv}");

    // the reviewer: a refusal needs the confirmation and a note; then approves
    let mut approver = Client::new(srv.addr);
    assert_eq!(approver.login("approver", PW).status, 303);
    let page = approver.get(&at);
    assert!(page.body.contains("retire-decision"), "{}", page.body);
    let csrf_a = Client::csrf_in(&page.body);
    let r = approver.post_form(
        &format!("{at}/decision"),
        &[
            ("csrf", &csrf_a),
            ("verdict", "refuse"),
            ("note", "材料不全"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("retire-decision"), "the form is back");
    let r = approver.post_form(
        &format!("{at}/decision"),
        &[
            ("csrf", &csrf_a),
            ("verdict", "approve"),
            ("note", "档案审核通过"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("已批准"), "{}", r.body);
    assert!(r.body.contains("id=\"pension-now\""), "{}", r.body);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM pensioners WHERE person_id = 2001"
        ),
        1
    );
    let reads = count(
        &mut db,
        &format!(
            "SELECT count(*) FROM audit_log WHERE action = 'retirement.read' AND result = 'ok' \
             AND object_id = 'application:{id}'"
        ),
    );
    assert!(reads >= 3, "each read audited: {reads}");
    // the seeded pensioner's ID number never shows on these pages
    assert!(!clerk.get("/retirement").body.contains(&s.p1.1));
    // an insured person may not see the pages
    let mut citizen = Client::new(srv.addr);
    assert_eq!(citizen.login("citizen", PW).status, 303);
    assert_eq!(citizen.get("/retirement").status, 403);
}

#[test]
fn retirement_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_retirement"));
}

#[test]
fn retirement_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_retirement"));
}
