//! Reports in the browser (统计报表): the collection, arrears and disbursement reports of
//! `tongchou_app::reports` (the same sheets as `tongchou report …`) as HTML tables in Chinese,
//! amounts as `1,234,567.89` aligned right, a query form (month, region within the user's own,
//! for arrears the grouping and the day fees accrue to), and the same sheet to download as CSV,
//! XLSX or JSON. Signed-in staff with the report permission only; a county sees its county, a
//! city its counties, the province everything; a refusal is audited.
//!
//! Fund governance has three more pages here, the same sheets as the CLI's: the month's early
//! warning (`/reports/warn?period=M`, `tongchou warn`: months payable, dependency, collection
//! against the task, each warning with its evidence and who must act), the year's gap sharing
//! (`/reports/gap?year=Y`, `tongchou gap show`: every share, paid, overdue) and the year's
//! target assessment ranking (`/reports/assess?year=Y`, `tongchou assess`).

use crate::html::{error_response, page};
use crate::lang::{t, tf};
use crate::table::{Grid, View as GridView};
use crate::{AppError, St, current, report_charts, with_db};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports::{self, By, Cell, Sheet};
use tongchou_app::{assess, gap, warn};
use tongchou_core::access::Permission;
use tongchou_core::{Date, Divisions, Period, RegionCode};
use tongchou_store::access::User;

type Params = HashMap<String, String>;

/// The reports of the web pages: path, Chinese name, what it shows.
const KINDS: [(&str, &str, &str); 6] = [
    (
        "collection",
        crate::lang::msg("rep-collection"),
        crate::lang::msg("rep-collection-what"),
    ),
    (
        "arrears",
        crate::lang::msg("rep-arrears"),
        crate::lang::msg("rep-arrears-what"),
    ),
    (
        "disbursement",
        crate::lang::msg("rep-disbursement"),
        crate::lang::msg("rep-disbursement-what"),
    ),
    (
        "warn",
        crate::lang::msg("rep-warn"),
        crate::lang::msg("rep-warn-what"),
    ),
    (
        "gap",
        crate::lang::msg("rep-gap"),
        crate::lang::msg("rep-gap-what"),
    ),
    (
        "assess",
        crate::lang::msg("rep-assess"),
        crate::lang::msg("rep-assess-what"),
    ),
];

/// The reports chosen by year rather than by month.
fn yearly(kind: &str) -> bool {
    matches!(kind, "gap" | "assess")
}

fn kind_name(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|k| k.0 == kind).map(|k| t(k.1))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t("rep-title"),
        "report-error",
        Some(("/reports", t("rep-back"))),
        msg,
    )
}

/// The signed-in user, or the answer to give instead (login, or a refusal in Chinese).
async fn staff(st: &St, headers: &HeaderMap) -> Result<User, Response> {
    match current(st, headers).await {
        Ok(Some((u, _))) if u.role.has(Permission::ReportRead) => Ok(u),
        Ok(Some((u, _))) => Err(error_page(StatusCode::FORBIDDEN, &u.login, t("rep-denied"))),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(e.status(), "", &e.message())),
    }
}

/// `GET /reports`: the reports this user may read.
pub async fn list(State(st): State<St>, headers: HeaderMap) -> Response {
    let user = match staff(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let body = html! {
        ul id="reports" {
            @for (path, name, what) in KINDS {
                li { a href={ "/reports/" (path) } id={ "report-" (path) } { (t(name)) } " — " (t(what)) }
            }
        }
    };
    Html(page(t("rep-title"), Some(&user.login), body)).into_response()
}

/// What the query form asked for.
struct Ask {
    period: Option<Period>,
    year: Option<i32>,
    /// The assessment's drill-down: an indicator of the county asked for.
    drill: Option<String>,
    region: Option<RegionCode>,
    by: By,
    as_of: Option<Date>,
    format: String,
}

fn ask(p: &Params) -> Result<Ask, String> {
    let get = |k: &str| p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let period = get("period")
        .map(|s| s.parse::<Period>())
        .transpose()
        .map_err(|_| t("rep-bad-period").to_string())?;
    let region = get("region")
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| t("rep-bad-region").to_string())?;
    let by = match get("by") {
        None | Some("county") => By::County,
        Some("employer") => By::Employer,
        Some(_) => return Err(t("rep-bad-by").into()),
    };
    let as_of = get("as_of")
        .map(|s| s.parse::<Date>())
        .transpose()
        .map_err(|_| t("rep-bad-as-of").to_string())?;
    let year = get("year")
        .map(|s| s.parse::<i32>())
        .transpose()
        .ok()
        .flatten()
        .filter(|y| (1990..=2100).contains(y));
    if get("year").is_some() && year.is_none() {
        return Err(t("rep-bad-year").into());
    }
    let drill = get("drill").map(str::to_string);
    if drill
        .as_deref()
        .is_some_and(|i| !tongchou_core::rules::governance::INDICATORS.contains(&i))
    {
        return Err(t("rep-bad-drill").into());
    }
    let format = get("format").unwrap_or("html").to_string();
    Ok(Ask {
        period,
        year,
        drill,
        region,
        by,
        as_of,
        format,
    })
}

