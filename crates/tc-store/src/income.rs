//! Other income's tables (migration 0004) as `tongchou_app::income` reads and writes them: the
//! balances cities and counties held before provincial pooling (`historical_balances`: demand
//! deposits remitted by the deadline, fixed deposits at maturity, each once), and the monthly
//! pensions in force per county (the scale of a county's pension bill, from `pensioners`).
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::benefits::date_of;
use crate::{Db, Result, StoreError, Val};
use tongchou_core::{Date, Fen, RegionCode};

fn region(v: i64) -> Result<RegionCode> {
    RegionCode::from_stored(v).ok_or_else(|| crate::corrupt("region", v))
}

/// The monthly pensions in force, summed per county, by county.
pub fn monthly_pensions_by_county(db: &mut Db) -> Result<Vec<(RegionCode, Fen)>> {
    db.query(
        "SELECT county, CAST(SUM(monthly_fen) AS BIGINT) FROM pensioners WHERE status = 'active' GROUP BY county ORDER BY county",
        &[],
    )?
    .iter()
    .map(|r| Ok((region(r[0].i64()?)?, Fen::new(r[1].i64()?))))
    .collect()
}

/// A balance a city or county held before provincial pooling (a demand deposit, or a fixed
/// deposit remitted at its maturity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoricalBalance {
    /// The caller's id of this deposit (the idempotency key of its booking).
    pub id: i64,
    pub region: RegionCode,
    /// A fixed deposit (remitted at maturity), else a demand deposit.
    pub fixed: bool,
    pub amount: Fen,
    /// When a fixed deposit matures.
    pub maturity: Option<Date>,
}

impl HistoricalBalance {
    /// The kind of deposit as stored: `fixed` or `demand`.
    pub fn kind(&self) -> &'static str {
        if self.fixed { "fixed" } else { "demand" }
    }
}

/// Record a balance (once: a deposit already recorded under its id is left as it is). Returns
/// whether it was new.
pub fn record_deposit(db: &mut Db, d: &HistoricalBalance) -> Result<bool> {
    let m = d.maturity.map(|x| x.to_string());
    let n = db.exec(
        "INSERT INTO historical_balances (id, region, deposit_kind, amount_fen, maturity) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        &[
            Val::I64(d.id),
            Val::I64(d.region.get() as i64),
            Val::Str(d.kind()),
            Val::I64(d.amount.fen()),
            m.as_deref().map(Val::Str).unwrap_or(Val::Null),
        ],
    )?;
    Ok(n > 0)
}

/// The balances not yet remitted, by id.
pub fn unremitted(db: &mut Db) -> Result<Vec<HistoricalBalance>> {
    db.query(
        "SELECT id, region, deposit_kind, amount_fen, maturity FROM historical_balances WHERE remitted_on IS NULL ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        let id = r[0].i64()?;
        let fixed = match r[2].text()? {
            "fixed" => true,
            "demand" => false,
            other => {
                return Err(StoreError::Invalid(format!(
                    "historical balance {id}: deposit kind {other:?}"
                )));
            }
        };
        Ok(HistoricalBalance {
            id,
            region: region(r[1].i64()?)?,
            fixed,
            amount: Fen::new(r[3].i64()?),
            maturity: r[4].opt_text()?.map(date_of).transpose()?,
        })
    })
    .collect()
}

/// Mark a balance remitted on `on` by the ledger unit `transfer_key` (a balance already remitted
/// is left as it is). Returns whether it was marked.
pub fn mark_remitted(db: &mut Db, id: i64, on: Date, transfer_key: &str) -> Result<bool> {
    let o = on.to_string();
    let n = db.exec(
        "UPDATE historical_balances SET remitted_on = $1, transfer_key = $2 WHERE id = $3 AND remitted_on IS NULL",
        &[Val::Str(&o), Val::Str(transfer_key), Val::I64(id)],
    )?;
    Ok(n > 0)
}
