//! The cities' legacy files (历史数据迁移, `docs/LEGACY.md`): insured persons with their
//! individual-account balance at the cut-over, their contribution history by year, pensioners
//! with their award components and the pension in force, open arrears, and the city's control
//! totals per county. Employers come in the ordinary employers file ([`crate::Employer`]).
//!
//! The records are read like every other kind (CSV UTF-8/GBK or XLSX, any column order, all or
//! nothing, every bad row named); a legacy ID number of 15 digits is upgraded to 18 on reading,
//! and the record says so (`id_upgraded`) so that the reconciliation can count it.

use crate::columns::{Column, Kind, col};
use crate::records::private::{Cells, Key, Parse};
use crate::records::{Payer, Record, id_key, record};
use crate::values::{self, Cell};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{CreditCode, Date, Fen, IdNumber, Period, Ratio, RegionCode};

/// An insured person not yet retired, as the city's system held them at the cut-over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyInsured {
    pub row: u64,
    pub id_number: IdNumber,
    /// The file wrote the legacy 15-digit form.
    pub id_upgraded: bool,
    pub name: String,
    pub category: Category,
    pub county: RegionCode,
    pub county_as_written: RegionCode,
    pub employer: Option<CreditCode>,
    pub payer_kind: PayerKind,
    pub enrolled: Date,
    /// 暂停缴费 (suspended) rather than 正常.
    pub suspended: bool,
    /// The declared monthly wage (or chosen base) in force.
    pub declared: Fen,
    pub deemed_months: u32,
    /// The individual-account balance (principal and interest) at the cut-over.
    pub balance: Fen,
}

/// One year of a person's contribution history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyYear {
    pub row: u64,
    pub id_number: IdNumber,
    pub id_upgraded: bool,
    pub year: i32,
    /// Months paid in the year, 1–12.
    pub months: u32,
    /// The average monthly contribution base of the year.
    pub base: Fen,
    /// The year's contribution index (缴费指数): base ÷ the average wage it is indexed on.
    pub index: Ratio,
    /// What the year credited to the individual account (记账额).
    pub credited: Fen,
}

/// A pensioner with the pension in force at the cut-over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyPensioner {
    pub row: u64,
    pub id_number: IdNumber,
    pub id_upgraded: bool,
    pub name: String,
    pub category: Category,
    /// The paying county.
    pub county: RegionCode,
    pub county_as_written: RegionCode,
    pub retire: Period,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    pub deemed_index: Ratio,
    pub account_at_retirement: Fen,
    pub benefit_base: Fen,
    /// 计发月数 in tenths of a month.
    pub divisor_tenths: i64,
    pub basic: Fen,
    pub account: Fen,
    pub transitional: Fen,
    /// The yearly increases since the award, as one amount.
    pub adjustment: Fen,
    /// The pension in force (月养老金).
    pub monthly: Fen,
    pub suspended: bool,
    pub bank_code: String,
    pub bank_name: String,
    pub bank_account: String,
    /// The last eligibility certification (领取资格认证) the city's system knew, if any.
    pub last_certified: Option<Date>,
}

/// An open arrears item: a month assessed and not (fully) paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyArrear {
    pub row: u64,
    pub id_number: IdNumber,
    pub id_upgraded: bool,
    pub payer: Payer,
    pub period: Period,
    /// What was owed for the month.
    pub total: Fen,
    /// Of which the individual-account part.
    pub account_part: Fen,
    /// Paid so far (less than the total).
    pub paid: Fen,
}

/// The city's control totals of one county (控制数), as its old system counted them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlTotal {
    pub row: u64,
    pub county: RegionCode,
    pub employers: u64,
    pub insured: u64,
    pub history_rows: u64,
    pub balance: Fen,
    pub pensioners: u64,
    pub pensions: Fen,
    pub arrears: u64,
    pub arrears_amount: Fen,
}

const ID: &[&str] = &["公民身份号码", "身份证号码", "证件号码", "id", "id_no"];
const ID_HELP: &str = "resident ID number, 18 characters (a legacy 15-digit one is upgraded)";

