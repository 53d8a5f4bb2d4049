//! The fuzz targets: every parser of bytes that come from outside, as a function of a byte slice
//! that must return (never panic, never hang, never take unbounded memory) and keep the
//! properties written beside it — parse, print, parse again gives the same value; reading a
//! bank's return file twice changes nothing the second time; a file read from memory and from a
//! stream gives the same verdict.
//!
//! Two drivers use [`TARGETS`]:
//! - `tests/corpus.rs` replays every input kept in `fuzz/corpus/<target>/` through its target in
//!   the normal build (no instrumentation), so a crash once found stays fixed;
//! - `fuzz/` (a workspace of its own, never built by `cargo build --workspace`) links them into
//!   one libFuzzer binary built with the stable sanitizer-coverage flags; `tests/fuzz.rs` runs
//!   each target for a few seconds in the suite and `scripts/fuzz SECONDS` runs them longer and
//!   keeps what they found (`docs/FUZZING.md`).
//!
//! What is not reached here: the web forms' own field helpers inside `tc-server` (building that
//! crate with instrumentation would be a second cold build of the whole tree); their bytes go
//! through the `tc-core` parsers below, which are. The transfer exchange documents are read in
//! `tc-core::exchange`, target `exchange`.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::OnceLock;
use tongchou_bank::{
    AccountNumber, Bic, Cnaps, Debtor, EndToEndId, IssuedSet, Payment, PaymentBatch, PaymentKey,
    read_pain002, read_return_csv, read_return_file,
};
use tongchou_core::anchor::Anchor;
use tongchou_core::{CreditCode, Date, Fen, IdNumber, Period, Ratio, RegionCode, Timestamp};
use tongchou_import::{
    AliveRecord, Collection, ControlTotal, DeathRecord, Declaration, Employer, ImportError, Kind,
    LegacyArrear, LegacyInsured, LegacyPensioner, LegacyYear, Options, Person, Record, Records,
    RollPayment, TransferRequest,
};

/// A fuzz target: its name (the corpus folder `fuzz/corpus/<name>`), what it reaches, the
/// largest input the fuzzer makes for it, and the function.
pub struct Target {
    pub name: &'static str,
    pub reaches: &'static str,
    pub max_len: usize,
    pub run: fn(&[u8]),
}

/// Every target. The three import targets run the same function (every kind over the file)
/// from different seeds: CSV files in UTF-8 and GBK, workbooks, the cities' legacy files.
pub const TARGETS: &[Target] = &[
    Target {
        name: "import_csv",
        reaches: "tc-import: CSV (UTF-8/GBK) of every kind",
        max_len: 4096,
        run: import,
    },
    Target {
        name: "import_xlsx",
        reaches: "tc-import: XLSX workbooks (zip, XML, shared strings)",
        max_len: 16384,
        run: import,
    },
    Target {
        name: "import_legacy",
        reaches: "tc-import::legacy: the cities' migration files",
        max_len: 4096,
        run: import,
    },
    Target {
        name: "bank_pain002",
        reaches: "tc-bank: pain.002 returns, reconciliation",
        max_len: 8192,
        run: bank_return,
    },
    Target {
        name: "bank_return_csv",
        reaches: "tc-bank: CSV returns, reconciliation",
        max_len: 4096,
        run: bank_return,
    },
    Target {
        name: "ids",
        reaches: "tc-core/tc-bank: ID numbers (18 and 15), credit codes, region codes, bank ids, chain anchors",
        max_len: 64,
        run: ids,
    },
    Target {
        name: "amounts",
        reaches: "tc-core: amounts (plain and grouped), ratios",
        max_len: 64,
        run: amounts,
    },
    Target {
        name: "dates",
        reaches: "tc-core: dates, months, compact dates, timestamps",
        max_len: 32,
        run: dates,
    },
    Target {
        name: "exchange",
        reaches: "tc-core::exchange: the transfer platform's certificate and confirmation documents (JSON), the certificate's figures checked against the money",
        max_len: 4096,
        run: exchange,
    },
    Target {
        name: "forms",
        reaches: "a url-encoded form body decoded as axum does, each field through the field parsers",
        max_len: 1024,
        run: forms,
    },
];

