//! The county agencies' paying accounts and a bank's returns read by a person, on both backends:
//! an account is set by the provincial bureau or the county's own agency (others refused and
//! audited), each change a new dated version; the pay step draws each county's files on the
//! account in force on the pay day and, for a county without one, fails naming it and writes
//! nothing; a return file of the simulated bank is read by the county's agency (another county's
//! refused, audited), once (again: nothing changes), a malformed one refused naming the file.

mod common;

use tongchou_app::AppError;
use tongchou_app::agency_accounts::{self, AccountInput};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Fen, Period, Policy, RegionCode};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::{Db, Val, testing};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn rc(v: u32) -> RegionCode {
    RegionCode::new(v).expect("region")
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn input<'a>(region: u32, code: &'a str, account: &'a str, from: &str) -> AccountInput<'a> {
    AccountInput {
        region: rc(region),
        kind: agency_accounts::PAYING,
        agency_name: "太原市小店区社会保险事业管理中心",
        credit_code: code,
        account_number: account,
        account_name: Some("太原市小店区社会保险事业管理中心基本养老保险基金支出户"),
        bank_name: "中国工商银行太原小店支行",
        bic: None,
        cnaps: Some("102161000011"),
        valid_from: d(from),
    }
}

fn audit_count(db: &mut Db, action: &str, result: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE action = $1 AND result = $2",
        &[Val::Str(action), Val::Str(result)],
    )
    .expect("audit")
}

