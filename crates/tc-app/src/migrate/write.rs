//! Writing a checked city into the registry: employers not yet known, insured persons and
//! pensioners (except those held for review), their ID numbers and events, the pensions, the
//! contribution history by year, open arrears and the review list.

use super::check::{Hist, Parsed, ReviewItem, key, read_part};
use super::files::{FileSet, Part};
use crate::Result;
use std::collections::{HashMap, HashSet};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::{Date, IdNumber, Period, Sex};
use tongchou_import::{LegacyInsured, LegacyPensioner, LegacyYear};
use tongchou_store::Db;
use tongchou_store::imports::next_id;
use tongchou_store::migration::{self as store, ArrearRow, YearRow};
use tongchou_store::registry::{
    self, EmployerRow, PensionRow, PensionerRow, PersonEventRow, PersonRow,
};

/// What a load wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub employers: u64,
    pub insured: u64,
    pub pensioners: u64,
    pub history_rows: u64,
    pub arrears: u64,
    pub reviews: u64,
}

pub(crate) fn sex(id: &IdNumber) -> &'static str {
    if id.sex() == Sex::Male {
        "male"
    } else {
        "female"
    }
}

pub(crate) fn payer(k: PayerKind) -> &'static str {
    match k {
        PayerKind::Employee => "employee",
        PayerKind::Flexible => "flexible",
    }
}

/// The ids chosen for the city's new rows.
pub(crate) struct Ids {
    /// credit code -> employer id (known or new)
    pub employers: HashMap<String, i64>,
    /// ID number -> person id (new persons only)
    pub persons: HashMap<String, i64>,
}

/// Employers not yet in the province, ids from max + 1.
fn write_employers(
    db: &mut Db,
    p: &Parsed,
    cutover: Period,
) -> Result<(u64, HashMap<String, i64>)> {
    let mut ids = HashMap::new();
    let codes: Vec<&str> = p.employers.iter().map(|e| e.credit_code.as_str()).collect();
    for (code, id, _) in store::known_employers(db, &codes)? {
        ids.insert(code, id);
    }
    let first = next_id(db, "employers")?;
    let day = cutover.first_day().to_string();
    let fresh: Vec<_> = p
        .employers
        .iter()
        .filter(|e| !ids.contains_key(e.credit_code.as_str()))
        .collect();
    let n = registry::write_employers(db, &mut |push| {
        for (i, e) in fresh.iter().enumerate() {
            push(&EmployerRow {
                id: first + i as i64,
                credit_code: e.credit_code.as_str(),
                name: &e.name,
                county: e.county.get() as i64,
                industry: e.industry.as_str(),
                status: e.status.as_str(),
                status_since: &day,
                registered_on: &day,
            })?;
        }
        Ok(())
    })?;
    for (i, e) in fresh.iter().enumerate() {
        ids.insert(e.credit_code.as_str().to_string(), first + i as i64);
    }
    // employers of other cities an employee may name
    Ok((n, ids))
}

/// The employer id of a credit code (known in the province or just written).
fn employer_id(db: &mut Db, ids: &mut HashMap<String, i64>, code: &str) -> Result<i64> {
    if let Some(id) = ids.get(code) {
        return Ok(*id);
    }
    let k = store::known_employers(db, &[code])?;
    let id = k.first().map(|x| x.1).ok_or_else(|| {
        crate::AppError::State(tongchou_core::tr!("app-mig-employer-vanished", code = code))
    })?;
    ids.insert(code.to_string(), id);
    Ok(id)
}

/// The persons row of an insured person, with its history summary.
fn insured_row<'a>(
    x: &'a LegacyInsured,
    id: i64,
    employer: Option<i64>,
    h: Hist,
    days: &'a (String, String, String),
    cutover: Period,
) -> PersonRow<'a> {
    PersonRow {
        id,
        id_number: x.id_number.as_str(),
        name: &x.name,
        sex: sex(&x.id_number),
        birth: &days.0,
        category: x.category.as_str(),
        county: x.county.get() as i64,
        employer_id: employer,
        payer_kind: payer(x.payer_kind),
        status: if x.suspended { "suspended" } else { "active" },
        status_since: &days.1,
        enrolled_on: &days.2,
        declared_fen: x.declared.fen(),
        as_of: cutover.yyyymm() as i64,
        paid_months: h.months as i64,
        deemed_months: x.deemed_months as i64,
        avg_index: h.avg_index(),
        balance_fen: x.balance.fen(),
    }
}

/// The day a pensioner is taken to have enrolled: as many months before retirement as paid and
/// deemed, not before the 16th birthday.
pub(crate) fn pensioner_enrolled(x: &LegacyPensioner) -> Date {
    let months = (x.paid_months + x.deemed_months) as i32;
    let back = x.retire.add_months(-months).first_day();
    let b = x.id_number.birth();
    let adult = Date::new(b.year() + 16, b.month(), 1).unwrap_or(b);
    back.max(adult)
}

