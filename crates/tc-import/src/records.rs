//! The validated records, one type per kind, built from a row only through their parsers
//! ("parse, don't validate"): every field is a domain type of `tongchou-core`.

use crate::columns::{Header, Kind, ccol, dcol, ecol, lcol, pcol, rcol, xcol};
use crate::error::RowError;
use crate::source::RawRow;
use crate::values::{self, Cell};
use std::fmt;
use std::str::FromStr;
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::tr;
use tongchou_core::{CreditCode, Date, Divisions, Fen, IdNumber, Period, RegionCode, Sex};

/// An insured person (参保人员).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The row it came from (the header is row 1).
    pub row: u64,
    pub id_number: IdNumber,
    pub name: String,
    /// From the ID number (a sex column, if given, agreed with it).
    pub sex: Sex,
    /// From the ID number (a birth column, if given, agreed with it).
    pub birth: Date,
    pub category: Category,
    /// The county whose agency handles the person: the code as written, or for a retired code
    /// its current successor, or for a functional zone its city.
    pub county: RegionCode,
    /// The county code as written in the file.
    pub county_as_written: RegionCode,
    /// `Some` for an employee, `None` for a flexibly employed person.
    pub employer: Option<CreditCode>,
    pub payer_kind: PayerKind,
    pub enrolled: Date,
    /// The household registration (户籍所在地, GB/T 2260, any province), when the file gives it:
    /// the temporary contribution account of 国办发〔2009〕66号 depends on it.
    pub household_registration: Option<RegionCode>,
}

/// An employer (参保单位).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Employer {
    pub row: u64,
    pub credit_code: CreditCode,
    pub name: String,
    /// Handling county, as for [`Person::county`].
    pub county: RegionCode,
    pub county_as_written: RegionCode,
    pub industry: Industry,
    pub status: EmployerStatus,
}

/// Who pays a contribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payer {
    /// An employer, for its employee.
    Employer(CreditCode),
    /// The person, flexibly employed (灵活就业), for themselves.
    Flexible,
}

/// A monthly wage declaration (缴费基数申报): the base declared for one person and month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub row: u64,
    pub payer: Payer,
    pub id_number: IdNumber,
    /// As written, if the file has a name column (for checking against the registry).
    pub name: Option<String>,
    pub period: Period,
    /// Declared base, never negative (clamping to the bounds is the assessment's job).
    pub base: Fen,
}

/// One line of the tax bureau's collection results (征收结果): what was actually paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    pub row: u64,
    pub payer: Payer,
    pub id_number: IdNumber,
    pub name: Option<String>,
    pub period: Period,
    /// Amount paid, always positive.
    pub paid: Fen,
    pub paid_on: Date,
    /// Receipt (电子税票号码) or serial number.
    pub receipt: String,
}

/// A death record (死亡信息) as public security or civil affairs reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeathRecord {
    pub row: u64,
    pub id_number: IdNumber,
    /// Not after the day of the import, not before the birth date of the ID number.
    pub died: Date,
    pub source: DeathSource,
}

/// The department that reported a death.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeathSource {
    /// Public security (公安): the household register.
    PublicSecurity,
    /// Civil affairs (民政): cremation and funeral records.
    CivilAffairs,
}

impl DeathSource {
    /// The Chinese name, as the death records store it: 公安 or 民政.
    pub fn chinese(self) -> &'static str {
        match self {
            DeathSource::PublicSecurity => "公安",
            DeathSource::CivilAffairs => "民政",
        }
    }
}

impl FromStr for DeathSource {
    type Err = String;
    /// 公安 / 公安机关 / public_security, 民政 / 民政部门 / civil_affairs.
    fn from_str(s: &str) -> Result<DeathSource, String> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "公安" | "公安机关" | "public_security" => Ok(DeathSource::PublicSecurity),
            "民政" | "民政部门" | "civil_affairs" => Ok(DeathSource::CivilAffairs),
            _ => Err(tr!(
                "import-err-death-source",
                text = format!("{:?}", s.trim())
            )),
        }
    }
}

impl fmt::Display for DeathSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chinese())
    }
}

/// A pensioner seen alive by another department (生存信息): one event of the silent
/// eligibility certification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliveRecord {
    pub row: u64,
    pub id_number: IdNumber,
    /// Not after the day of the import, not before the birth date of the ID number.
    pub seen_on: Date,
    /// The department and event, 1–32 characters on one line.
    pub source: String,
}

