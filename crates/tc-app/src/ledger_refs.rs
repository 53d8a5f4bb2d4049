//! A transfer's business reference: the fixed shapes the use cases book, and as its reader reads
//! it. The ledger keeps each reference as the use case booked it — part of the transfer, of the
//! journal's hash chain and of the month's digest, never rewritten —, so every use case books its
//! shape through [`Reference`]'s `Display` (`fund plan 2024-03`, `payment 2024-03
//! basic_pension`, `缺口分担 2023`, …), byte for byte the text the journal holds, and [`shown`]
//! recognises them ([`Reference::parse`], its inverse) and renders them from the catalogue in the
//! current language (the ledger's pages, `tongchou ledger history`, the exports); any other
//! reference (typed by a person, a counterpart's document number) is shown as it is.

use crate::central::MovementKind;
use crate::plan_chain::item_label;
use std::fmt;
use tongchou_core::i18n::{self, Lang, word};
use tongchou_core::period::Period;
use tongchou_core::tr;
use tongchou_engine::disbursement::Item;

/// A reference of a shape a use case books. Its `Display` is the stored text — never change it:
/// the journal's hash chain and the months' digests hold it —, [`Reference::parse`] its inverse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// `income::remit_historical`: `historical balance {id} (fixed)` / `(demand)`.
    HistoricalBalance { id: i64, fixed: bool },
    /// `disburse` (approval): `fund plan {month}`.
    FundPlan { month: Period },
    /// `disburse` (allocation): `allocation {month}`.
    Allocation { month: Period },
    /// `disburse` (pass-down): `pass-down {month}`.
    PassDown { month: Period },
    /// `disburse` (pay): `payment {month} {item}`, the item's code.
    Payment { month: Period, item: Item },
    /// `disburse` (returns): `bank returns {file}`, the first 12 hex digits of the file's
    /// SHA-256 ([`Reference::bank_returns`]).
    BankReturns { file: String },
    /// `collect` (the close): `collection batch {period}`.
    CollectionBatch { period: Period },
    /// `gap::compute`: `缺口分担 {year}`.
    GapSharing { year: i32 },
    /// `gap::settle`: `缺口分担 {year} 到账`.
    GapReceived { year: i32 },
    /// `recoveries::deduct`: `{month} 养老金扣减追回`.
    Recovery { month: Period },
    /// `central::submit`: `{kind} {year} {source document}`, the kind's name in Chinese.
    Central {
        kind: MovementKind,
        year: i32,
        doc: String,
    },
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reference::*;
        match self {
            HistoricalBalance { id, fixed } => {
                let kind = if *fixed { "fixed" } else { "demand" };
                write!(f, "historical balance {id} ({kind})")
            }
            FundPlan { month } => write!(f, "fund plan {month}"),
            Allocation { month } => write!(f, "allocation {month}"),
            PassDown { month } => write!(f, "pass-down {month}"),
            Payment { month, item } => write!(f, "payment {month} {}", item.as_str()),
            BankReturns { file } => write!(f, "bank returns {file}"),
            CollectionBatch { period } => write!(f, "collection batch {period}"),
            GapSharing { year } => write!(f, "缺口分担 {year}"),
            GapReceived { year } => write!(f, "缺口分担 {year} 到账"),
            Recovery { month } => write!(f, "{month} 养老金扣减追回"),
            Central { kind, year, doc } => {
                let id = kind.message();
                let kind = i18n::text(Lang::ZhCn, id).unwrap_or(id);
                write!(f, "{kind} {year} {doc}")
            }
        }
    }
}

impl Reference {
    /// The reference of a bank's return file by its SHA-256 in hex: its first 12 digits.
    pub fn bank_returns(sha: &str) -> Reference {
        Reference::BankReturns {
            file: sha.get(..12).unwrap_or(sha).to_string(),
        }
    }

    /// The reference `text` is, if it is one of the shapes the use cases book exactly as they
    /// book it (`parse(r.to_string()) == Some(r)`, and what parses displays as `text` again).
    pub fn parse(text: &str) -> Option<Reference> {
        booked(text).or_else(|| central(text))
    }

