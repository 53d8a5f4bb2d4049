//! The quarterly budget-execution analysis (季度预算执行分析) in the browser,
//! `/budget/analysis?year=Y&quarter=Q&region=R`: `tongchou_app::analysis` for a region within the
//! user's own — per item the annual budget, the time-progress expectation (budget × months ÷ 12,
//! an assumption), the execution to the quarter's end from the ledger, the deviation, and the
//! explanation every deviation beyond `warning.budget_deviation` needs — with the status, the due
//! date, any late submission and every action. The region's agency drafts, explains and submits
//! on the page; the level above accepts or returns with a reason. Every post carries the CSRF
//! token; the use case checks the roles, the regions and maker ≠ checker, and audits.

use crate::html::{csrf_field, nav_link, page, yuan};
use crate::lang::{t, tf, zh};
use crate::workplace::{Fields, error_page, opt};
use crate::{AppError, St, csrf_token, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::analysis::{self, Analysis, Quarter, Verdict, deviation_text, side_of};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports;
use tongchou_core::RegionCode;
use tongchou_core::access::Permission;
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("an-title");

/// Who sees the page: staff who read reports.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead)
}

/// The page and its forms' posts.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/budget/analysis", get(show))
        .route("/budget/analysis/act/{action}", post(act))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    nav_link(
        may_view(u),
        "/budget/analysis",
        "analysis-link",
        crate::lang::t("nav-analysis"),
    )
}

fn refuse(status: StatusCode, login: &str, msg: &str) -> Response {
    error_page(t(TITLE), status, login, msg)
}

/// The quarter asked for (default: the last quarter ended) and the region, if any.
fn asked(q: &Fields) -> Result<(Quarter, Option<RegionCode>), AppError> {
    let today = today_china();
    let (dy, dq) = match (today.month() - 1) / 3 {
        0 => (today.year() - 1, 4),
        n => (today.year(), n),
    };
    let bad = |m: &str| AppError::BadRequest(m.to_string());
    let year = match opt(q, "year") {
        None => dy,
        Some(y) => y.parse::<i32>().map_err(|_| bad(t("an-bad-year")))?,
    };
    let quarter = match opt(q, "quarter") {
        None => dq,
        Some(s) => s.parse::<u8>().map_err(|_| bad(t("an-bad-quarter")))?,
    };
    let qt = Quarter::new(year, quarter).map_err(|e| bad(&e.to_string()))?;
    let region = opt(q, "region")
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| bad(t("an-bad-region")))?;
    Ok((qt, region))
}

/// `GET /budget/analysis?year=Y&quarter=Q[&region=R]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (qt, asked) = match asked(&q) {
        Ok(x) => x,
        Err(e) => return refuse(e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let region = reports::for_staff(db, &who, "budget_analysis", asked, now_ms())?;
        Ok(analysis::show(db, qt, region)?)
    })
    .await;
    let a = match r {
        Ok(a) => a,
        Err(e) => return refuse(e.status(), &user.login, &e.message()),
    };
    let heading = tf(
        "an-heading",
        &[("quarter", &quarter(qt)), ("region", &a.name)],
    );
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="analysis-done" { (msg) } }
        form method="get" action="/budget/analysis" id="analysis-pick" {
            label for="year" { (t("an-year")) } input id="year" name="year" value=(qt.year) size="4";
            label for="quarter" { (t("an-quarter-label")) } input id="quarter" name="quarter" value=(qt.q) size="1";
            label for="region" { (t("an-region")) } input id="region" name="region" value=(a.region) size="6";
            button type="submit" { (t("an-show")) }
        }
        (summary(&a))
        (lines(&a, qt, &user, &csrf_token(&token)))
        (forms(&a, qt, &user, &csrf_token(&token)))
        (history(&a))
    };
    Html(page(&heading, Some(&user.login), body)).into_response()
}

