//! Deaths and cross-checks (数据比对).
//!
//! - [`import_deaths`]: a file of death records, read by `tongchou_import` as its kind
//!   `DeathRecords` (CSV in UTF-8 or GBK, or XLSX; columns 身份证号码 / `id_number`, 死亡日期 /
//!   `died`, 来源 / `source` 公安 or 民政, any order; every ID number valid, the date neither after
//!   today nor before the birth date, one record per ID number and source); all-or-nothing (a
//!   refused file lists each problem with its row and column, the first 50, and counts them
//!   all), and the same file is refused the second time (`imports`, kind `deaths`). A record
//!   already held with the same date is counted as known; with another date the file is refused,
//!   nothing written.
//! - [`import_roll`]: another payment roll (kind `PaymentRolls`: 身份证号码 / `id_number`,
//!   发放月份 / `month` YYYY-MM, not after this month; a month listed twice is one entry), same
//!   rules (`imports` kind `roll:NAME`).
//! - [`run_crosscheck`] for month M, in one transaction: `crosscheck::deaths` of all death records
//!   (the earliest date when both departments report a person) against the pensioner roll and the
//!   payments made; each pensioner found alive on the roll is suspended (pensioner and person
//!   `deceased` from the date of death, a `death` event) and settled once
//!   (`rules::benefit::death_settlement` with the pension in force, the account at retirement of
//!   the award and account paid = the award's account part × the months from the first pension
//!   month through the month of death; `death_settlements`, whose `due_month` M+1 is the
//!   earliest payroll month that may pay it; nothing is due until a survivor claims it, see
//!   [`file_claim`]); each basic pension paid for a month after the month of death opens a
//!   recovery case (`paid_after_death`, once per month). A record matching an insured person who
//!   is not a pensioner sets that person `deceased` (so they are no longer assessed). Then
//!   `crosscheck::duplicates` of the other rolls' entries not yet checked against the active
//!   pensioners (months after retirement only) opens `duplicate_receipt` cases for the amount we
//!   paid that month (or the monthly pension when no payment is known). Running it again opens
//!   nothing twice.
//! - Payments made: given by the caller, or read from the payroll's `payroll_lines` when the table
//!   exists ([`payments_made`]: lines `issued` or `paid`, from the months [`lookback`] gives).
//! - [`report`]: the findings by county.
//! - [`file_claim`]: a death settlement goes to the survivors or heirs (遗属/继承人), never to the
//!   deceased's own account, once a family member claims it (申领) at the county agency, once
//!   per deceased (`survivor_claims`, migration `0009_survivor_claims.sql`). The claimant's name,
//!   resident ID number (`IdNumber::parse`, not the deceased's own), relation (spouse, child,
//!   parent, other), bank account (`tongchou_bank::AccountNumber`) and the day of filing (not
//!   before the death) are checked; then, in one transaction, the claim is stored, the
//!   settlement's items with a positive amount ([`CLAIMED_ITEMS`]: funeral grant, survivor grant,
//!   account refund) are written to `benefit_dues` (source `death`) for the first month, from the
//!   settlement's `due_month` and the month of filing on, whose disbursement payroll has not run,
//!   and the claim is audited (`deaths.claim`). The pay step pays those items to the claimant's
//!   name and account ([`paid_to_claimant`]). [`awaiting_claims`]: the settlements nobody has
//!   claimed yet, by county.

use super::{
    RecoveryKind, add_due, bank_fields, check_text, iso, new_id, open_recovery, with_retry,
};
use crate::error::{AppError, Result};
use crate::imports::problem_line;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tongchou_bank::AccountNumber;
use tongchou_core::access::{self as rules, Permission, Principal, mask_bank_account};
use tongchou_core::rules::benefit::death_settlement;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Fen, IdNumber, Period, Policy, RegionCode};
use tongchou_engine::crosscheck::{self, Finding, Paid};
use tongchou_engine::disbursement::Item;
use tongchou_import::{
    DeathRecord, ImportError, Kind, Options, Record, Rejection, RollPayment, read_all,
};
use tongchou_store::Db;
use tongchou_store::access::{self, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::benefits::{self as stored, deaths as store};
use tongchou_store::imports::{self, ImportRow};
use tongchou_store::registry::{self, PersonEventRow};

pub use tongchou_store::benefits::deaths::{AwaitingClaim, PAID_STATUSES};

/// What an import stored.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportSummary {
    pub import_id: i64,
    pub rows: u64,
    pub new: u64,
    pub already_known: u64,
}

