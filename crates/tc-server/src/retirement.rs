//! Retirement approval in the browser (退休审批): the county agency's clerk submits an application
//! for an insured person of their county, found by ID number; a reviewer with
//! `retirement_approve` over the county opens it, sees the person's facts, the checks and the
//! pension the approval would fix with how each part is computed, and approves or refuses it
//! (never their own submission: `tongchou_app::benefits::retire::decide`). The list shows the
//! applications of the user's region. Every read of an application is audited
//! (`retirement.read`); refusals are audited by the use cases.

use crate::html::{Module, csrf_field, dl, explanation, page, yuan};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, ct_eq, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde_json::json;
use std::collections::HashMap;
use tongchou_app::benefits::retire::{self, Application, Award, Request, Verdict};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports::Cell;
use tongchou_core::access::{Masking, Permission, Principal};
use tongchou_core::{Divisions, IdNumber, Period, Policy, Ratio};
use tongchou_store::Db;
use tongchou_store::access::User;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::registry;

type Fields = HashMap<String, String>;

const TITLE: &str = crate::lang::msg("retire-retirement");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/retirement",
    id: "retirement",
    title: TITLE,
    nav: "nav-retirement",
};

/// Applications listed at most.
const LISTED: usize = 200;

/// Who sees the pages: who submits or decides retirements.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::RetirementSubmit) || u.role.has(Permission::RetirementApprove)
}

