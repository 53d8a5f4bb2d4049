//! The provincial bureau's migration page, on SQLite and PostgreSQL: two cities migrated (the
//! second with a person of the first on its books); `/migration` lists them with their
//! fingerprints, a city's reconciliation per county as its load kept it (and as XLSX), the
//! review list with ID numbers masked; the resolve form needs its CSRF token, resolves once and
//! is audited; a county clerk and a bureau approver without person write are refused.

mod support;

use support::{Client, PW, add_staff, seed, start};
use tongchou_app::migrate::{self, LoadReport, Request};
use tongchou_core::access::Role;
use tongchou_core::{Date, Policy, RegionCode};
use tongchou_sim::legacy;
use tongchou_store::{Db, Val};

fn load_two_cities(db: &mut Db) -> String {
    let policy = Policy::builtin().expect("policy");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 11,
        persons: 2_000,
        employers: None,
        start: "2020-01".parse().expect("period"),
    })
    .expect("generate");
    let officer = add_staff(db, "mig.officer", Role::ProvinceBureauOfficer, 140000);
    let ty = legacy::city(&p, RegionCode::new(140100).expect("city"));
    let mut dt = legacy::city(&p, RegionCode::new(140200).expect("city"));
    dt.adopt(&ty, 0);
    for (code, c) in [(140100, &ty), (140200, &dt)] {
        let req = Request {
            city: RegionCode::new(code).expect("city"),
            cutover: "2020-01".parse().expect("period"),
            today: Date::new(2020, 1, 1).expect("date"),
            policy: &policy,
        };
        let r = migrate::load(db, &officer, &req, &c.file_set(&[]), 1).expect("load");
        assert!(matches!(r, LoadReport::Loaded { .. }), "{code}: {r:?}");
    }
    ty.insured[0].row[0].clone()
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let duplicate = load_two_cities(&mut db);
    add_staff(&mut db, "mig.second", Role::ProvinceBureauOfficer, 140000);
    let review = db
        .query_i64("SELECT id FROM migration_reviews", &[])
        .expect("review");
    let srv = start(url);
    let mut anon = Client::new(srv.addr);
    assert_eq!(anon.get("/migration").status, 303);
    let mut o = Client::new(srv.addr);
    o.login("mig.second", PW);
    assert!(o.get("/dashboard").body.contains("migration-link"));
    let list = o.get("/migration");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("太原市") && list.body.contains("大同市"),
        "{}",
        list.body
    );
    assert!(list.body.contains("mig.officer"));
    // the review list masks the ID number
    assert!(!list.body.contains(&duplicate));
    assert!(list.body.contains(&format!("{}********", &duplicate[..6])));
    // a city's reconciliation per county, every county agreeing with its control totals
    let city = o.get("/migration?city=140200");
    assert_eq!(city.status, 200);
    assert!(
        city.body.contains("id=\"migration-report\""),
        "{}",
        city.body
    );
    assert!(
        city.body.contains("是") && !city.body.contains(">否<"),
        "{}",
        city.body
    );
    let (status, headers, bytes) = o.get_bytes("/migration?city=140200&export=xlsx");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.contains("spreadsheet")),
        "{headers:?}"
    );
    assert!(bytes.starts_with(b"PK"));
    assert_eq!(o.get("/migration?city=abc").status, 400);
    support::in_english(&mut o, &["/migration", "/migration?city=140200"], &[]);
    // the resolve form: CSRF first
    let path = format!("/migration/review/{review}");
    let no = o.post_form(&path, &[("decision", "existing")]);
    assert_eq!(no.status, 403);
    let csrf = Client::csrf_in(&city.body);
    let ok = o.post_form(&path, &[("decision", "existing"), ("csrf", &csrf)]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let again = o.post_form(&path, &[("decision", "existing"), ("csrf", &csrf)]);
    assert_eq!(again.status, 409, "{}", again.body);
    let status = db
        .query_opt(
            "SELECT status, resolved_by FROM migration_reviews WHERE id = $1",
            &[Val::I64(review)],
        )
        .expect("query")
        .expect("row");
    assert_eq!(status[0].text().expect("status"), "kept_existing");
    assert_eq!(status[1].text().expect("by"), "mig.second");
    let audited = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'migrate.review' AND login = 'mig.second'",
            &[],
        )
        .expect("audit");
    assert_eq!(audited, 1);
    // who may not
    for login in ["clerk", "approver"] {
        let mut c = Client::new(srv.addr);
        c.login(login, PW);
        assert_eq!(c.get("/migration").status, 403, "{login}");
        assert!(!c.get("/dashboard").body.contains("migration-link"));
    }
}

#[test]
fn migration_page_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_migration"));
}

#[test]
fn migration_page_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_migration"));
}
