//! The transfer platform's documents (转移接续, `docs/FORMATS.md`), one JSON adapter: the
//! contribution certificate (参保缴费凭证) a province issues for a person leaving it, and the
//! confirmation the receiving province sends back. Their bytes come from outside, so they are
//! read here, in the pure core (and fuzzed, `tc-fuzz` target `exchange`): the whole document or
//! nothing, every refusal naming the line and column or the field, every figure checked without
//! overflow. What a province does with a document (booking, holding, the register) is
//! `tongchou_app::transfer`'s.

use crate::{Date, Fen, Ratio, tr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format name of the certificate document.
pub const CERTIFICATE: &str = "tongchou-transfer-certificate/1";
/// The format name of the confirmation document.
pub const CONFIRMATION: &str = "tongchou-transfer-confirmation/1";
/// The most months a certificate may count (a hundred years).
pub const MAX_MONTHS: u32 = 1_200;

/// One insured year of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertYear {
    pub year: i32,
    pub months: u32,
    /// The sum of the year's monthly contribution bases.
    pub base_total: Fen,
    /// The year's contribution index.
    pub index: Ratio,
    /// What the year credited to the individual account.
    pub credited: Fen,
    /// The pooling money this year moves (0 before the first pooling year).
    pub pooling: Fen,
}

/// The contribution certificate (参保缴费凭证) of a person leaving a province.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub format: String,
    pub from_province: u32,
    pub to_province: u32,
    pub id_number: String,
    pub name: String,
    /// male, female-cadre or female-worker
    pub category: String,
    pub transfer_date: Date,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    /// The whole individual-account balance.
    pub account_balance: Fen,
    /// The pooling money: Σ of the years' pooling.
    pub pooling: Fen,
    /// account_balance + pooling: what the money transfer carries.
    pub total: Fen,
    pub years: Vec<CertYear>,
    /// The person's household registration (户籍所在地, GB/T 2260), when known (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_registration: Option<u32>,
    /// The money leaves a temporary contribution account (临时缴费账户, rule
    /// `transfer.temporary_account`): it moves, the relationship stays where it was (optional,
    /// false when absent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub temporary_account: bool,
}

/// The receiving province's answer to a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    pub format: String,
    /// The certificate's SHA-256 (hex) as the receiving side read it.
    pub certificate_sha256: String,
    /// The province that issued the certificate (the reader of this document).
    pub from_province: u32,
    /// The province that answers.
    pub to_province: u32,
    pub id_number: String,
    /// accepted or refused
    pub outcome: String,
    /// What the receiving side booked (0 when refused).
    pub booked: Fen,
    pub reason: String,
    pub confirmed_on: Date,
}

/// Why a document is refused, in the reader's language when shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocError {
    /// Not JSON of the document's shape, at that line and column.
    Syntax {
        line: usize,
        column: usize,
        error: String,
    },
    /// A field's value that the document may not carry.
    Field { field: String, why: String },
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocError::Syntax {
                line,
                column,
                error,
            } => f.write_str(&tr!(
                "xch-syntax",
                line = line,
                column = column,
                error = error
            )),
            DocError::Field { field, why } => {
                f.write_str(&tr!("xch-field", field = field, why = why))
            }
        }
    }
}

impl std::error::Error for DocError {}

fn field(field: &str, why: String) -> DocError {
    DocError::Field {
        field: field.to_string(),
        why,
    }
}

fn json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, DocError> {
    serde_json::from_slice(bytes).map_err(|e| DocError::Syntax {
        line: e.line(),
        column: e.column(),
        error: e.to_string(),
    })
}

fn format_is(found: &str, expected: &str) -> Result<(), DocError> {
    if found == expected {
        return Ok(());
    }
    Err(field(
        "format",
        tr!(
            "xch-format",
            found = format!("{found:?}"),
            expected = expected
        ),
    ))
}

fn not_negative(name: &str, v: Fen) -> Result<(), DocError> {
    if v.is_negative() {
        return Err(field(name, tr!("xch-negative", value = v)));
    }
    Ok(())
}

fn months_at_most(name: &str, months: u32) -> Result<(), DocError> {
    if months > MAX_MONTHS {
        return Err(field(
            name,
            tr!("xch-too-many-months", max = MAX_MONTHS, months = months),
        ));
    }
    Ok(())
}