    /// The reference in the current language, from the catalogue.
    pub fn shown(&self) -> String {
        use Reference::*;
        match self {
            HistoricalBalance { id, fixed } => {
                let kind = word(if *fixed {
                    "app-lref-deposit-fixed"
                } else {
                    "app-lref-deposit-demand"
                });
                tr!("app-lref-historical", id = id, kind = kind)
            }
            FundPlan { month } => tr!("app-lref-fund-plan", month = month),
            Allocation { month } => tr!("app-lref-allocation", month = month),
            PassDown { month } => tr!("app-lref-pass-down", month = month),
            Payment { month, item } => {
                tr!("app-lref-payment", month = month, item = item_label(*item))
            }
            BankReturns { file } => tr!("app-lref-bank-returns", file = file),
            CollectionBatch { period } => tr!("app-lref-collection", period = period),
            GapSharing { year } => tr!("app-lref-gap", year = year),
            GapReceived { year } => tr!("app-lref-gap-received", year = year),
            Recovery { month } => tr!("app-lref-recovery", month = month),
            Central { kind, year, doc } => format!("{} {year} {doc}", word(kind.message())),
        }
    }
}

/// `reference` in the current language: a shape a use case books rendered from the catalogue,
/// anything else as it is.
pub fn shown(reference: &str) -> String {
    Reference::parse(reference).map_or_else(|| reference.to_string(), |r| r.shown())
}

/// A month as the use cases write it (`2024-03`), nothing else.
fn month(s: &str) -> Option<Period> {
    s.parse::<Period>().ok().filter(|p| p.to_string() == s)
}

/// A number as `Display` writes it, nothing else (no sign, no leading zeros).
fn number<T: std::str::FromStr + ToString>(s: &str) -> Option<T> {
    s.parse::<T>().ok().filter(|n| n.to_string() == s)
}

/// The shapes of `income` (historical balances), `collect`, `disburse`, `gap` and `recoveries`.
fn booked(r: &str) -> Option<Reference> {
    use Reference::*;
    let words: Vec<&str> = r.split(' ').collect();
    Some(match words.as_slice() {
        ["historical", "balance", id, kind] => HistoricalBalance {
            id: number(id)?,
            fixed: match *kind {
                "(fixed)" => true,
                "(demand)" => false,
                _ => return None,
            },
        },
        ["fund", "plan", m] => FundPlan { month: month(m)? },
        ["allocation", m] => Allocation { month: month(m)? },
        ["pass-down", m] => PassDown { month: month(m)? },
        ["payment", m, item] => Payment {
            month: month(m)?,
            item: Item::parse(item)?,
        },
        ["bank", "returns", sha]
            if sha.len() == 12 && sha.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            BankReturns {
                file: sha.to_string(),
            }
        }
        ["collection", "batch", m] => CollectionBatch { period: month(m)? },
        ["缺口分担", y] => GapSharing { year: number(y)? },
        ["缺口分担", y, "到账"] => GapReceived { year: number(y)? },
        [m, "养老金扣减追回"] => Recovery { month: month(m)? },
        _ => return None,
    })
}