/// `2026年10月` (in English `2026-10`)
fn zh_period(p: Period) -> String {
    tf(
        "rep-period",
        &[
            ("year", &p.year().to_string()),
            ("month", &p.month().to_string()),
        ],
    )
}

/// Read the sheet asked for, within the user's region (a refusal audited), with its charts
/// (`crate::report_charts`) where people would rather look than read.
fn read(
    db: &mut tongchou_store::Db,
    user: &User,
    kind: &str,
    a: &Ask,
    period: Period,
) -> Result<(Sheet, Markup), AppError> {
    let region = reports::for_staff(db, &user.principal(), kind, a.region, now_ms())?;
    let year = a.year.unwrap_or(period.year());
    let none = || html! {};
    let sheet = match kind {
        "collection" => reports::collection(db, period, Some(region)).map(|s| (s, none())),
        "arrears" => reports::arrears(db, Some(region), a.by, a.as_of.unwrap_or_else(today_china))
            .map(|s| (s, none())),
        "warn" => warn::compute(db, period).and_then(|r| {
            let chart = report_charts::warn(&r, region);
            warn::sheet(&r, Some(region)).map(|s| (s, chart))
        }),
        "gap" => gap::show(db, year, today_china())
            .and_then(|v| gap::sheet(&v, Some(region)))
            .map(|s| (s, none())),
        "assess" => match &a.drill {
            Some(indicator) => assess::drill(db, year, region, indicator).map(|s| (s, none())),
            None => assess::assess(db, year).and_then(|x| {
                let chart = report_charts::assess(&x, region);
                assess::sheet(&x, Some(region)).map(|s| (s, chart))
            }),
        },
        _ => reports::disbursement(db, period, Some(region)).map(|s| {
            let chart = report_charts::disbursement(&s);
            (s, chart)
        }),
    };
    sheet.map_err(|e| match e {
        tongchou_app::AppError::NotFound(_) if yearly(kind) => {
            AppError::NotFound(tf("rep-no-data-year", &[("year", &year.to_string())]))
        }
        tongchou_app::AppError::NotFound(_) => {
            AppError::NotFound(tf("rep-no-data-month", &[("month", &zh_period(period))]))
        }
        e => e.into(),
    })
}

/// `GET /reports/{kind}`: the query form and the sheet, or with `format=csv|xlsx|json` the sheet
/// as a file to download.
pub async fn show(
    State(st): State<St>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    let user = match staff(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(name) = kind_name(&kind) else {
        return error_page(StatusCode::NOT_FOUND, &user.login, t("rep-no-such"));
    };
    let a = match ask(&p) {
        Ok(a) => a,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &user.login, &m),
    };
    let period = match (kind.as_str(), a.period, a.year) {
        (k, _, Some(y)) if yearly(k) => Period::new(y, 12).ok(),
        (k, _, None) if yearly(k) => None,
        (_, Some(p), _) => Some(p),
        ("arrears", None, _) => Some(today_china().period()),
        _ => None,
    };
    let Some(period) = period else {
        // no month chosen yet: the form alone
        let hint = if yearly(&kind) {
            t("rep-pick-year")
        } else {
            t("rep-pick-month")
        };
        let body = html! { (form(&kind, &user, &a)) p id="report-hint" { (hint) } };
        return Html(page(name, Some(&user.login), body)).into_response();
    };
    let u = user.clone();
    let k = kind.clone();
    let r = with_db(&st, move |db| {
        let sheet = read(db, &u, &k, &a, period)?;
        Ok((sheet, a))
    })
    .await;
    let ((sheet, charts), a) = match r {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &refusal(&e)),
    };
    let title = match kind.as_str() {
        "arrears" => format!("{name} {}", region_title(&sheet)),
        k if yearly(k) => format!(
            "{name} {} {}",
            tf("rep-year-of", &[("year", &period.year().to_string())]),
            region_title(&sheet)
        ),
        _ => format!("{name} {} {}", zh_period(period), region_title(&sheet)),
    };
    let grid = grid_of(&kind, &sheet, &title);
    if let Some(file) = grid
        .as_ref()
        .and_then(|g| g.export(&p, &stem(&kind, &sheet)))
    {
        return file;
    }
    match a.format.as_str() {
        "csv" | "xlsx" | "json" => download(&kind, &sheet, &a.format),
        _ => {
            let path = format!("/reports/{kind}?{}", query(&kind, &a, period));
            let body = html! {
                (form(&kind, &user, &a))
                (downloads(&kind, &a, period))
                (charts)
                @match &grid {
                    Some(g) => div class="scroll" { (g.render(&path, &GridView::of(&p))) },
                    None => (table(&sheet)),
                }
                @if grid.is_some() { (extras(&sheet)) }
            };
            Html(page(&title, Some(&user.login), body)).into_response()
        }
    }
}

