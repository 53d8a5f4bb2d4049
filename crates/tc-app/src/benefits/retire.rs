//! Retirement approval (退休审批): who reaches the statutory month, applications (maker), decisions
//! (checker), and the pension fixed on approval. The method is documented on [`super`].

use super::{bank_fields, iso, new_id, period_of, with_retry, ym};
use crate::error::{AppError, Result};
use serde::{Deserialize, Serialize};
use tongchou_core::access::{
    self as rules, ApprovalKind, Permission, Principal, mask_bank_account,
};
use tongchou_core::money::div_round_half_up;
use tongchou_core::ratio::RATIO_SCALE;
use tongchou_core::rules::benefit::{Applicant, average_index, check_retirement};
use tongchou_core::rules::pension::{Pension, PensionInput, pension};
use tongchou_core::rules::retirement::{Category, statutory};
use tongchou_core::{Date, Divisions, Exact, Explanation, Fen, Period, Policy, Ratio, RegionCode};
use tongchou_store::access::{self as store, ApprovalStatus, AuthError};
use tongchou_store::registry::{self, PensionRow, PensionerRow, PersonEventRow};
use tongchou_store::{Db, Val};

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

fn u32_of(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| AppError::Invalid(format!("{what} {v} out of range")))
}

/// Read one person.
pub fn load_person(db: &mut Db, id: i64) -> Result<Person> {
    let r = db
        .query_opt(
            "SELECT id, county, birth, category, status, employer_id, as_of, paid_months, deemed_months, \
             avg_index, balance_fen FROM persons WHERE id = $1",
            &[Val::I64(id)],
        )?
        .ok_or_else(|| AppError::Invalid(format!("person {id} is not registered")))?;
    let birth: Date = r[2].text()?.parse()?;
    let category: Category = r[3]
        .text()?
        .parse()
        .map_err(|e: String| AppError::Invalid(format!("person {id}: {e}")))?;
    Ok(Person {
        id: r[0].i64()?,
        county: u32_of(r[1].i64()?, "county")?,
        birth: birth.period(),
        category,
        status: r[4].text()?.to_string(),
        employer_id: r[5].opt_i64()?,
        as_of: period_of(r[6].i64()?)?,
        paid_months: u32_of(r[7].i64()?, "paid_months")?,
        deemed_months: u32_of(r[8].i64()?, "deemed_months")?,
        avg_index: Ratio(r[9].i64()?),
        balance: Fen(r[10].i64()?),
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
}

/// Gather the facts of `p` for retirement in `retire`.
pub fn gather_facts(db: &mut Db, policy: &Policy, p: &Person, retire: Period) -> Result<Facts> {
    let rows = db.query(
        "SELECT a.period, a.base_fen, a.pooling_fen + a.account_fen, \
         COALESCE(CAST(SUM(x.amount_fen) AS BIGINT), 0) \
         FROM assessments a LEFT JOIN applications x ON x.person_id = a.person_id AND x.period = a.period \
         WHERE a.person_id = $1 AND a.period >= $2 AND a.period <= $3 \
         GROUP BY a.period, a.base_fen, a.pooling_fen, a.account_fen ORDER BY a.period",
        &[Val::I64(p.id), ym(p.as_of), ym(retire)],
    )?;
    let mut history: Vec<(Period, Fen)> = Vec::new();
    let mut unpaid = 0u32;
    for r in &rows {
        let (period, base, due, paid) = (
            period_of(r[0].i64()?)?,
            Fen(r[1].i64()?),
            r[2].i64()?,
            r[3].i64()?,
        );
        if paid >= due {
            history.push((period, base));
        } else {
            unpaid += 1;
        }
    }
    let n = history.len() as u32;
    let since = if history.is_empty() {
        None
    } else {
        Some(average_index(policy, &history)?)
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

    let credited = db.query_i64(
        "SELECT CAST(SUM(account_fen) AS BIGINT) FROM applications WHERE person_id = $1 AND batch_id >= $2",
        &[Val::I64(p.id), ym(p.as_of)],
    )?;
    let mut interest = Vec::new();
    for r in db.query(
        "SELECT year, interest_opening_fen + interest_contrib_fen FROM account_years \
         WHERE person_id = $1 AND year >= $2 ORDER BY year",
        &[Val::I64(p.id), Val::I64(p.as_of.year() as i64)],
    )? {
        let y = i32::try_from(r[0].i64()?)
            .map_err(|_| AppError::Invalid("year out of range".into()))?;
        interest.push((y, Fen(r[1].i64()?)));
    }
    let interest_sum: i64 = interest.iter().map(|x| x.1.0).sum();
    let balance = Fen(p.balance.0 + credited + interest_sum);
    let mut bal_e = Explanation::new(
        "benefit.account_at_retirement",
        "balance = registry_balance(as_of) + Σ account parts applied in collection batches from as_of + Σ interest of the closed years from year(as_of)",
    );
    bal_e
        .step("registry_balance", p.balance)
        .step("account_credited_since", Fen(credited));
    for (y, i) in &interest {
        bal_e.step(&format!("interest_{y}"), i);
    }
    bal_e.step("balance", balance);

    let open_arrears = Fen(db.query_i64(
        "SELECT CAST(SUM(total_fen - paid_fen) AS BIGINT) FROM arrears WHERE person_id = $1",
        &[Val::I64(p.id)],
    )?);
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
        account_credited_since: Fen(credited),
        interest,
        account_balance: balance,
        open_arrears,
        explanations: FactExplanations {
            average_index_since: since.map(|(_, e)| e),
            average_index: avg_e,
            account_balance: bal_e,
        },
    })
}

/// A reason to refuse, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub reason: String,
}

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
    Ok(check_retirement(policy, &a, f.retire)?
        .into_iter()
        .map(|r| Reason {
            code: r.code.to_string(),
            reason: r.reason,
        })
        .collect())
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
            let rows = db.query(
                "SELECT p.id, p.county, \
                 (SELECT MAX(r.id) FROM retirement_applications r WHERE r.person_id = p.id AND r.status <> 'refused') \
                 FROM persons p WHERE p.category = $1 AND p.birth >= $2 AND p.birth <= $3 \
                 AND p.status IN ('active', 'suspended')",
                &[
                    Val::Str(category.as_str()),
                    Val::Str(&birth.first_day().to_string()),
                    Val::Str(&birth.last_day().to_string()),
                ],
            )?;
            for r in rows {
                out.push(DuePerson {
                    person: r[0].i64()?,
                    county: u32_of(r[1].i64()?, "county")?,
                    birth,
                    category,
                    retire: age.retire,
                    earliest: age.earliest,
                    latest: age.latest,
                    application: r[2].opt_i64()?,
                });
            }
        }
    }
    out.sort_by_key(|d| d.person);
    Ok(out)
}

