//! HTML pages: landing, login/logout, dashboard, person lookup, "my records", the estimator.

use crate::html::{self, csrf_field, dl, page};
use crate::lang::{msg, t, tf};
use crate::{
    AppError, PRE_COOKIE, SESSION_COOKIE, St, client, cookie, csrf_token, ct_eq, current, guard,
    person, set_cookie, with_db, with_db_audited,
};
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use std::net::SocketAddr;
use tongchou_app::clock::now_ms;
use tongchou_core::Divisions;
use tongchou_core::access::Permission;
use tongchou_store::access::{self, AuthError, random_bytes};
use tongchou_store::audit::hex;

type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

fn html_error(e: AppError, login: Option<&str>) -> Response {
    let status = e.status();
    let msg = match status {
        StatusCode::FORBIDDEN => tf("web-access-denied", &[("reason", &e.message())]),
        StatusCode::UNAUTHORIZED => t("page-please-log-in").to_string(),
        _ => e.message(),
    };
    (
        status,
        Html(page(
            t("page-error"),
            login,
            html! { p class="error" { (msg) } },
        )),
    )
        .into_response()
}

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::CSS,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    html_error(AppError::NotFound(t("page-not-found").into()), None)
}

pub async fn home(State(st): State<St>, headers: HeaderMap) -> Response {
    let user = current(&st, &headers).await.ok().flatten();
    let body = html! {
        p { (t("page-home-intro")) }
        ul {
            li { a href="/login" { (t("page-staff-log-in")) } }
            li { a href="/me/records" { (t("page-my-records")) } (t("page-insured-persons")) }
            li { a href="/me/certification" { (t("page-eligibility-certification")) } (t("page-pensioners")) }
            li { a href="/estimate" { (t("page-pension-estimator")) } (t("page-public")) }
        }
    };
    Html(page(
        t("web-brand"),
        user.as_ref().map(|(u, _)| u.login.as_str()),
        body,
    ))
    .into_response()
}

fn login_page(key: &[u8; 32], pre: &str, message: Option<&str>) -> String {
    let body = html! {
        @if let Some(m) = message {
            p class="error" id="login-error" { (m) }
        }
        form method="post" action="/login" id="login-form" {
            (csrf_field(&access::login_csrf(key, pre)))
            label for="login" { (t("page-login")) }
            input id="login" name="login" autocomplete="username" required;
            label for="password" { (t("page-password")) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            label for="otp" { (t("page-one-time-code")) small { (t("page-otp-hint")) } }
            input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}";
            br;
            button type="submit" id="login-submit" { (t("web-log-in")) }
        }
    };
    page(t("web-log-in"), None, body)
}

fn new_pre() -> Result<String, AppError> {
    Ok(hex(&random_bytes::<32>()?))
}

pub async fn login_form(State(st): State<St>) -> Response {
    let pre = match new_pre() {
        Ok(p) => p,
        Err(e) => return html_error(e, None),
    };
    let key = match guard::login_key(&st).await {
        Ok(k) => k,
        Err(e) => return html_error(e, None),
    };
    (
        [(
            header::SET_COOKIE,
            set_cookie(&st.cfg, PRE_COOKIE, &pre, Some(3600)),
        )],
        Html(login_page(&key, &pre, None)),
    )
        .into_response()
}

