//! CSV in UTF-8 (with or without a byte-order mark) or GBK, detected automatically.
//!
//! Records are split by the `csv` crate (RFC 4180: quoted fields may hold commas, doubled quotes
//! and line breaks; CR, LF and CRLF end a record) on the bytes, before decoding: `,`, `"`, CR
//! and LF never occur inside a multi-byte character in either encoding.
//!
//! The `csv` crate is lenient where an import must not be, and has no strict mode to ask for
//! (rust-csv issue #77): it silently closes a quote left open at the end of the file, keeps
//! text after a closing quote without a word, skips blank lines without counting them, and
//! grows a record without limit. So [`Tap`] keeps the raw bytes of the record being read
//! (bounded) and this module checks what the crate does not: the record's size, a quote left
//! open, text after a closing quote (only in records that hold a quote at all), and the blank
//! lines before it, so that rows keep the numbers a spreadsheet shows.
//!
//! Encoding detection: a byte-order mark means UTF-8; otherwise the first 64 KiB decide: if they
//! hold non-ASCII bytes and are valid UTF-8, the file is UTF-8, if they are not valid UTF-8 it is
//! GBK. A file whose first 64 KiB are pure ASCII is decided by its first row with non-ASCII bytes
//! in the same way. A later row that does not decode in the chosen encoding is refused with a
//! reason ("bad encoding"), so a file mixing encodings is never half understood.

use crate::error::RowError;
use crate::fingerprint::{Fingerprint, Hasher};
use crate::source::{Encoding, Format, OpenError, RawRow, RowSource};
use std::io::{self, Read};
use tongchou_core::tr;

const SNIFF_BYTES: usize = 64 * 1024;
/// The `csv` reader's own buffer.
const CSV_BUFFER_BYTES: usize = 64 * 1024;
/// The longest record accepted: a row of an import file is a few hundred bytes; anything
/// longer is almost always a quote left open, and the limit keeps memory bounded by the row.
pub const ROW_BYTES_MAX: usize = 64 * 1024;
/// The most raw bytes held for one record, blank lines before it included: past this the read
/// fails (memory bound) and the record is reported as too long.
const WINDOW_BYTES_MAX: usize = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Detected {
    Undecided,
    Utf8,
    Gbk,
}

fn decide(bytes: &[u8], complete: bool) -> Detected {
    if bytes.is_ascii() {
        return Detected::Undecided;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Detected::Utf8,
        // A multi-byte character cut by the end of the sniffed window is not evidence.
        Err(e) if !complete && e.error_len().is_none() => {
            if bytes[..e.valid_up_to()].is_ascii() {
                Detected::Undecided
            } else {
                Detected::Utf8
            }
        }
        Err(_) => Detected::Gbk,
    }
}

/// The input as the `csv` reader sees it: hashes every byte of the file, counts them, skips a
/// byte-order mark, and keeps the raw bytes from the start of the current record.
struct Tap<R> {
    r: R,
    /// The sniffed head, handed out before `r`.
    head: Vec<u8>,
    head_pos: usize,
    hasher: Option<Hasher>,
    /// Bytes of the file read from `r` (the head included).
    read: u64,
    eof: bool,
    /// Raw bytes handed to the `csv` reader, from stream offset `window_start`.
    window: Vec<u8>,
    window_start: u64,
    /// Stream offset where the current record's bytes begin.
    record_start: u64,
    /// The current record outgrew [`WINDOW_BYTES_MAX`].
    overflow: bool,
}