/// Write the persons: the insured, then the pensioners, skipping those held for review.
pub(crate) fn write_persons(
    db: &mut Db,
    p: &Parsed,
    held: &HashSet<String>,
    cutover: Period,
) -> Result<Ids> {
    let (_, mut employers) = write_employers(db, p, cutover)?;
    let mut persons = HashMap::new();
    let mut next = next_id(db, "persons")?;
    let mut insured = Vec::new();
    for x in p
        .insured
        .iter()
        .filter(|x| !held.contains(&key(&x.id_number)))
    {
        let emp = match &x.employer {
            Some(c) => Some(employer_id(db, &mut employers, c.as_str())?),
            None => None,
        };
        persons.insert(key(&x.id_number), next);
        insured.push((x, next, emp));
        next += 1;
    }
    let pensioners: Vec<(&LegacyPensioner, i64)> = p
        .pensioners
        .iter()
        .filter(|x| !held.contains(&key(&x.id_number)))
        .map(|x| {
            persons.insert(key(&x.id_number), next);
            next += 1;
            (x, next - 1)
        })
        .collect();
    registry::write_persons(db, &mut |push| {
        for (x, id, emp) in &insured {
            let since = if x.suspended {
                cutover.first_day()
            } else {
                x.enrolled
            };
            let days = (
                x.id_number.birth().to_string(),
                since.to_string(),
                x.enrolled.to_string(),
            );
            let h = p.history.get(&x.id_number).copied().unwrap_or_default();
            push(&insured_row(x, *id, *emp, h, &days, cutover))?;
        }
        for (x, id) in &pensioners {
            let (birth, since) = (
                x.id_number.birth().to_string(),
                x.retire.first_day().to_string(),
            );
            let enrolled = pensioner_enrolled(x).to_string();
            push(&PersonRow {
                id: *id,
                id_number: x.id_number.as_str(),
                name: &x.name,
                sex: sex(&x.id_number),
                birth: &birth,
                category: x.category.as_str(),
                county: x.county.get() as i64,
                employer_id: None,
                payer_kind: "employee",
                status: "retired",
                status_since: &since,
                enrolled_on: &enrolled,
                declared_fen: 0,
                as_of: cutover.yyyymm() as i64,
                paid_months: x.paid_months as i64,
                deemed_months: x.deemed_months as i64,
                avg_index: x.avg_index.0,
                balance_fen: 0,
            })?;
        }
        Ok(())
    })?;
    write_ids_and_events(db, &insured, &pensioners, cutover)?;
    Ok(Ids { employers, persons })
}

type InsuredIds<'a> = (&'a LegacyInsured, i64, Option<i64>);

fn write_ids_and_events(
    db: &mut Db,
    insured: &[InsuredIds<'_>],
    pensioners: &[(&LegacyPensioner, i64)],
    cutover: Period,
) -> Result<()> {
    let mut keys: Vec<(&str, i64)> = insured
        .iter()
        .map(|(x, id, _)| (x.id_number.as_str(), *id))
        .chain(pensioners.iter().map(|(x, id)| (x.id_number.as_str(), *id)))
        .collect();
    keys.sort_unstable();
    registry::write_person_ids(db, &mut |push| {
        for k in &keys {
            push(k)?;
        }
        Ok(())
    })?;
    let cut = cutover.first_day().to_string();
    registry::write_person_events(db, &mut |push| {
        for (x, id, emp) in insured {
            let county = x.county.get() as i64;
            let on = x.enrolled.to_string();
            push(&event(*id, 1, &on, "enrol", "active", county, *emp))?;
            if x.suspended {
                push(&event(*id, 2, &cut, "suspend", "suspended", county, *emp))?;
            }
        }
        for (x, id) in pensioners {
            let county = x.county.get() as i64;
            let on = pensioner_enrolled(x).to_string();
            push(&event(*id, 1, &on, "enrol", "active", county, None))?;
            let r = x.retire.first_day().to_string();
            push(&event(*id, 2, &r, "retire", "retired", county, None))?;
        }
        Ok(())
    })?;
    Ok(())
}

pub(crate) fn event<'a>(
    person_id: i64,
    seq: i64,
    event_date: &'a str,
    kind: &'a str,
    status: &'a str,
    county: i64,
    employer_id: Option<i64>,
) -> PersonEventRow<'a> {
    PersonEventRow {
        person_id,
        seq,
        event_date,
        kind,
        status,
        county,
        from_county: None,
        employer_id,
        from_employer: None,
    }
}

