//! The year's final accounts (决算) from the ledger: every book (the province, each city, each
//! county: 本级) and every city and the province consolidated (汇总, transfers between levels
//! inside the group eliminated), by the budget items of `data/budget-items.toml`
//! (`tongchou_core::items`). Every figure is a sum of posted ledger movements: the opening is the
//! fund's balance at the end of the year before, so the closing of one year is the opening of the
//! next (unless an opening balance is registered directly during a year: it is part of that
//! year's opening, shown as `adjustment`), and `opening + income − expenditure = closing` holds
//! to the fen by construction. The accounts are a draft (草案) until the province has closed the
//! year (`close`), final after.
//!
//! Renderings: JSON (per region `region`, `opening`, `income` {item name → yuan string},
//! `expenditure` {…}, `closing`, and `consolidated` for cities and the province), a text table
//! and an XLSX workbook in the familiar layout (rows of items, columns of regions).

use crate::error::{AppError, Result};
use crate::reports::sheet::width;
use crate::reports::xlsx::{self, XCell};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use tongchou_core::i18n::{self, Lang, word};
use tongchou_core::items::{Items, Movement, Side, Statement};
use tongchou_core::region::Level;
use tongchou_core::{Date, Divisions, Fen, Period, RegionCode, tr};
use tongchou_ledger::Chart;
use tongchou_ledger::chart::{AccountId, level_of};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

/// One book's year, and its group's when it heads one (a city, the province).
#[derive(Clone, Debug)]
pub struct Book {
    pub region: RegionCode,
    pub name: String,
    pub level: Level,
    pub own: Statement,
    pub consolidated: Option<Statement>,
}

/// The final accounts of a year.
#[derive(Clone, Debug)]
pub struct FinalAccounts {
    pub year: i32,
    /// Whether the province has closed the year (final) or not (draft).
    pub closed: bool,
    /// The province, then each city followed by its counties.
    pub books: Vec<Book>,
}

type ByBook = HashMap<RegionCode, Vec<(&'static str, Movement)>>;

/// Posted movements per book and account kind over a span.
fn by_book(m: BTreeMap<AccountId, (Fen, Fen)>) -> ByBook {
    let chart = Chart::standard();
    let mut out: ByBook = HashMap::new();
    for (id, (debits, credits)) in m {
        let (Some(region), Some(kind)) = (id.region(), chart.kind_of(id)) else {
            continue;
        };
        out.entry(region)
            .or_default()
            .push((kind.key.as_str(), Movement { debits, credits }));
    }
    out
}

fn year_start(year: i32) -> Result<Date> {
    Ok(Period::new(year, 1)?.first_day())
}

/// The books in table order: the province, then each city followed by its counties.
pub fn ordered_books() -> Vec<RegionCode> {
    let mut all: Vec<RegionCode> = crate::close::books().into_iter().collect();
    all.sort_by_key(|&r| {
        (
            r.prefecture() != r.province(),
            r.prefecture(),
            level_of(r),
            r,
        )
    });
    all
}

/// The final accounts of `year`, from the ledger.
pub fn compute(db: &mut Db, year: i32) -> Result<FinalAccounts> {
    compute_through(db, year, Period::new(year, 12)?)
}

/// The year's accounts from January 1 through the end of `through` (a month of the year): the
/// final accounts with December, the execution to date with any earlier month.
pub fn compute_through(db: &mut Db, year: i32, through: Period) -> Result<FinalAccounts> {
    if through.year() != year {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-rep-month",
            month = through,
            year = year
        )));
    }
    let items = Items::standard();
    let start = year_start(year)?;
    let end = through.last_day();
    let mut ledger = Ledger::new(db);
    let before = by_book(ledger.posted_movements(None, start.add_days(-1))?);
    let during = by_book(ledger.posted_movements(Some(start), end)?);
    let d = Divisions::shanxi();
    let order = ordered_books();
    let mut own: HashMap<RegionCode, Statement> = HashMap::new();
    for &r in &order {
        let s = items.statement(
            before.get(&r).into_iter().flatten().copied(),
            during.get(&r).into_iter().flatten().copied(),
        )?;
        own.insert(r, s);
    }
    let mut books = Vec::with_capacity(order.len());
    for &r in &order {
        let level = level_of(r);
        let consolidated = match level {
            Level::County => None,
            _ => {
                let parts: Vec<&Statement> = order
                    .iter()
                    .filter(|&&b| d.within(b, r))
                    .filter_map(|b| own.get(b))
                    .collect();
                Some(items.consolidate(&parts)?)
            }
        };
        let Some(s) = own.remove(&r) else {
            return Err(AppError::Invalid(tongchou_core::tr!(
                "app-rep-book",
                region = r
            )));
        };
        books.push(Book {
            region: r,
            name: d.get(r).map(|x| x.name.clone()).unwrap_or_default(),
            level,
            own: s,
            consolidated,
        });
    }
    let province = d.province().code;
    let closed = tongchou_store::closing::closed_through(db, province)?
        .is_some_and(|p| p >= Period::new(year, 12).unwrap_or(p));
    Ok(FinalAccounts {
        year,
        closed,
        books,
    })
}

