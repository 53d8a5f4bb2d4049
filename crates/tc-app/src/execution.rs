//! Budget execution (预算执行): the year's figures from January through a month, straight from the
//! ledger (`final_accounts::compute_through`), by item, region and level, beside the latest
//! approved budget (its number and figures), with the execution rate of every item, and the
//! commitments against the expenditure budget: benefit payments approved and issued but not yet
//! paid (pending in the ledger at the month's end).

use crate::budget;
use crate::error::Result;
use crate::final_accounts::{self, FinalAccounts};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use tongchou_core::items::{Items, Side, Statement};
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, Period, RegionCode, tr};
use tongchou_ledger::Chart;
use tongchou_ledger::chart::{Class, level_of};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

/// The execution of a year through a month.
#[derive(Clone, Debug)]
pub struct Execution {
    pub year: i32,
    pub through: Period,
    /// The approved budget it is measured against (number), if any.
    pub budget_number: Option<i32>,
    /// Per book: (its budget, its group's budget).
    pub budget: BTreeMap<RegionCode, (Statement, Option<Statement>)>,
    /// The ledger's figures.
    pub actual: FinalAccounts,
    /// Per book: benefit payments pending at the month's end (approved, not yet paid).
    pub commitments: BTreeMap<RegionCode, Fen>,
}

/// The execution of `year` through `through` (December when None).
pub fn execution(db: &mut Db, year: i32, through: Option<Period>) -> Result<Execution> {
    let through = match through {
        Some(p) => p,
        None => Period::new(year, 12)?,
    };
    let actual = final_accounts::compute_through(db, year, through)?;
    let approved = tongchou_store::budget::budgets(db, year)?
        .into_iter()
        .rev()
        .find(|b| b.stage == "approved");
    let (budget_number, budget) = match approved {
        Some(b) => {
            let v = budget::show(db, year, Some(b.number))?;
            (Some(b.number), budget::statements(&v.amounts())?)
        }
        None => (None, BTreeMap::new()),
    };
    let chart = Chart::standard();
    let items = Items::standard();
    let mut commitments: BTreeMap<RegionCode, Fen> = BTreeMap::new();
    for (id, b) in Ledger::new(db).balances_at(through.last_day())? {
        let (Some(region), Some(kind)) = (id.region(), chart.kind_of(id)) else {
            continue;
        };
        let external = items
            .index_of_kind(&kind.key)
            .is_some_and(|i| items.items[i].role.is_none());
        if kind.class == Class::Expenditure && external && b.debits_pending.is_positive() {
            let e = commitments.entry(region).or_default();
            *e = e.try_add(b.debits_pending)?;
        }
    }
    Ok(Execution {
        year,
        through,
        budget_number,
        budget,
        actual,
        commitments,
    })
}

/// `executed / budget` as a percentage with one decimal, or "—" without a budget.
pub fn rate(actual: Fen, budget: Fen) -> String {
    if !budget.is_positive() {
        return "—".into();
    }
    let permille = (actual.fen() as i128 * 1000 + budget.fen() as i128 / 2) / budget.fen() as i128;
    format!("{}.{}%", permille / 10, (permille % 10).abs())
}

/// What is left of a book's approved expenditure budget (its group's, for a city or the
/// province) before a month's fund-use plan is paid: the budget's expenditure on the items paid
/// outside the fund (transfers between levels excluded), less what the ledger has posted from
/// January through the month before, less the commitments (payments issued, not yet paid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Headroom {
    pub budget_number: i32,
    pub budget: Fen,
    pub executed: Fen,
    pub committed: Fen,
    /// budget − executed − committed (negative: already over).
    pub remaining: Fen,
}

fn external_expenditure(s: &Statement) -> Result<Fen> {
    let items = Items::standard();
    Ok(Fen::try_sum(
        items
            .side(Side::Expenditure)
            .filter(|(_, it)| it.role.is_none())
            .map(|(i, _)| s.amounts[i]),
    )?)
}

/// The headroom of `region`'s approved expenditure budget before `month` is paid; None when the
/// year has no approved budget.
pub fn headroom(db: &mut Db, month: Period, region: RegionCode) -> Result<Option<Headroom>> {
    let through = if month.month() == 1 {
        month
    } else {
        month.add_months(-1)
    };
    let ex = execution(db, month.year(), Some(through))?;
    let Some(budget_number) = ex.budget_number else {
        return Ok(None);
    };
    let Some((own, group)) = ex.budget.get(&region) else {
        return Ok(None);
    };
    let Some(book) = ex.actual.books.iter().find(|b| b.region == region) else {
        return Ok(None);
    };
    let budget = external_expenditure(group.as_ref().unwrap_or(own))?;
    let executed = if month.month() == 1 {
        Fen::ZERO
    } else {
        external_expenditure(book.consolidated.as_ref().unwrap_or(&book.own))?
    };
    let committed = ex.commitments_within(region)?;
    let remaining = budget.try_sub(executed)?.try_sub(committed)?;
    Ok(Some(Headroom {
        budget_number,
        budget,
        executed,
        committed,
        remaining,
    }))
}

