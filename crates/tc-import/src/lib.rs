//! Import files for Tongchou: persons, employers, monthly wage declarations (缴费基数申报), the
//! tax bureau's collection results, the cities' legacy files for the migration (`legacy`), other provinces' transfer requests (`requests`), and the cross-check files (death records of public security
//! and civil affairs, other payment rolls), from CSV (UTF-8 or GBK, detected) or XLSX (first sheet),
//! into validated records built from `tongchou-core` types. No database I/O: this crate reads
//! bytes and yields records, or the complete list of what is wrong.
//!
//! # Files
//! - The first non-blank row is the header: Chinese headers (see [`template`]) or their English
//!   aliases ([`Column::key`], [`Column::aliases`]), in any order. Unknown and duplicated columns
//!   and missing required columns are refused, all reported at once. A column without a header
//!   is allowed if it stays empty.
//! - Rows are numbered as a spreadsheet shows them, the header being row 1. Blank rows are skipped
//!   (but counted).
//! - A file is all-or-nothing: the caller writes nothing unless [`Records::finish`] (or
//!   [`validate`], [`read_all`]) says the whole file is good. Every bad row is reported with its
//!   row number, column and reason; the list is capped at [`Options::error_limit`], the total is
//!   always counted.
//!
//! # Streaming, two passes, progress
//! [`Records`] is an iterator over one file: each data row yields `Ok(record)` or
//! `Err(problems)`. Memory is bounded by one row (a CSV row is at most
//! [`csv::ROW_BYTES_MAX`] bytes), plus, for duplicate detection, one hash-table entry per row
//! (a 128-bit exact key and the row number, 24 bytes, up to twice that with the table's slack;
//! switch it off with [`Options::detect_duplicates`] if the caller enforces uniqueness itself),
//! plus, for XLSX, the workbook's shared-string table. A progress callback
//! ([`Records::with_progress`]) receives bytes read and total.
//!
//! The parsing is done by well-kept crates: `csv` splits CSV records (this crate adds what it
//! does not check: see [`csv`]), `zip` reads the workbook archive and `quick-xml` its XML, under
//! a bound on every XML event (`guard.rs`: a sheet that inflates to 1 GiB is refused at 14 MiB
//! peak, where the `calamine` crate took 3 GiB).
//!
//! Measured with `cargo run --release -p tongchou-import --example bench` (1 000 000 rows; the
//! `gen` and `run KIND PATH` subcommands, old and new reader alternately, five runs each, on the
//! 2-core development machine at load 5–20, so quoted per second of CPU time, user + system,
//! medians): declarations CSV 0.53 M rows/s (UTF-8) and 0.49 M rows/s (GBK), persons CSV
//! 0.39 M rows/s, as fast as the hand-written splitter before it (0.99–1.01×); declarations
//! XLSX 0.125 M rows/s (200 000 rows), 1.09× the CPU of the hand-written XML reader before it.
//! Peak memory of the whole process 79–80 MiB for the CSV files (the duplicate table), 14 MiB
//! for the 200 000-row workbook.
//!
//! A caller that writes to a database has two safe patterns:
//! 1. **Validate, then write**: `validate::<T>(path, opts)` reads the whole file; if it returns
//!    `Ok(summary)`, check `summary.fingerprint` against files already imported, then iterate
//!    `Records::<T>::open(path, opts)` again and write each record; finally compare the second
//!    pass's fingerprint with the first (the file must not have changed in between).
//! 2. **Write in one transaction**: iterate once, write each `Ok` record inside a transaction,
//!    and commit only if `finish()` returns `Ok`.
//!
//! ```no_run
//! use tongchou_import::{Options, Person, Records};
//! # fn main() -> Result<(), tongchou_import::ImportError> {
//! # let today = tongchou_core::Date::from_days_since_epoch(20_424);
//! let opts = Options::new(today); // "today" comes from the caller's clock
//! let summary = tongchou_import::validate::<Person>("persons.csv", opts)?;
//! println!("{} rows, fingerprint {}", summary.rows, summary.fingerprint);
//! for person in Records::<Person>::open("persons.csv", opts)? {
//!     let person = person.map_err(|errors| errors[0].clone());
//!     // write it
//! #   let _ = person;
//! }
//! # Ok(())
//! # }
//! ```