/// The long lists without a total row (the early warning, the gap's shares, the ranking and its
/// drill-downs) as a grid: filter, sort, pages, the selection exported.
fn grid_of(kind: &str, s: &Sheet, title: &str) -> Option<Grid> {
    if s.total.is_some() || !matches!(kind, "warn" | "gap" | "assess") {
        return None;
    }
    Some(Grid {
        id: "report",
        title: title.to_string(),
        cols: s.cols.iter().map(|c| (c.text(), 16.0)).collect(),
        rows: s.rows.clone(),
        link: None,
    })
}

fn refusal(e: &AppError) -> String {
    match e.status() {
        StatusCode::FORBIDDEN => tf("rep-denied-because", &[("reason", &e.message())]),
        StatusCode::INTERNAL_SERVER_ERROR => t("rep-internal").into(),
        _ => e.message(),
    }
}

fn region_title(s: &Sheet) -> String {
    s.meta
        .iter()
        .find(|(k, _)| *k == "region_name")
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("山西省")
        .to_string()
}

/// The name of the sheet's files: `warn-2020-01`.
fn stem(kind: &str, sheet: &Sheet) -> String {
    match sheet
        .meta
        .iter()
        .find(|(k, _)| *k == "period" || *k == "year")
    {
        Some((_, v)) => format!(
            "{kind}-{}",
            v.as_str().map_or_else(|| v.to_string(), str::to_string)
        ),
        None => kind.to_string(),
    }
}

