//! Reader (and, for simulated banks, writer) of ISO 20022 pain.002
//! CustomerPaymentStatusReport, versions .001.001.03 and .001.001.10 to .001.001.12.
//!
//! Reading rules:
//! - The report must be about a pain.001 (`OrgnlMsgNmId` starting with `pain.001`) and name its
//!   original message (`OrgnlMsgId`); otherwise the whole file is refused.
//! - Each `TxInfAndSts` becomes one transaction line. Its status is `TxSts`, or else the
//!   enclosing `PmtInfSts`, or else `GrpSts` (never PART); its reason the first `StsRsnInf/Rsn`
//!   of the level whose status it took; its amount `OrgnlTxRef/Amt/InstdAmt`, which must be in
//!   CNY. An entry with no end-to-end id, no status, a bad amount or a repeated field becomes a
//!   [`Malformed`] entry instead.
//! - A `PmtInfSts` becomes a group line for that block, and `GrpSts` a group line for the
//!   message; each applies only to the payments the report does not list individually.
//!   `OrgnlNbOfTxs`/`OrgnlCtrlSum` come along so reconciliation can check them.
//! - Elements we do not use are skipped; elements of another namespace (inside `SplmtryData`)
//!   are skipped with their content.

use crate::BankError;
use crate::status::{
    Malformed, ReturnFile, ReturnFormat, Scope, StatusCode, StatusLine, StatusReport,
};
use crate::text::{parse_decimal_yuan, push_xml_escaped};
use crate::xml::{Element, Event, Parser};
use std::collections::BTreeSet;
use std::rc::Rc;

const NS_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.";

/// pain.002 versions read: .03, .10, .11, .12.
pub const PAIN002_VERSIONS: [u8; 4] = [3, 10, 11, 12];

/// The fields common to the three levels (original group, payment information, transaction).
#[derive(Default)]
struct Level {
    status: Option<String>,
    reason: Option<String>,
    info: Vec<String>,
    count: Option<String>,
    sum: Option<String>,
    repeated: Option<&'static str>,
}

/// `GrpHdr` and `OrgnlGrpInfAndSts`: who reports, about which original message, and the
/// original group's status.
#[derive(Default)]
struct Header {
    report_id: Option<String>,
    orig_msg_id: Option<String>,
    orig_msg_name: Option<String>,
    /// The last of `MsgId`, `OrgnlMsgId`, `OrgnlMsgNmId` given twice.
    repeated: Option<&'static str>,
    group: Level,
}

/// One `OrgnlPmtInfAndSts` block.
#[derive(Default)]
struct PmtInf {
    id: Option<String>,
    level: Level,
    listed: BTreeSet<String>,
    txs: Vec<Tx>,
}

/// One `TxInfAndSts` entry.
#[derive(Default)]
struct Tx {
    ordinal: usize,
    e2e: Option<String>,
    level: Level,
    amount: Option<String>,
    currency: Option<String>,
}

/// Everything a report says, read but not yet judged.
struct Report {
    version: u8,
    header: Header,
    pmt_infs: Vec<PmtInf>,
    /// How many transaction entries there were; later lines are numbered after them.
    entries: usize,
}

/// The original group after the checks that refuse a whole file.
struct Group {
    orig_msg_id: String,
    status: Option<StatusCode>,
    count: Option<u64>,
    sum: Option<tongchou_core::Fen>,
}

/// What a report becomes: readable lines and quarantined entries, numbered in one sequence.
#[derive(Default)]
struct Entries {
    lines: Vec<StatusLine>,
    malformed: Vec<Malformed>,
    ordinal: usize,
}

impl Entries {
    fn quarantine(&mut self, source: usize, reason: String, msg: &str, e2e: Option<String>) {
        self.malformed.push(Malformed {
            source,
            reason,
            original_message_id: Some(msg.to_string()),
            end_to_end_id: e2e,
        });
    }
}

fn set(
    slot: &mut Option<String>,
    value: &str,
    repeated: &mut Option<&'static str>,
    name: &'static str,
) {
    if slot.is_some() {
        *repeated = Some(name);
    } else {
        *slot = Some(value.trim().to_string());
    }
}

/// Fields common to the three levels (group, payment information, transaction), by the path
/// below the level's element.
fn level_field(level: &mut Level, rel: &[Tag], text: &str, status_tag: Tag) -> bool {
    use Tag::*;
    match rel {
        [t] if *t == status_tag => set(&mut level.status, text, &mut level.repeated, "status"),
        [StsRsnInf, Rsn, Cd | Prtry] => {
            if level.reason.is_none() {
                level.reason = Some(text.trim().to_string());
            }
        }
        [StsRsnInf, AddtlInf] => level.info.push(text.trim().to_string()),
        [OrgnlNbOfTxs] => set(&mut level.count, text, &mut level.repeated, "OrgnlNbOfTxs"),
        [OrgnlCtrlSum] => set(&mut level.sum, text, &mut level.repeated, "OrgnlCtrlSum"),
        _ => return false,
    }
    true
}

