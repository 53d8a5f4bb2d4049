//! `tongchou dues`: the month's dues file for the tax bureau (应缴明细), a thin edge over
//! `tongchou_app::dues::export`, which checks who acts (password from `TONGCHOU_PASSWORD` or
//! standard input) and audits. The file is written beside its final name and renamed only when
//! it is complete: a refused or failed export leaves no file.

use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_core::{Period, RegionCode, tr};
use tongchou_store::Db;

#[derive(clap::Args)]
pub struct Args {
    /// The month assessed (所属期), e.g. 2026-10.
    #[arg(long)]
    pub period: Period,
    /// The province, a city or a county within your region (default: your region).
    #[arg(long)]
    pub region: Option<RegionCode>,
    /// Where to write the file (CSV, UTF-8).
    #[arg(long)]
    pub output: PathBuf,
    /// The login of the staff member who exports it.
    #[arg(long = "as")]
    pub as_login: String,
    /// The file holds full ID numbers: seal it for the receiver with this exchange key (64 hex
    /// digits, mode 0600, agreed with the tax bureau out of band); the bureau opens it with
    /// `tongchou unseal --key-file K --from FILE --out CSV` (docs/OPERATIONS.md).
    #[arg(long, conflicts_with = "plain")]
    pub seal_key_file: Option<PathBuf>,
    /// Write it in plain text, only where the transport is otherwise protected.
    #[arg(long)]
    pub plain: bool,
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    let key = crate::session::seal_key(
        a.seal_key_file.as_deref(),
        a.plain,
        tongchou_core::i18n::word("cli-err-what-dues-file"),
    )?;
    let mut db = Db::open(db_url)?;
    let who = acting_user(&mut db, &a.as_login)?;
    let exchange = match &key {
        Some(k) => tongchou_app::dues::Exchange::Sealed(k),
        None => tongchou_app::dues::Exchange::Plain,
    };
    let done = crate::output::write_whole(&a.output, |out| {
        tongchou_app::dues::export_for(&mut db, &who, a.period, a.region, exchange, out, now_ms())
            .map_err(|e| CliError(e.to_string()))
    })?;
    outln!(
        "{}",
        tr!(
            "cli-dues-written",
            period = done.period,
            region = done.region,
            rows = done.rows,
            total = done.total.grouped(),
            file = a.output.display()
        )
    );
    Ok(ExitCode::SUCCESS)
}
