//! `tongchou transfer out|in|list`: transfers of the pension relationship between provinces
//! (转移接续, 国办发〔2009〕66号) through `tongchou_app::transfer`; the certificate is the exchange
//! document of `docs/FORMATS.md`. Acting staff: `--as LOGIN` (the provincial bureau).

use crate::cmd::benefits::{engine, read_file};
use crate::output::{CliError, CliResult, print_json};
use crate::session::{acting_user, staff};
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::transfer;
use tongchou_core::access::Permission::PersonRead;
use tongchou_core::{Date, Fen, Policy, RegionCode};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// A person leaves the province: the certificate (参保缴费凭证) written to `--output`, the
    /// money (whole account balance + 12 % of each year's base since 1998) booked as 转移支出,
    /// the record closed. Refused for anyone drawing a pension.
    Out {
        #[arg(long)]
        id_number: String,
        /// The receiving province's code (e.g. 110000).
        #[arg(long)]
        to: u32,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long)]
        output: PathBuf,
        #[arg(long = "as")]
        as_login: String,
    },
    /// A certificate received with its money: booked as 转移收入, the years and balance added;
    /// held for review when the money disagrees with the certificate.
    In {
        #[arg(long)]
        certificate: PathBuf,
        /// The money received, in yuan.
        #[arg(long)]
        received: Fen,
        /// The county that takes the person in (if unknown to the province).
        #[arg(long)]
        county: RegionCode,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The transfers, oldest first (`--status held` for those held for review).
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: Cmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let policy = Policy::builtin().map_err(|e| CliError(e.to_string()))?;
    match c {
        Cmd::Out {
            id_number,
            to,
            on,
            output,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let cert =
                transfer::transfer_out(&mut db, &who, &policy, id_number.trim(), to, on, now_ms())
                    .map_err(engine)?;
            let bytes = transfer::to_bytes(&cert).map_err(engine)?;
            std::fs::write(&output, bytes)
                .map_err(|e| CliError(format!("--output {}: {e}", output.display())))?;
            print_json(
                &serde_json::json!({"certificate": output.display().to_string(), "paid_months": cert.paid_months, "account_balance": cert.account_balance, "pooling": cert.pooling, "total": cert.total}),
            )?;
        }
        Cmd::In {
            certificate,
            received,
            county,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let bytes = read_file(&certificate)?;
            let on = on.unwrap_or_else(today_china);
            let r = transfer::transfer_in(
                &mut db,
                &who,
                &policy,
                &bytes,
                received,
                county,
                on,
                now_ms(),
            )
            .map_err(engine)?;
            print_json(&r)?;
        }
        Cmd::List { status, as_login } => {
            staff(&mut db, &as_login, &[PersonRead], "read the transfers")?;
            let list = tongchou_store::transfers::list(&mut db, status.as_deref())?;
            let v: Vec<serde_json::Value> = list
                .iter()
                .map(|t| serde_json::json!({"id": t.id, "direction": t.direction, "id_number": t.id_number, "other_province": t.other_province, "transfer_date": t.transfer_date, "paid_months": t.paid_months, "total_fen": t.total_fen, "received_fen": t.received_fen, "status": t.status}))
                .collect();
            print_json(&v)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
