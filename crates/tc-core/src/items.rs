//! The income and expenditure items of the pension fund's budget and final-account tables, as
//! data (`data/budget-items.toml`, compiled in), and the pure fold of ledger movements into them.
//!
//! A book's year ([`Statement`]): the opening balance (年初滚存结余: the fund's net assets at the
//! end of the year before, plus any opening balance registered directly to the fund balance
//! during the year — 期初余额登记, e.g. balances taken over from before provincial pooling —
//! shown apart as `adjustment`), the year's amount of every item and the closing balance
//! (年末滚存结余), with `opening + income − expenditure = closing` exact to the fen. A consolidation
//! ([`Items::consolidate`]) adds books up and eliminates the transfers between levels inside
//! the group: every grant a book of the group gives goes to a book of the group (money only
//! flows down within a region), and every remittance a book of the group receives comes from
//! one, so the group's 上级补助收入 from outside is Σ 上级补助收入 − Σ 补助下级支出 and its
//! 上解上级支出 to outside is Σ 上解上级支出 − Σ 下级上解收入; its 补助下级支出 and 下级上解收入 are
//! zero. For the whole province both are zero, since the ledger keeps each pair equal.

use crate::money::{Fen, MoneyError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const ITEMS_TOML: &str = include_str!("../../../data/budget-items.toml");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemsError(pub String);
impl fmt::Display for ItemsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "budget items: {}", self.0)
    }
}
impl std::error::Error for ItemsError {}

/// Which side of the table an item is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Income,
    Expenditure,
}

/// How a consolidation treats an inter-level item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 上级补助收入
    GrantIn,
    /// 补助下级支出
    GrantOut,
    /// 下级上解收入
    RemitIn,
    /// 上解上级支出
    RemitOut,
}

/// One row of the tables.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub key: String,
    pub name: String,
    pub name_en: String,
    pub side: Side,
    pub kinds: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub role: Option<Role>,
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// The Chinese labels of the derived rows.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub opening: String,
    pub income_total: String,
    pub expenditure_total: String,
    pub surplus: String,
    pub adjustment: String,
    pub closing: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFile {
    version: u32,
    fund_balance_kinds: Vec<String>,
    item: Vec<Item>,
    labels: Labels,
}

/// The items of the tables, in their order.
#[derive(Debug)]
pub struct Items {
    pub items: Vec<Item>,
    pub fund_balance_kinds: Vec<String>,
    pub labels: Labels,
    by_kind: HashMap<String, usize>,
}

/// The posted debits and credits of one account kind of one book over a span of dates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Movement {
    pub debits: Fen,
    pub credits: Fen,
}

/// A year of one book or of a consolidated group. `amounts[i]` is the year's amount of item
/// `i` of [`Items::items`], on its normal side (income: credits − debits; expenditure:
/// debits − credits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The balance at the end of the year before plus `adjustment`.
    pub opening: Fen,
    pub amounts: Vec<Fen>,
    /// Of the opening: entries made directly to the fund balance during the year (opening
    /// balances registered late); zero in a ledger whose opening balances precede its first
    /// year, so that the closing of one year is the opening of the next.
    pub adjustment: Fen,
    pub closing: Fen,
}

