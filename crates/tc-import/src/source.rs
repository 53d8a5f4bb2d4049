//! Row sources: a CSV stream or an XLSX sheet, each yielding raw rows of decoded text.

use crate::error::RowError;
use crate::fingerprint::Fingerprint;
use crate::values::Cell;
use std::io;

/// The text encoding of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (also reported for pure ASCII files).
    Utf8,
    /// GBK (decoded as GB 18030, its superset, as the WHATWG Encoding Standard does).
    Gbk,
}

/// The format of an import file, detected from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv(Encoding),
    /// An Office Open XML workbook; the first sheet is read.
    Xlsx,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Csv(Encoding::Utf8) => "CSV (UTF-8)",
            Format::Csv(Encoding::Gbk) => "CSV (GBK)",
            Format::Xlsx => "XLSX",
        })
    }
}

/// One row as read: its number and its cells' text, with per-cell problems found while decoding
/// (bad encoding, text after a closing quote, a spreadsheet error value).
#[derive(Default, Debug)]
pub(crate) struct RawRow {
    pub row: u64,
    text: String,
    ends: Vec<usize>,
    numeric: Vec<bool>,
    /// (cell index, reason)
    pub problems: Vec<(usize, String)>,
}

impl RawRow {
    pub fn clear(&mut self, row: u64) {
        self.row = row;
        self.text.clear();
        self.ends.clear();
        self.numeric.clear();
        self.problems.clear();
    }
    pub fn push(&mut self, s: &str, numeric: bool) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.numeric.push(numeric);
    }
    /// An unreadable cell: empty text plus a problem.
    pub fn push_bad(&mut self, reason: impl Into<String>) {
        self.problems.push((self.ends.len(), reason.into()));
        self.push("", false);
    }
    pub fn problem(&mut self, cell: usize, reason: impl Into<String>) {
        self.problems.push((cell, reason.into()));
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// Bytes of text in the row so far.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
    /// The trimmed text of a cell; empty past the end of the row.
    pub fn get(&self, i: usize) -> Cell<'_> {
        if i >= self.ends.len() {
            return Cell {
                text: "",
                numeric: false,
            };
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Cell {
            text: self.text[start..self.ends[i]].trim(),
            numeric: self.numeric[i],
        }
    }
    /// No cell has any text (blank lines and rows of empty cells are skipped).
    pub fn is_blank(&self) -> bool {
        self.problems.is_empty() && self.text.trim().is_empty()
    }
}

/// A stream of raw rows. `Err` from `next_row` is fatal: the rest of the file cannot be read.
pub(crate) trait RowSource {
    fn next_row(&mut self, out: &mut RawRow) -> Result<bool, RowError>;
    /// Input bytes consumed so far, for progress.
    fn bytes_read(&self) -> u64;
    fn bytes_total(&self) -> Option<u64>;
    fn format(&self) -> Format;
    /// Rows have a fixed number of fields (CSV) rather than sparse cells (XLSX).
    fn fixed_width(&self) -> bool;
    /// Spreadsheet day numbers count from 1904 rather than 1900.
    fn date1904(&self) -> bool;
    /// The SHA-256 of the whole file (reads what is left of a stream).
    fn fingerprint(&mut self) -> io::Result<Fingerprint>;
}

/// A source could not be opened: the environment failed, or the content was refused.
#[derive(Debug)]
pub(crate) enum OpenError {
    Io(io::Error),
    Refused(RowError),
}
