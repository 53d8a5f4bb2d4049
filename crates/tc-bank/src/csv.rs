//! CSV files for banks that take no XML: the payment file we send and the return file we read.
//!
//! Both are RFC 4180: UTF-8 without byte-order mark (one is tolerated on reading), comma
//! separated, a header line, CRLF line ends on writing (LF or CR accepted on reading), fields quoted
//! when they hold a comma or a quote (quotes doubled). Amounts are yuan with two decimals.
//!
//! Payment file header:
//! `message_id,end_to_end_id,creditor_account,creditor_name,amount_cny,remittance_info`
//!
//! Return file header: `message_id,end_to_end_id,status,reason,amount_cny`, where `status` is an
//! ISO 20022 code (ACSC, RJCT, … as in pain.002), `reason` an optional reason code (AC04, …),
//! and `amount_cny` optional. A line with an empty `end_to_end_id` is a group line for the whole
//! message (its amount, if given, is the control sum), applying to the payments of that message
//! the file does not list individually.

use crate::BankError;
use crate::batch::PaymentBatch;
use crate::status::{
    Malformed, ReturnFile, ReturnFormat, Scope, StatusCode, StatusLine, StatusReport,
};
use std::collections::{BTreeMap, BTreeSet};
use tongchou_core::Fen;
use tongchou_core::tr;

pub const PAYMENT_CSV_HEADER: &str =
    "message_id,end_to_end_id,creditor_account,creditor_name,amount_cny,remittance_info";
pub const RETURN_CSV_HEADER: &str = "message_id,end_to_end_id,status,reason,amount_cny";

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn push_record(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f);
    }
    out.push_str("\r\n");
}

/// The CSV payment file for `batch`: the header and one line per payment, in batch order.
pub fn write_payment_csv(batch: &PaymentBatch) -> String {
    let mut out = String::with_capacity(128 + 160 * batch.len());
    out.push_str(PAYMENT_CSV_HEADER);
    out.push_str("\r\n");
    let msg = batch.message_id().as_str();
    for p in batch.payments() {
        push_record(
            &mut out,
            &[
                msg,
                p.end_to_end_id().as_str(),
                p.creditor_account().as_str(),
                &tongchou_core::text::defuse(p.creditor_name()),
                &p.amount().to_string(),
                &tongchou_core::text::defuse(p.remittance()),
            ],
        );
    }
    out
}

/// `report` as a CSV return file: a group line when it has a group status, then one line per
/// transaction.
pub fn write_return_csv(report: &StatusReport) -> String {
    let mut out = String::new();
    out.push_str(RETURN_CSV_HEADER);
    out.push_str("\r\n");
    if let Some(st) = &report.group_status {
        let amount = report
            .original_sum
            .map(|a| a.to_string())
            .unwrap_or_default();
        push_record(
            &mut out,
            &[
                &report.original_message_id,
                "",
                st.as_str(),
                report.group_reason.as_deref().unwrap_or(""),
                &amount,
            ],
        );
    }
    for t in &report.transactions {
        let amount = t.amount.map(|a| a.to_string()).unwrap_or_default();
        push_record(
            &mut out,
            &[
                &report.original_message_id,
                &t.end_to_end_id,
                t.status.as_str(),
                t.reason.as_deref().unwrap_or(""),
                &amount,
            ],
        );
    }
    out
}

/// One CSV record: its first line number and its fields, or why it is broken.
type Record = (usize, Result<Vec<String>, String>);

