//! Write a synthetic province into the registry (`tongchou_store::registry`), all in one
//! transaction: employers, persons, the ID-number index (in ID-number order, the fastest way to
//! build its key), the dated person events, pensioners and their pension rows.
//!
//! Person id = index in `Province::persons` + 1; employer id = index + 1.
//!
//! Events per person: `enrol` (in the previous county, for persons who moved), `move_county`,
//! then `suspend`, `transfer_out`, `retire` or `retire` + `death` as the status says.
//! Pension rows per pensioner: the `award` from the month after retirement, and, when the yearly
//! increases since then are not zero, one `adjustment` row carrying them from January of the
//! last increase's year.

use rayon::prelude::*;
use std::fmt::Write as _;
use std::time::Instant;
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::{Period, Sex};
use tongchou_store::registry::{
    self, EmployerRow, PensionRow, PensionerRow, PersonEventRow, PersonRow,
};
use tongchou_store::{Db, Result, StoreError};
use tongchou_synth::{PensionStatus, Pensioner, Province, Status};

/// Rows written per table, and the seconds each table took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadStats {
    pub employers: u64,
    pub persons: u64,
    pub person_ids: u64,
    pub person_events: u64,
    pub pensioners: u64,
    pub pensions: u64,
    /// The last eligibility certification the previous system knew (`pensioner_certification`).
    pub certifications: u64,
    /// (table, seconds) in the order written.
    pub seconds: Vec<(&'static str, f64)>,
}

impl LoadStats {
    pub fn rows(&self) -> u64 {
        self.employers
            + self.persons
            + self.person_ids
            + self.person_events
            + self.pensioners
            + self.pensions
            + self.certifications
    }
}

fn day(buf: &mut String, p: Period) -> &str {
    buf.clear();
    let _ = write!(buf, "{}", p.first_day());
    buf
}

/// The pension rows of a pensioner: the award, and the adjustment row if any.
fn pension_rows(
    pn: &Pensioner,
    p: &tongchou_synth::Person,
    start: Period,
) -> (PensionRow<'static>, Option<PensionRow<'static>>) {
    let award_from = pn.retire().add_months(1);
    let award = PensionRow {
        person_id: pn.person as i64 + 1,
        effective_from: award_from.yyyymm() as i64,
        reason: "award",
        benefit_base_fen: pn.benefit_base.fen(),
        avg_index: p.avg_index().0,
        deemed_index: pn.deemed_index as i64 * 10_000,
        paid_months: p.paid_months as i64,
        deemed_months: p.deemed_months as i64,
        account_at_retirement_fen: pn.account_at_retirement.fen(),
        divisor_tenths: pn.divisor_tenths as i64,
        basic_fen: pn.basic.fen(),
        account_fen: pn.account.fen(),
        transitional_fen: pn.transitional.fen(),
        adjustment_fen: 0,
    };
    let adjusted = (pn.adjustment.fen() > 0).then(|| {
        let jan = Period::from_index((start.year() - 1) * 12);
        let from = if jan > award_from {
            jan
        } else {
            award_from.add_months(1)
        };
        PensionRow {
            effective_from: from.yyyymm() as i64,
            reason: "adjustment",
            adjustment_fen: pn.adjustment.fen(),
            ..award.clone()
        }
    });
    (award, adjusted)
}

/// Write the province. Fails (and writes nothing) if any row breaks a constraint.
///
/// One transaction, with the store's settings for a bulk load (`registry::bulk_load`: on SQLite
/// a page cache of about 100 bytes per person and temporary storage in memory, for the load).
/// Splitting the load into one writer per table did not change its speed (`bench-registry
/// --persons 30000`, CPU time after / before 0.98, docs/PERFORMANCE.md).
pub fn write_province(db: &mut Db, p: &Province) -> Result<LoadStats> {
    registry::bulk_load(db, p.persons.len(), |db| write_all(db, p))
}