/// A retirement application as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Application {
    pub id: i64,
    pub person: i64,
    pub approval_id: i64,
    pub county: u32,
    pub retire: Period,
    pub kind: String,
    pub status: String,
    pub submitted_by: i64,
    pub submitted_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub deemed_index: Option<Ratio>,
    pub bank_code: String,
    pub bank_name: String,
    pub bank_account: String,
    pub facts: serde_json::Value,
    pub refusals: Vec<Reason>,
    pub note: String,
}

impl Application {
    /// For display: the bank account masked to its last four digits.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "bank_account".into(),
                serde_json::Value::String(mask_bank_account(&self.bank_account)),
            );
        }
        v
    }
}

const APP_COLS: &str = "id, person_id, approval_id, county, retire_period, kind, status, submitted_by, submitted_at, \
     decided_by, decided_at, deemed_index, bank_code, bank_name, bank_account, facts, refusals, note";

fn app_row(r: &[tongchou_store::Value]) -> Result<Application> {
    let bad = |w: &str, e: String| AppError::Invalid(format!("retirement_applications: {w}: {e}"));
    Ok(Application {
        id: r[0].i64()?,
        person: r[1].i64()?,
        approval_id: r[2].i64()?,
        county: u32_of(r[3].i64()?, "county")?,
        retire: period_of(r[4].i64()?)?,
        kind: r[5].text()?.to_string(),
        status: r[6].text()?.to_string(),
        submitted_by: r[7].i64()?,
        submitted_at: r[8].text()?.to_string(),
        decided_by: r[9].opt_i64()?,
        decided_at: r[10].opt_text()?.map(str::to_string),
        deemed_index: r[11].opt_i64()?.map(Ratio),
        bank_code: r[12].text()?.to_string(),
        bank_name: r[13].text()?.to_string(),
        bank_account: r[14].text()?.to_string(),
        facts: serde_json::from_str(r[15].text()?).map_err(|e| bad("facts", e.to_string()))?,
        refusals: serde_json::from_str(r[16].text()?)
            .map_err(|e| bad("refusals", e.to_string()))?,
        note: r[17].text()?.to_string(),
    })
}