pub(crate) mod icol {
    pub const ID: usize = 0;
    pub const NAME: usize = 1;
    pub const CATEGORY: usize = 2;
    pub const COUNTY: usize = 3;
    pub const EMPLOYER: usize = 4;
    pub const PAYER_KIND: usize = 5;
    pub const ENROLLED: usize = 6;
    pub const STATUS: usize = 7;
    pub const DECLARED: usize = 8;
    pub const DEEMED: usize = 9;
    pub const BALANCE: usize = 10;
}
pub(crate) const INSURED_COLUMNS: &[Column] = &[
    col("id_number", "身份证号", ID, true, ID_HELP),
    col("name", "姓名", &["人员姓名"], true, "full name"),
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
        &["区县代码"],
        true,
        "six-digit county code",
    ),
    col(
        "employer",
        "单位统一社会信用代码",
        &["统一社会信用代码"],
        false,
        "employer's credit code; empty for flexible employment",
    ),
    col(
        "payer_kind",
        "缴费类型",
        &["参保身份"],
        true,
        "职工 / 灵活就业 (employee, flexible)",
    ),
    col(
        "enrolled",
        "参保日期",
        &["首次参保日期"],
        true,
        "YYYY-MM-DD",
    ),
    col(
        "status",
        "参保状态",
        &["缴费状态"],
        false,
        "正常 / 暂停 (active, suspended); empty means active",
    ),
    col(
        "declared",
        "申报工资",
        &["缴费工资", "declared_wage"],
        true,
        "monthly wage (base) in force, yuan",
    ),
    col(
        "deemed_months",
        "视同缴费月数",
        &["视同缴费年限月数"],
        true,
        "deemed months before the individual accounts",
    ),
    col(
        "balance",
        "个人账户余额",
        &["账户余额", "account_balance"],
        true,
        "individual-account balance at the cut-over, yuan",
    ),
];

pub(crate) mod hcol {
    pub const ID: usize = 0;
    pub const YEAR: usize = 1;
    pub const MONTHS: usize = 2;
    pub const BASE: usize = 3;
    pub const INDEX: usize = 4;
    pub const CREDITED: usize = 5;
}
pub(crate) const HISTORY_COLUMNS: &[Column] = &[
    col("id_number", "身份证号", ID, true, ID_HELP),
    col("year", "年度", &["缴费年度"], true, "YYYY"),
    col(
        "months",
        "缴费月数",
        &["实缴月数"],
        true,
        "months paid in the year, 1-12",
    ),
    col(
        "base",
        "缴费基数",
        &["月平均缴费基数"],
        true,
        "average monthly base of the year, yuan",
    ),
    col(
        "index",
        "缴费指数",
        &["年度缴费指数"],
        true,
        "the year's contribution index, e.g. 1.0321",
    ),
    col(
        "credited",
        "个人账户记账额",
        &["记账金额", "account_credited"],
        true,
        "credited to the individual account in the year, yuan",
    ),
];

