//! Importing a file of the agencies or the tax bureau (persons, employers, wage declarations,
//! collection results) into the register, all or nothing: [`import_file`].
//!
//! For one file:
//! 0. the importer may import this kind: a staff member's role must hold the kind's permission
//!    ([`required_permission`]), else the refusal is audited (`import.file`, `denied`) and
//!    nothing is read; the operator of a command line is not checked;
//! 1. its SHA-256 is computed; an earlier import of the same kind with the same SHA-256 means
//!    nothing changes ([`ImportReport::Already`]);
//! 2. in ONE transaction (on SQLite it holds the write lock from the start, so what is checked
//!    is what is written over): the whole file is read once and checked ([`tongchou_import`]:
//!    encoding, header, every value), and every good row is checked against the register, a
//!    chunk at a time (unknown person or employer, person or employer already registered,
//!    receipt already stored, declaration already stored or for a month whose collection is
//!    closed, name or payer disagreeing with the register; for a staff member, a row outside
//!    their region). While no problem has been found, each checked chunk is written at once
//!    (declarations and receipts gathered, 16,384 at a time), with the ids its checks looked
//!    up; after the first problem the rest is only checked. If any row is bad, the
//!    transaction is rolled back, so nothing of the file stays written, the refusal is audited
//!    (`result = failed`, with the number of problems) and every problem is returned
//!    ([`ImportRefusal::Rejected`]);
//! 3. otherwise, in the same transaction, the file's `imports` row and its audit entry
//!    (`import.file`, the importer, the file's name, SHA-256 and rows) are written; the file
//!    read must have had the SHA-256 of step 1, else everything is rolled back.
//!
//! The file is read and its rows checked on a thread of their own, a few chunks ahead of the
//! checks against the register and the writing (which mostly wait for the database). A chunk
//! written at once is not probed for declarations or receipts already stored: if the primary
//! key refuses one, the transaction is rolled back and the file read again in a second
//! transaction only to check it, probes included, so that the refusal names every problem.
//! Once a chunk names only persons and employers met before in the reading (a file of several
//! months, from its second month on), it and the chunks after it are checked while ONE bulk
//! write stays open, and their rows go into it (`checks::Load::stream`): on PostgreSQL one
//! COPY that the server works through while the next chunks are checked, where the import
//! otherwise waits for the end of each COPY of 16,384 rows. A chunk with a problem, or naming
//! someone new, ends it and is checked as usual.
//!
//! Memory stays bounded by a chunk of rows (plus, for collections, the receipt numbers seen, to
//! refuse one used twice in the file, and the problems found), so files of millions of rows
//! stream.

mod checks;

use crate::error::AppError;
use checks::{Ctx, Load, Mode};
use std::io::BufReader;
use tongchou_core::access::{Permission, Principal};
use tongchou_core::tr;
use tongchou_core::{Clock, Date, RegionCode};
use tongchou_import::{
    Collection, Declaration, Employer, Fingerprint, Format, ImportError, Options, Person, Progress,
    Records, Summary,
};
pub use tongchou_import::{Kind, RowError};
use tongchou_store::access::iso_time;
use tongchou_store::audit::{self, Actor};
use tongchou_store::imports::{self, ImportRow, Imported};
use tongchou_store::{Db, StoreError};

/// Who imports: their name goes to the `imports` row and the audit log.
#[derive(Clone, Copy, Debug)]
pub enum Importer<'a> {
    /// A signed-in staff member: their role must allow the kind and every row must fall within
    /// their region.
    Staff(&'a Principal),
    /// An operator without an account (the command line without `--as`): not checked.
    Operator(&'a Actor),
}

impl Importer<'_> {
    fn actor(&self) -> Actor {
        match self {
            Importer::Staff(p) => Actor::of(p),
            Importer::Operator(a) => (*a).clone(),
        }
    }

    /// The region the rows must fall within, and the audit entries name.
    fn region(&self) -> Option<RegionCode> {
        match self {
            Importer::Staff(p) => Some(p.region),
            Importer::Operator(_) => None,
        }
    }
}

/// What a progress report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The one reading of the file: every row checked, and the good rows against the register
    /// (and written while the file has no problem).
    Checking,
}

