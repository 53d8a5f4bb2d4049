//! Reading a city's legacy file set and reconciling it: against its own control totals, within
//! itself (a person both insured and retired, impossible histories, pensions that the rule does
//! not reproduce, unknown employers and persons) and against the province (the same ID number
//! already registered: a review, not a refusal). Pure apart from the look-ups of the province.

use super::files::{FileSet, Part};
use crate::Result;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::{Date, Fen, IdNumber, Period, Policy, Ratio, RegionCode};
use tongchou_import::{
    ControlTotal, Employer, ImportError, LegacyArrear, LegacyInsured, LegacyPensioner, LegacyYear,
    Options, Payer, Record, RowError,
};
use tongchou_store::Db;
use tongchou_store::migration::{self as store, Known};

/// At most this many problems are kept per file (all are counted).
const ERRORS_KEPT: usize = 1000;

/// One thing that stops the load, where it is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Defect {
    /// The file's name (`insured.csv`).
    pub file: String,
    /// The row (the header is row 1); 0 for the file as a whole.
    pub row: u64,
    pub column: Option<String>,
    /// The county the row belongs to, when known.
    pub county: Option<u32>,
    /// file, outside_city, insured_and_retired, impossible_history, not_reproduced,
    /// unknown_employer, unknown_person, control_total
    pub what: &'static str,
    pub reason: String,
}

/// A person the province already holds: the incoming record goes to the review list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReviewItem {
    pub file: String,
    pub row: u64,
    pub county: u32,
    pub id_number: String,
    /// insured or pensioner
    pub kind: &'static str,
    pub existing_person: i64,
    pub existing_county: i64,
}

/// Counts and sums of one county.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub employers: u64,
    pub insured: u64,
    pub history_rows: u64,
    pub balance: Fen,
    pub pensioners: u64,
    pub pensions: Fen,
    pub arrears: u64,
    pub arrears_amount: Fen,
}

/// One county of the reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CountyLine {
    pub county: u32,
    /// The city's control totals, if it gave any for the county.
    pub control: Option<Counts>,
    /// What the files hold.
    pub files: Counts,
    /// ID numbers written in the legacy 15-digit form (upgraded).
    pub upgraded_ids: u64,
    pub reviews: u64,
    pub defects: u64,
}

/// The aggregate of a person's history rows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Hist {
    pub months: u32,
    /// Σ index × months, scaled 1e8.
    pub weighted: i128,
    /// The years met so far, bit `year - FIRST_YEAR` (the duplicate check of the history).
    pub years: u128,
}

/// The first year a history row may name (`tongchou_import::LegacyYear`).
const FIRST_YEAR: i32 = 1951;

/// A person's county and insured span (first and last month).
type Span = (u32, Period, Period);

/// A map keyed by ID number (no allocation, a fast hash: the keys are not adversarial).
pub(crate) type ByIdNumber<V> = FxHashMap<IdNumber, V>;

impl Hist {
    /// The average index over the months paid, half up at 1e-8.
    pub fn avg_index(&self) -> i64 {
        if self.months == 0 {
            return 0;
        }
        let m = self.months as i128;
        ((2 * self.weighted + m) / (2 * m)) as i64
    }
}

/// The records of a file set that was read.
#[derive(Default)]
pub(crate) struct Parsed {
    pub employers: Vec<Employer>,
    pub insured: Vec<LegacyInsured>,
    pub pensioners: Vec<LegacyPensioner>,
    pub arrears: Vec<LegacyArrear>,
    pub controls: Vec<ControlTotal>,
    pub history: ByIdNumber<Hist>,
    pub history_rows: u64,
}

/// The 17 leading digits of an ID number, as the maps key it.
pub(crate) fn key(id: &IdNumber) -> String {
    id.as_str().to_string()
}

/// Read one part of the set, handing each good record to `f`; the problems as defects.
pub(crate) fn read_each<T: Record + Send>(
    files: &FileSet,
    part: Part,
    today: Date,
    f: impl FnMut(T),
) -> Vec<Defect> {
    read_part(files, part, (today, true), f)
}

