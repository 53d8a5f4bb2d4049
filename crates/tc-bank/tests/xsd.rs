//! Files we write and fixtures we read, validated against the official ISO 20022 schemas with
//! `xmllint --noout --schema` (required: these tests fail, never skip, without it).

mod common;

use common::*;
use std::collections::HashSet;
use tongchou_bank::*;
use tongchou_core::Fen;

/// Several counties' batches, with names full of XML specials and Chinese, bank agents on some
/// payments, configured debtors with credit codes beside a simulated one, and a split into
/// several files.
fn several_batches() -> Vec<PaymentBatch> {
    let names = [
        "张三",
        "李四 & 王五",
        "<script>alert('x')</script>",
        "O'Brien \"Jr\" ]]>",
        "欧阳·娜娜",
        "Ünïcödé 名字 &amp; 𠀀",
    ];
    let mut out = Vec::new();
    for (k, &code) in [140105u32, 140106, 140702, 141127].iter().enumerate() {
        let payments: Vec<Payment> = (0..(7 + k * 5))
            .map(|i| {
                let agent = (i % 3 == 0).then(|| {
                    BankId::new(
                        Some(Bic::parse("ICBKCNBJSXI").expect("bic")),
                        Some(Cnaps::parse("102161000010").expect("cnaps")),
                        Some("中国工商银行太原分行 & 营业部"),
                    )
                    .expect("bank")
                });
                Payment::new(
                    e2e(code, &format!("PAYEE{i:04}"), (i % 2) as u8),
                    names[i % names.len()],
                    AccountNumber::parse(&format!("62220202{code}{i:05}")).expect("account"),
                    agent,
                    Fen::new(100_000 + 137 * i as i64),
                    "2020-01 基本养老金 <含调整补发> & 其他",
                )
                .expect("payment")
            })
            .collect();
        let credit_code =
            tongchou_core::CreditCode::from_parts(b'1', b'2', county(code), b"MB000001")
                .expect("credit code");
        // A configured account on every county but the first, which pays from the simulated
        // one (no credit code): files are valid either way.
        let debtor = if k == 0 {
            Debtor::synthetic(
                county(code),
                &format!("{code} 社会保险事业管理中心 & <养老>"),
            )
            .expect("debtor")
        } else {
            Debtor::new(
                AgencyName::parse(&format!("{code} 社会保险事业管理中心 & <养老>")).expect("name"),
                credit_code,
                AccountNumber::parse(&format!("0502{code}0000{k:03}")).expect("account"),
                Some(
                    AccountTitle::parse("县社会保险事业管理中心基本养老保险基金支出户")
                        .expect("title"),
                ),
                BankId::new(
                    Some(Bic::parse("ICBKCNBJSXI").expect("bic")),
                    Some(Cnaps::parse("102161000010").expect("cnaps")),
                    Some("中国工商银行太原分行"),
                )
                .expect("bank"),
            )
        };
        out.extend(
            plan_batches(
                county(code),
                jan2020(),
                2,
                created(),
                exec_date(),
                &debtor,
                payments,
                8,
            )
            .expect("batches"),
        );
    }
    out.push(fixture_batch());
    out
}

#[test]
fn pain001_files_are_schema_valid() {
    let batches = several_batches();
    assert!(
        batches.len() >= 6,
        "expected several batches, got {}",
        batches.len()
    );
    let mut msg_ids = HashSet::new();
    let mut e2e_ids = HashSet::new();
    for b in &batches {
        assert!(
            msg_ids.insert(b.message_id().clone()),
            "message id repeated"
        );
        for p in b.payments() {
            assert!(
                e2e_ids.insert(p.end_to_end_id().clone()),
                "end-to-end id repeated"
            );
        }
        let sum = Fen::checked_sum(b.payments().iter().map(|p| p.amount())).expect("sum");
        assert_eq!(sum, b.control_sum());
        let xml = write_pain001(b);
        assert!(xml.contains(&format!("<CtrlSum>{}</CtrlSum>", b.control_sum())));
        assert!(xml.contains(&format!("<NbOfTxs>{}</NbOfTxs>", b.len())));
        if let Err(e) = xmllint(&xml, "pain.001.001.09.xsd") {
            panic!("{} is not schema-valid:\n{e}\n{xml}", b.message_id());
        }
    }
}

/// The validator is not a rubber stamp: a broken file is refused.
#[test]
fn schema_refuses_a_broken_pain001() {
    let xml = write_pain001(&fixture_batch());
    let broken = xml.replacen("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>XXX</PmtMtd>", 1);
    assert!(xmllint(&broken, "pain.001.001.09.xsd").is_err());
    let long_id = xml.replacen(
        "<MsgId>TC1401052020010001</MsgId>",
        "<MsgId>TC1401052020010001TC1401052020010001</MsgId>",
        1,
    );
    assert!(xmllint(&long_id, "pain.001.001.09.xsd").is_err());
}

#[test]
fn pain002_fixtures_are_schema_valid() {
    // v10 and v12 share the structure of every element these files use; no v10 schema is
    // shipped, so the v10 fixture is checked under the v12 namespace.
    let v10 = fixture("pain002_v10_part.xml").replace("pain.002.001.10", "pain.002.001.12");
    xmllint(&v10, "pain.002.001.12.xsd").expect("v10 fixture");
    xmllint(&fixture("pain002_v12_bad.xml"), "pain.002.001.12.xsd").expect("v12 bad fixture");
    xmllint(&fixture("pain002_v12_pending.xml"), "pain.002.001.12.xsd").expect("v12 pending");
    xmllint(&fixture("pain002_v03_accepted.xml"), "pain.002.001.03.xsd").expect("v03 fixture");
}

#[test]
fn simulated_pain002_is_schema_valid_and_reads_back() {
    let b = fixture_batch();
    let ids: Vec<String> = b
        .payments()
        .iter()
        .map(|p| p.end_to_end_id().to_string())
        .collect();
    let report = StatusReport::for_batch(
        &b,
        "SIM-0001",
        created(),
        &[(&ids[1], "AC04"), (&ids[3], "MD07")],
    );
    for (version, schema_version) in [(3u8, "03"), (10, "12"), (12, "12")] {
        let xml = write_pain002(&report, version);
        let checked = xml.replace(
            &format!("pain.002.001.{version:02}"),
            &format!("pain.002.001.{schema_version}"),
        );
        xmllint(&checked, &format!("pain.002.001.{schema_version}.xsd"))
            .unwrap_or_else(|e| panic!("v{version}: {e}\n{xml}"));
        let f = read_pain002(&xml).expect("read back");
        assert_eq!(f.format, ReturnFormat::Pain002 { version });
        assert_eq!(f.report_id.as_deref(), Some("SIM-0001"));
        let rejected: Vec<&str> = f
            .lines
            .iter()
            .filter(|l| l.status == StatusCode::Rjct)
            .filter_map(|l| l.end_to_end_id())
            .collect();
        assert_eq!(rejected, vec![ids[1].as_str(), ids[3].as_str()]);
    }
}
