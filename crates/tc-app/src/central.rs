//! The central adjustment fund (中央调剂基金, 国发〔2018〕18号, 2018-07 to 2021) and national pooling
//! (全国统筹, 2022 on) as the province books them, each movement through the ledger (category
//! `central_adjustment`), recorded in `central_movements` in the same transaction and audited.
//!
//! Central adjustment (a year whose `central_adjustment.regime` is `central-adjustment`):
//! - [`remit`]: the year's remittance by the national formula
//!   (`tongchou_core::rules::governance::CentralAdjustmentTerms`: the previous year's provincial
//!   average wage × the wage factor × the in-service insured × the remittance ratio), due to the
//!   centre: Dr 中央调剂基金支出 / Cr 中央调剂资金往来.
//! - [`allocate`]: the allocation the centre pays the province, 拨付 = 离退休人数 × 人均拨付额. The
//!   national per-capita amount is the year's collections ÷ the nation's pensioners, set by the
//!   centre and published in its allocation notice: the finance department enters it with that
//!   document (a finance officer copies it from the notice; it is not a policy parameter of ours,
//!   and the reference has none of its values). The pensioner count is the one MOHRSS and MOF
//!   approved, as entered; without it the register's stand-in (pensioners in payment in December
//!   of the year before). Dr 中央调剂资金往来 / Cr 中央调剂基金收入.
//! - [`advance`]: a quarter's advances, 预缴 (a quarter of the remittance, Dr 往来 / Cr 财政专户)
//!   and 预拨 (a quarter of the allocation, Dr 财政专户 / Cr 往来); other figures when the
//!   quarter's notice says so.
//! - [`settle`]: the year-end settlement (年终清算): allocation − remittance less what the
//!   advances moved, received or paid through the 财政专户, so that the year's clearing nets to 0.
//!
//! National pooling (2022 on): its contribution and allocation formulas were not found
//! (policy-reference §4: "Operating rules of national pooling … UNVERIFIED"), so [`pooling`]
//! books the year's 上解 and 下拨 as the finance department records them from their source
//! documents: Dr 全国统筹调剂资金支出 / Cr 财政专户, Dr 财政专户 / Cr 全国统筹调剂资金收入.
//!
//! Every posting is idempotent: the same figures again change nothing; other figures for a
//! movement already recorded are refused.
//!
//! The in-service insured who should be covered: STAND-IN, the persons on the register at the end
//! of the previous year less the pensioners in payment in its December.

use crate::ledger_refs::Reference;
use crate::reports::sheet::{Cell, Col, Sheet};
use crate::{AppError, Result};
use serde_json::{Value as Json, json};
use tongchou_core::access::{Principal, Role};
use tongchou_core::i18n::{self, Lang, word};
use tongchou_core::rules::governance::{
    CentralAdjustmentTerms, central_allocation, central_settlement, quarter_part,
};
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_ledger::flows::{CentralMove, Doc, central};
use tongchou_ledger::{Chart, Outcome};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::central::{self as store, Movement};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, governance, reports};

/// The roles that book the province's central movements.
pub const ROLES: [Role; 2] = [Role::ProvinceBureauOfficer, Role::FinanceOfficer];

fn province() -> RegionCode {
    Divisions::shanxi().province().code
}

/// Refuse (audited, `denied`) anyone but a provincial user of `roles`; `what` names the act in
/// the current language (the refusal says it in the reader's, the audit entry in Chinese).
pub(crate) fn guard(
    db: &mut Db,
    who: &Principal,
    roles: &[Role],
    action: &str,
    what: &dyn Fn() -> &'static str,
    now_ms: i64,
) -> Result<()> {
    if roles.contains(&who.role) && who.region == province() {
        return Ok(());
    }
    let refusal = || {
        let lang = i18n::current();
        let names: Vec<&str> = roles.iter().map(|r| r.label(lang)).collect();
        tr!(
            "app-cen-denied",
            what = what(),
            roles = names.join(word("app-cen-or")),
            role = who.role.label(lang),
            region = who.region
        )
    };
    let (object, reason) = i18n::scope(Lang::ZhCn, || (what(), refusal()));
    let entry = Entry {
        actor: &Actor::of(who),
        action,
        object_type: "authorization",
        object_id: object,
        region: Some(who.region.get()),
        result: "denied",
        details: json!({ "reason": reason }),
    };
    audit::refusal(db, &entry, now_ms)?;
    Err(AppError::Forbidden(refusal()))
}

