//! The message catalogue: Tongchou's words and messages in Project Fluent files compiled into
//! the binary, `data/messages/zh-CN.ftl` (first) and `data/messages/en.ftl`, one id in both (a
//! test says so). The web service and the command line read the same catalogue: the roles,
//! permissions, audit-log actions and results are named from it, in Chinese unless English is
//! asked for (`Lang::En`; the command line's `TONGCHOU_LANG=en`).
//!
//! Messages without arguments are formatted once, on first use, and kept for the life of the
//! process ([`text`] returns `&'static str`); messages with arguments are formatted per call
//! ([`format`]). No Unicode isolation marks are inserted around arguments.
//!
//! The reader's language without I/O: the use cases (`tc-app`) and the import (`tc-import`)
//! write their messages with [`tr`] (or the [`tr!`](crate::tr) macro) in the *current* language:
//! a thread's own choice while inside [`scope`] (the web service scopes each request's work in
//! the request's language), else the process's ([`set_default`]: the command line's
//! `TONGCHOU_LANG`), else zh-CN.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

const ZH_CN: &str = include_str!("../../../data/messages/zh-CN.ftl");
const EN: &str = include_str!("../../../data/messages/en.ftl");

/// A language of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The language tag (`zh-CN`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A tag or locale as users and environments write it: `zh`, `zh-CN`, `zh_CN.UTF-8` →
    /// Chinese; `en`, `en-US`, `en_GB.UTF-8` → English; anything else is not known.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let primary = s.split(['-', '_', '.']).next().unwrap_or("");
        match primary {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a process from `TONGCHOU_LANG` (given), Chinese when unset or not known.
    pub fn from_setting(setting: Option<&str>) -> Lang {
        setting.and_then(Lang::parse).unwrap_or_default()
    }

    fn source(self) -> &'static str {
        match self {
            Lang::ZhCn => ZH_CN,
            Lang::En => EN,
        }
    }
}

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    /// Every message without arguments, formatted.
    plain: HashMap<&'static str, &'static str>,
    /// Each text of `plain` with the first id that reads so (the catalogue read backwards).
    by_text: HashMap<&'static str, &'static str>,
    ids: Vec<&'static str>,
}

fn load(lang: Lang) -> Catalogue {
    let res = match FluentResource::try_new(lang.source().to_string()) {
        Ok(r) => r,
        // the files are compiled in and parsed by a test: a syntax error cannot ship
        Err((r, _)) => r,
    };
    let ids: Vec<&'static str> = message_ids(lang.source());
    let langid: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle.set_use_isolating(false);
    let _ = bundle.add_resource(res);
    let mut plain = HashMap::new();
    for id in &ids {
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors);
            if errors.is_empty() {
                plain.insert(*id, &*Box::leak(text.into_owned().into_boxed_str()));
            }
        }
    }
    let mut by_text = HashMap::new();
    for id in &ids {
        if let Some(text) = plain.get(id) {
            by_text.entry(*text).or_insert(*id);
        }
    }
    Catalogue {
        bundle,
        plain,
        by_text,
        ids,
    }
}

/// The message ids of a Fluent source, in file order (lines `id = …` at the start of a line).
fn message_ids(src: &'static str) -> Vec<&'static str> {
    src.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim()))
        .collect()
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    static ZH: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::ZhCn => ZH.get_or_init(|| load(Lang::ZhCn)),
        Lang::En => EN.get_or_init(|| load(Lang::En)),
    }
}

/// The message `id` (one without arguments) in `lang`, if the catalogue has it.
pub fn text(lang: Lang, id: &str) -> Option<&'static str> {
    catalogue(lang).plain.get(id).copied()
}

/// The message `id` in `lang` with its arguments, if the catalogue has it.
pub fn format(lang: Lang, id: &str, args: &[(&str, &str)]) -> Option<String> {
    let c = catalogue(lang);
    let pattern = c.bundle.get_message(id)?.value()?;
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        fa.set(*k, *v);
    }
    let mut errors = Vec::new();
    let s = c.bundle.format_pattern(pattern, Some(&fa), &mut errors);
    errors.is_empty().then(|| s.into_owned())
}

