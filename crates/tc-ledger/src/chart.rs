//! The chart of accounts, as data: `data/chart-of-accounts.toml` is compiled in and parsed once.
//!
//! An account is identified by (region, kind): the region is the accounting entity whose books it
//! belongs to (the province, a city or a county agency), the kind says what it is (a bank account,
//! an income or expenditure category, the fund balance). Its id is `region × 1000 + kind.num`, so
//! the same account has the same id on every backend and in every run.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use tongchou_core::region::{Divisions, Level, RegionCode};
use tongchou_core::tr;

const CHART_TOML: &str = include_str!("../../../data/chart-of-accounts.toml");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError(pub String);
impl fmt::Display for ChartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tr!("ledger-err-chart", message = self.0))
    }
}
impl std::error::Error for ChartError {}

/// The accounting element an account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Asset,
    Liability,
    NetAssets,
    Income,
    Expenditure,
}

impl Class {
    /// The side on which the balance normally stands: assets and expenditure on the debit side,
    /// liabilities, net assets and income on the credit side. Every book then satisfies
    /// assets + expenditure = liabilities + net assets + income.
    pub fn normal(self) -> Side {
        match self {
            Class::Asset | Class::Expenditure => Side::Debit,
            Class::Liability | Class::NetAssets | Class::Income => Side::Credit,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Asset => "asset",
            Class::Liability => "liability",
            Class::NetAssets => "net_assets",
            Class::Income => "income",
            Class::Expenditure => "expenditure",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            Class::Asset => "资产",
            Class::Liability => "负债",
            Class::NetAssets => "净资产",
            Class::Income => "收入",
            Class::Expenditure => "支出",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Debit,
    Credit,
}

/// A balance limit the ledger enforces (TigerBeetle's account flags). Pending amounts count
/// against the limit, so a reservation can never be posted into a breach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    None,
    /// debits_pending + debits_posted ≤ credits_posted: a credit-normal account never goes
    /// below zero.
    DebitsMustNotExceedCredits,
    /// credits_pending + credits_posted ≤ debits_posted: a debit-normal account (a bank
    /// account, an expenditure category) never goes below zero.
    CreditsMustNotExceedDebits,
}

/// The limit in the current language, for the ledger's refusals and findings.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use tongchou_core::i18n::word;
        f.write_str(match self {
            Limit::None => word("ledger-limit-none"),
            Limit::DebitsMustNotExceedCredits => word("ledger-limit-debits"),
            Limit::CreditsMustNotExceedDebits => word("ledger-limit-credits"),
        })
    }
}

impl Limit {
    /// Storage code: 0, 1, 2.
    pub fn code(self) -> i64 {
        match self {
            Limit::None => 0,
            Limit::DebitsMustNotExceedCredits => 1,
            Limit::CreditsMustNotExceedDebits => 2,
        }
    }
    pub fn from_code(c: i64) -> Option<Limit> {
        match c {
            0 => Some(Limit::None),
            1 => Some(Limit::DebitsMustNotExceedCredits),
            2 => Some(Limit::CreditsMustNotExceedDebits),
            _ => None,
        }
    }
}

/// One kind of account of the chart.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountKind {
    pub key: String,
    pub num: u16,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub class: Class,
    pub levels: Vec<Level>,
    pub limit: Limit,
    #[serde(default)]
    pub month_end_zero: bool,
    #[serde(default)]
    pub pair: Option<String>,
    pub verified: bool,
    #[serde(default)]
    pub note: Option<String>,
}

impl AccountKind {
    /// The kind's name in the current language (`name`, or `name_en` in English).
    pub fn shown_name(&self) -> &str {
        in_current(&self.name, &self.name_en)
    }
}

/// A business category of transfers (why money moved).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub key: String,
    pub name: String,
    pub name_en: String,
}

impl Category {
    /// The category's name in the current language (`name`, or `name_en` in English).
    pub fn shown_name(&self) -> &str {
        in_current(&self.name, &self.name_en)
    }
}

/// The chart's Chinese name or its English one, by the current language of `tongchou_core::i18n`.
fn in_current<'a>(zh: &'a str, en: &'a str) -> &'a str {
    match tongchou_core::i18n::current() {
        tongchou_core::i18n::Lang::En if !en.is_empty() => en,
        _ => zh,
    }
}

