//! The county agencies' paying accounts (付款账户 / 基金支出户) in the browser, through
//! `tongchou_app::agency_accounts`: `/paying-accounts` lists every version within the user's
//! region with its review state, the form to set a new version (the provincial bureau officer,
//! a county agency for its own county), and for each pending version the reviewer's form to
//! confirm or refuse it (the bureau's reviewer, never the user who set it: maker–checker). The
//! full account number is shown to those who set or confirm accounts; others see its last four
//! digits. Checked and audited in the use case.

use crate::forms::{Fields, csrf_ok, done, opt_text, text};
use crate::html::{Module, csrf_field, page};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::agency_accounts::{self, AccountInput, AgencyAccount, Decision};
use tongchou_app::clock::now_ms;
use tongchou_app::reports::Cell;
use tongchou_core::access::Permission;
use tongchou_core::{Date, Divisions, RegionCode};
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("payacct-agency-bank-accounts");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/paying-accounts",
    id: "paying-accounts",
    title: TITLE,
    nav: "nav-paying-accounts",
};

/// An account's kind as the reader names it.
fn kind_name(kind: &str) -> &'static str {
    match kind {
        "expenditure_account" => t("payacct-kind-expenditure_account"),
        "income_account" => t("payacct-kind-income_account"),
        "fiscal_special_account" => t("payacct-kind-fiscal_special_account"),
        _ => t("payacct-status-unknown"),
    }
}

/// Who sees the page: those who set or confirm accounts, and report readers.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::PayingAccountWrite)
        || u.role.has(Permission::PayingAccountConfirm)
        || u.role.has(Permission::ReportRead)
}

/// Who sees full account numbers.
fn sees_full(u: &User) -> bool {
    u.role.has(Permission::PayingAccountWrite) || u.role.has(Permission::PayingAccountConfirm)
}

/// The page and its forms' posts.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/paying-accounts", get(show))
        .route("/paying-accounts/set", post(set))
        .route("/paying-accounts/review", post(review))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

fn region_label(c: RegionCode) -> String {
    let name = Divisions::shanxi()
        .get(c)
        .map(|r| r.name.as_str())
        .unwrap_or("");
    format!("{c} {name}")
}

/// Every version as a grid (filter, sort, pages, export); the account number in full only for
/// those who set or confirm accounts.
fn versions_grid(rows: &[AgencyAccount], user: &User) -> Grid {
    let full = sees_full(user);
    let text = |s: &str| Cell::Text(s.to_string());
    Grid {
        id: "paying-accounts",
        title: t("payacct-title").into(),
        cols: vec![
            (t("plans-region"), 16.0),
            (t("col-kind"), 20.0),
            (t("chain-version"), 6.0),
            (t("payacct-valid-from"), 12.0),
            (t("payacct-agency"), 34.0),
            (t("page-account"), 22.0),
            (t("page-bank"), 26.0),
            (t("payacct-cnaps-bic"), 14.0),
            (t("payacct-set-by"), 14.0),
            (t("web-status"), 16.0),
            (t("payacct-reviewed-by"), 14.0),
            (t("payacct-review-note"), 24.0),
        ],
        rows: rows
            .iter()
            .map(|a| {
                let account = if full {
                    a.account_number.clone()
                } else {
                    agency_accounts::masked(&a.account_number)
                };
                vec![
                    Cell::Text(region_label(a.region)),
                    text(kind_name(&a.kind)),
                    Cell::Int(a.version),
                    Cell::Text(a.valid_from.to_string()),
                    text(&a.agency_name),
                    Cell::Text(account),
                    text(&a.bank_name),
                    text(a.cnaps.as_deref().or(a.bic.as_deref()).unwrap_or("-")),
                    text(&a.set_by),
                    text(agency_accounts::status_name(&a.status)),
                    text(a.reviewed_by.as_deref().unwrap_or("-")),
                    text(a.review_note.as_deref().unwrap_or("")),
                ]
            })
            .collect(),
        link: None,
    }
}

/// The pending versions with the reviewer's form (for a reviewer).
fn pending_forms(rows: &[AgencyAccount], csrf: &str) -> Markup {
    let pending: Vec<&AgencyAccount> = rows.iter().filter(|a| a.status == "pending").collect();
    html! {
        @if !pending.is_empty() {
            h2 { (t("payacct-pending-review")) }
            table id="pending-accounts" {
                tr { th { (t("plans-region")) } th { (t("imports-kind")) } th { (t("chain-version")) } th { (t("payacct-valid-from")) } th { (t("payacct-agency")) } th { (t("page-account")) } th { (t("page-bank")) } th { (t("payacct-set-by")) } th { (t("payacct-review")) } }
                @for a in pending {
                    tr {
                        td { (region_label(a.region)) } td { (kind_name(&a.kind)) } td { (a.version) }
                        td { (a.valid_from) } td { (a.agency_name) br; small { (a.credit_code) } }
                        td class="account" { (a.account_number) } td { (a.bank_name) }
                        td { (a.set_by) br; small { (a.set_at) } }
                        td { (review_form(a, csrf)) }
                    }
                }
            }
        }
    }
}

fn review_form(a: &AgencyAccount, csrf: &str) -> Markup {
    let id = format!("review-{}-{}", a.region, a.version);
    html! {
        form method="post" action="/paying-accounts/review" id=(id) {
            (csrf_field(csrf))
            input type="hidden" name="region" value=(a.region);
            input type="hidden" name="version" value=(a.version);
            input name="note" placeholder=(t("payacct-note-required-to-refuse")) autocomplete="off";
            button type="submit" name="decision" value="confirm" { (t("admin-confirm")) }
            " "
            button type="submit" name="decision" value="refuse" { (t("payacct-refuse")) }
        }
    }
}

