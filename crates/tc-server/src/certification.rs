//! Eligibility certification (领取养老金资格认证) in the browser, through
//! `tongchou_app::certification`:
//! - `/certification?month=YYYY-MM`: the standing per county within the staff member's region on
//!   the payroll day of the month (certified, due soon, overdue, suspended) and the month's
//!   reminders, suspensions and resumptions; a county clerk certifies a pensioner at the counter
//!   (`/certification/record`, person id and day; checked, audited, a suspended pensioner resumed
//!   with the months missed).
//! - `/me/certification`: a pensioner's own standing, certifications and notices, and the
//!   self-service certification (a stand-in for face verification, marked as such).

use crate::html::{csrf_field, error_response, page, yuan};
use crate::lang::{t, tf, zh};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::certification::{self as cert, Certified, Report};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports::Cell;
use tongchou_core::access::{Permission, Role};
use tongchou_core::{Date, Period, Policy};
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const TITLE: &str = crate::lang::msg("cert-title");

pub(crate) fn may_view(u: &User) -> bool {
    [
        Permission::BenefitRead,
        Permission::PersonWrite,
        Permission::ReportRead,
    ]
    .iter()
    .any(|p| u.role.has(*p))
        && u.role != Role::InsuredPerson
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(status, login, t(TITLE), "cert-error", None, msg)
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<(User, String), Response> {
    match current(st, headers).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(e.status(), "", &e.message())),
    }
}

fn policy() -> Result<Policy, AppError> {
    Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))
}

/// The report page, with the counter form for those who may certify.
pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !may_view(&user) {
        return error_page(StatusCode::FORBIDDEN, &user.login, t("cert-denied"));
    }
    let month = match q.get("month").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        None => today_china().period(),
        Some(m) => match m.parse::<Period>() {
            Ok(p) => p,
            Err(_) => {
                return error_page(StatusCode::BAD_REQUEST, &user.login, t("cert-bad-month"));
            }
        },
    };
    let region = user.region;
    let r = with_db(&st, move |db| {
        Ok(cert::report(db, &policy()?, month, region)?)
    })
    .await;
    let report = match r {
        Ok(r) => r,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let grid = counties_grid(&report);
    if let Some(file) = grid.export(&q, &format!("certification-{}", report.month)) {
        return file;
    }
    let counter = user
        .role
        .has(Permission::PersonWrite)
        .then(|| csrf_token(&token));
    Html(page(
        t(TITLE),
        Some(&user.login),
        report_html(
            &report,
            &grid.render(
                &format!("/certification?month={}", report.month),
                &View::of(&q),
            ),
            counter.as_deref(),
            q.get("done").map(String::as_str),
        ),
    ))
    .into_response()
}

/// The standing of every county as a grid (filter, sort, pages, export); the province's total
/// below it.
fn counties_grid(r: &Report) -> Grid {
    let n = |v: i64| Cell::Int(v);
    let u = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    Grid {
        id: "cert-report",
        title: tf("cert-report-title", &[("month", &r.month.to_string())]),
        cols: vec![
            (t("cert-col-region"), 18.0),
            (t("cert-col-pensioners"), 10.0),
            (t("cert-col-certified"), 10.0),
            (t("cert-col-due-soon"), 10.0),
            (t("cert-col-overdue"), 10.0),
            (t("cert-col-susp-uncertified"), 12.0),
            (t("cert-col-susp-death"), 12.0),
            (t("cert-col-susp-other"), 10.0),
            (t("cert-col-reminders"), 10.0),
            (t("cert-col-suspensions"), 10.0),
            (t("cert-col-resumptions"), 10.0),
            (t("cert-col-resumed-amount"), 16.0),
        ],
        rows: r
            .counties
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(format!("{} {}", c.name, c.region)),
                    u(c.pensioners),
                    u(c.certified),
                    u(c.due_soon),
                    u(c.overdue),
                    u(c.suspended_uncertified),
                    u(c.suspended_death_record),
                    u(c.suspended_other),
                    n(c.reminders),
                    n(c.suspensions),
                    n(c.resumptions),
                    Cell::Money(c.resumed_amount),
                ]
            })
            .collect(),
        link: None,
    }
}