/// The most problems of a refused file listed in its error (all are counted).
const MAX_LISTED: usize = 50;

/// Read a whole cross-check file (CSV in UTF-8 or GBK, or XLSX) into its records with
/// `tongchou_import`. A refused file is an `AppError::Invalid` naming `what`, the file, and the
/// row and column of each problem (the first [`MAX_LISTED`], and how many in all).
pub(crate) fn read_file<T: Record>(
    what: &str,
    file_name: &str,
    bytes: &[u8],
    today: Date,
) -> Result<Vec<T>> {
    let mut opts = Options::new(today);
    opts.error_limit = MAX_LISTED;
    match read_all::<T>(bytes, opts) {
        Ok((recs, _)) => Ok(recs),
        Err(ImportError::Rejected(r)) => Err(refused(what, file_name, &r)),
        Err(ImportError::Io(e)) => Err(AppError::Invalid(tr!(
            "app-claims-file-unreadable",
            what = what,
            file = file_name,
            error = e
        ))),
    }
}

/// `{what} file F: N problem(s), nothing imported: row R, column C: reason; …; and K more`.
fn refused(what: &str, file_name: &str, r: &Rejection) -> AppError {
    let listed: Vec<String> = r.errors.iter().map(problem_line).collect();
    let more = r.error_total.saturating_sub(listed.len() as u64);
    let tail = if more > 0 {
        format!("；{}", tr!("import-refused-more", n = more))
    } else {
        String::new()
    };
    AppError::Invalid(tr!(
        "app-claims-file-refused",
        what = what,
        file = file_name,
        total = r.error_total,
        problems = format!("{}{tail}", listed.join("；"))
    ))
}

pub(crate) fn new_import(
    db: &mut Db,
    kind: &str,
    file_name: &str,
    sha: &str,
    rows: u64,
    actor: &Actor,
    now: &str,
) -> Result<i64> {
    if let Some(r) = imports::find(db, kind, sha)? {
        return Err(AppError::State(tr!(
            "app-claims-file-imported",
            import = r.id
        )));
    }
    let id = new_id()?;
    let name: String = file_name.chars().take(200).collect();
    imports::record(
        db,
        &ImportRow {
            id,
            kind,
            file_name: &name,
            file_sha256: sha,
            rows: rows as i64,
            imported_at: now,
            imported_by: &actor.login,
        },
    )?;
    Ok(id)
}

