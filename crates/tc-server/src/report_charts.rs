//! The charts of the pages (issue 13 item 3), built with [`crate::charts`] from what the use
//! cases already return (`tongchou_app::{warn, assess, gap, reports}`): the fund's balance by
//! region on the dashboard, months payable and collection against the task on the early
//! warning, the payments of a month by city on the disbursement report, the gap's causes and its
//! shares by level on `/gap`, the ranking by score on the assessment. A chart shows the regions
//! one level below the one asked for (the cities of the province, the counties of a city; a
//! county itself).

use crate::charts::{Chart, Kind, Series, Unit, figure};
use crate::lang::{t, tf};
use maud::{Markup, html};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use tongchou_app::assess::Assessment;
use tongchou_app::reports::{Cell, Sheet};
use tongchou_app::warn::WarnReport;
use tongchou_core::{Divisions, Fen, Level, RegionCode};
use tongchou_engine::assessment::Scored;
use tongchou_engine::warning::RegionIndicators;

fn name(code: RegionCode) -> String {
    Divisions::shanxi()
        .get(code)
        .map_or_else(|| code.to_string(), |r| r.name.clone())
}

/// Whether `code` is shown for `region`: one level below it, or itself when a county.
fn below(code: RegionCode, region: RegionCode) -> bool {
    let d = Divisions::shanxi();
    match d.get(region).map(|r| r.level) {
        Some(Level::Province) => d.get(code).is_some_and(|r| r.level == Level::City),
        Some(Level::City) => code != region && d.within(code, region),
        _ => code == region,
    }
}

fn children(report: &WarnReport, region: RegionCode) -> Vec<&RegionIndicators> {
    report
        .regions
        .iter()
        .filter(|r| below(r.region, region))
        .collect()
}

fn series(name: &str, values: Vec<i64>) -> Series {
    Series {
        name: name.into(),
        values,
    }
}

/// The dashboard: the fund's accumulated balance of each region below the user's.
pub(crate) fn dashboard(report: &WarnReport, region: RegionCode) -> Markup {
    let rows = children(report, region);
    let c = Chart {
        id: "balance-chart".into(),
        title: tf(
            "rc-balance-title",
            &[
                ("year", &report.period.year().to_string()),
                ("month", &report.period.month().to_string()),
            ],
        ),
        desc: tf(
            "rc-balance-desc",
            &[("region", &name(region)), ("n", &rows.len().to_string())],
        ),
        unit: Unit::Fen,
        labels: rows.iter().map(|r| name(r.region)).collect(),
        series: vec![series(
            t("rc-balance"),
            rows.iter().map(|r| r.figures.balance.fen()).collect(),
        )],
    };
    figure(&c, Kind::Bars)
}

/// The early warning: months payable and the collection against the task, by region.
pub(crate) fn warn(report: &WarnReport, region: RegionCode) -> Markup {
    let rows = children(report, region);
    let labels: Vec<String> = rows.iter().map(|r| name(r.region)).collect();
    let months = Chart {
        id: "months-chart".into(),
        title: t("rc-months-title").into(),
        desc: tf(
            "rc-months-desc",
            &[
                ("year", &report.period.year().to_string()),
                ("month", &report.period.month().to_string()),
            ],
        ),
        unit: Unit::Tenths,
        labels: labels.clone(),
        series: vec![series(
            t("rc-months"),
            rows.iter().map(|r| r.months_payable.unwrap_or(0)).collect(),
        )],
    };
    let task = Chart {
        id: "collection-chart".into(),
        title: t("rc-task-title").into(),
        desc: t("rc-task-desc").into(),
        unit: Unit::Fen,
        labels,
        series: vec![
            series(
                t("rc-task"),
                rows.iter().map(|r| r.figures.task.fen()).collect(),
            ),
            series(
                t("rc-collected"),
                rows.iter().map(|r| r.figures.collected.fen()).collect(),
            ),
        ],
    };
    let people = Chart {
        id: "dependency-chart".into(),
        title: t("rc-people-title").into(),
        desc: t("rc-people-desc").into(),
        unit: Unit::Count("chart-persons"),
        labels: task.labels.clone(),
        series: vec![
            series(
                t("rc-contributors"),
                rows.iter().map(|r| r.figures.contributors).collect(),
            ),
            series(
                t("rc-retirees"),
                rows.iter().map(|r| r.figures.pensioners).collect(),
            ),
        ],
    };
    html! { (figure(&months, Kind::Bars)) (figure(&task, Kind::Bars)) (figure(&people, Kind::Bars)) }
}

fn ranking(id: &str, title: &str, list: &[&Scored]) -> Chart {
    Chart {
        id: id.into(),
        title: title.into(),
        desc: tf(
            "rc-ranking-desc",
            &[("title", title), ("n", &list.len().to_string())],
        ),
        unit: Unit::Hundredths,
        labels: list
            .iter()
            .map(|s| format!("{}. {}", s.rank, name(s.region)))
            .collect(),
        series: vec![series(
            t("rc-score"),
            list.iter().map(|s| s.score).collect(),
        )],
    }
}

