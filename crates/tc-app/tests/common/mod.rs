//! Test support: a small synthetic province loaded into a fresh database, with the ledger's
//! accounts open, the two users of the monthly maker–checker steps and the county agencies'
//! paying accounts.

#![allow(dead_code)]

use tongchou_app::disburse::Actors;
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Divisions, Period, RegionCode};
use tongchou_store::Db;
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;

pub fn province(db: &mut Db, persons: usize, start: &str) {
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons,
        employers: None,
        start: start.parse::<Period>().expect("period"),
    })
    .expect("generate");
    tongchou_sim::load::write_province(db, &p).expect("load");
    Ledger::new(db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
}

/// The officer and approver of the monthly steps, and every county agency's (synthetic) paying
/// account set by the officer, valid from 2000-01-01.
pub fn actors(db: &mut Db) -> Actors {
    let actors = users(db);
    paying_accounts(db, &actors.officer, "2000-01-01", 0);
    actors
}

/// Every county's synthetic paying account valid from `from`, set by `officer` and confirmed by
/// a provincial bureau reviewer (`acct.reviewer`, added here: maker–checker).
pub fn paying_accounts(db: &mut Db, officer: &Principal, from: &str, now_ms: i64) {
    let province = Divisions::shanxi().province().code;
    let reviewer = user(
        db,
        "acct.reviewer",
        Role::ProvinceBureauApprover,
        province,
        None,
    );
    tongchou_sim::accounts::register_all(db, officer, &reviewer, from.parse().expect("d"), now_ms)
        .expect("paying accounts");
}

/// A user of `role` scoped to `region` (for an insured person: their person id).
pub fn user(
    db: &mut Db,
    login: &str,
    role: Role,
    region: RegionCode,
    person_id: Option<i64>,
) -> Principal {
    add_user(
        db,
        &Actor::operator("test"),
        &NewUser {
            login,
            display_name: login,
            role,
            region,
            person_id,
            password: "correct horse battery staple",
        },
        &AuthPolicy::default(),
        0,
    )
    .expect("user")
    .principal()
}

/// The officer and approver of the monthly steps, without paying accounts.
pub fn users(db: &mut Db) -> Actors {
    let province = Divisions::shanxi().province().code;
    let officer = user(db, "officer", Role::ProvinceBureauOfficer, province, None);
    let approver = user(db, "approver", Role::FinanceApprover, province, None);
    Actors {
        officer,
        approver: Some(approver),
    }
}

/// One month as `tongchou month run` runs it: the collection close (simulated tax bureau), then
/// the disbursement with the dues, the recoveries' deductions and the certification's sweep in
/// its payroll (simulated bank, no rejections). Bank files under `out/M`.
pub fn run_month(
    db: &mut Db,
    policy: &tongchou_core::Policy,
    actors: &Actors,
    out: &std::path::Path,
    m: &str,
) {
    use tongchou_app::collect::{self, ReceiptSource};
    use tongchou_sim::tax::{Behaviour, TaxBureau};
    let month: Period = m.parse().expect("month");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour::default(),
    });
    collect::run_month(db, policy, month, src).expect("collection");
    let mut opts = tongchou_app::disburse::MonthOptions::new(&out.join(m));
    opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
    opts.include_dues = true;
    opts.certify = true;
    tongchou_app::disburse::run_month(db, policy, month, actors, &opts).expect("disbursement");
}
