//! The agencies' bank accounts as managed data ([`KINDS`]: every agency's 支出户 and 收入户,
//! the province's 财政专户, each behind the ledger's account of that kind in the region's book),
//! above all the county agencies' paying accounts (付款账户: the benefit expenditure account
//! every payment file of the county is drawn on): [`set`] a new version, [`review`] it,
//! [`list`] them, the pay step's [`debtor_on`] the pay day, the ledger pages' [`in_force_of`].
//!
//! Who may set one: a user holding `paying_account_write` with the county in their region — the
//! provincial bureau officer for any county, a county agency for its own (`tc-core::access`).
//! Maker–checker: a version is `pending` until a different user holding
//! `paying_account_confirm` (the provincial bureau's reviewer) confirms or refuses it; only a
//! confirmed version is ever in force, so money is never sent from an account one person alone
//! entered. One pending version per county at a time. Every refusal of access and every change
//! and decision is audited (`agency_account.set`, `agency_account.review`; the account number
//! masked to its last four digits). A change is a new version valid from a date, never an
//! overwrite (`tongchou_store::agency_accounts`); setting what is already the latest version
//! changes nothing.

use crate::error::{AppError, Result};
use tongchou_bank::{AccountNumber, AccountTitle, AgencyName, BankId, Bic, Cnaps, Debtor};
use tongchou_core::access::{Permission, Principal};
use tongchou_core::region::Level;
use tongchou_core::{CreditCode, Date, Divisions, RegionCode};
use tongchou_ledger::Chart;
use tongchou_ledger::chart::level_of;
use tongchou_store::Db;
use tongchou_store::access::{self, Target, iso_time};
use tongchou_store::agency_accounts::{self as store, AccountFields, NewVersion, Review};
use tongchou_store::audit::{self, Actor, Entry};

/// A county's paying account as a user gives it.
pub use tongchou_store::agency_accounts::AccountFields as AccountInput;
pub use tongchou_store::agency_accounts::AgencyAccount;

/// `****1234`: an account number as the audit log and listings show it.
pub fn masked(account: &str) -> String {
    let n = account.chars().count();
    let tail: String = account.chars().skip(n.saturating_sub(4)).collect();
    format!("****{tail}")
}

/// A version's review state in the current language (`payacct-status-*` of the catalogue).
pub fn status_name(status: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match status {
        "pending" => word("payacct-status-pending"),
        "confirmed" => word("payacct-status-confirmed"),
        "refused" => word("payacct-status-refused"),
        _ => word("payacct-status-unknown"),
    }
}

/// The debtor of the payment files, every part parsed as `tongchou_bank` requires it; the
/// error names the field.
fn debtor(
    agency_name: &str,
    credit_code: &str,
    account_number: &str,
    account_name: Option<&str>,
    bank_name: &str,
    bic: Option<&str>,
    cnaps: Option<&str>,
) -> Result<Debtor> {
    let bad = |field: &str, e: &dyn std::fmt::Display| AppError::Invalid(format!("{field}: {e}"));
    let name = AgencyName::parse(agency_name).map_err(|e| bad("agency_name", &e))?;
    let code = CreditCode::parse(credit_code).map_err(|e| bad("credit_code", &e.0))?;
    let account = AccountNumber::parse(account_number).map_err(|e| bad("account_number", &e))?;
    let title = account_name
        .map(AccountTitle::parse)
        .transpose()
        .map_err(|e| bad("account_name", &e))?;
    let bic = bic
        .map(Bic::parse)
        .transpose()
        .map_err(|e| bad("bic", &e))?;
    let cnaps = cnaps
        .map(Cnaps::parse)
        .transpose()
        .map_err(|e| bad("cnaps", &e))?;
    let bank = BankId::new(bic, cnaps, Some(bank_name)).map_err(|e| bad("bank", &e))?;
    Ok(Debtor::new(name, code, account, title, bank))
}