/// The terms of `year`, refused with a clear message before the fund began.
pub fn terms(year: i32) -> Result<CentralAdjustmentTerms> {
    CentralAdjustmentTerms::of_year(&Policy::builtin()?, year)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-cen-none", year = year, error = e)))
}

fn need_regime(year: i32, central_adjustment: bool) -> Result<CentralAdjustmentTerms> {
    let t = terms(year)?;
    match (central_adjustment, t.is_central_adjustment()) {
        (true, false) => Err(AppError::Invalid(tongchou_core::tr!(
            "app-cen-pooling",
            year = year,
            regime = t.regime
        ))),
        (false, true) => Err(AppError::Invalid(tongchou_core::tr!(
            "app-cen-adjustment",
            year = year
        ))),
        _ => Ok(t),
    }
}

/// A movement's kind: its stored code (`remittance`, …) and its name, in Chinese in the
/// ledger's reference (`ledger_refs::Reference::Central`), in the reader's language when shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MovementKind {
    Remittance,
    Allocation,
    AdvancePaid,
    AdvanceReceived,
    Settlement,
    PoolingRemitted,
    PoolingReceived,
    Other,
}

impl MovementKind {
    pub const ALL: [MovementKind; 8] = [
        MovementKind::Remittance,
        MovementKind::Allocation,
        MovementKind::AdvancePaid,
        MovementKind::AdvanceReceived,
        MovementKind::Settlement,
        MovementKind::PoolingRemitted,
        MovementKind::PoolingReceived,
        MovementKind::Other,
    ];

    /// The kind of a stored code; a code it does not know is `Other`.
    pub fn of(code: &str) -> MovementKind {
        match code {
            "remittance" => MovementKind::Remittance,
            "allocation" => MovementKind::Allocation,
            "advance_paid" => MovementKind::AdvancePaid,
            "advance_received" => MovementKind::AdvanceReceived,
            "settlement" => MovementKind::Settlement,
            "pooling_remitted" => MovementKind::PoolingRemitted,
            "pooling_received" => MovementKind::PoolingReceived,
            _ => MovementKind::Other,
        }
    }

    /// The catalogue's id of its name.
    pub fn message(self) -> &'static str {
        match self {
            MovementKind::Remittance => "app-cen-kind-remittance",
            MovementKind::Allocation => "app-cen-kind-allocation",
            MovementKind::AdvancePaid => "app-cen-kind-advance-paid",
            MovementKind::AdvanceReceived => "app-cen-kind-advance-received",
            MovementKind::Settlement => "app-cen-kind-settlement",
            MovementKind::PoolingRemitted => "app-cen-kind-pooling-remitted",
            MovementKind::PoolingReceived => "app-cen-kind-pooling-received",
            MovementKind::Other => "app-cen-kind-other",
        }
    }
}

/// A movement kind's name in the current language.
pub fn kind_name(kind: &str) -> &'static str {
    word(MovementKind::of(kind).message())
}

/// A movement as recorded, and whether it was recorded now.
#[derive(Clone, Debug)]
pub struct Booked {
    pub movement: Movement,
    pub created: bool,
}

fn same(a: &Movement, b: &Movement) -> bool {
    (a.amount, a.pensioners, a.per_capita, &a.source_doc)
        == (b.amount, b.pensioners, b.per_capita, &b.source_doc)
}

fn submit(db: &mut Db, m: &Movement, flow: CentralMove) -> Result<()> {
    let chart = Chart::standard();
    let p = province();
    let mut ledger = Ledger::new(db);
    // the ledger keeps its references in Chinese, whoever books it in whichever language
    let reference = Reference::Central {
        kind: MovementKind::of(&m.kind),
        year: m.year,
        doc: m.source_doc.clone(),
    }
    .to_string();
    let doc = Doc {
        key: &m.transfer_key,
        reference: &reference,
        date: m.value_date,
    };
    let req = central(chart, doc, p, flow, Fen::new(m.amount.fen().abs()))?;
    // a database made before the chart had these accounts gets them now (idempotent)
    let ids: Vec<_> = req.debit.into_iter().chain(req.credit).collect();
    ledger.open_accounts(&ids)?;
    match ledger
        .submit(std::slice::from_ref(&req))?
        .into_iter()
        .next()
    {
        Some(Ok(Outcome::Created { .. })) | Some(Ok(Outcome::Exists { .. })) => Ok(()),
        Some(Err(e)) => Err(AppError::Invalid(tr!(
            "app-cen-ledger-refused",
            key = m.transfer_key,
            error = e
        ))),
        None => Err(AppError::State(tongchou_core::tr!("app-ledger-no-answer"))),
    }
}

