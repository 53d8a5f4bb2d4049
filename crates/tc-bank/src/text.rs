//! Text rules shared by the writers and readers: what a field may contain, XML escaping,
//! exact decimal amounts, and the date-time stamped on files.

use crate::BankError;
use std::fmt;
use tongchou_core::{Date, Fen};

/// True for characters a bank file field must never carry: C0 and C1 controls (including tab and
/// line breaks, which fields never need), DEL, and the XML non-characters U+FFFE and U+FFFF.
pub(crate) fn is_forbidden_char(c: char) -> bool {
    c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Check a free-text field: trimmed, not empty, at most `max_chars` characters (ISO 20022 counts
/// characters, not bytes, so 70 Chinese characters fit a Max70Text), no forbidden characters.
/// Returns the trimmed text.
pub(crate) fn check_text(
    field: &'static str,
    s: &str,
    max_chars: usize,
) -> Result<String, BankError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(BankError::Text {
            field,
            reason: tongchou_core::tr!("bank-text-empty"),
        });
    }
    if let Some(c) = t.chars().find(|&c| is_forbidden_char(c)) {
        return Err(BankError::Text {
            field,
            reason: tongchou_core::tr!("bank-text-char", code = format!("U+{:04X}", c as u32)),
        });
    }
    let n = t.chars().count();
    if n > max_chars {
        return Err(BankError::Text {
            field,
            reason: tongchou_core::tr!("bank-text-long", n = n, max = max_chars),
        });
    }
    Ok(t.to_string())
}

/// Append `s` to `out` escaped for XML text or a double- or single-quoted attribute value.
/// Callers only pass checked text (no control characters), so nothing else needs escaping.
pub(crate) fn push_xml_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
}

/// An amount of a bank's file beyond what a payment may carry, in the reader's language.
fn too_large(s: &str) -> String {
    tongchou_core::tr!("bank-amount-too-large", text = format!("{s:?}"))
}

/// Parse an `xs:decimal` amount in yuan ("12.5", "+012.50", "12.500", ".5", "5.") exactly into
/// fen. Refuses negatives, signs on zero aside, anything with a non-zero digit past the fen, and
/// any other form. This is stricter than [`Fen`]'s own parser only where XML allows more.
pub(crate) fn parse_decimal_yuan(s: &str) -> Result<Fen, String> {
    let t = s.trim_matches(|c| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    let (negative, body) = if let Some(rest) = t.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = t.strip_prefix('+') {
        (false, rest)
    } else {
        (false, t)
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(tongchou_core::tr!(
            "bank-amount-not-decimal",
            text = format!("{s:?}")
        ));
    }
    if frac.len() > 2 && frac[2..].bytes().any(|b| b != b'0') {
        return Err(tongchou_core::tr!(
            "bank-amount-fractions",
            text = format!("{s:?}")
        ));
    }
    let int = int.trim_start_matches('0');
    if int.len() > 16 {
        return Err(too_large(s));
    }
    let yuan: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_large(s))?
    };
    let mut fen = 0i64;
    for (i, b) in frac.bytes().take(2).enumerate() {
        fen += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    let v = yuan
        .checked_mul(100)
        .and_then(|v| v.checked_add(fen))
        .ok_or_else(|| too_large(s))?;
    if negative && v != 0 {
        return Err(tongchou_core::tr!(
            "bank-amount-negative",
            text = format!("{s:?}")
        ));
    }
    Ok(Fen::new(v))
}

/// A local date-time in China Standard Time (UTC+08:00, no daylight saving), to the second.
/// Files are stamped with it; it is always passed in, never read from a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
}

