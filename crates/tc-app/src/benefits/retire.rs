//! Retirement approval (退休审批): who reaches the statutory month, applications (maker), decisions
//! (checker), and the pension fixed on approval. The method is documented on [`super`].

use super::{bank_fields, iso, new_id, with_retry};
use crate::error::{AppError, Result};
use serde::Serialize;
use tongchou_core::access::{self as rules, ApprovalKind, Permission, Principal};
use tongchou_core::money::div_round_half_up;
use tongchou_core::ratio::RATIO_SCALE;
use tongchou_core::rules::benefit::{Applicant, average_index, check_retirement};
use tongchou_core::rules::pension::{Pension, PensionInput, pension};
use tongchou_core::rules::retirement::{Category, statutory};
use tongchou_core::rules::transfer::{PensionPlace, Place, pension_place, province_of};
use tongchou_core::tr;
use tongchou_core::{Divisions, Exact, Explanation, Fen, Period, Policy, Ratio, RegionCode};
use tongchou_store::Db;
use tongchou_store::access::{self as store, ApprovalStatus, AuthError};
use tongchou_store::benefits::{self as stored, pensions, retirement};
use tongchou_store::registry::{self, PensionRow, PensionerRow, PersonEventRow};

fn auth(e: AuthError) -> AppError {
    AppError::from(e)
}

/// A person as the retirement checks read them from the registry.
#[derive(Clone, Debug, Serialize)]
pub struct Person {
    pub id: i64,
    pub county: u32,
    pub birth: Period,
    pub category: Category,
    pub status: String,
    pub employer_id: Option<i64>,
    /// The history summary and balance below are as at the first day of this month.
    pub as_of: Period,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    pub balance: Fen,
}

/// Read one person.
pub fn load_person(db: &mut Db, id: i64) -> Result<Person> {
    let r = retirement::insured(db, id)?
        .ok_or_else(|| AppError::Invalid(tr!("app-ben-person-unknown", person = id)))?;
    Ok(Person {
        id: r.id,
        county: r.county,
        birth: r.birth.period(),
        category: r.category,
        status: r.status,
        employer_id: r.employer_id,
        as_of: r.as_of,
        paid_months: r.paid_months,
        deemed_months: r.deemed_months,
        avg_index: r.avg_index,
        balance: r.balance,
    })
}

/// How each input of the checks and the pension was obtained.
#[derive(Clone, Debug, Serialize)]
pub struct FactExplanations {
    /// `rules::benefit::average_index` over the months paid since `as_of` (none if no month).
    pub average_index_since: Option<Explanation>,
    pub average_index: Explanation,
    pub account_balance: Explanation,
}

/// The person's own history as of a retirement month (see the method on [`super`]).
#[derive(Clone, Debug, Serialize)]
pub struct Facts {
    pub person: i64,
    pub county: u32,
    pub birth: Period,
    pub category: Category,
    pub retire: Period,
    pub as_of: Period,
    pub registry_paid_months: u32,
    pub registry_avg_index: Ratio,
    pub registry_balance: Fen,
    /// Months from `as_of` to `retire` whose assessment is fully paid, and those that are not.
    pub months_paid_since: u32,
    pub months_unpaid_since: u32,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    pub account_credited_since: Fen,
    /// (year, interest credited at its close) of the closed years since `as_of`.
    pub interest: Vec<(i32, Fen)>,
    pub account_balance: Fen,
    pub open_arrears: Fen,
    pub explanations: FactExplanations,
    /// The place of pension by the 10-year rule of 国办发〔2009〕66号 (rule
    /// `transfer.pension_place`, with its explanation).
    pub place_of_pension: PensionPlace,
}

/// Gather the facts of `p` for retirement in `retire`.
pub fn gather_facts(db: &mut Db, policy: &Policy, p: &Person, retire: Period) -> Result<Facts> {
    let (history, unpaid) = paid_history(db, p, retire)?;
    let n = history.len() as u32;
    let (avg, since, avg_e) = combined_index(policy, p, &history)?;
    let account = account_at_retirement(db, p)?;
    let open_arrears = retirement::open_arrears(db, p.id)?;
    let place_of_pension = place_of_pension(db, policy, p, retire, p.paid_months + n)?;
    Ok(Facts {
        person: p.id,
        county: p.county,
        birth: p.birth,
        category: p.category,
        retire,
        as_of: p.as_of,
        registry_paid_months: p.paid_months,
        registry_avg_index: p.avg_index,
        registry_balance: p.balance,
        months_paid_since: n,
        months_unpaid_since: unpaid,
        paid_months: p.paid_months + n,
        deemed_months: p.deemed_months,
        avg_index: avg,
        account_credited_since: account.credited,
        interest: account.interest,
        account_balance: account.balance,
        open_arrears,
        explanations: FactExplanations {
            average_index_since: since.map(|(_, e)| e),
            average_index: avg_e,
            account_balance: account.explanation,
        },
        place_of_pension,
    })
}