/// Record `m` with its ledger transfer (none for a zero settlement) once, audited as `action`.
fn book(
    db: &mut Db,
    who: &Principal,
    m: Movement,
    flow: Option<CentralMove>,
    action: &str,
    now_ms: i64,
) -> Result<Booked> {
    db.transaction(|db| {
        if let Some(old) = store::movement(db, m.year, &m.kind, m.quarter)? {
            if same(&old, &m) {
                return Ok(Booked {
                    movement: old,
                    created: false,
                });
            }
            return Err(AppError::State(tr!(
                "app-cen-recorded",
                year = m.year,
                quarter = if m.quarter > 0 {
                    tr!("app-cen-quarter", quarter = m.quarter)
                } else {
                    String::new()
                },
                kind = kind_name(&m.kind),
                amount = old.amount.grouped(),
                source = old.source_doc,
                by = old.recorded_by,
                new = m.amount.grouped()
            )));
        }
        if let Some(flow) = flow.filter(|_| !m.amount.is_zero()) {
            submit(db, &m, flow)?;
        }
        store::insert_movement(db, &m)?;
        let details = json!({"year": m.year, "kind": m.kind, "quarter": m.quarter,
            "amount_fen": m.amount.fen(), "pensioners": m.pensioners,
            "per_capita_fen": m.per_capita.map(Fen::fen), "source_doc": m.source_doc,
            "on": m.value_date.to_string()});
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action,
                object_type: "central_adjustment",
                object_id: &m.transfer_key,
                region: Some(province().get()),
                result: "ok",
                details,
            },
            now_ms,
        )?;
        Ok(Booked {
            movement: m,
            created: true,
        })
    })
}

fn check_doc(source_doc: &str) -> Result<String> {
    let t = source_doc.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(AppError::Invalid(tr!("app-cen-source")));
    }
    Ok(t.to_string())
}

fn movement(
    who: &Principal,
    year: i32,
    kind: &str,
    quarter: i64,
    on: Date,
    now_ms: i64,
) -> Movement {
    let key = if quarter > 0 {
        format!("central/{year}/{kind}/q{quarter}")
    } else if kind == "remittance" {
        format!("central/{year}/remit")
    } else {
        format!("central/{year}/{kind}")
    };
    Movement {
        year,
        kind: kind.to_string(),
        quarter,
        amount: Fen::ZERO,
        pensioners: None,
        per_capita: None,
        value_date: on,
        source_doc: String::new(),
        transfer_key: key,
        recorded_by: who.login.clone(),
        recorded_at: crate::benefits::iso(now_ms),
    }
}

/// A year's remittance: the terms, the insured counted, the amount, whether it was booked now.
#[derive(Clone, Debug)]
pub struct Remittance {
    pub year: i32,
    pub terms: CentralAdjustmentTerms,
    pub insured: i64,
    pub amount: Fen,
    pub created: bool,
}

/// The in-service insured at the end of `year - 1` (see the module doc).
pub fn insured_in_service(db: &mut Db, year: i32) -> Result<i64> {
    let december = Period::new(year - 1, 12)?;
    let persons: i64 = reports::insured_by_county(db, december.last_day())?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok((persons - pensioners_before(db, year)?).max(0))
}

/// The register's pensioners in payment in December of `year - 1`.
pub fn pensioners_before(db: &mut Db, year: i32) -> Result<i64> {
    let december = Period::new(year - 1, 12)?;
    Ok(governance::pensioners_by_county(db, december)?
        .iter()
        .map(|(_, n)| n)
        .sum())
}

/// Compute the province's remittance of `year` and book it as due on `on` (once: the same again
/// changes nothing), by a provincial bureau or finance officer.
pub fn remit(db: &mut Db, who: &Principal, year: i32, on: Date, now_ms: i64) -> Result<Remittance> {
    guard(
        db,
        who,
        &ROLES,
        "central.remit",
        &|| word("app-cen-what-remit"),
        now_ms,
    )?;
    let terms = need_regime(year, true)?;
    let insured = insured_in_service(db, year)?;
    let amount = terms.remittance(insured)?;
    if !amount.is_positive() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-cen-no-insured",
            year = year - 1
        )));
    }
    let mut m = movement(who, year, "remittance", 0, on, now_ms);
    m.amount = amount;
    m.source_doc = format!("国发〔2018〕18号 公式：在职参保 {insured} 人");
    let b = book(
        db,
        who,
        m,
        Some(CentralMove::RemittanceDue),
        "central.remit",
        now_ms,
    )?;
    Ok(Remittance {
        year,
        terms,
        insured,
        amount: b.movement.amount,
        created: b.created,
    })
}

