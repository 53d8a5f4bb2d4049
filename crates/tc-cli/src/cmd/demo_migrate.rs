//! The demo's migration (issue 15, item 2): the synthetic province is written out as the eleven
//! cities' legacy files with realistic defects (`tongchou_sim::defects`: a person on two cities'
//! books, an ID number with a wrong check character, 15-digit IDs, GBK files, a control total
//! that disagrees, a history year before the enrolment), each city checked (the reconciliation
//! per county written as XLSX beside its files), the defects found compared with those planted,
//! the files corrected as a migration team would (the rows sent back and fixed by the city, the
//! controls re-issued), the city loaded all or nothing by the bureau officer, and the review list
//! resolved by a second bureau officer (not the loader) before the first month runs.
//!
//! The files go to `DIR/CITY/delivered` and `DIR/CITY/corrected` (`--legacy-out DIR`), the
//! reports to `DIR/CITY/reconciliation.xlsx`.

use crate::output::CliError;
use std::path::Path;
use tongchou_app::migrate::files::FileSet;
use tongchou_app::migrate::{self, LoadReport, Request, review};
use tongchou_core::access::Principal;
use tongchou_core::{Period, Policy, RegionCode};
use tongchou_sim::defects::DemoCity;
use tongchou_store::Db;

/// What the demo's migration did, for its summary line.
#[derive(Default)]
pub struct Migrated {
    pub cities: u64,
    pub insured: u64,
    pub pensioners: u64,
    pub defects: u64,
    pub corrections: u64,
    pub reviews: u64,
}

fn err(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

/// Write one version of a city's files and read them back as a set.
fn files(
    c: &tongchou_sim::legacy::LegacyCity,
    dir: &Path,
    gbk: &DemoCity,
) -> Result<FileSet, CliError> {
    c.write_dir(dir, &gbk.gbk)
        .map_err(|e| CliError(format!("{}: {e}", dir.display())))?;
    FileSet::read_dir(dir).map_err(err)
}

/// Check, correct and load one city; the defects found.
fn city(
    db: &mut Db,
    loader: &Principal,
    req: &Request<'_>,
    c: &DemoCity,
    dir: &Path,
) -> Result<(u64, u64, u64), CliError> {
    let delivered = files(&c.delivered, &dir.join("delivered"), c)?;
    let checked = migrate::check(db, req, &delivered).map_err(err)?;
    let xlsx = migrate::report(&checked).xlsx().map_err(err)?;
    std::fs::write(dir.join("reconciliation.xlsx"), xlsx).map_err(err)?;
    // the demo's own check: each planted defect found where it is, nothing else
    c.compare(&checked).map_err(CliError)?;
    let defects = checked.findings.defects.len() as u64;
    let set = if checked.clean() {
        delivered
    } else {
        files(&c.corrected, &dir.join("corrected"), c)?
    };
    match migrate::load(db, loader, req, &set, tongchou_app::clock::now_ms()).map_err(err)? {
        LoadReport::Loaded { written, .. } => Ok((written.insured, written.pensioners, defects)),
        LoadReport::Refused(x) => Err(CliError(tongchou_core::tr!(
            "cli-err-demo-defects",
            city = c.city,
            n = x.findings.defects.len()
        ))),
        LoadReport::Already { .. } => Err(CliError(tongchou_core::tr!(
            "cli-err-demo-loaded",
            city = c.city
        ))),
    }
}

/// Migrate the province's eleven cities from their legacy files (see the module documentation).
pub fn migrate_cities(
    db: &mut Db,
    province: &tongchou_synth::Province,
    cutover: Period,
    out: &Path,
    (loader, resolver): (&Principal, &Principal),
) -> Result<Migrated, CliError> {
    let policy = Policy::builtin().map_err(err)?;
    let mut m = Migrated::default();
    let cities = tongchou_sim::defects::cities(province);
    for c in &cities {
        let req = Request {
            city: RegionCode::new(c.city).map_err(|e| CliError(e.0))?,
            cutover,
            today: cutover.first_day(),
            policy: &policy,
        };
        let dir = out.join(c.city.to_string());
        let (insured, pensioners, defects) = city(db, loader, &req, c, &dir)?;
        m.cities += 1;
        m.insured += insured;
        m.pensioners += pensioners;
        m.defects += defects;
        m.corrections += c.corrections.len() as u64;
    }
    // the review list, resolved as the demo planted it: keep the existing or take the incoming
    for item in review::list(db, None, false).map_err(err)? {
        let keep = cities
            .iter()
            .flat_map(|c| c.routed.iter())
            .find(|r| r.id_number == item.id_number)
            .is_none_or(|r| r.keep_existing);
        let decision = if keep {
            review::Decision::Existing
        } else {
            review::Decision::Incoming
        };
        review::resolve(
            db,
            resolver,
            item.id,
            decision,
            tongchou_app::clock::now_ms(),
        )
        .map_err(err)?;
        m.reviews += 1;
    }
    Ok(m)
}
