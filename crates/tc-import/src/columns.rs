//! The kinds of import file, their columns (Chinese headers with English aliases) and the
//! header row: any column order, unknown and duplicate columns refused, required columns checked.

use crate::error::RowError;
use std::fmt;
use std::str::FromStr;
use tongchou_core::i18n::{self, Lang};
use tongchou_core::tr;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Insured persons (参保人员).
    Persons,
    /// Employers (参保单位).
    Employers,
    /// Monthly wage declarations (缴费基数申报).
    Declarations,
    /// The tax bureau's collection results (征收结果).
    Collections,
    /// Death records (死亡信息) reported by public security (公安) or civil affairs (民政), for the
    /// cross-check of the pensioner roll.
    DeathRecords,
    /// Another payment roll (其他待遇发放名单, e.g. 城乡居民养老保险): who it paid in which month,
    /// for the duplicate-receipt cross-check.
    PaymentRolls,
    /// Records of pensioners seen alive (生存信息) by other departments (a hospital visit of the
    /// medical insurance, a border crossing, a civil-affairs visit...), for the silent
    /// eligibility certification (静默认证) of the payroll.
    AliveRecords,
    /// A city's legacy insured persons (历史参保人员), for the migration (`tongchou migrate`).
    LegacyInsured,
    /// A city's legacy contribution history by year (历史缴费记录).
    LegacyHistory,
    /// A city's legacy pensioners with their award and the pension in force (历史离退休人员).
    LegacyPensioners,
    /// A city's legacy open arrears (历史欠费).
    LegacyArrears,
    /// A city's control totals per county (控制数).
    LegacyControls,
    /// Transfer requests (转移接续申请) of other provinces' agencies: persons to transfer out.
    TransferRequests,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Persons,
        Kind::Employers,
        Kind::Declarations,
        Kind::Collections,
        Kind::DeathRecords,
        Kind::PaymentRolls,
        Kind::AliveRecords,
        Kind::LegacyInsured,
        Kind::LegacyHistory,
        Kind::LegacyPensioners,
        Kind::LegacyArrears,
        Kind::LegacyControls,
        Kind::TransferRequests,
    ];

    /// The legacy kinds of a city's migration (`docs/LEGACY.md`).
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            Kind::LegacyInsured
                | Kind::LegacyHistory
                | Kind::LegacyPensioners
                | Kind::LegacyArrears
                | Kind::LegacyControls
        )
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Persons => "persons",
            Kind::Employers => "employers",
            Kind::Declarations => "declarations",
            Kind::Collections => "collections",
            Kind::DeathRecords => "deaths",
            Kind::PaymentRolls => "rolls",
            Kind::AliveRecords => "alive",
            Kind::LegacyInsured => "legacy-insured",
            Kind::LegacyHistory => "legacy-history",
            Kind::LegacyPensioners => "legacy-pensioners",
            Kind::LegacyArrears => "legacy-arrears",
            Kind::LegacyControls => "legacy-controls",
            Kind::TransferRequests => "transfer-requests",
        }
    }

    /// The Chinese name of the file kind.
    pub fn chinese(self) -> &'static str {
        match self {
            Kind::Persons => "参保人员",
            Kind::Employers => "参保单位",
            Kind::Declarations => "缴费基数申报",
            Kind::Collections => "征收结果",
            Kind::DeathRecords => "死亡信息",
            Kind::PaymentRolls => "其他待遇发放名单",
            Kind::AliveRecords => "生存信息",
            Kind::LegacyInsured => "历史参保人员",
            Kind::LegacyHistory => "历史缴费记录",
            Kind::LegacyPensioners => "历史离退休人员",
            Kind::LegacyArrears => "历史欠费",
            Kind::LegacyControls => "控制数",
            Kind::TransferRequests => "转移接续申请",
        }
    }

    /// The kind's name in `lang` from the message catalogue (`import-kind-<kind>`; in Chinese
    /// [`Kind::chinese`]).
    pub fn name(self, lang: Lang) -> &'static str {
        i18n::text(lang, &format!("import-kind-{}", self.as_str())).unwrap_or(self.chinese())
    }

    /// The columns of this kind, in template order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Persons => PERSON_COLUMNS,
            Kind::Employers => EMPLOYER_COLUMNS,
            Kind::Declarations => DECLARATION_COLUMNS,
            Kind::Collections => COLLECTION_COLUMNS,
            Kind::DeathRecords => DEATH_COLUMNS,
            Kind::PaymentRolls => ROLL_COLUMNS,
            Kind::AliveRecords => ALIVE_COLUMNS,
            Kind::LegacyInsured => crate::legacy::INSURED_COLUMNS,
            Kind::LegacyHistory => crate::legacy::HISTORY_COLUMNS,
            Kind::LegacyPensioners => crate::legacy::PENSIONER_COLUMNS,
            Kind::LegacyArrears => crate::legacy::ARREARS_COLUMNS,
            Kind::LegacyControls => crate::legacy::CONTROL_COLUMNS,
            Kind::TransferRequests => crate::requests::REQUEST_COLUMNS,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        let t = s.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == t || k.chinese() == t)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                tr!(
                    "import-err-kind",
                    kind = format!("{s:?}"),
                    kinds = names.join(", ")
                )
            })
    }
}