/// A statement as JSON: the items by Chinese name, amounts as yuan strings.
pub fn statement_json(s: &Statement) -> Result<Json> {
    let items = Items::standard();
    let side = |side: Side| -> Json {
        let mut m = Map::new();
        for (i, it) in items.side(side) {
            m.insert(it.name.clone(), Json::String(s.amounts[i].to_string()));
        }
        Json::Object(m)
    };
    Ok(json!({
        "opening": s.opening.to_string(),
        "income": side(Side::Income),
        "expenditure": side(Side::Expenditure),
        "income_total": items.income_total(s)?.to_string(),
        "expenditure_total": items.expenditure_total(s)?.to_string(),
        "surplus": items.surplus(s)?.to_string(),
        "adjustment": s.adjustment.to_string(),
        "closing": s.closing.to_string(),
    }))
}

impl FinalAccounts {
    /// The books within `region` (all for the province).
    pub fn within(&self, region: RegionCode) -> impl Iterator<Item = &Book> {
        let d = Divisions::shanxi();
        self.books
            .iter()
            .filter(move |b| d.within(b.region, region))
    }

    /// The JSON of the books within `region`.
    pub fn json(&self, region: RegionCode) -> Result<Json> {
        let mut regions = Vec::new();
        for b in self.within(region) {
            let mut o = statement_json(&b.own)?;
            if let Json::Object(m) = &mut o {
                m.insert("region".into(), Json::String(b.region.to_string()));
                m.insert("name".into(), Json::String(b.name.clone()));
                m.insert("level".into(), Json::String(b.level.as_str().into()));
                if let Some(c) = &b.consolidated {
                    m.insert("consolidated".into(), statement_json(c)?);
                }
            }
            regions.push(o);
        }
        Ok(json!({
            "report": "final_accounts",
            "year": self.year,
            "status": if self.closed { "final" } else { "draft" },
            "regions": regions,
        }))
    }

    /// The columns of the familiar table within `region`: the group (汇总) and the book (本级)
    /// of the region, then for the province each city's group, for a city each county; with
    /// `all`, every book below too (the workbook).
    pub fn columns(&self, region: RegionCode, all: bool) -> Vec<(String, &Statement)> {
        let mut cols = Vec::new();
        for b in self.within(region) {
            let head = b.region == region;
            match (&b.consolidated, head) {
                (Some(c), true) => {
                    cols.push((tr!("app-fa-group", name = b.name), c));
                    cols.push((tr!("app-fa-own", name = b.name), &b.own));
                }
                (None, true) => cols.push((b.name.clone(), &b.own)),
                (Some(c), false) => {
                    cols.push((tr!("app-fa-group", name = b.name), c));
                    if all {
                        cols.push((tr!("app-fa-own", name = b.name), &b.own));
                    }
                }
                (None, false) => {
                    let direct = level_of(region) == Level::City;
                    if all || direct {
                        cols.push((b.name.clone(), &b.own));
                    }
                }
            }
        }
        cols
    }

    pub fn title(&self) -> String {
        let state = if self.closed {
            word("app-fa-closed")
        } else {
            word("app-fa-draft")
        };
        tr!("app-fa-title", year = self.year, state = state)
    }
}

