//! `tongchou serve`: the web service (staff login, scoped data access, public estimator).

use crate::output::{CliError, CliResult};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on. On a loopback address cookies are sent over plain HTTP (local use);
    /// on any other address they are marked Secure and HSTS is sent: put TLS in front.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    let addr: std::net::SocketAddr = a
        .bind
        .parse()
        .map_err(|e| CliError(format!("--bind: expected IP:PORT, got {:?}: {e}", a.bind)))?;
    let mut cfg = tongchou_server::Config::new(db_url);
    cfg.secure_cookies = !addr.ip().is_loopback();
    tongchou_server::run(&a.bind, cfg).map_err(CliError)?;
    Ok(ExitCode::SUCCESS)
}
