//! Text that leaves the system in files people open in a spreadsheet.

use std::borrow::Cow;

/// Whether `s` begins (after blanks) with a character a spreadsheet reads as the start of a
/// formula: `=`, `+`, `-`, `@` (their full-width forms included), or a tab or carriage return.
pub fn starts_like_a_formula(s: &str) -> bool {
    if s.starts_with(['\t', '\r']) {
        return true;
    }
    matches!(
        s.trim_start().chars().next(),
        Some('=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠')
    )
}

/// A text cell for a CSV file: one that would run as a formula gets a leading `'`, so a name
/// typed as `=HYPERLINK(…)` stays text when the file is opened (OWASP "CSV injection"). Every
/// CSV writer passes its text cells (never its numbers) through here.
pub fn defuse(text: &str) -> Cow<'_, str> {
    if starts_like_a_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_names_are_not() {
        for bad in [
            "=1+1",
            "+86",
            "-2",
            "@SUM(A1)",
            " =x",
            "\t=x",
            "＝HYPERLINK()",
            "\r1",
        ] {
            assert!(defuse(bad).starts_with('\''), "{bad:?}");
        }
        for good in ["张三", "O'Brien", "a=b", "", "1.5"] {
            assert_eq!(defuse(good), good);
        }
    }
}
