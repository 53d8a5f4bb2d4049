//! The database side of an import, per kind: the checks of a chunk of validated records against
//! the register (a problem per bad row, with the column as headed in the file), and the writing
//! of a chunk found good, with the ids its checks looked up, while no problem was found in the
//! file so far (the import's one transaction is rolled back if one is found later; the primary
//! keys refuse anything that would be a duplicate).

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
    import_id: i64,
    next_person: i64,
    next_employer: i64,
    /// The acting staff member's region: every row must fall within it.
    pub scope: Option<RegionCode>,
    /// Rows naming a person registered outside `scope` (row, county): refused without a word
    /// about that person, and audited as refused reads when the reading ends.
    pub hidden: Vec<(u64, i64)>,
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
            import_id,
            next_person: imports::next_id(db, "persons")?,
            next_employer: imports::next_id(db, "employers")?,
            scope: None,
            hidden: Vec::new(),
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

    fn problem(&self, row: u64, key: &str, reason: impl Into<String>) -> RowError {
        RowError {
            row,
            column: Some(self.col(key)),
            reason: reason.into(),
        }
    }
}

/// A kind that can be loaded.
pub trait Load: Record {
    /// Check a chunk of records against the database, adding a problem per bad row; in
    /// [`Mode::Write`], then write it if none of its rows has a problem.
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Self],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()>;
}

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
        let known = imports::persons_by_id_number(db, &ids)?;
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

/// The declarations already stored for the persons of a chunk, by (person, yyyymm), with the
/// import that brought each: one lookup per month of the chunk. Those this import wrote (a row
/// met twice in the file, which the reader refuses) are left out.
fn stored_declarations(
    ctx: &Ctx,
    db: &mut Db,
    chunk: &[Declaration],
    persons: &HashMap<String, imports::PersonRef>,
) -> Result<HashMap<(i64, i64), i64>> {
    let mut by_period: HashMap<i64, Vec<i64>> = HashMap::new();
    for d in chunk {
        if let Some(p) = persons.get(d.id_number.as_str()) {
            by_period
                .entry(d.period.yyyymm() as i64)
                .or_default()
                .push(p.id);
        }
    }
    let mut stored: HashMap<(i64, i64), i64> = HashMap::new();
    for (period, people) in &by_period {
        for (person, import) in imports::stored_declarations(db, *period, people)? {
            if import != ctx.import_id {
                stored.insert((person, *period), import);
            }
        }
    }
    Ok(stored)
}

/// The checks of a chunk of declarations against the register; the rows to write, with their
/// ids (complete only when the chunk added no problem).
fn check_declarations(
    ctx: &mut Ctx,
    db: &mut Db,
    chunk: &[Declaration],
    errors: &mut Vec<RowError>,
) -> Result<Vec<DeclarationRow>> {
    let ids: Vec<&str> = chunk.iter().map(|d| d.id_number.as_str()).collect();
    let persons = imports::persons_by_id_number(db, &ids)?;
    let employers = employer_ids(ctx, db, chunk.iter().filter_map(|d| payer_code(&d.payer)))?;
    let stored = stored_declarations(ctx, db, chunk, &persons)?;
    let mut good: Vec<DeclarationRow> = Vec::with_capacity(chunk.len());
    for d in chunk {
        let period = d.period.yyyymm() as i64;
        if ctx.closed.contains(&d.period) {
            errors.push(ctx.problem(
                d.row,
                "period",
                tr!("app-imp-period-closed", period = d.period),
            ));
        }
        let Some(p) = persons.get(d.id_number.as_str()) else {
            errors.push(ctx.problem(d.row, "id_number", unknown_person()));
            continue;
        };
        if let Some(e) = ctx.outside_person(d.row, "id_number", p.county) {
            errors.push(e);
            continue;
        }
        check_name(ctx, d.row, d.name.as_deref(), p, errors);
        let employer_id = match &d.payer {
            Payer::Flexible => {
                if p.payer_kind != "flexible" {
                    errors.push(ctx.problem(
                        d.row,
                        "employer",
                        tr!(
                            "app-imp-employee-declared-by-employer",
                            employer = p.employer_code.as_deref().unwrap_or("—")
                        ),
                    ));
                }
                0
            }
            Payer::Employer(code) => match employers.get(code.as_str()) {
                None => {
                    // the chunk is not written
                    errors.push(ctx.problem(d.row, "employer", unknown_employer()));
                    0
                }
                Some(e) if p.employer_id != Some(e.id) => {
                    let reason = match p.employer_code.as_deref() {
                        Some(other) => tr!("app-imp-other-employer", employer = other),
                        None => tr!("app-imp-flexible-no-employer"),
                    };
                    errors.push(ctx.problem(d.row, "employer", reason));
                    e.id
                }
                Some(e) => e.id,
            },
        };
        if let Some(import) = stored.get(&(p.id, period)) {
            errors.push(RowError {
                row: d.row,
                column: None,
                reason: tr!(
                    "app-imp-declaration-stored",
                    period = d.period,
                    import = import
                ),
            });
        }
        good.push(DeclarationRow {
            person_id: p.id,
            period,
            employer_id,
            declared_fen: d.base.fen(),
            import_id: ctx.import_id,
        });
    }
    Ok(good)
}

impl Load for Declaration {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Declaration],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let before = errors.len();
        let good = check_declarations(ctx, db, chunk, errors)?;
        if mode == Mode::Check || errors.len() > before {
            return Ok(());
        }
        // the primary key refuses a declaration stored meanwhile
        imports::write_declarations(db, &mut |push| {
            for r in &good {
                push(r)?;
            }
            Ok(())
        })?;
        Ok(())
    }
}

impl Load for Collection {
    fn process(
        ctx: &mut Ctx,
        db: &mut Db,
        chunk: &[Collection],
        errors: &mut Vec<RowError>,
        mode: Mode,
    ) -> Result<()> {
        let before = errors.len();
        let ids: Vec<&str> = chunk.iter().map(|c| c.id_number.as_str()).collect();
        let persons = imports::persons_by_id_number(db, &ids)?;
        let numbers: Vec<&str> = chunk.iter().map(|c| c.receipt.as_str()).collect();
        let stored = imports::stored_receipts(db, &numbers)?;
        let mut good: Vec<Receipt> = Vec::with_capacity(chunk.len());
        for c in chunk {
            // a receipt this import wrote is one met twice in the file: said just below
            if let Some(import) = stored.get(&c.receipt).filter(|i| **i != ctx.import_id) {
                errors.push(ctx.problem(
                    c.row,
                    "receipt",
                    tr!("app-imp-receipt-stored", import = import),
                ));
            }
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
                }
            }
            let Some(p) = persons.get(c.id_number.as_str()) else {
                errors.push(ctx.problem(c.row, "id_number", unknown_person()));
                continue;
            };
            if let Some(e) = ctx.outside_person(c.row, "id_number", p.county) {
                errors.push(e);
                continue;
            }
            check_name(ctx, c.row, c.name.as_deref(), p, errors);
            good.push(Receipt {
                receipt: c.receipt.clone(),
                person: p.id,
                period: c.period,
                paid: c.paid,
                paid_on: c.paid_on,
            });
        }
        if mode == Mode::Check || errors.len() > before {
            return Ok(());
        }
        // the primary key of receipts refuses a receipt number stored meanwhile
        collect::write_receipts(db, ctx.import_id, &good)?;
        Ok(())
    }
}
