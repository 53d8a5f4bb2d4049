//! The pages' language: 简体中文 unless the user chose English. The choice is the `tc_lang`
//! cookie (a session cookie set by `GET /lang?to=en&back=/path`, the link in every page's
//! header); without it the browser's `Accept-Language`; without a known language there, zh-CN.
//!
//! The language of a request is held for the request's task ([`layer`]) and carried onto the
//! blocking threads that render for it (`crate::with_db`), so a page reads its words with
//! [`t`] (a message without arguments) or [`tf`] (with arguments) from the one catalogue of
//! `tongchou_core::i18n`, `data/messages/*.ftl`, shared with the command line.

use crate::St;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use tongchou_core::i18n::{self, Lang};

/// The cookie holding the chosen language (`zh-CN` or `en`).
pub(crate) const LANG_COOKIE: &str = "tc_lang";

/// What a request's pages need to know of it: its language and where it is (for the switch).
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub lang: Lang,
    /// The path (and query of a GET) the language switch returns to.
    pub here: String,
}

tokio::task_local! {
    static CTX: Ctx;
}

/// The current request's context, if any (zh-CN at `/` outside a request).
pub(crate) fn ctx() -> Ctx {
    CTX.try_with(Ctx::clone).unwrap_or(Ctx {
        lang: Lang::ZhCn,
        here: "/".into(),
    })
}

/// The current request's language.
pub(crate) fn lang() -> Lang {
    CTX.try_with(|c| c.lang).unwrap_or_default()
}

/// Run `f` (on a blocking thread) in the language of `c`: the pages' words ([`t`]) and the
/// use cases' messages (`tongchou_core::i18n::current`, the thread's language).
pub(crate) fn within<T>(c: Ctx, f: impl FnOnce() -> T) -> T {
    let lang = c.lang;
    CTX.sync_scope(c, || i18n::scope(lang, f))
}

/// A request's future polled with its language as the thread's current language
/// (`tongchou_core::i18n::scope` around each poll): the use cases a handler calls on the async
/// worker (not through [`within`]) write their messages in the reader's language, and no other
/// task on the worker sees it.
struct InLang<'a, F> {
    lang: Lang,
    inner: std::pin::Pin<&'a mut F>,
}

impl<F: std::future::Future> std::future::Future for InLang<'_, F> {
    type Output = F::Output;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.get_mut();
        let lang = this.lang;
        i18n::scope(lang, || this.inner.as_mut().poll(cx))
    }
}

/// The catalogue's message `id` in the request's language (the Chinese text if English lacks
/// it; the id itself if the catalogue lacks it, which a test rules out).
pub(crate) fn t(id: &'static str) -> &'static str {
    i18n::text(lang(), id)
        .or_else(|| i18n::text(Lang::ZhCn, id))
        .unwrap_or(id)
}

/// A catalogue id named where [`t`] cannot be called (in a constant), to be given to `t` later.
pub(crate) const fn msg(id: &'static str) -> &'static str {
    id
}

/// The catalogue's message `id` with its arguments, in the request's language.
pub(crate) fn tf(id: &'static str, args: &[(&str, &str)]) -> String {
    i18n::format(lang(), id, args)
        .or_else(|| i18n::format(Lang::ZhCn, id, args))
        .unwrap_or_else(|| id.to_string())
}

/// A Chinese label of a use case (a column, a state, a level) in the request's language, when
/// the catalogue holds it (`tongchou_core::i18n::from_zh`); otherwise as it is.
pub(crate) fn zh(label: &str) -> String {
    match lang() {
        Lang::ZhCn => label.to_string(),
        l => i18n::from_zh(l, label).map_or_else(|| label.to_string(), str::to_string),
    }
}

/// [`zh`] for a label held as `&'static str` (a table's column for an export).
pub(crate) fn zh_static(label: &'static str) -> &'static str {
    match lang() {
        Lang::ZhCn => label,
        l => i18n::from_zh(l, label).unwrap_or(label),
    }
}

/// A payment item as the reader names it (`item-<item>` of the catalogue; in Chinese as payees
/// read it on their statements).
pub(crate) fn item(i: tongchou_engine::disbursement::Item) -> &'static str {
    i18n::text(lang(), &format!("item-{}", i.as_str())).unwrap_or(i.chinese())
}

/// The language a request asks for: the cookie, else `Accept-Language`, else zh-CN.
pub(crate) fn chosen(headers: &HeaderMap) -> Lang {
    if let Some(l) = crate::cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(accept_language)
        .unwrap_or_default()
}

/// The known language of an `Accept-Language` value with the highest weight (the first of
/// equal weights); none when it names neither Chinese nor English.
fn accept_language(v: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for part in v.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let weight = (q.clamp(0.0, 1.0) * 1000.0) as u16;
        if weight == 0 {
            continue;
        }
        if let Some(l) = Lang::parse(tag)
            && best.is_none_or(|(_, w)| weight > w)
        {
            best = Some((l, weight));
        }
    }
    best.map(|(l, _)| l)
}

/// A request's context: the language it asks for ([`chosen`]) and where it is.
pub(crate) fn ctx_of(req: &Request) -> Ctx {
    let lang = chosen(req.headers());
    let here = if req.method() == axum::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        req.uri().path().to_string()
    };
    Ctx { lang, here }
}