/// A Chinese text as the catalogue writes it in `lang`: the message whose zh-CN text is `zh`,
/// in `lang`. For the labels that a use case gives in Chinese (a table's column, a state) and an
/// edge shows in the reader's language. `None` when no message reads `zh`.
pub fn from_zh(lang: Lang, zh: &str) -> Option<&'static str> {
    let id = catalogue(Lang::ZhCn).by_text.get(zh)?;
    text(lang, id)
}

/// The process's language for threads outside any [`scope`]: 0 zh-CN, 1 English.
static DEFAULT: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// This thread's language inside [`scope`].
    static CURRENT: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Set the process's language (the command line: `TONGCHOU_LANG`), for every thread that is not
/// inside a [`scope`].
pub fn set_default(lang: Lang) {
    DEFAULT.store(u8::from(lang == Lang::En), Ordering::Relaxed);
}

/// The current language: this thread's [`scope`], else the process's default, else zh-CN.
pub fn current() -> Lang {
    CURRENT
        .get()
        .unwrap_or_else(|| match DEFAULT.load(Ordering::Relaxed) {
            1 => Lang::En,
            _ => Lang::ZhCn,
        })
}

/// Run `f` with `lang` as this thread's current language (restored afterwards, also when `f`
/// panics).
pub fn scope<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }
    let _restore = Restore(CURRENT.replace(Some(lang)));
    f()
}

/// The message `id` with its arguments in the [`current`] language (the Chinese text if the
/// current language lacks it; the id itself if the catalogue lacks it, which a test of
/// `tc-arch` rules out for the ids the sources name).
pub fn tr(id: &str, args: &[(&str, &dyn Display)]) -> String {
    let owned: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let args: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format(current(), id, &args)
        .or_else(|| format(Lang::ZhCn, id, &args))
        .unwrap_or_else(|| id.to_string())
}

/// The message `id` (one without arguments) in the [`current`] language, for a label kept for
/// the life of the process (the Chinese text if the current language lacks it; the id itself if
/// the catalogue lacks it, which a test of `tc-arch` rules out as for [`tr`]).
pub fn word(id: &'static str) -> &'static str {
    text(current(), id)
        .or_else(|| text(Lang::ZhCn, id))
        .unwrap_or(id)
}

/// A message to keep (a stored value a use case computed, e.g. a budget line's source) as its id
/// and arguments rather than as text in one language: `{"msg":"id","args":{…}}`, each argument
/// as text (an argument that is itself such a message stays one). [`shown`] renders it in the
/// reader's language.
pub fn stored(id: &str, args: &[(&str, &dyn Display)]) -> String {
    let args: serde_json::Map<String, serde_json::Value> = args
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::json!({ "msg": id, "args": args }).to_string()
}

/// A stored value as the reader sees it: a message kept by [`stored`] in the [`current`]
/// language (its arguments that are such messages too); any other text (typed by a person,
/// or written before messages were kept so) as it is.
pub fn shown(text: &str) -> String {
    shown_in(current(), text)
}

/// [`shown`] in `lang`.
pub fn shown_in(lang: Lang, text: &str) -> String {
    let parsed = text
        .starts_with("{\"msg\":")
        .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
        .flatten();
    let Some(v) = parsed else {
        return text.to_string();
    };
    let (Some(id), Some(args)) = (v["msg"].as_str(), v["args"].as_object()) else {
        return text.to_string();
    };
    let owned: Vec<(&str, String)> = args
        .iter()
        .map(|(k, a)| (k.as_str(), shown_in(lang, a.as_str().unwrap_or_default())))
        .collect();
    let args: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format(lang, id, &args)
        .or_else(|| format(Lang::ZhCn, id, &args))
        .unwrap_or_else(|| text.to_string())
}

/// An I/O error in the current language: the common kinds in the catalogue's words (a file not
/// found, no permission, one already there), any other as the system says it.
pub fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => crate::tr!("io-err-not-found"),
        K::PermissionDenied => crate::tr!("io-err-permission"),
        K::AlreadyExists => crate::tr!("io-err-exists"),
        _ => e.to_string(),
    }
}