/// The target of that name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// The fixed "today" of every target (birth dates and periods after it are refused).
pub fn today() -> Date {
    Date::from_days_since_epoch(20_454) // 2026-01-01
}

/// An import file: every kind reads it (most refuse the header at once), from memory and as a
/// stream, with the same verdict.
pub fn import(data: &[u8]) {
    let opts = Options::new(today());
    for kind in Kind::ALL {
        import_kind(kind, data, opts);
    }
    history_in_pieces(data);
}

/// A history file read in pieces (the dedicated reader of plain rows first, the general reader
/// for a piece it does not take) gives what one general reading gives: the same records, the
/// same problems, the same counts.
fn history_in_pieces(data: &[u8]) {
    let mut opts = Options::new(today());
    opts.detect_duplicates = false;
    let verdict = |r: Result<(), ImportError>| match r {
        Ok(()) => None,
        Err(ImportError::Rejected(r)) => Some((r.errors, r.error_total, r.rejected_rows, r.rows)),
        Err(e) => Some((Vec::new(), 0, 0, e.to_string().len() as u64)),
    };
    let whole = match Records::<LegacyYear>::from_bytes(data, opts) {
        Ok(mut records) => {
            let got: Vec<LegacyYear> = records.by_ref().flatten().collect();
            (got, verdict(records.finish().map(|_| ())))
        }
        Err(e) => (Vec::new(), verdict(Err(e))),
    };
    for piece in [64, 512] {
        let mut got = Vec::new();
        let r =
            tongchou_import::parallel::for_each_in_pieces::<LegacyYear>(data, opts, piece, |r| {
                got.push(r)
            });
        assert!(
            whole == (got, verdict(r)),
            "pieces of {piece} read otherwise than the whole file"
        );
    }
}

fn import_kind(kind: Kind, data: &[u8], opts: Options<'_>) {
    match kind {
        Kind::Persons => import_as::<Person>(data, opts),
        Kind::Employers => import_as::<Employer>(data, opts),
        Kind::Declarations => import_as::<Declaration>(data, opts),
        Kind::Collections => import_as::<Collection>(data, opts),
        Kind::DeathRecords => import_as::<DeathRecord>(data, opts),
        Kind::PaymentRolls => import_as::<RollPayment>(data, opts),
        Kind::AliveRecords => import_as::<AliveRecord>(data, opts),
        Kind::LegacyInsured => import_as::<LegacyInsured>(data, opts),
        Kind::LegacyHistory => import_as::<LegacyYear>(data, opts),
        Kind::LegacyPensioners => import_as::<LegacyPensioner>(data, opts),
        Kind::LegacyArrears => import_as::<LegacyArrear>(data, opts),
        Kind::LegacyControls => import_as::<ControlTotal>(data, opts),
        Kind::TransferRequests => import_as::<TransferRequest>(data, opts),
    }
}

/// What a reading came to: `Ok` with rows and fingerprint, or the refusal's rendering.
type Verdict = Result<(u64, String), String>;

fn import_as<T: Record>(data: &[u8], opts: Options<'_>) {
    let Ok(records) = Records::<T>::from_bytes(data, opts) else {
        return;
    };
    let from_memory = drain(records);
    let streamed = Records::<T>::from_stream(Cursor::new(data), Some(data.len() as u64), opts)
        .map_err(|e| e.to_string())
        .map(drain);
    match streamed {
        Ok(v) => assert_eq!(from_memory, v, "memory and stream disagree"),
        Err(e) => panic!("the stream refused at the header what memory accepted: {e}"),
    }
}

