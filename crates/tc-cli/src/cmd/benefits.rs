//! `tongchou retire | deaths | crosscheck | benefits`: retirement approval (maker–checker), death
//! records and other payment rolls, survivors' claims of death settlements and the settlements
//! still unclaimed, the cross-checks and their report by county, the yearly adjustment,
//! recomputation with a corrected policy, and the one-off amounts due to the payroll.
//! The findings by county: `tongchou report crosscheck` (`report/crosscheck.rs`).
//!
//! Commands that act for a user (`retire apply`, `retire decide`) take `--as LOGIN`; the
//! password comes from `TONGCHOU_PASSWORD` or the first line of standard input and is checked
//! like a web login (lockout after repeated failures, every attempt audited); the session opened
//! is ended at once.

use crate::output::{CliError, CliResult, print_json};
use crate::session::{acting_user, staff};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tongchou_app::benefits::{self, adjust, deaths, retire};
use tongchou_app::clock::now_ms;
use tongchou_core::access::Permission::{PersonWrite, RetirementSubmit};
use tongchou_core::{Date, Fen, Period, Policy, Ratio};
use tongchou_store::Db;
use tongchou_store::registry;

#[derive(clap::Subcommand)]
pub enum RetireCmd {
    /// Insured persons whose statutory retirement month is M.
    Due {
        #[arg(long)]
        month: Period,
    },
    /// Submit a retirement application (county agency). The checks run at once and their
    /// reasons are stored; another user decides.
    Apply {
        /// The applicant's ID number.
        #[arg(long)]
        id_number: String,
        /// Retirement month (default: the statutory month; a flexible month within the window).
        #[arg(long)]
        month: Option<Period>,
        /// Deemed-period index from the archive review (default: the person's own average).
        #[arg(long)]
        deemed_index: Option<Ratio>,
        #[arg(long)]
        bank_code: String,
        #[arg(long)]
        bank_name: String,
        #[arg(long)]
        bank_account: String,
        /// The acting user's login (password from TONGCHOU_PASSWORD or stdin).
        #[arg(long = "as")]
        as_login: String,
    },
    /// Approve or refuse an application (provincial bureau approver; never the submitter).
    Decide {
        /// The application id.
        #[arg(long)]
        id: i64,
        #[arg(long, conflicts_with = "refuse")]
        approve: bool,
        #[arg(long)]
        refuse: bool,
        /// A note (the reason of a refusal).
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Applications as JSON, optionally of one status and retirement month.
    List {
        /// pending, approved or refused
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        month: Option<Period>,
    },
}

#[derive(clap::Subcommand)]
pub enum DeathsCmd {
    /// Import death records: CSV (UTF-8 or GBK) or XLSX with columns 身份证号码 (id_number),
    /// 死亡日期 (died, YYYY-MM-DD), 来源 (source: 公安 or 民政), as `import template deaths`
    /// prints them; all or nothing, every bad row named.
    Import {
        #[arg(long)]
        file: PathBuf,
        /// A staff member who may change persons' records.
        #[arg(long = "as")]
        as_login: String,
    },
    /// File a survivor's claim (申领) of a death settlement at the county agency: the funeral
    /// grant, survivor grant and account refund are then paid to the claimant's account by the
    /// first payroll that has not run (never before the month after the cross-check). Once per
    /// deceased.
    Claim {
        /// The deceased's person id (as `deaths awaiting` lists it).
        #[arg(long)]
        person: i64,
        /// The claimant's name.
        #[arg(long)]
        name: String,
        /// The claimant's resident ID number (not the deceased's).
        #[arg(long)]
        id_number: String,
        /// spouse, child, parent or other
        #[arg(long)]
        relation: String,
        #[arg(long)]
        bank_code: String,
        #[arg(long)]
        bank_name: String,
        /// The claimant's account number (digits; spaces ignored).
        #[arg(long = "account", alias = "bank-account")]
        account: String,
        /// The day the claim was filed (default: today).
        #[arg(long)]
        filed_on: Option<Date>,
        /// The staff member who acts (password from `TONGCHOU_PASSWORD` or standard input).
        #[arg(long = "as")]
        as_login: String,
    },
    /// Death settlements no survivor has claimed yet, by county and date of death.
    Awaiting {
        /// Only this county (GB/T 2260 code).
        #[arg(long)]
        county: Option<u32>,
    },
}

#[derive(clap::Subcommand)]
pub enum CrosscheckCmd {
    /// Import another payment roll: CSV (UTF-8 or GBK) or XLSX with columns 身份证号码
    /// (id_number), 发放月份 (month, YYYY-MM), as `import template rolls` prints them; all or
    /// nothing, every bad row named.
    ImportRoll {
        /// The roll's name (e.g. 城乡居民养老保险).
        #[arg(long)]
        roll: String,
        #[arg(long)]
        file: PathBuf,
        /// The staff member who acts (password from `TONGCHOU_PASSWORD` or standard input).
        #[arg(long = "as")]
        as_login: String,
    },
    /// Check death records and other rolls against the pensioner roll and the payments made:
    /// suspend, settle, open recovery cases.
    Run {
        /// The month of the run (default: this month); settlements may be paid from the next, once
        /// a survivor has claimed them (`deaths claim`).
        #[arg(long)]
        month: Option<Period>,
        /// The staff member who acts (password from `TONGCHOU_PASSWORD` or standard input).
        #[arg(long = "as")]
        as_login: String,
    },
}

#[derive(clap::Subcommand)]
pub enum BenefitsCmd {
    /// Run the yearly adjustment of year Y (once, in its announcement month, before the payroll).
    Adjust {
        #[arg(long)]
        year: i32,
    },
    /// Recompute a pensioner's pension with a corrected policy from month M on; the difference
    /// for the months paid is due (positive) or opens a recovery case (negative).
    Recompute {
        #[arg(long)]
        id_number: String,
        #[arg(long)]
        month: Period,
        /// Directory holding the corrected policy files (*.toml, the whole set).
        #[arg(long)]
        policy: PathBuf,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The one-off amounts the payroll of month M pays (adjustment arrears, death settlements,
    /// corrections).
    Due {
        #[arg(long)]
        month: Period,
    },
}

pub(crate) fn engine(e: tongchou_app::AppError) -> CliError {
    CliError(e.to_string())
}

fn person_by_id_number(db: &mut Db, id_number: &str) -> Result<i64, CliError> {
    registry::person_id_by_number(db, id_number.trim())?
        .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-no-person-id")))
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut b)
            .map_err(|e| CliError(format!("--file -: {e}")))?;
        return Ok(b);
    }
    std::fs::read(path).map_err(|e| {
        CliError(format!(
            "--file {}: {}",
            path.display(),
            tongchou_core::i18n::io_text(&e)
        ))
    })
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "-".into())
}