/// One column of an import file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// English name, also accepted as a header.
    pub key: &'static str,
    /// The canonical Chinese header, used by [`template`].
    pub header: &'static str,
    /// Other accepted headers (Chinese variants, English spellings).
    pub aliases: &'static [&'static str],
    /// Whether the column must be present (its values may still be optional, e.g. the employer
    /// of a flexibly employed payer in a declaration).
    pub required: bool,
    /// What goes in it.
    pub help: &'static str,
}

impl Column {
    /// What goes in the column, in `lang`, from the message catalogue: the message
    /// `import-help-<key>` (or `-2`, `-3`, … for a key whose help differs by kind) whose
    /// English text is [`Column::help`]; the English help when the catalogue has none (a test
    /// rules that out).
    pub fn help_in(&self, lang: Lang) -> &'static str {
        self.help_id()
            .and_then(|id| i18n::text(lang, &id))
            .unwrap_or(self.help)
    }

    /// The catalogue id of the column's help.
    fn help_id(&self) -> Option<String> {
        let base = format!("import-help-{}", self.key);
        (1..10)
            .map(|n| match n {
                1 => base.clone(),
                n => format!("{base}-{n}"),
            })
            .find(|id| i18n::text(Lang::En, id) == Some(self.help))
    }
}

pub(crate) const fn col(
    key: &'static str,
    header: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    help: &'static str,
) -> Column {
    Column {
        key,
        header,
        aliases,
        required,
        help,
    }
}

const ID: &[&str] = &["公民身份号码", "身份证号码", "证件号码", "id", "id_no"];
/// The aliases of an ID-number column headed 身份证号码 (as the cross-check files are).
const ID_LONG: &[&str] = &["身份证号", "公民身份号码", "证件号码", "id", "id_no"];
const NAME: &[&str] = &["人员姓名"];
const COUNTY: &[&str] = &["区县代码", "行政区划代码", "county_code"];

