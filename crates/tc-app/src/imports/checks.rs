//! The database side of an import, per kind: the checks of a chunk of validated records against
//! the register (a problem per bad row, with the column as headed in the file), and the writing
//! of a chunk found good, with the ids its checks looked up, while no problem was found in the
//! file so far (the import's one transaction is rolled back if one is found later; the primary
//! keys refuse anything that would be a duplicate).
//!
//! A chunk written at once is not first probed for declarations or receipts already stored:
//! the primary key refuses one while it is written (`StoreError::Duplicate`), and the
//! import then reads the file again only checking, with the probes, to name every problem
//! (`imports::import_as`). A chunk only checked, or one with a problem, is probed.

use crate::collect;
use crate::error::Result;
use std::collections::{BTreeSet, HashMap};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions, Period, RegionCode, Sex};
use tongchou_engine::collection::Receipt;
use tongchou_import::columns::normalize_header;
use tongchou_import::{Collection, Declaration, Employer, Kind, Payer, Person, Record, RowError};
use tongchou_store::Db;
use tongchou_store::imports::{self, DeclarationRow, PersonRef};
use tongchou_store::registry::{self, EmployerRow, PersonEventRow, PersonRow};

/// State shared by the chunks of one reading of a file.
pub struct Ctx {
    today: Date,
    /// Column names as headed in the file, by the kind's column key.
    names: HashMap<&'static str, String>,
    /// Months whose collection is closed: their declarations are final.
    closed: BTreeSet<Period>,
    /// Receipt numbers met so far in this reading (as 128-bit digests: 40 bytes a row instead of
    /// 100 for the strings), with their row.
    receipts_seen: HashMap<u128, u64>,
    /// Employers looked up so far in this reading, by credit code (`None`: not registered): a
    /// file names the same few thousand employers in every chunk.
    employers: HashMap<String, Option<imports::EmployerRef>>,
    /// Persons looked up so far in this reading of a declarations or collections file, by ID
    /// number (`None`: not registered), each with whether its name was asked: a file of several
    /// months names its persons once a month. At most [`PERSONS_KEPT`].
    persons: HashMap<String, (bool, Option<PersonRef>)>,
    import_id: i64,
    next_person: i64,
    next_employer: i64,
    /// The acting staff member's region: every row must fall within it.
    pub scope: Option<RegionCode>,
    /// Rows naming a person registered outside `scope` (row, county): refused without a word
    /// about that person, and audited as refused reads when the reading ends.
    pub hidden: Vec<(u64, i64)>,
    /// Checked declarations and receipts not yet written ([`WRITE_ROWS`] at a time).
    declarations: Vec<DeclarationRow>,
    receipts: Vec<Receipt>,
    /// Probe a chunk written at once for declarations and receipts already stored, instead of
    /// leaving them to the primary key (inside an enclosing transaction, which a refused write
    /// would doom before the file could be checked again).
    pub probe_before_write: bool,
}

/// What the reading of the file does with a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Check only: a problem was found, nothing more will be written.
    Check,
    /// Check, and write the chunk if none of its rows has a problem.
    Write,
}

impl Ctx {
    /// Inside the import's transaction: the ids the new rows will get, the closed months.
    pub fn new(db: &mut Db, today: Date, import_id: i64) -> Result<Ctx> {
        Ok(Ctx {
            today,
            names: HashMap::new(),
            closed: tongchou_store::jobs::periods_done(db, collect::JOB, collect::STEP_CLOSE)?,
            receipts_seen: HashMap::new(),
            employers: HashMap::new(),
            persons: HashMap::new(),
            import_id,
            next_person: imports::next_id(db, "persons")?,
            next_employer: imports::next_id(db, "employers")?,
            scope: None,
            hidden: Vec::new(),
            declarations: Vec::new(),
            receipts: Vec::new(),
            probe_before_write: false,
        })
    }

    /// A row of `county` is outside the acting user's region: the problem, under `key`.
    fn outside(&self, row: u64, key: &str, county: i64) -> Option<RowError> {
        let scope = self.scope?;
        let inside =
            RegionCode::from_stored(county).is_some_and(|c| Divisions::shanxi().within(c, scope));
        (!inside).then(|| {
            self.problem(
                row,
                key,
                tr!("app-imp-outside-region", county = county, scope = scope),
            )
        })
    }