fn set_form(csrf: &str) -> Markup {
    let field = |name: &str, label: &str, hint: &str| {
        html! {
            label for=(name) { (label) }
            input id=(name) name=(name) placeholder=(hint) autocomplete="off";
        }
    };
    html! {
        h2 { (t("payacct-set-a-new-version")) }
        p { (t("payacct-a-new-version-pays-only")) }
        form method="post" action="/paying-accounts/set" id="set-account" {
            (csrf_field(csrf))
            label for="kind" { (t("payacct-kind")) }
            select id="kind" name="kind" {
                @for k in agency_accounts::KINDS { option value=(k) { (kind_name(k)) } }
            }
            (field("region", t("payacct-region-code"), "140105"))
            (field("agency", t("payacct-agency"), t("payacct-agency-example")))
            (field("credit_code", t("payacct-credit-code"), t("payacct-18-characters")))
            (field("account", t("payacct-account-number"), t("payacct-digits-only")))
            (field("account_name", t("payacct-account-title"), t("payacct-account-title-example")))
            (field("bank_name", t("page-bank"), t("payacct-bank-example")))
            (field("cnaps", t("payacct-cnaps"), "102161000011"))
            (field("bic", t("payacct-bic"), ""))
            (field("valid_from", t("payacct-valid-from"), "2020-01-01"))
            br;
            button type="submit" id="set-submit" { (t("payacct-submit-for-review")) }
        }
    }
}

/// `GET /paying-accounts`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let region = user.region;
    let rows = with_db(&st, move |db| {
        let all = agency_accounts::list(db, None)?;
        let d = Divisions::shanxi();
        Ok(all
            .into_iter()
            .filter(|a| d.within(a.region, region))
            .collect::<Vec<_>>())
    })
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let grid = versions_grid(&rows, &user);
    if let Some(file) = grid.export(&q, "bank-accounts") {
        return file;
    }
    let csrf = csrf_token(&token);
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="paying-accounts-done" { (msg) } }
        p { (t("payacct-intro")) }
        @if user.role.has(Permission::PayingAccountConfirm) { (pending_forms(&rows, &csrf)) }
        h2 { (t("payacct-every-version")) }
        (grid.render("/paying-accounts", &View::of(&q)))
        @if user.role.has(Permission::PayingAccountWrite) { (set_form(&csrf)) }
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

/// The form's account, or the field that is wrong.
fn parse_set(f: &Fields) -> Result<(RegionCode, Date), AppError> {
    let region = text(f, "region")
        .parse::<RegionCode>()
        .map_err(|_| AppError::BadRequest(t("payacct-a-6-digit-code").into()))?;
    let from = text(f, "valid_from")
        .parse::<Date>()
        .map_err(|_| AppError::BadRequest(t("payacct-yyyy-mm-dd").into()))?;
    Ok((region, from))
}

/// `POST /paying-accounts/set`.
async fn set(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
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
    let (region, valid_from) = match parse_set(&f) {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let (account_name, bic, cnaps) = (
            opt_text(&f, "account_name"),
            opt_text(&f, "bic"),
            opt_text(&f, "cnaps"),
        );
        let (agency, code, account, bank) = (
            text(&f, "agency"),
            text(&f, "credit_code"),
            text(&f, "account"),
            text(&f, "bank_name"),
        );
        let kind = opt_text(&f, "kind").unwrap_or_else(|| agency_accounts::PAYING.to_string());
        let input = AccountInput {
            region,
            kind: &kind,
            agency_name: &agency,
            credit_code: &code,
            account_number: &account,
            account_name: account_name.as_deref(),
            bank_name: &bank,
            bic: bic.as_deref(),
            cnaps: cnaps.as_deref(),
            valid_from,
        };
        Ok(agency_accounts::set(db, &who, &input, now_ms())?)
    })
    .await;
    match r {
        Ok((a, true)) => done(
            "/paying-accounts",
            &tf(
                "payacct-submitted",
                &[
                    ("region", &region_label(a.region)),
                    ("version", &a.version.to_string()),
                ],
            ),
        ),
        Ok((a, false)) => done(
            "/paying-accounts",
            &tf(
                "payacct-unchanged",
                &[
                    ("region", &region_label(a.region)),
                    ("version", &a.version.to_string()),
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

/// `POST /paying-accounts/review`.
async fn review(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
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
    let (Ok(region), Ok(version)) = (
        text(&f, "region").parse::<RegionCode>(),
        text(&f, "version").parse::<i64>(),
    ) else {
        return error_page(StatusCode::BAD_REQUEST, &user.login, "region/version");
    };
    let confirm = text(&f, "decision") == "confirm";
    let note = opt_text(&f, "note");
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let d = Decision {
            region,
            version,
            confirm,
            note: note.as_deref(),
        };
        Ok(agency_accounts::review(db, &who, &d, now_ms())?)
    })
    .await;
    match r {
        Ok(a) => done(
            "/paying-accounts",
            &tf(
                "payacct-reviewed",
                &[
                    ("region", &region_label(a.region)),
                    ("version", &a.version.to_string()),
                    ("status", agency_accounts::status_name(&a.status)),
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