// Column indices per kind (positions in the tables below).
pub(crate) mod pcol {
    pub const ID: usize = 0;
    pub const NAME: usize = 1;
    pub const SEX: usize = 2;
    pub const BIRTH: usize = 3;
    pub const CATEGORY: usize = 4;
    pub const COUNTY: usize = 5;
    pub const EMPLOYER: usize = 6;
    pub const PAYER_KIND: usize = 7;
    pub const ENROLLED: usize = 8;
    pub const HUKOU: usize = 9;
}
pub(crate) const PERSON_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号",
        ID,
        true,
        "18-character resident ID number",
    ),
    col("name", "姓名", NAME, true, "full name"),
    col(
        "sex",
        "性别",
        &[],
        false,
        "男/女 (optional, must agree with the ID number)",
    ),
    col(
        "birth",
        "出生日期",
        &["birth_date"],
        false,
        "YYYY-MM-DD (optional, must agree with the ID number)",
    ),
    col(
        "category",
        "人员类别",
        &["身份类别"],
        true,
        "男 / 女干部 / 女工人 (male, female-cadre, female-worker)",
    ),
    col(
        "county",
        "参保区县代码",
        &["参保地区划代码", "区县代码", "行政区划代码", "county_code"],
        true,
        "six-digit code of a Shanxi county",
    ),
    col(
        "employer",
        "单位统一社会信用代码",
        &["统一社会信用代码", "单位信用代码", "employer_credit_code"],
        false,
        "employer's credit code; empty for flexible employment",
    ),
    col(
        "payer_kind",
        "缴费类型",
        &["缴费人类型", "参保身份"],
        true,
        "职工 / 灵活就业 (employee, flexible)",
    ),
    col(
        "enrolled",
        "参保日期",
        &["enrolment_date", "enrollment_date", "enrolled_on"],
        true,
        "YYYY-MM-DD",
    ),
    col(
        "household_registration",
        "户籍所在地代码",
        &["户籍所在地", "户籍地区划代码", "户口所在地", "hukou"],
        false,
        "six-digit GB/T 2260 code of the household registration, any province (optional; empty: not known)",
    ),
];

pub(crate) mod ecol {
    pub const CREDIT_CODE: usize = 0;
    pub const NAME: usize = 1;
    pub const COUNTY: usize = 2;
    pub const INDUSTRY: usize = 3;
    pub const STATUS: usize = 4;
}
pub(crate) const EMPLOYER_COLUMNS: &[Column] = &[
    col(
        "credit_code",
        "统一社会信用代码",
        &["单位统一社会信用代码", "信用代码"],
        true,
        "18-character unified social credit code",
    ),
    col("name", "单位名称", &[], true, "registered name"),
    col(
        "county",
        "所属区县代码",
        COUNTY,
        true,
        "six-digit code of a Shanxi county",
    ),
    col(
        "industry",
        "行业代码",
        &["所属行业代码", "国民经济行业代码"],
        true,
        "GB/T 4754-2017 code, e.g. C1311 or C",
    ),
    col(
        "status",
        "单位状态",
        &["参保状态"],
        false,
        "正常 / 暂停 / 注销 (active, suspended, closed); empty means active",
    ),
];

pub(crate) mod dcol {
    pub const PAYER: usize = 0;
    pub const ID: usize = 1;
    pub const NAME: usize = 2;
    pub const PERIOD: usize = 3;
    pub const BASE: usize = 4;
}
pub(crate) const DECLARATION_COLUMNS: &[Column] = &[
    col(
        "employer",
        "单位统一社会信用代码",
        &[
            "统一社会信用代码",
            "缴费单位信用代码",
            "employer_credit_code",
            "payer",
        ],
        true,
        "employer's credit code; empty (or the person's own ID number) for flexible employment",
    ),
    col(
        "id_number",
        "身份证号",
        ID,
        true,
        "18-character resident ID number",
    ),
    col(
        "name",
        "姓名",
        NAME,
        false,
        "full name (optional, for checking)",
    ),
    col(
        "period",
        "所属期",
        &["费款所属期", "申报年月", "缴费年月"],
        true,
        "YYYY-MM or YYYYMM",
    ),
    col(
        "base",
        "申报基数",
        &["缴费基数", "申报工资", "declared_base"],
        true,
        "declared wage base in yuan, at most two decimals",
    ),
];

