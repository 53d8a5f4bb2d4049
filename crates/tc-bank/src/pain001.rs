//! Writer for ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiationV09).
//!
//! One file per [`PaymentBatch`]: a group header (`MsgId`, `CreDtTm`, `NbOfTxs`, `CtrlSum`,
//! initiating party), one payment-information block (`PmtInf`, batch booking, category purpose
//! `PENS`, charges borne by the debtor, requested execution date, the county expenditure account
//! as debtor) and one `CdtTrfTxInf` per payment (`EndToEndId`, `InstdAmt Ccy="CNY"` with two
//! decimals, creditor, creditor account, purpose `PENS`, unstructured remittance information).
//! Written by hand with escaping; valid against `schemas/pain.001.001.09.xsd` (tested).

use crate::batch::{BankId, PaymentBatch};
use crate::text::push_xml_escaped;
use std::fmt::Write as _;

/// The pain.001 version written.
pub const PAIN001_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
/// The message name id a status report quotes back (`OrgnlMsgNmId`).
pub const PAIN001_MESSAGE_NAME: &str = "pain.001.001.09";

struct Out {
    s: String,
    depth: usize,
}

impl Out {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }
    fn open(&mut self, tag: &str) {
        self.indent();
        self.s.push('<');
        self.s.push_str(tag);
        self.s.push_str(">\n");
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.s.push_str("</");
        self.s.push_str(tag);
        self.s.push_str(">\n");
    }
    /// `<tag>escaped text</tag>` on its own line.
    fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        self.s.push('<');
        self.s.push_str(tag);
        self.s.push('>');
        push_xml_escaped(&mut self.s, text);
        self.s.push_str("</");
        self.s.push_str(tag);
        self.s.push_str(">\n");
    }
}

/// The pain.001.001.09 document for `batch`, UTF-8, as a string.
pub fn write_pain001(batch: &PaymentBatch) -> String {
    // About 600 bytes per transaction.
    let mut o = Out {
        s: String::with_capacity(2048 + 640 * batch.len()),
        depth: 0,
    };
    o.s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.s.push_str("<Document xmlns=\"");
    o.s.push_str(PAIN001_NAMESPACE);
    o.s.push_str("\">\n");
    o.depth = 1;
    o.open("CstmrCdtTrfInitn");

    let debtor = batch.debtor();
    let nb = batch.len().to_string();
    let ctrl = batch.control_sum().to_string();

    o.open("GrpHdr");
    o.leaf("MsgId", batch.message_id().as_str());
    o.leaf("CreDtTm", &batch.created().to_string());
    o.leaf("NbOfTxs", &nb);
    o.leaf("CtrlSum", &ctrl);
    party(
        &mut o,
        "InitgPty",
        debtor.name(),
        debtor.credit_code().map(|c| c.as_str()),
    );
    o.close("GrpHdr");

    o.open("PmtInf");
    o.leaf("PmtInfId", &batch.payment_info_id());
    o.leaf("PmtMtd", "TRF");
    o.leaf("BtchBookg", "true");
    o.leaf("NbOfTxs", &nb);
    o.leaf("CtrlSum", &ctrl);
    o.open("PmtTpInf");
    o.open("CtgyPurp");
    o.leaf("Cd", "PENS");
    o.close("CtgyPurp");
    o.close("PmtTpInf");
    o.open("ReqdExctnDt");
    o.leaf("Dt", &batch.execution_date().to_string());
    o.close("ReqdExctnDt");
    party(
        &mut o,
        "Dbtr",
        debtor.name(),
        debtor.credit_code().map(|c| c.as_str()),
    );
    o.open("DbtrAcct");
    account_id(&mut o, debtor.account().as_str());
    o.leaf("Ccy", "CNY");
    if let Some(n) = debtor.account_name() {
        o.leaf("Nm", n);
    }
    o.close("DbtrAcct");
    agent(&mut o, "DbtrAgt", debtor.agent());
    o.leaf("ChrgBr", "DEBT");

    let mut amount = String::with_capacity(24);
    for p in batch.payments() {
        o.open("CdtTrfTxInf");
        o.open("PmtId");
        o.leaf("EndToEndId", p.end_to_end_id().as_str());
        o.close("PmtId");
        o.open("Amt");
        amount.clear();
        // Infallible: writing to a String.
        let _ = write!(amount, "{}", p.amount());
        o.indent();
        o.s.push_str("<InstdAmt Ccy=\"CNY\">");
        o.s.push_str(&amount);
        o.s.push_str("</InstdAmt>\n");
        o.close("Amt");
        if let Some(a) = p.creditor_agent() {
            agent(&mut o, "CdtrAgt", a);
        }
        o.open("Cdtr");
        o.leaf("Nm", p.creditor_name());
        o.close("Cdtr");
        o.open("CdtrAcct");
        account_id(&mut o, p.creditor_account().as_str());
        o.close("CdtrAcct");
        o.open("Purp");
        o.leaf("Cd", "PENS");
        o.close("Purp");
        o.open("RmtInf");
        o.leaf("Ustrd", p.remittance());
        o.close("RmtInf");
        o.close("CdtTrfTxInf");
    }
    o.close("PmtInf");
    o.close("CstmrCdtTrfInitn");
    o.s.push_str("</Document>\n");
    o.s
}

