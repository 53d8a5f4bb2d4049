//! The province's central adjustment / national pooling and its reserve fund in the browser, for
//! the provincial finance department and bureau (region-scoped: provincial staff only):
//!
//! - `/central?year=Y` (`tongchou_app::central`): the year's regime, remittance, allocation,
//!   quarterly advances and settlement, or its national pooling 上解/下拨, every movement with its
//!   source document; forms for the finance department's actions (`POST /central/{action}`).
//! - `/reserve` (`tongchou_app::reserve`): the register of transferred equity, the returns
//!   collected, the uses with their approvals and the fund's balances; forms to register equity,
//!   record a return and propose a use (a finance officer), and to decide a use (a finance
//!   approver, never its maker) (`POST /reserve/{action}`).
//!
//! Every action is a POST with the session's CSRF token, checked and audited in the use cases.

use crate::html::{csrf_field, dl, error_response, page, yuan};
use crate::lang::{t, tf};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::central::{self, AdvanceInput, AllocationInput, CentralView, PoolingInput};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reserve::{self, HoldingInput, ReserveView, ReturnInput, UseInput};
use tongchou_core::access::Role;
use tongchou_core::{Date, Divisions, Fen};
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const CENTRAL: &str = crate::lang::msg("cr-central");
const RESERVE: &str = crate::lang::msg("cr-reserve");

/// Who sees the pages: the provincial finance department and bureau.
pub fn may_view(u: &User) -> bool {
    central::READERS.contains(&u.role) && u.region == Divisions::shanxi().province().code
}

/// The pages' routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/central", get(show_central))
        .route("/central/{action}", post(act_central))
        .route("/reserve", get(show_reserve))
        .route("/reserve/{action}", post(act_reserve))
}

/// The dashboard's links.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) {
            p {
                a href="/central" id="central-link" { (crate::lang::t("nav-central")) } " "
                a href="/reserve" id="reserve-link" { (crate::lang::t("nav-reserve")) }
            }
        }
    }
}

fn error_page(title: &'static str, status: StatusCode, login: &str, msg: &str) -> Response {
    let back = if title == CENTRAL {
        "/central"
    } else {
        "/reserve"
    };
    let back = Some((back, t("record-back")));
    error_response(status, login, t(title), "fund-error", back, msg)
}

/// The signed-in provincial user and the session token, or the page to answer with.
async fn viewer(
    st: &St,
    headers: &HeaderMap,
    title: &'static str,
) -> Result<(User, String), Response> {
    match current(st, headers).await {
        Ok(Some((u, t))) if may_view(&u) => Ok((u, t)),
        Ok(Some((u, _))) => Err(error_page(
            title,
            StatusCode::FORBIDDEN,
            &u.login,
            t("cr-denied"),
        )),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(title, e.status(), "", &e.message())),
    }
}

