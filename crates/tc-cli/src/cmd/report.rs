//! `tongchou report …`: reports read from the stored results of the monthly jobs and the ledger.
//!
//! - `report collection --period M`: per city (per county inside a city or county given with
//!   `--region`): insured persons on the register at the end of M, contributors assessed for M,
//!   the amount assessed, collected by the collection run of M (oldest period first, so it may
//!   settle earlier months) and the late fees paid with it, the arrears outstanding when M was
//!   closed, and what each county's book remitted to the province for M (the ledger's debits to
//!   its 上解上级支出 account under M's collection transfers); and the balance of the provincial
//!   fiscal special account at the end of M's close date.
//! - `report arrears`: the open arrears now, by county or by employer, with the late fee accrued
//!   on what is outstanding until `--as-of` (default today).
//!
//! - `report crosscheck`: the cross-check findings by county (see `report/crosscheck.rs`).
//!
//! Formats: an aligned table (default), JSON, CSV (UTF-8 with a header line) or XLSX.

mod crosscheck;
mod disbursement;
mod sheet;
mod xlsx;

use crate::output::{CliError, CliResult};
use serde_json::{Value as Json, json};
use sheet::{Cell, Col, Extra, Sheet};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::collect;
use tongchou_core::rules::arrears::{Owed, accrued_fee};
use tongchou_core::{Date, Divisions, Fen, Level, Period, Policy, RegionCode};
use tongchou_ledger::Chart;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, reports};

#[derive(clap::Subcommand)]
pub enum ReportCmd {
    /// A month's collection per city (per county with --region CITY or COUNTY): insured,
    /// contributors, assessed, collected, late fees, arrears outstanding, remitted to the
    /// province; and the provincial fiscal special account balance.
    Collection(CollectionArgs),
    /// Open arrears by county or employer, with the late fee accrued until --as-of.
    Arrears(ArrearsArgs),
    /// Cross-check findings by county: deaths, settlements, pension paid after death, duplicate
    /// receipt, corrections, recovery cases open (`tongchou crosscheck run` finds them).
    Crosscheck(crosscheck::CrosscheckArgs),
    /// A month's disbursement per city: planned, approved, allocated (days late), issued, paid,
    /// returned, pending; the provincial balance and months payable.
    Disbursement(disbursement::DisbursementArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(clap::Args)]
pub struct OutArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct CollectionArgs {
    /// The month, YYYY-MM (its collection must have been run).
    #[arg(long)]
    pub period: Period,
    /// The province (default), a city or a county (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    County,
    Employer,
}

#[derive(clap::Args)]
pub struct ArrearsArgs {
    /// The province (default), a city or a county (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[arg(long, value_enum, default_value_t = By::County)]
    pub by: By,
    /// Late fees accrue until the end of this day (default: today in China).
    #[arg(long)]
    pub as_of: Option<Date>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(c: ReportCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let (sheet, out) = match c {
        ReportCmd::Collection(a) => (collection(&mut db, &a)?, a.out),
        ReportCmd::Arrears(a) => (arrears(&mut db, &a)?, a.out),
        ReportCmd::Crosscheck(a) => (crosscheck::sheet(&mut db)?, a.out),
        ReportCmd::Disbursement(a) => (disbursement::sheet(&mut db, &a)?, a.out),
    };
    emit(&sheet, &out)?;
    Ok(ExitCode::SUCCESS)
}

fn emit(sheet: &Sheet, out: &OutArgs) -> Result<(), CliError> {
    let bytes = match out.format {
        Format::Table => sheet.table().into_bytes(),
        Format::Csv => sheet.csv().into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&sheet.json())
                .map_err(|e| CliError(format!("json: {e}")))?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Xlsx => {
            if out.output.is_none() && std::io::stdout().is_terminal() {
                return Err(CliError(
                    "--format xlsx: give --output FILE (or redirect standard output)".into(),
                ));
            }
            sheet
                .xlsx()
                .map_err(|e| CliError(format!("--format xlsx: {e}")))?
        }
    };
    match &out.output {
        Some(p) => std::fs::write(p, &bytes)
            .map_err(|e| CliError(format!("--output {}: {e}", p.display()))),
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(&bytes)
                .and_then(|_| o.flush())
                .map_err(|e| CliError(format!("standard output: {e}")))
        }
    }
}

