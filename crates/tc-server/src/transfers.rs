//! Transfers of the pension relationship between provinces (转移接续, 国办发〔2009〕66号) in the
//! browser, through `tongchou_app::transfer`: `/transfers` lists the transfers within the user's
//! region (ID numbers masked; filter, sort, pages, export) with, for staff who change persons'
//! records, the form to record a transfer out (the certificate shown at once) and the upload of
//! a received certificate with its money (booked, or held when the money disagrees);
//! `/transfers/{id}` shows a certificate (a read of personal data, audited; `?download=1` the
//! exchange document of `docs/FORMATS.md`) and, to the provincial bureau, the form to release or
//! refuse a held transfer with a reason (never one's own: maker–checker). `/transfers/requests`
//! takes a file of other provinces' transfer requests (every line transferred out, or the file
//! refused with its problems by row and field, nothing written; the same file again transfers
//! nothing), the certificates then linked for download. Every POST carries the
//! session's CSRF token; checks and audit are the use case's.

use crate::forms::{Fields, csrf_ok, done, text};
use crate::html::{Module, csrf_field, dl, page, yuan};
use crate::lang::{self, t, tf};
use crate::returns::read_upload;
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, signed_in_for, with_db};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::export::Download;
use tongchou_app::reports::Cell;
use tongchou_app::transfer::{self, Certificate, Decision, Listed};
use tongchou_core::access::{Permission, Role};
use tongchou_core::{Date, Divisions, Fen, Policy, RegionCode};
use tongchou_store::access::User;

const TITLE: &str = lang::msg("tr-title");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/transfers",
    id: "transfers",
    title: TITLE,
    nav: "nav-transfers",
};

/// The largest certificate accepted (a whole working life is a few KiB).
const MAX_UPLOAD: usize = 1 << 20;

/// The largest request file accepted (tens of thousands of lines).
const MAX_REQUESTS: usize = 16 << 20;

/// Who sees the pages: staff who read persons' records.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::PersonRead) && u.role != Role::InsuredPerson
}

/// Who records transfers out and in.
fn may_record(u: &User) -> bool {
    u.role.has(Permission::PersonWrite)
}

/// Who reviews held transfers (the use case checks maker–checker and the region).
fn may_review(u: &User) -> bool {
    matches!(
        u.role,
        Role::ProvinceBureauOfficer | Role::ProvinceBureauApprover
    )
}

/// The pages and their forms' posts.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/transfers", get(list))
        .route("/transfers/out", post(out))
        .route(
            "/transfers/in",
            post(incoming).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/transfers/requests",
            post(requests).layer(DefaultBodyLimit::max(MAX_REQUESTS)),
        )
        .route("/transfers/{id}", get(show))
        .route("/transfers/{id}/decide", post(decide))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

fn not_done(user: &User, e: &AppError) -> Response {
    error_page(
        e.status(),
        &user.login,
        &tf("tr-not-done", &[("reason", &e.message())]),
    )
}

fn region_name(c: u32) -> String {
    RegionCode::new(c)
        .ok()
        .and_then(|r| {
            Divisions::shanxi()
                .get(r)
                .map(|x| format!("{c} {}", x.name))
        })
        .unwrap_or_else(|| c.to_string())
}

