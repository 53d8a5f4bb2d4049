//! Reading a large CSV file on several threads ([`for_each`]): the file is cut at line feeds
//! into pieces, each piece read by [`Records`] behind the file's header on a thread of its own
//! while the caller takes the records of the pieces before it, in the file's order, with the
//! rows numbered as in the whole file. A file is only cut where every piece reads exactly as
//! the whole would: every piece decides the encoding as the whole file does ([`splittable`]),
//! no quote (no field spans lines), no carriage return but before a line feed, a header on the
//! first line, the reader's duplicate check off (it needs every row's key in one table).
//! Any other file is read on the caller's thread.
//!
//! A kind with a dedicated reader of plain rows (the contribution history, `Parse::plain`)
//! has each piece read by it first: ASCII lines split at commas, the fields through the same
//! value parsers, no row machinery, no copy of the text, no SHA-256 (the caller takes the
//! file's fingerprint once). A piece with any line that reader does not take — not plain, or
//! with any problem — is read again by the general reader, which names the problems; so the
//! records and the findings are the general reader's in every case.

use crate::columns::Header;
use crate::{ImportError, Options, Record, Records, Rejection, RowError};
use std::io::{Cursor, Read};
use tongchou_core::Date;

/// Bytes of a piece: small enough that a group of pieces' records stay small in memory.
const PIECE_BYTES: usize = 4 << 20;

/// Whether `bytes` may be cut at its line feeds (see the module documentation). Each piece is
/// read behind the header, so it decides its encoding as the whole file does when the whole file
/// is UTF-8 (every piece then is) or its header alone is not (every piece's first bytes then
/// are not either: GBK).
fn splittable(bytes: &[u8]) -> bool {
    let Some(header_end) = memchr::memchr(b'\n', bytes) else {
        return false;
    };
    !matches!(bytes[0], b'\n' | b'\r')
        && memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'))
        && (std::str::from_utf8(bytes).is_ok()
            || std::str::from_utf8(&bytes[..header_end]).is_err())
}

