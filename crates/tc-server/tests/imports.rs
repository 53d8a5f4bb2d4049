//! A county clerk imports a file in the browser, through the real server on a random port, on
//! SQLite and PostgreSQL: a file with errors comes back as a table naming each row and column,
//! with nothing written; the corrected file is imported; the same file again changes nothing; a
//! row of another county is refused without a word about the person there; without the CSRF
//! field, or for a role that may not import, nothing is read.

mod support;

use support::{Client, PW, rc, seed, start};
use tongchou_core::{Date, IdNumber};
use tongchou_store::{Db, Val};

const HEADER: &str =
    "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n";

fn id(county: u32, seq: u16) -> String {
    IdNumber::from_parts(rc(county), Date::new(1985, 10, 20).expect("date"), seq)
        .as_str()
        .to_string()
}

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let persons = |db: &mut Db| count(db, "SELECT count(*) FROM persons");
    let before = persons(&mut db);
    let srv = start(url);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("imports-link"));
    let page = clerk.get("/imports");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"persons\""), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);

    // two bad rows of three: a wrong check digit, a category that does not exist
    let (a, b, c) = (id(140105, 31), id(140105, 43), id(140105, 52));
    let mut wrong = b.clone().into_bytes();
    wrong[17] = if wrong[17] == b'1' { b'2' } else { b'1' };
    let wrong = String::from_utf8(wrong).expect("ascii");
    let bad = format!(
        "{HEADER}{a},王五,,,男,140105,,灵活就业,2010-03-15\n\
         {wrong},赵六,,,男,140105,,灵活就业,2011-04-01\n\
         {c},钱七,,,厨师,140105,,灵活就业,2012-05-01\n"
    );
    let r = clerk.post_multipart(
        "/imports",
        &[("csrf", &csrf), ("kind", "persons")],
        ("file", "county.csv", bad.as_bytes()),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"problems\""), "{}", r.body);
    assert!(r.body.contains("county.csv"), "{}", r.body);
    assert!(
        r.body.contains("<td>3</td><td>身份证号</td>"),
        "row 3's ID number named: {}",
        r.body
    );
    assert!(
        r.body.contains("<td>4</td><td>人员类别</td>"),
        "row 4's category named: {}",
        r.body
    );
    assert!(
        r.body.contains("3 行数据，其中 2 行有"),
        "summary: {}",
        r.body
    );
    assert!(r.body.contains("import-form"), "the form is back");
    assert_eq!(persons(&mut db), before, "nothing written");
    // the problems in the reader's language: Chinese by default, English when chosen
    assert!(
        r.body.contains("人员类别应为 男、女干部 或 女工人"),
        "{}",
        r.body
    );
    assert!(r.body.contains("校验位是"), "{}", r.body);
    assert!(!r.body.contains("unknown category"), "{}", r.body);
    clerk.get("/lang?to=en&back=%2Fimports");
    let r = clerk.post_multipart(
        "/imports",
        &[("csrf", &csrf), ("kind", "persons")],
        ("file", "county.csv", bad.as_bytes()),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("unknown category"), "{}", r.body);
    assert!(r.body.contains("check character is"), "{}", r.body);
    assert!(!r.body.contains("人员类别应为"), "{}", r.body);
    clerk.get("/lang?to=zh-CN&back=%2Fimports");

    // the corrected file
    let good = format!(
        "{HEADER}{a},王五,,,男,140105,,灵活就业,2010-03-15\n\
         {b},赵六,,,男,140105,,灵活就业,2011-04-01\n\
         {c},钱七,,,女工人,140105,,灵活就业,2012-05-01\n"
    );
    let r = clerk.post_multipart(
        "/imports",
        &[("csrf", &csrf), ("kind", "persons")],
        ("file", "county-fixed.csv", good.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"imported\""), "{}", r.body);
    assert!(r.body.contains("<dt>行数</dt><dd>3</dd>"), "{}", r.body);
    assert_eq!(persons(&mut db), before + 3);
    let audited = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND login = $1 \
             AND result = 'ok'",
            &[Val::Str("clerk")],
        )
        .expect("q");
    assert_eq!(audited, 1);
    // listed as the clerk's import; the same file again changes nothing
    assert!(clerk.get("/imports").body.contains("county-fixed.csv"));
    // the history as a grid: filtered and exported
    assert!(
        !clerk
            .get("/imports?q=nothing-like-it")
            .body
            .contains("county-fixed.csv")
    );
    let (st, _, csv) = clerk.get_bytes("/imports?q=county-fixed&export=csv");
    assert_eq!(st, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with("\u{feff}编号,时间,类型,文件,行数,导入人\n"),
        "{csv}"
    );
    assert!(csv.contains(",county-fixed.csv,3,clerk"), "{csv}");
    let r = clerk.post_multipart(
        "/imports",
        &[("csrf", &csrf), ("kind", "persons")],
        ("file", "again.csv", good.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"already\""), "{}", r.body);
    assert_eq!(persons(&mut db), before + 3);

    // without the CSRF field nothing is read
    let d = id(140105, 65);
    let one = format!("{HEADER}{d},孙八,,,男,140105,,灵活就业,2013-01-01\n");
    let r = clerk.post_multipart(
        "/imports",
        &[("kind", "persons")],
        ("file", "one.csv", one.as_bytes()),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(persons(&mut db), before + 3);

    // another county's clerk naming a person of 140105: refused, the person not described
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let csrf2 = Client::csrf_in(&clerk2.get("/imports").body);
    let theirs = format!("{HEADER}{a},王五,,,男,140106,,灵活就业,2010-03-15\n");
    let r = clerk2.post_multipart(
        "/imports",
        &[("csrf", &csrf2), ("kind", "persons")],
        ("file", "theirs.csv", theirs.as_bytes()),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(!r.body.contains("王五</td>"), "{}", r.body);
    assert!(
        r.body.contains("该身份证号码已在您的辖区以外登记"),
        "the use case's refusal in Chinese: {}",
        r.body
    );
    // the same refusal for a browser that prefers English
    clerk2.accept_language = Some("en-GB,en;q=0.9");
    let r = clerk2.post_multipart(
        "/imports",
        &[("csrf", &csrf2), ("kind", "persons")],
        ("file", "theirs.csv", theirs.as_bytes()),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("this ID number is registered outside your region"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("该身份证号码已在"), "{}", r.body);
    clerk2.accept_language = None;
    assert!(!clerk2.get("/imports").body.contains("county-fixed.csv"));
    assert_eq!(persons(&mut db), before + 3);

    // roles that may not import: the auditor and the insured person
    for login in ["auditor", "citizen"] {
        let mut c = Client::new(srv.addr);
        assert_eq!(c.login(login, PW).status, 303);
        assert_eq!(c.get("/imports").status, 403, "{login}");
        assert!(
            !c.get("/dashboard").body.contains("imports-link"),
            "{login}"
        );
    }
}

#[test]
fn import_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_imports"));
}

#[test]
fn import_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_imports"));
}
