//! Fund-use applications (用款计划) in the browser: the months' applications, one month's plan by
//! city and county within the user's region, and the finance department's decision on it (in
//! full, in part or rejected with a reason), made by the approver themself through
//! `tongchou_app::disburse::decide_fund_plan`: never by the officer who submitted it, once,
//! audited like every decision. The month's `approve` step applies it.

use crate::html::{csrf_field, error_response, page, yuan};
use crate::lang::{t, tf};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
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
    error_response(
        status,
        login,
        t("page-fund-use-plans"),
        "plan-error",
        None,
        msg,
    )
}

fn month_of(s: &str) -> Result<Period, AppError> {
    s.parse::<Period>().map_err(|_| {
        AppError::BadRequest(tongchou_core::tr!(
            "web-err-month",
            value = format!("{s:?}")
        ))
    })
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
        "pending" => t("plans-pending"),
        "approved" => t("plans-approved"),
        "partly_approved" => t("plans-partly-approved"),
        "rejected" => t("plans-rejected"),
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
        return error_page(StatusCode::FORBIDDEN, &user.login, t("plans-access-denied"));
    }
    let apps = match with_db(&st, |db| applications(db, None)).await {
        Ok(a) => a,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let body = html! {
        table id="applications" {
            tr { th { (t("plans-month")) } th { (t("plans-planned")) } th { (t("plans-approved-2")) } th { (t("web-status")) } }
            @for a in &apps {
                tr {
                    td { a href={ "/plans/" (a.month) } { (a.month) } }
                    td { (a.planned) }
                    td { @if let Some(f) = a.approved { (f) } }
                    td { (status_label(&a.status)) }
                }
            }
        }
        @if apps.is_empty() {
            p { (t("plans-no-application-yet")) }
        }
    };
    Html(page(t("page-fund-use-plans"), Some(&user.login), body)).into_response()
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
        return error_page(StatusCode::FORBIDDEN, &user.login, t("plans-access-denied"));
    }
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    render(&st, &user, &token, month, None).await
}

/// The plan page of `month`, with `error` (a refused decision: its status and message) shown
/// above the form, so that the approver corrects it where they are.
async fn render(
    st: &St,
    user: &User,
    token: &str,
    month: Period,
    error: Option<(StatusCode, String)>,
) -> Response {
    let region = user.region;
    let r = with_db(st, move |db| {
        let app = applications(db, Some(month))?.into_iter().next();
        let rows = store::region_plans(db, month)?;
        let figures = disburse::figures(db, month)?;
        let fund = tongchou_app::warn::latest(db, region)?;
        let p = Divisions::shanxi().province().code;
        let room = tongchou_app::execution::headroom(db, month, p)?;
        let balance = tongchou_app::warn::provincial_fund(db, month)?;
        Ok((app, rows, figures, (fund, room, balance)))
    })
    .await;
    let (app, rows, figures, (fund, room, balance)) = match r {
        Ok((Some(a), rows, f, fund)) => (a, rows, f, fund),
        Ok((None, _, _, _)) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &user.login,
                &tf("plans-no-application", &[("month", &month.to_string())]),
            );
        }
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let d = Divisions::shanxi();
    let name_of = |code: RegionCode| d.get(code).map(|x| x.name.as_str()).unwrap_or("");
    // each user sees the rows of their own region
    let plan_rows: Vec<(RegionCode, &str, Fen, Option<Fen>)> = rows
        .iter()
        .filter(|r| d.within(r.region, region))
        .map(|r| (r.region, r.level.as_str(), r.planned, r.approved))
        .collect();
    // execution: how the month's money went, per city (and the province) within the region
    let shown: Vec<_> = figures
        .iter()
        .filter_map(|f| {
            RegionCode::from_stored(f.region as i64)
                .filter(|c| d.within(*c, region))
                .map(|c| (f, name_of(c)))
        })
        .collect();
    let may_decide = app.status == "pending" && user.role.has(Permission::PlanApprove);
    let body = html! {
        @if let Some((_, m)) = &error {
            p class="error" id="plan-error" { (m) }
        }
        (application_dl(month, &app, fund, balance))
        @if may_decide {
            (decision_form(month, token, app.planned, room))
        }
        h2 { (t("plans-plans-by-region")) }
        table id="plan-rows" {
            tr { th { (t("plans-code")) } th { (t("plans-region")) } th { (t("page-level")) } th { (t("plans-planned")) } th { (t("plans-approved-2")) } }
            @for (code, level, planned, approved) in &plan_rows {
                tr {
                    td { (code) } td { (name_of(*code)) } td { (level_zh(level)) } td class="num" { (yuan(*planned)) }
                    td class="num" { @if let Some(f) = approved { (yuan(*f)) } }
                }
            }
        }
        @if !shown.is_empty() {
            h2 { (t("plans-execution")) }
            table id="execution" {
                tr {
                    th { (t("plans-code")) } th { (t("plans-region")) } th { (t("plans-payroll")) } th { (t("plans-from-balance")) }
                    th { (t("plans-allocated")) } th { (t("plans-days-late")) } th { (t("plans-paid")) } th { (t("plans-returned")) }
                    th { (t("plans-pending-2")) } th { (t("plans-deferred")) }
                }
                @for (f, name) in &shown {
                    tr {
                        td { (f.region) } td { (name) } td class="num" { (yuan(f.need)) }
                        td class="num" { (yuan(f.from_balance)) } td class="num" { (yuan(f.allocated)) }
                        td class="num" { (f.late_days) } td class="num" { (yuan(f.paid)) }
                        td class="num" { (yuan(f.returned)) } td class="num" { (yuan(f.pending)) }
                        td class="num" { (yuan(f.deferred)) }
                    }
                }
            }
        }
        p { a href="/plans" { (t("plans-all-months")) } }
    };
    let status = error.map(|(s, _)| s).unwrap_or(StatusCode::OK);
    (
        status,
        Html(page(
            &tf("plans-title", &[("month", &month.to_string())]),
            Some(&user.login),
            body,
        )),
    )
        .into_response()
}

