//! Recovery cases in the browser, on SQLite and PostgreSQL: a county clerk sees the cases of
//! their county and records a repayment (booked through the ledger), proposes a write-off; the
//! provincial approver decides it; a clerk of another county is refused; an insured person may
//! not see the page.

mod support;

use support::{Client, PW, in_english, seed, start};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    db.exec(
        "INSERT INTO recovery_cases (person_id, id, kind, county, month, amount_fen, status, source, opened_month, details) \
         VALUES (1001, 55, 'duplicate_receipt', 140105, 202203, 300000, 'open', 'roll', 202204, '{}')",
        &[],
    )
    .expect("case");
    let srv = start(url);
    assert_eq!(Client::new(srv.addr).get("/recoveries").status, 303);
    let mut citizen = Client::new(srv.addr);
    citizen.login("citizen", PW);
    assert_eq!(citizen.get("/recoveries").status, 403);

    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let page = clerk.get("/recoveries");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("重复领取") && page.body.contains("3,000.00 元"),
        "{}",
        page.body
    );
    let csrf = Client::csrf_in(&page.body);
    let paid = clerk.post_form(
        "/recoveries/repay",
        &[
            ("csrf", &csrf),
            ("person", "1001"),
            ("case", "55"),
            ("amount", "100"),
            ("on", "2022-05-06"),
            ("reference", "BK-1"),
        ],
    );
    assert_eq!(paid.status, 303, "{}", paid.body);
    let after = clerk.get(paid.header("location").expect("location"));
    assert!(after.body.contains("待追回 2,900.00 元"), "{}", after.body);

    let mut other = Client::new(srv.addr);
    other.login("clerk2", PW);
    let p2 = other.get("/recoveries");
    assert!(!p2.body.contains("重复领取"), "another county's case shown");
    let c2 = Client::csrf_in(&p2.body);
    let refused = other.post_form(
        "/recoveries/repay",
        &[
            ("csrf", &c2),
            ("person", "1001"),
            ("case", "55"),
            ("amount", "1"),
            ("reference", "X"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    let proposed = clerk.post_form(
        "/recoveries/write-off",
        &[
            ("csrf", &csrf),
            ("person", "1001"),
            ("case", "55"),
            ("reason", "无法追回"),
        ],
    );
    assert_eq!(proposed.status, 303, "{}", proposed.body);
    let approval = db
        .query_i64(
            "SELECT id FROM approvals WHERE kind = 'recovery_write_off' AND object_id = 'recovery:1001:55'",
            &[],
        )
        .expect("approval");
    let mut approver = Client::new(srv.addr);
    approver.login("approver", PW);
    let ap = approver.get("/recoveries");
    let ca = Client::csrf_in(&ap.body);
    let decided = approver.post_form(
        "/recoveries/decide",
        &[
            ("csrf", &ca),
            ("approval", &approval.to_string()),
            ("decision", "approve"),
            ("note", "同意"),
        ],
    );
    assert_eq!(decided.status, 303, "{}", decided.body);
    let end = clerk.get("/recoveries");
    assert!(
        end.body.contains("已核销") && end.body.contains("2,900.00 元"),
        "{}",
        end.body
    );
    in_english(&mut clerk, &["/recoveries"], &[]);
    let n = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('recovery.repay', 'recovery.write_off') AND result = 'ok'",
            &[],
        )
        .expect("audit");
    assert_eq!(n, 2);
    let status = db
        .query("SELECT status FROM recovery_cases WHERE id = 55", &[])
        .expect("status");
    assert_eq!(
        status[0][0],
        tongchou_store::Value::Text("written_off".into())
    );
}

#[test]
fn recoveries_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("rec_pages"));
}

#[test]
fn recoveries_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("rec_pages"));
}

/// Back-payments in the browser: the county clerk assesses months of 2019 for a person of their
/// county by ID number (released at once), and a whole year (pending); a clerk of another county
/// is refused; the provincial approver approves the year from its page; the months and how they
/// were computed are shown.
fn back_payments(url: &str) {
    let s = seed(url);
    let srv = start(url);
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk2", PW);
    let page = clerk.get("/backpay");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let id_number = s.p2.1.clone();
    let r = clerk.post_form(
        "/backpay/assess",
        &[
            ("csrf", &csrf),
            ("id_number", &id_number),
            ("months", "2019-01..2019-03:5000"),
            ("reason", "单位漏报"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let detail = clerk.get(r.header("location").expect("location"));
    assert!(detail.body.contains("已核定，待征收"), "{}", detail.body);
    assert!(
        detail.body.contains("id=\"backpay-months\"") && detail.body.contains("2019-03-31"),
        "{}",
        detail.body
    );
    assert!(
        detail
            .body
            .contains("contribution.backpay_approval_threshold"),
        "{}",
        detail.body
    );
    // a whole year needs approval; the same months again are refused
    let big = clerk.post_form(
        "/backpay/assess",
        &[
            ("csrf", &csrf),
            ("id_number", &id_number),
            ("months", "2018-01..2018-12:8000"),
            ("reason", "补缴 2018 年"),
        ],
    );
    assert_eq!(big.status, 303, "{}", big.body);
    let big_url = big.header("location").expect("location").to_string();
    assert!(clerk.get(&big_url).body.contains("待审批"));
    assert!(!clerk.get(&big_url).body.contains("id=\"decide-form\""));
    let again = clerk.post_form(
        "/backpay/assess",
        &[
            ("csrf", &csrf),
            ("id_number", &id_number),
            ("months", "2019-02:5000"),
            ("reason", "重复"),
        ],
    );
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("已核定"), "{}", again.body);
    // a clerk of another county may not assess this person
    let mut other = Client::new(srv.addr);
    other.login("clerk", PW);
    let csrf_o = Client::csrf_in(&other.get("/backpay").body);
    let refused = other.post_form(
        "/backpay/assess",
        &[
            ("csrf", &csrf_o),
            ("id_number", &id_number),
            ("months", "2017-01:5000"),
            ("reason", "x"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    // the provincial approver approves the year
    let mut approver = Client::new(srv.addr);
    approver.login("approver", PW);
    let p = approver.get(&big_url);
    assert!(p.body.contains("id=\"decide-form\""), "{}", p.body);
    let id = big_url
        .trim_start_matches("/backpay/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let r = approver.post_form(
        &format!("/backpay/{id}/decide"),
        &[
            ("csrf", &Client::csrf_in(&p.body)),
            ("decision", "approve"),
            ("note", "核实工资台账"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let p = approver.get(r.header("location").expect("location"));
    assert!(
        p.body.contains("已核定，待征收") && p.body.contains("核实工资台账"),
        "{}",
        p.body
    );
    let mut db = Db::open(url).expect("open");
    let open = db
        .query_i64("SELECT count(*) FROM arrears WHERE person_id = 1002", &[])
        .expect("q");
    assert_eq!(open, 15);
}

#[test]
fn back_payments_page_on_sqlite() {
    back_payments(&tongchou_store::testing::sqlite_url("backpay_web"));
}

#[test]
fn back_payments_page_on_postgres() {
    back_payments(&tongchou_store::testing::pg_url("backpay_web"));
}