/// `fut` (a request's handling) with `c` held for its task and its language as the thread's
/// around each poll: the service's one middleware (`crate::edge`) runs every request in it.
pub(crate) async fn scoped<F: std::future::Future>(c: Ctx, fut: F) -> F::Output {
    let lang = c.lang;
    let inner = std::pin::pin!(fut);
    CTX.scope(c, InLang { lang, inner }).await
}

/// A local path to return to: one starting with a single `/`, else `/`.
fn local(back: Option<&String>) -> String {
    match back {
        // visible ASCII only: a browser drops tabs and line feeds inside a URL ("/\t/host" would
        // become "//host", another site), and a line feed is no header value (a panic)
        Some(b)
            if b.starts_with('/')
                && !b.starts_with("//")
                && !b.contains('\\')
                && b.bytes().all(|c| c.is_ascii_graphic()) =>
        {
            b.clone()
        }
        _ => "/".into(),
    }
}

/// `GET /lang?to=en|zh-CN&back=/path`: the chosen language kept for the browser's session.
pub(crate) async fn switch(
    State(st): State<St>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = q.get("to").and_then(|v| Lang::parse(v)).unwrap_or_default();
    let mut res = Redirect::to(&local(q.get("back"))).into_response();
    if let Ok(v) = crate::set_cookie(&st.cfg, LANG_COOKIE, lang.tag(), None).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The link to the other language, for the page header (`id="lang-switch"`).
pub(crate) fn switch_link() -> maud::Markup {
    let c = ctx();
    let (to, name) = match c.lang {
        Lang::ZhCn => (Lang::En, "English"),
        Lang::En => (Lang::ZhCn, "中文"),
    };
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("to", to.tag());
    q.append_pair("back", &c.here);
    maud::html! {
        a id="lang-switch" lang=(to.tag()) hreflang=(to.tag()) href={ "/lang?" (q.finish()) } { (name) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_weight() {
        assert_eq!(accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            accept_language("fr, en;q=0.5, zh-CN;q=0.8"),
            Some(Lang::ZhCn)
        );
        assert_eq!(accept_language("zh;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(accept_language("de, fr"), None);
        assert_eq!(accept_language(""), None);
    }

    #[test]
    fn only_local_paths_to_return_to() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(local(s("/reports?kind=x").as_ref()), "/reports?kind=x");
        assert_eq!(local(s("//evil.example").as_ref()), "/");
        assert_eq!(local(s("https://evil.example").as_ref()), "/");
        assert_eq!(local(s("/\\evil").as_ref()), "/");
        assert_eq!(local(s("/\t/evil.example").as_ref()), "/");
        assert_eq!(local(s("/\n/evil.example").as_ref()), "/");
        assert_eq!(local(s("/a b").as_ref()), "/");
        assert_eq!(local(None), "/");
    }

    /// The catalogue ids the pages' sources name: `t("…")`, `tf("…"` and a page's
    /// `const TITLE: &str = "…"` given to `t`.
    fn ids_in(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in src.match_indices("t(\"") {
            let before = src[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &src[i + 3..];
            out.extend(rest.split('"').next().map(str::to_string));
        }
        for (i, _) in src.match_indices("tf(\"") {
            let before = src[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            out.extend(src[i + 4..].split('"').next().map(str::to_string));
        }
        for (i, _) in src.match_indices("msg(\"") {
            let before = src[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            out.extend(src[i + 5..].split('"').next().map(str::to_string));
        }
        for line in src.lines() {
            if let Some(v) = line.trim().strip_prefix("const TITLE: &str = \"")
                && src.contains("t(TITLE)")
            {
                out.extend(v.split('"').next().map(str::to_string));
            }
        }
        out
    }

    #[test]
    fn every_id_the_pages_use_is_in_the_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut seen = 0;
        let mut missing = Vec::new();
        let entries = std::fs::read_dir(&dir).expect("src");
        for e in entries {
            let path = e.expect("entry").path();
            if path.extension().and_then(|x| x.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            // the module's own tests name other things
            let src = text.split("#[cfg(test)]").next().unwrap_or("");
            for id in ids_in(src) {
                seen += 1;
                for l in Lang::ALL {
                    if !i18n::ids(l).contains(&id.as_str()) {
                        missing.push(format!("{} {id} ({})", path.display(), l.tag()));
                    }
                }
            }
        }
        assert!(seen > 100, "{seen} ids found");
        assert!(missing.is_empty(), "not in the catalogue: {missing:#?}");
    }

    #[test]
    fn outside_a_request_chinese() {
        assert_eq!(lang(), Lang::ZhCn);
        let c = Ctx {
            lang: Lang::En,
            here: "/x".into(),
        };
        assert_eq!(within(c, lang), Lang::En);
    }
}
