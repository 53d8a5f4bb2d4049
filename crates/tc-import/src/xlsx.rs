//! XLSX: the first sheet of an Office Open XML workbook, streamed row by row.
//!
//! The workbook, its relationships and the shared-string table are read first (the shared
//! strings must be in memory to resolve cells); the sheet itself is inflated and parsed as a
//! stream, so memory is bounded by the shared strings plus one row. Cell types: shared strings,
//! inline strings, formula strings (their cached value), numbers, booleans, ISO dates and error
//! values. Numbers are rendered as plain decimals rounded to Excel's 15 significant digits.

use crate::error::RowError;
use crate::fingerprint::Fingerprint;
use crate::source::{Format, OpenError, RawRow, RowSource};
use crate::xml::{Event, XmlReader};
use crate::zip::{Archive, EntryReader};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use tongchou_core::Date;

/// Parts other than the sheet and the shared strings are small.
const PART_BYTES_MAX: u64 = 16 * 1024 * 1024;
/// The shared-string table is held in memory.
const SHARED_STRINGS_BYTES_MAX: u64 = 2 * 1024 * 1024 * 1024;
/// Excel's last column is XFD.
const COLUMNS_MAX: usize = 16_384;

type SheetXml<R> = XmlReader<BufReader<EntryReader<R>>>;

pub(crate) struct XlsxSource<R> {
    xml: SheetXml<R>,
    shared: SharedStrings,
    date1904: bool,
    fingerprint: Fingerprint,
    total: u64,
    /// Bytes of the file outside the sheet's compressed data (counted as read from the start).
    outside_sheet: u64,
    last_row: u64,
    in_data: bool,
    done: bool,
    value: Vec<u8>,
    attr: Vec<u8>,
}

#[derive(Default)]
struct SharedStrings {
    text: String,
    ends: Vec<usize>,
}

