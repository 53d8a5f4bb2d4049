//! `tongchou import …`: load the agencies' and the tax bureau's files (persons, employers, wage
//! declarations, collection results) into the database, all or nothing, through the use case
//! [`tongchou_app::imports::import_file`] (the importer's permission, the file's fingerprint,
//! the one transaction that checks every row and then writes them, the audit entries).
//!
//! This edge reads the arguments, signs in the staff member of `--as` ([`crate::session`]),
//! draws the progress bar and prints: `imported …` or `already imported …` on standard output
//! (exit 0); for a refused file every problem on standard error, `row N, column C: reason`, then
//! the total (exit 1).

pub mod progress;

use crate::output::{CliError, CliResult};
use crate::session::{acting_user, operator};
use progress::Bar;
use std::process::ExitCode;
use std::time::Instant;
use tongchou_app::AppError;
use tongchou_app::clock::SystemClock;
use tongchou_app::imports::{
    self as app, ImportOptions, ImportRefusal, ImportReport, Importer, Phase, Rejected,
};
use tongchou_core::Date;
use tongchou_core::tr;
use tongchou_import::Kind;
use tongchou_store::Db;
use tongchou_store::imports;

#[derive(clap::Subcommand)]
pub enum ImportCmd {
    /// Print the header line of a kind's file: persons, employers, declarations, collections,
    /// or the cross-check files deaths and rolls (imported with `deaths import` and `crosscheck
    /// import-roll`) (Chinese headers; the English names are accepted too, in any column order).
    Template {
        /// persons, employers, declarations, collections, deaths or rolls
        kind: Kind,
    },
    /// Insured persons (参保人员): registered as active from their enrolment date.
    Persons(FileArgs),
    /// Employers (参保单位).
    Employers(FileArgs),
    /// Monthly wage declarations (缴费基数申报) of registered persons.
    Declarations(FileArgs),
    /// The tax bureau's collection results (征收结果): receipts, matched by the next collection run.
    Collections(FileArgs),
    /// The files imported so far, oldest first.
    List,
}

#[derive(clap::Args)]
pub struct FileArgs {
    /// The file: CSV (UTF-8 or GBK, detected) or XLSX (first sheet).
    #[arg(long)]
    pub file: String,
    /// The day of the import (default: today in China): later dates and months are refused.
    #[arg(long)]
    pub today: Option<Date>,
    /// Print at most this many problems of a refused file (all are counted).
    #[arg(long)]
    pub max_errors: Option<usize>,
    /// The staff member importing (password from TONGCHOU_PASSWORD or standard input): their
    /// role must allow the kind (persons, declarations: person_write; employers: employer_write;
    /// collections: contribution_import) and every row must fall within their region; the
    /// import is audited under their login. Without it, the operator of the command line.
    #[arg(long = "as")]
    pub as_login: Option<String>,
}

pub fn run(c: ImportCmd, url: &str) -> CliResult {
    match c {
        ImportCmd::Template { kind } => {
            outln!("{}", tongchou_import::template(kind));
            Ok(ExitCode::SUCCESS)
        }
        ImportCmd::Persons(a) => load(url, Kind::Persons, &a),
        ImportCmd::Employers(a) => load(url, Kind::Employers, &a),
        ImportCmd::Declarations(a) => load(url, Kind::Declarations, &a),
        ImportCmd::Collections(a) => load(url, Kind::Collections, &a),
        ImportCmd::List => {
            let mut db = Db::open(url)?;
            for i in imports::list(&mut db)? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    i.id,
                    i.kind,
                    i.file_name,
                    tr!("cli-import-rows", rows = i.rows),
                    i.imported_at,
                    i.imported_by,
                    i.file_sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load(url: &str, kind: Kind, a: &FileArgs) -> CliResult {
    let started = Instant::now();
    let path = a.file.as_str();
    let mut db = Db::open(url)?;
    let staff = match &a.as_login {
        Some(login) => Some(acting_user(&mut db, login)?),
        None => None,
    };
    let op = operator();
    let importer = match &staff {
        Some(p) => Importer::Staff(p),
        None => Importer::Operator(&op),
    };
    // one bar for the reading of the file, erased when the import ends
    let mut bar: Option<(Phase, Bar)> = None;
    let mut progress = |phase: Phase, p: tongchou_import::Progress| {
        if bar.as_ref().is_none_or(|(at, _)| *at != phase) {
            bar = None;
            let label = match phase {
                Phase::Checking => tongchou_core::tr!("cli-import-progress"),
            };
            bar = Some((phase, Bar::new(&label)));
        }
        if let Some((_, b)) = &mut bar {
            b.update(p.bytes_read, p.bytes_total, p.rows);
        }
    };
    let done = app::import_file(
        &mut db,
        importer,
        kind,
        path,
        ImportOptions {
            today: a.today.unwrap_or_else(tongchou_app::clock::today_china),
            error_limit: a.max_errors.unwrap_or(usize::MAX),
            clock: &SystemClock,
            progress: &mut progress,
        },
    );
    drop(bar);
    let w = match done {
        Ok(ImportReport::Imported(w)) => w,
        Ok(ImportReport::Already(prev)) => {
            outln!(
                "{}",
                tr!(
                    "cli-import-already",
                    at = prev.imported_at,
                    id = prev.id,
                    file = prev.file_name,
                    rows = prev.rows,
                    by = prev.imported_by
                )
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(ImportRefusal::Rejected(r)) => return refuse(&r, a.max_errors),
        Err(ImportRefusal::File(e)) => return Err(CliError(format!("--file {path}: {e}"))),
        Err(ImportRefusal::App(AppError::Forbidden(m))) if a.as_login.is_some() => {
            let login = a.as_login.as_deref().unwrap_or_default();
            return Err(CliError(format!("--as {login}: {m}")));
        }
        Err(ImportRefusal::App(e)) => return Err(CliError(e.to_string())),
    };
    let secs = started.elapsed().as_secs_f64();
    let speed = if w.rows >= 10_000 {
        let rate = format!("{:.0}", w.rows as f64 / secs.max(1e-9));
        tr!("cli-import-speed", rate = rate)
    } else {
        String::new()
    };
    outln!(
        "{}",
        tr!(
            "cli-imported",
            rows = w.rows,
            kind = w.kind.name(tongchou_core::i18n::current()),
            file = w.file_name,
            id = w.import_id,
            format = w.format,
            sha = &w.file_sha256[..12],
            secs = format!("{secs:.2}"),
            speed = speed
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// Every problem (at most `--max-errors` of them), then the total, on standard error; exit 1.
fn refuse(r: &Rejected, max: Option<usize>) -> CliResult {
    let shown = max.unwrap_or(usize::MAX).min(r.problems.len());
    let mut out = String::new();
    for e in &r.problems[..shown] {
        out.push_str(&app::problem_line(e));
        out.push('\n');
    }
    if shown < r.problems.len() {
        out.push_str(&format!("... and {} more\n", r.problems.len() - shown));
    }
    out.push_str(&r.summary());
    out.push('\n');
    eprint!("{out}");
    Ok(ExitCode::from(1))
}