pub(crate) mod ccol {
    pub const PAYER: usize = 0;
    pub const ID: usize = 1;
    pub const NAME: usize = 2;
    pub const PERIOD: usize = 3;
    pub const PAID: usize = 4;
    pub const PAID_ON: usize = 5;
    pub const RECEIPT: usize = 6;
}
pub(crate) const COLLECTION_COLUMNS: &[Column] = &[
    col(
        "payer",
        "缴费人识别号",
        &["缴费人", "纳税人识别号", "payer_id"],
        true,
        "the payer's credit code, or the person's own ID number for flexible employment",
    ),
    col(
        "id_number",
        "身份证号",
        ID,
        true,
        "18-character resident ID number of the insured person",
    ),
    col(
        "name",
        "姓名",
        NAME,
        false,
        "full name (optional, for checking)",
    ),
    col(
        "period",
        "费款所属期",
        &["所属期", "缴费年月"],
        true,
        "YYYY-MM or YYYYMM",
    ),
    col(
        "paid",
        "实缴金额",
        &["缴费金额", "入库金额", "paid_amount", "amount"],
        true,
        "amount paid in yuan, at most two decimals",
    ),
    col(
        "paid_on",
        "缴款日期",
        &["入库日期", "paid_date"],
        true,
        "YYYY-MM-DD",
    ),
    col(
        "receipt",
        "电子税票号码",
        &["税票号码", "票证号码", "receipt_number", "serial_number"],
        true,
        "receipt or serial number",
    ),
];

pub(crate) mod xcol {
    pub const ID: usize = 0;
    pub const DIED: usize = 1;
    pub const SOURCE: usize = 2;
}
pub(crate) const DEATH_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号码",
        ID_LONG,
        true,
        "18-character resident ID number of the deceased",
    ),
    col(
        "died",
        "死亡日期",
        &["死亡时间", "death_date", "date_of_death"],
        true,
        "YYYY-MM-DD, not after today nor before the birth date of the ID number",
    ),
    col(
        "source",
        "来源",
        &["数据来源", "信息来源"],
        true,
        "公安 / 民政 (public_security, civil_affairs): the department that reported the death",
    ),
];

pub(crate) mod lcol {
    pub const ID: usize = 0;
    pub const SEEN: usize = 1;
    pub const SOURCE: usize = 2;
}
pub(crate) const ALIVE_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号码",
        ID_LONG,
        true,
        "18-character resident ID number of the person seen alive",
    ),
    col(
        "seen_on",
        "发生日期",
        &["业务日期", "认证日期", "date"],
        true,
        "YYYY-MM-DD: the day the person was seen alive, not after today nor before the birth date",
    ),
    col(
        "source",
        "来源",
        &["数据来源", "信息来源", "业务类型"],
        true,
        "the department and event (e.g. 医保就医结算, 公安出入境, 民政走访), 1-32 characters",
    ),
];

pub(crate) mod rcol {
    pub const ID: usize = 0;
    pub const MONTH: usize = 1;
}
pub(crate) const ROLL_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号码",
        ID_LONG,
        true,
        "18-character resident ID number of the person paid",
    ),
    col(
        "month",
        "发放月份",
        &["月份", "发放年月", "待遇发放月份"],
        true,
        "the month paid, YYYY-MM or YYYYMM, not after this month",
    ),
];

/// The header line of a kind's file: its Chinese headers, comma separated (no line ending).
pub fn template(kind: Kind) -> String {
    kind.columns()
        .iter()
        .map(|c| c.header)
        .collect::<Vec<_>>()
        .join(",")
}