pub(crate) mod rcol {
    pub const ID: usize = 0;
    pub const NAME: usize = 1;
    pub const CATEGORY: usize = 2;
    pub const COUNTY: usize = 3;
    pub const RETIRE: usize = 4;
    pub const PAID: usize = 5;
    pub const DEEMED: usize = 6;
    pub const AVG_INDEX: usize = 7;
    pub const DEEMED_INDEX: usize = 8;
    pub const ACCOUNT_AT: usize = 9;
    pub const BASE: usize = 10;
    pub const DIVISOR: usize = 11;
    pub const BASIC: usize = 12;
    pub const ACCOUNT: usize = 13;
    pub const TRANSITIONAL: usize = 14;
    pub const ADJUSTMENT: usize = 15;
    pub const MONTHLY: usize = 16;
    pub const STATUS: usize = 17;
    pub const BANK_CODE: usize = 18;
    pub const BANK_NAME: usize = 19;
    pub const BANK_ACCOUNT: usize = 20;
    pub const CERTIFIED: usize = 21;
}
pub(crate) const PENSIONER_COLUMNS: &[Column] = &[
    col("id_number", "身份证号", ID, true, ID_HELP),
    col("name", "姓名", &["人员姓名"], true, "full name"),
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
        &["区县代码"],
        true,
        "the paying county",
    ),
    col("retire", "退休年月", &["离退休年月"], true, "YYYY-MM"),
    col(
        "paid_months",
        "缴费月数",
        &["实际缴费月数"],
        true,
        "months paid",
    ),
    col("deemed_months", "视同缴费月数", &[], true, "deemed months"),
    col("avg_index", "平均缴费指数", &[], true, "e.g. 0.8765"),
    col(
        "deemed_index",
        "视同缴费指数",
        &["过渡性养老金指数"],
        true,
        "e.g. 0.6",
    ),
    col(
        "account_at_retirement",
        "退休时个人账户余额",
        &[],
        true,
        "yuan",
    ),
    col(
        "benefit_base",
        "计发基数",
        &[],
        true,
        "the benefit base used at retirement, yuan",
    ),
    col("divisor", "计发月数", &[], true, "e.g. 139 or 170.5"),
    col("basic", "基础养老金", &[], true, "yuan"),
    col("account", "个人账户养老金", &[], true, "yuan"),
    col("transitional", "过渡性养老金", &[], true, "yuan"),
    col(
        "adjustment",
        "调整金额",
        &["历年调整额"],
        true,
        "the yearly increases since the award, yuan",
    ),
    col(
        "monthly",
        "月养老金",
        &["月基本养老金"],
        true,
        "the pension in force, yuan",
    ),
    col(
        "status",
        "待遇状态",
        &[],
        false,
        "正常 / 暂停 (active, suspended); empty means active",
    ),
    col("bank_code", "开户银行代码", &[], true, "e.g. ICBC"),
    col("bank_name", "开户银行", &[], true, "the bank's name"),
    col(
        "bank_account",
        "银行账号",
        &[],
        true,
        "the account paid into",
    ),
    col(
        "last_certified",
        "最近认证日期",
        &["资格认证日期"],
        false,
        "YYYY-MM-DD of the last eligibility certification; empty: the cut-over counts as one",
    ),
];

pub(crate) mod acol {
    pub const ID: usize = 0;
    pub const PAYER: usize = 1;
    pub const PERIOD: usize = 2;
    pub const TOTAL: usize = 3;
    pub const ACCOUNT: usize = 4;
    pub const PAID: usize = 5;
}
pub(crate) const ARREARS_COLUMNS: &[Column] = &[
    col("id_number", "身份证号", ID, true, ID_HELP),
    col(
        "employer",
        "单位统一社会信用代码",
        &["统一社会信用代码"],
        true,
        "employer's credit code; empty for flexible employment",
    ),
    col("period", "费款所属期", &["所属期"], true, "YYYY-MM"),
    col("total", "应缴金额", &[], true, "owed for the month, yuan"),
    col(
        "account_part",
        "其中个人账户",
        &["个人账户部分"],
        true,
        "of which the individual-account part, yuan",
    ),
    col(
        "paid",
        "已缴金额",
        &[],
        false,
        "paid so far, yuan; empty means 0",
    ),
];

pub(crate) mod tcol {
    pub const COUNTY: usize = 0;
    pub const EMPLOYERS: usize = 1;
    pub const INSURED: usize = 2;
    pub const HISTORY: usize = 3;
    pub const BALANCE: usize = 4;
    pub const PENSIONERS: usize = 5;
    pub const PENSIONS: usize = 6;
    pub const ARREARS: usize = 7;
    pub const ARREARS_AMOUNT: usize = 8;
}
pub(crate) const CONTROL_COLUMNS: &[Column] = &[
    col(
        "county",
        "区县代码",
        &["行政区划代码"],
        true,
        "six-digit county code",
    ),
    col("employers", "参保单位数", &[], true, "employers"),
    col(
        "insured",
        "参保人数",
        &[],
        true,
        "insured persons not retired",
    ),
    col(
        "history_rows",
        "缴费记录数",
        &[],
        true,
        "rows of contribution history",
    ),
    col("balance", "个人账户余额合计", &[], true, "yuan"),
    col("pensioners", "离退休人数", &[], true, "pensioners"),
    col("pensions", "月养老金合计", &[], true, "yuan"),
    col("arrears", "欠费笔数", &[], true, "open arrears items"),
    col(
        "arrears_amount",
        "欠费金额合计",
        &[],
        true,
        "owed less paid, yuan",
    ),
];