fn report_html(r: &Report, grid: &Markup, csrf: Option<&str>, done: Option<&str>) -> Markup {
    let interval = r
        .interval_months
        .map(|m| tf("cert-interval", &[("n", &m.to_string())]))
        .unwrap_or_else(|| t("cert-not-applied").into());
    html! {
        @if let Some(msg) = done { p class="ok" id="cert-done" { (msg) } }
        form method="get" action="/certification" {
            label for="month" { (t("cert-month")) }
            input id="month" name="month" value=(r.month.to_string());
            button type="submit" { (t("cert-show")) }
        }
        p { (tf("cert-rules", &[("on", &r.on.to_string()), ("interval", &interval)])) }
        (grid)
        table id="cert-total" {
            thead { tr {
                th { (t("cert-total")) } th { (t("cert-pensioners")) } th { (t("cert-certified")) } th { (t("cert-due-soon")) } th { (t("cert-overdue")) }
                th { (t("cert-susp-uncertified")) } th { (t("cert-susp-death")) } th { (t("cert-susp-other")) }
                th { (t("cert-reminders")) } th { (t("cert-suspensions")) } th { (t("cert-resumptions")) } th { (t("cert-resumed-amount")) }
            } }
            tbody {
                @for c in std::iter::once(&r.total) {
                    tr {
                        td { (c.name) " " (c.region) }
                        td class="num" { (c.pensioners) }
                        td class="num" { (c.certified) }
                        td class="num" { (c.due_soon) }
                        td class="num" { (c.overdue) }
                        td class="num" { (c.suspended_uncertified) }
                        td class="num" { (c.suspended_death_record) }
                        td class="num" { (c.suspended_other) }
                        td class="num" { (c.reminders) }
                        td class="num" { (c.suspensions) }
                        td class="num" { (c.resumptions) }
                        td class="num" { (yuan(c.resumed_amount)) }
                    }
                }
            }
        }
        @if let Some(token) = csrf {
            h2 { (t("cert-counter-title")) }
            form method="post" action="/certification/record" id="cert-form" {
                (csrf_field(token))
                label for="person" { (t("cert-person")) }
                input id="person" name="person" required;
                label for="on" { (t("cert-on")) }
                input id="on" name="on";
                button type="submit" id="certify" { (t("cert-certify")) }
            }
        }
    }
}

fn outcome(c: &Certified) -> String {
    match &c.resumed {
        Some(r) => tf(
            "cert-resumed",
            &[
                ("person", &c.person.to_string()),
                ("on", &c.on.to_string()),
                ("months", &r.months.to_string()),
                ("from", &r.suspended_from.to_string()),
                ("amount", &yuan(r.amount)),
                ("paid_in", &r.paid_in.to_string()),
            ],
        ),
        None => tf(
            if c.new {
                "cert-certified-on"
            } else {
                "cert-already"
            },
            &[("person", &c.person.to_string()), ("on", &c.on.to_string())],
        ),
    }
}

/// Where a certification came from as `tongchou_app::certification` records it (`窗口 <login>`,
/// the self-service stand-in), in the reader's language; any other source as recorded.
fn source_text(s: &str) -> String {
    if let Some(login) = s.strip_prefix("窗口 ") {
        tf("cert-source-counter", &[("login", login)])
    } else if s.starts_with("自助认证") {
        t("cert-v-self").to_string()
    } else {
        s.to_string()
    }
}

fn day_of(s: &str) -> Result<Date, AppError> {
    if s.is_empty() {
        return Ok(today_china());
    }
    s.parse::<Date>()
        .map_err(|_| AppError::BadRequest(tf("cert-bad-on", &[("value", &format!("{s:?}"))])))
}

