//! Gap sharing in the browser (缺口分担, `/gap`), through `tongchou_app::gap`: a year's gap per
//! county with its causes (collection shortfall, non-compliant expenditure, policy gap) and the
//! shares of province, city and county; each bearing government's liability, paid, outstanding
//! and overdue, with the settlements recorded. The provincial bureau officer computes a year
//! (after its end); the provincial finance department (finance officer or approver, as
//! `tongchou gap settle` requires) records a city's or county's payment into the provincial
//! fiscal special account. Both are CSRF-protected POST forms; the use cases check the role and
//! audit (`gap.compute`, `gap.settle`); a refusal answers 403, audited at the edge. Staff who
//! read reports see the counties within their region.

use crate::html::{csrf_field, nav_link, page, yuan};
use crate::lang::{t, tf};
use crate::table::{Grid, View as GridView};
use crate::workplace::{Fields, error_page, opt, staff};
use crate::{AppError, St, csrf_token, ct_eq, with_db};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde_json::Value as Json;
use tongchou_app::clock::{now, now_ms, today_china};
use tongchou_app::gap;
use tongchou_app::reports::Cell;
use tongchou_core::access::{Permission, Role};
use tongchou_core::{Date, Divisions, Fen, RegionCode};
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("gap-title");

/// Who sees the page: staff who read reports (their region's counties).
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead)
}

fn provincial(u: &User) -> bool {
    u.region == Divisions::shanxi().province().code
}

/// Who may compute a year: the provincial bureau officer.
fn may_compute(u: &User) -> bool {
    provincial(u) && u.role == Role::ProvinceBureauOfficer
}

/// Who may record a payment: the provincial finance department.
fn may_settle(u: &User) -> bool {
    provincial(u) && matches!(u.role, Role::FinanceOfficer | Role::FinanceApprover)
}

/// The page's routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/gap", get(show))
        .route("/gap/compute", post(compute))
        .route("/gap/settle", post(settle))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    nav_link(may_view(u), "/gap", "gap-link", crate::lang::t("nav-gap"))
}

fn refuse(status: StatusCode, login: &str, msg: &str) -> Response {
    error_page(t(TITLE), status, login, msg)
}

fn fen_of(v: &Json) -> Fen {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(Fen::ZERO)
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// The year asked for (`year`), else last year.
fn year_of(q: &Fields) -> Result<i32, String> {
    match opt(q, "year") {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| t("gap-bad-year").to_string()),
        None => Ok(today_china().year() - 1),
    }
}

/// `GET /gap[?year=Y]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match crate::signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let year = match year_of(&q) {
        Ok(y) => y,
        Err(m) => return refuse(StatusCode::BAD_REQUEST, &user.login, &m),
    };
    let region = user.region;
    let r = with_db(&st, move |db| match gap::show(db, year, today_china()) {
        Ok(v) => {
            let d = Divisions::shanxi();
            let own = v
                .settlements
                .iter()
                .filter(|s| RegionCode::from_stored(s.region).is_some_and(|c| d.within(c, region)))
                .cloned()
                .collect();
            Ok(Some((gap::json(&v, Some(region))?, own)))
        }
        Err(tongchou_app::AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    })
    .await;
    match r {
        Ok(view) => {
            if let Some((j, _)) = &view
                && let Some(file) = counties(j).export(&q, &format!("gap-{year}"))
            {
                return file;
            }
            let csrf = csrf_token(&token);
            let done = opt(&q, "done");
            let grid = GridView::of(&q);
            let body = body(&user, year, view.as_ref(), &grid, &csrf, done.as_deref());
            Html(page(
                &tf(
                    "gap-heading",
                    &[("title", t(TITLE)), ("year", &year.to_string())],
                ),
                Some(&user.login),
                body,
            ))
            .into_response()
        }
        Err(e) => refuse(e.status(), &user.login, &e.message()),
    }
}

type View = (Json, Vec<tongchou_store::governance::GapSettlement>);

fn body(
    user: &User,
    year: i32,
    view: Option<&View>,
    grid: &GridView,
    csrf: &str,
    done: Option<&str>,
) -> Markup {
    html! {
        @if let Some(msg) = done { p class="ok" id="gap-done" { (msg) } }
        form method="get" action="/gap" id="gap-year-form" {
            label for="year" { (t("gap-year")) }
            input id="year" name="year" value=(year) autocomplete="off";
            button type="submit" { (t("gap-show")) }
        }
        @match view {
            None => {
                p id="gap-none" { (tf("gap-none", &[("year", &year.to_string())])) }
                @if may_compute(user) { (compute_form(year, csrf)) }
            }
            Some((j, settlements)) => {
                (summary(j))
                (crate::report_charts::gap(j))
                h2 { (t("gap-by-county")) }
                div class="scroll" { (counties(j).render(&format!("/gap?year={year}"), grid)) }
                (governments(user, year, j, csrf))
                (settlement_list(settlements))
            }
        }
    }
}