fn write_all(db: &mut Db, p: &Province) -> Result<LoadStats> {
    let mut seconds = Vec::with_capacity(6);
    let mut timed = |table: &'static str, step: Step| -> Result<u64> {
        let t = Instant::now();
        let n = step(db, p)?;
        seconds.push((table, t.elapsed().as_secs_f64()));
        Ok(n)
    };
    // in this order (fields are evaluated as written)
    let mut st = LoadStats {
        employers: timed("employers", write_employers)?,
        persons: timed("persons", write_persons)?,
        person_ids: timed("person_ids", write_person_ids)?,
        person_events: timed("person_events", write_person_events)?,
        pensioners: timed("pensioners", write_pensioners)?,
        pensions: timed("pensions", write_pensions)?,
        certifications: timed("pensioner_certification", write_certifications)?,
        seconds: Vec::new(),
    };
    st.seconds = seconds;
    Ok(st)
}

/// One table's writer.
type Step = fn(&mut Db, &Province) -> Result<u64>;

/// GB/T 2260 code of the province's county number `i`.
fn county_code(p: &Province, i: usize) -> i64 {
    p.counties[i].code.get() as i64
}

/// Employers, id = index + 1.
fn write_employers(db: &mut Db, p: &Province) -> Result<u64> {
    let county_code = |i: usize| county_code(p, i);
    let (mut b1, mut b2) = (String::new(), String::new());
    registry::write_employers(db, &mut |push| {
        for (i, e) in p.employers.iter().enumerate() {
            let name = p.employer_name(e);
            push(&EmployerRow {
                id: i as i64 + 1,
                credit_code: e.credit_code.as_str(),
                name: &name,
                county: county_code(e.county as usize),
                industry: e.industry().code,
                status: e.status.as_str(),
                status_since: day(&mut b1, Period::from_index(e.status_since)),
                registered_on: day(&mut b2, Period::from_index(e.registered)),
            })?;
        }
        Ok(())
    })
}

/// Persons, id = index + 1; the history summary as at the first month.
fn write_persons(db: &mut Db, p: &Province) -> Result<u64> {
    let county_code = |i: usize| county_code(p, i);
    let start = p.options.start;
    let (mut b1, mut b2) = (String::new(), String::new());
    let as_of = start.yyyymm() as i64;
    registry::write_persons(db, &mut |push| {
        let mut birth = String::new();
        for (i, x) in p.persons.iter().enumerate() {
            let id = x.id_number();
            let name = x.name();
            birth.clear();
            let _ = write!(birth, "{}", x.birth);
            push(&PersonRow {
                id: i as i64 + 1,
                id_number: id.as_str(),
                name: &name,
                sex: if x.sex() == Sex::Male {
                    "male"
                } else {
                    "female"
                },
                birth: &birth,
                category: x.category.as_str(),
                county: county_code(x.county as usize),
                employer_id: x.employer().map(|e| e as i64 + 1),
                payer_kind: payer(x.payer),
                status: x.status.as_str(),
                status_since: day(&mut b1, x.status_since()),
                enrolled_on: day(&mut b2, x.first_insured()),
                declared_fen: x.declared.fen(),
                as_of,
                paid_months: x.paid_months as i64,
                deemed_months: x.deemed_months as i64,
                avg_index: x.avg_index().0,
                balance_fen: x.balance.fen(),
            })?;
        }
        Ok(())
    })
}

/// The ID-number index, in ID-number order (the fastest way to build its key).
fn write_person_ids(db: &mut Db, p: &Province) -> Result<u64> {
    let mut keys: Vec<([u8; 18], u32)> = p
        .persons
        .par_iter()
        .enumerate()
        .map(|(i, x)| {
            let mut k = [0u8; 18];
            k.copy_from_slice(x.id_number().as_str().as_bytes());
            (k, i as u32)
        })
        .collect();
    keys.par_sort_unstable();
    let n = registry::write_person_ids(db, &mut |push| {
        for (k, i) in &keys {
            let s = std::str::from_utf8(k)
                .map_err(|_| StoreError::Invalid("ID number is not ASCII".into()))?;
            push(&(s, *i as i64 + 1))?;
        }
        Ok(())
    })?;
    drop(keys);
    Ok(n)
}

