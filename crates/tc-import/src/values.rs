//! Parsers for single cell values. Each takes the trimmed text and whether the cell was a number
//! in a spreadsheet (numbers keep only 15 significant digits, which matters for ID numbers and
//! for amounts), and returns a domain value or a reason in plain words.

use tongchou_core::money::MoneyError;
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::tr;
use tongchou_core::{CreditCode, Date, Divisions, Fen, IdNumber, Level, Period, RegionCode, Sex};

/// A cell's text after trimming, and whether it was a spreadsheet number.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cell<'a> {
    pub text: &'a str,
    pub numeric: bool,
}

/// Spreadsheet numbers carry 15 significant digits: an 18-digit identifier stored as a number
/// has lost digits, whatever it looks like now.
fn refuse_long_number(c: Cell<'_>, what: &str) -> Result<(), String> {
    let digits = c.text.bytes().filter(u8::is_ascii_digit).count();
    if c.numeric && digits > 15 {
        return Err(tr!("import-err-long-number", what = what));
    }
    Ok(())
}

pub(crate) fn id_number(c: Cell<'_>, today: Date) -> Result<IdNumber, String> {
    refuse_long_number(c, tr!("import-err-what-id").as_str())?;
    IdNumber::parse(c.text, today).map_err(|e| e.0)
}

pub(crate) fn credit_code(c: Cell<'_>) -> Result<CreditCode, String> {
    refuse_long_number(c, tr!("import-err-what-credit").as_str())?;
    CreditCode::parse(c.text).map_err(|e| e.0)
}

/// The provinces' two leading digits of GB/T 2260 (the 34 provincial-level divisions).
pub(crate) const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A household registration (户籍所在地): a six-digit GB/T 2260 code of any province (a county,
/// a city or the province itself: certificates of other provinces name no more).
pub(crate) fn household_registration(c: Cell<'_>) -> Result<RegionCode, String> {
    let code: RegionCode = c
        .text
        .parse()
        .map_err(|e: tongchou_core::region::RegionError| e.0)?;
    if !PROVINCES.contains(&(code.get() / 10_000)) {
        return Err(tr!(
            "import-err-hukou-province",
            code = code,
            province = code.get() / 10_000
        ));
    }
    Ok(code)
}

/// A county-level code of the province. Retired codes are mapped to the agency that handles them
/// now; a functional zone is handled by its city. Returns (handling agency, code as written).
pub(crate) fn county(
    c: Cell<'_>,
    divisions: &Divisions,
) -> Result<(RegionCode, RegionCode), String> {
    let code: RegionCode = c
        .text
        .parse()
        .map_err(|e: tongchou_core::region::RegionError| e.0)?;
    let province = divisions.province();
    if code.province() != province.code {
        return Err(tr!(
            "import-err-county-outside",
            code = code,
            province = province.name,
            province_code = province.code
        ));
    }
    if let Some(r) = divisions.get(code) {
        match r.level {
            Level::Province => {
                return Err(tr!("import-err-county-is-province", code = code));
            }
            Level::City => {
                return Err(tr!("import-err-county-is-city", code = code, name = r.name));
            }
            Level::County => {}
        }
    }
    match divisions.handling_agency(code) {
        Some(agency) => Ok((agency, code)),
        None => Err(tr!(
            "import-err-county-unknown",
            code = code,
            province = province.name
        )),
    }
}

pub(crate) fn name(c: Cell<'_>) -> Result<String, String> {
    const NAME_CHARS_MAX: usize = 100;
    let n = c.text.chars().count();
    if n > NAME_CHARS_MAX {
        return Err(tr!("import-err-too-long", n = n, max = NAME_CHARS_MAX));
    }
    if c.text.chars().any(char::is_control) {
        return Err(tr!("import-err-control"));
    }
    if starts_like_a_formula(c.text) {
        return Err(tr!("import-err-formula", text = format!("{:?}", c.text)));
    }
    Ok(c.text.to_string())
}

pub use tongchou_core::text::starts_like_a_formula;

/// Yuan with at most two decimals. Thousands separators are accepted when correctly grouped.
/// A spreadsheet number is first rounded to Excel's 15 significant digits (so that the binary
/// float 1234.5599999999999 reads as 1234.56 while 1.234 is still refused).
pub(crate) fn yuan(c: Cell<'_>) -> Result<Fen, String> {
    let plain;
    let text = if c.numeric {
        plain = crate::xlsx::normalize_number(c.text).unwrap_or_else(|| c.text.to_string());
        plain.as_str()
    } else {
        c.text
    };
    let ungrouped;
    let text = if text.contains(',') {
        ungrouped =
            ungroup(text).ok_or_else(|| tr!("import-err-yuan", text = format!("{text:?}")))?;
        ungrouped.as_str()
    } else {
        text
    };
    text.parse::<Fen>().map_err(|e| match e {
        MoneyError::TooManyDecimals(s) => {
            tr!("import-err-yuan-decimals", text = s)
        }
        MoneyError::Invalid(s) => tr!("import-err-yuan-example", text = format!("{s:?}")),
        other => other.to_string(),
    })
}

/// "12,345.60" → "12345.60"; `None` if the grouping is wrong.
fn ungroup(s: &str) -> Option<String> {
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(',').collect();
    let ok = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return None;
    }
    let mut out = format!("{sign}{}", groups.concat());
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

/// A period: `YYYY-MM` or `YYYYMM`, not after the month of `today`.
pub(crate) fn period(c: Cell<'_>, today: Date) -> Result<Period, String> {
    let t = c.text;
    let p = if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        let v: i32 = t
            .parse()
            .map_err(|_| tr!("import-err-month", text = format!("{t:?}")))?;
        Period::from_yyyymm(v).map_err(|e| e.0)?
    } else {
        let shaped = t.len() == 7 && t.as_bytes()[4] == b'-';
        t.parse::<Period>().map_err(|e| {
            if shaped {
                e.0
            } else if c.numeric {
                tr!("import-err-month-serial", text = format!("{t:?}"))
            } else {
                tr!("import-err-month-shape", text = format!("{t:?}"))
            }
        })?
    };
    if p > today.period() {
        return Err(tr!("import-err-month-future", period = p, today = today));
    }
    Ok(p)
}

