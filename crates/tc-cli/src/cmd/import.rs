//! `tongchou import …`: load the agencies' and the tax bureau's files (persons, employers, wage
//! declarations, collection results) into the database, all or nothing.
//!
//! For one file:
//! 0. its SHA-256 is computed; an earlier import of the same kind with the same SHA-256 means
//!    nothing changes, and the command says when that was (exit 0);
//! 1. in ONE transaction (on SQLite it holds the write lock from the start, so what is checked
//!    is what is written over): the whole file is read and checked ([`tongchou_import`]:
//!    encoding, header, every value), and every good row is checked against the database, a
//!    chunk at a time (unknown person or employer, person or employer already registered,
//!    receipt already stored, declaration already stored or for a month whose collection is
//!    closed, name or payer disagreeing with the register). If any row is bad, the transaction
//!    is rolled back having written nothing, every problem is printed on standard error,
//!    `row N, column C: reason`, then the total, and the exit status is 1;
//! 2. otherwise, in the same transaction, the file is read again and written chunk by chunk
//!    (only the ids are looked up again), with its `imports` row and its audit entry
//!    (`import.file`, the operator, the file's name, SHA-256 and rows); the file must still have
//!    the SHA-256 of step 0, else everything is rolled back. A refused file is audited too
//!    (`result = failed`, with the number of problems).
//!
//! Memory stays bounded by a chunk of rows (plus, for collections, the receipt numbers seen, to
//! refuse one used twice in the file), so files of millions of rows stream.

mod checks;
pub mod progress;

use crate::output::{CliError, CliResult};
use checks::{Ctx, Load, Mode};
use progress::Bar;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;
use tongchou_app::clock::now_ms;
use tongchou_core::Date;
use tongchou_core::access::Permission;
use tongchou_import::{
    Collection, Declaration, Employer, Fingerprint, ImportError, Kind, Options, Person, Records,
    RowError, Summary,
};
use tongchou_store::access::iso_time;
use tongchou_store::imports::{self, ImportRow, Imported};
use tongchou_store::{Db, audit};