fn party(o: &mut Out, tag: &str, name: &str, credit_code: Option<&str>) {
    o.open(tag);
    o.leaf("Nm", name);
    if let Some(code) = credit_code {
        o.open("Id");
        o.open("OrgId");
        o.open("Othr");
        o.leaf("Id", code);
        o.open("SchmeNm");
        o.leaf("Prtry", "USCC");
        o.close("SchmeNm");
        o.close("Othr");
        o.close("OrgId");
        o.close("Id");
    }
    o.close(tag);
}

fn account_id(o: &mut Out, number: &str) {
    o.open("Id");
    o.open("Othr");
    o.leaf("Id", number);
    o.close("Othr");
    o.close("Id");
}

fn agent(o: &mut Out, tag: &str, bank: &BankId) {
    o.open(tag);
    o.open("FinInstnId");
    if let Some(bic) = bank.bic() {
        o.leaf("BICFI", bic.as_str());
    }
    if let Some(cnaps) = bank.cnaps() {
        o.open("ClrSysMmbId");
        o.open("ClrSysId");
        o.leaf("Cd", "CNAPS");
        o.close("ClrSysId");
        o.leaf("MmbId", cnaps.as_str());
        o.close("ClrSysMmbId");
    }
    if let Some(n) = bank.name() {
        o.leaf("Nm", n);
    }
    o.close("FinInstnId");
    o.close(tag);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::tests::{county, created, debtor, payment, period};
    use crate::xml::{Event, Parser};
    use std::collections::HashSet;
    use tongchou_core::{Date, Fen};

    fn sample() -> PaymentBatch {
        PaymentBatch::new(
            county(),
            period(),
            1,
            created(),
            Date::new(2020, 1, 15).unwrap(),
            debtor(),
            vec![
                payment("A", "张三", 312_050),
                payment("B", "O'Brien & <Sons> \"Ltd\"", 99),
                payment("C", "]]> &amp; 李", 100_000),
            ],
        )
        .unwrap()
    }

    /// Read back our own file with our own parser: every escaped name comes back as it was,
    /// NbOfTxs and CtrlSum agree with the transactions, end-to-end ids are unique.
    #[test]
    fn reads_back_exactly() {
        let b = sample();
        let xml = write_pain001(&b);
        let mut p = Parser::new(&xml);
        let mut path: Vec<&str> = Vec::new();
        let mut text = String::new();
        let mut names = Vec::new();
        let mut ids = HashSet::new();
        let mut sum = Fen::new(0);
        let mut nb_hdr = None;
        let mut ctrl_hdr = None;
        while let Some(ev) = p.next_event().unwrap() {
            match ev {
                Event::Start(e) => {
                    assert_eq!(&*e.ns, PAIN001_NAMESPACE);
                    if e.local == "InstdAmt" {
                        assert_eq!(e.attr("Ccy"), Some("CNY"));
                    }
                    path.push(e.local);
                    text.clear();
                }
                Event::Text(t) => text.push_str(&t),
                Event::End => {
                    let joined = path.join("/");
                    match joined.as_str() {
                        "Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Cdtr/Nm" => {
                            names.push(text.clone())
                        }
                        "Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/PmtId/EndToEndId" => {
                            assert!(ids.insert(text.clone()))
                        }
                        "Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Amt/InstdAmt" => {
                            let (_, frac) = text.split_once('.').unwrap();
                            assert_eq!(frac.len(), 2);
                            sum = sum.checked_add(text.parse().unwrap()).unwrap();
                        }
                        "Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs" => nb_hdr = Some(text.clone()),
                        "Document/CstmrCdtTrfInitn/GrpHdr/CtrlSum" => ctrl_hdr = Some(text.clone()),
                        _ => {}
                    }
                    path.pop();
                    text.clear();
                }
            }
        }
        assert_eq!(
            names,
            vec!["张三", "O'Brien & <Sons> \"Ltd\"", "]]> &amp; 李"]
        );
        assert_eq!(ids.len(), 3);
        assert_eq!(sum, b.control_sum());
        assert_eq!(nb_hdr.as_deref(), Some("3"));
        assert_eq!(ctrl_hdr.as_deref(), Some("4121.49"));
    }

    #[test]
    fn deterministic_and_escaped() {
        let xml = write_pain001(&sample());
        assert_eq!(xml, write_pain001(&sample()));
        assert!(xml.contains("<Nm>O&apos;Brien &amp; &lt;Sons&gt; &quot;Ltd&quot;</Nm>"));
        assert!(xml.contains("<MsgId>TC1401052020010001</MsgId>"));
        assert!(xml.contains("<CreDtTm>2020-01-12T09:30:00+08:00</CreDtTm>"));
        assert!(xml.contains("<InstdAmt Ccy=\"CNY\">0.99</InstdAmt>"));
        assert!(!xml.contains("]]>"), "a raw ]]> must be escaped");
    }

    proptest::proptest! {
        /// Any allowed name and remittance text comes back exactly through escaping.
        #[test]
        fn any_text_round_trips(names in proptest::collection::vec("[^\\p{Cc}\u{FFFE}\u{FFFF}]{1,40}", 1..6),
                                rmt in "[&<>\"' a-z\u{4E00}-\u{4E20}]{1,60}") {
            let payments: Vec<_> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| !n.trim().is_empty())
                .map(|(i, n)| {
                    let mut p = payment(&format!("Q{i}"), n, 1 + i as i64);
                    if !rmt.trim().is_empty() {
                        p = crate::Payment::new(
                            p.end_to_end_id().clone(),
                            n,
                            p.creditor_account().clone(),
                            None,
                            p.amount(),
                            &rmt,
                        )
                        .unwrap();
                    }
                    p
                })
                .collect();
            if payments.is_empty() {
                return Ok(());
            }
            let b = PaymentBatch::new(county(), period(), 1, created(), Date::new(2020, 1, 15).unwrap(), debtor(), payments.clone()).unwrap();
            let xml = write_pain001(&b);
            let mut p = Parser::new(&xml);
            let mut path = Vec::new();
            let mut text = String::new();
            let mut got_names = Vec::new();
            let mut got_rmt = Vec::new();
            while let Some(ev) = p.next_event().unwrap() {
                match ev {
                    Event::Start(e) => { path.push(e.local); text.clear(); }
                    Event::Text(t) => text.push_str(&t),
                    Event::End => {
                        match path.as_slice() {
                            [.., "Cdtr", "Nm"] => got_names.push(text.clone()),
                            [.., "RmtInf", "Ustrd"] => got_rmt.push(text.clone()),
                            _ => {}
                        }
                        path.pop();
                        text.clear();
                    }
                }
            }
            let want_names: Vec<&str> = payments.iter().map(|p| p.creditor_name()).collect();
            let want_rmt: Vec<&str> = payments.iter().map(|p| p.remittance()).collect();
            proptest::prop_assert_eq!(got_names, want_names);
            proptest::prop_assert_eq!(got_rmt, want_rmt);
        }
    }
}