/// A date: `YYYY-MM-DD`, `YYYY/M/D` or `YYYYMMDD` (a time of day after a space or `T` is
/// ignored); in a spreadsheet, a date cell (a day number) is accepted too.
pub(crate) fn date(c: Cell<'_>, date1904: bool) -> Result<Date, String> {
    if c.numeric {
        return crate::xlsx::excel_serial_date(c.text, date1904);
    }
    let t = match c.text.find([' ', 'T']) {
        Some(p)
            if c.text[p + 1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.') =>
        {
            &c.text[..p]
        }
        _ => c.text,
    };
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Date::parse_compact(t).map_err(|e| e.0);
    }
    if t.contains('/') {
        let parts: Vec<&str> = t.split('/').collect();
        let num = |s: &str, max: usize| -> Option<u32> {
            (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        if let [y, m, d] = parts[..]
            && y.len() == 4
            && let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2))
        {
            return Date::new(y as i32, m as u8, d as u8).map_err(|e| e.0);
        }
        return Err(tr!("import-err-date", text = format!("{:?}", c.text)));
    }
    t.parse::<Date>().map_err(|e| e.0)
}

pub(crate) fn not_future(d: Date, today: Date) -> Result<Date, String> {
    if d > today {
        return Err(tr!("import-err-date-future", date = d, today = today));
    }
    Ok(d)
}

pub(crate) fn sex(c: Cell<'_>) -> Result<Sex, String> {
    match c.text.to_ascii_lowercase().as_str() {
        "男" | "男性" | "male" | "m" | "1" => Ok(Sex::Male),
        "女" | "女性" | "female" | "f" | "2" => Ok(Sex::Female),
        _ => Err(tr!("import-err-sex", text = format!("{:?}", c.text))),
    }
}