/// The pieces after the header line: (start, end) offsets, each ending after a line feed (the
/// last at the end of the file).
fn pieces(bytes: &[u8], from: usize, size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = from;
    while start < bytes.len() {
        let want = start + size.max(1);
        let end = if want >= bytes.len() {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[want..]).map_or(bytes.len(), |i| want + i + 1)
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// What one piece held.
struct Piece<T> {
    records: Vec<T>,
    errors: Vec<RowError>,
    error_total: u64,
    rejected_rows: u64,
    rows: u64,
}

/// A piece read by the kind's dedicated reader of plain rows (`Parse::plain`): `None` as soon
/// as a line is not plain (not ASCII, not as many fields as the header, a value in an unnamed
/// column, blank) or does not parse without a problem — the general reader then reads the
/// piece and names what is wrong, so the findings are the general reader's.
fn read_plain<T: Record>(
    body: &[u8],
    first_row: u64,
    header: &Header,
    today: Date,
) -> Option<Piece<T>> {
    let width = header.names.len();
    let unnamed: Vec<usize> = (0..width).filter(|&i| header.names[i].is_empty()).collect();
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let mut records: Vec<T> = Vec::with_capacity(body.len() / 40);
    let mut start = 0;
    let mut row = first_row;
    while start < body.len() {
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |i| start + i);
        let mut line = &body[start..end];
        start = end + 1;
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        if !line.is_ascii() {
            return None;
        }
        let text = std::str::from_utf8(line).ok()?;
        fields.clear();
        fields.extend(text.split(','));
        if fields.len() != width
            || unnamed.iter().any(|&i| !fields[i].trim().is_empty())
            || fields.iter().all(|f| f.trim().is_empty())
        {
            return None;
        }
        let r = T::plain(&fields, &header.position, today, row, records.last())?;
        records.push(r);
        row += 1;
    }
    Some(Piece {
        rows: records.len() as u64,
        records,
        errors: Vec::new(),
        error_total: 0,
        rejected_rows: 0,
    })
}

fn read_piece<T: Record>(
    (header, plain, how): (&[u8], Option<&Header>, Reading),
    body: &[u8],
    first_row: u64,
    opts: Options<'_>,
) -> Piece<T> {
    if let Some(p) = plain.and_then(|h| read_plain(body, first_row, h, opts.today)) {
        return p;
    }
    let input = Cursor::new(header).chain(Cursor::new(body));
    let mut out = Piece {
        records: Vec::new(),
        errors: Vec::new(),
        error_total: 0,
        rejected_rows: 0,
        rows: 0,
    };
    // the pieces' own fingerprints are not wanted: the file's is the caller's, taken once
    // (but for a measurement of the reading as it was)
    let source = crate::csv::CsvSource::new(input, None).map(|s| match how {
        Reading::Dedicated => s.unhashed(),
        Reading::General => s,
    });
    let records = source
        .map_err(crate::open_error)
        .and_then(|s| Records::<T>::start(Box::new(s), opts));
    let mut records = match records {
        Ok(r) => r.starting_at(first_row),
        Err(e) => {
            // the header read alone before: only an I/O error of memory could come here
            out.errors.push(RowError::file(tongchou_core::tr!(
                "import-err-io",
                error = format!("{e:?}")
            )));
            out.error_total = 1;
            return out;
        }
    };
    out.records.extend(records.by_ref().flatten());
    match records.finish() {
        Ok(s) => out.rows = s.rows,
        Err(ImportError::Rejected(r)) => {
            out.errors = r.errors;
            out.error_total = r.error_total;
            out.rejected_rows = r.rejected_rows;
            out.rows = r.rows;
        }
        Err(ImportError::Io(e)) => {
            out.errors.push(RowError::file(tongchou_core::tr!(
                "import-err-io",
                error = e
            )));
            out.error_total = 1;
        }
    }
    out
}

/// Read `bytes` (a file of `T`s) handing every good record to `f` in the file's order, on
/// several threads where the file allows it (see the module documentation); `Ok` if the whole
/// file is good, else the rejection as [`Records::finish`] gives it (the first
/// `opts.error_limit` problems in row order, all counted).
pub fn for_each<T: Record + Send>(
    bytes: &[u8],
    opts: Options<'_>,
    f: impl FnMut(T),
) -> Result<(), ImportError> {
    for_each_in_pieces(bytes, opts, PIECE_BYTES, f)
}

/// [`for_each`] with pieces of about `piece_bytes` (tests cut small files in many pieces).
#[doc(hidden)]
pub fn for_each_in_pieces<T: Record + Send>(
    bytes: &[u8],
    opts: Options<'_>,
    piece_bytes: usize,
    f: impl FnMut(T),
) -> Result<(), ImportError> {
    for_each_read(bytes, opts, (piece_bytes, Reading::Dedicated), f)
}

/// How the pieces are read (for measurements: `examples/bench.rs history`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The kind's dedicated reader of plain rows first, no SHA-256 of the pieces (what
    /// [`for_each`] does).
    Dedicated,
    /// Every piece by the general reader, each piece's SHA-256 taken (as before the dedicated
    /// reader).
    General,
}