/// The elements the reader acts on, by local name; any other is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Document,
    CstmrPmtStsRpt,
    GrpHdr,
    MsgId,
    OrgnlGrpInfAndSts,
    OrgnlMsgId,
    OrgnlMsgNmId,
    OrgnlNbOfTxs,
    OrgnlCtrlSum,
    GrpSts,
    StsRsnInf,
    Rsn,
    Cd,
    Prtry,
    AddtlInf,
    OrgnlPmtInfAndSts,
    OrgnlPmtInfId,
    PmtInfSts,
    TxInfAndSts,
    OrgnlEndToEndId,
    TxSts,
    OrgnlTxRef,
    Amt,
    InstdAmt,
    Other,
}

impl Tag {
    fn of(local: &str) -> Tag {
        use Tag::*;
        match local {
            "Document" => Document,
            "CstmrPmtStsRpt" => CstmrPmtStsRpt,
            "GrpHdr" => GrpHdr,
            "MsgId" => MsgId,
            "OrgnlGrpInfAndSts" => OrgnlGrpInfAndSts,
            "OrgnlMsgId" => OrgnlMsgId,
            "OrgnlMsgNmId" => OrgnlMsgNmId,
            "OrgnlNbOfTxs" => OrgnlNbOfTxs,
            "OrgnlCtrlSum" => OrgnlCtrlSum,
            "GrpSts" => GrpSts,
            "StsRsnInf" => StsRsnInf,
            "Rsn" => Rsn,
            "Cd" => Cd,
            "Prtry" => Prtry,
            "AddtlInf" => AddtlInf,
            "OrgnlPmtInfAndSts" => OrgnlPmtInfAndSts,
            "OrgnlPmtInfId" => OrgnlPmtInfId,
            "PmtInfSts" => PmtInfSts,
            "TxInfAndSts" => TxInfAndSts,
            "OrgnlEndToEndId" => OrgnlEndToEndId,
            "TxSts" => TxSts,
            "OrgnlTxRef" => OrgnlTxRef,
            "Amt" => Amt,
            "InstdAmt" => InstdAmt,
            _ => Other,
        }
    }
}

/// The version of a pain.002 namespace we read, if `ns` is one.
fn version_of(ns: &str) -> Option<u8> {
    ns.strip_prefix(NS_PREFIX)
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|v| PAIN002_VERSIONS.contains(v))
}

/// The event loop's state: where we are in the document and what has been read so far.
struct Collector {
    path: Vec<Tag>,
    text: String,
    /// The report's namespace; elements of any other are skipped with their content.
    ns: Rc<str>,
    foreign_depth: usize,
    version: u8,
    header: Header,
    pmt_infs: Vec<PmtInf>,
    cur_pmt: Option<PmtInf>,
    cur_tx: Option<Tx>,
    entries: usize,
}

impl Collector {
    fn new() -> Collector {
        Collector {
            path: Vec::new(),
            text: String::new(),
            ns: Rc::from(""),
            foreign_depth: 0,
            version: 0,
            header: Header::default(),
            pmt_infs: Vec::new(),
            cur_pmt: None,
            cur_tx: None,
            entries: 0,
        }
    }

    fn event(&mut self, ev: Event<'_>) -> Result<(), BankError> {
        match ev {
            Event::Start(e) => self.start(&e),
            Event::Text(t) => {
                if self.foreign_depth == 0 {
                    self.text.push_str(&t);
                }
                Ok(())
            }
            Event::End => {
                self.end();
                Ok(())
            }
        }
    }

    /// The root must be a `Document` of a pain.002 version we read.
    fn root(&mut self, e: &Element<'_>) -> Result<(), BankError> {
        match (e.local, version_of(&e.ns)) {
            ("Document", Some(v)) => {
                self.version = v;
                self.ns = e.ns.clone();
                Ok(())
            }
            _ => Err(BankError::Pain002(tongchou_core::tr!(
                "bank-d-root",
                root = format!("{{{}}}{}", e.ns, e.local)
            ))),
        }
    }

