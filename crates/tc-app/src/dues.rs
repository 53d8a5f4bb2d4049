//! The outbound half of the exchange with the tax bureau: what each payer owes for a month
//! (应缴明细), from the month's assessments, in the file the bureau collects from. The inbound
//! half (the collection results) is an import kind (`tongchou_import::Kind::Collections`).
//!
//! Who may export: a user holding `contribution_read` and `person_read_full_id` (the tax bureau
//! collects by full ID number; the provincial bureau officer), for a region within theirs. The
//! file holds personal data, so every export is audited (`dues.export`, with the period, region
//! and row count); a refusal is audited too.
//!
//! The format (`docs/FORMATS.md`): CSV, UTF-8 with a byte-order mark (spreadsheets open it as
//! UTF-8), one header row of Chinese names, one row per payer, amounts in yuan with two decimals
//! and no grouping: 所属期, 区县代码, 统一社会信用代码, 单位名称, 公民身份号码, 姓名, 缴费人类型,
//! 申报工资, 缴费基数, 统筹基金部分, 个人账户部分, 应缴合计, 缴费截止日期.

use crate::error::{AppError, Result};
use crate::reports::sheet::defuse;
use std::io::Write;
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Divisions, Fen, Period, RegionCode};
use tongchou_store::Db;
use tongchou_store::access::{self, Target};
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::collection::{self as store, Due};

const ACTION: &str = "dues.export";

/// The header row of the dues file: Chinese whatever the reader's language (the tax bureau's
/// exchange format fixes it, so it is not a message of the catalogue).
pub const HEADER: [&str; 13] = [
    "所属期",
    "区县代码",
    "统一社会信用代码",
    "单位名称",
    "公民身份号码",
    "姓名",
    "缴费人类型",
    "申报工资",
    "缴费基数",
    "统筹基金部分",
    "个人账户部分",
    "应缴合计",
    "缴费截止日期",
];

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Exported {
    pub period: String,
    pub region: u32,
    pub rows: u64,
    pub total: Fen,
}

/// The counties a region covers, as a range of codes (GB/T 2260: a province ends in 0000, a
/// city in 00).
fn counties_of(region: RegionCode) -> (u32, u32) {
    let c = region.get();
    if c.is_multiple_of(10_000) {
        (c, c + 9_999)
    } else if c.is_multiple_of(100) {
        (c, c + 99)
    } else {
        (c, c)
    }
}

fn row(period: Period, d: &Due<'_>) -> Result<[String; 13]> {
    let (code, employer) = d.employer.unwrap_or(("", ""));
    let kind = match d.payer_kind {
        "employee" => "单位职工",
        _ => "灵活就业人员",
    };
    Ok([
        period.to_string(),
        d.county.to_string(),
        code.to_string(),
        defuse(employer).into_owned(),
        d.id_number.to_string(),
        defuse(d.name).into_owned(),
        kind.to_string(),
        d.declared.to_string(),
        d.base.to_string(),
        d.pooling.to_string(),
        d.account.to_string(),
        d.pooling.try_add(d.account)?.to_string(),
        d.due_date.to_string(),
    ])
}

pub use crate::exchange::Exchange;

/// The file's name for `done`: `dues_2020-01_140105.csv`, `.sealed` appended when sealed.
pub fn file_name(exchange: Exchange, done: &Exported) -> String {
    exchange.name(&format!("dues_{}_{}.csv", done.period, done.region))
}

/// [`export`] as `exchange` says: sealed (the sealed kind `dues-csv`, the deployment's cipher)
/// or plain ([`crate::exchange::write_for`]).
pub fn export_for(
    db: &mut Db,
    who: &Principal,
    period: Period,
    region: Option<RegionCode>,
    exchange: Exchange,
    out: &mut dyn Write,
    now_ms: i64,
) -> Result<Exported> {
    crate::exchange::write_for(db, exchange, "dues-csv", out, |db, out| {
        export(db, who, period, region, out, now_ms)
    })
}

/// `who` exports the dues of `period` in `region` (default: their own) to `out`.
pub fn export(
    db: &mut Db,
    who: &Principal,
    period: Period,
    region: Option<RegionCode>,
    out: &mut dyn Write,
    now_ms: i64,
) -> Result<Exported> {
    let region = region.unwrap_or(who.region);
    if Divisions::shanxi().get(region).is_none() {
        return Err(AppError::Invalid(tongchou_core::tr!(
            "app-dues-region",
            region = region
        )));
    }
    let object_id = format!("{period}/{region}");
    let target = Target {
        action: ACTION,
        object_type: "dues",
        object_id: &object_id,
        region,
    };
    access::authorize(db, who, Permission::ContributionRead, &target, now_ms)?;
    access::authorize(db, who, Permission::PersonReadFullId, &target, now_ms)?;
    let io = |e: std::io::Error| AppError::Invalid(tongchou_core::tr!("app-dues-write", error = e));
    out.write_all(b"\xEF\xBB\xBF").map_err(io)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    let mut total = Fen::ZERO;
    let mut failed: Option<AppError> = None;
    let rows = store::each_due(db, period, counties_of(region), |d| {
        if failed.is_some() {
            return Ok(());
        }
        let line = row(period, d).and_then(|r| {
            total = Fen::try_sum([total, d.pooling, d.account])?;
            Ok(r)
        });
        match line {
            Ok(r) => w
                .write_record(&r)
                .map_err(|e| tongchou_store::StoreError::Io(std::io::Error::other(e))),
            Err(e) => {
                failed = Some(e);
                Ok(())
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    w.flush().map_err(io)?;
    let done = Exported {
        period: period.to_string(),
        region: region.get(),
        rows,
        total,
    };
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: ACTION,
            object_type: "dues",
            object_id: &object_id,
            region: Some(region.get()),
            result: "ok",
            details: serde_json::json!({"rows": rows, "total": total.to_string()}),
        },
        now_ms,
    )?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_covers_its_counties() {
        let rc = |c| RegionCode::new(c).expect("code");
        assert_eq!(counties_of(rc(140000)), (140000, 149999));
        assert_eq!(counties_of(rc(140100)), (140100, 140199));
        assert_eq!(counties_of(rc(140105)), (140105, 140105));
    }
}