/// How to import a file.
pub struct ImportOptions<'a> {
    /// The day of the import: later dates and months in the file are refused.
    pub today: Date,
    /// At most this many problems kept by the reader of the file (all are counted).
    pub error_limit: usize,
    /// Read when an audit entry or the `imports` row is written (an import of millions of rows
    /// takes a while).
    pub clock: &'a dyn Clock,
    /// Called as each reading advances (bytes read of the total, rows so far).
    pub progress: &'a mut dyn FnMut(Phase, Progress),
}

/// An imported file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub import_id: i64,
    pub kind: Kind,
    /// The file's name (without its directory).
    pub file_name: String,
    /// SHA-256 of the file's bytes, 64 lowercase hex digits.
    pub file_sha256: String,
    /// Data rows written (each one a person, employer, declaration or receipt).
    pub rows: u64,
    pub format: Format,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportReport {
    /// The file was written, with its `imports` row and its audit entry.
    Imported(Written),
    /// The same file (kind and SHA-256) was imported before: nothing changed.
    Already(Imported),
}

/// A file refused for its content: nothing was written; the refusal is audited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// Every problem, in row order (file-level problems first).
    pub problems: Vec<RowError>,
    /// Data rows read.
    pub rows: u64,
    /// The file was refused before its data rows (as a whole, or its header).
    pub structure: bool,
}

impl Rejected {
    /// How many distinct data rows have a problem.
    pub fn bad_rows(&self) -> usize {
        let mut rows: Vec<u64> = self
            .problems
            .iter()
            .map(|e| e.row)
            .filter(|r| *r > 0)
            .collect();
        rows.dedup();
        rows.len()
    }

