//! XLSX: the first sheet of an Office Open XML workbook, streamed row by row.
//!
//! The archive is read by the `zip` crate and the XML by `quick-xml`, behind a [`Guard`] that
//! bounds every XML event (see `guard.rs` for why, with the measurement). What is left here is
//! what a workbook means: the workbook part names the first sheet, its relationships give the
//! sheet's part and the shared-string table; the shared strings are read into memory (they are
//! needed to resolve cells), the sheet is inflated and parsed as a stream, so memory is bounded
//! by the shared strings plus one row. Cell types: shared strings, inline strings, formula
//! strings (their cached value), numbers, booleans, ISO dates and error values. Numbers are
//! rendered as plain decimals rounded to Excel's 15 significant digits.

use crate::error::RowError;
use crate::fingerprint::Fingerprint;
use crate::guard::{EVENT_BYTES_MAX, Guard};
use crate::source::{Format, OpenError, RawRow, RowSource};
use quick_xml::events::{BytesStart, Event};
use std::io::{self, Read, Seek, SeekFrom};
use tongchou_core::Date;
use tongchou_core::tr;
use zip::result::ZipError;

/// Parts other than the sheet and the shared strings are small.
const PART_BYTES_MAX: u64 = 16 * 1024 * 1024;
/// The shared-string table is held in memory (a workbook of a million rows with three text
/// columns of unique values has about 100 MB of it).
const SHARED_STRINGS_BYTES_MAX: u64 = 512 * 1024 * 1024;
/// Excel's last column is XFD.
const COLUMNS_MAX: usize = 16_384;
/// The most text one row may hold (a row of an import file is a few hundred bytes).
pub const ROW_EVENT_BYTES_MAX: usize = 4 * 1024 * 1024;

type SheetXml<R> = quick_xml::Reader<Guard<EntryReader<R>>>;

pub(crate) struct XlsxSource<R> {
    xml: SheetXml<R>,
    buf: Vec<u8>,
    shared: SharedStrings,
    date1904: bool,
    fingerprint: Fingerprint,
    total: u64,
    /// Bytes of the file outside the sheet's compressed data (counted as read from the start).
    outside_sheet: u64,
    last_row: u64,
    in_data: bool,
    done: bool,
    value: String,
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

fn xml_error(e: quick_xml::Error) -> io::Error {
    match e {
        quick_xml::Error::Io(e) => io::Error::new(e.kind(), e.to_string()),
        e => bad(format!("malformed XML: {e}")),
    }
}

fn zip_error(e: ZipError) -> io::Error {
    match e {
        ZipError::Io(e) => e,
        ZipError::InvalidArchive(m)
            if m.contains("end of central directory") || m.contains("EOCD") =>
        {
            bad("no ZIP end-of-directory record (truncated or not a ZIP archive)")
        }
        e => bad(e.to_string()),
    }
}

/// A problem with the workbook's structure, reported for the whole file.
fn structure(e: io::Error) -> RowError {
    RowError::file(tr!("import-err-xlsx", error = e))
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

/// The index of the entry with this name (ASCII case-insensitive, `\` read as `/`).
fn find<R: Read + Seek>(zip: &zip::ZipArchive<R>, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('/');
    (0..zip.len()).find(|&i| {
        zip.name_for_index(i).and_then(Result::ok).is_some_and(|n| {
            n.replace('\\', "/")
                .trim_start_matches('/')
                .eq_ignore_ascii_case(name)
        })
    })
}

/// Read a whole (small) entry into memory, refusing entries over `limit` bytes.
fn read_part<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    limit: u64,
) -> io::Result<Option<Vec<u8>>> {
    let Some(i) = find(zip, name) else {
        return Ok(None);
    };
    let mut f = zip.by_index(i).map_err(zip_error)?;
    if f.size() > limit {
        return Err(bad(format!(
            "{name} is {} bytes, over the {limit}-byte limit",
            f.size()
        )));
    }
    // The directory's size is a claim, not a promise: reserve little up front. The zip crate
    // refuses data longer than the claim and checks the CRC-32 at the end.
    let mut out = Vec::with_capacity(f.size().min(1 << 24) as usize);
    (&mut f).take(limit + 1).read_to_end(&mut out)?;
    Ok(Some(out))
}

/// Where the sheet's data lies and what it must inflate to.
struct EntryInfo {
    name: String,
    data_start: u64,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    deflated: bool,
}

fn entry_info<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, i: usize) -> io::Result<EntryInfo> {
    let f = zip.by_index(i).map_err(zip_error)?;
    let name = f.name().map_err(zip_error)?.into_owned();
    let deflated = match f.compression() {
        zip::CompressionMethod::Stored => false,
        zip::CompressionMethod::Deflated => true,
        m => {
            return Err(bad(format!(
                "{name} uses compression method {m}, only stored and deflate are supported"
            )));
        }
    };
    Ok(EntryInfo {
        data_start: f
            .data_start()
            .ok_or_else(|| bad(format!("{name}: corrupt local header")))?,
        compressed_size: f.compressed_size(),
        size: f.size(),
        crc32: f.crc32(),
        deflated,
        name,
    })
}

