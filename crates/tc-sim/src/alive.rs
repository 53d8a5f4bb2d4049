//! Other departments' records of pensioners seen alive (生存信息: a hospital visit settled by the
//! medical insurance, a civil-affairs visit...), as the data exchange would deliver them before
//! a month's payroll: a CSV file in the `alive` import kind, read by the real use case
//! (`tongchou_app::certification::import_alive`).
//!
//! The active pensioners whose certification falls due before the 15th of the next month are
//! seen, except 3 in 100 who are hard to reach (deterministic from the seed and the person):
//! those are suspended by the payroll once overdue. A pensioner suspended for want of a
//! certification is seen with even odds each month (deterministic from the seed, the person and
//! the month), and then resumed with the months missed.

use tongchou_core::{Period, Policy};
use tongchou_engine::certification::{Terms, payroll_day};
use tongchou_store::certification::{self as store, Suspension};
use tongchou_store::{Db, Result, StoreError, registry};

/// The month's file (header and one row per record), or `None` when nobody is seen or no
/// certification is required.
pub fn records(db: &mut Db, policy: &Policy, month: Period, seed: u64) -> Result<Option<Vec<u8>>> {
    let on = payroll_day(month);
    let Some(terms) = Terms::at(policy, on).map_err(|e| StoreError::Invalid(e.to_string()))? else {
        return Ok(None);
    };
    let horizon = month.add_months(1).day(15);
    let mut seen = Vec::new();
    store::each_pensioner(db, |p| {
        let hard = crate::mix(seed ^ (p.person as u64).wrapping_mul(0x51ed)) % 100 < 3;
        let h = crate::mix(seed ^ (p.person as u64).wrapping_mul(0x9e37) ^ month.index() as u64);
        let counted = p.last_on.unwrap_or(p.pension_start.first_day());
        let pick = match (p.status.as_str(), p.suspended) {
            ("suspended", Some((_, Suspension::Uncertified))) => h.is_multiple_of(2),
            ("active", _) if p.pension_start <= month => terms.due(counted) <= horizon && !hard,
            _ => false,
        };
        let day = on.add_days(-1 - (h % 20) as i64);
        if pick && day > counted {
            seen.push((p.person, day, h % 3));
        }
        Ok(())
    })?;
    if seen.is_empty() {
        return Ok(None);
    }
    let mut csv = String::from("身份证号码,发生日期,来源\n");
    for (person, day, src) in seen {
        let Some(rec) = registry::person_record(db, person)? else {
            continue;
        };
        let source = ["医保就医结算", "民政走访", "公安出入境"][src as usize];
        csv.push_str(&format!("{},{day},{source}\n", rec.id_number));
    }
    Ok(Some(csv.into_bytes()))
}