fn grid(rows: &[Listed]) -> Grid {
    Grid {
        id: "transfers-list",
        title: lang::t("tr-list").into(),
        cols: vec![
            ("编号", 20.0),
            ("方向", 8.0),
            ("身份证号", 20.0),
            ("区县", 16.0),
            ("对方省份", 10.0),
            ("转移日期", 12.0),
            ("缴费月数", 10.0),
            ("凭证金额（元）", 16.0),
            ("到账金额（元）", 16.0),
            ("状态", 16.0),
            ("经办人", 12.0),
        ],
        rows: rows
            .iter()
            .map(|t| {
                vec![
                    Cell::Text(t.id.to_string()),
                    Cell::Text(
                        if t.direction == "out" {
                            lang::t("tr-out")
                        } else {
                            lang::t("tr-in")
                        }
                        .into(),
                    ),
                    Cell::Text(t.id_number_masked.clone()),
                    Cell::Text(t.county.map(region_name).unwrap_or_else(|| "-".into())),
                    Cell::Int(t.other_province),
                    Cell::Text(t.transfer_date.clone()),
                    Cell::Int(t.paid_months),
                    Cell::Money(t.total),
                    t.received.map_or(Cell::Empty, Cell::Money),
                    Cell::Text(transfer::review::status_name(&t.status).into()),
                    Cell::Text(t.created_by.clone()),
                ]
            })
            .collect(),
        link: Some(|r| format!("/transfers/{}", r[0].text())),
    }
}

fn forms(csrf: &str, user: &User) -> Markup {
    let county = (!user.region.get().is_multiple_of(100)).then(|| user.region.get().to_string());
    html! {
        h2 { (lang::t("tr-out-title")) }
        form method="post" action="/transfers/out" id="out-form" {
            (csrf_field(csrf))
            label for="id_number" { (lang::t("tr-id-number")) } input id="id_number" name="id_number" required autocomplete="off";
            label for="to" { (lang::t("tr-to")) } input id="to" name="to" required;
            label for="on" { (lang::t("tr-on")) } input id="on" name="on" autocomplete="off";
            button type="submit" id="transfer-out" { (lang::t("tr-issue")) }
        }
        h2 { (lang::t("tr-in-title")) }
        form method="post" action="/transfers/in" enctype="multipart/form-data" id="in-form" {
            (csrf_field(csrf))
            label for="file" { (lang::t("tr-file")) } input type="file" id="file" name="file" required;
            label for="received" { (lang::t("tr-received")) } input id="received" name="received" required;
            label for="county" { (lang::t("tr-county")) } input id="county" name="county" required value=[county];
            label for="in-on" { (lang::t("tr-in-on")) } input id="in-on" name="on" autocomplete="off";
            button type="submit" id="transfer-in" { (lang::t("tr-record")) }
        }
        h2 { (t("transfers-requests-heading")) }
        form method="post" action="/transfers/requests" enctype="multipart/form-data" id="requests-form" {
            (csrf_field(csrf))
            label for="requests-file" { (t("transfers-requests-file")) } input type="file" id="requests-file" name="file" required;
            label for="requests-on" { (t("transfers-requests-on")) } input id="requests-on" name="on" autocomplete="off";
            button type="submit" id="transfer-requests" { (t("transfers-requests-submit")) }
        }
    }
}

/// `GET /transfers`.
async fn list(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = user.principal();
    let rows = match with_db(&st, move |db| Ok(transfer::list(db, &who, None)?)).await {
        Ok(r) => r,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let g = grid(&rows);
    if let Some(file) = g.export(&q, "transfers") {
        return file;
    }
    let held = rows.iter().filter(|t| t.status == "held").count();
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="transfers-done" { (msg) } }
        @if held > 0 && may_review(&user) {
            p id="held-count" { (tf("tr-held-count", &[("n", &held.to_string())])) }
        }
        @if may_record(&user) { (forms(&csrf_token(&token), &user)) }
        h2 { (lang::t("tr-records")) }
        (g.render("/transfers", &View::of(&q)))
    };
    Html(page(TITLE, Some(&user.login), body)).into_response()
}