/// Where `text` reads in the other language than `lang` (for the tests of every layer that a
/// reader sees one language only): for Chinese, two English words in a row (`the code`); for
/// English, a Chinese character. Identifiers, codes and numbers are no words here
/// (`TONGCHOU_MASTER_KEY`, `audit.archive`, `sqlite::memory:`, `chmod 600`). `None` when the
/// text is all `lang`'s.
pub fn other_language(text: &str, lang: Lang) -> Option<String> {
    match lang {
        Lang::En => text
            .char_indices()
            .find(|(_, c)| matches!(*c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0x3000..=0x303F | 0xFF00..=0xFF60))
            .map(|(i, _)| text[i..].chars().take(20).collect()),
        Lang::ZhCn => {
            let word = |w: &str| {
                let w = w.trim_end_matches([',', ':', ';', '.', ')', '?', '!']);
                let w = w.trim_start_matches('(');
                w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic())
            };
            let words: Vec<&str> = text.split(' ').collect();
            words
                .windows(2)
                .find(|p| word(p[0]) && word(p[1]) && (p[0].len() >= 3 || p[1].len() >= 3))
                .map(|p| format!("{} {}", p[0], p[1]))
        }
    }
}

/// `stored!("id", name = value, …)`: [`stored`] with each argument named and formatted with
/// `Display` (its id and arguments checked against the catalogue as `tr!`'s are).
#[macro_export]
macro_rules! stored {
    ($id:expr $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::i18n::stored($id, &[$((stringify!($k), &$v as &dyn ::std::fmt::Display)),*])
    };
}

/// `tr!("id", name = value, …)`: [`tr`] with each argument named and formatted with `Display`.
#[macro_export]
macro_rules! tr {
    ($id:expr $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::i18n::tr($id, &[$((stringify!($k), &$v as &dyn ::std::fmt::Display)),*])
    };
}

/// Every message id of `lang`'s file, in file order.
pub fn ids(lang: Lang) -> &'static [&'static str] {
    &catalogue(lang).ids
}