    fn in_scope(&self, county: i64) -> bool {
        self.scope.is_none_or(|scope| {
            RegionCode::from_stored(county).is_some_and(|c| Divisions::shanxi().within(c, scope))
        })
    }

    /// A row naming a registered person of another region: the problem says only that (not
    /// who, not where, not their name) and the row is kept for the audit log.
    fn outside_person(&mut self, row: u64, key: &str, county: i64) -> Option<RowError> {
        if self.in_scope(county) {
            return None;
        }
        self.hidden.push((row, county));
        Some(self.problem(row, key, tr!("app-imp-registered-elsewhere")))
    }

    /// At the start of a reading: learn how the file heads the kind's columns.
    pub fn set_header(&mut self, kind: Kind, header: &[String]) {
        self.receipts_seen.clear();
        self.employers.clear();
        self.persons.clear();
        self.names.clear();
        for c in kind.columns() {
            let want: Vec<String> = std::iter::once(c.header)
                .chain(std::iter::once(c.key))
                .chain(c.aliases.iter().copied())
                .map(normalize_header)
                .collect();
            let name = header
                .iter()
                .find(|h| !h.is_empty() && want.contains(&normalize_header(h)))
                .cloned()
                .unwrap_or_else(|| c.header.to_string());
            self.names.insert(c.key, name);
        }
    }

    fn col(&self, key: &str) -> String {
        self.names
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// Whether a chunk checked in `mode` is probed for rows already stored before it is
    /// written: always when only checked; when written, only if a refused write cannot be
    /// checked again ([`Ctx::probe_before_write`]) or the chunk has a problem already (then it
    /// is not written).
    fn probe(&self, mode: Mode, clean: bool) -> bool {
        mode == Mode::Check || self.probe_before_write || !clean
    }

    fn problem(&self, row: u64, key: &str, reason: impl Into<String>) -> RowError {
        RowError {
            row,
            column: Some(self.col(key)),
            reason: reason.into(),
        }
    }
}

/// A kind that can be loaded (its records read on another thread than the checks).
pub trait Load: Record + Send {
    /// Check a chunk of records against the database, adding a problem per bad row; in
    /// [`Mode::Write`], then write it if none of its rows has a problem.
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Self],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()>;

    /// At the end of a reading that found no problem: write what checked chunks left to be
    /// written together ([`WRITE_ROWS`]).
    fn finish(_ctx: &mut Ctx, _db: &mut Db) -> Result<()> {
        Ok(())
    }

    /// Whether the register checks of `chunk` need nothing from the database (every person and
    /// payer it names met before in this reading): then it can be checked while a bulk write
    /// is open ([`Load::stream`]).
    fn known(_ctx: &Ctx, _chunk: &[Self]) -> bool {
        false
    }

    /// In [`Mode::Write`], chunks written without a probe: ONE bulk write (one COPY on
    /// PostgreSQL, which the server works through while the next chunks are checked) of the
    /// rows gathered so far, then of `first` and of each chunk `next` gives, while each is
    /// [`Load::known`] and found without a problem. Returns the chunk that was not (not
    /// written: to be processed as usual), or `None` when `next` ran out.
    fn stream(
        _ctx: &mut Ctx,
        _db: &mut Db,
        first: Vec<Self>,
        _next: &mut dyn FnMut() -> Option<Vec<Self>>,
    ) -> Result<Option<Vec<Self>>> {
        Ok(Some(first))
    }
}

/// A [`Load::stream`]'s bulk write: the `gathered` rows, then those of `first` and of each
/// chunk `next` gives while `quick` finds it known and good, pushed; returns the chunk it did
/// not (unwritten), or `None` when `next` ran out.
fn stream_into<T, R>(
    ctx: &mut Ctx,
    gathered: &[R],
    first: Option<Vec<T>>,
    next: &mut dyn FnMut() -> Option<Vec<T>>,
    quick: fn(&mut Ctx, &[T]) -> Option<Vec<R>>,
    push: &mut dyn FnMut(&R) -> tongchou_store::Result<()>,
) -> tongchou_store::Result<Option<Vec<T>>> {
    for r in gathered {
        push(r)?;
    }
    let mut chunk = first;
    while let Some(c) = chunk.take().or_else(&mut *next) {
        let Some(rows) = quick(ctx, &c) else {
            return Ok(Some(c));
        };
        for r in &rows {
            push(r)?;
        }
    }
    Ok(None)
}

