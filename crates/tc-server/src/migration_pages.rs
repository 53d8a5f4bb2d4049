//! The cities' migration in the browser, for the provincial bureau (issue 15, item 1):
//! `/migration` lists the cities migrated (their load's fingerprint, cut-over, counts, when and
//! by whom), `/migration?city=C` a city's reconciliation per county as its load kept it (the
//! control totals beside the files, `table::Grid` with XLSX export), and the review list of
//! persons registered in two cities (ID numbers masked) with the form to resolve an open item:
//! keep the province's record or take the incoming one (`tongchou_app::migrate::review`,
//! audited there as `migrate.review`; only the provincial bureau, a refusal audited).

use crate::forms::{Fields, csrf_ok, done, text};
use crate::html::{Module, csrf_field, page};
use crate::lang::{t, tf, zh};
use crate::table::{Grid, View};
use crate::{St, csrf_token, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::clock::now_ms;
use tongchou_app::migrate::{self, review};
use tongchou_app::reports::Cell;
use tongchou_core::access::Permission;
use tongchou_core::{Divisions, RegionCode};
use tongchou_store::access::User;
use tongchou_store::migration::Review;

const TITLE: &str = crate::lang::msg("mig-title");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/migration",
    id: "migration",
    title: TITLE,
    nav: "nav-migration",
};

/// Who sees the pages: the provincial bureau (person write, at the province).
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::PersonWrite) && u.region == Divisions::shanxi().province().code
}

/// The page and its form's post.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/migration", get(show))
        .route("/migration/review/{id}", post(resolve))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

fn name_of(code: i64) -> String {
    tongchou_app::reports::name_of(Divisions::shanxi(), code)
}

/// First 6 and last 4 characters, as `IdNumber::masked` shows them.
fn masked(id: &str) -> String {
    match (id.get(..6), id.get(14..)) {
        (Some(a), Some(b)) if id.len() == 18 => format!("{a}********{b}"),
        _ => "***".into(),
    }
}

fn loads_grid(loads: &[tongchou_store::migration::Loaded]) -> Grid {
    Grid {
        id: "migration-loads",
        title: t("mig-loads").into(),
        cols: vec![
            (t("mig-c-city"), 10.0),
            (t("mig-c-name"), 10.0),
            (t("mig-c-cutover"), 10.0),
            (t("mig-c-insured"), 12.0),
            (t("mig-c-pensioners"), 12.0),
            (t("mig-c-history"), 14.0),
            (t("mig-c-reviews"), 10.0),
            (t("mig-c-fingerprint"), 30.0),
            (t("mig-c-loaded-at"), 22.0),
            (t("mig-c-loaded-by"), 14.0),
        ],
        rows: loads
            .iter()
            .map(|l| {
                vec![
                    Cell::Text(l.city.to_string()),
                    Cell::Text(name_of(l.city)),
                    Cell::Text(format!("{}-{:02}", l.cutover / 100, l.cutover % 100)),
                    Cell::Int(l.insured),
                    Cell::Int(l.pensioners),
                    Cell::Int(l.history_rows),
                    Cell::Int(l.reviews),
                    Cell::Text(l.fingerprint.clone()),
                    Cell::Text(l.loaded_at.clone()),
                    Cell::Text(l.loaded_by.clone()),
                ]
            })
            .collect(),
        link: Some(|r| format!("/migration?city={}", r[0].text())),
    }
}

fn reviews_grid(items: &[Review]) -> Grid {
    Grid {
        id: "migration-reviews",
        title: t("mig-reviews").into(),
        cols: vec![
            (t("mig-c-id"), 8.0),
            (t("mig-c-id-number"), 20.0),
            (t("mig-c-kind"), 10.0),
            (t("mig-c-incoming-city"), 12.0),
            (t("mig-c-incoming-county"), 14.0),
            (t("mig-c-existing-county"), 14.0),
            (t("mig-c-status"), 14.0),
            (t("mig-c-resolved-by"), 14.0),
        ],
        rows: items
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r.id),
                    Cell::Text(masked(&r.id_number)),
                    Cell::Text(r.kind.clone()),
                    Cell::Text(name_of(r.city)),
                    Cell::Text(name_of(r.county)),
                    Cell::Text(name_of(r.existing_county)),
                    Cell::Text(r.status.clone()),
                    Cell::Text(r.resolved_by.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        link: None,
    }
}

