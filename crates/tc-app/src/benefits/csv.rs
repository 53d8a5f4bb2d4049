//! A small CSV reader for the cross-check files (death records, other payment rolls): UTF-8 with
//! or without a byte-order mark, RFC 4180 quoting, a header row naming the columns (English keys
//! or their Chinese names, any order). Every problem is reported with its line, all at once.

use crate::error::{AppError, Result};

/// The most problems listed in one error (the total is always given).
const MAX_LISTED: usize = 50;

/// Split text into records of fields (quoted fields may hold commas, doubled quotes and line
/// breaks). Returns (line number where the record starts, fields). Blank lines are skipped.
fn records(text: &str) -> std::result::Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    let mut line = 1usize;
    let mut start = 1usize;
    let mut chars = text.chars().peekable();
    let end_record = |fields: &mut Vec<String>,
                      field: &mut String,
                      out: &mut Vec<(usize, Vec<String>)>,
                      start: usize| {
        fields.push(std::mem::take(field));
        let f = std::mem::take(fields);
        if !(f.len() == 1 && f[0].trim().is_empty()) {
            out.push((start, f));
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() && !quoted => {
                field.clear();
                in_quotes = true;
                quoted = true;
            }
            '"' => return Err(format!("line {line}: a quote inside an unquoted field")),
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' => {}
            '\n' => {
                end_record(&mut fields, &mut field, &mut out, start);
                quoted = false;
                line += 1;
                start = line;
            }
            _ if quoted && !c.is_whitespace() => {
                return Err(format!("line {line}: text after a closing quote"));
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {start}: a quoted field is not closed"));
    }
    end_record(&mut fields, &mut field, &mut out, start);
    Ok(out)
}

/// A file's rows as (line, cells in the order of `columns`), with the header matched. `columns`
/// gives, per wanted column, its accepted header names.
pub(crate) fn read(
    what: &str,
    bytes: &[u8],
    columns: &[&[&str]],
) -> Result<Vec<(usize, Vec<String>)>> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        AppError::Invalid(format!(
            "{what}: not UTF-8 text (byte {}): save the file as CSV UTF-8",
            e.valid_up_to()
        ))
    })?;
    let mut recs = records(text).map_err(|e| AppError::Invalid(format!("{what}: {e}")))?;
    if recs.is_empty() {
        return Err(AppError::Invalid(format!("{what}: the file is empty")));
    }
    let (_, header) = recs.remove(0);
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut index = Vec::with_capacity(columns.len());
    let mut missing = Vec::new();
    for aliases in columns {
        match names.iter().position(|n| aliases.contains(&n.as_str())) {
            Some(i) => index.push(i),
            None => missing.push(aliases[0]),
        }
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| !n.is_empty() && !columns.iter().any(|a| a.contains(&n.as_str())))
        .map(|n| n.as_str())
        .collect();
    if !missing.is_empty() || !unknown.is_empty() {
        return Err(AppError::Invalid(format!(
            "{what}: header: missing columns [{}], unknown columns [{}]",
            missing.join(", "),
            unknown.join(", ")
        )));
    }
    let mut out = Vec::with_capacity(recs.len());
    let mut problems = Vec::new();
    for (line, cells) in recs {
        if cells.len() != header.len() {
            problems.push(format!(
                "line {line}: {} cells, the header has {}",
                cells.len(),
                header.len()
            ));
            continue;
        }
        out.push((
            line,
            index.iter().map(|&i| cells[i].trim().to_string()).collect(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems_error(what, &problems));
    }
    Ok(out)
}

/// One error listing a file's problems (the first [`MAX_LISTED`], and how many in all).
pub(crate) fn problems_error(what: &str, problems: &[String]) -> AppError {
    let listed: Vec<&str> = problems
        .iter()
        .take(MAX_LISTED)
        .map(|s| s.as_str())
        .collect();
    let more = problems.len().saturating_sub(MAX_LISTED);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    AppError::Invalid(format!(
        "{what}: {} problem(s), nothing imported: {}{tail}",
        problems.len(),
        listed.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_header() {
        let text = "\u{feff}source,id_number,died\n\"公安\",\"11010519491231002X\",2020-01-02\r\n\n民政,\"a,\"\"b\",x\n";
        let rows = read(
            "f",
            text.as_bytes(),
            &[&["id_number", "身份证号码"], &["died"], &["source"]],
        )
        .expect("read");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1, vec!["11010519491231002X", "2020-01-02", "公安"]);
        assert_eq!(rows[1].0, 4);
        assert_eq!(rows[1].1[0], "a,\"b");
        let e =
            read("f", b"id_number,x\n1,2\n", &[&["id_number"], &["died"]]).expect_err("must fail");
        assert!(e.to_string().contains("missing columns [died]"), "{e}");
        assert!(e.to_string().contains("unknown columns [x]"), "{e}");
        let e = read("f", b"id_number\n\"abc\n", &[&["id_number"]]).expect_err("must fail");
        assert!(e.to_string().contains("not closed"), "{e}");
        let e =
            read("f", b"id_number,died\n1\n", &[&["id_number"], &["died"]]).expect_err("must fail");
        assert!(e.to_string().contains("line 2: 1 cells"), "{e}");
        let e = read("f", &[0xC4, 0xE3, b'\n'], &[&["id_number"]]).expect_err("must fail");
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
