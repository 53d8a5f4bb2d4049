//! The month's run as the provincial bureau follows it (月度运行): the collection close and each
//! disbursement step of a month, done or not with what it recorded, and what the run waits for
//! (counties' and cities' plans, the finance department's decision), with links to the pages
//! where those happen. Read only: the month is run by `tongchou month run`.

use crate::html::page;
use crate::{AppError, St, with_db};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::disburse::{self, MonthState};
use tongchou_core::Period;
use tongchou_core::access::Permission;
use tongchou_store::access::User;

const TITLE: &str = "月度运行 The month's run";

/// Who sees the page: provincial staff who read reports (the bureau, finance, auditors); the
/// run is the province's, its steps' figures province-wide.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead)
        && tongchou_core::Divisions::shanxi()
            .get(u.region)
            .is_some_and(|r| r.level.as_str() == "province")
}

/// The page's route.
pub fn routes() -> Router<St> {
    Router::new().route("/month", get(show))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) {
            p { a href="/month" id="month-link" { "月度运行 The month's run" } }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    let body = html! { p class="error" id="month-error" { (msg) } };
    (status, Html(page(TITLE, Some(login), body))).into_response()
}

/// A step's recorded details in one line (the JSON's top-level numbers and texts).
fn summary(d: &serde_json::Value) -> String {
    match d.as_object() {
        Some(o) => o
            .iter()
            .filter(|(_, v)| v.is_number() || v.is_string())
            .take(6)
            .map(|(k, v)| {
                format!(
                    "{k}: {}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_string)
                )
            })
            .collect::<Vec<_>>()
            .join(" · "),
        None => String::new(),
    }
}

fn body(s: &MonthState) -> Markup {
    html! {
        form method="get" action="/month" id="month-form" {
            label for="period" { "月份 Month (YYYY-MM)" }
            input id="period" name="period" value=(s.month) autocomplete="off";
            button type="submit" { "查看 Show" }
        }
        @if let Some(w) = &s.waiting {
            p class="warning" id="month-waiting" { (w) }
            p { a href="/chain" { "用款计划报送 Plans" } " " a href="/plans" { "用款申请 Applications" } }
        }
        table id="month-steps" {
            tr { th { "步骤 Step" } th { "状态 State" } th { "记录 Recorded" } }
            tr {
                td { "征缴结账 collection close" }
                td { @if s.collection_closed { "已完成 done" } @else { "未完成 not yet" } }
                td {}
            }
            @for (step, d) in &s.steps {
                tr data-step=(step.as_str()) {
                    td { (step.chinese()) }
                    td { @if d.is_some() { "已完成 done" } @else { "未完成 not yet" } }
                    td { (d.as_ref().map(summary).unwrap_or_default()) }
                }
            }
        }
    }
}

/// `GET /month[?period=YYYY-MM]`: the latest month whose payroll ran, unless one is given.
async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (user, _) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let asked = match q.get("period").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        Some(p) => match p.parse::<Period>() {
            Ok(p) => Some(p),
            Err(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    &user.login,
                    "月份格式 YYYY-MM (period)",
                );
            }
        },
        None => None,
    };
    let r = with_db(&st, move |db| {
        let month = match asked {
            Some(m) => m,
            None => match disburse::latest_month(db)? {
                Some(m) => m,
                None => {
                    return Err(AppError::NotFound(
                        "尚无运行过的月份 no month has run yet".into(),
                    ));
                }
            },
        };
        Ok(disburse::month_state(db, month)?)
    })
    .await;
    match r {
        Ok(s) => Html(page(
            &format!("{TITLE} · {}", s.month),
            Some(&user.login),
            body(&s),
        ))
        .into_response(),
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}
