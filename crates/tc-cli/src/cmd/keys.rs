//! `tongchou keys`: the field encryption's data keys (docs/CRYPTO.md §4). `convert` seals the
//! ID numbers and bank accounts written before the deployment had a master key and turns its
//! lookup columns into blind indexes; `rotate` makes a new data key current, re-encrypts every
//! field under it and retires the old ones; `status` shows the keys and fields left behind.
//! Both run in batches while the system runs and resume where a killed run stopped; audited.

use crate::output::{CliError, CliResult, print_json};
use crate::session::operator;
use std::process::ExitCode;
use std::sync::Arc;
use tongchou_app::clock::now_ms;
use tongchou_store::{Db, keys, rekey};

#[derive(clap::Subcommand)]
pub enum KeysCmd {
    /// Encrypt the fields still in plain text under the current data key (resumes a run left
    /// unfinished).
    Convert {
        /// Rows per batch (each batch its own transaction).
        #[arg(long, default_value_t = 5000)]
        batch: i64,
    },
    /// Make a new data key current, re-encrypt every field under it, retire the old keys
    /// (resumes a run left unfinished).
    Rotate {
        /// Rows per batch (each batch its own transaction).
        #[arg(long, default_value_t = 5000)]
        batch: i64,
    },
    /// The data keys, the current one, the open run and the fields not under the current key.
    Status,
}

pub fn run(c: KeysCmd, db_url: &str) -> CliResult {
    let master = keys::master_for(db_url)?.ok_or_else(|| {
        CliError(tongchou_core::tr!(
            "cli-err-no-master-key",
            file = keys::MASTER_KEY_FILE_ENV,
            env = keys::MASTER_KEY_ENV
        ))
    })?;
    let mut db = Db::open(db_url)?;
    let op = operator();
    let (rotate, batch) = match c {
        KeysCmd::Convert { batch } => (false, batch),
        KeysCmd::Rotate { batch } => (true, batch),
        KeysCmd::Status => return status(&mut db),
    };
    if !(1..=1_000_000).contains(&batch) {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-batch-range",
            got = batch
        )));
    }
    let out = tongchou_app::keys::run(&mut db, Arc::new(master), rotate, &op, now_ms(), batch)?;
    print_json(&out.to_json())?;
    Ok(ExitCode::SUCCESS)
}

fn status(db: &mut Db) -> CliResult {
    let current = db.keyring().map(|k| k.current_key()).unwrap_or(0);
    let left = rekey::stragglers(db, current)?;
    let open = rekey::open_run(db)?;
    let keys = keys::list(db)?;
    let left: serde_json::Map<String, serde_json::Value> = left
        .iter()
        .map(|(c, n)| ((*c).to_string(), serde_json::json!(n)))
        .collect();
    print_json(&serde_json::json!({
        "current": current, "keys": keys, "not_under_current": left,
        "open_run": open.map(|r| serde_json::json!({"id": r.id, "kind": r.kind, "to_key": r.to_key})),
    }))?;
    Ok(ExitCode::SUCCESS)
}