/// One line of another payment roll (其他待遇发放名单): the person was paid for this month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollPayment {
    pub row: u64,
    pub id_number: IdNumber,
    /// Not after the month of the import.
    pub month: Period,
}

pub use tongchou_core::status::EmployerStatus;

/// An industry code of GB/T 4754-2017: a section letter A–T, optionally followed by the 2-digit
/// division, 3-digit group or 4-digit class. The division must belong to the section; groups and
/// classes are checked for form only. Given as digits alone, the section is inferred.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Industry(String);

/// GB/T 4754-2017 sections and their division ranges.
const SECTIONS: [(u8, u8, u8); 20] = [
    (b'A', 1, 5),
    (b'B', 6, 12),
    (b'C', 13, 43),
    (b'D', 44, 46),
    (b'E', 47, 50),
    (b'F', 51, 52),
    (b'G', 53, 60),
    (b'H', 61, 62),
    (b'I', 63, 65),
    (b'J', 66, 69),
    (b'K', 70, 70),
    (b'L', 71, 72),
    (b'M', 73, 75),
    (b'N', 76, 79),
    (b'O', 80, 82),
    (b'P', 83, 83),
    (b'Q', 84, 85),
    (b'R', 86, 90),
    (b'S', 91, 96),
    (b'T', 97, 97),
];

impl Industry {
    /// The section letter (门类), e.g. `'C'` for manufacturing.
    pub fn section(&self) -> char {
        self.0.chars().next().unwrap_or('?')
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Industry {
    type Err = String;
    fn from_str(s: &str) -> Result<Industry, String> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        let (letter, digits) = match b.first() {
            Some(c) if c.is_ascii_alphabetic() => (Some(*c), &t[1..]),
            _ => (None, &t[..]),
        };
        let form_ok =
            matches!(digits.len(), 0 | 2..=4) && digits.bytes().all(|c| c.is_ascii_digit());
        if !form_ok || (letter.is_none() && digits.is_empty()) {
            return Err(tr!("import-err-industry", text = format!("{s:?}")));
        }
        let section = if digits.is_empty() {
            letter.and_then(|l| SECTIONS.iter().find(|x| x.0 == l))
        } else {
            let division: u8 = digits[..2].parse().unwrap_or(0);
            SECTIONS.iter().find(|x| (x.1..=x.2).contains(&division))
        };
        let Some(&(sec, _, _)) = section else {
            return Err(tr!("import-err-industry-unknown", text = format!("{s:?}")));
        };
        if let Some(l) = letter
            && l != sec
        {
            return Err(tr!(
                "import-err-industry-section",
                division = &digits[..2],
                section = sec as char,
                given = l as char
            ));
        }
        Ok(Industry(format!("{}{digits}", sec as char)))
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Industry({})", self.0)
    }
}

pub(crate) mod private {
    use super::*;

    /// The exact identity of a record for duplicate detection, packed into 128 bits.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct Key(pub [u64; 2]);

    impl std::hash::Hash for Key {
        fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
            h.write_u64(self.0[0]);
            h.write_u64(self.0[1]);
        }
    }