pub async fn login_submit(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    if let Some(refused) = guard::over_quota(&st, &addr, guard::Bucket::Login).await {
        return refused;
    }
    let key = match guard::login_key(&st).await {
        Ok(k) => k,
        Err(e) => return html_error(e, None),
    };
    // login CSRF: the form's token must match the pre-session cookie set with the form
    let pre = cookie(&headers, PRE_COOKIE).unwrap_or_default();
    if pre.is_empty() || !ct_eq(field(&f, "csrf"), &access::login_csrf(&key, &pre)) {
        return html_error(
            AppError::Forbidden(crate::lang::t("web-err-login-csrf").into()),
            None,
        );
    }
    let login = field(&f, "login").trim().to_string();
    let password = field(&f, "password").to_string();
    let otp = Some(field(&f, "otp").to_string()).filter(|c| !c.trim().is_empty());
    let policy = st.cfg.policy.clone();
    let c = client(&addr);
    let Some(_permit) = guard::hashing_permit(&st).await else {
        return html_error(
            AppError::Unavailable(t("page-too-many-logins-at-once").into()),
            None,
        );
    };
    let r = with_db(&st, move |db| {
        match access::login_with_code(db, &login, &password, otp.as_deref(), &c, &policy, now_ms())
        {
            Ok(s) => Ok(Ok(s)),
            Err(AuthError::Store(e)) => Err(AppError::Internal(e.to_string())),
            Err(e) => Ok(Err(e)),
        }
    })
    .await;
    match r {
        Ok(Ok(s)) => {
            let mut res = Redirect::to("/dashboard").into_response();
            let h = res.headers_mut();
            if let Ok(v) = set_cookie(&st.cfg, SESSION_COOKIE, &s.token, None).parse() {
                h.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = set_cookie(&st.cfg, PRE_COOKIE, "", Some(0)).parse() {
                h.append(header::SET_COOKIE, v);
            }
            res
        }
        Ok(Err(_)) => {
            // one message for unknown login, wrong password, locked or inactive account
            let pre = match new_pre() {
                Ok(p) => p,
                Err(e) => return html_error(e, None),
            };
            (
                StatusCode::UNAUTHORIZED,
                [(
                    header::SET_COOKIE,
                    set_cookie(&st.cfg, PRE_COOKIE, &pre, Some(3600)),
                )],
                Html(login_page(
                    &key,
                    &pre,
                    Some(t("page-login-failed-wrong-login-or")),
                )),
            )
                .into_response()
        }
        Err(e) => html_error(e, None),
    }
}

pub async fn logout(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    if !ct_eq(field(&f, "csrf"), &csrf_token(&token)) {
        return html_error(AppError::Forbidden("csrf".into()), None);
    }
    if let Err(e) = with_db(&st, move |db| Ok(access::logout(db, &token, now_ms())?)).await {
        return html_error(e, None);
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(&st.cfg, SESSION_COOKIE, "", Some(0)).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn dashboard(State(st): State<St>, headers: HeaderMap) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return html_error(e, None),
    };
    let d = Divisions::shanxi();
    let (region_name, level) = d
        .get(user.region)
        .map(|r| (r.name.clone(), crate::lang::zh(r.level.label_zh())))
        .unwrap_or_default();
    let counties = d
        .counties()
        .filter(|c| d.within(c.code, user.region))
        .count();
    let csrf = csrf_token(&token);
    let awaiting = if crate::plans::may_view(&user) && user.role.has(Permission::PlanApprove) {
        match with_db(&st, crate::plans::pending_months).await {
            Ok(months) => months,
            Err(e) => return html_error(e, Some(&user.login)),
        }
    } else {
        Vec::new()
    };
    let fund = if user.role.has(Permission::ReportRead) {
        let region = user.region;
        let latest = with_db(&st, move |db| {
            let Some(r) = tongchou_app::warn::latest_report(db)? else {
                return Ok(None);
            };
            let chart = crate::report_charts::dashboard(&r, region);
            Ok(Some((tongchou_app::warn::summary(&r, region)?, chart)))
        });
        match latest.await {
            Ok(f) => f,
            Err(e) => return html_error(e, Some(&user.login)),
        }
    } else {
        None
    };
    let body = html! {
        p id="welcome" { (t("page-welcome")) (user.display_name) }
        @if let Some(((month, months, warnings), chart)) = fund {
            p id="months-payable" {
                (tf("page-months-payable", &[("month", &month.to_string()), ("region", &region_name)]))
                @match months {
                    Some(m) => { (tf("page-n-months", &[("n", &tongchou_engine::warning::tenths_text(m))])) }
                    None => { "—" }
                }
                (tf("page-warnings", &[("n", &warnings.to_string())])) " "
                a href={ "/reports/warn?period=" (month) } id="warn-link" { (t("page-see-warnings")) }
            }
            (chart)
        }
        (dl(&[
            (t("page-login-2"), user.login.clone()),
            (t("page-role"), user.role.label(crate::lang::lang()).to_string()),
            (t("page-region"), format!("{region_name} ({})", user.region)),
            (t("page-level"), level.to_string()),
            (t("page-counties-in-scope"), counties.to_string()),
            (t("page-permissions"), crate::workplace::permissions_zh(user.role)),
        ]))
        p id="region" data-code=(user.region) { (region_name) }
        @if user.role.has(Permission::PersonRead) {
            form method="post" action="/persons/lookup" id="lookup-form" {
                (csrf_field(&csrf))
                label for="id_number" { (t("page-id-number")) }
                input id="id_number" name="id_number" maxlength="18" autocomplete="off" required;
                br;
                button type="submit" { (t("page-look-up")) }
            }
        }
        @if crate::plans::may_view(&user) {
            p { a href="/plans" id="plans-link" { (t("page-fund-use-plans")) } }
            @if !awaiting.is_empty() {
                p id="awaiting" {
                    (t("page-awaiting-your-decision"))
                    @for (i, m) in awaiting.iter().enumerate() {
                        @if i > 0 { " " }
                        a href={ "/plans/" (m) } { (m) }
                    }
                }
            }
        }
        (workplace_links(&user))
        form method="post" action="/logout" id="logout-form" {
            (csrf_field(&csrf))
            button type="submit" { (t("page-log-out")) }
        }
    };
    Html(page(t("web-dashboard"), Some(&user.login), body)).into_response()
}

/// The dashboard's links to the pages of the user's jobs: reports and accounts, bank returns,
/// dues, their own records, the benefit follow-up pages (certification, recoveries), imports,
/// retirement. A page module with a `links` function adds one line here.
fn workplace_links(user: &access::User) -> Markup {
    html! {
        @if user.role.has(Permission::ReportRead) {
            p { a href="/reports" id="reports-link" { (t("page-reports")) } }
            p { a href="/accounts/final" id="accounts-link" { (t("page-final-accounts")) } " " a href="/close" id="close-link" { (t("page-period-close")) } " " a href="/budget" id="budget-link" { (t("page-budget")) } }
        }
        @if user.role.has(Permission::BankReturnImport) {
            p { a href="/bank/returns" id="returns-link" { (t("page-bank-returns")) } }
        }
        @if user.role.has(Permission::ContributionRead) && user.role.has(Permission::PersonReadFullId) {
            p { a href="/dues" id="dues-link" { (t("page-dues-for-the-tax-bureau")) } }
        }
        @if user.role.has(Permission::OwnRecordRead) {
            p { a href="/me/records" id="my-records-link" { (t("page-my-records")) } }
            p { a href="/me/certification" id="my-cert-link" { (t("page-my-eligibility-certification")) } }
        }
        (crate::imports::links(user))
        (crate::retirement::links(user))
        (crate::month::links(user))
        (crate::workplace::links(user))
        (crate::chain::links(user))
        (crate::budget::links(user))
        (crate::evaluation_pages::links(user))
        (crate::analysis_pages::links(user))
        (crate::backpay::links(user))
        (crate::gap_pages::links(user))
        (crate::projection_pages::links(user))
        (crate::central_reserve::links(user))
        (crate::paying_accounts::links(user))
        (crate::search::links(user))
        (crate::claims::links(user))
        (crate::migration_pages::links(user))
        (crate::transfers::links(user))
        @if crate::certification::may_view(user) {
            p { a href="/certification" id="cert-link" { (t("page-eligibility-certification")) } }
        }
        @if crate::recoveries::may_view(user) {
            p { a href="/recoveries" id="rec-link" { (t("page-recoveries")) } }
        }
    }
}

/// A registry value as staff and insured persons read it (`male` → `男 male`, …).
pub(crate) fn zh(v: &str) -> String {
    let l = match v {
        "male" => t("value-male"),
        "female" => t("value-female"),
        "active" => t("value-active"),
        "suspended" => t("value-suspended"),
        "retired" => t("value-retired"),
        "deceased" => t("value-deceased"),
        "transferred_out" => t("value-transferred_out"),
        _ => return v.to_string(),
    };
    l.to_string()
}

/// An amount the JSON carries as yuan text (`120000.00`) as `120,000.00 元`.
fn yuan_text(v: &str) -> String {
    match v.parse::<tongchou_core::Fen>() {
        Ok(f) => crate::html::yuan(f),
        Err(_) => v.to_string(),
    }
}

pub(crate) fn person_html(v: &serde_json::Value) -> Markup {
    let s = |k: &str| match &v[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows = vec![
        (t("page-id-number"), s("id_number")),
        (t("page-name"), s("name")),
        (t("page-sex"), zh(&s("sex"))),
        (t("page-birth"), s("birth")),
        (
            t("page-county"),
            format!(
                "{} ({})",
                v["county"]["name"].as_str().unwrap_or(""),
                v["county"]["code"].as_str().unwrap_or("")
            ),
        ),
        (
            t("web-status"),
            tf(
                "page-status-since",
                &[("status", &zh(&s("status"))), ("since", &s("status_since"))],
            ),
        ),
        (t("page-enrolled"), s("enrolled_on")),
        (t("page-months-paid"), s("paid_months")),
        (t("page-deemed-months"), s("deemed_months")),
        (t("page-account-balance"), yuan_text(&s("account_balance"))),
    ];
    if let Some(p) = v["pension"].as_object() {
        let g = |k: &str| {
            p.get(k)
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .unwrap_or_default()
        };
        rows.push((t("page-monthly-pension"), yuan_text(&g("monthly"))));
        rows.push((t("page-bank"), g("bank_name")));
        rows.push((t("page-account"), g("bank_account")));
    }
    dl(&rows)
}

pub async fn person_lookup(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return html_error(e, None),
    };
    if !ct_eq(field(&f, "csrf"), &csrf_token(&token)) {
        return html_error(AppError::Forbidden("csrf".into()), Some(&user.login));
    }
    let id_number = field(&f, "id_number").to_string();
    let c = client(&addr);
    let u = user.clone();
    match with_db_audited(&st, move |db| {
        let (answer, e) = person::read_by_id_number(db, &u, &id_number, "page", &c, now_ms())?;
        Ok((answer.and_then(|v| v.to_value()), e))
    })
    .await
    {
        Ok(v) => Html(page(t("page-person"), Some(&user.login), person_html(&v))).into_response(),
        Err(e) => html_error(e, Some(&user.login)),
    }
}

const CATEGORIES: [(&str, &str); 3] = [
    ("male", msg("page-male")),
    ("female-worker", msg("page-female-worker")),
    ("female-cadre", msg("page-female-cadre")),
];

/// The estimator's text fields: (id, label, default value, placeholder).
const ESTIMATE_FIELDS: [(&str, &str, &str, &str); 9] = [
    ("birth", msg("page-birth-yyyy-mm"), "", "1965-01"),
    (
        "retire",
        msg("page-retirement-yyyy-mm-optional"),
        "",
        "statutory",
    ),
    ("paid_months", msg("page-months-paid-2"), "", "300"),
    ("deemed_months", msg("page-deemed-months"), "0", "0"),
    (
        "avg_index",
        msg("page-average-contribution-index"),
        "1.0",
        "1.0",
    ),
    (
        "deemed_index",
        msg("page-deemed-period-index"),
        "1.0",
        "1.0",
    ),
    (
        "account_balance",
        msg("page-account-balance-yuan"),
        "",
        "120000.00",
    ),
    (
        "benefit_base",
        msg("page-benefit-base-yuan-optional"),
        "",
        "policy",
    ),
    (
        "transition_coefficient",
        msg("page-transition-coefficient-optional"),
        "",
        "policy",
    ),
];

fn estimate_page(f: &Fields, result: Markup) -> Markup {
    let value = |k: &str, d: &'static str| f.get(k).map(String::as_str).unwrap_or(d).to_string();
    let cat = f.get("category").map(String::as_str).unwrap_or("male");
    let input = |(id, label, d, hint): (&str, &'static str, &'static str, &str)| {
        html! {
            label for=(id) { (t(label)) }
            input id=(id) name=(id) value=(value(id, d)) placeholder=(hint);
        }
    };
    let (first, rest) = ESTIMATE_FIELDS.split_at(1);
    html! {
        p {
            (t("page-estimate-intro"))
        }
        form method="post" action="/estimate" id="estimate-form" {
            @for x in first { (input(*x)) }
            label for="category" { (t("page-category")) }
            select id="category" name="category" {
                @for (k, l) in CATEGORIES {
                    option value=(k) selected[k == cat] { (t(l)) }
                }
            }
            @for x in rest { (input(*x)) }
            br;
            button type="submit" id="estimate-submit" { (t("page-estimate")) }
        }
        (result)
    }
}

/// The estimator's JSON input from form fields: empty optional fields are left out, whole
/// numbers become numbers, everything else stays text for the rules to check.
pub(crate) fn form_to_input(f: &Fields) -> String {
    let mut obj = serde_json::Map::new();
    for k in [
        "birth",
        "category",
        "retire",
        "paid_months",
        "deemed_months",
        "avg_index",
        "deemed_index",
        "account_balance",
        "benefit_base",
        "transition_coefficient",
    ] {
        let v = field(f, k).trim();
        if v.is_empty() {
            continue;
        }
        let val = if matches!(k, "paid_months" | "deemed_months") {
            v.parse::<u64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| v.into())
        } else {
            v.into()
        };
        obj.insert(k.to_string(), val);
    }
    serde_json::Value::Object(obj).to_string()
}