/// The place of pension of `p` retiring in `retire` with `months` paid in all: the household
/// registration (migration 0052; unknown = this province), the months other provinces'
/// certificates brought (by province, in order of their last year) and the rest here, where the
/// relationship is.
fn place_of_pension(
    db: &mut Db,
    policy: &Policy,
    p: &Person,
    retire: Period,
    months: u32,
) -> Result<PensionPlace> {
    let here = Divisions::shanxi().province().code.get();
    let hukou = tongchou_store::transfers::household_registration(db, p.id)?
        .and_then(|r| u32::try_from(r).ok())
        .unwrap_or(here);
    let mut places: Vec<Place> = Vec::new();
    for (source, m, _) in tongchou_store::transfers::months_by_source(db, p.id)? {
        let Some(prov) = source
            .strip_prefix("transfer_in:")
            .and_then(|x| x.parse::<u32>().ok())
        else {
            continue;
        };
        let m = u32::try_from(m).unwrap_or(0);
        places.retain(|x| x.province != province_of(prov));
        places.push(Place {
            province: province_of(prov),
            months: m,
        });
    }
    let elsewhere: u32 = places.iter().map(|x| x.months).sum();
    places.push(Place {
        province: here,
        months: months.saturating_sub(elsewhere),
    });
    let on = retire.first_day();
    Ok(pension_place(policy, on, hukou, here, &places)?)
}

/// The months from `as_of` to `retire` whose assessment is fully paid, as (month, base), and
/// how many are not.
fn paid_history(db: &mut Db, p: &Person, retire: Period) -> Result<(Vec<(Period, Fen)>, u32)> {
    let mut history: Vec<(Period, Fen)> = Vec::new();
    let mut unpaid = 0u32;
    for m in retirement::months_assessed(db, p.id, p.as_of, retire)? {
        if m.paid.fen() >= m.due.fen() {
            history.push((m.period, m.base));
        } else {
            unpaid += 1;
        }
    }
    Ok((history, unpaid))
}

/// The registry's average index combined with the average index of the months paid since
/// `as_of`, with both explanations.
#[allow(clippy::type_complexity)]
fn combined_index(
    policy: &Policy,
    p: &Person,
    history: &[(Period, Fen)],
) -> Result<(Ratio, Option<(Ratio, Explanation)>, Explanation)> {
    let n = history.len() as u32;
    let since = if history.is_empty() {
        None
    } else {
        Some(average_index(policy, history)?)
    };
    let reg_m = p.paid_months as i128;
    let total_m = reg_m + n as i128;
    let num = p.avg_index.0 as i128 * reg_m
        + since.as_ref().map(|(i, _)| i.0 as i128).unwrap_or(0) * n as i128;
    let step = (RATIO_SCALE / 10_000) as i128;
    let avg = if total_m == 0 {
        Ratio::ZERO
    } else {
        Ratio((div_round_half_up(num, total_m * step) * step) as i64)
    };
    let mut avg_e = Explanation::new(
        "benefit.combined_average_index",
        "avg_index = round_half_up((registry_avg_index × registry_paid_months + avg_index_since × months_since) / (registry_paid_months + months_since), 4 decimals)",
    );
    avg_e
        .step("registry_as_of", p.as_of)
        .step("registry_avg_index", p.avg_index)
        .step("registry_paid_months", p.paid_months)
        .step(
            "avg_index_since",
            since
                .as_ref()
                .map(|(i, _)| i.to_string())
                .unwrap_or_else(|| "none".into()),
        )
        .step("months_since", n)
        .step(
            "exact",
            Exact::new(num, total_m.max(1) * RATIO_SCALE as i128),
        )
        .step("avg_index", avg);
    Ok((avg, since, avg_e))
}

/// The individual account at retirement and how it was obtained.
struct AccountAtRetirement {
    credited: Fen,
    interest: Vec<(i32, Fen)>,
    balance: Fen,
    explanation: Explanation,
}

