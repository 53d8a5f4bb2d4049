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
            "row 3, 身份证号: 校验位不符 check character is '1' but the first 17 digits give '0'",
            "row 4, 参保区县代码: 不是区县级代码 140999 is not a county-level code of 山西省, current or retired",
            "row 5, 参保区县代码: 不是本省的区县代码 110105 is outside 山西省 (140000): expected a county of the province",
            "row 6, 性别: 与身份证号不符 女 disagrees with the ID number, which says 男",
            "row 6, 人员类别: 人员类别与身份证号所示性别不符 女干部 is for women, but the ID number says 男",
            "row 7, 单位统一社会信用代码: 职工须填写单位统一社会信用代码 an employee (职工) needs the employer's credit code",
            "row 8, 单位统一社会信用代码: 灵活就业人员不填单位 a flexibly employed person (灵活就业) has no employer: leave it empty",
            "row 9, 参保日期: 日期晚于今天 date 2027-01-01 is in the future (today is 2026-11-27)",
            "row 10: 与第 2 行重复 duplicate of row 2 (same ID number)",
            "row 11, 身份证号: 校验位应为大写 X check character must be an uppercase X",
            "row 12, 人员类别: 人员类别应为 男、女干部 或 女工人 unknown category \"干部\" (expected 男, 女干部 or 女工人)",
            "row 13, 出生日期: 与身份证号不符 1988-08-09 disagrees with the ID number, which says 1988-08-08",
            "row 14, 单位统一社会信用代码: check character is 'A' but the first 17 characters give 'U'",
            "row 15, 姓名: 必填项为空 required value is empty",
            "row 15, 参保区县代码: 这是市级代码，请填区县代码 140100 is a city (太原市), not a county: give the county-level code",
            "row 15, 参保日期: 早于出生日期 1980-01-01 is before the birth date 1988-08-08",
        ],
    );
}

#[test]
fn wrong_headers_are_all_reported_at_once() {
    refused::<Person>(
        "persons_wrong_header.csv",
        &[
            "row 1, 工号: 无法识别的列 unknown column for a persons file (expected: 身份证号, 姓名, 性别, 出生日期, 人员类别, 参保区县代码, 单位统一社会信用代码, 缴费类型, 参保日期, 户籍所在地代码)",
            "row 1, id_number: 列重复 column appears twice (column 1 and column 6) as 身份证号",
            "row 1, 参保日期: 缺少必需的列 required column is missing (also accepted: enrolled)",
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
            "row 1, 人员类别: 缺少必需的列 required column is missing (also accepted: category)",
            "row 1, 参保区县代码: 缺少必需的列 required column is missing (also accepted: county)",
            "row 1, 缴费类型: 缺少必需的列 required column is missing (also accepted: payer_kind)",
            "row 1, 参保日期: 缺少必需的列 required column is missing (also accepted: enrolled)",
        ]
    );
    assert!(
        got[0].starts_with("row 1, 所属期: 无法识别的列 unknown column for a persons file"),
        "{r}"
    );
    assert!(
        got[1].starts_with("row 1, 申报基数(元): 无法识别的列 unknown column"),
        "{r}"
    );
    assert_eq!((r.rows, r.rejected_rows), (0, 0));
    assert_eq!(
        r.to_string().lines().next(),
        Some(
            "文件未导入，表头或结构有问题 file refused, nothing imported: 6 problem(s) in its header or structure"
        )
    );
}

#[test]
fn declarations_in_gbk_with_negative_three_decimal_future_and_duplicate_rows() {
    refused::<Declaration>(
        "declarations_bad_gbk.csv",
        &[
            "row 4, 申报基数(元): 申报基数不能为负 the declared base must not be negative, got -100.00",
            "row 5, 申报基数(元): 小数超过两位，金额只到分 5000.123 has more than two decimals: amounts are carried to the fen",
            "row 6, 所属期: 年月晚于今天 period 2026-12 is in the future (today is 2026-11-27)",
            "row 7: 与第 2 行重复 duplicate of row 2 (same ID number and period)",
            "row 9, 单位统一社会信用代码: the ID number of someone else: a flexibly employed person pays only for themselves",
            "row 10, 所属期: no such month: 2024-13",
            "row 12, 申报基数(元): 不是金额（元），例如 5000.00 not a yuan amount: \"abc\" (expected e.g. 5000.00)",
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
            "row 3: expected 5 fields as in the header, found 4 (truncated or shifted row)",
            "row 4: expected 5 fields as in the header, found 6 (truncated or shifted row)",
            "row 6: 引号未闭合（文件被截断？） a quoted field is not closed before the end of the file (truncated file?)",
        ],
    );
}