fn field(f: &Fields, k: &str) -> String {
    f.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

fn parsed<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<T, AppError> {
    field(f, k)
        .parse::<T>()
        .map_err(|_| AppError::BadRequest(tf("cr-malformed", &[("label", label)])))
}

fn optional<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<Option<T>, AppError> {
    match field(f, k).as_str() {
        "" => Ok(None),
        _ => parsed(f, k, label).map(Some),
    }
}

fn day(f: &Fields, k: &str) -> Result<Date, AppError> {
    Ok(optional(f, k, t("cr-date"))?.unwrap_or_else(today_china))
}

fn done(to: &str, r: Result<String, AppError>, title: &'static str, login: &str) -> Response {
    match r {
        Ok(msg) => {
            let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
            let sep = if to.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{to}{sep}done={q}")).into_response()
        }
        Err(e) => error_page(
            title,
            e.status(),
            login,
            &tf("cr-not-done", &[("reason", &e.message())]),
        ),
    }
}

/// A POST's user with its CSRF field checked, or the page to answer with.
async fn poster(
    st: &St,
    headers: &HeaderMap,
    f: &Fields,
    title: &'static str,
) -> Result<User, Response> {
    let (user, token) = viewer(st, headers, title).await?;
    if !ct_eq(&field(f, "csrf"), &csrf_token(&token)) {
        return Err(error_page(
            title,
            StatusCode::FORBIDDEN,
            &user.login,
            "csrf",
        ));
    }
    Ok(user)
}

async fn show_central(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match viewer(&st, &headers, CENTRAL).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let year = match optional::<i32>(&q, "year", t("cr-year")) {
        Ok(y) => y.unwrap_or(today_china().year() - 1),
        Err(e) => return error_page(CENTRAL, e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    match with_db(&st, move |db| Ok(central::read(db, &who, year, now_ms())?)).await {
        Ok(v) => {
            let body = central_body(&user, &csrf_token(&token), &v, q.get("done"));
            Html(page(t(CENTRAL), Some(&user.login), body)).into_response()
        }
        Err(e) => error_page(CENTRAL, e.status(), &user.login, &e.message()),
    }
}

fn maybe(f: Option<Fen>) -> String {
    f.map_or_else(|| t("cr-not-recorded").to_string(), yuan)
}

fn central_body(user: &User, csrf: &str, v: &CentralView, msg: Option<&String>) -> Markup {
    let terms = &v.terms;
    let mut rows = vec![(t("cr-regime"), central::regime_name(v).to_string())];
    if terms.is_central_adjustment() {
        rows.extend([
            (t("cr-ratio"), terms.ratio.to_string()),
            (t("cr-avg-wage"), yuan(terms.avg_wage)),
            (t("cr-remitted"), maybe(v.remitted)),
            (t("cr-allocated"), maybe(v.allocated)),
            (t("cr-advances-paid"), yuan(v.advances_paid)),
            (t("cr-advances-received"), yuan(v.advances_received)),
            (t("cr-settlement"), maybe(v.settlement)),
            (t("cr-to-settle"), maybe(v.to_settle)),
        ]);
    } else {
        rows.push((t("cr-note"), t("cr-pooling-note").into()));
    }
    let may_act = [Role::FinanceOfficer, Role::ProvinceBureauOfficer].contains(&user.role);
    html! {
        @if let Some(m) = msg { p class="ok" id="fund-done" { (m) } }
        form method="get" action="/central" id="year-form" {
            label for="year" { (t("cr-year-label")) } input id="year" name="year" value=(v.year);
            button type="submit" { (t("cr-show")) }
        }
        (dl(&rows))
        h2 { (t("cr-movements")) }
        table id="central-movements" {
            thead { tr { th { (t("cr-item")) } th { (t("cr-quarter")) } th { (t("cr-amount")) } th { (t("cr-basis")) } th { (t("cr-day")) } th { (t("cr-source-doc")) } th { (t("cr-recorded-by")) } } }
            tbody { @for m in &v.movements { tr {
                td { (central::kind_name(&m.kind)) } td { @if m.quarter > 0 { (m.quarter) } }
                td class="num" { (yuan(m.amount)) }
                td { @if let (Some(n), Some(p)) = (m.pensioners, m.per_capita) { (tf("cr-persons-times", &[("n", &n.to_string()), ("amount", &yuan(p))])) } }
                td { (m.value_date.to_string()) } td { (m.source_doc) } td { (m.recorded_by) }
            } } }
        }
        @if may_act { (central_forms(csrf, v)) }
    }
}

fn central_forms(csrf: &str, v: &CentralView) -> Markup {
    let year = v.year;
    html! {
        @if v.terms.is_central_adjustment() {
            h2 { (t("cr-remit-title")) }
            form method="post" action="/central/remit" id="remit-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="remit-on" { (t("cr-book-on")) } input id="remit-on" name="on";
                button type="submit" id="remit" { (t("cr-book")) }
            }
            h2 { (t("cr-alloc-title")) }
            form method="post" action="/central/allocate" id="allocate-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="per_capita" { (t("cr-per-capita")) } input id="per_capita" name="per_capita" required;
                label for="pensioners" { (t("cr-pensioners")) } input id="pensioners" name="pensioners";
                label for="alloc-source" { (t("cr-source-doc")) } input id="alloc-source" name="source" required;
                label for="alloc-on" { (t("cr-booking-date")) } input id="alloc-on" name="on";
                button type="submit" id="allocate" { (t("cr-record")) }
            }
            h2 { (t("cr-advances-title")) }
            form method="post" action="/central/advance" id="advance-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="quarter" { (t("cr-quarter")) } select id="quarter" name="quarter" { @for q in 1..=4 { option value=(q) { (tf("cr-quarter-n", &[("n", &q.to_string())])) } } }
                label for="paid" { (t("cr-paid")) } input id="paid" name="paid";
                label for="received" { (t("cr-received")) } input id="received" name="received";
                label for="adv-source" { (t("cr-source-doc")) } input id="adv-source" name="source" required;
                label for="adv-on" { (t("cr-day")) } input id="adv-on" name="on";
                button type="submit" id="advance" { (t("cr-record")) }
            }
            h2 { (t("cr-settle-title")) }
            form method="post" action="/central/settle" id="settle-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="settle-source" { (t("cr-source-doc")) } input id="settle-source" name="source" required;
                label for="settle-on" { (t("cr-day")) } input id="settle-on" name="on";
                button type="submit" id="settle" { (t("cr-settle")) }
            }
        } @else {
            h2 { (t("cr-pooling-title")) }
            form method="post" action="/central/pooling" id="pooling-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="direction" { (t("cr-direction")) } select id="direction" name="direction" { option value="remitted" { (t("cr-dir-paid")) } option value="received" { (t("cr-dir-received")) } }
                label for="amount" { (t("cr-amount-yuan")) } input id="amount" name="amount" required;
                label for="pool-source" { (t("cr-source-doc")) } input id="pool-source" name="source" required;
                label for="pool-on" { (t("cr-day")) } input id="pool-on" name="on";
                button type="submit" id="pooling" { (t("cr-record")) }
            }
        }
    }
}