    /// `file refused, nothing imported: N problem(s) …`
    pub fn summary(&self) -> String {
        let bad = self.bad_rows();
        if self.structure || bad == 0 {
            tr!("import-refused-header", total = self.problems.len())
        } else {
            tr!(
                "import-refused-rows",
                total = self.problems.len(),
                bad = bad,
                rows = self.rows
            )
        }
    }
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefusal {
    /// The file cannot be read.
    #[error("{0}")]
    File(#[source] std::io::Error),
    /// The file's content is refused: every problem.
    #[error("{}", .0.summary())]
    Rejected(Rejected),
    /// The importer may not import this kind (`Forbidden`, audited), the file changed or a
    /// checked row stopped resolving while it was imported (`State`), or the store failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<StoreError> for ImportRefusal {
    fn from(e: StoreError) -> ImportRefusal {
        ImportRefusal::App(e.into())
    }
}

/// A problem as one line in the current language (`tongchou_import::RowError`'s `Display`):
/// `第 N 行 C：reason` (the column as headed in the file; `第 K 列` for a column without a
/// header); `第 N 行：reason` for a whole row; `文件：reason` for the file as a whole.
pub fn problem_line(e: &RowError) -> String {
    e.to_string()
}

/// The permission a staff member needs to import a kind into the register; `None` for the
/// cross-check files, which [`import_file`] does not take ([`not_a_register_file`]).
pub fn required_permission(kind: Kind) -> Option<Permission> {
    match kind {
        Kind::Persons | Kind::Declarations => Some(Permission::PersonWrite),
        Kind::Employers => Some(Permission::EmployerWrite),
        Kind::Collections => Some(Permission::ContributionImport),
        Kind::DeathRecords | Kind::PaymentRolls | Kind::AliveRecords => None,
        _ => None,
    }
}

/// Why a cross-check file (death records, another payment roll) is not imported into the
/// register: it is held apart, by its own use case, until a cross-check reads it.
pub fn not_a_register_file(kind: Kind) -> AppError {
    let how = match kind {
        Kind::DeathRecords => tr!("app-imp-how-deaths"),
        Kind::AliveRecords => tr!("app-imp-how-alive"),
        Kind::TransferRequests => tr!("app-imp-how-transfer-requests"),
        k if k.is_legacy() => tr!("app-imp-how-legacy"),
        _ => tr!("app-imp-how-roll"),
    };
    let what = if kind.is_legacy() {
        tr!("app-imp-what-legacy")
    } else if kind == Kind::TransferRequests {
        tr!("app-imp-what-transfer-requests")
    } else {
        tr!("app-imp-what-crosscheck")
    };
    AppError::Invalid(tr!(
        "app-imp-not-register",
        kind = kind.name(tongchou_core::i18n::current()),
        what = what,
        how = how
    ))
}

/// Import the file at `path` as a file of `kind`, all or nothing (see the module
/// documentation): the importer's permission, the look-up of the file's fingerprint, then one
/// transaction that checks every row and, only if all are good, writes them with the file's
/// `imports` row and audit entry. The cross-check kinds (death records, other payment rolls)
/// are refused before anything is read ([`not_a_register_file`], `AppError::Invalid`): they have
/// their own use cases, `benefits::deaths::import_deaths` and `import_roll`.
pub fn import_file(
    db: &mut Db,
    importer: Importer<'_>,
    kind: Kind,
    path: &str,
    opts: ImportOptions<'_>,
) -> Result<ImportReport, ImportRefusal> {
    match kind {
        Kind::Persons => import_as::<Person>(db, importer, path, opts),
        Kind::Employers => import_as::<Employer>(db, importer, path, opts),
        Kind::Declarations => import_as::<Declaration>(db, importer, path, opts),
        Kind::Collections => import_as::<Collection>(db, importer, path, opts),
        _ => Err(not_a_register_file(kind).into()),
    }
}

/// The file's name without its directory (as the `imports` row and the audit log name it).
fn file_name_of(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// A staff member whose role does not allow the kind is refused, and the refusal audited.
fn authorise(
    db: &mut Db,
    importer: Importer<'_>,
    kind: Kind,
    file_name: &str,
    now: i64,
) -> Result<(), ImportRefusal> {
    let Importer::Staff(who) = importer else {
        return Ok(());
    };
    let Some(need) = required_permission(kind) else {
        return Err(not_a_register_file(kind).into());
    };
    if who.role.has(need) {
        return Ok(());
    }
    audit::refusal(
        db,
        &audit::Entry {
            actor: &Actor::of(who),
            action: "import.file",
            object_type: kind.as_str(),
            object_id: "",
            region: Some(who.region.get()),
            result: "denied",
            details: serde_json::json!({"file_name": file_name, "needs": need.as_str()}),
        },
        now,
    )?;
    let lang = tongchou_core::i18n::current();
    Err(AppError::Forbidden(tr!(
        "app-imp-forbidden",
        role = who.role.label(lang),
        kind = kind.name(lang),
        need = need.label(lang)
    ))
    .into())
}

/// The file's SHA-256, read once before the transaction.
fn fingerprint(path: &str) -> Result<String, ImportRefusal> {
    let f = std::fs::File::open(path).map_err(ImportRefusal::File)?;
    Ok(Fingerprint::of_reader(BufReader::with_capacity(1 << 20, f))
        .map_err(ImportRefusal::File)?
        .to_string())
}

/// One file being imported: what the steps share.
struct Job<'a> {
    kind: Kind,
    path: &'a str,
    file_name: String,
    sha: String,
    actor: Actor,
    region: Option<RegionCode>,
    clock: &'a dyn Clock,
}

fn import_as<T: Load>(
    db: &mut Db,
    importer: Importer<'_>,
    path: &str,
    opts: ImportOptions<'_>,
) -> Result<ImportReport, ImportRefusal> {
    let kind = T::KIND;
    let file_name = file_name_of(path);
    authorise(db, importer, kind, &file_name, opts.clock.now().as_millis())?;
    let job = Job {
        kind,
        path,
        sha: fingerprint(path)?,
        file_name,
        actor: importer.actor(),
        region: importer.region(),
        clock: opts.clock,
    };
    // a cheap answer without taking the write lock
    if let Some(prev) = imports::find(db, kind.as_str(), &job.sha)? {
        return Ok(ImportReport::Already(prev));
    }
    imports::refresh_statistics(db, kind.as_str())?;
    let mut read = Options::new(opts.today);
    read.error_limit = opts.error_limit;
    // inside an enclosing transaction a refused write dooms it: probe before writing instead
    let probe_before_write = db.in_transaction();
    let progress = opts.progress;
    let mut done = db.transaction(|db| {
        check_and_write::<T>(db, &job, read, progress, Plan::Write { probe_before_write })
    });
    if let Err(Stop::Recheck(refused)) = done {
        // a declaration or receipt already stored refused a chunk written without a probe:
        // nothing stayed written; read the file again to name every problem
        done = match db
            .transaction(|db| check_and_write::<T>(db, &job, read, progress, Plan::Check))
        {
            Err(Stop::Clean) => Err(Stop::Failed(*refused)),
            other => other,
        };
    }
    match done {
        Ok(w) => Ok(ImportReport::Imported(w)),
        Err(Stop::Already(prev)) => Ok(ImportReport::Already(*prev)),
        Err(Stop::Refused(r)) => {
            audit_refusal(db, &job, &r)?;
            Err(ImportRefusal::Rejected(*r))
        }
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Recheck(e)) => Err(*e),
        Err(Stop::Clean) => Err(AppError::State(tr!("app-imp-file-changed")).into()),
    }
}

/// How a reading of the file treats its chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Write each checked chunk while the file has no problem.
    Write { probe_before_write: bool },
    /// Only check (after a write was refused), and stop with [`Stop::Clean`] if the file has
    /// no problem.
    Check,
}