impl<R: Read> Tap<R> {
    /// Stream offset just past the last byte handed to the `csv` reader.
    fn handed(&self) -> u64 {
        self.window_start + self.window.len() as u64
    }
    /// The raw bytes from `from` to `to` (stream offsets), which must still be held.
    fn raw(&self, from: u64, to: u64) -> &[u8] {
        let a = (from.saturating_sub(self.window_start) as usize).min(self.window.len());
        let b = (to.saturating_sub(self.window_start) as usize).clamp(a, self.window.len());
        &self.window[a..b]
    }
    /// A new record begins at `at`: bytes before it are no longer needed.
    fn start_record(&mut self, at: u64) {
        self.record_start = at;
        let drop = at.saturating_sub(self.window_start) as usize;
        if drop >= 256 * 1024 {
            self.window.drain(..drop.min(self.window.len()));
            self.window_start += drop as u64;
        }
    }
    fn read_file(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        let n = self.r.read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        self.read += n as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.handed() - self.record_start > WINDOW_BYTES_MAX as u64 {
            self.overflow = true;
            return Err(io::Error::other("the record is too long"));
        }
        let n = if self.head_pos < self.head.len() {
            let n = (self.head.len() - self.head_pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.head_pos..self.head_pos + n]);
            self.head_pos += n;
            if self.head_pos == self.head.len() {
                self.head = Vec::new();
                self.head_pos = 0;
            }
            n
        } else {
            self.read_file(buf)?
        };
        self.window.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

pub(crate) struct CsvSource<R> {
    csv: csv::Reader<Tap<R>>,
    record: csv::ByteRecord,
    total: Option<u64>,
    fingerprint: Option<Fingerprint>,
    detected: Detected,
    /// Rows yielded so far (blank ones included).
    records: u64,
    /// Blank rows to yield before `record`.
    blank: u64,
    /// `record` holds a record not yet yielded.
    held: bool,
    /// Problems of the held record: (cell, reason).
    /// The cells of the current record with text after a closing quote.
    problems: Vec<usize>,
    /// Stream offset after the last record read, and whether its bytes ended with CR.
    end: u64,
    ended_cr: bool,
    /// A fatal problem to report once the blank rows before it have been yielded.
    fatal: Option<RowError>,
    done: bool,
}

/// How many line ends (CR, LF or CRLF) `bytes`, which hold only CR and LF, make; `after_cr`
/// says the bytes before them ended with a CR (so a leading LF completes that CRLF).
fn line_ends(bytes: &[u8], mut after_cr: bool) -> u64 {
    let mut n = 0;
    for &b in bytes {
        if !(b == b'\n' && after_cr) {
            n += 1;
        }
        after_cr = b == b'\r';
    }
    n
}

/// What the `csv` crate does not report about a record's raw bytes (which hold a quote): the
/// cells with text after their closing quote, and whether the record ends inside quotes.
/// Splits as the `csv` crate does (a quote only opens a quoted field at the field's start).
fn quote_problems(raw: &[u8], after_quote: &mut Vec<usize>) -> bool {
    #[derive(PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteSeen,
        AfterQuote,
    }
    let mut s = S::FieldStart;
    let mut cell = 0;
    for &b in raw {
        s = match (s, b) {
            (S::Quoted, b'"') => S::QuoteSeen,
            (S::Quoted, _) => S::Quoted,
            (S::QuoteSeen, b'"') => S::Quoted,
            (_, b',') => {
                cell += 1;
                S::FieldStart
            }
            (_, b'\r' | b'\n') => return false,
            (S::FieldStart, b'"') => S::Quoted,
            (S::QuoteSeen, _) => {
                after_quote.push(cell);
                S::AfterQuote
            }
            (S::AfterQuote, _) => S::AfterQuote,
            (_, _) => S::Unquoted,
        };
    }
    s == S::Quoted
}