/// Read every row, then the verdict; a file that passes yielded no bad row.
fn drain<T: Record>(mut records: Records<'_, T>) -> Verdict {
    let mut bad_rows = 0u64;
    for r in records.by_ref() {
        if let Err(problems) = r {
            bad_rows += 1;
            assert!(!problems.is_empty(), "a bad row names its problems");
            for p in &problems {
                let _ = p.to_string();
            }
        }
    }
    match records.finish() {
        Ok(s) => {
            assert_eq!(bad_rows, 0, "a file with bad rows passed");
            Ok((s.rows, s.fingerprint.to_string()))
        }
        Err(ImportError::Rejected(r)) => Err(r.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The payments the bank fixtures answer (`crates/tc-bank/tests/fixtures`): batch
/// TC1401052020010001, five payees of 小店区 in January 2020.
fn issued() -> &'static IssuedSet {
    static SET: OnceLock<IssuedSet> = OnceLock::new();
    SET.get_or_init(|| {
        let batch = fixture_batch().expect("the fixture batch is valid");
        IssuedSet::from_batches(&[batch]).expect("the fixture batch makes an issued set")
    })
}

fn fixture_batch() -> Option<PaymentBatch> {
    let county = RegionCode::new(140_105).ok()?;
    let period = Period::new(2020, 1).ok()?;
    let payees = [
        ("P001", "张三", "6222020200000000011", 312_050),
        ("P002", "李四 & 王五 <代领>", "6222020200000000029", 280_000),
        ("P003", "O'Brien \"Jr\"", "6222020200000000037", 150_075),
        ("P004", "欧阳娜娜", "6222020200000000045", 99),
        ("P005", "赵六", "6222020200000000052", 420_000),
    ];
    let mut payments = Vec::new();
    for (payee, name, account, fen) in payees {
        let key = PaymentKey {
            county,
            period,
            item: "BP",
            payee,
            attempt: 0,
        };
        let e2e = EndToEndId::derive(&key).ok()?;
        let account = AccountNumber::parse(account).ok()?;
        let text = "2020-01 基本养老金";
        payments.push(Payment::new(e2e, name, account, None, Fen::new(fen), text).ok()?);
    }
    let created = tongchou_bank::DateTime::new(Date::new(2020, 1, 12).ok()?, 9, 30, 0).ok()?;
    let debtor = Debtor::synthetic(county, "太原市小店区社会保险事业管理中心").ok()?;
    let exec = Date::new(2020, 1, 15).ok()?;
    PaymentBatch::new(county, period, 1, created, exec, debtor, payments).ok()
}

/// A bank's return file (the web page and the CLI refuse what is not UTF-8): both readers, then
/// the reconciliation against the fixture batch; applied once, reading it again changes nothing.
pub fn bank_return(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = read_pain002(text).map_err(|e| e.to_string());
    let _ = read_return_csv(text).map_err(|e| e.to_string());
    let file = match read_return_file(text) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut set = issued().clone();
    let rec = set.reconcile(&file);
    let _ = rec.to_string();
    set.apply(&rec)
        .expect("a reconciliation applies to the set it was made from");
    let again = set.reconcile(&file);
    assert!(!again.changed(), "reading the file again changed:\n{again}");
}

/// Text as a form or a decoded CSV cell carries it.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Identifiers: what parses prints back to itself and parses again to the same value.
pub fn ids(data: &[u8]) {
    id_fields(&text(data));
}

fn id_fields(s: &str) {
    let today = today();
    if let Ok(id) = IdNumber::parse(s, today) {
        assert_eq!(IdNumber::parse(id.as_str(), today), Ok(id), "{s:?}");
        assert!(id.birth() <= today);
        let _ = (id.masked(), id.sex(), id.address_code());
        let t = s.trim();
        if t.len() == 15 {
            // the legacy number upgraded: century 19 inserted, check character computed
            assert_eq!(&id.as_str()[..6], &t[..6]);
            assert_eq!(&id.as_str()[6..8], "19");
            assert_eq!(&id.as_str()[8..17], &t[6..15]);
        }
    }
    if let Ok(c) = CreditCode::parse(s) {
        assert_eq!(CreditCode::parse(c.as_str()), Ok(c), "{s:?}");
    }
    if let Ok(r) = s.parse::<RegionCode>() {
        assert_eq!(r.to_string().parse::<RegionCode>(), Ok(r), "{s:?}");
    }
    if let Ok(b) = Bic::parse(s) {
        assert_eq!(Bic::parse(b.as_str()).ok(), Some(b), "{s:?}");
    }
    if let Ok(c) = Cnaps::parse(s) {
        assert_eq!(Cnaps::parse(c.as_str()).ok(), Some(c), "{s:?}");
    }
    if let Ok(a) = AccountNumber::parse(s) {
        assert_eq!(AccountNumber::parse(a.as_str()).ok(), Some(a), "{s:?}");
    }
    if let Ok(e) = EndToEndId::from_stored(s) {
        assert_eq!(EndToEndId::from_stored(e.as_str()).ok(), Some(e), "{s:?}");
    }
    if let Ok(a) = s.parse::<Anchor>() {
        assert_eq!(a.to_string().parse::<Anchor>(), Ok(a), "{s:?}");
    }
}

/// Amounts and ratios: what parses prints (plainly and grouped, "1,234.56") and parses back to
/// the same value; and every amount at all (the first 8 bytes as fen) prints to text that does.
pub fn amounts(data: &[u8]) {
    if let Some(head) = data.first_chunk::<8>() {
        fen_round_trip(Fen::new(i64::from_le_bytes(*head)));
    }
    amount_fields(&text(data));
}

fn amount_fields(s: &str) {
    if let Ok(f) = s.parse::<Fen>() {
        fen_round_trip(f);
    }
    if let Ok(f) = Fen::parse_grouped(s) {
        fen_round_trip(f);
    }
    if let Ok(r) = s.parse::<Ratio>() {
        assert_eq!(r.to_string().parse::<Ratio>(), Ok(r), "{s:?}");
        let _ = r.as_percent_string();
    }
}

fn fen_round_trip(f: Fen) {
    assert_eq!(f.to_string().parse::<Fen>(), Ok(f), "plain {f}");
    assert_eq!(
        Fen::parse_grouped(&f.grouped()),
        Ok(f),
        "grouped {}",
        f.grouped()
    );
    assert_eq!(
        Fen::parse_grouped(&format!("{} 元", f.grouped())),
        Ok(f),
        "with the unit"
    );
}

/// Dates and months: what parses prints back to itself.
pub fn dates(data: &[u8]) {
    date_fields(&text(data));
}

fn date_fields(s: &str) {
    if let Ok(d) = s.parse::<Date>() {
        assert_eq!(d.to_string().parse::<Date>(), Ok(d), "{s:?}");
        assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d);
        let _ = d.period();
    }
    if let Ok(p) = s.parse::<Period>() {
        assert_eq!(p.to_string().parse::<Period>(), Ok(p), "{s:?}");
        assert_eq!(Period::from_index(p.index()), p);
        let _ = (p.first_day(), p.last_day());
    }
    if let Ok(d) = Date::parse_compact(s) {
        assert_eq!(d.to_string().parse::<Date>(), Ok(d), "{s:?}");
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t), "{s:?}");
        let _ = t.date_china();
    }
}

