//! A transfer's business reference as its reader reads it. The ledger keeps each reference as
//! the use case booked it — part of the transfer, of the journal's hash chain and of the month's
//! digest, never rewritten —, so the fixed shapes the use cases book (`fund plan 2024-03`,
//! `payment 2024-03 basic_pension`, `缺口分担 2023`, …) are recognised here and rendered from the
//! catalogue in the current language when shown (the ledger's pages, `tongchou ledger history`,
//! the exports); any other reference (typed by a person, a counterpart's document number) is
//! shown as it is.

use crate::plan_chain::item_label;
use tongchou_core::i18n::{self, Lang, word};
use tongchou_core::period::Period;
use tongchou_core::tr;
use tongchou_engine::disbursement::Item;

/// The central adjustment's movement kinds whose Chinese name opens a reference
/// (`central::submit`: `{kind} {year} {source document}`).
const CENTRAL_KINDS: [&str; 8] = [
    "app-cen-kind-remittance",
    "app-cen-kind-allocation",
    "app-cen-kind-advance-paid",
    "app-cen-kind-advance-received",
    "app-cen-kind-settlement",
    "app-cen-kind-pooling-remitted",
    "app-cen-kind-pooling-received",
    "app-cen-kind-other",
];

/// `reference` in the current language: a shape a use case books rendered from the catalogue,
/// anything else as it is.
pub fn shown(reference: &str) -> String {
    booked(reference)
        .or_else(|| central(reference))
        .unwrap_or_else(|| reference.to_string())
}

/// A month as the use cases write it (`2024-03`), nothing else.
fn month(s: &str) -> Option<Period> {
    s.parse::<Period>().ok().filter(|p| p.to_string() == s)
}

fn year(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|y| y.to_string() == s)
}

/// The shapes of `income` (historical balances), `collect`, `disburse`, `gap` and `recoveries`.
fn booked(r: &str) -> Option<String> {
    let words: Vec<&str> = r.split(' ').collect();
    Some(match words.as_slice() {
        ["historical", "balance", id, kind] => {
            let id = id.parse::<i64>().ok()?;
            let kind = match *kind {
                "(fixed)" => word("app-lref-deposit-fixed"),
                "(demand)" => word("app-lref-deposit-demand"),
                _ => return None,
            };
            tr!("app-lref-historical", id = id, kind = kind)
        }
        ["fund", "plan", m] => tr!("app-lref-fund-plan", month = month(m)?),
        ["allocation", m] => tr!("app-lref-allocation", month = month(m)?),
        ["pass-down", m] => tr!("app-lref-pass-down", month = month(m)?),
        ["payment", m, item] => tr!(
            "app-lref-payment",
            month = month(m)?,
            item = item_label(Item::parse(item)?)
        ),
        ["bank", "returns", sha]
            if sha.len() == 12 && sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            tr!("app-lref-bank-returns", file = sha)
        }
        ["collection", "batch", m] => tr!("app-lref-collection", period = month(m)?),
        ["缺口分担", y] => tr!("app-lref-gap", year = year(y)?),
        ["缺口分担", y, "到账"] => tr!("app-lref-gap-received", year = year(y)?),
        [m, "养老金扣减追回"] => tr!("app-lref-recovery", month = month(m)?),
        _ => return None,
    })
}

/// The central adjustment's `{kind} {year} {source document}`, the kind booked in Chinese.
fn central(r: &str) -> Option<String> {
    let mut parts = r.splitn(3, ' ');
    let (kind, y, doc) = (parts.next()?, parts.next()?, parts.next()?);
    let id = CENTRAL_KINDS
        .into_iter()
        .find(|id| i18n::text(Lang::ZhCn, id) == Some(kind))?;
    let y = year(y)?;
    let kind = i18n::text(i18n::current(), id).unwrap_or(kind);
    Some(format!("{kind} {y} {doc}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::scope;

    fn both(r: &str) -> (String, String) {
        (scope(Lang::ZhCn, || shown(r)), scope(Lang::En, || shown(r)))
    }

    fn check(r: &str, zh: &str, en: &str) {
        assert_eq!(both(r), (zh.to_string(), en.to_string()), "{r}");
    }

    #[test]
    fn historical_balances() {
        check(
            "historical balance 7 (fixed)",
            "历史结余 7（定期存款）",
            "historical balance 7 (fixed deposit)",
        );
        check(
            "historical balance 8 (demand)",
            "历史结余 8（活期存款）",
            "historical balance 8 (demand deposit)",
        );
        check(
            "historical balance x (fixed)",
            "historical balance x (fixed)",
            "historical balance x (fixed)",
        );
    }

    #[test]
    fn fund_plan_allocation_and_pass_down() {
        check(
            "fund plan 2024-03",
            "2024-03 基金使用计划",
            "fund plan 2024-03",
        );
        check(
            "allocation 2024-03",
            "2024-03 基金下拨",
            "allocation 2024-03",
        );
        check("pass-down 2024-03", "2024-03 基金转拨", "pass-down 2024-03");
        check("fund plan 2024-3", "fund plan 2024-3", "fund plan 2024-3");
    }

    #[test]
    fn payments_by_item() {
        check(
            "payment 2024-03 basic_pension",
            "2024-03 基本养老金发放",
            "Basic pension payment 2024-03",
        );
        check(
            "payment 2024-03 nothing",
            "payment 2024-03 nothing",
            "payment 2024-03 nothing",
        );
    }

    #[test]
    fn bank_returns() {
        check(
            "bank returns 0123456789ab",
            "银行回盘文件 0123456789ab",
            "bank returns 0123456789ab",
        );
        check("bank returns xyz", "bank returns xyz", "bank returns xyz");
    }

    #[test]
    fn collection_batches() {
        check(
            "collection batch 2024-03",
            "2024-03 征缴批次",
            "collection batch 2024-03",
        );
    }

    #[test]
    fn gap_sharing_and_recoveries() {
        check("缺口分担 2023", "缺口分担 2023", "gap sharing 2023");
        check(
            "缺口分担 2023 到账",
            "缺口分担 2023 到账",
            "gap sharing 2023 received",
        );
        check(
            "2024-03 养老金扣减追回",
            "2024-03 养老金扣减追回",
            "2024-03 recovered by pension deductions",
        );
    }

    #[test]
    fn central_adjustment() {
        let zh = scope(Lang::ZhCn, || word("app-cen-kind-remittance"));
        let en = scope(Lang::En, || word("app-cen-kind-remittance"));
        let r = format!("{zh} 2024 财社〔2024〕1号");
        check(&r, &r, &format!("{en} 2024 财社〔2024〕1号"));
    }

    #[test]
    fn other_references_as_they_are() {
        for r in ["", "test", "DEMO-DIV-2024", "fund plan", "t1/00042"] {
            check(r, r, r);
        }
    }
}
