//! The malformed-file corpus (tests/corpus/, made by make_corpus.py) and generated workbooks:
//! each file is refused with exactly the rows, columns and reasons asserted here, and good files
//! yield the records they hold.

mod support;

use std::path::PathBuf;
use support::{X, refused_bytes, region, steel, today, xlsx};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Date, Fen, Period, Sex};
use tongchou_import::{
    Collection, Declaration, Employer, EmployerStatus, Encoding, Fingerprint, Format, ImportError,
    Options, Payer, Person, Record, Records, Rejection, read_all, validate,
};

const WANG: &str = "140105198001150110";
const LI: &str = "140202198510200223";
const ZHAO: &str = "142601199003010339";
const CHEN: &str = "140105199207040448";
const STEEL: &str = "91140105MA0K7Q2L9U";

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

fn opts() -> Options<'static> {
    Options::new(today())
}

fn rejection(r: Result<tongchou_import::Summary, ImportError>) -> Rejection {
    match r {
        Err(ImportError::Rejected(r)) => r,
        Err(ImportError::Io(e)) => panic!("I/O error: {e}"),
        Ok(s) => panic!("accepted: {s:?}"),
    }
}

/// The file is refused with exactly these problems.
fn refused<T: Record>(file: &str, want: &[&str]) {
    let r = rejection(validate::<T>(corpus(file), opts()));
    let got: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(got, want, "{file}");
    assert_eq!(r.error_total, want.len() as u64, "{file}");
}

#[test]
fn good_persons_in_utf8_with_bom_and_in_gbk_read_the_same() {
    let utf8 = std::fs::read(corpus("persons_ok_utf8_bom.csv")).expect("file");
    let gbk = std::fs::read(corpus("persons_ok_gbk.csv")).expect("file");
    let (a, sa) = read_all::<Person>(&utf8, opts()).expect("utf-8 file accepted");
    let (b, sb) = read_all::<Person>(&gbk, opts()).expect("gbk file accepted");
    assert_eq!(a, b);
    assert_eq!(sa.format, Format::Csv(Encoding::Utf8));
    assert_eq!(sb.format, Format::Csv(Encoding::Gbk));
    assert_eq!(sa.rows, 3);
    assert_eq!(sa.fingerprint, Fingerprint::of(&utf8));
    assert_eq!(sb.fingerprint, Fingerprint::of(&gbk));
    assert_ne!(sa.fingerprint, sb.fingerprint);

    let wang = &a[0];
    assert_eq!(wang.row, 2);
    assert_eq!(wang.id_number.as_str(), WANG);
    assert_eq!(wang.name, "王建国");
    assert_eq!(
        (wang.sex, wang.birth.to_string()),
        (Sex::Male, "1980-01-15".into())
    );
    assert_eq!(wang.category, Category::Male);
    assert_eq!(wang.county, region(140105));
    assert_eq!(wang.employer, Some(steel()));
    assert_eq!(wang.payer_kind, PayerKind::Employee);
    assert_eq!(wang.enrolled, Date::new(2002, 7, 1).expect("d"));

    let li = &a[1];
    assert_eq!(li.category, Category::FemaleCadre);
    assert_eq!(li.sex, Sex::Female);
    // 140202 (大同 城区) was retired in 2018: its business is handled by 平城区 now.
    assert_eq!(
        (li.county, li.county_as_written),
        (region(140213), region(140202))
    );
    assert_eq!((li.employer, li.payer_kind), (None, PayerKind::Flexible));

    let zhao = &a[2];
    assert_eq!(zhao.name, "赵,小明", "quoted field with a comma");
    assert_eq!(
        zhao.id_number.as_str(),
        ZHAO,
        "a retired address code is still valid"
    );
    assert_eq!(zhao.county, region(140781));
    assert_eq!(zhao.enrolled, Date::new(2015, 9, 1).expect("d"), "2015/9/1");

    // Validating the same file from its path says the same.
    let s = validate::<Person>(corpus("persons_ok_utf8_bom.csv"), opts()).expect("valid");
    assert_eq!(s, sa);
}