/// A url-encoded form body, decoded as axum's `Form<HashMap<String, String>>` does (the last
/// of a repeated field wins), each field trimmed as `forms::text` does and given to every field
/// parser the pages use.
pub fn forms(data: &[u8]) {
    let fields: HashMap<String, String> = form_urlencoded::parse(data).into_owned().collect();
    for (k, v) in &fields {
        let _ = k.trim();
        let v = v.trim();
        id_fields(v);
        amount_fields(v);
        date_fields(v);
    }
}

/// A transfer exchange document: read as a certificate and as a confirmation. A certificate that
/// is read prints to a document that reads back the same, and its figures are compared with any
/// amount without panicking (overflow included), the money adding exactly one disagreement when
/// it differs from the total; a confirmation that is read is addressed to the province asked for
/// and prints back to the same value.
pub fn exchange(data: &[u8]) {
    use tongchou_core::exchange::{
        certificate_bytes, confirmation_bytes, disagreements, parse_certificate, parse_confirmation,
    };
    if let Ok(c) = parse_certificate(data) {
        let again =
            parse_certificate(&certificate_bytes(&c)).expect("a read certificate reads back");
        assert_eq!(again, c);
        let share: Ratio = "0.12".parse().expect("ratio");
        let head = data.first_chunk::<8>().copied().unwrap_or([0; 8]);
        let received = Fen::new(i64::from_le_bytes(head));
        let agree = disagreements(&c, c.total, share, 1998).len();
        let differ = disagreements(&c, received, share, 1998).len();
        assert_eq!(differ, agree + usize::from(received != c.total));
    }
    for province in [140_000, 110_000] {
        if let Ok(c) = parse_confirmation(data, province) {
            assert_eq!(c.from_province, province);
            let back = parse_confirmation(&confirmation_bytes(&c), province).expect("reads back");
            assert_eq!(back, c);
        }
    }
}