#[test]
fn collections_with_bad_amounts_dates_receipts_and_duplicates() {
    refused::<Collection>(
        "collections_bad.csv",
        &[
            "row 4, 实缴金额: 缴款金额须大于零 the amount paid must be positive, got 0.00",
            "row 5, 实缴金额: 缴款金额须大于零 the amount paid must be positive, got -50.00",
            "row 6, 实缴金额: 小数超过两位，金额只到分 100.005 has more than two decimals: amounts are carried to the fen",
            "row 7, 缴款日期: 日期晚于今天 date 2026-11-28 is in the future (today is 2026-11-27)",
            "row 8: 与第 2 行重复 duplicate of row 2 (same receipt number, ID number and period)",
            "row 9, 电子税票号码: 必填项为空 required value is empty",
            "row 11, 缴费人识别号: check character is 'A' but the first 17 characters give 'U'",
        ],
    );
}

#[test]
fn employers_with_bad_codes_industries_statuses_and_counties() {
    refused::<Employer>(
        "employers_bad.csv",
        &[
            "row 3, 统一社会信用代码: check character is 'A' but the first 17 characters give 'U'",
            "row 4, 行业代码: division 13 belongs to section C, not A",
            "row 5, 单位状态: unknown employer status \"倒闭\" (expected 正常, 暂停 or 注销)",
            "row 6, 所属区县代码: 这是市级代码，请填区县代码 140100 is a city (太原市), not a county: give the county-level code",
            "row 7: 与第 2 行重复 duplicate of row 2 (same credit code)",
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
        refused::<Person>(file, &["file: the file is empty: expected a header row"]);
    }
    refused::<Person>(
        "utf16.csv",
        &[
            "file: 文件是 UTF-16 编码，请另存为 CSV（UTF-8 或 GBK）或 XLSX the file is UTF-16 text: save it as CSV (UTF-8 or GBK) or as XLSX",
        ],
    );
    refused::<Person>(
        "old_binary.xls",
        &["file: this is an old binary Excel file (.xls): save it as .xlsx or as CSV"],
    );
}

#[test]
fn bad_bytes_in_a_gbk_file() {
    refused::<Declaration>(
        "declarations_bad_bytes_gbk.csv",
        &[
            "row 2, 姓名: 编码错误：不是有效的 GBK 文本 bad encoding: not valid GBK text (the file was detected as GBK)",
        ],
    );
}

#[test]
fn openpyxl_persons_workbook() {
    refused::<Person>(
        "persons_openpyxl.xlsx",
        &[
            "row 4, 身份证号: 以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入 the ID number was stored as a number, which keeps only 15 digits: format the column as text and enter it again",
            "row 5, 参保区县代码: 不是区县级代码 140999 is not a county-level code of 山西省, current or retired",
            "row 7: 与第 2 行重复 duplicate of row 2 (same ID number)",
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
            "row 4, 实缴金额(元): 小数超过两位，金额只到分 1.234 has more than two decimals: amounts are carried to the fen",
            "row 5, 电子税票号码: 以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入 the receipt number was stored as a number, which keeps only 15 digits: format the column as text and enter it again",
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
            "row 2, 姓名: 单元格是表格错误值 the cell holds the spreadsheet error #N/A",
            "row 2, 申报基数: 小数超过两位，金额只到分 1.234 has more than two decimals: amounts are carried to the fen",
            "row 3, 身份证号: 以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入 the ID number was stored as a number, which keeps only 15 digits: format the column as text and enter it again",
            "row 4, column 6: a value in a column without a header",
            "row 5, 所属期: 不是年月：像是表格日期，请以文本 YYYY-MM 录入 not a month: \"45352\" (a spreadsheet date? enter the month as text YYYY-MM)",
            "row 5, 申报基数: 申报基数不能为负 the declared base must not be negative, got -5.00",
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
            "file: 不是可读取的 XLSX 工作簿 not a readable XLSX workbook: no ZIP end-of-directory record (truncated or not a ZIP archive)",
        ],
    );
    // A ZIP that is not a workbook.
    let other = support::zip(&[("word/document.xml", b"<w/>".as_slice(), true)]);
    refused_bytes::<Declaration>(
        &other,
        &["file: not an XLSX workbook: the archive has no xl/workbook.xml"],
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
        "row 2, 申报基数: 申报基数不能为负 the declared base must not be negative, got -1.00"
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