/// Checked declarations and receipts are written this many at a time (one COPY on PostgreSQL
/// for four chunks of checks: 245 COPYs of 4,096 rows took a fifth longer than one of the same
/// 1,000,000 rows).
const WRITE_ROWS: usize = 16_384;

fn unknown_person() -> String {
    tr!("app-imp-unknown-person")
}

fn unknown_employer() -> String {
    tr!("app-imp-unknown-employer")
}

/// A name given in the file must be the registered one.
fn check_name(ctx: &Ctx, row: u64, given: Option<&str>, p: &PersonRef, errors: &mut Vec<RowError>) {
    if let Some(n) = given.map(str::trim)
        && !n.is_empty()
        && n != p.name.trim()
    {
        errors.push(ctx.problem(
            row,
            "name",
            tr!("app-imp-not-registered-name", given = n, name = p.name),
        ));
    }
}

/// The registered person a row (row, ID number) names, checked: unknown, registered outside
/// the importer's region (both a problem, and `None`), or with another name than the one the
/// row gives (a problem).
fn registered<'p>(
    ctx: &mut Ctx,
    persons: &'p HashMap<String, (bool, Option<PersonRef>)>,
    (row, id_number): (u64, &tongchou_core::IdNumber),
    name: &Option<String>,
    errors: &mut Vec<RowError>,
) -> Option<&'p PersonRef> {
    let Some((_, Some(p))) = persons.get(id_number.as_str()) else {
        errors.push(ctx.problem(row, "id_number", unknown_person()));
        return None;
    };
    if let Some(e) = ctx.outside_person(row, "id_number", p.county) {
        errors.push(e);
        return None;
    }
    check_name(ctx, row, name.as_deref(), p, errors);
    Some(p)
}

/// Two independent SipHash digests of a receipt number: equal receipts collide, different ones
/// with a probability of about 2^-128.
fn receipt_digest(receipt: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    (0u8, receipt).hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (1u8, receipt).hash(&mut b);
    ((a.finish() as u128) << 64) | b.finish() as u128
}

fn sex_str(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

/// The registered employers among these credit codes (a chunk's), by credit code: those not
/// yet met in this reading looked up, all kept for the next chunks.
fn employer_ids<'a>(
    ctx: &mut Ctx,
    db: &mut Db,
    codes: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, imports::EmployerRef>> {
    let mut codes: Vec<&str> = codes.collect();
    codes.sort_unstable();
    codes.dedup();
    let new: Vec<&str> = codes
        .iter()
        .copied()
        .filter(|c| !ctx.employers.contains_key(*c))
        .collect();
    if !new.is_empty() {
        let mut found = imports::employers_by_credit_code(db, &new)?;
        for c in new {
            ctx.employers.insert(c.to_string(), found.remove(c));
        }
    }
    Ok(codes
        .into_iter()
        .filter_map(|c| {
            let e = ctx.employers.get(c)?.clone()?;
            Some((c.to_string(), e))
        })
        .collect())
}

/// At most this many persons kept between the chunks of a reading (about 150 bytes each, 40 MB);
/// when more would be, those kept are forgotten first.
const PERSONS_KEPT: usize = 1 << 18;

/// The registered persons of these ID numbers (a chunk's) kept in `ctx.persons`, with their
/// names if `names`: those not met yet in this reading looked up.
fn look_up_persons(ctx: &mut Ctx, db: &mut Db, ids: &[&str], names: bool) -> Result<()> {
    let wanted = |ctx: &Ctx| {
        let mut w: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| match ctx.persons.get(*id) {
                Some((named, _)) => names && !named,
                None => true,
            })
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let mut missing = wanted(ctx);
    if missing.is_empty() {
        return Ok(());
    }
    if ctx.persons.len() + missing.len() > PERSONS_KEPT {
        ctx.persons.clear();
        missing = wanted(ctx);
    }
    let mut found = imports::persons_by_id_number(db, &missing, names)?;
    for id in missing {
        ctx.persons
            .insert(id.to_string(), (names, found.remove(id)));
    }
    Ok(())
}

impl Load for Person {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Person],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let employers = employer_ids(
            ctx,
            db,
            chunk
                .iter()
                .filter_map(|p| p.employer.as_ref().map(|c| c.as_str())),
        )?;
        let ids: Vec<&str> = chunk.iter().map(|p| p.id_number.as_str()).collect();
        let known = imports::persons_by_id_number(db, &ids, true)?;
        let before = errors.len();
        let mut good: Vec<(&Person, Option<i64>)> = Vec::with_capacity(chunk.len());
        for p in chunk {
            let mut ok = true;
            if let Some(e) = ctx.outside(p.row, "county", p.county.get() as i64) {
                errors.push(e);
                ok = false;
            }
            if let Some(k) = known.get(p.id_number.as_str()) {
                let e = ctx
                    .outside_person(p.row, "id_number", k.county)
                    .unwrap_or_else(|| {
                        ctx.problem(
                            p.row,
                            "id_number",
                            tr!("app-imp-person-registered", id = k.id, name = k.name),
                        )
                    });
                errors.push(e);
                ok = false;
            }
            let employer = match &p.employer {
                None => None,
                Some(code) => match employers.get(code.as_str()) {
                    None => {
                        errors.push(ctx.problem(p.row, "employer", unknown_employer()));
                        ok = false;
                        None
                    }
                    Some(e) if e.status == "closed" => {
                        errors.push(ctx.problem(
                            p.row,
                            "employer",
                            tr!("app-imp-employer-closed", name = e.name),
                        ));
                        ok = false;
                        None
                    }
                    Some(e) => Some(e.id),
                },
            };
            if ok {
                good.push((p, employer));
            }
        }
        if mode == Mode::Check || errors.len() > before {
            return Ok(());
        }
        write_persons(ctx, db, &good)
    }
}