/// The pensioners, their award and (when increased since) the adjustment from the cut-over.
pub(crate) fn write_pensions(db: &mut Db, p: &Parsed, ids: &Ids, cutover: Period) -> Result<u64> {
    let rows: Vec<(&LegacyPensioner, i64)> = p
        .pensioners
        .iter()
        .filter_map(|x| ids.persons.get(&key(&x.id_number)).map(|id| (x, *id)))
        .collect();
    let n = registry::write_pensioners(db, &mut |push| {
        for (x, id) in &rows {
            let since = cutover.first_day().to_string();
            push(&PensionerRow {
                person_id: *id,
                county: x.county.get() as i64,
                retire_period: x.retire.yyyymm() as i64,
                status: if x.suspended { "suspended" } else { "active" },
                status_since: &since,
                contribution_months: (x.paid_months + x.deemed_months) as i64,
                monthly_fen: x.monthly.fen(),
                bank_code: &x.bank_code,
                bank_name: &x.bank_name,
                bank_account: &x.bank_account,
            })?;
        }
        Ok(())
    })?;
    registry::write_pensions(db, &mut |push| {
        for (x, id) in &rows {
            let award = PensionRow {
                person_id: *id,
                effective_from: x.retire.add_months(1).yyyymm() as i64,
                reason: "award",
                benefit_base_fen: x.benefit_base.fen(),
                avg_index: x.avg_index.0,
                deemed_index: x.deemed_index.0,
                paid_months: x.paid_months as i64,
                deemed_months: x.deemed_months as i64,
                account_at_retirement_fen: x.account_at_retirement.fen(),
                divisor_tenths: x.divisor_tenths,
                basic_fen: x.basic.fen(),
                account_fen: x.account.fen(),
                transitional_fen: x.transitional.fen(),
                adjustment_fen: 0,
            };
            push(&award)?;
            if x.adjustment.is_positive() {
                push(&PensionRow {
                    effective_from: cutover.yyyymm() as i64,
                    reason: "adjustment",
                    adjustment_fen: x.adjustment.fen(),
                    ..award.clone()
                })?;
            }
        }
        Ok(())
    })?;
    // the last eligibility certification: the city's, else the cut-over (the payroll's sweep
    // counts the next one due from it)
    let certified: Vec<(i64, u32, Date)> = rows
        .iter()
        .map(|(x, id)| {
            let on = x.last_certified.unwrap_or_else(|| cutover.first_day());
            (*id, x.county.get(), on)
        })
        .collect();
    tongchou_store::certification::write_legacy(db, &certified)?;
    Ok(n)
}

/// The contribution history of the persons written (the file read again, streamed).
pub(crate) fn write_history(
    db: &mut Db,
    files: &FileSet,
    ids: &Ids,
    today: Date,
    source: &str,
) -> Result<u64> {
    let mut rows = Vec::new();
    // checked clean in this transaction: no duplicate check, read on several threads
    let _ = read_part::<LegacyYear>(files, Part::History, (today, false), |r| {
        if let Some(id) = ids.persons.get(&key(&r.id_number)) {
            rows.push(YearRow {
                person_id: *id,
                year: r.year as i64,
                months: r.months as i64,
                base_fen: r.base.fen(),
                idx: r.index.0,
                credited_fen: r.credited.fen(),
            });
        }
    });
    Ok(store::write_years(db, source, &mut |push| {
        for r in &rows {
            push(r)?;
        }
        Ok(())
    })?)
}

/// The open arrears of the persons written, due on the 15th of the month after (the old
/// systems' common due day; the collection close settles them oldest first).
pub(crate) fn write_arrears(db: &mut Db, p: &Parsed, ids: &mut Ids) -> Result<u64> {
    let county_of: HashMap<String, i64> = p
        .insured
        .iter()
        .map(|i| (key(&i.id_number), i.county.get() as i64))
        .chain(
            p.pensioners
                .iter()
                .map(|i| (key(&i.id_number), i.county.get() as i64)),
        )
        .collect();
    let mut rows = Vec::new();
    for x in &p.arrears {
        let Some(person) = ids.persons.get(&key(&x.id_number)).copied() else {
            continue;
        };
        let county = county_of.get(&key(&x.id_number)).copied().unwrap_or(0);
        let employer = match super::check::payer_code(&x.payer) {
            Some(c) => employer_id(db, &mut ids.employers, c)?,
            None => 0,
        };
        let due = x.period.add_months(1);
        rows.push(ArrearRow {
            person_id: person,
            period: x.period.yyyymm() as i64,
            county,
            employer_id: employer,
            due_date: Date::new(due.year(), due.month(), 15)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            total_fen: x.total.fen(),
            account_total_fen: x.account_part.fen(),
            paid_fen: x.paid.fen(),
        });
    }
    Ok(store::write_arrears(db, &rows)?)
}

/// The review list of the persons held.
pub(crate) fn write_reviews(
    db: &mut Db,
    city: u32,
    items: &[ReviewItem],
    p: &Parsed,
) -> Result<u64> {
    for r in items {
        let record = super::review::incoming_json(p, &r.id_number);
        store::write_review(
            db,
            &store::Review {
                id: crate::benefits::new_id()?,
                city: city as i64,
                county: r.county as i64,
                id_number: r.id_number.clone(),
                kind: r.kind.to_string(),
                existing_person: r.existing_person,
                existing_county: r.existing_county,
                record: record.to_string(),
                status: "open".into(),
                resolved_by: None,
                resolved_at: None,
            },
        )?;
    }
    Ok(items.len() as u64)
}
