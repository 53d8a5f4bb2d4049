//! The plan chain in the browser (`tongchou_app::plan_chain`): a county agency sees its plan of
//! the month (items, amounts, state, every version and action with its reason) and submits or
//! resubmits it with a note; a city agency sees its counties' plans, opens one, returns it with a
//! reason (confirmed by a checkbox) or forwards it, then submits the city's consolidated plan;
//! the provincial bureau and other readers see the chain's state per city. Every action goes
//! through the use cases, which check region and person and audit refusals.

use crate::html::yuan;
use crate::html::{csrf_field, error_response, nav_link, page};
use crate::lang::{t, tf};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::clock::now_ms;
use tongchou_app::plan_chain::{self, CityRow, PlanView, Review};
use tongchou_core::access::Permission;
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, Period, RegionCode};
use tongchou_engine::disbursement::Item;
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const TITLE: &str = crate::lang::msg("chain-plan-chain");

/// The chain's pages.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/chain", get(overview))
        .route("/chain/{month}/{region}", get(show))
        .route("/chain/{month}/{region}/submit", post(submit))
        .route("/chain/{month}/{region}/review", post(review))
}

/// The dashboard's link to the chain, for those who read plans.
pub(crate) fn links(user: &User) -> Markup {
    let shown = plan_chain::may_read(&user.principal());
    nav_link(shown, "/chain", "chain-link", crate::lang::t("nav-chain"))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t(TITLE),
        "chain-error",
        Some(("/chain", t("record-back"))),
        msg,
    )
}

fn level(r: RegionCode) -> Option<Level> {
    Divisions::shanxi().get(r).map(|x| x.level)
}

fn parse(month: &str, region: &str) -> Result<(Period, RegionCode), AppError> {
    let m = month.parse::<Period>().map_err(|_| bad_month(month))?;
    let r = region
        .parse::<u32>()
        .ok()
        .and_then(|v| RegionCode::new(v).ok())
        .ok_or_else(|| {
            AppError::BadRequest(tongchou_core::tr!(
                "web-err-region",
                value = format!("{region:?}")
            ))
        })?;
    Ok((m, r))
}

/// A month that is not `YYYY-MM`, refused in the reader's language.
fn bad_month(month: &str) -> AppError {
    AppError::BadRequest(tongchou_core::tr!(
        "web-err-month",
        value = format!("{month:?}")
    ))
}

