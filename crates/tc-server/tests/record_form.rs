//! One record entered in a form (逐条录入) through the real server on SQLite and PostgreSQL: a
//! county clerk enrols an insured person field by field; a refused record (a wrong check
//! character) comes back with its problem by column and the form as typed, nothing written; the
//! same record again changes nothing and the same person with other facts is refused as registered; a person of another county is refused without a
//! word about them; the one-row file is recorded under the clerk, never named by the ID number;
//! a forged form and a role that may not import change nothing.

mod support;

use support::{Client, PW, rc, seed, start};
use tongchou_core::{Date, IdNumber};
use tongchou_store::{Db, Val};

fn id(county: u32, seq: u16) -> String {
    IdNumber::from_parts(rc(county), Date::new(1988, 6, 1).expect("date"), seq)
        .as_str()
        .to_string()
}

fn persons(db: &mut Db) -> i64 {
    db.query_i64("SELECT count(*) FROM persons", &[])
        .expect("count")
}

fn person<'a>(csrf: &'a str, id_number: &'a str, county: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("kind", "persons"),
        ("id_number", id_number),
        ("name", "刘, 逐条"),
        ("category", "男"),
        ("county", county),
        ("payer_kind", "灵活就业"),
        ("enrolled", "2021-03-01"),
    ]
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let before = persons(&mut db);
    let srv = start(url);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("id=\"record-link\""));
    let page = clerk.get("/imports/record?kind=persons");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"record-form\""), "{}", page.body);
    assert!(page.body.contains("身份证号 id_number"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);

    // a wrong check character: refused by column, the typed name kept, nothing written
    let good = id(140105, 71);
    let mut bad = good.clone().into_bytes();
    bad[17] = if bad[17] == b'1' { b'2' } else { b'1' };
    let bad = String::from_utf8(bad).expect("ascii");
    let r = clerk.post_form("/imports/record", &person(&csrf, &bad, "140105"));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("<td>身份证号</td>"), "{}", r.body);
    assert!(r.body.contains("value=\"刘, 逐条\""), "{}", r.body);
    assert_eq!(persons(&mut db), before);

    // enrolled
    let r = clerk.post_form("/imports/record", &person(&csrf, &good, "140105"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"imported\""), "{}", r.body);
    assert_eq!(persons(&mut db), before + 1);
    let named = db
        .query_i64(
            "SELECT count(*) FROM persons WHERE name = $1 AND county = 140105",
            &[Val::Str("刘, 逐条")],
        )
        .expect("q");
    assert_eq!(named, 1);
    let file: String = db
        .query(
            "SELECT file_name, imported_by FROM imports ORDER BY id DESC",
            &[],
        )
        .expect("q")
        .first()
        .map(|r| format!("{} {}", r[0].text().expect("f"), r[1].text().expect("b")))
        .expect("an import");
    assert!(file.starts_with("逐条录入-persons-clerk-"), "{file}");
    assert!(!file.contains(&good), "{file}");

    // the same record again: already entered, nothing changed
    let r = clerk.post_form("/imports/record", &person(&csrf, &good, "140105"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"already\""), "{}", r.body);
    // the same person with another enrolment date: refused as registered
    let mut other = person(&csrf, &good, "140105");
    other.retain(|(k, _)| *k != "enrolled");
    other.push(("enrolled", "2021-04-01"));
    let r = clerk.post_form("/imports/record", &other);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(persons(&mut db), before + 1);

    // another county's clerk naming that person: refused, the person not described
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let csrf2 = Client::csrf_in(&clerk2.get("/imports/record").body);
    let r = clerk2.post_form("/imports/record", &person(&csrf2, &good, "140106"));
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(!r.body.contains("小店区"), "{}", r.body);
    // nor a person of another county
    let r = clerk2.post_form(
        "/imports/record",
        &person(&csrf2, &id(140105, 83), "140105"),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(persons(&mut db), before + 1);

    // a forged form; a role that may not import
    let r = clerk.post_form(
        "/imports/record",
        &person("forged", &id(140105, 95), "140105"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let mut auditor = Client::new(srv.addr);
    assert_eq!(auditor.login("auditor", PW).status, 303);
    assert_eq!(auditor.get("/imports/record").status, 403);
    assert_eq!(persons(&mut db), before + 1);
}

#[test]
fn one_record_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_record"));
}

#[test]
fn one_record_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_record"));
}
