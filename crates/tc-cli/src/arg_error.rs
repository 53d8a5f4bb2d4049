//! clap's refusals of the command line in the reader's language: clap writes its errors in
//! English only, so the kind of error and the arguments it names (its context) are put into the
//! catalogue's words (`cli-arg-*`), one line naming the argument (its placeholder in the
//! catalogue's words too, `--period <期间>`) and the reason, with a pointer to `--help`. A kind
//! the catalogue does not know keeps clap's own first line.

use clap::error::{ContextKind, ContextValue, Error, ErrorKind};
use tongchou_core::tr;

/// A context value of the error as text (several values joined with `、` / `, `).
fn context(e: &Error, kind: ContextKind) -> Option<String> {
    Some(match e.get(kind)? {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(&tr!("cli-arg-list-sep")),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(&tr!("cli-arg-list-sep")),
        ContextValue::Number(n) => n.to_string(),
        ContextValue::Bool(b) => b.to_string(),
        _ => return None,
    })
}

/// The reason a validator gave for refusing a value (the `source` of a value-validation error).
fn reason(e: &Error) -> String {
    use std::num::IntErrorKind as K;
    let Some(source) = std::error::Error::source(e) else {
        return String::new();
    };
    // the standard parsers of numbers say why in English only
    match source
        .downcast_ref::<std::num::ParseIntError>()
        .map(|p| p.kind())
    {
        Some(K::Empty) => tr!("cli-arg-number-empty"),
        Some(K::PosOverflow) => tr!("cli-arg-number-too-large"),
        Some(K::NegOverflow) => tr!("cli-arg-number-too-small"),
        Some(K::Zero) => tr!("cli-arg-number-zero"),
        Some(_) => tr!("cli-arg-not-a-number"),
        // clap's ranged integer parser: `{value} is not in {range}`
        None => match source.to_string().split_once(" is not in ") {
            Some((_, range)) => tr!("cli-arg-number-range", range = range),
            None => source.to_string(),
        },
    }
}

/// One line for a refused command line, in the reader's language.
pub fn line(e: &Error) -> String {
    let arg =
        || crate::help::placeholders(&context(e, ContextKind::InvalidArg).unwrap_or_default());
    let value = || context(e, ContextKind::InvalidValue).unwrap_or_default();
    let main = match e.kind() {
        ErrorKind::InvalidValue => match context(e, ContextKind::ValidValue) {
            Some(valid) => tr!(
                "cli-arg-invalid-choice",
                arg = arg(),
                value = value(),
                valid = valid
            ),
            None => tr!("cli-arg-invalid-value", arg = arg(), value = value()),
        },
        ErrorKind::ValueValidation => tr!(
            "cli-arg-invalid-reason",
            arg = arg(),
            value = value(),
            reason = reason(e)
        ),
        ErrorKind::UnknownArgument => match context(e, ContextKind::SuggestedArg) {
            Some(s) => tr!("cli-arg-unknown-suggested", arg = arg(), suggested = s),
            None => tr!("cli-arg-unknown", arg = arg()),
        },
        ErrorKind::InvalidSubcommand => {
            let name = context(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            match context(e, ContextKind::SuggestedSubcommand) {
                Some(s) => tr!("cli-arg-subcommand-suggested", name = name, suggested = s),
                None => tr!("cli-arg-subcommand", name = name),
            }
        }
        ErrorKind::MissingRequiredArgument => tr!("cli-arg-missing", args = arg()),
        ErrorKind::MissingSubcommand => tr!(
            "cli-arg-missing-subcommand",
            name = context(e, ContextKind::InvalidSubcommand).unwrap_or_default(),
            valid = context(e, ContextKind::ValidSubcommand).unwrap_or_default()
        ),
        ErrorKind::ArgumentConflict => tr!(
            "cli-arg-conflict",
            arg = arg(),
            other =
                crate::help::placeholders(&context(e, ContextKind::PriorArg).unwrap_or_default())
        ),
        ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::WrongNumberOfValues
        | ErrorKind::NoEquals => tr!("cli-arg-values", arg = arg()),
        ErrorKind::InvalidUtf8 => tr!("cli-arg-utf8"),
        _ => clap_first_line(e),
    };
    format!("{main}{}", tr!("cli-arg-help-hint"))
}

/// clap's own first line, for a kind the catalogue does not name.
fn clap_first_line(e: &Error) -> String {
    let text = e.render().to_string();
    text.lines()
        .next()
        .unwrap_or("error: invalid arguments")
        .trim_start_matches("error: ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::line;
    use crate::Cli;
    use clap::Parser;
    use tongchou_core::i18n::{self, Lang, scope};

    fn refused(args: &[&str], lang: Lang) -> String {
        let e = Cli::try_parse_from(args).err().expect("refused");
        scope(lang, || line(&e))
    }

    #[test]
    fn an_unknown_argument_is_named_in_both_languages() {
        let zh = refused(&["tongchou", "policy", "--nonsense"], Lang::ZhCn);
        assert!(zh.contains("无法识别的参数 --nonsense"), "{zh}");
        assert!(zh.contains("--help"), "{zh}");
        let en = refused(&["tongchou", "policy", "--nonsense"], Lang::En);
        assert!(en.contains("unknown argument --nonsense"), "{en}");
    }

    #[test]
    fn an_unknown_subcommand_and_a_missing_argument() {
        let zh = refused(&["tongchou", "nonsense"], Lang::ZhCn);
        assert!(zh.contains("无法识别的子命令 nonsense"), "{zh}");
        let en = refused(&["tongchou", "nonsense"], Lang::En);
        assert!(en.contains("unknown subcommand nonsense"), "{en}");
        let zh = refused(&["tongchou", "ledger", "history"], Lang::ZhCn);
        assert!(zh.starts_with("缺少必需的参数：--account <科目>"), "{zh}");
        let en = refused(&["tongchou", "ledger", "history"], Lang::En);
        assert!(
            en.starts_with("missing required arguments: --account"),
            "{en}"
        );
    }

    #[test]
    fn a_refused_value_names_the_argument_and_the_value() {
        let zh = refused(&["tongchou", "policy", "--at", "2020-13-45"], Lang::ZhCn);
        assert!(zh.contains("--at") && zh.contains("2020-13-45"), "{zh}");
        assert!(zh.starts_with("参数"), "{zh}");
        let en = refused(&["tongchou", "policy", "--at", "2020-13-45"], Lang::En);
        assert!(en.starts_with("argument --at"), "{en}");
    }

    #[test]
    fn a_number_refused_says_why_in_the_readers_language() {
        let args = ["tongchou", "accounts", "final", "--year", "abc"];
        let zh = refused(&args, Lang::ZhCn);
        assert!(zh.contains("不是整数"), "{zh}");
        assert_eq!(i18n::other_language(&zh, Lang::ZhCn), None, "{zh}");
        let en = refused(&args, Lang::En);
        assert!(en.contains("not a whole number"), "{en}");
        let big = ["tongchou", "accounts", "final", "--year", "99999999999"];
        let zh = refused(&big, Lang::ZhCn);
        assert!(zh.contains("数值超出范围"), "{zh}");
    }
}