/// Append an audit entry about `object` (type, id), in the region given if any.
fn audit_entry(
    db: &mut Db,
    actor: &Actor,
    action: &str,
    (object_type, object_id): (&str, &str),
    region: Option<u32>,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor,
            action,
            object_type,
            object_id,
            region,
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// Import a death-records file (see the module documentation). `today` bounds the dates.
pub fn import_deaths(
    db: &mut Db,
    file_name: &str,
    bytes: &[u8],
    today: Date,
    actor: &Actor,
    now_ms: i64,
) -> Result<ImportSummary> {
    let what = DeathRecord::KIND.name(tongchou_core::i18n::current());
    let recs = read_file::<DeathRecord>(what, file_name, bytes, today)?;
    let sha = audit::sha256_hex(bytes);
    let now = iso(now_ms);
    with_retry(db, |db| {
        let import_id = new_import(
            db,
            Kind::DeathRecords.as_str(),
            file_name,
            &sha,
            recs.len() as u64,
            actor,
            &now,
        )?;
        let s = store_deaths(db, import_id, file_name, &recs)?;
        audit_entry(
            db,
            actor,
            "deaths.import",
            ("crosscheck", &import_id.to_string()),
            None,
            serde_json::json!({"file": file_name.chars().take(200).collect::<String>(), "rows": s.rows, "new": s.new, "known": s.already_known}),
            now_ms,
        )?;
        Ok(s)
    })
}

/// Store the new records of import `import_id`; a record already held with the same date is
/// counted as known, with another date the whole import is refused.
fn store_deaths(
    db: &mut Db,
    import_id: i64,
    file_name: &str,
    recs: &[DeathRecord],
) -> Result<ImportSummary> {
    let mut s = ImportSummary {
        import_id,
        rows: recs.len() as u64,
        ..Default::default()
    };
    for r in recs {
        let (id, source, died) = (r.id_number.as_str(), r.source.chinese(), r.died);
        if let Some(known) = store::reported_death(db, id, source)? {
            if known == died {
                s.already_known += 1;
                continue;
            }
            return Err(AppError::State(tr!(
                "app-claims-death-conflict",
                what = DeathRecord::KIND.name(tongchou_core::i18n::current()),
                file = file_name,
                row = r.row,
                source = source,
                known = known,
                died = died
            )));
        }
        store::insert_death_record(db, id, source, died, import_id)?;
        s.new += 1;
    }
    Ok(s)
}

/// Import another payment roll named `roll` (e.g. 城乡居民养老保险): who it paid in which month.
pub fn import_roll(
    db: &mut Db,
    roll: &str,
    file_name: &str,
    bytes: &[u8],
    today: Date,
    actor: &Actor,
    now_ms: i64,
) -> Result<ImportSummary> {
    let roll = roll.trim();
    if roll.is_empty() || roll.chars().count() > 64 || roll.chars().any(char::is_control) {
        return Err(AppError::Invalid(tr!("app-claims-roll-name")));
    }
    let what = format!(
        "{} {roll}",
        RollPayment::KIND.name(tongchou_core::i18n::current())
    );
    let recs = read_file::<RollPayment>(&what, file_name, bytes, today)?;
    let sha = audit::sha256_hex(bytes);
    let now = iso(now_ms);
    let kind = format!("roll:{roll}");
    with_retry(db, |db| {
        let import_id = new_import(db, &kind, file_name, &sha, recs.len() as u64, actor, &now)?;
        let mut s = ImportSummary {
            import_id,
            rows: recs.len() as u64,
            ..Default::default()
        };
        // a month listed twice is one entry: the second is counted as known
        for r in &recs {
            if store::insert_roll_entry(db, r.id_number.as_str(), roll, r.month, import_id)? {
                s.new += 1;
            } else {
                s.already_known += 1;
            }
        }
        audit_entry(
            db,
            actor,
            "roll.import",
            ("crosscheck", &import_id.to_string()),
            None,
            serde_json::json!({"roll": roll, "rows": s.rows, "new": s.new, "known": s.already_known}),
            now_ms,
        )?;
        Ok(s)
    })
}

/// The payments made to the persons named in death records or other rolls, from the payroll's
/// `payroll_lines (month, person_id, item, amount_fen, status, …)`, summed per (person, month,
/// item) over the rows whose status is in [`PAID_STATUSES`], for the months from `since` on.
/// `None` when the table does not exist.
pub fn payments_made(db: &mut Db, since: Period) -> Result<Option<Vec<Paid>>> {
    Ok(store::payments_made(db, since)?)
}

/// The first month of payments a run reads: the earliest of twelve months back (payments that
/// were still planned at an earlier run), the month of the earliest death not yet checked, and the
/// earliest month of the other rolls' entries not yet checked.
pub fn lookback(db: &mut Db, month: Period) -> Result<Period> {
    let mut since = month.add_months(-12);
    if let Some(d) = store::earliest_unchecked_death(db)? {
        since = since.min(d.period());
    }
    if let Some(m) = store::earliest_unchecked_roll_month(db)? {
        since = since.min(m);
    }
    Ok(since)
}

/// What one cross-check run found and did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CrosscheckRun {
    pub month: Option<Period>,
    /// Where the payments came from: `given`, `payroll_lines` or `none`.
    pub payments: String,
    pub death_records: u64,
    pub suspended: u64,
    pub insured_deceased: u64,
    pub no_match: u64,
    pub settlements: Fen,
    pub paid_after_death_cases: u64,
    pub paid_after_death: Fen,
    pub duplicate_cases: u64,
    pub duplicates: Fen,
}

