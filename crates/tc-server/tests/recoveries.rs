//! Recovery cases in the browser, on SQLite and PostgreSQL: a county clerk sees the cases of
//! their county and records a repayment (booked through the ledger), proposes a write-off; the
//! provincial approver decides it; a clerk of another county is refused; an insured person may
//! not see the page.

mod support;

use support::{Client, PW, seed, start};
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
