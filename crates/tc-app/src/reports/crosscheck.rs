//! The cross-check report: the findings (数据比对) by county, from the stored results of
//! `tongchou crosscheck run` and of recomputations: deaths of pensioners and of insured persons,
//! death settlements, pension paid after death, duplicate receipt, corrections to recover, and
//! the recovery cases still open.

use super::name_of;
use super::sheet::{Cell, Col, Extra, Sheet};
use crate::Result;
use crate::benefits::deaths::{self, CountyFindings};
use serde_json::json;
use tongchou_core::Divisions;
use tongchou_store::Db;

const COLS: [Col; 14] = [
    Col {
        key: "county",
        label: "区县代码 county",
    },
    Col {
        key: "county_name",
        label: "区县 name",
    },
    Col {
        key: "deaths_pensioners",
        label: "离退休死亡 pensioner deaths",
    },
    Col {
        key: "deaths_insured",
        label: "参保人死亡 insured deaths",
    },
    Col {
        key: "settlements",
        label: "丧葬抚恤 settlements",
    },
    Col {
        key: "settlements_fen",
        label: "结算金额 settled",
    },
    Col {
        key: "paid_after_death_cases",
        label: "死亡后发放 paid after death",
    },
    Col {
        key: "paid_after_death",
        label: "死亡后金额 amount",
    },
    Col {
        key: "duplicate_cases",
        label: "重复领取 duplicate receipt",
    },
    Col {
        key: "duplicates",
        label: "重复金额 amount",
    },
    Col {
        key: "correction_cases",
        label: "重算多发 corrections",
    },
    Col {
        key: "corrections",
        label: "重算金额 amount",
    },
    Col {
        key: "open_cases",
        label: "待追回 open cases",
    },
    Col {
        key: "open",
        label: "待追回金额 to recover",
    },
];

fn cells(code: Cell, name: Cell, c: &CountyFindings) -> Vec<Cell> {
    vec![
        code,
        name,
        Cell::Int(c.deaths_pensioners),
        Cell::Int(c.deaths_insured),
        Cell::Int(c.settlements),
        Cell::Money(c.settlements_fen),
        Cell::Int(c.paid_after_death_cases),
        Cell::Money(c.paid_after_death_fen),
        Cell::Int(c.duplicate_cases),
        Cell::Money(c.duplicate_fen),
        Cell::Int(c.correction_cases),
        Cell::Money(c.correction_fen),
        Cell::Int(c.open_cases),
        Cell::Money(c.open_fen),
    ]
}

/// The report as a sheet (table, JSON, CSV or XLSX).
pub fn crosscheck(db: &mut Db) -> Result<Sheet> {
    let r = deaths::report(db)?;
    let d = Divisions::shanxi();
    let rows = r
        .counties
        .iter()
        .map(|c| {
            cells(
                Cell::Text(c.county.to_string()),
                Cell::Text(name_of(d, c.county as i64)),
                c,
            )
        })
        .collect();
    Ok(Sheet {
        title: tongchou_core::tr!(
            "app-rep-crosscheck-title",
            records = r.death_records,
            unchecked = r.unchecked_death_records,
            unmatched = r.unmatched_death_records
        ),
        name: tongchou_core::tr!("app-rep-crosscheck-sheet"),
        meta: vec![("report", json!("crosscheck"))],
        cols: COLS.to_vec(),
        rows,
        total: Some(cells(
            Cell::Text(tongchou_core::tr!("app-rep-total")),
            Cell::Empty,
            &r.province,
        )),
        extras: vec![
            Extra {
                key: "death_records",
                label: "死亡信息 death records".into(),
                zh: "死亡信息".into(),
                value: Cell::Int(r.death_records),
            },
            Extra {
                key: "unchecked_death_records",
                label: "未比对 not yet checked".into(),
                zh: "未比对".into(),
                value: Cell::Int(r.unchecked_death_records),
            },
            Extra {
                key: "unmatched_death_records",
                label: "未匹配 matching nobody".into(),
                zh: "未匹配".into(),
                value: Cell::Int(r.unmatched_death_records),
            },
        ],
    })
}