fn account_at_retirement(db: &mut Db, p: &Person) -> Result<AccountAtRetirement> {
    let credited = retirement::account_credited_since(db, p.id, p.as_of)?;
    let interest = retirement::interest_since(db, p.id, p.as_of.year())?;
    let interest_sum = Fen::try_sum(interest.iter().map(|x| x.1))?;
    let balance = Fen::try_sum([p.balance, credited, interest_sum])?;
    let mut bal_e = Explanation::new(
        "benefit.account_at_retirement",
        "balance = registry_balance(as_of) + Σ account parts applied in collection batches from as_of + Σ interest of the closed years from year(as_of)",
    );
    bal_e
        .step("registry_balance", p.balance)
        .step("account_credited_since", credited);
    for (y, i) in &interest {
        let year = tongchou_core::stored!(
            "explain-value-interest-of-year",
            year = y,
            amount = i.grouped()
        );
        bal_e.step("interest_of_year", year);
    }
    bal_e.step("balance", balance);
    Ok(AccountAtRetirement {
        credited,
        interest,
        balance,
        explanation: bal_e,
    })
}

pub use tongchou_core::rules::retirement::Reason;

/// `rules::benefit::check_retirement` on the facts.
pub fn checks(policy: &Policy, f: &Facts) -> Result<Vec<Reason>> {
    let a = Applicant {
        birth: f.birth,
        category: f.category,
        paid_months: f.paid_months,
        deemed_months: f.deemed_months,
        open_arrears: f.open_arrears,
        account_balance: f.account_balance,
    };
    let mut out: Vec<Reason> = check_retirement(policy, &a, f.retire)?
        .into_iter()
        .map(|r| Reason {
            code: r.code.to_string(),
            reason: r.reason,
        })
        .collect();
    let place = &f.place_of_pension;
    if place.collected {
        out.push(Reason {
            code: "transfer.pension_place".into(),
            reason: tongchou_core::tr!(
                "app-ben-place",
                province = place.province,
                case = place.case.name()
            ),
        });
    }
    Ok(out)
}

/// A person whose statutory retirement month is the month asked about.
#[derive(Clone, Debug, Serialize)]
pub struct DuePerson {
    pub person: i64,
    pub county: u32,
    pub birth: Period,
    pub category: Category,
    pub retire: Period,
    pub earliest: Period,
    pub latest: Period,
    /// The person's pending or approved application, if any.
    pub application: Option<i64>,
}

/// Insured persons (active or suspended) whose statutory retirement month is `month`. The birth
/// months that retire in `month` are found first, per category (ages 40 to 70, the divisor
/// table's range), so only those persons are read.
pub fn due_in_month(db: &mut Db, policy: &Policy, month: Period) -> Result<Vec<DuePerson>> {
    let mut out = Vec::new();
    for category in [
        Category::Male,
        Category::FemaleCadre,
        Category::FemaleWorker,
    ] {
        for k in 40 * 12..=70 * 12 {
            let birth = month.add_months(-k);
            let (age, _) = statutory(policy, birth, category)?;
            if age.retire != month {
                continue;
            }
            for r in retirement::born_in(db, category, birth)? {
                out.push(DuePerson {
                    person: r.person,
                    county: r.county,
                    birth,
                    category,
                    retire: age.retire,
                    earliest: age.earliest,
                    latest: age.latest,
                    application: r.application,
                });
            }
        }
    }
    out.sort_by_key(|d| d.person);
    Ok(out)
}

pub use retirement::Application;

/// One application by id.
pub fn get(db: &mut Db, id: i64) -> Result<Option<Application>> {
    Ok(retirement::application(db, id)?)
}

/// Applications, optionally of one status (`pending`, `approved`, `refused`) and one retirement
/// month, by retirement month and id.
pub fn list(db: &mut Db, status: Option<&str>, month: Option<Period>) -> Result<Vec<Application>> {
    if let Some(s) = status
        && !["pending", "approved", "refused"].contains(&s)
    {
        return Err(AppError::State(tr!(
            "app-ben-status-filter",
            status = format!("{s:?}")
        )));
    }
    Ok(retirement::applications(db, status, month)?)
}

/// What a county agency submits.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub person: i64,
    /// The retirement month; the statutory month when not given.
    pub retire: Option<Period>,
    /// The deemed-period index from the archive review; the person's own average when not given.
    pub deemed_index: Option<Ratio>,
    pub bank_code: &'a str,
    pub bank_name: &'a str,
    pub bank_account: &'a str,
}