/// The region asked for, checked against the divisions.
fn scope(region: Option<RegionCode>) -> Result<(&'static Divisions, RegionCode, Level), CliError> {
    let d = Divisions::shanxi();
    let code = region.unwrap_or(d.province().code);
    let Some(r) = d.get(code) else {
        return Err(CliError(format!(
            "--region: {code} is not a region of {} (expected the province, a city or a county)",
            d.province().name
        )));
    };
    Ok((d, code, r.level))
}

fn name_of(d: &Divisions, code: i64) -> String {
    RegionCode::from_stored(code)
        .and_then(|c| d.get(c))
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

/// The row a county's figures go to: its city in a provincial report, itself below a city.
fn row_of(d: &Divisions, county: i64, region: RegionCode, level: Level) -> Option<i64> {
    let code = RegionCode::new(u32::try_from(county).ok()?).ok()?;
    if !d.within(code, region) {
        return None;
    }
    match level {
        Level::Province => Some(
            d.city_of(code)
                .map(|c| c.get() as i64)
                .unwrap_or(county / 100 * 100),
        ),
        Level::City | Level::County => Some(county),
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct CollectionLine {
    insured: i64,
    contributors: i64,
    assessed: i64,
    collected: i64,
    late_fees: i64,
    arrears: i64,
    remitted: i64,
}

impl CollectionLine {
    fn add(&mut self, o: &CollectionLine) {
        self.insured += o.insured;
        self.contributors += o.contributors;
        self.assessed += o.assessed;
        self.collected += o.collected;
        self.late_fees += o.late_fees;
        self.arrears += o.arrears;
        self.remitted += o.remitted;
    }
    fn cells(&self) -> [Cell; 7] {
        [
            Cell::Int(self.insured),
            Cell::Int(self.contributors),
            Cell::Money(Fen::new(self.assessed)),
            Cell::Money(Fen::new(self.collected)),
            Cell::Money(Fen::new(self.late_fees)),
            Cell::Money(Fen::new(self.arrears)),
            Cell::Money(Fen::new(self.remitted)),
        ]
    }
}

fn engine(e: tongchou_app::AppError) -> CliError {
    CliError(e.to_string())
}

/// Per county code: what the stored results of the collection of `period` say.
fn collection_by_county(
    db: &mut Db,
    policy: &Policy,
    period: Period,
) -> Result<(BTreeMap<i64, CollectionLine>, Date, Fen), CliError> {
    let details = tongchou_app::jobs::details(db, collect::JOB, period, collect::STEP_CLOSE)
        .map_err(engine)?
        .ok_or_else(|| {
            CliError(format!(
                "--period: the collection of {period} has not been run (tongchou month run --period {period})"
            ))
        })?;
    let close = collect::close_date(policy, period).map_err(engine)?;
    let mut by: BTreeMap<i64, CollectionLine> = BTreeMap::new();

    for (county, n) in reports::insured_by_county(db, period.last_day())? {
        by.entry(county).or_default().insured = n;
    }
    for (county, n, assessed) in reports::assessed_by_county(db, period)? {
        let l = by.entry(county).or_default();
        l.contributors = n;
        l.assessed = assessed.fen();
    }
    for (county, collected, late_fees) in reports::collected_by_county(db, period)? {
        let l = by.entry(county).or_default();
        l.collected = collected.fen();
        l.late_fees = late_fees.fen();
    }
    // arrears outstanding when the month was closed, as the run recorded them per county
    if let Some(counties) = details.get("counties").and_then(Json::as_array) {
        for c in counties {
            let county = c.get("county").and_then(Json::as_i64);
            let arrears = c.get("arrears").and_then(Json::as_str);
            let (Some(county), Some(arrears)) = (county, arrears) else {
                return Err(CliError(format!(
                    "the recorded collection of {period} has a county line without county or arrears: {c}"
                )));
            };
            let f: Fen = arrears
                .parse()
                .map_err(|e| CliError(format!("recorded arrears of {county}: {e}")))?;
            by.entry(county).or_default().arrears = f.fen();
        }
    }
    // remitted: debits to a region's 上解上级支出 under the month's collection transfers
    let chart = Chart::standard();
    for (id, amount) in reports::collection_debits(db, period)? {
        if chart
            .kind_of(id)
            .is_some_and(|k| k.key == "remittance_to_higher")
            && let Some(region) = id.region()
        {
            by.entry(region.get() as i64).or_default().remitted += amount;
        }
    }
    // the provincial fiscal special account at the end of the close date
    let province = Divisions::shanxi().province().code;
    let fiscal = chart
        .account(province, "fiscal_special_account")
        .ok_or_else(|| CliError("the chart has no provincial fiscal special account".into()))?;
    let side = chart
        .kind_of(fiscal)
        .map(|k| k.class.normal())
        .ok_or_else(|| CliError("the fiscal special account has no kind".into()))?;
    let balance = Ledger::new(db)
        .balances_at(close)?
        .get(&fiscal)
        .map(|b| b.posted_on(side))
        .unwrap_or(0);
    Ok((by, close, Fen::new(balance)))
}

fn collection(db: &mut Db, a: &CollectionArgs) -> Result<Sheet, CliError> {
    let policy = Policy::builtin()?;
    let (d, region, level) = scope(a.region)?;
    let (by_county, close, balance) = collection_by_county(db, &policy, a.period)?;
    let mut rows: BTreeMap<i64, CollectionLine> = BTreeMap::new();
    match level {
        Level::Province => {
            for c in d.cities() {
                rows.insert(c.code.get() as i64, CollectionLine::default());
            }
        }
        Level::City => {
            for c in d.counties_of(region) {
                rows.insert(c.code.get() as i64, CollectionLine::default());
            }
        }
        Level::County => {
            rows.insert(region.get() as i64, CollectionLine::default());
        }
    }
    for (county, line) in &by_county {
        if let Some(k) = row_of(d, *county, region, level) {
            rows.entry(k).or_default().add(line);
        }
    }
    let mut total = CollectionLine::default();
    let mut out = Vec::with_capacity(rows.len());
    for (code, line) in &rows {
        total.add(line);
        let mut r = vec![Cell::Text(code.to_string()), Cell::Text(name_of(d, *code))];
        r.extend(line.cells());
        out.push(r);
    }
    let mut t = vec![Cell::Text("total".into()), Cell::Empty];
    t.extend(total.cells());
    let unit = if level == Level::Province {
        "city"
    } else {
        "county"
    };
    let region_name = name_of(d, region.get() as i64);
    Ok(Sheet {
        title: format!(
            "Collection of {} (closed {close}), {region_name} ({region}) by {unit}",
            a.period
        ),
        name: format!("collection {}", a.period),
        meta: vec![
            ("report", json!("collection")),
            ("period", json!(a.period.to_string())),
            ("region", json!(region.get())),
            ("region_name", json!(region_name)),
            ("close_date", json!(close.to_string())),
        ],
        cols: vec![
            Col {
                key: "region",
                label: unit,
            },
            Col {
                key: "name",
                label: "name",
            },
            Col {
                key: "insured",
                label: "insured",
            },
            Col {
                key: "contributors",
                label: "contributors",
            },
            Col {
                key: "assessed",
                label: "assessed",
            },
            Col {
                key: "collected",
                label: "collected",
            },
            Col {
                key: "late_fees",
                label: "late fees",
            },
            Col {
                key: "arrears",
                label: "arrears",
            },
            Col {
                key: "remitted",
                label: "remitted",
            },
        ],
        rows: out,
        total: Some(t),
        extras: vec![Extra {
            key: "fiscal_special_account",
            label: format!("provincial fiscal special account at the end of {close}"),
            value: Cell::Money(balance),
        }],
    })
}

#[derive(Clone, Debug, Default)]
struct ArrearsLine {
    code: String,
    name: String,
    county: i64,
    persons: BTreeSet<i64>,
    items: i64,
    outstanding: i64,
    fee: i64,
    oldest: Option<Period>,
}

fn arrears(db: &mut Db, a: &ArrearsArgs) -> Result<Sheet, CliError> {
    let (d, region, _) = scope(a.region)?;
    let as_of = a.as_of.unwrap_or_else(tongchou_app::clock::today_china);
    let lines = arrears_lines(db, a, d, region, as_of)?;
    let mut total = ArrearsLine::default();
    let mut out = Vec::with_capacity(lines.len());
    for l in &lines {
        total.persons.extend(l.persons.iter().copied());
        total.items += l.items;
        total.outstanding += l.outstanding;
        total.fee += l.fee;
        total.oldest = match (total.oldest, l.oldest) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        let mut r = match a.by {
            By::County => vec![Cell::Text(l.code.clone()), Cell::Text(l.name.clone())],
            By::Employer => vec![
                Cell::Text(l.code.clone()),
                Cell::Text(l.name.clone()),
                Cell::Text(l.county.to_string()),
            ],
        };
        r.extend(figures(l));
        out.push(r);
    }
    let mut t = vec![Cell::Text("total".into()), Cell::Empty];
    if a.by == By::Employer {
        t.push(Cell::Empty);
    }
    t.extend(figures(&total));
    let cols = arrears_cols(a.by);
    let region_name = name_of(d, region.get() as i64);
    let by_word = match a.by {
        By::County => "county",
        By::Employer => "employer",
    };
    Ok(Sheet {
        title: format!(
            "Open arrears of {region_name} ({region}) by {by_word}, late fees accrued to {as_of}"
        ),
        name: format!("arrears {as_of}"),
        meta: vec![
            ("report", json!("arrears")),
            ("region", json!(region.get())),
            ("region_name", json!(region_name)),
            ("by", json!(by_word)),
            ("as_of", json!(as_of.to_string())),
        ],
        cols,
        rows: out,
        total: Some(t),
        extras: vec![],
    })
}

/// The open arrears within `region`, one line per county or per employer (flexibly employed
/// persons per county), with the late fee accrued until `as_of`, in the report's order.
fn arrears_lines(
    db: &mut Db,
    a: &ArrearsArgs,
    d: &Divisions,
    region: RegionCode,
    as_of: Date,
) -> Result<Vec<ArrearsLine>, CliError> {
    let policy = Policy::builtin()?;
    let mut by: HashMap<(i64, i64), ArrearsLine> = HashMap::new();
    for r in reports::open_arrears(db)? {
        let county = r.county;
        let Some(code) = RegionCode::from_stored(county) else {
            continue;
        };
        if !d.within(code, region) {
            continue;
        }
        let (person, period, employer, due, outstanding) =
            (r.person, r.period, r.employer, r.due, r.outstanding);
        let fee = accrued_fee(
            &policy,
            &[Owed {
                period,
                due,
                outstanding,
            }],
            as_of,
        )?;
        let key = match a.by {
            By::County => (county, 0),
            // flexibly employed persons (no employer) are shown per county
            By::Employer if employer == 0 => (0, county),
            By::Employer => (employer, 0),
        };
        let l = by.entry(key).or_insert_with(|| ArrearsLine {
            county,
            ..ArrearsLine::default()
        });
        if l.items == 0 {
            match a.by {
                By::County => {
                    l.code = county.to_string();
                    l.name = name_of(d, county);
                }
                By::Employer if employer == 0 => {
                    l.name = "灵活就业人员 (flexible employment)".into();
                }
                By::Employer => {
                    l.code = r.credit_code.clone().unwrap_or_default();
                    l.name = r.employer_name.clone().unwrap_or_default();
                }
            }
        }
        l.persons.insert(person);
        l.items += 1;
        l.outstanding += outstanding.fen();
        l.fee += fee.fen();
        l.oldest = Some(l.oldest.map_or(period, |o| o.min(period)));
    }
    let mut lines: Vec<ArrearsLine> = by.into_values().collect();
    match a.by {
        By::County => lines.sort_by_key(|l| l.county),
        By::Employer => lines.sort_by(|x, y| {
            y.outstanding
                .cmp(&x.outstanding)
                .then_with(|| x.code.cmp(&y.code))
                .then_with(|| x.county.cmp(&y.county))
        }),
    }
    Ok(lines)
}

/// The columns of the arrears report by county or by employer.
fn arrears_cols(by: By) -> Vec<Col> {
    let mut cols = match by {
        By::County => vec![
            Col {
                key: "county",
                label: "county",
            },
            Col {
                key: "name",
                label: "name",
            },
        ],
        By::Employer => vec![
            Col {
                key: "credit_code",
                label: "employer",
            },
            Col {
                key: "name",
                label: "name",
            },
            Col {
                key: "county",
                label: "county",
            },
        ],
    };
    cols.extend([
        Col {
            key: "persons",
            label: "persons",
        },
        Col {
            key: "months",
            label: "months",
        },
        Col {
            key: "outstanding",
            label: "outstanding",
        },
        Col {
            key: "late_fee_accrued",
            label: "late fee accrued",
        },
        Col {
            key: "oldest_period",
            label: "oldest",
        },
    ]);
    cols
}

fn figures(l: &ArrearsLine) -> [Cell; 5] {
    [
        Cell::Int(l.persons.len() as i64),
        Cell::Int(l.items),
        Cell::Money(Fen::new(l.outstanding)),
        Cell::Money(Fen::new(l.fee)),
        l.oldest
            .map(|p| Cell::Text(p.to_string()))
            .unwrap_or(Cell::Empty),
    ]
}
