//! Migrating a city's legacy records into the province (历史数据迁移, 晋政发〔2019〕4号 二(六):
//! the data centralized at the province before provincial collection and disbursement began).
//!
//! A city hands over one directory of files (`docs/LEGACY.md`, [`files::FileSet`]): employers,
//! insured persons with their account balance at the cut-over, their contribution history by
//! year, pensioners with their award components and the pension in force, open arrears, and its
//! control totals per county. Every file is read by `tongchou_import` like any import.
//!
//! - [`check`] reconciles the set: the files against the control totals per county, a person
//!   both insured and retired, impossible histories (a year outside the insured span, before
//!   the 16th birthday, more months than the span holds), pensions the benefit rule
//!   (`rules::pension`) does not reproduce, unknown employers and persons, rows outside the
//!   city; 15-digit ID numbers are upgraded and counted. A person the province already holds
//!   (registered in two cities) is not a defect: it goes to the review list. The result is a
//!   report per county ([`report`], a sheet: text, CSV, JSON or XLSX) and every defect with its
//!   file, row and reason.
//! - [`load`] brings the city in, all or nothing, in one transaction that runs the check again
//!   against the province as it is: any defect and nothing is written. Otherwise employers not
//!   yet known, persons (insured at the cut-over with `as_of` = the cut-over month, so the
//!   yearly crediting pays interest on the migrated balance from then), pensioners with their
//!   award row and an adjustment row from the cut-over, the contribution years
//!   (`contribution_years`), the open arrears (matched by the next collection close, oldest
//!   first), the review items, the city's `migration_loads` row and an audit entry
//!   (`migrate.load`). Loading the same files again changes nothing; other files for a city
//!   already loaded are refused.
//! - [`review::resolve`]: a provincial user keeps the existing record or takes the incoming one.
//!
//! Who: a staff member with `person_write` scoped to the province (the provincial bureau);
//! a refusal is audited.

pub mod check;
pub mod files;
pub mod review;
mod write;

use crate::reports::{Cell, Col, Extra, Sheet};
use crate::{AppError, Result};
use check::{Checker, Counts, Findings};
use files::FileSet;
use serde_json::json;
use std::collections::HashSet;
use tongchou_core::access::{Permission, Principal};
use tongchou_core::{Date, Divisions, Level, Period, Policy, RegionCode};
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::migration::{self as store, Loaded};

pub use write::Written;

/// What is checked or loaded.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The city's code (GB/T 2260, e.g. 140100).
    pub city: RegionCode,
    /// The first month the province runs the city: balances and pensions are as at its first day.
    pub cutover: Period,
    /// The day of the check: later dates are refused.
    pub today: Date,
    pub policy: &'a Policy,
}

/// A check's result.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Checked {
    pub city: u32,
    pub cutover: String,
    /// SHA-256 of the file set.
    pub fingerprint: String,
    #[serde(flatten)]
    pub findings: Findings,
}

impl Checked {
    /// Whether the set may be loaded (no defect; review items are allowed).
    pub fn clean(&self) -> bool {
        self.findings.defects.is_empty()
    }
}

fn city_of(city: RegionCode) -> Result<()> {
    match Divisions::shanxi().get(city) {
        Some(r) if r.level == Level::City => Ok(()),
        _ => Err(AppError::Invalid(tongchou_core::tr!(
            "app-mig-city",
            city = city,
            province = Divisions::shanxi().province().name
        ))),
    }
}

/// Check `files` against themselves, their control totals and the province (read only).
pub fn check(db: &mut Db, req: &Request<'_>, files: &FileSet) -> Result<Checked> {
    Ok(check_keeping(db, req, files)?.0)
}

/// [`check`], keeping the records read (a load writes them).
fn check_keeping(
    db: &mut Db,
    req: &Request<'_>,
    files: &FileSet,
) -> Result<(Checked, check::Parsed)> {
    city_of(req.city)?;
    let mut c = Checker::new(req);
    c.read(files);
    c.index();
    c.employers(db)?;
    c.history(files);
    c.insured(db)?;
    c.pensioners();
    c.arrears(db)?;
    c.province(db)?;
    c.controls();
    let (parsed, mut findings) = {
        let p = std::mem::take(&mut c.p);
        (p, c.findings())
    };
    for d in &mut findings.defects {
        d.file = files.name_of(&d.file);
    }
    for r in &mut findings.reviews {
        r.file = files.name_of(&r.file);
    }
    let checked = Checked {
        city: req.city.get(),
        cutover: req.cutover.to_string(),
        fingerprint: files.fingerprint(),
        findings,
    };
    Ok((checked, parsed))
}