/// Write a chunk of checked persons (their events and ID numbers too), with the next ids.
fn write_persons(ctx: &mut Ctx, db: &mut Db, good: &[(&Person, Option<i64>)]) -> Result<()> {
    let first = ctx.next_person;
    ctx.next_person += good.len() as i64;
    let texts: Vec<(String, String, i64)> = good
        .iter()
        .map(|(p, _)| {
            (
                p.birth.to_string(),
                p.enrolled.to_string(),
                p.enrolled.period().yyyymm() as i64,
            )
        })
        .collect();
    registry::write_persons(db, &mut |push| {
        for (i, ((p, employer), (birth, enrolled, as_of))) in good.iter().zip(&texts).enumerate() {
            push(&PersonRow {
                id: first + i as i64,
                id_number: p.id_number.as_str(),
                name: &p.name,
                sex: sex_str(p.sex),
                birth,
                category: p.category.as_str(),
                county: p.county.get() as i64,
                employer_id: *employer,
                payer_kind: match p.payer_kind {
                    PayerKind::Employee => "employee",
                    PayerKind::Flexible => "flexible",
                },
                status: "active",
                status_since: enrolled,
                enrolled_on: enrolled,
                // no wage in a persons file: a declaration or the base floor applies
                declared_fen: 0,
                // nothing paid yet at enrolment; history comes with later contributions
                as_of: *as_of,
                paid_months: 0,
                deemed_months: 0,
                avg_index: 0,
                balance_fen: 0,
            })?;
        }
        Ok(())
    })?;
    let mut pairs: Vec<(&str, i64)> = good
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (p.id_number.as_str(), first + i as i64))
        .collect();
    pairs.sort_unstable();
    registry::write_person_ids(db, &mut |push| {
        for pair in &pairs {
            push(pair)?;
        }
        Ok(())
    })?;
    registry::write_person_events(db, &mut |push| {
        for (i, ((p, employer), (_, enrolled, _))) in good.iter().zip(&texts).enumerate() {
            push(&PersonEventRow {
                person_id: first + i as i64,
                seq: 1,
                event_date: enrolled,
                kind: "enrol",
                status: "active",
                county: p.county.get() as i64,
                from_county: None,
                employer_id: *employer,
                from_employer: None,
            })?;
        }
        Ok(())
    })?;
    // the household registration, where the file gives it (国办发〔2009〕66号's temporary account)
    let hukou: Vec<(i64, i64)> = good
        .iter()
        .enumerate()
        .filter_map(|(i, (p, _))| {
            let r = p.household_registration?;
            Some((first + i as i64, r.get() as i64))
        })
        .collect();
    let source = format!("import:{}", ctx.import_id);
    tongchou_store::transfers::write_household_registrations(
        db,
        &hukou,
        &source,
        &ctx.today.to_string(),
    )?;
    Ok(())
}