/// A certificate as a page: the person, the money, the years.
fn certificate_view(c: &Certificate) -> Markup {
    html! {
        div id="certificate" {
            (dl(&[
                (lang::t("tr-name"), c.name.clone()),
                (lang::t("tr-id-number"), c.id_number.clone()),
                (lang::t("tr-from"), region_name(c.from_province)),
                (lang::t("tr-to-province"), c.to_province.to_string()),
                (lang::t("tr-date"), c.transfer_date.to_string()),
                (lang::t("tr-paid-months"), c.paid_months.to_string()),
                (lang::t("tr-deemed"), c.deemed_months.to_string()),
                (lang::t("tr-balance"), yuan(c.account_balance)),
                (lang::t("tr-pooling"), yuan(c.pooling)),
                (lang::t("tr-total"), yuan(c.total)),
            ]))
            table id="certificate-years" {
                thead { tr { th { (lang::t("tr-year")) } th { (lang::t("tr-months")) } th { (lang::t("tr-base")) } th { (lang::t("tr-credited")) } th { (lang::t("tr-pooling-col")) } } }
                tbody { @for y in &c.years { tr {
                    td { (y.year) } td class="num" { (y.months) } td class="num" { (yuan(y.base_total)) }
                    td class="num" { (yuan(y.credited)) } td class="num" { (yuan(y.pooling)) }
                } } }
            }
        }
    }
}

fn parse_day(s: &str) -> Result<Date, AppError> {
    if s.is_empty() {
        return Ok(today_china());
    }
    s.parse::<Date>()
        .map_err(|_| AppError::BadRequest(lang::t("tr-bad-on").into()))
}

fn policy() -> Result<Policy, AppError> {
    Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))
}

