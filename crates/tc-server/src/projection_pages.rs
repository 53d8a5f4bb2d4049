//! The fund's cohort projection in the browser (基金精算预测, `/projection`), through
//! `tongchou_app::projection`: the provincial bureau and finance department (the province's
//! staff; the projection is of the whole fund) choose the start year and the years; the page
//! shows the start's figures, a line chart of the balance per scenario (inline SVG drawn on the
//! server, no script), a table per scenario and every assumption with its date, status and
//! source; `/projection/download` gives the XLSX workbook.

use crate::charts::{Chart, Kind, Series, Unit, figure};
use crate::html::{nav_link, page, param_cells, yuan};
use crate::lang::{t, tf};
use crate::workplace::{Fields, download, error_page, opt};
use crate::{St, with_db};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::export::Download;
use tongchou_app::projection::{self, Projection, Run};
use tongchou_core::access::Role;
use tongchou_core::{Divisions, Fen};
use tongchou_engine::warning::tenths_text;
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("proj-fund-projection");

/// Who sees the page: the province's bureau and finance staff.
pub fn may_view(u: &User) -> bool {
    u.region == Divisions::shanxi().province().code
        && matches!(
            u.role,
            Role::ProvinceBureauOfficer
                | Role::ProvinceBureauApprover
                | Role::FinanceOfficer
                | Role::FinanceApprover
        )
}

/// The page's routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/projection", get(show))
        .route("/projection/download", get(xlsx))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    nav_link(
        may_view(u),
        "/projection",
        "projection-link",
        crate::lang::t("nav-projection"),
    )
}

fn refuse(status: StatusCode, login: &str, msg: &str) -> Response {
    error_page(t(TITLE), status, login, msg)
}

/// The start year (`from_year`, default the last year with contributions) and the years
/// (`years`, default 30).
fn asked(q: &Fields) -> Result<(Option<i32>, u32), String> {
    let from = match opt(q, "from_year") {
        Some(y) => Some(
            y.parse::<i32>()
                .map_err(|_| t("proj-yyyy-from-year").to_string())?,
        ),
        None => None,
    };
    let years = match opt(q, "years") {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=projection::MAX_YEARS).contains(n))
            .ok_or_else(|| {
                tf(
                    "proj-bad-years",
                    &[("max", &projection::MAX_YEARS.to_string())],
                )
            })?,
        None => 30,
    };
    Ok((from, years))
}

async fn run(st: &St, q: &Fields) -> Result<Projection, crate::AppError> {
    let (from, years) = asked(q).map_err(crate::AppError::BadRequest)?;
    with_db(st, move |db| {
        let from = match from {
            Some(y) => y,
            None => projection::latest_year(db)?.ok_or_else(|| {
                tongchou_app::AppError::NotFound(t("proj-no-contributions-assessed-yet").into())
            })?,
        };
        Ok(projection::project(db, from, years, &[])?)
    })
    .await
}

/// `GET /projection[?from_year=Y&years=N]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match crate::signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match run(&st, &q).await {
        Ok(p) => Html(page(
            &tf(
                "proj-title",
                &[
                    ("title", t(TITLE)),
                    ("year", &(p.from_year + 1).to_string()),
                ],
            ),
            Some(&user.login),
            body(&p),
        ))
        .into_response(),
        Err(e) => refuse(e.status(), &user.login, &e.message()),
    }
}

/// `GET /projection/download?from_year=Y&years=N`: the workbook.
async fn xlsx(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match crate::signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match run(&st, &q).await {
        Ok(p) => match projection::xlsx(&p) {
            Ok(bytes) => download(Download {
                file_name: format!("projection-{}.xlsx", p.from_year),
                content_type: tongchou_app::export::Format::Xlsx.content_type(),
                bytes,
            }),
            Err(e) => {
                let e = crate::AppError::from(e);
                refuse(e.status(), &user.login, &e.message())
            }
        },
        Err(e) => refuse(e.status(), &user.login, &e.message()),
    }
}