/// Submit an application (maker). The checks are run and their reasons stored; the application
/// waits for a decision by another user.
pub fn submit(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    req: &Request<'_>,
    now: i64,
) -> Result<Application> {
    // the account the pay step will write into the payment files: the same rule as there
    let acct = bank_fields(req.bank_code, req.bank_name, req.bank_account)?;
    let acct = tongchou_bank::AccountNumber::parse(&acct)
        .map_err(|e| AppError::Invalid(tr!("app-ben-bank-account", reason = e)))?
        .as_str()
        .to_string();
    if let Some(d) = req.deemed_index
        && (d.0 < 0 || d.0 > 3 * RATIO_SCALE)
    {
        return Err(AppError::Invalid(tr!("app-ben-deemed-index")));
    }
    let p = load_person(db, req.person)?;
    // the region first: nothing about a person of another region is said before it is checked
    let region = RegionCode::new(p.county).map_err(|e| AppError::Invalid(e.0))?;
    let object = format!("person:{}", p.id);
    if rules::can(
        Divisions::shanxi(),
        who,
        Permission::RetirementSubmit,
        region,
    )
    .is_err()
    {
        // audited refusal, outside any transaction so that the audit row stays
        let t = store::Target {
            action: "approval.submit",
            object_type: ApprovalKind::Retirement.as_str(),
            object_id: &object,
            region,
        };
        store::authorize(db, who, Permission::RetirementSubmit, &t, now).map_err(auth)?;
    }
    if p.status != "active" && p.status != "suspended" {
        return Err(AppError::Invalid(tr!(
            "app-ben-not-insured",
            person = p.id,
            status = p.status
        )));
    }
    let (age, _) = statutory(policy, p.birth, p.category)?;
    let retire = req.retire.unwrap_or(age.retire);
    let kind = match retire.cmp(&age.retire) {
        std::cmp::Ordering::Equal => "statutory",
        std::cmp::Ordering::Less => "flexible_early",
        std::cmp::Ordering::Greater => "flexible_late",
    };
    let facts = gather_facts(db, policy, &p, retire)?;
    let reasons = checks(policy, &facts)?;
    let facts_json = super::json_text(&facts)?;
    let reasons_json = super::json_text(&reasons)?;
    let id = new_id()?;
    let at = iso(now);
    with_retry(db, |db| {
        if retirement::has_pending(db, p.id)? {
            return Err(AppError::State(tr!("app-ben-pending", person = p.id)));
        }
        let a = store::submit_approval(
            db,
            who,
            ApprovalKind::Retirement,
            &id.to_string(),
            region,
            now,
        )
        .map_err(auth)?;
        retirement::insert_application(
            db,
            &retirement::NewApplication {
                person: p.id,
                id,
                approval_id: a.id,
                county: p.county,
                retire,
                kind,
                submitted_by: who.user_id,
                submitted_at: &at,
                deemed_index: req.deemed_index,
                bank_code: req.bank_code.trim(),
                bank_name: req.bank_name.trim(),
                bank_account: &acct,
                facts: &facts_json,
                refusals: &reasons_json,
            },
        )?;
        Ok(())
    })?;
    get(db, id)?.ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-ben-vanished", id = id)))
}

/// The checker's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Refuse,
}

/// The pension fixed by an approval.
#[derive(Clone, Debug, Serialize)]
pub struct Award {
    pub person: i64,
    pub effective_from: Period,
    pub input: PensionInput,
    pub benefit_base: Fen,
    pub pension: Pension,
}

/// The outcome of a decision.
#[derive(Clone, Debug, Serialize)]
pub struct Decided {
    pub application: Application,
    pub award: Option<Award>,
}

/// The pension of an application on the given facts (no writes).
pub fn compute_award(policy: &Policy, app: &Application, facts: &Facts) -> Result<Award> {
    let input = PensionInput {
        birth: facts.birth,
        category: facts.category,
        retire: Some(app.retire),
        paid_months: facts.paid_months,
        deemed_months: facts.deemed_months,
        avg_index: facts.avg_index,
        deemed_index: app.deemed_index.unwrap_or(facts.avg_index),
        account_balance: facts.account_balance,
        benefit_base: None,
        transition_coefficient: None,
    };
    let pension = pension(policy, &input)?;
    let (benefit_base, _) = policy.yuan("benefit.base_monthly", app.retire.first_day())?;
    Ok(Award {
        person: app.person,
        effective_from: app.retire.add_months(1),
        input,
        benefit_base,
        pension,
    })
}

