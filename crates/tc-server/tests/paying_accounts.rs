//! The county agencies' paying accounts in the browser, on SQLite and PostgreSQL: a county
//! clerk submits their county's account (another county's is refused), it is pending and pays
//! nothing; the clerk cannot review it; the bureau's reviewer refuses a version without a reason
//! (refused), then confirms it; only then is it in force. An auditor sees the last four digits;
//! an insured person may not see the page.

mod support;

use support::{Client, PW, seed, start};
use tongchou_core::RegionCode;
use tongchou_store::Db;

fn scenario(url: &str) {
    seed(url);
    let srv = start(url);
    let code =
        tongchou_sim::accounts::credit_code(RegionCode::new(140105).expect("rc")).expect("code");
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let page = clerk.get("/paying-accounts");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"set-account\""), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let form = |region: &'static str, account: &'static str| {
        vec![
            ("region", region),
            ("agency", "太原市小店区社会保险事业管理中心"),
            ("account", account),
            ("bank_name", "中国工商银行太原小店支行"),
            ("cnaps", "102161000011"),
            ("valid_from", "2020-01-01"),
        ]
    };
    let post = |c: &mut Client, region: &'static str, account: &'static str, csrf: &str| {
        let mut f = form(region, account);
        f.push(("credit_code", code.as_str()));
        f.push(("csrf", csrf));
        c.post_form("/paying-accounts/set", &f)
    };
    // no CSRF, another county: refused
    assert_eq!(
        post(&mut clerk, "140105", "0502123409000012345", "x").status,
        403
    );
    let other = post(&mut clerk, "140106", "0502123409000012345", &csrf);
    assert_eq!(other.status, 403, "{}", other.body);
    let bad = post(&mut clerk, "140105", "0502-12", &csrf);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("account_number"), "{}", bad.body);
    let r = post(&mut clerk, "140105", "0502123409000012345", &csrf);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = clerk.get(r.header("location").expect("location"));
    assert!(after.body.contains("待复核"), "{}", after.body);
    assert!(
        !after.body.contains("id=\"review-140105-1\""),
        "the maker gets no review form"
    );
    let in_force = |url: &str| {
        let mut db = Db::open(url).expect("open");
        tongchou_app::agency_accounts::in_force(
            &mut db,
            RegionCode::new(140105).expect("rc"),
            "2020-06-01".parse().expect("d"),
        )
        .expect("q")
        .map(|a| a.version)
    };
    assert_eq!(in_force(url), None);
    // the clerk cannot confirm their own (no permission; audited)
    let self_review = clerk.post_form(
        "/paying-accounts/review",
        &[
            ("csrf", &csrf),
            ("region", "140105"),
            ("version", "1"),
            ("decision", "confirm"),
        ],
    );
    assert_eq!(self_review.status, 403, "{}", self_review.body);
    // the bureau's reviewer: a refusal needs a reason; then confirms
    let mut reviewer = Client::new(srv.addr);
    reviewer.login("approver", PW);
    let rp = reviewer.get("/paying-accounts");
    assert!(rp.body.contains("id=\"review-140105-1\""), "{}", rp.body);
    assert!(
        rp.body.contains("0502123409000012345"),
        "the reviewer sees the full number"
    );
    let rcsrf = Client::csrf_in(&rp.body);
    let refuse = reviewer.post_form(
        "/paying-accounts/review",
        &[
            ("csrf", &rcsrf),
            ("region", "140105"),
            ("version", "1"),
            ("decision", "refuse"),
        ],
    );
    assert_eq!(refuse.status, 400, "{}", refuse.body);
    let ok = reviewer.post_form(
        "/paying-accounts/review",
        &[
            ("csrf", &rcsrf),
            ("region", "140105"),
            ("version", "1"),
            ("decision", "confirm"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let shown = reviewer.get(ok.header("location").expect("location"));
    assert!(shown.body.contains("已确认"), "{}", shown.body);
    assert_eq!(in_force(url), Some(1));
    // an auditor reads the list with the number masked; an insured person is refused
    let mut auditor = Client::new(srv.addr);
    auditor.login("auditor", PW);
    let a = auditor.get("/paying-accounts");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("****2345") && !a.body.contains("0502123409000012345"));
    assert!(!a.body.contains("id=\"set-account\""));
    // the list filters, sorts, pages and exports what it selects (masked for the auditor)
    assert!(a.body.contains("共 1 行，第 1 / 1 页"), "{}", a.body);
    let none = auditor.get("/paying-accounts?q=%E5%A4%AA%E5%8E%9F%E5%B8%82%E6%99%8B%E6%BA%90");
    assert!(none.body.contains("共 0 行"), "{}", none.body);
    let (st, headers, csv) = auditor.get_bytes("/paying-accounts?export=csv&sort=2&dir=desc");
    assert_eq!(st, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/csv"))
    );
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.contains("地区,类型,版本") && csv.contains("****2345"),
        "{csv}"
    );
    assert!(!csv.contains("0502123409000012345"));
    let mut citizen = Client::new(srv.addr);
    citizen.login("citizen", PW);
    assert_eq!(citizen.get("/paying-accounts").status, 403);
    let mut db = Db::open(url).expect("open");
    let audited = |db: &mut Db, action: &str, result: &str| {
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = $1 AND result = $2",
            &[
                tongchou_store::Val::Str(action),
                tongchou_store::Val::Str(result),
            ],
        )
        .expect("q")
    };
    assert_eq!(audited(&mut db, "agency_account.set", "ok"), 1);
    assert_eq!(audited(&mut db, "agency_account.review", "confirmed"), 1);
    assert!(audited(&mut db, "agency_account.review", "denied") >= 1);
}

#[test]
fn paying_accounts_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("paying_accounts_web"));
}

#[test]
fn paying_accounts_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("paying_accounts_web"));
}