/// The pages' routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/retirement", get(list).post(submit))
        .route("/retirement/{id}", get(show))
        .route("/retirement/{id}/decision", post(decide))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn policy() -> Result<Policy, AppError> {
    Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<(User, String), Response> {
    crate::signed_in_for(st, headers, may_view, error_page).await
}

fn county_name(code: u32) -> String {
    tongchou_core::RegionCode::new(code)
        .ok()
        .and_then(|c| Divisions::shanxi().get(c))
        .map(|r| format!("{code} {}", r.name))
        .unwrap_or_else(|| code.to_string())
}

/// `待审批 pending`, `已批准 approved`, `未批准 refused`.
fn status_label(s: &str) -> &str {
    match s {
        "pending" => t("retire-pending"),
        "approved" => t("retire-approved"),
        "refused" => t("retire-refused"),
        other => other,
    }
}

fn kind_label(s: &str) -> &str {
    match s {
        "statutory" => t("retire-statutory"),
        "flexible_early" => t("retire-flexible-early"),
        "flexible_late" => t("retire-flexible-late"),
        other => other,
    }
}

fn within(who: &Principal, county: u32) -> bool {
    let d = Divisions::shanxi();
    tongchou_core::RegionCode::new(county).is_ok_and(|c| d.within(c, who.region))
}

/// The applications as a grid (filter, sort, pages, export), each linked to its page.
fn applications_grid(apps: &[Application]) -> Grid {
    let text = |s: &str| Cell::Text(s.to_string());
    Grid {
        id: "applications",
        title: t("retire-applications-title").into(),
        cols: vec![
            (t("retire-application"), 8.0),
            (t("retire-person-no"), 12.0),
            (t("retire-county"), 12.0),
            (t("retire-retirement-month"), 10.0),
            (t("col-kind"), 14.0),
            (t("web-status"), 14.0),
            (t("retire-submitted-at"), 22.0),
        ],
        rows: apps
            .iter()
            .map(|a| {
                vec![
                    Cell::Int(a.id),
                    Cell::Int(a.person),
                    Cell::Text(county_name(a.county)),
                    Cell::Text(a.retire.to_string()),
                    text(kind_label(&a.kind)),
                    text(status_label(&a.status)),
                    text(&tongchou_app::audit_log::china_time(&a.submitted_at)),
                ]
            })
            .collect(),
        link: Some(|r| format!("/retirement/{}", r[0].text())),
    }
}

fn list_body(
    user: &User,
    token: &str,
    apps: &[Application],
    grid: &Grid,
    view: &View,
    status: &str,
    last: Markup,
) -> Markup {
    html! {
        (last)
        @if user.role.has(Permission::RetirementSubmit) {
            h2 { (t("retire-submit-an-application")) }
            form method="post" action="/retirement" id="retire-form" {
                (csrf_field(&csrf_token(token)))
                label for="id_number" { (t("page-id-number")) }
                input id="id_number" name="id_number" maxlength="18" autocomplete="off" required;
                label for="retire" { (t("retire-retire-label")) }
                input id="retire" name="retire" placeholder="2025-06" autocomplete="off";
                label for="deemed_index" { (t("retire-deemed-index-label")) }
                input id="deemed_index" name="deemed_index" placeholder="1.0" autocomplete="off";
                label for="bank_code" { (t("retire-bank-code")) }
                input id="bank_code" name="bank_code" required autocomplete="off";
                label for="bank_name" { (t("retire-bank-name")) }
                input id="bank_name" name="bank_name" required autocomplete="off";
                label for="bank_account" { (t("retire-bank-account")) }
                input id="bank_account" name="bank_account" required autocomplete="off";
                br;
                button type="submit" id="retire-submit" { (t("record-submit")) }
            }
        }
        h2 { (t("retire-applications")) }
        p class="filters" {
            @for (s, l) in [("", t("retire-all")), ("pending", t("retire-pending")), ("approved", t("retire-approved")), ("refused", t("retire-refused"))] {
                @if s == status { strong { (l) } } @else { a href={ "/retirement?status=" (s) } { (l) } }
                " "
            }
        }
        @if apps.is_empty() {
            p id="no-applications" { (t("retire-no-application")) }
        } @else {
            (grid.render(&format!("/retirement?status={status}"), view))
        }
    }
}

async fn render_list(
    st: &St,
    user: &User,
    token: &str,
    (status, q): (String, &Fields),
    code: StatusCode,
    last: Markup,
) -> Response {
    let who = user.principal();
    let filter = status.clone();
    let apps = with_db(st, move |db| {
        let s = (!filter.is_empty()).then_some(filter.as_str());
        let mut all = retire::list(db, s, None)?;
        all.retain(|a| within(&who, a.county));
        all.reverse();
        all.truncate(LISTED);
        Ok(all)
    })
    .await;
    match apps {
        Ok(apps) => {
            let grid = applications_grid(&apps);
            if let Some(file) = grid.export(q, "retirement-applications") {
                return file;
            }
            let view = View::of(q);
            (
                code,
                Html(page(
                    t(TITLE),
                    Some(&user.login),
                    list_body(user, token, &apps, &grid, &view, &status, last),
                )),
            )
                .into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// `GET /retirement[?status=pending|approved|refused]`.
async fn list(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let status = q.get("status").cloned().unwrap_or_default();
    if !["", "pending", "approved", "refused"].contains(&status.as_str()) {
        return error_page(StatusCode::BAD_REQUEST, &user.login, t("retire-bad-status"));
    }
    render_list(&st, &user, &token, (status, &q), StatusCode::OK, html! {}).await
}

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

/// The person an ID number names, for a submission: a number that is not registered and one of
/// another region get the same answer (the use case audits the second).
pub(crate) fn person_of(db: &mut Db, id_number: &str) -> Result<i64, AppError> {
    let id = IdNumber::parse(id_number, today_china())
        .map_err(|e| AppError::BadRequest(tf("retire-bad-id", &[("reason", &e.to_string())])))?;
    registry::person_id_by_number(db, id.as_str())?
        .ok_or_else(|| AppError::NotFound(t("retire-no-insured-person-of-your").into()))
}

fn parse_request(f: &Fields) -> Result<(Option<Period>, Option<Ratio>), AppError> {
    let retire = match field(f, "retire") {
        "" => None,
        s => Some(
            s.parse::<Period>()
                .map_err(|_| AppError::BadRequest(t("retire-bad-month").into()))?,
        ),
    };
    let deemed = match field(f, "deemed_index") {
        "" => None,
        s => Some(
            s.parse::<Ratio>()
                .map_err(|_| AppError::BadRequest(t("retire-bad-deemed-index").into()))?,
        ),
    };
    Ok((retire, deemed))
}

/// `POST /retirement`: submit an application.
async fn submit(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !ct_eq(field(&f, "csrf"), &csrf_token(&token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let (retire, deemed_index) = parse_request(&f)?;
        let person = person_of(db, field(&f, "id_number"))?;
        let req = Request {
            person,
            retire,
            deemed_index,
            bank_code: field(&f, "bank_code"),
            bank_name: field(&f, "bank_name"),
            bank_account: field(&f, "bank_account"),
        };
        let app = retire::submit(db, &policy()?, &who, &req, now_ms());
        match app {
            Ok(a) => Ok(a),
            // a person of another region: the same answer as an unknown number
            Err(tongchou_app::AppError::Forbidden(_)) => Err(AppError::NotFound(
                t("retire-no-insured-person-of-your").into(),
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await;
    match r {
        Ok(a) => Redirect::to(&format!("/retirement/{}", a.id)).into_response(),
        Err(e) => {
            let msg = html! { p class="error" id="retirement-error" { (t("retire-not-submitted")) (e.message()) } };
            let none = Fields::new();
            render_list(&st, &user, &token, (String::new(), &none), e.status(), msg).await
        }
    }
}

/// An application, the person as the viewer may see them, and the pension an approval would fix
/// (for a pending one) or fixed (read again from the facts for a decided one).
struct Detail {
    app: Application,
    name: String,
    id_number: String,
    facts: Option<retire::Facts>,
    award: Option<Award>,
    /// For an approved application: the pension in force.
    pension_now: Option<tongchou_core::Fen>,
}

/// Read an application for `who`: region checked (a refusal audited), the read audited.
fn detail(db: &mut Db, who: &Principal, id: i64) -> Result<Detail, AppError> {
    let app = retire::get(db, id)?
        .ok_or_else(|| AppError::NotFound(tf("retire-no-such", &[("id", &id.to_string())])))?;
    let region = tongchou_core::RegionCode::new(app.county).map_err(|e| AppError::Internal(e.0))?;
    let oid = format!("application:{id}");
    let t = tongchou_store::access::Target {
        action: "retirement.read",
        object_type: "retirement_application",
        object_id: &oid,
        region,
    };
    let need = if who.role.has(Permission::RetirementApprove) {
        Permission::RetirementApprove
    } else {
        Permission::RetirementSubmit
    };
    tongchou_store::access::authorize(db, who, need, &t, now_ms())
        .map_err(|_| AppError::NotFound(tf("retire-no-such", &[("id", &id.to_string())])))?;
    let p = registry::person_record(db, app.person)?
        .ok_or_else(|| AppError::Internal(format!("person {} vanished", app.person)))?;
    let m = Masking::for_viewer(who, Some(p.id));
    let pension_now = registry::pension_record(db, app.person)?.map(|p| p.monthly);
    let (facts, award) = if app.status == "approved" {
        (None, None)
    } else {
        let policy = policy()?;
        let person = retire::load_person(db, app.person)?;
        let facts = retire::gather_facts(db, &policy, &person, app.retire)?;
        let award = retire::compute_award(&policy, &app, &facts).ok();
        (Some(facts), award)
    };
    audit::append(
        db,
        &Entry {
            actor: &Actor::of(who),
            action: "retirement.read",
            object_type: "retirement_application",
            object_id: &oid,
            region: Some(app.county),
            result: "ok",
            details: json!({"person": app.person, "via": "page"}),
        },
        now_ms(),
    )?;
    Ok(Detail {
        name: m.name(&p.name),
        id_number: m.id_number(&p.id_number),
        app,
        facts,
        award,
        pension_now,
    })
}

fn facts_html(f: &retire::Facts) -> Markup {
    html! {
        h2 { (t("retire-the-person-s-record-at")) }
        (dl(&[
            (t("page-months-paid-2"), f.paid_months.to_string()),
            (t("page-deemed-months"), f.deemed_months.to_string()),
            (t("retire-average-index"), f.avg_index.to_string()),
            (t("retire-account-balance"), yuan(f.account_balance)),
            (t("retire-open-arrears"), yuan(f.open_arrears)),
        ]))
        (explanation(t("retire-average-index"), &f.explanations.average_index))
        (explanation(t("retire-account-balance"), &f.explanations.account_balance))
    }
}

fn award_html(a: &Award) -> Markup {
    let p = &a.pension;
    html! {
        h2 { (t("retire-the-pension")) }
        p id="award-total" { (t("retire-monthly-pension")) strong { (yuan(p.total)) } (tf("retire-from", &[("from", &a.effective_from.to_string())])) }
        (dl(&[
            (t("page-basic"), yuan(p.basic)),
            (t("page-account-2"), yuan(p.account)),
            (t("page-transitional"), yuan(p.transitional)),
            (t("retire-benefit-base"), yuan(a.benefit_base)),
            (t("retire-divisor-months"), format!("{}.{}", p.divisor_tenths / 10, p.divisor_tenths % 10)),
        ]))
        (explanation(t("page-basic"), &p.explain.basic))
        (explanation(t("page-account-2"), &p.explain.account))
        (explanation(t("page-transitional"), &p.explain.transitional))
        @for w in &p.warnings { p class="warning" { (w) } }
    }
}

fn detail_body(user: &User, token: &str, d: &Detail, last: Markup) -> Markup {
    let a = &d.app;
    let may_decide = a.status == "pending"
        && user.role.has(Permission::RetirementApprove)
        && a.submitted_by != user.id;
    html! {
        (last)
        div id="application" {
            (dl(&[
                (t("retire-application"), a.id.to_string()),
                (t("page-name"), d.name.clone()),
                (t("page-id-number"), d.id_number.clone()),
                (t("retire-county"), county_name(a.county)),
                (t("retire-retirement-month"), a.retire.to_string()),
                (t("imports-kind"), kind_label(&a.kind).to_string()),
                (t("web-status"), status_label(&a.status).to_string()),
                (t("retire-submitted-at"), tongchou_app::audit_log::china_time(&a.submitted_at)),
                (t("page-bank"), a.bank_name.clone()),
                (t("retire-note"), a.note.clone()),
            ]))
        }
        @if !a.refusals.is_empty() {
            h2 { (t("retire-checks-not-met")) }
            ul id="refusals" { @for r in &a.refusals { li { (r.reason) " (" (r.code) ")" } } }
        }
        @if let Some(f) = &d.facts { (facts_html(f)) }
        @if let Some(aw) = &d.award { (award_html(aw)) }
        @if let (Some(m), "approved") = (d.pension_now, a.status.as_str()) {
            p id="pension-now" { (t("retire-pension-in-force")) strong { (yuan(m)) } }
        }
        @if may_decide {
            h2 { (t("retire-decision")) }
            form method="post" action={ "/retirement/" (a.id) "/decision" } id="retire-decision" {
                (csrf_field(&csrf_token(token)))
                label { input type="radio" name="verdict" value="approve" required; (t("retire-approve")) }
                label { input type="radio" name="verdict" value="refuse"; (t("retire-refuse")) }
                label for="note" { (t("retire-note-label")) }
                textarea id="note" name="note" maxlength="500" {}
                label { input type="checkbox" name="confirm_refuse" value="yes"; (t("retire-i-confirm-the-refusal")) }
                br;
                button type="submit" id="decide" { (t("plans-decide")) }
            }
        }
        p { a href="/retirement" { (t("chain-back-to-the-list")) } }
    }
}

async fn render_detail(
    st: &St,
    user: &User,
    token: &str,
    id: i64,
    code: StatusCode,
    last: Markup,
) -> Response {
    let who = user.principal();
    match with_db(st, move |db| detail(db, &who, id)).await {
        Ok(d) => (
            code,
            Html(page(
                &format!("{} · {id}", t(TITLE)),
                Some(&user.login),
                detail_body(user, token, &d, last),
            )),
        )
            .into_response(),
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// `GET /retirement/{id}`.
async fn show(State(st): State<St>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            &user.login,
            t("retire-no-such-application"),
        );
    };
    render_detail(&st, &user, &token, id, StatusCode::OK, html! {}).await
}

/// `POST /retirement/{id}/decision`.
async fn decide(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            &user.login,
            t("retire-no-such-application"),
        );
    };
    if !ct_eq(field(&f, "csrf"), &csrf_token(&token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let verdict = match field(&f, "verdict") {
        "approve" => Verdict::Approve,
        "refuse" if field(&f, "confirm_refuse") != "yes" => {
            let m =
                html! { p class="error" id="retirement-error" { (t("retire-tick-to-refuse")) } };
            return render_detail(&st, &user, &token, id, StatusCode::BAD_REQUEST, m).await;
        }
        "refuse" if field(&f, "note").is_empty() => {
            let m = html! { p class="error" id="retirement-error" { (t("retire-a-refusal-needs-a-note")) } };
            return render_detail(&st, &user, &token, id, StatusCode::BAD_REQUEST, m).await;
        }
        "refuse" => Verdict::Refuse,
        _ => {
            let m = html! { p class="error" id="retirement-error" { (t("retire-choose-approve-or-refuse")) } };
            return render_detail(&st, &user, &token, id, StatusCode::BAD_REQUEST, m).await;
        }
    };
    let who = user.principal();
    let note = field(&f, "note").to_string();
    let r = with_db(&st, move |db| {
        Ok(retire::decide(
            db,
            &policy()?,
            &who,
            id,
            verdict,
            &note,
            now_ms(),
        )?)
    })
    .await;
    let (code, msg) = match r {
        Ok(d) => (
            StatusCode::OK,
            html! { p id="decided" { (t("retire-decided")) (status_label(&d.application.status)) } },
        ),
        Err(e) => (
            e.status(),
            html! { p class="error" id="retirement-error" { (t("retire-not-decided")) (e.message()) } },
        ),
    };
    render_detail(&st, &user, &token, id, code, msg).await
}