#[test]
fn persons_with_bad_ids_codes_and_contradictions() {
    refused::<Person>(
        "persons_bad.csv",
        &[
            "第 3 行 身份证号：校验位是 '1'，按前 17 位应为 '0'",
            "第 4 行 参保区县代码：140999 不是山西省现行或已撤销的区县级代码",
            "第 5 行 参保区县代码：不是本省的区县代码：110105 不在 山西省（140000）",
            "第 6 行 性别：女 与身份证号不符（身份证号为 男）",
            "第 6 行 人员类别：人员类别「女干部」与身份证号所示性别（男）不符",
            "第 7 行 单位统一社会信用代码：职工须填写单位统一社会信用代码",
            "第 8 行 单位统一社会信用代码：灵活就业人员不填单位",
            "第 9 行 参保日期：日期晚于今天：2027-01-01（今天是 2026-11-27）",
            "第 10 行：与第 2 行重复（身份证号相同）",
            "第 11 行 身份证号：校验位应为大写 X",
            "第 12 行 人员类别：人员类别应为 男、女干部 或 女工人：\"干部\"",
            "第 13 行 出生日期：1988-08-09 与身份证号不符（身份证号为 1988-08-08）",
            "第 14 行 单位统一社会信用代码：校验位是 'A'，按前 17 位应为 'U'",
            "第 15 行 姓名：必填",
            "第 15 行 参保区县代码：140100 是市级代码（太原市），请填区县代码",
            "第 15 行 参保日期：1980-01-01 早于出生日期 1988-08-08",
        ],
    );
}

/// The same file read for a reader of English (the current language set, as the web service
/// does for a request and the command line for `TONGCHOU_LANG=en`): every problem in English,
/// the columns still named as the file heads them.
#[test]
fn persons_with_bad_ids_in_english() {
    use tongchou_core::i18n::{Lang, scope};
    let (got, summary) = scope(Lang::En, || {
        let r = rejection(validate::<Person>(corpus("persons_bad.csv"), opts()));
        let got: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
        (got, r.to_string())
    });
    assert_eq!(
        got[..6],
        [
            "row 3, 身份证号: check character is '1' but the first 17 digits give '0'",
            "row 4, 参保区县代码: 140999 is not a county-level code of 山西省, current or retired",
            "row 5, 参保区县代码: 110105 is outside 山西省 (140000): expected a county of the province",
            "row 6, 性别: 女 disagrees with the ID number, which says 男",
            "row 6, 人员类别: category 女干部 does not match the sex of the ID number (男)",
            "row 7, 单位统一社会信用代码: an employee (职工) needs the employer's credit code",
        ]
    );
    assert_eq!(got[13], "row 15, 姓名: is required");
    assert!(
        summary
            .starts_with("file refused, nothing imported: 16 problem(s) in 13 of 14 data row(s)"),
        "{summary}"
    );
    // no Chinese words of the messages themselves (the file's headers and values stay as written)
    assert!(
        got.iter()
            .all(|l| !["行", "不", "应", "须"].iter().any(|w| l.contains(w))),
        "{got:#?}"
    );
}

#[test]
fn wrong_headers_are_all_reported_at_once() {
    refused::<Person>(
        "persons_wrong_header.csv",
        &[
            "第 1 行 工号：「参保人员」文件中没有这一列（应为：身份证号、姓名、性别、出生日期、人员类别、参保区县代码、单位统一社会信用代码、缴费类型、参保日期、户籍所在地代码）",
            "第 1 行 id_number：列重复（第 1 列和第 6 列都是 身份证号）",
            "第 1 行 参保日期：缺少必需的列（也可写作 enrolled）",
        ],
    );
    // A declarations file is not a persons file.
    let r = rejection(validate::<Person>(
        corpus("declarations_bad_gbk.csv"),
        opts(),
    ));
    let got: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got[2..],
        [
            "第 1 行 人员类别：缺少必需的列（也可写作 category）",
            "第 1 行 参保区县代码：缺少必需的列（也可写作 county）",
            "第 1 行 缴费类型：缺少必需的列（也可写作 payer_kind）",
            "第 1 行 参保日期：缺少必需的列（也可写作 enrolled）",
        ]
    );
    assert!(
        got[0].starts_with("第 1 行 所属期：「参保人员」文件中没有这一列"),
        "{r}"
    );
    assert!(
        got[1].starts_with("第 1 行 申报基数(元)：「参保人员」文件中没有这一列"),
        "{r}"
    );
    assert_eq!((r.rows, r.rejected_rows), (0, 0));
    assert_eq!(
        r.to_string().lines().next(),
        Some("文件未导入：表头或结构有 6 处问题")
    );
}

