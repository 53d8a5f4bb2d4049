//! The plan chain (migration 0037): the county and city fund-use plans of a month as their
//! agencies submit, return and forward them (`plan_chain`: the current state; `plan_versions`
//! with `plan_version_items`: every version submitted, never overwritten; `plan_actions`: every
//! action with its reason or note). The rules are in `tongchou-app::plan_chain`.

use crate::{Db, Result, StoreError, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, Period, RegionCode};
use tongchou_engine::disbursement::Item;

fn region(v: i64) -> Result<RegionCode> {
    RegionCode::from_stored(v).ok_or_else(|| crate::corrupt("region", v))
}

fn ym(month: Period) -> Val<'static> {
    Val::I64(month.yyyymm() as i64)
}

fn rv(r: RegionCode) -> Val<'static> {
    Val::I64(r.get() as i64)
}

/// A plan's place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct State {
    pub region: RegionCode,
    /// `county` or `city`.
    pub level: String,
    /// `submitted`, `returned` or `forwarded`.
    pub state: String,
    /// The latest version submitted (1, 2, …).
    pub version: i64,
    pub updated_at: String,
}

/// The states of the month's plans in the chain, by region.
pub fn states(db: &mut Db, month: Period) -> Result<BTreeMap<RegionCode, State>> {
    let mut out = BTreeMap::new();
    for r in db.query(
        "SELECT region, level, state, version, updated_at FROM plan_chain WHERE month = $1",
        &[ym(month)],
    )? {
        let s = State {
            region: region(r[0].i64()?)?,
            level: r[1].text()?.to_string(),
            state: r[2].text()?.to_string(),
            version: r[3].i64()?,
            updated_at: r[4].text()?.to_string(),
        };
        out.insert(s.region, s);
    }
    Ok(out)
}

/// One region's state (None before its first submission).
pub fn state(db: &mut Db, month: Period, r: RegionCode) -> Result<Option<State>> {
    Ok(states(db, month)?.remove(&r))
}

/// Set a region's state (insert or replace).
pub fn put_state(db: &mut Db, month: Period, s: &State) -> Result<()> {
    db.exec(
        "INSERT INTO plan_chain (month, region, level, state, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (month, region) DO UPDATE SET state = excluded.state, version = excluded.version, \
         updated_at = excluded.updated_at",
        &[
            ym(month),
            rv(s.region),
            Val::Str(&s.level),
            Val::Str(&s.state),
            Val::I64(s.version),
            Val::Str(&s.updated_at),
        ],
    )?;
    Ok(())
}

/// A version of a plan as submitted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Version {
    pub region: RegionCode,
    pub version: i64,
    pub total: Fen,
    pub note: String,
    pub submitted_by: i64,
    pub submitted_login: String,
    pub submitted_at: String,
    pub items: BTreeMap<Item, Fen>,
}

/// Write a new version with its items.
pub fn write_version(db: &mut Db, month: Period, v: &Version) -> Result<()> {
    db.exec(
        "INSERT INTO plan_versions (month, region, version, total_fen, note, submitted_by, submitted_login, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            ym(month),
            rv(v.region),
            Val::I64(v.version),
            Val::I64(v.total.fen()),
            Val::Str(&v.note),
            Val::I64(v.submitted_by),
            Val::Str(&v.submitted_login),
            Val::Str(&v.submitted_at),
        ],
    )?;
    for (item, amount) in &v.items {
        db.exec(
            "INSERT INTO plan_version_items (month, region, version, item, amount_fen) VALUES ($1, $2, $3, $4, $5)",
            &[
                ym(month),
                rv(v.region),
                Val::I64(v.version),
                Val::Str(item.as_str()),
                Val::I64(amount.fen()),
            ],
        )?;
    }
    Ok(())
}