/// What the finance department enters for a year's allocation.
#[derive(Clone, Debug)]
pub struct AllocationInput {
    pub year: i32,
    /// The national per-capita allocation amount (人均拨付额) of the notice.
    pub per_capita: Fen,
    /// The pensioners approved by MOHRSS and MOF; the register's stand-in when `None`.
    pub pensioners: Option<i64>,
    /// The notice the figures come from.
    pub source_doc: String,
    pub on: Date,
}

/// Book the year's allocation from the central fund (拨付 = 离退休人数 × 人均拨付额), as due.
pub fn allocate(db: &mut Db, who: &Principal, a: &AllocationInput, now_ms: i64) -> Result<Booked> {
    guard(
        db,
        who,
        &ROLES,
        "central.allocate",
        &|| word("app-cen-what-allocate"),
        now_ms,
    )?;
    need_regime(a.year, true)?;
    let source = check_doc(&a.source_doc)?;
    let pensioners = match a.pensioners {
        Some(n) => n,
        None => pensioners_before(db, a.year)?,
    };
    let amount = central_allocation(pensioners, a.per_capita)?;
    let mut m = movement(who, a.year, "allocation", 0, a.on, now_ms);
    (m.amount, m.pensioners, m.per_capita, m.source_doc) =
        (amount, Some(pensioners), Some(a.per_capita), source);
    book(
        db,
        who,
        m,
        Some(CentralMove::AllocationDue),
        "central.allocate",
        now_ms,
    )
}

fn recorded(db: &mut Db, year: i32, kind: &str) -> Result<Movement> {
    store::movement(db, year, kind, 0)?.ok_or_else(|| {
        AppError::State(tongchou_core::tr!(
            "app-cen-not-recorded",
            year = year,
            kind = kind_name(kind),
            command = if kind == "remittance" {
                "remit"
            } else {
                "allocate"
            }
        ))
    })
}

fn not_settled(db: &mut Db, year: i32) -> Result<()> {
    match store::movement(db, year, "settlement", 0)? {
        Some(s) => Err(AppError::State(tr!(
            "app-cen-settled",
            year = year,
            on = s.value_date
        ))),
        None => Ok(()),
    }
}

/// A quarter's advances as entered: what was paid (预缴) and received (预拨); a quarter of the
/// year's remittance and allocation when `None`.
#[derive(Clone, Debug)]
pub struct AdvanceInput {
    pub year: i32,
    pub quarter: u8,
    pub paid: Option<Fen>,
    pub received: Option<Fen>,
    pub source_doc: String,
    pub on: Date,
}

/// Book a quarter's advances: 预缴 paid to the centre and 预拨 received from it.
pub fn advance(db: &mut Db, who: &Principal, a: &AdvanceInput, now_ms: i64) -> Result<[Booked; 2]> {
    guard(
        db,
        who,
        &ROLES,
        "central.advance",
        &|| word("app-cen-what-advance"),
        now_ms,
    )?;
    need_regime(a.year, true)?;
    let source = check_doc(&a.source_doc)?;
    if a.on.year() != a.year {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-cen-advance-year",
            year = a.year,
            on = a.on
        )));
    }
    quarter_part(Fen::ZERO, a.quarter)?;
    let remitted = recorded(db, a.year, "remittance")?.amount;
    let allocated = recorded(db, a.year, "allocation")?.amount;
    not_settled(db, a.year)?;
    let paid = match a.paid {
        Some(p) => p,
        None => quarter_part(remitted, a.quarter)?,
    };
    let received = match a.received {
        Some(r) => r,
        None => quarter_part(allocated, a.quarter)?,
    };
    if paid.is_negative() || received.is_negative() {
        return Err(AppError::Invalid(tr!("app-cen-advance-negative")));
    }
    let q = a.quarter as i64;
    let mut p = movement(who, a.year, "advance_paid", q, a.on, now_ms);
    (p.amount, p.source_doc) = (paid, source.clone());
    let mut r = movement(who, a.year, "advance_received", q, a.on, now_ms);
    (r.amount, r.source_doc) = (received, source);
    let p = book(
        db,
        who,
        p,
        Some(CentralMove::Paid),
        "central.advance",
        now_ms,
    )?;
    let r = book(
        db,
        who,
        r,
        Some(CentralMove::Received),
        "central.advance",
        now_ms,
    )?;
    Ok([p, r])
}

