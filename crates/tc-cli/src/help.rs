//! `tongchou --help` in the reader's language. clap writes its help from the doc comments of the
//! derive (English) and its own words ("Usage", "Options", "Print help", "[default: …]"); here the
//! built command tree is walked and every text is put into the catalogue's words:
//!
//! - a command's description: `cli-help-PATH`, PATH the command's names from the root joined by
//!   `-` (`cli-help-tongchou`, `cli-help-import-load`); clap's own `help` subcommand:
//!   `cli-help-help`;
//! - an argument's help: `cli-help-PATH--ARG` (ARG its long name, else its id), else the shared
//!   `cli-help-any--ARG` of an argument that means the same wherever it appears (`--db`,
//!   `--user`, `--help`);
//! - a possible value's help: `cli-help-PATH--ARG-is-VALUE`;
//! - a value's placeholder (`<FILE>`, in the help and the usage lines): `cli-help-value-NAME`
//!   (NAME clap's name in lower case, `<文件>`), or `cli-help-value-PATH--ARG` where the name
//!   means something else; a refusal naming an argument uses the shared ones ([`placeholders`]);
//! - the headings and the default, environment and possible values: `cli-help-usage`,
//!   `cli-help-options`, `cli-help-arguments`, `cli-help-commands`, `cli-help-default`, ….
//!
//! The tree is only localized to print help (the parse itself runs on the plain tree, so a
//! command line costs nothing more); a test walks the whole tree in both languages and fails on
//! any command, argument or value without its entry.

use clap::builder::StyledStr;
use clap::{Arg, Command, CommandFactory};
use tongchou_core::i18n::{self, Lang};

/// The command tree with every text in `lang`, and the ids the catalogue lacks (none: a test).
pub fn localized(lang: Lang) -> (Command, Vec<String>) {
    let mut cmd = crate::Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let cmd = i18n::scope(lang, || walk(cmd, "tongchou", lang, &mut missing));
    (cmd, missing)
}

/// The message `id` in `lang`, noting it when the catalogue lacks it.
fn text(lang: Lang, ids: &[&str], missing: &mut Vec<String>) -> String {
    lookup(lang, ids, missing).unwrap_or_default().to_string()
}

/// The first of `ids` the catalogue has in `lang`, noting them all when it has none.
fn lookup(lang: Lang, ids: &[&str], missing: &mut Vec<String>) -> Option<&'static str> {
    let found = ids.iter().find_map(|id| i18n::text(lang, id));
    if found.is_none() {
        missing.push(format!("{}: {}", lang.tag(), ids.join(" | ")));
    }
    found
}

/// The id of a value's placeholder: `cli-help-value-` and clap's name in lower case, `_` and
/// `=` as `-` (`ITEM=YUAN` → `cli-help-value-item-yuan`).
fn value_id(name: &str) -> String {
    format!(
        "cli-help-value-{}",
        name.to_lowercase().replace(['_', '='], "-")
    )
}

/// The placeholders of an argument's values (`<FILE>`, shown in its help and the usage lines)
/// in `lang`: `cli-help-value-PATH--ARG` for a name that means something else there, else the
/// shared `cli-help-value-NAME`.
fn value_names(a: Arg, path: &str, arg: &str, lang: Lang, missing: &mut Vec<String>) -> Arg {
    if !a.get_action().takes_values() {
        return a;
    }
    let Some(names) = a.get_value_names() else {
        return a;
    };
    let own = format!("cli-help-value-{path}--{arg}");
    let words: Vec<&'static str> = names
        .iter()
        .map(|n| lookup(lang, &[&own, &value_id(n.as_str())], missing).unwrap_or("?"))
        .collect();
    a.value_names(words)
}

