//! `tongchou account`: individual accounts (个人账户): close a year with interest, statements.

use crate::output::{CliError, CliResult, print_json};
use std::process::ExitCode;
use tongchou_core::{IdNumber, Policy, tr};
use tongchou_store::{Db, registry};

#[derive(clap::Subcommand)]
pub enum AccountCmd {
    /// Close a year for every individual account: the year's interest at the crediting rate
    /// (记账利率) on the opening balance and, month by month, on the parts credited. Needs every
    /// month of the year collected; a year is closed once.
    Close {
        #[arg(long)]
        year: i32,
    },
    /// A person's yearly statement (对账单): opening, monthly credits, interest, closing, with the
    /// rule and its parameters.
    Statement {
        /// The person's resident ID number.
        #[arg(long)]
        id_number: String,
        #[arg(long)]
        year: i32,
        /// The staff member who acts (password from `TONGCHOU_PASSWORD` or standard input).
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: AccountCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    let policy = Policy::builtin()?;
    match c {
        AccountCmd::Close { year } => {
            let (n, interest) = tongchou_app::accounts::close_year(&mut db, &policy, year)
                .map_err(|e| CliError(e.to_string()))?;
            outln!(
                "{}",
                tr!(
                    "cli-account-closed",
                    year = year,
                    n = n,
                    interest = interest
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        AccountCmd::Statement {
            id_number,
            year,
            as_login,
        } => {
            let actor = crate::session::staff(
                &mut db,
                &as_login,
                &[tongchou_core::access::Permission::PersonRead],
                tongchou_core::i18n::word("cli-err-what-statement"),
            )?;
            let id = IdNumber::parse(&id_number, tongchou_app::clock::today_china())
                .map_err(|e| CliError(format!("--id-number: {e}")))?;
            let person = registry::person_id_by_number(&mut db, id.as_str())?.ok_or_else(|| {
                CliError(tongchou_core::tr!("cli-err-no-person", id = id.masked()))
            })?;
            let s = tongchou_app::accounts::statement(
                &mut db,
                &actor,
                tongchou_app::clock::now_ms(),
                &policy,
                person,
                year,
            )
            .map_err(|e| CliError(e.to_string()))?;
            print_json(&s)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
