//! Migrating the cities' legacy records: a synthetic province written out as two cities' legacy
//! files (`tongchou_sim::legacy`), checked and loaded into one database, with defects where the
//! check must find them, and the demo's eleven cities with their planted defects; on SQLite and
//! PostgreSQL.

use tongchou_app::AppError;
use tongchou_app::migrate::files::Part;
use tongchou_app::migrate::{self, LoadReport, Request, review};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Period, Policy, RegionCode};
use tongchou_sim::defects;
use tongchou_sim::legacy::{self, LegacyCity};
use tongchou_store::{Db, testing};

const PW: &str = "correct horse battery staple";
const TAIYUAN: u32 = 140100;
const DATONG: u32 = 140200;

fn province() -> tongchou_synth::Province {
    tongchou_synth::generate(&tongchou_synth::Options {
        seed: 7,
        persons: 4_000,
        employers: None,
        start: "2020-01".parse::<Period>().expect("period"),
    })
    .expect("generate")
}

fn req(policy: &Policy, city: u32) -> Request<'_> {
    Request {
        city: RegionCode::new(city).expect("city"),
        cutover: "2020-01".parse().expect("period"),
        today: Date::new(2020, 1, 10).expect("date"),
        policy,
    }
}

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect(sql)
}

/// Row counts of every table a load writes, and the audit log.
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
    .map(|t| count(db, &format!("SELECT count(*) FROM {t}")))
    .collect()
}

fn clean_city_checks_and_loads_once(
    db: &mut Db,
    officer: &Principal,
    policy: &Policy,
    a: &LegacyCity,
) {
    let files = a.file_set(&[]);
    let checked = migrate::check(db, &req(policy, TAIYUAN), &files).expect("check");
    assert!(
        checked.clean(),
        "{:#?}",
        &checked.findings.defects[..checked.findings.defects.len().min(10)]
    );
    assert!(checked.findings.reviews.is_empty());
    // the reconciliation equals the control totals, county by county
    let sheet = migrate::report(&checked);
    assert!(!sheet.rows.is_empty());
    for r in sheet.rows.iter().chain(sheet.total.iter()) {
        assert_eq!(r.last().map(|c| c.text()), Some("是".to_string()), "{r:?}");
    }
    assert!(sheet.xlsx().is_ok());
    let before = footprint(db);
    let r = migrate::load(db, officer, &req(policy, TAIYUAN), &files, 1).expect("load");
    let LoadReport::Loaded { written, .. } = r else {
        panic!("not loaded: {r:?}");
    };
    assert_eq!(written.insured as usize, a.insured.len());
    assert_eq!(written.pensioners as usize, a.pensioners.len());
    assert_eq!(written.arrears as usize, a.arrears.len());
    assert!(written.history_rows > 0);
    let after = footprint(db);
    assert_ne!(before, after);
    // the same files again: nothing changes, not even the audit log
    let again = migrate::load(db, officer, &req(policy, TAIYUAN), &files, 2).expect("again");
    assert!(matches!(again, LoadReport::Already { .. }), "{again:?}");
    assert_eq!(footprint(db), after);
    // other files for the same city: refused
    let mut other = a.clone();
    other.arrears.clear();
    for k in other.controls.values_mut() {
        k.arrears = 0;
        k.arrears_amount = 0;
    }
    match migrate::load(db, officer, &req(policy, TAIYUAN), &other.file_set(&[]), 3) {
        Err(AppError::State(m)) => assert!(m.contains("每个市只迁移一次"), "{m}"),
        o => panic!("{o:?}"),
    }
    // a county agency may not migrate
    let clerk = testing::add_user(
        db,
        "clerk",
        Role::CountyAgency,
        140105,
        "correct horse battery staple",
    );
    let denied = migrate::load(db, &clerk, &req(policy, DATONG), &files, 4);
    assert!(matches!(denied, Err(AppError::Forbidden(_))), "{denied:?}");
}

fn migrated_pensions_and_accounts_follow_the_rules(db: &mut Db, policy: &Policy, a: &LegacyCity) {
    // the pension in force is the pension row in force
    let mismatched = count(
        db,
        "SELECT count(*) FROM pensioners r WHERE r.monthly_fen <> (SELECT p.total_fen FROM pensions p WHERE p.person_id = r.person_id ORDER BY p.effective_from DESC LIMIT 1)",
    );
    assert_eq!(mismatched, 0);
    // every migrated pensioner carries a last certification, none later than the cut-over
    let uncertified = count(
        db,
        "SELECT count(*) FROM pensioners r WHERE NOT EXISTS (SELECT 1 FROM pensioner_certification c WHERE c.person_id = r.person_id AND c.last_on <= '2020-01-01')",
    );
    assert_eq!(uncertified, 0);
    // migrated accounts earn interest from the cut-over: the yearly crediting of 2020 opens
    // them at the migrated balance (the same read `accounts::close_year` makes)
    let id = &a.insured[0].row[0];
    let person = count(
        db,
        &format!("SELECT person_id FROM person_ids WHERE id_number = '{id}'"),
    );
    let openings = tongchou_store::accounts::openings(db, 2020).expect("openings");
    let opening = openings
        .iter()
        .find(|o| o.0 == person)
        .expect("opened in 2020")
        .1;
    assert_eq!(opening.fen(), a.insured[0].balance);
    assert!(
        !tongchou_store::accounts::openings(db, 2019)
            .expect("2019")
            .iter()
            .any(|o| o.0 == person)
    );
    let terms = tongchou_core::rules::account::InterestTerms::at(policy, 2020).expect("terms");
    let year = terms.close(opening, &[tongchou_core::Fen::ZERO; 12]);
    assert!(opening.fen() == 0 || year.interest_on_opening.fen() > 0);
}