/// Read a certificate: JSON of [`Certificate`] in the format [`CERTIFICATE`], no amount
/// negative, at most [`MAX_MONTHS`] months, each year of at most 12 months, the years
/// ascending without repeating. Whether its figures agree with one another and with the money is
/// [`disagreements`]'s to say (a certificate that disagrees is held, not refused).
pub fn parse_certificate(bytes: &[u8]) -> Result<Certificate, DocError> {
    let c: Certificate = json(bytes)?;
    format_is(&c.format, CERTIFICATE)?;
    for (name, v) in [
        ("account_balance", c.account_balance),
        ("pooling", c.pooling),
        ("total", c.total),
    ] {
        not_negative(name, v)?;
    }
    months_at_most("paid_months", c.paid_months)?;
    months_at_most("deemed_months", c.deemed_months)?;
    let mut last = None;
    for y in &c.years {
        if y.months > 12 {
            let why = tr!("xch-months", year = y.year, months = y.months);
            return Err(field("years.months", why));
        }
        if last.is_some_and(|l| y.year <= l) {
            return Err(field("years.year", tr!("xch-years-order", year = y.year)));
        }
        last = Some(y.year);
        not_negative("years.base_total", y.base_total)?;
        not_negative("years.credited", y.credited)?;
        not_negative("years.pooling", y.pooling)?;
    }
    Ok(c)
}

/// The certificate as its document's bytes (pretty JSON).
pub fn certificate_bytes(c: &Certificate) -> Vec<u8> {
    // a struct of plain fields and string-keyed maps always serialises
    serde_json::to_vec_pretty(c).unwrap_or_default()
}

/// The confirmation as its document's bytes (pretty JSON).
pub fn confirmation_bytes(c: &Confirmation) -> Vec<u8> {
    serde_json::to_vec_pretty(c).unwrap_or_default()
}

/// Why the money received or the certificate's own figures disagree (empty when they agree):
/// the money against the total, the total against balance + pooling, the years' pooling against
/// the pooling, each year's pooling against `share` of its base from the year `since` on
/// (国办发〔2009〕66号, `transfer.pooling_share`, `transfer.pooling_since_year`). Sums that
/// overflow disagree.
pub fn disagreements(c: &Certificate, received: Fen, share: Ratio, since: i64) -> Vec<String> {
    let mut out = Vec::new();
    if received != c.total {
        out.push(tr!("xch-received", received = received, total = c.total));
    }
    if c.account_balance.checked_add(c.pooling) != Some(c.total) {
        out.push(tr!(
            "xch-total",
            total = c.total,
            balance = c.account_balance,
            pooling = c.pooling
        ));
    }
    let sum = c
        .years
        .iter()
        .try_fold(Fen::ZERO, |s, y| s.checked_add(y.pooling));
    match sum {
        Some(s) if s == c.pooling => {}
        Some(s) => out.push(tr!("xch-years-pooling", sum = s, pooling = c.pooling)),
        None => out.push(tr!("xch-overflow")),
    }
    for y in &c.years {
        let want = crate::rules::transfer::pooling_with(share, since, y.year, y.base_total);
        if want != y.pooling {
            out.push(tr!(
                "xch-year-pooling",
                year = y.year,
                pooling = y.pooling,
                base = y.base_total,
                want = want
            ));
        }
    }
    out
}

