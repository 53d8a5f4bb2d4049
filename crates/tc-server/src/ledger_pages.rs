//! The fund ledger in the browser (`/ledger`), through `tongchou_app::ledger_view`: for a role
//! with `ledger_read` (the auditor, the provincial bureau, the finance department), a book of
//! their region chosen from a list, its trial balance with the chart's Chinese account names
//! (debit and credit totals equal), the journal's verification, an account's transfers newest
//! first 50 a page (`/ledger/account`), and both as CSV or XLSX (`/ledger/export`). Reads,
//! exports and refusals are audited in the use case.

use crate::html::page;
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::workplace::{self, Fields, error_page, opt, staff};
use crate::{St, with_db};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::clock::now_ms;
use tongchou_app::ledger_view::{self as lv, Book, Check, Export, History};
use tongchou_core::RegionCode;
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("web-fund-ledger");

pub fn routes() -> Router<St> {
    Router::new()
        .route("/ledger", get(show))
        .route("/ledger/account", get(account))
        .route("/ledger/export", get(export))
}

fn book_of(q: &Fields, own: RegionCode) -> Result<RegionCode, String> {
    match opt(q, "book") {
        None => Ok(own),
        Some(v) => v
            .parse::<RegionCode>()
            .map_err(|_| tf("ledger-bad-book", &[("value", &v)])),
    }
}

pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match staff(&st, &headers, t(TITLE)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let region = match book_of(&q, user.region) {
        Ok(r) => r,
        Err(m) => return error_page(t(TITLE), StatusCode::BAD_REQUEST, &user.login, &m),
    };
    let who = user.principal();
    let books = lv::books_in_scope(&who);
    match with_db(&st, move |db| {
        Ok(lv::trial_balance(db, &who, region, now_ms())?)
    })
    .await
    {
        Ok((tb, check)) => Html(page(
            t(TITLE),
            Some(&user.login),
            body(region, &books, &tb, &check),
        ))
        .into_response(),
        Err(e) => error_page(t(TITLE), e.status(), &user.login, &e.message()),
    }
}

fn yuan(f: tongchou_core::Fen) -> String {
    crate::html::yuan(f)
}

fn check_html(c: &Check) -> Markup {
    html! {
        @match &c.problem {
            None => p id="ledger-check" class="ok" {
                (tf("ledger-verified", &[("n", &c.transfers.to_string()), ("seq", &c.head_seq.to_string())])) " " code { (c.head_hash) } (t("ledger-verified-end"))
            },
            Some(p) => p id="ledger-check" class="error" { (t("ledger-ledger-broken")) (p) },
        }
    }
}

fn body(region: RegionCode, books: &[(RegionCode, String)], tb: &Book, check: &Check) -> Markup {
    html! {
        form method="get" action="/ledger" id="ledger-form" {
            label for="book" { (t("ledger-book")) }
            select id="book" name="book" {
                @for (code, name) in books {
                    option value=(code) selected[*code == region] { (code) " " (name) }
                }
            }
            br;
            button type="submit" id="ledger-submit" { (t("month-show")) }
        }
        (check_html(check))
        h2 { (t("ledger-trial-balance")) " · " (lv::book_name(region)) }
        p {
            a id="tb-csv" href={ "/ledger/export?format=csv&book=" (region) } { (t("grid-csv")) } " "
            a id="tb-xlsx" href={ "/ledger/export?format=xlsx&book=" (region) } { (t("grid-xlsx")) }
        }
        table id="trial-balance" {
            thead { tr { th { (t("ledger-code")) } th { (t("ledger-name")) } th { (t("ledger-debit")) } th { (t("ledger-credit")) } th { (t("ledger-pending-debit")) } th { (t("ledger-pending-credit")) } } }
            tbody { @for r in &tb.rows {
                tr {
                    td { (r.code) }
                    td { @match r.account { Some(id) => a href={ "/ledger/account?account=" (id) } { (r.name) }, None => (r.name) }
                         @if let Some(b) = &r.bank { br; small class="bank-account" { (b) } } }
                    td class="num" { (yuan(r.debit)) } td class="num" { (yuan(r.credit)) }
                    td class="num" { (yuan(r.pending_debit)) } td class="num" { (yuan(r.pending_credit)) }
                }
            } }
            tfoot { tr {
                td {} td { (t("mine-total")) }
                td class="num" id="tb-debit" { (yuan(tb.total_debit)) } td class="num" id="tb-credit" { (yuan(tb.total_credit)) }
                td colspan="2" id="tb-balanced" { @if tb.balanced { (t("ledger-balanced")) } @else { (t("ledger-not-balanced")) } }
            } }
        }
    }
}