/// How the import's transaction ends without writing.
enum Stop {
    Refused(Box<Rejected>),
    Already(Box<Imported>),
    Failed(ImportRefusal),
    /// A chunk written without a probe was refused by a primary key: check the file again.
    Recheck(Box<ImportRefusal>),
    /// Only checked, and no problem found (the refusal that made the import check again is
    /// what it ends with).
    Clean,
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Failed(e.into())
    }
}
impl From<AppError> for Stop {
    fn from(e: AppError) -> Stop {
        Stop::Failed(e.into())
    }
}
impl From<ImportRefusal> for Stop {
    fn from(e: ImportRefusal) -> Stop {
        Stop::Failed(e)
    }
}

/// Rows of the file naming persons registered outside the importer's region: one refused read
/// in the audit log for the file (kept when the import's transaction rolls back), with the rows
/// and the counties they name.
fn audit_hidden(db: &mut Db, job: &Job<'_>, hidden: &[(u64, i64)]) -> Result<(), StoreError> {
    if hidden.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = hidden
        .iter()
        .take(100)
        .map(|(row, county)| serde_json::json!({"row": row, "county": county}))
        .collect();
    audit::refusal(
        db,
        &audit::Entry {
            actor: &job.actor,
            action: "person.read",
            object_type: "import",
            object_id: &job.file_name,
            region: job.region.map(|r| r.get()),
            result: "denied",
            details: serde_json::json!({
                "reason": "out_of_scope",
                "kind": job.kind.as_str(),
                "count": hidden.len(),
                "rows": rows,
            }),
        },
        job.clock.now().as_millis(),
    )
}

/// Inside the transaction: check the whole file and write it as it is checked, then its
/// `imports` row and audit entry (all rolled back with the transaction if a row is bad).
fn check_and_write<T: Load>(
    db: &mut Db,
    job: &Job<'_>,
    read: Options<'_>,
    progress: &mut dyn FnMut(Phase, Progress),
    plan: Plan,
) -> Result<Written, Stop> {
    let kind = job.kind;
    if let Some(prev) = imports::find(db, kind.as_str(), &job.sha)? {
        return Err(Stop::Already(Box::new(prev)));
    }
    let import_id = imports::next_id(db, "imports")?;
    let mut ctx = Ctx::new(db, read.today, import_id)?;
    ctx.scope = job.region;
    ctx.probe_before_write = match plan {
        Plan::Write { probe_before_write } => probe_before_write,
        Plan::Check => true,
    };
    let checked = pass::<T>(&mut ctx, db, job.path, read, progress, plan != Plan::Check)?;
    audit_hidden(db, job, &ctx.hidden)?;
    if !checked.problems.is_empty() || checked.summary.is_none() {
        return Err(Stop::Refused(Box::new(checked.rejected())));
    }
    if plan == Plan::Check {
        return Err(Stop::Clean);
    }
    let summary = match checked.summary {
        Some(s) if s.fingerprint.to_string() == job.sha => s,
        _ => {
            return Err(AppError::State(tr!("app-imp-file-changed")).into());
        }
    };
    let now = job.clock.now().as_millis();
    let at = iso_time(now);
    imports::record(
        db,
        &ImportRow {
            id: import_id,
            kind: kind.as_str(),
            file_name: &job.file_name,
            file_sha256: &job.sha,
            rows: summary.rows as i64,
            imported_at: &at,
            imported_by: &job.actor.login,
        },
    )?;
    // every change goes to the audit log: the import, in the transaction that writes it
    audit::append(
        db,
        &audit::Entry {
            actor: &job.actor,
            action: "import.file",
            object_type: kind.as_str(),
            object_id: &import_id.to_string(),
            region: job.region.map(|r| r.get()),
            result: "ok",
            details: serde_json::json!({
                "file_name": job.file_name,
                "file_sha256": job.sha,
                "rows": summary.rows,
            }),
        },
        now,
    )?;
    Ok(Written {
        import_id,
        kind,
        file_name: job.file_name.clone(),
        file_sha256: job.sha.clone(),
        rows: summary.rows,
        format: summary.format,
    })
}

