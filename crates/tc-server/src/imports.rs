//! Importing a file in the browser (数据导入): a county or city agency's clerk uploads a file of
//! insured persons, employers or wage declarations, the tax liaison a file of collection results.
//! The import is `tongchou_app::imports::import_file` (the role's permission, every row checked
//! against the register and the clerk's region, all or nothing, audited, once per file). A
//! refused file comes back as a table of its problems, row and column named, with the form
//! ready for the corrected file; nothing of it was written.

use crate::html::{csrf_field, dl, error_response, page};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::workplace::Fields;
use crate::{AppError, St, csrf_token, with_db};
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Router, extract::DefaultBodyLimit};
use maud::{Markup, html};
use tongchou_app::clock::{SystemClock, today_china};
use tongchou_app::imports::{
    self as app, ImportOptions, ImportRefusal, ImportReport, Importer, Kind, Rejected,
};
use tongchou_app::reports::Cell;
use tongchou_core::access::Principal;
use tongchou_store::access::User;
use tongchou_store::imports::Imported;

/// The largest file accepted from a browser (a county's persons file of 100,000 rows is about
/// 15 MiB as CSV); larger files go through `tongchou import`.
const MAX_UPLOAD: usize = 128 << 20;

/// Problems shown in the page (all are counted).
const SHOWN: usize = 1_000;

/// The catalogue id of the page title.
const TITLE: &str = "imports-import-a-file";

/// The kinds of file a browser may import into the register, in the form's order.
const KINDS: [Kind; 4] = [
    Kind::Persons,
    Kind::Employers,
    Kind::Declarations,
    Kind::Collections,
];

/// The kinds this user's role may import.
pub(crate) fn kinds_for(u: &User) -> Vec<Kind> {
    KINDS
        .into_iter()
        .filter(|k| app::required_permission(*k).is_some_and(|p| u.role.has(p)))
        .collect()
}

/// Who sees the page: whoever may import some kind.
pub fn may_view(u: &User) -> bool {
    !kinds_for(u).is_empty()
}

/// The page's routes.
pub fn routes() -> Router<St> {
    Router::new().route(
        "/imports",
        get(show)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
    )
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) {
            p {
                a href="/imports" id="imports-link" { (t("imports-import-a-file")) } " "
                a href="/imports/record" id="record-link" { (t("record-enter-one-record")) }
            }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t(TITLE),
        "import-error",
        Some(("/imports", t("record-back"))),
        msg,
    )
}

/// What the last upload did, shown above the form.
pub(crate) enum Outcome {
    Imported(app::Written),
    Already(Imported),
    Rejected { file: String, r: Rejected },
    Refused(StatusCode, String),
}

fn kind_label(k: &str) -> String {
    match KINDS.iter().find(|x| x.as_str() == k) {
        Some(x) => kind_name(*x),
        None => k.to_string(),
    }
}

/// A kind of file as the page names it: `参保人员 persons` in Chinese, `Insured persons` in
/// English.
pub(crate) fn kind_name(k: Kind) -> String {
    match crate::lang::lang() {
        tongchou_core::i18n::Lang::ZhCn => format!("{} {}", k.chinese(), k.as_str()),
        l => k.name(l).to_string(),
    }
}

fn problems(file: &str, r: &Rejected) -> Markup {
    let bad = r.bad_rows();
    html! {
        div id="rejected" class="error" {
            p id="rejected-summary" {
                (tf("imports-refused", &[("file", file)]))
                @if r.structure || bad == 0 {
                    (tf("imports-structure-problems", &[("n", &r.problems.len().to_string())]))
                } @else {
                    (tf("imports-row-problems", &[("rows", &r.rows.to_string()), ("bad", &bad.to_string()), ("n", &r.problems.len().to_string())]))
                }
            }
            p { (t("imports-correct-the-file-and-upload")) }
        }
        table id="problems" {
            tr { th { (t("imports-row")) } th { (t("imports-column")) } th { (t("imports-problem")) } }
            @for e in r.problems.iter().take(SHOWN) {
                tr {
                    td { @if e.row == 0 { (t("imports-file")) } @else { (e.row) } }
                    td { (e.column.as_deref().unwrap_or("—")) }
                    td { (e.reason) }
                }
            }
        }
        @if r.problems.len() > SHOWN {
            p { (tf("imports-more-not-shown", &[("n", &(r.problems.len() - SHOWN).to_string())])) }
        }
    }
}

pub(crate) fn outcome(o: &Outcome) -> Markup {
    match o {
        Outcome::Imported(w) => html! {
            div id="imported" {
                h2 { (t("imports-imported")) }
                (dl(&[
                    (t("imports-file-2"), w.file_name.clone()),
                    (t("imports-kind"), kind_label(w.kind.as_str())),
                    (t("imports-rows"), w.rows.to_string()),
                    (t("imports-import"), w.import_id.to_string()),
                    ("SHA-256", w.file_sha256.clone()),
                ]))
            }
        },
        Outcome::Already(prev) => html! {
            p id="already" {
                (tf("imports-already", &[("at", &prev.imported_at.to_string()), ("id", &prev.id.to_string()), ("rows", &prev.rows.to_string()), ("by", &prev.imported_by)]))
            }
        },
        Outcome::Rejected { file, r } => problems(file, r),
        Outcome::Refused(_, m) => html! { p class="error" id="import-error" { (m) } },
    }
}

