//! Reports as XLSX workbooks, written by `rust_xlsxwriter`: one worksheet, the title in bold,
//! the column labels in bold, counts as integers and amounts as numbers shown `#,##0.00`.
//!
//! An amount is exact integer fen up to here; a spreadsheet holds every number as a binary
//! double, so the cell gets the double nearest to the yuan value (`fen / 100`, correctly rounded
//! for any amount below 2^53 fen, about 90 trillion yuan), which is what Excel itself stores when
//! one types the amount. The workbook's creation time is fixed, so the same sheet always gives
//! the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use tongchou_core::Fen;

/// A cell to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XCell {
    Empty,
    Text(String),
    /// A heading (the title, the column labels): bold text.
    Heading(String),
    Int(i64),
    Money(Fen),
}

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(s: &str) -> String {
    let n: String = s
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if n.is_empty() { "Sheet1".into() } else { n }
}

/// The bytes of a workbook with one sheet named `name` holding `rows`.
pub fn workbook(name: &str, rows: &[Vec<XCell>]) -> Result<Vec<u8>, XlsxError> {
    workbook_with_widths(name, rows, &[])
}

/// [`workbook`] with the width of each column (in characters; a CJK character counts two).
pub fn workbook_with_widths(
    name: &str,
    rows: &[Vec<XCell>],
    widths: &[f64],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(name))?;
    for (c, w) in widths.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.set_column_width(c, *w)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            match cell {
                XCell::Empty => {}
                XCell::Text(t) => {
                    sheet.write_string(r, c, t)?;
                }
                XCell::Heading(t) => {
                    sheet.write_string_with_format(r, c, t, &bold)?;
                }
                XCell::Int(i) => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                XCell::Money(f) => {
                    sheet.write_number_with_format(r, c, f.fen() as f64 / 100.0, &money)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The worksheet XML of a workbook (read with the `zip` crate).
    fn sheet_xml(book: &[u8]) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("a zip archive");
        let mut s = String::new();
        z.by_name("xl/worksheets/sheet1.xml")
            .expect("sheet1")
            .read_to_string(&mut s)
            .expect("utf-8");
        s
    }

    #[test]
    fn a_workbook_holds_its_cells_and_is_the_same_every_time() {
        let rows = vec![
            vec![XCell::Heading("征缴报表 <2026-10>".into())],
            vec![],
            vec![
                XCell::Text("太原市".into()),
                XCell::Int(42),
                XCell::Money(Fen::new(123_456)),
            ],
            vec![XCell::Empty, XCell::Money(Fen::new(-5))],
        ];
        let book = workbook("collection/2026-10", &rows).expect("workbook");
        assert!(book.starts_with(b"PK\x03\x04"));
        let x = sheet_xml(&book);
        assert!(x.contains("<v>42</v>"), "{x}");
        assert!(x.contains("<v>1234.56</v>"), "{x}");
        assert!(x.contains("<v>-0.05</v>"), "{x}");
        assert_eq!(book, workbook("collection/2026-10", &rows).expect("again"));
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(&book[..])).expect("zip");
        let mut wb = String::new();
        z.by_name("xl/workbook.xml")
            .expect("workbook.xml")
            .read_to_string(&mut wb)
            .expect("utf-8");
        assert!(wb.contains("name=\"collection2026-10\""), "{wb}");
    }
}
