//! Eligibility certification on both backends: a pensioner left uncertified past the day it was
//! due is reminded, then suspended by the payroll (no pension line) and, once certified at the
//! counter, resumed with the months missed paid once by the next payroll; nobody named by a death
//! record before the payroll is paid, nor can be certified; a file of alive records certifies
//! silently, all or nothing, once; the self-service portal certifies only oneself; a clerk of
//! another county is refused and the refusal audited.

mod common;

use tongchou_app::certification::{self as cert, Certified};
use tongchou_app::disburse;
use tongchou_app::error::AppError;
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_store::audit::Actor;
use tongchou_store::{Db, Val, testing};

const TODAY: &str = "2026-12-01";

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn run_month(
    db: &mut Db,
    policy: &Policy,
    actors: &disburse::Actors,
    out: &std::path::Path,
    m: &str,
) {
    common::run_month(db, policy, actors, out, m);
}

fn lines(db: &mut Db, month: i64, person: i64, item: &str) -> Vec<i64> {
    db.query(
        "SELECT amount_fen FROM payroll_lines WHERE month = $1 AND person_id = $2 AND item = $3 ORDER BY attempt",
        &[Val::I64(month), Val::I64(person), Val::Str(item)],
    )
    .expect("lines")
    .iter()
    .map(|r| r[0].i64().expect("amount"))
    .collect()
}

fn status(db: &mut Db, person: i64) -> String {
    db.query(
        "SELECT status FROM pensioners WHERE person_id = $1",
        &[Val::I64(person)],
    )
    .expect("status")[0][0]
        .text()
        .expect("text")
        .to_string()
}

fn notices(db: &mut Db, person: i64) -> Vec<(i64, String)> {
    db.query(
        "SELECT month, kind FROM certification_notices WHERE person_id = $1 ORDER BY month, kind",
        &[Val::I64(person)],
    )
    .expect("notices")
    .iter()
    .map(|r| (r[0].i64().expect("m"), r[1].text().expect("k").to_string()))
    .collect()
}

fn user(db: &mut Db, login: &str, role: Role, region: u32, person: Option<i64>) -> Principal {
    common::user(
        db,
        login,
        role,
        RegionCode::new(region).expect("region"),
        person,
    )
}

/// Three active pensioners paid since before 2019: (person, county, monthly pension, ID number).
fn three_pensioners(db: &mut Db) -> Vec<(i64, u32, i64, String)> {
    db.query(
        "SELECT n.person_id, n.county, n.monthly_fen, s.id_number FROM pensioners n JOIN persons s ON s.id = n.person_id \
         WHERE n.status = 'active' AND n.retire_period < 201801 AND n.monthly_fen > 0 ORDER BY n.person_id LIMIT 3",
        &[],
    )
    .expect("pensioners")
    .iter()
    .map(|r| {
        (
            r[0].i64().expect("id"),
            r[1].i64().expect("county") as u32,
            r[2].i64().expect("monthly"),
            r[3].text().expect("id number").to_string(),
        )
    })
    .collect()
}

fn set_last_certified(db: &mut Db, person: i64, county: u32, on: &str) {
    db.exec(
        "DELETE FROM pensioner_certification WHERE person_id = $1",
        &[Val::I64(person)],
    )
    .expect("delete");
    db.exec(
        "INSERT INTO pensioner_certification (person_id, county, last_on, last_method) VALUES ($1, $2, $3, 'legacy')",
        &[Val::I64(person), Val::I64(county as i64), Val::Str(on)],
    )
    .expect("insert");
}

