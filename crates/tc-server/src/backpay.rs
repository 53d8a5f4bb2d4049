//! Back-payments (补缴) in the browser, through `tongchou_app::backpay`: `/backpay` lists the
//! back-payments within the user's region (pending first) with the county clerk's form to assess
//! one (the person by ID number, the months with their wages, the reason); `/backpay/{id}` shows
//! one month by month (base, parts, due date) with how it was computed, and to a provincial
//! approver the form to approve or refuse a pending one (never their own). Checked and audited
//! in the use case.

use crate::forms::{Fields, csrf_ok, done, text};
use crate::html::{Module, csrf_field, explanation, page, yuan};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::backpay::{self, Request};

use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports::Cell;
use tongchou_core::access::Permission;
use tongchou_core::rules::backpay::Month;
use tongchou_core::{Divisions, Policy, RegionCode};
use tongchou_store::access::User;
use tongchou_store::backpay::BackPay;

const TITLE: &str = crate::lang::msg("backpay-back-payments");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/backpay",
    id: "backpay",
    title: TITLE,
    nav: "nav-backpay",
};

/// Who sees the pages: staff who read contributions.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ContributionRead)
}

/// The pages and their forms' posts.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/backpay", get(list))
        .route("/backpay/assess", post(assess))
        .route("/backpay/{id}", get(show))
        .route("/backpay/{id}/decide", post(decide))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

fn county_name(c: u32) -> String {
    RegionCode::new(c)
        .ok()
        .and_then(|r| Divisions::shanxi().get(r).map(|x| x.name.clone()))
        .unwrap_or_default()
}

/// `GET /backpay`.
async fn list(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = user.principal();
    let rows = match with_db(&st, move |db| Ok(backpay::list(db, &who)?)).await {
        Ok(r) => r,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let grid = Grid {
        id: "backpay-list",
        title: t("backpay-back-payments-2").into(),
        cols: vec![
            (t("col-import-no"), 8.0),
            (t("claims-person"), 12.0),
            (t("retire-county"), 12.0),
            (t("claims-total-yuan"), 16.0),
            (t("web-status"), 14.0),
            (t("backpay-reason"), 30.0),
            (t("backpay-assessed-at"), 22.0),
        ],
        rows: rows
            .iter()
            .map(|b| {
                vec![
                    Cell::Int(b.id),
                    Cell::Int(b.person),
                    Cell::Text(county_name(b.county)),
                    Cell::Money(b.total),
                    Cell::Text(backpay::status_name(&b.status).to_string()),
                    Cell::Text(b.reason.clone()),
                    Cell::Text(b.created_at.clone()),
                ]
            })
            .collect(),
        link: Some(|r| format!("/backpay/{}", r[0].text())),
    };
    if let Some(file) = grid.export(&q, "backpay") {
        return file;
    }
    let csrf = csrf_token(&token);
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="backpay-done" { (msg) } }
        @if user.role.has(Permission::PersonWrite) {
            h2 { (t("backpay-assess")) }
            form method="post" action="/backpay/assess" id="assess-form" {
                (csrf_field(&csrf))
                label for="id_number" { (t("page-id-number")) } input id="id_number" name="id_number" required;
                label for="months" { (t("backpay-months-label")) }
                input id="months" name="months" required;
                label for="reason" { (t("backpay-reason-label")) } input id="reason" name="reason" required;
                button type="submit" id="assess" { (t("backpay-assess-2")) }
            }
        }
        h2 { (t("backpay-back-payments-2")) }
        (grid.render("/backpay", &View::of(&q)))
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

fn months_table(months: &[Month]) -> Markup {
    html! {
        table id="backpay-months" {
            thead { tr { th { (t("backpay-period")) } th { (t("backpay-declared")) } th { (t("mine-base")) } th { (t("backpay-pooling")) } th { (t("backpay-account")) } th { (t("mine-total")) } th { (t("backpay-due")) } } }
            tbody { @for m in months { tr {
                td { (m.period.to_string()) } td class="num" { (yuan(m.declared)) } td class="num" { (yuan(m.base)) }
                td class="num" { (yuan(m.pooling)) } td class="num" { (yuan(m.account)) } td class="num" { (yuan(m.total())) } td { (m.due.to_string()) }
            } } }
        }
    }
}

fn detail(b: &BackPay, months: &[Month], user: &User, csrf: &str) -> Markup {
    let explained: Option<tongchou_core::Explanation> = serde_json::from_str(&b.explanation).ok();
    html! {
        (crate::html::dl(&[
            (t("claims-person"), b.person.to_string()),
            (t("retire-county"), county_name(b.county)),
            (t("mine-total"), yuan(b.total)),
            (t("web-status"), backpay::status_name(&b.status).to_string()),
            (t("backpay-reason"), b.reason.clone()),
            (t("backpay-assessed-at"), b.created_at.clone()),
            (t("retire-note"), b.note.clone()),
        ]))
        (months_table(months))
        p { (t("backpay-late-fee")) }
        @if let Some(e) = &explained { (explanation(t("backpay-how-it-was-computed"), e)) }
        @if b.status == "pending" && user.role.has(Permission::RetirementApprove) {
            h2 { (t("backpay-decide")) }
            form method="post" action={ "/backpay/" (b.id) "/decide" } id="decide-form" {
                (csrf_field(csrf))
                label for="decision" { (t("backpay-decision")) }
                select name="decision" id="decision" { option value="approve" { (t("backpay-approve")) } option value="reject" { (t("backpay-refuse")) } }
                label for="note" { (t("backpay-note")) } input id="note" name="note";
                button type="submit" id="decide" { (t("backpay-decide-2")) }
            }
        }
    }
}

/// `GET /backpay/{id}`.
async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = user.principal();
    let r = with_db(&st, move |db| Ok(backpay::show(db, &who, id)?)).await;
    let (b, months) = match r {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let csrf = csrf_token(&token);
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="backpay-done" { (msg) } }
        (detail(&b, &months, &user, &csrf))
    };
    Html(page(
        &tf("backpay-title", &[("id", &id.to_string())]),
        Some(&user.login),
        body,
    ))
    .into_response()
}