/// [`read_each`], the reader's own duplicate check on or off (`(today, duplicates)`); without
/// it a large CSV file is read on several threads (`tongchou_import::parallel`), the records
/// still handed to `f` in the file's order.
pub(crate) fn read_part<T: Record + Send>(
    files: &FileSet,
    part: Part,
    (today, duplicates): (Date, bool),
    f: impl FnMut(T),
) -> Vec<Defect> {
    let Some((name, bytes)) = files.get(part) else {
        return Vec::new();
    };
    let mut opts = Options::new(today);
    opts.error_limit = ERRORS_KEPT;
    opts.detect_duplicates = duplicates;
    let fail = |errors: Vec<RowError>| -> Vec<Defect> {
        errors
            .into_iter()
            .map(|e| Defect {
                file: name.to_string(),
                row: e.row,
                column: e.column,
                county: None,
                what: "file",
                reason: e.reason,
            })
            .collect()
    };
    match tongchou_import::parallel::for_each(bytes, opts, f) {
        Ok(()) => Vec::new(),
        Err(ImportError::Rejected(r)) => fail(r.errors),
        Err(ImportError::Io(e)) => fail(vec![io_error(e)]),
    }
}

fn io_error(e: std::io::Error) -> RowError {
    RowError {
        row: 0,
        column: None,
        reason: tongchou_core::tr!("app-mig-unreadable", error = e),
    }
}

/// The records of a file each person once: a later row with an earlier row's ID number is
/// dropped as a defect naming that row (what the reader's duplicate check says).
fn once_each<T>(
    records: &mut Vec<T>,
    part: Part,
    key: impl Fn(&T) -> (IdNumber, u64),
) -> Vec<Defect> {
    let mut first: ByIdNumber<u64> = ByIdNumber::default();
    first.reserve(records.len());
    let mut out = Vec::new();
    records.retain(|x| {
        let (id, row) = key(x);
        match first.get(&id) {
            Some(&at) => {
                out.push(Defect {
                    file: part.file_name(),
                    row,
                    column: None,
                    county: None,
                    what: "file",
                    reason: tongchou_core::tr!("app-mig-dup", row = at),
                });
                false
            }
            None => {
                first.insert(id, row);
                true
            }
        }
    });
    out
}

/// Everything a check found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Findings {
    pub counties: Vec<CountyLine>,
    pub defects: Vec<Defect>,
    pub reviews: Vec<ReviewItem>,
}

/// The state of one check run: the records, and what is found as it goes.
pub(crate) struct Checker<'a> {
    pub city: RegionCode,
    pub cutover: Period,
    pub today: Date,
    pub policy: &'a Policy,
    pub p: Parsed,
    pub lines: BTreeMap<u32, CountyLine>,
    pub defects: Vec<Defect>,
    pub reviews: Vec<ReviewItem>,
    /// ID number -> index in the insured file
    pub insured_at: ByIdNumber<usize>,
    pub pensioner_at: ByIdNumber<usize>,
    /// The history's last person: (ID number, (county, insured span) if known).
    last: Option<(IdNumber, Option<Span>)>,
    /// History rows repeating a person's year: (ID number, year, row).
    repeated: Vec<(IdNumber, i32, u64)>,
    /// credit code -> known in the province (employer id, county) or `None` if in the file
    pub employers: HashMap<String, Option<(i64, i64)>>,
}

fn in_city(city: RegionCode, county: RegionCode) -> bool {
    county.get() / 100 == city.get() / 100
}

