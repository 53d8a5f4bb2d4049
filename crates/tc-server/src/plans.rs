//! Fund-use applications (用款计划) in the browser: the months' applications, one month's plan by
//! city and county within the user's region, and the finance department's decision on it (in
//! full, in part or rejected with a reason), made by the approver themself through
//! `tongchou_app::disburse::decide_fund_plan`: never by the officer who submitted it, once,
//! audited like every decision. The month's `approve` step applies it.

use crate::html::{csrf_field, esc, page};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use tongchou_app::clock::now_ms;
use tongchou_app::disburse;
use tongchou_core::access::Permission;
use tongchou_core::{Divisions, Fen, Period, RegionCode};
use tongchou_engine::disbursement::Decision;
use tongchou_store::Db;
use tongchou_store::access::User;
use tongchou_store::plans::{self as store, Application};

type Fields = HashMap<String, String>;

/// Who may see applications: those who submit, review, approve plans or read reports.
pub(crate) fn may_view(u: &User) -> bool {
    [
        Permission::PlanSubmit,
        Permission::PlanReview,
        Permission::PlanApprove,
        Permission::ReportRead,
    ]
    .iter()
    .any(|p| u.role.has(*p))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    (
        status,
        Html(page(
            "用款计划 Fund-use plans",
            Some(login),
            &format!("<p class=\"error\" id=\"plan-error\">{}</p>", esc(msg)),
        )),
    )
        .into_response()
}

fn month_of(s: &str) -> Result<Period, AppError> {
    s.parse::<Period>()
        .map_err(|_| AppError::BadRequest(format!("month {s:?}: expected YYYY-MM")))
}

/// The applications, latest first, or the one of `month` (the same store read as the month's
/// job and the CLI).
fn applications(db: &mut Db, month: Option<Period>) -> Result<Vec<Application>, AppError> {
    Ok(store::applications(db, month)?)
}

/// The months whose application awaits the finance department's decision, oldest first.
pub(crate) fn pending_months(db: &mut Db) -> Result<Vec<Period>, AppError> {
    Ok(store::pending_months(db)?)
}

fn status_label(s: &str) -> &'static str {
    match s {
        "pending" => "待批复 pending",
        "approved" => "全额批复 approved",
        "partly_approved" => "部分批复 partly approved",
        "rejected" => "不予批复 rejected",
        _ => "?",
    }
}

/// `GET /plans`: the latest applications.
pub async fn list(State(st): State<St>, headers: HeaderMap) -> Response {
    let user = match current(&st, &headers).await {
        Ok(Some((u, _))) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    if !may_view(&user) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "无权访问 Access denied");
    }
    let apps = match with_db(&st, |db| applications(db, None)).await {
        Ok(a) => a,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let mut body = String::from(
        "<table id=\"applications\"><tr><th>月份 Month</th><th>计划 Planned</th>\
         <th>批复 Approved</th><th>状态 Status</th></tr>",
    );
    for a in &apps {
        body.push_str(&format!(
            "<tr><td><a href=\"/plans/{m}\">{m}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.planned,
            a.approved.map(|f| f.to_string()).unwrap_or_default(),
            esc(status_label(&a.status)),
            m = a.month,
        ));
    }
    body.push_str("</table>");
    if apps.is_empty() {
        body.push_str("<p>尚无用款计划 No application yet.</p>");
    }
    Html(page("用款计划 Fund-use plans", Some(&user.login), &body)).into_response()
}