impl<R: Read> CsvSource<R> {
    /// Sniff the first 64 KiB. Refuses UTF-16 files (Excel's "Unicode text").
    pub fn new(r: R, total: Option<u64>) -> Result<CsvSource<R>, OpenError> {
        let mut tap = Tap {
            r,
            head: Vec::new(),
            head_pos: 0,
            hasher: Some(Hasher::new()),
            read: 0,
            eof: false,
            window: Vec::with_capacity(2 * CSV_BUFFER_BYTES),
            window_start: 0,
            record_start: 0,
            overflow: false,
        };
        // Fill the whole window so detection sees 64 KiB, not one short read.
        let mut head = vec![0u8; SNIFF_BYTES];
        let mut len = 0;
        while len < head.len() {
            let n = tap.read_file(&mut head[len..]).map_err(OpenError::Io)?;
            if n == 0 {
                break;
            }
            len += n;
        }
        head.truncate(len);
        let detected = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            // The mark is counted and hashed, never handed to the CSV reader (whose byte
            // offsets are the ones the window uses).
            head.drain(..3);
            Detected::Utf8
        } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(OpenError::Refused(RowError::file(tr!("import-err-utf16"))));
        } else {
            decide(&head, tap.eof)
        };
        tap.head = head;
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(CSV_BUFFER_BYTES)
            .from_reader(tap);
        Ok(CsvSource {
            csv,
            record: csv::ByteRecord::new(),
            total,
            fingerprint: None,
            detected,
            records: 0,
            blank: 0,
            held: false,
            problems: Vec::new(),
            end: 0,
            ended_cr: false,
            fatal: None,
            done: false,
        })
    }

    /// Without the file's SHA-256 (a piece of a file whose fingerprint the caller takes once):
    /// [`RowSource::fingerprint`] then gives the digest of nothing.
    pub(crate) fn unhashed(mut self) -> Self {
        self.csv.get_mut().hasher = None;
        self
    }

    fn too_long(&self, row: u64) -> RowError {
        RowError::new(
            row,
            None,
            tr!("import-err-row-too-long", max = ROW_BYTES_MAX),
        )
    }

    /// Read the next record into `record`, with the blank rows before it. Returns false at the
    /// end of the file (after counting the blank rows at its end).
    fn read_record(&mut self) -> Result<bool, RowError> {
        let row = self.records + 1;
        let start = self.end;
        self.csv.get_mut().start_record(start);
        let got = match self.csv.read_byte_record(&mut self.record) {
            Ok(got) => got,
            Err(_) if self.csv.get_ref().overflow => return Err(self.too_long(row)),
            Err(e) => return Err(RowError::new(row, None, tr!("import-err-read", error = e))),
        };
        let end = self.csv.position().byte();
        let tap = self.csv.get_ref();
        let raw = tap.raw(start, end);
        let lead = raw
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(raw.len());
        self.blank = line_ends(&raw[..lead], self.ended_cr);
        if !got {
            return Ok(false);
        }
        let body = &raw[lead..];
        let ends = body.iter().rev().take_while(|&&b| b == b'\r' || b == b'\n');
        if body.len() - ends.count() > ROW_BYTES_MAX {
            return Err(self.too_long(row + self.blank));
        }
        self.problems.clear();
        if memchr::memchr(b'"', body).is_some() {
            let mut after = Vec::new();
            if quote_problems(body, &mut after) {
                return Err(RowError::new(
                    row + self.blank,
                    None,
                    tr!("import-err-quote-open"),
                ));
            }
            self.problems.extend(after);
        }
        self.ended_cr = body.last() == Some(&b'\r');
        self.end = end;
        Ok(true)
    }

    fn decode_into(&mut self, out: &mut RawRow) {
        out.clear(self.records);
        if self.detected == Detected::Undecided {
            // The first row with non-ASCII bytes decides, as the sniffed head would have.
            for bytes in self.record.iter().filter(|b| !b.is_ascii()) {
                self.detected = decide(bytes, true);
                if self.detected == Detected::Gbk {
                    break;
                }
            }
        }
        for bytes in self.record.iter() {
            if bytes.is_ascii() {
                // ASCII is the same in both encodings.
                out.push(std::str::from_utf8(bytes).unwrap_or(""), false);
                continue;
            }
            match self.detected {
                Detected::Gbk => {
                    match encoding_rs::GBK
                        .decode_without_bom_handling_and_without_replacement(bytes)
                    {
                        Some(s) => out.push(&s, false),
                        None => out.push_bad(tr!("import-err-encoding", encoding = "GBK")),
                    }
                }
                Detected::Utf8 | Detected::Undecided => match std::str::from_utf8(bytes) {
                    Ok(s) => out.push(s, false),
                    Err(_) => out.push_bad(tr!("import-err-encoding", encoding = "UTF-8")),
                },
            }
        }
        for &i in &self.problems {
            out.problem(i, tr!("import-err-after-quote"));
        }
    }
}

