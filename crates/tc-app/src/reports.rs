//! Reports read from the stored results of the monthly jobs and the ledger, as one [`Sheet`]
//! (columns, rows, a total, a few figures of the whole report) that the edges print as a table,
//! CSV, JSON or an XLSX workbook (`tongchou report …`) or show as an HTML page (`/reports`).
//!
//! - [`collection`]: a month's collection per city (per county inside a city or county):
//!   insured persons on the register at the end of the month, contributors assessed, the amount
//!   assessed, collected by the month's run (oldest period first, so it may settle earlier
//!   months) and the late fees paid with it, the arrears outstanding when the month was closed,
//!   what each county's book remitted to the province; and the balance of the provincial fiscal
//!   special account at the end of the close date.
//! - [`arrears`]: the open arrears now, by county or by employer, with the late fee accrued on
//!   what is outstanding until a given day.
//! - [`disbursement`]: a month's disbursement per city (see `reports/disbursement.rs`).
//! - [`crosscheck`]: the cross-check findings by county (see `reports/crosscheck.rs`).
//!
//! [`for_staff`] checks a staff member's permission and region before any of them is read: a
//! county sees its county, a city its counties, the province everything.

mod arrears;
pub(crate) mod collection;
mod crosscheck;
mod disbursement;
pub mod sheet;
pub(crate) mod xlsx;

pub use arrears::{By, arrears};
pub use collection::collection;
pub use crosscheck::crosscheck;
pub use disbursement::disbursement;
pub use sheet::{Cell, Col, Extra, Sheet};

use crate::{AppError, Result};
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Divisions, Level, RegionCode};
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor};

/// The region asked for (the province by default), checked against the divisions.
pub(crate) fn scope(region: Option<RegionCode>) -> Result<(&'static Divisions, RegionCode, Level)> {
    let d = Divisions::shanxi();
    let code = region.unwrap_or(d.province().code);
    let Some(r) = d.get(code) else {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-rep-region",
            code = code,
            province = d.province().name
        )));
    };
    Ok((d, code, r.level))
}

/// A region's name, or nothing for a code that is not a division.
pub fn name_of(d: &Divisions, code: i64) -> String {
    RegionCode::from_stored(code)
        .and_then(|c| d.get(c))
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

/// The region a staff member's report covers (see [`region_for`]); a refusal is audited
/// (`report.read`, denied) before it is answered.
pub fn for_staff(
    db: &mut Db,
    who: &Principal,
    report: &str,
    asked: Option<RegionCode>,
    now: i64,
) -> Result<RegionCode> {
    let refusal = match region_for(who, asked) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    // the audit log keeps the reason in Chinese
    let reason = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::ZhCn, || {
        region_for(who, asked).err().map(|e| e.to_string())
    });
    audit::refusal(
        db,
        &audit::Entry {
            actor: &Actor::of(who),
            action: "report.read",
            object_type: "report",
            object_id: report,
            region: Some(asked.unwrap_or(who.region).get()),
            result: "denied",
            details: serde_json::json!({ "reason": reason }),
        },
        now,
    )?;
    Err(refusal)
}

/// The region a staff member's report covers: `asked` if it lies within their own region (their
/// region when nothing is asked). Refused, in the current language, without the report
/// permission or for a region outside their scope.
pub fn region_for(who: &Principal, asked: Option<RegionCode>) -> Result<RegionCode> {
    if !who.role.has(Permission::ReportRead) {
        return Err(AppError::Forbidden(tongchou_core::tr!(
            "app-rep-no-permission",
            role = who.role.as_str()
        )));
    }
    let d = Divisions::shanxi();
    let region = asked.unwrap_or(who.region);
    let Some(r) = d.get(region) else {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-rep-no-region",
            region = region
        )));
    };
    if !d.within(region, who.region) {
        return Err(AppError::Forbidden(tongchou_core::tr!(
            "app-rep-out-of-scope",
            region = region,
            name = r.name,
            own = who.region
        )));
    }
    Ok(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::access::Role;

    fn who(role: Role, region: u32) -> Principal {
        Principal {
            user_id: 1,
            login: "x".into(),
            role,
            region: RegionCode::new(region).expect("code"),
            person_id: None,
        }
    }

    #[test]
    fn staff_see_their_own_region_only() {
        let code = |c: u32| RegionCode::new(c).expect("code");
        let clerk = who(Role::CountyAgency, 140105);
        assert_eq!(region_for(&clerk, None).expect("own"), code(140105));
        assert!(matches!(
            region_for(&clerk, Some(code(140106))),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            region_for(&clerk, Some(code(140000))),
            Err(AppError::Forbidden(_))
        ));
        let city = who(Role::CityAgency, 140100);
        assert_eq!(
            region_for(&city, Some(code(140106))).expect("a county of the city"),
            code(140106)
        );
        let auditor = who(Role::Auditor, 140000);
        assert_eq!(
            region_for(&auditor, Some(code(140700))).expect("any"),
            code(140700)
        );
        assert!(matches!(
            region_for(&who(Role::InsuredPerson, 140105), None),
            Err(AppError::Forbidden(_))
        ));
    }

    #[test]
    fn a_refusal_is_said_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let clerk = who(Role::CountyAgency, 140105);
        let other = Some(RegionCode::new(140106).expect("code"));
        let said = |lang| {
            scope(lang, || {
                region_for(&clerk, other).expect_err("refused").to_string()
            })
        };
        assert!(
            said(Lang::ZhCn).contains("超出本人辖区"),
            "{}",
            said(Lang::ZhCn)
        );
        assert!(
            said(Lang::En).contains("outside your region"),
            "{}",
            said(Lang::En)
        );
    }
}