/// `GET /ledger/account?account=A`: the account's history as a grid (filter, sort, pages of
/// 50); `&export=csv|xlsx` downloads the rows selected, audited by the use case.
pub async fn account(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let (user, _) = match staff(&st, &headers, t(TITLE)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let acct = match lv::parse_account(&opt(&q, "account").unwrap_or_default()) {
        Ok(a) => a,
        Err(e) => {
            return error_page(
                t(TITLE),
                StatusCode::BAD_REQUEST,
                &user.login,
                &e.to_string(),
            );
        }
    };
    let who = user.principal();
    let h = match with_db(&st, move |db| {
        Ok(lv::history_all(db, &who, acct, now_ms())?)
    })
    .await
    {
        Ok(h) => h,
        Err(e) => return error_page(t(TITLE), e.status(), &user.login, &e.message()),
    };
    let grid = history_grid(&h);
    match grid.export_table(&q) {
        None => {}
        Some(Err(r)) => return r,
        Some(Ok((fmt, table))) => {
            let who = user.principal();
            let filter = opt(&q, "q").unwrap_or_default();
            let run = move |db: &mut tongchou_store::Db| {
                Ok(lv::export_selected(
                    db,
                    &who,
                    acct,
                    &table,
                    fmt,
                    &filter,
                    now_ms(),
                )?)
            };
            return match with_db(&st, run).await {
                Ok(d) => workplace::download(d),
                Err(e) => error_page(t(TITLE), e.status(), &user.login, &e.message()),
            };
        }
    }
    Html(page(
        t("ledger-account-history"),
        Some(&user.login),
        history_html(&h, &grid, &View::of(&q)),
    ))
    .into_response()
}

fn history_grid(h: &History) -> Grid {
    Grid {
        id: "ledger-history",
        title: format!("{} {}", t("ledger-account-history"), h.label),
        cols: lv::history_columns(),
        rows: h.rows.clone(),
        link: None,
    }
}

fn history_html(h: &History, grid: &Grid, view: &View) -> Markup {
    html! {
        p id="account-label" { (h.label) }
        p {
            a href={ "/ledger?book=" (h.region) } { (t("ledger-back-to-the-trial-balance")) } " "
            a id="history-csv" href={ "/ledger/export?format=csv&account=" (h.account) } { (t("ledger-csv")) } " "
            a id="history-xlsx" href={ "/ledger/export?format=xlsx&account=" (h.account) } { (t("ledger-xlsx")) }
        }
        @if h.rows.is_empty() { p id="history-empty" { (t("ledger-no-transfers")) } }
        @else {
            div class="scroll" { (grid.render(&format!("/ledger/account?account={}", h.account), view)) }
        }
    }
}

pub async fn export(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let what = |q: &Fields, user: &User| match opt(q, "account") {
        Some(a) => lv::parse_account(&a)
            .map(Export::History)
            .map_err(|e| e.to_string()),
        None => book_of(q, user.region).map(Export::TrialBalance),
    };
    workplace::export(&st, &headers, &q, t(TITLE), what, |db, who, w, fmt| {
        lv::export(db, who, w, fmt, now_ms())
    })
    .await
}