/// One application by id.
pub fn get(db: &mut Db, id: i64) -> Result<Option<Application>> {
    match db.query_opt(
        &format!("SELECT {APP_COLS} FROM retirement_applications WHERE id = $1"),
        &[Val::I64(id)],
    )? {
        Some(r) => Ok(Some(app_row(&r)?)),
        None => Ok(None),
    }
}

/// Applications, optionally of one status (`pending`, `approved`, `refused`) and one retirement
/// month, by retirement month and id.
pub fn list(db: &mut Db, status: Option<&str>, month: Option<Period>) -> Result<Vec<Application>> {
    if let Some(s) = status
        && !["pending", "approved", "refused"].contains(&s)
    {
        return Err(AppError::State(format!(
            "status: {s:?} is not one of pending, approved, refused"
        )));
    }
    let rows = db.query(
        &format!(
            "SELECT {APP_COLS} FROM retirement_applications \
             WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR retire_period = $2) ORDER BY retire_period, id"
        ),
        &[
            Val::Str(status.unwrap_or("")),
            Val::I64(month.map(|m| m.yyyymm() as i64).unwrap_or(0)),
        ],
    )?;
    rows.iter().map(|r| app_row(r)).collect()
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
        .map_err(|e| AppError::Invalid(format!("bank_account: {e}")))?
        .as_str()
        .to_string();
    if let Some(d) = req.deemed_index
        && (d.0 < 0 || d.0 > 3 * RATIO_SCALE)
    {
        return Err(AppError::Invalid("deemed_index: between 0 and 3".into()));
    }
    let p = load_person(db, req.person)?;
    if p.status != "active" && p.status != "suspended" {
        return Err(AppError::Invalid(format!(
            "person {} is {}: only an insured person can apply to retire",
            p.id, p.status
        )));
    }
    let (age, _) = statutory(policy, p.birth, p.category)?;
    let retire = req.retire.unwrap_or(age.retire);
    let kind = match retire.cmp(&age.retire) {
        std::cmp::Ordering::Equal => "statutory",
        std::cmp::Ordering::Less => "flexible_early",
        std::cmp::Ordering::Greater => "flexible_late",
    };
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
    let facts = gather_facts(db, policy, &p, retire)?;
    let reasons = checks(policy, &facts)?;
    let facts_json = super::json_text(&facts)?;
    let reasons_json = super::json_text(&reasons)?;
    let id = new_id()?;
    let at = iso(now);
    let deemed = req.deemed_index.map(|d| Val::I64(d.0)).unwrap_or(Val::Null);
    with_retry(db, |db| {
        let open = db.query_i64(
            "SELECT count(*) FROM retirement_applications WHERE person_id = $1 AND status = 'pending'",
            &[Val::I64(p.id)],
        )?;
        if open > 0 {
            return Err(AppError::State(format!(
                "person {} already has a pending retirement application",
                p.id
            )));
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
        db.exec(
            "INSERT INTO retirement_applications (person_id, id, approval_id, county, retire_period, kind, status, \
             submitted_by, submitted_at, deemed_index, bank_code, bank_name, bank_account, facts, refusals, note) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, CAST($9 AS BIGINT), $10, $11, $12, $13, $14, '')",
            &[
                Val::I64(p.id),
                Val::I64(id),
                Val::I64(a.id),
                Val::I64(p.county as i64),
                ym(retire),
                Val::Str(kind),
                Val::I64(who.user_id),
                Val::Str(&at),
                deemed.clone(),
                Val::Str(req.bank_code.trim()),
                Val::Str(req.bank_name.trim()),
                Val::Str(&acct),
                Val::Str(&facts_json),
                Val::Str(&reasons_json),
            ],
        )?;
        Ok(())
    })?;
    get(db, id)?.ok_or_else(|| AppError::Invalid(format!("application {id} vanished")))
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
        return Err(AppError::Invalid(
            "note: at most 500 characters, no control characters".into(),
        ));
    }
    let app = get(db, id)?
        .ok_or_else(|| AppError::NotFound(format!("application {id} does not exist")))?;
    if app.status != "pending" {
        return Err(AppError::State(format!(
            "application {id} was already decided ({})",
            app.status
        )));
    }
    let approval = store::get_approval(db, app.approval_id)
        .map_err(auth)?
        .ok_or_else(|| AppError::Invalid(format!("approval {} does not exist", app.approval_id)))?;
    let region = RegionCode::new(app.county).map_err(|e| AppError::Invalid(e.0))?;
    if rules::check_approval(
        Divisions::shanxi(),
        approval.submitted_by,
        who,
        Permission::RetirementApprove,
        region,
    )
    .is_err()
    {
        // let the store refuse it: the refusal is audited outside any transaction
        let status = match verdict {
            Verdict::Approve => ApprovalStatus::Approved,
            Verdict::Refuse => ApprovalStatus::Rejected,
        };
        return match store::decide_approval(db, who, approval.id, status, note, now) {
            Err(e) => Err(auth(e)),
            Ok(_) => Err(AppError::Invalid(format!(
                "approval {}: decided although the access rules refuse it",
                approval.id
            ))),
        };
    }
    let p = load_person(db, app.person)?;
    if p.status != "active" && p.status != "suspended" {
        return Err(AppError::Invalid(format!(
            "person {} is {}: the application cannot be decided",
            p.id, p.status
        )));
    }
    let facts = gather_facts(db, policy, &p, app.retire)?;
    let mut reasons = checks(policy, &facts)?;
    let facts_json = super::json_text(&facts)?;
    let at = iso(now);
    match verdict {
        Verdict::Approve if !reasons.is_empty() => {
            // keep the latest facts and reasons on the application, then say why
            db.exec(
                "UPDATE retirement_applications SET facts = $3, refusals = $4 \
                 WHERE person_id = $1 AND id = $2 AND status = 'pending'",
                &[
                    Val::I64(app.person),
                    Val::I64(id),
                    Val::Str(&facts_json),
                    Val::Str(&super::json_text(&reasons)?),
                ],
            )?;
            let why: Vec<String> = reasons
                .iter()
                .map(|r| format!("{}: {}", r.code, r.reason))
                .collect();
            Err(AppError::Invalid(format!(
                "application {id} cannot be approved: {}",
                why.join("; ")
            )))
        }
        Verdict::Approve => {
            let award = compute_award(policy, &app, &facts)?;
            let explanation = serde_json::json!({
                "rule": "retirement.award",
                "application": id,
                "approval": approval.id,
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
                store::decide_approval(db, who, approval.id, ApprovalStatus::Approved, note, now)
                    .map_err(auth)?;
                let n = db.exec(
                    "UPDATE retirement_applications SET status = 'approved', decided_by = $3, decided_at = $4, \
                     facts = $5, refusals = '[]', note = $6 WHERE person_id = $1 AND id = $2 AND status = 'pending'",
                    &[
                        Val::I64(app.person),
                        Val::I64(id),
                        Val::I64(who.user_id),
                        Val::Str(&at),
                        Val::Str(&facts_json),
                        Val::Str(note),
                    ],
                )?;
                if n != 1 {
                    return Err(AppError::State(format!(
                        "application {id} was already decided"
                    )));
                }
                write_award(db, &app, &p, &award, &explanation)
            })?;
            Ok(Decided {
                application: get(db, id)?
                    .ok_or_else(|| AppError::Invalid(format!("application {id} vanished")))?,
                award: Some(award),
            })
        }
        Verdict::Refuse => {
            reasons.push(Reason {
                code: "refused_by_approver".into(),
                reason: if note.trim().is_empty() {
                    "refused by the approver".into()
                } else {
                    note.trim().to_string()
                },
            });
            let reasons_json = super::json_text(&reasons)?;
            with_retry(db, |db| {
                store::decide_approval(db, who, approval.id, ApprovalStatus::Rejected, note, now)
                    .map_err(auth)?;
                let n = db.exec(
                    "UPDATE retirement_applications SET status = 'refused', decided_by = $3, decided_at = $4, \
                     facts = $5, refusals = $6, note = $7 WHERE person_id = $1 AND id = $2 AND status = 'pending'",
                    &[
                        Val::I64(app.person),
                        Val::I64(id),
                        Val::I64(who.user_id),
                        Val::Str(&at),
                        Val::Str(&facts_json),
                        Val::Str(&reasons_json),
                        Val::Str(note),
                    ],
                )?;
                if n != 1 {
                    return Err(AppError::State(format!(
                        "application {id} was already decided"
                    )));
                }
                Ok(())
            })?;
            Ok(Decided {
                application: get(db, id)?
                    .ok_or_else(|| AppError::Invalid(format!("application {id} vanished")))?,
                award: None,
            })
        }
    }
}

