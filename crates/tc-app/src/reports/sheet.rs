//! A report as one table (columns, rows, a total row, and a few figures that belong to the whole
//! report), rendered as an aligned text table, JSON, CSV (UTF-8, header line) or XLSX. Every
//! column and figure has its label in Chinese ([`Col::zh`], [`Extra::zh`]) and in English
//! ([`Col::en`], [`Extra::en`]); the text table, the CSV and XLSX headers and the web pages show
//! them in the current language ([`Col::text`], [`Extra::text`]: Chinese unless English is asked
//! for); the JSON fields and the machine keys stay as they are.

use super::xlsx::{self, XCell};
use serde_json::{Map, Value as Json};
use tongchou_core::Fen;
use tongchou_core::i18n::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Money(Fen),
}

impl Cell {
    /// The cell as plain text (amounts as exact yuan, `1234.50`).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Money(f) => f.to_string(),
        }
    }
    /// Whether the cell is a number (aligned right).
    pub fn right(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Money(_))
    }
    fn json(&self) -> Json {
        match self {
            Cell::Empty => Json::Null,
            Cell::Text(t) => Json::String(t.clone()),
            Cell::Int(i) => Json::from(*i),
            // amounts travel as exact yuan strings, as everywhere in Tongchou's JSON
            Cell::Money(f) => Json::String(f.to_string()),
        }
    }
    pub(crate) fn xlsx(&self) -> XCell {
        match self {
            Cell::Empty => XCell::Empty,
            Cell::Text(t) => XCell::Text(t.clone()),
            Cell::Int(i) => XCell::Int(*i),
            Cell::Money(f) => XCell::Money(*f),
        }
    }
}

/// One column: its machine key (JSON field) and its label (text table, CSV and XLSX headers): a
/// bilingual label ("应发 payroll"), or an English one whose key [`Col::zh`] names in Chinese.
#[derive(Clone, Copy, Debug)]
pub struct Col {
    pub key: &'static str,
    pub label: &'static str,
}

impl Col {
    pub const fn new(key: &'static str, label: &'static str) -> Col {
        Col { key, label }
    }

    /// The column's Chinese label: the Chinese part of a bilingual label ("应发 payroll"), or
    /// the Chinese name of the column's key.
    pub fn zh(&self) -> &'static str {
        if let Some((zh, _)) = self.label.split_once(' ')
            && !zh.is_ascii()
        {
            return zh;
        }
        match (self.key, self.label) {
            ("region", "city") => "市代码",
            ("region", _) | ("county", _) => "区县代码",
            ("name", _) => "名称",
            ("insured", _) => "参保人数",
            ("contributors", _) => "缴费人数",
            ("assessed", _) => "应缴",
            ("collected", _) => "实缴",
            ("late_fees", _) => "滞纳金",
            ("arrears", _) => "欠费",
            ("remitted", _) => "上解省级",
            ("credit_code", _) => "统一社会信用代码",
            ("persons", _) => "欠费人数",
            ("months", _) => "欠费人月数",
            ("outstanding", _) => "欠费金额",
            ("late_fee_accrued", _) => "应计滞纳金",
            ("oldest_period", _) => "最早欠费月份",
            _ => self.label,
        }
    }

    /// The column's English label: the English part of a bilingual label, or the label.
    pub fn en(&self) -> &'static str {
        english_part(self.label)
    }

    /// The column's label in the current language ([`tongchou_core::i18n::current`]).
    pub fn text(&self) -> &'static str {
        match tongchou_core::i18n::current() {
            Lang::ZhCn => self.zh(),
            Lang::En => self.en(),
        }
    }
}

/// The English part of a bilingual label ("应发 payroll" → "payroll"), or the label itself.
pub fn english_part(label: &str) -> &str {
    match label.split_once(' ') {
        Some((zh, en)) if !zh.is_ascii() => en,
        _ => label,
    }
}

/// A figure of the whole report (e.g. a balance): a line under the text table, a JSON field, and
/// an extra column of CSV and XLSX filled in the total row.
#[derive(Clone, Debug)]
pub struct Extra {
    pub key: &'static str,
    pub label: String,
    /// The label in Chinese (web pages).
    pub zh: String,
    pub value: Cell,
}

impl Extra {
    /// The figure's English label: the English part of a bilingual label, or the label.
    pub fn en(&self) -> &str {
        english_part(&self.label)
    }

