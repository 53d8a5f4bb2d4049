//! A bank's return files in the browser (银行回执): a signed-in user who may read them (the
//! provincial bureau, the paying county's agency) uploads a pain.002 or CSV return file and sees
//! what it did; below, the return files already read within the user's region, with their
//! counts. The reading is `tongchou_app::disburse::import_returns` (checked, audited, idempotent,
//! all or nothing), the list `tongchou_app::disburse::return_files`.

use crate::html::{csrf_field, dl, error_response, page};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, ct_eq, with_db};
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::disburse::{self, ReadReturnFile, ReturnsReport};
use tongchou_app::reports::Cell;
use tongchou_core::access::Permission;
use tongchou_core::{Date, Divisions};
use tongchou_store::access::User;

/// The largest return file accepted (a bank's answer to 50,000 payments is a few MiB).
pub(crate) const MAX_UPLOAD: usize = 64 << 20;

/// Files listed.
const LISTED: i64 = 2_000;

/// The catalogue id of the page title.
const TITLE: &str = "page-bank-returns";

/// Who may see the page: those who read returns or reports.
fn may_view(u: &User) -> bool {
    u.role.has(Permission::BankReturnImport) || u.role.has(Permission::ReportRead)
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(status, login, t(TITLE), "returns-error", None, msg)
}

fn region_label(f: &ReadReturnFile) -> String {
    match f.region {
        Some(c) => {
            let name = Divisions::shanxi()
                .get(c)
                .map(|r| r.name.as_str())
                .unwrap_or("");
            format!("{c} {name}")
        }
        None => "-".into(),
    }
}

/// The upload form (for those who may read returns) and the files read so far.
/// The files read as a grid (filter, sort, pages, export).
fn files_grid(files: &[ReadReturnFile]) -> Grid {
    let n = Cell::Int;
    Grid {
        id: "return-files",
        title: t("returns-files-read").into(),
        cols: vec![
            (t("col-read-on"), 12.0),
            (t("col-file"), 36.0),
            (t("col-region"), 14.0),
            (t("col-lines"), 8.0),
            (t("returns-accepted"), 8.0),
            (t("returns-rejected"), 8.0),
            (t("returns-quarantined"), 8.0),
            (t("returns-conflicts"), 8.0),
            (t("col-read-by"), 14.0),
        ],
        rows: files
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.read_on.clone()),
                    Cell::Text(f.file_name.clone()),
                    Cell::Text(region_label(f)),
                    n(f.counts.lines),
                    n(f.counts.accepted),
                    n(f.counts.rejected),
                    n(f.counts.quarantined),
                    n(f.counts.conflicts),
                    Cell::Text(f.read_by.clone().unwrap_or_else(|| "-".into())),
                ]
            })
            .collect(),
        link: None,
    }
}

fn body(
    user: &User,
    token: &str,
    report: Option<(&str, &ReturnsReport)>,
    files: &Markup,
) -> Markup {
    html! {
        @if let Some((name, r)) = report {
            h2 { (t("returns-result")) }
            @if r.already_read {
                p id="already-read" { (tf("returns-already-read", &[("file", name)])) }
            } @else {
                div id="report" {
                    (dl(&[
                        (t("imports-file-2"), name.to_string()),
                        (t("returns-accepted"), r.accepted.to_string()),
                        (t("returns-rejected"), r.rejected.to_string()),
                        (t("returns-quarantined"), r.quarantined.to_string()),
                        (t("returns-conflicts"), r.conflicts.to_string()),
                        (t("returns-posted-transfers"), r.posted_transfers.to_string()),
                    ]))
                    @if !r.transfer_payments.is_empty() {
                        h3 { (t("returns-transfer-answers")) }
                        ul id="transfer-answers" {
                            @for (id, attempt, state) in &r.transfer_payments {
                                li { a href=(format!("/transfers/{id}")) { (tf("returns-transfer-link", &[("transfer", &id.to_string())])) } " "
                                    (tf("returns-transfer-attempt", &[
                                        ("attempt", &attempt.to_string()),
                                        ("state", if state == "paid" { t("returns-transfer-paid") } else { t("returns-transfer-returned") }),
                                    ])) }
                            }
                        }
                    }
                }
            }
        }
        @if user.role.has(Permission::BankReturnImport) {
            form method="post" action="/bank/returns" enctype="multipart/form-data" id="returns-form" {
                (csrf_field(&csrf_token(token)))
                label for="file" { (t("returns-file")) }
                input type="file" id="file" name="file" required;
                label for="on" { (t("returns-read-on")) }
                input id="on" name="on" autocomplete="off" placeholder="2020-01-20";
                br;
                button type="submit" id="upload" { (t("returns-upload-and-read")) }
            }
        }
        h2 { (t("returns-files-read")) }
        (files)
    }
}

