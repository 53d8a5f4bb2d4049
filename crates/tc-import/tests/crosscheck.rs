//! The cross-check files: death records (死亡信息) and other payment rolls (其他待遇发放名单),
//! in CSV (UTF-8 with or without a byte-order mark, GBK) and XLSX. The cases of the small CSV
//! reader they had before (quoting, header aliases in any order, missing and unknown columns,
//! wrong cell counts, an encoding that is not UTF-8) hold here too.

mod support;

use support::{X, refused_bytes, today, xlsx};
use tongchou_core::{Date, Period};
use tongchou_import::{
    DeathRecord, DeathSource, Encoding, Format, ImportError, Kind, Options, RollPayment, read_all,
    template,
};

/// Valid resident ID numbers (born 1980-01-15, 1985-10-20, 1990-03-01).
const WANG: &str = "140105198001150110";
const LI: &str = "140202198510200223";
const ZHAO: &str = "142601199003010339";

fn opts() -> Options<'static> {
    Options::new(today())
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn m(s: &str) -> Period {
    s.parse().expect("month")
}

fn deaths(bytes: &[u8]) -> Vec<(u64, String, Date, DeathSource)> {
    let (recs, _) = read_all::<DeathRecord>(bytes, opts()).expect("accepted");
    recs.into_iter()
        .map(|r| (r.row, r.id_number.as_str().to_string(), r.died, r.source))
        .collect()
}

#[test]
fn templates_are_headers_of_empty_good_files() {
    for kind in [Kind::DeathRecords, Kind::PaymentRolls] {
        let t = format!("{}\n", template(kind));
        let n = match kind {
            Kind::DeathRecords => read_all::<DeathRecord>(t.as_bytes(), opts()).map(|x| x.1.rows),
            _ => read_all::<RollPayment>(t.as_bytes(), opts()).map(|x| x.1.rows),
        };
        assert_eq!(n.expect("template accepted"), 0, "{kind}");
    }
    assert_eq!(template(Kind::DeathRecords), "身份证号码,死亡日期,来源");
    assert_eq!(template(Kind::PaymentRolls), "身份证号码,发放月份");
}

#[test]
fn death_records_with_bom_quotes_crlf_blank_lines_and_headers_in_any_order() {
    let text = format!(
        "\u{feff}source,id_number,died\r\n\"公安\",\"{WANG}\",2020-01-02\r\n\r\n民政 , {LI} ,\"20200105\"\r\n\"public_security\",{LI},2020/1/3\r\n"
    );
    assert_eq!(
        deaths(text.as_bytes()),
        vec![
            (2, WANG.into(), d("2020-01-02"), DeathSource::PublicSecurity),
            (4, LI.into(), d("2020-01-05"), DeathSource::CivilAffairs),
            (5, LI.into(), d("2020-01-03"), DeathSource::PublicSecurity),
        ]
    );
    // Chinese aliases, another order
    let text = format!("死亡日期,数据来源,公民身份号码\n2021-06-30,民政部门,{ZHAO}\n");
    assert_eq!(
        deaths(text.as_bytes()),
        vec![(2, ZHAO.into(), d("2021-06-30"), DeathSource::CivilAffairs)]
    );
}