/// A book's region with its name: `140105 小店区`.
pub fn book_name(region: RegionCode) -> String {
    let name = Divisions::shanxi()
        .get(region)
        .map(|r| r.name.as_str())
        .unwrap_or_default();
    format!("{region} {name}")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChartFile {
    version: u32,
    kind: Vec<AccountKind>,
    category: Vec<Category>,
}

/// An account id: `region × 1000 + kind number`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

impl AccountId {
    pub fn new(region: RegionCode, num: u16) -> AccountId {
        AccountId(region.get() as i64 * 1000 + num as i64)
    }
    /// The region (the book) the account belongs to, if the id is well formed.
    pub fn region(self) -> Option<RegionCode> {
        u32::try_from(self.0.div_euclid(1000))
            .ok()
            .and_then(|r| RegionCode::new(r).ok())
    }
    pub fn num(self) -> u16 {
        self.0.rem_euclid(1000) as u16
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The level of a region's book, from the form of its code: `xx0000` is a province, `xxxx00` a
/// city, anything else a county-level unit.
pub fn level_of(region: RegionCode) -> Level {
    if region.is_province_level() {
        Level::Province
    } else if region.is_prefecture_level() {
        Level::City
    } else {
        Level::County
    }
}

/// The chart of accounts.
#[derive(Debug)]
pub struct Chart {
    kinds: Vec<AccountKind>,
    by_key: HashMap<String, usize>,
    by_num: HashMap<u16, usize>,
    categories: Vec<Category>,
}

impl Chart {
    /// Parse and validate a chart: unique keys, numbers and codes; numbers 1-999; pairs that name
    /// each other, one income and one expenditure kind.
    pub fn parse(text: &str) -> Result<Chart, ChartError> {
        let file: ChartFile = toml::from_str(text).map_err(|e| ChartError(e.to_string()))?;
        if file.version != 1 {
            return Err(ChartError(format!("unsupported version {}", file.version)));
        }
        let mut by_key = HashMap::new();
        let mut by_num = HashMap::new();
        let mut codes = HashMap::new();
        for (i, k) in file.kind.iter().enumerate() {
            if k.key.is_empty() || !k.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(ChartError(format!("kind key {:?} must be [a-z_]+", k.key)));
            }
            if !(1..=999).contains(&k.num) {
                return Err(ChartError(format!(
                    "kind {}: num {} outside 1-999",
                    k.key, k.num
                )));
            }
            if k.levels.is_empty() {
                return Err(ChartError(format!("kind {}: no levels", k.key)));
            }
            if by_key.insert(k.key.clone(), i).is_some() {
                return Err(ChartError(format!("duplicate kind key {}", k.key)));
            }
            if by_num.insert(k.num, i).is_some() {
                return Err(ChartError(format!("duplicate kind num {}", k.num)));
            }
            if codes.insert(k.code.clone(), i).is_some() {
                return Err(ChartError(format!("duplicate code {}", k.code)));
            }
            if k.month_end_zero && k.class != Class::Asset {
                return Err(ChartError(format!(
                    "kind {}: month_end_zero is for bank accounts",
                    k.key
                )));
            }
        }
        for k in &file.kind {
            if let Some(p) = &k.pair {
                let other = by_key
                    .get(p)
                    .map(|&i| &file.kind[i])
                    .ok_or_else(|| ChartError(format!("kind {}: pair {p} is not a kind", k.key)))?;
                if other.pair.as_deref() != Some(k.key.as_str()) {
                    return Err(ChartError(format!(
                        "kind {}: pair {p} does not pair back",
                        k.key
                    )));
                }
                let classes = [k.class, other.class];
                if !(classes.contains(&Class::Income) && classes.contains(&Class::Expenditure)) {
                    return Err(ChartError(format!(
                        "kind {}: a pair joins an income and an expenditure kind",
                        k.key
                    )));
                }
            }
        }
        let mut cats = HashMap::new();
        for c in &file.category {
            if c.key.is_empty() || !c.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(ChartError(format!(
                    "category key {:?} must be [a-z_]+",
                    c.key
                )));
            }
            if cats.insert(c.key.clone(), ()).is_some() {
                return Err(ChartError(format!("duplicate category {}", c.key)));
            }
        }
        Ok(Chart {
            kinds: file.kind,
            by_key,
            by_num,
            categories: file.category,
        })
    }

    /// The compiled-in chart (`data/chart-of-accounts.toml`).
    pub fn standard() -> &'static Chart {
        static C: OnceLock<Chart> = OnceLock::new();
        C.get_or_init(|| match Chart::parse(CHART_TOML) {
            Ok(c) => c,
            Err(e) => panic!("compiled-in chart of accounts is invalid: {e}"),
        })
    }

    pub fn kinds(&self) -> &[AccountKind] {
        &self.kinds
    }
    pub fn kind(&self, key: &str) -> Option<&AccountKind> {
        self.by_key.get(key).map(|&i| &self.kinds[i])
    }
    pub fn kind_by_num(&self, num: u16) -> Option<&AccountKind> {
        self.by_num.get(&num).map(|&i| &self.kinds[i])
    }
    pub fn kind_by_code(&self, code: &str) -> Option<&AccountKind> {
        self.kinds.iter().find(|k| k.code == code)
    }
    /// The kind of an account id, if the id is well formed and its kind exists.
    pub fn kind_of(&self, id: AccountId) -> Option<&AccountKind> {
        id.region()?;
        self.kind_by_num(id.num())
    }
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    /// The id of (region, kind) if that kind exists at the region's level.
    pub fn account(&self, region: RegionCode, kind: &str) -> Option<AccountId> {
        let k = self.kind(kind)?;
        k.levels
            .contains(&level_of(region))
            .then(|| AccountId::new(region, k.num))
    }

    /// Whether `id` names an account this chart allows: a known kind at its region's level.
    pub fn allows(&self, id: AccountId) -> bool {
        match (id.region(), self.kind_by_num(id.num())) {
            (Some(r), Some(k)) => k.levels.contains(&level_of(r)),
            _ => false,
        }
    }

    /// The standard set of accounts: for the province, every city and every county-level unit with
    /// its own agency (functional zones are handled by their city), every kind of its level.
    pub fn standard_accounts(&self, divisions: &Divisions) -> Vec<AccountId> {
        let regions = std::iter::once(divisions.province())
            .chain(divisions.cities())
            .chain(divisions.counties());
        let mut out = Vec::new();
        for r in regions {
            for k in &self.kinds {
                if k.levels.contains(&level_of(r.code)) {
                    out.push(AccountId::new(r.code, k.num));
                }
            }
        }
        out
    }

    /// Parse an account as given by a person: `REGION:KIND_KEY` (`140000:fiscal_special_account`),
    /// `REGION:CODE` (`140000:1004`) or the numeric id (`140000004`).
    pub fn parse_account(&self, s: &str) -> Result<AccountId, ChartError> {
        let t = s.trim();
        let account = format!("{s:?}");
        let id = match t.split_once(':') {
            Some((r, k)) => {
                let region: RegionCode = r.parse().map_err(|e| {
                    ChartError(tr!(
                        "ledger-err-account-region",
                        account = account,
                        error = e
                    ))
                })?;
                let kind = self
                    .kind(k)
                    .or_else(|| self.kind_by_code(k))
                    .ok_or_else(|| {
                        ChartError(tr!(
                            "ledger-err-account-kind",
                            account = account,
                            kind = format!("{k:?}")
                        ))
                    })?;
                AccountId::new(region, kind.num)
            }
            None => AccountId(
                t.parse()
                    .map_err(|_| ChartError(tr!("ledger-err-account-form", account = account)))?,
            ),
        };
        if !self.allows(id) {
            return Err(ChartError(tr!(
                "ledger-err-account-level",
                account = account
            )));
        }
        Ok(id)
    }

    /// The account as `--account` takes it: `140000:fiscal_special_account` (the JSON's label).
    pub fn label(&self, id: AccountId) -> String {
        match (id.region(), self.kind_by_num(id.num())) {
            (Some(r), Some(k)) => format!("{r}:{}", k.key),
            _ => format!("#{}", id.0),
        }
    }

    /// The account as its readers see it: its book, its kind's code and its name in the current
    /// language, `140000 山西省 · 1004 财政专户存款`.
    pub fn shown(&self, id: AccountId) -> String {
        let book = id.region().map(book_name).unwrap_or_default();
        match self.kind_of(id) {
            Some(k) => format!("{book} · {} {}", k.code, k.shown_name()),
            None => format!("{book} · #{}", id.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The budget items (`data/budget-items.toml`, in tongchou-core) against this chart: every
    /// income and expenditure kind is in exactly one item of its side, every item's kinds are
    /// of the chart, the fund-balance kinds are the net-assets kinds, the inter-level roles sit
    /// on the paired kinds, and the categories named exist.
    #[test]
    fn every_income_and_expenditure_kind_is_one_budget_item_of_its_side() {
        use tongchou_core::items::{Items, Role, Side};
        let c = Chart::standard();
        let items = Items::standard();
        for k in c.kinds() {
            let side = match k.class {
                Class::Income => Some(Side::Income),
                Class::Expenditure => Some(Side::Expenditure),
                _ => None,
            };
            match (side, items.index_of_kind(&k.key)) {
                (Some(s), Some(i)) => assert_eq!(items.items[i].side, s, "{}", k.key),
                (Some(_), None) => panic!("kind {} is in no budget item", k.key),
                (None, Some(_)) => panic!("kind {} is not income or expenditure", k.key),
                // the reserve fund (储备基金) is net assets kept apart from the pension fund's
                // balance until a use moves money into it as income
                (None, None) => assert_eq!(
                    k.class == Class::NetAssets && k.key != "reserve_fund",
                    items.fund_balance_kinds.contains(&k.key),
                    "{}",
                    k.key
                ),
            }
        }
        for it in &items.items {
            for kind in &it.kinds {
                assert!(c.kind(kind).is_some(), "item {}: kind {kind}", it.key);
            }
            for cat in &it.categories {
                assert!(c.category(cat).is_some(), "item {}: category {cat}", it.key);
            }
            let expected = match it.role {
                Some(Role::GrantIn) => Some("grant_from_higher"),
                Some(Role::GrantOut) => Some("grant_to_lower"),
                Some(Role::RemitIn) => Some("remittance_from_lower"),
                Some(Role::RemitOut) => Some("remittance_to_higher"),
                None => None,
            };
            if let Some(e) = expected {
                assert_eq!(it.kinds, [e], "item {}", it.key);
            }
        }
    }

    #[test]
    fn standard_chart_parses_and_covers_the_levels() {
        let c = Chart::standard();
        let d = Divisions::shanxi();
        let accounts = c.standard_accounts(d);
        let province = RegionCode::new(140000).unwrap();
        let taiyuan = RegionCode::new(140100).unwrap();
        let xiaodian = RegionCode::new(140105).unwrap();
        // the fiscal special account exists only at the province
        assert!(c.account(province, "fiscal_special_account").is_some());
        assert!(c.account(taiyuan, "fiscal_special_account").is_none());
        assert!(c.account(xiaodian, "expenditure_account").is_some());
        assert!(c.account(province, "grant_from_higher").is_none());
        assert!(c.account(xiaodian, "grant_to_lower").is_none());
        // 1 province + 11 cities + 117 counties
        let regions: std::collections::BTreeSet<_> =
            accounts.iter().filter_map(|a| a.region()).collect();
        assert_eq!(regions.len(), 129);
        assert!(accounts.iter().all(|&a| c.allows(a)));
        // every kind has a Chinese name; nothing claims a verified code the reference lacks
        assert!(c.kinds().iter().all(|k| !k.name.is_ascii() && !k.verified));
    }

    #[test]
    fn account_ids_roundtrip() {
        let c = Chart::standard();
        let id = c.parse_account("140000:fiscal_special_account").unwrap();
        assert_eq!(id, AccountId(140000004));
        assert_eq!(c.parse_account("140000:1004").unwrap(), id);
        assert_eq!(c.parse_account("140000004").unwrap(), id);
        assert_eq!(c.label(id), "140000:fiscal_special_account");
        let zh = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::ZhCn, || c.shown(id));
        assert_eq!(zh, "140000 山西省 · 1004 财政专户存款");
        let en = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::En, || c.shown(id));
        assert!(
            en.starts_with("140000 山西省 · 1004 fiscal special-account"),
            "{en}"
        );
        assert_eq!(id.region().map(|r| r.get()), Some(140000));
        assert!(c.parse_account("140100:fiscal_special_account").is_err());
        assert!(c.parse_account("140000:nope").is_err());
        assert!(c.parse_account("12").is_err());
    }

    #[test]
    fn chart_validation_refuses_bad_data() {
        let ok = "version = 1\n[[kind]]\nkey='a'\nnum=1\ncode='1'\nname='甲'\nname_en='a'\nclass='asset'\nlevels=['province']\nlimit='none'\nverified=false\n[[category]]\nkey='x'\nname='x'\nname_en='x'\n";
        assert!(Chart::parse(ok).is_ok());
        assert!(Chart::parse(&ok.replace("num=1", "num=0")).is_err());
        assert!(Chart::parse(&ok.replace("key='a'", "key='A'")).is_err());
        assert!(Chart::parse(&ok.replace("limit='none'", "limit='whatever'")).is_err());
        let paired = ok.replace("verified=false", "verified=false\npair='b'");
        assert!(Chart::parse(&paired).is_err()); // pair names no kind
        let dup = format!(
            "{ok}[[kind]]\nkey='a'\nnum=2\ncode='2'\nname='乙'\nname_en='b'\nclass='asset'\nlevels=['city']\nlimit='none'\nverified=false\n"
        );
        assert!(Chart::parse(&dup).is_err());
    }
}