/// Decide an application (checker): never by its submitter, only with `retirement_approve` over
/// the person's county (refusals of access are audited). An approval needs the checks to pass at
/// the moment of the decision; it then fixes the pension and writes the award, the pensioner, the
/// person's retirement and the explanation, with the decision, in one transaction.
pub fn decide(
    db: &mut Db,
    policy: &Policy,
    who: &Principal,
    id: i64,
    verdict: Verdict,
    note: &str,
    now: i64,
) -> Result<Decided> {
    if note.chars().count() > 500 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(tr!("app-ben-note")));
    }
    let app =
        get(db, id)?.ok_or_else(|| AppError::NotFound(tr!("app-ben-no-application", id = id)))?;
    if app.status != "pending" {
        return Err(AppError::State(tr!(
            "app-ben-decided-as",
            id = id,
            status = app.status
        )));
    }
    let approval = check_decider(db, who, &app, verdict, note, now)?;
    let p = load_person(db, app.person)?;
    if p.status != "active" && p.status != "suspended" {
        return Err(AppError::Invalid(tr!(
            "app-ben-cannot-decide",
            person = p.id,
            status = p.status
        )));
    }
    let facts = gather_facts(db, policy, &p, app.retire)?;
    let reasons = checks(policy, &facts)?;
    let d = Deciding {
        who,
        app: &app,
        approval,
        facts_json: super::json_text(&facts)?,
        at: iso(now),
        note,
        now,
    };
    let award = match verdict {
        Verdict::Approve if !reasons.is_empty() => return refuse_to_approve(db, &d, &reasons),
        Verdict::Approve => Some(approve(db, policy, &d, &p, &facts)?),
        Verdict::Refuse => {
            refuse(db, &d, reasons)?;
            None
        }
    };
    Ok(Decided {
        application: get(db, id)?
            .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-ben-vanished", id = id)))?,
        award,
    })
}

/// What every verdict writes with.
struct Deciding<'a> {
    who: &'a Principal,
    app: &'a Application,
    /// The approval's id.
    approval: i64,
    facts_json: String,
    at: String,
    note: &'a str,
    now: i64,
}

/// The application's approval, once the access rules allow `who` to decide it; otherwise the
/// store refuses it (the refusal is audited outside any transaction).
fn check_decider(
    db: &mut Db,
    who: &Principal,
    app: &Application,
    verdict: Verdict,
    note: &str,
    now: i64,
) -> Result<i64> {
    let approval = store::get_approval(db, app.approval_id)
        .map_err(auth)?
        .ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!(
                "app-approval-none",
                id = app.approval_id
            ))
        })?;
    let region = RegionCode::new(app.county).map_err(|e| AppError::Invalid(e.0))?;
    if rules::check_approval(
        Divisions::shanxi(),
        approval.submitted_by,
        who,
        Permission::RetirementApprove,
        region,
    )
    .is_ok()
    {
        return Ok(approval.id);
    }
    let status = match verdict {
        Verdict::Approve => ApprovalStatus::Approved,
        Verdict::Refuse => ApprovalStatus::Rejected,
    };
    match store::decide_approval(db, who, approval.id, status, note, now) {
        Err(e) => Err(auth(e)),
        Ok(_) => Err(AppError::Invalid(tongchou_core::tr!(
            "app-ben-decided-anyway",
            id = approval.id
        ))),
    }
}

/// An approval the checks refuse: keep the latest facts and reasons on the application, then
/// say why.
fn refuse_to_approve(db: &mut Db, d: &Deciding<'_>, reasons: &[Reason]) -> Result<Decided> {
    retirement::refresh_pending(
        db,
        d.app.person,
        d.app.id,
        &d.facts_json,
        &super::json_text(&reasons)?,
    )?;
    let why: Vec<String> = reasons
        .iter()
        .map(|r| format!("{}: {}", r.code, r.reason))
        .collect();
    Err(AppError::Invalid(tr!(
        "app-ben-not-approvable",
        id = d.app.id,
        why = why.join("；")
    )))
}

