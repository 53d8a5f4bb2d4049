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