/// The assessment: the cities and the counties within the region, by rank.
pub(crate) fn assess(a: &Assessment, region: RegionCode) -> Markup {
    let d = Divisions::shanxi();
    let keep = |s: &&Scored| d.within(s.region, region) || d.within(region, s.region);
    let mut cities: Vec<&Scored> = a.cities.iter().filter(keep).collect();
    let mut counties: Vec<&Scored> = a.counties.iter().filter(keep).collect();
    cities.sort_by_key(|s| s.rank);
    counties.sort_by_key(|s| s.rank);
    html! {
        @if !cities.is_empty() {
            (figure(&ranking("rank-cities-chart", &tf("rc-rank-cities", &[("year", &a.year.to_string())]), &cities), Kind::Ranking))
        }
        @if !counties.is_empty() {
            (figure(&ranking("rank-counties-chart", &tf("rc-rank-counties", &[("year", &a.year.to_string())]), &counties), Kind::Ranking))
        }
    }
}

/// A column of a sheet's rows by key: amounts in fen (anything else 0).
fn money_col(s: &Sheet, key: &str) -> Vec<i64> {
    let i = s.cols.iter().position(|c| c.key == key);
    s.rows
        .iter()
        .map(|r| match i.and_then(|i| r.get(i)) {
            Some(Cell::Money(f)) => f.fen(),
            _ => 0,
        })
        .collect()
}

/// The disbursement report: each city's payments issued, stacked as paid, returned, pending.
pub(crate) fn disbursement(s: &Sheet) -> Markup {
    let i = s.cols.iter().position(|c| c.key == "city_name");
    let labels = s
        .rows
        .iter()
        .map(|r| i.and_then(|i| r.get(i)).map(Cell::text).unwrap_or_default())
        .collect();
    let c = Chart {
        id: "payments-chart".into(),
        title: t("rc-payments-title").into(),
        desc: t("rc-payments-desc").into(),
        unit: Unit::Fen,
        labels,
        series: vec![
            series(t("rc-paid"), money_col(s, "paid")),
            series(t("rc-returned"), money_col(s, "returned")),
            series(t("rc-pending"), money_col(s, "pending")),
        ],
    };
    figure(&c, Kind::Stacked)
}

fn fen_of(v: &Json) -> i64 {
    v.as_str()
        .and_then(|s| s.parse::<Fen>().ok())
        .map_or(0, Fen::fen)
}

/// `/gap`: the gap's causes in total, and each city's shares by the level that bears them.
pub(crate) fn gap(j: &Json) -> Markup {
    let d = Divisions::shanxi();
    let empty = vec![];
    let regions = j["regions"].as_array().unwrap_or(&empty);
    let causes = [
        ("collection_shortfall", t("rc-shortfall")),
        ("noncompliant", t("rc-noncompliant")),
        ("policy", t("rc-policy")),
    ];
    let cause = Chart {
        id: "gap-causes-chart".into(),
        title: t("rc-causes-title").into(),
        desc: t("rc-causes-desc").into(),
        unit: Unit::Fen,
        labels: causes.iter().map(|c| c.1.to_string()).collect(),
        series: vec![series(
            t("rc-gap"),
            causes
                .iter()
                .map(|(k, _)| regions.iter().map(|r| fen_of(&r["causes"][*k])).sum())
                .collect(),
        )],
    };
    let levels = [
        ("province", t("rc-province")),
        ("city", t("rc-city")),
        ("county", t("rc-county")),
    ];
    let mut by_city: BTreeMap<RegionCode, [i64; 3]> = BTreeMap::new();
    for r in regions {
        let Some(county) = r["region"].as_i64().and_then(RegionCode::from_stored) else {
            continue;
        };
        let city = d.city_of(county).unwrap_or(county);
        let row = by_city.entry(city).or_default();
        for s in r["shares"].as_array().unwrap_or(&empty) {
            if let Some(k) = levels.iter().position(|l| s["level"] == l.0) {
                row[k] = row[k].saturating_add(fen_of(&s["amount"]));
            }
        }
    }
    let shares = Chart {
        id: "gap-shares-chart".into(),
        title: t("rc-shares-title").into(),
        desc: t("rc-shares-desc").into(),
        unit: Unit::Fen,
        labels: by_city.keys().map(|c| name(*c)).collect(),
        series: levels
            .iter()
            .enumerate()
            .map(|(k, (_, l))| series(l, by_city.values().map(|v| v[k]).collect()))
            .collect(),
    };
    html! { (figure(&cause, Kind::Bars)) (figure(&shares, Kind::Stacked)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_level_below() {
        let rc = |c: u32| RegionCode::new(c).expect("code");
        assert!(below(rc(140100), rc(140000)));
        assert!(!below(rc(140105), rc(140000)));
        assert!(below(rc(140105), rc(140100)) && !below(rc(140100), rc(140100)));
        assert!(below(rc(140105), rc(140105)) && !below(rc(140106), rc(140105)));
    }

    #[test]
    fn gap_shares_add_up_by_city() {
        let j = serde_json::json!({"regions": [
            {"region": 140105, "causes": {"policy": "10.00"}, "shares": [
                {"level": "province", "amount": "6.00"}, {"level": "county", "amount": "4.00"}]},
            {"region": 140106, "causes": {"policy": "1.00"}, "shares": [
                {"level": "city", "amount": "1.00"}]},
        ]});
        let h = gap(&j).into_string();
        assert!(h.contains("太原市 · 省级承担：6.00 元"), "{h}");
        assert!(h.contains("太原市 · 市级承担：1.00 元"), "{h}");
        assert!(h.contains("政策性缺口 · 缺口：11.00 元"), "{h}");
    }
}
