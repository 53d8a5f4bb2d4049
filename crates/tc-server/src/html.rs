//! The page frame and shared pieces, as `maud` templates: every value spliced into a template is
//! escaped unless wrapped in `PreEscaped` (used only for fixed text). No inline script or style
//! (the CSP forbids them); one stylesheet at `/static/app.css`.

use crate::lang::{self, t};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, PreEscaped, html};

/// A whole page. `nav` is the logged-in user's login, if any.
pub fn page(title: &str, nav: Option<&str>, body: Markup) -> String {
    page_refreshing(title, nav, body, None)
}

/// A page module's error page under its `title`: the message (`<p class="error" id=ID>`), then
/// the way back (`href`, its label) where there is one.
pub fn error_response(
    status: StatusCode,
    login: &str,
    title: &str,
    id: &str,
    back: Option<(&str, &str)>,
    msg: &str,
) -> Response {
    let body = html! {
        p class="error" id=(id) { (msg) }
        @if let Some((href, label)) = back { p { a href=(href) { (label) } } }
    };
    (status, Html(page(title, Some(login), body))).into_response()
}

/// A page module's link on the dashboard (`<p><a href id>label</a></p>`), for a user who may
/// view the page (`shown`); nothing otherwise.
pub fn nav_link(shown: bool, href: &str, id: &str, label: &str) -> Markup {
    html! {
        @if shown { p { a href=(href) id=(id) { (label) } } }
    }
}

/// A page module as the dashboard and its error page name it: its page (`href`), the prefix of
/// its elements' ids (`ID-link`, `ID-error`), its title's and its link's catalogue ids.
pub struct Module {
    pub href: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub nav: &'static str,
}

impl Module {
    /// The dashboard's link to the module, for a user who may view it (`shown`).
    pub fn link(&self, shown: bool) -> Markup {
        nav_link(shown, self.href, &format!("{}-link", self.id), t(self.nav))
    }

    /// The module's error page: the message and the way back to its page.
    pub fn error(&self, status: StatusCode, login: &str, msg: &str) -> Response {
        let back = Some((self.href, t("record-back")));
        let id = format!("{}-error", self.id);
        error_response(status, login, t(self.title), &id, back, msg)
    }
}

/// [`page`] that the browser reloads every `refresh` seconds (no script: a `<meta>` refresh),
/// for a page following work that runs in the background.
pub fn page_refreshing(
    title: &str,
    nav: Option<&str>,
    body: Markup,
    refresh: Option<u32>,
) -> String {
    html! {
        (PreEscaped("<!doctype html>\n"))
        html lang=(lang::lang().tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(secs) = refresh { meta http-equiv="refresh" content=(secs); }
                title { (title) " · " (t("web-brand")) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header {
                    a class="brand" href="/" { (t("web-brand")) }
                    nav {
                        (lang::switch_link()) " "
                        a href="/estimate" { (t("web-estimator")) } " "
                        @match nav {
                            Some(login) => {
                                span class="who" { (login) } " "
                                a href="/dashboard" { (t("web-dashboard")) }
                            }
                            None => a href="/login" { (t("web-log-in")) },
                        }
                    }
                }
                main { h1 { (title) } "\n" (body) "\n" }
                footer { (t("web-footer")) }
            }
        }
        "\n"
    }
    .into_string()
}

/// A hidden CSRF field.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A definition list of (label, value) pairs.
pub fn dl(rows: &[(&str, String)]) -> Markup {
    html! {
        dl {
            @for (k, v) in rows {
                dt { (k) } dd { (v) }
            }
        }
    }
}

/// An amount as staff read it: `14,115,579.69 元`.
pub fn yuan(f: tongchou_core::Fen) -> String {
    format!("{} {}", f.grouped(), t("web-yuan"))
}

/// A dated parameter's cells as its reader sees them: its name in the reader's language (the
/// id in the `title`; the id as code where the catalogue lacks a name), the value, effective
/// date, status and the source note in the reader's language.
pub fn param_cells(u: &tongchou_core::policy::ParamUse) -> Markup {
    let lang = lang::lang();
    html! {
        td { @match u.name_in(lang) { Some(n) => span class="param" title=(u.name) { (n) }, None => code { (u.name) } } }
        td { (u.value_in(lang)) } td { (u.effective_from) }
        td { (u.status.name()) } td { (u.source_in(lang)) }
    }
}