/// Datong with every defect of the issue.
fn defective(b: &LegacyCity, a: &LegacyCity) -> (LegacyCity, String, String, u32) {
    let mut d = b.clone();
    d.adopt(a, 0);
    let duplicate = a.insured[0].row[0].clone();
    // a bad ID number (wrong check character), in the row and its history
    let bad = &mut d.insured[1];
    let last = bad.row[0]
        .pop()
        .map_or('0', |c| if c == '0' { '1' } else { '0' });
    bad.row[0].push(last);
    for h in &mut bad.history {
        h[0] = bad.row[0].clone();
    }
    // a 15-digit ID number
    let i = (2..d.insured.len())
        .find(|&i| legacy::fifteen_digit(&d.insured[i].row[0]).is_some())
        .expect("a person born in the 1900s");
    let fifteen = legacy::fifteen_digit(&d.insured[i].row[0]).expect("15");
    d.insured[i].row[0] = fifteen.clone();
    let county = d.insured[i].county;
    // a control total that disagrees
    let last_county = *d.controls.keys().last().expect("counties");
    d.controls.get_mut(&last_county).expect("county").pensioners += 1;
    // a person's year written twice in the history (the copy is not counted)
    let twice = (3..d.insured.len())
        .find(|&i| d.insured[i].history.len() > 1 && i != 1)
        .expect("a history of two years");
    let first = d.insured[twice].history[0].clone();
    d.insured[twice].history.push(first);
    // an insured person's row written twice (the copy, at the end, is not counted)
    let mut copy = d.insured[twice].clone();
    copy.history.clear();
    d.insured.push(copy);
    (d, duplicate, fifteen, county)
}

fn defects_are_found_where_they_are(
    db: &mut Db,
    officer: &Principal,
    policy: &Policy,
    a: &LegacyCity,
    b: &LegacyCity,
) {
    let (d, duplicate, _fifteen, county15) = defective(b, a);
    let files = d.file_set(&[Part::Pensioners, Part::History]);
    let c = migrate::check(db, &req(policy, DATONG), &files).expect("check");
    let defects = &c.findings.defects;
    // the bad ID number: insured file, its row (header = 1, data from 2), the ID column
    assert!(
        defects.iter().any(|x| x.file == "insured.csv"
            && x.row == 3
            && x.column.as_deref() == Some("身份证号")
            && x.what == "file"),
        "{defects:#?}"
    );
    // the control total that disagrees, on the controls file
    let last_county = *d.controls.keys().last().expect("counties");
    assert!(
        defects.iter().any(|x| x.file == "controls.csv"
            && x.what == "control_total"
            && x.county == Some(last_county)
            && x.reason.starts_with("离退休人数")),
        "{defects:#?}"
    );
    // the history's repeated year: a defect on the copy's row naming the first row
    let text = d.csv(Part::History);
    let lines: Vec<&str> = text.lines().collect();
    let copy = (1..lines.len())
        .find(|&i| lines[..i].contains(&lines[i]))
        .expect("the repeated row");
    let original = lines.iter().position(|l| *l == lines[copy]).expect("first");
    let repeated: Vec<_> = defects
        .iter()
        .filter(|x| x.file == "history.csv" && x.reason.contains("行重复"))
        .collect();
    assert_eq!(repeated.len(), 1, "{defects:#?}");
    assert_eq!(repeated[0].row, copy as u64 + 1);
    assert!(
        repeated[0]
            .reason
            .contains(&format!("与第 {} 行重复", original + 1)),
        "{repeated:?}"
    );
    // the insured person's copy: a defect on the last row naming the first
    let copied = d.insured.last().expect("copy").row[0].clone();
    let first = d
        .insured
        .iter()
        .position(|x| x.row[0] == copied)
        .expect("first")
        + 2;
    let last = d.insured.len() as u64 + 1;
    assert!(
        defects.iter().any(|x| x.file == "insured.csv"
            && x.row == last
            && x.what == "file"
            && x.reason.contains(&format!("与第 {first} 行重复"))),
        "{defects:#?}"
    );
    // the duplicate across cities is a review, not a defect
    assert!(!defects.iter().any(|x| x.reason.contains(&duplicate)));
    assert_eq!(c.findings.reviews.len(), 1);
    assert_eq!(c.findings.reviews[0].id_number, duplicate);
    assert_eq!(
        c.findings.reviews[0].existing_county as u32,
        a.insured[0].county
    );
    // the 15-digit ID number is upgraded and counted in its county, not a defect
    let line = c
        .findings
        .counties
        .iter()
        .find(|l| l.county == county15)
        .expect("county");
    assert_eq!(line.upgraded_ids, 1);
    // GBK files read like UTF-8 ones: no defect in pensioners.csv or history.csv except the bad ID's history
    assert!(
        !defects.iter().any(|x| x.file == "pensioners.csv"),
        "{defects:#?}"
    );
    // refused whole: nothing written
    let before = footprint(db);
    let r = migrate::load(db, officer, &req(policy, DATONG), &files, 10).expect("load");
    assert!(matches!(r, LoadReport::Refused(_)));
    let after = footprint(db);
    assert_eq!(before[..10], after[..10]);
    assert_eq!(after[10], before[10] + 1, "the refusal is audited");
}

