//! A large history file read on several threads (`tongchou_import::parallel::for_each`) gives
//! the same records, in the same order with the same rows, and the same problems as one reading
//! of the whole file, UTF-8 or GBK, with LF or CRLF line ends, blank lines and bad rows across the pieces; a
//! file that cannot be cut (a quote) is read whole.

use tongchou_core::Date;
use tongchou_import::{ImportError, LegacyYear, Options, Records, RowError, parallel};

const HEADER: &str = "身份证号,年度,缴费月数,缴费基数,缴费指数,个人账户记账额";

fn id(n: u64) -> String {
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!(
        "1401051970{:02}{:02}{:03}",
        n % 12 + 1,
        n % 28 + 1,
        n % 999 + 1
    );
    let s: u32 = body
        .bytes()
        .zip(w)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    let check = b"10X98765432"[(s % 11) as usize] as char;
    format!("{body}{check}")
}

fn file(rows: u64, eol: &str) -> Vec<u8> {
    let mut s = format!("{HEADER}{eol}");
    for i in 0..rows {
        let months = if i % 4_000 == 7 { 13 } else { 12 };
        if i % 5_000 == 3 {
            s.push_str(eol);
        }
        let person = i / 10 + 1;
        s.push_str(&format!(
            "{},{},{months},3000.00,1.0000,720.00{eol}",
            id(person),
            1990 + (i % 10)
        ));
    }
    s.into_bytes()
}

fn opts() -> Options<'static> {
    let mut o = Options::new(Date::new(2020, 1, 10).expect("d"));
    o.detect_duplicates = false;
    o.error_limit = 5;
    o
}

type Read = (
    Vec<(u64, String, i32)>,
    Option<(Vec<RowError>, u64, u64, u64)>,
);

fn outcome(r: Result<(), ImportError>) -> Option<(Vec<RowError>, u64, u64, u64)> {
    match r {
        Ok(()) => None,
        Err(ImportError::Rejected(r)) => Some((r.errors, r.error_total, r.rejected_rows, r.rows)),
        Err(e) => panic!("{e:?}"),
    }
}

fn sequential(bytes: &[u8]) -> Read {
    let mut records = Records::<LegacyYear>::from_bytes(bytes, opts()).expect("open");
    let got = records
        .by_ref()
        .flatten()
        .map(|r| (r.row, r.id_number.as_str().to_string(), r.year))
        .collect();
    (got, outcome(records.finish().map(|_| ())))
}

fn in_parallel(bytes: &[u8]) -> Read {
    let mut got = Vec::new();
    let r = parallel::for_each_in_pieces::<LegacyYear>(bytes, opts(), 64 << 10, |r| {
        got.push((r.row, r.id_number.as_str().to_string(), r.year))
    });
    (got, outcome(r))
}

#[test]
fn pieces_read_as_the_whole_file() {
    for (eol, gbk) in [("\n", false), ("\r\n", false), ("\r\n", true)] {
        let mut bytes = file(25_000, eol);
        if gbk {
            let text = String::from_utf8(bytes).expect("utf-8");
            bytes = encoding_rs::GBK.encode(&text).0.into_owned();
        }
        assert!(bytes.len() > 16 * (64 << 10), "many pieces");
        let (a, b) = (sequential(&bytes), in_parallel(&bytes));
        assert_eq!(a.0.len(), b.0.len());
        assert!(a.0 == b.0, "records differ");
        let (ea, eb) = (a.1.expect("bad rows"), b.1.expect("bad rows"));
        assert_eq!(ea.1, 7, "every bad row counted");
        assert_eq!(ea.0.len(), 5, "the first five kept");
        assert_eq!(ea, eb);
    }
}

#[test]
fn a_file_with_quotes_is_read_whole() {
    let mut bytes = file(1_000, "\n");
    bytes.extend_from_slice(
        format!("\"{}\",1999,12,3000.00,1.0000,720.00\n", id(99_999)).as_bytes(),
    );
    assert_eq!(sequential(&bytes), in_parallel(&bytes));
}

/// Everything a reading gives: every record whole, and the outcome.
type Full = (Vec<LegacyYear>, Option<(Vec<RowError>, u64, u64, u64)>);

fn sequential_full(bytes: &[u8]) -> Full {
    match Records::<LegacyYear>::from_bytes(bytes, opts()) {
        Ok(mut records) => {
            let got = records.by_ref().flatten().collect();
            (got, outcome(records.finish().map(|_| ())))
        }
        Err(e) => (Vec::new(), outcome(Err(e))),
    }
}

fn pieces_full(bytes: &[u8], piece: usize) -> Full {
    let mut got = Vec::new();
    let r = parallel::for_each_in_pieces::<LegacyYear>(bytes, opts(), piece, |r| got.push(r));
    (got, outcome(r))
}

/// A small deterministic generator (no dependency): xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The dedicated reader of the history's plain rows and the general reader agree, record for
/// record and problem for problem, on a good file and on thousands of broken ones: bytes
/// replaced, inserted or removed (separators, line ends, quotes, spaces, letters, digits, a
/// 15-digit ID, UTF-8 and GBK text), in UTF-8 and GBK, cut in small pieces.
#[test]
fn the_dedicated_reader_agrees_with_the_general_one() {
    const NOISE: &[&[u8]] = &[
        b",",
        b"\n",
        b"\r",
        b"\r\n",
        b" ",
        b"\t",
        b"\"",
        b"x",
        b"X",
        b"0",
        b"9",
        b"-",
        b".",
        b"1.5",
        b"13",
        b"0",
        b"1950",
        b"2021",
        b"",
        b"140105700101011",
        "中".as_bytes(),
        b"\xd6\xd0",
        b"\xff",
        b"=1+1",
        b",,",
    ];
    let base = file(300, "\n");
    let (ok, none) = sequential_full(&base);
    assert!(none.is_some(), "the base file has its bad rows");
    assert_eq!(pieces_full(&base, 200), (ok, none));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..600 {
        let mut bytes = if round % 3 == 0 {
            let text = String::from_utf8(base.clone()).expect("utf-8");
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            base.clone()
        };
        for _ in 0..1 + rng.below(4) {
            let at = HEADER.len() + 1 + rng.below(bytes.len() - HEADER.len() - 1);
            let noise = NOISE[rng.below(NOISE.len())];
            match rng.below(3) {
                0 => {
                    bytes.splice(at..at, noise.iter().copied());
                }
                1 => {
                    let end = (at + 1 + rng.below(3)).min(bytes.len());
                    bytes.splice(at..end, noise.iter().copied());
                }
                _ => {
                    let end = (at + 1 + rng.below(20)).min(bytes.len());
                    bytes.drain(at..end);
                }
            }
        }
        let piece = 64 + rng.below(900);
        let a = sequential_full(&bytes);
        let b = pieces_full(&bytes, piece);
        assert!(
            a == b,
            "round {round}, pieces of {piece}: the readings differ\n{:?}\n{:?}",
            a.1,
            b.1
        );
    }
}