/// How an amount was computed: the formula, the dated parameters read (value, effective date,
/// status, source) and each intermediate value, folded under its rule's name — the formula and
/// the steps' names and values in the reader's language from the catalogue (an amount as
/// `1,234.56 元`); a rule or step the catalogue lacks shown by its id, as code.
pub fn explanation(title: &str, e: &tongchou_core::Explanation) -> Markup {
    let lang = lang::lang();
    html! {
        details class="explain" data-rule=(e.rule) {
            summary { (title) " · " code { (e.rule) } }
            p class="formula" {
                (t("web-formula"))
                @match e.formula_in(lang) { Some(f) => (f), None => code { (e.formula) } }
            }
            @if !e.params.is_empty() {
                table {
                    tr { th { (t("web-parameter")) } th { (t("web-value")) } th { (t("web-from")) } th { (t("web-status")) } th { (t("web-source")) } }
                    @for p in &e.params { tr { (param_cells(p)) } }
                }
            }
            @if !e.steps.is_empty() {
                table class="steps" {
                    tr { th { (t("web-step")) } th { (t("web-value")) } }
                    @for s in &e.steps {
                        tr {
                            td { @match e.step_name_in(s, lang) { Some(n) => (n), None => code { (s.name) } } }
                            td { (s.value_in(lang)) }
                        }
                    }
                }
            }
        }
    }
}

pub const CSS: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}\
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1.2rem;background:#8c1c13;color:#fff}\
header a{color:#fff;text-decoration:none;margin-left:1rem}.brand{font-weight:700;margin-left:0}\
main{max-width:60rem;margin:1.5rem auto;padding:0 1.2rem}footer{text-align:center;color:#777;font-size:.8rem;padding:2rem}\
form{background:#fff;padding:1rem;border:1px solid #ddd;border-radius:6px;margin:1rem 0}\
label{display:block;margin:.5rem 0 .2rem}input,select{padding:.35rem;font-size:1rem;min-width:16rem}\
input[type=checkbox],input[type=radio]{min-width:0;width:auto}\
button{margin-top:.8rem;padding:.45rem 1.2rem;font-size:1rem;background:#8c1c13;color:#fff;border:0;border-radius:4px}\
dl{display:grid;grid-template-columns:max-content auto;gap:.3rem 1rem;background:#fff;padding:1rem;border:1px solid #ddd}\
dt{color:#555}dd{margin:0}.error{color:#a00;font-weight:600}.total{font-size:1.6rem;font-weight:700}\
.who{font-weight:600}table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.25rem .6rem}\
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tfoot td{font-weight:700}\
.scroll{overflow-x:auto;max-width:100%}.warning{color:#8a5a00}details.explain{background:#fff;border:1px solid #ddd;padding:.4rem .8rem;margin:.4rem 0}\
details.explain summary{cursor:pointer}nav.tabs a{margin-right:.8rem}textarea{width:100%;max-width:32rem;min-height:4rem}\
@media (max-width:600px){header{flex-wrap:wrap;padding:.5rem .8rem}header a{margin-left:.6rem}main{margin:1rem auto;padding:0 .6rem}\
input,select{min-width:0;width:100%;box-sizing:border-box}dl{grid-template-columns:1fr;padding:.6rem}dd{margin:0 0 .4rem;overflow-wrap:anywhere}\
td,th{padding:.2rem .35rem;font-size:.9rem}h1{font-size:1.4rem}}\
form.inline{display:inline;background:none;border:0;padding:0;margin:0 .3rem 0 0}form.inline button{margin:0;padding:.2rem .6rem;font-size:.85rem}\
figure.chart{margin:1rem 0}svg.chart{max-width:100%;height:auto;display:block}details.chart-data{margin:.3rem 0;font-size:.9rem}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let p = page(
            "<t>",
            Some("a<b\"c"),
            html! { p { ("<script>alert('x')</script> & \"q\"") } },
        );
        assert!(p.contains("&lt;t&gt;") && p.contains("a&lt;b&quot;c") && !p.contains("<t>"));
        assert!(p.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;q&quot;"));
        assert!(!p.contains("<script") && !p.contains("style=\""));
        let f = csrf_field("\"><script>").into_string();
        assert_eq!(
            f,
            "<input type=\"hidden\" name=\"csrf\" value=\"&quot;&gt;&lt;script&gt;\">"
        );
        let d = dl(&[("k<", "v\"><b>".to_string())]).into_string();
        assert_eq!(d, "<dl><dt>k&lt;</dt><dd>v&quot;&gt;&lt;b&gt;</dd></dl>");
    }
}