fn said(b: &central::Booked) -> String {
    let m = &b.movement;
    let id = if b.created {
        "cr-booked"
    } else {
        "cr-booked-before"
    };
    tf(
        id,
        &[
            ("year", &m.year.to_string()),
            ("kind", central::kind_name(&m.kind)),
            ("amount", &yuan(m.amount)),
        ],
    )
}

async fn central_action(
    st: &St,
    user: &User,
    action: &str,
    f: &Fields,
) -> Result<String, AppError> {
    let who = user.principal();
    let year: i32 = parsed(f, "year", t("cr-year"))?;
    let (on, source) = (day(f, "on")?, field(f, "source"));
    let now = now_ms();
    match action {
        "remit" => {
            with_db(st, move |db| {
                let r = central::remit(db, &who, year, on, now)?;
                Ok(tf(
                    "cr-remit-done",
                    &[
                        ("year", &year.to_string()),
                        ("amount", &yuan(r.amount)),
                        ("insured", &r.insured.to_string()),
                    ],
                ))
            })
            .await
        }
        "allocate" => {
            let a = AllocationInput {
                year,
                per_capita: parsed(f, "per_capita", t("cr-per-capita-label"))?,
                pensioners: optional(f, "pensioners", t("cr-pensioners-label"))?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                Ok(said(&central::allocate(db, &who, &a, now)?))
            })
            .await
        }
        "advance" => {
            let a = AdvanceInput {
                year,
                quarter: parsed(f, "quarter", t("cr-quarter"))?,
                paid: optional(f, "paid", t("cr-paid-label"))?,
                received: optional(f, "received", t("cr-received-label"))?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                let [p, r] = central::advance(db, &who, &a, now)?;
                Ok(tf("cr-two", &[("a", &said(&p)), ("b", &said(&r))]))
            })
            .await
        }
        "settle" => {
            with_db(st, move |db| {
                Ok(said(&central::settle(db, &who, year, &source, on, now)?))
            })
            .await
        }
        "pooling" => {
            let p = PoolingInput {
                year,
                remitted: field(f, "direction") == "remitted",
                amount: parsed(f, "amount", t("cr-amount"))?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                Ok(said(&central::pooling(db, &who, &p, now)?))
            })
            .await
        }
        _ => Err(AppError::NotFound(t("cr-not-found").into())),
    }
}

async fn act_central(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match poster(&st, &headers, &f, CENTRAL).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r = central_action(&st, &user, &action, &f).await;
    done(
        &format!("/central?year={}", field(&f, "year")),
        r,
        CENTRAL,
        &user.login,
    )
}