fn compute_form(year: i32, csrf: &str) -> Markup {
    html! {
        form method="post" action="/gap/compute" id="gap-compute-form" {
            (csrf_field(csrf))
            input type="hidden" name="year" value=(year);
            label for="on" { (t("gap-on")) }
            input id="on" name="on" placeholder="YYYY-MM-DD";
            button type="submit" id="gap-compute" { (t("gap-compute")) }
        }
    }
}

fn summary(j: &Json) -> Markup {
    html! {
        dl id="gap-summary" {
            dt { (t("gap-gap")) } dd id="gap-total" { (yuan(fen_of(&j["gap"]))) }
            dt { (t("gap-expenditure")) } dd { (yuan(fen_of(&j["expenditure"]))) }
            dt { (t("gap-income")) } dd { (yuan(fen_of(&j["income"]))) }
            dt { (t("gap-due")) } dd { (text(&j["due_date"])) }
        }
    }
}

/// Per county with a gap: its gap, the causes, and the shares by level, as a grid (filter,
/// sort, pages, export).
fn counties(j: &Json) -> Grid {
    let empty = vec![];
    let regions = j["regions"].as_array().unwrap_or(&empty);
    let sum = |shares: &Json, level: &str| -> Fen {
        let mut t = Fen::ZERO;
        for s in shares.as_array().unwrap_or(&vec![]) {
            if s["level"] == level {
                t = t.checked_add(fen_of(&s["amount"])).unwrap_or(t);
            }
        }
        t
    };
    Grid {
        id: "gap-counties",
        title: tf("gap-counties-title", &[("year", &text(&j["year"]))]),
        cols: vec![
            (t("gap-col-county"), 18.0),
            (t("gap-col-gap"), 18.0),
            (t("gap-col-collection"), 18.0),
            (t("gap-col-noncompliant"), 18.0),
            (t("gap-col-policy"), 18.0),
            (t("gap-col-province"), 18.0),
            (t("gap-col-city"), 18.0),
            (t("gap-col-county-share"), 18.0),
        ],
        rows: regions
            .iter()
            .filter(|r| fen_of(&r["gap"]).is_positive())
            .map(|r| {
                vec![
                    Cell::Text(format!("{} {}", text(&r["region"]), text(&r["name"]))),
                    Cell::Money(fen_of(&r["gap"])),
                    Cell::Money(fen_of(&r["causes"]["collection_shortfall"])),
                    Cell::Money(fen_of(&r["causes"]["noncompliant"])),
                    Cell::Money(fen_of(&r["causes"]["policy"])),
                    Cell::Money(sum(&r["shares"], "province")),
                    Cell::Money(sum(&r["shares"], "city")),
                    Cell::Money(sum(&r["shares"], "county")),
                ]
            })
            .collect(),
        link: None,
    }
}

/// Each bearing government's liability with the settlement form for the finance department.
fn governments(user: &User, year: i32, j: &Json, csrf: &str) -> Markup {
    let empty = vec![];
    let govs = j["governments"].as_array().unwrap_or(&empty);
    let open: Vec<&Json> = govs
        .iter()
        .filter(|g| fen_of(&g["outstanding"]).is_positive())
        .collect();
    html! {
        h2 { (t("gap-govs")) }
        table id="gap-governments" {
            thead { tr { th { (t("gap-region")) } th { (t("gap-liable")) } th { (t("gap-paid")) } th { (t("gap-outstanding")) } th { (t("gap-overdue")) } } }
            tbody {
                @for g in govs {
                    tr id={ "gov-" (text(&g["region"])) } {
                        td { (text(&g["region"])) " " (text(&g["name"])) }
                        td class="num" { (yuan(fen_of(&g["amount"]))) }
                        td class="num" { (yuan(fen_of(&g["paid"]))) }
                        td class="num" { (yuan(fen_of(&g["outstanding"]))) }
                        td { @if g["overdue"] == true { span class="warning" { (t("gap-overdue-mark")) } } }
                    }
                }
            }
        }
        @if may_settle(user) && !open.is_empty() {
            h2 { (t("gap-settle-title")) }
            form method="post" action="/gap/settle" id="gap-settle-form" {
                (csrf_field(csrf))
                input type="hidden" name="year" value=(year);
                label for="region" { (t("gap-paying")) }
                select id="region" name="region" {
                    @for g in &open {
                        option value=(text(&g["region"])) {
                            (text(&g["region"])) " " (text(&g["name"])) (tf("gap-outstanding-of", &[("amount", &yuan(fen_of(&g["outstanding"])))]))
                        }
                    }
                }
                label for="amount" { (t("gap-amount")) }
                input id="amount" name="amount" inputmode="decimal";
                label for="settle-on" { (t("gap-settle-on")) }
                input id="settle-on" name="on" placeholder="YYYY-MM-DD";
                button type="submit" id="gap-settle" { (t("gap-settle")) }
            }
        }
    }
}