impl<'a> Checker<'a> {
    pub(crate) fn new(req: &super::Request<'a>) -> Checker<'a> {
        Checker {
            city: req.city,
            cutover: req.cutover,
            today: req.today,
            policy: req.policy,
            p: Parsed::default(),
            lines: BTreeMap::new(),
            defects: Vec::new(),
            reviews: Vec::new(),
            insured_at: ByIdNumber::default(),
            pensioner_at: ByIdNumber::default(),
            last: None,
            repeated: Vec::new(),
            employers: HashMap::new(),
        }
    }

    /// A row in a county outside the city is a defect: true if so (the row counts no further).
    fn outside(&mut self, part: Part, row: u64, county: RegionCode) -> bool {
        if in_city(self.city, county) {
            return false;
        }
        let r = tongchou_core::tr!("app-mig-outside", county = county, city = self.city);
        self.defect(part, row, Some(county.get()), "outside_city", r);
        true
    }

    fn line(&mut self, county: u32) -> &mut CountyLine {
        self.lines.entry(county).or_insert_with(|| CountyLine {
            county,
            ..Default::default()
        })
    }

    pub(crate) fn defect(
        &mut self,
        part: Part,
        row: u64,
        county: Option<u32>,
        what: &'static str,
        reason: String,
    ) {
        if let Some(c) = county {
            self.line(c).defects += 1;
        }
        self.defects.push(Defect {
            file: part.file_name(),
            row,
            column: None,
            county,
            what,
            reason,
        });
    }

    /// Read every file of the set.
    pub(crate) fn read(&mut self, files: &FileSet) {
        let today = self.today;
        let mut p = Parsed::default();
        let mut d = read_each(files, Part::Employers, today, |r| p.employers.push(r));
        // the large files on several threads, a person twice found afterwards
        let mut insured = read_part(files, Part::Insured, (today, false), |r| p.insured.push(r));
        insured.extend(once_each(&mut p.insured, Part::Insured, |x| {
            (x.id_number, x.row)
        }));
        let mut pensioners = read_part(files, Part::Pensioners, (today, false), |r| {
            p.pensioners.push(r)
        });
        pensioners.extend(once_each(&mut p.pensioners, Part::Pensioners, |x| {
            (x.id_number, x.row)
        }));
        for mut part in [insured, pensioners] {
            part.sort_by_key(|x| x.row);
            part.truncate(ERRORS_KEPT);
            d.extend(part);
        }
        d.extend(read_each(files, Part::Arrears, today, |r| {
            p.arrears.push(r)
        }));
        d.extend(read_each(files, Part::Controls, today, |r| {
            p.controls.push(r)
        }));
        for dd in &mut d {
            dd.file = files.name_of(&dd.file);
        }
        self.defects.extend(d);
        self.p = p;
    }

    /// Employers: in the city; known to the province or not.
    pub(crate) fn employers(&mut self, db: &mut Db) -> Result<()> {
        let codes: Vec<String> = self
            .p
            .employers
            .iter()
            .map(|e| e.credit_code.as_str().to_string())
            .collect();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let known: HashMap<String, (i64, i64)> = store::known_employers(db, &refs)?
            .into_iter()
            .map(|(c, id, county)| (c, (id, county)))
            .collect();
        let rows: Vec<(u64, RegionCode, String)> = self
            .p
            .employers
            .iter()
            .map(|e| (e.row, e.county, e.credit_code.as_str().to_string()))
            .collect();
        for (row, county, code) in rows {
            if self.outside(Part::Employers, row, county) {
                continue;
            }
            self.line(county.get()).files.employers += 1;
            self.employers
                .insert(code.clone(), known.get(&code).copied());
        }
        Ok(())
    }

    /// Whether an employer's credit code is in the file or the province.
    fn employer_known(&mut self, db: &mut Db, code: &str) -> Result<bool> {
        if self.employers.contains_key(code) {
            return Ok(true);
        }
        let k = store::known_employers(db, &[code])?;
        if let Some((_, id, county)) = k.first() {
            self.employers
                .insert(code.to_string(), Some((*id, *county)));
            return Ok(true);
        }
        Ok(false)
    }

    /// The history stream: each row checked against its person, aggregated per person. The
    /// same person's year twice is found here (a bit per year and person) rather than by the
    /// reader's table of every row's key; the rows repeated are then named with their first
    /// row by a second reading, which only a defective file needs.
    pub(crate) fn history(&mut self, files: &FileSet) {
        let today = self.today;
        let mut d = read_part::<LegacyYear>(files, Part::History, (today, false), |r| {
            self.history_row(&r)
        });
        d.extend(self.repeated_rows(files));
        d.sort_by_key(|x| x.row);
        d.truncate(ERRORS_KEPT);
        for dd in &mut d {
            dd.file = files.name_of(&dd.file);
        }
        self.defects.extend(d);
    }

    /// The rows repeating an earlier row's person and year, each naming that first row.
    fn repeated_rows(&mut self, files: &FileSet) -> Vec<Defect> {
        let repeated = std::mem::take(&mut self.repeated);
        if repeated.is_empty() {
            return Vec::new();
        }
        let mut first: FxHashMap<(IdNumber, i32), u64> = FxHashMap::default();
        for (id, year, _) in &repeated {
            first.insert((*id, *year), u64::MAX);
        }
        read_part::<LegacyYear>(files, Part::History, (self.today, false), |r| {
            if let Some(row) = first.get_mut(&(r.id_number, r.year)) {
                *row = (*row).min(r.row);
            }
        });
        repeated
            .into_iter()
            .map(|(id, year, row)| {
                let at = first.get(&(id, year)).copied().unwrap_or(0);
                Defect {
                    file: Part::History.file_name(),
                    row,
                    column: None,
                    county: None,
                    what: "file",
                    reason: tongchou_core::tr!("app-mig-dup-year", row = at),
                }
            })
            .collect()
    }

    /// The county and insured span of a history row's person (`None`: in neither file), the
    /// last person's kept for the rows that follow it.
    fn person_of(&mut self, r: &LegacyYear) -> Option<Span> {
        if let Some((id, found)) = self.last
            && id == r.id_number
        {
            return found;
        }
        let found = if let Some(&i) = self.insured_at.get(&r.id_number) {
            let x = &self.p.insured[i];
            Some((
                x.county.get(),
                x.enrolled.period(),
                self.cutover.add_months(-1),
            ))
        } else if let Some(&i) = self.pensioner_at.get(&r.id_number) {
            let x = &self.p.pensioners[i];
            Some((x.county.get(), r.id_number.birth().period(), x.retire))
        } else {
            None
        };
        self.last = Some((r.id_number, found));
        found
    }

    fn history_row(&mut self, r: &LegacyYear) {
        let bit = u32::try_from(r.year - FIRST_YEAR)
            .ok()
            .filter(|b| *b < 128)
            .map_or(0, |b| 1u128 << b);
        let person = self.person_of(r);
        let h = self.p.history.entry(r.id_number).or_default();
        if h.years & bit != 0 {
            self.repeated.push((r.id_number, r.year, r.row));
            return;
        }
        h.years |= bit;
        let Some((county, start, end)) = person else {
            let why = tongchou_core::tr!("app-mig-unknown", id = r.id_number.masked());
            self.defect(Part::History, r.row, None, "unknown_person", why);
            return;
        };
        h.months += r.months;
        h.weighted += r.index.0 as i128 * r.months as i128;
        let line = self.line(county);
        line.files.history_rows += 1;
        line.upgraded_ids += r.id_upgraded as u64;
        self.p.history_rows += 1;
        if let Some(why) = impossible_year(r, start, end) {
            self.defect(
                Part::History,
                r.row,
                Some(county),
                "impossible_history",
                why,
            );
        }
    }
}

/// Why a history row's year cannot be: outside the insured span `start` – `end`, before the
/// person turned 16, more months than the span holds in the year.
fn impossible_year(r: &LegacyYear, start: Period, end: Period) -> Option<String> {
    let first = if r.year == start.year() {
        13 - start.month() as u32
    } else {
        12
    };
    let last = if r.year == end.year() {
        end.month() as u32
    } else {
        12
    };
    let adult = r.id_number.birth().year() + 16;
    if r.year < start.year() || r.year > end.year() {
        Some(tongchou_core::tr!(
            "app-mig-span",
            year = r.year,
            start = start,
            end = end
        ))
    } else if r.year < adult {
        Some(tongchou_core::tr!(
            "app-mig-minor",
            year = r.year,
            adult = adult
        ))
    } else if r.months > first.min(last) {
        Some(tongchou_core::tr!(
            "app-mig-months",
            months = r.months,
            year = r.year,
            within = first.min(last),
            start = start,
            end = end
        ))
    } else {
        None
    }
}

/// Two amounts added (the sums of a city's files stay far below the range of `i64` fen).
pub(crate) fn plus(a: Fen, b: Fen) -> Fen {
    Fen::new(a.fen().saturating_add(b.fen()))
}

/// The months between a person's enrolment and the cut-over (both ends counted in whole months).
pub(crate) fn insured_span(enrolled: Date, cutover: Period) -> u32 {
    enrolled.period().months_until(cutover).max(0) as u32
}

/// Reproduce a pensioner's components with the benefit rule: `None` if they agree.
pub(crate) fn unreproduced(policy: &Policy, x: &LegacyPensioner) -> Option<String> {
    let input = PensionInput {
        birth: x.id_number.birth().period(),
        category: x.category,
        retire: Some(x.retire),
        paid_months: x.paid_months,
        deemed_months: x.deemed_months,
        avg_index: x.avg_index,
        deemed_index: x.deemed_index,
        account_balance: x.account_at_retirement,
        benefit_base: Some(x.benefit_base),
        transition_coefficient: None,
    };
    let r = match pension(policy, &input) {
        Ok(r) => r,
        Err(e) => return Some(tongchou_core::tr!("app-mig-rule-refuses", error = e)),
    };
    let got = (r.basic, r.account, r.transitional, r.divisor_tenths);
    let file = (x.basic, x.account, x.transitional, x.divisor_tenths);
    (got != file).then(|| {
        tongchou_core::tr!(
            "app-mig-rule-gives",
            basic = got.0,
            account = got.1,
            transitional = got.2,
            divisor = Ratio(got.3 * 10_000_000),
            fbasic = file.0,
            faccount = file.1,
            ftransitional = file.2,
            fdivisor = Ratio(file.3 * 10_000_000)
        )
    })
}

/// The persons the province already holds among the files' ID numbers.
pub(crate) fn known_persons(db: &mut Db, p: &Parsed) -> Result<HashMap<String, Known>> {
    let ids: Vec<String> = p
        .insured
        .iter()
        .map(|x| key(&x.id_number))
        .chain(p.pensioners.iter().map(|x| key(&x.id_number)))
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(store::known_ids(db, &refs)?
        .into_iter()
        .map(|k| (k.id_number.clone(), k))
        .collect())
}

/// Whether an employee's employer is known, else the reason.
pub(crate) fn employee_employer(
    c: &mut Checker<'_>,
    db: &mut Db,
    kind: PayerKind,
    code: Option<&str>,
) -> Result<Option<String>> {
    match (kind, code) {
        (PayerKind::Employee, Some(code)) if !c.employer_known(db, code)? => {
            Ok(Some(tongchou_core::tr!("app-mig-employer", code = code)))
        }
        _ => Ok(None),
    }
}

/// The payer of an arrears item as a credit code, if an employer.
pub(crate) fn payer_code(p: &Payer) -> Option<&str> {
    match p {
        Payer::Employer(c) => Some(c.as_str()),
        Payer::Flexible => None,
    }
}

impl Checker<'_> {
    /// Index the insured and the pensioners by ID number; a person in both files is a defect.
    pub(crate) fn index(&mut self) {
        for (i, x) in self.p.insured.iter().enumerate() {
            self.insured_at.insert(x.id_number, i);
        }
        let mut both = Vec::new();
        for (i, x) in self.p.pensioners.iter().enumerate() {
            let k = x.id_number;
            if let Some(&j) = self.insured_at.get(&k) {
                both.push((x.row, x.county.get(), self.p.insured[j].row));
            }
            self.pensioner_at.insert(k, i);
        }
        for (row, county, other) in both {
            let why = tongchou_core::tr!("app-mig-both", row = other);
            self.defect(
                Part::Pensioners,
                row,
                Some(county),
                "insured_and_retired",
                why,
            );
        }
    }

