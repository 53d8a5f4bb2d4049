//! Eligibility certification in the browser, on SQLite and PostgreSQL: a county clerk sees the
//! standing of their region (an overdue pensioner) and certifies them at the counter; a clerk of
//! another county is refused and the refusal audited; the pensioner sees their own standing,
//! certifications and notices and certifies themselves (the self-service stand-in); an insured
//! person may not see the staff page; anonymous users go to the login.

mod support;

use support::{Client, PW, seed, start};
use tongchou_store::{Db, Val};

fn scenario(url: &str) {
    seed(url);
    let srv = start(url);
    let mut anon = Client::new(srv.addr);
    assert_eq!(anon.get("/certification").status, 303);
    assert_eq!(anon.get("/me/certification").status, 303);

    // pensioner 1001 of 140105 has been paid since 2022-04 and never certified: overdue in June 2023
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let page = clerk.get("/certification?month=2023-06");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("待遇资格认证"), "{}", page.body);
    let row = page
        .body
        .split("<tr>")
        .find(|r| r.contains("140105"))
        .expect("the clerk's county");
    // pensioners 1, certified 0, due soon 0, overdue 1
    assert!(
        row.contains("<td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td>"),
        "{row}"
    );
    assert!(
        !page.body.contains("140106"),
        "another county shown: {}",
        page.body
    );
    let csrf = Client::csrf_in(&page.body);
    // the grid's exported columns in the reader's language, as on the page
    let (_, _, csv) = clerk.get_bytes("/certification?month=2023-06&export=csv");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(csv.contains("地区,待遇人员,已认证"), "{csv}");
    clerk.get("/lang?to=en&back=%2Fcertification");
    let (_, _, csv) = clerk.get_bytes("/certification?month=2023-06&export=csv");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(csv.contains("Region,Pensioners,Certified"), "{csv}");
    clerk.get("/lang?to=zh-CN&back=%2Fcertification");

    // another county's clerk: refused
    let mut other = Client::new(srv.addr);
    other.login("clerk2", PW);
    let p2 = other.get("/certification?month=2023-06");
    let csrf2 = Client::csrf_in(&p2.body);
    let refused = other.post_form(
        "/certification/record",
        &[("csrf", &csrf2), ("person", "1001"), ("on", "2023-05-20")],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    // a malformed day, a missing CSRF token
    let bad = clerk.post_form(
        "/certification/record",
        &[("csrf", &csrf), ("person", "1001"), ("on", "2023-5-40")],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    let forged = clerk.post_form("/certification/record", &[("person", "1001")]);
    assert_eq!(forged.status, 403);

    let done = clerk.post_form(
        "/certification/record",
        &[("csrf", &csrf), ("person", "1001"), ("on", "2023-05-20")],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let to = done.header("location").expect("location").to_string();
    let after = clerk.get(&to);
    assert!(
        after.body.contains("已于 2023-05-20 认证"),
        "{}",
        after.body
    );
    assert!(
        after
            .body
            .contains("<td class=\"num\">1</td><td class=\"num\">1</td>"),
        "certified now: {}",
        after.body
    );

    // the pensioner: own page, then the self-service stand-in
    let mut me = Client::new(srv.addr);
    me.login("citizen", PW);
    assert_eq!(me.get("/certification").status, 403);
    let mine = me.get("/me/certification");
    assert_eq!(mine.status, 200, "{}", mine.body);
    // certified at the counter in May 2023: overdue again today
    assert!(
        mine.body.contains("逾期未认证") && mine.body.contains("经办窗口认证"),
        "{}",
        mine.body
    );
    assert!(
        mine.body.contains("人脸识别"),
        "the stand-in is marked: {}",
        mine.body
    );
    let c = Client::csrf_in(&mine.body);
    let selfie = me.post_form("/me/certification", &[("csrf", &c)]);
    assert_eq!(selfie.status, 303, "{}", selfie.body);
    let again = me.get("/me/certification");
    assert!(
        again.body.contains("自助认证") && again.body.contains("<strong>已认证</strong>"),
        "{}",
        again.body
    );
    support::in_english(&mut me, &["/me/certification"], &[]);
    support::in_english(&mut clerk, &["/certification?month=2023-05"], &[]);

    let mut db = Db::open(url).expect("open");
    let n = |db: &mut Db, result: &str| {
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'certification.record' AND result = $1",
            &[Val::Str(result)],
        )
        .expect("count")
    };
    assert_eq!(n(&mut db, "ok"), 2);
    assert_eq!(n(&mut db, "denied"), 1);
}

#[test]
fn certification_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("cert_pages"));
}

#[test]
fn certification_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("cert_pages"));
}
