//! Synthetic paying accounts for every county agency of the province, set and confirmed through
//! the same use cases as real ones (`tongchou_app::agency_accounts::set` in the name of a
//! provincial bureau officer, `review` in the name of the bureau's reviewer, maker–checker): the fictional bank and account of `tongchou_bank::Debtor::synthetic` (feature `sim`,
//! never for a file sent to a bank), and a synthetic unified social credit code of a public
//! institution (authority 1, category 2 事业单位, the county's code, organisation body `TCM` and
//! the county's last five digits).

use tongchou_app::agency_accounts::{AccountInput, Decision, review, set};
use tongchou_app::{AppError, Result};
use tongchou_bank::Debtor;
use tongchou_core::access::Principal;
use tongchou_core::{CreditCode, Date, Divisions, RegionCode};

/// The synthetic credit code of a county's agency.
pub fn credit_code(county: RegionCode) -> Result<CreditCode> {
    let body = format!("TCM{:05}", county.get() % 100_000);
    let mut org = [0u8; 8];
    org.copy_from_slice(body.as_bytes());
    CreditCode::from_parts(b'1', b'2', county, &org)
        .ok_or_else(|| AppError::Invalid(format!("{county}: no synthetic credit code")))
}

/// The agency of a county as the synthetic accounts name it: city + county +
/// 社会保险事业管理中心.
pub fn agency_name(county: RegionCode) -> String {
    let d = Divisions::shanxi();
    let name = |c: RegionCode| d.get(c).map(|r| r.name.as_str()).unwrap_or("");
    let city = d.city_of(county).map(name).unwrap_or("");
    format!("{city}{}社会保险事业管理中心", name(county))
}

/// Set a synthetic paying account, valid from `valid_from`, for every county of the province, in
/// the name of `officer` (a provincial bureau officer), each confirmed by `reviewer` (a
/// provincial bureau reviewer, `paying_account_confirm`). Returns how many were written (a
/// county whose latest account is already this one is left as it is).
pub fn register_all(
    db: &mut tongchou_store::Db,
    officer: &Principal,
    reviewer: &Principal,
    valid_from: Date,
    now_ms: i64,
) -> Result<u64> {
    let mut written = 0;
    for county in Divisions::shanxi().counties() {
        let county = county.code;
        let agency = agency_name(county);
        let d = Debtor::synthetic(county, &agency).map_err(|e| AppError::Invalid(e.to_string()))?;
        let code = credit_code(county)?;
        let input = AccountInput {
            region: county,
            kind: tongchou_app::agency_accounts::PAYING,
            agency_name: d.name(),
            credit_code: code.as_str(),
            account_number: d.account().as_str(),
            account_name: d.account_name(),
            bank_name: d.agent().name().unwrap_or("统筹模拟银行"),
            bic: d.agent().bic().map(|b| b.as_str()),
            cnaps: d.agent().cnaps().map(|c| c.as_str()),
            valid_from,
        };
        let (a, new) = set(db, officer, &input, now_ms)?;
        if a.status == "pending" {
            let decision = Decision {
                region: county,
                version: a.version,
                confirm: true,
                note: None,
            };
            review(db, reviewer, &decision, now_ms)?;
        }
        if new {
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_county_gets_a_valid_credit_code_and_a_named_agency() {
        for c in Divisions::shanxi().counties() {
            let code = credit_code(c.code).expect("code");
            assert_eq!(&code.as_str()[2..8], c.code.to_string());
            assert!(agency_name(c.code).ends_with("社会保险事业管理中心"));
        }
        assert_eq!(
            agency_name(RegionCode::new(140105).expect("c")),
            "太原市小店区社会保险事业管理中心"
        );
    }
}