impl<R: Read> RowSource for CsvSource<R> {
    fn next_row(&mut self, out: &mut RawRow) -> Result<bool, RowError> {
        loop {
            if self.blank > 0 {
                self.blank -= 1;
                self.records += 1;
                out.clear(self.records);
                out.push("", false);
                return Ok(true);
            }
            if self.held {
                self.held = false;
                self.records += 1;
                self.decode_into(out);
                return Ok(true);
            }
            if let Some(e) = self.fatal.take() {
                self.done = true;
                return Err(e);
            }
            if self.done {
                return Ok(false);
            }
            match self.read_record() {
                Ok(true) => self.held = true,
                Ok(false) => self.done = true,
                // The blank rows before the record come first, as they would have.
                Err(e) => self.fatal = Some(e),
            }
        }
    }
    fn bytes_read(&self) -> u64 {
        self.csv.get_ref().read
    }
    fn bytes_total(&self) -> Option<u64> {
        self.total
    }
    fn format(&self) -> Format {
        Format::Csv(match self.detected {
            Detected::Gbk => Encoding::Gbk,
            Detected::Utf8 | Detected::Undecided => Encoding::Utf8,
        })
    }
    fn fixed_width(&self) -> bool {
        true
    }
    fn date1904(&self) -> bool {
        false
    }
    fn fingerprint(&mut self) -> io::Result<Fingerprint> {
        if let Some(f) = self.fingerprint {
            return Ok(f);
        }
        let tap = self.csv.get_mut();
        let mut buf = vec![0u8; 64 * 1024];
        while tap.read_file(&mut buf)? > 0 {}
        let f = tap
            .hasher
            .take()
            .map(Hasher::finish)
            .unwrap_or_else(|| Fingerprint::of(b""));
        self.fingerprint = Some(f);
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (row number, cells, problems)
    type Row = (u64, Vec<String>, Vec<(usize, String)>);

    fn rows(bytes: &[u8]) -> (Vec<Row>, Format) {
        let mut s = CsvSource::new(bytes, None).expect("source");
        let mut out = Vec::new();
        let mut raw = RawRow::default();
        while s.next_row(&mut raw).expect("row") {
            let cells = (0..raw.len())
                .map(|i| raw.get(i).text.to_string())
                .collect();
            out.push((raw.row, cells, raw.problems.clone()));
        }
        (out, s.format())
    }

    fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
        rows(bytes).0.into_iter().map(|r| r.1).collect()
    }

    #[test]
    fn quoting_and_line_endings() {
        let got = cells(b"a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n,,\nlast");
        assert_eq!(
            got,
            vec![
                vec!["a", "b", "c"],
                vec!["x,1", "say \"hi\"", "two\nlines"],
                vec!["", "", ""],
                vec!["last"],
            ]
        );
        // Old Mac line endings, and a CR split from its LF by nothing at all.
        assert_eq!(cells(b"a\rb\r\nc"), vec![vec!["a"], vec!["b"], vec!["c"]]);
        assert_eq!(cells(b""), Vec::<Vec<String>>::new());
        assert_eq!(cells(b"\n\n"), vec![vec![""], vec![""]]);
    }

