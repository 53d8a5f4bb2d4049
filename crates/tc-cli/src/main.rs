//! `tongchou`: the command line of the provincial pension fund system.

mod arg_error;
#[macro_use]
mod output;
mod cmd;
mod help;
mod session;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: the service's audited reads spent about 15 % of their
/// CPU in `malloc`/`free` (perf, docs/PERFORMANCE.md, issue 13 item 8).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tongchou (统筹): the enterprise-employee basic pension fund of a province under provincial
/// centralized collection and disbursement (省级统收统支).
#[derive(Parser)]
#[command(name = "tongchou", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Database to use: sqlite://PATH (the default, an embedded file) or postgres://HOST/DB.
    #[arg(
        long,
        global = true,
        env = "TONGCHOU_DB",
        default_value = "sqlite://tongchou.db"
    )]
    pub db: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check ID numbers or credit codes line by line (for cleaning legacy data before a migration).
    /// Prints one JSON object per input line: {"line", "input", "valid", "error"}.
    Validate(cmd::validate::Args),
    /// The statutory retirement age and month for a birth month and category, under the 2025
    /// reform, with the flexible early/late window.
    RetirementAge(cmd::retirement::Args),
    /// Pension calculations (国发〔2005〕38号).
    #[command(subcommand)]
    Pension(cmd::pension::PensionCmd),
    /// Show the dated policy parameters in force on a date, with their sources.
    Policy(cmd::policy::Args),
    /// The fund ledger: check, trial balance, account history.
    #[command(subcommand)]
    Ledger(cmd::ledger::LedgerCmd),
    /// Staff and insured-person accounts (passwords from TONGCHOU_PASSWORD or stdin).
    #[command(subcommand)]
    User(cmd::user::UserCmd),
    /// The tamper-evident audit log: verify the hash chain, read entries.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCmd),
    /// Field encryption keys (数据密钥): convert plain ID numbers and bank accounts, rotate the
    /// data key (needs the master key: TONGCHOU_MASTER_KEY_FILE or TONGCHOU_MASTER_KEY).
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Retirement approval (退休审批): who reaches the statutory month, applications (county
    /// agency), decisions (another user with the approve permission), the list.
    #[command(subcommand)]
    Retire(cmd::benefits::RetireCmd),
    /// Death records from public security (公安) and civil affairs (民政); survivors' claims of
    /// death settlements and the settlements still unclaimed.
    #[command(subcommand)]
    Deaths(cmd::benefits::DeathsCmd),
    /// Eligibility certification (领取养老金资格认证): alive records from other departments,
    /// certification at the counter, the standing per county.
    #[command(subcommand)]
    Certification(cmd::certification::Cmd),
    /// Recovery cases (追回): repayments through the ledger, write-offs with approval, the
    /// report by county.
    #[command(subcommand)]
    Recovery(cmd::recovery::Cmd),
    /// Back-payments (补缴) of past months never assessed: each month under its own period's
    /// rules, approval above a threshold, collected with late fees in the open month.
    #[command(subcommand)]
    Backpay(cmd::backpay::Cmd),
    /// Cross-checks (数据比对): death records and other payment rolls against the pensioner roll
    /// and the payments made; suspensions, settlements, recovery cases, the report by county.
    #[command(subcommand)]
    Crosscheck(cmd::benefits::CrosscheckCmd),
    /// Benefits: the yearly adjustment, recomputation with a corrected policy, amounts due.
    #[command(subcommand)]
    Benefits(cmd::benefits::BenefitsCmd),
    /// Generate a demo province (a synthetic population in an embedded database) and run its
    /// months end to end: collection, fund-use plans, approval, allocation, payments, returns;
    /// print a summary per city; optionally start the web service on it.
    Demo(cmd::demo::Args),
    /// Individual accounts: close a year with interest; yearly statements (对账单).
    #[command(subcommand)]
    Account(cmd::account::AccountCmd),
    /// The fund's final accounts (决算) by budget item, per region and level, from the ledger:
    /// `accounts final --year Y` (table, JSON or XLSX).
    #[command(subcommand)]
    Accounts(cmd::accounts::AccountsCmd),
    /// The fund budget (基金预算) of a year: draft, edit, show, submit, review, approve, adjust,
    /// comment, the collection tasks, and its execution from the ledger.
    #[command(subcommand)]
    Budget(cmd::budget::BudgetCmd),
    /// Period close (结账): close a month (`--period M`) or a year (`--year Y`) of the books of
    /// one level (`--level county|city|province`), in the order county → city → province;
    /// posting into a closed month is refused. `--status` lists every book's last closed month.
    Close(cmd::close::Args),
    /// Reopen a closed month of a book: asked for by one staff member, approved by another.
    #[command(subcommand)]
    Reopen(cmd::close::ReopenCmd),
    /// Record other income of the fund (subsidies, central transfers, interest…).
    #[command(subcommand)]
    Income(cmd::income::IncomeCmd),
    /// Run, reconcile and report the months of the province (the monthly cycle).
    #[command(subcommand)]
    Month(cmd::month::MonthCmd),
    /// The month's fund-use application (用款计划申请): show it; the finance department decides
    /// it (in full, in part or not at all; never its submitter).
    #[command(subcommand)]
    Plan(cmd::plan::PlanCmd),
    /// Banks: read a bank's return file (pain.002 or CSV) as the province or the paying agency,
    /// list the return files read, and keep the county agencies' paying accounts (the debtor of
    /// every payment file) as dated versions.
    #[command(subcommand)]
    Bank(cmd::bank::BankCmd),
    /// The month's dues file for the tax bureau (应缴明细): what each payer owes, from the
    /// month's assessments, as the tax bureau or the provincial bureau (audited).
    Dues(cmd::dues::Args),
    /// A sealed backup of the database (SQLite online copy, PostgreSQL pg_dump or
    /// pg_basebackup), encrypted with the deployment's master key; or a named restore point.
    Backup(cmd::backup::BackupArgs),
    /// Restore a sealed backup into the database named by --db (a new SQLite file or an empty
    /// PostgreSQL schema), check a backup file, or prepare a point-in-time recovery.
    Restore(cmd::backup::RestoreArgs),
    /// Open a file sealed for a receiver (the dues file sealed with --seal-key-file) with that
    /// exchange key.
    Unseal(cmd::backup::UnsealArgs),
    /// PostgreSQL's WAL archive sealed with the master key: `wal push` is the server's
    /// archive_command, `wal fetch` its restore_command.
    #[command(subcommand)]
    Wal(cmd::backup::WalCmd),
    /// Run the web service: staff login, region-scoped data, the public pension estimator.
    Serve(cmd::serve::Args),
    /// Load files of persons, employers, wage declarations or the tax bureau's collection
    /// results (CSV in UTF-8 or GBK, or XLSX), all or nothing; `import template KIND` prints
    /// the header line of each kind.
    #[command(subcommand)]
    Import(cmd::import::ImportCmd),
    /// Migrate a city's legacy records (历史数据迁移): check them against the control totals and
    /// the province, load them all or nothing, resolve the persons registered in two cities.
    #[command(subcommand)]
    Migrate(cmd::migrate::Cmd),
    /// Transfers of the pension relationship between provinces (转移接续, 国办发〔2009〕66号):
    /// out with the certificate and the money, in with the money checked against it.
    #[command(subcommand)]
    Transfer(cmd::transfer::Cmd),
    /// Reports from the stored results of the monthly jobs: a month's collection per city or
    /// county, open arrears by county or employer (table, JSON, CSV or XLSX).
    #[command(subcommand)]
    Report(cmd::report::ReportCmd),
    /// The month's early warning per county, city and province: months payable, dependency
    /// ratio, collection against the task, working balance, arrears growth, anomalies; each
    /// warning with its evidence and who must act (table, JSON, CSV or XLSX).
    Warn(cmd::warn::Args),
    /// Gap sharing (缺口分担): compute a year's gap per county by cause and share it among
    /// province, city and county; show the shares, paid and overdue; settle a government's payment.
    #[command(subcommand)]
    Gap(cmd::gap::GapCmd),
    /// The target assessment of cities and counties: six indicators, score, rank, reward and
    /// accountability lists (table, JSON, CSV or XLSX).
    Assess(cmd::assess::Args),
    /// The central adjustment fund (2018-2021: remittance, allocation, quarterly advances,
    /// year-end settlement) and national pooling (2022 on), booked through the ledger.
    #[command(subcommand)]
    Central(cmd::central::CentralCmd),
    /// The fund's cohort projection (基金精算预测) N years ahead from the database's aggregates,
    /// per scenario (wage growth, compliance, coverage), with its assumptions printed (table,
    /// JSON, CSV or XLSX).
    Project(cmd::project::Args),
    /// The provincial pension reserve fund (储备基金): equity transferred, returns collected, uses
    /// covering a year's gap with a maker–checker approval.
    #[command(subcommand)]
    Reserve(cmd::reserve::ReserveCmd),
}