pub mod columns;
pub mod csv;
pub mod error;
pub mod fingerprint;
mod guard;
pub mod legacy;
pub mod parallel;
pub mod records;
pub mod requests;
pub mod source;
mod values;
mod xlsx;

pub use columns::{Column, Kind, normalize_header, template};
pub use error::{ImportError, Rejection, RowError};
pub use fingerprint::Fingerprint;
pub use legacy::{ControlTotal, LegacyArrear, LegacyInsured, LegacyPensioner, LegacyYear};
pub use records::{
    AliveRecord, Collection, DeathRecord, DeathSource, Declaration, Employer, EmployerStatus,
    Industry, Payer, Person, Record, RollPayment,
};
pub use requests::TransferRequest;
pub use source::{Encoding, Format};
pub use values::starts_like_a_formula;

use columns::Header;
use records::private::{Cells, Key};
use source::{OpenError, RawRow, RowSource};
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::marker::PhantomData;
use std::path::Path;
use tongchou_core::tr;
use tongchou_core::{Date, Divisions};

/// How a file is checked.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// Periods after this month and dates after this day are refused; ID numbers with a birth
    /// date after it too.
    pub today: Date,
    /// The province's divisions: counties must be county-level units of it.
    pub divisions: &'a Divisions,
    /// At most this many problems are kept for the report (all are counted).
    pub error_limit: usize,
    /// Refuse a row whose key (ID number, credit code, ID number and period...) appeared in an
    /// earlier row. Costs 24 bytes per row. A payment roll may repeat a person's month: it is
    /// never checked.
    pub detect_duplicates: bool,
}

impl Options<'static> {
    /// Shanxi's divisions, 1000 errors kept, duplicates detected.
    pub fn new(today: Date) -> Options<'static> {
        Options {
            today,
            divisions: Divisions::shanxi(),
            error_limit: 1000,
            detect_duplicates: true,
        }
    }
}

/// How far a file has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub bytes_read: u64,
    /// The file's size, when known (always for files and XLSX).
    pub bytes_total: Option<u64>,
    /// Data rows read so far.
    pub rows: u64,
}

/// A file that was read to its end without any problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub kind: Kind,
    pub format: Format,
    /// Data rows (header and blank rows excluded); all of them became records.
    pub rows: u64,
    /// SHA-256 of the file's bytes.
    pub fingerprint: Fingerprint,
    pub bytes: u64,
}

/// Report progress at most every this many bytes.
const PROGRESS_STEP_BYTES: u64 = 256 * 1024;

/// The records of one file, streamed. See the crate documentation.
pub struct Records<'a, T: Record> {
    source: Box<dyn RowSource + 'a>,
    header: Header,
    opts: Options<'a>,
    raw: RawRow,
    seen: HashMap<Key, u64, BuildHasherDefault<KeyHasher>>,
    progress: Option<Box<dyn FnMut(Progress) + 'a>>,
    progress_at: u64,
    rows: u64,
    rejected_rows: u64,
    error_total: u64,
    errors: Vec<RowError>,
    finished: bool,
    /// Added to every row number (a piece of a file read behind its header: `parallel`).
    row_offset: u64,
    _record: PhantomData<T>,
}

/// A refusal before any data row was read (the file as a whole, or its header).
fn rejection(errors: Vec<RowError>) -> ImportError {
    ImportError::Rejected(Rejection {
        error_total: errors.len() as u64,
        errors,
        rejected_rows: 0,
        rows: 0,
    })
}

fn open_error(e: OpenError) -> ImportError {
    match e {
        OpenError::Io(e) => ImportError::Io(e),
        OpenError::Refused(r) => rejection(vec![r]),
    }
}

/// Which format the first bytes announce. Old binary `.xls` workbooks are refused.
fn sniff(head: &[u8]) -> Result<bool, ImportError> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(true);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(rejection(vec![RowError::file(tr!("import-err-xls"))]));
    }
    Ok(false)
}