/// One item of a region's budget beside its execution to date (the items between levels left
/// out): a county's own book, a city's or the province's group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemExecution {
    pub region: RegionCode,
    pub level: Level,
    /// The item's key (data/budget-items.toml) and Chinese row label.
    pub key: String,
    pub name: String,
    pub side: Side,
    /// The annual budget and what the ledger executed from January through the month.
    pub budget: Fen,
    pub executed: Fen,
}

impl Execution {
    /// Every region's items, budget beside execution (empty without an approved budget).
    pub fn items(&self) -> Vec<ItemExecution> {
        let items = Items::standard();
        let mut out = Vec::new();
        for book in &self.actual.books {
            let Some((own, group)) = self.budget.get(&book.region) else {
                continue;
            };
            let b = group.as_ref().unwrap_or(own);
            let a = book.consolidated.as_ref().unwrap_or(&book.own);
            for (i, it) in items.items.iter().enumerate() {
                if it.role.is_some() {
                    continue;
                }
                out.push(ItemExecution {
                    region: book.region,
                    level: book.level,
                    key: it.key.clone(),
                    name: it.name.clone(),
                    side: it.side,
                    budget: b.amounts.get(i).copied().unwrap_or_default(),
                    executed: a.amounts.get(i).copied().unwrap_or_default(),
                });
            }
        }
        out
    }

    /// The commitments of a book's group (`region` and every book within it).
    pub fn commitments_within(&self, region: RegionCode) -> Result<Fen> {
        let d = Divisions::shanxi();
        Ok(Fen::try_sum(
            self.commitments
                .iter()
                .filter(|(r, _)| d.within(**r, region))
                .map(|(_, f)| *f),
        )?)
    }

    fn side_json(&self, b: Option<&Statement>, a: &Statement, side: Side) -> Json {
        let items = Items::standard();
        let mut m = Map::new();
        for (i, it) in items.side(side) {
            if it.role.is_some() {
                continue;
            }
            let budget = b.map(|s| s.amounts[i]).unwrap_or(Fen::ZERO);
            m.insert(
                it.name.clone(),
                json!({
                    "budget": budget.to_string(),
                    "actual": a.amounts[i].to_string(),
                    "rate": rate(a.amounts[i], budget),
                }),
            );
        }
        Json::Object(m)
    }

    /// The JSON within `region`: per book its group's (or, for a county, its own) budget and
    /// execution by item, and the commitments.
    pub fn json(&self, region: RegionCode) -> Result<Json> {
        let mut regions = Vec::new();
        for book in self.actual.within(region) {
            let a = book.consolidated.as_ref().unwrap_or(&book.own);
            let b = self
                .budget
                .get(&book.region)
                .map(|(own, group)| group.as_ref().unwrap_or(own));
            regions.push(json!({
                "region": book.region.to_string(),
                "name": book.name,
                "level": book.level.as_str(),
                "income": self.side_json(b, a, Side::Income),
                "expenditure": self.side_json(b, a, Side::Expenditure),
                "commitments": self.commitments_within(book.region)?.to_string(),
            }));
        }
        Ok(json!({
            "report": "budget_execution",
            "year": self.year,
            "through": self.through.to_string(),
            "budget_number": self.budget_number,
            "regions": regions,
        }))
    }

    /// The columns of the table for `region`: its group's budget and execution, then each group
    /// (or county) directly below, executed.
    pub fn columns(&self, region: RegionCode, all: bool) -> Vec<(String, Statement)> {
        let mut cols = Vec::new();
        for book in self.actual.within(region) {
            let head = book.region == region;
            let a = book.consolidated.as_ref().unwrap_or(&book.own);
            if head {
                if let Some((own, group)) = self.budget.get(&book.region) {
                    cols.push((
                        tr!("budget-col-budget", book = book.name),
                        group.as_ref().unwrap_or(own).clone(),
                    ));
                }
                cols.push((tr!("budget-col-actual", book = book.name), a.clone()));
                continue;
            }
            let direct = match level_of(region) {
                Level::Province => book.level == Level::City,
                Level::City => book.level == Level::County,
                Level::County => false,
            };
            if all || direct {
                if all && let Some((own, group)) = self.budget.get(&book.region) {
                    cols.push((
                        tr!("budget-col-budget", book = book.name),
                        group.as_ref().unwrap_or(own).clone(),
                    ));
                }
                cols.push((tr!("budget-col-actual", book = book.name), a.clone()));
            }
        }
        cols
    }

    pub fn title(&self) -> String {
        tr!(
            "budget-ex-title",
            year = self.year,
            through = self.through,
            against = against(self.budget_number)
        )
    }
}

/// The budget a table is measured against (`budget_number`: the approved one, an adjustment, or
/// none yet), in the current language.
pub fn against(budget_number: Option<i32>) -> String {
    match budget_number {
        Some(0) => tr!("budget-ex-approved"),
        Some(n) => tr!("budget-ex-adjusted", n = n),
        None => tr!("budget-ex-none"),
    }
}