fn settlement_list(list: &[tongchou_store::governance::GapSettlement]) -> Markup {
    html! {
        @if !list.is_empty() {
            h2 { (t("gap-payments")) }
            table id="gap-settlements" {
                thead { tr { th { (t("gap-region")) } th { (t("gap-seq")) } th { (t("gap-amount-col")) } th { (t("gap-arrived")) } th { (t("gap-by")) } } }
                tbody { @for s in list { tr {
                    td { (s.region) } td { (s.seq) } td class="num" { (yuan(s.amount)) }
                    td { (s.paid_on.to_string()) } td { (s.recorded_by) }
                } } }
            }
        }
    }
}

/// The signed-in user of a POST with a valid CSRF field and the year it names, or the answer.
async fn poster(st: &St, headers: &HeaderMap, f: &Fields) -> Result<(User, i32), Response> {
    let (user, token) = staff(st, headers, t(TITLE)).await?;
    let sent = f.get("csrf").map(String::as_str).unwrap_or("");
    if !ct_eq(sent, &csrf_token(&token)) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        ));
    }
    match year_of(f) {
        Ok(y) => Ok((user, y)),
        Err(m) => Err(refuse(StatusCode::BAD_REQUEST, &user.login, &m)),
    }
}

fn day(f: &Fields, k: &str) -> Result<Date, AppError> {
    match opt(f, k) {
        None => Ok(today_china()),
        Some(s) => s
            .parse::<Date>()
            .map_err(|_| AppError::BadRequest(t("gap-bad-day").into())),
    }
}

fn answer(user: &User, year: i32, r: Result<String, AppError>) -> Response {
    match r {
        Ok(msg) => {
            let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
            Redirect::to(&format!("/gap?year={year}&done={q}")).into_response()
        }
        Err(e) => refuse(
            e.status(),
            &user.login,
            &tf("gap-not-done", &[("reason", &e.message())]),
        ),
    }
}

/// `POST /gap/compute`: `year`, `on`.
async fn compute(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, year) = match poster(&st, &headers, &f).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let who = user.principal();
    let r = match day(&f, "on") {
        Err(e) => Err(e),
        Ok(on) => {
            with_db(&st, move |db| {
                let created = gap::compute(db, &who, year, on, &now().to_string(), now_ms())?;
                let v = gap::show(db, year, on)?;
                let id = if created {
                    "gap-computed"
                } else {
                    "gap-computed-before"
                };
                Ok(tf(
                    id,
                    &[("year", &year.to_string()), ("amount", &yuan(v.year.gap))],
                ))
            })
            .await
        }
    };
    answer(&user, year, r)
}

/// `POST /gap/settle`: `year`, `region`, `amount` (blank: all outstanding), `on`.
async fn settle(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, year) = match poster(&st, &headers, &f).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let parsed = (|| {
        let region = opt(&f, "region")
            .and_then(|r| r.parse::<RegionCode>().ok())
            .ok_or_else(|| AppError::BadRequest(t("gap-bad-region").into()))?;
        let amount = match opt(&f, "amount") {
            None => None,
            Some(a) => Some(
                Fen::parse_grouped(&a)
                    .map_err(|_| AppError::BadRequest(t("gap-bad-amount").into()))?,
            ),
        };
        Ok::<_, AppError>(gap::Payment {
            year,
            region,
            amount,
            on: day(&f, "on")?,
        })
    })();
    let who = user.principal();
    let r = match parsed {
        Err(e) => Err(e),
        Ok(p) => {
            with_db(&st, move |db| {
                let paid = gap::settle(db, &who, &p, &now().to_string(), now_ms())?;
                Ok(tf(
                    "gap-settled",
                    &[("region", &p.region.to_string()), ("amount", &yuan(paid))],
                ))
            })
            .await
        }
    };
    answer(&user, year, r)
}