/// The staff member may migrate: `person_write` at the province. A refusal is audited.
pub(crate) fn require_province(
    db: &mut Db,
    who: &Principal,
    what: &str,
    now_ms: i64,
) -> Result<()> {
    let province = Divisions::shanxi().province().code;
    if who.role.has(Permission::PersonWrite) && who.region == province {
        return Ok(());
    }
    let actor = Actor::of(who);
    audit::append(
        db,
        &Entry {
            actor: &actor,
            action: "migrate.denied",
            object_type: "migration",
            object_id: what,
            region: Some(who.region.get()),
            result: "denied",
            details: json!({"role": who.role.as_str()}),
        },
        now_ms,
    )?;
    Err(AppError::Forbidden(tongchou_core::tr!(
        "app-mig-province",
        login = who.login,
        role = who.role.label(tongchou_core::i18n::current()),
        region = who.region
    )))
}

/// An audit entry `action` about (object type, id) by `who`, result ok.
pub(crate) fn audit_ok(
    db: &mut Db,
    who: &Principal,
    action: &str,
    (object_type, object_id): (&str, &str),
    region: u32,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    let actor = Actor::of(who);
    audit::append(
        db,
        &Entry {
            actor: &actor,
            action,
            object_type,
            object_id,
            region: Some(region),
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// What a load did.
#[derive(Clone, Debug, serde::Serialize)]
pub enum LoadReport {
    /// The city was brought in.
    Loaded { written: Written, checked: Checked },
    /// The same files were loaded before: nothing changed.
    Already {
        loaded_at: String,
        loaded_by: String,
    },
    /// The files have defects: nothing was written.
    Refused(Checked),
}

/// Load a city (see the module documentation).
pub fn load(
    db: &mut Db,
    who: &Principal,
    req: &Request<'_>,
    files: &FileSet,
    now_ms: i64,
) -> Result<LoadReport> {
    city_of(req.city)?;
    require_province(db, who, "migrate a city", now_ms)?;
    let city = req.city.get() as i64;
    let fingerprint = files.fingerprint();
    if let Some(l) = store::loaded(db, city)? {
        return already(l, &fingerprint, req.city);
    }
    let out = crate::benefits::with_retry(db, |db| {
        if let Some(l) = store::loaded(db, city)? {
            return already(l, &fingerprint, req.city);
        }
        let (checked, parsed) = check_keeping(db, req, files)?;
        if !checked.clean() {
            return Ok(LoadReport::Refused(checked));
        }
        let written = write_city(db, who, req, (files, &parsed), &checked, now_ms)?;
        Ok(LoadReport::Loaded { written, checked })
    })?;
    if let LoadReport::Refused(c) = &out {
        let actor = Actor::of(who);
        audit::append(
            db,
            &Entry {
                actor: &actor,
                action: "migrate.load",
                object_type: "migration",
                object_id: &city.to_string(),
                region: Some(req.city.get()),
                result: "failed",
                details: json!({"fingerprint": fingerprint, "defects": c.findings.defects.len()}),
            },
            now_ms,
        )?;
    }
    Ok(out)
}

fn already(l: Loaded, fingerprint: &str, city: RegionCode) -> Result<LoadReport> {
    if l.fingerprint == fingerprint {
        return Ok(LoadReport::Already {
            loaded_at: l.loaded_at,
            loaded_by: l.loaded_by,
        });
    }
    Err(AppError::State(tongchou_core::tr!(
        "app-mig-loaded",
        city = city,
        at = l.loaded_at,
        by = l.loaded_by
    )))
}

/// The writes of a clean load, inside its transaction.
fn write_city(
    db: &mut Db,
    who: &Principal,
    req: &Request<'_>,
    (files, p): (&FileSet, &check::Parsed),
    checked: &Checked,
    now_ms: i64,
) -> Result<Written> {
    let held: HashSet<String> = checked
        .findings
        .reviews
        .iter()
        .map(|r| r.id_number.clone())
        .collect();
    let before = tongchou_store::registry::counts(db)?;
    let mut ids = write::write_persons(db, p, &held, req.cutover)?;
    let source = format!("migration:{}", req.city);
    let mut w = Written {
        pensioners: write::write_pensions(db, p, &ids, req.cutover)?,
        history_rows: write::write_history(db, files, &ids, req.today, &source)?,
        arrears: write::write_arrears(db, p, &mut ids)?,
        reviews: write::write_reviews(db, req.city.get(), &checked.findings.reviews, p)?,
        ..Default::default()
    };
    let after = tongchou_store::registry::counts(db)?;
    w.employers = (after.employers - before.employers) as u64;
    w.insured = (after.persons - before.persons) as u64 - w.pensioners;
    store::record_load(
        db,
        &Loaded {
            city: req.city.get() as i64,
            fingerprint: checked.fingerprint.clone(),
            cutover: req.cutover.yyyymm() as i64,
            employers: w.employers as i64,
            insured: w.insured as i64,
            pensioners: w.pensioners as i64,
            history_rows: w.history_rows as i64,
            arrears: w.arrears as i64,
            reviews: w.reviews as i64,
            loaded_at: crate::benefits::iso(now_ms),
            loaded_by: who.login.clone(),
        },
    )?;
    let counties = serde_json::to_string(&checked.findings.counties)
        .map_err(|e| AppError::State(e.to_string()))?;
    store::record_report(db, req.city.get() as i64, &counties)?;
    let details = json!({"fingerprint": checked.fingerprint, "cutover": req.cutover.to_string(), "written": w});
    audit_ok(
        db,
        who,
        "migrate.load",
        ("migration", &req.city.to_string()),
        req.city.get(),
        details,
        now_ms,
    )?;
    Ok(w)
}

/// The cities loaded, by code.
pub fn loads(db: &mut Db) -> Result<Vec<Loaded>> {
    Ok(store::loads(db)?)
}

/// A loaded city's reconciliation per county as its load kept it (`None`: not loaded).
pub fn stored_report(db: &mut Db, city: RegionCode) -> Result<Option<Sheet>> {
    let Some(l) = store::loaded(db, city.get() as i64)? else {
        return Ok(None);
    };
    let counties: Vec<check::CountyLine> = match store::report(db, l.city)? {
        Some(j) => serde_json::from_str(&j).map_err(|e| AppError::State(e.to_string()))?,
        None => Vec::new(),
    };
    let cutover = Period::from_yyyymm(l.cutover as i32)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| l.cutover.to_string());
    Ok(Some(report(&Checked {
        city: city.get(),
        cutover,
        fingerprint: l.fingerprint,
        findings: Findings {
            counties,
            ..Default::default()
        },
    })))
}

const COLS: [Col; 20] = [
    Col::new("county", "区县代码 county"),
    Col::new("name", "名称 name"),
    Col::new("employers_control", "参保单位数(控制) employers, control"),
    Col::new("employers", "参保单位数(文件) employers, files"),
    Col::new("insured_control", "参保人数(控制) insured, control"),
    Col::new("insured", "参保人数(文件) insured, files"),
    Col::new("history_control", "缴费记录数(控制) history rows, control"),
    Col::new("history", "缴费记录数(文件) history rows, files"),
    Col::new("balance_control", "个人账户余额(控制) balances, control"),
    Col::new("balance", "个人账户余额(文件) balances, files"),
    Col::new("pensioners_control", "离退休人数(控制) pensioners, control"),
    Col::new("pensioners", "离退休人数(文件) pensioners, files"),
    Col::new("pensions_control", "月养老金(控制) pensions, control"),
    Col::new("pensions", "月养老金(文件) pensions, files"),
    Col::new("arrears_control", "欠费金额(控制) arrears, control"),
    Col::new("arrears", "欠费金额(文件) arrears, files"),
    Col::new("upgraded_ids", "15位身份证升级 15-digit IDs upgraded"),
    Col::new("reviews", "待复核 to review"),
    Col::new("defects", "问题 defects"),
    Col::new("agrees", "一致 agrees"),
];

fn cells(county: Cell, name: Cell, ctl: Option<&Counts>, f: &Counts, extra: [i64; 3]) -> Vec<Cell> {
    let c = |v: Option<Cell>| v.unwrap_or(Cell::Empty);
    let agrees = ctl.is_some_and(|k| check::differences(k, f).is_empty()) && extra[2] == 0;
    vec![
        county,
        name,
        c(ctl.map(|k| Cell::Int(k.employers as i64))),
        Cell::Int(f.employers as i64),
        c(ctl.map(|k| Cell::Int(k.insured as i64))),
        Cell::Int(f.insured as i64),
        c(ctl.map(|k| Cell::Int(k.history_rows as i64))),
        Cell::Int(f.history_rows as i64),
        c(ctl.map(|k| Cell::Money(k.balance))),
        Cell::Money(f.balance),
        c(ctl.map(|k| Cell::Int(k.pensioners as i64))),
        Cell::Int(f.pensioners as i64),
        c(ctl.map(|k| Cell::Money(k.pensions))),
        Cell::Money(f.pensions),
        c(ctl.map(|k| Cell::Money(k.arrears_amount))),
        Cell::Money(f.arrears_amount),
        Cell::Int(extra[0]),
        Cell::Int(extra[1]),
        Cell::Int(extra[2]),
        Cell::Text(if agrees { "是" } else { "否" }.into()),
    ]
}

fn add(a: &mut Counts, b: &Counts) {
    a.employers += b.employers;
    a.insured += b.insured;
    a.history_rows += b.history_rows;
    a.balance = check::plus(a.balance, b.balance);
    a.pensioners += b.pensioners;
    a.pensions = check::plus(a.pensions, b.pensions);
    a.arrears += b.arrears;
    a.arrears_amount = check::plus(a.arrears_amount, b.arrears_amount);
}

/// The reconciliation per county as a sheet (text, CSV, JSON, XLSX): control totals beside the
/// files, the IDs upgraded, the review items and the defects of each county.
pub fn report(c: &Checked) -> Sheet {
    let d = Divisions::shanxi();
    let (mut ctl, mut files, mut extra) = (Counts::default(), Counts::default(), [0i64; 3]);
    let mut rows = Vec::new();
    for l in &c.findings.counties {
        if let Some(k) = &l.control {
            add(&mut ctl, k);
        }
        add(&mut files, &l.files);
        let e = [l.upgraded_ids as i64, l.reviews as i64, l.defects as i64];
        extra = [extra[0] + e[0], extra[1] + e[1], extra[2] + e[2]];
        let name = crate::reports::name_of(d, l.county as i64);
        rows.push(cells(
            Cell::Text(l.county.to_string()),
            Cell::Text(name),
            l.control.as_ref(),
            &l.files,
            e,
        ));
    }
    let unplaced = c
        .findings
        .defects
        .iter()
        .filter(|x| x.county.is_none())
        .count();
    extra[2] += unplaced as i64;
    Sheet {
        title: tongchou_core::tr!(
            "app-rep-migration-title",
            city = c.city,
            name = crate::reports::name_of(d, c.city as i64),
            cutover = c.cutover,
            defects = c.findings.defects.len(),
            reviews = c.findings.reviews.len()
        ),
        name: tongchou_core::tr!("app-rep-migration-sheet"),
        meta: vec![
            ("report", json!("migration")),
            ("city", json!(c.city)),
            ("cutover", json!(c.cutover)),
        ],
        cols: COLS.to_vec(),
        rows,
        total: Some(cells(
            Cell::Text(tongchou_core::tr!("app-rep-total")),
            Cell::Empty,
            Some(&ctl),
            &files,
            extra,
        )),
        extras: vec![Extra {
            key: "fingerprint",
            label: "文件指纹 fingerprint".into(),
            zh: "文件指纹".into(),
            value: Cell::Text(c.fingerprint.clone()),
        }],
    }
}