/// `GET /plans/{month}`: the plan by city and county within the user's region, and the
/// decision form for an approver while it is pending.
pub async fn show(State(st): State<St>, headers: HeaderMap, Path(month): Path<String>) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    if !may_view(&user) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "无权访问 Access denied");
    }
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let region = user.region;
    let r = with_db(&st, move |db| {
        let app = applications(db, Some(month))?.into_iter().next();
        let rows = store::region_plans(db, month)?;
        let figures = disburse::figures(db, month)?;
        Ok((app, rows, figures))
    })
    .await;
    let (app, rows, figures) = match r {
        Ok((Some(a), rows, f)) => (a, rows, f),
        Ok((None, _, _)) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &user.login,
                &format!("{month}: 尚无用款计划 no application (its plans step has not run)"),
            );
        }
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let d = Divisions::shanxi();
    let mut body = format!(
        "<dl id=\"application\"><dt>月份 Month</dt><dd>{month}</dd>\
         <dt>省级计划 Planned (province)</dt><dd id=\"planned\">{}</dd>\
         <dt>状态 Status</dt><dd id=\"status\" data-status=\"{}\">{}</dd>\
         <dt>批复金额 Approved</dt><dd id=\"approved\">{}</dd>\
         <dt>说明 Note</dt><dd>{}</dd></dl>",
        app.planned,
        esc(&app.status),
        esc(status_label(&app.status)),
        app.approved.map(|f| f.to_string()).unwrap_or_default(),
        esc(&app.note),
    );
    body.push_str(
        "<table id=\"plan-rows\"><tr><th>代码 Code</th><th>地区 Region</th><th>层级 Level</th>\
         <th>计划 Planned</th><th>批复 Approved</th></tr>",
    );
    for r in &rows {
        let code = r.region;
        // each user sees the rows of their own region
        if !d.within(code, region) {
            continue;
        }
        let name = d.get(code).map(|x| x.name.as_str()).unwrap_or("");
        body.push_str(&format!(
            "<tr><td>{code}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            esc(r.level.as_str()),
            r.planned,
            r.approved.map(|f| f.to_string()).unwrap_or_default(),
        ));
    }
    body.push_str("</table>");
    // execution: how the month's money went, per city (and the province) within the region
    let shown: Vec<_> = figures
        .iter()
        .filter(|f| RegionCode::from_stored(f.region as i64).is_some_and(|c| d.within(c, region)))
        .collect();
    if !shown.is_empty() {
        body.push_str(
            "<h2>执行 Execution</h2><table id=\"execution\"><tr><th>代码 Code</th><th>地区 Region</th>\
             <th>应发 Payroll</th><th>余额抵用 From balance</th><th>拨付 Allocated</th>\
             <th>迟拨天数 Days late</th><th>已发放 Paid</th><th>退回 Returned</th>\
             <th>待回执 Pending</th><th>暂缓 Deferred</th></tr>",
        );
        for f in shown {
            let name = RegionCode::from_stored(f.region as i64)
                .and_then(|c| d.get(c))
                .map(|x| x.name.as_str())
                .unwrap_or("");
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.region,
                esc(name),
                f.need,
                f.from_balance,
                f.allocated,
                f.late_days,
                f.paid,
                f.returned,
                f.pending,
                f.deferred,
            ));
        }
        body.push_str("</table>");
    }
    if app.status == "pending" && user.role.has(Permission::PlanApprove) {
        let csrf = csrf_token(&token);
        body.push_str(&format!(
            "<form method=\"post\" action=\"/plans/{month}/decision\" id=\"decision-form\">{}\
             <label for=\"decision\">决定 Decision</label>\
             <select id=\"decision\" name=\"decision\">\
             <option value=\"full\">全额批复 Approve in full</option>\
             <option value=\"partial\">部分批复 Approve in part</option>\
             <option value=\"reject\">不予批复 Reject</option></select>\
             <label for=\"amount\">批复金额（元）Approved amount (yuan), in part</label>\
             <input id=\"amount\" name=\"amount\" inputmode=\"decimal\" autocomplete=\"off\">\
             <label for=\"reason\">理由 Reason (of a rejection)</label>\
             <input id=\"reason\" name=\"reason\" maxlength=\"500\" autocomplete=\"off\">\
             <br><button type=\"submit\" id=\"decide\">提交 Decide</button></form>",
            csrf_field(&csrf)
        ));
    }
    body.push_str("<p><a href=\"/plans\">全部月份 All months</a></p>");
    Html(page(
        &format!("用款计划 Fund-use plan {month}"),
        Some(&user.login),
        &body,
    ))
    .into_response()
}

/// `POST /plans/{month}/decision`: the approver's decision.
pub async fn decide(
    State(st): State<St>,
    headers: HeaderMap,
    Path(month): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !ct_eq(&field("csrf"), &csrf_token(&token)) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let decision = match field("decision").as_str() {
        "full" => Decision::Full,
        "partial" => match field("amount").parse::<Fen>() {
            Ok(a) => Decision::Partial { approved: a },
            Err(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    &user.login,
                    "amount: 批复金额 the approved amount in yuan, e.g. 1234567.89",
                );
            }
        },
        "reject" => Decision::Rejected {
            reason: field("reason"),
        },
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &user.login,
                "decision: full, partial or reject",
            );
        }
    };
    // the engine checks who may decide (never the submitter; the approve permission over the
    // province), once, and audits refusals
    let who = user.principal();
    let r = with_db(&st, move |db| {
        disburse::decide_fund_plan(db, &who, month, &decision, now_ms()).map_err(AppError::from)
    })
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/plans/{month}")).into_response(),
        Err(e) => error_page(
            e.status(),
            &user.login,
            &format!("决定未记录 Decision not recorded: {}", e.message()),
        ),
    }
}
