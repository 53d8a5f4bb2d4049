//! Eligibility certification (领取养老金资格认证) in the browser, through
//! `tongchou_app::certification`:
//! - `/certification?month=YYYY-MM`: the standing per county within the staff member's region on
//!   the payroll day of the month (certified, due soon, overdue, suspended) and the month's
//!   reminders, suspensions and resumptions; a county clerk certifies a pensioner at the counter
//!   (`/certification/record`, person id and day; checked, audited, a suspended pensioner resumed
//!   with the months missed).
//! - `/me/certification`: a pensioner's own standing, certifications and notices, and the
//!   self-service certification (a stand-in for face verification, marked as such).

use crate::html::{csrf_field, page};
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

const TITLE: &str = "待遇资格认证 Eligibility certification";

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
    (
        status,
        Html(page(
            TITLE,
            Some(login),
            html! { p class="error" id="cert-error" { (msg) } },
        )),
    )
        .into_response()
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
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            "无权查看待遇资格认证情况 You may not see certification figures",
        );
    }
    let month = match q.get("month").map(|m| m.trim()).filter(|m| !m.is_empty()) {
        None => today_china().period(),
        Some(m) => match m.parse::<Period>() {
            Ok(p) => p,
            Err(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    &user.login,
                    "月份格式应为 YYYY-MM (month: expected YYYY-MM)",
                );
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
        TITLE,
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
        title: format!("{} 待遇资格认证情况", r.month),
        cols: vec![
            ("地区", 18.0),
            ("待遇人员", 10.0),
            ("已认证", 10.0),
            ("即将到期", 10.0),
            ("逾期未认证", 10.0),
            ("暂停（未认证）", 12.0),
            ("暂停（死亡信息）", 12.0),
            ("其他暂停", 10.0),
            ("本月提醒", 10.0),
            ("本月暂停", 10.0),
            ("本月恢复", 10.0),
            ("补发金额（元）", 16.0),
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
        .map(|m| format!("{m} 个月"))
        .unwrap_or_else(|| "未实行".into());
    html! {
        @if let Some(msg) = done { p class="ok" id="cert-done" { (msg) } }
        form method="get" action="/certification" {
            label for="month" { "月份 Month" }
            input id="month" name="month" value=(r.month.to_string());
            button type="submit" { "查询 Show" }
        }
        p { "发放日 " (r.on.to_string()) "，认证周期 " (interval)
            "。逾期未认证者由当月发放暂停，认证后恢复并补发暂停期间待遇。" }
        (grid)
        table id="cert-total" {
            thead { tr {
                th { "合计" } th { "待遇人员" } th { "已认证" } th { "即将到期" } th { "逾期未认证" }
                th { "暂停（未认证）" } th { "暂停（死亡信息）" } th { "其他暂停" }
                th { "本月提醒" } th { "本月暂停" } th { "本月恢复" } th { "补发金额" }
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
                        td class="num" { (c.resumed_amount.grouped()) " 元" }
                    }
                }
            }
        }
        @if let Some(token) = csrf {
            h2 { "窗口认证 Certify at the counter" }
            form method="post" action="/certification/record" id="cert-form" {
                (csrf_field(token))
                label for="person" { "人员编号 Person id" }
                input id="person" name="person" required;
                label for="on" { "认证日期 Day (YYYY-MM-DD，默认今天)" }
                input id="on" name="on";
                button type="submit" id="certify" { "确认认证 Certify" }
            }
        }
    }
}

fn outcome(c: &Certified) -> String {
    match &c.resumed {
        Some(r) => format!(
            "人员 {} 已于 {} 认证；恢复发放，{} 个月（自 {}）共 {} 元由 {} 发放补发。",
            c.person,
            c.on,
            r.months,
            r.suspended_from,
            r.amount.grouped(),
            r.paid_in
        ),
        None if c.new => format!("人员 {} 已于 {} 认证。", c.person, c.on),
        None => format!("人员 {} 在 {} 的认证已有记录，未作改变。", c.person, c.on),
    }
}

fn day_of(s: &str) -> Result<Date, AppError> {
    if s.is_empty() {
        return Ok(today_china());
    }
    s.parse::<Date>()
        .map_err(|_| AppError::BadRequest(format!("认证日期 {s:?}: expected YYYY-MM-DD")))
}

/// A clerk certifies a pensioner at the counter.
pub async fn record(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !ct_eq(&field("csrf"), &csrf_token(&token)) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let Ok(person) = field("person").parse::<i64>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            "人员编号应为数字 (person: a person id)",
        );
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
            &format!("未认证 Not certified: {}", e.message()),
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
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            "仅参保人本人可使用 For insured persons only",
        );
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
            html! { p id="cert-none" { "您尚未领取基本养老金，无需认证。 You draw no pension: nothing to certify." } }
        }
        Some(o) => html! {
            @if let Some(msg) = q.get("done") { p class="ok" id="cert-done" { (msg) } }
            @if let Some(s) = o.standing {
                p id="cert-standing" { "认证状态：" strong { (s.chinese()) } "，下次认证截止 " (s.due().to_string()) }
            }
            @if let Some(m) = o.suspended_from {
                p class="error" id="cert-suspended" { "您的养老金自 " (m.to_string()) " 起暂停发放；完成认证后恢复并补发暂停期间待遇。" }
            }
            form method="post" action="/me/certification" id="self-form" {
                (csrf_field(&csrf_token(&token)))
                p { "自助认证（演示环境：以此按钮代替人脸识别） Self-service certification — a stand-in for face verification" }
                button type="submit" id="self-certify" { "本人认证 Certify myself" }
            }
            h2 { "认证记录 Certifications" }
            table id="cert-events" {
                thead { tr { th { "日期" } th { "方式" } th { "来源" } } }
                tbody { @for (d, m, s) in &o.events { tr { td { (d.to_string()) } td { (m) } td { (s) } } } }
            }
            h2 { "通知 Notices" }
            table id="cert-notices" {
                thead { tr { th { "发放月份" } th { "通知" } th { "日期" } th { "月数" } th { "金额" } } }
                tbody { @for (m, k, d, n, a) in &o.notices {
                    tr { td { (m.to_string()) } td { (k) } td { (d.to_string()) } td class="num" { (n) } td class="num" { (a.grouped()) " 元" } }
                } }
            }
        },
    };
    Html(page(TITLE, Some(&user.login), body)).into_response()
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
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let Some(person) = user.person_id else {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            "仅参保人本人可使用 For insured persons only",
        );
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
            &format!("未认证 Not certified: {}", e.message()),
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
