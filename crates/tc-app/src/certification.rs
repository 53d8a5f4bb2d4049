//! Eligibility certification (领取养老金资格认证): every pensioner is certified alive at least
//! once every `benefit.certification_interval_months` (rules: `tongchou_engine::certification`;
//! tables: migration `0025_certification.sql`, `tongchou_store::certification`).
//!
//! - [`import_alive`]: a file of other departments' records of persons seen alive (kind
//!   `alive`, 生存信息: 身份证号码, 发生日期, 来源), all or nothing like the death records; each
//!   record naming a pensioner certifies them on that day (静默认证); records naming nobody we
//!   pay are counted, not stored.
//! - [`certify`]: at the counter (a county clerk of the pensioner's region, `person_write`) or in
//!   the self-service portal (the pensioner themselves; a stand-in for face verification, marked
//!   as such everywhere it shows).
//! - [`sweep`], run by the payroll step of month M before the pensions are read (same
//!   transaction): an active pensioner named by a death record dated before M is suspended
//!   (pending the cross-check, which settles the death); one whose certification was due before
//!   the first day of M is suspended from M with a notice; one due within the reminder days gets
//!   a reminder.
//! - A certification of a pensioner this mechanism suspended for want of one resumes them: the
//!   pension of every month missed (the amount in force in each month, from `pensions`) is paid
//!   once by the first payroll that has not run (`benefit_dues`, item `resumed_arrears`, source
//!   `certification:YYYYMM` of the suspension), with a notice saying how many months and how
//!   much. A person named by a death record cannot be certified: the cross-check decides.
//! - [`report`]: the standing per county on a day (certified, due soon, overdue, suspended) and
//!   the month's notices.
//!
//! Every certification is audited (`certification.record`, `certification.import`).

use crate::benefits::deaths::{first_open_payroll, new_import, read_file};
use crate::benefits::{iso, lock_dues, with_retry};
use crate::error::{AppError, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::access::{Permission, Principal, Role};
use tongchou_core::i18n;
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::certification::{Standing, Terms, months_missed, payroll_day, standing};
use tongchou_engine::disbursement::Item;
use tongchou_import::{AliveRecord, Kind};
use tongchou_store::Db;
use tongchou_store::access::{self, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::benefits::{self as dues, NewDue};
use tongchou_store::certification::{
    self as store, Event, Method, Notice, NoticeKind, Pensioner, Suspension,
};

/// What the payroll's sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub reminded: u64,
    pub suspended_uncertified: u64,
    pub suspended_death_record: u64,
}

/// The day a pensioner's certification counts from: the last one, or the pension's start.
fn counted_from(p: &Pensioner) -> Date {
    p.last_on.unwrap_or(p.pension_start.first_day())
}

/// The payroll of `month`'s sweep (see the module documentation); `None` when no certification
/// is required then. Call it inside the payroll step's transaction, before the pensions are read.
pub(crate) fn sweep(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    now: &str,
) -> Result<Option<Sweep>> {
    let on = payroll_day(month);
    let Some(terms) = Terms::at(policy, on)? else {
        return Ok(None);
    };
    let mut s = Sweep::default();
    let mut notices = Vec::new();
    for (person, county, died) in store::active_reported_dead(db, on)? {
        if store::suspend(db, person, county, month, on, Suspension::DeathRecord)? {
            s.suspended_death_record += 1;
            notices.push(notice(person, month, NoticeKind::Suspended, county, died));
        }
    }
    let mut overdue = Vec::new();
    store::each_pensioner(db, |p| {
        if p.status != "active" || p.pension_start > month {
            return Ok(());
        }
        match standing(&terms, counted_from(&p), on) {
            Standing::Overdue { due } => overdue.push((p.person, p.county, due)),
            Standing::DueSoon { due } => {
                notices.push(notice(p.person, month, NoticeKind::Reminder, p.county, due));
                s.reminded += 1;
            }
            Standing::Certified { .. } => {}
        }
        Ok(())
    })?;
    for (person, county, due) in overdue {
        if store::suspend(db, person, county, month, on, Suspension::Uncertified)? {
            s.suspended_uncertified += 1;
            notices.push(notice(person, month, NoticeKind::Suspended, county, due));
        }
    }
    store::write_notices(db, &notices, now)?;
    Ok(Some(s))
}

fn notice(person: i64, month: Period, kind: NoticeKind, county: u32, due_on: Date) -> Notice {
    Notice {
        person,
        month,
        kind,
        county,
        due_on,
        months: 0,
        amount: Fen::ZERO,
    }
}

/// A resumption: the months missed and what the payroll of `paid_in` pays for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resumed {
    pub suspended_from: Period,
    pub paid_in: Period,
    pub months: u32,
    pub amount: Fen,
}