#[derive(clap::Subcommand)]
pub enum ImportCmd {
    /// Print the header line of a kind's file: persons, employers, declarations or collections
    /// (Chinese headers; the English names are accepted too, in any column order).
    Template {
        /// persons, employers, declarations or collections
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
            println!("{}", tongchou_import::template(kind));
            Ok(ExitCode::SUCCESS)
        }
        ImportCmd::Persons(a) => load::<Person>(url, &a),
        ImportCmd::Employers(a) => load::<Employer>(url, &a),
        ImportCmd::Declarations(a) => load::<Declaration>(url, &a),
        ImportCmd::Collections(a) => load::<Collection>(url, &a),
        ImportCmd::List => {
            let mut db = Db::open(url)?;
            for i in imports::list(&mut db)? {
                println!(
                    "{}\t{}\t{}\t{} rows\t{}\t{}\t{}",
                    i.id, i.kind, i.file_name, i.rows, i.imported_at, i.imported_by, i.file_sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Rows handed to the database checks at a time.
const CHUNK: usize = 4096;

/// What one reading of the file found.
struct Pass {
    /// Every problem, in row order (file-level problems first).
    errors: Vec<RowError>,
    /// Data rows read.
    rows: u64,
    /// `Some` when the reader accepted the whole file.
    summary: Option<Summary>,
    /// The file was refused before its data rows (as a whole, or its header).
    structure: bool,
}

/// Read the file once. Checking: every row, and the good rows against the database. Writing:
/// each chunk, its ids looked up; a row that no longer resolves is a problem.
fn pass<T: Load>(
    ctx: &mut Ctx,
    db: &mut Db,
    path: &str,
    opts: Options<'_>,
    mode: Mode,
) -> Result<Pass, CliError> {
    let recs = match Records::<T>::open(path, opts) {
        Ok(r) => r,
        Err(ImportError::Rejected(r)) => {
            return Ok(Pass {
                errors: r.errors,
                rows: 0,
                summary: None,
                structure: true,
            });
        }
        Err(ImportError::Io(e)) => return Err(CliError(format!("--file {path}: {e}"))),
    };
    ctx.set_header(T::KIND, recs.header());
    let mut bar = Bar::new(match mode {
        Mode::Check => "checking",
        Mode::Write => "writing ",
    });
    let mut recs = recs.with_progress(|p| bar.update(p.bytes_read, p.bytes_total, p.rows));
    let mut errors: Vec<RowError> = Vec::new();
    let mut chunk: Vec<T> = Vec::with_capacity(CHUNK);
    let mut rows = 0u64;
    for item in recs.by_ref() {
        rows += 1;
        match item {
            Ok(r) => {
                chunk.push(r);
                if chunk.len() == CHUNK {
                    if mode == Mode::Check || errors.is_empty() {
                        T::process(ctx, db, &chunk, &mut errors, mode)?;
                    }
                    chunk.clear();
                }
            }
            Err(es) => errors.extend(es),
        }
    }
    if !chunk.is_empty() && (mode == Mode::Check || errors.is_empty()) {
        T::process(ctx, db, &chunk, &mut errors, mode)?;
    }
    let summary = match recs.finish() {
        Ok(s) => Some(s),
        Err(ImportError::Rejected(_)) => None,
        Err(ImportError::Io(e)) => return Err(CliError(format!("--file {path}: {e}"))),
    };
    errors.sort_by_key(|e| e.row);
    Ok(Pass {
        errors,
        rows,
        summary,
        structure: false,
    })
}

/// `row N, column C: reason` (the column as headed in the file).
fn problem_line(e: &RowError) -> String {
    match (e.row, &e.column) {
        (0, _) => format!("file: {}", e.reason),
        (r, Some(c)) if c.starts_with("column ") => format!("row {r}, {c}: {}", e.reason),
        (r, Some(c)) => format!("row {r}, column {c}: {}", e.reason),
        (r, None) => format!("row {r}: {}", e.reason),
    }
}

fn refuse(p: &Pass, max: Option<usize>) -> CliResult {
    let shown = max.unwrap_or(usize::MAX).min(p.errors.len());
    let mut out = String::new();
    for e in &p.errors[..shown] {
        out.push_str(&problem_line(e));
        out.push('\n');
    }
    if shown < p.errors.len() {
        out.push_str(&format!("... and {} more\n", p.errors.len() - shown));
    }
    let mut bad_rows: Vec<u64> = p.errors.iter().map(|e| e.row).filter(|r| *r > 0).collect();
    bad_rows.dedup();
    if p.structure || bad_rows.is_empty() {
        out.push_str(&format!(
            "file refused, nothing imported: {} problem(s) in its header or structure\n",
            p.errors.len()
        ));
    } else {
        out.push_str(&format!(
            "file refused, nothing imported: {} problem(s) in {} of {} data row(s)\n",
            p.errors.len(),
            bad_rows.len(),
            p.rows
        ));
    }
    eprint!("{out}");
    Ok(ExitCode::from(1))
}

fn operator() -> String {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    format!("cli:{}", who.chars().take(32).collect::<String>())
}

/// How a transaction of an import ends without writing.
enum Stop {
    Refused(Box<Pass>),
    Already(Box<Imported>),
    Failed(CliError),
}

impl From<tongchou_store::StoreError> for Stop {
    fn from(e: tongchou_store::StoreError) -> Stop {
        Stop::Failed(e.into())
    }
}
impl From<CliError> for Stop {
    fn from(e: CliError) -> Stop {
        Stop::Failed(e)
    }
}

fn already(prev: &Imported) -> CliResult {
    println!(
        "already imported on {} as import {} ({}, {} rows, by {}): nothing changed",
        prev.imported_at, prev.id, prev.file_name, prev.rows, prev.imported_by
    );
    Ok(ExitCode::SUCCESS)
}

fn load<T: Load>(url: &str, a: &FileArgs) -> CliResult {
    let started = Instant::now();
    let kind = T::KIND;
    let path = a.file.as_str();
    let file_name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    let today = a.today.unwrap_or_else(tongchou_app::clock::today_china);
    let f = std::fs::File::open(path).map_err(|e| CliError(format!("--file {path}: {e}")))?;
    let sha = Fingerprint::of_reader(BufReader::with_capacity(1 << 20, f))
        .map_err(|e| CliError(format!("--file {path}: {e}")))?
        .to_string();
    let mut db = Db::open(url)?;
    let acting = match &a.as_login {
        Some(login) => {
            let who = super::benefits::acting_user(&mut db, login)?;
            let need = match kind {
                Kind::Persons | Kind::Declarations => Permission::PersonWrite,
                Kind::Employers => Permission::EmployerWrite,
                Kind::Collections => Permission::ContributionImport,
            };
            if !who.role.has(need) {
                audit::append(
                    &mut db,
                    &audit::Entry {
                        actor: &audit::Actor::of(&who),
                        action: "import.file",
                        object_type: kind.as_str(),
                        object_id: "",
                        region: Some(who.region.get()),
                        result: "denied",
                        details: serde_json::json!({"file_name": file_name, "needs": need.as_str()}),
                    },
                    now_ms(),
                )?;
                return Err(CliError(format!(
                    "--as {login}: the role {} may not import {} (needs {})",
                    who.role.as_str(),
                    kind.as_str(),
                    need.as_str()
                )));
            }
            Some(who)
        }
        None => None,
    };
    let actor = match &acting {
        Some(p) => audit::Actor::of(p),
        None => audit::Actor::operator(&operator()),
    };
    // a cheap answer without taking the write lock
    if let Some(prev) = imports::find(&mut db, kind.as_str(), &sha)? {
        return already(&prev);
    }
    imports::analyze_if_stale(
        &mut db,
        &[
            "person_ids",
            "persons",
            "employers",
            "wage_declarations",
            "receipts",
        ],
    )?;
    let mut opts = Options::new(today);
    opts.error_limit = a.max_errors.unwrap_or(usize::MAX);
    let done = db.transaction(|db| {
        if let Some(prev) = imports::find(db, kind.as_str(), &sha)? {
            return Err(Stop::Already(Box::new(prev)));
        }
        let import_id = imports::next_id(db, "imports")?;
        let mut ctx = Ctx::new(db, today, import_id)?;
        ctx.scope = acting.as_ref().map(|p| p.region);
        let checked = pass::<T>(&mut ctx, db, path, opts, Mode::Check)?;
        if !checked.errors.is_empty() || checked.summary.is_none() {
            return Err(Stop::Refused(Box::new(checked)));
        }
        let written = pass::<T>(&mut ctx, db, path, opts, Mode::Write)?;
        if let Some(e) = written.errors.first() {
            return Err(Stop::Failed(CliError(format!(
                "a row checked a moment ago no longer resolves ({}): nothing was imported",
                problem_line(e)
            ))));
        }
        let summary = match written.summary {
            Some(s) if s.fingerprint.to_string() == sha => s,
            _ => {
                return Err(Stop::Failed(CliError(
                    "the file changed while it was being imported: nothing was imported".into(),
                )));
            }
        };
        let now = now_ms();
        let at = iso_time(now);
        let by = actor.login.clone();
        imports::record(
            db,
            &ImportRow {
                id: import_id,
                kind: kind.as_str(),
                file_name: &file_name,
                file_sha256: &sha,
                rows: summary.rows as i64,
                imported_at: &at,
                imported_by: &by,
            },
        )?;
        // every change goes to the audit log: the import, in the transaction that writes it
        audit::append(
            db,
            &audit::Entry {
                actor: &actor,
                action: "import.file",
                object_type: kind.as_str(),
                object_id: &import_id.to_string(),
                region: acting.as_ref().map(|p| p.region.get()),
                result: "ok",
                details: serde_json::json!({
                    "file_name": file_name,
                    "file_sha256": sha,
                    "rows": summary.rows,
                }),
            },
            now,
        )?;
        Ok((import_id, summary))
    });
    let (import_id, summary) = match done {
        Ok(x) => x,
        Err(Stop::Refused(p)) => {
            // a refused file wrote nothing; that it was refused is recorded
            audit::append(
                &mut db,
                &audit::Entry {
                    actor: &actor,
                    action: "import.file",
                    object_type: kind.as_str(),
                    object_id: "",
                    region: acting.as_ref().map(|p| p.region.get()),
                    result: "failed",
                    details: serde_json::json!({
                        "file_name": file_name,
                        "file_sha256": sha,
                        "problems": p.errors.len(),
                    }),
                },
                now_ms(),
            )?;
            return refuse(&p, a.max_errors);
        }
        Err(Stop::Already(prev)) => return already(&prev),
        Err(Stop::Failed(e)) => return Err(e),
    };
    let secs = started.elapsed().as_secs_f64();
    let speed = if summary.rows >= 10_000 {
        format!(", {:.0} rows/s", summary.rows as f64 / secs.max(1e-9))
    } else {
        String::new()
    };
    println!(
        "imported {} {} from {} as import {} ({}, sha256 {}…) in {:.2} s{speed}",
        summary.rows,
        kind.as_str(),
        file_name,
        import_id,
        summary.format,
        &sha[..12],
        secs,
    );
    Ok(ExitCode::SUCCESS)
}