impl<'a, T: Record> Records<'a, T> {
    /// Open a file: XLSX if it is a ZIP archive, CSV otherwise. Reads the header row.
    pub fn open(path: impl AsRef<Path>, opts: Options<'a>) -> Result<Self, ImportError> {
        let f = File::open(path)?;
        Self::from_reader(io::BufReader::with_capacity(64 * 1024, f), opts)
    }

    /// Read from memory.
    pub fn from_bytes(bytes: &'a [u8], opts: Options<'a>) -> Result<Self, ImportError> {
        Self::from_reader(Cursor::new(bytes), opts)
    }

    /// Read from any seekable reader.
    pub fn from_reader<R: Read + Seek + 'a>(
        mut r: R,
        opts: Options<'a>,
    ) -> Result<Self, ImportError> {
        let total = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(0))?;
        let mut head = [0u8; 4];
        let n = read_up_to(&mut r, &mut head)?;
        r.seek(SeekFrom::Start(0))?;
        let source: Box<dyn RowSource + 'a> = if sniff(&head[..n])? {
            Box::new(xlsx::XlsxSource::open(r).map_err(open_error)?)
        } else {
            Box::new(csv::CsvSource::new(r, Some(total)).map_err(open_error)?)
        };
        Self::start(source, opts)
    }

    /// Read from a stream that cannot seek (a pipe): CSV is streamed; an XLSX workbook, which
    /// needs random access, is first read into memory.
    pub fn from_stream<R: Read + 'a>(
        mut r: R,
        bytes_total: Option<u64>,
        opts: Options<'a>,
    ) -> Result<Self, ImportError> {
        let mut head = [0u8; 4];
        let n = read_up_to(&mut r, &mut head)?;
        let rest = Cursor::new(head[..n].to_vec()).chain(r);
        let source: Box<dyn RowSource + 'a> = if sniff(&head[..n])? {
            let mut all = Vec::new();
            { rest }.read_to_end(&mut all)?;
            Box::new(xlsx::XlsxSource::open(Cursor::new(all)).map_err(open_error)?)
        } else {
            Box::new(csv::CsvSource::new(rest, bytes_total).map_err(open_error)?)
        };
        Self::start(source, opts)
    }

    fn start(mut source: Box<dyn RowSource + 'a>, opts: Options<'a>) -> Result<Self, ImportError> {
        let mut raw = RawRow::default();
        loop {
            match source.next_row(&mut raw) {
                Err(e) => return Err(rejection(vec![e])),
                Ok(false) => {
                    return Err(rejection(vec![RowError::file(tr!("import-err-empty"))]));
                }
                Ok(true) if raw.is_blank() => continue,
                Ok(true) => break,
            }
        }
        if let Some((i, reason)) = raw.problems.first() {
            return Err(rejection(vec![RowError::new(
                raw.row,
                Some(&tr!("import-err-column-n", n = i + 1)),
                reason.clone(),
            )]));
        }
        let cells: Vec<&str> = (0..raw.len()).map(|i| raw.get(i).text).collect();
        let header = Header::match_row(T::KIND, raw.row, &cells).map_err(rejection)?;
        Ok(Records {
            source,
            header,
            opts,
            raw,
            seen: HashMap::default(),
            progress: None,
            progress_at: 0,
            rows: 0,
            rejected_rows: 0,
            error_total: 0,
            errors: Vec::new(),
            finished: false,
            row_offset: 0,
            _record: PhantomData,
        })
    }

    /// Number the rows after the header from `first` on (a piece of a larger file read behind
    /// the file's header, whose first row after the header is the file's row `first`).
    pub(crate) fn starting_at(mut self, first: u64) -> Self {
        self.row_offset = first.saturating_sub(2);
        self
    }

    /// Call `f` as the file is read (every 256 KiB and at the end).
    pub fn with_progress(mut self, f: impl FnMut(Progress) + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// The file's format (for CSV, the encoding detected so far).
    pub fn format(&self) -> Format {
        self.source.format()
    }

    /// The header cells as written in the file.
    pub fn header(&self) -> &[String] {
        &self.header.names
    }

    /// Problems found so far (capped at the error limit) and their total count.
    pub fn errors(&self) -> (&[RowError], u64) {
        (&self.errors, self.error_total)
    }

    /// Read whatever is left (validating it), then report: `Ok` if the whole file is good.
    pub fn finish(mut self) -> Result<Summary, ImportError> {
        while self.next().is_some() {}
        let fingerprint = self.source.fingerprint()?;
        if self.error_total > 0 {
            return Err(ImportError::Rejected(Rejection {
                errors: std::mem::take(&mut self.errors),
                error_total: self.error_total,
                rejected_rows: self.rejected_rows,
                rows: self.rows,
            }));
        }
        Ok(Summary {
            kind: T::KIND,
            format: self.source.format(),
            rows: self.rows,
            fingerprint,
            bytes: self.source.bytes_read(),
        })
    }

    fn report_progress(&mut self, force: bool) {
        let read = self.source.bytes_read();
        if let Some(f) = self.progress.as_mut()
            && (force || read >= self.progress_at + PROGRESS_STEP_BYTES)
        {
            self.progress_at = read;
            f(Progress {
                bytes_read: read,
                bytes_total: self.source.bytes_total(),
                rows: self.rows,
            });
        }
    }

    fn note(&mut self, errors: &[RowError]) {
        self.rejected_rows += 1;
        self.error_total += errors.len() as u64;
        let room = self.opts.error_limit.saturating_sub(self.errors.len());
        self.errors.extend(errors.iter().take(room).cloned());
    }

    /// The name of a file column for messages.
    fn column_name(&self, i: usize) -> String {
        match self.header.names.get(i) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => tr!("import-err-column-n", n = i + 1),
        }
    }

    /// Shape checks that do not depend on the kind: field count, undecodable cells, values in
    /// columns without a header.
    fn shape_errors(&self) -> Vec<RowError> {
        let row = self.raw.row;
        let width = self.header.names.len();
        if self.source.fixed_width() && self.raw.len() != width {
            return vec![RowError::new(
                row,
                None,
                tr!("import-err-width", width = width, found = self.raw.len()),
            )];
        }
        let mut errors: Vec<RowError> = self
            .raw
            .problems
            .iter()
            .map(|(i, reason)| RowError::new(row, Some(&self.column_name(*i)), reason.clone()))
            .collect();
        for i in 0..self.raw.len() {
            if self.header.names.get(i).is_none_or(|n| n.is_empty())
                && !self.raw.get(i).text.is_empty()
                && !self.raw.problems.iter().any(|(p, _)| *p == i)
            {
                errors.push(RowError::new(
                    row,
                    Some(&tr!("import-err-column-n", n = i + 1)),
                    tr!("import-err-headless-value"),
                ));
            }
        }
        errors
    }

    fn parse_current(&mut self) -> Result<T, Vec<RowError>> {
        let shape = self.shape_errors();
        if self.source.fixed_width() && self.raw.len() != self.header.names.len() {
            // Fields are misaligned: checking their values would only add noise.
            return Err(shape);
        }
        let mut cells = Cells {
            kind: T::KIND,
            raw: &self.raw,
            header: &self.header,
            errors: shape,
            today: self.opts.today,
            divisions: self.opts.divisions,
            date1904: self.source.date1904(),
        };
        let parsed = T::parse(&mut cells);
        let errors = cells.errors;
        let record = match parsed {
            Some(r) if errors.is_empty() => r,
            _ if errors.is_empty() => {
                // Every parser reports why it returns nothing; this guards against one that
                // does not, so that a row is never dropped silently.
                return Err(vec![RowError::new(
                    self.raw.row,
                    None,
                    tr!("import-err-unreadable-row"),
                )]);
            }
            _ => return Err(errors),
        };
        if self.opts.detect_duplicates
            && let Some(what) = T::DUPLICATE
        {
            let row = self.raw.row;
            if let Some(&first) = self.seen.get(&record.key()) {
                return Err(vec![RowError::new(
                    row,
                    None,
                    tr!(
                        "import-err-duplicate",
                        first = first,
                        what = duplicate_what(what)
                    ),
                )]);
            }
            self.seen.insert(record.key(), row);
        }
        Ok(record)
    }
}