/// A policy directory: every `*.toml` file in it.
fn load_policy(dir: &Path) -> Result<Policy, CliError> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError(format!("--policy {}: {e}", dir.display())))?;
    for e in entries {
        let p = e
            .map_err(|e| CliError(format!("--policy {}: {e}", dir.display())))?
            .path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| CliError(format!("--policy {}: {e}", p.display())))?;
            files.push((file_name(&p), text));
        }
    }
    if files.is_empty() {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-policy-empty",
            dir = dir.display()
        )));
    }
    files.sort();
    Ok(Policy::from_files(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    )?)
}

pub fn run_retire(c: RetireCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    let policy = Policy::builtin()?;
    match c {
        RetireCmd::Due { month } => {
            let due = retire::due_in_month(&mut db, &policy, month).map_err(engine)?;
            print_json(&due)?;
        }
        RetireCmd::Apply {
            id_number,
            month,
            deemed_index,
            bank_code,
            bank_name,
            bank_account,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let person = person_by_id_number(&mut db, &id_number)?;
            let req = retire::Request {
                person,
                retire: month,
                deemed_index,
                bank_code: &bank_code,
                bank_name: &bank_name,
                bank_account: &bank_account,
            };
            let a = retire::submit(&mut db, &policy, &who, &req, now_ms()).map_err(engine)?;
            print_json(&a.to_json())?;
        }
        RetireCmd::Decide {
            id,
            approve,
            refuse,
            note,
            as_login,
        } => {
            let verdict = match (approve, refuse) {
                (true, false) => retire::Verdict::Approve,
                (false, true) => retire::Verdict::Refuse,
                _ => return Err(CliError(tongchou_core::tr!("cli-err-approve-or-refuse"))),
            };
            let who = acting_user(&mut db, &as_login)?;
            let d = retire::decide(&mut db, &policy, &who, id, verdict, &note, now_ms())
                .map_err(engine)?;
            print_json(&serde_json::json!({
                "application": d.application.to_json(),
                "award": d.award,
            }))?;
        }
        RetireCmd::List { status, month } => {
            let list = retire::list(&mut db, status.as_deref(), month).map_err(engine)?;
            let v: Vec<serde_json::Value> = list.iter().map(|a| a.to_json()).collect();
            print_json(&v)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_deaths(c: DeathsCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        DeathsCmd::Import { file, as_login } => {
            let actor = staff(
                &mut db,
                &as_login,
                &[PersonWrite],
                tongchou_core::i18n::word("cli-err-what-deaths"),
            )?;
            let bytes = read_file(&file)?;
            let s = deaths::import_deaths(
                &mut db,
                &file_name(&file),
                &bytes,
                tongchou_app::clock::today_china(),
                &actor,
                now_ms(),
            )
            .map_err(engine)?;
            print_json(&s)?;
        }
        DeathsCmd::Claim {
            person,
            name,
            id_number,
            relation,
            bank_code,
            bank_name,
            account,
            filed_on,
            as_login,
        } => {
            let actor = staff(
                &mut db,
                &as_login,
                &[RetirementSubmit],
                tongchou_core::i18n::word("cli-err-what-claim"),
            )?;
            let today = tongchou_app::clock::today_china();
            let filed_on = filed_on.unwrap_or(today);
            if filed_on > today {
                return Err(CliError(tongchou_core::tr!(
                    "cli-err-filed-on-future",
                    date = filed_on
                )));
            }
            let claim = deaths::Claim {
                person,
                name: &name,
                id_number: &id_number,
                relation: &relation,
                bank_code: &bank_code,
                bank_name: &bank_name,
                bank_account: &account,
            };
            let s =
                deaths::file_claim(&mut db, &actor, &claim, filed_on, now_ms()).map_err(engine)?;
            print_json(&s)?;
        }
        DeathsCmd::Awaiting { county } => {
            let list = deaths::awaiting_claims(&mut db, county).map_err(engine)?;
            let total = Fen::try_sum(list.iter().map(|a| a.total))?;
            print_json(&serde_json::json!({"settlements": list, "total": total}))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_crosscheck(c: CrosscheckCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        CrosscheckCmd::ImportRoll {
            roll,
            file,
            as_login,
        } => {
            let actor = staff(
                &mut db,
                &as_login,
                &[PersonWrite],
                tongchou_core::i18n::word("cli-err-what-roll"),
            )?;
            let bytes = read_file(&file)?;
            let s = deaths::import_roll(
                &mut db,
                &roll,
                &file_name(&file),
                &bytes,
                tongchou_app::clock::today_china(),
                &actor,
                now_ms(),
            )
            .map_err(engine)?;
            print_json(&s)?;
        }
        CrosscheckCmd::Run { month, as_login } => {
            let actor = staff(
                &mut db,
                &as_login,
                &[PersonWrite],
                tongchou_core::i18n::word("cli-err-what-crosscheck"),
            )?;
            let policy = Policy::builtin()?;
            let month = month.unwrap_or_else(|| tongchou_app::clock::today_china().period());
            let r = deaths::run_crosscheck(&mut db, &policy, month, None, &actor, now_ms())
                .map_err(engine)?;
            print_json(&r)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_benefits(c: BenefitsCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        BenefitsCmd::Adjust { year } => {
            let policy = Policy::builtin()?;
            let r = adjust::adjust_year(&mut db, &policy, year, now_ms()).map_err(engine)?;
            print_json(&r)?;
        }
        BenefitsCmd::Recompute {
            id_number,
            month,
            policy,
            note,
        } => {
            let corrected = load_policy(&policy)?;
            let person = person_by_id_number(&mut db, &id_number)?;
            let c = adjust::recompute(&mut db, &corrected, person, month, &note, now_ms())
                .map_err(engine)?;
            print_json(&c)?;
        }
        BenefitsCmd::Due { month } => {
            let due = benefits::dues(&mut db, month).map_err(engine)?;
            let total = Fen::try_sum(due.iter().map(|d| d.amount))?;
            print_json(&serde_json::json!({"month": month, "lines": due, "total": total}))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