    #[test]
    fn row_numbers_count_records() {
        let (r, _) = rows(b"h\n\"a\nb\"\nc\n");
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn text_after_closing_quote_is_reported() {
        let (r, _) = rows(b"\"ab\"c,d\n");
        assert_eq!(r[0].1, vec!["abc", "d"]);
        assert_eq!(r[0].2, vec![(0, "引号后还有文字".to_string())]);
    }

    #[test]
    fn unterminated_quote_is_fatal() {
        let mut s = CsvSource::new(&b"a\n\"open,b\n"[..], None).expect("source");
        let mut raw = RawRow::default();
        assert!(s.next_row(&mut raw).expect("row 1"));
        let e = s.next_row(&mut raw).expect_err("fatal");
        assert_eq!(e.row, 2);
        assert!(e.reason.contains("引号未闭合"), "{e}");
    }

    #[test]
    fn encodings() {
        let utf8 = "姓名,县\n张三,太原\n".as_bytes();
        let (r, f) = rows(utf8);
        assert_eq!(f, Format::Csv(Encoding::Utf8));
        assert_eq!(r[1].1, vec!["张三", "太原"]);

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(b"id\n1\n");
        let (r, f) = rows(&bom);
        assert_eq!(f, Format::Csv(Encoding::Utf8));
        assert_eq!(r[0].1, vec!["id"]);

        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,县\n张三,太原\n");
        let (r, f) = rows(&gbk);
        assert_eq!(f, Format::Csv(Encoding::Gbk));
        assert_eq!(r[1].1, vec!["张三", "太原"]);

        // ASCII for the whole sniffed window, then GBK: decided at the first non-ASCII row.
        let mut late = Vec::new();
        for _ in 0..10_000 {
            late.extend_from_slice(b"abcdefgh\n");
        }
        late.extend_from_slice(&encoding_rs::GBK.encode("张三\n").0);
        let (r, f) = rows(&late);
        assert_eq!(f, Format::Csv(Encoding::Gbk));
        assert_eq!(
            r.last().map(|x| x.1.clone()),
            Some(vec!["张三".to_string()])
        );

        // UTF-8 for the whole sniffed window, then one GBK row: that row is refused.
        let mut mixed = Vec::new();
        for _ in 0..10_000 {
            mixed.extend_from_slice("张三\n".as_bytes());
        }
        mixed.extend_from_slice(&encoding_rs::GBK.encode("李四\n").0);
        let (r, f) = rows(&mixed);
        assert_eq!(f, Format::Csv(Encoding::Utf8));
        assert_eq!(r[9_999].2, vec![]);
        assert_eq!(
            r[10_000].2,
            vec![(
                0,
                "编码错误：不是有效的 UTF-8 文本（文件按 UTF-8 识别）".to_string()
            )]
        );
        // A small file mixing both is decided by its invalid UTF-8: GBK. Its UTF-8 rows are
        // refused when they are not valid GBK (as here, three bytes); UTF-8 text that happens
        // to be valid GBK cannot be told from it.
        let mut small = "张\n".as_bytes().to_vec();
        small.extend_from_slice(&encoding_rs::GBK.encode("李四\n").0);
        let (r, f) = rows(&small);
        assert_eq!(f, Format::Csv(Encoding::Gbk));
        assert_eq!(r[1].1, vec!["李四".to_string()]);
        assert_eq!(
            r[0].2,
            vec![(
                0,
                "编码错误：不是有效的 GBK 文本（文件按 GBK 识别）".to_string()
            )]
        );

        assert!(matches!(
            CsvSource::new(&[0xFF, 0xFE, b'a', 0][..], None),
            Err(OpenError::Refused(_))
        ));
    }

    #[test]
    fn long_rows_are_fatal_and_fingerprint_covers_the_file() {
        let mut big = b"a\n\"".to_vec();
        big.extend(std::iter::repeat_n(b'x', ROW_BYTES_MAX + 10));
        let mut s = CsvSource::new(&big[..], None).expect("source");
        let mut raw = RawRow::default();
        assert!(s.next_row(&mut raw).expect("header"));
        assert!(s.next_row(&mut raw).is_err());
        assert_eq!(s.fingerprint().expect("fp"), Fingerprint::of(&big));
    }

    #[test]
    fn blank_lines_are_rows_whatever_the_line_ends() {
        for text in [
            &b"h\n\nx\n\n\ny\n"[..],
            b"h\r\n\r\nx\r\n\r\n\r\ny\r\n",
            b"h\r\rx\r\r\ry\r",
            b"\xEF\xBB\xBFh\n\r\nx\r\r\n\ny",
        ] {
            let (r, _) = rows(text);
            let got: Vec<(u64, Vec<String>)> = r.into_iter().map(|x| (x.0, x.1)).collect();
            let want: Vec<(u64, Vec<String>)> =
                [(1, "h"), (2, ""), (3, "x"), (4, ""), (5, ""), (6, "y")]
                    .into_iter()
                    .map(|(n, c)| (n, vec![c.to_string()]))
                    .collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(text));
        }
        // A quoted line break is inside its row, not a row of its own.
        let (r, _) = rows(b"h\n\"a\n\nb\"\n\nc\n");
        let got: Vec<(u64, String)> = r.into_iter().map(|x| (x.0, x.1.join("|"))).collect();
        assert_eq!(
            got,
            vec![
                (1, "h".into()),
                (2, "a\n\nb".into()),
                (3, "".into()),
                (4, "c".into())
            ]
        );
    }