impl Load for Employer {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Employer],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let codes: Vec<&str> = chunk.iter().map(|e| e.credit_code.as_str()).collect();
        let known = imports::employers_by_credit_code(db, &codes)?;
        let before = errors.len();
        for e in chunk {
            if let Some(x) = ctx.outside(e.row, "county", e.county.get() as i64) {
                errors.push(x);
            }
            if let Some(k) = known.get(e.credit_code.as_str()) {
                errors.push(ctx.problem(
                    e.row,
                    "credit_code",
                    tr!("app-imp-employer-registered", id = k.id, name = k.name),
                ));
            }
        }
        if mode == Mode::Check || errors.len() > before {
            return Ok(());
        }
        // the unique credit code refuses an employer registered meanwhile
        let first = ctx.next_employer;
        ctx.next_employer += chunk.len() as i64;
        let today = ctx.today.to_string();
        registry::write_employers(db, &mut |push| {
            for (i, e) in chunk.iter().enumerate() {
                push(&EmployerRow {
                    id: first + i as i64,
                    credit_code: e.credit_code.as_str(),
                    name: &e.name,
                    county: e.county.get() as i64,
                    industry: e.industry.as_str(),
                    status: e.status.as_str(),
                    status_since: &today,
                    registered_on: &today,
                })?;
            }
            Ok(())
        })?;
        Ok(())
    }
}

fn payer_code(p: &Payer) -> Option<&str> {
    match p {
        Payer::Employer(c) => Some(c.as_str()),
        Payer::Flexible => None,
    }
}

/// The declarations already stored for these rows (row, person, month) of a chunk, each a
/// problem, in the rows' order: one lookup per month of the chunk. Those this import wrote (a
/// row met twice in the file, which the reader refuses) are left out.
fn stored_declarations(
    ctx: &Ctx,
    db: &mut Db,
    rows: &[(u64, i64, Period)],
) -> Result<Vec<RowError>> {
    let mut by_period: HashMap<i64, Vec<i64>> = HashMap::new();
    for (_, person, period) in rows {
        by_period
            .entry(period.yyyymm() as i64)
            .or_default()
            .push(*person);
    }
    let mut stored: HashMap<(i64, i64), i64> = HashMap::new();
    for (period, people) in &by_period {
        for (person, import) in imports::stored_declarations(db, *period, people)? {
            if import != ctx.import_id {
                stored.insert((person, *period), import);
            }
        }
    }
    Ok(rows
        .iter()
        .filter_map(|(row, person, period)| {
            let import = stored.get(&(*person, period.yyyymm() as i64))?;
            Some(RowError {
                row: *row,
                column: None,
                reason: tr!(
                    "app-imp-declaration-stored",
                    period = *period,
                    import = import
                ),
            })
        })
        .collect())
}

/// A problem about a row whose message names the person's registered employer by credit code
/// (looked up only for such rows): the problem's index, the employer, and whether the person is
/// an employee declared as flexibly employed (else declared by another employer).
type EmployerNamed = (usize, Option<i64>, bool);

/// The messages of the problems that name the person's registered employer.
fn name_employers(db: &mut Db, errors: &mut [RowError], pending: &[EmployerNamed]) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = pending.iter().filter_map(|p| p.1).collect();
    let codes = imports::employer_codes(db, &ids)?;
    for (i, employer, employee) in pending {
        let code = employer.and_then(|e| codes.get(&e)).map(String::as_str);
        errors[*i].reason = match (employee, code) {
            (true, c) => tr!(
                "app-imp-employee-declared-by-employer",
                employer = c.unwrap_or("—")
            ),
            (false, Some(c)) => tr!("app-imp-other-employer", employer = c),
            (false, None) => tr!("app-imp-flexible-no-employer"),
        };
    }
    Ok(())
}