/// `POST /backpay/assess`.
async fn assess(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let field = |k: &str| text(&f, k);
    let (id_number, months, reason) = (field("id_number"), field("months"), field("reason"));
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let months = backpay::parse_months(&months)?;
        let person = crate::retirement::person_of(db, &id_number)?;
        let policy = Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
        let req = Request {
            person,
            months: &months,
            reason: &reason,
        };
        Ok(backpay::assess(db, &policy, &who, &req, today_china(), now_ms())?.0)
    })
    .await;
    match r {
        Ok(b) => done(
            &format!("/backpay/{}", b.id),
            &tf(
                "backpay-assessed",
                &[
                    ("id", &b.id.to_string()),
                    ("total", &yuan(b.total)),
                    ("status", backpay::status_name(&b.status)),
                ],
            ),
        ),
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("chain-not-done", &[("reason", &e.message())]),
        ),
    }
}

/// `POST /backpay/{id}/decide`.
async fn decide(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let field = |k: &str| text(&f, k);
    let (approve, note) = (field("decision") == "approve", field("note"));
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let (b, _) = backpay::show(db, &who, id)?;
        let approval = b
            .approval
            .ok_or_else(|| AppError::BadRequest(t("backpay-no-approval").into()))?;
        Ok(backpay::decide(
            db,
            &who,
            approval,
            approve,
            &note,
            today_china(),
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(b) => done(
            &format!("/backpay/{id}"),
            &tf(
                "backpay-decided",
                &[
                    ("id", &b.id.to_string()),
                    ("status", backpay::status_name(&b.status)),
                ],
            ),
        ),
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("chain-not-done", &[("reason", &e.message())]),
        ),
    }
}
