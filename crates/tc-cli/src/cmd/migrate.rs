//! `tongchou migrate check|load|review`: a city's legacy records (`docs/LEGACY.md`) reconciled
//! against its control totals and the province, loaded all or nothing, and the review list of
//! persons registered in two cities, through `tongchou_app::migrate`. Every command acts for a
//! staff member (`--as LOGIN`, password from `TONGCHOU_PASSWORD` or standard input) whose role
//! may change persons' records; loading and resolving also need the provincial scope.

use crate::cmd::benefits::engine;
use crate::cmd::report::{OutArgs, emit};
use crate::output::{CliError, CliResult, print_json};
use crate::session::{acting_user, staff};
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::migrate::files::{FileSet, Part};
use tongchou_app::migrate::{self, Checked, LoadReport, Request, review};
use tongchou_core::access::Permission::PersonWrite;
use tongchou_core::{Date, Period, Policy, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Reconcile a city's legacy files: against its control totals per county, within
    /// themselves and against the province; prints the report per county (table, JSON, CSV or
    /// XLSX) and every defect on standard error; exit 1 when there is any.
    Check(CityArgs),
    /// Load a city, all or nothing (audited); the same files again change nothing.
    Load(CityArgs),
    /// The review list of persons registered in two cities.
    #[command(subcommand)]
    Review(ReviewCmd),
    /// Write one city of a synthetic province as legacy files (demos, tests, benchmarks;
    /// `tongchou_sim::legacy`): a province of `--persons` from `--seed`, cut over at `--cutover`.
    Synth {
        #[arg(long)]
        city: RegionCode,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        persons: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        cutover: Period,
        /// Write the history and pensioners files in GBK (as many old systems do).
        #[arg(long)]
        gbk: bool,
    },
}

#[derive(clap::Args)]
pub struct CityArgs {
    /// The city's six-digit code (e.g. 140100).
    #[arg(long)]
    pub city: RegionCode,
    /// The directory of the city's files (employers, insured, history, pensioners, arrears,
    /// controls; .csv or .xlsx each).
    #[arg(long)]
    pub dir: PathBuf,
    /// The first month the province runs the city: balances and pensions as at its first day.
    #[arg(long)]
    pub cutover: Period,
    /// The day of the check (default: today in China): later dates are refused.
    #[arg(long)]
    pub today: Option<Date>,
    #[arg(long = "as")]
    pub as_login: String,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(clap::Subcommand)]
pub enum ReviewCmd {
    /// The open review items (all with `--all`), of one city or all, as JSON.
    List {
        #[arg(long)]
        city: Option<u32>,
        #[arg(long)]
        all: bool,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Decide a review item: keep the existing record, or take the incoming one.
    Resolve {
        #[arg(long)]
        id: i64,
        /// existing or incoming
        #[arg(long)]
        decision: String,
        #[arg(long = "as")]
        as_login: String,
    },
}

/// At most this many defects are printed (all are counted).
const LISTED: usize = 50;

fn print_defects(c: &Checked) {
    for d in c.findings.defects.iter().take(LISTED) {
        let column = d
            .column
            .as_deref()
            .map(|c| tr!("cli-migrate-defect-column", column = c))
            .unwrap_or_default();
        let row = if d.row == 0 {
            String::new()
        } else {
            tr!("cli-migrate-defect-row", row = d.row)
        };
        eprintln!("{}{row}{column}: {} [{}]", d.file, d.reason, d.what);
    }
    let n = c.findings.defects.len();
    if n > LISTED {
        eprintln!("{}", tr!("cli-migrate-defects-more", n = n - LISTED));
    }
    if n > 0 {
        eprintln!("{}", tr!("cli-migrate-defects", n = n));
    }
}

fn request<'a>(a: &CityArgs, policy: &'a Policy) -> Request<'a> {
    Request {
        city: a.city,
        cutover: a.cutover,
        today: a.today.unwrap_or_else(today_china),
        policy,
    }
}

fn synth(
    city: RegionCode,
    dir: &std::path::Path,
    persons: usize,
    seed: u64,
    cutover: Period,
    gbk: bool,
) -> CliResult {
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed,
        persons,
        employers: None,
        start: cutover,
    })
    .map_err(|e| CliError(e.to_string()))?;
    let c = tongchou_sim::legacy::city(&p, city);
    let parts: &[Part] = if gbk {
        &[Part::History, Part::Pensioners]
    } else {
        &[]
    };
    c.write_dir(dir, parts)
        .map_err(|e| CliError(format!("--dir {}: {e}", dir.display())))?;
    print_json(&serde_json::json!({
        "city": city.get(),
        "dir": dir.display().to_string(),
        "employers": c.employers.len(),
        "insured": c.insured.len(),
        "history_rows": c.insured.iter().map(|r| r.history.len()).sum::<usize>(),
        "pensioners": c.pensioners.len(),
        "arrears": c.arrears.len(),
    }))?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(c: Cmd, url: &str) -> CliResult {
    if let Cmd::Synth {
        city,
        dir,
        persons,
        seed,
        cutover,
        gbk,
    } = &c
    {
        return synth(*city, dir, *persons, *seed, *cutover, *gbk);
    }
    let mut db = Db::open(url)?;
    let policy = Policy::builtin().map_err(|e| CliError(e.to_string()))?;
    match c {
        Cmd::Check(a) => {
            staff(
                &mut db,
                &a.as_login,
                &[PersonWrite],
                tongchou_core::i18n::word("cli-err-what-migrate-check"),
            )?;
            let files = FileSet::read_dir(&a.dir).map_err(engine)?;
            let checked = migrate::check(&mut db, &request(&a, &policy), &files).map_err(engine)?;
            emit(&migrate::report(&checked), None, &a.out)?;
            print_defects(&checked);
            Ok(if checked.clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Cmd::Load(a) => {
            let who = acting_user(&mut db, &a.as_login)?;
            let files = FileSet::read_dir(&a.dir).map_err(engine)?;
            let r = migrate::load(&mut db, &who, &request(&a, &policy), &files, now_ms())
                .map_err(engine)?;
            match r {
                LoadReport::Loaded { written, .. } => {
                    print_json(&serde_json::json!({"loaded": a.city.get(), "written": written}))?;
                    Ok(ExitCode::SUCCESS)
                }
                LoadReport::Already {
                    loaded_at,
                    loaded_by,
                } => {
                    print_json(
                        &serde_json::json!({"already": a.city.get(), "loaded_at": loaded_at, "loaded_by": loaded_by}),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                LoadReport::Refused(c) => {
                    print_defects(&c);
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Cmd::Synth { .. } => Ok(ExitCode::SUCCESS),
        Cmd::Review(ReviewCmd::List {
            city,
            all,
            as_login,
        }) => {
            staff(
                &mut db,
                &as_login,
                &[PersonWrite],
                tongchou_core::i18n::word("cli-err-what-migrate-review"),
            )?;
            print_json(&review::list(&mut db, city, all).map_err(engine)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Review(ReviewCmd::Resolve {
            id,
            decision,
            as_login,
        }) => {
            let who = acting_user(&mut db, &as_login)?;
            let d: review::Decision = decision.parse().map_err(engine)?;
            let r = review::resolve(&mut db, &who, id, d, now_ms()).map_err(engine)?;
            print_json(&r)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