    /// The insured persons: in the city, employer known, months paid within the insured span.
    pub(crate) fn insured(&mut self, db: &mut Db) -> Result<()> {
        for i in 0..self.p.insured.len() {
            let x = &self.p.insured[i];
            let (row, county, kind) = (x.row, x.county, x.payer_kind);
            let code = x.employer.as_ref().map(|c| c.as_str().to_string());
            let (balance, upgraded) = (x.balance, x.id_upgraded);
            let span = insured_span(x.enrolled, self.cutover);
            let paid = self.p.history.get(&x.id_number).map_or(0, |h| h.months);
            let enrolled = x.enrolled;
            if self.outside(Part::Insured, row, county) {
                continue;
            }
            let line = self.line(county.get());
            line.files.insured += 1;
            line.files.balance = plus(line.files.balance, balance);
            line.upgraded_ids += upgraded as u64;
            if let Some(why) = employee_employer(self, db, kind, code.as_deref())? {
                self.defect(
                    Part::Insured,
                    row,
                    Some(county.get()),
                    "unknown_employer",
                    why,
                );
            }
            if enrolled >= self.cutover.first_day() {
                let why = tongchou_core::tr!(
                    "app-mig-enrolled",
                    enrolled = enrolled,
                    cutover = self.cutover
                );
                self.defect(
                    Part::Insured,
                    row,
                    Some(county.get()),
                    "impossible_history",
                    why,
                );
            } else if paid > span {
                let why = tongchou_core::tr!(
                    "app-mig-paid",
                    paid = paid,
                    span = span,
                    enrolled = enrolled,
                    cutover = self.cutover
                );
                self.defect(
                    Part::Insured,
                    row,
                    Some(county.get()),
                    "impossible_history",
                    why,
                );
            }
        }
        Ok(())
    }