/// [`for_each_in_pieces`], the pieces read as `how` says.
#[doc(hidden)]
pub fn for_each_read<T: Record + Send>(
    bytes: &[u8],
    opts: Options<'_>,
    (piece_bytes, how): (usize, Reading),
    mut f: impl FnMut(T),
) -> Result<(), ImportError> {
    let dedicated = T::PLAIN && how == Reading::Dedicated;
    // the header (and the file as a whole) checked as a sequential reading checks it
    let mut whole = Records::<T>::from_bytes(bytes, opts)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if opts.detect_duplicates || (threads < 2 && !dedicated) || !splittable(bytes) {
        for r in whole.by_ref().flatten() {
            f(r);
        }
        return whole.finish().map(|_| ());
    }
    // a CSV file (splittable): its header as the dedicated reader needs it
    let plain = dedicated.then(|| whole.header.clone());
    drop(whole);
    let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
    let header = &bytes[..header_end];
    let all = pieces(bytes, header_end, piece_bytes);
    // rows before each piece: the line feeds before it
    let mut first_rows = Vec::with_capacity(all.len());
    let mut lines = 0u64;
    let mut at = 0;
    for &(start, _) in &all {
        lines += memchr::memchr_iter(b'\n', &bytes[at..start]).count() as u64;
        first_rows.push(lines + 1);
        at = start;
    }
    let mut total = Rejection {
        errors: Vec::new(),
        error_total: 0,
        rejected_rows: 0,
        rows: 0,
    };
    let mut take = |p: Piece<T>, total: &mut Rejection| {
        for r in p.records {
            f(r);
        }
        let room = opts.error_limit.saturating_sub(total.errors.len());
        total.errors.extend(p.errors.into_iter().take(room));
        total.error_total += p.error_total;
        total.rejected_rows += p.rejected_rows;
        total.rows += p.rows;
    };
    let groups: Vec<Vec<usize>> = (0..all.len())
        .collect::<Vec<_>>()
        .chunks(threads)
        .map(<[usize]>::to_vec)
        .collect();
    let mut ready: Vec<Piece<T>> = Vec::new();
    for group in &groups {
        // the group read on its threads while the caller takes the group before it
        let read = std::thread::scope(|s| {
            let handles: Vec<_> = group
                .iter()
                .map(|&i| {
                    let (a, b) = all[i];
                    let first = first_rows[i];
                    let plain = plain.as_ref();
                    // the caller's language carried onto the reading thread
                    let lang = tongchou_core::i18n::current();
                    s.spawn(move || {
                        tongchou_core::i18n::scope(lang, || {
                            read_piece::<T>((header, plain, how), &bytes[a..b], first, opts)
                        })
                    })
                })
                .collect();
            for p in ready.drain(..) {
                take(p, &mut total);
            }
            handles
                .into_iter()
                .map(|h| h.join())
                .collect::<Result<Vec<_>, _>>()
        });
        ready =
            read.map_err(|_| ImportError::Io(std::io::Error::other("a reading thread failed")))?;
    }
    for p in ready.drain(..) {
        take(p, &mut total);
    }
    if total.error_total > 0 {
        return Err(ImportError::Rejected(total));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_after_line_feeds_and_cover_the_file() {
        let line = b"0123456789abcdef\n";
        let mut bytes = b"h1,h2\n".to_vec();
        while bytes.len() < 3 * PIECE_BYTES {
            bytes.extend_from_slice(line);
        }
        bytes.extend_from_slice(b"last");
        let p = pieces(&bytes, 6, PIECE_BYTES);
        assert!(p.len() >= 3);
        assert_eq!(p[0].0, 6);
        assert_eq!(p.last().map(|x| x.1), Some(bytes.len()));
        for w in p.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(bytes[w[0].1 - 1], b'\n');
        }
    }

    /// The dedicated reader takes a piece of plain good rows (CRLF too) and hands any other
    /// to the general reader: a bad value, a blank line, non-ASCII text, a field too many.
    #[test]
    fn the_plain_reader_takes_plain_good_rows_only() {
        use crate::{LegacyYear, Records};
        let today = Date::new(2020, 1, 10).expect("d");
        let head = "年度,身份证号,缴费月数,缴费基数,缴费指数,个人账户记账额,\n";
        let whole = format!("{head}2005,140105195801010112,12,3000,1.2,100,\n");
        let r = Records::<LegacyYear>::from_bytes(whole.as_bytes(), Options::new(today))
            .expect("header");
        let header = r.header.clone();
        let plain = |body: &str| read_plain::<LegacyYear>(body.as_bytes(), 2, &header, today);
        let p = plain("2005,140105195801010112,12,3000,1.2,100,\r\n2006, 140105195801010112 ,12,3000.50,1.2,100,")
            .expect("plain");
        assert_eq!(p.rows, 2);
        assert_eq!((p.records[1].row, p.records[1].year), (3, 2006));
        assert_eq!(p.records[1].base, tongchou_core::Fen::new(300_050));
        for other in [
            "2005,140105195801010112,13,3000,1.2,100,\n",
            "2005,140105195801010112,12,3000,1.2,100,\n\n",
            "2005,140105195801010112,12,3000,1.2,100,x\n",
            "2005,140105195801010112,12,3000,1.2,100\n",
            "2005,14010519580101011X,12,3000,1.2,100,\n",
            "2005,140105195801010112,12,3000,１.2,100,\n",
            "2005,140105580101011,12,3000,1.2,100,\n",
        ] {
            let p = plain(other);
            if other.contains("580101011,") {
                // a 15-digit ID number is plain: upgraded and said so, as the general reader does
                assert!(p.is_some_and(|p| p.records[0].id_upgraded), "{other}");
            } else {
                assert!(p.is_none(), "{other}");
            }
        }
    }

    #[test]
    fn only_plain_files_are_cut() {
        assert!(splittable(b"a,b\r\n1,2\r\n"));
        assert!(!splittable(b"a,b\r1,2\r"));
        assert!(!splittable(b"a,b\n\"1\n2\",3\n"));
        assert!(splittable("a,b\n王,2\n".as_bytes()));
        assert!(splittable("姓名,b\n1,2\n".as_bytes()));
        let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
        assert!(splittable(&gbk("姓名,b\n王,2\n")));
        // an ASCII header before GBK rows: a piece might decide otherwise than the whole
        assert!(!splittable(&gbk("a,b\n王,2\n")));
        assert!(!splittable(b"a,b"));
        assert!(!splittable(b"\na,b\n"));
    }
}
