//! Recoveries on both backends: a repayment is booked through the ledger as other income of the
//! county (remitted to the provincial fiscal special account) and never exceeds what remains; a
//! clerk of another county is refused; the rest is written off only with an approval by someone
//! other than the proposer; a closed case takes nothing more; the report adds up; every step is
//! audited and the ledger still verifies.

mod common;

use tongchou_app::error::AppError;
use tongchou_app::recoveries as rec;
use tongchou_core::access::Role;
use tongchou_core::i18n::{Lang, scope};
use tongchou_core::{Date, Divisions, Fen, RegionCode};
use tongchou_ledger::Chart;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, Val, testing};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn yuan(s: &str) -> Fen {
    s.parse().expect("yuan")
}

fn audited(db: &mut Db, action: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE action = $1 AND result = 'ok'",
        &[Val::Str(action)],
    )
    .expect("count")
}

fn other_income(db: &mut Db, county: RegionCode) -> i64 {
    let id = Chart::standard()
        .account(county, "other_income")
        .expect("account");
    let a = Ledger::new(db).account(id).expect("read").expect("open");
    a.balances.credits_posted.fen() - a.balances.debits_posted.fen()
}

fn recoveries(url: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 200, "2020-01");
    let county = Divisions::shanxi()
        .counties()
        .next()
        .expect("a county")
        .code;
    let other = Divisions::shanxi()
        .counties()
        .nth(1)
        .expect("another county")
        .code;
    db.exec(
        "INSERT INTO recovery_cases (person_id, id, kind, county, month, amount_fen, status, source, opened_month, details) \
         VALUES (7, 70, 'paid_after_death', $1, 202003, 300000, 'open', 'death', 202004, '{}')",
        &[Val::I64(county.get() as i64)],
    )
    .expect("case");
    let clerk = common::user(&mut db, "clerk", Role::CountyAgency, county, None);
    let stranger = common::user(&mut db, "stranger", Role::CountyAgency, other, None);
    let approver = common::user(
        &mut db,
        "approver",
        Role::ProvinceBureauApprover,
        Divisions::shanxi().province().code,
        None,
    );

    // another county's clerk: refused
    assert!(matches!(
        rec::repay(
            &mut db,
            &stranger,
            7,
            70,
            yuan("100"),
            d("2020-05-06"),
            "V1",
            1
        ),
        Err(AppError::Forbidden(_))
    ));
    let c = rec::repay(
        &mut db,
        &clerk,
        7,
        70,
        yuan("1000"),
        d("2020-05-06"),
        "V1",
        2,
    )
    .expect("repay");
    assert_eq!((c.status.as_str(), c.remaining()), ("open", yuan("2000")));
    assert_eq!(other_income(&mut db, county), 100_000);
    // more than remains: refused, nothing written; in Chinese, or in English when asked for
    let too_much =
        |db: &mut Db| rec::repay(db, &clerk, 7, 70, yuan("2000.01"), d("2020-05-07"), "V2", 3);
    match too_much(&mut db) {
        Err(AppError::Invalid(m)) => assert_eq!(m, "amount：2000.01 超过待追回的 2000.00"),
        other => panic!("{other:?}"),
    }
    match scope(Lang::En, || too_much(&mut db)) {
        Err(AppError::Invalid(m)) => assert_eq!(
            m,
            "amount: 2000.01 is more than the 2000.00 that remains to recover"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(other_income(&mut db, county), 100_000);

    // the write-off: proposed by the clerk, never decided by them, approved by the province
    let approval =
        rec::propose_write_off(&mut db, &clerk, 7, 70, "继承人无遗产可供追偿", 4).expect("propose");
    assert!(matches!(
        rec::decide_write_off(&mut db, &clerk, approval, true, "", 5),
        Err(AppError::Forbidden(_))
    ));
    let c =
        rec::decide_write_off(&mut db, &approver, approval, true, "同意核销", 6).expect("decide");
    assert_eq!(c.status, "written_off");
    assert_eq!((c.repaid, c.written_off), (yuan("1000"), yuan("2000")));
    assert_eq!(c.remaining(), Fen::ZERO);
    // closed: nothing more
    assert!(matches!(
        rec::repay(&mut db, &clerk, 7, 70, yuan("1"), d("2020-06-01"), "V3", 7),
        Err(AppError::State(_))
    ));

    let report = rec::report(&mut db, Divisions::shanxi().province().code).expect("report");
    let total = report.last().expect("total");
    assert_eq!(
        (
            total.open,
            total.written_off_cases,
            total.repaid,
            total.written_off
        ),
        (0, 1, yuan("1000"), yuan("2000"))
    );
    assert_eq!(audited(&mut db, "recovery.repay"), 1);
    assert_eq!(audited(&mut db, "recovery.write_off"), 1);
    assert!(
        Ledger::new(&mut db)
            .check()
            .expect("check")
            .problem
            .is_none()
    );
}

/// The payroll deducts an open case from the pension, at most half of it a month
/// (`benefit.recovery_deduction_cap`), until nothing remains; the county's book shows the full
/// pension as expenditure and the deduction as other income; the ledger verifies.
fn deductions(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 400, "2020-01");
    let actors = common::actors(&mut db);
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-deduct-{tag}-{}", std::process::id()));
    let r = db
        .query(
            "SELECT person_id, county, monthly_fen FROM pensioners WHERE status = 'active' \
             AND retire_period < 201801 AND monthly_fen > 0 ORDER BY person_id LIMIT 1",
            &[],
        )
        .expect("pensioner");
    let (person, county, monthly) = (
        r[0][0].i64().expect("p"),
        r[0][1].i64().expect("c"),
        r[0][2].i64().expect("m"),
    );
    // a case of 1.2 months' pension: half, half, then the last fifth
    let owed = monthly * 6 / 5;
    db.exec(
        "INSERT INTO recovery_cases (person_id, id, kind, county, month, amount_fen, status, source, opened_month, details) \
         VALUES ($1, 9, 'correction', $2, 201912, $3, 'open', 'correction:1', 201912, '{}')",
        &[Val::I64(person), Val::I64(county), Val::I64(owed)],
    )
    .expect("case");
    let half = (monthly + 1) / 2; // half up
    let line = |db: &mut Db, m: i64| {
        db.query_i64(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payroll_lines WHERE month = $1 AND person_id = $2 AND item = 'basic_pension'",
            &[Val::I64(m), Val::I64(person)],
        )
        .expect("line")
    };
    // certified in December: the payroll's certification sweep leaves them paid all spring
    db.exec(
        "UPDATE pensioner_certification SET last_on = '2019-12-15' WHERE person_id = $1",
        &[Val::I64(person)],
    )
    .expect("certified");
    for m in ["2020-01", "2020-02", "2020-03", "2020-04"] {
        common::run_month(&mut db, &policy, &actors, &out, m);
    }
    assert_eq!(line(&mut db, 202001), monthly - half);
    assert_eq!(line(&mut db, 202002), monthly - half);
    assert_eq!(line(&mut db, 202003), monthly - (owed - 2 * half));
    assert_eq!(line(&mut db, 202004), monthly);
    let c = tongchou_store::recoveries::case(&mut db, person, 9)
        .expect("read")
        .expect("case");
    assert_eq!(
        (c.status.as_str(), c.repaid.fen(), c.movements),
        ("recovered", owed, 3)
    );
    let code = RegionCode::new(county as u32).expect("county");
    assert!(other_income(&mut db, code) >= owed);
    assert!(
        Ledger::new(&mut db)
            .check()
            .expect("check")
            .problem
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn deductions_on_sqlite() {
    deductions(&testing::sqlite_url("deductions"), "sqlite");
}

#[test]
fn deductions_on_postgres() {
    deductions(&testing::pg_url("deductions"), "pg");
}

#[test]
fn recoveries_on_sqlite() {
    recoveries(&testing::sqlite_url("recoveries"));
}

#[test]
fn recoveries_on_postgres() {
    recoveries(&testing::pg_url("recoveries"));
}