/// `<NAME>` placeholders in a text clap wrote (an argument named in a refusal, `--account
/// <ACCOUNT>`) in the current language's words, where the catalogue has them.
pub fn placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        let word = tail.find('>').and_then(|close| {
            let name = &tail[..close];
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '=');
            plain
                .then(|| i18n::text(i18n::current(), &value_id(name)))
                .flatten()
                .map(|w| (w, close))
        });
        match word {
            Some((w, close)) => {
                out.push('<');
                out.push_str(w);
                out.push('>');
                rest = &tail[close + 1..];
            }
            None => {
                out.push('<');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One command and, below it, its subcommands, in `lang`.
fn walk(cmd: Command, path: &str, lang: Lang, missing: &mut Vec<String>) -> Command {
    let generated_help = cmd.get_name() == "help" && path != "tongchou";
    let about = if generated_help {
        text(lang, &["cli-help-help"], missing)
    } else {
        text(lang, &[&format!("cli-help-{path}")], missing)
    };
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{}: {{usage}}\n\n{{all-args}}{{after-help}}",
        tongchou_core::tr!("cli-help-usage")
    );
    let mut cmd = cmd
        .about(about)
        .long_about(None)
        .help_template(template)
        .subcommand_help_heading(i18n::word("cli-help-commands"))
        .subcommand_value_name(i18n::word("cli-help-command-value"));
    let arg_path = if generated_help { "help" } else { path };
    cmd = cmd.mut_args(|a| arg(a, arg_path, lang, missing));
    if !generated_help {
        let subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for name in subs {
            let sub_path = format!("{path}-{name}");
            cmd = cmd.mut_subcommand(&name, |s| walk(s, &sub_path, lang, missing));
        }
    }
    let usage = usage(&mut cmd);
    cmd.override_usage(usage)
}

/// The command's usage line without clap's title, `[OPTIONS]` in the catalogue's words.
fn usage(cmd: &mut Command) -> String {
    let rendered = cmd.render_usage().to_string();
    let line = rendered
        .split_once(": ")
        .map_or(rendered.as_str(), |(_, u)| u);
    line.replace("[OPTIONS]", &tongchou_core::tr!("cli-help-options-tag"))
}

/// One argument's help in `lang`, with its default, environment variable and possible values in
/// the catalogue's words, under the heading of its kind.
fn arg(a: Arg, path: &str, lang: Lang, missing: &mut Vec<String>) -> Arg {
    let name = a
        .get_long()
        .map_or_else(|| a.get_id().to_string(), ToString::to_string);
    let a = value_names(a, path, &name, lang, missing);
    let mut help = text(
        lang,
        &[
            &format!("cli-help-{path}--{name}"),
            &format!("cli-help-any--{name}"),
        ],
        missing,
    );
    let mut suffix = Vec::new();
    let values: Vec<_> = a
        .get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .collect();
    if !values.is_empty() && !a.is_hide_possible_values_set() {
        let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
        let sep = tongchou_core::tr!("cli-arg-list-sep");
        suffix.push(tongchou_core::tr!(
            "cli-help-possible",
            values = names.join(&sep)
        ));
    }
    let defaults: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && !a.is_hide_default_value_set() && a.get_action().takes_values() {
        suffix.push(tongchou_core::tr!(
            "cli-help-default",
            value = defaults.join(" ")
        ));
    }
    if let Some(env) = a.get_env().filter(|_| !a.is_hide_env_set()) {
        suffix.push(tongchou_core::tr!(
            "cli-help-env",
            name = env.to_string_lossy()
        ));
    }
    if !suffix.is_empty() {
        help = format!("{help} {}", suffix.join(" "));
    }
    for v in values.iter().filter(|v| v.get_help().is_some()) {
        let id = format!("cli-help-{path}--{name}-is-{}", v.get_name());
        help = format!(
            "{help}\n  {}: {}",
            v.get_name(),
            text(lang, &[&id], missing)
        );
    }
    let heading = if a.is_positional() {
        i18n::word("cli-help-arguments")
    } else {
        i18n::word("cli-help-options")
    };
    a.help(StyledStr::from(help))
        .long_help(None::<&str>)
        .hide_possible_values(true)
        .hide_default_value(true)
        .hide_env(true)
        .help_heading(heading)
}

/// The help clap was asked for (`--help`, `-h`, `help …`, a command without its subcommand),
/// printed in the reader's language: the command line parsed again on the localized tree.
pub fn exit_with_help(lang: Lang) -> ! {
    let (cmd, _) = localized(lang);
    match cmd.try_get_matches_from(std::env::args_os()) {
        Err(e) => e.exit(),
        // the plain tree asked for help, so the localized one does too
        Ok(_) => std::process::exit(2),
    }
}

#[cfg(test)]
mod tests {
    use super::localized;
    use clap::{Command, CommandFactory};
    use tongchou_core::i18n::Lang;

    /// Every command, argument, described value and value placeholder of the whole tree has its
    /// entry in both languages.
    #[test]
    fn every_command_and_argument_has_its_help_in_both_languages() {
        for lang in Lang::ALL {
            let (_, missing) = localized(lang);
            assert!(missing.is_empty(), "{missing:#?}");
        }
    }

    /// `PATH --ARG <PLACEHOLDER>` for every argument of the tree that takes a value.
    fn placeholders(cmd: &Command, path: &str, out: &mut Vec<(String, String)>) {
        for a in cmd
            .get_arguments()
            .filter(|a| a.get_action().takes_values())
        {
            for n in a.get_value_names().unwrap_or_default() {
                out.push((format!("{path} --{}", a.get_id()), n.to_string()));
            }
        }
        for s in cmd.get_subcommands() {
            placeholders(s, &format!("{path} {}", s.get_name()), out);
        }
    }

    /// Every placeholder is in Chinese words in Chinese, and English's are clap's own.
    #[test]
    fn every_placeholder_in_the_readers_language() {
        let mut plain = crate::Cli::command();
        plain.build();
        let (mut english, mut chinese) = (Vec::new(), Vec::new());
        placeholders(&plain, "tongchou", &mut english);
        placeholders(&localized(Lang::ZhCn).0, "tongchou", &mut chinese);
        assert!(english.len() > 100, "{english:?}");
        assert_eq!(english.len(), chinese.len());
        let ascii: Vec<_> = chinese.iter().filter(|(_, n)| n.is_ascii()).collect();
        assert!(ascii.is_empty(), "{ascii:#?}");
        let mut en = Vec::new();
        placeholders(&localized(Lang::En).0, "tongchou", &mut en);
        assert_eq!(en, english);
    }

    #[test]
    fn a_refusals_placeholders_in_the_readers_language() {
        use tongchou_core::i18n::scope;
        let text = "--account <ACCOUNT>, --period <PERIOD>..., <UNKNOWN> a < b";
        assert_eq!(
            scope(Lang::ZhCn, || super::placeholders(text)),
            "--account <科目>, --period <期间>..., <UNKNOWN> a < b"
        );
        assert_eq!(scope(Lang::En, || super::placeholders(text)), text);
    }

    fn help(lang: Lang, args: &[&str]) -> String {
        let (cmd, _) = localized(lang);
        let e = cmd.try_get_matches_from(args).expect_err("help");
        e.render().to_string()
    }

    /// Per section of a rendered help (`选项:`, `命令:`…), where the help of each line that
    /// names an argument or command starts, in display columns: the name (`--period <期间>`),
    /// two spaces or more, then its help.
    fn help_columns(text: &str) -> Vec<Vec<(String, usize)>> {
        let mut sections: Vec<Vec<(String, usize)>> = Vec::new();
        for line in text.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                sections.push(Vec::new());
                continue;
            }
            let named = line.trim_start();
            if !line.starts_with("  ") || named.is_empty() {
                continue;
            }
            let Some(gap) = named.find("  ") else {
                continue; // no help, or its help on the next line
            };
            let rest = &named[gap..];
            let start = (line.len() - named.len()) + gap + (rest.len() - rest.trim_start().len());
            let column = tongchou_app::reports::sheet::width(&line[..start]);
            if let Some(s) = sections.last_mut() {
                s.push((line.to_string(), column));
            }
        }
        sections
    }

    /// Chinese placeholders (`<期间>`, `<数据库>`) take two columns a character: the help's
    /// columns line up on a terminal (clap measures by display width).
    #[test]
    fn the_help_lines_up_by_display_width_in_chinese() {
        for args in [
            &["tongchou", "ledger", "month-end", "--help"][..],
            &["tongchou", "transfer", "out", "--help"],
            &["tongchou", "import", "--help"],
        ] {
            for lang in Lang::ALL {
                let text = help(lang, args);
                let sections = help_columns(&text);
                assert!(sections.iter().any(|s| s.len() > 2), "{text}");
                for s in &sections {
                    let first = s.first().map(|(_, c)| *c);
                    let off: Vec<_> = s.iter().filter(|(_, c)| Some(*c) != first).collect();
                    assert!(off.is_empty(), "{} {args:?}:\n{text}\n{off:#?}", lang.tag());
                }
            }
        }
        let zh = help(Lang::ZhCn, &["tongchou", "ledger", "month-end", "--help"]);
        assert!(zh.contains("<期间>"), "{zh}");
    }

    #[test]
    fn the_help_speaks_the_readers_language() {
        let zh = help(Lang::ZhCn, &["tongchou", "--help"]);
        assert!(zh.contains("用法: tongchou [选项] <命令>"), "{zh}");
        assert!(zh.contains("命令:") && zh.contains("选项:"), "{zh}");
        assert!(!zh.contains("Usage") && !zh.contains("Print help"), "{zh}");
        let en = help(Lang::En, &["tongchou", "--help"]);
        assert!(en.contains("Usage: tongchou [OPTIONS] <COMMAND>"), "{en}");
        assert!(en.contains("Commands:") && en.contains("Options:"), "{en}");
        let zh = help(Lang::ZhCn, &["tongchou", "ledger", "history", "--help"]);
        assert!(zh.contains("用法: tongchou ledger history"), "{zh}");
        assert!(zh.contains("[环境变量：TONGCHOU_DB]"), "{zh}");
        let zh = help(Lang::ZhCn, &["tongchou", "help", "import"]);
        assert!(zh.contains("用法: tongchou import [选项] <命令>"), "{zh}");
        let zh = help(Lang::ZhCn, &["tongchou", "ledger", "month-end", "--help"]);
        assert!(zh.contains("--period <期间>"), "{zh}");
        assert!(zh.contains("--db <数据库>"), "{zh}");
        let en = help(Lang::En, &["tongchou", "ledger", "month-end", "--help"]);
        assert!(en.contains("--period <PERIOD>"), "{en}");
    }
}