/// `POST /transfers/out`: the certificate issued and shown.
async fn out(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_record, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let (id_number, to, on) = (text(&f, "id_number"), text(&f, "to"), text(&f, "on"));
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let to: u32 = to
            .parse()
            .map_err(|_| AppError::BadRequest(tf("tr-bad-to", &[("value", &format!("{to:?}"))])))?;
        let on = parse_day(&on)?;
        Ok(transfer::transfer_out(
            db,
            &who,
            &policy()?,
            &id_number,
            to,
            on,
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(c) => {
            let body = html! {
                p class="ok" id="transfers-done" { (lang::t("tr-transferred")) }
                (certificate_view(&c))
                p { a href="/transfers" { (lang::t("record-back")) } }
            };
            Html(page(TITLE, Some(&user.login), body)).into_response()
        }
        Err(e) => not_done(&user, &e),
    }
}

/// A multipart post of staff who record transfers: the user, the form's fields (CSRF checked)
/// and its file (name, bytes); else the error page (`missing`: no file chosen).
async fn upload(
    st: &St,
    headers: &HeaderMap,
    mp: Multipart,
    missing: &str,
) -> Result<(User, crate::returns::Upload, (String, Vec<u8>)), Response> {
    let (user, token) = signed_in_for(st, headers, may_record, error_page).await?;
    let mut u = match read_upload(mp, &token).await {
        Ok(u) => u,
        Err(e) => return Err(error_page(e.status(), &user.login, &e.message())),
    };
    match u.file.take().filter(|(_, b)| !b.is_empty()) {
        Some(f) => Ok((user, u, f)),
        None => Err(error_page(StatusCode::BAD_REQUEST, &user.login, missing)),
    }
}

/// `POST /transfers/in`: a received certificate (multipart) with the money received.
async fn incoming(State(st): State<St>, headers: HeaderMap, mp: Multipart) -> Response {
    let missing = lang::t("tr-no-file");
    let (user, u, (_, bytes)) = match upload(&st, &headers, mp, missing).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (received, county, on) = (
        u.text("received").to_string(),
        u.text("county").to_string(),
        u.text("on").to_string(),
    );
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let received: Fen = received.parse().map_err(|_| {
            AppError::BadRequest(tf(
                "tr-bad-received",
                &[("value", &format!("{received:?}"))],
            ))
        })?;
        let county = county
            .parse::<u32>()
            .ok()
            .and_then(|c| RegionCode::new(c).ok())
            .ok_or_else(|| {
                AppError::BadRequest(tf("tr-bad-county", &[("value", &format!("{county:?}"))]))
            })?;
        let on = parse_day(&on)?;
        Ok(transfer::transfer_in(
            db,
            &who,
            &policy()?,
            &bytes,
            received,
            county,
            on,
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(rep) if rep.status == "held" => done(
            "/transfers",
            &tf(
                "tr-held",
                &[
                    ("id", &rep.transfer.to_string()),
                    ("reasons", &rep.reasons.join(lang::t("web-list-sep"))),
                ],
            ),
        ),
        Ok(rep) => done(
            "/transfers",
            &tf("tr-booked", &[("id", &rep.transfer.to_string())]),
        ),
        Err(e) => not_done(&user, &e),
    }
}

/// The certificate as a file for the receiving province: sealed for the exchange key the
/// service was given, plain only when configured so, refused (409) otherwise.
async fn download(st: &St, user: &User, c: Certificate, id: i64) -> Response {
    let Some(how) = st.cfg.transfer_exchange.clone() else {
        return error_page(StatusCode::CONFLICT, &user.login, lang::t("tr-no-exchange"));
    };
    let made = with_db(st, move |db| {
        let mut bytes = Vec::new();
        let exchange = how.as_app();
        transfer::write_certificate(db, &c, exchange, &mut bytes)?;
        Ok(Download {
            file_name: exchange.name(&format!("transfer-{id}.json")),
            content_type: exchange.content_type("application/json"),
            bytes,
        })
    })
    .await;
    match made {
        Ok(d) => crate::workplace::download(d),
        Err(e) => not_done(user, &e),
    }
}

/// `GET /transfers/{id}`: the certificate (audited), the review form for a held one.
async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let c = transfer::certificate_of(db, &who, id, now_ms())?;
        let t = transfer::list(db, &who, None)?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::NotFound(tf("tr-no-transfer", &[("id", &id.to_string())])))?;
        Ok((c, t))
    })
    .await;
    let (c, t) = match r {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    if q.contains_key("download") {
        return download(&st, &user, c, id).await;
    }
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="transfers-done" { (msg) } }
        p id="transfer-status" { (tf("tr-state", &[("status", transfer::review::status_name(&t.status))])) }
        (certificate_view(&c))
        @if st.cfg.transfer_exchange.is_some() {
            p { a href={ "/transfers/" (id) "?download=1" } id="download" { (lang::t("tr-download")) } }
        } @else {
            p id="transfer-no-exchange" { (lang::t("tr-no-exchange")) }
        }
        @if t.status == "held" && may_review(&user) {
            h2 { (lang::t("tr-review")) }
            @if let Some(r) = t.received { p { (tf("tr-received-vs", &[("received", &yuan(r)), ("total", &yuan(t.total))])) } }
            form method="post" action={ "/transfers/" (id) "/decide" } id="decide-form" {
                (csrf_field(&csrf_token(&token)))
                label for="decision" { (lang::t("tr-decision")) }
                select name="decision" id="decision" {
                    option value="release" { (lang::t("tr-release")) }
                    option value="refuse" { (lang::t("tr-refuse")) }
                }
                label for="reason" { (lang::t("tr-reason")) } input id="reason" name="reason" required;
                button type="submit" id="decide" { (lang::t("tr-decide")) }
            }
        }
        p { a href="/transfers" { (lang::t("record-back")) } }
    };
    Html(page(
        &tf("tr-heading", &[("id", &id.to_string())]),
        Some(&user.login),
        body,
    ))
    .into_response()
}

