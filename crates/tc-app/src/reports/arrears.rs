//! The open arrears by county or by employer, with the late fee accrued until a given day.

use super::sheet::{Cell, Col, Sheet};
use super::{name_of, scope};
use crate::Result;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use tongchou_core::rules::arrears::{Owed, accrued_fee};
use tongchou_core::{Date, Divisions, Fen, Period, Policy, RegionCode};
use tongchou_store::{Db, reports};

/// One line per county, or per employer (flexibly employed persons per county).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    County,
    Employer,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::County => "county",
            By::Employer => "employer",
        }
    }
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

/// The open arrears within `region` (the province by default), with the late fees accrued
/// until the end of `as_of`.
pub fn arrears(db: &mut Db, region: Option<RegionCode>, by: By, as_of: Date) -> Result<Sheet> {
    let (d, region, _) = scope(region)?;
    let lines = arrears_lines(db, by, d, region, as_of)?;
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
        let mut r = match by {
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
    let mut t = vec![Cell::Text(tongchou_core::tr!("app-rep-total")), Cell::Empty];
    if by == By::Employer {
        t.push(Cell::Empty);
    }
    t.extend(figures(&total));
    let region_name = name_of(d, region.get() as i64);
    let by_word = by.as_str();
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-arrears-title",
            region_name = region_name,
            region = region,
            by = if by == By::Employer {
                tongchou_core::tr!("app-rep-by-employer")
            } else {
                tongchou_core::tr!("app-rep-by-county")
            },
            as_of = as_of
        ),
        name: tongchou_core::tr!("app-rep-arrears-sheet", as_of = as_of),
        meta: vec![
            ("report", json!("arrears")),
            ("region", json!(region.get())),
            ("region_name", json!(region_name)),
            ("by", json!(by_word)),
            ("as_of", json!(as_of.to_string())),
        ],
        cols: arrears_cols(by),
        rows: out,
        total: Some(t),
        extras: vec![],
    })
}

/// The open arrears within `region`, one line per county or per employer (flexibly employed
/// persons per county), with the late fee accrued until `as_of`, in the report's order.
fn arrears_lines(
    db: &mut Db,
    by: By,
    d: &Divisions,
    region: RegionCode,
    as_of: Date,
) -> Result<Vec<ArrearsLine>> {
    let policy = Policy::builtin()?;
    let mut lines: HashMap<(i64, i64), ArrearsLine> = HashMap::new();
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
        let key = match by {
            By::County => (county, 0),
            // flexibly employed persons (no employer) are shown per county
            By::Employer if employer == 0 => (0, county),
            By::Employer => (employer, 0),
        };
        let l = lines.entry(key).or_insert_with(|| ArrearsLine {
            county,
            ..ArrearsLine::default()
        });
        if l.items == 0 {
            match by {
                By::County => {
                    l.code = county.to_string();
                    l.name = name_of(d, county);
                }
                By::Employer if employer == 0 => {
                    l.name = tongchou_core::tr!("app-rep-flexible");
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
    let mut lines: Vec<ArrearsLine> = lines.into_values().collect();
    match by {
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
        By::County => vec![Col::new("county", "county"), Col::new("name", "name")],
        By::Employer => vec![
            Col::new("credit_code", "employer"),
            Col::new("name", "name"),
            Col::new("county", "county"),
        ],
    };
    cols.extend([
        Col::new("persons", "persons"),
        Col::new("months", "months"),
        Col::new("outstanding", "outstanding"),
        Col::new("late_fee_accrued", "late fee accrued"),
        Col::new("oldest_period", "oldest"),
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