/// One certification recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certified {
    pub person: i64,
    pub on: Date,
    pub method: &'static str,
    /// Whether this certification was new (the same one again changes nothing).
    pub new: bool,
    pub resumed: Option<Resumed>,
}

/// Refuse a pensioner who is deceased or named by a death record.
fn check_alive(db: &mut Db, p: &Pensioner) -> Result<()> {
    if p.status == "deceased" {
        return Err(AppError::State(tongchou_core::tr!(
            "app-cert-deceased",
            person = p.person
        )));
    }
    if let Some(died) = store::has_death_record(db, p.person)? {
        return Err(AppError::State(tongchou_core::tr!(
            "app-cert-death-record",
            died = died,
            person = p.person
        )));
    }
    Ok(())
}

/// Record one certification of pensioner `p` and resume them when this mechanism suspended them
/// for want of one. Inside a transaction that called `lock_dues(db, true)` first.
fn apply(
    db: &mut Db,
    p: &Pensioner,
    on: Date,
    method: Method,
    source: &str,
    import_id: Option<i64>,
    now: &str,
) -> Result<Certified> {
    let event = Event {
        person: p.person,
        county: p.county,
        on,
        method,
        source,
        import_id,
    };
    let new = store::record(db, &event, now)?;
    let resumed = match p.suspended {
        Some((from, Suspension::Uncertified)) => Some(resume(db, p, from, on, now)?),
        _ => None,
    };
    Ok(Certified {
        person: p.person,
        on,
        method: method.as_str(),
        new,
        resumed,
    })
}

/// Resume a pensioner suspended from `from`: the months missed due once in the first payroll that
/// has not run, the pensioner active again, a notice.
fn resume(db: &mut Db, p: &Pensioner, from: Period, on: Date, now: &str) -> Result<Resumed> {
    let paid_in = first_open_payroll(db, from.max(on.period()))?;
    let rows = store::pension_rows(db, p.person)?;
    // the pension in force in each missed month: the latest row effective by then (0 before any)
    let in_force = |m: Period| {
        rows.iter()
            .rev()
            .find(|(eff, _)| *eff <= m)
            .map_or(Fen::ZERO, |(_, a)| *a)
    };
    let amount = Fen::try_sum(months_missed(from, paid_in).map(in_force))?;
    let months = months_missed(from, paid_in).count() as u32;
    if amount.is_positive() {
        let source = format!("certification:{}", from.yyyymm());
        dues::add_due(
            db,
            &NewDue {
                person: p.person,
                source: &source,
                item: Item::ResumedArrears,
                due_month: paid_in,
                county: p.county,
                amount,
                created_at: now,
            },
        )?;
    }
    store::resume(db, p.person, on)?;
    store::write_notices(
        db,
        &[Notice {
            person: p.person,
            month: paid_in,
            kind: NoticeKind::Resumed,
            county: p.county,
            due_on: on,
            months,
            amount,
        }],
        now,
    )?;
    Ok(Resumed {
        suspended_from: from,
        paid_in,
        months,
        amount,
    })
}