/// The debtor of a stored version (checked again: a row changed behind the system's back is
/// refused, not sent to a bank).
pub fn debtor_of(a: &AgencyAccount) -> Result<Debtor> {
    debtor(
        &a.agency_name,
        &a.credit_code,
        &a.account_number,
        a.account_name.as_deref(),
        &a.bank_name,
        a.bic.as_deref(),
        a.cnaps.as_deref(),
    )
    .map_err(|e| {
        AppError::Invalid(tongchou_core::tr!(
            "app-aa-invalid",
            region = a.region,
            version = a.version,
            error = e
        ))
    })
}

/// The kinds of bank account an agency keeps, by the ledger's account kind they stand behind
/// (`data/chart-of-accounts.toml`); each named in the reader's language by [`kind_name`].
pub const KINDS: [&str; 3] = [
    "expenditure_account",
    "income_account",
    "fiscal_special_account",
];

/// The kind of the county agencies' paying accounts (the debtor of their payment files).
pub const PAYING: &str = "expenditure_account";

/// A kind's name in the current language (the key itself when unknown).
pub fn kind_name(kind: &str) -> &str {
    use tongchou_core::i18n::word;
    match kind {
        "expenditure_account" => word("app-aa-kind-expenditure_account"),
        "income_account" => word("app-aa-kind-income_account"),
        "fiscal_special_account" => word("app-aa-kind-fiscal_special_account"),
        other => other,
    }
}

/// Whether `region` may keep an account of `kind`: a division of the province whose level the
/// chart gives that kind, with its own agency (not a functional zone); else why not.
fn check_region(region: RegionCode, kind: &str) -> Result<()> {
    if !KINDS.contains(&kind) {
        let known: Vec<&str> = KINDS.to_vec();
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-aa-kind",
            kinds = known.join("、"),
            kind = format!("{kind:?}")
        )));
    }
    let r = Divisions::shanxi()
        .get(region)
        .ok_or_else(|| AppError::Invalid(tongchou_core::tr!("app-aa-region", region = region)))?;
    let levels = Chart::standard()
        .kind(kind)
        .map(|k| k.levels.clone())
        .unwrap_or_default();
    if !levels.contains(&level_of(region)) || (r.level == Level::County && r.is_functional_zone()) {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-aa-no-such",
            region = region,
            name = r.name,
            kind = kind_name(kind)
        )));
    }
    Ok(())
}

/// Whether the latest version already says exactly this.
fn same(a: &AgencyAccount, i: &AccountInput<'_>) -> bool {
    a.valid_from == i.valid_from
        && a.agency_name == i.agency_name.trim()
        && a.credit_code == i.credit_code.trim()
        && a.account_number == i.account_number
        && a.account_name.as_deref() == i.account_name.map(str::trim)
        && a.bank_name == i.bank_name.trim()
        && a.bic.as_deref() == i.bic
        && a.cnaps.as_deref() == i.cnaps
}