/// A resident ID number, and whether it was written in the legacy 15-digit form.
fn id_upgrade(c: Cell<'_>, today: Date) -> Result<(IdNumber, bool), String> {
    let id = values::id_number(c, today)?;
    Ok((id, c.text.trim().len() == 15))
}

/// A whole number from 0 to `max`.
fn count(c: Cell<'_>, max: u64) -> Result<u64, String> {
    let t = c.text.trim();
    let t = if c.numeric {
        t.strip_suffix(".0").unwrap_or(t)
    } else {
        t
    };
    match t.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        Ok(n) => Err(tongchou_core::tr!("import-leg-more", n = n, max = max)),
        Err(_) => Err(tongchou_core::tr!(
            "import-leg-whole",
            text = format!("{t:?}")
        )),
    }
}

fn money(c: Cell<'_>) -> Result<Fen, String> {
    let f = values::yuan(c)?;
    if f.is_negative() {
        return Err(tongchou_core::tr!("import-leg-negative", amount = f));
    }
    Ok(f)
}

fn ratio(c: Cell<'_>) -> Result<Ratio, String> {
    let r: Ratio = c
        .text
        .parse()
        .map_err(|e| tongchou_core::tr!("import-leg-index", error = e))?;
    if r.0 < 0 || r.0 > 10 * tongchou_core::ratio::RATIO_SCALE {
        return Err(tongchou_core::tr!("import-leg-index-range", index = r));
    }
    Ok(r)
}

/// 正常 (false) or 暂停 (true).
fn suspended(c: Cell<'_>) -> Result<bool, String> {
    match c.text.trim() {
        "正常" | "active" => Ok(false),
        "暂停" | "暂停缴费" | "中断" | "suspended" => Ok(true),
        t => Err(tongchou_core::tr!(
            "import-leg-status",
            text = format!("{t:?}")
        )),
    }
}

fn text(c: Cell<'_>, max: usize) -> Result<String, String> {
    let t = c.text.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(tongchou_core::tr!(
            "import-leg-text",
            text = format!("{t:?}"),
            max = max
        ));
    }
    Ok(t.to_string())
}

impl Parse for LegacyInsured {
    const DUPLICATE: Option<&'static str> = Some("same ID number");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), 0])
    }
    fn parse(c: &mut Cells<'_>) -> Option<LegacyInsured> {
        let (today, d1904, divisions) = (c.today, c.date1904, c.divisions);
        let id = c.req(icol::ID, |v| id_upgrade(v, today));
        let name = c.req(icol::NAME, values::name);
        let category = c.req(icol::CATEGORY, values::category);
        let county = c.req(icol::COUNTY, |v| values::county(v, divisions));
        let employer = c.opt(icol::EMPLOYER, values::credit_code);
        let payer_kind = c.req(icol::PAYER_KIND, values::payer_kind);
        let enrolled = c.req(icol::ENROLLED, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let status = c.opt(icol::STATUS, suspended);
        let declared = c.req(icol::DECLARED, money);
        let deemed = c.req(icol::DEEMED, |v| count(v, 12 * 50));
        let balance = c.req(icol::BALANCE, money);
        match (payer_kind, &employer) {
            (Some(PayerKind::Employee), Some(None)) => c.fail(
                icol::EMPLOYER,
                tongchou_core::tr!("import-err-employee-needs-employer"),
            ),
            (Some(PayerKind::Flexible), Some(Some(_))) => c.fail(
                icol::EMPLOYER,
                tongchou_core::tr!("import-err-flexible-no-employer"),
            ),
            _ => {}
        }
        if let (Some((id, _)), Some(e)) = (&id, enrolled)
            && e < id.birth()
        {
            c.fail(
                icol::ENROLLED,
                tongchou_core::tr!("import-leg-before-birth", date = e, birth = id.birth()),
            );
        }
        if let (Some((id, _)), Some(cat)) = (&id, category)
            && (cat == Category::Male) != (id.sex() == tongchou_core::Sex::Male)
        {
            c.fail(icol::CATEGORY, tongchou_core::tr!("import-leg-category"));
        }
        let (id_number, id_upgraded) = id?;
        let (county, county_as_written) = county?;
        if !c.errors.is_empty() {
            return None;
        }
        Some(LegacyInsured {
            row: c.row(),
            id_number,
            id_upgraded,
            name: name?,
            category: category?,
            county,
            county_as_written,
            employer: employer?,
            payer_kind: payer_kind?,
            enrolled: enrolled?,
            suspended: status?.unwrap_or(false),
            declared: declared?,
            deemed_months: deemed? as u32,
            balance: balance?,
        })
    }
}
record!(LegacyInsured, Kind::LegacyInsured);