    fn start(&mut self, e: &Element<'_>) -> Result<(), BankError> {
        use Tag::*;
        if self.path.is_empty() {
            self.root(e)?;
        } else if self.foreign_depth > 0 || *e.ns != *self.ns {
            self.foreign_depth += 1;
            return Ok(());
        }
        let tag = Tag::of(e.local);
        self.path.push(tag);
        self.text.clear();
        match self.path.as_slice() {
            [Document, r] if *r != CstmrPmtStsRpt => {
                return Err(BankError::Pain002(tongchou_core::tr!(
                    "bank-d-document-holds",
                    tag = e.local
                )));
            }
            [Document, CstmrPmtStsRpt, OrgnlPmtInfAndSts] => {
                self.cur_pmt = Some(PmtInf::default());
            }
            [Document, CstmrPmtStsRpt, OrgnlPmtInfAndSts, TxInfAndSts] => {
                self.entries += 1;
                self.cur_tx = Some(Tx {
                    ordinal: self.entries,
                    ..Tx::default()
                });
            }
            [
                Document,
                CstmrPmtStsRpt,
                OrgnlPmtInfAndSts,
                TxInfAndSts,
                OrgnlTxRef,
                Amt,
                InstdAmt,
            ] => {
                if let Some(tx) = self.cur_tx.as_mut() {
                    tx.currency = e.attr("Ccy").map(str::to_string);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self) {
        if self.foreign_depth > 0 {
            self.foreign_depth -= 1;
            return;
        }
        use Tag::*;
        match self.path.as_slice() {
            [Document, CstmrPmtStsRpt, GrpHdr, MsgId] => {
                let h = &mut self.header;
                set(&mut h.report_id, &self.text, &mut h.repeated, "MsgId");
            }
            [Document, CstmrPmtStsRpt, OrgnlGrpInfAndSts, rest @ ..] => {
                original_group_field(&mut self.header, rest, &self.text);
            }
            [Document, CstmrPmtStsRpt, OrgnlPmtInfAndSts] => {
                if let Some(pi) = self.cur_pmt.take() {
                    self.pmt_infs.push(pi);
                }
            }
            [Document, CstmrPmtStsRpt, OrgnlPmtInfAndSts, TxInfAndSts] => {
                if let (Some(pi), Some(tx)) = (self.cur_pmt.as_mut(), self.cur_tx.take()) {
                    pi.txs.push(tx);
                }
            }
            [
                Document,
                CstmrPmtStsRpt,
                OrgnlPmtInfAndSts,
                TxInfAndSts,
                rest @ ..,
            ] => {
                if let Some(tx) = self.cur_tx.as_mut() {
                    transaction_field(tx, rest, &self.text);
                }
            }
            [Document, CstmrPmtStsRpt, OrgnlPmtInfAndSts, rest @ ..] => {
                if let Some(pi) = self.cur_pmt.as_mut() {
                    payment_info_field(pi, rest, &self.text);
                }
            }
            _ => {}
        }
        self.path.pop();
        self.text.clear();
    }

    fn finish(self) -> Report {
        Report {
            version: self.version,
            header: self.header,
            pmt_infs: self.pmt_infs,
            entries: self.entries,
        }
    }
}

/// A field below `OrgnlGrpInfAndSts`, by its path below it.
fn original_group_field(h: &mut Header, rel: &[Tag], text: &str) {
    use Tag::*;
    match rel {
        [OrgnlMsgId] => set(&mut h.orig_msg_id, text, &mut h.repeated, "OrgnlMsgId"),
        [OrgnlMsgNmId] => set(&mut h.orig_msg_name, text, &mut h.repeated, "OrgnlMsgNmId"),
        _ => {
            level_field(&mut h.group, rel, text, GrpSts);
        }
    }
}

/// A field below `OrgnlPmtInfAndSts` (outside its entries), by its path below it.
fn payment_info_field(pi: &mut PmtInf, rel: &[Tag], text: &str) {
    use Tag::*;
    match rel {
        [OrgnlPmtInfId] => set(&mut pi.id, text, &mut pi.level.repeated, "OrgnlPmtInfId"),
        _ => {
            level_field(&mut pi.level, rel, text, PmtInfSts);
        }
    }
}

/// A field below `TxInfAndSts`, by its path below it.
fn transaction_field(tx: &mut Tx, rel: &[Tag], text: &str) {
    use Tag::*;
    match rel {
        [OrgnlEndToEndId] => set(&mut tx.e2e, text, &mut tx.level.repeated, "OrgnlEndToEndId"),
        [OrgnlTxRef, Amt, InstdAmt] => {
            set(&mut tx.amount, text, &mut tx.level.repeated, "InstdAmt")
        }
        _ => {
            level_field(&mut tx.level, rel, text, TxSts);
        }
    }
}

/// Read the whole document into a [`Report`]; refuses what is not well-formed XML or not a
/// pain.002 of a version we read.
fn collect(xml: &str) -> Result<Report, BankError> {
    let mut p = Parser::new(xml);
    let mut c = Collector::new();
    while let Some(ev) = p.next_event()? {
        c.event(ev)?;
    }
    Ok(c.finish())
}

/// The checks that refuse a whole report: a repeated header field, no original message id, an
/// original message that is not a pain.001, unreadable group totals.
fn check_header(h: &Header) -> Result<Group, BankError> {
    if let Some(name) = h.repeated.or(h.group.repeated) {
        return Err(BankError::Pain002(tongchou_core::tr!(
            "bank-d-header-twice",
            name = name
        )));
    }
    let orig_msg_id = h
        .orig_msg_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            BankError::Pain002(tongchou_core::tr!(
                "bank-d-no-field",
                field = "OrgnlGrpInfAndSts/OrgnlMsgId"
            ))
        })?;
    match h.orig_msg_name.as_deref() {
        Some(n) if n.starts_with("pain.001") => {}
        Some(n) => {
            return Err(BankError::Pain002(tongchou_core::tr!(
                "bank-d-not-pain001",
                name = n
            )));
        }
        None => {
            return Err(BankError::Pain002(tongchou_core::tr!(
                "bank-d-no-field",
                field = "OrgnlGrpInfAndSts/OrgnlMsgNmId"
            )));
        }
    }
    let group_field = |field: &str, e: String| {
        BankError::Pain002(tongchou_core::tr!(
            "bank-d-group-field",
            field = field,
            error = e
        ))
    };
    let count =
        parse_count(h.group.count.as_deref()).map_err(|e| group_field("OrgnlNbOfTxs", e))?;
    let sum = parse_sum(h.group.sum.as_deref()).map_err(|e| group_field("OrgnlCtrlSum", e))?;
    Ok(Group {
        orig_msg_id,
        status: h.group.status.as_deref().map(StatusCode::parse),
        count,
        sum,
    })
}

/// Read a pain.002 status report.
pub fn read_pain002(xml: &str) -> Result<ReturnFile, BankError> {
    let mut report = collect(xml)?;
    let group = check_header(&report.header)?;
    let mut out = Entries {
        ordinal: report.entries,
        ..Entries::default()
    };
    let all_listed = transaction_lines(&mut report, &group, &mut out);
    let infos_with_status = payment_info_lines(&report.pmt_infs, &group.orig_msg_id, &mut out);
    group_line(&report, group, all_listed, infos_with_status, &mut out);
    Ok(ReturnFile {
        format: ReturnFormat::Pain002 {
            version: report.version,
        },
        report_id: report.header.report_id,
        lines: out.lines,
        malformed: out.malformed,
    })
}

/// One line (or quarantined entry) per `TxInfAndSts`, in document order; records in each block
/// which payments it lists, and returns all the listed end-to-end ids.
fn transaction_lines(report: &mut Report, group: &Group, out: &mut Entries) -> BTreeSet<String> {
    // The listed ids only matter to the group lines there will be: a block's with a status, the
    // group's with one. Collected, then built in bulk (a sort, not n separate inserts).
    let mut all_listed = Vec::new();
    for pi in &mut report.pmt_infs {
        let pi_status = pi.level.status.as_deref().map(StatusCode::parse);
        let ids = || pi.txs.iter().filter_map(|t| t.e2e.clone());
        if pi_status.is_some() {
            pi.listed = ids().collect();
        }
        if group.status.is_some() {
            all_listed.extend(ids());
        }
        for tx in &pi.txs {
            let inherited = Inherited {
                pi: &pi.level,
                pi_status: pi_status.as_ref(),
                group: &report.header.group,
                group_status: group.status.as_ref(),
            };
            match transaction_line(&group.orig_msg_id, tx, &inherited) {
                Ok(line) => out.lines.push(line),
                Err(reason) => {
                    out.quarantine(tx.ordinal, reason, &group.orig_msg_id, tx.e2e.clone())
                }
            }
        }
    }
    all_listed.into_iter().collect()
}

/// One group line (or quarantined entry) per block with a `PmtInfSts`; returns the ids of the
/// blocks that got a line.
fn payment_info_lines(pmt_infs: &[PmtInf], msg: &str, out: &mut Entries) -> BTreeSet<String> {
    let mut infos_with_status = BTreeSet::new();
    for pi in pmt_infs {
        let Some(status) = pi.level.status.as_deref().map(StatusCode::parse) else {
            continue;
        };
        out.ordinal += 1;
        match payment_info_line(pi, status, out.ordinal, msg) {
            Ok((id, line)) => {
                infos_with_status.insert(id);
                out.lines.push(line);
            }
            Err(reason) => out.quarantine(out.ordinal, reason, msg, None),
        }
    }
    infos_with_status
}

/// The group line of one block's `PmtInfSts`, applying to the payments it does not list.
fn payment_info_line(
    pi: &PmtInf,
    status: StatusCode,
    ordinal: usize,
    msg: &str,
) -> Result<(String, StatusLine), String> {
    if let Some(r) = pi.level.repeated {
        return Err(tongchou_core::tr!("bank-d-given-twice", field = r));
    }
    if pi.txs.iter().any(|t| t.e2e.is_none()) {
        return Err(tongchou_core::tr!("bank-d-block-no-e2e"));
    }
    let id = pi
        .id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or("payment-information status without OrgnlPmtInfId")?;
    let line = StatusLine {
        source: ordinal,
        original_message_id: msg.to_string(),
        scope: Scope::Group {
            payment_info_id: Some(id.clone()),
            excluding: pi.listed.clone(),
            excluding_payment_infos: BTreeSet::new(),
        },
        status,
        reason: pi.level.reason.clone(),
        additional_info: join_info(&pi.level.info),
        amount: parse_sum(pi.level.sum.as_deref())?,
        count: parse_count(pi.level.count.as_deref())?,
    };
    Ok((id, line))
}

/// The line of `GrpSts`, applying to the payments neither listed nor covered by a block status;
/// quarantined when an entry names no payment (it could be about any of them).
fn group_line(
    report: &Report,
    group: Group,
    all_listed: BTreeSet<String>,
    infos_with_status: BTreeSet<String>,
    out: &mut Entries,
) {
    let Some(status) = group.status else {
        return;
    };
    out.ordinal += 1;
    let unidentified = report
        .pmt_infs
        .iter()
        .flat_map(|p| &p.txs)
        .any(|t| t.e2e.is_none());
    if unidentified {
        let reason = tongchou_core::tr!("bank-d-group-no-e2e", status = status);
        out.quarantine(out.ordinal, reason, &group.orig_msg_id, None);
        return;
    }
    let level = &report.header.group;
    out.lines.push(StatusLine {
        source: out.ordinal,
        original_message_id: group.orig_msg_id,
        scope: Scope::Group {
            payment_info_id: None,
            excluding: all_listed,
            excluding_payment_infos: infos_with_status,
        },
        status,
        reason: level.reason.clone(),
        additional_info: join_info(&level.info),
        amount: group.sum,
        count: group.count,
    });
}

fn join_info(info: &[String]) -> Option<String> {
    let v: Vec<&str> = info
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then(|| v.join(" "))
}

fn parse_count(s: Option<&str>) -> Result<Option<u64>, String> {
    match s {
        None => Ok(None),
        Some(t) if !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit()) => t
            .parse()
            .map(Some)
            .map_err(|_| tongchou_core::tr!("bank-d-bad-count", text = format!("{t:?}"))),
        Some(t) => Err(tongchou_core::tr!(
            "bank-d-bad-count",
            text = format!("{t:?}")
        )),
    }
}