impl DateTime {
    pub fn new(date: Date, hour: u8, minute: u8, second: u8) -> Result<DateTime, BankError> {
        if hour > 23 || minute > 59 || second > 59 {
            return Err(BankError::DateTime(format!(
                "{hour:02}:{minute:02}:{second:02} is not a time of day"
            )));
        }
        if !(1..=9999).contains(&date.year()) {
            return Err(BankError::DateTime(format!(
                "year {} is out of range",
                date.year()
            )));
        }
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
        })
    }
    pub fn date(self) -> Date {
        self.date
    }
    pub fn hour(self) -> u8 {
        self.hour
    }
    pub fn minute(self) -> u8 {
        self.minute
    }
    pub fn second(self) -> u8 {
        self.second
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 with the offset, as `xs:dateTime` wants: `2020-01-08T09:30:00+08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}T{:02}:{:02}:{:02}+08:00",
            self.date, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_refused_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let e = |lang| scope(lang, || parse_decimal_yuan("1.005"));
        assert_eq!(
            e(Lang::ZhCn),
            Err("金额 \"1.005\" 含有不足一分的部分".into())
        );
        assert_eq!(
            e(Lang::En),
            Err("amount \"1.005\" has fractions of a fen".into())
        );
    }

    #[test]
    fn refusals_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let e = |lang, s: &str| {
            scope(lang, || {
                check_text("creditor name", s, 2).map_err(|e| e.to_string())
            })
        };
        assert_eq!(e(Lang::ZhCn, " "), Err("收款人名称：为空".into()));
        assert_eq!(e(Lang::En, " "), Err("creditor name: empty".into()));
        assert_eq!(
            e(Lang::ZhCn, "张三丰"),
            Err("收款人名称：3 个字符，最多 2 个".into())
        );
        assert_eq!(
            e(Lang::En, "a\tb"),
            Err("creditor name: character U+0009 is not allowed".into())
        );
    }

    #[test]
    fn text_rules() {
        assert_eq!(check_text("n", "  张三 ", 70), Ok("张三".to_string()));
        assert!(check_text("n", "   ", 70).is_err());
        assert!(check_text("n", "a\tb", 70).is_err());
        assert!(check_text("n", "a\nb", 70).is_err());
        assert!(check_text("n", "a\u{7f}b", 70).is_err());
        assert!(check_text("n", "a\u{85}b", 70).is_err());
        assert!(check_text("n", "a\u{FFFE}", 70).is_err());
        // 70 Chinese characters fit a Max70Text, 71 do not.
        let seventy: String = std::iter::repeat_n('晋', 70).collect();
        assert!(check_text("n", &seventy, 70).is_ok());
        assert!(check_text("n", &format!("{seventy}晋"), 70).is_err());
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        push_xml_escaped(&mut s, r#"A&B <c> "d" 'e' 王"#);
        assert_eq!(s, "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos; 王");
    }

    #[test]
    fn decimal_amounts() {
        assert_eq!(parse_decimal_yuan("12.5"), Ok(Fen::new(1250)));
        assert_eq!(parse_decimal_yuan("+012.50"), Ok(Fen::new(1250)));
        assert_eq!(parse_decimal_yuan("12.50000"), Ok(Fen::new(1250)));
        assert_eq!(parse_decimal_yuan(".5"), Ok(Fen::new(50)));
        assert_eq!(parse_decimal_yuan("5."), Ok(Fen::new(500)));
        assert_eq!(parse_decimal_yuan(" 3 "), Ok(Fen::new(300)));
        assert_eq!(parse_decimal_yuan("-0.00"), Ok(Fen::new(0)));
        assert!(parse_decimal_yuan("12.501").is_err());
        assert!(parse_decimal_yuan("-1").is_err());
        assert!(parse_decimal_yuan("+-0").is_err());
        assert!(parse_decimal_yuan("-").is_err());
        assert!(parse_decimal_yuan("1e3").is_err());
        assert!(parse_decimal_yuan(".").is_err());
        assert!(parse_decimal_yuan("").is_err());
        assert!(parse_decimal_yuan("1,000.00").is_err());
        assert!(parse_decimal_yuan("99999999999999999").is_err());
        assert_eq!(
            parse_decimal_yuan("9999999999999999.99"),
            Ok(Fen::new(999_999_999_999_999_999))
        );
    }

    #[test]
    fn date_time() {
        let d = Date::new(2020, 1, 8).unwrap();
        assert_eq!(
            DateTime::new(d, 9, 5, 0).unwrap().to_string(),
            "2020-01-08T09:05:00+08:00"
        );
        assert!(DateTime::new(d, 24, 0, 0).is_err());
        assert!(DateTime::new(d, 0, 60, 0).is_err());
        assert!(DateTime::new(d, 0, 0, 60).is_err());
    }
}