/// The application's facts.
fn application_dl(
    month: Period,
    app: &tongchou_store::plans::Application,
    fund: Option<(Period, Option<i64>, usize)>,
    (balance, payable): (Fen, Option<i64>),
) -> maud::Markup {
    html! {
        dl id="application" {
            dt { (t("plans-month")) } dd { (month) }
            dt { (t("plans-planned-province")) } dd id="planned" data-fen=(app.planned.fen()) { (yuan(app.planned)) }
            dt { (t("web-status")) } dd id="status" data-status=(app.status) { (status_label(&app.status)) }
            dt { (t("plans-approved-3")) } dd id="approved" { @if let Some(f) = approved_amount(app) { (yuan(f)) } }
            dt { (t("plans-note")) } dd { (app.note) }
            dt { (t("plans-fund-balance")) }
            dd id="plan-balance" data-fen=(balance.fen()) {
                (yuan(balance))
                (tf("plans-balance-payable", &[("month", &month.to_string()), ("n", &payable.map_or_else(|| "—".to_string(), tongchou_engine::warning::tenths_text))]))
            }
            dt { (t("plans-months-payable")) }
            dd id="plan-months-payable" { (months_payable(fund)) }
        }
    }
}

/// The amount approved: as recorded, or the whole plan for an approval in full (recorded as
/// its amount only when the month's `approve` step applies it).
fn approved_amount(app: &tongchou_store::plans::Application) -> Option<Fen> {
    app.approved
        .or_else(|| (app.status == "approved").then_some(app.planned))
}

/// A plan row's level in Chinese.
fn level_zh(level: &str) -> &str {
    match level {
        "province" => t("plans-province"),
        "city" => t("plans-city"),
        "county" => t("plans-county"),
        other => other,
    }
}

/// The months the accumulated balance can pay, of the latest closed month, with its warnings.
fn months_payable(fund: Option<(Period, Option<i64>, usize)>) -> maud::Markup {
    html! {
        @match fund {
            Some((at, Some(m), warnings)) => {
                (tf("plans-payable", &[("n", &tongchou_engine::warning::tenths_text(m)), ("at", &at.to_string()), ("warnings", &warnings.to_string())]))
            }
            Some((at, None, _)) => { (tf("plans-payable-none", &[("at", &at.to_string())])) }
            None => { (t("plans-no-month-closed")) }
        }
    }
}