fn sum_of(ms: &[Movement], kind: &str) -> Result<Fen> {
    Ok(Fen::try_sum(
        ms.iter().filter(|m| m.kind == kind).map(|m| m.amount),
    )?)
}

/// Settle the year (年终清算) on `on`: allocation − remittance less what the advances moved,
/// received from or paid to the centre through the 财政专户 (nothing when it is zero), once.
pub fn settle(
    db: &mut Db,
    who: &Principal,
    year: i32,
    source_doc: &str,
    on: Date,
    now_ms: i64,
) -> Result<Booked> {
    guard(
        db,
        who,
        &ROLES,
        "central.settle",
        &|| word("app-cen-what-settle"),
        now_ms,
    )?;
    need_regime(year, true)?;
    let source = check_doc(source_doc)?;
    if on.year() < year {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-cen-settle-year",
            year = year,
            on = on
        )));
    }
    let remitted = recorded(db, year, "remittance")?.amount;
    let allocated = recorded(db, year, "allocation")?.amount;
    let ms = store::movements(db, year)?;
    let net = central_settlement(
        remitted,
        allocated,
        sum_of(&ms, "advance_paid")?,
        sum_of(&ms, "advance_received")?,
    )?;
    let mut m = movement(who, year, "settlement", 0, on, now_ms);
    (m.amount, m.source_doc) = (net, source);
    let flow = if net.is_negative() {
        CentralMove::Paid
    } else {
        CentralMove::Received
    };
    book(db, who, m, Some(flow), "central.settle", now_ms)
}

/// A national pooling year's 上解 or 下拨 as the finance department records it.
#[derive(Clone, Debug)]
pub struct PoolingInput {
    pub year: i32,
    /// 上解 (paid to the national pool) when true, 下拨 (received from it) when false.
    pub remitted: bool,
    pub amount: Fen,
    pub source_doc: String,
    pub on: Date,
}

/// Book a national pooling year's 上解 or 下拨 from its source document, once.
pub fn pooling(db: &mut Db, who: &Principal, p: &PoolingInput, now_ms: i64) -> Result<Booked> {
    let PoolingInput {
        year,
        remitted,
        amount,
        ref source_doc,
        on,
    } = *p;
    guard(
        db,
        who,
        &ROLES,
        "central.pooling",
        &|| word("app-cen-what-pooling"),
        now_ms,
    )?;
    need_regime(year, false)?;
    let source = check_doc(source_doc)?;
    if !amount.is_positive() {
        return Err(AppError::Invalid(tr!("app-res-amount-positive")));
    }
    let (kind, flow) = if remitted {
        ("pooling_remitted", CentralMove::PoolingRemitted)
    } else {
        ("pooling_received", CentralMove::PoolingReceived)
    };
    let mut m = movement(who, year, kind, 0, on, now_ms);
    (m.amount, m.source_doc) = (amount, source);
    book(db, who, m, Some(flow), "central.pooling", now_ms)
}

/// A year's central position: the regime, the terms, the movements and their sums.
#[derive(Clone, Debug)]
pub struct CentralView {
    pub year: i32,
    pub terms: CentralAdjustmentTerms,
    pub movements: Vec<Movement>,
    pub remitted: Option<Fen>,
    pub allocated: Option<Fen>,
    pub advances_paid: Fen,
    pub advances_received: Fen,
    pub settlement: Option<Fen>,
    /// What a settlement now would move (both remittance and allocation recorded, not settled).
    pub to_settle: Option<Fen>,
}

/// The provincial staff who read the central position and the reserve fund.
pub const READERS: [Role; 4] = [
    Role::FinanceOfficer,
    Role::FinanceApprover,
    Role::ProvinceBureauOfficer,
    Role::ProvinceBureauApprover,
];

/// [`show`] for a member of the provincial staff ([`READERS`]); anyone else is refused, audited.
pub fn read(db: &mut Db, who: &Principal, year: i32, now_ms: i64) -> Result<CentralView> {
    guard(
        db,
        who,
        &READERS,
        "central.read",
        &|| word("app-cen-what-read"),
        now_ms,
    )?;
    show(db, year)
}

