//! Shared helpers for command output and errors.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

/// A command failure: one clear line naming the field and the reason.
#[derive(Debug)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> CliError {
        CliError(e.to_string())
    }
}

pub type CliResult = Result<std::process::ExitCode, CliError>;

/// Open a file argument, `-` meaning standard input.
pub fn open_input(path: &str) -> Result<Box<dyn BufRead>, CliError> {
    if path == "-" {
        Ok(Box::new(BufReader::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path).map_err(|e| CliError(format!("--file {path}: {e}")))?;
        Ok(Box::new(BufReader::new(f)))
    }
}

/// Read a whole file argument (`-` for stdin) as text.
pub fn read_input(path: &str) -> Result<String, CliError> {
    let mut s = String::new();
    open_input(path)?
        .read_to_string(&mut s)
        .map_err(|e| CliError(format!("--input {path}: {e}")))?;
    Ok(s)
}

/// Print a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| CliError(format!("json: {e}")))?;
    println!("{s}");
    Ok(())
}