/// Set a county's paying account from `valid_from` on, as a new version (see the module
/// documentation). Returns the version in force after it and whether one was written.
pub fn set(
    db: &mut Db,
    who: &Principal,
    input: &AccountInput<'_>,
    now_ms: i64,
) -> Result<(AgencyAccount, bool)> {
    let region = input.region;
    let object = region.to_string();
    let target = Target {
        action: "agency_account.set",
        object_type: "agency_account",
        object_id: &object,
        region,
    };
    // audited refusal, outside the transaction so that its audit row stays
    access::authorize(db, who, Permission::PayingAccountWrite, &target, now_ms)?;
    check_region(region, input.kind)?;
    let d = debtor(
        input.agency_name,
        input.credit_code,
        input.account_number,
        input.account_name,
        input.bank_name,
        input.bic,
        input.cnaps,
    )?;
    let set_at = iso_time(now_ms);
    db.transaction(|db| {
        if let Some(latest) = store::latest(db, region, input.kind)? {
            if latest.status != "refused" && same(&latest, input) {
                return Ok((latest, false));
            }
            if latest.status == "pending" {
                return Err(AppError::State(tongchou_core::tr!(
                    "app-aa-pending",
                    region = region,
                    version = latest.version,
                    by = latest.set_by
                )));
            }
        }
        let version = store::insert(
            db,
            &NewVersion {
                account: AccountFields {
                    region,
                    kind: input.kind,
                    valid_from: input.valid_from,
                    agency_name: d.name(),
                    credit_code: input.credit_code.trim(),
                    account_number: d.account().as_str(),
                    account_name: d.account_name(),
                    bank_name: input.bank_name.trim(),
                    bic: d.agent().bic().map(|b| b.as_str()),
                    cnaps: d.agent().cnaps().map(|c| c.as_str()),
                },
                set_by: &who.login,
                set_by_id: Some(who.user_id),
                set_at: &set_at,
            },
        )?;
        audit::append(
            db,
            &Entry {
                actor: &Actor::of(who),
                action: target.action,
                object_type: target.object_type,
                object_id: &object,
                region: Some(region.get()),
                result: "ok",
                details: serde_json::json!({
                    "version": version,
                    "kind": input.kind,
                    "valid_from": input.valid_from.to_string(),
                    "agency_name": d.name(),
                    "account": masked(d.account().as_str()),
                    "bank_name": input.bank_name.trim(),
                    "bic": input.bic,
                    "cnaps": input.cnaps,
                }),
            },
            now_ms,
        )?;
        let written = store::latest(db, region, input.kind)?
            .ok_or_else(|| AppError::State(tongchou_core::tr!("app-aa-gone", region = region)))?;
        Ok((written, true))
    })
}

/// A reviewer's decision: confirm (`true`) or refuse, with a note (required to refuse).
#[derive(Clone, Copy, Debug)]
pub struct Decision<'a> {
    pub region: RegionCode,
    pub version: i64,
    pub confirm: bool,
    pub note: Option<&'a str>,
}

/// Confirm or refuse a pending version (see the module documentation): the reviewer holds
/// `paying_account_confirm` over the county and is not the user who set the version. Returns
/// the version as decided.
pub fn review(
    db: &mut Db,
    who: &Principal,
    d: &Decision<'_>,
    now_ms: i64,
) -> Result<AgencyAccount> {
    let object = format!("{}/{}", d.region, d.version);
    let target = Target {
        action: "agency_account.review",
        object_type: "agency_account",
        object_id: &object,
        region: d.region,
    };
    access::authorize(db, who, Permission::PayingAccountConfirm, &target, now_ms)?;
    let note = d.note.map(str::trim).filter(|n| !n.is_empty());
    if !d.confirm && note.is_none() {
        return Err(AppError::Invalid(tongchou_core::tr!("app-aa-note")));
    }
    let a = store::version(db, d.region, d.version)?.ok_or_else(|| {
        AppError::NotFound(tongchou_core::tr!(
            "app-aa-no-version",
            region = d.region,
            version = d.version
        ))
    })?;
    let actor = Actor::of(who);
    let entry = |result: &'static str, details: serde_json::Value| Entry {
        actor: &actor,
        action: target.action,
        object_type: target.object_type,
        object_id: &object,
        region: Some(d.region.get()),
        result,
        details,
    };
    if a.set_by_id == Some(who.user_id) {
        let reason = tongchou_core::tr!("app-aa-own");
        let denied = entry("denied", serde_json::json!({"reason": "maker_checker"}));
        audit::refusal(db, &denied, now_ms)?;
        return Err(AppError::Forbidden(reason));
    }
    let status = if d.confirm { "confirmed" } else { "refused" };
    let at = iso_time(now_ms);
    db.transaction(|db| {
        let review = Review {
            region: d.region,
            version: d.version,
            status,
            by: &who.login,
            by_id: who.user_id,
            at: &at,
            note,
        };
        if !store::review(db, &review)? {
            return Err(AppError::State(tongchou_core::tr!(
                if a.status == "confirmed" {
                    "app-aa-confirmed"
                } else {
                    "app-aa-decided"
                },
                region = d.region,
                version = d.version
            )));
        }
        let details = serde_json::json!({
            "set_by": a.set_by,
            "account": masked(&a.account_number),
            "valid_from": a.valid_from.to_string(),
            "note": note,
        });
        audit::append(db, &entry(status, details), now_ms)?;
        store::version(db, d.region, d.version)?.ok_or_else(|| {
            AppError::State(tongchou_core::tr!("app-aa-decided-gone", object = object))
        })
    })
}