/// The finance approver's decision form, the rejection to be confirmed against its amount.
fn decision_form(
    month: Period,
    token: &str,
    planned: Fen,
    room: Option<tongchou_app::execution::Headroom>,
) -> maud::Markup {
    html! {
        @if let Some(h) = room {
            p id="budget-room" class=(if planned > h.remaining { "warning" } else { "ok" }) {
                (tf("plans-budget-room", &[("number", &h.budget_number.to_string()), ("budget", &yuan(h.budget)), ("executed", &yuan(h.executed)), ("committed", &yuan(h.committed)), ("remaining", &yuan(h.remaining))]))
                @if planned > h.remaining { (t("plans-over-budget")) }
            }
        } @else {
            p id="budget-room" class="warning" {
                (tf("plans-no-budget", &[("year", &month.year().to_string())]))
            }
        }
        form method="post" action={ "/plans/" (month) "/decision" } id="decision-form" {
            (csrf_field(&csrf_token(token)))
            label for="decision" { (t("plans-decision")) }
            select id="decision" name="decision" {
                option value="full" { (t("plans-approve-in-full")) }
                option value="partial" { (t("plans-approve-in-part")) }
                option value="reject" { (t("plans-reject")) }
            }
            label for="amount" { (t("plans-amount")) }
            input id="amount" name="amount" inputmode="decimal" autocomplete="off";
            label for="reason" { (t("plans-reason-of-a-rejection")) }
            input id="reason" name="reason" maxlength="500" autocomplete="off";
            label for="confirm-reject" {
                input id="confirm-reject" name="confirm_reject" type="checkbox" value="yes";
                " " (tf("plans-confirm-reject", &[("amount", &yuan(planned))]))
            }
            br;
            label for="override-budget" {
                input id="override-budget" name="override_budget" type="checkbox" value="yes";
                (t("plans-i-confirm-paying-beyond-the"))
            }
            br;
            button type="submit" id="decide" { (t("plans-decide")) }
        }
    }
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
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let month = match month_of(&month) {
        Ok(m) => m,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let decision = match field("decision").as_str() {
        "full" => Decision::Full,
        "partial" => match Fen::parse_grouped(&field("amount")).ok() {
            Some(a) => Decision::Partial { approved: a },
            None => {
                let m = t("plans-the-approved-amount-in-yuan").to_string();
                return render(
                    &st,
                    &user,
                    &token,
                    month,
                    Some((StatusCode::BAD_REQUEST, m)),
                )
                .await;
            }
        },
        "reject" if field("confirm_reject") != "yes" => {
            let m = t("plans-a-rejection-must-be-confirmed").to_string();
            return render(
                &st,
                &user,
                &token,
                month,
                Some((StatusCode::BAD_REQUEST, m)),
            )
            .await;
        }
        "reject" => Decision::Rejected {
            reason: field("reason"),
        },
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &user.login,
                crate::lang::t("web-err-decision"),
            );
        }
    };
    // the engine checks who may decide (never the submitter; the approve permission over the
    // province), once, and audits refusals; and the budget's headroom unless overridden
    let who = user.principal();
    let over = field("override_budget") == "yes";
    let r = with_db(&st, move |db| {
        disburse::decide_fund_plan_checked(db, &who, month, &decision, over, now_ms())
            .map_err(AppError::from)
    })
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/plans/{month}")).into_response(),
        Err(e) => {
            let m = tf("plans-not-recorded", &[("reason", &e.message())]);
            render(&st, &user, &token, month, Some((e.status(), m))).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_approval_reads_as_the_plan() {
        let mut app = tongchou_store::plans::Application {
            month: "2022-06".parse().expect("month"),
            approval_id: 1,
            planned: Fen::new(419_436),
            approved: None,
            status: "pending".into(),
            note: String::new(),
        };
        assert_eq!(approved_amount(&app), None);
        app.status = "approved".into();
        assert_eq!(approved_amount(&app), Some(Fen::new(419_436)));
        app.status = "partly_approved".into();
        app.approved = Some(Fen::new(300_000));
        assert_eq!(approved_amount(&app), Some(Fen::new(300_000)));
    }

    #[test]
    fn amounts_read_with_separators_and_unit() {
        assert_eq!(yuan(Fen::new(1_411_557_969)), "14,115,579.69 元");
    }
}