/// A history row's year: 1951 to this year.
fn history_year(v: Cell<'_>, today: Date) -> Result<i32, String> {
    let y = count(v, 9999)? as i32;
    if !(1951..=today.year()).contains(&y) {
        return Err(tongchou_core::tr!(
            "import-leg-year",
            year = y,
            this = today.year()
        ));
    }
    Ok(y)
}

/// Months paid in a year: 1 to 12.
fn history_months(v: Cell<'_>) -> Result<u32, String> {
    match count(v, 12)? {
        0 => Err(tongchou_core::tr!("import-leg-months")),
        n => Ok(n as u32),
    }
}

/// The non-empty cell of one of the kind's columns in a plain row, as [`Cells`] would give it.
fn plain_cell<'f>(fields: &[&'f str], position: &[Option<usize>], k: usize) -> Option<Cell<'f>> {
    let text = fields.get(position.get(k).copied()??)?.trim();
    (!text.is_empty()).then_some(Cell {
        text,
        numeric: false,
    })
}

impl Parse for LegacyYear {
    const DUPLICATE: Option<&'static str> = Some("same ID number and year");
    const PLAIN: bool = true;
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), self.year as u64])
    }
    fn parse(c: &mut Cells<'_>) -> Option<LegacyYear> {
        let today = c.today;
        let id = c.req(hcol::ID, |v| id_upgrade(v, today));
        let year = c.req(hcol::YEAR, |v| history_year(v, today));
        let months = c.req(hcol::MONTHS, history_months);
        let base = c.req(hcol::BASE, money);
        let index = c.req(hcol::INDEX, ratio);
        let credited = c.req(hcol::CREDITED, money);
        let (id_number, id_upgraded) = id?;
        Some(LegacyYear {
            row: c.row(),
            id_number,
            id_upgraded,
            year: year?,
            months: months?,
            base: base?,
            index: index?,
            credited: credited?,
        })
    }
    /// The same fields through the same functions as [`LegacyYear::parse`], without the row
    /// machinery; the ID number of the line before is not parsed again.
    fn plain(
        fields: &[&str],
        position: &[Option<usize>],
        today: Date,
        row: u64,
        last: Option<&LegacyYear>,
    ) -> Option<LegacyYear> {
        let cell = |k: usize| plain_cell(fields, position, k);
        let id = cell(hcol::ID)?;
        let (id_number, id_upgraded) = match last {
            Some(l) if !l.id_upgraded && l.id_number.as_str() == id.text => (l.id_number, false),
            _ => id_upgrade(id, today).ok()?,
        };
        Some(LegacyYear {
            row,
            id_number,
            id_upgraded,
            year: history_year(cell(hcol::YEAR)?, today).ok()?,
            months: history_months(cell(hcol::MONTHS)?).ok()?,
            base: money(cell(hcol::BASE)?).ok()?,
            index: ratio(cell(hcol::INDEX)?).ok()?,
            credited: money(cell(hcol::CREDITED)?).ok()?,
        })
    }
}
record!(LegacyYear, Kind::LegacyHistory);