/// The sheet as a file: `Content-Disposition: attachment`.
fn download(kind: &str, sheet: &Sheet, format: &str) -> Response {
    let stem = stem(kind, sheet);
    let region = sheet
        .meta
        .iter()
        .find(|(k, _)| *k == "region")
        .map(|(_, v)| format!("-{v}"))
        .unwrap_or_default();
    let (bytes, mime) = match format {
        "csv" => (sheet.csv().into_bytes(), "text/csv; charset=utf-8"),
        "json" => match serde_json::to_string_pretty(&sheet.json()) {
            Ok(mut s) => {
                s.push('\n');
                (s.into_bytes(), "application/json")
            }
            Err(e) => return AppError::Internal(format!("json: {e}")).into_response(),
        },
        _ => match sheet.xlsx() {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            Err(e) => return AppError::Internal(format!("xlsx: {e}")).into_response(),
        },
    };
    let disposition = format!("attachment; filename=\"{stem}{region}.{format}\"");
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The regions a user may choose: their own and every division within it.
fn region_options(user: &User) -> Vec<(RegionCode, String)> {
    let d = Divisions::shanxi();
    d.all()
        .iter()
        .filter(|r| d.within(r.code, user.region) && !r.is_functional_zone())
        .map(|r| (r.code, r.name.clone()))
        .collect()
}

/// The query form (GET, so the result can be bookmarked).
fn form(kind: &str, user: &User, a: &Ask) -> Markup {
    let chosen = a.region.unwrap_or(user.region);
    html! {
        form method="get" action={ "/reports/" (kind) } id="report-form" {
            @if kind == "arrears" {
                label for="as_of" { (t("rep-late-fee-to")) }
                input id="as_of" name="as_of" type="date" value=[a.as_of.map(|d| d.to_string())];
                label for="by" { (t("rep-by")) }
                select id="by" name="by" {
                    option value="county" selected[a.by == By::County] { (t("rep-by-county")) }
                    option value="employer" selected[a.by == By::Employer] { (t("rep-by-employer")) }
                }
            } @else if yearly(kind) {
                label for="year" { (t("rep-year")) }
                input id="year" name="year" type="number" min="1990" max="2100" required value=[a.year];
            } @else {
                label for="period" { (t("rep-month")) }
                input id="period" name="period" type="month" required value=[a.period.map(|p| p.to_string())];
            }
            label for="region" { (t("rep-region")) }
            select id="region" name="region" {
                @for (code, name) in region_options(user) {
                    option value=(code) selected[code == chosen] { (name) " (" (code) ")" }
                }
            }
            br;
            button type="submit" id="report-submit" { (t("rep-show")) }
        }
    }
}

/// The query of the sheet asked for (month or year, grouping, region).
fn query(kind: &str, a: &Ask, period: Period) -> String {
    let mut q = String::new();
    if kind == "arrears" {
        q.push_str(&format!("by={}", a.by.as_str()));
        if let Some(d) = a.as_of {
            q.push_str(&format!("&as_of={d}"));
        }
    } else if yearly(kind) {
        q.push_str(&format!("year={}", period.year()));
    } else {
        q.push_str(&format!("period={period}"));
    }
    if let Some(r) = a.region {
        q.push_str(&format!("&region={r}"));
    }
    if let Some(d) = &a.drill {
        q.push_str(&format!("&drill={d}"));
    }
    q
}

/// Links to the same sheet as CSV, XLSX and JSON.
fn downloads(kind: &str, a: &Ask, period: Period) -> Markup {
    let q = query(kind, a, period);
    html! {
        p id="downloads" {
            (t("rep-download"))
            a href={ "/reports/" (kind) "?" (q) "&format=xlsx" } id="download-xlsx" { "Excel (XLSX)" } " "
            a href={ "/reports/" (kind) "?" (q) "&format=csv" } id="download-csv" { "CSV" } " "
            a href={ "/reports/" (kind) "?" (q) "&format=json" } id="download-json" { "JSON" }
        }
    }
}

/// A cell as staff read it: amounts `1,234,567.89`, the total row's label `合计`.
fn cell(c: &Cell) -> Markup {
    match c {
        Cell::Money(f) => html! { td class="num" { (f.grouped()) } },
        Cell::Int(i) => html! { td class="num" { (i) } },
        Cell::Text(x) if x == "total" => html! { td { (t("rep-total")) } },
        Cell::Text(x) => html! { td { (x) } },
        Cell::Empty => html! { td {} },
    }
}

/// The sheet as a table: Chinese column labels (`（元）` on amounts), the rows, the total, then
/// the figures of the whole report.
fn table(s: &Sheet) -> Markup {
    let money: Vec<bool> = (0..s.cols.len())
        .map(|i| {
            s.rows
                .iter()
                .chain(s.total.iter())
                .any(|r| matches!(r.get(i), Some(Cell::Money(_))))
        })
        .collect();
    html! {
        table id="report" {
            thead {
                tr {
                    @for (i, c) in s.cols.iter().enumerate() {
                        th data-key=(c.key) { (c.text()) @if money[i] { (t("rep-yuan-suffix")) } }
                    }
                }
            }
            tbody {
                @for r in &s.rows {
                    tr { @for c in r { (cell(c)) } }
                }
            }
            @if let Some(t) = &s.total {
                tfoot { tr class="total-row" { @for c in t { (cell(c)) } } }
            }
        }
        @if s.rows.is_empty() {
            p id="report-empty" { (t("rep-empty")) }
        }
        (extras(s))
    }
}

/// The figures of the whole report under its table.
fn extras(s: &Sheet) -> Markup {
    html! {
        @if !s.extras.is_empty() {
            dl id="report-extras" {
                @for e in &s.extras {
                    dt { (e.text()) }
                    dd data-key=(e.key) {
                        @match &e.value {
                            Cell::Money(f) => { (crate::html::yuan(*f)) }
                            other => { (other.text()) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_app::reports::{Col, Extra};
    use tongchou_core::Fen;

    #[test]
    fn a_sheet_reads_in_chinese_with_grouped_amounts() {
        let s = Sheet {
            title: "t".into(),
            name: "t".into(),
            meta: vec![],
            cols: vec![
                Col {
                    key: "region",
                    label: "city",
                },
                Col {
                    key: "assessed",
                    label: "assessed",
                },
            ],
            rows: vec![vec![
                Cell::Text("140100".into()),
                Cell::Money(Fen::new(123_456_789)),
            ]],
            total: Some(vec![
                Cell::Text("total".into()),
                Cell::Money(Fen::new(123_456_789)),
            ]),
            extras: vec![Extra {
                key: "b",
                label: "b".into(),
                zh: "余额".into(),
                value: Cell::Money(Fen::new(5)),
            }],
        };
        let h = table(&s).into_string();
        assert!(h.contains("<th data-key=\"region\">市代码</th>"), "{h}");
        assert!(h.contains("应缴（元）"), "{h}");
        assert!(h.contains("<td class=\"num\">1,234,567.89</td>"), "{h}");
        assert!(h.contains("<td>合计</td>"), "{h}");
        assert!(h.contains("0.05 元"), "{h}");
    }
}
