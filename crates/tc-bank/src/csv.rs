//! CSV files for banks that take no XML: the payment file we send and the return file we read.
//!
//! Both are RFC 4180: UTF-8 without byte-order mark (one is tolerated on reading), comma
//! separated, a header line, CRLF line ends on writing (LF accepted on reading), fields quoted
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
                p.creditor_name(),
                &p.amount().to_string(),
                p.remittance(),
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

/// Split `text` into records. A broken record (a quote in an unquoted field, text after a
/// closing quote, an unterminated quote) is returned as an error for that record only; reading
/// resumes at the next line.
fn records(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut error: Option<String> = None;
        let mut quoted = false;
        let mut after_quote = false;
        let mut at_field_start = true;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    error.get_or_insert_with(|| "unterminated quoted field".into());
                }
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => {
                        quoted = false;
                        after_quote = true;
                    }
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    c => field.push(c),
                }
                continue;
            }
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                    after_quote = false;
                    continue;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    break;
                }
                '"' if at_field_start => quoted = true,
                c if after_quote => {
                    error.get_or_insert_with(|| format!("{c:?} after a closing quote"));
                }
                '"' => {
                    error.get_or_insert_with(|| "quote inside an unquoted field".into());
                }
                c => field.push(c),
            }
            at_field_start = false;
        }
        fields.push(field);
        let blank = fields.len() == 1 && fields[0].is_empty() && error.is_none();
        if !blank {
            out.push((start, error.map_or(Ok(fields), Err)));
        }
    }
    out
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
                reason: format!("header must be {RETURN_CSV_HEADER:?}"),
            });
        }
        None => {
            return Err(BankError::Csv {
                line: 1,
                reason: "empty file".into(),
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
                return Err(format!("{} fields, expected 5", f.len()));
            }
            let msg = f[0].trim();
            let e2e = f[1].trim();
            if msg.is_empty() {
                return Err("no message_id".into());
            }
            let status = f[2].trim();
            if status.is_empty() {
                return Err("no status".into());
            }
            let amount = match f[4].trim() {
                "" => None,
                a => Some(
                    a.parse::<Fen>()
                        .ok()
                        .filter(|v| !v.is_negative())
                        .ok_or_else(|| format!("bad amount {a:?}"))?,
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
    fn return_file() {
        let text = format!(
            "\u{FEFF}{RETURN_CSV_HEADER}\nM1,E1,ACSC,,12.30\nM1,E2,RJCT,AC04,\nM1,,ACSC,,\nM1,E3\nM2,E9,RJCT,MD07,-1.00\n"
        );
        let f = read_return_csv(&text).unwrap();
        assert_eq!(f.format, ReturnFormat::Csv);
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.lines[0].amount, Some(Fen(1230)));
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
