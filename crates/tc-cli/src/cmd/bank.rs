//! `tongchou bank`: a bank's return files read by a person (`bank returns FILE --as LOGIN`), the
//! return files read so far, and the county agencies' paying accounts (`bank account set|list`).
//! Each is a thin edge over `tongchou_app` (`disburse::import_returns`, `disburse::return_files`,
//! `agency_accounts`), which checks who acts (password from `TONGCHOU_PASSWORD` or standard
//! input) and audits.

use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::agency_accounts::{self, AccountInput};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::disburse::{self, ReturnsReport};
use tongchou_core::{Date, Divisions, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum BankCmd {
    /// Read a bank's return file (pain.002.001.03, .001.10–.12, or the CSV return format) as the
    /// provincial bureau or the paying county's agency: accepted payments become paid, rejected
    /// ones return to the county account and are re-issued next month, lines that match nothing
    /// or disagree are quarantined. Reading the same file again changes nothing; a malformed
    /// file is refused whole, naming the file, and writes nothing.
    Returns {
        /// The return file.
        file: PathBuf,
        /// The day the file is read (default: today).
        #[arg(long)]
        on: Option<Date>,
        /// The login of the staff member who reads it.
        #[arg(long = "as")]
        as_login: String,
    },
    /// The return files read so far, latest first, with their counts (those of your region).
    ReturnFiles {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The login of the staff member who asks.
        #[arg(long = "as")]
        as_login: String,
    },
    /// The county agencies' paying accounts (付款账户), the debtor of their payment files.
    #[command(subcommand)]
    Account(AccountCmd),
}

#[derive(clap::Subcommand)]
pub enum AccountCmd {
    /// Set a county agency's paying account from a date on (a new version; the earlier ones are
    /// kept): the provincial bureau officer for any county, a county agency for its own.
    Set(SetArgs),
    /// Confirm or refuse a version someone else set (maker–checker: the provincial bureau's
    /// reviewer); only a confirmed version ever pays.
    Review {
        /// The county (GB/T 2260 code).
        #[arg(long)]
        region: RegionCode,
        /// The version to decide (`bank account list` shows it).
        #[arg(long)]
        account_version: i64,
        /// Refuse it (a --note is then required); without this flag the version is confirmed.
        #[arg(long)]
        refuse: bool,
        /// The reviewer's note (the reason of a refusal).
        #[arg(long)]
        note: Option<String>,
        /// The reviewer's login.
        #[arg(long = "as")]
        as_login: String,
    },
    /// Every version set, by county (only those in force on --on, if given).
    List {
        /// Only this county.
        #[arg(long)]
        region: Option<RegionCode>,
        /// Only the versions in force on this day.
        #[arg(long)]
        on: Option<Date>,
    },
}

#[derive(clap::Args)]
pub struct SetArgs {
    /// The agency's region (GB/T 2260 code), e.g. 140105.
    #[arg(long)]
    pub region: RegionCode,
    /// The account's kind: expenditure_account (支出户; a county's pays its pension files),
    /// income_account (收入户) or fiscal_special_account (财政专户, the province's).
    #[arg(long, default_value = "expenditure_account")]
    pub kind: String,
    /// The agency as its bank knows it, e.g. 太原市小店区社会保险事业管理中心.
    #[arg(long)]
    pub agency: String,
    /// The agency's unified social credit code (统一社会信用代码, 18 characters).
    #[arg(long)]
    pub credit_code: String,
    /// The account number, digits only.
    #[arg(long)]
    pub account: String,
    /// The account's title as the bank keeps it (e.g. …基本养老保险基金支出户).
    #[arg(long)]
    pub account_name: Option<String>,
    /// The bank holding the account.
    #[arg(long)]
    pub bank_name: String,
    /// The bank's BIC (8 or 11 characters); give it, the CNAPS code or both.
    #[arg(long, required_unless_present = "cnaps")]
    pub bic: Option<String>,
    /// The bank's 12-digit CNAPS code (支付系统行号).
    #[arg(long)]
    pub cnaps: Option<String>,
    /// The first day the account pays.
    #[arg(long)]
    pub valid_from: Date,
    /// The login of the staff member who sets it.
    #[arg(long = "as")]
    pub as_login: String,
}

fn app(e: tongchou_app::AppError) -> CliError {
    CliError(e.to_string())
}

/// The report of one file, in the reader's language.
fn print_report(file: &str, r: &ReturnsReport) {
    outln!("{}", tr!("cli-bank-file", file = file));
    outln!("SHA-256: {}", r.file_sha256);
    if r.already_read {
        outln!("{}", tr!("cli-bank-already-read"));
        return;
    }
    outln!("{}", tr!("cli-bank-accepted", n = r.accepted));
    outln!("{}", tr!("cli-bank-rejected", n = r.rejected));
    outln!("{}", tr!("cli-bank-quarantined", n = r.quarantined));
    outln!("{}", tr!("cli-bank-conflicts", n = r.conflicts));
    outln!("{}", tr!("cli-bank-posted", n = r.posted_transfers));
    for (t, attempt, state) in &r.transfer_payments {
        let s = if state == "paid" {
            tr!("cli-bank-paid")
        } else {
            tr!("cli-bank-returned")
        };
        outln!(
            "{}",
            tr!(
                "cli-bank-transfer-payment",
                transfer = t,
                attempt = attempt,
                state = s
            )
        );
    }
}

fn region_name(code: Option<RegionCode>) -> String {
    code.map(|c| {
        let name = Divisions::shanxi()
            .get(c)
            .map(|r| r.name.as_str())
            .unwrap_or("");
        format!("{c} {name}")
    })
    .unwrap_or_else(|| "-".into())
}

fn return_files(db: &mut Db, limit: i64, as_login: &str) -> CliResult {
    let who = acting_user(db, as_login)?;
    let files = disburse::return_files(db, &who, limit).map_err(app)?;
    outln!("{}", tr!("cli-bank-files-head"));
    for f in &files {
        outln!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {}",
            f.read_on,
            f.file_name,
            region_name(f.region),
            f.counts.lines,
            f.counts.accepted,
            f.counts.rejected,
            f.counts.quarantined,
            f.counts.conflicts,
            f.read_by.as_deref().unwrap_or("-")
        );
    }
    outln!("{}", tr!("cli-bank-files-count", n = files.len()));
    Ok(ExitCode::SUCCESS)
}