/// Bytes read from the archive, for progress.
struct Counted<R> {
    r: R,
    n: u64,
}
impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// The sheet's uncompressed bytes, streamed from the archive's reader (which it owns, so that
/// the sheet can outlive the archive's directory), with the CRC-32 and the size recorded in the
/// directory checked: a truncated or corrupted sheet is refused, never half read. (The zip
/// crate's own entry reader borrows the archive and cannot be kept in a long-lived row source.)
pub(crate) struct EntryReader<R> {
    body: Body<R>,
    name: String,
    crc: crc32fast::Hasher,
    produced: u64,
    expected_crc: u32,
    expected_size: u64,
    finished: bool,
}

enum Body<R> {
    Stored(Counted<io::Take<R>>),
    Deflated(flate2::read::DeflateDecoder<Counted<io::Take<R>>>),
}

impl<R: Read + Seek> EntryReader<R> {
    fn new(mut r: R, e: EntryInfo) -> io::Result<EntryReader<R>> {
        r.seek(SeekFrom::Start(e.data_start))?;
        let raw = Counted {
            r: r.take(e.compressed_size),
            n: 0,
        };
        Ok(EntryReader {
            body: if e.deflated {
                Body::Deflated(flate2::read::DeflateDecoder::new(raw))
            } else {
                Body::Stored(raw)
            },
            name: e.name,
            crc: crc32fast::Hasher::new(),
            produced: 0,
            expected_crc: e.crc32,
            expected_size: e.size,
            finished: false,
        })
    }

    /// Compressed bytes taken from the archive so far.
    fn consumed(&self) -> u64 {
        match &self.body {
            Body::Stored(c) => c.n,
            Body::Deflated(d) => d.get_ref().n,
        }
    }
}

impl<R: Read> Read for EntryReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.finished {
            return Ok(0);
        }
        let n = match &mut self.body {
            Body::Stored(r) => r.read(out)?,
            Body::Deflated(r) => r
                .read(out)
                .map_err(|e| bad(format!("{}: corrupt compressed data ({e})", self.name)))?,
        };
        self.crc.update(&out[..n]);
        self.produced += n as u64;
        if self.produced > self.expected_size {
            return Err(bad(format!(
                "{}: more bytes than the directory says",
                self.name
            )));
        }
        if n == 0 {
            self.finished = true;
            if self.produced != self.expected_size {
                return Err(bad(format!(
                    "{}: {} bytes unpacked, the directory says {} (truncated file?)",
                    self.name, self.produced, self.expected_size
                )));
            }
            if self.crc.clone().finalize() != self.expected_crc {
                return Err(bad(format!(
                    "{}: CRC-32 mismatch (corrupt file)",
                    self.name
                )));
            }
        }
        Ok(n)
    }
}

