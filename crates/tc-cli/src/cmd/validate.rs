use crate::output::{CliResult, open_input};
use clap::ValueEnum;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use tongchou_core::{CreditCode, Date, IdNumber};

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Resident ID numbers (GB 11643-1999; legacy 15-digit numbers are upgraded).
    IdNumber,
    /// Unified social credit codes (GB 32100-2015).
    CreditCode,
}

#[derive(clap::Args)]
pub struct Args {
    /// What the lines hold.
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// The file to read, one value per line; `-` for standard input.
    #[arg(long)]
    pub file: String,
    /// Date against which birth dates must not be in the future (default: today in China).
    #[arg(long)]
    pub today: Option<Date>,
}

/// Always exits 0 when the file could be read: invalid lines are data, reported per line.
pub fn run(a: Args) -> CliResult {
    let today = a.today.unwrap_or_else(tongchou_app::clock::today_china);
    let input = open_input("--file", &a.file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, line) in input.split(b'\n').enumerate() {
        let raw = line.map_err(|e| crate::output::CliError(format!("--file {}: {e}", a.file)))?;
        let raw = raw.strip_suffix(b"\r").unwrap_or(&raw);
        let (text, err) = match std::str::from_utf8(raw) {
            Ok(t) => {
                let r = match a.kind {
                    Kind::IdNumber => IdNumber::parse(t, today).map(|_| ()),
                    Kind::CreditCode => CreditCode::parse(t).map(|_| ()),
                };
                (t.to_string(), r.err().map(|e| e.0))
            }
            Err(_) => (
                String::from_utf8_lossy(raw).into_owned(),
                Some(tongchou_core::tr!("cli-validate-not-utf8")),
            ),
        };
        let obj = match err {
            None => serde_json::json!({"line": i + 1, "input": text, "valid": true}),
            Some(e) => {
                serde_json::json!({"line": i + 1, "input": text, "valid": false, "error": e})
            }
        };
        writeln!(out, "{obj}").map_err(crate::output::stdout_error)?;
    }
    out.flush().map_err(crate::output::stdout_error)?;
    Ok(ExitCode::SUCCESS)
}