impl<T: Record> Iterator for Records<'_, T> {
    type Item = Result<T, Vec<RowError>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        loop {
            match self.source.next_row(&mut self.raw) {
                Err(mut e) => {
                    self.finished = true;
                    if e.row > 0 {
                        e.row += self.row_offset;
                    }
                    let errors = vec![e];
                    self.note(&errors);
                    self.report_progress(true);
                    return Some(Err(errors));
                }
                Ok(false) => {
                    self.finished = true;
                    self.report_progress(true);
                    return None;
                }
                Ok(true) => self.raw.row += self.row_offset,
            }
            self.report_progress(false);
            if self.raw.is_blank() {
                continue;
            }
            self.rows += 1;
            let result = self.parse_current();
            if let Err(errors) = &result {
                self.note(errors);
            }
            return Some(result);
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = r.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

/// The CRC-32 (IEEE 802.3, as in ZIP) of `data`, for callers and tests that write ZIP archives.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// Validate a whole file without keeping its records.
pub fn validate<T: Record>(
    path: impl AsRef<Path>,
    opts: Options<'_>,
) -> Result<Summary, ImportError> {
    Records::<T>::open(path, opts)?.finish()
}

/// Validate a file by kind (for a command line that takes the kind as a word).
pub fn validate_kind(
    kind: Kind,
    path: impl AsRef<Path>,
    opts: Options<'_>,
) -> Result<Summary, ImportError> {
    match kind {
        Kind::Persons => validate::<Person>(path, opts),
        Kind::Employers => validate::<Employer>(path, opts),
        Kind::Declarations => validate::<Declaration>(path, opts),
        Kind::Collections => validate::<Collection>(path, opts),
        Kind::DeathRecords => validate::<DeathRecord>(path, opts),
        Kind::PaymentRolls => validate::<RollPayment>(path, opts),
        Kind::AliveRecords => validate::<AliveRecord>(path, opts),
        Kind::LegacyInsured => validate::<LegacyInsured>(path, opts),
        Kind::LegacyHistory => validate::<LegacyYear>(path, opts),
        Kind::LegacyPensioners => validate::<LegacyPensioner>(path, opts),
        Kind::LegacyArrears => validate::<LegacyArrear>(path, opts),
        Kind::LegacyControls => validate::<ControlTotal>(path, opts),
        Kind::TransferRequests => validate::<TransferRequest>(path, opts),
    }
}

/// Read a whole file into memory: all its records, or the rejection.
pub fn read_all<T: Record>(
    bytes: &[u8],
    opts: Options<'_>,
) -> Result<(Vec<T>, Summary), ImportError> {
    let mut records = Records::<T>::from_bytes(bytes, opts)?;
    // Bad rows are counted by `records` itself and reported by `finish`.
    let out: Vec<T> = records.by_ref().flatten().collect();
    let summary = records.finish()?;
    Ok((out, summary))
}

/// A fast hasher for the 128-bit duplicate keys (which are not adversarial: a crafted file can
/// at worst slow its own import).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        // splitmix64 finalizer: spread the bits (the table uses the high ones).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// What makes two rows the same (a record kind's `DUPLICATE`), in the current language.
fn duplicate_what(what: &str) -> String {
    match what {
        "same ID number" => tr!("import-dup-id"),
        "same ID number and year" => tr!("import-dup-id-year"),
        "same ID number and period" => tr!("import-dup-id-period"),
        "same ID number and source" => tr!("import-dup-id-source"),
        "same ID number, date and source" => tr!("import-dup-id-date-source"),
        "same receipt number, ID number and period" => tr!("import-dup-receipt"),
        "same credit code" => tr!("import-dup-credit"),
        "same county" => tr!("import-dup-county"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(b""), 0);
    }
}