/// Each person's dated events (see the module documentation).
fn write_person_events(db: &mut Db, p: &Province) -> Result<u64> {
    let county_code = |i: usize| county_code(p, i);
    let mut b1 = String::new();
    registry::write_person_events(db, &mut |push| {
        let mut pn_iter = p.pensioners.iter().peekable();
        for (i, x) in p.persons.iter().enumerate() {
            let pid = i as i64 + 1;
            let county = county_code(x.county as usize);
            let employer = x.employer().map(|e| e as i64 + 1);
            let moved = x.moved_from();
            let mut seq = 0;
            // one event: (date, kind, status after it, county, from county, employer)
            let mut ev = |date: Period,
                          kind: &str,
                          status: &str,
                          county: i64,
                          from_county: Option<i64>,
                          employer_id: Option<i64>|
             -> Result<()> {
                seq += 1;
                push(&PersonEventRow {
                    person_id: pid,
                    seq,
                    event_date: day(&mut b1, date),
                    kind,
                    status,
                    county,
                    from_county,
                    employer_id,
                    from_employer: None,
                })
            };
            let enrol_county = moved.map(|(c, _)| county_code(c)).unwrap_or(county);
            let enrol_employer = if moved.is_some() { None } else { employer };
            ev(
                x.first_insured(),
                "enrol",
                "active",
                enrol_county,
                None,
                enrol_employer,
            )?;
            if let Some((c, m)) = moved {
                let from = Some(county_code(c));
                ev(m, "move_county", "active", county, from, employer)?;
            }
            let since = x.status_since();
            match x.status {
                Status::Active => {}
                Status::Suspended => ev(since, "suspend", "suspended", county, None, employer)?,
                Status::TransferredOut => ev(
                    since,
                    "transfer_out",
                    "transferred_out",
                    county,
                    None,
                    employer,
                )?,
                Status::Retired | Status::Deceased => {
                    while pn_iter.peek().is_some_and(|pn| (pn.person as usize) < i) {
                        pn_iter.next();
                    }
                    let retire = match pn_iter.peek() {
                        Some(pn) if pn.person as usize == i => pn.retire(),
                        _ => since,
                    };
                    ev(retire, "retire", "retired", county, None, None)?;
                    if x.status == Status::Deceased {
                        ev(since, "death", "deceased", county, None, None)?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Pensioners, paid from the month after retirement.
fn write_pensioners(db: &mut Db, p: &Province) -> Result<u64> {
    let county_code = |i: usize| county_code(p, i);
    let start = p.options.start;
    let mut b3 = String::new();
    let recent = start.add_months(-1);
    registry::write_pensioners(db, &mut |push| {
        for pn in &p.pensioners {
            let x = &p.persons[pn.person as usize];
            let (code, name, _) = *pn.bank();
            let account = pn.bank_account();
            let since = match pn.status {
                PensionStatus::Active => pn.retire().add_months(1),
                PensionStatus::Suspended => recent,
                PensionStatus::Deceased => pn.ended().unwrap_or(recent),
            };
            push(&PensionerRow {
                person_id: pn.person as i64 + 1,
                county: county_code(x.county as usize),
                retire_period: pn.retire().yyyymm() as i64,
                status: pn.status.as_str(),
                status_since: day(&mut b3, since),
                contribution_months: x.paid_months as i64 + x.deemed_months as i64,
                monthly_fen: pn.total().fen(),
                bank_code: code,
                bank_name: name,
                bank_account: &account,
            })?;
        }
        Ok(())
    })
}

/// The last eligibility certification the previous system knew, for every pensioner not
/// deceased whose pension started more than a year before the first month: a day in the 360
/// days before it, spread by person, so about a twelfth of them fall due each month (one whose
/// pension started later counts from its start).
fn write_certifications(db: &mut Db, p: &Province) -> Result<u64> {
    let start = p.options.start.first_day();
    let rows: Vec<(i64, u32, tongchou_core::Date)> = p
        .pensioners
        .iter()
        .filter(|pn| pn.status != PensionStatus::Deceased)
        .filter_map(|pn| {
            let person = pn.person as i64 + 1;
            let back = 1 + (crate::tax::mix(person as u64 ^ 0xce47) % 360) as i64;
            let on = start.add_days(-back);
            let county = county_code(p, p.persons[pn.person as usize].county as usize) as u32;
            (on > pn.retire().add_months(1).first_day()).then_some((person, county, on))
        })
        .collect();
    tongchou_store::certification::write_legacy(db, &rows)
}

/// Each pensioner's pension rows ([`pension_rows`]).
fn write_pensions(db: &mut Db, p: &Province) -> Result<u64> {
    let start = p.options.start;
    registry::write_pensions(db, &mut |push| {
        for pn in &p.pensioners {
            let (award, adjusted) = pension_rows(pn, &p.persons[pn.person as usize], start);
            push(&award)?;
            if let Some(a) = adjusted {
                push(&a)?;
            }
        }
        Ok(())
    })
}

fn payer(k: PayerKind) -> &'static str {
    match k {
        PayerKind::Employee => "employee",
        PayerKind::Flexible => "flexible",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_store::testing;
    use tongchou_synth::{Options, generate};

    fn check(url: &str) {
        let p = generate(&Options {
            seed: 5,
            persons: 3_000,
            ..Default::default()
        })
        .expect("generate");
        let mut db = Db::open(url).expect("open");
        let st = write_province(&mut db, &p).expect("load");
        let c = registry::counts(&mut db).expect("counts");
        assert_eq!(c.persons, 3_000);
        assert_eq!(c.person_ids, 3_000);
        assert_eq!(c.employers as usize, p.employers.len());
        assert_eq!(c.pensioners as usize, p.pensioners.len());
        let certified = db
            .query_i64("SELECT count(*) FROM pensioner_certification", &[])
            .expect("certifications");
        assert!(certified > 0 && certified <= c.pensioners);
        assert_eq!(st.rows() as i64, {
            c.employers
                + c.persons
                + c.person_ids
                + c.person_events
                + c.pensioners
                + c.pensions
                + certified
        });
        // the summaries agree with the province in memory
        let s = registry::county_summary(&mut db).expect("summary");
        let active = p
            .persons
            .iter()
            .filter(|x| x.status == Status::Active)
            .count() as i64;
        assert_eq!(s.iter().map(|r| r.contributors).sum::<i64>(), active);
        assert_eq!(s.iter().map(|r| r.insured).sum::<i64>(), 3_000);
        let balances: i64 = p.persons.iter().map(|x| x.balance.fen()).sum();
        assert_eq!(s.iter().map(|r| r.balance_fen).sum::<i64>(), balances);
        let paid: i64 = p
            .pensioners
            .iter()
            .filter(|x| x.status == PensionStatus::Active)
            .map(|x| x.total().fen())
            .sum();
        assert_eq!(s.iter().map(|r| r.monthly_pension_fen).sum::<i64>(), paid);
        let cities = registry::city_summary(&mut db).expect("cities");
        assert_eq!(cities.len(), 11);
        // every ID number finds its person
        for (i, x) in p.persons.iter().enumerate().step_by(97) {
            assert_eq!(
                registry::person_id_by_number(&mut db, x.id_number().as_str()).expect("q"),
                Some(i as i64 + 1)
            );
        }
        // loading the same province again fails and leaves the registry as it was
        assert!(write_province(&mut db, &p).is_err());
        assert_eq!(registry::counts(&mut db).expect("counts"), c);
    }

    #[test]
    fn load_on_sqlite() {
        check(&testing::sqlite_url("synthload"));
    }

    #[test]
    fn load_on_postgres() {
        check(&testing::pg_url("synthload"));
    }
}