    /// The figure's label in the current language.
    pub fn text(&self) -> &str {
        match tongchou_core::i18n::current() {
            Lang::ZhCn => &self.zh,
            Lang::En => self.en(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Sheet {
    /// Heading of the text table and first row of the XLSX sheet.
    pub title: String,
    /// Name of the XLSX sheet (at most 31 characters).
    pub name: String,
    /// Leading JSON fields (report, period, region…).
    pub meta: Vec<(&'static str, Json)>,
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
    pub extras: Vec<Extra>,
}

/// Display width in a terminal: East Asian wide characters take two columns.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F
                | 0x2E80..=0x303E
                | 0x3041..=0x33FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF
                | 0xAC00..=0xD7A3
                | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6
                | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

pub use tongchou_core::text::defuse;

impl Cell {
    /// The cell as a CSV field's text: like [`Cell::text`], text cells defused.
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(t) => defuse(t).into_owned(),
            other => other.text(),
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Sheet {
    fn all_rows(&self) -> impl Iterator<Item = &Vec<Cell>> {
        self.rows.iter().chain(self.total.iter())
    }

    /// An aligned text table: the title, the header, the rows, the total, then the extras.
    pub fn table(&self) -> String {
        let n = self.cols.len();
        let mut w: Vec<usize> = self.cols.iter().map(|c| width(c.text())).collect();
        for r in self.all_rows() {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(width(&c.text()));
            }
        }
        let mut out = format!("{}\n", self.title);
        let line = |cells: Vec<(String, bool)>| -> String {
            let mut s = String::new();
            for (i, (t, right)) in cells.iter().enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                let pad = " ".repeat(w[i].saturating_sub(width(t)));
                if *right {
                    s.push_str(&pad);
                    s.push_str(t);
                } else {
                    s.push_str(t);
                    if i + 1 < cells.len() {
                        s.push_str(&pad);
                    }
                }
            }
            s.push('\n');
            s
        };
        // labels align like their column's values (numbers right)
        let right: Vec<bool> = (0..n)
            .map(|i| self.all_rows().any(|r| r.get(i).is_some_and(Cell::right)))
            .collect();
        out.push_str(&line(
            self.cols
                .iter()
                .enumerate()
                .map(|(i, c)| (c.text().to_string(), right[i]))
                .collect(),
        ));
        for r in self.all_rows() {
            out.push_str(&line(
                r.iter()
                    .take(n)
                    .enumerate()
                    .map(|(i, c)| (c.text(), right[i]))
                    .collect(),
            ));
        }
        for e in &self.extras {
            out.push_str(&format!("{}: {}\n", e.text(), e.value.text()));
        }
        out
    }

    /// CSV in UTF-8 with a header line of the columns' labels in the current language; the
    /// extras as extra columns, filled in the total row.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self
            .cols
            .iter()
            .map(|c| csv_field(c.text()))
            .chain(self.extras.iter().map(|e| csv_field(e.text())))
            .collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for r in &self.rows {
            let mut f: Vec<String> = r.iter().map(|c| csv_field(&c.csv_text())).collect();
            f.extend(self.extras.iter().map(|_| String::new()));
            out.push_str(&f.join(","));
            out.push('\n');
        }
        if let Some(t) = &self.total {
            let mut f: Vec<String> = t.iter().map(|c| csv_field(&c.csv_text())).collect();
            f.extend(self.extras.iter().map(|e| csv_field(&e.value.csv_text())));
            out.push_str(&f.join(","));
            out.push('\n');
        }
        out
    }

    fn object(&self, r: &[Cell]) -> Json {
        let mut m = Map::new();
        for (c, v) in self.cols.iter().zip(r) {
            m.insert(c.key.to_string(), v.json());
        }
        Json::Object(m)
    }

    pub fn json(&self) -> Json {
        let mut m = Map::new();
        for (k, v) in &self.meta {
            m.insert(k.to_string(), v.clone());
        }
        m.insert(
            "rows".into(),
            Json::Array(self.rows.iter().map(|r| self.object(r)).collect()),
        );
        if let Some(t) = &self.total {
            m.insert("total".into(), self.object(t));
        }
        for e in &self.extras {
            m.insert(e.key.to_string(), e.value.json());
        }
        Json::Object(m)
    }

    /// A workbook: the title, a blank row, the column labels, the rows, the total with the
    /// extras as extra columns.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut rows: Vec<Vec<XCell>> = vec![vec![XCell::Heading(self.title.clone())], vec![]];
        rows.push(
            self.cols
                .iter()
                .map(|c| XCell::Heading(c.text().to_string()))
                .chain(
                    self.extras
                        .iter()
                        .map(|e| XCell::Heading(e.text().to_string())),
                )
                .collect(),
        );
        for r in &self.rows {
            rows.push(r.iter().map(Cell::xlsx).collect());
        }
        if let Some(t) = &self.total {
            rows.push(
                t.iter()
                    .map(Cell::xlsx)
                    .chain(self.extras.iter().map(|e| e.value.xlsx()))
                    .collect(),
            );
        }
        xlsx::workbook(&self.name, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_defused_and_numbers_keep_their_sign() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("太原市"), "太原市");
        assert_eq!(Cell::Text("-x".into()).csv_text(), "'-x");
        assert_eq!(Cell::Money(tongchou_core::Fen::new(-5)).csv_text(), "-0.05");
    }

    fn sheet() -> Sheet {
        Sheet {
            title: "T".into(),
            name: "t".into(),
            meta: vec![("report", Json::from("x"))],
            cols: vec![
                Col {
                    key: "region",
                    label: "region",
                },
                Col {
                    key: "name",
                    label: "name",
                },
                Col {
                    key: "amount",
                    label: "金额 amount",
                },
            ],
            rows: vec![
                vec![
                    Cell::Text("140100".into()),
                    Cell::Text("太原市".into()),
                    Cell::Money(Fen::new(123_450)),
                ],
                vec![
                    Cell::Text("140200".into()),
                    Cell::Text("a,\"b\"".into()),
                    Cell::Money(Fen::new(-5)),
                ],
            ],
            total: Some(vec![
                Cell::Text("total".into()),
                Cell::Empty,
                Cell::Money(Fen::new(123_445)),
            ]),
            extras: vec![Extra {
                key: "balance",
                label: "balance at 2026-11-05".into(),
                zh: "余额".into(),
                value: Cell::Money(Fen::new(7)),
            }],
        }
    }

    #[test]
    fn renderings() {
        tongchou_core::i18n::scope(Lang::En, renderings_in_english);
        let s = sheet();
        assert_eq!(
            s.csv().lines().next(),
            Some("区县代码,名称,金额,余额"),
            "headers in Chinese by default"
        );
        assert!(s.table().starts_with("T\n区县代码  名称"), "{}", s.table());
        assert!(s.table().ends_with("余额: 0.07\n"), "{}", s.table());
    }

    fn renderings_in_english() {
        let s = sheet();
        assert_eq!(
            s.table(),
            "T\n\
             region  name     amount\n\
             140100  太原市  1234.50\n\
             140200  a,\"b\"     -0.05\n\
             total           1234.45\n\
             balance at 2026-11-05: 0.07\n"
        );
        assert_eq!(
            s.csv(),
            "region,name,amount,balance at 2026-11-05\n\
             140100,太原市,1234.50,\n\
             140200,\"a,\"\"b\"\"\",-0.05,\n\
             total,,1234.45,0.07\n"
        );
        assert_eq!(
            s.json().to_string(),
            r#"{"report":"x","rows":[{"region":"140100","name":"太原市","amount":"1234.50"},{"region":"140200","name":"a,\"b\"","amount":"-0.05"}],"total":{"region":"total","name":null,"amount":"1234.45"},"balance":"0.07"}"#
        );
        assert!(s.xlsx().expect("xlsx").starts_with(b"PK\x03\x04"));
    }

    #[test]
    fn chinese_labels() {
        let c = |key, label| Col { key, label }.zh();
        assert_eq!(c("need", "应发 payroll"), "应发");
        assert_eq!(c("region", "city"), "市代码");
        assert_eq!(c("region", "county"), "区县代码");
        assert_eq!(c("late_fees", "late fees"), "滞纳金");
        assert_eq!(c("other", "other"), "other");
    }

    #[test]
    fn wide_characters() {
        assert_eq!(width("太原市"), 6);
        assert_eq!(width("ab"), 2);
        assert_eq!(width("（）"), 4);
    }
}
