//! CSV in UTF-8 (with or without a byte-order mark) or GBK, detected automatically.
//!
//! Records are split on the bytes `,`, `"`, CR and LF, which never occur inside a multi-byte
//! character in either encoding, so splitting happens before decoding. Quoted fields may hold
//! commas, doubled quotes and line breaks (RFC 4180).
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

const BUFFER_BYTES: usize = 64 * 1024;
/// The longest record accepted: a row of an import file is a few hundred bytes; anything
/// longer is almost always a quote left open, and the limit keeps memory bounded by the row.
pub const ROW_BYTES_MAX: usize = 64 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Detected {
    Undecided,
    Utf8,
    Gbk,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: either the first of a doubled quote or the closing one.
    QuoteSeen,
    /// Text after a closing quote (refused, but read to the end of the field).
    AfterQuote,
}

pub(crate) struct CsvSource<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    hasher: Option<Hasher>,
    fingerprint: Option<Fingerprint>,
    bytes_read: u64,
    total: Option<u64>,
    detected: Detected,
    records: u64,
    field: Vec<u8>,
    ends: Vec<usize>,
    after_quote: Vec<usize>,
    skip_lf: bool,
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

impl<R: Read> CsvSource<R> {
    /// Sniff the first 64 KiB. Refuses UTF-16 files (Excel's "Unicode text").
    pub fn new(r: R, total: Option<u64>) -> Result<CsvSource<R>, OpenError> {
        let mut s = CsvSource {
            r,
            buf: vec![0u8; BUFFER_BYTES],
            pos: 0,
            len: 0,
            eof: false,
            hasher: Some(Hasher::new()),
            fingerprint: None,
            bytes_read: 0,
            total,
            detected: Detected::Undecided,
            records: 0,
            field: Vec::new(),
            ends: Vec::new(),
            after_quote: Vec::new(),
            skip_lf: false,
        };
        // Fill the whole window so detection sees 64 KiB, not one short read.
        while s.len < s.buf.len() {
            let n = s.r.read(&mut s.buf[s.len..]).map_err(OpenError::Io)?;
            if n == 0 {
                s.eof = true;
                break;
            }
            s.len += n;
        }
        s.account(0, s.len);
        let head = &s.buf[..s.len];
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            s.pos = 3;
            s.detected = Detected::Utf8;
        } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(OpenError::Refused(RowError::file(
                "the file is UTF-16 text: save it as CSV (UTF-8 or GBK) or as XLSX",
            )));
        } else {
            s.detected = decide(head, s.eof);
        }
        Ok(s)
    }

    fn account(&mut self, from: usize, to: usize) {
        self.bytes_read += (to - from) as u64;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&self.buf[from..to]);
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        let n = self.r.read(&mut self.buf)?;
        self.pos = 0;
        self.len = n;
        if n == 0 {
            self.eof = true;
        }
        self.account(0, n);
        Ok(())
    }

    /// Split the next record into `field`/`ends`. Returns false at the end of the file.
    fn read_record(&mut self) -> Result<bool, RowError> {
        self.field.clear();
        self.ends.clear();
        self.after_quote.clear();
        let row = self.records + 1;
        let mut state = State::FieldStart;
        let mut any = false;
        loop {
            if self.pos == self.len {
                self.fill()
                    .map_err(|e| RowError::new(row, None, format!("read error: {e}")))?;
                if self.pos == self.len {
                    if state == State::Quoted {
                        return Err(RowError::new(
                            row,
                            None,
                            "a quoted field is not closed before the end of the file (truncated file?)",
                        ));
                    }
                    if !any {
                        return Ok(false);
                    }
                    self.ends.push(self.field.len());
                    self.records += 1;
                    return Ok(true);
                }
            }
            let b = self.buf[self.pos];
            if self.skip_lf {
                self.skip_lf = false;
                if b == b'\n' {
                    self.pos += 1;
                    continue;
                }
            }
            any = true;
            let delimiter = matches!(b, b',' | b'\n' | b'\r');
            match state {
                State::Quoted => {
                    // Inside quotes everything but a quote is text: copy the run.
                    let rest = &self.buf[self.pos..self.len];
                    match rest.iter().position(|&c| c == b'"') {
                        Some(k) => {
                            self.field.extend_from_slice(&rest[..k]);
                            self.pos += k + 1;
                            state = State::QuoteSeen;
                        }
                        None => {
                            self.field.extend_from_slice(rest);
                            self.pos = self.len;
                        }
                    }
                }
                State::QuoteSeen if b == b'"' => {
                    self.pos += 1;
                    self.field.push(b'"');
                    state = State::Quoted;
                }
                _ if delimiter => {
                    self.pos += 1;
                    self.ends.push(self.field.len());
                    if b == b',' {
                        state = State::FieldStart;
                    } else {
                        self.skip_lf = b == b'\r';
                        self.records += 1;
                        return Ok(true);
                    }
                }
                State::FieldStart if b == b'"' => {
                    self.pos += 1;
                    state = State::Quoted;
                }
                State::QuoteSeen => {
                    // Text after a closing quote: kept (as spreadsheets do) but reported.
                    self.after_quote.push(self.ends.len());
                    state = State::AfterQuote;
                }
                State::FieldStart | State::Unquoted | State::AfterQuote => {
                    // Unquoted text: copy the run up to the next delimiter.
                    let rest = &self.buf[self.pos..self.len];
                    let k = rest
                        .iter()
                        .position(|&c| matches!(c, b',' | b'\n' | b'\r'))
                        .unwrap_or(rest.len());
                    self.field.extend_from_slice(&rest[..k]);
                    self.pos += k;
                    if state == State::FieldStart {
                        state = State::Unquoted;
                    }
                }
            }
            if self.field.len() > ROW_BYTES_MAX {
                return Err(RowError::new(
                    row,
                    None,
                    format!(
                        "the row is longer than {ROW_BYTES_MAX} bytes (a quote left open?); the rest of the file cannot be read"
                    ),
                ));
            }
        }
    }

    fn decode_into(&mut self, out: &mut RawRow) {
        out.clear(self.records);
        if self.detected == Detected::Undecided && !self.field.is_ascii() {
            self.detected = decide(&self.field, true);
        }
        let mut start = 0;
        for &end in &self.ends {
            let bytes = &self.field[start..end];
            start = end;
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
                        None => out.push_bad(
                            "bad encoding: not valid GBK text (the file was detected as GBK)",
                        ),
                    }
                }
                Detected::Utf8 | Detected::Undecided => match std::str::from_utf8(bytes) {
                    Ok(s) => out.push(s, false),
                    Err(_) => out.push_bad(
                        "bad encoding: not valid UTF-8 text (the file was detected as UTF-8)",
                    ),
                },
            }
        }
        for i in std::mem::take(&mut self.after_quote) {
            out.problem(i, "text after the closing quote of a quoted field");
        }
    }
}

impl<R: Read> RowSource for CsvSource<R> {
    fn next_row(&mut self, out: &mut RawRow) -> Result<bool, RowError> {
        if !self.read_record()? {
            return Ok(false);
        }
        self.decode_into(out);
        Ok(true)
    }
    fn bytes_read(&self) -> u64 {
        self.bytes_read
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
        while !self.eof {
            self.pos = self.len;
            self.fill()?;
        }
        let f = self
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
        assert_eq!(
            r[0].2,
            vec![(
                0,
                "text after the closing quote of a quoted field".to_string()
            )]
        );
    }

    #[test]
    fn unterminated_quote_is_fatal() {
        let mut s = CsvSource::new(&b"a\n\"open,b\n"[..], None).expect("source");
        let mut raw = RawRow::default();
        assert!(s.next_row(&mut raw).expect("row 1"));
        let e = s.next_row(&mut raw).expect_err("fatal");
        assert_eq!(e.row, 2);
        assert!(e.reason.contains("not closed"), "{e}");
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
                "bad encoding: not valid UTF-8 text (the file was detected as UTF-8)".to_string()
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
                "bad encoding: not valid GBK text (the file was detected as GBK)".to_string()
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
}