fn parse_sum(s: Option<&str>) -> Result<Option<tongchou_core::Fen>, String> {
    s.map(parse_decimal_yuan).transpose()
}

/// The levels an entry without its own status takes it from: its block, then the group.
struct Inherited<'r> {
    pi: &'r Level,
    pi_status: Option<&'r StatusCode>,
    group: &'r Level,
    group_status: Option<&'r StatusCode>,
}

/// The line of one `TxInfAndSts`, or why it is quarantined.
fn transaction_line(orig_msg_id: &str, tx: &Tx, up: &Inherited<'_>) -> Result<StatusLine, String> {
    if let Some(r) = tx.level.repeated {
        return Err(tongchou_core::tr!("bank-d-given-twice", field = r));
    }
    let e2e = tx
        .e2e
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or("transaction status without OrgnlEndToEndId")?;
    let inherited = |s: Option<&StatusCode>| s.filter(|c| **c != StatusCode::Part).cloned();
    let (status, reason_level) = match tx.level.status.as_deref() {
        Some(s) => (StatusCode::parse(s), &tx.level),
        None => match (inherited(up.pi_status), inherited(up.group_status)) {
            (Some(s), _) => (s, up.pi),
            (None, Some(s)) => (s, up.group),
            (None, None) => return Err(tongchou_core::tr!("bank-d-no-status")),
        },
    };
    let reason = tx
        .level
        .reason
        .clone()
        .or_else(|| reason_level.reason.clone());
    let info = if tx.level.info.is_empty() {
        &reason_level.info
    } else {
        &tx.level.info
    };
    let amount = match (&tx.amount, tx.currency.as_deref()) {
        (None, _) => None,
        (Some(a), Some("CNY")) => Some(parse_decimal_yuan(a)?),
        (Some(_), Some(c)) => return Err(tongchou_core::tr!("bank-d-currency", currency = c)),
        (Some(_), None) => return Err(tongchou_core::tr!("bank-d-no-currency")),
    };
    Ok(StatusLine {
        source: tx.ordinal,
        original_message_id: orig_msg_id.to_string(),
        scope: Scope::Transaction { end_to_end_id: e2e },
        status,
        reason,
        additional_info: join_info(info),
        amount,
        count: None,
    })
}