/// Record the decision on the pending application (refused: with `refusals`).
fn record_decision(db: &mut Db, d: &Deciding<'_>, refusals: Option<&str>) -> Result<()> {
    let decided = retirement::decide(
        db,
        &retirement::Decision {
            person: d.app.person,
            id: d.app.id,
            approved: refusals.is_none(),
            decided_by: d.who.user_id,
            decided_at: &d.at,
            facts: &d.facts_json,
            refusals: refusals.unwrap_or("[]"),
            note: d.note,
        },
    )?;
    if !decided {
        return Err(AppError::State(tr!("app-ben-decided", id = d.app.id)));
    }
    Ok(())
}

/// Approve: fix the pension and write it with the decision, in one transaction.
fn approve(
    db: &mut Db,
    policy: &Policy,
    d: &Deciding<'_>,
    p: &Person,
    facts: &Facts,
) -> Result<Award> {
    let app = d.app;
    let award = compute_award(policy, app, facts)?;
    let explanation = serde_json::json!({
        "rule": "retirement.award",
        "application": app.id,
        "approval": d.approval,
        "retire": app.retire,
        "kind": app.kind,
        "deemed_index_source": if app.deemed_index.is_some() { "application" } else { "own average index" },
        "facts": facts,
        "input": award.input,
        "benefit_base": award.benefit_base,
        "pension": award.pension,
    });
    let explanation = explanation.to_string();
    with_retry(db, |db| {
        store::decide_approval(
            db,
            d.who,
            d.approval,
            ApprovalStatus::Approved,
            d.note,
            d.now,
        )
        .map_err(auth)?;
        record_decision(db, d, None)?;
        write_award(db, app, p, &award, &explanation)
    })?;
    Ok(award)
}

/// Refuse, with the checks' reasons and the approver's.
fn refuse(db: &mut Db, d: &Deciding<'_>, mut reasons: Vec<Reason>) -> Result<()> {
    reasons.push(Reason {
        code: "refused_by_approver".into(),
        reason: if d.note.trim().is_empty() {
            tongchou_core::tr!("app-ben-refused")
        } else {
            d.note.trim().to_string()
        },
    });
    let reasons_json = super::json_text(&reasons)?;
    with_retry(db, |db| {
        store::decide_approval(
            db,
            d.who,
            d.approval,
            ApprovalStatus::Rejected,
            d.note,
            d.now,
        )
        .map_err(auth)?;
        record_decision(db, d, Some(&reasons_json))
    })
}

fn write_award(
    db: &mut Db,
    app: &Application,
    p: &Person,
    award: &Award,
    explanation: &str,
) -> Result<()> {
    let since_day = app.retire.first_day();
    if !retirement::retire_person(db, p.id, since_day)? {
        return Err(AppError::State(tr!(
            "app-ben-no-longer-active",
            person = p.id
        )));
    }
    let since = since_day.to_string();
    let seq = stored::next_event_seq(db, p.id)?;
    registry::write_person_events(db, &mut |push| {
        push(&PersonEventRow {
            person_id: p.id,
            seq,
            event_date: &since,
            kind: "retire",
            status: "retired",
            county: p.county as i64,
            from_county: None,
            employer_id: None,
            from_employer: p.employer_id,
        })
    })?;
    let pn = &award.pension;
    let paying_since = award.effective_from.first_day().to_string();
    registry::write_pensioners(db, &mut |push| {
        push(&PensionerRow {
            person_id: p.id,
            county: p.county as i64,
            retire_period: app.retire.yyyymm() as i64,
            status: "active",
            status_since: &paying_since,
            contribution_months: (award.input.paid_months + award.input.deemed_months) as i64,
            monthly_fen: pn.total.fen(),
            bank_code: &app.bank_code,
            bank_name: &app.bank_name,
            bank_account: &app.bank_account,
        })
    })?;
    registry::write_pensions(db, &mut |push| {
        push(&PensionRow {
            person_id: p.id,
            effective_from: award.effective_from.yyyymm() as i64,
            reason: "award",
            benefit_base_fen: award.benefit_base.fen(),
            avg_index: award.input.avg_index.0,
            deemed_index: award.input.deemed_index.0,
            paid_months: award.input.paid_months as i64,
            deemed_months: award.input.deemed_months as i64,
            account_at_retirement_fen: award.input.account_balance.fen(),
            divisor_tenths: pn.divisor_tenths,
            basic_fen: pn.basic.fen(),
            account_fen: pn.account.fen(),
            transitional_fen: pn.transitional.fen(),
            adjustment_fen: 0,
        })
    })?;
    pensions::add_explanation(db, p.id, award.effective_from, explanation)?;
    Ok(())
}