/// The year's position under either regime.
pub fn show(db: &mut Db, year: i32) -> Result<CentralView> {
    let terms = terms(year)?;
    let movements = store::movements(db, year)?;
    let one = |k: &str| movements.iter().find(|m| m.kind == k).map(|m| m.amount);
    let (remitted, allocated) = (one("remittance"), one("allocation"));
    let (advances_paid, advances_received) = (
        sum_of(&movements, "advance_paid")?,
        sum_of(&movements, "advance_received")?,
    );
    let settlement = one("settlement");
    let to_settle = match (remitted, allocated, settlement) {
        (Some(r), Some(a), None) => {
            Some(central_settlement(r, a, advances_paid, advances_received)?)
        }
        _ => None,
    };
    Ok(CentralView {
        year,
        terms,
        movements,
        remitted,
        allocated,
        advances_paid,
        advances_received,
        settlement,
        to_settle,
    })
}

/// The regime's name in the current language.
pub fn regime_name(v: &CentralView) -> &'static str {
    if v.terms.is_central_adjustment() {
        tongchou_core::i18n::word("app-rep-regime-central")
    } else {
        tongchou_core::i18n::word("app-rep-regime-pooling")
    }
}

/// The view as JSON: `year`, `regime`, the sums (yuan strings) and the `movements`.
pub fn json(v: &CentralView) -> Json {
    let yuan = |f: Option<Fen>| f.map(|f| f.to_string());
    let movements: Vec<Json> = v
        .movements
        .iter()
        .map(|m| {
            json!({"kind": m.kind, "kind_name": kind_name(&m.kind), "quarter": m.quarter,
                "amount": m.amount.to_string(), "pensioners": m.pensioners,
                "per_capita": yuan(m.per_capita), "on": m.value_date.to_string(),
                "source_doc": m.source_doc, "transfer_key": m.transfer_key,
                "recorded_by": m.recorded_by, "recorded_at": m.recorded_at})
        })
        .collect();
    json!({
        "year": v.year,
        "regime": v.terms.regime,
        "regime_name": regime_name(v),
        "remittance_ratio": v.terms.ratio.to_string(),
        "remittance": yuan(v.remitted),
        "allocation": yuan(v.allocated),
        "advances_paid": v.advances_paid.to_string(),
        "advances_received": v.advances_received.to_string(),
        "settlement": yuan(v.settlement),
        "to_settle": yuan(v.to_settle),
        "movements": movements,
    })
}

const COLS: [Col; 7] = [
    Col::new("kind", "项目 movement"),
    Col::new("quarter", "季度 quarter"),
    Col::new("amount", "金额 amount"),
    Col::new("basis", "计算依据 basis"),
    Col::new("on", "日期 date"),
    Col::new("source_doc", "依据文件 source"),
    Col::new("recorded_by", "登记人 recorded by"),
];

/// The view as one table: a row per movement.
pub fn sheet(v: &CentralView) -> Sheet {
    let rows = v
        .movements
        .iter()
        .map(|m| {
            let basis = match (m.pensioners, m.per_capita) {
                (Some(n), Some(p)) => tr!("app-cen-basis", n = n, per = p.grouped()),
                _ => String::new(),
            };
            vec![
                Cell::Text(kind_name(&m.kind).into()),
                if m.quarter > 0 {
                    Cell::Int(m.quarter)
                } else {
                    Cell::Empty
                },
                Cell::Money(m.amount),
                Cell::Text(basis),
                Cell::Text(m.value_date.to_string()),
                Cell::Text(m.source_doc.clone()),
                Cell::Text(m.recorded_by.clone()),
            ]
        })
        .collect();
    Sheet {
        title: tongchou_core::tr!(
            "app-rep-central-title",
            year = v.year,
            regime = regime_name(v)
        ),
        name: tongchou_core::tr!("app-rep-central-sheet", year = v.year),
        meta: vec![
            ("report", json!("central")),
            ("year", json!(v.year)),
            ("regime", json!(v.terms.regime)),
        ],
        cols: COLS.to_vec(),
        rows,
        total: None,
        extras: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_movement_kind_is_named_in_the_readers_language() {
        for k in [
            "remittance",
            "allocation",
            "advance_paid",
            "settlement",
            "x",
        ] {
            let (zh, en) = (
                scope(Lang::ZhCn, || kind_name(k)),
                scope(Lang::En, || kind_name(k)),
            );
            assert!(!zh.is_ascii() && en.is_ascii(), "{k}: {zh} / {en}");
        }
    }
}