async fn show_reserve(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match viewer(&st, &headers, RESERVE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let who = user.principal();
    match with_db(&st, move |db| Ok(reserve::show(db, &who, now_ms())?)).await {
        Ok(v) => {
            let body = reserve_body(&user, &csrf_token(&token), &v, q.get("done"));
            Html(page(t(RESERVE), Some(&user.login), body)).into_response()
        }
        Err(e) => error_page(RESERVE, e.status(), &user.login, &e.message()),
    }
}

fn reserve_body(user: &User, csrf: &str, v: &ReserveView, msg: Option<&String>) -> Markup {
    let rows = [
        (t("cr-equity"), yuan(v.equity)),
        (t("cr-deposits"), yuan(v.deposits)),
        (t("cr-fund"), yuan(v.fund)),
    ];
    html! {
        @if let Some(m) = msg { p class="ok" id="fund-done" { (m) } }
        (dl(&rows))
        h2 { (t("cr-equity-title")) }
        table id="reserve-holdings" {
            thead { tr { th { (t("cr-id")) } th { (t("cr-enterprise")) } th { (t("cr-credit-code")) } th { (t("cr-share")) } th { (t("cr-book-value")) } th { (t("cr-transfer-date")) } th { (t("cr-lockup-end")) } th { (t("cr-status")) } th { (t("cr-source-doc")) } } }
            tbody { @for h in &v.holdings { tr {
                td { (h.id) } td { (h.enterprise) } td { (h.credit_code) } td { (h.share) } td class="num" { (yuan(h.book_value)) }
                td { (h.transfer_date.to_string()) } td { (h.lockup_end.to_string()) } td { (reserve::status_name(&h.status)) } td { (h.source_doc) }
            } } }
        }
        h2 { (t("cr-returns-title")) }
        table id="reserve-returns" {
            thead { tr { th { (t("cr-id")) } th { (t("cr-holding")) } th { (t("cr-kind")) } th { (t("cr-amount")) } th { (t("cr-received-on")) } th { (t("cr-payment-slip")) } th { (t("cr-recorded-by")) } } }
            tbody { @for r in &v.returns { tr {
                td { (r.id) } td { (r.holding_id) } td { @if r.kind == "dividend" { (t("cr-dividend")) } @else { (t("cr-other-return")) } }
                td class="num" { (yuan(r.amount)) } td { (r.received_on.to_string()) } td { (r.reference) } td { (r.recorded_by) }
            } } }
        }
        h2 { (t("cr-uses-title")) }
        table id="reserve-uses" {
            thead { tr { th { (t("cr-id")) } th { (t("cr-gap-year")) } th { (t("cr-amount")) } th { (t("cr-sold-holding")) } th { (t("cr-reason")) } th { (t("cr-reference")) } th { (t("cr-approval-id")) } th { (t("cr-status")) } th { (t("cr-recorded-by")) } th { (t("cr-decided-by")) } } }
            tbody { @for u in &v.uses { tr {
                td { (u.id) } td { (u.year) } td class="num" { (yuan(u.amount)) }
                td { @if let (Some(h), Some(p)) = (u.holding_id, u.proceeds) { (h) (tf("cr-proceeds-of", &[("amount", &yuan(p))])) } }
                td { (u.reason) } td { (u.reference) } td { (u.approval_id) } td { (reserve::status_name(&u.status)) }
                td { (u.recorded_by) } td { (u.decided_by.clone().unwrap_or_default()) }
            } } }
        }
        @if user.role == Role::FinanceOfficer { (maker_forms(csrf)) }
        @if user.role == Role::FinanceApprover {
            h2 { (t("cr-decide-title")) }
            form method="post" action="/reserve/decide" id="decide-form" {
                (csrf_field(csrf))
                label for="approval" { (t("cr-approval-id")) } input id="approval" name="approval" required;
                select name="decision" id="decision" { option value="approve" { (t("cr-approve-use")) } option value="reject" { (t("cr-reject-use")) } }
                label for="note" { (t("cr-opinion")) } input id="note" name="note";
                label for="decide-on" { (t("cr-book-on")) } input id="decide-on" name="on";
                button type="submit" id="decide" { (t("cr-decide")) }
            }
        }
    }
}

fn maker_forms(csrf: &str) -> Markup {
    html! {
        h2 { (t("cr-register-title")) }
        form method="post" action="/reserve/register" id="register-form" {
            (csrf_field(csrf))
            label for="enterprise" { (t("cr-enterprise-name")) } input id="enterprise" name="enterprise" required;
            label for="credit_code" { (t("cr-credit-code")) } input id="credit_code" name="credit_code" required;
            label for="share" { (t("cr-share-input")) } input id="share" name="share" required;
            label for="book_value" { (t("cr-book-value-yuan")) } input id="book_value" name="book_value" required;
            label for="transfer_date" { (t("cr-transfer-date")) } input id="transfer_date" name="transfer_date" required;
            label for="reg-source" { (t("cr-source-doc")) } input id="reg-source" name="source" required;
            button type="submit" id="register" { (t("cr-register")) }
        }
        h2 { (t("cr-dividend-title")) }
        form method="post" action="/reserve/dividend" id="dividend-form" {
            (csrf_field(csrf))
            label for="holding" { (t("cr-holding-id")) } input id="holding" name="holding" required;
            label for="kind" { (t("cr-kind")) } select id="kind" name="kind" { option value="dividend" { (t("cr-dividend")) } option value="other" { (t("cr-other-return")) } }
            label for="div-amount" { (t("cr-amount-yuan")) } input id="div-amount" name="amount" required;
            label for="div-on" { (t("cr-received-default")) } input id="div-on" name="on";
            label for="div-reference" { (t("cr-slip-number")) } input id="div-reference" name="reference" required;
            button type="submit" id="dividend" { (t("cr-record")) }
        }
        h2 { (t("cr-use-title")) }
        form method="post" action="/reserve/use" id="use-form" {
            (csrf_field(csrf))
            label for="use-year" { (t("cr-gap-year")) } input id="use-year" name="year" required;
            label for="use-amount" { (t("cr-amount-yuan")) } input id="use-amount" name="amount" required;
            label for="sell" { (t("cr-sell")) } input id="sell" name="sell";
            label for="proceeds" { (t("cr-proceeds-yuan")) } input id="proceeds" name="proceeds";
            label for="reason" { (t("cr-reason")) } input id="reason" name="reason" required;
            label for="use-reference" { (t("cr-reference")) } input id="use-reference" name="reference" required;
            button type="submit" id="propose" { (t("cr-submit")) }
        }
    }
}

async fn register(
    st: &St,
    who: tongchou_core::access::Principal,
    f: &Fields,
    now: i64,
) -> Result<String, AppError> {
    let h = HoldingInput {
        enterprise: field(f, "enterprise"),
        credit_code: field(f, "credit_code"),
        share: field(f, "share"),
        book_value: parsed(f, "book_value", t("cr-book-value"))?,
        transfer_date: parsed(f, "transfer_date", t("cr-transfer-date-label"))?,
        source_doc: field(f, "source"),
    };
    with_db(st, move |db| {
        let (h, created) = reserve::register(db, &who, &h, now)?;
        let id = if created {
            "cr-holding-registered"
        } else {
            "cr-holding-registered-before"
        };
        Ok(tf(
            id,
            &[
                ("id", &h.id.to_string()),
                ("enterprise", &h.enterprise),
                ("lockup", &h.lockup_end.to_string()),
            ],
        ))
    })
    .await
}

async fn reserve_action(
    st: &St,
    user: &User,
    action: &str,
    f: &Fields,
) -> Result<String, AppError> {
    let who = user.principal();
    let now = now_ms();
    match action {
        "register" => register(st, who, f, now).await,
        "dividend" => {
            let r = ReturnInput {
                holding_id: parsed(f, "holding", t("cr-holding-id"))?,
                kind: field(f, "kind"),
                amount: parsed(f, "amount", t("cr-amount"))?,
                received_on: day(f, "on")?,
                reference: field(f, "reference"),
            };
            with_db(st, move |db| {
                let (r, created) = reserve::collect(db, &who, &r, now)?;
                let id = if created {
                    "cr-return-registered"
                } else {
                    "cr-return-registered-before"
                };
                Ok(tf(
                    id,
                    &[("id", &r.id.to_string()), ("amount", &yuan(r.amount))],
                ))
            })
            .await
        }
        "use" => {
            let sell = optional::<i64>(f, "sell", t("cr-sell-label"))?;
            let proceeds = optional::<Fen>(f, "proceeds", t("cr-proceeds"))?;
            if sell.is_some() != proceeds.is_some() {
                return Err(AppError::BadRequest(t("cr-sell-both").into()));
            }
            let u = UseInput {
                year: parsed(f, "year", t("cr-gap-year"))?,
                amount: parsed(f, "amount", t("cr-amount"))?,
                sell: sell.zip(proceeds),
                reason: field(f, "reason"),
                reference: field(f, "reference"),
            };
            with_db(st, move |db| {
                let u = reserve::propose_use(db, &who, &u, today_china(), now)?;
                Ok(tf(
                    "cr-use-proposed",
                    &[
                        ("id", &u.id.to_string()),
                        ("amount", &yuan(u.amount)),
                        ("approval", &u.approval_id.to_string()),
                    ],
                ))
            })
            .await
        }
        "decide" => {
            let approval: i64 = parsed(f, "approval", t("cr-approval-id"))?;
            let (approve, note, on) = (
                field(f, "decision") == "approve",
                field(f, "note"),
                day(f, "on")?,
            );
            with_db(st, move |db| {
                let u = reserve::decide_use(db, &who, approval, approve, &note, on, now)?;
                Ok(tf(
                    "cr-use-decided",
                    &[
                        ("id", &u.id.to_string()),
                        ("amount", &yuan(u.amount)),
                        ("status", reserve::status_name(&u.status)),
                    ],
                ))
            })
            .await
        }
        _ => Err(AppError::NotFound(t("cr-not-found").into())),
    }
}

async fn act_reserve(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match poster(&st, &headers, &f, RESERVE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r = reserve_action(&st, &user, &action, &f).await;
    done("/reserve", r, RESERVE, &user.login)
}