/// A refused file wrote nothing; that it was refused is recorded.
fn audit_refusal(db: &mut Db, job: &Job<'_>, r: &Rejected) -> Result<(), ImportRefusal> {
    audit::append(
        db,
        &audit::Entry {
            actor: &job.actor,
            action: "import.file",
            object_type: job.kind.as_str(),
            object_id: "",
            region: job.region.map(|r| r.get()),
            result: "failed",
            details: serde_json::json!({
                "file_name": job.file_name,
                "file_sha256": job.sha,
                "problems": r.problems.len(),
            }),
        },
        job.clock.now().as_millis(),
    )?;
    Ok(())
}

/// Rows handed to the register checks (and written) at a time.
const CHUNK: usize = 4096;

/// What one reading of the file found.
struct Pass {
    /// Every problem, in row order (file-level problems first).
    problems: Vec<RowError>,
    /// Data rows read.
    rows: u64,
    /// `Some` when the reader accepted the whole file.
    summary: Option<Summary>,
    /// The file was refused before its data rows (as a whole, or its header).
    structure: bool,
}

impl Pass {
    fn rejected(self) -> Rejected {
        Rejected {
            problems: self.problems,
            rows: self.rows,
            structure: self.structure,
        }
    }
}

/// What the reading thread hands over, in the file's order.
enum Read<T> {
    /// The file could not be opened, or was refused before its data rows.
    Open(ImportError),
    /// The header cells as written in the file.
    Header(Vec<String>),
    /// Up to a chunk of good records, with the rows read and the problems found while it
    /// filled, and the progress reported meanwhile.
    Batch {
        records: Vec<T>,
        rows: u64,
        problems: Vec<RowError>,
        progress: Vec<Progress>,
    },
    /// The end of the file: the reader's verdict.
    End(Result<Summary, ImportError>, Vec<Progress>),
}

/// The reading thread: the file read and its rows checked, handed over a chunk at a time
/// (stops when the receiver is gone).
fn read_file<T: Load>(path: &str, opts: Options<'_>, tx: std::sync::mpsc::SyncSender<Read<T>>) {
    let recs = match Records::<T>::open(path, opts) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Read::Open(e));
            return;
        }
    };
    if tx.send(Read::Header(recs.header().to_vec())).is_err() {
        return;
    }
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let report = seen.clone();
    let mut recs = recs.with_progress(move |p| report.borrow_mut().push(p));
    let mut records: Vec<T> = Vec::with_capacity(CHUNK);
    let (mut rows, mut problems) = (0u64, Vec::new());
    for item in recs.by_ref() {
        rows += 1;
        match item {
            Ok(r) => records.push(r),
            Err(es) => problems.extend(es),
        }
        if records.len() == CHUNK {
            let batch = Read::Batch {
                records: std::mem::replace(&mut records, Vec::with_capacity(CHUNK)),
                rows: std::mem::take(&mut rows),
                problems: std::mem::take(&mut problems),
                progress: seen.take(),
            };
            if tx.send(batch).is_err() {
                return;
            }
        }
    }
    let last = Read::Batch {
        records,
        rows,
        problems,
        progress: seen.take(),
    };
    if tx.send(last).is_err() {
        return;
    }
    let end = recs.finish();
    let _ = tx.send(Read::End(end, seen.take()));
}

/// Read the file once: every row (on a thread of its own, [`read_file`]), and the good rows
/// against the register, a chunk at a time; each chunk written while `write` and no problem has
/// been found ([`Mode::Write`]), only checked otherwise.
fn pass<T: Load>(
    ctx: &mut Ctx,
    db: &mut Db,
    path: &str,
    opts: Options<'_>,
    progress: &mut dyn FnMut(Phase, Progress),
    write: bool,
) -> Result<Pass, Stop> {
    std::thread::scope(|s| {
        // four chunks ahead at most (a write of gathered rows takes four chunks)
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        // the caller's language carried onto the reading thread
        let lang = tongchou_core::i18n::current();
        s.spawn(move || tongchou_core::i18n::scope(lang, || read_file::<T>(path, opts, tx)));
        take::<T>(ctx, db, rx, progress, write)
        // `rx` is dropped here, so a reading thread still running stops before it is joined
    })
}

