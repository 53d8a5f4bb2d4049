//! The demo's migration (issue 15's "done when"), on SQLite and PostgreSQL: the eleven cities'
//! legacy files with the defects of `tongchou_sim::defects` are refused or routed for review
//! exactly where the defects are (each planted defect found at its file, row and column, nothing
//! else flagged); the corrected files reconcile with their control totals county by county and
//! load; a city migrated twice changes nothing the second time; the review list resolved by a
//! second bureau officer.

use tongchou_app::migrate::files::Part;
use tongchou_app::migrate::{self, LoadReport, Request, review};
use tongchou_core::access::Role;
use tongchou_core::{Date, Period, Policy, RegionCode};
use tongchou_sim::defects;
use tongchou_store::{Db, testing};

const PW: &str = "correct horse battery staple";

fn req(policy: &Policy, city: u32) -> Request<'_> {
    Request {
        city: RegionCode::new(city).expect("city"),
        cutover: "2020-01".parse::<Period>().expect("period"),
        today: Date::new(2020, 1, 1).expect("date"),
        policy,
    }
}

/// Row counts of the tables a load writes, and the audit log.
fn footprint(db: &mut Db) -> Vec<i64> {
    [
        "employers",
        "persons",
        "person_ids",
        "person_events",
        "pensioners",
        "pensions",
        "contribution_years",
        "arrears",
        "migration_reviews",
        "migration_loads",
        "audit_log",
    ]
    .iter()
    .map(|t| {
        db.query_i64(&format!("SELECT count(*) FROM {t}"), &[])
            .expect("count")
    })
    .collect()
}

fn story(url: &str) {
    let policy = Policy::builtin().expect("policy");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 2019,
        persons: 3_000,
        employers: None,
        start: "2020-01".parse().expect("period"),
    })
    .expect("generate");
    let cities = defects::cities(&p);
    let mut db = Db::open(url).expect("open");
    let officer = testing::add_user(&mut db, "officer", Role::ProvinceBureauOfficer, 140000, PW);
    let second = testing::add_user(&mut db, "second", Role::ProvinceBureauOfficer, 140000, PW);
    let (mut planted, mut routed) = (0, 0);
    for c in &cities {
        let r = req(&policy, c.city);
        let delivered = c.delivered.file_set(&c.gbk);
        let checked = migrate::check(&mut db, &r, &delivered).expect("check");
        // each planted defect found at its file, row and column; nothing else flagged
        c.compare(&checked).unwrap_or_else(|e| panic!("{e}"));
        planted += c.planted.len();
        routed += c.routed.len();
        if !c.planted.is_empty() {
            let before = footprint(&mut db);
            let refused = migrate::load(&mut db, &officer, &r, &delivered, 1).expect("load");
            assert!(matches!(refused, LoadReport::Refused(_)), "{}", c.city);
            assert_eq!(footprint(&mut db)[..10], before[..10], "nothing written");
        }
        // the corrected files: the reconciliation equals the control totals, county by county
        let corrected = c.corrected.file_set(&c.gbk);
        let clean = migrate::check(&mut db, &r, &corrected).expect("check");
        assert!(clean.clean(), "{}: {:?}", c.city, clean.findings.defects);
        let sheet = migrate::report(&clean);
        for row in sheet.rows.iter().chain(sheet.total.iter()) {
            assert_eq!(
                row.last().map(|x| x.text()),
                Some("是".to_string()),
                "{row:?}"
            );
        }
        let loaded = migrate::load(&mut db, &officer, &r, &corrected, 2).expect("load");
        let LoadReport::Loaded { written, .. } = loaded else {
            panic!("{}: {loaded:?}", c.city);
        };
        assert_eq!(written.reviews as usize, c.routed.len());
        // migrated twice: nothing changes the second time, not even the audit log
        let after = footprint(&mut db);
        let again = migrate::load(&mut db, &officer, &r, &corrected, 3).expect("again");
        assert!(matches!(again, LoadReport::Already { .. }), "{again:?}");
        assert_eq!(footprint(&mut db), after);
    }
    assert!(planted >= 4 && routed == 2, "{planted} {routed}");
    assert!(cities.iter().any(|c| c.gbk.contains(&Part::History)));
    // the review list, resolved by a bureau officer who did not load
    let open = review::list(&mut db, None, false).expect("list");
    assert_eq!(open.len(), 2);
    for item in open {
        let keep = cities
            .iter()
            .flat_map(|c| c.routed.iter())
            .find(|r| r.id_number == item.id_number)
            .expect("routed")
            .keep_existing;
        let d = if keep {
            review::Decision::Existing
        } else {
            review::Decision::Incoming
        };
        let done = review::resolve(&mut db, &second, item.id, d, 4).expect("resolve");
        assert_eq!(done.resolved_by.as_deref(), Some("second"));
    }
    assert!(review::list(&mut db, None, false).expect("list").is_empty());
}

#[test]
fn demo_migration_sqlite() {
    story(&testing::sqlite_url("app_migrate_demo"));
}

#[test]
fn demo_migration_postgres() {
    story(&testing::pg_url("app_migrate_demo"));
}