/// Suspend a pensioner who died and settle once. Returns the settlement's total (zero if the
/// pensioner was already settled). Nothing is due yet: the settlement is paid once a survivor
/// claims it ([`file_claim`]), at the earliest in the payroll of `month` + 1.
fn suspend_and_settle(
    db: &mut Db,
    policy: &Policy,
    person: i64,
    county: u32,
    died: Date,
    month: Period,
) -> Result<Fen> {
    let monthly = store::monthly_pension(db, person)?;
    store::set_pensioner_deceased(db, person, died)?;
    mark_person_deceased(db, person, died)?;
    let award = store::award_terms(db, person)?;
    let (first, account_part, at_retirement) = match award {
        Some(a) => (Some(a.first_month), a.account_part, a.account_at_retirement),
        None => (None, Fen::ZERO, Fen::ZERO),
    };
    let months_paid = first
        .map(|f| (f.months_until(died.period()) + 1).max(0))
        .unwrap_or(0);
    let account_paid = account_part
        .checked_mul(months_paid as i64)
        .ok_or_else(|| {
            AppError::Invalid(tongchou_core::tr!("app-ben-account-paid", person = person))
        })?;
    let s = death_settlement(policy, died, monthly, at_retirement, account_paid)?;
    let explanation = serde_json::json!({
        "rule": "benefit.death_settlement",
        "first_pension_month": first,
        "months_paid": months_paid,
        "account_part": account_part,
        "account_paid": account_paid,
        "account_at_retirement": at_retirement,
        "monthly_pension": monthly,
        "settlement": s,
    });
    let stored = store::insert_settlement(
        db,
        &store::Settlement {
            person,
            county,
            died,
            due_month: month.add_months(1),
            monthly,
            months_paid: months_paid as i64,
            account_paid,
            funeral: s.funeral_grant,
            survivor: s.survivor_grant,
            refund: s.account_refund,
            explanation: &explanation.to_string(),
        },
    )?;
    if !stored {
        return Ok(Fen::ZERO);
    }
    Ok(Fen::new(
        s.funeral_grant.fen() + s.survivor_grant.fen() + s.account_refund.fen(),
    ))
}

/// Set a person `deceased` with a `death` event (nothing if already deceased). Returns whether
/// the person changed.
fn mark_person_deceased(db: &mut Db, person: i64, died: Date) -> Result<bool> {
    let Some((county, employer)) = store::living_person(db, person)? else {
        return Ok(false);
    };
    store::set_person_deceased(db, person, died)?;
    let died_s = died.to_string();
    let seq = stored::next_event_seq(db, person)?;
    registry::write_person_events(db, &mut |push| {
        push(&PersonEventRow {
            person_id: person,
            seq,
            event_date: &died_s,
            kind: "death",
            status: "deceased",
            county,
            from_county: None,
            employer_id: None,
            from_employer: employer,
        })
    })?;
    Ok(true)
}

/// Run the cross-checks of month `month` (see the module documentation). `paid`: the payments
/// made, or `None` to read them from `payroll_lines` when it exists.
pub fn run_crosscheck(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    paid: Option<&[Paid]>,
    actor: &Actor,
    now_ms: i64,
) -> Result<CrosscheckRun> {
    // read outside the transaction: a query on an unexpected table must not abort it
    let (loaded, source) = match paid {
        Some(p) => (p.to_vec(), "given"),
        None => {
            let since = lookback(db, month)?;
            match payments_made(db, since)? {
                Some(p) => (p, "payroll_lines"),
                None => (Vec::new(), "none"),
            }
        }
    };
    with_retry(db, |db| {
        let mut run = CrosscheckRun {
            month: Some(month),
            payments: source.to_string(),
            ..Default::default()
        };
        check_deaths(db, policy, month, &loaded, &mut run)?;
        check_duplicates(db, month, &loaded, &mut run)?;
        store::mark_rolls_checked(db, month)?;
        audit_entry(
            db,
            actor,
            "crosscheck.run",
            ("crosscheck", &month.to_string()),
            None,
            serde_json::to_value(&run).map_err(|e| AppError::Invalid(e.to_string()))?,
            now_ms,
        )?;
        Ok(run)
    })
}

