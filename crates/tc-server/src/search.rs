//! Finding a person in the register by name (issue 13: a county agency's registry search by name
//! or ID number). `GET /persons/search` is the form; `POST /persons/search` lists the persons of
//! that exact name insured within the user's own region (at most
//! [`crate::person::SEARCH_LIMIT`], ID numbers and birth dates masked as the role requires), and
//! each row's button opens the person's record (`POST /persons/view`, by register id, so no full
//! ID number sits in the page). Names travel in form bodies, never in URLs or logs. Every search
//! and every read is audited; a role that sees names masked may not search by name.

use crate::forms::{Fields, csrf_ok, text};
use crate::html::{csrf_field, error_response, page};
use crate::lang::{t, tf};
use crate::{St, client, csrf_token, signed_in_for, with_db, with_db_audited};
use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::net::SocketAddr;
use tongchou_app::clock::now_ms;
use tongchou_core::Divisions;
use tongchou_core::access::{Permission, Pii};
use tongchou_store::access::User;

pub fn routes() -> Router<St> {
    Router::new()
        .route("/persons/search", get(form).post(search))
        .route("/persons/view", post(view))
}

/// Whether the user may search the register by name.
pub(crate) fn may_search(u: &User) -> bool {
    u.role.has(Permission::PersonRead) && u.role.sees_full(Pii::Name)
}

/// The workplace link.
pub(crate) fn links(u: &User) -> Markup {
    html! {
        @if may_search(u) {
            p { a href="/persons/search" id="search-link" { (crate::lang::t("nav-search")) } }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t("search-find-a-person"),
        "search-error",
        Some(("/persons/search", t("search-search-again"))),
        msg,
    )
}

fn search_form(csrf: &str, name: &str) -> Markup {
    html! {
        form method="post" action="/persons/search" id="search-form" {
            (csrf_field(csrf))
            label for="name" { (t("search-name-full")) }
            input id="name" name="name" maxlength="30" autocomplete="off" required value=(name);
            button type="submit" { (t("search-search")) }
        }
        p class="hint" { (t("search-hint")) }
    }
}

async fn form(State(st): State<St>, headers: HeaderMap) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_search, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = search_form(&csrf_token(&token), "");
    Html(page(t("search-find-a-person"), Some(&user.login), body)).into_response()
}

/// The signed-in user allowed to search, and the session's token, for a form posted with it.
async fn posted(st: &St, headers: &HeaderMap, f: &Fields) -> Result<(User, String), Response> {
    let (user, token) = signed_in_for(st, headers, may_search, error_page).await?;
    if !csrf_ok(&token, f) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        ));
    }
    Ok((user, token))
}

async fn search(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match posted(&st, &headers, &f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = text(&f, "name");
    let (u, c, n) = (user.clone(), client(&addr), name.clone());
    let found = match with_db(&st, move |db| {
        crate::person::search_by_name(db, &u, &n, &c, now_ms())
    })
    .await
    {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let csrf = csrf_token(&token);
    let d = Divisions::shanxi();
    let body = html! {
        (search_form(&csrf, &name))
        @if found.is_empty() {
            p id="search-none" { (t("search-none")) }
        } @else {
            p id="search-count" { (tf("search-found", &[("n", &found.len().to_string())])) @if found.len() as i64 == crate::person::SEARCH_LIMIT { (tf("search-limit", &[("n", &crate::person::SEARCH_LIMIT.to_string())])) } }
            table id="search-results" {
                thead { tr { th { (t("page-name")) } th { (t("page-id-number")) } th { (t("page-sex")) } th { (t("search-birth")) } th { (t("page-county")) } th { (t("web-status")) } th { "" } } }
                tbody {
                    @for (p, id_number, birth) in &found {
                        tr {
                            td { (p.name) }
                            td { (id_number) }
                            td { (crate::pages::zh(&p.sex)) }
                            td { (birth) }
                            td { (tongchou_core::RegionCode::from_stored(p.county).and_then(|c| d.get(c)).map(|r| r.name.clone()).unwrap_or_else(|| p.county.to_string())) }
                            td { (crate::pages::zh(&p.status)) }
                            td {
                                form method="post" action="/persons/view" class="inline" {
                                    (csrf_field(&csrf))
                                    input type="hidden" name="person_id" value=(p.id);
                                    button type="submit" { (t("search-view")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Html(page(t("search-find-a-person"), Some(&user.login), body)).into_response()
}

async fn view(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let (user, _) = match posted(&st, &headers, &f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(pid) = text(&f, "person_id").parse::<i64>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("search-person-id-is-not-a"),
        );
    };
    let (u, c) = (user.clone(), client(&addr));
    match with_db_audited(&st, move |db| {
        let (answer, e) = crate::person::read_by_person_id(db, &u, pid, &c, now_ms())?;
        Ok((answer.and_then(|v| v.to_value()), e))
    })
    .await
    {
        Ok(v) => Html(page(
            t("page-person"),
            Some(&user.login),
            crate::pages::person_html(&v),
        ))
        .into_response(),
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}
