//! One record entered in a form (逐条录入): enrolling an insured person (参保登记), registering
//! an employer, declaring a changed contribution base (缴费基数申报), typed field by field
//! instead of uploaded as a file. The form's fields are the import kind's own columns
//! (`tongchou_import::columns`, the canonical Chinese header, the key and its help), and what is
//! typed becomes a one-row file of that kind imported by `crate::imports::import` — the same
//! parser, the same checks against the register and the clerk's region, all or nothing,
//! audited, once per file. A refused record comes back with its problems by column and the form
//! as it was typed. The one-row file is named by the clerk and the moment, never by a person's
//! ID number.

use crate::forms::{self, Fields};
use crate::html::{csrf_field, error_response, page};
use crate::imports::{Outcome, import, kinds_for, outcome};
use crate::lang::t;
use crate::{St, csrf_token, with_db};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::clock::now_ms;
use tongchou_app::imports::Kind;
use tongchou_core::i18n::Lang;
use tongchou_store::access::User;

/// The catalogue id of the page title.
const TITLE: &str = "record-enter-one-record";

/// The page's routes.
pub fn routes() -> Router<St> {
    Router::new().route("/imports/record", get(show).post(enter))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t(TITLE),
        "record-error",
        Some(("/imports/record", t("record-back"))),
        msg,
    )
}

/// The kind asked for among those the user may import (the first by default).
fn kind_of(user: &User, asked: Option<&String>) -> Option<Kind> {
    let mine = kinds_for(user);
    match asked.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(k) => mine.into_iter().find(|m| m.as_str() == k),
        None => mine.first().copied(),
    }
}

/// A CSV field: quoted when it holds a separator, a quote or a line break.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The one-row file of `kind` from the typed fields (the kind's canonical headers).
fn one_row_file(kind: Kind, f: &Fields) -> Vec<u8> {
    let cols = kind.columns();
    let header: Vec<String> = cols.iter().map(|c| csv_field(c.header)).collect();
    let row: Vec<String> = cols
        .iter()
        .map(|c| csv_field(&forms::text(f, c.key)))
        .collect();
    format!("{}\n{}\n", header.join(","), row.join(",")).into_bytes()
}

fn form(user: &User, token: &str, kind: Kind, typed: &Fields) -> Markup {
    let lang = crate::lang::lang();
    html! {
        form method="get" action="/imports/record" id="record-kind-form" {
            label for="kind" { (t("record-what-to-enter")) }
            select id="kind" name="kind" {
                @for k in kinds_for(user) {
                    option value=(k.as_str()) selected[k == kind] { (crate::imports::kind_name(k)) }
                }
            }
            button type="submit" { (t("record-choose")) }
        }
        form method="post" action="/imports/record" id="record-form" {
            (csrf_field(&csrf_token(token)))
            input type="hidden" name="kind" value=(kind.as_str());
            @for c in kind.columns() {
                label for=(c.key) {
                    @if lang == Lang::ZhCn { (c.header) " " }
                    (c.key)
                    @if c.required { " *" }
                }
                input id=(c.key) name=(c.key) value=(forms::text(typed, c.key))
                    placeholder=(c.help_in(lang)) title=(c.help_in(lang)) autocomplete="off";
            }
            p class="hint" {
                (t("record-hint"))
            }
            button type="submit" id="record-submit" { (t("record-submit")) }
        }
    }
}

fn render(
    (user, token): (&User, &str),
    kind: Kind,
    typed: &Fields,
    status: StatusCode,
    last: Option<&Outcome>,
) -> Response {
    let body = html! {
        @if let Some(o) = last { (outcome(o)) }
        (form(user, token, kind, typed))
        p { a href="/imports" { (t("record-import-a-file-import-history")) } }
    };
    let title = format!("{} · {}", t(TITLE), kind.name(crate::lang::lang()));
    (status, Html(page(&title, Some(&user.login), body))).into_response()
}

/// `GET /imports/record[?kind=persons]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) =
        match crate::signed_in_for(&st, &headers, crate::imports::may_view, error_page).await {
            Ok(u) => u,
            Err(r) => return r,
        };
    match kind_of(&user, q.get("kind")) {
        Some(kind) => render((&user, &token), kind, &Fields::new(), StatusCode::OK, None),
        None => error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("record-choose-what-you-may-enter"),
        ),
    }
}

/// `POST /imports/record`: the record imported as a one-row file.
async fn enter(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) =
        match crate::signed_in_for(&st, &headers, crate::imports::may_view, error_page).await {
            Ok(u) => u,
            Err(r) => return r,
        };
    if !forms::csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let Some(kind) = kind_of(&user, f.get("kind")) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("record-choose-what-you-may-enter"),
        );
    };
    let bytes = one_row_file(kind, &f);
    let name = format!("逐条录入-{}-{}-{}.csv", kind.as_str(), user.login, now_ms());
    let who = user.principal();
    let r = with_db(&st, move |db| import(db, &who, kind, &name, &bytes)).await;
    match r {
        Ok(o @ (Outcome::Imported(_) | Outcome::Already(_))) => {
            // entered: the form empty again for the next record
            render(
                (&user, &token),
                kind,
                &Fields::new(),
                StatusCode::OK,
                Some(&o),
            )
        }
        Ok(o) => {
            let status = match &o {
                Outcome::Refused(s, _) => *s,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render((&user, &token), kind, &f, status, Some(&o))
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_row_file_quotes_what_needs_quoting() {
        let f: Fields = [
            ("name".to_string(), "王,\"小\"明".to_string()),
            ("id_number".into(), " 140105196304041234 ".into()),
        ]
        .into_iter()
        .collect();
        let text = String::from_utf8(one_row_file(Kind::Persons, &f)).expect("utf-8");
        let mut lines = text.lines();
        assert!(lines.next().expect("header").starts_with("身份证号,姓名,"));
        let row = lines.next().expect("row");
        assert!(
            row.starts_with("140105196304041234,\"王,\"\"小\"\"明\","),
            "{row}"
        );
        assert_eq!(lines.next(), None);
    }
}