/// The central adjustment's `{kind} {year} {source document}`, the kind booked in Chinese.
fn central(r: &str) -> Option<Reference> {
    let mut parts = r.splitn(3, ' ');
    let (kind, y, doc) = (parts.next()?, parts.next()?, parts.next()?);
    let kind = MovementKind::ALL
        .into_iter()
        .find(|k| i18n::text(Lang::ZhCn, k.message()) == Some(kind))?;
    Some(Reference::Central {
        kind,
        year: number(y)?,
        doc: doc.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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

    fn p(s: &str) -> Period {
        s.parse().expect("a month")
    }

    /// One of each variant, with the text it is stored as — byte for byte what the journals of
    /// existing databases hold: a change here breaks their hash chains and the months' digests.
    fn pinned() -> Vec<(Reference, &'static str)> {
        use Reference::*;
        let m = p("2024-03");
        vec![
            (
                HistoricalBalance { id: 7, fixed: true },
                "historical balance 7 (fixed)",
            ),
            (
                HistoricalBalance {
                    id: 8,
                    fixed: false,
                },
                "historical balance 8 (demand)",
            ),
            (FundPlan { month: m }, "fund plan 2024-03"),
            (Allocation { month: m }, "allocation 2024-03"),
            (PassDown { month: m }, "pass-down 2024-03"),
            (
                Payment {
                    month: m,
                    item: Item::BasicPension,
                },
                "payment 2024-03 basic_pension",
            ),
            (
                Payment {
                    month: m,
                    item: Item::ResumedArrears,
                },
                "payment 2024-03 resumed_arrears",
            ),
            (
                Reference::bank_returns("0123456789abcdef0123"),
                "bank returns 0123456789ab",
            ),
            (CollectionBatch { period: m }, "collection batch 2024-03"),
            (GapSharing { year: 2023 }, "缺口分担 2023"),
            (GapReceived { year: 2023 }, "缺口分担 2023 到账"),
            (Recovery { month: m }, "2024-03 养老金扣减追回"),
            (
                Central {
                    kind: MovementKind::Remittance,
                    year: 2024,
                    doc: "财社〔2024〕1号".into(),
                },
                "上解 2024 财社〔2024〕1号",
            ),
            (
                Central {
                    kind: MovementKind::PoolingReceived,
                    year: 2022,
                    doc: "DEMO doc 7".into(),
                },
                "全国统筹下拨 2022 DEMO doc 7",
            ),
        ]
    }

    #[test]
    fn the_stored_text_of_every_shape_is_pinned() {
        for (r, text) in pinned() {
            // whichever language the booking user reads
            for lang in [Lang::ZhCn, Lang::En] {
                assert_eq!(scope(lang, || r.to_string()), text, "{r:?}");
            }
            assert_eq!(Reference::parse(text), Some(r), "{text}");
        }
        // every central kind booked by its Chinese name
        let names: Vec<String> = MovementKind::ALL
            .into_iter()
            .map(|kind| {
                let r = Reference::Central {
                    kind,
                    year: 2024,
                    doc: "d".into(),
                };
                scope(Lang::En, || r.to_string())
            })
            .collect();
        assert_eq!(
            names,
            [
                "上解 2024 d",
                "拨付 2024 d",
                "预缴 2024 d",
                "预拨 2024 d",
                "年终清算 2024 d",
                "全国统筹上解 2024 d",
                "全国统筹下拨 2024 d",
                "其他 2024 d",
            ]
        );
    }

    fn any_reference() -> impl Strategy<Value = Reference> {
        use Reference::*;
        let month = (1..=9999i32, 1..=12u8).prop_map(|(y, m)| Period::new(y, m).expect("a month"));
        let item = proptest::sample::select(Item::ALL.to_vec());
        let kind = proptest::sample::select(MovementKind::ALL.to_vec());
        prop_oneof![
            (any::<i64>(), any::<bool>()).prop_map(|(id, fixed)| HistoricalBalance { id, fixed }),
            month.clone().prop_map(|month| FundPlan { month }),
            month.clone().prop_map(|month| Allocation { month }),
            month.clone().prop_map(|month| PassDown { month }),
            (month.clone(), item).prop_map(|(month, item)| Payment { month, item }),
            "[0-9a-fA-F]{12}".prop_map(|file| BankReturns { file }),
            month.clone().prop_map(|period| CollectionBatch { period }),
            any::<i32>().prop_map(|year| GapSharing { year }),
            any::<i32>().prop_map(|year| GapReceived { year }),
            month.prop_map(|month| Recovery { month }),
            (kind, any::<i32>(), ".*").prop_map(|(kind, year, doc)| Central { kind, year, doc }),
        ]
    }

    proptest! {
        #[test]
        fn every_reference_parses_back_from_its_text(r in any_reference()) {
            let text = r.to_string();
            prop_assert_eq!(Reference::parse(&text), Some(r), "{}", text);
        }

        #[test]
        fn what_parses_is_displayed_as_it_was_written(text in any_text()) {
            if let Some(r) = Reference::parse(&text) {
                prop_assert_eq!(r.to_string(), text);
            }
        }
    }

    /// Texts near the shapes: a shape's words with numbers, months and hex in odd spellings.
    fn any_text() -> impl Strategy<Value = String> {
        let fixed = proptest::sample::select(vec![
            "historical",
            "balance",
            "(fixed)",
            "fund",
            "plan",
            "payment",
            "basic_pension",
            "bank",
            "returns",
            "缺口分担",
            "到账",
            "养老金扣减追回",
            "上解",
        ]);
        let word = prop_oneof![
            fixed.prop_map(str::to_string),
            "[+-]?0?[0-9]{1,5}",
            "[0-9]{4}-[0-9]{1,2}",
            "[0-9a-fA-F]{11,13}",
            ".*",
        ];
        proptest::collection::vec(word, 1..5).prop_map(|w| w.join(" "))
    }

    #[test]
    fn other_references_as_they_are() {
        for r in ["", "test", "DEMO-DIV-2024", "fund plan", "t1/00042"] {
            check(r, r, r);
        }
    }
}