/// `POST /transfers/{id}/decide`.
async fn decide(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_review, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let decision = match text(&f, "decision").as_str() {
        "release" => Decision::Release,
        "refuse" => Decision::Refuse,
        d => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &user.login,
                &tf("tr-bad-decision", &[("value", &format!("{d:?}"))]),
            );
        }
    };
    let reason = text(&f, "reason");
    let who = user.principal();
    let r = with_db(&st, move |db| {
        Ok(transfer::decide(
            db,
            &who,
            id,
            decision,
            &reason,
            today_china(),
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(t) => done(
            &format!("/transfers/{id}"),
            &tf(
                "tr-decided",
                &[
                    ("id", &id.to_string()),
                    ("status", transfer::review::status_name(&t.status)),
                ],
            ),
        ),
        Err(e) => not_done(&user, &e),
    }
}

/// The lines a request file transferred (or had transferred), each with its certificate link.
fn request_lines(lines: &[(i64, String, i64, Option<Fen>)]) -> Markup {
    html! {
        table id="requests-done" {
            tr {
                th { (t("transfers-requests-row")) } th { (t("transfers-requests-request-no")) }
                th { (t("transfers-requests-transfer")) } th { (t("transfers-requests-total")) }
                th { (t("transfers-requests-certificate")) }
            }
            @for (row, no, id, total) in lines {
                tr {
                    td { (row) } td { (no) } td { (id) }
                    td class="num" { @if let Some(x) = total { (yuan(*x)) } }
                    td { a href={ "/transfers/" (id) "?download=1" } { (t("transfers-requests-download")) } }
                }
            }
        }
    }
}

/// A refused request file: its problems, row and column named.
fn request_problems(file: &str, problems: &[tongchou_app::imports::RowError]) -> Markup {
    html! {
        p class="error" id="transfers-error" {
            (tf("transfers-requests-refused", &[("file", file), ("n", &problems.len().to_string())]))
        }
        table id="problems" {
            tr { th { (t("transfers-requests-row")) } th { (t("transfers-requests-column")) } th { (t("transfers-requests-problem")) } }
            @for e in problems {
                tr { td { (e.row) } td { (e.column.as_deref().unwrap_or("—")) } td { (e.reason) } }
            }
        }
    }
}

/// `POST /transfers/requests`: a file of transfer requests (multipart), every line transferred
/// out in one transaction or none.
async fn requests(State(st): State<St>, headers: HeaderMap, mp: Multipart) -> Response {
    use transfer::requests::Outcome;
    let missing = t("transfers-requests-choose");
    let (user, u, (name, bytes)) = match upload(&st, &headers, mp, missing).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let on = u.text("on").to_string();
    let who = user.principal();
    let file = name.clone();
    let r = with_db(&st, move |db| {
        let on = parse_day(&on)?;
        Ok(transfer::requests::read_requests(
            db,
            &who,
            &policy()?,
            (&file, &bytes),
            on,
            now_ms(),
        )?)
    })
    .await;
    let body = match r {
        Ok(Outcome::Transferred(import, done)) => {
            let total = Fen::new(done.iter().map(|d| d.certificate.total.fen()).sum());
            let lines: Vec<_> = done
                .iter()
                .map(|d| {
                    (
                        d.line.row_no,
                        d.line.request_no.clone(),
                        d.line.transfer_id,
                        Some(d.certificate.total),
                    )
                })
                .collect();
            html! {
                p class="ok" id="transfers-done" {
                    (tf("transfers-requests-done", &[("n", &done.len().to_string()), ("import", &import.to_string()), ("total", &yuan(total))]))
                }
                (request_lines(&lines))
            }
        }
        Ok(Outcome::Already(import, lines)) => {
            let lines: Vec<_> = lines
                .iter()
                .map(|l| (l.row_no, l.request_no.clone(), l.transfer_id, None))
                .collect();
            html! {
                p class="ok" id="transfers-already" { (tf("transfers-requests-already", &[("import", &import.to_string())])) }
                (request_lines(&lines))
            }
        }
        Ok(Outcome::Rejected(problems)) => {
            let body = html! {
                (request_problems(&name, &problems))
                p { a href="/transfers" { (t("transfers-back")) } }
            };
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(page(TITLE, Some(&user.login), body)),
            )
                .into_response();
        }
        Err(e) => {
            let msg = tf("transfers-requests-not-done", &[("reason", &e.message())]);
            return error_page(e.status(), &user.login, &msg);
        }
    };
    let body = html! { (body) p { a href="/transfers" { (t("transfers-back")) } } };
    Html(page(TITLE, Some(&user.login), body)).into_response()
}
