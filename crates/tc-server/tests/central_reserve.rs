//! The central adjustment / national pooling page and the reserve fund's page through the real
//! server on SQLite and PostgreSQL: the provincial finance officer sees both from the dashboard,
//! books through their forms (CSRF-checked, audited, once however often posted), a use without a
//! computed gap is refused in Chinese, the approver sees the decision form only, and a county
//! clerk sees neither page.

mod support;

use support::{Client, PW, in_english, seed, start};
use tongchou_core::Fen;
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

/// The reserve fund's balances from the ledger: (equity, deposits).
fn reserve_balances(db: &mut Db) -> (Fen, Fen) {
    let who = tongchou_store::access::get_user(db, "fin.approver")
        .expect("q")
        .expect("user")
        .principal();
    let v = tongchou_app::reserve::show(db, &who, 0).expect("show");
    (v.equity, v.deposits)
}

fn audited(db: &mut Db, action: &str) -> usize {
    let f = tongchou_store::audit::Filter {
        action: Some(action.into()),
        ..Default::default()
    };
    tongchou_store::audit::list(db, &f).expect("audit").len()
}

fn reserve_forms(officer: &mut Client, db: &mut Db) {
    let page = officer.get("/reserve");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"register-form\""), "{}", page.body);
    assert!(!page.body.contains("id=\"decide-form\""));
    let csrf = Client::csrf_in(&page.body);
    let register = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("enterprise", "山西某能源集团有限公司".to_string()),
            ("credit_code", "91110000600037341L".to_string()),
            ("share", "0.1".to_string()),
            ("book_value", "50000000".to_string()),
            ("transfer_date", "2020-12-14".to_string()),
            ("source", "晋政发〔2020〕24号".to_string()),
        ]
    };
    let form = register(&"0".repeat(64));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(officer.post_form("/reserve/register", &pairs).status, 403);
    let form = register(&csrf);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let r = officer.post_form("/reserve/register", &pairs);
        assert_eq!(r.status, 303, "{}", r.body);
    }
    assert_eq!(reserve_balances(db).0, Fen::from_yuan(50_000_000));
    assert_eq!(
        audited(db, "reserve.register"),
        1,
        "posted twice, booked once"
    );
    let page = officer.get("/reserve");
    assert!(
        page.body.contains("山西某能源集团有限公司"),
        "{}",
        page.body
    );
    assert!(page.body.contains("50,000,000.00 元"), "{}", page.body);
    assert!(page.body.contains("2023-12-14"), "{}", page.body);
    let r = officer.post_form(
        "/reserve/dividend",
        &[
            ("csrf", &csrf),
            ("holding", "1"),
            ("kind", "dividend"),
            ("amount", "3000000"),
            ("on", "2021-06-30"),
            ("reference", "JK2021-001"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(reserve_balances(db).1, Fen::from_yuan(3_000_000));
    // no gap computed for 2020: the use is refused, in Chinese, and nothing moves
    let r = officer.post_form(
        "/reserve/use",
        &[
            ("csrf", &csrf),
            ("year", "2020"),
            ("amount", "100"),
            ("reason", "弥补缺口"),
            ("reference", "U-1"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("缺口尚未测算"), "{}", r.body);
    assert_eq!(reserve_balances(db).1, Fen::from_yuan(3_000_000));
}

fn central_forms(officer: &mut Client, db: &mut Db) {
    let page = officer.get("/central?year=2022");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("全国统筹"), "{}", page.body);
    assert!(page.body.contains("id=\"pooling-form\""), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let pooling = [
        ("csrf", csrf.as_str()),
        ("year", "2022"),
        ("direction", "received"),
        ("amount", "2500000"),
        ("source", "财社〔2022〕调剂资金"),
        ("on", "2022-12-20"),
    ];
    for _ in 0..2 {
        assert_eq!(officer.post_form("/central/pooling", &pooling).status, 303);
    }
    let v = tongchou_app::central::show(db, 2022).expect("2022");
    assert_eq!(v.movements.len(), 1, "posted twice, booked once");
    assert_eq!(v.movements[0].amount, Fen::from_yuan(2_500_000));
    let page = officer.get("/central?year=2022");
    assert!(
        page.body.contains("全国统筹下拨") && page.body.contains("2,500,000.00 元"),
        "{}",
        page.body
    );
    // 2021: the allocation from the notice's figures
    let page = officer.get("/central?year=2021");
    assert!(page.body.contains("id=\"allocate-form\""), "{}", page.body);
    let r = officer.post_form(
        "/central/allocate",
        &[
            ("csrf", &csrf),
            ("year", "2021"),
            ("per_capita", "1000"),
            ("pensioners", "10"),
            ("source", "财社〔2021〕1号"),
            ("on", "2021-03-31"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get("/central?year=2021");
    assert!(page.body.contains("10 人 × 1,000.00 元"), "{}", page.body);
    let v = tongchou_app::central::show(db, 2021).expect("2021");
    assert_eq!(v.allocated, Some(Fen::from_yuan(10_000)));
    let r = officer.post_form(
        "/central/allocate",
        &[
            ("csrf", &csrf),
            ("year", "2022"),
            ("per_capita", "1"),
            ("source", "x"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("全国统筹"), "{}", r.body);
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let srv = start(url);
    let mut officer = Client::new(srv.addr);
    assert_eq!(officer.login("fin.officer", PW).status, 303);
    let dash = officer.get("/dashboard").body;
    assert!(
        dash.contains("central-link") && dash.contains("reserve-link"),
        "{dash}"
    );
    reserve_forms(&mut officer, &mut db);
    central_forms(&mut officer, &mut db);
    in_english(
        &mut officer,
        &["/reserve", "/central?year=2021", "/central?year=2022"],
        &[
            "山西某能源集团有限公司",
            "晋政发〔2020〕24号",
            "财社〔2022〕调剂资金",
            "财社〔2021〕1号",
        ],
    );
    let mut approver = Client::new(srv.addr);
    assert_eq!(approver.login("fin.approver", PW).status, 303);
    let page = approver.get("/reserve");
    assert!(
        page.body.contains("id=\"decide-form\"") && !page.body.contains("id=\"register-form\"")
    );
    assert!(
        !approver
            .get("/central?year=2021")
            .body
            .contains("id=\"allocate-form\"")
    );
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(!clerk.get("/dashboard").body.contains("reserve-link"));
    assert_eq!(clerk.get("/reserve").status, 403);
    assert_eq!(clerk.get("/central").status, 403);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
}

#[test]
fn central_and_reserve_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_reserve"));
}

#[test]
fn central_and_reserve_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_reserve"));
}