/// What the check of a death record found: `pensioner`, `insured`, `already_deceased` or
/// `no_match`, and whom it matched (person, county).
type Outcome = (&'static str, Option<i64>, Option<u32>);

/// The deaths: `crosscheck::deaths` of every death record against the pensioners they name and
/// the payments made; pensioners suspended and settled, insured persons set deceased, payments
/// after death opened as recovery cases, and each unchecked record's outcome stored.
fn check_deaths(
    db: &mut Db,
    policy: &Policy,
    month: Period,
    loaded: &[Paid],
    run: &mut CrosscheckRun,
) -> Result<()> {
    let records = store::death_records(db)?;
    run.death_records = records.len() as u64;
    let roll = store::pensioners_reported_dead(db)?;
    let died_of: HashMap<&str, Date> = records
        .iter()
        .map(|d| (d.id_number.as_str(), d.died))
        .collect();
    let mut outcome: BTreeMap<String, Outcome> = BTreeMap::new();
    for e in &roll {
        outcome.insert(
            e.id_number.clone(),
            ("already_deceased", Some(e.person), Some(e.county)),
        );
    }
    for f in &crosscheck::deaths(&records, &roll, loaded) {
        match f {
            Finding::Suspend {
                person,
                county,
                died,
            } => {
                let s = suspend_and_settle(db, policy, *person, *county, *died, month)?;
                run.suspended += 1;
                run.settlements = run.settlements.try_add(s)?;
                if let Some(e) = roll.iter().find(|e| e.person == *person) {
                    outcome.insert(
                        e.id_number.clone(),
                        ("pensioner", Some(*person), Some(*county)),
                    );
                }
            }
            Finding::PaidAfterDeath {
                person,
                county,
                month: m,
                amount,
            } => {
                let opened = open_recovery(
                    db,
                    *person,
                    RecoveryKind::PaidAfterDeath,
                    *county,
                    *m,
                    *amount,
                    "death",
                    month,
                    &serde_json::json!({"item": "basic_pension"}),
                )?;
                if opened {
                    run.paid_after_death_cases += 1;
                    run.paid_after_death = run.paid_after_death.try_add(*amount)?;
                }
            }
            Finding::NoMatch { id_number } => {
                debug_assert!(!roll.iter().any(|e| e.id_number == *id_number));
                let died = died_of.get(id_number.as_str()).copied();
                let o = match_insured(db, id_number, died, run)?;
                outcome.insert(id_number.clone(), o);
            }
            Finding::DuplicateReceipt { .. } => {}
        }
    }
    for (id_number, (o, person, county)) in &outcome {
        store::record_outcome(db, id_number, o, *person, *county, month)?;
    }
    Ok(())
}

/// A death record that names no pensioner: the insured person it names (if any) is set
/// deceased from `died`.
fn match_insured(
    db: &mut Db,
    id_number: &str,
    died: Option<Date>,
    run: &mut CrosscheckRun,
) -> Result<Outcome> {
    let Some((person, county, status)) = store::person_by_lookup(db, id_number)? else {
        run.no_match += 1;
        return Ok(("no_match", None, None));
    };
    let died =
        died.ok_or_else(|| AppError::Invalid(tr!("app-claims-no-death-date", id = id_number)))?;
    if status == "deceased" {
        return Ok(("already_deceased", Some(person), Some(county)));
    }
    mark_person_deceased(db, person, died)?;
    run.insured_deceased += 1;
    Ok(("insured", Some(person), Some(county)))
}

/// Duplicate receipt: `crosscheck::duplicates` of the other rolls' unchecked entries against the
/// pensioners they name (months after retirement only); a case for what we paid that month (or
/// the monthly pension when no payment is known), once per (person, month, roll).
fn check_duplicates(
    db: &mut Db,
    month: Period,
    loaded: &[Paid],
    run: &mut CrosscheckRun,
) -> Result<()> {
    let mut pensioners = Vec::new();
    let mut info: HashMap<i64, (Period, Fen)> = HashMap::new();
    for r in store::pensioners_on_other_rolls(db)? {
        info.insert(r.entry.person, (r.retire, r.monthly));
        pensioners.push(r.entry);
    }
    let mut by_roll: BTreeMap<String, Vec<(String, Period)>> = BTreeMap::new();
    for (roll, id_number, m) in store::unchecked_roll_entries(db)? {
        by_roll.entry(roll).or_default().push((id_number, m));
    }
    let paid_basic: HashMap<(i64, Period), Fen> = loaded
        .iter()
        .filter(|p| p.item == Item::BasicPension.as_str())
        .map(|p| ((p.person, p.month), p.amount))
        .collect();
    let mut counted: HashSet<(i64, Period, String)> = HashSet::new();
    for (name, entries) in &by_roll {
        for f in crosscheck::duplicates(&pensioners, name, entries) {
            let Finding::DuplicateReceipt {
                person,
                county,
                other_roll,
                month: m,
            } = f
            else {
                continue;
            };
            let Some((retired, monthly)) = info.get(&person).copied() else {
                continue;
            };
            if m <= retired || !counted.insert((person, m, other_roll.clone())) {
                continue;
            }
            let (amount, basis) = match paid_basic.get(&(person, m)) {
                Some(a) => (*a, "payment"),
                None => (monthly, "monthly pension"),
            };
            let opened = open_recovery(
                db,
                person,
                RecoveryKind::DuplicateReceipt,
                county,
                m,
                amount,
                &other_roll,
                month,
                &serde_json::json!({"roll": other_roll, "amount_basis": basis}),
            )?;
            if opened {
                run.duplicate_cases += 1;
                run.duplicates = run.duplicates.try_add(amount)?;
            }
        }
    }
    Ok(())
}

/// The settlement items paid to the survivor who claimed them ([`file_claim`]), never to the
/// deceased's own account.
pub const CLAIMED_ITEMS: [Item; 3] = [Item::FuneralGrant, Item::SurvivorGrant, Item::AccountRefund];

/// Whether the pay step pays `item` to the survivor who claimed the death settlement.
pub fn paid_to_claimant(item: Item) -> bool {
    CLAIMED_ITEMS.contains(&item)
}

/// How the claimant is related to the deceased.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Other,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Other => "other",
        }
    }
    /// `spouse`, `child`, `parent` or `other` (配偶, 子女, 父母, 其他 accepted).
    pub fn parse(s: &str) -> Option<Relation> {
        Some(match s.trim() {
            "spouse" | "配偶" => Relation::Spouse,
            "child" | "子女" => Relation::Child,
            "parent" | "父母" => Relation::Parent,
            "other" | "其他" => Relation::Other,
            _ => return None,
        })
    }
}