/// Write `report` as pain.002 of `version` (3, 10 or 12; anything else writes 10, the version
/// paired with pain.001.001.09). Only the elements reconciliation reads are written; the result
/// is valid against the official schema of that version (tested for 3 and 12; 10 has the same
/// structure for these elements).
pub fn write_pain002(report: &StatusReport, version: u8) -> String {
    let version = if matches!(version, 3 | 10 | 12) {
        version
    } else {
        10
    };
    let mut s = String::with_capacity(1024 + 256 * report.transactions.len());
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!("<Document xmlns=\"{NS_PREFIX}{version:02}\">\n"));
    s.push_str("  <CstmrPmtStsRpt>\n    <GrpHdr>\n");
    leaf(&mut s, 3, "MsgId", &report.report_id);
    leaf(&mut s, 3, "CreDtTm", &report.created.to_string());
    s.push_str("    </GrpHdr>\n    <OrgnlGrpInfAndSts>\n");
    leaf(&mut s, 3, "OrgnlMsgId", &report.original_message_id);
    leaf(
        &mut s,
        3,
        "OrgnlMsgNmId",
        crate::pain001::PAIN001_MESSAGE_NAME,
    );
    if let Some(n) = report.original_count {
        leaf(&mut s, 3, "OrgnlNbOfTxs", &n.to_string());
    }
    if let Some(sum) = report.original_sum {
        leaf(&mut s, 3, "OrgnlCtrlSum", &sum.to_string());
    }
    if let Some(st) = &report.group_status {
        leaf(&mut s, 3, "GrpSts", st.as_str());
    }
    if let Some(r) = &report.group_reason {
        reason(&mut s, 3, r);
    }
    s.push_str("    </OrgnlGrpInfAndSts>\n");
    if !report.transactions.is_empty() {
        s.push_str("    <OrgnlPmtInfAndSts>\n");
        leaf(&mut s, 3, "OrgnlPmtInfId", &report.payment_info_id);
        for t in &report.transactions {
            s.push_str("      <TxInfAndSts>\n");
            leaf(&mut s, 4, "OrgnlEndToEndId", &t.end_to_end_id);
            leaf(&mut s, 4, "TxSts", t.status.as_str());
            if let Some(r) = &t.reason {
                reason(&mut s, 4, r);
            }
            if let Some(a) = t.amount {
                s.push_str("        <OrgnlTxRef>\n          <Amt>\n");
                s.push_str(&format!(
                    "            <InstdAmt Ccy=\"CNY\">{a}</InstdAmt>\n"
                ));
                s.push_str("          </Amt>\n        </OrgnlTxRef>\n");
            }
            s.push_str("      </TxInfAndSts>\n");
        }
        s.push_str("    </OrgnlPmtInfAndSts>\n");
    }
    s.push_str("  </CstmrPmtStsRpt>\n</Document>\n");
    s
}