/// Normalize a header cell the way the reader matches headers against a kind's columns: trim
/// (and drop a byte-order mark), drop a leading `*` or `＊` (a required-column marker in many
/// templates) and a trailing unit `(元)` or `(yuan)`, fold full-width brackets to ASCII ones and
/// ASCII letters to lower case, and treat spaces and hyphens as underscores. Two headers name
/// the same column when their normalized forms are equal, e.g. `*申报基数（元）` and `申报基数`,
/// or `Employer Credit-Code` and `employer_credit_code`.
///
/// ```
/// use tongchou_import::columns::normalize_header;
/// assert_eq!(normalize_header(" *申报基数（元） "), "申报基数");
/// assert_eq!(normalize_header("Employer Credit-Code"), "employer_credit_code");
/// ```
pub fn normalize_header(h: &str) -> String {
    let t = h.trim().trim_start_matches('\u{feff}').trim();
    let t = t.trim_start_matches(['*', '＊']).trim();
    let mut s: String = t
        .chars()
        .map(|ch| match ch {
            '（' => '(',
            '）' => ')',
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    for unit in ["(元)", "_(元)", "(yuan)", "_(yuan)"] {
        if let Some(stripped) = s.strip_suffix(unit) {
            s = stripped.trim_end_matches('_').to_string();
        }
    }
    s
}

/// Which file column holds each of the kind's columns, and the header as written.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    /// For each of the kind's columns, its position in the file.
    pub position: Vec<Option<usize>>,
    /// The header text of each file column, as written (trimmed; empty for an unnamed column).
    pub names: Vec<String>,
}

impl Header {
    /// Match a header row against a kind's columns. All problems are reported at once.
    pub fn match_row(kind: Kind, row: u64, cells: &[&str]) -> Result<Header, Vec<RowError>> {
        let cols = kind.columns();
        let mut position = vec![None; cols.len()];
        let mut errors = Vec::new();
        let names: Vec<String> = cells
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                // A column without a header is allowed if it stays empty in every row (styled
                // blank cells, a trailing comma); a value in it is refused row by row.
                continue;
            }
            let n = normalize_header(name);
            let found = cols.iter().position(|c| {
                normalize_header(c.header) == n
                    || c.key == n
                    || c.aliases.iter().any(|a| normalize_header(a) == n)
            });
            match found {
                Some(k) => match position[k] {
                    Some(first) => errors.push(RowError::new(
                        row,
                        Some(name),
                        tr!(
                            "import-err-column-twice",
                            first = first + 1,
                            again = i + 1,
                            header = cols[k].header
                        ),
                    )),
                    None => position[k] = Some(i),
                },
                None => errors.push(RowError::new(
                    row,
                    Some(name),
                    tr!(
                        "import-err-column-unknown",
                        kind = kind.name(i18n::current()),
                        columns = template(kind).replace(',', "、")
                    ),
                )),
            }
        }
        for (k, c) in cols.iter().enumerate() {
            if c.required && position[k].is_none() {
                errors.push(RowError::new(
                    row,
                    Some(c.header),
                    tr!("import-err-column-missing", key = c.key),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Header { position, names })
        } else {
            Err(errors)
        }
    }

    /// The header as written for one of the kind's columns (the canonical one if absent).
    pub fn name_of(&self, kind: Kind, col: usize) -> &str {
        match self.position[col] {
            Some(i) => &self.names[i],
            None => kind.columns()[col].header,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_and_column_help_is_in_the_catalogue_in_both_languages() {
        for k in Kind::ALL {
            assert_eq!(k.name(Lang::ZhCn), k.chinese(), "{k:?}");
            assert!(k.name(Lang::En).is_ascii(), "{k:?}");
            for c in k.columns() {
                assert!(
                    c.help_id().is_some(),
                    "{k:?} {}: {:?} not in en.ftl",
                    c.key,
                    c.help
                );
                let zh = c.help_in(Lang::ZhCn);
                assert!(
                    zh.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                    "{k:?} {}: {zh}",
                    c.key
                );
                assert_eq!(c.help_in(Lang::En), c.help);
                // English, with the Chinese values a cell takes glossed in brackets
                let en = c.help_in(Lang::En);
                assert!(en.chars().any(|ch| ch.is_ascii_alphabetic()), "{k:?} {en}");
                assert!(
                    !en.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))
                        || en.contains('('),
                    "{k:?} {}: {en}",
                    c.key
                );
            }
        }
    }

    #[test]
    fn every_header_and_alias_is_unambiguous_within_its_kind() {
        for kind in Kind::ALL {
            let mut seen = HashSet::new();
            for c in kind.columns() {
                for h in std::iter::once(c.header)
                    .chain(std::iter::once(c.key))
                    .chain(c.aliases.iter().copied())
                {
                    assert!(
                        seen.insert(normalize_header(h)),
                        "{kind}: header {h} is ambiguous"
                    );
                }
            }
        }
    }

    #[test]
    fn templates() {
        assert_eq!(
            template(Kind::Persons),
            "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期,户籍所在地代码"
        );
        assert_eq!(
            template(Kind::Declarations),
            "单位统一社会信用代码,身份证号,姓名,所属期,申报基数"
        );
        assert_eq!(template(Kind::DeathRecords), "身份证号码,死亡日期,来源");
        assert_eq!(template(Kind::PaymentRolls), "身份证号码,发放月份");
        assert_eq!(template(Kind::AliveRecords), "身份证号码,发生日期,来源");
        assert_eq!("生存信息".parse::<Kind>(), Ok(Kind::AliveRecords));
        assert_eq!("deaths".parse::<Kind>(), Ok(Kind::DeathRecords));
        assert_eq!("其他待遇发放名单".parse::<Kind>(), Ok(Kind::PaymentRolls));
        assert_eq!(
            "pensions".parse::<Kind>(),
            Err("没有这种导入文件：\"pensions\"（可选 persons, employers, declarations, collections, deaths, rolls, alive, legacy-insured, legacy-history, legacy-pensioners, legacy-arrears, legacy-controls, transfer-requests）".into())
        );
        for kind in Kind::ALL {
            let t = template(kind);
            let cells: Vec<&str> = t.split(',').collect();
            assert!(Header::match_row(kind, 1, &cells).is_ok(), "{kind}");
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
            assert_eq!(kind.chinese().parse::<Kind>(), Ok(kind));
        }
    }

    #[test]
    fn header_matching() {
        let h = Header::match_row(
            Kind::Declarations,
            1,
            &[" Base (元)", "*身份证号", "PERIOD", "employer"],
        )
        .expect("accepted");
        assert_eq!(h.position[dcol::BASE], Some(0));
        assert_eq!(h.position[dcol::ID], Some(1));
        assert_eq!(h.position[dcol::PERIOD], Some(2));
        assert_eq!(h.position[dcol::PAYER], Some(3));
        assert_eq!(h.position[dcol::NAME], None);
        assert_eq!(h.name_of(Kind::Declarations, dcol::BASE), "Base (元)");
        assert_eq!(normalize_header("申报基数（元）"), "申报基数");

        let errs = Header::match_row(
            Kind::Declarations,
            1,
            &["身份证号", "工资", "id_number", ""],
        )
        .expect_err("refused");
        let got: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            got,
            vec![
                "第 1 行 工资：「缴费基数申报」文件中没有这一列（应为：单位统一社会信用代码、身份证号、姓名、所属期、申报基数）",
                "第 1 行 id_number：列重复（第 1 列和第 3 列都是 身份证号）",
                "第 1 行 单位统一社会信用代码：缺少必需的列（也可写作 employer）",
                "第 1 行 所属期：缺少必需的列（也可写作 period）",
                "第 1 行 申报基数：缺少必需的列（也可写作 base）",
            ]
        );
        let got: Vec<String> = i18n::scope(Lang::En, || {
            let errs = Header::match_row(Kind::Declarations, 1, &["身份证号", "工资"])
                .expect_err("refused");
            errs.iter().map(|e| e.to_string()).collect()
        });
        assert_eq!(
            got[0],
            "row 1, 工资: unknown column in a “Contribution base declarations” file (expected: 单位统一社会信用代码、身份证号、姓名、所属期、申报基数)"
        );
    }
}