/// The next sequence number of a person's events.
pub(crate) fn next_event_seq(db: &mut Db, person: i64) -> Result<i64> {
    Ok(db.query_i64(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM person_events WHERE person_id = $1",
        &[Val::I64(person)],
    )?)
}

fn write_award(
    db: &mut Db,
    app: &Application,
    p: &Person,
    award: &Award,
    explanation: &str,
) -> Result<()> {
    let since = app.retire.first_day().to_string();
    let n = db.exec(
        "UPDATE persons SET status = 'retired', status_since = $2, employer_id = NULL, version = version + 1 \
         WHERE id = $1 AND status IN ('active', 'suspended')",
        &[Val::I64(p.id), Val::Str(&since)],
    )?;
    if n != 1 {
        return Err(AppError::State(format!(
            "person {} is no longer insured and active",
            p.id
        )));
    }
    let seq = next_event_seq(db, p.id)?;
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
            monthly_fen: pn.total.0,
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
            benefit_base_fen: award.benefit_base.0,
            avg_index: award.input.avg_index.0,
            deemed_index: award.input.deemed_index.0,
            paid_months: award.input.paid_months as i64,
            deemed_months: award.input.deemed_months as i64,
            account_at_retirement_fen: award.input.account_balance.0,
            divisor_tenths: pn.divisor_tenths,
            basic_fen: pn.basic.0,
            account_fen: pn.account.0,
            transitional_fen: pn.transitional.0,
            adjustment_fen: 0,
        })
    })?;
    db.exec(
        "INSERT INTO pension_explanations (person_id, effective_from, explanation) VALUES ($1, $2, $3)",
        &[
            Val::I64(p.id),
            ym(award.effective_from),
            Val::Str(explanation),
        ],
    )?;
    Ok(())
}