    /// What a record parser sees: the row's cells by the kind's column, and where to put
    /// problems.
    pub struct Cells<'r> {
        pub(crate) kind: Kind,
        pub(crate) raw: &'r RawRow,
        pub(crate) header: &'r Header,
        pub(crate) errors: Vec<RowError>,
        pub(crate) today: Date,
        pub(crate) divisions: &'r Divisions,
        pub(crate) date1904: bool,
    }

    impl<'r> Cells<'r> {
        pub(crate) fn row(&self) -> u64 {
            self.raw.row
        }
        /// One of the kind's columns in this row.
        fn get(&self, col: usize) -> Got<'r> {
            let Some(i) = self.header.position[col] else {
                return Got::Empty;
            };
            if self.raw.problems.iter().any(|(p, _)| *p == i) {
                return Got::Unreadable;
            }
            let c = self.raw.get(i);
            if c.text.is_empty() {
                Got::Empty
            } else {
                Got::Value(c)
            }
        }
        pub(crate) fn fail(&mut self, col: usize, reason: impl Into<String>) {
            let name = self.header.name_of(self.kind, col).to_string();
            self.errors
                .push(RowError::new(self.raw.row, Some(&name), reason));
        }
        /// A required value.
        pub(crate) fn req<T>(
            &mut self,
            col: usize,
            f: impl FnOnce(Cell<'r>) -> Result<T, String>,
        ) -> Option<T> {
            match self.get(col) {
                Got::Empty => {
                    self.fail(col, tr!("import-err-required"));
                    None
                }
                Got::Unreadable => None,
                Got::Value(c) => f(c).map_err(|e| self.fail(col, e)).ok(),
            }
        }
        /// An optional value: `Some(None)` when empty or the column is absent, `None` on error.
        pub(crate) fn opt<T>(
            &mut self,
            col: usize,
            f: impl FnOnce(Cell<'r>) -> Result<T, String>,
        ) -> Option<Option<T>> {
            match self.get(col) {
                Got::Empty => Some(None),
                Got::Unreadable => None,
                Got::Value(c) => f(c).map_err(|e| self.fail(col, e)).ok().map(Some),
            }
        }
    }

    /// A cell as a parser sees it. An unreadable cell (bad encoding, spreadsheet error) has
    /// already been reported by the reader.
    enum Got<'r> {
        Empty,
        Unreadable,
        Value(Cell<'r>),
    }

    /// Implemented by the record types of this crate only.
    pub trait Parse: Sized {
        fn parse(c: &mut Cells<'_>) -> Option<Self>;
        fn key(&self) -> Key;
        /// What "duplicate" means for this kind, for the error message; `None` when rows with
        /// the same key are allowed (they then name the same fact twice).
        const DUPLICATE: Option<&'static str>;
        /// The kind has a dedicated reader of plain rows ([`Parse::plain`]).
        const PLAIN: bool = false;
        /// A dedicated reading of a plain row (ASCII, unquoted, as many fields as the header,
        /// nothing in an unnamed column): `fields` are the file's cells as written, `position`
        /// the header's ([`Header::position`]), `last` the record of the line before in the
        /// same piece. `Some` only where the general parse gives exactly this record without
        /// any problem; `None` hands the row (and its piece) to the general reader, which
        /// then names what is wrong.
        fn plain(
            _fields: &[&str],
            _position: &[Option<usize>],
            _today: Date,
            _row: u64,
            _last: Option<&Self>,
        ) -> Option<Self> {
            None
        }
    }
}
use private::{Cells, Key, Parse};

/// A record that can be imported: [`Person`], [`Employer`], [`Declaration`], [`Collection`],
/// [`DeathRecord`], [`RollPayment`].
pub trait Record: Parse + Clone + fmt::Debug {
    const KIND: Kind;
    /// The row the record came from (the header is row 1).
    fn row(&self) -> u64;
}

/// `Record` for a record type of kind `$kind` whose `row` field is its row.
macro_rules! record {
    ($t:ty, $kind:expr) => {
        impl Record for $t {
            const KIND: Kind = $kind;
            fn row(&self) -> u64 {
                self.row
            }
        }
    };
}
pub(crate) use record;

/// The first 17 digits of an ID number: with the check character they determine, exact.
pub(crate) fn id_key(id: &IdNumber) -> u64 {
    id.as_str()[..17].parse().unwrap_or(0)
}

/// The 17 leading characters of a credit code in base 31 (< 2^85): exact.
fn credit_key(cc: &CreditCode) -> Key {
    const CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut v: u128 = 0;
    for b in &cc.as_str().as_bytes()[..17] {
        let d = CHARS.iter().position(|c| c == b).unwrap_or(0) as u128;
        v = v * 31 + d;
    }
    Key([(v >> 64) as u64, v as u64])
}

/// FNV-1a, 64 bits.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Who pays: empty (flexible), the person's own ID number (flexible) or an employer's code.
fn payer(cell: Cell<'_>, id: Option<&IdNumber>, today: Date) -> Result<Payer, String> {
    // an employer's code has letters among its first 17 characters: no ID number is tried
    // (nor its refusal written out) for it
    let digits = cell
        .text
        .trim()
        .bytes()
        .take(17)
        .all(|b| b.is_ascii_digit());
    if let Some(Ok(other)) = digits.then(|| IdNumber::parse(cell.text, today)) {
        return match id {
            Some(own) if *own == other => Ok(Payer::Flexible),
            Some(_) => Err(tr!("import-err-payer-other")),
            None => Err(tr!("import-err-payer-own-invalid")),
        };
    }
    values::credit_code(cell).map(Payer::Employer)
}

/// An employee names their employer, a flexibly employed person none (`has_employer`: whether
/// the row gives one, `None` if the cell could not be read).
fn employer_agrees(c: &mut Cells<'_>, kind: Option<PayerKind>, has_employer: Option<bool>) {
    match (kind, has_employer) {
        (Some(PayerKind::Employee), Some(false)) => {
            c.fail(pcol::EMPLOYER, tr!("import-err-employee-needs-employer"))
        }
        (Some(PayerKind::Flexible), Some(true)) => {
            c.fail(pcol::EMPLOYER, tr!("import-err-flexible-no-employer"))
        }
        _ => {}
    }
}

impl Parse for Person {
    const DUPLICATE: Option<&'static str> = Some("same ID number");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), 0])
    }
    fn parse(c: &mut Cells<'_>) -> Option<Person> {
        let (today, d1904, divisions) = (c.today, c.date1904, c.divisions);
        let id = c.req(pcol::ID, |v| values::id_number(v, today));
        let name = c.req(pcol::NAME, values::name);
        let sex = c.opt(pcol::SEX, values::sex);
        let birth = c.opt(pcol::BIRTH, |v| values::date(v, d1904));
        let category = c.req(pcol::CATEGORY, values::category);
        let county = c.req(pcol::COUNTY, |v| values::county(v, divisions));
        let employer = c.opt(pcol::EMPLOYER, values::credit_code);
        let payer_kind = c.req(pcol::PAYER_KIND, values::payer_kind);
        let enrolled = c.req(pcol::ENROLLED, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let hukou = c.opt(pcol::HUKOU, values::household_registration);
        if let Some(id) = id {
            if let Some(Some(s)) = sex
                && s != id.sex()
            {
                c.fail(
                    pcol::SEX,
                    tr!(
                        "import-err-disagrees-id",
                        given = values::sex_name(s),
                        id = values::sex_name(id.sex())
                    ),
                );
            }
            if let Some(Some(b)) = birth
                && b != id.birth()
            {
                c.fail(
                    pcol::BIRTH,
                    tr!("import-err-disagrees-id", given = b, id = id.birth()),
                );
            }
            if let Some(cat) = category {
                let want = if cat == Category::Male {
                    Sex::Male
                } else {
                    Sex::Female
                };
                if want != id.sex() {
                    let label = match cat {
                        Category::Male => "男",
                        Category::FemaleCadre => "女干部",
                        Category::FemaleWorker => "女工人",
                    };
                    c.fail(
                        pcol::CATEGORY,
                        tr!(
                            "import-err-category-sex",
                            category = label,
                            id = values::sex_name(id.sex())
                        ),
                    );
                }
            }
            if let Some(e) = enrolled
                && e < id.birth()
            {
                c.fail(
                    pcol::ENROLLED,
                    tr!("import-err-before-birth", date = e, birth = id.birth()),
                );
            }
        }
        employer_agrees(c, payer_kind, employer.as_ref().map(Option::is_some));
        let (
            Some(id),
            Some(name),
            Some(_),
            Some(_),
            Some(category),
            Some((county, written)),
            Some(employer),
            Some(payer_kind),
            Some(enrolled),
            Some(household_registration),
        ) = (
            id, name, sex, birth, category, county, employer, payer_kind, enrolled, hukou,
        )
        else {
            return None;
        };
        if !c.errors.is_empty() {
            return None;
        }
        Some(Person {
            row: c.row(),
            id_number: id,
            name,
            sex: id.sex(),
            birth: id.birth(),
            category,
            county,
            county_as_written: written,
            employer,
            payer_kind,
            enrolled,
            household_registration,
        })
    }
}
record!(Person, Kind::Persons);

impl Parse for Employer {
    const DUPLICATE: Option<&'static str> = Some("same credit code");
    fn key(&self) -> Key {
        credit_key(&self.credit_code)
    }
    fn parse(c: &mut Cells<'_>) -> Option<Employer> {
        let divisions = c.divisions;
        let code = c.req(ecol::CREDIT_CODE, values::credit_code);
        let name = c.req(ecol::NAME, values::name);
        let county = c.req(ecol::COUNTY, |v| values::county(v, divisions));
        let industry = c.req(ecol::INDUSTRY, |v| v.text.parse::<Industry>());
        let status = c.opt(ecol::STATUS, |v| v.text.parse::<EmployerStatus>());
        let (Some(credit_code), Some(name), Some((county, written)), Some(industry), Some(status)) =
            (code, name, county, industry, status)
        else {
            return None;
        };
        Some(Employer {
            row: c.row(),
            credit_code,
            name,
            county,
            county_as_written: written,
            industry,
            status: status.unwrap_or(EmployerStatus::Active),
        })
    }
}
record!(Employer, Kind::Employers);

impl Parse for Declaration {
    const DUPLICATE: Option<&'static str> = Some("same ID number and period");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), self.period.index() as u64])
    }
    fn parse(c: &mut Cells<'_>) -> Option<Declaration> {
        let today = c.today;
        let id = c.req(dcol::ID, |v| values::id_number(v, today));
        let payer = c
            .opt(dcol::PAYER, |v| payer(v, id.as_ref(), today))
            .map(|p| p.unwrap_or(Payer::Flexible));
        let name = c.opt(dcol::NAME, values::name);
        let period = c.req(dcol::PERIOD, |v| values::period(v, today));
        let base = c.req(dcol::BASE, |v| {
            let b = values::yuan(v)?;
            if b.is_negative() {
                return Err(tr!("import-err-base-negative", amount = b));
            }
            Ok(b)
        });
        let (Some(id_number), Some(payer), Some(name), Some(period), Some(base)) =
            (id, payer, name, period, base)
        else {
            return None;
        };
        Some(Declaration {
            row: c.row(),
            payer,
            id_number,
            name,
            period,
            base,
        })
    }
}
record!(Declaration, Kind::Declarations);

