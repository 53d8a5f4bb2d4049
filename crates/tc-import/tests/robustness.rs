//! Arbitrary damage to good files never panics the reader: every outcome is records or a
//! rejection with reasons.

use proptest::prelude::*;
use tongchou_core::Date;
use tongchou_import::{Collection, ImportError, Options, Person, Record, read_all};

fn corpus(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read(path).expect("corpus file")
}

fn opts() -> Options<'static> {
    Options::new(Date::new(2026, 11, 27).expect("date"))
}

/// Read damaged bytes; a rejection must carry at least one reason.
fn read<T: Record>(bytes: &[u8]) -> Result<usize, TestCaseError> {
    match read_all::<T>(bytes, opts()) {
        Ok((records, summary)) => {
            prop_assert_eq!(records.len() as u64, summary.rows);
            Ok(records.len())
        }
        Err(ImportError::Rejected(r)) => {
            prop_assert!(!r.errors.is_empty());
            prop_assert!(r.error_total >= r.errors.len() as u64);
            Ok(0)
        }
        Err(ImportError::Io(e)) => Err(TestCaseError::fail(format!("I/O error from memory: {e}"))),
    }
}

fn damage(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for &(at, b) in edits {
        let n = bytes.len();
        if n > 0 {
            bytes[at % n] = b;
        }
    }
    let keep = bytes.len() - cut % (bytes.len() / 4 + 1);
    bytes.truncate(keep);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn damaged_csv(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6), cut in any::<usize>()) {
        read::<Person>(&damage(corpus("persons_ok_gbk.csv"), &edits, cut))?;
        read::<Collection>(&damage(corpus("collections_bad.csv"), &edits, cut))?;
    }

    #[test]
    fn damaged_xlsx(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4), cut in any::<usize>()) {
        read::<Person>(&damage(corpus("persons_openpyxl.xlsx"), &edits, cut))?;
    }

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read::<Person>(&bytes)?;
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        read::<Person>(&zip)?;
    }
}

#[test]
fn undamaged_files_read() {
    assert_eq!(read::<Person>(&corpus("persons_ok_gbk.csv")).ok(), Some(3));
}
