//! The budget's performance evaluation (预算绩效评价) in the browser, `/budget/evaluation`:
//! `tongchou_app::evaluation` (the figures of `tongchou budget evaluate`) for a year and the
//! regions within the user's own — per region its five indicators as percentages, the score of
//! each beside its points, the formula and the figures behind it, the total — then every
//! parameter used with its date, status and source (the definitions are assumptions). The same
//! table downloads as XLSX or JSON. Staff with the report permission; a region outside one's own
//! is refused and audited (`reports::for_staff`).

use crate::html::{nav_link, page, param_cells};
use crate::lang::{t, tf};
use crate::workplace::{Fields, download, error_page, opt};
use crate::{St, with_db};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::evaluation::{self, Evaluation, percent, points};
use tongchou_app::export::{Download, Format};
use tongchou_app::reports;
use tongchou_core::RegionCode;
use tongchou_core::access::Permission;
use tongchou_engine::evaluation::hundredths_text;
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("eval-budget-performance-evaluation");

/// Who sees the page: staff who read reports.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead)
}

/// The page's route.
pub fn routes() -> Router<St> {
    Router::new().route("/budget/evaluation", get(show))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    nav_link(
        may_view(u),
        "/budget/evaluation",
        "evaluation-link",
        crate::lang::t("nav-evaluation"),
    )
}

fn refuse(status: StatusCode, login: &str, msg: &str) -> Response {
    error_page(t(TITLE), status, login, msg)
}

/// The year (`year`, default last year) and the region (`region`), if any.
fn asked(q: &Fields) -> Result<(i32, Option<RegionCode>), String> {
    let year = match opt(q, "year") {
        None => today_china().year() - 1,
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=9999).contains(y))
            .ok_or_else(|| t("eval-year-four-digits").to_string())?,
    };
    let region = opt(q, "region")
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| t("eval-region-six-digits").to_string())?;
    Ok((year, region))
}

/// `GET /budget/evaluation?year=Y[&region=R][&format=xlsx|json]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match crate::signed_in_for(&st, &headers, may_view, refuse).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let (year, asked) = match asked(&q) {
        Ok(x) => x,
        Err(m) => return refuse(StatusCode::BAD_REQUEST, &user.login, &m),
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let region = reports::for_staff(db, &who, "budget_evaluation", asked, now_ms())?;
        Ok((region, evaluation::evaluate(db, year, Some(region))?))
    })
    .await;
    let (region, e) = match r {
        Ok(x) => x,
        Err(e) => return refuse(e.status(), &user.login, &e.message()),
    };
    let file = |ext: &str| format!("budget-evaluation-{year}-{region}.{ext}");
    match opt(&q, "format").as_deref() {
        Some("json") => match serde_json::to_vec_pretty(&e.json()) {
            Ok(bytes) => download(Download {
                file_name: file("json"),
                content_type: "application/json",
                bytes,
            }),
            Err(err) => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                &user.login,
                &err.to_string(),
            ),
        },
        Some("xlsx") => match e.sheet().xlsx() {
            Ok(bytes) => download(Download {
                file_name: file("xlsx"),
                content_type: Format::Xlsx.content_type(),
                bytes,
            }),
            Err(err) => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                &user.login,
                &err.to_string(),
            ),
        },
        _ => Html(page(&e.title(), Some(&user.login), body(&e, region))).into_response(),
    }
}

fn body(e: &Evaluation, region: RegionCode) -> Markup {
    let year = e.year;
    html! {
        form method="get" action="/budget/evaluation" id="evaluation-form" {
            label for="year" { (t("mine-year")) }
            input id="year" name="year" type="number" value=(year);
            label for="region" { (t("eval-region")) }
            input id="region" name="region" value=(region);
            button type="submit" { (t("eval-show")) }
        }
        p id="downloads" {
            (t("eval-download"))
            a id="download-xlsx" href={ "/budget/evaluation?year=" (year) "&region=" (region) "&format=xlsx" } { "Excel (XLSX)" } " "
            a id="download-json" href={ "/budget/evaluation?year=" (year) "&region=" (region) "&format=json" } { "JSON" }
            " · " a href={ "/budget?year=" (year) } { (t("page-budget")) }
        }
        @for r in &e.regions {
            h2 { (tf("eval-region-score", &[("name", &r.name), ("region", &r.region.to_string()), ("score", &hundredths_text(r.score)), ("max", &r.max.to_string())])) }
            table class="evaluation" id={ "evaluation-" (r.region) } {
                thead { tr {
                    th { (t("eval-indicator")) } th { (t("eval-value")) } th { (t("eval-score")) }
                    th { (t("eval-points")) } th { (t("eval-formula")) } th { (t("eval-figures")) }
                } }
                tbody {
                    @for i in &r.indicators {
                        tr {
                            th scope="row" { (i.name) }
                            td class="num" { (percent(i.value)) }
                            td class="num" { (points(i.score)) }
                            td class="num" { (i.weight) }
                            td class="formula" { (i.formula) }
                            td { (i.evidence) }
                        }
                    }
                }
            }
        }
        h2 { (t("eval-parameters")) }
        table id="evaluation-parameters" {
            thead { tr { th { (t("web-parameter")) } th { (t("web-value")) } th { (t("web-from")) } th { (t("web-status")) } th { (t("web-source")) } } }
            tbody {
                @for u in &e.uses {
                    tr { (param_cells(u)) }
                }
            }
        }
    }
}