impl Items {
    /// Parse and check: unique keys, names and kinds; at least one kind per item; every role at
    /// most once; fund-balance kinds not items.
    pub fn parse(text: &str) -> Result<Items, ItemsError> {
        let f: ItemsFile = toml::from_str(text).map_err(|e| ItemsError(e.to_string()))?;
        if f.version != 1 {
            return Err(ItemsError(format!("unsupported version {}", f.version)));
        }
        let mut by_kind = HashMap::new();
        let mut keys = HashMap::new();
        let mut names = HashMap::new();
        let mut roles = HashMap::new();
        for (i, it) in f.item.iter().enumerate() {
            if it.kinds.is_empty() {
                return Err(ItemsError(format!("item {}: no kinds", it.key)));
            }
            if keys.insert(it.key.clone(), i).is_some() {
                return Err(ItemsError(format!("duplicate item key {}", it.key)));
            }
            if names.insert(it.name.clone(), i).is_some() {
                return Err(ItemsError(format!("duplicate item name {}", it.name)));
            }
            if let Some(r) = it.role
                && roles.insert(r, i).is_some()
            {
                return Err(ItemsError(format!("item {}: role {r:?} twice", it.key)));
            }
            for k in &it.kinds {
                if by_kind.insert(k.clone(), i).is_some() {
                    return Err(ItemsError(format!("kind {k} is in two items")));
                }
            }
        }
        if roles.len() != 4 {
            return Err(ItemsError(
                "the four inter-level roles (grant_in, grant_out, remit_in, remit_out) must each be one item's"
                    .into(),
            ));
        }
        if let Some(k) = f
            .fund_balance_kinds
            .iter()
            .find(|k| by_kind.contains_key(*k))
        {
            return Err(ItemsError(format!("fund-balance kind {k} is also an item")));
        }
        Ok(Items {
            items: f.item,
            fund_balance_kinds: f.fund_balance_kinds,
            labels: f.labels,
            by_kind,
        })
    }

