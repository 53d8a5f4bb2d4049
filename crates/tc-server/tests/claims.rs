//! Survivors' claims in the browser's forms, through the real server on SQLite and PostgreSQL:
//! a pensioner's death settled by the cross-check waits for a claim on the county agency's list;
//! another county's clerk neither sees it nor may file it (refused, audited, nothing said about
//! the person); a forged form and an invalid ID number change nothing and keep what was typed;
//! the claim filed is audited, shown masked, due in the next payroll, and leaves the list.

mod support;

use support::{Client, PW, pensioner_record, seed, start};
use tongchou_app::benefits::deaths;
use tongchou_core::{Date, IdNumber, Policy, RegionCode};
use tongchou_store::audit::Actor;
use tongchou_store::{Db, Val};

const T0: i64 = 1_767_225_600_000;

fn audited(db: &mut Db, result: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE action = 'deaths.claim' AND result = $1",
        &[Val::Str(result)],
    )
    .expect("count")
}

fn claims(url: &str) {
    let seeded = seed(url);
    let mut db = Db::open(url).expect("open");
    pensioner_record(&mut db);
    let op = Actor::operator("test");
    let today: Date = "2022-05-20".parse().expect("date");
    let csv = format!("id_number,died,source\n{},2022-05-10,公安\n", seeded.p1.1);
    deaths::import_deaths(&mut db, "d.csv", csv.as_bytes(), today, &op, T0).expect("deaths");
    let policy = Policy::builtin().expect("policy");
    let x = deaths::run_crosscheck(
        &mut db,
        &policy,
        "2022-05".parse().expect("p"),
        None,
        &op,
        T0,
    )
    .expect("cross-check");
    assert_eq!(x.suspended, 1);
    let srv = start(url);

    // the county's clerk sees the settlement awaiting a claim
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("id=\"claims-link\""));
    let list = clerk.get("/claims");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("href=\"/claims/1001\""), "{}", list.body);
    assert!(list.body.contains("140105 小店区"), "{}", list.body);
    let form = clerk.get("/claims/1001");
    assert!(form.body.contains("id=\"claim-form\""), "{}", form.body);
    let csrf = Client::csrf_in(&form.body);

    // another county's clerk: not listed, not shown, not filed (refused and audited)
    let mut other = Client::new(srv.addr);
    assert_eq!(other.login("clerk2", PW).status, 303);
    assert!(other.get("/claims").body.contains("id=\"no-claims\""));
    let hidden = other.get("/claims/1001");
    assert_eq!(hidden.status, 404, "{}", hidden.body);
    assert!(!hidden.body.contains("小店区"), "{}", hidden.body);
    let other_csrf = Client::csrf_in(&other.get("/dashboard").body);
    let spouse = IdNumber::from_parts(
        RegionCode::new(140105).expect("rc"),
        "1963-04-04".parse().expect("d"),
        42,
    );
    let fields = |csrf: &str, id: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("name", "王秀英"),
            ("id_number", id),
            ("relation", "spouse"),
            ("bank_code", "102"),
            ("bank_name", "工商银行"),
            ("bank_account", "6222 0212 3456 7891"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let post = |c: &mut Client, f: &[(String, String)]| {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.post_form("/claims/1001", &f)
    };
    let refused = post(&mut other, &fields(&other_csrf, spouse.as_str()));
    assert!(
        refused.status == 403 || refused.status == 404,
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("小店区"), "{}", refused.body);
    assert_eq!(audited(&mut db, "denied"), 1);

    // a forged form, an invalid ID number: nothing filed, what was typed kept
    assert_eq!(
        post(&mut clerk, &fields("forged", spouse.as_str())).status,
        403
    );
    let bad = post(&mut clerk, &fields(&csrf, "140105196304041234"));
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("id_number"), "{}", bad.body);
    assert!(bad.body.contains("value=\"王秀英\""), "{}", bad.body);
    let count = |db: &mut Db| {
        db.query_i64("SELECT count(*) FROM survivor_claims", &[])
            .expect("count")
    };
    assert_eq!(count(&mut db), 0);

    // filed: audited, masked, due in the next payroll, off the list
    let ok = post(&mut clerk, &fields(&csrf, spouse.as_str()));
    assert_eq!(ok.status, 303, "{}", ok.body);
    let at = ok.header("location").expect("location").to_string();
    let shown = clerk.get(&at);
    assert!(shown.body.contains("id=\"claims-done\""), "{}", shown.body);
    assert!(shown.body.contains("王秀英"), "{}", shown.body);
    assert!(!shown.body.contains(spouse.as_str()), "{}", shown.body);
    assert!(shown.body.contains("7891"), "{}", shown.body);
    assert!(shown.body.contains("id=\"no-claims\""), "{}", shown.body);
    assert_eq!(count(&mut db), 1);
    assert_eq!(audited(&mut db, "ok"), 1);
    // the same settlement is claimed once
    let again = post(&mut clerk, &fields(&csrf, spouse.as_str()));
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(count(&mut db), 1);
}

#[test]
fn claims_on_sqlite() {
    claims(&tongchou_store::testing::sqlite_url("srv_claims"));
}

#[test]
fn claims_on_postgres() {
    claims(&tongchou_store::testing::pg_url("srv_claims"));
}