/// Read a confirmation addressed to `this_province`: JSON of [`Confirmation`] (no other field) in
/// the format [`CONFIRMATION`], accepted or refused, nothing negative booked, nothing booked
/// when refused, a refusal with its reason.
pub fn parse_confirmation(bytes: &[u8], this_province: u32) -> Result<Confirmation, DocError> {
    let c: Confirmation = json(bytes)?;
    format_is(&c.format, CONFIRMATION)?;
    if c.from_province != this_province {
        let why = tr!("xch-not-this-province", province = c.from_province);
        return Err(field("from_province", why));
    }
    if !matches!(c.outcome.as_str(), "accepted" | "refused") {
        let why = tr!("xch-outcome", outcome = format!("{:?}", c.outcome));
        return Err(field("outcome", why));
    }
    if c.booked.is_negative() || (c.outcome == "refused" && c.booked != Fen::ZERO) {
        let why = tr!("xch-booked", booked = c.booked, outcome = c.outcome);
        return Err(field("booked", why));
    }
    if c.outcome == "refused" && c.reason.trim().is_empty() {
        return Err(field("reason", tr!("xch-reason")));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Certificate {
        Certificate {
            format: CERTIFICATE.into(),
            from_province: 140000,
            to_province: 110000,
            id_number: "140105195801010010".into(),
            name: "周退休".into(),
            category: "male".into(),
            transfer_date: Date::new(2025, 3, 10).expect("d"),
            paid_months: 12,
            deemed_months: 0,
            avg_index: Ratio::ONE,
            account_balance: Fen::new(576_000),
            pooling: Fen::new(864_000),
            total: Fen::new(1_440_000),
            years: vec![CertYear {
                year: 2024,
                months: 12,
                base_total: Fen::new(7_200_000),
                index: Ratio::ONE,
                credited: Fen::new(576_000),
                pooling: Fen::new(864_000),
            }],
            household_registration: None,
            temporary_account: false,
        }
    }

    fn twelve_percent() -> Ratio {
        "0.12".parse().expect("ratio")
    }

    #[test]
    fn a_certificate_round_trips_and_agrees_with_itself() {
        let c = cert();
        let back = parse_certificate(&certificate_bytes(&c)).expect("parse");
        assert_eq!(back, c);
        assert!(disagreements(&c, c.total, twelve_percent(), 1998).is_empty());
    }

    #[test]
    fn refusals_name_the_field() {
        crate::i18n::scope(crate::i18n::Lang::ZhCn, || {
            let mut c = cert();
            c.years[0].months = 13;
            let e = parse_certificate(&certificate_bytes(&c)).expect_err("13 months");
            assert!(matches!(&e, DocError::Field { field, .. } if field == "years.months"));
            assert!(e.to_string().contains("每年至多 12 个月"), "{e}");
            let mut c = cert();
            c.total = Fen::new(-1);
            let e = parse_certificate(&certificate_bytes(&c)).expect_err("negative");
            assert!(matches!(&e, DocError::Field { field, .. } if field == "total"));
            let mut c = cert();
            c.years.push(c.years[0].clone());
            assert!(parse_certificate(&certificate_bytes(&c)).is_err());
            let e = parse_certificate(b"{\"format\": 1").expect_err("json");
            assert!(matches!(e, DocError::Syntax { line: 1, .. }), "{e:?}");
        });
    }

    #[test]
    fn figures_that_overflow_disagree_and_never_panic() {
        let mut c = cert();
        c.account_balance = Fen::new(i64::MAX);
        c.years[0].pooling = Fen::new(i64::MAX);
        c.years.push(CertYear {
            year: 2025,
            ..c.years[0].clone()
        });
        let d = disagreements(&c, c.total, twelve_percent(), 1998);
        assert!(d.len() >= 3, "{d:?}");
    }

    #[test]
    fn disagreements_name_money_and_years() {
        crate::i18n::scope(crate::i18n::Lang::En, || {
            let mut c = cert();
            c.years[0].pooling = Fen::new(1);
            let d = disagreements(&c, Fen::new(100), twelve_percent(), 1998);
            assert_eq!(d.len(), 3, "{d:?}");
            assert!(d[0].starts_with("received 1.00"), "{d:?}");
        });
    }

    #[test]
    fn a_confirmation_is_read_only_when_whole_and_addressed_here() {
        let ok = serde_json::json!({
            "format": CONFIRMATION, "certificate_sha256": "ab", "from_province": 140000,
            "to_province": 110000, "id_number": "x", "outcome": "refused", "booked": "0.00",
            "reason": "", "confirmed_on": "2025-04-01"
        });
        let bytes = serde_json::to_vec(&ok).expect("json");
        let e = parse_confirmation(&bytes, 140000).expect_err("no reason");
        assert!(matches!(&e, DocError::Field { field, .. } if field == "reason"));
        let mut good = ok.clone();
        good["reason"] = "不符合条件".into();
        let bytes = serde_json::to_vec(&good).expect("json");
        assert!(parse_confirmation(&bytes, 140000).is_ok());
        assert!(parse_confirmation(&bytes, 110000).is_err());
        let mut extra = good;
        extra["more"] = 1.into();
        let bytes = serde_json::to_vec(&extra).expect("json");
        assert!(matches!(
            parse_confirmation(&bytes, 140000),
            Err(DocError::Syntax { .. })
        ));
    }
}