/// A chunk of declarations judged against what the reading knows (its persons and employers
/// looked up): the rows to write, the problems (those naming the person's employer still
/// without their message), and the rows to probe for declarations already stored.
struct Judged {
    good: Vec<DeclarationRow>,
    errors: Vec<RowError>,
    pending: Vec<EmployerNamed>,
    probe: Vec<(u64, i64, Period)>,
}

/// Every person and employer of these declarations met before in this reading.
fn declarations_known(ctx: &Ctx, chunk: &[Declaration]) -> bool {
    let names = chunk.iter().any(|d| d.name.is_some());
    chunk.iter().all(|d| {
        ctx.persons
            .get(d.id_number.as_str())
            .is_some_and(|(named, _)| *named || !names)
            && payer_code(&d.payer).is_none_or(|c| ctx.employers.contains_key(c))
    })
}

/// The checks of a chunk of declarations whose persons and employers are in `ctx` (nothing
/// asked of the database).
fn judge_declarations(ctx: &mut Ctx, chunk: &[Declaration]) -> Judged {
    // taken out of `ctx` while its rows are checked (put back below)
    let persons = std::mem::take(&mut ctx.persons);
    let employers = std::mem::take(&mut ctx.employers);
    let mut j = Judged {
        good: Vec::with_capacity(chunk.len()),
        errors: Vec::new(),
        pending: Vec::new(),
        probe: Vec::with_capacity(chunk.len()),
    };
    let errors = &mut j.errors;
    for d in chunk {
        if ctx.closed.contains(&d.period) {
            errors.push(ctx.problem(
                d.row,
                "period",
                tr!("app-imp-period-closed", period = d.period),
            ));
        }
        let Some(p) = registered(ctx, &persons, (d.row, &d.id_number), &d.name, errors) else {
            continue;
        };
        let employer_id = match &d.payer {
            Payer::Flexible => {
                if !p.flexible {
                    j.pending.push((errors.len(), p.employer_id, true));
                    errors.push(ctx.problem(d.row, "employer", String::new()));
                }
                0
            }
            Payer::Employer(code) => match employers.get(code.as_str()).and_then(Option::as_ref) {
                None => {
                    // the chunk is not written
                    errors.push(ctx.problem(d.row, "employer", unknown_employer()));
                    0
                }
                Some(e) if p.employer_id != Some(e.id) => {
                    j.pending.push((errors.len(), p.employer_id, false));
                    errors.push(ctx.problem(d.row, "employer", String::new()));
                    e.id
                }
                Some(e) => e.id,
            },
        };
        j.probe.push((d.row, p.id, d.period));
        j.good.push(DeclarationRow {
            person_id: p.id,
            period: d.period.yyyymm() as i64,
            employer_id,
            declared_fen: d.base.fen(),
            import_id: ctx.import_id,
        });
    }
    ctx.persons = persons;
    ctx.employers = employers;
    j
}

/// The checks of a chunk of declarations against the register: the rows to write, with their
/// ids (complete only when the chunk has no problem), and the chunk's problems in row order.
fn check_declarations(
    ctx: &mut Ctx,
    db: &mut Db,
    chunk: &[Declaration],
    mode: Mode,
) -> Result<(Vec<DeclarationRow>, Vec<RowError>)> {
    let ids: Vec<&str> = chunk.iter().map(|d| d.id_number.as_str()).collect();
    let names = chunk.iter().any(|d| d.name.is_some());
    look_up_persons(ctx, db, &ids, names)?;
    employer_ids(ctx, db, chunk.iter().filter_map(|d| payer_code(&d.payer)))?;
    let Judged {
        good,
        mut errors,
        pending,
        probe,
    } = judge_declarations(ctx, chunk);
    name_employers(db, &mut errors, &pending)?;
    if ctx.probe(mode, errors.is_empty()) {
        // a row's declaration already stored is its last problem
        errors.extend(stored_declarations(ctx, db, &probe)?);
        errors.sort_by_key(|e| e.row);
    }
    Ok((good, errors))
}