#[test]
fn declarations_in_gbk_with_negative_three_decimal_future_and_duplicate_rows() {
    refused::<Declaration>(
        "declarations_bad_gbk.csv",
        &[
            "第 4 行 申报基数(元)：申报基数不能为负：-100.00",
            "第 5 行 申报基数(元)：5000.123 小数超过两位，金额只到分",
            "第 6 行 所属期：年月晚于今天：2026-12（今天是 2026-11-27）",
            "第 7 行：与第 2 行重复（身份证号和所属期相同）",
            "第 9 行 单位统一社会信用代码：是他人的身份证号：灵活就业人员只为本人缴费",
            "第 10 行 所属期：没有这个月份：2024-13",
            "第 12 行 申报基数(元)：不是金额（元），例如 5000.00：\"abc\"",
        ],
    );
}

#[test]
fn good_rows_of_a_refused_file_are_still_parsed_correctly() {
    let bytes = std::fs::read(corpus("declarations_bad_gbk.csv")).expect("file");
    let mut recs = Records::<Declaration>::from_bytes(&bytes, opts()).expect("header ok");
    let good: Vec<Declaration> = recs.by_ref().flatten().collect();
    assert_eq!(recs.format(), Format::Csv(Encoding::Gbk));
    let rows: Vec<u64> = good.iter().map(|d| d.row).collect();
    assert_eq!(rows, vec![2, 3, 8, 11]);
    assert_eq!(good[0].payer, Payer::Employer(steel()));
    assert_eq!(good[0].base, Fen::new(650000));
    assert_eq!(good[0].name.as_deref(), Some("王建国"));
    assert_eq!(good[1].payer, Payer::Flexible, "empty payer");
    assert_eq!(good[2].payer, Payer::Flexible, "own ID number as payer");
    assert_eq!(good[2].period, "2026-09".parse::<Period>().expect("p"));
    assert_eq!(good[3].base, Fen::new(1200050), "\"12,000.50\"");
    let (errors, total) = recs.errors();
    assert_eq!((errors.len(), total), (7, 7));
}

#[test]
fn truncated_rows_and_a_file_cut_inside_a_quote() {
    refused::<Declaration>(
        "declarations_truncated.csv",
        &[
            "第 3 行：应与表头一样有 5 个字段，实有 4 个（行被截断或错位）",
            "第 4 行：应与表头一样有 5 个字段，实有 6 个（行被截断或错位）",
            "第 6 行：引号未闭合（文件被截断？）",
        ],
    );
}

#[test]
fn collections_with_bad_amounts_dates_receipts_and_duplicates() {
    refused::<Collection>(
        "collections_bad.csv",
        &[
            "第 4 行 实缴金额：缴款金额须大于零：0.00",
            "第 5 行 实缴金额：缴款金额须大于零：-50.00",
            "第 6 行 实缴金额：100.005 小数超过两位，金额只到分",
            "第 7 行 缴款日期：日期晚于今天：2026-11-28（今天是 2026-11-27）",
            "第 8 行：与第 2 行重复（票据号、身份证号和所属期相同）",
            "第 9 行 电子税票号码：必填",
            "第 11 行 缴费人识别号：校验位是 'A'，按前 17 位应为 'U'",
        ],
    );
}