fn accounts_set_and_versioned(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pw = "correct horse battery staple";
    let officer = testing::add_user(&mut db, "officer", Role::ProvinceBureauOfficer, 140000, pw);
    let clerk = testing::add_user(&mut db, "clerk.xd", Role::CountyAgency, 140105, pw);
    let auditor = testing::add_user(&mut db, "auditor", Role::Auditor, 140000, pw);
    let reviewer = testing::add_user(
        &mut db,
        "reviewer",
        Role::ProvinceBureauApprover,
        140000,
        pw,
    );
    let code = tongchou_sim::accounts::credit_code(rc(140105)).expect("code");
    let code = code.as_str();
    // the county's own agency sets its account
    let (a, written) = agency_accounts::set(
        &mut db,
        &clerk,
        &input(140105, code, "0502123409000012345", "2020-01-01"),
        T0,
    )
    .expect("set");
    assert!(written);
    assert_eq!((a.version, a.set_by.as_str()), (1, "clerk.xd"));
    // the same again changes nothing
    let (_, written) = agency_accounts::set(
        &mut db,
        &clerk,
        &input(140105, code, "0502123409000012345", "2020-01-01"),
        T0,
    )
    .expect("again");
    assert!(!written);
    // maker–checker: pending until the bureau's reviewer confirms it; nothing in force before
    assert_eq!(a.status, "pending");
    assert!(
        agency_accounts::in_force(&mut db, rc(140105), d("2020-06-01"))
            .expect("q")
            .is_none()
    );
    let busy = agency_accounts::set(
        &mut db,
        &clerk,
        &input(140105, code, "0502123409000077777", "2020-01-01"),
        T0,
    );
    assert!(
        matches!(&busy, Err(AppError::State(m)) if m.contains("待复核")),
        "{busy:?}"
    );
    let decide = |db: &mut Db, who: &Principal, version: i64, confirm: bool, note: Option<&str>| {
        let d = agency_accounts::Decision {
            region: rc(140105),
            version,
            confirm,
            note,
        };
        agency_accounts::review(db, who, &d, T0)
    };
    for who in [&clerk, &officer] {
        let r = decide(&mut db, who, 1, true, None);
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    }
    assert_eq!(audit_count(&mut db, "agency_account.review", "denied"), 2);
    let a = decide(&mut db, &reviewer, 1, true, None).expect("confirm");
    assert_eq!(
        (a.status.as_str(), a.reviewed_by.as_deref()),
        ("confirmed", Some("reviewer"))
    );
    let again = decide(&mut db, &reviewer, 1, false, Some("x"));
    assert!(matches!(again, Err(AppError::State(_))), "{again:?}");
    // another county's account, or a role without the permission: refused and audited
    let other = agency_accounts::set(
        &mut db,
        &clerk,
        &input(140106, code, "0502123409000099999", "2020-01-01"),
        T0,
    );
    assert!(matches!(other, Err(AppError::Forbidden(_))), "{other:?}");
    let no = agency_accounts::set(
        &mut db,
        &auditor,
        &input(140105, code, "0502123409000099999", "2020-01-01"),
        T0,
    );
    assert!(matches!(no, Err(AppError::Forbidden(_))), "{no:?}");
    assert_eq!(audit_count(&mut db, "agency_account.set", "denied"), 2);
    // bad fields are named
    let bad = |db: &mut Db, who: &Principal, i: &AccountInput<'_>| match agency_accounts::set(
        db, who, i, T0,
    ) {
        Err(AppError::Invalid(m)) => m,
        other => panic!("{other:?}"),
    };
    let mut i = input(140105, code, "0502-1234", "2020-03-01");
    assert!(bad(&mut db, &officer, &i).starts_with("account_number"));
    i.account_number = "0502123409000054321";
    i.cnaps = Some("10216");
    assert!(bad(&mut db, &officer, &i).starts_with("cnaps"));
    i.cnaps = Some("102161000011");
    i.credit_code = "12140105MB0000000X";
    assert!(bad(&mut db, &officer, &i).starts_with("credit_code"));
    i.credit_code = code;
    // the bureau sets a new account from March: a new version, the old one kept
    i.region = rc(140105);
    let on = |db: &mut Db, day: &str| {
        agency_accounts::in_force(db, rc(140105), d(day))
            .expect("in force")
            .map(|a| a.account_number)
    };
    let (a, written) = agency_accounts::set(&mut db, &officer, &i, T0).expect("march");
    assert!(written);
    assert_eq!(a.version, 2);
    // refused (a reason is required): never in force; set again, confirmed
    let no_reason = decide(&mut db, &reviewer, 2, false, Some("  "));
    assert!(
        matches!(no_reason, Err(AppError::Invalid(_))),
        "{no_reason:?}"
    );
    let r = decide(&mut db, &reviewer, 2, false, Some("开户证明与账号不符")).expect("refuse");
    assert_eq!(r.status, "refused");
    assert_eq!(
        on(&mut db, "2020-03-01").as_deref(),
        Some("0502123409000012345")
    );
    let (a, written) = agency_accounts::set(&mut db, &officer, &i, T0).expect("march again");
    assert!(written);
    assert_eq!(a.version, 3);
    decide(&mut db, &reviewer, 3, true, None).expect("confirm march");
    assert_eq!(on(&mut db, "2019-12-31"), None);
    assert_eq!(
        on(&mut db, "2020-02-29").as_deref(),
        Some("0502123409000012345")
    );
    assert_eq!(
        on(&mut db, "2020-03-01").as_deref(),
        Some("0502123409000054321")
    );
    assert_eq!(agency_accounts::list(&mut db, None).expect("list").len(), 3);
    assert_eq!(audit_count(&mut db, "agency_account.set", "ok"), 3);
    assert_eq!(
        audit_count(&mut db, "agency_account.review", "confirmed"),
        2
    );
    assert_eq!(audit_count(&mut db, "agency_account.review", "refused"), 1);
    // the audit log shows the account's last four digits only
    let details = db
        .query(
            "SELECT details FROM audit_log WHERE action = 'agency_account.set' AND result = 'ok'",
            &[],
        )
        .expect("q");
    for r in details {
        let t = r[0].text().expect("t");
        assert!(t.contains("****") && !t.contains("0502123409000"), "{t}");
    }
    // the other kinds: the province's fiscal special account, a city's income account; each
    // reviewed apart from the county's paying account; a kind where the chart has none refused
    let mut fiscal = input(140000, code, "0502123409000066666", "2020-01-01");
    fiscal.kind = "fiscal_special_account";
    let (f, _) = agency_accounts::set(&mut db, &officer, &fiscal, T0).expect("fiscal");
    assert_eq!(
        (f.kind.as_str(), f.status.as_str()),
        ("fiscal_special_account", "pending")
    );
    let mut wrong = input(140105, code, "0502123409000066666", "2020-01-01");
    wrong.kind = "fiscal_special_account";
    assert!(bad(&mut db, &officer, &wrong).starts_with("region"));
    wrong.kind = "savings";
    assert!(bad(&mut db, &officer, &wrong).starts_with("kind"));
    let decision = agency_accounts::Decision {
        region: rc(140000),
        version: f.version,
        confirm: true,
        note: None,
    };
    agency_accounts::review(&mut db, &reviewer, &decision, T0).expect("confirm fiscal");
    let day = d("2020-06-01");
    let of = |db: &mut Db, r: u32, kind: &str| {
        agency_accounts::in_force_of(db, rc(r), kind, day)
            .expect("q")
            .map(|a| a.account_number)
    };
    assert_eq!(
        of(&mut db, 140000, "fiscal_special_account").as_deref(),
        Some("0502123409000066666")
    );
    assert_eq!(of(&mut db, 140000, "expenditure_account"), None);
    // the county's paying account is still the one confirmed for it
    assert_eq!(
        of(&mut db, 140105, "expenditure_account").as_deref(),
        Some("0502123409000054321")
    );
}