#[test]
fn death_records_in_gbk_read_as_in_utf8() {
    let text = format!("身份证号码,死亡日期,来源\n{WANG},2024-03-05,公安\n{LI},2024-03-06,民政\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let (a, sa) = read_all::<DeathRecord>(text.as_bytes(), opts()).expect("utf-8");
    let (b, sb) = read_all::<DeathRecord>(&gbk, opts()).expect("gbk");
    assert_eq!(a, b);
    assert_eq!(sa.format, Format::Csv(Encoding::Utf8));
    assert_eq!(sb.format, Format::Csv(Encoding::Gbk));
}

#[test]
fn death_records_in_a_workbook() {
    let book = xlsx(&[
        (1, vec![X::S("身份证号码"), X::S("死亡日期"), X::S("来源")]),
        (2, vec![X::S(WANG), X::N("45356"), X::S("公安")]),
        (4, vec![X::I(LI), X::S("2024-03-06"), X::I("民政")]),
        (
            5,
            vec![
                X::N("1.40202198510200E+17"),
                X::S("2024-03-06"),
                X::S("民政"),
            ],
        ),
    ]);
    refused_bytes::<DeathRecord>(
        &book,
        &[
            "第 5 行 身份证号码：身份证号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
        ],
    );
    let good = xlsx(&[
        (1, vec![X::S("身份证号码"), X::S("死亡日期"), X::S("来源")]),
        (2, vec![X::S(WANG), X::N("45356"), X::S("公安")]),
        (4, vec![X::I(LI), X::S("2024-03-06"), X::I("民政")]),
    ]);
    let (recs, s) = read_all::<DeathRecord>(&good, opts()).expect("accepted");
    assert_eq!(s.format, Format::Xlsx);
    assert_eq!(
        recs.iter().map(|r| (r.row, r.died)).collect::<Vec<_>>(),
        vec![(2, d("2024-03-05")), (4, d("2024-03-06"))]
    );
}

#[test]
fn death_records_refused_with_row_column_and_reason() {
    let mut bad_id = WANG.to_string();
    bad_id.pop();
    bad_id.push('1');
    let text = format!(
        "身份证号码,死亡日期,来源\n\
         {WANG},2024-03-05,公安\n\
         {bad_id},2024-03-05,公安\n\
         {LI},2024-13-01,民政\n\
         {ZHAO},2024-03-05,法院\n\
         {ZHAO},2026-11-28,民政\n\
         {ZHAO},1990-02-28,公安\n\
         {WANG},2024-03-07,公安\n\
         {WANG},2024-03-07,民政\n\
         {LI},,\n"
    );
    let r = match read_all::<DeathRecord>(text.as_bytes(), opts()) {
        Err(ImportError::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    let got: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(got.len(), 8, "{got:#?}");
    assert!(got[0].starts_with("第 3 行 身份证号码："), "{}", got[0]);
    assert!(got[1].starts_with("第 4 行 死亡日期："), "{}", got[1]);
    assert_eq!(
        got[2..],
        [
            "第 5 行 来源：来源应为 公安 或 民政：\"法院\"",
            "第 6 行 死亡日期：日期晚于今天：2026-11-28（今天是 2026-11-27）",
            "第 7 行 死亡日期：1990-02-28 早于出生日期 1990-03-01",
            "第 8 行：与第 2 行重复（身份证号和来源相同）",
            "第 10 行 死亡日期：必填",
            "第 10 行 来源：必填",
        ]
    );
    assert_eq!((r.rejected_rows, r.rows), (7, 9));
}

#[test]
fn death_records_header_missing_unknown_and_twice() {
    refused_bytes::<DeathRecord>(
        format!("id_number,x,身份证号\n{WANG},1,{WANG}\n").as_bytes(),
        &[
            "第 1 行 x：「死亡信息」文件中没有这一列（应为：身份证号码、死亡日期、来源）",
            "第 1 行 身份证号：列重复（第 1 列和第 3 列都是 身份证号码）",
            "第 1 行 死亡日期：缺少必需的列（也可写作 died）",
            "第 1 行 来源：缺少必需的列（也可写作 source）",
        ],
    );
    refused_bytes::<DeathRecord>(b"", &["文件：文件为空：第一行应为表头"]);
}

#[test]
fn wrong_cell_counts_and_broken_quotes() {
    let text = format!("id_number,died,source\n{WANG},2024-03-05\n{LI},2024-03-05,公安,x\n");
    refused_bytes::<DeathRecord>(
        text.as_bytes(),
        &[
            "第 2 行：应与表头一样有 3 个字段，实有 2 个（行被截断或错位）",
            "第 3 行：应与表头一样有 3 个字段，实有 4 个（行被截断或错位）",
        ],
    );
    let text = format!("id_number,month\n{WANG},\"2024-03\n");
    refused_bytes::<RollPayment>(text.as_bytes(), &["第 2 行：引号未闭合（文件被截断？）"]);
}

#[test]
fn not_utf8_nor_gbk_is_refused_with_its_cell() {
    // 0xFF is neither UTF-8 nor GBK
    let mut bytes = format!("id_number,month\n{WANG},2024-03\n{LI},").into_bytes();
    bytes.extend_from_slice(&[0xFF, b'\n']);
    let r = match read_all::<RollPayment>(&bytes, opts()) {
        Err(ImportError::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].row, 3);
    assert_eq!(r.errors[0].column.as_deref(), Some("month"));
    assert!(r.errors[0].reason.contains("编码错误"), "{:?}", r.errors);
}

#[test]
fn payment_rolls_allow_a_month_twice_and_refuse_future_months() {
    let text =
        format!("月份,身份证号码\n2025-05,{LI}\n202506,{LI}\n2025-05,{LI}\n 2026-11 ,{WANG}\n");
    let (recs, s) = read_all::<RollPayment>(text.as_bytes(), opts()).expect("accepted");
    assert_eq!(s.rows, 4);
    assert_eq!(
        recs.iter()
            .map(|r| (r.row, r.id_number.as_str(), r.month))
            .collect::<Vec<_>>(),
        vec![
            (2, LI, m("2025-05")),
            (3, LI, m("2025-06")),
            (4, LI, m("2025-05")),
            (5, WANG, m("2026-11")),
        ]
    );
    refused_bytes::<RollPayment>(
        format!("发放月份,身份证号\n2026-12,{LI}\n2025-13,{LI}\n2025-01,{LI}x\n").as_bytes(),
        &[
            "第 2 行 发放月份：年月晚于今天：2026-12（今天是 2026-11-27）",
            "第 3 行 发放月份：没有这个月份：2025-13",
            "第 4 行 身份证号：身份证号应为 18 位（旧号 15 位），实有 19 位",
        ],
    );
}
