//! `tongchou transfer requests FILE --output-dir DIR`: other provinces' transfer requests as a
//! file (kind `transfer-requests`, `docs/FORMATS.md`) through
//! `tongchou_app::transfer::requests`: every line transferred out in one transaction, or the
//! file refused with every problem by row and field and nothing written; the same file again
//! transfers nothing. The certificates are written to `DIR/transfer-ID.json`, sealed for the
//! receiver (`transfer-ID.json.sealed`, opened by `tongchou unseal`) with `--seal-key-file`, in
//! plain text only with an explicit `--plain` (they carry full ID numbers).

use crate::cmd::benefits::{engine, read_file};
use crate::cmd::transfer::{Acting, Sealing};
use crate::output::{CliError, print_json};
use std::path::{Path, PathBuf};
use tongchou_app::clock::now_ms;
use tongchou_app::transfer::{self, Certificate, requests::Outcome};
use tongchou_core::Policy;
use tongchou_store::Db;
use tongchou_store::backup::MasterKey;

#[derive(clap::Args)]
pub struct Args {
    /// The request file (CSV in UTF-8 or GBK, or XLSX).
    file: PathBuf,
    /// Where the certificates go, one file per transfer.
    #[arg(long)]
    output_dir: PathBuf,
    #[command(flatten)]
    sealing: Sealing,
    #[command(flatten)]
    acting: Acting,
}

/// One certificate into `dir`, sealed when a key is given; written beside its name first.
fn write_certificate(
    db: &mut Db,
    dir: &Path,
    id: i64,
    c: &Certificate,
    key: Option<&MasterKey>,
) -> Result<PathBuf, CliError> {
    let name = match key {
        Some(_) => format!("transfer-{id}.json.sealed"),
        None => format!("transfer-{id}.json"),
    };
    let path = dir.join(&name);
    write_certificate_to(db, &path, c, key)?;
    Ok(path)
}

/// A certificate into `path` (whole or not at all), sealed for the receiver's exchange key when
/// one is given (kind `transfer-certificate`).
pub(crate) fn write_certificate_to(
    db: &mut Db,
    path: &Path,
    c: &Certificate,
    key: Option<&MasterKey>,
) -> Result<(), CliError> {
    crate::output::write_whole(path, |out| {
        transfer::write_certificate(db, c, exchange(key), out).map_err(engine)
    })
}

fn exchange(key: Option<&MasterKey>) -> tongchou_app::exchange::Exchange<'_> {
    match key {
        Some(k) => tongchou_app::exchange::Exchange::Sealed(k),
        None => tongchou_app::exchange::Exchange::Plain,
    }
}

pub fn run(db: &mut Db, policy: &Policy, a: Args) -> Result<(), CliError> {
    let key = a
        .sealing
        .key(tongchou_core::i18n::word("cli-err-what-certificates"))?;
    if !a.output_dir.is_dir() {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-not-dir",
            dir = a.output_dir.display()
        )));
    }
    let who = a.acting.user(db)?;
    let bytes = read_file(&a.file)?;
    let name = a.file.file_name().map_or_else(
        || a.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let on = a.acting.day();
    let outcome =
        transfer::requests::read_requests(db, &who, policy, (&name, &bytes), on, now_ms())
            .map_err(engine)?;
    let mut written = Vec::new();
    let (import, already) = match outcome {
        Outcome::Rejected(problems) => {
            let lines: Vec<String> = problems
                .iter()
                .map(tongchou_app::imports::problem_line)
                .collect();
            return Err(CliError(format!(
                "{}\n{}",
                tongchou_core::tr!("cli-err-requests-refused", file = name),
                lines.join("\n")
            )));
        }
        Outcome::Transferred(import, done) => {
            for t in &done {
                let p = write_certificate(
                    db,
                    &a.output_dir,
                    t.line.transfer_id,
                    &t.certificate,
                    key.as_ref(),
                )?;
                written.push(serde_json::json!({"row": t.line.row_no, "request_no": t.line.request_no, "transfer": t.line.transfer_id, "total": t.certificate.total, "certificate": p.display().to_string()}));
            }
            (import, false)
        }
        Outcome::Already(import, lines) => {
            // the certificates written again from the record (each read audited)
            for l in &lines {
                let c =
                    transfer::certificate_of(db, &who, l.transfer_id, now_ms()).map_err(engine)?;
                let p = write_certificate(db, &a.output_dir, l.transfer_id, &c, key.as_ref())?;
                written.push(serde_json::json!({"row": l.row_no, "request_no": l.request_no, "transfer": l.transfer_id, "total": c.total, "certificate": p.display().to_string()}));
            }
            (import, true)
        }
    };
    print_json(&serde_json::json!({"import": import, "already": already, "transfers": written}))?;
    Ok(())
}