#[test]
fn employers_with_bad_codes_industries_statuses_and_counties() {
    refused::<Employer>(
        "employers_bad.csv",
        &[
            "第 3 行 统一社会信用代码：校验位是 'A'，按前 17 位应为 'U'",
            "第 4 行 行业代码：大类 13 属于门类 C，不是 A",
            "第 5 行 单位状态：单位状态应为 正常、暂停 或 注销：\"倒闭\"",
            "第 6 行 所属区县代码：140100 是市级代码（太原市），请填区县代码",
            "第 7 行：与第 2 行重复（统一社会信用代码相同）",
        ],
    );
    let bytes = std::fs::read(corpus("employers_bad.csv")).expect("file");
    let good: Vec<Employer> = Records::<Employer>::from_bytes(&bytes, opts())
        .expect("header")
        .flatten()
        .collect();
    assert_eq!(good.len(), 2);
    assert_eq!(good[0].industry.as_str(), "C3110");
    assert_eq!(good[0].status, EmployerStatus::Active);
    // A functional zone's business is handled by its city.
    assert_eq!(
        (good[1].county, good[1].county_as_written),
        (region(140100), region(140171))
    );
    assert_eq!(good[1].status, EmployerStatus::Closed);
}

#[test]
fn empty_blank_utf16_and_xls_files() {
    for file in ["empty.csv", "blank_rows.csv"] {
        refused::<Person>(file, &["文件：文件为空：第一行应为表头"]);
    }
    refused::<Person>(
        "utf16.csv",
        &["文件：文件是 UTF-16 编码，请另存为 CSV（UTF-8 或 GBK）或 XLSX"],
    );
    refused::<Person>(
        "old_binary.xls",
        &["文件：这是旧版二进制 Excel 文件（.xls）：请另存为 .xlsx 或 CSV"],
    );
}

#[test]
fn bad_bytes_in_a_gbk_file() {
    refused::<Declaration>(
        "declarations_bad_bytes_gbk.csv",
        &["第 2 行 姓名：编码错误：不是有效的 GBK 文本（文件按 GBK 识别）"],
    );
}

#[test]
fn openpyxl_persons_workbook() {
    refused::<Person>(
        "persons_openpyxl.xlsx",
        &[
            "第 4 行 身份证号：身份证号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
            "第 5 行 参保区县代码：140999 不是山西省现行或已撤销的区县级代码",
            "第 7 行：与第 2 行重复（身份证号相同）",
        ],
    );
    let bytes = std::fs::read(corpus("persons_openpyxl.xlsx")).expect("file");
    let good: Vec<Person> = Records::<Person>::from_bytes(&bytes, opts())
        .expect("header")
        .flatten()
        .collect();
    assert_eq!(good.len(), 2);
    assert_eq!(
        good[0].enrolled,
        Date::new(2002, 7, 1).expect("d"),
        "a date cell"
    );
    assert_eq!(good[0].county, region(140105), "a number cell");
    assert_eq!(good[1].county, region(140213));
}

#[test]
fn openpyxl_collections_workbook() {
    refused::<Collection>(
        "collections_openpyxl.xlsx",
        &[
            "第 4 行 实缴金额(元)：1.234 小数超过两位，金额只到分",
            "第 5 行 电子税票号码：票据号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
        ],
    );
    let bytes = std::fs::read(corpus("collections_openpyxl.xlsx")).expect("file");
    let mut recs = Records::<Collection>::from_bytes(&bytes, opts()).expect("header");
    assert_eq!(recs.format(), Format::Xlsx);
    let good: Vec<Collection> = recs.by_ref().flatten().collect();
    assert_eq!(good.len(), 3);
    assert_eq!(good[0].paid, Fen::new(156000));
    assert_eq!(good[0].paid_on, Date::new(2026, 11, 15).expect("d"));
    assert_eq!(
        good[1].period,
        "2026-10".parse::<Period>().expect("p"),
        "202610 as a number"
    );
    assert_eq!(good[1].paid, Fen::new(30));
    assert_eq!(good[2].receipt, "3260112611");
    assert_eq!(good[2].payer, Payer::Employer(steel()));
}

