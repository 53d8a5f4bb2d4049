//! Shared helpers for command output and errors.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};

/// `outln!` for the command's output, through [`write_stdout`]: a reader that closes the pipe
/// early (`tongchou … | head -3`) ends the program quietly instead of a panic.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// How a cell sits in its column of a text table.
#[derive(Clone, Copy, Debug)]
pub enum Align {
    Left,
    Right,
}

/// One line of a text table: each cell padded to its column's width on a terminal (a Chinese
/// character takes two columns, so `{:<36}` would not line up), one space between columns, no
/// trailing blanks; a cell wider than its column pushes the rest along.
pub fn columns(cells: &[impl AsRef<str>], cols: &[(usize, Align)]) -> String {
    let mut line = String::new();
    for (i, (cell, (w, align))) in cells.iter().zip(cols).enumerate() {
        let cell: &str = cell.as_ref();
        let pad = " ".repeat(w.saturating_sub(tongchou_app::reports::sheet::width(cell)));
        if i > 0 {
            line.push(' ');
        }
        match align {
            Align::Left => {
                line.push_str(cell);
                line.push_str(&pad);
            }
            Align::Right => {
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
    }
    line.trim_end().to_string()
}

/// `print!` through [`write_stdout`].
#[allow(unused_macros)]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// Write the command's output to standard output. `outln!` panics when the reader has gone
/// (a closed pipe, `EPIPE`: Rust ignores SIGPIPE, so the write fails instead of killing the
/// process); here a closed pipe ends the program quietly with success, as the reader asked for no
/// more, and any other failure ends it with a message and exit 1. (Restoring SIGPIPE's default
/// instead would also kill the web service and the PostgreSQL client when a peer goes away.)
pub fn write_stdout(args: fmt::Arguments<'_>) {
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_fmt(args) {
        drop(o);
        let CliError(msg) = stdout_error(e);
        eprintln!("error: {msg}");
        std::process::exit(1);
    }
}

/// A failed write to standard output as a command error; a closed pipe ends the program quietly
/// with success instead (see [`write_stdout`]).
pub fn stdout_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    CliError(tongchou_core::tr!("cli-err-stdout", error = e))
}

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

/// Open the file argument `arg` (`--file`), `-` meaning standard input.
pub fn open_input(arg: &str, path: &str) -> Result<Box<dyn BufRead>, CliError> {
    if path == "-" {
        Ok(Box::new(BufReader::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path).map_err(|e| {
            CliError(format!(
                "{arg} {path}: {}",
                tongchou_core::i18n::io_text(&e)
            ))
        })?;
        Ok(Box::new(BufReader::new(f)))
    }
}

/// Read a whole file argument (`-` for stdin) as text.
pub fn read_input(path: &str) -> Result<String, CliError> {
    let mut s = String::new();
    open_input("--input", path)?
        .read_to_string(&mut s)
        .map_err(|e| {
            CliError(format!(
                "--input {path}: {}",
                tongchou_core::i18n::io_text(&e)
            ))
        })?;
    Ok(s)
}

/// A file written whole or not at all: `write` fills `path.part`, which is flushed and renamed
/// to `path` when it returns `Ok`, and removed when it fails.
pub fn write_whole<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let io = |e: std::io::Error| {
        CliError(format!(
            "{}: {}",
            path.display(),
            tongchou_core::i18n::io_text(&e)
        ))
    };
    let file = std::fs::File::create(&part).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let done = write(&mut out).and_then(|d| out.flush().map(|_| d).map_err(io));
    drop(out);
    match done {
        Ok(d) => {
            std::fs::rename(&part, path).map_err(io)?;
            Ok(d)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

/// Print a value as pretty JSON on stdout.
/// The language of the command's words (roles, actions, outcomes) from the message catalogue:
/// `TONGCHOU_LANG` (`zh-CN`, the default, or `en`).
pub fn lang() -> tongchou_core::i18n::Lang {
    tongchou_core::i18n::Lang::from_setting(std::env::var("TONGCHOU_LANG").ok().as_deref())
}

pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| CliError(format!("json: {e}")))?;
    outln!("{s}");
    Ok(())
}