fn certification(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 800, "2020-01");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-cert-{tag}-{}", std::process::id()));
    let ps = three_pensioners(&mut db);
    let (late, _, late_monthly, _) = ps[0].clone();
    let (soon, soon_county, _, soon_id) = ps[1].clone();
    let (dead, _, _, dead_id) = ps[2].clone();
    let late_county = ps[0].1;
    // due 2020-01-20: reminded by January's payroll, overdue at February's
    set_last_certified(&mut db, late, late_county, "2019-01-20");
    // due 2020-02-10: reminded by February's payroll
    set_last_certified(&mut db, soon, soon_county, "2019-02-10");
    // a death record of 2020-01-15 reaches the province before February's payroll; nobody runs
    // the cross-check
    let deaths = format!("身份证号码,死亡日期,来源\n{dead_id},2020-01-15,公安\n");
    tongchou_app::benefits::deaths::import_deaths(
        &mut db,
        "deaths.csv",
        deaths.as_bytes(),
        d(TODAY),
        &Actor::operator("test"),
        0,
    )
    .expect("deaths");

    run_month(&mut db, &policy, &actors, &out, "2020-01");
    assert_eq!(
        lines(&mut db, 202001, late, "basic_pension"),
        vec![late_monthly]
    );
    assert_eq!(
        notices(&mut db, late),
        vec![(202001, "reminder".to_string())]
    );
    // died in January: January is paid (alive on its first day)
    assert_eq!(lines(&mut db, 202001, dead, "basic_pension").len(), 1);

    run_month(&mut db, &policy, &actors, &out, "2020-02");
    assert!(lines(&mut db, 202002, late, "basic_pension").is_empty());
    assert_eq!(status(&mut db, late), "suspended");
    assert!(notices(&mut db, late).contains(&(202002, "suspended".to_string())));
    assert!(notices(&mut db, soon).contains(&(202002, "reminder".to_string())));
    assert!(
        lines(&mut db, 202002, dead, "basic_pension").is_empty(),
        "paid after a recorded death"
    );
    assert_eq!(status(&mut db, dead), "suspended");

    run_month(&mut db, &policy, &actors, &out, "2020-03");
    assert!(lines(&mut db, 202003, late, "basic_pension").is_empty());

    // a clerk of another county may not certify; the refusal is audited
    let other = Divisions::shanxi()
        .counties()
        .map(|c| c.code.get())
        .find(|c| *c != late_county)
        .expect("another county");
    let stranger = user(&mut db, "stranger", Role::CountyAgency, other, None);
    let denied = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE result = 'denied'",
            &[],
        )
        .expect("count");
    match cert::certify(&mut db, &stranger, late, d("2020-03-20"), d(TODAY), 1) {
        Err(AppError::Forbidden(_)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE result = 'denied'",
            &[]
        )
        .expect("count"),
        denied + 1
    );

    // the clerk of the pensioner's county certifies them at the counter after March's payroll:
    // February and March are paid by April's payroll
    let clerk = user(&mut db, "clerk", Role::CountyAgency, late_county, None);
    let c: Certified =
        cert::certify(&mut db, &clerk, late, d("2020-03-20"), d(TODAY), 2).expect("certify");
    let r = c.resumed.expect("resumed");
    assert_eq!(
        (r.suspended_from, r.paid_in, r.months),
        (p("2020-02"), p("2020-04"), 2)
    );
    assert_eq!(r.amount, Fen::new(2 * late_monthly));
    assert_eq!(status(&mut db, late), "active");
    // the same certification again changes nothing and pays nothing twice
    let again = cert::certify(&mut db, &clerk, late, d("2020-03-20"), d(TODAY), 3).expect("again");
    assert!(!again.new && again.resumed.is_none());
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'certification.record' AND result = 'ok'",
            &[]
        )
        .expect("audited"),
        2
    );

    // a person named by a death record cannot be certified
    match cert::certify(&mut db, &clerk, dead, d("2020-03-20"), d(TODAY), 4) {
        Err(AppError::State(m)) | Err(AppError::Forbidden(m)) => {
            assert!(m.contains("死亡信息") || m.contains("辖区"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // a certification in the future is refused
    assert!(matches!(
        cert::certify(&mut db, &clerk, late, d("2027-01-01"), d(TODAY), 5),
        Err(AppError::Invalid(_))
    ));

    run_month(&mut db, &policy, &actors, &out, "2020-04");
    assert_eq!(
        lines(&mut db, 202004, late, "basic_pension"),
        vec![late_monthly]
    );
    assert_eq!(
        lines(&mut db, 202004, late, "resumed_arrears"),
        vec![2 * late_monthly]
    );
    assert!(notices(&mut db, late).contains(&(202004, "resumed".to_string())));

    // a file of alive records: a bad row refuses the whole file, naming row and column
    let officer = &actors.officer;
    let bad = format!(
        "身份证号码,发生日期,来源\n{soon_id},2020-02-05,医保就医结算\n{soon_id},2099-01-01,民政走访\n"
    );
    match cert::import_alive(
        &mut db,
        officer,
        "alive-bad.csv",
        bad.as_bytes(),
        d(TODAY),
        6,
    ) {
        Err(AppError::Invalid(m)) => assert!(m.contains("第 3 行 发生日期："), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM certification_events WHERE method = 'records'",
            &[]
        )
        .expect("events"),
        0
    );
    let good = format!(
        "身份证号码,发生日期,来源\n{soon_id},2020-02-05,医保就医结算\n{dead_id},2020-02-05,民政走访\n"
    );
    let s = cert::import_alive(&mut db, officer, "alive.csv", good.as_bytes(), d(TODAY), 7)
        .expect("alive");
    assert_eq!((s.rows, s.certified, s.not_pensioners), (2, 1, 1));
    assert!(
        cert::import_alive(&mut db, officer, "alive.csv", good.as_bytes(), d(TODAY), 8).is_err()
    );
    // a county clerk may not read the province's exchange file
    assert!(matches!(
        cert::import_alive(&mut db, &clerk, "alive2.csv", good.as_bytes(), d(TODAY), 9),
        Err(AppError::Forbidden(_))
    ));

    // the self-service portal: the pensioner certifies themselves, nobody else
    let me = user(
        &mut db,
        "soon.self",
        Role::InsuredPerson,
        soon_county,
        Some(soon),
    );
    assert!(matches!(
        cert::certify(&mut db, &me, late, d("2020-04-05"), d(TODAY), 10),
        Err(AppError::Forbidden(_))
    ));
    let own = cert::certify(&mut db, &me, soon, d("2020-04-05"), d(TODAY), 11).expect("self");
    assert_eq!(own.method, "self_service");
    let record = cert::own(&mut db, &policy, soon, d("2020-04-06"))
        .expect("own")
        .expect("pensioner");
    assert_eq!(record.events.len(), 2);
    let self_service = "自助认证（人脸识别的替代，演示用）";
    let mine = record
        .events
        .iter()
        .find(|e| e.1 == self_service)
        .expect("self");
    assert_eq!(mine.2, self_service, "{mine:?}");
    // in English: the way and the source kept as a message
    let record = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::En, || {
        cert::own(&mut db, &policy, soon, d("2020-04-06"))
    })
    .expect("own")
    .expect("pensioner");
    let mine = record
        .events
        .iter()
        .find(|e| e.1.starts_with("Self-service"))
        .expect("self");
    assert!(mine.2.starts_with("Self-service"), "{mine:?}");

    // the report: the province's figures add up
    let rep = cert::report(
        &mut db,
        &policy,
        p("2020-04"),
        Divisions::shanxi().province().code,
    )
    .expect("report");
    let t = &rep.total;
    assert_eq!(
        t.pensioners,
        t.certified
            + t.due_soon
            + t.overdue
            + t.suspended_uncertified
            + t.suspended_death_record
            + t.suspended_other
    );
    assert_eq!(t.resumptions, 1);
    assert_eq!(t.resumed_amount, Fen::new(2 * late_monthly));
    assert_eq!(t.suspended_death_record, 1);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn certification_on_sqlite() {
    certification(&testing::sqlite_url("certification"), "sqlite");
}

#[test]
fn certification_on_postgres() {
    certification(&testing::pg_url("certification"), "pg");
}