fn body(
    user: &User,
    token: &str,
    last: Option<&Outcome>,
    done: &[Imported],
    view: &View,
) -> Markup {
    html! {
        @if let Some(o) = last { (outcome(o)) }
        form method="post" action="/imports" enctype="multipart/form-data" id="import-form" {
            (csrf_field(&csrf_token(token)))
            label for="kind" { (t("imports-kind-of-file")) }
            select id="kind" name="kind" required {
                @for k in kinds_for(user) {
                    option value=(k.as_str()) { (kind_name(k)) }
                }
            }
            label for="file" { (t("imports-file-csv-utf-8-gbk")) }
            input type="file" id="file" name="file" accept=".csv,.xlsx,.txt" required;
            p class="hint" {
                (t("imports-hint"))
            }
            button type="submit" id="import-submit" { (t("imports-upload-and-import")) }
        }
        h2 { (t("imports-import-history")) }
        @if done.is_empty() {
            p { (t("imports-no-import-yet")) }
        } @else {
            div class="scroll" { (history(done).render("/imports", view)) }
        }
    }
}

/// The imports as a grid (filter, sort, pages, export).
fn history(done: &[Imported]) -> Grid {
    Grid {
        id: "imports",
        title: t("imports-import-history").into(),
        cols: vec![
            (t("col-import-no"), 8.0),
            (t("col-time"), 22.0),
            (t("col-kind"), 16.0),
            (t("col-file"), 30.0),
            (t("col-rows"), 10.0),
            (t("col-imported-by"), 14.0),
        ],
        rows: done
            .iter()
            .map(|i| {
                vec![
                    Cell::Int(i.id),
                    Cell::Text(i.imported_at.to_string()),
                    Cell::Text(kind_label(&i.kind)),
                    Cell::Text(i.file_name.clone()),
                    Cell::Int(i.rows),
                    Cell::Text(i.imported_by.clone()),
                ]
            })
            .collect(),
        link: None,
    }
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<(User, String), Response> {
    crate::signed_in_for(st, headers, may_view, error_page).await
}

/// The imports this user may see: a provincial user's all, anyone else's their own.
async fn recent(st: &St, user: &User) -> Result<Vec<Imported>, AppError> {
    let who: Principal = user.principal();
    let login = user.login.clone();
    let province = tongchou_core::Divisions::shanxi()
        .get(who.region)
        .is_some_and(|r| r.level.as_str() == "province");
    with_db(st, move |db| {
        let mut all = tongchou_store::imports::list(db)?;
        all.retain(|i| province || i.imported_by == login);
        all.reverse();
        Ok(all)
    })
    .await
}

async fn render(
    st: &St,
    user: &User,
    token: &str,
    status: StatusCode,
    last: Option<&Outcome>,
    q: &Fields,
) -> Response {
    match recent(st, user).await {
        Ok(done) => {
            if let Some(file) = history(&done).export(q, "imports") {
                return file;
            }
            (
                status,
                Html(page(
                    t(TITLE),
                    Some(&user.login),
                    body(user, token, last, &done, &View::of(q)),
                )),
            )
                .into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// `GET /imports`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    match signed_in(&st, &headers).await {
        Ok((user, token)) => render(&st, &user, &token, StatusCode::OK, None, &q).await,
        Err(r) => r,
    }
}

/// Import the bytes as the file `name` (written to a private temporary directory under that
/// name, so the import's record and audit entry name the clerk's file).
pub(crate) fn import(
    db: &mut tongchou_store::Db,
    who: &Principal,
    kind: Kind,
    name: &str,
    bytes: &[u8],
) -> Result<Outcome, AppError> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(format!("temp dir: {e}")))?;
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).map_err(|e| AppError::Internal(format!("temp file: {e}")))?;
    let path = path.to_string_lossy().into_owned();
    let r = app::import_file(
        db,
        Importer::Staff(who),
        kind,
        &path,
        ImportOptions {
            today: today_china(),
            error_limit: usize::MAX,
            clock: &SystemClock,
            progress: &mut |_, _| {},
        },
    );
    Ok(match r {
        Ok(ImportReport::Imported(w)) => Outcome::Imported(w),
        Ok(ImportReport::Already(prev)) => Outcome::Already(prev),
        Err(ImportRefusal::Rejected(r)) => Outcome::Rejected {
            file: name.to_string(),
            r,
        },
        Err(ImportRefusal::File(e)) => Outcome::Refused(
            StatusCode::BAD_REQUEST,
            tf("imports-file-not-read", &[("reason", &e.to_string())]),
        ),
        Err(ImportRefusal::App(e)) => {
            let e = AppError::from(e);
            if let AppError::Internal(_) = e {
                return Err(e);
            }
            Outcome::Refused(
                e.status(),
                tf("imports-not-imported", &[("reason", &e.message())]),
            )
        }
    })
}

/// `POST /imports`.
async fn upload(State(st): State<St>, headers: HeaderMap, mp: Multipart) -> Response {
    let (user, token) = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut u = match crate::returns::read_upload(mp, &token).await {
        Ok(u) => u,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let Some(kind) = kinds_for(&user)
        .into_iter()
        .find(|k| k.as_str() == u.text("kind"))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("imports-choose-a-kind-of-file"),
        );
    };
    let Some((name, bytes)) = u.file.take().filter(|(_, b)| !b.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            t("imports-choose-a-file"),
        );
    };
    let who = user.principal();
    let r = with_db(&st, move |db| import(db, &who, kind, &name, &bytes)).await;
    match r {
        Ok(o) => {
            let status = match &o {
                Outcome::Imported(_) | Outcome::Already(_) => StatusCode::OK,
                Outcome::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                Outcome::Refused(s, _) => *s,
            };
            render(&st, &user, &token, status, Some(&o), &Fields::new()).await
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}