    /// The compiled-in items (`data/budget-items.toml`).
    pub fn standard() -> &'static Items {
        static I: OnceLock<Items> = OnceLock::new();
        I.get_or_init(|| match Items::parse(ITEMS_TOML) {
            Ok(i) => i,
            Err(e) => panic!("compiled-in data/budget-items.toml is invalid: {e}"),
        })
    }

    /// The index of the item an account kind belongs to.
    pub fn index_of_kind(&self, kind: &str) -> Option<usize> {
        self.by_kind.get(kind).copied()
    }

    /// The index of an item by key.
    pub fn index(&self, key: &str) -> Option<usize> {
        self.items.iter().position(|i| i.key == key)
    }

    /// Items of one side, with their indexes.
    pub fn side(&self, side: Side) -> impl Iterator<Item = (usize, &Item)> {
        self.items
            .iter()
            .enumerate()
            .filter(move |(_, i)| i.side == side)
    }

    fn role(&self, role: Role) -> usize {
        // parse checked that every role is one item's
        self.items
            .iter()
            .position(|i| i.role == Some(role))
            .unwrap_or(0)
    }

    /// Whether a kind counts in the fund's balance (an item's kind or a fund-balance kind).
    pub fn is_fund_kind(&self, kind: &str) -> bool {
        self.by_kind.contains_key(kind) || self.fund_balance_kinds.iter().any(|k| k == kind)
    }

    /// One book's year from the posted movements of its kinds before the year (`before`, all
    /// history) and during it. Kinds that are not the fund's (bank accounts, liabilities) are
    /// ignored: the fund's balance is their counterpart.
    pub fn statement<'a>(
        &self,
        before: impl IntoIterator<Item = (&'a str, Movement)>,
        during: impl IntoIterator<Item = (&'a str, Movement)>,
    ) -> Result<Statement, MoneyError> {
        let mut opening = Fen::ZERO;
        for (kind, m) in before {
            if self.is_fund_kind(kind) {
                opening = opening.try_add(m.credits.try_sub(m.debits)?)?;
            }
        }
        let mut amounts = vec![Fen::ZERO; self.items.len()];
        let mut adjustment = Fen::ZERO;
        for (kind, m) in during {
            if let Some(i) = self.index_of_kind(kind) {
                let net = match self.items[i].side {
                    Side::Income => m.credits.try_sub(m.debits)?,
                    Side::Expenditure => m.debits.try_sub(m.credits)?,
                };
                amounts[i] = amounts[i].try_add(net)?;
            } else if self.is_fund_kind(kind) {
                adjustment = adjustment.try_add(m.credits.try_sub(m.debits)?)?;
            }
        }
        let opening = opening.try_add(adjustment)?;
        let mut s = Statement {
            opening,
            amounts,
            adjustment,
            closing: Fen::ZERO,
        };
        s.closing = opening
            .try_add(self.income_total(&s)?)?
            .try_sub(self.expenditure_total(&s)?)?;
        Ok(s)
    }

    fn total(&self, s: &Statement, side: Side) -> Result<Fen, MoneyError> {
        Fen::try_sum(self.side(side).map(|(i, _)| s.amounts[i]))
    }

    /// 本年收入合计
    pub fn income_total(&self, s: &Statement) -> Result<Fen, MoneyError> {
        self.total(s, Side::Income)
    }

    /// 本年支出合计
    pub fn expenditure_total(&self, s: &Statement) -> Result<Fen, MoneyError> {
        self.total(s, Side::Expenditure)
    }

    /// 本年收支结余: income − expenditure.
    pub fn surplus(&self, s: &Statement) -> Result<Fen, MoneyError> {
        self.income_total(s)?.try_sub(self.expenditure_total(s)?)
    }

    /// The group of `parts` (a city and its counties, the province and everything) as one:
    /// the sum, with the transfers between its levels eliminated (see the module doc).
    pub fn consolidate(&self, parts: &[&Statement]) -> Result<Statement, MoneyError> {
        let n = self.items.len();
        let mut s = Statement {
            opening: Fen::ZERO,
            amounts: vec![Fen::ZERO; n],
            adjustment: Fen::ZERO,
            closing: Fen::ZERO,
        };
        for p in parts {
            s.opening = s.opening.try_add(p.opening)?;
            s.adjustment = s.adjustment.try_add(p.adjustment)?;
            s.closing = s.closing.try_add(p.closing)?;
            for (a, b) in s.amounts.iter_mut().zip(&p.amounts) {
                *a = a.try_add(*b)?;
            }
        }
        let (gi, go) = (self.role(Role::GrantIn), self.role(Role::GrantOut));
        let (ri, ro) = (self.role(Role::RemitIn), self.role(Role::RemitOut));
        s.amounts[gi] = s.amounts[gi].try_sub(s.amounts[go])?;
        s.amounts[go] = Fen::ZERO;
        s.amounts[ro] = s.amounts[ro].try_sub(s.amounts[ri])?;
        s.amounts[ri] = Fen::ZERO;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(debits: i64, credits: i64) -> Movement {
        Movement {
            debits: Fen::new(debits),
            credits: Fen::new(credits),
        }
    }

    #[test]
    fn the_compiled_in_items_parse_with_the_issue_rows_in_order() {
        let items = Items::standard();
        let names: Vec<&str> = items.items.iter().map(|i| i.name.as_str()).collect();
        for n in [
            "基本养老保险费收入",
            "财政补贴收入",
            "利息收入",
            "委托投资收益",
            "转移收入",
            "上级补助收入",
            "下级上解收入",
            "中央调剂基金收入",
            "其他收入",
            "基本养老金支出",
            "丧葬抚恤补助支出",
            "转移支出",
            "补助下级支出",
            "上解上级支出",
            "中央调剂基金支出",
            "其他支出",
        ] {
            assert!(names.contains(&n), "{n} missing");
        }
        assert_eq!(items.labels.closing, "年末滚存结余");
        assert_eq!(items.labels.surplus, "本年收支结余");
        assert!(
            items
                .side(Side::Income)
                .all(|(_, i)| i.side == Side::Income)
        );
        assert_eq!(
            items.index_of_kind("contribution_individual"),
            items.index("contribution")
        );
        assert!(items.is_fund_kind("fund_balance"));
        assert!(!items.is_fund_kind("fiscal_special_account"));
    }

    #[test]
    fn a_bad_items_file_is_refused_with_its_reason() {
        let base = ITEMS_TOML;
        let twice = base.replacen(
            "kinds = [\"interest_income\"]",
            "kinds = [\"interest_income\", \"other_income\"]",
            1,
        );
        assert!(Items::parse(&twice).unwrap_err().0.contains("other_income"));
        let no_role = base.replacen("role = \"grant_in\"\n", "", 1);
        assert!(Items::parse(&no_role).unwrap_err().0.contains("roles"));
        let fb = base.replacen(
            "fund_balance_kinds = [\"fund_balance\"]",
            "fund_balance_kinds = [\"other_income\"]",
            1,
        );
        assert!(Items::parse(&fb).unwrap_err().0.contains("also an item"));
    }

    #[test]
    fn a_book_year_adds_up_and_ignores_bank_accounts() {
        let items = Items::standard();
        let before = [
            ("fund_balance", m(0, 1_000)),
            ("contribution_employer", m(0, 500)),
            ("benefit_basic_pension", m(300, 0)),
            ("expenditure_account", m(1_200, 0)),
        ];
        let during = [
            ("contribution_employer", m(0, 700)),
            ("contribution_individual", m(0, 300)),
            // a payment returned by the bank reverses part of the expenditure
            ("benefit_basic_pension", m(900, 100)),
            ("remittance_to_higher", m(50, 0)),
            ("expenditure_account", m(1_000, 850)),
        ];
        let s = items.statement(before, during).expect("statement");
        assert_eq!(s.opening, Fen::new(1_200));
        let at = |k: &str| s.amounts[items.index(k).expect("item")];
        assert_eq!(at("contribution"), Fen::new(1_000));
        assert_eq!(at("basic_pension"), Fen::new(800));
        assert_eq!(at("remittance_to_higher"), Fen::new(50));
        assert_eq!(items.surplus(&s).expect("surplus"), Fen::new(150));
        assert_eq!(s.adjustment, Fen::ZERO);
        assert_eq!(s.closing, Fen::new(1_350));
        // an opening balance registered during the year is part of the opening, not income
        let late = items
            .statement([("fund_balance", m(0, 5))], [("fund_balance", m(0, 40))])
            .expect("late");
        assert_eq!(
            (late.opening, late.adjustment, late.closing),
            (Fen::new(45), Fen::new(40), Fen::new(45))
        );
    }

    #[test]
    fn a_consolidation_eliminates_transfers_inside_the_group() {
        let items = Items::standard();
        // the province grants 100 to a city, the city passes 80 to its county; the county
        // remits 30 of contributions to the province
        let province = items
            .statement(
                [],
                [
                    ("grant_to_lower", m(100, 0)),
                    ("remittance_from_lower", m(0, 30)),
                ],
            )
            .expect("p");
        let city = items
            .statement(
                [],
                [
                    ("grant_from_higher", m(0, 100)),
                    ("grant_to_lower", m(80, 0)),
                ],
            )
            .expect("c");
        let county = items
            .statement(
                [("fund_balance", m(0, 5))],
                [
                    ("grant_from_higher", m(0, 80)),
                    ("contribution_employer", m(0, 30)),
                    ("remittance_to_higher", m(30, 0)),
                    ("benefit_basic_pension", m(70, 0)),
                ],
            )
            .expect("co");
        let at = |s: &Statement, k: &str| s.amounts[items.index(k).expect("item")];
        // the city's group: the province's grant stays, the county's remittance to the
        // province leaves the group
        let g = items.consolidate(&[&city, &county]).expect("city group");
        assert_eq!(at(&g, "grant_from_higher"), Fen::new(100));
        assert_eq!(at(&g, "grant_to_lower"), Fen::ZERO);
        assert_eq!(at(&g, "remittance_to_higher"), Fen::new(30));
        assert_eq!(
            g.closing,
            city.closing.try_add(county.closing).expect("sum")
        );
        // the province: nothing between levels is left
        let p = items
            .consolidate(&[&province, &city, &county])
            .expect("province");
        for k in [
            "grant_from_higher",
            "grant_to_lower",
            "remittance_from_lower",
            "remittance_to_higher",
        ] {
            assert_eq!(at(&p, k), Fen::ZERO, "{k}");
        }
        assert_eq!(p.opening, Fen::new(5));
        assert_eq!(p.closing, Fen::new(5 + 30 - 70));
        assert_eq!(
            p.opening
                .try_add(items.surplus(&p).expect("s"))
                .expect("add"),
            p.closing
        );
    }
}