/// 计发月数 as tenths: "139", "170.5".
fn divisor(c: Cell<'_>) -> Result<i64, String> {
    let r: Ratio = c
        .text
        .parse()
        .map_err(|e| tongchou_core::tr!("import-leg-divisor", error = e))?;
    let tenths = r.0 as i128 * 10;
    let scale = tongchou_core::ratio::RATIO_SCALE as i128;
    if tenths % scale != 0 || r.0 <= 0 || r.0 > 300 * tongchou_core::ratio::RATIO_SCALE {
        return Err(tongchou_core::tr!("import-leg-divisor-shape", divisor = r));
    }
    Ok((tenths / scale) as i64)
}

impl Parse for LegacyPensioner {
    const DUPLICATE: Option<&'static str> = Some("same ID number");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), 0])
    }
    fn parse(c: &mut Cells<'_>) -> Option<LegacyPensioner> {
        let (today, divisions) = (c.today, c.divisions);
        let id = c.req(rcol::ID, |v| id_upgrade(v, today));
        let name = c.req(rcol::NAME, values::name);
        let category = c.req(rcol::CATEGORY, values::category);
        let county = c.req(rcol::COUNTY, |v| values::county(v, divisions));
        let retire = c.req(rcol::RETIRE, |v| values::period(v, today));
        let paid = c.req(rcol::PAID, |v| count(v, 12 * 70));
        let deemed = c.req(rcol::DEEMED, |v| count(v, 12 * 70));
        let avg = c.req(rcol::AVG_INDEX, ratio);
        let deemed_index = c.req(rcol::DEEMED_INDEX, ratio);
        let at = c.req(rcol::ACCOUNT_AT, money);
        let base = c.req(rcol::BASE, money);
        let div = c.req(rcol::DIVISOR, divisor);
        let amounts = [
            rcol::BASIC,
            rcol::ACCOUNT,
            rcol::TRANSITIONAL,
            rcol::ADJUSTMENT,
            rcol::MONTHLY,
        ]
        .map(|k| c.req(k, money));
        let status = c.opt(rcol::STATUS, suspended);
        let d1904 = c.date1904;
        let certified = c.opt(rcol::CERTIFIED, |v| {
            values::date(v, d1904).and_then(|d| values::not_future(d, today))
        });
        let bank = [rcol::BANK_CODE, rcol::BANK_NAME, rcol::BANK_ACCOUNT]
            .map(|k| c.req(k, |v| text(v, 64)));
        let (id_number, id_upgraded) = id?;
        let (county, county_as_written) = county?;
        let [basic, account, transitional, adjustment, monthly] = amounts;
        let [bank_code, bank_name, bank_account] = bank;
        Some(LegacyPensioner {
            row: c.row(),
            id_number,
            id_upgraded,
            name: name?,
            category: category?,
            county,
            county_as_written,
            retire: retire?,
            paid_months: paid? as u32,
            deemed_months: deemed? as u32,
            avg_index: avg?,
            deemed_index: deemed_index?,
            account_at_retirement: at?,
            benefit_base: base?,
            divisor_tenths: div?,
            basic: basic?,
            account: account?,
            transitional: transitional?,
            adjustment: adjustment?,
            monthly: monthly?,
            suspended: status?.unwrap_or(false),
            bank_code: bank_code?,
            bank_name: bank_name?,
            bank_account: bank_account?,
            last_certified: certified?,
        })
    }
}
record!(LegacyPensioner, Kind::LegacyPensioners);

impl Parse for LegacyArrear {
    const DUPLICATE: Option<&'static str> = Some("same ID number and period");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), self.period.index() as u64])
    }
    fn parse(c: &mut Cells<'_>) -> Option<LegacyArrear> {
        let today = c.today;
        let id = c.req(acol::ID, |v| id_upgrade(v, today));
        let payer = c
            .opt(acol::PAYER, values::credit_code)
            .map(|p| p.map_or(Payer::Flexible, Payer::Employer));
        let period = c.req(acol::PERIOD, |v| values::period(v, today));
        let total = c.req(acol::TOTAL, money);
        let account = c.req(acol::ACCOUNT, money);
        let paid = c.opt(acol::PAID, money).map(|p| p.unwrap_or(Fen::ZERO));
        if let (Some(t), Some(a), Some(p)) = (total, account, paid) {
            if a > t {
                c.fail(
                    acol::ACCOUNT,
                    tongchou_core::tr!("import-leg-account", account = a, total = t),
                );
            }
            if p >= t {
                c.fail(
                    acol::PAID,
                    tongchou_core::tr!("import-leg-settled", paid = p, total = t),
                );
            }
        }
        let (id_number, id_upgraded) = id?;
        if !c.errors.is_empty() {
            return None;
        }
        Some(LegacyArrear {
            row: c.row(),
            id_number,
            id_upgraded,
            payer: payer?,
            period: period?,
            total: total?,
            account_part: account?,
            paid: paid?,
        })
    }
}
record!(LegacyArrear, Kind::LegacyArrears);

