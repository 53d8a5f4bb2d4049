//! The final accounts (决算) and the period close (结账) in the browser: `/accounts/final` shows
//! `tongchou_app::final_accounts` (the same figures as `tongchou accounts final`) as a Chinese
//! table, rows of items and columns of regions, amounts `1,234,567.89 元`, for a year and a
//! region within the user's own, with the same table to download as XLSX or JSON; `/close`
//! lists every book within the user's region with its last closed month. Staff with the report
//! permission only; a region outside one's own is refused and audited (`reports::for_staff`).

use crate::html::{error_response, page, yuan};
use crate::lang::{t, tf};
use crate::{AppError, St, current, with_db};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use std::collections::HashMap;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::{close, final_accounts, reports};
use tongchou_core::access::Permission;
use tongchou_core::{Fen, RegionCode};
use tongchou_store::access::User;

type Params = HashMap<String, String>;

fn error_page(status: StatusCode, login: &str, title: &str, msg: &str) -> Response {
    error_response(status, login, title, "accounts-error", None, msg)
}

async fn staff(st: &St, headers: &HeaderMap, title: &str) -> Result<User, Response> {
    match current(st, headers).await {
        Ok(Some((u, _))) if u.role.has(Permission::ReportRead) => Ok(u),
        Ok(Some((u, _))) => Err(error_page(
            StatusCode::FORBIDDEN,
            &u.login,
            title,
            t("acct-denied"),
        )),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(e.status(), "", title, &e.message())),
    }
}

fn region_param(p: &Params) -> Result<Option<RegionCode>, String> {
    p.get("region")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| t("acct-bad-region").to_string())
}

/// The year asked for (this year less `back` by default) and the region, if any.
fn year_and_region(p: &Params, back: i32) -> Result<(i32, Option<RegionCode>), String> {
    let year = match p.get("year").map(|s| s.trim().parse::<i32>()) {
        None => today_china().year() - back,
        Some(Ok(y)) if (1900..=9999).contains(&y) => y,
        Some(_) => return Err(t("acct-bad-year").into()),
    };
    Ok((year, region_param(p)?))
}

/// `GET /accounts/final?year=Y[&region=R][&format=xlsx|json]`.
pub async fn final_accounts(
    State(st): State<St>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let title = t("page-final-accounts");
    let user = match staff(&st, &headers, title).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (year, asked) = match year_and_region(&p, 1) {
        Ok(x) => x,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &user.login, title, &m),
    };
    let format = p.get("format").cloned().unwrap_or_default();
    let u = user.clone();
    let r = with_db(&st, move |db| {
        let region = reports::for_staff(db, &u.principal(), "final_accounts", asked, now_ms())?;
        let fa = final_accounts::compute(db, year)?;
        Ok((region, fa))
    })
    .await;
    let (region, fa) = match r {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, title, &e.message()),
    };
    let all = format == "xlsx";
    let cols = fa.columns(region, all);
    let done = match format.as_str() {
        "json" => fa.json(region).and_then(|j| {
            serde_json::to_vec_pretty(&j)
                .map(|b| (b, "application/json"))
                .map_err(|e| tongchou_app::AppError::Invalid(e.to_string()))
        }),
        "xlsx" => final_accounts::workbook(&fa.title(), &tf("acct-sheet", &[("year", &year.to_string())]), &cols).map(|b| {
            (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        }),
        _ => final_accounts::matrix(&cols).map(|rows| {
            let body = html! {
                form method="get" action="/accounts/final" id="accounts-form" {
                    label for="year" { (t("mine-year")) }
                    input id="year" name="year" type="number" value=(year);
                    label for="region" { (t("eval-region")) }
                    input id="region" name="region" value=(region);
                    button type="submit" { (t("eval-show")) }
                }
                p id="downloads" {
                    (t("eval-download"))
                    a id="download-xlsx" href={ "/accounts/final?year=" (year) "&region=" (region) "&format=xlsx" } { "Excel (XLSX)" } " "
                    a id="download-json" href={ "/accounts/final?year=" (year) "&region=" (region) "&format=json" } { "JSON" }
                }
                table id="final-accounts" {
                    thead { tr { th { (t("mine-item")) } @for (c, _) in &cols { th { (c) } } } }
                    tbody {
                        @for (label, vals) in &rows {
                            tr { th scope="row" { (label) } @for v in vals { td class="num" { (yuan(*v)) } } }
                        }
                    }
                }
            };
            (page(&fa.title(), Some(&user.login), body).into_bytes(), "text/html; charset=utf-8")
        }),
    };
    match done {
        Ok((bytes, mime)) if mime.starts_with("text/html") => Html(bytes).into_response(),
        Ok((bytes, mime)) => {
            let disposition =
                format!("attachment; filename=\"final-accounts-{year}-{region}.{format}\"");
            (
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            let e: AppError = e.into();
            error_page(e.status(), &user.login, title, &e.message())
        }
    }
}

/// `GET /close[?region=R]`: every book within the region with its last closed month.
pub async fn close_status(
    State(st): State<St>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let title = t("page-period-close");
    let user = match staff(&st, &headers, title).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let asked = match region_param(&p) {
        Ok(r) => r,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &user.login, title, &m),
    };
    let u = user.clone();
    let r = with_db(&st, move |db| {
        let region = reports::for_staff(db, &u.principal(), "period_close", asked, now_ms())?;
        Ok(close::status(db, region)?)
    })
    .await;
    let books = match r {
        Ok(b) => b,
        Err(e) => return error_page(e.status(), &user.login, title, &e.message()),
    };
    let body = html! {
        table id="close-status" {
            thead { tr { th { (t("plans-code")) } th { (t("ledger-book")) } th { (t("page-level")) } th { (t("acct-closed-through")) } } }
            tbody {
                @for b in &books {
                    tr {
                        td { (b.region) } td { (b.name) }
                        td { (match b.level { "province" => t("level-province"), "city" => t("level-city"), _ => t("level-county") }) }
                        td { (b.closed_through.as_deref().unwrap_or(t("acct-not-closed"))) }
                    }
                }
            }
        }
    };
    Html(page(title, Some(&user.login), body)).into_response()
}

pub(crate) fn matrix_table(id: &str, cols: &[String], rows: &[(String, Vec<Fen>)]) -> maud::Markup {
    html! {
        table id=(id) {
            thead { tr { th { (t("mine-item")) } @for c in cols { th { (c) } } } }
            tbody {
                @for (label, vals) in rows {
                    tr { th scope="row" { (label) } @for v in vals { td class="num" { (yuan(*v)) } } }
                }
            }
        }
    }
}