fn main() -> ExitCode {
    // every thread's messages (the use cases', the import's) in `TONGCHOU_LANG`
    tongchou_core::i18n::set_default(output::lang());
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                help::exit_with_help(output::lang());
            }
            if e.kind() == ErrorKind::DisplayVersion {
                e.exit();
            }
            // One clear line naming the argument and the reason, in the reader's language.
            eprintln!(
                "{}",
                tongchou_core::tr!("cli-err-prefix", message = arg_error::line(&e))
            );
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Validate(a) => cmd::validate::run(a),
        Command::RetirementAge(a) => cmd::retirement::run(a),
        Command::Pension(c) => cmd::pension::run(c),
        Command::Policy(a) => cmd::policy::run(a),
        Command::Ledger(c) => cmd::ledger::run(c, &cli.db),
        Command::User(c) => cmd::user::run(c, &cli.db),
        Command::Audit(c) => cmd::audit::run(c, &cli.db),
        Command::Keys(c) => cmd::keys::run(c, &cli.db),
        Command::Retire(c) => cmd::benefits::run_retire(c, &cli.db),
        Command::Deaths(c) => cmd::benefits::run_deaths(c, &cli.db),
        Command::Certification(c) => cmd::certification::run(c, &cli.db),
        Command::Recovery(c) => cmd::recovery::run(c, &cli.db),
        Command::Backpay(c) => cmd::backpay::run(c, &cli.db),
        Command::Crosscheck(c) => cmd::benefits::run_crosscheck(c, &cli.db),
        Command::Benefits(c) => cmd::benefits::run_benefits(c, &cli.db),
        Command::Serve(a) => cmd::serve::run(a, &cli.db),
        Command::Backup(a) => cmd::backup::run_backup(a, &cli.db),
        Command::Restore(a) => cmd::backup::run_restore(a, &cli.db),
        Command::Unseal(a) => cmd::backup::run_unseal(a),
        Command::Wal(c) => cmd::backup::run_wal(c),
        Command::Demo(a) => cmd::demo::run(a, &cli.db),
        Command::Month(c) => cmd::month::run(c, &cli.db),
        Command::Plan(c) => cmd::plan::run(c, &cli.db),
        Command::Bank(c) => cmd::bank::run(c, &cli.db),
        Command::Dues(a) => cmd::dues::run(a, &cli.db),
        Command::Income(c) => cmd::income::run(c, &cli.db),
        Command::Account(c) => cmd::account::run(c, &cli.db),
        Command::Accounts(c) => cmd::accounts::run(c, &cli.db),
        Command::Budget(c) => cmd::budget::run(c, &cli.db),
        Command::Close(a) => cmd::close::run(a, &cli.db),
        Command::Reopen(c) => cmd::close::run_reopen(c, &cli.db),
        Command::Import(c) => cmd::import::run(c, &cli.db),
        Command::Migrate(c) => cmd::migrate::run(c, &cli.db),
        Command::Transfer(c) => cmd::transfer::run(c, &cli.db),
        Command::Report(c) => cmd::report::run(c, &cli.db),
        Command::Warn(a) => cmd::warn::run(a, &cli.db),
        Command::Gap(c) => cmd::gap::run(c, &cli.db),
        Command::Assess(a) => cmd::assess::run(a, &cli.db),
        Command::Central(c) => cmd::central::run(c, &cli.db),
        Command::Project(a) => cmd::project::run(a, &cli.db),
        Command::Reserve(c) => cmd::reserve::run(c, &cli.db),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", tongchou_core::tr!("cli-err-prefix", message = e));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command and subcommand is well formed (clap's own checks: unique names, no clash
    /// with `--version` or `--help`), so no user meets a panic instead of a command.
    #[test]
    fn every_command_is_well_formed() {
        Cli::command().debug_assert();
    }
}