/// Who certifies: a clerk at the counter, or the pensioner in the self-service portal.
fn method_for(who: &Principal, person: i64) -> Result<Method> {
    if who.role == Role::InsuredPerson {
        return if who.person_id == Some(person) {
            Ok(Method::SelfService)
        } else {
            Err(AppError::Forbidden(tongchou_core::tr!("app-cert-self")))
        };
    }
    Ok(Method::Counter)
}

/// Certify pensioner `person` alive on `on` (not after `today`): at the counter by `who` (who
/// needs `person_write` in the pensioner's region) or by the pensioner themselves in the
/// self-service portal. Audited; a refusal by the access rules too.
pub fn certify(
    db: &mut Db,
    who: &Principal,
    person: i64,
    on: Date,
    today: Date,
    now_ms: i64,
) -> Result<Certified> {
    if on > today {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-cert-future",
            on = on,
            today = today
        )));
    }
    let method = method_for(who, person)?;
    let p = store::pensioner(db, person)?.ok_or_else(|| {
        AppError::NotFound(tongchou_core::tr!("app-not-pensioner", person = person))
    })?;
    if method == Method::Counter {
        let county = RegionCode::new(p.county).map_err(|e| {
            AppError::Invalid(tongchou_core::tr!(
                "app-county-code",
                county = p.county,
                error = e
            ))
        })?;
        let id = person.to_string();
        let target = Target {
            action: "certification.record",
            object_type: "person",
            object_id: &id,
            region: county,
        };
        access::authorize(db, who, Permission::PersonWrite, &target, now_ms)?;
    }
    check_alive(db, &p)?;
    // kept as a message, shown in the reader's language ([`own`])
    let source = match method {
        Method::SelfService => tongchou_core::stored!("cert-v-self"),
        _ => tongchou_core::stored!("cert-source-counter", login = who.login),
    };
    let now = iso(now_ms);
    let actor = Actor::of(who);
    with_retry(db, |db| {
        lock_dues(db, true)?;
        // read again inside the transaction: a payroll may have suspended them meanwhile
        let p = store::pensioner(db, person)?.ok_or_else(|| {
            AppError::NotFound(tongchou_core::tr!("app-not-pensioner", person = person))
        })?;
        let c = apply(db, &p, on, method, &source, None, &now)?;
        audit_record(db, &actor, &c, p.county, now_ms)?;
        Ok(c)
    })
}

fn audit_record(db: &mut Db, actor: &Actor, c: &Certified, county: u32, now_ms: i64) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor,
            action: "certification.record",
            object_type: "person",
            object_id: &c.person.to_string(),
            region: Some(county),
            result: "ok",
            details: serde_json::json!({
                "on": c.on.to_string(), "method": c.method, "new": c.new,
                "resumed": c.resumed.as_ref().map(|r| serde_json::json!({
                    "from": r.suspended_from.to_string(), "paid_in": r.paid_in.to_string(),
                    "months": r.months, "amount": r.amount.to_string()})),
            }),
        },
        now_ms,
    )?;
    Ok(())
}

/// What reading a file of alive records did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AliveImport {
    pub import_id: i64,
    pub rows: u64,
    /// Records that certified a pensioner (a new certification).
    pub certified: u64,
    /// Records already held (the same person, day and source).
    pub known: u64,
    /// Pensioners resumed, and the months missed paid to them in all.
    pub resumed: u64,
    pub resumed_amount: Fen,
    /// Records naming nobody we pay (not a pensioner, deceased, or named by a death record).
    pub not_pensioners: u64,
}