/// Every version set, by county then version (only the county's when `region` is given).
pub fn list(db: &mut Db, region: Option<RegionCode>) -> Result<Vec<AgencyAccount>> {
    Ok(store::all_versions(db, region)?)
}

/// The version of the county's paying account in force on `day`, if any.
pub fn in_force(db: &mut Db, county: RegionCode, day: Date) -> Result<Option<AgencyAccount>> {
    Ok(store::valid_on(db, county, PAYING, day)?)
}

/// The version of a region's account of `kind` in force on `day`, if any.
pub fn in_force_of(
    db: &mut Db,
    region: RegionCode,
    kind: &str,
    day: Date,
) -> Result<Option<AgencyAccount>> {
    Ok(store::valid_on(db, region, kind, day)?)
}

/// The debtor of the county's payment files on the pay day `day`; `None` when the county has no
/// account in force that day.
pub fn debtor_on(db: &mut Db, county: RegionCode, day: Date) -> Result<Option<Debtor>> {
    store::valid_on(db, county, PAYING, day)?
        .as_ref()
        .map(debtor_of)
        .transpose()
}

/// `(county, name)` as an error names a county without a paying account.
pub fn named(county: RegionCode) -> (RegionCode, String) {
    let name = Divisions::shanxi()
        .get(county)
        .map(|r| r.name.clone())
        .unwrap_or_default();
    (county, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_and_a_kind_are_named_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        assert_eq!(scope(Lang::ZhCn, || status_name("pending")), "待复核");
        assert_eq!(scope(Lang::En, || status_name("confirmed")), "confirmed");
        let zh = scope(Lang::ZhCn, || kind_name("expenditure_account").to_string());
        let en = scope(Lang::En, || kind_name("expenditure_account").to_string());
        assert!(
            zh.contains("支出户") && !en.contains("支出户"),
            "{zh} / {en}"
        );
        assert_eq!(kind_name("no_such"), "no_such");
    }

    #[test]
    fn masks_all_but_the_last_four_digits() {
        assert_eq!(masked("6222020200112233445"), "****3445");
        assert_eq!(masked("12"), "****12");
    }

    #[test]
    fn every_field_is_checked_by_name() {
        let ok = || {
            debtor(
                "太原市小店区社会保险事业管理中心",
                "12140105MB0000000X",
                "1234567890123",
                None,
                "某银行",
                None,
                Some("102161000011"),
            )
        };
        // the credit code above is made up: its check characters are wrong
        assert!(matches!(ok(), Err(AppError::Invalid(m)) if m.starts_with("credit_code")));
        let code =
            CreditCode::from_parts(b'1', b'2', RegionCode::new(140105).unwrap(), b"MB000000")
                .unwrap();
        let d = |account: &str, bic: Option<&str>, cnaps: Option<&str>| {
            debtor("中心", code.as_str(), account, None, "某银行", bic, cnaps)
        };
        assert!(d("1234567890123", None, Some("102161000011")).is_ok());
        assert!(d("1234567890123", Some("ICBKCNBJSXI"), None).is_ok());
        let err = |r: Result<Debtor>| match r {
            Err(AppError::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(err(d("12-34", None, Some("102161000011"))).starts_with("account_number"));
        assert!(err(d("1234567890123", None, None)).starts_with("bank"));
        assert!(err(d("1234567890123", Some("x"), None)).starts_with("bic"));
        assert!(err(d("1234567890123", None, Some("1021"))).starts_with("cnaps"));
    }
}