fn declaration_workbook(extra: Vec<(u32, Vec<X<'_>>)>) -> Vec<u8> {
    let mut rows = vec![(
        1,
        vec![
            X::S("单位统一社会信用代码"),
            X::S("身份证号"),
            X::S("姓名"),
            X::S("所属期"),
            X::S("申报基数"),
        ],
    )];
    rows.extend(extra);
    xlsx(&rows)
}

#[test]
fn generated_workbook_with_shared_strings_floats_and_gaps() {
    let book = declaration_workbook(vec![
        (
            2,
            vec![
                X::S(STEEL),
                X::S(WANG),
                X::S("王建国"),
                X::S("2026-10"),
                X::N("6500.5"),
            ],
        ),
        (
            3,
            vec![
                X::Skip,
                X::I(LI),
                X::Skip,
                X::N("202610"),
                X::N("4500.0000000000009"),
            ],
        ),
        (
            5,
            vec![
                X::S(STEEL),
                X::I(CHEN),
                X::F("陈静"),
                X::I(" 2026-10 "),
                X::N("1234.5599999999999"),
            ],
        ),
    ]);
    let (recs, summary) = read_all::<Declaration>(&book, opts()).expect("accepted");
    assert_eq!(summary.format, Format::Xlsx);
    assert_eq!(summary.rows, 3);
    assert_eq!(summary.fingerprint, Fingerprint::of(&book));
    let got: Vec<(u64, Payer, &str, Fen)> = recs
        .iter()
        .map(|d| (d.row, d.payer, d.id_number.as_str(), d.base))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, Payer::Employer(steel()), WANG, Fen::new(650050)),
            (3, Payer::Flexible, LI, Fen::new(450000)),
            (5, Payer::Employer(steel()), CHEN, Fen::new(123456)),
        ]
    );
    assert_eq!(
        recs[2].name.as_deref(),
        Some("陈静"),
        "formula's cached value"
    );
}

#[test]
fn generated_workbook_refusals() {
    let book = declaration_workbook(vec![
        (
            2,
            vec![
                X::S(STEEL),
                X::S(WANG),
                X::E("#N/A"),
                X::S("2026-10"),
                X::N("1.234"),
            ],
        ),
        (
            3,
            vec![
                X::S(STEEL),
                X::N("1.40105198001150E+17"),
                X::Skip,
                X::S("2026-10"),
                X::N("100"),
            ],
        ),
        (
            4,
            vec![
                X::S(STEEL),
                X::S(CHEN),
                X::Skip,
                X::S("2026-10"),
                X::N("100"),
                X::I("extra"),
            ],
        ),
        (
            5,
            vec![X::S(STEEL), X::S(ZHAO), X::Skip, X::N("45352"), X::N("-5")],
        ),
    ]);
    refused_bytes::<Declaration>(
        &book,
        &[
            "第 2 行 姓名：单元格是表格错误值 #N/A",
            "第 2 行 申报基数：1.234 小数超过两位，金额只到分",
            "第 3 行 身份证号：身份证号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
            "第 4 行 第 6 列：没有表头的列中有值",
            "第 5 行 所属期：不是年月：\"45352\" 像是表格日期，请以文本 YYYY-MM 录入",
            "第 5 行 申报基数：申报基数不能为负：-5.00",
        ],
    );
}