impl Parse for ControlTotal {
    const DUPLICATE: Option<&'static str> = Some("same county");
    fn key(&self) -> Key {
        Key([self.county.get() as u64, 0])
    }
    fn parse(c: &mut Cells<'_>) -> Option<ControlTotal> {
        let divisions = c.divisions;
        let county = c.req(tcol::COUNTY, |v| values::county(v, divisions));
        let n = [
            tcol::EMPLOYERS,
            tcol::INSURED,
            tcol::HISTORY,
            tcol::PENSIONERS,
            tcol::ARREARS,
        ]
        .map(|k| c.req(k, |v| count(v, u64::MAX / 2)));
        let m = [tcol::BALANCE, tcol::PENSIONS, tcol::ARREARS_AMOUNT].map(|k| c.req(k, money));
        let [employers, insured, history_rows, pensioners, arrears] = n;
        let [balance, pensions, arrears_amount] = m;
        Some(ControlTotal {
            row: c.row(),
            county: county?.0,
            employers: employers?,
            insured: insured?,
            history_rows: history_rows?,
            balance: balance?,
            pensioners: pensioners?,
            pensions: pensions?,
            arrears: arrears?,
            arrears_amount: arrears_amount?,
        })
    }
}
record!(ControlTotal, Kind::LegacyControls);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, read_all};

    fn today() -> Date {
        Date::new(2020, 1, 1).expect("date")
    }

    #[test]
    fn a_fifteen_digit_id_is_upgraded_and_said_so() {
        let csv = "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期,申报工资,视同缴费月数,个人账户余额\n\
                   140105580101011,张三,男,140105,,灵活就业,1990-01-01,3000.00,0,12345.67\n";
        let (recs, _) =
            read_all::<LegacyInsured>(csv.as_bytes(), Options::new(today())).expect("read");
        assert_eq!(recs.len(), 1);
        assert!(recs[0].id_upgraded);
        assert_eq!(recs[0].id_number.as_str().len(), 18);
        assert_eq!(recs[0].balance, Fen::new(1_234_567));
    }

    #[test]
    fn history_rows_name_their_bad_cells() {
        let csv = "身份证号,年度,缴费月数,缴费基数,缴费指数,个人账户记账额\n\
                   140105195801010114,2005,13,3000,1.2,100\n\
                   140105195801010114,2006,12,3000,x,100\n";
        let err =
            read_all::<LegacyYear>(csv.as_bytes(), Options::new(today())).expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("第 2 行 缴费月数：13 超过 12"), "{text}");
        assert!(text.contains("第 3 行 缴费指数"), "{text}");
    }

    #[test]
    fn every_column_index_has_its_column() {
        assert_eq!(INSURED_COLUMNS.len(), icol::BALANCE + 1);
        assert_eq!(HISTORY_COLUMNS.len(), hcol::CREDITED + 1);
        assert_eq!(PENSIONER_COLUMNS.len(), rcol::CERTIFIED + 1);
        assert_eq!(ARREARS_COLUMNS.len(), acol::PAID + 1);
        assert_eq!(CONTROL_COLUMNS.len(), tcol::ARREARS_AMOUNT + 1);
    }

    #[test]
    fn divisors_in_tenths() {
        let c = |t| Cell {
            text: t,
            numeric: false,
        };
        assert_eq!(divisor(c("139")), Ok(1390));
        assert_eq!(divisor(c("170.5")), Ok(1705));
        assert!(divisor(c("170.55")).is_err());
    }
}