/// Append the text of a text-like event to `out`: character data, an entity or character
/// reference, or a CDATA section. Returns false for any other event.
fn append_text(ev: &Event<'_>, out: &mut String) -> io::Result<bool> {
    match ev {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(t),
        Event::GeneralRef(r) => {
            if r.is_char_ref() {
                match r.resolve_char_ref() {
                    Ok(Some(c)) => out.push(c),
                    _ => return Err(bad("bad XML character reference")),
                }
            } else {
                match quick_xml::escape::resolve_predefined_entity(r) {
                    Some(s) => out.push_str(s),
                    None => return Err(bad(format!("unknown XML entity &{};", &**r))),
                }
            }
        }
        _ => return Ok(false),
    }
    if out.len() > EVENT_BYTES_MAX {
        return Err(bad(format!(
            "a value is longer than {EVENT_BYTES_MAX} bytes"
        )));
    }
    Ok(true)
}

/// The unescaped value of an attribute (by local name).
fn attr(e: &BytesStart<'_>, want: &str) -> io::Result<Option<String>> {
    let mut out = String::new();
    Ok(attr_into(e, want, &mut out)?.then_some(out))
}

/// Put the unescaped value of an attribute (by local name) in `out`; false if it is absent.
fn attr_into(e: &BytesStart<'_>, want: &str, out: &mut String) -> io::Result<bool> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| bad(format!("malformed XML attribute: {e}")))?;
        if a.key.local_name().as_ref() == want {
            out.clear();
            if !a.value.contains('&') {
                // The common case (a cell reference, a type): nothing to unescape.
                out.push_str(&a.value);
            } else {
                out.push_str(
                    &a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(xml_error)?,
                );
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn xml_reader<R: Read>(r: Guard<R>) -> quick_xml::Reader<Guard<R>> {
    quick_xml::Reader::from_reader(r)
}

/// The next event, bounded in size by the guard.
fn next_event<'b, R: Read>(
    x: &mut quick_xml::Reader<Guard<R>>,
    buf: &'b mut Vec<u8>,
) -> io::Result<Event<'b>> {
    buf.clear();
    x.get_mut().event();
    x.read_event_into(buf).map_err(xml_error)
}

impl<R: Read + Seek> XlsxSource<R> {
    pub fn open(mut r: R) -> Result<XlsxSource<R>, OpenError> {
        r.seek(SeekFrom::Start(0)).map_err(OpenError::Io)?;
        let mut counted = Counted { r: &mut r, n: 0 };
        let fingerprint = Fingerprint::of_reader(&mut counted).map_err(OpenError::Io)?;
        let total = counted.n;
        let refuse = |e: io::Error| OpenError::Refused(structure(e));
        let mut zip = zip::ZipArchive::new(r).map_err(|e| refuse(zip_error(e)))?;

        let workbook = read_part(&mut zip, "xl/workbook.xml", PART_BYTES_MAX)
            .map_err(refuse)?
            .ok_or_else(|| {
                OpenError::Refused(RowError::file(tr!("import-err-xlsx-no-workbook")))
            })?;
        let (sheet_rid, date1904) = first_sheet(&workbook).map_err(refuse)?;
        let rels = read_part(&mut zip, "xl/_rels/workbook.xml.rels", PART_BYTES_MAX)
            .map_err(refuse)?
            .ok_or_else(|| refuse(bad("xl/_rels/workbook.xml.rels is missing")))?;
        let (sheet_target, shared_target) = targets(&rels, &sheet_rid).map_err(refuse)?;
        let sheet_path = resolve(&sheet_target);
        let shared_path = shared_target
            .map(|t| resolve(&t))
            .unwrap_or_else(|| "xl/sharedStrings.xml".to_string());

        let shared = match find(&zip, &shared_path) {
            Some(i) => {
                let f = zip.by_index(i).map_err(|e| refuse(zip_error(e)))?;
                if f.size() > SHARED_STRINGS_BYTES_MAX {
                    return Err(refuse(bad(format!(
                        "the shared-string table is over {} MiB",
                        SHARED_STRINGS_BYTES_MAX >> 20
                    ))));
                }
                read_shared_strings(f).map_err(refuse)?
            }
            None => SharedStrings::default(),
        };

        let sheet = find(&zip, &sheet_path).ok_or_else(|| {
            refuse(bad(format!(
                "the first sheet's part {sheet_path} is missing"
            )))
        })?;
        let info = entry_info(&mut zip, sheet).map_err(refuse)?;
        let outside_sheet = total.saturating_sub(info.compressed_size);
        let entry = EntryReader::new(zip.into_inner(), info).map_err(refuse)?;
        Ok(XlsxSource {
            xml: xml_reader(Guard::with_capacity(64 * 1024, entry)),
            buf: Vec::with_capacity(1024),
            shared,
            date1904,
            fingerprint,
            total,
            outside_sheet,
            last_row: 0,
            in_data: false,
            done: false,
            value: String::new(),
        })
    }

    fn fatal(&self, e: io::Error) -> RowError {
        RowError::new(
            self.last_row + 1,
            None,
            tr!("import-err-sheet-past", error = e),
        )
    }

    /// Read one `<row>` (already started) into `out`.
    fn read_row(&mut self, out: &mut RawRow) -> io::Result<()> {
        let mut col = 0usize;
        let mut cell_type = String::new();
        let mut capture = false;
        let mut in_is = false;
        let mut in_rph = false;
        loop {
            let ev = next_event(&mut self.xml, &mut self.buf)?;
            match &ev {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "c" => {
                    // One pass over the attributes for the reference and the type.
                    cell_type.clear();
                    let mut reference = None;
                    for a in e.attributes().with_checks(false) {
                        let a = a.map_err(|e| bad(format!("malformed XML attribute: {e}")))?;
                        match a.key.local_name().as_ref() {
                            "r" => reference = Some(column_index(a.value.as_bytes())),
                            "t" => cell_type.push_str(&a.value),
                            _ => {}
                        }
                    }
                    if let Some(c) = reference {
                        col = c.ok_or_else(|| bad("a cell reference is malformed"))?;
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
                    self.value.clear();
                    if matches!(ev, Event::Empty(_)) {
                        out.push("", false);
                        col += 1;
                    }
                }
                Event::Start(e) => match e.local_name().as_ref() {
                    "v" => capture = true,
                    "is" => in_is = true,
                    "rPh" => in_rph = true,
                    "t" if in_is && !in_rph => capture = true,
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "is" => in_is = false,
                    "rPh" => in_rph = false,
                    "v" | "t" => capture = false,
                    "c" => {
                        self.finish_cell(&cell_type, out)?;
                        col += 1;
                        if out.text_len() > ROW_EVENT_BYTES_MAX {
                            return Err(bad(format!(
                                "the row holds more than {ROW_EVENT_BYTES_MAX} bytes of text"
                            )));
                        }
                    }
                    "row" => return Ok(()),
                    _ => {}
                },
                Event::Eof => return Err(bad("the sheet ends inside a row (truncated)")),
                ev if capture => {
                    append_text(ev, &mut self.value)?;
                }
                _ => {}
            }
        }
    }

    fn finish_cell(&self, cell_type: &str, out: &mut RawRow) -> io::Result<()> {
        let v = self.value.as_str();
        match cell_type {
            "s" => {
                let text = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| self.shared.get(i))
                    .ok_or_else(|| bad(format!("shared string {v:?} does not exist")))?;
                out.push(text, false);
            }
            "inlineStr" | "str" | "d" => out.push(v, false),
            "b" => out.push(if v.trim() == "1" { "TRUE" } else { "FALSE" }, false),
            "e" => out.push_bad(tr!("import-err-cell-error", value = v)),
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

impl<R: Read + Seek> RowSource for XlsxSource<R> {
    fn next_row(&mut self, out: &mut RawRow) -> Result<bool, RowError> {
        if self.done {
            return Ok(false);
        }
        loop {
            // (row number or why not, whether the row has content)
            let row = match next_event(&mut self.xml, &mut self.buf) {
                Err(e) => return Err(self.fatal(e)),
                Ok(Event::Start(e)) if e.local_name().as_ref() == "sheetData" => {
                    self.in_data = true;
                    continue;
                }
                Ok(Event::Empty(e)) if e.local_name().as_ref() == "sheetData" => None,
                Ok(Event::End(e)) if e.local_name().as_ref() == "sheetData" => None,
                Ok(Event::Eof) => None,
                Ok(Event::Start(e)) if self.in_data && e.local_name().as_ref() == "row" => {
                    Some((row_number(&e, self.last_row), true))
                }
                Ok(Event::Empty(e)) if self.in_data && e.local_name().as_ref() == "row" => {
                    Some((row_number(&e, self.last_row), false))
                }
                Ok(_) => continue,
            };
            let Some((row, started)) = row else {
                self.done = true;
                return Ok(false);
            };
            let row = row.map_err(|e| self.fatal(e))?;
            out.clear(row);
            self.last_row = row;
            if started {
                self.read_row(out)
                    .map_err(|e| RowError::new(row, None, tr!("import-err-sheet", error = e)))?;
            }
            return Ok(true);
        }
    }
    fn bytes_read(&self) -> u64 {
        self.outside_sheet + self.xml.get_ref().get_ref().consumed()
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

/// The row number of a `<row>` start tag, which must come after `last_row`.
fn row_number(e: &BytesStart<'_>, last_row: u64) -> io::Result<u64> {
    match attr(e, "r")? {
        None => Ok(last_row + 1),
        Some(r) => r
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&r| r > last_row)
            .ok_or_else(|| bad("a row number is malformed or out of order")),
    }
}

/// The relationship id of the first sheet, and whether dates count from 1904.
fn first_sheet(workbook: &[u8]) -> io::Result<(String, bool)> {
    let mut x = xml_reader(Guard::new(workbook));
    let mut buf = Vec::new();
    let mut date1904 = false;
    loop {
        match next_event(&mut x, &mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "workbookPr" => {
                    if let Some(v) = attr(&e, "date1904")? {
                        date1904 = matches!(v.trim(), "1" | "true");
                    }
                }
                "sheet" => {
                    let id = attr(&e, "id")?
                        .ok_or_else(|| bad("the first sheet has no relationship id"))?;
                    return Ok((id, date1904));
                }
                _ => {}
            },
            Event::Eof => return Err(bad("the workbook has no sheet")),
            _ => {}
        }
    }
}

/// The targets of the sheet relationship and of the shared-string table.
fn targets(rels: &[u8], sheet_rid: &str) -> io::Result<(String, Option<String>)> {
    let mut x = xml_reader(Guard::new(rels));
    let mut buf = Vec::new();
    let mut sheet = None;
    let mut shared = None;
    loop {
        match next_event(&mut x, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let id = attr(&e, "Id")?.unwrap_or_default();
                let ty = attr(&e, "Type")?.unwrap_or_default();
                let Some(target) = attr(&e, "Target")? else {
                    continue;
                };
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

/// The shared-string table, streamed from its part.
fn read_shared_strings(part: impl Read) -> io::Result<SharedStrings> {
    let mut x = xml_reader(Guard::new(part));
    let mut buf = Vec::new();
    let mut s = SharedStrings::default();
    let mut value = String::new();
    let mut in_si = false;
    let mut in_rph = false;
    let mut capture = false;
    loop {
        let ev = next_event(&mut x, &mut buf)?;
        match &ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => {
                    in_si = true;
                    value.clear();
                }
                "rPh" => in_rph = true,
                "t" if in_si && !in_rph => capture = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => s.ends.push(s.text.len()),
            Event::End(e) => match e.local_name().as_ref() {
                "si" => {
                    in_si = false;
                    s.text.push_str(&value);
                    s.ends.push(s.text.len());
                }
                "rPh" => in_rph = false,
                "t" => capture = false,
                _ => {}
            },
            Event::Eof => return Ok(s),
            ev if capture => {
                append_text(ev, &mut value)?;
            }
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
            return Err(tr!("import-err-serial-date", text = text));
        }
    };
    let start = |y, m, d| Date::new(y, m, d).map_err(|e| e.0);
    if date1904 {
        return Ok(start(1904, 1, 1)?.add_days(n));
    }
    match n {
        60 => Err(tr!("import-err-serial-60")),
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