pub(crate) fn sex_name(s: Sex) -> &'static str {
    match s {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

pub(crate) fn category(c: Cell<'_>) -> Result<Category, String> {
    match c.text.to_ascii_lowercase().replace('_', "-").as_str() {
        "男" | "男性" | "male" => Ok(Category::Male),
        "女干部" | "female-cadre" => Ok(Category::FemaleCadre),
        "女工人" | "female-worker" => Ok(Category::FemaleWorker),
        _ => Err(tr!("import-err-category", text = format!("{:?}", c.text))),
    }
}

pub(crate) fn payer_kind(c: Cell<'_>) -> Result<PayerKind, String> {
    match c.text.to_ascii_lowercase().as_str() {
        "职工" | "在职职工" | "单位职工" | "employee" => Ok(PayerKind::Employee),
        "灵活就业" | "灵活就业人员" | "flexible" => Ok(PayerKind::Flexible),
        _ => Err(tr!("import-err-payer", text = format!("{:?}", c.text))),
    }
}

/// A receipt or serial number: printable, at most 64 characters.
pub(crate) fn receipt(c: Cell<'_>) -> Result<String, String> {
    const RECEIPT_CHARS_MAX: usize = 64;
    refuse_long_number(c, tr!("import-err-what-receipt").as_str())?;
    let n = c.text.chars().count();
    if n > RECEIPT_CHARS_MAX {
        return Err(tr!("import-err-too-long", n = n, max = RECEIPT_CHARS_MAX));
    }
    if c.text
        .chars()
        .any(|ch| ch.is_control() || ch.is_whitespace())
    {
        return Err(tr!("import-err-space"));
    }
    Ok(c.text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_spotted() {
        for bad in ["=HYPERLINK(1)", " +1", "-2", "@SUM", "＝１"] {
            assert!(starts_like_a_formula(bad), "{bad}");
        }
        for good in ["张三", "O'Neil", "李-四", ""] {
            assert!(!starts_like_a_formula(good), "{good}");
        }
    }

    fn t(text: &str) -> Cell<'_> {
        Cell {
            text,
            numeric: false,
        }
    }
    fn n(text: &str) -> Cell<'_> {
        Cell {
            text,
            numeric: true,
        }
    }
    fn today() -> Date {
        Date::new(2026, 11, 27).expect("date")
    }

    #[test]
    fn amounts() {
        assert_eq!(yuan(t("5000.5")), Ok(Fen::new(500050)));
        assert_eq!(yuan(t("12,345.60")), Ok(Fen::new(1234560)));
        assert_eq!(yuan(t("-1,000")), Ok(Fen::new(-100000)));
        assert!(yuan(t("12,34.60")).is_err());
        assert_eq!(
            yuan(t("1.234")),
            Err("1.234 小数超过两位，金额只到分".into())
        );
        assert_eq!(yuan(n("1234.5599999999999")), Ok(Fen::new(123456)));
        assert_eq!(yuan(n("4.9999999999999998E-2")), Ok(Fen::new(5)));
        assert!(yuan(n("1.234")).is_err());
        assert!(yuan(t("5e3")).is_err());
    }

    #[test]
    fn periods_and_dates() {
        assert_eq!(
            period(t("2024-03"), today()).map(|p| p.to_string()),
            Ok("2024-03".into())
        );
        assert_eq!(
            period(t("202403"), today()).map(|p| p.to_string()),
            Ok("2024-03".into())
        );
        assert_eq!(
            period(n("202611"), today()).map(|p| p.to_string()),
            Ok("2026-11".into())
        );
        assert_eq!(
            period(t("2026-12"), today()),
            Err("年月晚于今天：2026-12（今天是 2026-11-27）".into())
        );
        assert!(period(t("2024-13"), today()).is_err());
        assert!(period(t("2024/3"), today()).is_err());
        assert!(
            period(n("45352"), today())
                .unwrap_err()
                .contains("像是表格日期")
        );
        for ok in [
            "2024-03-05",
            "2024/3/5",
            "20240305",
            "2024-03-05 10:30:00",
            "2024-03-05T00:00:00",
        ] {
            assert_eq!(
                date(t(ok), false).map(|d| d.to_string()),
                Ok("2024-03-05".into()),
                "{ok}"
            );
        }
        for bad in ["2024-3-5", "2024/13/5", "24/3/5", "2024-02-30", "45356"] {
            assert!(date(t(bad), false).is_err(), "{bad}");
        }
        assert_eq!(
            date(n("45356"), false).map(|d| d.to_string()),
            Ok("2024-03-05".into())
        );
        assert!(not_future(Date::new(2026, 11, 28).expect("d"), today()).is_err());
    }

    #[test]
    fn counties() {
        let d = Divisions::shanxi();
        let got = |s: &str| county(t(s), d).map(|(a, w)| (a.get(), w.get()));
        assert_eq!(got("140105"), Ok((140105, 140105)));
        assert_eq!(
            got("140202"),
            Ok((140213, 140202)),
            "retired 大同城区 → 平城区"
        );
        assert_eq!(
            got("140171"),
            Ok((140100, 140171)),
            "functional zone → its city"
        );
        assert!(got("140100").unwrap_err().contains("是市级代码"));
        assert!(got("110105").unwrap_err().contains("不是本省"));
        assert!(
            got("140199")
                .unwrap_err()
                .contains("不是山西省现行或已撤销")
        );
        assert!(got("14010").is_err());
    }

    #[test]
    fn identifiers_stored_as_numbers_are_refused() {
        let id = "11010519491231002X";
        assert!(id_number(t(id), today()).is_ok());
        assert!(
            id_number(n("1.10105194912310E+17"), today())
                .unwrap_err()
                .contains("以数字格式保存")
        );
        assert!(
            id_number(n("110105194912310000"), today())
                .unwrap_err()
                .contains("15 位有效数字")
        );
        assert!(receipt(n("3200000000000000001")).is_err());
        assert_eq!(receipt(n("320000001")), Ok("320000001".into()));
    }

    #[test]
    fn enumerations() {
        assert_eq!(sex(t("女")), Ok(Sex::Female));
        assert_eq!(sex(t("Male")), Ok(Sex::Male));
        assert!(sex(t("x")).is_err());
        assert_eq!(category(t("女干部")), Ok(Category::FemaleCadre));
        assert_eq!(category(t("female_worker")), Ok(Category::FemaleWorker));
        assert!(category(t("女")).is_err());
        assert_eq!(payer_kind(t("灵活就业")), Ok(PayerKind::Flexible));
        assert_eq!(payer_kind(t("Employee")), Ok(PayerKind::Employee));
        assert!(receipt(t("A B")).is_err());
        assert!(name(t("张\u{7}三")).is_err());
    }
}