    #[test]
    fn a_quote_left_open_in_a_large_file_is_refused_with_bounded_memory() {
        let mut big = b"a,b\n1,\"".to_vec();
        big.extend(std::iter::repeat_n(b'x', 8 * WINDOW_BYTES_MAX));
        let mut s = CsvSource::new(&big[..], None).expect("source");
        let mut raw = RawRow::default();
        assert!(s.next_row(&mut raw).expect("header"));
        let e = s.next_row(&mut raw).expect_err("fatal");
        assert_eq!(e.row, 2);
        assert!(e.reason.contains("超过 65536 字节"), "{e}");
        assert!(s.csv.get_ref().window.capacity() <= 4 * WINDOW_BYTES_MAX);
        assert_eq!(s.fingerprint().expect("fp"), Fingerprint::of(&big));
    }

    /// (row number, cells, cells with text after a closing quote)
    type OracleRow = (u64, Vec<String>, Vec<usize>);

    /// The hand-written splitter this module replaced, kept as the oracle for the csv crate
    /// plus this module's checks: (row, cells, cells with text after a closing quote) per
    /// record, and the row of a quote left open.
    fn oracle(b: &[u8]) -> (Vec<OracleRow>, Option<u64>) {
        #[derive(PartialEq)]
        enum S {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteSeen,
            AfterQuote,
        }
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        let mut rows = Vec::new();
        let (mut pos, mut skip_lf) = (0, false);
        loop {
            let row = rows.len() as u64 + 1;
            let (mut field, mut cells, mut after) = (Vec::new(), Vec::new(), Vec::new());
            let (mut s, mut any) = (S::FieldStart, false);
            loop {
                let cell = |f: &mut Vec<u8>| {
                    String::from_utf8_lossy(&std::mem::take(f))
                        .trim()
                        .to_string()
                };
                if pos == b.len() {
                    if s == S::Quoted {
                        return (rows, Some(row));
                    }
                    if !any {
                        return (rows, None);
                    }
                    cells.push(cell(&mut field));
                    rows.push((row, cells, after));
                    break;
                }
                let c = b[pos];
                if skip_lf {
                    skip_lf = false;
                    if c == b'\n' {
                        pos += 1;
                        continue;
                    }
                }
                any = true;
                match s {
                    S::Quoted => {
                        pos += 1;
                        if c == b'"' {
                            s = S::QuoteSeen;
                        } else {
                            field.push(c);
                        }
                    }
                    S::QuoteSeen if c == b'"' => {
                        pos += 1;
                        field.push(c);
                        s = S::Quoted;
                    }
                    _ if matches!(c, b',' | b'\r' | b'\n') => {
                        pos += 1;
                        cells.push(cell(&mut field));
                        if c == b',' {
                            s = S::FieldStart;
                        } else {
                            skip_lf = c == b'\r';
                            rows.push((row, cells, after));
                            break;
                        }
                    }
                    S::FieldStart if c == b'"' => {
                        pos += 1;
                        s = S::Quoted;
                    }
                    S::QuoteSeen => {
                        after.push(cells.len());
                        s = S::AfterQuote;
                    }
                    _ => {
                        pos += 1;
                        field.push(c);
                        if s == S::FieldStart {
                            s = S::Unquoted;
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn splits_as_the_reader_it_replaced(
            bom in proptest::bool::ANY,
            body in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b' ', b',', b'"', b'\r', b'\n']),
                0..120,
            ),
        ) {
            let mut text = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            text.extend_from_slice(&body);
            let (want, want_fatal) = oracle(&text);
            let mut s = CsvSource::new(&text[..], None).expect("source");
            let mut raw = RawRow::default();
            let mut got = Vec::new();
            let fatal = loop {
                match s.next_row(&mut raw) {
                    Ok(true) => {
                        let cells = (0..raw.len()).map(|i| raw.get(i).text.to_string()).collect();
                        let after = raw.problems.iter().map(|p| p.0).collect();
                        got.push((raw.row, cells, after));
                    }
                    Ok(false) => break None,
                    Err(e) => break Some(e.row),
                }
            };
            proptest::prop_assert_eq!(got, want);
            proptest::prop_assert_eq!(fatal, want_fatal);
        }
    }
}