/// Import a file of alive records (see the module documentation) for `who`, a staff member with
/// `person_write` for the whole province (the exchange with other departments is provincial).
/// `today` bounds the dates. All or nothing; the same file twice is refused.
pub fn import_alive(
    db: &mut Db,
    who: &Principal,
    file_name: &str,
    bytes: &[u8],
    today: Date,
    now_ms: i64,
) -> Result<AliveImport> {
    let province = Divisions::shanxi().province().code;
    let target = Target {
        action: "certification.import",
        object_type: "import",
        object_id: file_name,
        region: province,
    };
    access::authorize(db, who, Permission::PersonWrite, &target, now_ms)?;
    let actor = &Actor::of(who);
    let what = tongchou_import::Kind::AliveRecords.name(tongchou_core::i18n::current());
    let recs = read_file::<AliveRecord>(what, file_name, bytes, today)?;
    let sha = audit::sha256_hex(bytes);
    let now = iso(now_ms);
    with_retry(db, |db| {
        lock_dues(db, true)?;
        let import_id = new_import(
            db,
            Kind::AliveRecords.as_str(),
            file_name,
            &sha,
            recs.len() as u64,
            actor,
            &now,
        )?;
        let mut s = AliveImport {
            import_id,
            rows: recs.len() as u64,
            ..Default::default()
        };
        for r in &recs {
            certify_record(db, r, import_id, &now, &mut s)?;
        }
        audit::append(
            db,
            &Entry {
                actor,
                action: "certification.import",
                object_type: "import",
                object_id: &import_id.to_string(),
                region: None,
                result: "ok",
                details: serde_json::to_value(&s)
                    .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-json", error = e)))?,
            },
            now_ms,
        )?;
        Ok(s)
    })
}

fn certify_record(
    db: &mut Db,
    r: &AliveRecord,
    import_id: i64,
    now: &str,
    s: &mut AliveImport,
) -> Result<()> {
    let person = tongchou_store::benefits::deaths::person_by_id_number(db, r.id_number.as_str())?;
    let p = match person {
        Some((id, _, _)) => store::pensioner(db, id)?,
        None => None,
    };
    let Some(p) = p else {
        s.not_pensioners += 1;
        return Ok(());
    };
    if check_alive(db, &p).is_err() {
        s.not_pensioners += 1;
        return Ok(());
    }
    let c = apply(
        db,
        &p,
        r.seen_on,
        Method::Records,
        &r.source,
        Some(import_id),
        now,
    )?;
    if c.new {
        s.certified += 1;
    } else {
        s.known += 1;
    }
    if let Some(x) = c.resumed {
        s.resumed += 1;
        s.resumed_amount = s.resumed_amount.try_add(x.amount)?;
    }
    Ok(())
}

/// The certification standing of one county (or the province's total).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountyStanding {
    pub region: u32,
    pub name: String,
    /// Pensioners not deceased.
    pub pensioners: u64,
    pub certified: u64,
    pub due_soon: u64,
    /// Active but past due: the next payroll suspends them.
    pub overdue: u64,
    pub suspended_uncertified: u64,
    pub suspended_death_record: u64,
    /// Suspended for another reason (a cross-check finding, a claim under review).
    pub suspended_other: u64,
    /// Notices of the month: reminders, suspensions, resumptions (and the months missed paid).
    pub reminders: i64,
    pub suspensions: i64,
    pub resumptions: i64,
    pub resumed_amount: Fen,
}

/// The report: the standing on the payroll day of `month`, per county in `region` (the
/// province, a city or a county) with their total last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub month: Period,
    pub on: Date,
    pub interval_months: Option<u32>,
    pub counties: Vec<CountyStanding>,
    pub total: CountyStanding,
}