/// A cell of the reconciliation: 是 and 否 in the reader's language.
fn yes_no(c: &Cell) -> Cell {
    match c {
        Cell::Text(x) if x == "是" || x == "否" => Cell::Text(zh(x)),
        other => other.clone(),
    }
}

/// The reconciliation's title from its sheet's city and cut-over.
fn report_title(s: &tongchou_app::reports::Sheet) -> String {
    let meta = |k: &str| {
        s.meta
            .iter()
            .find(|(m, _)| *m == k)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    };
    let city = meta("city");
    let name = city.parse::<i64>().map(name_of).unwrap_or_default();
    tf(
        "mig-report-title",
        &[
            ("city", &city),
            ("name", &name),
            ("cutover", &meta("cutover")),
        ],
    )
}

/// A city's reconciliation per county as a grid (the sheet of `migrate::report`).
fn report_grid(s: &tongchou_app::reports::Sheet) -> Grid {
    Grid {
        id: "migration-report",
        title: report_title(s),
        cols: s.cols.iter().map(|c| (c.text(), 14.0)).collect(),
        rows: s
            .rows
            .iter()
            .chain(s.total.iter())
            .map(|r| r.iter().map(yes_no).collect())
            .collect(),
        link: None,
    }
}

/// `GET /migration[?city=C]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let city = match q
        .get("city")
        .map(|c| c.trim().parse::<u32>().map(RegionCode::new))
    {
        None => None,
        Some(Ok(Ok(c))) => Some(c),
        Some(_) => {
            return error_page(StatusCode::BAD_REQUEST, &user.login, t("mig-bad-city"));
        }
    };
    let got = with_db(&st, move |db| {
        let loads = migrate::loads(db)?;
        let report = match city {
            Some(c) => migrate::stored_report(db, c)?,
            None => None,
        };
        let items = review::list(db, city.map(|c| c.get()), true)?;
        Ok((loads, report, items))
    })
    .await;
    let (loads, report, items) = match got {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let v = View::of(&q);
    let loads = loads_grid(&loads);
    let report = report.as_ref().map(report_grid);
    let reviews = reviews_grid(&items);
    // an export names its grid: the report's when a city is chosen, else the loads'
    let exported = match (&report, q.get("grid").map(String::as_str)) {
        (_, Some("reviews")) => reviews.export(&q, "migration_reviews"),
        (Some(r), _) => r.export(&q, "migration_report"),
        (None, _) => loads.export(&q, "migration_loads"),
    };
    if let Some(file) = exported {
        return file;
    }
    let csrf = csrf_token(&token);
    let open: Vec<&Review> = items.iter().filter(|r| r.status == "open").collect();
    let path = city.map_or("/migration".to_string(), |c| format!("/migration?city={c}"));
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="migration-done" { (msg) } }
        p { (t("mig-intro")) }
        h2 { (t("mig-loads")) }
        (loads.render("/migration", &View::of(&Fields::new())))
        @if let Some(r) = &report {
            h2 { (t("mig-reconciliation")) }
            (r.render(&path, &v))
        } @else if city.is_some() {
            p id="migration-not-loaded" { (t("mig-not-loaded")) }
        }
        h2 { (t("mig-reviews")) }
        (reviews.render(&format!("{path}{}grid=reviews", if city.is_some() { "&" } else { "?" }), &View::of(&Fields::new())))
        @if !open.is_empty() {
            h3 { (t("mig-resolve-title")) }
            @for r in &open {
                form method="post" action={ "/migration/review/" (r.id) } id={ "resolve-" (r.id) } {
                    (csrf_field(&csrf))
                    (tf("mig-item", &[("id", &r.id.to_string())])) " " (masked(&r.id_number)) " "
                    select name="decision" {
                        option value="existing" { (t("mig-keep")) }
                        @if r.kind == "insured" { option value="incoming" { (t("mig-take")) } }
                    }
                    button type="submit" { (t("mig-resolve-title")) }
                }
            }
        }
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

/// `POST /migration/review/{id}`.
async fn resolve(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
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
    let decision = match text(&f, "decision").parse::<review::Decision>() {
        Ok(d) => d,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &user.login, &e.to_string()),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        Ok(review::resolve(db, &who, id, decision, now_ms())?)
    })
    .await;
    match r {
        Ok(r) => done(
            &format!("/migration?city={}", r.city),
            &tf(
                "mig-resolved",
                &[("id", &r.id.to_string()), ("status", &r.status)],
            ),
        ),
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("mig-not-done", &[("reason", &e.message())]),
        ),
    }
}