/// A quarter as the reader writes it (`2026 年第 3 季度`, `Q3 2026`).
fn quarter(qt: Quarter) -> String {
    tf(
        "an-quarter",
        &[("year", &qt.year.to_string()), ("q", &qt.q.to_string())],
    )
}

/// A status as people read it.
fn status_label(s: Option<&str>) -> &'static str {
    t(match s {
        None => "an-s-none",
        Some("draft") => "an-s-draft",
        Some("submitted") => "an-s-submitted",
        Some("returned") => "an-s-returned",
        Some("accepted") => "an-s-accepted",
        Some(_) => "an-other",
    })
}

/// An item's name in the reader's language.
fn item_name(key: &str) -> String {
    crate::budget::row_label(&tongchou_app::analysis::item_name(key))
}

fn summary(a: &Analysis) -> Markup {
    html! {
        p id="analysis-status" {
            (tf("an-status", &[("status", status_label(a.state.as_ref().map(|s| s.status.as_str())))]))
            @if let Some(s) = &a.state { (tf("an-version-n", &[("n", &s.version.to_string())])) }
            (tf("an-due", &[("due", &a.due_on.to_string())]))
        }
        @for l in &a.lates {
            p class="warning" id="analysis-late" {
                (tf("an-late", &[
                    ("version", &l.version.to_string()),
                    ("on", &l.submitted_on.to_string()),
                    ("days", &l.days_late.to_string()),
                    ("due", &l.due_on.to_string()),
                ]))
            }
        }
        p { (t("an-rule")) }
    }
}

/// May this user act as the region's agency (draft, explain, submit)?
fn is_agency(u: &User, a: &Analysis) -> bool {
    u.role.has(Permission::BudgetCompile) && u.region == a.region
}

fn editable(a: &Analysis) -> bool {
    matches!(
        a.state.as_ref().map(|s| s.status.as_str()),
        None | Some("draft") | Some("returned")
    )
}

fn hidden(qt: Quarter, a: &Analysis, csrf: &str) -> Markup {
    html! {
        (csrf_field(csrf))
        input type="hidden" name="year" value=(qt.year);
        input type="hidden" name="quarter" value=(qt.q);
        input type="hidden" name="region" value=(a.region);
    }
}