    /// The pensioners: in the city, retired before the cut-over, the pension in force adding up
    /// and its award reproduced by the benefit rule.
    pub(crate) fn pensioners(&mut self) {
        for i in 0..self.p.pensioners.len() {
            let x = &self.p.pensioners[i];
            let (row, county) = (x.row, x.county);
            let sum = [x.basic, x.account, x.transitional, x.adjustment]
                .into_iter()
                .fold(Fen::ZERO, plus);
            let mut whys: Vec<(&'static str, String)> = Vec::new();
            if x.retire.add_months(1) > self.cutover {
                let r = tongchou_core::tr!(
                    "app-mig-retired",
                    retire = x.retire,
                    cutover = self.cutover
                );
                whys.push(("impossible_history", r));
            } else if x.adjustment.is_positive() && x.retire.add_months(1) == self.cutover {
                let r = tongchou_core::tr!("app-mig-adjustment");
                whys.push(("impossible_history", r));
            }
            if sum != x.monthly {
                let r = tongchou_core::tr!("app-mig-components", sum = sum, monthly = x.monthly);
                whys.push(("not_reproduced", r));
            }
            if let Some(r) = unreproduced(self.policy, x) {
                whys.push(("not_reproduced", r));
            }
            let (monthly, upgraded) = (x.monthly, x.id_upgraded);
            if self.outside(Part::Pensioners, row, county) {
                continue;
            }
            let line = self.line(county.get());
            line.files.pensioners += 1;
            line.files.pensions = plus(line.files.pensions, monthly);
            line.upgraded_ids += upgraded as u64;
            for (what, why) in whys {
                self.defect(Part::Pensioners, row, Some(county.get()), what, why);
            }
        }
    }

    /// Open arrears: of a person of the files, before the cut-over, the employer known.
    pub(crate) fn arrears(&mut self, db: &mut Db) -> Result<()> {
        for i in 0..self.p.arrears.len() {
            let x = &self.p.arrears[i];
            let (row, period, open) = (x.row, x.period, Fen::new(x.total.fen() - x.paid.fen()));
            let code = payer_code(&x.payer).map(str::to_string);
            let k = x.id_number;
            let county = match (self.insured_at.get(&k), self.pensioner_at.get(&k)) {
                (Some(&j), _) => self.p.insured[j].county.get(),
                (None, Some(&j)) => self.p.pensioners[j].county.get(),
                (None, None) => {
                    let why = tongchou_core::tr!("app-mig-unknown", id = x.id_number.masked());
                    self.defect(Part::Arrears, row, None, "unknown_person", why);
                    continue;
                }
            };
            let line = self.line(county);
            line.files.arrears += 1;
            line.files.arrears_amount = plus(line.files.arrears_amount, open);
            if period >= self.cutover {
                let why =
                    tongchou_core::tr!("app-mig-period", period = period, cutover = self.cutover);
                self.defect(Part::Arrears, row, Some(county), "impossible_history", why);
            }
            if let Some(why) = employee_employer(self, db, PayerKind::Employee, code.as_deref())? {
                self.defect(Part::Arrears, row, Some(county), "unknown_employer", why);
            }
        }
        Ok(())
    }

    /// The persons the province already holds go to the review list.
    pub(crate) fn province(&mut self, db: &mut Db) -> Result<HashMap<String, Known>> {
        let known = known_persons(db, &self.p)?;
        let mut items = Vec::new();
        for x in &self.p.insured {
            if let Some(k) = known.get(&key(&x.id_number)) {
                items.push((Part::Insured, x.row, x.county.get(), "insured", k));
            }
        }
        for x in &self.p.pensioners {
            if let Some(k) = known.get(&key(&x.id_number)) {
                items.push((Part::Pensioners, x.row, x.county.get(), "pensioner", k));
            }
        }
        let items: Vec<ReviewItem> = items
            .into_iter()
            .map(|(part, row, county, kind, k)| ReviewItem {
                file: part.file_name(),
                row,
                county,
                id_number: k.id_number.clone(),
                kind,
                existing_person: k.person,
                existing_county: k.county,
            })
            .collect();
        for r in items {
            self.line(r.county).reviews += 1;
            self.reviews.push(r);
        }
        Ok(known)
    }

    /// The files against the control totals, county by county.
    pub(crate) fn controls(&mut self) {
        let controls = std::mem::take(&mut self.p.controls);
        for c in &controls {
            let counts = Counts {
                employers: c.employers,
                insured: c.insured,
                history_rows: c.history_rows,
                balance: c.balance,
                pensioners: c.pensioners,
                pensions: c.pensions,
                arrears: c.arrears,
                arrears_amount: c.arrears_amount,
            };
            if self.outside(Part::Controls, c.row, c.county) {
                continue;
            }
            self.line(c.county.get()).control = Some(counts);
        }
        let lines: Vec<CountyLine> = self.lines.values().cloned().collect();
        for l in lines {
            let row = controls
                .iter()
                .find(|c| c.county.get() == l.county)
                .map_or(0, |c| c.row);
            let Some(ctl) = l.control else {
                let why = tongchou_core::tr!("app-mig-no-control", county = l.county);
                self.defect(Part::Controls, 0, Some(l.county), "control_total", why);
                continue;
            };
            for (label, want, got) in differences(&ctl, &l.files) {
                let why =
                    tongchou_core::tr!("app-mig-control", label = label, want = want, got = got);
                self.defect(Part::Controls, row, Some(l.county), "control_total", why);
            }
        }
        self.p.controls = controls;
    }

    pub(crate) fn findings(self) -> Findings {
        Findings {
            counties: self.lines.into_values().collect(),
            defects: self.defects,
            reviews: self.reviews,
        }
    }
}

/// The measures on which a control total and the files disagree: (label in the current
/// language, control, files).
pub(crate) fn differences(ctl: &Counts, f: &Counts) -> Vec<(&'static str, String, String)> {
    use tongchou_core::i18n::word;
    let n = |id, a: u64, b: u64| (a != b).then(|| (word(id), a.to_string(), b.to_string()));
    let m = |id, a: Fen, b: Fen| (a != b).then(|| (word(id), a.to_string(), b.to_string()));
    [
        n("app-mig-measure-employers", ctl.employers, f.employers),
        n("app-mig-measure-insured", ctl.insured, f.insured),
        n("app-mig-measure-history", ctl.history_rows, f.history_rows),
        m("app-mig-measure-balance", ctl.balance, f.balance),
        n("app-mig-measure-pensioners", ctl.pensioners, f.pensioners),
        m("app-mig-measure-pensions", ctl.pensions, f.pensions),
        n("app-mig-measure-arrears", ctl.arrears, f.arrears),
        m(
            "app-mig-measure-arrears-amount",
            ctl.arrears_amount,
            f.arrears_amount,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod measure_tests {
    use super::{Counts, differences};
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn a_difference_is_named_in_the_readers_language() {
        let ctl = Counts {
            insured: 2,
            ..Counts::default()
        };
        let files = Counts::default();
        let zh = scope(Lang::ZhCn, || differences(&ctl, &files));
        assert_eq!(zh, [("参保人数", "2".to_string(), "0".to_string())]);
        let en = scope(Lang::En, || differences(&ctl, &files));
        assert_eq!(en[0].0, "insured persons");
    }
}