/// `GET /chain?month=YYYY-MM`: a county agency's own plan, a city's counties, the province's
/// cities (the latest month whose payroll has run unless one is asked for).
async fn overview(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    let who = user.principal();
    let asked = q.get("month").filter(|m| !m.is_empty()).cloned();
    let r = with_db(&st, move |db| {
        let months: Vec<Period> =
            tongchou_store::jobs::periods_done(db, tongchou_app::disburse::JOB, "payroll")?
                .into_iter()
                .rev()
                .take(12)
                .collect();
        let month = match asked {
            Some(m) => Some(m.parse::<Period>().map_err(|_| bad_month(&m))?),
            None => months.first().copied(),
        };
        let rows = match month {
            Some(m) => plan_chain::status(db, &who, m)?,
            None => Vec::new(),
        };
        Ok((months, month, rows))
    })
    .await;
    let (months, month, rows) = match r {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    if let (Some(m), Some(Level::County)) = (month, level(user.region)) {
        return Redirect::to(&format!("/chain/{m}/{}", user.region)).into_response();
    }
    let body = html! {
        p id="months" {
            (t("chain-month"))
            @for m in &months { a href={ "/chain?month=" (m) } { (m) } " " }
        }
        @match month {
            None => p id="chain-empty" { (t("chain-no-month-s-payroll-has")) },
            Some(m) => (city_table(&user, &token, m, &rows)),
        }
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

/// The cities (or the user's city) and their counties with their states and totals; a city
/// agency's submit form once all its counties are forwarded.
fn city_table(user: &User, token: &str, month: Period, rows: &[CityRow]) -> Markup {
    let state = |s: &Option<String>| state_label(s.as_deref());
    html! {
        h2 { (month) }
        table id="chain-cities" {
            tr { th { (t("plans-code")) } th { (t("plans-region")) } th { (t("chain-state")) } th { (t("chain-version")) } th { (t("mine-amount")) } th { (t("chain-counties-forwarded")) } }
            @for c in rows {
                @let forwarded = c.counties.iter().filter(|x| x.state.as_deref() == Some("forwarded")).count();
                tr class="city" data-region=(c.city.region) data-state=(c.city.state.as_deref().unwrap_or("none")) {
                    td { a href={ "/chain/" (month) "/" (c.city.region) } { (c.city.region) } }
                    td { (c.city.name) } td { (state(&c.city.state)) (late(c.city.late_days)) } td { (c.city.version) }
                    td class="num" { @if let Some(t) = c.city.total { (yuan(t)) } }
                    td { (forwarded) " / " (c.counties.len()) }
                }
                @for x in &c.counties {
                    tr class="county" data-region=(x.region) data-state=(x.state.as_deref().unwrap_or("none")) {
                        td { "　" a href={ "/chain/" (month) "/" (x.region) } id={ "open-" (x.region) } { (x.region) } }
                        td { (x.name) } td { (state(&x.state)) (late(x.late_days)) } td { (x.version) }
                        td class="num" { @if let Some(t) = x.total { (yuan(t)) } }
                        td {}
                    }
                }
                @if level(user.region) == Some(Level::City) && user.region == c.city.region && c.city.state.as_deref().is_none_or(|s| s == "returned") && user.role.has(Permission::PlanSubmit) {
                    @if forwarded == c.counties.len() && !c.counties.is_empty() {
                        tr { td colspan="6" { (submit_form(token, month, c.city.region, t("chain-submit-the-city-s-plan"), "submit-city")) } }
                    } @else {
                        tr { td colspan="6" id="city-waits" { (t("chain-the-city-s-plan-can")) } }
                    }
                }
            }
        }
        @if rows.is_empty() {
            p { (t("chain-no-plans-of-your-region")) }
        }
    }
}

/// A plan's state as the reader names it.
fn state_label(state: Option<&str>) -> &'static str {
    match state {
        None => t("chain-state-none"),
        Some("submitted") => t("chain-state-submitted"),
        Some("returned") => t("chain-state-returned"),
        Some("forwarded") => t("chain-state-forwarded"),
        Some(_) => "?",
    }
}

/// " · 逾期 N 天" after a state whose latest version came after its deadline.
fn late(days: Option<i64>) -> Markup {
    html! { @if let Some(n) = days { span class="warning late" { " · " (tf("chain-late", &[("days", &n.to_string())])) } } }
}

fn submit_form(token: &str, month: Period, region: RegionCode, label: &str, id: &str) -> Markup {
    html! {
        form method="post" action={ "/chain/" (month) "/" (region) "/submit" } id=(id) {
            (csrf_field(&csrf_token(token)))
            label for={ (id) "-note" } { (t("plans-note")) }
            input id={ (id) "-note" } name="note" maxlength="500" autocomplete="off";
            br;
            button type="submit" id={ (id) "-button" } { (label) }
        }
    }
}

/// The county's submit form: the note, and its own figure for every item (prefilled with the
/// proposal's), used only when "adjusted" is ticked (a note is then required).
fn adjust_form(
    token: &str,
    month: Period,
    region: RegionCode,
    p: &plan_chain::Proposal,
    label: &str,
) -> Markup {
    let id = "submit-county";
    html! {
        form method="post" action={ "/chain/" (month) "/" (region) "/submit" } id=(id) {
            (csrf_field(&csrf_token(token)))
            label for={ (id) "-note" } { (t("plans-note")) }
            input id={ (id) "-note" } name="note" maxlength="500" autocomplete="off";
            details id="adjust" {
                summary { (t("chain-adjust-the-figures")) }
                table id="adjust-items" {
                    tr { th { (t("mine-item")) } th { (t("chain-amount-yuan")) } }
                    @for item in Item::ALL {
                        tr {
                            td { label for={ "adjust-" (item.as_str()) } { (crate::lang::item(item)) } }
                            td { input id={ "adjust-" (item.as_str()) } name={ "adjust." (item.as_str()) } inputmode="decimal" autocomplete="off"
                                value=(p.items.get(&item).map(|f| f.grouped()).unwrap_or_default()); }
                        }
                    }
                }
                label { input type="checkbox" name="adjusted" value="1" id="adjusted"; (t("chain-submit-these-figures-a-note")) }
            }
            br;
            button type="submit" id={ (id) "-button" } { (label) }
        }
    }
}

/// The adjusted figures a county's submit form carries, when ticked.
fn adjustment_of(f: &Fields) -> Result<Option<std::collections::BTreeMap<Item, Fen>>, AppError> {
    if f.get("adjusted").map(String::as_str) != Some("1") {
        return Ok(None);
    }
    let pairs: Vec<String> = Item::ALL
        .iter()
        .filter_map(|i| {
            let v = f.get(&format!("adjust.{}", i.as_str()))?.trim();
            (!v.is_empty()).then(|| format!("{}={v}", i.as_str()))
        })
        .collect();
    Ok(Some(plan_chain::parse_adjustment(&pairs)?))
}

/// `GET /chain/{month}/{region}`: one plan.
async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Path((month, region)): Path<(String, String)>,
) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    match parse(&month, &region) {
        Ok((m, r)) => render(&st, &user, &token, m, r, None).await,
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// The plan page, with `error` (a refused action) above its forms.
async fn render(
    st: &St,
    user: &User,
    token: &str,
    month: Period,
    region: RegionCode,
    error: Option<(StatusCode, String)>,
) -> Response {
    let who = user.principal();
    let view = match with_db(st, move |db| {
        Ok(plan_chain::plan(db, &who, month, region, now_ms())?)
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let body = html! {
        @if let Some((_, m)) = &error { p class="error" id="chain-error" { (m) } }
        (plan_body(&view))
        (actions(user, token, &view))
        p { a href={ "/chain?month=" (month) } { (t("chain-back-to-the-list")) } }
    };
    let status = error.map(|(s, _)| s).unwrap_or(StatusCode::OK);
    let title = tf(
        "chain-title",
        &[
            ("region", &view.row.region.to_string()),
            ("name", &view.row.name),
            ("month", &month.to_string()),
        ],
    );
    (status, Html(page(&title, Some(&user.login), body))).into_response()
}

/// State, the proposal (while it may be submitted), every version with its items, the history.
fn plan_body(v: &PlanView) -> Markup {
    html! {
        dl id="chain-plan" {
            dt { (t("plans-region")) } dd { (v.row.region) " " (v.row.name) }
            dt { (t("plans-month")) } dd { (v.month) }
            dt { (t("chain-state")) } dd id="chain-state" data-state=(v.row.state.as_deref().unwrap_or("none")) { (state_label(v.row.state.as_deref())) }
            dt { (t("chain-version")) } dd id="chain-version" { (v.row.version) }
            @if let Some(by) = &v.deadline {
                dt { (t("chain-deadline")) } dd id="chain-deadline" { (by) (late(v.row.late_days)) }
            }
        }
        @if let Some(p) = &v.proposal {
            h2 { (t("chain-proposed-from-the-payroll")) }
            table id="chain-proposal" {
                tr { th { (t("mine-item")) } th { (t("mine-amount")) } }
                @for (item, amount) in &p.items { tr { td { (crate::lang::item(*item)) } td class="num" { (yuan(*amount)) } } }
                tr { td { (t("chain-payroll")) } td class="num" { (yuan(p.need)) } }
                tr { td { (t("chain-on-hand")) } td class="num" { (yuan(p.on_hand)) } }
                tr { td { strong { (t("chain-requested")) } } td class="num" id="chain-proposal-total" { strong { (yuan(p.total)) } } }
            }
            @if let Some(h) = v.headroom {
                p id="chain-budget" class=(if p.need > h.remaining { "warning" } else { "ok" }) {
                    (tf("chain-budget-room", &[("budget", &yuan(h.budget)), ("executed", &yuan(h.executed)), ("committed", &yuan(h.committed)), ("remaining", &yuan(h.remaining))]))
                    @if p.need > h.remaining { (t("chain-over-the-approved-budget")) }
                }
            }
        }
        @for ver in v.versions.iter().rev() {
            h2 { (tf("chain-version-n", &[("n", &ver.version.to_string())])) }
            p class="version-meta" { (ver.submitted_login) " · " (tongchou_app::audit_log::china_time(&ver.submitted_at)) @if !ver.note.is_empty() { (t("chain-note")) (ver.note) } }
            table class="chain-items" id={ "version-" (ver.version) } {
                tr { th { (t("mine-item")) } th { (t("mine-amount")) } }
                @for (item, amount) in &ver.items { tr { td { (crate::lang::item(*item)) } td class="num" { (yuan(*amount)) } } }
                tr { td { strong { (t("mine-total")) } } td class="num" { strong { (yuan(ver.total)) } } }
            }
        }
        @if !v.actions.is_empty() {
            h2 { (t("chain-history")) }
            table id="chain-history" {
                tr { th { (t("chain-at")) } th { (t("chain-action")) } th { (t("chain-version")) } th { (t("chain-by")) } th { (t("chain-reason-or-note")) } }
                @for a in &v.actions {
                    tr class={ "action-" (a.action) } {
                        td { (tongchou_app::audit_log::china_time(&a.at)) }
                        td { (match a.action.as_str() { "submit" => t("chain-submit"), "return" => t("chain-return"), "forward" => t("chain-forward"), _ => "?" }) }
                        td { (a.version) } td { (a.login) } td { (a.reason) }
                    }
                }
            }
        }
    }
}

/// The forms the user may use on this plan now.
fn actions(user: &User, token: &str, v: &PlanView) -> Markup {
    let is_county = level(v.row.region) == Some(Level::County);
    let own = user.region == v.row.region;
    let city_of = Divisions::shanxi().city_of(v.row.region);
    let may_submit = v.open
        && is_county
        && own
        && user.role.has(Permission::PlanSubmit)
        && v.row.state.as_deref().is_none_or(|s| s == "returned");
    let province = Divisions::shanxi().province().code;
    let is_city = level(v.row.region) == Some(Level::City);
    let reviewer = v.open
        && ((is_county && city_of == Some(user.region)) || (is_city && user.region == province))
        && user.role.has(Permission::PlanReview);
    let may_review = reviewer && v.row.state.as_deref() == Some("submitted");
    let may_return = may_review || (reviewer && v.reopenable);
    let label = if v.row.state.is_some() {
        t("chain-resubmit")
    } else {
        t("chain-submit-2")
    };
    html! {
        @if may_submit {
            @if let Some(p) = &v.proposal { (adjust_form(token, v.month, v.row.region, p, label)) }
            @else { (submit_form(token, v.month, v.row.region, label, "submit-county")) }
        }
        @if may_review && is_county {
            form method="post" action={ "/chain/" (v.month) "/" (v.row.region) "/review" } id="forward-form" {
                (csrf_field(&csrf_token(token)))
                input type="hidden" name="verdict" value="forward";
                button type="submit" id="forward-button" { (t("chain-forward-2")) }
            }
        }
        @if may_return {
            form method="post" action={ "/chain/" (v.month) "/" (v.row.region) "/review" } id="return-form" {
                (csrf_field(&csrf_token(token)))
                input type="hidden" name="verdict" value="return";
                label for="reason" { (t("chain-reason-required")) }
                input id="reason" name="reason" maxlength="500" autocomplete="off";
                label for="confirm-return" {
                    input id="confirm-return" name="confirm_return" type="checkbox" value="yes";
                    (t("chain-i-confirm-the-return"))
                }
                br;
                button type="submit" id="return-button" { (t("chain-return-2")) }
            }
        }
    }
}

/// The user, their session token, the month and the region of a POST with its CSRF field
/// checked, or the page to answer with.
async fn poster(
    st: &St,
    headers: &HeaderMap,
    path: (String, String),
    f: &Fields,
) -> Result<(User, String, Period, RegionCode), Response> {
    let (user, token) = match current(st, headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(Redirect::to("/login").into_response()),
        Err(e) => return Err(error_page(e.status(), "", &e.message())),
    };
    let csrf = f.get("csrf").map(|s| s.trim()).unwrap_or_default();
    if !ct_eq(csrf, &csrf_token(&token)) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        ));
    }
    match parse(&path.0, &path.1) {
        Ok((m, r)) => Ok((user, token, m, r)),
        Err(e) => Err(error_page(e.status(), &user.login, &e.message())),
    }
}

/// `POST /chain/{month}/{region}/submit`: a county's plan, or a city's consolidated one.
async fn submit(
    State(st): State<St>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token, m, r) = match poster(&st, &headers, path, &f).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let note = f.get("note").cloned().unwrap_or_default();
    let who = user.principal();
    let res = with_db(&st, move |db| {
        let now = now_ms();
        Ok(if level(r) == Some(Level::City) {
            plan_chain::submit_city(db, &who, m, r, &note, now)?
        } else if let Some(items) = adjustment_of(&f)? {
            plan_chain::submit_adjusted(db, &who, m, r, &items, &note, now)?
        } else {
            plan_chain::submit(db, &who, m, r, &note, now)?
        })
    })
    .await;
    match res {
        Ok(_) if level(r) == Some(Level::City) => {
            Redirect::to(&format!("/chain?month={m}")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/chain/{m}/{r}")).into_response(),
        Err(e) => {
            let msg = tf("chain-not-submitted", &[("reason", &e.message())]);
            render(&st, &user, &token, m, r, Some((e.status(), msg))).await
        }
    }
}

/// `POST /chain/{month}/{region}/review`: the city returns (reason and confirmation required)
/// or forwards a county's plan.
async fn review(
    State(st): State<St>,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token, m, r) = match poster(&st, &headers, path, &f).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (verdict, reason) = (field("verdict"), field("reason"));
    if verdict == "return" && (reason.is_empty() || field("confirm_return") != "yes") {
        let msg = t("chain-a-return-needs-its-reason").to_string();
        return render(
            &st,
            &user,
            &token,
            m,
            r,
            Some((StatusCode::BAD_REQUEST, msg)),
        )
        .await;
    }
    if verdict != "return" && verdict != "forward" {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            crate::lang::t("web-err-verdict"),
        );
    }
    let who = user.principal();
    let res = with_db(&st, move |db| {
        let v = if verdict == "return" {
            Review::Return(&reason)
        } else {
            Review::Forward
        };
        Ok(plan_chain::review(db, &who, m, r, v, now_ms())?)
    })
    .await;
    match res {
        Ok(_) => Redirect::to(&format!("/chain/{m}/{r}")).into_response(),
        Err(e) => {
            let msg = tf("chain-not-done", &[("reason", &e.message())]);
            render(&st, &user, &token, m, r, Some((e.status(), msg))).await
        }
    }
}