fn corrected_city_loads_with_its_review(
    db: &mut Db,
    officer: &Principal,
    policy: &Policy,
    a: &LegacyCity,
    b: &LegacyCity,
) {
    let mut d = b.clone();
    d.adopt(a, 0);
    let i = (1..d.insured.len())
        .find(|&i| legacy::fifteen_digit(&d.insured[i].row[0]).is_some())
        .expect("1900s");
    d.insured[i].row[0] = legacy::fifteen_digit(&d.insured[i].row[0]).expect("15");
    let files = d.file_set(&[Part::Pensioners]);
    let r = migrate::load(db, officer, &req(policy, DATONG), &files, 20).expect("load");
    let LoadReport::Loaded { written, checked } = r else {
        panic!("{r:?}");
    };
    assert!(checked.clean());
    assert_eq!(written.reviews, 1);
    assert_eq!(written.insured as usize, d.insured.len() - 1);
    // the upgraded ID number is stored in 18 characters
    let upgraded = count(
        db,
        "SELECT count(*) FROM person_ids WHERE length(id_number) <> 18",
    );
    assert_eq!(upgraded, 0);
    let open = review::list(db, Some(DATONG), false).expect("list");
    assert_eq!(open.len(), 1);
    let done =
        review::resolve(db, officer, open[0].id, review::Decision::Existing, 21).expect("resolve");
    assert_eq!(done.status, "kept_existing");
    assert_eq!(done.resolved_by.as_deref(), Some("officer"));
    let twice = review::resolve(db, officer, open[0].id, review::Decision::Existing, 22);
    assert!(matches!(twice, Err(AppError::State(_))), "{twice:?}");
    assert!(
        review::list(db, Some(DATONG), false)
            .expect("list")
            .is_empty()
    );
}

fn story(url: &str) {
    let policy = Policy::builtin().expect("policy");
    let p = province();
    let a = legacy::city(&p, RegionCode::new(TAIYUAN).expect("c"));
    let b = legacy::city(&p, RegionCode::new(DATONG).expect("c"));
    assert!(a.insured.len() > 10 && b.insured.len() > 10 && !a.pensioners.is_empty());
    let mut db = Db::open(url).expect("open");
    let officer = testing::add_user(
        &mut db,
        "officer",
        Role::ProvinceBureauOfficer,
        140000,
        "correct horse battery staple",
    );
    clean_city_checks_and_loads_once(&mut db, &officer, &policy, &a);
    defects_are_found_where_they_are(&mut db, &officer, &policy, &a, &b);
    corrected_city_loads_with_its_review(&mut db, &officer, &policy, &a, &b);
    migrated_pensions_and_accounts_follow_the_rules(&mut db, &policy, &a);
}

/// The demo's eleven cities (`tongchou_sim::defects`): the delivered files refused or routed for
/// review exactly where the defects were planted (each found at its file, row and column, nothing
/// else flagged); the corrected ones reconcile county by county and load; a city migrated twice
/// changes nothing the second time; the review list resolved by a second bureau officer.
fn demo_story(url: &str) {
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
        // and the comparison sees a defect flagged where none was planted
        let mut more = checked.clone();
        more.findings.defects.push(migrate::check::Defect {
            file: "employers.csv".into(),
            row: 2,
            column: None,
            county: None,
            what: "file",
            reason: String::new(),
        });
        assert!(c.compare(&more).is_err());
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
    // the migrated pensions belong to retired or deceased persons (`person_by_number` skips the
    // pensioners' table for everyone else)
    let outside = tongchou_store::registry::pensions_outside_retirement(&mut db).expect("count");
    assert_eq!(outside, 0);
}

#[test]
fn migration_sqlite() {
    story(&testing::sqlite_url("app_migrate"));
}

#[test]
fn migration_postgres() {
    story(&testing::pg_url("app_migrate"));
}

#[test]
fn demo_migration_sqlite() {
    demo_story(&testing::sqlite_url("app_migrate_demo"));
}

#[test]
fn demo_migration_postgres() {
    demo_story(&testing::pg_url("app_migrate_demo"));
}