#[test]
fn broken_workbooks_are_refused_as_files() {
    let book = declaration_workbook(vec![(
        2,
        vec![
            X::S(STEEL),
            X::S(WANG),
            X::S("王建国"),
            X::S("2026-10"),
            X::N("6500"),
        ],
    )]);
    // Cut short: the ZIP directory at the end is gone.
    refused_bytes::<Declaration>(
        &book[..book.len() - 40],
        &[
            "文件：不是可读取的 XLSX 工作簿：no ZIP end-of-directory record (truncated or not a ZIP archive)",
        ],
    );
    // A ZIP that is not a workbook.
    let other = support::zip(&[("word/document.xml", b"<w/>".as_slice(), true)]);
    refused_bytes::<Declaration>(
        &other,
        &["文件：不是 XLSX 工作簿：压缩包中没有 xl/workbook.xml"],
    );
    // A damaged sheet: the data no longer inflates, or its CRC-32 no longer matches.
    let mut damaged = book.clone();
    let sheet_at = find(&damaged, b"xl/worksheets/sheet1.xml") + 24 + 40;
    damaged[sheet_at] ^= 0xFF;
    let r = match read_all::<Declaration>(&damaged, opts()) {
        Err(ImportError::Rejected(r)) => r,
        other => panic!("accepted a damaged sheet: {other:?}"),
    };
    assert_eq!(r.errors.len(), 1, "{r}");
    assert!(r.errors[0].row <= 2, "{r}");
    assert!(r.errors[0].reason.contains("sheet"), "{r}");
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

/// A generated declarations file of `n` rows; every row in `bad` has a negative base.
fn big_csv(n: u32, bad: &[u32]) -> Vec<u8> {
    let mut out = "单位统一社会信用代码,身份证号,所属期,申报基数\n"
        .as_bytes()
        .to_vec();
    let rc = region(140105);
    let birth = Date::new(1980, 1, 1).expect("d");
    for i in 0..n {
        let id = tongchou_core::IdNumber::from_parts(
            rc,
            birth.add_days(i as i64 / 998),
            (i % 998 + 1) as u16,
        );
        let base = if bad.contains(&i) { "-1" } else { "5000.00" };
        out.extend_from_slice(format!("{STEEL},{id},2026-10,{base}\n").as_bytes());
    }
    out
}

#[test]
fn streaming_reports_progress_and_caps_the_error_list() {
    let bad: Vec<u32> = (0..40_000).step_by(7).collect();
    let file = big_csv(40_000, &bad);
    let mut seen = Vec::new();
    let mut o = opts();
    o.error_limit = 10;
    let recs = Records::<Declaration>::from_bytes(&file, o)
        .expect("header")
        .with_progress(|p| seen.push(p));
    let r = match recs.finish() {
        Err(ImportError::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.errors.len(), 10);
    assert_eq!(r.error_total, bad.len() as u64);
    assert_eq!(r.rejected_rows, bad.len() as u64);
    assert_eq!(r.rows, 40_000);
    assert_eq!(
        r.errors[0].to_string(),
        "第 2 行 申报基数：申报基数不能为负：-1.00"
    );
    assert_eq!(r.errors[1].row, 9);
    assert!(seen.len() >= 5, "{}", seen.len());
    assert!(
        seen.windows(2)
            .all(|w| w[0].bytes_read <= w[1].bytes_read && w[0].rows <= w[1].rows)
    );
    let last = seen.last().expect("progress");
    assert_eq!(last.bytes_read, file.len() as u64);
    assert_eq!(last.bytes_total, Some(file.len() as u64));
    assert_eq!(last.rows, 40_000);
}

#[test]
fn two_passes_and_streams_agree() {
    let file = big_csv(3_000, &[]);
    let first = read_all::<Declaration>(&file, opts()).expect("valid");
    // The same bytes from a pipe (no seeking, size unknown).
    let mut piped = Records::<Declaration>::from_stream(&file[..], None, opts()).expect("header");
    let second: Vec<Declaration> = piped.by_ref().map(|r| r.expect("valid row")).collect();
    let summary = piped.finish().expect("valid");
    assert_eq!(first.0, second);
    assert_eq!(first.1.fingerprint, summary.fingerprint);
    // A workbook from a pipe is buffered and read the same way.
    let book = declaration_workbook(vec![(
        2,
        vec![
            X::S(STEEL),
            X::S(WANG),
            X::S("王建国"),
            X::S("2026-10"),
            X::N("6500"),
        ],
    )]);
    let mut piped = Records::<Declaration>::from_stream(&book[..], None, opts()).expect("header");
    assert_eq!(
        piped.next().map(|r| r.map(|d| d.base)),
        Some(Ok(Fen::new(650000)))
    );
    assert_eq!(
        piped.finish().map(|s| s.fingerprint).ok(),
        Some(Fingerprint::of(&book))
    );
}

#[test]
fn duplicate_detection_can_be_left_to_the_caller() {
    let mut file = big_csv(10, &[]);
    let again = big_csv(10, &[]);
    let header_len = again.iter().position(|&b| b == b'\n').expect("header") + 1;
    file.extend_from_slice(&again[header_len..]);
    assert_eq!(
        rejection(read_all::<Declaration>(&file, opts()).map(|x| x.1)).error_total,
        10
    );
    let mut o = opts();
    o.detect_duplicates = false;
    assert_eq!(
        read_all::<Declaration>(&file, o).expect("accepted").0.len(),
        20
    );
}