/// Split `text` into records with the `csv` crate (RFC 4180 quoting, CRLF, LF or CR line ends,
/// blank lines skipped). The crate is lenient where a bank file must not be: it reads a quote
/// inside an unquoted field, text after a closing quote and an unterminated quote as data. So
/// each record's own bytes are checked to be the strict form of what was read (see
/// [`check_strict`]); a broken record is returned as an error for that record only, and
/// reading goes on with the next one.
fn records(text: &str) -> Vec<Record> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    // (first line, first byte, fields or error)
    let mut read: Vec<(usize, usize, Result<Vec<String>, String>)> = Vec::new();
    for rec in reader.records() {
        let (pos, fields) = match rec {
            Ok(r) => (
                r.position().cloned(),
                Ok(r.iter().map(str::to_string).collect()),
            ),
            Err(e) => (e.position().cloned(), Err(e.to_string())),
        };
        let (line, byte) = pos.map_or((0, text.len()), |p| {
            (to_usize(p.line()), to_usize(p.byte()))
        });
        // The crate's position is where it started reading: before the line ends that ended
        // the previous record and any blank lines. Ours is the record's own first line.
        let skipped = text.get(byte..).map_or(0, |t| {
            t.bytes().take_while(|b| matches!(b, b'\r' | b'\n')).count()
        });
        let lines = text
            .get(byte..byte + skipped)
            .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count());
        read.push((line + lines, byte + skipped, fields));
    }
    let ends: Vec<usize> = read
        .iter()
        .skip(1)
        .map(|r| r.1)
        .chain(std::iter::once(text.len()))
        .collect();
    read.into_iter()
        .zip(ends)
        .map(|((line, start, fields), end)| {
            let raw = text.get(start..end).unwrap_or("");
            let checked = fields.and_then(|f| check_strict(raw, &f).map(|()| f));
            (line, checked)
        })
        .collect()
}

/// Check that `raw` (one record's bytes, with the line ends after it) is the strict RFC 4180
/// form of `fields`: each field either plain (no quote) or quoted with inner quotes doubled,
/// closed before the next comma or line end, and nothing but line ends after the last.
fn check_strict(raw: &str, fields: &[String]) -> Result<(), String> {
    let mut rest = raw;
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            rest = rest
                .strip_prefix(',')
                .ok_or_else(|| tr!("bank-d-read-back"))?;
        }
        let (taken, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let close = closing_quote(quoted).ok_or_else(|| tr!("bank-d-unterminated"))?;
                let after = &quoted[close + 1..];
                if let Some(c) = after
                    .chars()
                    .next()
                    .filter(|c| !matches!(c, ',' | '\r' | '\n'))
                {
                    return Err(tr!("bank-d-after-quote", found = format!("{c:?}")));
                }
                (quoted[..close].replace("\"\"", "\""), after)
            }
            None => {
                let len = rest.find([',', '\r', '\n']).unwrap_or(rest.len());
                if rest[..len].contains('"') {
                    return Err(tr!("bank-d-quote-inside"));
                }
                (rest[..len].to_string(), &rest[len..])
            }
        };
        if taken != *field {
            return Err(tr!("bank-d-read-back"));
        }
        rest = after;
    }
    if rest.bytes().all(|b| b == b'\r' || b == b'\n') {
        Ok(())
    } else {
        Err(tr!("bank-d-read-back"))
    }
}