fn leaf(s: &mut String, indent: usize, tag: &str, text: &str) {
    for _ in 0..indent {
        s.push_str("  ");
    }
    s.push('<');
    s.push_str(tag);
    s.push('>');
    push_xml_escaped(s, text);
    s.push_str("</");
    s.push_str(tag);
    s.push_str(">\n");
}

fn reason(s: &mut String, indent: usize, code: &str) {
    let pad = "  ".repeat(indent);
    s.push_str(&pad);
    s.push_str("<StsRsnInf>\n");
    s.push_str(&pad);
    s.push_str("  <Rsn>\n");
    leaf(s, indent + 2, "Cd", code);
    s.push_str(&pad);
    s.push_str("  </Rsn>\n");
    s.push_str(&pad);
    s.push_str("</StsRsnInf>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Fen;

    fn doc(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\"><CstmrPmtStsRpt>\
             <GrpHdr><MsgId>R1</MsgId><CreDtTm>2020-01-16T10:00:00+08:00</CreDtTm></GrpHdr>{body}\
             </CstmrPmtStsRpt></Document>"
        )
    }
    const OGRP: &str = "<OrgnlMsgId>M1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>";

    #[test]
    fn group_only() {
        let f = read_pain002(&doc(&format!(
            "<OrgnlGrpInfAndSts>{OGRP}<OrgnlNbOfTxs>2</OrgnlNbOfTxs><OrgnlCtrlSum>10.5</OrgnlCtrlSum>\
             <GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn><AddtlInf>余额不足</AddtlInf></StsRsnInf>\
             </OrgnlGrpInfAndSts>"
        )))
        .unwrap();
        assert_eq!(f.format, ReturnFormat::Pain002 { version: 10 });
        assert_eq!(f.report_id.as_deref(), Some("R1"));
        assert_eq!(f.lines.len(), 1);
        let l = &f.lines[0];
        assert_eq!(l.status, StatusCode::Rjct);
        assert_eq!(l.reason.as_deref(), Some("AM04"));
        assert_eq!(l.additional_info.as_deref(), Some("余额不足"));
        assert_eq!(l.amount, Some(Fen::new(1050)));
        assert_eq!(l.count, Some(2));
        assert!(
            matches!(&l.scope, Scope::Group { payment_info_id: None, excluding, .. } if excluding.is_empty())
        );
    }

    #[test]
    fn inheritance_and_malformed_entries() {
        let f = read_pain002(&doc(&format!(
            "<OrgnlGrpInfAndSts>{OGRP}<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\
             <OrgnlPmtInfAndSts><OrgnlPmtInfId>M1-1</OrgnlPmtInfId><PmtInfSts>ACSC</PmtInfSts>\
               <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId></TxInfAndSts>\
               <TxInfAndSts><OrgnlEndToEndId>E2</OrgnlEndToEndId><TxSts>RJCT</TxSts>\
                 <StsRsnInf><Rsn><Prtry>X9</Prtry></Rsn></StsRsnInf>\
                 <OrgnlTxRef><Amt><InstdAmt Ccy=\"CNY\">1.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>\
               <TxInfAndSts><OrgnlEndToEndId>E4</OrgnlEndToEndId><TxSts>ACSC</TxSts>\
                 <OrgnlTxRef><Amt><InstdAmt Ccy=\"USD\">1.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>\
               <TxInfAndSts><OrgnlEndToEndId>E5</OrgnlEndToEndId><OrgnlEndToEndId>E6</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>\
               <TxInfAndSts><OrgnlEndToEndId>E7</OrgnlEndToEndId><TxSts>ACSC</TxSts>\
                 <OrgnlTxRef><Amt><InstdAmt Ccy=\"CNY\">1.001</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>\
             </OrgnlPmtInfAndSts>\
             <SplmtryData><Envlp><x:Any xmlns:x=\"urn:other\"><x:TxSts>RJCT</x:TxSts></x:Any></Envlp></SplmtryData>"
        )))
        .unwrap();
        let tx: Vec<(&str, &str, usize)> = f
            .lines
            .iter()
            .filter_map(|l| l.end_to_end_id().map(|e| (e, l.status.as_str(), l.source)))
            .collect();
        assert_eq!(tx, vec![("E1", "ACSC", 1), ("E2", "RJCT", 2)]);
        assert_eq!(f.lines[1].reason.as_deref(), Some("X9"));
        assert_eq!(f.lines[1].amount, Some(Fen::new(100)));
        let bad: Vec<usize> = f.malformed.iter().map(|m| m.source).collect();
        assert_eq!(bad, vec![3, 4, 5]);
        // PmtInf line and group line, each excluding what was listed.
        assert_eq!(f.lines.len(), 4);
        match &f.lines[2].scope {
            Scope::Group {
                payment_info_id: Some(id),
                excluding,
                ..
            } => {
                assert_eq!(id, "M1-1");
                assert!(
                    excluding.contains("E1")
                        && excluding.contains("E7")
                        && !excluding.contains("E6")
                );
            }
            other => panic!("{other:?}"),
        }
        match &f.lines[3].scope {
            Scope::Group {
                payment_info_id: None,
                excluding_payment_infos,
                ..
            } => assert!(excluding_payment_infos.contains("M1-1")),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.lines[3].status, StatusCode::Part);
        assert_eq!((f.lines[2].source, f.lines[3].source), (6, 7));
    }

    /// An entry that names no payment could be about any of them: the block and group statuses
    /// beside it are not applied to the rest.
    #[test]
    fn unidentified_entry_holds_group_statuses() {
        let f = read_pain002(&doc(&format!(
            "<OrgnlGrpInfAndSts>{OGRP}<GrpSts>ACSC</GrpSts></OrgnlGrpInfAndSts>\
             <OrgnlPmtInfAndSts><OrgnlPmtInfId>M1-1</OrgnlPmtInfId><PmtInfSts>ACSC</PmtInfSts>\
               <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>\
               <TxInfAndSts><TxSts>RJCT</TxSts></TxInfAndSts>\
             </OrgnlPmtInfAndSts>"
        )))
        .unwrap();
        assert_eq!(f.lines.len(), 1);
        assert_eq!(f.lines[0].end_to_end_id(), Some("E1"));
        assert_eq!(
            f.malformed.iter().map(|m| m.source).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
    }

    #[test]
    fn refuses_untrustworthy_reports() {
        for bad in [
            // Not a pain.002 (a pain.001 namespace).
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"><CstmrPmtStsRpt/></Document>".to_string(),
            // Unsupported version.
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.02\"><CstmrPmtStsRpt/></Document>".to_string(),
            // No original message id.
            doc("<OrgnlGrpInfAndSts><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>ACSC</GrpSts></OrgnlGrpInfAndSts>"),
            // About a direct debit.
            doc("<OrgnlGrpInfAndSts><OrgnlMsgId>M1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId></OrgnlGrpInfAndSts>"),
            // Bad control sum.
            doc(&format!("<OrgnlGrpInfAndSts>{OGRP}<OrgnlCtrlSum>abc</OrgnlCtrlSum></OrgnlGrpInfAndSts>")),
            // Two original message ids.
            doc(&format!("<OrgnlGrpInfAndSts>{OGRP}<OrgnlMsgId>M2</OrgnlMsgId></OrgnlGrpInfAndSts>")),
            // Wrong child.
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.10\"><CstmrCdtTrfInitn/></Document>".to_string(),
            // Not well-formed.
            doc("<OrgnlGrpInfAndSts>"),
        ] {
            assert!(read_pain002(&bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn prefixed_namespace_is_fine() {
        let xml = "<p:Document xmlns:p=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><p:CstmrPmtStsRpt>\
             <p:GrpHdr><p:MsgId>R</p:MsgId><p:CreDtTm>2020-01-16T10:00:00</p:CreDtTm></p:GrpHdr>\
             <p:OrgnlGrpInfAndSts><p:OrgnlMsgId>M&amp;1</p:OrgnlMsgId><p:OrgnlMsgNmId>pain.001.001.03</p:OrgnlMsgNmId>\
             <p:GrpSts>ACCP</p:GrpSts></p:OrgnlGrpInfAndSts></p:CstmrPmtStsRpt></p:Document>";
        let f = read_pain002(xml).unwrap();
        assert_eq!(f.format, ReturnFormat::Pain002 { version: 3 });
        assert_eq!(f.lines[0].original_message_id, "M&1");
        assert_eq!(f.lines[0].status, StatusCode::Accp);
    }

    proptest::proptest! {
        /// What a simulated bank writes, in any version or as CSV, reads back as the same
        /// statuses, reasons and amounts.
        #[test]
        fn reports_round_trip(txs in proptest::collection::vec(
                ("[A-Z0-9]{1,35}", 0usize..6, proptest::option::of("[A-Z0-9]{4}"), proptest::option::of(0i64..1_000_000_000)), 0..20),
            group in proptest::option::of(0usize..6), version in proptest::sample::select(vec![3u8, 10, 12])) {
            const CODES: [&str; 6] = ["ACSC", "RJCT", "ACCP", "PDNG", "ACTC", "ACSP"];
            let report = crate::StatusReport {
                report_id: "R&<1>".into(),
                created: crate::DateTime::new(tongchou_core::Date::new(2020, 1, 16).unwrap(), 1, 2, 3).unwrap(),
                original_message_id: "M'1\"".into(),
                original_count: Some(txs.len() as u64),
                original_sum: Some(Fen::new(7)),
                group_status: group.map(|g| StatusCode::parse(CODES[g])),
                group_reason: None,
                payment_info_id: "M-1".into(),
                transactions: txs.iter().map(|(e, s, r, a)| crate::TxStatusReport {
                    end_to_end_id: e.clone(),
                    status: StatusCode::parse(CODES[*s]),
                    reason: r.clone(),
                    amount: a.map(Fen::new),
                }).collect(),
            };
            let want: Vec<(String, String, Option<String>, Option<Fen>)> = report.transactions.iter()
                .map(|t| (t.end_to_end_id.clone(), t.status.to_string(), t.reason.clone(), t.amount))
                .collect();
            for f in [read_pain002(&write_pain002(&report, version)).unwrap(),
                      crate::read_return_csv(&crate::write_return_csv(&report)).unwrap()] {
                proptest::prop_assert!(f.malformed.is_empty());
                let got: Vec<(String, String, Option<String>, Option<Fen>)> = f.lines.iter()
                    .filter_map(|l| l.end_to_end_id().map(|e| (e.to_string(), l.status.to_string(), l.reason.clone(), l.amount)))
                    .collect();
                proptest::prop_assert_eq!(&got, &want);
                proptest::prop_assert!(f.lines.iter().all(|l| l.original_message_id == "M'1\""));
                let groups: Vec<&StatusLine> = f.lines.iter().filter(|l| l.end_to_end_id().is_none()).collect();
                proptest::prop_assert_eq!(groups.len(), usize::from(group.is_some()));
                for g in groups {
                    proptest::prop_assert_eq!(g.amount, Some(Fen::new(7)));
                    match &g.scope {
                        Scope::Group { excluding, .. } => proptest::prop_assert_eq!(excluding.len(),
                            txs.iter().map(|t| &t.0).collect::<std::collections::BTreeSet<_>>().len()),
                        _ => proptest::prop_assert!(false),
                    }
                }
            }
        }
    }
}
