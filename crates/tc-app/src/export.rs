//! A table of an oversight page (the audit log, the ledger) as a download: CSV (UTF-8 with a
//! byte-order mark so that a spreadsheet reads the Chinese, a Chinese header line, every text
//! cell passed through `tongchou_core::text::defuse`) or XLSX (the title, Chinese column labels
//! in bold, each column its width, amounts as numbers shown `#,##0.00`).

use crate::reports::Cell;
use crate::reports::sheet::csv_field;
use crate::reports::xlsx::{self, XCell};
use crate::{AppError, Result};
use tongchou_core::text::defuse;

/// The two download formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `csv` or `xlsx`.
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(AppError::Invalid(tongchou_core::tr!(
                "app-exp-format",
                format = format!("{other:?}")
            ))),
        }
    }
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A table to download: its title, sheet name, columns (Chinese label, width in characters) and
/// rows.
#[derive(Clone, Debug)]
pub struct Table {
    pub title: String,
    pub sheet: String,
    pub cols: Vec<(&'static str, f64)>,
    pub rows: Vec<Vec<Cell>>,
}

/// A rendered download.
#[derive(Clone, Debug)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: String,
}

impl Table {
    /// CSV: a BOM, the header of Chinese labels, the rows (amounts as exact yuan).
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let header: Vec<String> = self.cols.iter().map(|(l, _)| csv_field(l)).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for r in &self.rows {
            let f: Vec<String> = r
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => csv_field(&defuse(t)),
                    other => csv_field(&other.text()),
                })
                .collect();
            out.push_str(&f.join(","));
            out.push('\n');
        }
        out
    }

    /// XLSX: the title, a blank row, the labels, the rows; the columns' widths set.
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let mut rows: Vec<Vec<XCell>> = vec![vec![XCell::Heading(self.title.clone())], vec![]];
        rows.push(
            self.cols
                .iter()
                .map(|(l, _)| XCell::Heading(l.to_string()))
                .collect(),
        );
        for r in &self.rows {
            rows.push(
                r.iter()
                    .map(|c| match c {
                        Cell::Empty => XCell::Empty,
                        Cell::Text(t) => XCell::Text(t.clone()),
                        Cell::Int(i) => XCell::Int(*i),
                        Cell::Money(f) => XCell::Money(*f),
                    })
                    .collect(),
            );
        }
        let widths: Vec<f64> = self.cols.iter().map(|(_, w)| *w).collect();
        xlsx::workbook_with_widths(&self.sheet, &rows, &widths)
            .map_err(|e| AppError::Invalid(tongchou_core::tr!("app-xlsx", error = e)))
    }

    /// The table in `format`, named `stem.csv` or `stem.xlsx`.
    pub fn download(&self, format: Format, stem: &str) -> Result<Download> {
        let bytes = match format {
            Format::Csv => self.csv().into_bytes(),
            Format::Xlsx => self.xlsx()?,
        };
        Ok(Download {
            bytes,
            content_type: format.content_type(),
            file_name: format!("{stem}.{}", format.ext()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Fen;

    #[test]
    fn csv_is_chinese_and_formula_safe() {
        let t = Table {
            title: "审计日志".into(),
            sheet: "审计日志".into(),
            cols: vec![("用户", 12.0), ("金额", 14.0)],
            rows: vec![vec![
                Cell::Text("=HYPERLINK(\"x\")".into()),
                Cell::Money(Fen::new(123_456)),
            ]],
        };
        let csv = t.csv();
        assert!(csv.starts_with("\u{feff}用户,金额\n"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\",1234.56"), "{csv}");
        let x = t.xlsx().expect("xlsx");
        assert!(x.starts_with(b"PK"));
        assert!(Format::parse("pdf").is_err());
    }
}
