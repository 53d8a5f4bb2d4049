//! A held transfer in reviewed (see the module documentation of `transfer`): released — the
//! money booked as 转移收入 (what was received), the certificate's years, months, index and
//! balance added to the person's record (a person unknown to the province registered in the
//! county given when it was held) — or refused, the money to go back to the sending province.
//! By a provincial bureau user other than the one who recorded it (maker–checker), with a
//! reason, once; audited (`transfer.release`, `transfer.refuse`; a refusal of the reviewer
//! `transfer.denied`).

use super::incoming::{apply, register};
use super::{audit_ok, denied, from_bytes, not_a_pensioner, province};
use crate::{AppError, Result};
use serde_json::json;
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Fen, IdNumber, RegionCode};
use tongchou_store::Db;
use tongchou_store::transfers::{self as store, Transfer};

/// What to do with a held transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Book it and fill the person's record.
    Release,
    /// Send the money back to the sending province.
    Refuse,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Release => "released",
            Decision::Refuse => "refused",
        }
    }
    fn action(self) -> &'static str {
        match self {
            Decision::Release => "transfer.release",
            Decision::Refuse => "transfer.refuse",
        }
    }
}

/// The state of a transfer in the current language (`tr-st-*` of the catalogue).
pub fn status_name(status: &str) -> &'static str {
    use tongchou_core::i18n::word;
    match status {
        "done" => word("tr-st-done"),
        "held" => word("tr-st-held"),
        "released" => word("tr-st-released"),
        "refused" => word("tr-st-refused"),
        "confirmed" => word("app-tr-st-confirmed"),
        "rejected" => word("app-tr-st-rejected"),
        _ => word("tr-st-unknown"),
    }
}

/// Who may review `t`: a provincial bureau user who did not record it; refusals audited.
fn check_reviewer(db: &mut Db, who: &Principal, t: &Transfer, now_ms: i64) -> Result<()> {
    let bureau = matches!(
        who.role,
        Role::ProvinceBureauOfficer | Role::ProvinceBureauApprover
    );
    if !bureau || who.region != province() {
        let why = tongchou_core::tr!("app-tr-bureau-reviews", login = who.login);
        return Err(denied(db, who, &t.id.to_string(), &why, now_ms)?);
    }
    if t.created_by == who.login {
        let why = tongchou_core::tr!("app-tr-own", login = who.login, id = t.id);
        return Err(denied(db, who, &t.id.to_string(), &why, now_ms)?);
    }
    Ok(())
}

/// Release or refuse held transfer `id` with `reason` (see the module documentation).
pub fn decide(
    db: &mut Db,
    who: &Principal,
    id: i64,
    decision: Decision,
    reason: &str,
    on: Date,
    now_ms: i64,
) -> Result<Transfer> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-tr-review-reason"
        )));
    }
    let t = store::by_id(db, id)?
        .filter(|t| t.direction == "in")
        .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-in-none", id = id)))?;
    check_reviewer(db, who, &t, now_ms)?;
    crate::benefits::with_retry(db, |db| {
        let t = store::by_id(db, id)?
            .ok_or_else(|| AppError::NotFound(tongchou_core::tr!("app-tr-none", id = id)))?;
        if t.status != "held" {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-not-held",
                id = id,
                status = status_name(&t.status)
            )));
        }
        let at = crate::benefits::iso(now_ms);
        let key = format!("transfer/in/{id}");
        let ledger_key = (decision == Decision::Release).then_some(key.as_str());
        if !store::decide(
            db,
            id,
            decision.as_str(),
            reason,
            &who.login,
            &at,
            ledger_key,
        )? {
            return Err(AppError::State(tongchou_core::tr!(
                "app-tr-decided",
                id = id
            )));
        }
        if decision == Decision::Release {
            release(db, &t, &key, on)?;
        }
        let details = json!({"decision": decision.as_str(), "reason": reason, "received_fen": t.received_fen, "total_fen": t.total_fen, "recorded_by": t.created_by});
        audit_ok(db, who, decision.action(), id, details, now_ms)?;
        store::by_id(db, id)?
            .ok_or_else(|| AppError::State(tongchou_core::tr!("app-tr-vanished", id = id)))
    })
}

/// Book what was received and fill the record (registering the person if unknown).
fn release(db: &mut Db, t: &Transfer, key: &str, on: Date) -> Result<()> {
    let c = from_bytes(t.certificate.as_bytes())?;
    let person = match store::person(db, &c.id_number)? {
        Some(p) => {
            not_a_pensioner(p.pensioner, &c.id_number)?;
            p.id
        }
        None => {
            let county = store::review(db, t.id)?
                .and_then(|r| r.county)
                .and_then(|c| u32::try_from(c).ok())
                .and_then(|c| RegionCode::new(c).ok())
                .ok_or_else(|| {
                    AppError::State(tongchou_core::tr!("app-tr-no-county", id = t.id))
                })?;
            let id = IdNumber::parse(&c.id_number, on)
                .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-tr-id", error = e.0)))?;
            register(db, &c, &id, county, on)?
        }
    };
    store::set_person(db, t.id, person)?;
    let received = Fen::new(t.received_fen.unwrap_or(t.total_fen));
    apply(db, &c, person, key, received, on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_status_is_named_in_the_readers_language() {
        assert_eq!(scope(Lang::ZhCn, || status_name("held")), "待复核");
        assert_eq!(scope(Lang::ZhCn, || status_name("released")), "复核放行");
        for s in [
            "done",
            "held",
            "released",
            "refused",
            "confirmed",
            "rejected",
            "x",
        ] {
            let en = scope(Lang::En, || status_name(s));
            assert!(en.is_ascii() && !en.is_empty(), "{s}: {en}");
        }
    }
}
