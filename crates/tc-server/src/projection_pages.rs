//! The fund's cohort projection in the browser (基金精算预测, `/projection`), through
//! `tongchou_app::projection`: the provincial bureau and finance department (the province's
//! staff; the projection is of the whole fund) choose the start year and the years; the page
//! shows the start's figures, a line chart of the balance per scenario (inline SVG drawn on the
//! server, no script), a table per scenario and every assumption with its date, status and
//! source; `/projection/download` gives the XLSX workbook.

use crate::charts::{Chart, Kind, Series, Unit, figure};
use crate::html::{page, yuan};
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

const TITLE: &str = "基金精算预测 Fund projection";

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
    html! {
        @if may_view(u) {
            p { a href="/projection" id="projection-link" { (crate::lang::t("nav-projection")) } }
        }
    }
}

fn refuse(status: StatusCode, login: &str, msg: &str) -> Response {
    error_page(TITLE, status, login, msg)
}

/// The start year (`from_year`, default the last year with contributions) and the years
/// (`years`, default 30).
fn asked(q: &Fields) -> Result<(Option<i32>, u32), String> {
    let from = match opt(q, "from_year") {
        Some(y) => Some(
            y.parse::<i32>()
                .map_err(|_| "起始年度格式 YYYY (from_year)".to_string())?,
        ),
        None => None,
    };
    let years = match opt(q, "years") {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=projection::MAX_YEARS).contains(n))
            .ok_or_else(|| format!("预测年数 1–{} (years)", projection::MAX_YEARS))?,
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
                tongchou_app::AppError::NotFound(
                    "尚无缴费核定数据 no contributions assessed yet".into(),
                )
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
            &format!("{TITLE} · {}年起", p.from_year + 1),
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
            label for="from_year" { "起始年度（以该年末为起点）Start year" }
            input id="from_year" name="from_year" value=(p.from_year) autocomplete="off";
            label for="years" { "预测年数 Years" }
            input id="years" name="years" value=(years) autocomplete="off";
            button type="submit" id="projection-submit" { "预测 Project" }
        }
        p { a id="projection-xlsx" href={ "/projection/download?from_year=" (p.from_year) "&years=" (years) } { "下载 XLSX Download" } }
        h2 { "起点 " (p.from_year) "年末 Start" }
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
        h2 { "各情景年末累计结余 Balance per scenario" }
        (chart(p))
        @for r in &p.runs { (table(r)) }
        h2 { "假设 Assumptions" }
        (assumptions(p))
    }
}

fn table(r: &Run) -> Markup {
    html! {
        h2 { (r.terms.name_zh) " " (r.terms.scenario) }
        div class="scroll" {
            table id={ "projection-" (r.terms.scenario) } {
                thead { tr {
                    th { "年度" } th { "基金收入" } th { "其中缴费" } th { "基金支出" } th { "年末累计结余" }
                    th { "可支付月数" } th { "在职参保" } th { "缴费人数" } th { "离退休" } th { "抚养比" }
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
                thead { tr { th { "情景" } th { "参数" } th { "值" } th { "生效" } th { "状态" } th { "依据" } } }
                tbody {
                    @for (scenario, u) in projection::assumptions(p) {
                        tr { td { (scenario) } td { (u.name) } td { (u.value) } td { (u.effective_from.to_string()) } td { (u.status.label()) } td { (u.source) } }
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
        title: "各情景年末累计结余".into(),
        desc: format!("{}年末起 {n} 年，各情景基金年末累计结余（元）", p.from_year),
        unit: Unit::Fen,
        labels: (0..=n)
            .map(|i| (p.from_year + i as i32).to_string())
            .collect(),
        series: p
            .runs
            .iter()
            .map(|r| Series {
                name: r.terms.name_zh.to_string(),
                values: std::iter::once(p.start.balance.fen())
                    .chain(r.years.iter().map(|y| y.closing.fen()))
                    .collect(),
            })
            .collect(),
    };
    figure(&c, Kind::Lines)
}