/// The catalogue's id for an audit-log action (`approval.decide` → `action-approval-decide`).
pub fn action_id(action: &str) -> String {
    format!("action-{}", action.replace('.', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_parse_and_hold_the_same_ids() {
        for lang in Lang::ALL {
            assert!(
                FluentResource::try_new(lang.source().to_string()).is_ok(),
                "{} does not parse",
                lang.tag()
            );
        }
        let zh: Vec<&str> = ids(Lang::ZhCn).to_vec();
        let en: Vec<&str> = ids(Lang::En).to_vec();
        assert_eq!(zh, en, "the same ids in the same order");
        let unique: std::collections::HashSet<&&str> = zh.iter().collect();
        assert_eq!(unique.len(), zh.len(), "no id twice");
        for id in &zh {
            let mut named = Vec::new();
            for lang in Lang::ALL {
                let vars = variables(lang, id);
                if vars.is_empty() {
                    assert!(text(lang, id).is_some(), "{id} has no {} text", lang.tag());
                } else {
                    let args: Vec<(&str, &str)> = vars.iter().map(|v| (v.as_str(), "x")).collect();
                    assert!(format(lang, id, &args).is_some(), "{id} in {}", lang.tag());
                }
                named.push(vars);
            }
            assert_eq!(
                named[0], named[1],
                "{id}: the same arguments in both languages"
            );
        }
    }

    /// The arguments (`{ $name }`) a message of `lang`'s file names.
    fn variables(lang: Lang, id: &str) -> std::collections::BTreeSet<String> {
        let line = lang
            .source()
            .lines()
            .find(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == id))
            .unwrap_or("");
        line.split('$')
            .skip(1)
            .map(|v| {
                v.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_role_and_permission_is_named_in_both_languages() {
        use crate::access::Role;
        for r in Role::ALL {
            for lang in Lang::ALL {
                assert_ne!(r.label(lang), r.as_str(), "{r:?} in {}", lang.tag());
            }
            for p in r.permissions() {
                for lang in Lang::ALL {
                    assert_ne!(p.label(lang), p.as_str(), "{p:?} in {}", lang.tag());
                }
            }
        }
        assert_eq!(Role::CountyAgency.label_zh(), "县区社保经办机构");
        assert_eq!(Role::CountyAgency.label(Lang::En), "County handling agency");
    }

    #[test]
    fn the_current_language_is_the_scope_s_then_the_process_s() {
        assert_eq!(current(), Lang::ZhCn);
        assert_eq!(tr("result-denied", &[]), "拒绝");
        let inner = scope(Lang::En, || {
            let nested = scope(Lang::ZhCn, || crate::tr!("result-denied"));
            (crate::tr!("result-denied"), nested, current())
        });
        assert_eq!(inner, ("Denied".to_string(), "拒绝".to_string(), Lang::En));
        assert_eq!(current(), Lang::ZhCn, "restored after the scope");
        let caught = std::panic::catch_unwind(|| scope(Lang::En, || panic!("x")));
        assert!(caught.is_err());
        assert_eq!(current(), Lang::ZhCn, "restored after a panic");
        assert_eq!(tr("no-such-message", &[]), "no-such-message");
    }

    #[test]
    fn text_in_the_other_language_is_found() {
        assert_eq!(other_language("验证码不正确", Lang::ZhCn), None);
        assert_eq!(
            other_language(
                "请设置 TONGCHOU_MASTER_KEY_FILE 或 TONGCHOU_MASTER_KEY（chmod 600）",
                Lang::ZhCn
            ),
            None
        );
        assert_eq!(
            other_language(
                "没有 audit.archive 审计记录，sqlite::memory: 可用",
                Lang::ZhCn
            ),
            None
        );
        assert_eq!(
            other_language("验证码不正确 the code is wrong", Lang::ZhCn).as_deref(),
            Some("the code")
        );
        assert_eq!(other_language("the code is wrong", Lang::En), None);
        assert_eq!(
            other_language("备份 a backup", Lang::En).as_deref(),
            Some("备份 a backup")
        );
    }

    #[test]
    fn languages_as_people_write_them() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_setting(Some("de")), Lang::ZhCn);
        assert_eq!(Lang::from_setting(None), Lang::ZhCn);
        assert_eq!(text(Lang::ZhCn, "result-denied"), Some("拒绝"));
        assert_eq!(text(Lang::En, "result-denied"), Some("Denied"));
        assert_eq!(text(Lang::En, "no-such-message"), None);
        assert_eq!(action_id("fund_plan.decide"), "action-fund_plan-decide");
        assert_eq!(from_zh(Lang::En, "拒绝"), Some("Denied"));
        assert_eq!(from_zh(Lang::ZhCn, "拒绝"), Some("拒绝"));
        assert_eq!(from_zh(Lang::En, "没有这句话"), None);
    }

    #[test]
    fn a_stored_message_is_shown_in_the_readers_language() {
        let inner = crate::stored!("app-budget-entered", login = "officer");
        let outer = crate::stored!(
            "core-budget-grown",
            base = "100.00",
            rate = "5%",
            why = inner
        );
        assert_eq!(
            shown_in(Lang::ZhCn, &outer),
            "100.00 × (1 + 5%: 录入 (officer))"
        );
        assert_eq!(
            shown_in(Lang::En, &outer),
            "100.00 × (1 + 5%: entered by officer)"
        );
        assert_eq!(scope(Lang::En, || shown(&inner)), "entered by officer");
        // text typed by a person, or kept before, stays as it is
        for typed in [
            "按市意见调高",
            "{\"msg\": not json",
            "{\"msg\":\"no-such\",\"args\":{}}",
        ] {
            assert_eq!(shown_in(Lang::En, typed), typed);
        }
    }
}