/// A survivor's claim (申领) of a death settlement, as the county agency records it.
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    /// The deceased (`death_settlements.person_id`).
    pub person: i64,
    /// The claimant's name, resident ID number and relation to the deceased
    /// ([`Relation::parse`]).
    pub name: &'a str,
    pub id_number: &'a str,
    pub relation: &'a str,
    /// The claimant's bank and account number (digits; spaces are ignored).
    pub bank_code: &'a str,
    pub bank_name: &'a str,
    pub bank_account: &'a str,
}

/// One item of a death settlement and its amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimItem {
    pub item: Item,
    pub amount: Fen,
}

/// A claim filed: who claimed (ID number and account masked) and what the payroll of
/// `due_month` pays them.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimSummary {
    pub person: i64,
    pub county: u32,
    pub died: Date,
    pub claimant: String,
    /// First 6 and last 4 characters.
    pub claimant_id_number: String,
    pub relation: Relation,
    pub bank_code: String,
    pub bank_name: String,
    /// The last 4 digits.
    pub bank_account: String,
    pub filed_on: Date,
    pub filed_by: String,
    /// The payroll month that pays it.
    pub due_month: Period,
    /// The items with a positive amount, as written to `benefit_dues`.
    pub items: Vec<ClaimItem>,
    pub total: Fen,
}

/// The first month from `from` on whose disbursement payroll has not run.
pub(crate) fn first_open_payroll(db: &mut Db, from: Period) -> Result<Period> {
    let mut m = from;
    while crate::jobs::is_done(db, crate::disburse::JOB, m, "payroll")? {
        m = m.add_months(1);
    }
    Ok(m)
}

/// The claimant's fields checked on their own (no database): the ID number, the relation and
/// the account number as they are stored.
fn check_claim(claim: &Claim<'_>, filed_on: Date) -> Result<(IdNumber, Relation, AccountNumber)> {
    check_text("name", claim.name, 64)?;
    if tongchou_import::starts_like_a_formula(claim.name) {
        return Err(AppError::Invalid(tr!("app-claims-name-formula")));
    }
    let id = IdNumber::parse(claim.id_number, filed_on)
        .map_err(|e| AppError::Invalid(tr!("app-claims-id-number", reason = e)))?;
    let relation = Relation::parse(claim.relation).ok_or_else(|| {
        AppError::Invalid(tr!(
            "app-claims-relation",
            relation = format!("{:?}", claim.relation)
        ))
    })?;
    let digits = bank_fields(claim.bank_code, claim.bank_name, claim.bank_account)?;
    let account = AccountNumber::parse(&digits)
        .map_err(|e| AppError::Invalid(tr!("app-ben-bank-account", reason = e)))?;
    Ok((id, relation, account))
}