/// The byte index of the quote that closes a quoted field whose text (after the opening quote)
/// is `s`: the first quote not doubled.
fn closing_quote(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            if b.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Read a CSV return file. The whole file is refused only if its header is wrong; a bad line
/// becomes a [`Malformed`] entry.
pub fn read_return_csv(text: &str) -> Result<ReturnFile, BankError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut recs = records(text).into_iter();
    match recs.next() {
        Some((_, Ok(h))) if h.join(",") == RETURN_CSV_HEADER => {}
        Some((line, _)) => {
            return Err(BankError::Csv {
                line,
                reason: tr!("bank-csv-header", header = RETURN_CSV_HEADER),
            });
        }
        None => {
            return Err(BankError::Csv {
                line: 1,
                reason: tr!("bank-csv-empty"),
            });
        }
    }
    let mut lines = Vec::new();
    let mut malformed = Vec::new();
    for (line, rec) in recs {
        // What can be made out of a broken line, for whoever handles it.
        let (seen_msg, seen_e2e) = match &rec {
            Ok(f) => (
                f.first()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                f.get(1)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            ),
            Err(_) => (None, None),
        };
        let parsed = rec.and_then(|f| {
            if f.len() != 5 {
                return Err(tr!("bank-d-fields", n = f.len()));
            }
            let msg = f[0].trim();
            let e2e = f[1].trim();
            if msg.is_empty() {
                return Err(tr!("bank-d-no-field", field = "message_id"));
            }
            let status = f[2].trim();
            if status.is_empty() {
                return Err(tr!("bank-d-no-field", field = "status"));
            }
            let amount = match f[4].trim() {
                "" => None,
                a => Some(
                    a.parse::<Fen>()
                        .ok()
                        .filter(|v| !v.is_negative())
                        .ok_or_else(|| tr!("bank-d-bad-amount", text = format!("{a:?}")))?,
                ),
            };
            let reason = Some(f[3].trim().to_string()).filter(|r| !r.is_empty());
            Ok(StatusLine {
                source: line,
                original_message_id: msg.to_string(),
                scope: if e2e.is_empty() {
                    Scope::Group {
                        payment_info_id: None,
                        excluding: BTreeSet::new(),
                        excluding_payment_infos: BTreeSet::new(),
                    }
                } else {
                    Scope::Transaction {
                        end_to_end_id: e2e.to_string(),
                    }
                },
                status: StatusCode::parse(status),
                reason,
                additional_info: None,
                amount,
                count: None,
            })
        });
        match parsed {
            Ok(l) => lines.push(l),
            Err(reason) => malformed.push(Malformed {
                source: line,
                reason,
                original_message_id: seen_msg,
                end_to_end_id: seen_e2e,
            }),
        }
    }
    // Group lines exclude what the file lists individually for the same message (readable or
    // not: a broken line is not guessed at through the group line either).
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &lines {
        if let Some(e) = l.end_to_end_id() {
            listed
                .entry(l.original_message_id.clone())
                .or_default()
                .insert(e.to_string());
        }
    }
    for l in &mut lines {
        if let (Scope::Group { excluding, .. }, Some(set)) =
            (&mut l.scope, listed.get(&l.original_message_id))
        {
            excluding.clone_from(set);
        }
    }
    // A group line must not reach a payment that an unreadable line may have been about: when
    // a broken line names the same message, or names none, the group line is quarantined too.
    let unsafe_group = |msg: &str| {
        malformed
            .iter()
            .any(|m| m.original_message_id.as_deref().is_none_or(|x| x == msg))
    };
    let (keep, held): (Vec<StatusLine>, Vec<StatusLine>) = lines
        .into_iter()
        .partition(|l| l.end_to_end_id().is_some() || !unsafe_group(&l.original_message_id));
    lines = keep;
    if !held.is_empty() {
        for l in held {
            malformed.push(Malformed {
                source: l.source,
                reason: "group line for a message that also has unreadable lines".into(),
                original_message_id: Some(l.original_message_id),
                end_to_end_id: None,
            });
        }
        malformed.sort_by_key(|m| m.source);
    }
    Ok(ReturnFile {
        format: ReturnFormat::Csv,
        report_id: None,
        lines,
        malformed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::{county, created, debtor, payment, period};
    use tongchou_core::Date;

    #[test]
    fn payment_file() {
        let b = PaymentBatch::new(
            county(),
            period(),
            2,
            created(),
            Date::new(2020, 1, 15).unwrap(),
            debtor(),
            vec![
                payment("A", "张三", 312_050),
                payment("B", "Smith, \"J\"", 7),
            ],
        )
        .unwrap();
        let csv = write_payment_csv(&b);
        let recs = records(&csv);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].1.as_ref().unwrap().join(","), PAYMENT_CSV_HEADER);
        let second = recs[2].1.as_ref().unwrap();
        assert_eq!(second[3], "Smith, \"J\"");
        assert_eq!(second[4], "0.07");
        assert_eq!(recs[1].1.as_ref().unwrap()[4], "3120.50");
        assert_eq!(recs[1].1.as_ref().unwrap()[5], "2020-01 基本养老金");
        assert!(csv.contains("\"Smith, \"\"J\"\"\""));
        // a name that would run as a formula in a spreadsheet goes out as text
        let evil = PaymentBatch::new(
            county(),
            period(),
            2,
            created(),
            Date::new(2020, 1, 15).unwrap(),
            debtor(),
            vec![payment("A", "=HYPERLINK(\"http://x\")", 1)],
        )
        .unwrap();
        let text = write_payment_csv(&evil);
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{text}"
        );
        assert_eq!(recs[1].1.as_ref().unwrap()[0], "TC1401052020010002");
    }

    #[test]
    fn record_splitting() {
        let r = records("a,\"b\nc\",d\r\n\r\nx\"y,z\n\"q\"r,s\n\"open");
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], (1, Ok(vec!["a".into(), "b\nc".into(), "d".into()])));
        assert_eq!(r[1].0, 4);
        assert!(r[1].1.is_err());
        assert!(r[2].1.is_err());
        assert_eq!(r[3].0, 6);
        assert!(r[3].1.is_err());
    }

    #[test]
    fn strictness_reasons() {
        use tongchou_core::i18n::{Lang, scope};
        let reason = |t: &str| scope(Lang::En, || records(t).remove(0).1.err());
        let zh = scope(Lang::ZhCn, || records("x\"y,z").remove(0).1.err());
        assert_eq!(zh.as_deref(), Some("未加引号的字段中出现引号"));
        assert_eq!(
            reason("x\"y,z").as_deref(),
            Some("quote inside an unquoted field")
        );
        assert_eq!(
            reason("\"q\"r,s").as_deref(),
            Some("'r' after a closing quote")
        );
        assert_eq!(
            reason("\"open").as_deref(),
            Some("unterminated quoted field")
        );
        assert_eq!(reason("\"a\"\"b\",c\r\n"), None);
    }

    proptest::proptest! {
        /// Whatever the writer quotes, the reader reads back exactly, one record per line.
        #[test]
        fn written_records_read_back(rows in proptest::collection::vec(
                proptest::collection::vec("[a-z,\"\r\n 张]{0,6}", 2..5), 1..6)) {
            let mut out = String::new();
            for r in &rows {
                let fields: Vec<&str> = r.iter().map(String::as_str).collect();
                push_record(&mut out, &fields);
            }
            let read: Vec<Vec<String>> = records(&out)
                .into_iter()
                .map(|(_, r)| r.map_err(proptest::test_runner::TestCaseError::fail))
                .collect::<Result<_, _>>()?;
            proptest::prop_assert_eq!(read, rows);
        }
    }

    #[test]
    fn return_file() {
        let text = format!(
            "\u{FEFF}{RETURN_CSV_HEADER}\nM1,E1,ACSC,,12.30\nM1,E2,RJCT,AC04,\nM1,,ACSC,,\nM1,E3\nM2,E9,RJCT,MD07,-1.00\n"
        );
        let f = read_return_csv(&text).unwrap();
        assert_eq!(f.format, ReturnFormat::Csv);
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.lines[0].amount, Some(Fen::new(1230)));
        assert_eq!(f.lines[1].reason.as_deref(), Some("AC04"));
        assert_eq!(
            f.malformed.iter().map(|m| m.source).collect::<Vec<_>>(),
            vec![4, 5, 6]
        );
        let ok = read_return_csv(&format!(
            "{RETURN_CSV_HEADER}\r\nM1,E1,ACSC,,\r\nM1,,RJCT,AM04,\r\n"
        ))
        .unwrap();
        match &ok.lines[1].scope {
            Scope::Group { excluding, .. } => assert!(excluding.contains("E1")),
            other => panic!("{other:?}"),
        }
        assert!(read_return_csv("").is_err());
        assert!(read_return_csv("id,status\nM1,ACSC\n").is_err());
    }
}