/// A clerk certifies a pensioner at the counter.
pub async fn record(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !ct_eq(&field("csrf"), &csrf_token(&token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let Ok(person) = field("person").parse::<i64>() else {
        return error_page(StatusCode::BAD_REQUEST, &user.login, t("cert-bad-person"));
    };
    let on = match day_of(&field("on")) {
        Ok(d) => d,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        Ok(cert::certify(
            db,
            &who,
            person,
            on,
            today_china(),
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(c) => {
            let msg = outcome(&c);
            let url = format!(
                "/certification?month={}&done={}",
                on.period(),
                urlencoding(&msg)
            );
            Redirect::to(&url).into_response()
        }
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("cert-not-certified", &[("reason", &e.message())]),
        ),
    }
}

/// A query value percent-encoded (`form_urlencoded`).
fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A pensioner's own certification page.
pub async fn mine(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(person) = user.person_id.filter(|_| user.role == Role::InsuredPerson) else {
        return error_page(StatusCode::FORBIDDEN, &user.login, t("cert-insured-only"));
    };
    let r = with_db(&st, move |db| {
        Ok(cert::own(db, &policy()?, person, today_china())?)
    })
    .await;
    let own = match r {
        Ok(o) => o,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let body = match own {
        None => {
            html! { p id="cert-none" { (t("cert-none")) } }
        }
        Some(o) => html! {
            @if let Some(msg) = q.get("done") { p class="ok" id="cert-done" { (msg) } }
            @if let Some(s) = o.standing {
                p id="cert-standing" { (t("cert-standing-is")) strong { (zh(s.chinese())) } (tf("cert-next-due", &[("due", &s.due().to_string())])) }
            }
            @if let Some(m) = o.suspended_from {
                p class="error" id="cert-suspended" { (tf("cert-suspended", &[("month", &m.to_string())])) }
            }
            form method="post" action="/me/certification" id="self-form" {
                (csrf_field(&csrf_token(&token)))
                p { (t("cert-self-help")) }
                button type="submit" id="self-certify" { (t("cert-self")) }
            }
            h2 { (t("cert-events-title")) }
            table id="cert-events" {
                thead { tr { th { (t("cert-date")) } th { (t("cert-method")) } th { (t("cert-source")) } } }
                tbody { @for (d, m, s) in &o.events { tr { td { (d.to_string()) } td { (zh(m)) } td { (source_text(s)) } } } }
            }
            h2 { (t("cert-notices-title")) }
            table id="cert-notices" {
                thead { tr { th { (t("cert-pay-month")) } th { (t("cert-notice")) } th { (t("cert-date")) } th { (t("cert-months")) } th { (t("cert-amount")) } } }
                tbody { @for (m, k, d, n, a) in &o.notices {
                    tr { td { (m.to_string()) } td { (zh(k)) } td { (d.to_string()) } td class="num" { (n) } td class="num" { (yuan(*a)) } }
                } }
            }
        },
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

/// The pensioner certifies themselves (self-service).
pub async fn certify_mine(
    State(st): State<St>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let csrf = f.get("csrf").map(|s| s.trim()).unwrap_or_default();
    if !ct_eq(csrf, &csrf_token(&token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let Some(person) = user.person_id else {
        return error_page(StatusCode::FORBIDDEN, &user.login, t("cert-insured-only"));
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let today = today_china();
        Ok(cert::certify(db, &who, person, today, today, now_ms())?)
    })
    .await;
    match r {
        Ok(c) => Redirect::to(&format!(
            "/me/certification?done={}",
            urlencoding(&outcome(&c))
        ))
        .into_response(),
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("cert-not-certified", &[("reason", &e.message())]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_chinese_and_spaces() {
        assert_eq!(urlencoding("a b"), "a+b");
        assert_eq!(urlencoding("认"), "%E8%AE%A4");
        assert_eq!(urlencoding("1,234.00"), "1%2C234.00");
    }

    #[test]
    fn staff_roles_see_the_report_insured_persons_do_not() {
        let may = |r: Role| {
            [
                Permission::BenefitRead,
                Permission::PersonWrite,
                Permission::ReportRead,
            ]
            .iter()
            .any(|p| r.has(*p))
                && r != Role::InsuredPerson
        };
        assert!(may(Role::CountyAgency));
        assert!(may(Role::ProvinceBureauOfficer));
        assert!(!may(Role::InsuredPerson));
        assert!(!may(Role::SystemAdmin));
    }
}