/// The form, filled from the query if one is given (the insured person's "estimate from my
/// record" link).
pub async fn estimate_form(
    State(st): State<St>,
    headers: HeaderMap,
    Query(prefill): Query<Fields>,
) -> Response {
    let user = current(&st, &headers).await.ok().flatten();
    Html(page(
        t("page-pension-estimator"),
        user.as_ref().map(|(u, _)| u.login.as_str()),
        estimate_page(&prefill, html! {}),
    ))
    .into_response()
}

/// Public and stateless: no session is read and nothing is written, so no CSRF token is needed.
pub async fn estimate_submit(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(f): Form<Fields>,
) -> Response {
    if let Some(refused) = guard::over_quota(&st, &addr, guard::Bucket::Public).await {
        return refused;
    }
    let result = match crate::api::estimate_pension(&form_to_input(&f)) {
        Ok(est) => html! {
            h2 { (t("page-result")) }
            p {
                (t("page-monthly-total"))
                span class="total" id="total" { (est.total) }
                " " (t("web-yuan"))
            }
            (dl(&[
                (t("page-retirement"), est.retire.to_string()),
                (t("page-basic"), est.basic.to_string()),
                (t("page-account-2"), est.account.to_string()),
                (t("page-transitional"), est.transitional.to_string()),
            ]))
            ul {
                @for w in &est.warnings { li { (w) } }
            }
        },
        Err(e) => html! { p class="error" id="estimate-error" { (e.message()) } },
    };
    Html(page(
        t("page-pension-estimator"),
        None,
        estimate_page(&f, result),
    ))
    .into_response()
}
