//! `tongchou serve`: the web service (staff login, scoped data access, public estimator).

use crate::output::{CliError, CliResult};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The server's certificate chain (PEM, leaf first): the service speaks HTTPS itself, with
    /// HSTS and Secure cookies.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of the certificate (PEM; PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP, without TLS: for local development, or behind a proxy that terminates
    /// TLS. On a loopback address cookies then go over plain HTTP; on any other address they
    /// are marked Secure and HSTS is sent (the proxy must speak HTTPS).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub plain_http: bool,
    /// Where a month run from the page `/month` writes its payment files (as `month run --out`).
    #[arg(long, default_value = "bank-files")]
    pub bank_files: PathBuf,
    /// The tax bureau's exchange key (64 hex digits, mode 0600): `/dues` hands out the dues file
    /// sealed for it, as `tongchou dues --seal-key-file` does. Without it (or `--dues-plain`)
    /// the page refuses the download: the file carries full ID numbers.
    #[arg(long, value_name = "FILE", conflicts_with = "dues_plain")]
    pub dues_seal_key_file: Option<PathBuf>,
    /// Hand the dues file out in plain text, only where its way is protected otherwise.
    #[arg(long)]
    pub dues_plain: bool,
    /// The national transfer platform's exchange key (64 hex digits, mode 0600): `/transfers`
    /// hands out a transfer certificate sealed for it, as `tongchou transfer out
    /// --seal-key-file` does. Without it (or `--transfer-plain`) the download is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "transfer_plain")]
    pub transfer_seal_key_file: Option<PathBuf>,
    /// Hand transfer certificates out in plain text, only where their way is protected otherwise.
    #[arg(long)]
    pub transfer_plain: bool,
    /// Microseconds the audit writer waits, when reads arrive together, for more entries to
    /// commit with a batch's first (PostgreSQL's `commit_delay`; a lone read never waits).
    #[arg(long, value_name = "US", default_value_t = tongchou_server::Config::new("").audit_gather_us)]
    pub audit_gather_us: u64,
}

/// `--dues-seal-key-file` / `--dues-plain` (or the transfer pair) as the service's setting.
pub fn exchange(
    key_file: Option<&std::path::Path>,
    plain: bool,
) -> Result<Option<tongchou_server::Exchange>, CliError> {
    Ok(match key_file {
        Some(k) => Some(tongchou_server::Exchange::Sealed(std::sync::Arc::new(
            tongchou_store::keys::master_from_file(k)?,
        ))),
        None if plain => Some(tongchou_server::Exchange::Plain),
        None => None,
    })
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    let addr: std::net::SocketAddr = a.bind.parse().map_err(|e| {
        CliError(tongchou_core::tr!(
            "cli-err-bind",
            got = format!("{:?}", a.bind),
            error = e
        ))
    })?;
    let mut cfg = tongchou_server::Config::new(db_url);
    cfg.bank_files = a.bank_files.clone();
    cfg.dues_exchange = exchange(a.dues_seal_key_file.as_deref(), a.dues_plain)?;
    cfg.transfer_exchange = exchange(a.transfer_seal_key_file.as_deref(), a.transfer_plain)?;
    cfg.audit_gather_us = a.audit_gather_us;
    match (&a.tls_cert, &a.tls_key) {
        (Some(cert), Some(key)) => {
            cfg.tls = Some(tongchou_server::tls::server_config(cert, key).map_err(CliError)?);
            cfg.secure_cookies = true;
        }
        _ if a.plain_http => cfg.secure_cookies = !addr.ip().is_loopback(),
        _ => {
            return Err(CliError(tongchou_core::tr!("cli-err-serve-tls")));
        }
    }
    tongchou_server::run(&a.bind, cfg).map_err(CliError)?;
    Ok(ExitCode::SUCCESS)
}