fn lines(a: &Analysis, qt: Quarter, u: &User, csrf: &str) -> Markup {
    let open = is_agency(u, a) && editable(a);
    html! {
        @if a.state.is_none() {
            p id="analysis-none" { (t("an-none")) }
        } @else {
            table id="analysis-table" {
                thead { tr {
                    th { (t("an-item")) } th { (t("an-side")) } th { (t("an-budget")) } th { (t("an-expected")) }
                    th { (t("an-executed")) } th { (t("an-deviation")) } th { (t("an-explanation")) }
                } }
                tbody {
                    @for l in &a.lines {
                        tr class=[l.beyond.then_some("beyond")] {
                            th scope="row" { (item_name(&l.item)) }
                            td { (zh(side_of(&l.item))) }
                            td class="num" { (yuan(l.budget)) }
                            td class="num" { (yuan(l.expected)) }
                            td class="num" { (yuan(l.executed)) }
                            td class="num" { (deviation_text(&l.deviation)) @if l.beyond { " ⚠" } }
                            td {
                                (l.explanation)
                                @if open && l.beyond {
                                    form method="post" action="/budget/analysis/act/explain" class="explain-form" id={ "explain-" (l.item) } {
                                        (hidden(qt, a, csrf))
                                        input type="hidden" name="item" value=(l.item);
                                        label for={ "text-" (l.item) } { (t("an-reason")) }
                                        input id={ "text-" (l.item) } name="text" value=(l.explanation) required;
                                        button type="submit" { (t("an-save")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn forms(a: &Analysis, qt: Quarter, u: &User, csrf: &str) -> Markup {
    let submitted = a.state.as_ref().is_some_and(|s| s.status == "submitted");
    let reviewer = !is_agency(u, a)
        && (u.role.has(Permission::BudgetReview) || u.role.has(Permission::BudgetHrssReview));
    html! {
        @if is_agency(u, a) && editable(a) {
            form method="post" action="/budget/analysis/act/draft" id="draft-form" {
                (hidden(qt, a, csrf))
                button type="submit" { @if a.state.is_none() { (t("an-draft")) } @else { (t("an-redraft")) } }
            }
            @if a.state.is_some() {
                form method="post" action="/budget/analysis/act/submit" id="submit-form" {
                    (hidden(qt, a, csrf))
                    button type="submit" { (t("an-submit")) }
                }
            }
        }
        @if submitted && reviewer {
            form method="post" action="/budget/analysis/act/review" id="review-form" {
                (hidden(qt, a, csrf))
                label { input type="radio" name="verdict" value="accept" checked; (t("an-accept")) }
                label { input type="radio" name="verdict" value="return"; (t("an-return")) }
                label for="reason" { (t("an-return-reason")) }
                input id="reason" name="reason";
                button type="submit" { (t("an-review")) }
            }
        }
    }
}

fn history(a: &Analysis) -> Markup {
    html! {
        @if !a.actions.is_empty() {
            h2 { (t("an-actions")) }
            table id="analysis-actions" {
                thead { tr { th { (t("an-time")) } th { (t("an-by")) } th { (t("an-action")) } th { (t("an-version")) } th { (t("an-reason-col")) } } }
                tbody {
                    @for x in &a.actions {
                        tr { td { (x.at) } td { (x.login) } td { (action_zh(&x.action)) } td { (x.version) } td { (x.reason) } }
                    }
                }
            }
        }
    }
}

fn action_zh(a: &str) -> &'static str {
    match a {
        "draft" => t("an-a-draft"),
        "explain" => t("an-a-explain"),
        "submit" => t("an-a-submit"),
        "accept" => t("an-a-accept"),
        "return" => t("an-a-return"),
        _ => t("an-other"),
    }
}

/// `POST /budget/analysis/act/{draft|explain|submit|review}`.
async fn act(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !crate::forms::csrf_ok(&token, &f) {
        return refuse(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let (qt, region) = match asked(&f) {
        Ok((qt, Some(r))) => (qt, r),
        Ok(_) => return refuse(StatusCode::BAD_REQUEST, &user.login, "region"),
        Err(e) => return refuse(e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let now = now_ms();
        let text = |k: &str| crate::forms::text(&f, k);
        let s = match action.as_str() {
            "draft" => analysis::draft(db, &who, qt, region, now)?,
            "explain" => {
                analysis::explain(db, &who, qt, region, &text("item"), &text("text"), now)?
            }
            "submit" => analysis::submit(db, &who, qt, region, now)?,
            "review" => {
                let reason = text("reason");
                let v = match text("verdict").as_str() {
                    "accept" => Verdict::Accept,
                    "return" => Verdict::Return(&reason),
                    _ => return Err(AppError::BadRequest(t("an-bad-verdict").into())),
                };
                analysis::review(db, &who, qt, region, v, now)?
            }
            _ => return Err(AppError::NotFound(t("an-no-action").into())),
        };
        Ok(s)
    })
    .await;
    match r {
        Ok(s) => {
            let msg = tf(
                "an-done",
                &[
                    ("region", &analysis::name(region)),
                    ("quarter", &quarter(qt)),
                    ("status", status_label(Some(&s.status))),
                    ("version", &s.version.to_string()),
                ],
            );
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("year", &qt.year.to_string())
                .append_pair("quarter", &qt.q.to_string())
                .append_pair("region", &region.to_string())
                .append_pair("done", &msg)
                .finish();
            Redirect::to(&format!("/budget/analysis?{q}")).into_response()
        }
        Err(e) => refuse(
            e.status(),
            &user.login,
            &tf("an-not-done", &[("reason", &e.message())]),
        ),
    }
}