/// A write's failure: a chunk written without a probe refused by a primary key means the file
/// is to be checked again ([`Stop::Recheck`]).
fn refused_write(e: AppError, unprobed: bool) -> Stop {
    match e {
        AppError::Store(StoreError::Duplicate(_)) if unprobed => Stop::Recheck(Box::new(e.into())),
        e => e.into(),
    }
}

/// For [`Load::stream`]: the records of the next chunk the reading thread hands over, counted
/// (rows, progress), while the file has no problem; `None` (the message kept in `held` for the
/// caller, uncounted) at anything else.
fn more<T: Load>(
    rx: &std::sync::mpsc::Receiver<Read<T>>,
    rows: &mut u64,
    held: &mut Option<Read<T>>,
    progress: &mut dyn FnMut(Phase, Progress),
) -> Option<Vec<T>> {
    loop {
        // a lost reader: the caller's next receive says so
        let next = rx.recv().ok()?;
        match next {
            Read::Batch {
                records,
                rows: n,
                problems,
                progress: seen,
            } if problems.is_empty() => {
                *rows += n;
                seen.into_iter().for_each(|p| progress(Phase::Checking, p));
                if !records.is_empty() {
                    return Some(records);
                }
            }
            other => {
                *held = Some(other);
                return None;
            }
        }
    }
}

/// The checks of what the reading thread hands over.
fn take<T: Load>(
    ctx: &mut Ctx,
    db: &mut Db,
    rx: std::sync::mpsc::Receiver<Read<T>>,
    progress: &mut dyn FnMut(Phase, Progress),
    write: bool,
) -> Result<Pass, Stop> {
    let lost = || {
        Stop::Failed(ImportRefusal::File(std::io::Error::other(
            "file reader stopped",
        )))
    };
    match rx.recv().map_err(|_| lost())? {
        Read::Header(h) => ctx.set_header(T::KIND, &h),
        Read::Open(ImportError::Rejected(r)) => {
            return Ok(Pass {
                problems: r.errors,
                rows: 0,
                summary: None,
                structure: true,
            });
        }
        Read::Open(ImportError::Io(e)) => return Err(ImportRefusal::File(e).into()),
        _ => return Err(lost()),
    }
    let mut problems: Vec<RowError> = Vec::new();
    let mut rows = 0u64;
    // a message the streaming of chunks received and left to this loop
    let mut held: Option<Read<T>> = None;
    let summary = loop {
        let next = match held.take() {
            Some(m) => m,
            None => rx.recv().map_err(|_| lost())?,
        };
        match next {
            Read::Batch {
                records,
                rows: n,
                problems: found,
                progress: seen,
            } => {
                rows += n;
                problems.extend(found);
                seen.into_iter().for_each(|p| progress(Phase::Checking, p));
                if records.is_empty() {
                    continue;
                }
                let mode = if write && problems.is_empty() {
                    Mode::Write
                } else {
                    Mode::Check
                };
                let unprobed = mode == Mode::Write && !ctx.probe_before_write;
                let records = if unprobed && T::known(ctx, &records) {
                    let mut next = || more(&rx, &mut rows, &mut held, progress);
                    match T::stream(ctx, db, records, &mut next) {
                        Ok(Some(r)) => r,
                        Ok(None) => continue,
                        Err(e) => return Err(refused_write(e, unprobed)),
                    }
                } else {
                    records
                };
                T::process(ctx, db, &records, &mut problems, mode)
                    .map_err(|e| refused_write(e, unprobed))?;
            }
            Read::End(end, seen) => {
                seen.into_iter().for_each(|p| progress(Phase::Checking, p));
                if write && problems.is_empty() {
                    let unprobed = !ctx.probe_before_write;
                    T::finish(ctx, db).map_err(|e| refused_write(e, unprobed))?;
                }
                break match end {
                    Ok(s) => Some(s),
                    Err(ImportError::Rejected(_)) => None,
                    Err(ImportError::Io(e)) => return Err(ImportRefusal::File(e).into()),
                };
            }
            _ => return Err(lost()),
        }
    };
    problems.sort_by_key(|e| e.row);
    Ok(Pass {
        problems,
        rows,
        summary,
        structure: false,
    })
}