/// File a survivor's claim of a death settlement (see the module documentation), in one
/// transaction: the claim, the settlement's items with a positive amount in `benefit_dues` for
/// the first payroll month that has not run (at the earliest the settlement's `due_month` and
/// the month of `filed_on`), and an audit entry. Refused, writing nothing, when a field is
/// invalid, when the person has no death settlement or already a claim, when the claimant's ID
/// number is the deceased's own, or when `filed_on` is before the death.
pub fn file_claim(
    db: &mut Db,
    actor: &Actor,
    claim: &Claim<'_>,
    filed_on: Date,
    now_ms: i64,
) -> Result<ClaimSummary> {
    let (id, relation, account) = check_claim(claim, filed_on)?;
    let person = claim.person;
    let now = iso(now_ms);
    with_retry(db, |db| {
        // first: the month the dues land in is decided against a payroll that cannot run meanwhile
        super::lock_dues(db, true)?;
        let settled = claimable(db, person, &id, filed_on)?;
        let due = first_open_payroll(db, settled.due_month.max(filed_on.period()))?;
        store::insert_claim(
            db,
            &store::NewClaim {
                person,
                county: settled.county,
                claimant_name: claim.name.trim(),
                claimant_id_number: id.as_str(),
                relation: relation.as_str(),
                bank_code: claim.bank_code.trim(),
                bank_name: claim.bank_name.trim(),
                bank_account: account.as_str(),
                filed_on,
                filed_by: &actor.login,
                due_month: due,
                created_at: &now,
            },
        )?;
        let amounts = [settled.funeral, settled.survivor, settled.refund];
        let mut items = Vec::new();
        for (item, amount) in CLAIMED_ITEMS.into_iter().zip(amounts) {
            if amount.is_positive() {
                add_due(db, person, "death", item, due, settled.county, amount, &now)?;
                items.push(ClaimItem { item, amount });
            }
        }
        let total = Fen::try_sum(items.iter().map(|i| i.amount))?;
        let s = ClaimSummary {
            person,
            county: settled.county,
            died: settled.died,
            claimant: claim.name.trim().to_string(),
            claimant_id_number: id.masked(),
            relation,
            bank_code: claim.bank_code.trim().to_string(),
            bank_name: claim.bank_name.trim().to_string(),
            bank_account: mask_bank_account(account.as_str()),
            filed_on,
            filed_by: actor.login.clone(),
            due_month: due,
            items,
            total,
        };
        audit_entry(
            db,
            actor,
            "deaths.claim",
            ("survivor_claim", &person.to_string()),
            Some(settled.county),
            serde_json::json!({"relation": relation, "claimant_id_number": s.claimant_id_number,
                "bank_account": s.bank_account, "filed_on": filed_on, "due_month": due, "total": total}),
            now_ms,
        )?;
        Ok(s)
    })
}

/// [`file_claim`] by a staff member (the page `/claims`): their role must submit benefit cases
/// (`RetirementSubmit`: the county agency that handles the deceased's county, or the bureau)
/// and the deceased's county must lie in their region. A refusal is audited (`deaths.claim`
/// denied) and names no region; the claim is audited under their login.
pub fn file_claim_by(
    db: &mut Db,
    who: &Principal,
    claim: &Claim<'_>,
    filed_on: Date,
    now_ms: i64,
) -> Result<ClaimSummary> {
    let province = tongchou_core::Divisions::shanxi().province().code;
    let region = match store::settlement(db, claim.person)? {
        Some(s) => RegionCode::new(s.county).map_err(|e| AppError::Invalid(e.0))?,
        // no settlement: checked by role alone, then refused by `file_claim` as having none
        None => province,
    };
    let object = claim.person.to_string();
    let t = Target {
        action: "deaths.claim",
        object_type: "survivor_claim",
        object_id: &object,
        region,
    };
    let allowed = if region == province {
        who.role.has(Permission::RetirementSubmit)
    } else {
        rules::can(
            Divisions::shanxi(),
            who,
            Permission::RetirementSubmit,
            region,
        )
        .is_ok()
    };
    if !allowed {
        // audited, and the refusal says nothing of the deceased or their county
        let _ = access::authorize(db, who, Permission::RetirementSubmit, &t, now_ms);
        return Err(AppError::Forbidden(tr!("app-claims-forbidden")));
    }
    file_claim(db, &Actor::of(who), claim, filed_on, now_ms)
}

/// The settlement of `person`, if a claim filed on `filed_on` by the holder of `id` may claim
/// it: one exists, nobody claimed it yet, it was not filed before the death, and `id` is not the
/// deceased's own ID number.
fn claimable(
    db: &mut Db,
    person: i64,
    id: &IdNumber,
    filed_on: Date,
) -> Result<store::SettlementDue> {
    let Some(settled) = store::settlement(db, person)? else {
        return Err(AppError::Invalid(tr!(
            "app-claims-no-settlement",
            person = person
        )));
    };
    if let Some(on) = store::claim_filed_on(db, person)? {
        return Err(AppError::State(tr!(
            "app-claims-claimed",
            person = person,
            on = on
        )));
    }
    if filed_on < settled.died {
        return Err(AppError::State(tr!(
            "app-claims-before-death",
            filed = filed_on,
            died = settled.died
        )));
    }
    if store::is_own_id_number(db, person, id.as_str())? {
        return Err(AppError::Invalid(tr!("app-claims-own-id")));
    }
    Ok(settled)
}

