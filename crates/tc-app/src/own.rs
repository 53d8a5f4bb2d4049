//! An insured person's own records (我的参保记录), as they read them: each month's contribution
//! with what was paid against it, the individual account's closed years, the pension with how
//! each part is computed, and the payments made to them. Only the person's own account
//! (`insured_person` with a person id) reads them; every read is audited (`person.read_own`,
//! with what was read) and every refusal too.

use crate::error::{AppError, Result};
use tongchou_core::access::{AccessError, Permission, Principal, Role};
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::{Explanation, Fen, Policy};
use tongchou_store::Db;
use tongchou_store::access::{self as store, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::benefits::pensions::{self, PensionRecord};
use tongchou_store::own::{self, OwnMonth, OwnPayment, OwnYear};

/// Payment lines shown at most (ten years of monthly lines and their extras).
pub const PAYMENTS_SHOWN: i64 = 240;

/// How a pension in force was computed: the three parts, each with its explanation.
#[derive(Clone, Debug)]
pub struct PensionExplained {
    pub basic: Explanation,
    pub account: Explanation,
    pub transitional: Explanation,
    /// The parts recomputed from the stored inputs equal the stored parts.
    pub reproduced: bool,
}

/// What the person reads.
#[derive(Clone, Debug)]
pub struct OwnRecords {
    pub person: i64,
    pub contributions: Vec<OwnMonth>,
    pub years: Vec<OwnYear>,
    /// The pension rows, newest first (empty for an insured person not retired).
    pub pensions: Vec<PensionRecord>,
    /// The award's computation (the first row), when the person is a pensioner.
    pub explained: Option<PensionExplained>,
    pub payments: Vec<OwnPayment>,
}

/// The person a signed-in insured person is, or the audited refusal.
pub fn own_person(db: &mut Db, who: &Principal, now: i64) -> Result<i64> {
    match (who.role, who.person_id) {
        (Role::InsuredPerson, Some(pid)) => Ok(pid),
        _ => {
            let t = Target {
                action: "person.read_own",
                object_type: "person",
                object_id: "-",
                region: who.region,
            };
            let e = AccessError::NoPermission {
                role: who.role,
                permission: Permission::OwnRecordRead,
            };
            Err(store::deny(db, who, &t, e, now).into())
        }
    }
}

/// Audit one read of the person's own data (`what`: the page's part).
pub fn audit_own_read(
    db: &mut Db,
    who: &Principal,
    person: i64,
    what: &str,
    now: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: "person.read_own",
            object_type: "person",
            object_id: &person.to_string(),
            region: Some(who.region.get()),
            result: "ok",
            details: serde_json::json!({ "what": what, "via": "page" }),
        },
        now,
    )?;
    Ok(())
}

/// The award's parts recomputed by the rule from the inputs stored with it, with their
/// explanations. The person's birth and category come from the registry.
fn explain_award(db: &mut Db, policy: &Policy, first: &PensionRecord) -> Result<PensionExplained> {
    let p = crate::benefits::retire::load_person(db, first.person)?;
    let input = PensionInput {
        birth: p.birth,
        category: p.category,
        retire: Some(first.effective_from.add_months(-1)),
        paid_months: first.paid_months,
        deemed_months: first.deemed_months,
        avg_index: first.avg_index,
        deemed_index: first.deemed_index,
        account_balance: first.account_at_retirement,
        benefit_base: Some(first.benefit_base),
        transition_coefficient: None,
    };
    let got = pension(policy, &input)?;
    let reproduced = got.basic == first.basic
        && got.account == first.account
        && got.transitional == first.transitional;
    Ok(PensionExplained {
        basic: got.explain.basic,
        account: got.explain.account,
        transitional: got.explain.transitional,
        reproduced,
    })
}

/// Everything the person reads on their records page, audited once.
pub fn records(db: &mut Db, policy: &Policy, who: &Principal, now: i64) -> Result<OwnRecords> {
    let person = own_person(db, who, now)?;
    let contributions = own::contributions(db, person)?;
    let years = own::account_years(db, person)?;
    let mut history = pensions::history(db, person)?;
    let explained = match history.first() {
        Some(first) => explain_award(db, policy, first).ok(),
        None => None,
    };
    history.reverse();
    let payments = own::payments(db, person, PAYMENTS_SHOWN)?;
    audit_own_read(db, who, person, "records", now)?;
    Ok(OwnRecords {
        person,
        contributions,
        years,
        pensions: history,
        explained,
        payments,
    })
}

/// The person's statement (对账单) of a closed year: `crate::accounts::statement` for their own
/// account only.
pub fn statement(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    year: i32,
    now: i64,
) -> Result<crate::accounts::Statement> {
    let person = own_person(db, who, now)?;
    crate::accounts::statement(db, &Actor::of(who), now, policy, person, year)
}

/// Totals of the contribution months: (assessed, paid, still open).
pub fn contribution_totals(months: &[OwnMonth]) -> (Fen, Fen, Fen) {
    let sum = |f: &dyn Fn(&OwnMonth) -> Fen| Fen::new(months.iter().map(|m| f(m).fen()).sum());
    (sum(&|m| m.assessed()), sum(&|m| m.paid), sum(&|m| m.open()))
}

/// Reject a year outside what a statement can be about.
pub fn check_year(year: i32) -> Result<i32> {
    if (1990..=9999).contains(&year) {
        Ok(year)
    } else {
        Err(AppError::Invalid(tongchou_core::tr!(
            "app-own-year",
            year = year
        )))
    }
}
