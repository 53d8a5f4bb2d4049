//! The dues file for the tax bureau in the browser, on SQLite and PostgreSQL: the tax bureau
//! downloads the month's dues of its region, sealed for its exchange key (opened back to the
//! CSV with that key, not with another); plain only where the service was told so; refused
//! while the service has neither; another region, and a role without the right, are refused;
//! every download and refusal is audited; anonymous users go to the login.

mod support;

use std::sync::Arc;
use support::{Client, PW, rc, seed, start, start_with};
use tongchou_core::access::Role;
use tongchou_server::Exchange;
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::backup::MasterKey;
use tongchou_store::{Db, Val};

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    for (person, county, base) in [(1001, 140105, 500_000), (1002, 140106, 600_000)] {
        db.exec(
            "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, \
             base_fen, pooling_fen, account_fen, due_date, batch_id) \
             VALUES ($1, 202206, $2, 0, 'flexible', $3, $3, $4, $5, '2022-07-05', 202206)",
            &[
                Val::I64(person),
                Val::I64(county),
                Val::I64(base),
                Val::I64(base * 12 / 100),
                Val::I64(base * 8 / 100),
            ],
        )
        .expect("assessment");
    }
    add_user(
        &mut db,
        &Actor::operator("test"),
        &NewUser {
            login: "tax",
            display_name: "税务 用户",
            role: Role::TaxBureau,
            region: rc(140105),
            person_id: None,
            password: PW,
        },
        &AuthPolicy::default(),
        tongchou_app::clock::now_ms(),
    )
    .expect("user");
    let (key, _) = MasterKey::generate("the tax bureau's exchange key").expect("key");
    let key = Arc::new(key);
    let k = key.clone();
    let srv = start_with(url, move |c| c.dues_exchange = Some(Exchange::Sealed(k)));
    let mut anon = Client::new(srv.addr);
    assert_eq!(anon.get("/dues").status, 303);
    let mut t = Client::new(srv.addr);
    t.login("tax", PW);
    let form = t.get("/dues");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("应缴明细"), "{}", form.body);
    assert!(form.body.contains("交换密钥加密"), "{}", form.body);
    let (status, headers, sealed) = t.get_bytes("/dues/download?period=2022-06");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&sealed));
    assert!(
        headers.iter().any(
            |(k, v)| k == "content-disposition" && v.contains("dues_2022-06_140105.csv.sealed")
        ),
        "{headers:?}"
    );
    // nothing of the file readable without the key
    assert!(!String::from_utf8_lossy(&sealed).contains("张三丰"));
    let plain = support::opened(&key, &sealed);
    let body = String::from_utf8(plain).expect("UTF-8");
    let body = body.strip_prefix('\u{feff}').expect("BOM");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "header and the one payer of 140105: {body}");
    assert!(
        lines[1].contains("张三丰") && lines[1].contains("5000.00,600.00,400.00,1000.00"),
        "{body}"
    );
    // another county: refused, audited
    let other = t.get("/dues/download?period=2022-06&region=140106");
    assert_eq!(other.status, 403, "{}", other.body);
    assert!(!other.body.contains("李四"));
    // a role without the right
    let mut a = Client::new(srv.addr);
    a.login("auditor", PW);
    assert_eq!(a.get("/dues/download?period=2022-06").status, 403);
    let n = |db: &mut Db, result: &str| {
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'dues.export' AND result = $1",
            &[Val::Str(result)],
        )
        .expect("q")
    };
    assert_eq!(n(&mut db, "ok"), 1);
    assert!(n(&mut db, "denied") >= 1);
    // a month that is not one
    assert_eq!(t.get("/dues/download?period=2022-13").status, 400);
    drop(srv);

    // plain only when the service was told so
    let srv = start_with(url, |c| c.dues_exchange = Some(Exchange::Plain));
    let mut t = Client::new(srv.addr);
    t.login("tax", PW);
    let got = t.get("/dues/download?period=2022-06");
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.header("content-disposition")
            .is_some_and(|d| d.ends_with("dues_2022-06_140105.csv\"")),
        "{:?}",
        got.headers
    );
    assert!(got.body.contains("张三丰"), "{}", got.body);
    drop(srv);

    // neither: the page says why and hands nothing out
    let srv = start(url);
    let mut t = Client::new(srv.addr);
    t.login("tax", PW);
    let form = t.get("/dues");
    assert!(
        form.body.contains("未配置税务交换密钥") && !form.body.contains("id=\"download\""),
        "{}",
        form.body
    );
    let refused = t.get("/dues/download?period=2022-06");
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(!refused.body.contains("张三丰"));
    assert_eq!(
        n(&mut db, "ok"),
        2,
        "only the two downloads handed out are audited as exports"
    );
}

#[test]
fn dues_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("dues_page"));
}

#[test]
fn dues_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("dues_page"));
}
