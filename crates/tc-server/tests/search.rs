//! Finding a person by name, on SQLite and PostgreSQL: a county clerk finds the person of their
//! own county by full name, opens the record from the result (by register id, never the ID
//! number in the page's forms), and finds nothing of that name in another
//! county's register; the clerk of the neighbouring county finds nothing and may not open the
//! record by its register id; an auditor (names masked) may not search by name; every search,
//! read and refusal is audited; a name never appears in a URL.

mod support;

use support::{Client, PW, seed, start};
use tongchou_store::{Db, Val};

fn scenario(url: &str) {
    let s = seed(url);
    let srv = start(url);
    let (pid, idn, name) = s.p1.clone();
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let dash = clerk.get("/dashboard");
    assert!(dash.body.contains("id=\"search-link\""), "{}", dash.body);
    let form = clerk.get("/persons/search");
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = Client::csrf_in(&form.body);
    // without the session's token: refused
    let r = clerk.post_form("/persons/search", &[("name", &name), ("csrf", "x")]);
    assert_eq!(r.status, 403);
    let r = clerk.post_form("/persons/search", &[("name", &name), ("csrf", &csrf)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("找到 1 人"), "{}", r.body);
    assert!(r.body.contains(&name), "{}", r.body);
    // a county agency handles the case: it sees the ID number in full (masked for roles without
    // the full-ID permission, none of which may search by name)
    assert!(r.body.contains(&idn), "{}", r.body);
    assert!(r.body.contains(&format!("value=\"{pid}\"")), "{}", r.body);
    // the other county's person is not found by the first county's clerk
    let (_, _, other) = s.p2.clone();
    let r = clerk.post_form("/persons/search", &[("name", &other), ("csrf", &csrf)]);
    assert!(r.body.contains("id=\"search-none\""), "{}", r.body);
    // a blank name: a message, not an error page of the server
    let r = clerk.post_form("/persons/search", &[("name", "  "), ("csrf", &csrf)]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("姓名"), "{}", r.body);
    // the record from the result
    let pid_s = pid.to_string();
    let r = clerk.post_form("/persons/view", &[("person_id", &pid_s), ("csrf", &csrf)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&name), "{}", r.body);
    // the neighbouring county's clerk: nothing found, the record refused
    let mut clerk2 = Client::new(srv.addr);
    clerk2.login("clerk2", PW);
    let csrf2 = Client::csrf_in(&clerk2.get("/persons/search").body);
    let r = clerk2.post_form("/persons/search", &[("name", &name), ("csrf", &csrf2)]);
    assert!(r.body.contains("id=\"search-none\""), "{}", r.body);
    let r = clerk2.post_form("/persons/view", &[("person_id", &pid_s), ("csrf", &csrf2)]);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!r.body.contains(&name), "{}", r.body);
    let r = clerk2.post_form("/persons/view", &[("person_id", "abc"), ("csrf", &csrf2)]);
    assert_eq!(r.status, 400, "{}", r.body);
    // an auditor sees names masked: no search by name
    let mut auditor = Client::new(srv.addr);
    auditor.login("auditor", PW);
    assert_eq!(auditor.get("/persons/search").status, 403);
    let mut db = Db::open(url).expect("open");
    let audited = |db: &mut Db, action: &str, login: &str, result: &str| {
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = $1 AND login = $2 AND result = $3",
            &[Val::Str(action), Val::Str(login), Val::Str(result)],
        )
        .expect("q")
    };
    assert_eq!(audited(&mut db, "person.search", "clerk", "ok"), 2);
    assert_eq!(audited(&mut db, "person.read", "clerk", "ok"), 1);
    assert_eq!(audited(&mut db, "person.search", "clerk2", "ok"), 1);
    assert_eq!(audited(&mut db, "person.read", "clerk2", "denied"), 1);
    // the search's audit row names the persons listed, never the name typed
    let details = db
        .query(
            "SELECT details FROM audit_log WHERE action = 'person.search' AND login = 'clerk' ORDER BY seq",
            &[],
        )
        .expect("q");
    let first = details[0][0].text().expect("text").to_string();
    assert!(first.contains(&pid_s), "{first}");
    assert!(!first.contains(&name), "{first}");
}

#[test]
fn search_by_name_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("search_web"));
}

#[test]
fn search_by_name_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("search_web"));
}