fn body(p: &Projection) -> Markup {
    let years = p.runs.first().map_or(0, |r| r.years.len());
    html! {
        form method="get" action="/projection" id="projection-form" {
            label for="from_year" { (t("proj-start-year")) }
            input id="from_year" name="from_year" value=(p.from_year) autocomplete="off";
            label for="years" { (t("proj-years")) }
            input id="years" name="years" value=(years) autocomplete="off";
            button type="submit" id="projection-submit" { (t("proj-project")) }
        }
        p { a id="projection-xlsx" href={ "/projection/download?from_year=" (p.from_year) "&years=" (years) } { (t("proj-xlsx-download")) } }
        h2 { (tf("proj-start", &[("year", &p.from_year.to_string())])) }
        dl id="projection-start" {
            @for (key, label, v) in projection::start_figures(p) {
                dt { (label) }
                dd data-key=(key) {
                    @if matches!(key, "balance" | "avg_base") {
                        (v.parse::<Fen>().map(yuan).unwrap_or(v))
                    } @else { (v) }
                }
            }
        }
        h2 { (t("proj-balance-per-scenario")) }
        (chart(p))
        @for r in &p.runs { (table(r)) }
        h2 { (t("proj-assumptions")) }
        (assumptions(p))
    }
}

fn table(r: &Run) -> Markup {
    html! {
        h2 { (projection::scenario_name(&r.terms)) }
        div class="scroll" {
            table id={ "projection-" (r.terms.scenario) } {
                thead { tr {
                    th { (t("mine-year")) } th { (t("proj-income")) } th { (t("proj-contributions")) } th { (t("proj-expenditure")) } th { (t("proj-closing")) }
                    th { (t("plans-months-payable")) } th { (t("proj-insured")) } th { (t("proj-contributors")) } th { (t("proj-pensioners")) } th { (t("proj-dependency")) }
                } }
                tbody {
                    @for y in &r.years {
                        tr data-year=(y.year) {
                            td { (y.year) }
                            td class="num" { (yuan(y.income)) }
                            td class="num" { (yuan(y.contributions)) }
                            td class="num" { (yuan(y.expenditure)) }
                            td class="num" { (yuan(y.closing)) }
                            td class="num" { (y.months_payable.map(tenths_text).unwrap_or_default()) }
                            td class="num" { (y.insured) }
                            td class="num" { (y.contributors) }
                            td class="num" { (y.pensioners) }
                            td class="num" { (y.dependency_ratio.map(|d| d.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn assumptions(p: &Projection) -> Markup {
    html! {
        div class="scroll" {
            table id="projection-assumptions" {
                thead { tr { th { (t("proj-scenario")) } th { (t("web-parameter")) } th { (t("web-value")) } th { (t("web-from")) } th { (t("web-status")) } th { (t("web-source")) } } }
                tbody {
                    @for (scenario, u) in projection::assumptions(p) {
                        tr { td { (scenario) } (param_cells(u)) }
                    }
                }
            }
        }
    }
}

/// The balance per scenario as lines (`crate::charts`): x the year from the start, y the
/// balance at each year's end.
pub(crate) fn chart(p: &Projection) -> Markup {
    let n = p.runs.first().map_or(0, |r| r.years.len());
    let c = Chart {
        id: "projection-chart".into(),
        title: t("proj-balance-per-scenario").into(),
        desc: tf(
            "proj-chart-desc",
            &[("year", &p.from_year.to_string()), ("n", &n.to_string())],
        ),
        unit: Unit::Fen,
        labels: (0..=n)
            .map(|i| (p.from_year + i as i32).to_string())
            .collect(),
        series: p
            .runs
            .iter()
            .map(|r| Series {
                name: projection::scenario_name(&r.terms),
                values: std::iter::once(p.start.balance.fen())
                    .chain(r.years.iter().map(|y| y.closing.fen()))
                    .collect(),
            })
            .collect(),
    };
    figure(&c, Kind::Lines)
}