/// The signed-in user and their session token, or the answer to give instead.
async fn signed_in(st: &St, headers: &HeaderMap) -> Result<(User, String), Response> {
    crate::signed_in_for(st, headers, may_view, error_page).await
}

/// The page, with the report of a file just read if any.
async fn render(
    st: &St,
    user: &User,
    token: &str,
    report: Option<(&str, &ReturnsReport)>,
    q: &HashMap<String, String>,
) -> Response {
    let who = user.principal();
    let files = match with_db(st, move |db| Ok(disburse::return_files(db, &who, LISTED)?)).await {
        Ok(f) => f,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let grid = files_grid(&files);
    if let Some(file) = grid.export(q, "bank-returns") {
        return file;
    }
    let files = grid.render("/bank/returns", &View::of(q));
    Html(page(
        t(TITLE),
        Some(&user.login),
        body(user, token, report, &files),
    ))
    .into_response()
}

/// `GET /bank/returns`.
pub async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match signed_in(&st, &headers).await {
        Ok((user, token)) => render(&st, &user, &token, None, &q).await,
        Err(r) => r,
    }
}

/// An uploaded file's name without any directory a browser may send, at most 200 characters,
/// `upload` when nothing is left.
pub(crate) fn plain_file_name(sent: &str) -> String {
    let name: String = sent
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.trim().is_empty() || name == "." || name == ".." {
        "upload".to_string()
    } else {
        name
    }
}

/// What a multipart form sent: its text fields (trimmed) and its file (the name without any
/// directory, the bytes).
#[derive(Default)]
pub(crate) struct Upload {
    fields: std::collections::HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    /// A text field, empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Read a multipart form whose `csrf` field must be the session's token (else `Forbidden`).
pub(crate) async fn read_upload(mut mp: Multipart, session: &str) -> Result<Upload, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(tf("returns-upload-failed", &[("reason", &e.to_string())]))
    };
    let mut u = Upload::default();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = plain_file_name(field.file_name().unwrap_or(""));
            u.file = Some((file_name, field.bytes().await.map_err(bad)?.to_vec()));
        } else {
            let v = field.text().await.map_err(bad)?.trim().to_string();
            u.fields.insert(name, v);
        }
    }
    if !ct_eq(u.text("csrf"), &csrf_token(session)) {
        return Err(AppError::Forbidden(crate::lang::t("web-err-csrf").into()));
    }
    Ok(u)
}

/// `POST /bank/returns`: read the uploaded file and show what it did.
pub async fn upload(State(st): State<St>, headers: HeaderMap, mp: Multipart) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut u = match read_upload(mp, &token).await {
        Ok(u) => u,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let Some((name, bytes)) = u.file.take().filter(|(_, b)| !b.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("returns-choose-file"),
        );
    };
    let on = if u.text("on").is_empty() {
        today_china()
    } else {
        match u.text("on").parse::<Date>() {
            Ok(d) => d,
            Err(_) => {
                return error_page(StatusCode::BAD_REQUEST, &user.login, t("returns-bad-date"));
            }
        }
    };
    let who = user.principal();
    let file_name = name.clone();
    let r = with_db(&st, move |db| {
        Ok(disburse::import_returns(
            db,
            &who,
            &file_name,
            &bytes,
            on,
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(report) => render(&st, &user, &token, Some((&name, &report)), &HashMap::new()).await,
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("imports-file-not-read", &[("reason", &e.message())]),
        ),
    }
}