impl SharedStrings {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A problem with the workbook's structure, reported for the whole file.
fn structure(e: io::Error) -> RowError {
    RowError::file(format!("not a readable XLSX workbook: {e}"))
}

fn utf8(b: &[u8]) -> io::Result<&str> {
    std::str::from_utf8(b).map_err(|_| bad("text is not valid UTF-8"))
}

/// Resolve a relationship target against the `xl/` folder.
fn resolve(target: &str) -> String {
    let (mut parts, rel): (Vec<&str>, &str) = match target.strip_prefix('/') {
        Some(abs) => (Vec::new(), abs),
        None => (vec!["xl"], target),
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

impl<R: Read + Seek> XlsxSource<R> {
    pub fn open(mut r: R) -> Result<XlsxSource<R>, OpenError> {
        r.seek(SeekFrom::Start(0)).map_err(OpenError::Io)?;
        let mut counted = CountingReader { r: &mut r, n: 0 };
        let fingerprint = Fingerprint::of_reader(&mut counted).map_err(OpenError::Io)?;
        let total = counted.n;
        let mut archive = Archive::open(r).map_err(|e| OpenError::Refused(structure(e)))?;
        let refuse = |e: io::Error| OpenError::Refused(structure(e));

        let workbook = archive
            .read_entry("xl/workbook.xml", PART_BYTES_MAX)
            .map_err(refuse)?
            .ok_or_else(|| {
                OpenError::Refused(RowError::file(
                    "not an XLSX workbook: the archive has no xl/workbook.xml",
                ))
            })?;
        let (sheet_rid, date1904) = first_sheet(&workbook).map_err(refuse)?;
        let rels = archive
            .read_entry("xl/_rels/workbook.xml.rels", PART_BYTES_MAX)
            .map_err(refuse)?
            .ok_or_else(|| refuse(bad("xl/_rels/workbook.xml.rels is missing")))?;
        let (sheet_target, shared_target) = targets(&rels, &sheet_rid).map_err(refuse)?;
        let sheet_path = resolve(&sheet_target);
        let shared_path = shared_target
            .map(|t| resolve(&t))
            .unwrap_or_else(|| "xl/sharedStrings.xml".to_string());

        let shared = match archive.find(&shared_path).cloned() {
            Some(e) => {
                if e.size > SHARED_STRINGS_BYTES_MAX {
                    return Err(refuse(bad("the shared-string table is over 2 GiB")));
                }
                let bytes = archive
                    .read_entry(&e.name, SHARED_STRINGS_BYTES_MAX)
                    .map_err(refuse)?
                    .unwrap_or_default();
                read_shared_strings(&bytes).map_err(refuse)?
            }
            None => SharedStrings::default(),
        };

        let sheet = archive.find(&sheet_path).cloned().ok_or_else(|| {
            refuse(bad(format!(
                "the first sheet's part {sheet_path} is missing"
            )))
        })?;
        let outside_sheet = total.saturating_sub(sheet.compressed_size);
        let entry = archive.into_entry_reader(&sheet).map_err(refuse)?;
        Ok(XlsxSource {
            xml: XmlReader::new(BufReader::with_capacity(64 * 1024, entry)),
            shared,
            date1904,
            fingerprint,
            total,
            outside_sheet,
            last_row: 0,
            in_data: false,
            done: false,
            value: Vec::new(),
            attr: Vec::new(),
        })
    }

    fn fatal(&self, e: io::Error) -> RowError {
        RowError::new(
            self.last_row + 1,
            None,
            format!("the sheet cannot be read past this row: {e}"),
        )
    }

    /// Read one `<row>` (already started) into `out`.
    fn read_row(&mut self, out: &mut RawRow) -> io::Result<()> {
        let mut col = 0usize;
        let mut cell_type: Vec<u8> = Vec::new();
        let mut capture = false;
        let mut in_is = false;
        let mut in_rph = false;
        loop {
            let ev = self.xml.next()?;
            let name = self.xml.name();
            match (ev, name) {
                (Event::Start | Event::Empty, b"c") => {
                    if self.xml.attr(b"r", &mut self.attr)? {
                        col = column_index(&self.attr)
                            .ok_or_else(|| bad("a cell reference is malformed"))?;
                    }
                    if col >= COLUMNS_MAX {
                        return Err(bad("a cell lies beyond column XFD"));
                    }
                    if col < out.len() {
                        return Err(bad("cells of a row are out of order"));
                    }
                    while out.len() < col {
                        out.push("", false);
                    }
                    cell_type.clear();
                    if self.xml.attr(b"t", &mut self.attr)? {
                        cell_type.extend_from_slice(&self.attr);
                    }
                    self.value.clear();
                    if ev == Event::Empty {
                        out.push("", false);
                        col += 1;
                    }
                }
                (Event::Start, b"v") => capture = true,
                (Event::Start, b"is") => in_is = true,
                (Event::End, b"is") => in_is = false,
                (Event::Start, b"rPh") => in_rph = true,
                (Event::End, b"rPh") => in_rph = false,
                (Event::Start, b"t") if in_is && !in_rph => capture = true,
                (Event::End, b"v" | b"t") => capture = false,
                (Event::Text, _) if capture => {
                    self.value.extend_from_slice(self.xml.text());
                }
                (Event::End, b"c") => {
                    self.finish_cell(&cell_type, out)?;
                    col += 1;
                }
                (Event::End, b"row") => return Ok(()),
                (Event::Eof, _) => return Err(bad("the sheet ends inside a row (truncated)")),
                _ => {}
            }
        }
    }

    fn finish_cell(&self, cell_type: &[u8], out: &mut RawRow) -> io::Result<()> {
        let v = utf8(&self.value)?;
        match cell_type {
            b"s" => {
                let text = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| self.shared.get(i))
                    .ok_or_else(|| bad(format!("shared string {v:?} does not exist")))?;
                out.push(text, false);
            }
            b"inlineStr" | b"str" => out.push(v, false),
            b"d" => out.push(v, false),
            b"b" => out.push(if v.trim() == "1" { "TRUE" } else { "FALSE" }, false),
            b"e" => out.push_bad(format!("the cell holds the spreadsheet error {v}")),
            _ => {
                if v.trim().is_empty() {
                    out.push("", false);
                } else {
                    match normalize_number(v) {
                        Some(n) => out.push(&n, true),
                        None => out.push(v, true),
                    }
                }
            }
        }
        Ok(())
    }
}

struct CountingReader<R> {
    r: R,
    n: u64,
}
impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> RowSource for XlsxSource<R> {
    fn next_row(&mut self, out: &mut RawRow) -> Result<bool, RowError> {
        if self.done {
            return Ok(false);
        }
        loop {
            let ev = self.xml.next().map_err(|e| self.fatal(e))?;
            match (ev, self.xml.name()) {
                (Event::Start, b"sheetData") => self.in_data = true,
                (Event::Empty, b"sheetData") | (Event::End, b"sheetData") | (Event::Eof, _) => {
                    self.done = true;
                    return Ok(false);
                }
                (Event::Start | Event::Empty, b"row") if self.in_data => {
                    let row = if self
                        .xml
                        .attr(b"r", &mut self.attr)
                        .map_err(|e| self.fatal(e))?
                    {
                        std::str::from_utf8(&self.attr)
                            .ok()
                            .and_then(|s| s.trim().parse::<u64>().ok())
                            .filter(|&r| r > self.last_row)
                            .ok_or_else(|| {
                                self.fatal(bad("a row number is malformed or out of order"))
                            })?
                    } else {
                        self.last_row + 1
                    };
                    out.clear(row);
                    self.last_row = row;
                    if ev == Event::Start {
                        self.read_row(out).map_err(|e| {
                            RowError::new(row, None, format!("the sheet cannot be read: {e}"))
                        })?;
                    }
                    return Ok(true);
                }
                _ => {}
            }
        }
    }
    fn bytes_read(&self) -> u64 {
        self.outside_sheet + self.xml.get_ref().get_ref().consumed
    }
    fn bytes_total(&self) -> Option<u64> {
        Some(self.total)
    }
    fn format(&self) -> Format {
        Format::Xlsx
    }
    fn fixed_width(&self) -> bool {
        false
    }
    fn date1904(&self) -> bool {
        self.date1904
    }
    fn fingerprint(&mut self) -> io::Result<Fingerprint> {
        Ok(self.fingerprint)
    }
}

/// The relationship id of the first sheet, and whether dates count from 1904.
fn first_sheet(workbook: &[u8]) -> io::Result<(String, bool)> {
    let mut x = XmlReader::new(workbook);
    let mut v = Vec::new();
    let mut date1904 = false;
    loop {
        match x.next()? {
            Event::Start | Event::Empty
                if x.name() == b"workbookPr" && x.attr(b"date1904", &mut v)? =>
            {
                date1904 = matches!(utf8(&v)?.trim(), "1" | "true");
            }
            Event::Start | Event::Empty if x.name() == b"sheet" => {
                if !x.attr(b"id", &mut v)? {
                    return Err(bad("the first sheet has no relationship id"));
                }
                return Ok((utf8(&v)?.to_string(), date1904));
            }
            Event::Eof => return Err(bad("the workbook has no sheet")),
            _ => {}
        }
    }
}

/// The targets of the sheet relationship and of the shared-string table.
fn targets(rels: &[u8], sheet_rid: &str) -> io::Result<(String, Option<String>)> {
    let mut x = XmlReader::new(rels);
    let mut v = Vec::new();
    let mut sheet = None;
    let mut shared = None;
    loop {
        match x.next()? {
            Event::Start | Event::Empty if x.name() == b"Relationship" => {
                let id = if x.attr(b"Id", &mut v)? {
                    utf8(&v)?.to_string()
                } else {
                    String::new()
                };
                let ty = if x.attr(b"Type", &mut v)? {
                    utf8(&v)?.to_string()
                } else {
                    String::new()
                };
                if !x.attr(b"Target", &mut v)? {
                    continue;
                }
                let target = utf8(&v)?.to_string();
                if id == sheet_rid {
                    sheet = Some(target);
                } else if ty.ends_with("/sharedStrings") {
                    shared = Some(target);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let sheet =
        sheet.ok_or_else(|| bad(format!("no relationship {sheet_rid} for the first sheet")))?;
    Ok((sheet, shared))
}

fn read_shared_strings(bytes: &[u8]) -> io::Result<SharedStrings> {
    let mut x = XmlReader::new(bytes);
    let mut s = SharedStrings::default();
    let mut in_si = false;
    let mut in_rph = false;
    let mut capture = false;
    loop {
        match (x.next()?, x.name()) {
            (Event::Start, b"si") => in_si = true,
            (Event::Empty, b"si") => s.ends.push(s.text.len()),
            (Event::End, b"si") => {
                in_si = false;
                s.ends.push(s.text.len());
            }
            (Event::Start, b"rPh") => in_rph = true,
            (Event::End, b"rPh") => in_rph = false,
            (Event::Start, b"t") if in_si && !in_rph => capture = true,
            (Event::End, b"t") => capture = false,
            (Event::Text, _) if capture => s.text.push_str(utf8(x.text())?),
            (Event::Eof, _) => return Ok(s),
            _ => {}
        }
    }
}

/// "AB12" → 27 (zero-based column of the letters).
fn column_index(r: &[u8]) -> Option<usize> {
    let letters = r.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let mut n = 0usize;
    for &c in &r[..letters] {
        n = n * 26 + (c.to_ascii_uppercase() - b'A' + 1) as usize;
    }
    Some(n - 1)
}

/// Render a spreadsheet number as a plain decimal, rounded half-up to 15 significant digits
/// (Excel's precision), without exponent or trailing zeros. Integer arithmetic on the digits
/// only: no floating point. `None` if it is not a number.
pub(crate) fn normalize_number(s: &str) -> Option<String> {
    const SIGNIFICANT_DIGITS: usize = 15;
    const EXPONENT_MAX: i64 = 40;
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(p) => (&body[..p], body[p + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    // Bounds the arithmetic below: a spreadsheet number's exponent is at most 308.
    if exp.abs() > 1000 || mant.len() > 1000 {
        return None;
    }
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    // value = digits × 10^e
    let mut e = exp.checked_sub(frac.len() as i64)?;
    let lead = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..lead);
    if digits.is_empty() {
        return Some("0".to_string());
    }
    if digits.len() > SIGNIFICANT_DIGITS {
        let round_up = digits[SIGNIFICANT_DIGITS] >= 5;
        e += (digits.len() - SIGNIFICANT_DIGITS) as i64;
        digits.truncate(SIGNIFICANT_DIGITS);
        if round_up {
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    }
    while digits.last() == Some(&0) {
        digits.pop();
        e += 1;
    }
    if !(-EXPONENT_MAX..=EXPONENT_MAX).contains(&e) {
        return None;
    }
    let d: String = digits.iter().map(|&x| (b'0' + x) as char).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if e >= 0 {
        out.push_str(&d);
        out.extend(std::iter::repeat_n('0', e as usize));
    } else {
        let point = d.len() as i64 + e;
        if point > 0 {
            out.push_str(&d[..point as usize]);
            out.push('.');
            out.push_str(&d[point as usize..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&d);
        }
    }
    Some(out)
}

/// A spreadsheet day number (a date cell) as a date. A fraction (the time of day) is ignored.
pub(crate) fn excel_serial_date(text: &str, date1904: bool) -> Result<Date, String> {
    // 9999-12-31 in the 1900 system.
    const SERIAL_MAX: i64 = 2_958_465;
    let plain = normalize_number(text).unwrap_or_else(|| text.to_string());
    let int = plain.split('.').next().unwrap_or("");
    let n: i64 = match int.parse() {
        Ok(n) if (1..=SERIAL_MAX).contains(&n) && !int.starts_with('-') => n,
        _ => {
            return Err(format!(
                "not a date: spreadsheet day number {text} (expected YYYY-MM-DD)"
            ));
        }
    };
    let start = |y, m, d| Date::new(y, m, d).map_err(|e| e.0);
    if date1904 {
        return Ok(start(1904, 1, 1)?.add_days(n));
    }
    match n {
        60 => Err("spreadsheet day 60 is 1900-02-29, which does not exist".into()),
        n if n < 60 => Ok(start(1899, 12, 31)?.add_days(n)),
        n => Ok(start(1899, 12, 30)?.add_days(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let cases = [
            ("5000", "5000"),
            ("5000.5", "5000.5"),
            ("1234.5599999999999", "1234.56"),
            ("0.30000000000000004", "0.3"),
            ("1.40105199001011E+17", "140105199001011000"),
            ("1E-3", "0.001"),
            ("-2.5e2", "-250"),
            ("0.000", "0"),
            ("99999999999999999", "100000000000000000"),
            ("4.9999999999999998E-2", "0.05"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_number(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "abc",
            "1.2.3",
            "1e",
            "--1",
            "1e999",
            "1e9223372036854775807",
        ] {
            assert_eq!(normalize_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn serial_dates() {
        let d = |t: &str, w: bool| excel_serial_date(t, w).map(|d| d.to_string());
        assert_eq!(d("1", false), Ok("1900-01-01".into()));
        assert_eq!(d("59", false), Ok("1900-02-28".into()));
        assert!(d("60", false).is_err());
        assert_eq!(d("61", false), Ok("1900-03-01".into()));
        assert_eq!(d("45356", false), Ok("2024-03-05".into()));
        assert_eq!(d("45356.75", false), Ok("2024-03-05".into()));
        assert_eq!(d("43894", true), Ok("2024-03-05".into()));
        assert!(d("-1", false).is_err());
        assert!(d("abc", false).is_err());
    }

    #[test]
    fn references_and_targets() {
        assert_eq!(column_index(b"A1"), Some(0));
        assert_eq!(column_index(b"Z9"), Some(25));
        assert_eq!(column_index(b"AA10"), Some(26));
        assert_eq!(column_index(b"XFD1"), Some(16_383));
        assert_eq!(column_index(b"12"), None);
        assert_eq!(resolve("worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
        assert_eq!(resolve("../xl/./worksheets/s.xml"), "xl/worksheets/s.xml");
    }
}