/// The rows of a chunk of declarations [`Load::known`] and without a problem; `None` (nothing
/// changed in `ctx`) otherwise.
fn quick_declarations(ctx: &mut Ctx, chunk: &[Declaration]) -> Option<Vec<DeclarationRow>> {
    if !declarations_known(ctx, chunk) {
        return None;
    }
    let hidden = ctx.hidden.len();
    let j = judge_declarations(ctx, chunk);
    if j.errors.is_empty() {
        return Some(j.good);
    }
    // checked again, with the database, by the usual path
    ctx.hidden.truncate(hidden);
    None
}

/// A checked chunk of a kind written together ([`WRITE_ROWS`] at a time): its problems added to
/// `errors`; in [`Mode::Write`] and without a problem, its good rows added to the rows `kept`
/// in `ctx`, which `finish` writes once enough wait.
fn keep_checked<T>(
    ctx: &mut Ctx,
    db: &mut Db,
    (good, found): (Vec<T>, Vec<RowError>),
    (errors, mode): (&mut Vec<RowError>, Mode),
    kept: fn(&mut Ctx) -> &mut Vec<T>,
    finish: fn(&mut Ctx, &mut Db) -> Result<()>,
) -> Result<()> {
    let clean = found.is_empty();
    errors.extend(found);
    if mode == Mode::Check || !clean {
        return Ok(());
    }
    let rows = kept(ctx);
    rows.extend(good);
    if rows.len() >= WRITE_ROWS {
        finish(ctx, db)?;
    }
    Ok(())
}

impl Load for Declaration {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Declaration],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let checked = check_declarations(ctx, db, chunk, mode)?;
        keep_checked(
            ctx,
            db,
            checked,
            (errors, mode),
            |c| &mut c.declarations,
            Self::finish,
        )
    }

    fn finish(ctx: &mut Ctx, db: &mut Db) -> Result<()> {
        if ctx.declarations.is_empty() {
            return Ok(());
        }
        // the primary key refuses a declaration already stored (StoreError::Duplicate)
        imports::write_declarations(db, &mut |push| {
            for r in &ctx.declarations {
                push(r)?;
            }
            Ok(())
        })?;
        ctx.declarations.clear();
        Ok(())
    }

    fn known(ctx: &Ctx, chunk: &[Declaration]) -> bool {
        declarations_known(ctx, chunk)
    }

    fn stream(
        ctx: &mut Ctx,
        db: &mut Db,
        first: Vec<Declaration>,
        next: &mut dyn FnMut() -> Option<Vec<Declaration>>,
    ) -> Result<Option<Vec<Declaration>>> {
        let gathered = std::mem::take(&mut ctx.declarations);
        let (mut first, mut back) = (Some(first), None);
        // the primary key refuses a declaration already stored (StoreError::Duplicate)
        imports::write_declarations(db, &mut |push| {
            back = stream_into(ctx, &gathered, first.take(), next, quick_declarations, push)?;
            Ok(())
        })?;
        Ok(back)
    }
}

/// The receipt numbers of these rows (row, receipt) already stored by another import, each a
/// problem, in the rows' order.
fn stored_receipts(ctx: &Ctx, db: &mut Db, rows: &[(u64, &str)]) -> Result<Vec<RowError>> {
    let numbers: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let stored = imports::stored_receipts(db, &numbers)?;
    Ok(rows
        .iter()
        .filter_map(|(row, receipt)| {
            // a receipt this import wrote is one met twice in the file: said apart
            let import = stored.get(*receipt).filter(|i| **i != ctx.import_id)?;
            Some(ctx.problem(
                *row,
                "receipt",
                tr!("app-imp-receipt-stored", import = import),
            ))
        })
        .collect())
}

/// Every person of these collection results met before in this reading.
fn collections_known(ctx: &Ctx, chunk: &[Collection]) -> bool {
    let names = chunk.iter().any(|c| c.name.is_some());
    chunk.iter().all(|c| {
        ctx.persons
            .get(c.id_number.as_str())
            .is_some_and(|(named, _)| *named || !names)
    })
}