/// Every version of the month's plans (of one region, or all), oldest first.
pub fn versions(db: &mut Db, month: Period, of: Option<RegionCode>) -> Result<Vec<Version>> {
    let filter = if of.is_some() { " AND region = $2" } else { "" };
    let mut params = vec![ym(month)];
    if let Some(r) = of {
        params.push(rv(r));
    }
    let mut items: BTreeMap<(i64, i64), BTreeMap<Item, Fen>> = BTreeMap::new();
    for r in db.query(
        &format!(
            "SELECT region, version, item, amount_fen FROM plan_version_items WHERE month = $1{filter}"
        ),
        &params,
    )? {
        let item = Item::parse(r[2].text()?)
            .ok_or_else(|| StoreError::Invalid("unknown plan item".into()))?;
        items
            .entry((r[0].i64()?, r[1].i64()?))
            .or_default()
            .insert(item, Fen::new(r[3].i64()?));
    }
    let mut out = Vec::new();
    for r in db.query(
        &format!(
            "SELECT region, version, total_fen, note, submitted_by, submitted_login, submitted_at \
             FROM plan_versions WHERE month = $1{filter} ORDER BY region, version"
        ),
        &params,
    )? {
        let key = (r[0].i64()?, r[1].i64()?);
        out.push(Version {
            region: region(key.0)?,
            version: key.1,
            total: Fen::new(r[2].i64()?),
            note: r[3].text()?.to_string(),
            submitted_by: r[4].i64()?,
            submitted_login: r[5].text()?.to_string(),
            submitted_at: r[6].text()?.to_string(),
            items: items.remove(&key).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// An action of the chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    pub region: RegionCode,
    pub version: i64,
    /// `submit`, `return` or `forward`.
    pub action: String,
    pub user_id: i64,
    pub login: String,
    pub at: String,
    /// The reason of a return, the note of a submission.
    pub reason: String,
}

/// Append an action (its sequence number is the next of the region's month).
pub fn add_action(db: &mut Db, month: Period, a: &Action) -> Result<()> {
    let seq = db.query_i64(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM plan_actions WHERE month = $1 AND region = $2",
        &[ym(month), rv(a.region)],
    )?;
    db.exec(
        "INSERT INTO plan_actions (month, region, seq, version, action, user_id, login, at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            ym(month),
            rv(a.region),
            Val::I64(seq),
            Val::I64(a.version),
            Val::Str(&a.action),
            Val::I64(a.user_id),
            Val::Str(&a.login),
            Val::Str(&a.at),
            Val::Str(&a.reason),
        ],
    )?;
    Ok(())
}

/// The actions on the month's plans (of one region, or all), in order.
pub fn actions(db: &mut Db, month: Period, of: Option<RegionCode>) -> Result<Vec<Action>> {
    let filter = if of.is_some() { " AND region = $2" } else { "" };
    let mut params = vec![ym(month)];
    if let Some(r) = of {
        params.push(rv(r));
    }
    let mut out = Vec::new();
    for r in db.query(
        &format!(
            "SELECT region, version, action, user_id, login, at, reason FROM plan_actions \
             WHERE month = $1{filter} ORDER BY region, seq"
        ),
        &params,
    )? {
        out.push(Action {
            region: region(r[0].i64()?)?,
            version: r[1].i64()?,
            action: r[2].text()?.to_string(),
            user_id: r[3].i64()?,
            login: r[4].text()?.to_string(),
            at: r[5].text()?.to_string(),
            reason: r[6].text()?.to_string(),
        });
    }
    Ok(out)
}

/// The planned payroll lines of one county's month, by item (the figures its plan is proposed
/// from).
pub fn planned_items(
    db: &mut Db,
    month: Period,
    county: RegionCode,
) -> Result<BTreeMap<Item, Fen>> {
    let mut out = BTreeMap::new();
    // the rows themselves (`payroll::PLANNED`), not the view of their states: the view works
    // out each row's message, none while the month is planned (0.36 s at 1 M insured)
    for r in db.query(
        &format!(
            "SELECT l.item, CAST(SUM(l.amount_fen) AS BIGINT) FROM payroll_line_rows l \
             WHERE l.month = $1 AND l.county = $2 AND {} GROUP BY l.item",
            crate::payroll::PLANNED
        ),
        &[ym(month), rv(county)],
    )? {
        let item = Item::parse(r[0].text()?)
            .ok_or_else(|| StoreError::Invalid("unknown payroll item".into()))?;
        out.insert(item, Fen::new(r[1].i64()?));
    }
    Ok(out)
}

/// The counties with planned payroll lines in the month (those that must submit a plan): of
/// the counties with payroll lines in the month (`payroll_totals`, migration 0048, written with
/// the lines), those where one line is planned, found by the lines' (month, county) index —
/// one probe per county while the month's lines are planned, instead of reading every line of
/// the month (the plan chain asks 14 times in a simulated month: 0.4 s at 1 M insured).
pub fn counties_with_payroll(db: &mut Db, month: Period) -> Result<Vec<RegionCode>> {
    let mut out = Vec::new();
    for r in db.query(
        &format!(
            "SELECT t.county FROM payroll_totals t WHERE t.month = $1 AND EXISTS \
             (SELECT 1 FROM payroll_line_rows l WHERE l.month = t.month AND l.county = t.county \
              AND {}) ORDER BY t.county",
            crate::payroll::PLANNED
        ),
        &[ym(month)],
    )? {
        out.push(region(r[0].i64()?)?);
    }
    Ok(out)
}

/// A synthetic staff account of the simulated month (`sim.county.140105`, `sim.city.140100`),
/// created once and audited as `user.add`: its password hash is no hash at all, so nobody can
/// log in as it; the simulation acts in its name through the same use cases as people do.
pub fn synthetic_user(
    db: &mut Db,
    login: &str,
    display_name: &str,
    role: tongchou_core::access::Role,
    r: RegionCode,
    now: i64,
) -> Result<tongchou_core::access::Principal> {
    if let Some(u) = crate::access::get_user(db, login).map_err(auth)? {
        return Ok(u.principal());
    }
    let id = crate::access::random_id().map_err(auth)?;
    let at = crate::access::iso_time(now);
    db.exec(
        "INSERT INTO users (id, login, display_name, role, region, person_id, password_hash, failed_logins, \
         locked_until, active, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, '!', 0, NULL, 1, $6, $6)",
        &[
            Val::I64(id),
            Val::Str(login),
            Val::Str(display_name),
            Val::Str(role.as_str()),
            rv(r),
            Val::Str(&at),
        ],
    )?;
    crate::audit::append(
        db,
        &crate::audit::Entry {
            actor: &crate::audit::Actor::operator("sim"),
            action: "user.add",
            object_type: "user",
            object_id: login,
            region: Some(r.get()),
            result: "ok",
            details: serde_json::json!({"role": role.as_str(), "user_id": id, "synthetic": true}),
        },
        now,
    )?;
    Ok(tongchou_core::access::Principal {
        user_id: id,
        login: login.to_string(),
        role,
        region: r,
        person_id: None,
    })
}

fn auth(e: crate::access::AuthError) -> StoreError {
    match e {
        crate::access::AuthError::Store(s) => s,
        other => StoreError::Invalid(other.to_string()),
    }
}

/// A version submitted after its deadline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Breach {
    pub region: RegionCode,
    pub version: i64,
    pub level: String,
    pub deadline: String,
    pub submitted_on: String,
    pub days_late: i64,
}

/// Record a late version.
pub fn add_breach(db: &mut Db, month: Period, b: &Breach) -> Result<()> {
    db.exec(
        "INSERT INTO plan_breaches (month, region, version, level, deadline, submitted_on, days_late) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            ym(month),
            Val::I64(b.region.get() as i64),
            Val::I64(b.version),
            Val::Str(&b.level),
            Val::Str(&b.deadline),
            Val::Str(&b.submitted_on),
            Val::I64(b.days_late),
        ],
    )?;
    Ok(())
}

/// The late versions of a month, by region (the latest version's last).
pub fn breaches(db: &mut Db, month: Period) -> Result<Vec<Breach>> {
    db.query(
        "SELECT region, version, level, deadline, submitted_on, days_late FROM plan_breaches \
         WHERE month = $1 ORDER BY region, version",
        &[ym(month)],
    )?
    .iter()
    .map(|r| {
        Ok(Breach {
            region: RegionCode::from_stored(r[0].i64()?)
                .ok_or_else(|| StoreError::Invalid("plan breach region".into()))?,
            version: r[1].i64()?,
            level: r[2].text()?.to_string(),
            deadline: r[3].text()?.to_string(),
            submitted_on: r[4].text()?.to_string(),
            days_late: r[5].i64()?,
        })
    })
    .collect()
}
