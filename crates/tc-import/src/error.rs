//! What a refused file reports: every bad row with its row number, column and reason.

use std::fmt;
use tongchou_core::tr;

/// One problem in one row (or in the file as a whole, row 0).
///
/// Rows are numbered from 1 with the header as row 1, as a spreadsheet shows them: in a CSV file
/// a row is a record (a quoted field may span lines), blank rows are counted but skipped; in an
/// XLSX sheet it is the sheet's own row number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row number; 0 for a problem with the file as a whole (not a ZIP, unreadable...).
    pub row: u64,
    /// The column's header as written in the file (or the canonical Chinese header of a missing
    /// column); `None` when the problem is the row itself (wrong field count, duplicate).
    pub column: Option<String>,
    pub reason: String,
}

impl RowError {
    pub(crate) fn new(row: u64, column: Option<&str>, reason: impl Into<String>) -> RowError {
        RowError {
            row,
            column: column.map(str::to_string),
            reason: reason.into(),
        }
    }
    pub(crate) fn file(reason: impl Into<String>) -> RowError {
        RowError::new(0, None, reason)
    }
}

impl fmt::Display for RowError {
    /// In the current language (`tongchou_core::i18n::current`): `第 3 行 身份证号：…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = &self.reason;
        f.write_str(&match (self.row, &self.column) {
            (0, _) => tr!("import-err-file", reason = reason),
            (row, Some(column)) => tr!(
                "import-err-cell",
                row = row,
                column = column,
                reason = reason
            ),
            (row, None) => tr!("import-err-row", row = row, reason = reason),
        })
    }
}

/// A refused file: the first `errors.len()` problems (capped by `Options::error_limit`) and the
/// total count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The problems in file order, at most the error limit.
    pub errors: Vec<RowError>,
    /// How many problems there were in all (may exceed `errors.len()`).
    pub error_total: u64,
    /// How many distinct rows had at least one problem.
    pub rejected_rows: u64,
    /// How many data rows were read (header and blank rows excluded).
    pub rows: u64,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rejected_rows == 0 {
            writeln!(
                f,
                "{}",
                tr!("import-refused-header", total = self.error_total)
            )?;
        } else {
            writeln!(
                f,
                "{}",
                tr!(
                    "import-refused-rows",
                    total = self.error_total,
                    bad = self.rejected_rows,
                    rows = self.rows
                )
            )?;
        }
        for e in &self.errors {
            writeln!(f, "  {e}")?;
        }
        let shown = self.errors.len() as u64;
        if self.error_total > shown {
            writeln!(
                f,
                "  {}",
                tr!("import-refused-more", n = self.error_total - shown)
            )?;
        }
        Ok(())
    }
}
impl std::error::Error for Rejection {}

/// Why an import did not produce records.
#[derive(Debug)]
pub enum ImportError {
    /// The file could not be opened or read (an environment problem, not the file's content).
    Io(std::io::Error),
    /// The content was refused; see [`Rejection`].
    Rejected(Rejection),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Io(e) => f.write_str(&tr!(
                "import-err-io",
                error = tongchou_core::i18n::io_text(e)
            )),
            ImportError::Rejected(r) => write!(f, "{r}"),
        }
    }
}
impl std::error::Error for ImportError {}

impl From<std::io::Error> for ImportError {
    fn from(e: std::io::Error) -> ImportError {
        ImportError::Io(e)
    }
}
impl From<Rejection> for ImportError {
    fn from(r: Rejection) -> ImportError {
        ImportError::Rejected(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_in_the_current_language() {
        use tongchou_core::i18n::{Lang, scope};
        assert_eq!(
            RowError::new(3, Some("身份证号"), "bad").to_string(),
            "第 3 行 身份证号：bad"
        );
        assert_eq!(RowError::new(4, None, "dup").to_string(), "第 4 行：dup");
        assert_eq!(RowError::file("empty").to_string(), "文件：empty");
        let r = Rejection {
            errors: vec![RowError::new(2, None, "x")],
            error_total: 3,
            rejected_rows: 3,
            rows: 10,
        };
        let s = r.to_string();
        assert!(s.contains("10 行数据中有 3 行有问题，共 3 处"), "{s}");
        assert!(s.contains("另有 2 处"), "{s}");
        scope(Lang::En, || {
            assert_eq!(
                RowError::new(3, Some("身份证号"), "bad").to_string(),
                "row 3, 身份证号: bad"
            );
            let s = r.to_string();
            assert!(s.contains("3 problem(s) in 3 of 10"), "{s}");
            assert!(s.contains("... and 2 more"), "{s}");
        });
    }
}