/// The checks of a chunk of collection results whose persons are in `ctx` (nothing asked of
/// the database): the receipts to write, the problems, and the digests of the receipt numbers
/// this chunk added to those seen.
fn judge_collections(
    ctx: &mut Ctx,
    chunk: &[Collection],
) -> (Vec<Receipt>, Vec<RowError>, Vec<u128>) {
    // taken out of `ctx` while its rows are checked (put back below)
    let persons = std::mem::take(&mut ctx.persons);
    let mut errors: Vec<RowError> = Vec::new();
    let mut good: Vec<Receipt> = Vec::with_capacity(chunk.len());
    let mut added = Vec::with_capacity(chunk.len());
    for c in chunk {
        let digest = receipt_digest(&c.receipt);
        match ctx.receipts_seen.get(&digest) {
            Some(first) => {
                errors.push(ctx.problem(
                    c.row,
                    "receipt",
                    tr!("app-imp-receipt-twice", first = first),
                ));
            }
            None => {
                ctx.receipts_seen.insert(digest, c.row);
                added.push(digest);
            }
        }
        let Some(p) = registered(ctx, &persons, (c.row, &c.id_number), &c.name, &mut errors) else {
            continue;
        };
        good.push(Receipt {
            receipt: c.receipt.clone(),
            person: p.id,
            period: c.period,
            paid: c.paid,
            paid_on: c.paid_on,
        });
    }
    ctx.persons = persons;
    (good, errors, added)
}

/// The checks of a chunk of collection results against the register: the receipts to write
/// (complete only when the chunk has no problem) and the chunk's problems in row order.
fn check_collections(
    ctx: &mut Ctx,
    db: &mut Db,
    chunk: &[Collection],
    mode: Mode,
) -> Result<(Vec<Receipt>, Vec<RowError>)> {
    let ids: Vec<&str> = chunk.iter().map(|c| c.id_number.as_str()).collect();
    let names = chunk.iter().any(|c| c.name.is_some());
    look_up_persons(ctx, db, &ids, names)?;
    let (good, mut errors, _) = judge_collections(ctx, chunk);
    if ctx.probe(mode, errors.is_empty()) {
        // a row's receipt already stored is its first problem
        let rows: Vec<(u64, &str)> = chunk.iter().map(|c| (c.row, c.receipt.as_str())).collect();
        let mut stored = stored_receipts(ctx, db, &rows)?;
        stored.append(&mut errors);
        errors = stored;
        errors.sort_by_key(|e| e.row);
    }
    Ok((good, errors))
}

/// The receipts of a chunk of collection results [`Load::known`] and without a problem; `None`
/// (nothing changed in `ctx`) otherwise.
fn quick_collections(ctx: &mut Ctx, chunk: &[Collection]) -> Option<Vec<Receipt>> {
    if !collections_known(ctx, chunk) {
        return None;
    }
    let hidden = ctx.hidden.len();
    let (good, errors, added) = judge_collections(ctx, chunk);
    if errors.is_empty() {
        return Some(good);
    }
    // checked again, with the database, by the usual path
    ctx.hidden.truncate(hidden);
    for d in added {
        ctx.receipts_seen.remove(&d);
    }
    None
}

impl Load for Collection {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Collection],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let checked = check_collections(ctx, db, chunk, mode)?;
        keep_checked(
            ctx,
            db,
            checked,
            (errors, mode),
            |c| &mut c.receipts,
            Self::finish,
        )
    }

    fn finish(ctx: &mut Ctx, db: &mut Db) -> Result<()> {
        if ctx.receipts.is_empty() {
            return Ok(());
        }
        // the primary key of receipts refuses a receipt number already stored
        // (StoreError::Duplicate)
        collect::write_receipts(db, ctx.import_id, &ctx.receipts)?;
        ctx.receipts.clear();
        Ok(())
    }

    fn known(ctx: &Ctx, chunk: &[Collection]) -> bool {
        collections_known(ctx, chunk)
    }

    fn stream(
        ctx: &mut Ctx,
        db: &mut Db,
        first: Vec<Collection>,
        next: &mut dyn FnMut() -> Option<Vec<Collection>>,
    ) -> Result<Option<Vec<Collection>>> {
        let gathered = std::mem::take(&mut ctx.receipts);
        let (mut first, mut back) = (Some(first), None);
        let import_id = ctx.import_id;
        // the primary key of receipts refuses a receipt number already stored
        // (StoreError::Duplicate)
        collect::stream_receipts(db, import_id, &mut |push| {
            back = stream_into(ctx, &gathered, first.take(), next, quick_collections, push)?;
            Ok(())
        })?;
        Ok(back)
    }
}