/// A row of the budget and final-accounts tables (an item's or a derived row's Chinese name,
/// as `data/budget-items.toml` writes it) in the current language: an item's English name from
/// the standard table, a derived row's from the catalogue (`budget-l-*`); any other text as it is.
pub fn row_label(name: &str) -> String {
    let lang = i18n::current();
    if lang == Lang::ZhCn {
        return name.to_string();
    }
    Items::standard()
        .items
        .iter()
        .find(|i| i.name == name)
        .map(|i| i.name_en.clone())
        .or_else(|| i18n::from_zh(lang, name).map(str::to_string))
        .unwrap_or_else(|| name.to_string())
}

/// A figure of a statement.
type Total<'a> = &'a dyn Fn(&Statement) -> Result<Fen>;

/// Rows of items (with the derived rows, labelled in the current language: [`row_label`]),
/// columns of statements: the cells.
pub fn matrix(cols: &[(String, &Statement)]) -> Result<Vec<(String, Vec<Fen>)>> {
    let items = Items::standard();
    let l = &items.labels;
    let mut rows: Vec<(String, Vec<Fen>)> = Vec::new();
    let each = |f: &dyn Fn(&Statement) -> Result<Fen>| -> Result<Vec<Fen>> {
        cols.iter().map(|(_, s)| f(s)).collect()
    };
    rows.push((row_label(&l.opening), each(&|s| Ok(s.opening))?));
    if cols.iter().any(|(_, s)| !s.adjustment.is_zero()) {
        rows.push((row_label(&l.adjustment), each(&|s| Ok(s.adjustment))?));
    }
    for side in [Side::Income, Side::Expenditure] {
        for (i, it) in items.side(side) {
            rows.push((row_label(&it.name), each(&|s| Ok(s.amounts[i]))?));
        }
        let (label, total): (&str, Total<'_>) = match side {
            Side::Income => (&l.income_total, &|s| Ok(items.income_total(s)?)),
            Side::Expenditure => (&l.expenditure_total, &|s| Ok(items.expenditure_total(s)?)),
        };
        rows.push((row_label(label), each(total)?));
    }
    rows.push((row_label(&l.surplus), each(&|s| Ok(items.surplus(s)?))?));
    rows.push((row_label(&l.closing), each(&|s| Ok(s.closing))?));
    Ok(rows)
}

/// An aligned text table: item labels down, columns across, amounts grouped.
pub fn text_table(title: &str, cols: &[(String, &Statement)]) -> Result<String> {
    let rows = matrix(cols)?;
    let head = word("budget-item").to_string();
    let mut w = vec![
        rows.iter()
            .map(|(l, _)| width(l))
            .max()
            .unwrap_or(0)
            .max(width(&head)),
    ];
    for (i, (c, _)) in cols.iter().enumerate() {
        let cell = rows
            .iter()
            .map(|(_, v)| width(&v[i].grouped()))
            .max()
            .unwrap_or(0);
        w.push(cell.max(width(c)));
    }
    let pad = |s: &str, n: usize, right: bool| {
        let p = " ".repeat(n.saturating_sub(width(s)));
        if right {
            format!("{p}{s}")
        } else {
            format!("{s}{p}")
        }
    };
    let mut out = format!("{title}\n");
    let mut line = pad(&head, w[0], false);
    for (i, (c, _)) in cols.iter().enumerate() {
        line.push_str("  ");
        line.push_str(&pad(c, w[i + 1], true));
    }
    out.push_str(line.trim_end());
    out.push('\n');
    for (label, vals) in &rows {
        let mut line = pad(label, w[0], false);
        for (i, v) in vals.iter().enumerate() {
            line.push_str("  ");
            line.push_str(&pad(&v.grouped(), w[i + 1], true));
        }
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The workbook: the title, a blank row, the column labels, one row per item.
pub fn workbook(title: &str, sheet: &str, cols: &[(String, &Statement)]) -> Result<Vec<u8>> {
    let rows = matrix(cols)?;
    let mut out: Vec<Vec<XCell>> = vec![vec![XCell::Heading(title.to_string())], vec![]];
    out.push(
        std::iter::once(XCell::Heading(word("budget-item").into()))
            .chain(cols.iter().map(|(c, _)| XCell::Heading(c.clone())))
            .collect(),
    );
    for (label, vals) in rows {
        out.push(
            std::iter::once(XCell::Text(label))
                .chain(vals.into_iter().map(XCell::Money))
                .collect(),
        );
    }
    xlsx::workbook(sheet, &out)
        .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-xlsx", error = e)))
}