/// The death settlements without a claim, of one county or (`None`) of the province, by county
/// and date of death: whom the county agencies wait for.
pub fn awaiting_claims(db: &mut Db, county: Option<u32>) -> Result<Vec<AwaitingClaim>> {
    Ok(store::awaiting_claims(db, county)?)
}

/// The cross-check findings of one county (or, with county 0, the province).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountyFindings {
    pub county: u32,
    /// Death records matched to pensioners / to insured persons not yet retired.
    pub deaths_pensioners: i64,
    pub deaths_insured: i64,
    pub settlements: i64,
    pub settlements_fen: Fen,
    pub paid_after_death_cases: i64,
    pub paid_after_death_fen: Fen,
    pub duplicate_cases: i64,
    pub duplicate_fen: Fen,
    pub correction_cases: i64,
    pub correction_fen: Fen,
    /// Recovery cases of every kind still open.
    pub open_cases: i64,
    pub open_fen: Fen,
}

impl CountyFindings {
    fn add(&mut self, o: &CountyFindings) -> Result<()> {
        self.deaths_pensioners += o.deaths_pensioners;
        self.deaths_insured += o.deaths_insured;
        self.settlements += o.settlements;
        self.settlements_fen = self.settlements_fen.try_add(o.settlements_fen)?;
        self.paid_after_death_cases += o.paid_after_death_cases;
        self.paid_after_death_fen = self.paid_after_death_fen.try_add(o.paid_after_death_fen)?;
        self.duplicate_cases += o.duplicate_cases;
        self.duplicate_fen = self.duplicate_fen.try_add(o.duplicate_fen)?;
        self.correction_cases += o.correction_cases;
        self.correction_fen = self.correction_fen.try_add(o.correction_fen)?;
        self.open_cases += o.open_cases;
        self.open_fen = self.open_fen.try_add(o.open_fen)?;
        Ok(())
    }
}

/// The cross-check report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub counties: Vec<CountyFindings>,
    pub province: CountyFindings,
    /// Death records held, not yet checked, and matching nobody.
    pub death_records: i64,
    pub unchecked_death_records: i64,
    pub unmatched_death_records: i64,
}

/// Findings by county, from the stored results of the cross-checks (and recomputations).
pub fn report(db: &mut Db) -> Result<Report> {
    let mut by: BTreeMap<u32, CountyFindings> = BTreeMap::new();
    let mut rep = Report::default();
    for (c, outcome, n) in store::matched_deaths_by_county(db)? {
        let e = by.entry(c).or_default();
        match outcome.as_deref() {
            Some("pensioner") => e.deaths_pensioners += n,
            Some("insured") => e.deaths_insured += n,
            _ => {}
        }
    }
    for (c, n, amount) in store::settlements_by_county(db)? {
        let e = by.entry(c).or_default();
        e.settlements += n;
        e.settlements_fen = amount;
    }
    for r in store::recoveries_by_county(db)? {
        let e = by.entry(r.county).or_default();
        let (n, a) = (r.cases, r.amount);
        match r.kind.as_str() {
            "paid_after_death" => {
                e.paid_after_death_cases += n;
                e.paid_after_death_fen = e.paid_after_death_fen.try_add(a)?;
            }
            "duplicate_receipt" => {
                e.duplicate_cases += n;
                e.duplicate_fen = e.duplicate_fen.try_add(a)?;
            }
            _ => {
                e.correction_cases += n;
                e.correction_fen = e.correction_fen.try_add(a)?;
            }
        }
        if r.status == "open" {
            e.open_cases += n;
            e.open_fen = e.open_fen.try_add(a)?;
        }
    }
    for (c, e) in by.iter_mut() {
        e.county = *c;
        rep.province.add(e)?;
    }
    rep.counties = by.into_values().collect();
    let counts = store::death_record_counts(db)?;
    rep.death_records = counts.all;
    rep.unchecked_death_records = counts.unchecked;
    rep.unmatched_death_records = counts.unmatched;
    Ok(rep)
}
