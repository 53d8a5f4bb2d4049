//! The audit log in the browser (`/audit`), through `tongchou_app::audit_log`: for a role with
//! `audit_read` (the auditor, the audit administrator), entries newest first with filters (date
//! range, actor, action, object text, outcome), 50 a page with newer/older links keeping the
//! filters, the chain's verification, each entry's details and hash, and the filtered view as
//! CSV or XLSX (`/audit/export`). Reads, exports and refusals are audited in the use case.

use crate::html::page;
use crate::lang::{t, tf};
use crate::workplace::{self, Fields, cursor, error_page, opt, pager, query_string, staff};
use crate::{St, with_db};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::audit_log::{self, Filter, Page};
use tongchou_app::clock::now_ms;
use tongchou_core::Date;
use tongchou_core::actions;

const TITLE: &str = crate::lang::msg("web-audit-log");

pub fn routes() -> Router<St> {
    Router::new()
        .route("/audit", get(show))
        .route("/audit/export", get(export))
}

fn filter(q: &Fields) -> Result<Filter, String> {
    let date = |k: &str, label: &str| -> Result<Option<Date>, String> {
        opt(q, k)
            .map(|v| {
                v.parse::<Date>().map_err(|_| {
                    tf(
                        "audit-bad-date",
                        &[("label", label), ("field", k), ("value", &v)],
                    )
                })
            })
            .transpose()
    };
    let result = opt(q, "result");
    if let Some(r) = &result
        && !matches!(r.as_str(), "ok" | "denied" | "failed" | "error")
    {
        return Err(tf("audit-bad-result", &[("value", r)]));
    }
    Ok(Filter {
        from: date("from", t("audit-from"))?,
        to: date("to", t("audit-to"))?,
        login: opt(q, "login"),
        action: opt(q, "action"),
        object: opt(q, "object"),
        result,
    })
}

/// The filter as a query string (for the pager and the export links).
fn keep(f: &Filter) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<Date>| v.map(|d| d.to_string()).unwrap_or_default();
    query_string(&[
        ("from", d(&f.from)),
        ("to", d(&f.to)),
        ("login", s(&f.login)),
        ("action", s(&f.action)),
        ("object", s(&f.object)),
        ("result", s(&f.result)),
    ])
}

pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match staff(&st, &headers, t(TITLE)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (f, c) = match (filter(&q), cursor(&q)) {
        (Ok(f), Ok(c)) => (f, c),
        (Err(m), _) | (_, Err(m)) => {
            return error_page(t(TITLE), StatusCode::BAD_REQUEST, &user.login, &m);
        }
    };
    let who = user.principal();
    let f2 = f.clone();
    match with_db(&st, move |db| {
        Ok(audit_log::read(db, &who, &f2, c, now_ms())?)
    })
    .await
    {
        Ok(p) => Html(page(t(TITLE), Some(&user.login), body(&f, &p))).into_response(),
        Err(e) => error_page(t(TITLE), e.status(), &user.login, &e.message()),
    }
}

fn form(f: &Filter) -> Markup {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<Date>| v.map(|d| d.to_string()).unwrap_or_default();
    let result = s(&f.result);
    html! {
        form method="get" action="/audit" id="audit-form" {
            label for="from" { (t("audit-from")) } input id="from" name="from" type="date" value=(d(&f.from));
            label for="to" { (t("audit-to")) } input id="to" name="to" type="date" value=(d(&f.to));
            label for="login" { (t("audit-actor-login")) } input id="login" name="login" value=(s(&f.login));
            label for="action" { (t("chain-action")) }
            input id="action" name="action" list="actions" value=(s(&f.action)) placeholder="approval.decide";
            datalist id="actions" { @for id in actions::known() { option value=(id) { (actions::display_in(crate::lang::lang(), id)) } } }
            label for="object" { (t("audit-object-label")) } input id="object" name="object" value=(s(&f.object));
            label for="result" { (t("audit-outcome")) }
            select id="result" name="result" {
                option value="" selected[result.is_empty()] { (t("audit-all")) }
                option value="ok" selected[result == "ok"] { (t("audit-allowed")) }
                option value="denied" selected[result == "denied"] { (t("audit-denied")) }
                option value="failed" selected[result == "failed"] { (t("audit-failed")) }
            }
            br;
            button type="submit" id="audit-submit" { (t("audit-search")) }
        }
    }
}

fn chain(p: &Page) -> Markup {
    html! {
        @if let Some(v) = &p.verification {
            @match &v.broken {
                None => p id="audit-chain" class="ok" {
                    (tf("audit-chain-ok", &[("n", &v.entries.to_string()), ("seq", &v.head_seq.to_string())])) " " code { (v.head_hash) }
                },
                Some(b) => p id="audit-chain" class="error" {
                    (tf("audit-chain-broken", &[("seq", &b.seq.to_string()), ("reason", &b.reason)]))
                },
            }
        }
    }
}

fn body(f: &Filter, p: &Page) -> Markup {
    let kept = keep(f);
    let sep = if kept.is_empty() { "" } else { "&" };
    html! {
        (form(f))
        (chain(p))
        p {
            a id="audit-csv" href={ "/audit/export?" (kept) (sep) "format=csv" } { (t("grid-csv")) } " "
            a id="audit-xlsx" href={ "/audit/export?" (kept) (sep) "format=xlsx" } { (t("grid-xlsx")) }
        }
        @if p.entries.is_empty() { p id="audit-empty" { (t("audit-no-entries")) } }
        table id="audit-log" {
            thead { tr { th { (t("audit-seq")) } th { (t("chain-at")) } th { (t("chain-by")) } th { (t("chain-action")) } th { (t("audit-object")) } th { (t("plans-region")) } th { (t("audit-outcome")) } th { (t("audit-details")) } } }
            tbody { @for e in &p.entries { tr class={ "result-" (e.result) } {
                td class="num" { (e.seq) }
                td { (audit_log::china_time(&e.at)) }
                td { (e.login) }
                td { (actions::display_in(crate::lang::lang(), &e.action)) br; small { (e.action) } }
                td { (e.object_type) " " (e.object_id) }
                td { (e.region.map(|r| format!("{r:06}")).unwrap_or_default()) }
                td { (actions::result_label(crate::lang::lang(), &e.result)) }
                td { details { summary { (t("month-show")) } pre { (e.details) } small { (t("audit-hash")) " " code { (e.hash) } } } }
            } } }
        }
        (pager("/audit", &kept, "audit", p.newer, p.older))
    }
}

pub async fn export(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    workplace::export(
        &st,
        &headers,
        &q,
        t(TITLE),
        |q, _| filter(q),
        |db, who, f, fmt| audit_log::export(db, who, &f, fmt, now_ms()),
    )
    .await
}