#[test]
fn accounts_set_and_versioned_on_sqlite() {
    accounts_set_and_versioned(&testing::sqlite_url("agency_accounts"));
}

#[test]
fn accounts_set_and_versioned_on_postgres() {
    accounts_set_and_versioned(&testing::pg_url("agency_accounts"));
}

/// Collection and disbursement of January 2020 without a bank counterpart.
fn january(
    db: &mut Db,
    actors: &disburse::Actors,
    out: &std::path::Path,
) -> tongchou_app::Result<serde_json::Value> {
    let policy = Policy::builtin().expect("policy");
    let m: Period = "2020-01".parse().expect("p");
    if !tongchou_app::jobs::is_done(db, collect::JOB, m, collect::STEP_CLOSE)? {
        let src = ReceiptSource::Counterpart(&TaxBureau {
            seed: 3,
            behaviour: Behaviour::default(),
        });
        collect::run_month(db, &policy, m, src)?;
        tongchou_app::income::record(
            db,
            &tongchou_store::audit::Actor::operator("test"),
            tongchou_app::clock::now_ms(),
            &tongchou_app::income::Income {
                key: "subsidy/202001",
                region: rc(140000),
                kind: "subsidy-province",
                amount: Fen::new(100_000_000),
                date: m.day(2),
                reference: "test",
            },
        )?;
    }
    disburse::run_month(db, &policy, m, actors, &MonthOptions::new(out))
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

fn pay_and_read_returns(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 1000, "2020-01");
    let actors = common::users(&mut db);
    let out = std::env::temp_dir().join(format!("tc-agency-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    // no paying accounts: the pay step fails naming the counties and writes nothing
    let e = january(&mut db, &actors, &out).expect_err("no accounts");
    let AppError::NoPayingAccount { counties, .. } = &e else {
        panic!("{e:?}");
    };
    assert!(!counties.is_empty());
    let msg = e.to_string();
    let (c, name) = &counties[0];
    assert!(
        msg.contains(&format!("{c} {name}")) && msg.contains("没有配置付款账户"),
        "{msg}"
    );
    assert_eq!(
        db.query_i64("SELECT count(*) FROM payment_files", &[])
            .expect("q"),
        0
    );
    assert_eq!(files_in(&out), 0);
    // accounts set: the month runs through, each file drawn on its county's account
    common::paying_accounts(&mut db, &actors.officer, "2020-01-01", T0);
    january(&mut db, &actors, &out).expect("january");
    let files = db
        .query(
            "SELECT msg_id, county, xml_path FROM payment_files ORDER BY msg_id",
            &[],
        )
        .expect("files");
    assert!(!files.is_empty());
    for f in &files {
        let county = f[1].i64().expect("county");
        let xml = std::fs::read_to_string(f[2].text().expect("path")).expect("xml");
        assert!(xml.contains(&format!("9{county}0000000201")), "{county}");
        let code = tongchou_sim::accounts::credit_code(rc(county as u32)).expect("code");
        assert!(
            xml.contains(code.as_str()),
            "{county}: the agency's credit code"
        );
    }
    // the simulated bank answers; the first county's agency reads its file
    let answered = tongchou_bank::DateTime::new(d("2020-01-20"), 18, 0, 0).expect("t");
    let bank = tongchou_sim::bank::SimulatedBank {
        rejects: 3_000,
        seed: 9,
    };
    let answers =
        tongchou_sim::bank::answers(&mut db, "2020-01".parse().expect("p"), &bank, answered)
            .expect("answers");
    let (msg, bytes) = &answers[0];
    let county = files[0][1].i64().expect("county") as u32;
    let other = if county == 140105 { 140106 } else { 140105 };
    let pw = "correct horse battery staple";
    let own = testing::add_user(&mut db, "clerk.own", Role::CountyAgency, county, pw);
    let stranger = testing::add_user(&mut db, "clerk.other", Role::CountyAgency, other, pw);
    let name = format!("{msg}.pain002.xml");
    let before = disburse::state_digest(&mut db).expect("digest");
    let r = disburse::import_returns(&mut db, &stranger, &name, bytes, d("2020-01-21"), T0);
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    assert_eq!(audit_count(&mut db, "bank_returns.read", "denied"), 1);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), before);
    let r =
        disburse::import_returns(&mut db, &own, &name, bytes, d("2020-01-21"), T0).expect("read");
    assert!(!r.already_read && r.accepted > 0 && r.rejected > 0, "{r:?}");
    assert!(r.posted_transfers > 0, "{r:?}");
    let after = disburse::state_digest(&mut db).expect("digest");
    assert_ne!(after, before);
    // again: nothing changes
    let again =
        disburse::import_returns(&mut db, &own, &name, bytes, d("2020-01-22"), T0).expect("again");
    assert!(again.already_read);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), after);
    // a malformed file is refused naming it, and writes nothing
    let bad = disburse::import_returns(
        &mut db,
        &own,
        "broken.xml",
        b"<Document><CstmrPmtStsRpt>",
        d("2020-01-21"),
        T0,
    );
    match bad {
        Err(AppError::Invalid(m)) => assert!(m.starts_with("broken.xml: "), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), after);
    assert_eq!(audit_count(&mut db, "bank_returns.read", "ok"), 2);
    assert_eq!(audit_count(&mut db, "bank_returns.read", "failed"), 1);
    // the list: the county sees its file, the other county nothing, the province every file
    let listed = disburse::return_files(&mut db, &own, 10).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].region, Some(rc(county)));
    assert_eq!(listed[0].read_by.as_deref(), Some("clerk.own"));
    assert!(
        disburse::return_files(&mut db, &stranger, 10)
            .expect("list")
            .is_empty()
    );
    // the bureau officer reads the rest
    for (msg, bytes) in &answers[1..] {
        disburse::import_returns(
            &mut db,
            &actors.officer,
            &format!("{msg}.xml"),
            bytes,
            d("2020-01-21"),
            T0,
        )
        .expect("officer reads");
    }
    assert_eq!(
        disburse::return_files(&mut db, &actors.officer, 1000)
            .expect("list")
            .len(),
        answers.len()
    );
    let check = tongchou_store::ledger::Ledger::new(&mut db)
        .check()
        .expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn pay_and_read_returns_on_sqlite() {
    pay_and_read_returns(&testing::sqlite_url("agency_pay"), "sqlite");
}

#[test]
fn pay_and_read_returns_on_postgres() {
    pay_and_read_returns(&testing::pg_url("agency_pay"), "pg");
}