fn set_account(db: &mut Db, a: &SetArgs) -> CliResult {
    let who = acting_user(db, &a.as_login)?;
    let input = AccountInput {
        region: a.region,
        kind: &a.kind,
        agency_name: &a.agency,
        credit_code: &a.credit_code,
        account_number: &a.account,
        account_name: a.account_name.as_deref(),
        bank_name: &a.bank_name,
        bic: a.bic.as_deref(),
        cnaps: a.cnaps.as_deref(),
        valid_from: a.valid_from,
    };
    let (acct, written) = agency_accounts::set(db, &who, &input, now_ms()).map_err(app)?;
    if written {
        outln!(
            "{}",
            tr!(
                "cli-bank-set",
                region = region_name(Some(acct.region)),
                version = acct.version,
                from = acct.valid_from
            )
        );
    } else {
        outln!(
            "{}",
            tr!(
                "cli-bank-unchanged",
                region = region_name(Some(acct.region)),
                version = acct.version
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn review_account(db: &mut Db, d: &agency_accounts::Decision<'_>, as_login: &str) -> CliResult {
    let who = acting_user(db, as_login)?;
    let a = agency_accounts::review(db, &who, d, now_ms()).map_err(app)?;
    outln!(
        "{}",
        tr!(
            "cli-bank-reviewed",
            status = agency_accounts::status_name(&a.status),
            region = region_name(Some(a.region)),
            version = a.version,
            by = a.set_by
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn list_accounts(db: &mut Db, region: Option<RegionCode>, on: Option<Date>) -> CliResult {
    let mut rows = agency_accounts::list(db, region).map_err(app)?;
    if let Some(day) = on {
        let mut in_force = Vec::new();
        for r in &rows {
            if let Some(a) =
                agency_accounts::in_force_of(db, r.region, &r.kind, day).map_err(app)?
                && a.version == r.version
            {
                in_force.push(a);
            }
        }
        rows = in_force;
    }
    outln!("{}", tr!("cli-bank-accounts-head"));
    for a in &rows {
        outln!(
            "{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}",
            region_name(Some(a.region)),
            agency_accounts::kind_name(&a.kind),
            a.version,
            a.valid_from,
            a.agency_name,
            a.credit_code,
            a.account_number,
            a.bank_name,
            a.bic.as_deref().unwrap_or("-"),
            a.cnaps.as_deref().unwrap_or("-"),
            a.set_by,
            a.set_at,
            agency_accounts::status_name(&a.status),
            a.reviewed_by.as_deref().unwrap_or("-")
        );
    }
    outln!("{}", tr!("cli-bank-accounts-count", n = rows.len()));
    Ok(ExitCode::SUCCESS)
}

pub fn run(c: BankCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        BankCmd::Returns { file, on, as_login } => {
            let name = file.display().to_string();
            let bytes = std::fs::read(&file).map_err(|e| {
                CliError(tongchou_core::tr!(
                    "cli-err-cannot-read",
                    file = name,
                    error = e
                ))
            })?;
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let r = disburse::import_returns(&mut db, &who, &name, &bytes, on, now_ms())
                .map_err(app)?;
            print_report(&name, &r);
            Ok(ExitCode::SUCCESS)
        }
        BankCmd::ReturnFiles { limit, as_login } => return_files(&mut db, limit, &as_login),
        BankCmd::Account(AccountCmd::Set(a)) => set_account(&mut db, &a),
        BankCmd::Account(AccountCmd::Review {
            region,
            account_version: version,
            refuse,
            note,
            as_login,
        }) => {
            let d = agency_accounts::Decision {
                region,
                version,
                confirm: !refuse,
                note: note.as_deref(),
            };
            review_account(&mut db, &d, &as_login)
        }
        BankCmd::Account(AccountCmd::List { region, on }) => list_accounts(&mut db, region, on),
    }
}