impl Parse for Collection {
    const DUPLICATE: Option<&'static str> = Some("same receipt number, ID number and period");
    fn key(&self) -> Key {
        // 57 bits of ID, then 16 bits of period and 48 bits of the receipt's hash: two lines can
        // only be confused if they share the person and period and their receipts' hashes agree
        // in 48 bits.
        let low = ((self.period.index() as u64 & 0xFFFF) << 48)
            | (fnv1a(&self.receipt) & 0xFFFF_FFFF_FFFF);
        Key([id_key(&self.id_number), low])
    }
    fn parse(c: &mut Cells<'_>) -> Option<Collection> {
        let (today, d1904) = (c.today, c.date1904);
        let id = c.req(ccol::ID, |v| values::id_number(v, today));
        let payer = c.req(ccol::PAYER, |v| payer(v, id.as_ref(), today));
        let name = c.opt(ccol::NAME, values::name);
        let period = c.req(ccol::PERIOD, |v| values::period(v, today));
        let paid = c.req(ccol::PAID, |v| {
            let a = values::yuan(v)?;
            if !a.is_positive() {
                return Err(tr!("import-err-paid-positive", amount = a));
            }
            Ok(a)
        });
        let paid_on = c.req(ccol::PAID_ON, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let receipt = c.req(ccol::RECEIPT, values::receipt);
        let (
            Some(id_number),
            Some(payer),
            Some(name),
            Some(period),
            Some(paid),
            Some(paid_on),
            Some(receipt),
        ) = (id, payer, name, period, paid, paid_on, receipt)
        else {
            return None;
        };
        Some(Collection {
            row: c.row(),
            payer,
            id_number,
            name,
            period,
            paid,
            paid_on,
            receipt,
        })
    }
}
record!(Collection, Kind::Collections);

impl Parse for DeathRecord {
    const DUPLICATE: Option<&'static str> = Some("same ID number and source");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), self.source as u64])
    }
    fn parse(c: &mut Cells<'_>) -> Option<DeathRecord> {
        let (today, d1904) = (c.today, c.date1904);
        let id = c.req(xcol::ID, |v| values::id_number(v, today));
        let died = c.req(xcol::DIED, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let source = c.req(xcol::SOURCE, |v| v.text.parse::<DeathSource>());
        if let (Some(id), Some(d)) = (&id, died)
            && d < id.birth()
        {
            c.fail(
                xcol::DIED,
                tr!("import-err-before-birth", date = d, birth = id.birth()),
            );
            return None;
        }
        Some(DeathRecord {
            row: c.row(),
            id_number: id?,
            died: died?,
            source: source?,
        })
    }
}
record!(DeathRecord, Kind::DeathRecords);

impl Parse for AliveRecord {
    const DUPLICATE: Option<&'static str> = Some("same ID number, date and source");
    fn key(&self) -> Key {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.source.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Key([
            id_key(&self.id_number),
            (self.seen_on.days_since_epoch() as u64) ^ (h << 20),
        ])
    }
    fn parse(c: &mut Cells<'_>) -> Option<AliveRecord> {
        let (today, d1904) = (c.today, c.date1904);
        let id = c.req(lcol::ID, |v| values::id_number(v, today));
        let seen = c.req(lcol::SEEN, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let source = c.req(lcol::SOURCE, |v| {
            let t = v.text.trim();
            if t.is_empty() || t.chars().count() > 32 || t.chars().any(char::is_control) {
                Err(tr!("import-err-source-text", text = format!("{t:?}")))
            } else {
                Ok(t.to_string())
            }
        });
        if let (Some(id), Some(d)) = (&id, seen)
            && d < id.birth()
        {
            c.fail(
                lcol::SEEN,
                tr!("import-err-before-birth", date = d, birth = id.birth()),
            );
            return None;
        }
        Some(AliveRecord {
            row: c.row(),
            id_number: id?,
            seen_on: seen?,
            source: source?,
        })
    }
}
record!(AliveRecord, Kind::AliveRecords);

impl Parse for RollPayment {
    /// A roll may list a person's month twice (two payments of one month): it is one entry.
    const DUPLICATE: Option<&'static str> = None;
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), self.month.index() as u64])
    }
    fn parse(c: &mut Cells<'_>) -> Option<RollPayment> {
        let today = c.today;
        let id = c.req(rcol::ID, |v| values::id_number(v, today));
        let month = c.req(rcol::MONTH, |v| values::period(v, today));
        Some(RollPayment {
            row: c.row(),
            id_number: id?,
            month: month?,
        })
    }
}
record!(RollPayment, Kind::PaymentRolls);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn death_sources() {
        assert_eq!("公安".parse(), Ok(DeathSource::PublicSecurity));
        assert_eq!(" 民政部门 ".parse(), Ok(DeathSource::CivilAffairs));
        assert_eq!("Public Security".parse(), Ok(DeathSource::PublicSecurity));
        assert_eq!("civil_affairs".parse(), Ok(DeathSource::CivilAffairs));
        assert_eq!(
            "法院".parse::<DeathSource>(),
            Err("来源应为 公安 或 民政：\"法院\"".into())
        );
        assert_eq!(DeathSource::CivilAffairs.to_string(), "民政");
    }

    #[test]
    fn industries() {
        let ok = |s: &str| s.parse::<Industry>().map(|i| i.to_string());
        assert_eq!(ok("C1311"), Ok("C1311".into()));
        assert_eq!(ok("c13"), Ok("C13".into()));
        assert_eq!(ok("1311"), Ok("C1311".into()));
        assert_eq!(ok("K"), Ok("K".into()));
        assert_eq!(ok("70"), Ok("K70".into()));
        assert_eq!(ok("A13"), Err("大类 13 属于门类 C，不是 A".into()));
        for bad in ["", "Z", "C1", "C13111", "98", "制造业", "C13A"] {
            assert!(bad.parse::<Industry>().is_err(), "{bad}");
        }
        assert_eq!("C1311".parse::<Industry>().map(|i| i.section()), Ok('C'));
    }

    #[test]
    fn statuses() {
        assert_eq!("正常".parse(), Ok(EmployerStatus::Active));
        assert_eq!("Suspended".parse(), Ok(EmployerStatus::Suspended));
        assert_eq!("注销".parse(), Ok(EmployerStatus::Closed));
        assert!("倒闭".parse::<EmployerStatus>().is_err());
    }

    #[test]
    fn keys_are_exact_for_identifiers() {
        let rc = RegionCode::new(140105).expect("code");
        let a = CreditCode::from_parts(b'9', b'1', rc, b"MA0K7Q2L").expect("cc");
        let b = CreditCode::from_parts(b'9', b'1', rc, b"MA0K7Q2M");
        if let Some(b) = b {
            assert_ne!(credit_key(&a), credit_key(&b));
        }
        assert_eq!(credit_key(&a), credit_key(&a));
        let birth = Date::new(1990, 1, 1).expect("d");
        let x = IdNumber::from_parts(rc, birth, 11);
        let y = IdNumber::from_parts(rc, birth, 12);
        assert_ne!(id_key(&x), id_key(&y));
        assert_eq!(id_key(&x), 14010519900101011);
    }
}
