//! Pieces shared by the oversight pages (`audit_pages`, `ledger_pages`, `admin`): the logged-in
//! staff member or a redirect to the login, an error page in Chinese first, a file download,
//! query fields, and the dashboard's links to these pages.

use crate::html::page;
use crate::lang::{t, tf};
use crate::{St, current, with_db};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::export::{Download, Format};
use tongchou_core::access::Permission;
use tongchou_core::access::Principal;
use tongchou_store::Db;
use tongchou_store::access::User;
use tongchou_store::audit::Cursor;

pub(crate) type Fields = HashMap<String, String>;

/// The logged-in user and their session token; otherwise the answer to send (the login page).
pub(crate) async fn staff(
    st: &St,
    headers: &HeaderMap,
    title: &str,
) -> Result<(User, String), Response> {
    match current(st, headers).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(title, e.status(), "", &e.message())),
    }
}

/// A page with one error message (`id="error"`) and the status.
pub(crate) fn error_page(title: &str, status: StatusCode, login: &str, msg: &str) -> Response {
    let nav = (!login.is_empty()).then_some(login);
    let text = match status {
        StatusCode::FORBIDDEN if !msg.contains("无权") && !msg.contains("Access denied") => {
            tf("web-access-denied", &[("reason", msg)])
        }
        _ => msg.to_string(),
    };
    (
        status,
        Html(page(
            title,
            nav,
            html! { p class="error" id="error" { (text) } p { a href="/dashboard" { (t("web-back-to-the-dashboard")) } } },
        )),
    )
        .into_response()
}

/// A use case's download as an attachment.
pub(crate) fn download(d: Download) -> Response {
    (
        [
            (header::CONTENT_TYPE, d.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", d.file_name),
            ),
        ],
        d.bytes,
    )
        .into_response()
}

/// Answer a download asked by `q` (its `format`, `csv` by default, and what `what` reads from
/// it): a bad query is a 400 page, a refusal the use case's answer, else the file.
pub(crate) async fn export<T: Send + 'static>(
    st: &St,
    headers: &HeaderMap,
    q: &Fields,
    title: &str,
    what: impl FnOnce(&Fields, &User) -> Result<T, String>,
    run: impl FnOnce(&mut Db, &Principal, T, Format) -> Result<Download, tongchou_app::AppError>
    + Send
    + 'static,
) -> Response {
    let (user, _) = match staff(st, headers, title).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let parsed = what(q, &user).and_then(|w| {
        Format::parse(q.get("format").map(String::as_str).unwrap_or("csv"))
            .map(|f| (w, f))
            .map_err(|e| e.to_string())
    });
    let (w, fmt) = match parsed {
        Ok(x) => x,
        Err(m) => return error_page(title, StatusCode::BAD_REQUEST, &user.login, &m),
    };
    let who = user.principal();
    match with_db(st, move |db| Ok(run(db, &who, w, fmt)?)).await {
        Ok(d) => download(d),
        Err(e) => error_page(title, e.status(), &user.login, &e.message()),
    }
}

/// A query field, trimmed; `None` when absent or blank.
pub(crate) fn opt(q: &Fields, k: &str) -> Option<String> {
    q.get(k)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The page cursor of a query: `before=SEQ` (older), `after=SEQ` (newer) or the newest.
pub(crate) fn cursor(q: &Fields) -> Result<Cursor, String> {
    let num = |k: &str| -> Result<Option<i64>, String> {
        opt(q, k)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| tf("web-page-number", &[("field", k)]))
            })
            .transpose()
    };
    Ok(match (num("before")?, num("after")?) {
        (Some(b), _) => Cursor::Before(b),
        (None, Some(a)) => Cursor::After(a),
        (None, None) => Cursor::Newest,
    })
}

/// `k=v&…` of the given pairs (values URL-encoded), blank values left out.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// Links to the newer and older pages (`id` prefix `p`: `p-newer`, `p-older`).
pub(crate) fn pager(
    path: &str,
    keep: &str,
    p: &str,
    newer: Option<i64>,
    older: Option<i64>,
) -> Markup {
    let sep = if keep.is_empty() { "" } else { "&" };
    html! {
        p class="pager" {
            @if let Some(n) = newer {
                a id={ (p) "-newer" } href={ (path) "?" (keep) (sep) "after=" (n) } { (t("web-newer")) } " "
            }
            @if let Some(o) = older {
                a id={ (p) "-older" } href={ (path) "?" (keep) (sep) "before=" (o) } { (t("web-older")) }
            }
        }
    }
}

/// The role's permissions in the page's language, `查询参保人、查看报表`.
pub(crate) fn permissions_zh(role: tongchou_core::access::Role) -> String {
    let lang = crate::lang::lang();
    let names: Vec<&str> = role.permissions().iter().map(|p| p.label(lang)).collect();
    names.join(t("web-list-sep"))
}

/// The dashboard's links to the audit log, the ledger and the accounts, by role.
pub(crate) fn links(user: &User) -> Markup {
    html! {
        @if user.role.has(Permission::AuditRead) {
            p { a href="/audit" id="audit-link" { (t("web-audit-log")) } }
        }
        @if user.role.has(Permission::LedgerRead) {
            p { a href="/ledger" id="ledger-link" { (t("web-fund-ledger")) } }
        }
        @if tongchou_app::users::may_administer(user.role) {
            p { a href="/admin/users" id="admin-link" { (t("web-user-accounts")) } }
        }
    }
}