/// See [`Report`].
pub fn report(db: &mut Db, policy: &Policy, month: Period, region: RegionCode) -> Result<Report> {
    let d = Divisions::shanxi();
    let on = payroll_day(month);
    let terms = Terms::at(policy, on)?;
    let mut by: BTreeMap<u32, CountyStanding> = BTreeMap::new();
    let within = |c: u32| RegionCode::new(c).is_ok_and(|c| d.within(c, region));
    store::each_pensioner(db, |p| {
        if !within(p.county) {
            return Ok(());
        }
        let e = by.entry(p.county).or_default();
        e.pensioners += 1;
        match (p.suspended, p.status.as_str(), &terms) {
            (Some((_, Suspension::Uncertified)), "suspended", _) => e.suspended_uncertified += 1,
            (Some((_, Suspension::DeathRecord)), "suspended", _) => e.suspended_death_record += 1,
            (None, "suspended", _) => e.suspended_other += 1,
            (_, "active", Some(t)) => match standing(t, counted_from(&p), on) {
                Standing::Certified { .. } => e.certified += 1,
                Standing::DueSoon { .. } => e.due_soon += 1,
                Standing::Overdue { .. } => e.overdue += 1,
            },
            _ => {}
        }
        Ok(())
    })?;
    for (county, kind, n, amount) in store::notices_by_county(db, month)? {
        if !within(county) {
            continue;
        }
        let e = by.entry(county).or_default();
        match kind {
            NoticeKind::Reminder => e.reminders += n,
            NoticeKind::Suspended => e.suspensions += n,
            NoticeKind::Resumed => {
                e.resumptions += n;
                e.resumed_amount = e.resumed_amount.try_add(amount)?;
            }
        }
    }
    let mut total = CountyStanding {
        region: region.get(),
        name: d.get(region).map(|r| r.name.clone()).unwrap_or_default(),
        ..Default::default()
    };
    let mut counties = Vec::new();
    for (code, mut c) in by {
        c.region = code;
        c.name = RegionCode::new(code)
            .ok()
            .and_then(|r| d.get(r))
            .map(|r| r.name.clone())
            .unwrap_or_default();
        add_into(&mut total, &c)?;
        counties.push(c);
    }
    Ok(Report {
        month,
        on,
        interval_months: terms.map(|t| t.interval_months),
        counties,
        total,
    })
}

fn add_into(t: &mut CountyStanding, c: &CountyStanding) -> Result<()> {
    t.pensioners += c.pensioners;
    t.certified += c.certified;
    t.due_soon += c.due_soon;
    t.overdue += c.overdue;
    t.suspended_uncertified += c.suspended_uncertified;
    t.suspended_death_record += c.suspended_death_record;
    t.suspended_other += c.suspended_other;
    t.reminders += c.reminders;
    t.suspensions += c.suspensions;
    t.resumptions += c.resumptions;
    t.resumed_amount = t.resumed_amount.try_add(c.resumed_amount)?;
    Ok(())
}

/// What a pensioner sees of their own certification (names and sources in the current
/// language): the standing on `today`, the certifications received and the notices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Own {
    pub standing: Option<Standing>,
    pub suspended_from: Option<Period>,
    pub events: Vec<(Date, &'static str, String)>,
    pub notices: Vec<(Period, &'static str, Date, u32, Fen)>,
}

/// The certification record of pensioner `person` (the caller checked who may see it).
pub fn own(db: &mut Db, policy: &Policy, person: i64, today: Date) -> Result<Option<Own>> {
    let Some(p) = store::pensioner(db, person)? else {
        return Ok(None);
    };
    let terms = Terms::at(policy, today)?;
    let standing = match (&terms, p.status.as_str()) {
        (Some(t), "active" | "suspended") => Some(standing(t, counted_from(&p), today)),
        _ => None,
    };
    let events = store::events_of(db, person)?
        .into_iter()
        .map(|(d, m, s)| (d, method_name(m), i18n::shown(&s)))
        .collect();
    let notices = store::notices_of(db, person)?
        .into_iter()
        .map(|n| (n.month, notice_name(n.kind), n.due_on, n.months, n.amount))
        .collect();
    Ok(Some(Own {
        standing,
        suspended_from: p.suspended.map(|(m, _)| m),
        events,
        notices,
    }))
}

/// A notice's name in the current language.
pub fn notice_name(k: NoticeKind) -> &'static str {
    i18n::word(match k {
        NoticeKind::Reminder => "cert-v-reminder",
        NoticeKind::Suspended => "cert-v-suspended",
        NoticeKind::Resumed => "cert-v-resumed",
    })
}

/// A way of certifying's name in the current language.
pub fn method_name(m: Method) -> &'static str {
    i18n::word(match m {
        Method::Records => "cert-v-records",
        Method::SelfService => "cert-v-self",
        Method::Counter => "cert-v-counter",
        Method::Legacy => "cert-v-legacy",
    })
}
