//! Charts drawn on the server (issue 13 item 3): pure functions from figures to `maud` markup —
//! inline SVG, no script, nothing the CSP forbids (presentation attributes, no `style`). Four
//! kinds: bars (one series, or several side by side), stacked bars, a ranking (horizontal bars,
//! best first as given) and lines. Labels in Chinese; each mark's tooltip (`<title>`) gives its
//! exact figure (`1,234,567.89 元`), the axis reads in 元, 万元 or 亿元 as the largest figure
//! asks; every chart has its `<title>` and `<desc>` (`aria-labelledby`) and [`figure`] puts the
//! same numbers in a table beside it. Coordinates are integer pixels computed from the integer
//! figures (fen, tenths of a month, hundredths of a point) in `i128`, so any `i64` fits, and the
//! same figures draw the same bytes.

use crate::lang::{t, tf};
use maud::{Markup, html};
use tongchou_core::Fen;

/// What the figures count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Money in fen: tooltips `1,234.56 元`, the axis in 元, 万元 or 亿元.
    Fen,
    /// Months payable in tenths: `12.3 个月`.
    Tenths,
    /// Points in hundredths: `85.25 分`.
    Hundredths,
    /// A count, with the catalogue's id of its unit (`chart-persons`: `人`).
    Count(&'static str),
}

/// One series: its Chinese name and a figure per category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Series {
    pub name: String,
    pub values: Vec<i64>,
}

/// A chart's figures: its element id, title, description (what it shows, for a screen reader),
/// the unit, the category labels and the series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chart {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub unit: Unit,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

/// How a chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bars,
    Stacked,
    Ranking,
    Lines,
}

pub(crate) const COLORS: [&str; 6] = [
    "#8c1c13", "#1f5fa8", "#2e7d32", "#b26a00", "#6a1b9a", "#455a64",
];
const W: i64 = 720;
const LEFT: i64 = 84;
const RIGHT: i64 = 16;
const TOP: i64 = 34;

fn color(k: usize) -> &'static str {
    COLORS[k % COLORS.len()]
}

/// `v ÷ div` (a power of ten) as an exact decimal, thousands grouped, trailing zeros dropped.
fn decimal(v: i128, div: i128) -> String {
    let neg = v < 0;
    let a = v.unsigned_abs();
    let d = div.unsigned_abs().max(1);
    let int = (a / d).to_string();
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let places = d.to_string().len() - 1;
    let frac = format!("{:0places$}", a % d);
    let frac = frac.trim_end_matches('0');
    let sign = if neg && a > 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A mark's tooltip: `太原市 · 省级承担：6.00 元`.
fn tip(label: &str, series: &str, value: &str) -> String {
    tf(
        "chart-tip",
        &[("label", label), ("series", series), ("value", value)],
    )
}

impl Unit {
    /// A figure exactly, as a tooltip or the data table gives it.
    pub fn exact(self, v: i64) -> String {
        match self {
            Unit::Fen => crate::html::yuan(Fen::new(v)),
            Unit::Tenths => tf("chart-months-n", &[("n", &decimal(v.into(), 10))]),
            Unit::Hundredths => tf("chart-points-n", &[("n", &decimal(v.into(), 100))]),
            Unit::Count(u) => format!("{} {}", decimal(v.into(), 1), t(u)),
        }
    }

    /// The axis's divisor and unit name for figures up to `max_abs`: money in 亿元 from 1 亿元,
    /// in 万元 from 1 万元, else in 元.
    fn scale(self, max_abs: i128) -> (i128, &'static str) {
        match self {
            Unit::Fen if max_abs >= 10_000_000_000 => (10_000_000_000, t("chart-yi-yuan")),
            Unit::Fen if max_abs >= 1_000_000 => (1_000_000, t("chart-wan-yuan")),
            Unit::Fen => (100, t("web-yuan")),
            Unit::Tenths => (10, t("chart-months")),
            Unit::Hundredths => (100, t("chart-points")),
            Unit::Count(u) => (1, t(u)),
        }
    }
}

/// The value axis: from `lo` to `hi` (zero always inside) in steps of `step`, with its divisor
/// and unit name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Axis {
    lo: i128,
    hi: i128,
    step: i128,
    div: i128,
    unit: &'static str,
}

/// The smallest of 1, 2, 5 × 10ⁿ at least `raw` (≥ 1).
fn nice(raw: i128) -> i128 {
    let mut p: i128 = 1;
    loop {
        for m in [1, 2, 5] {
            if m * p >= raw {
                return m * p;
            }
        }
        p *= 10;
    }
}

impl Axis {
    /// An axis holding every figure of `lows` and `highs` and zero, in about four steps.
    fn of(unit: Unit, lows: impl Iterator<Item = i128>, highs: impl Iterator<Item = i128>) -> Axis {
        let lo = lows.min().unwrap_or(0).min(0);
        let hi = highs.max().unwrap_or(0).max(0);
        let (div, name) = unit.scale(lo.abs().max(hi.abs()));
        let span = if hi > lo { hi - lo } else { div };
        let step = nice((span + 3) / 4).max(1);
        let hi = if hi == lo { lo + step } else { hi };
        Axis {
            lo: lo.div_euclid(step) * step,
            hi: (hi + step - 1).div_euclid(step) * step,
            step,
            div,
            unit: name,
        }
    }

    /// The ticks from `lo` to `hi`.
    fn ticks(&self) -> Vec<i128> {
        let mut t = Vec::new();
        let mut v = self.lo;
        while v <= self.hi && t.len() < 50 {
            t.push(v);
            v += self.step;
        }
        t
    }

    /// The pixel of `v` along a length of `len` pixels from `start` (the low end at `start`
    /// when `up` is false, at `start + len` when true: a vertical axis grows upwards).
    fn px(&self, v: i128, start: i64, len: i64, up: bool) -> i64 {
        let span = (self.hi - self.lo).max(1);
        let off = ((v - self.lo) * i128::from(len) / span) as i64;
        if up { start + len - off } else { start + off }
    }

    fn label(&self, v: i128) -> String {
        decimal(v, self.div)
    }
}

/// A chart as a figure: the SVG, then its figures in a table (folded, `id` + `-data`).
pub(crate) fn figure(c: &Chart, kind: Kind) -> Markup {
    html! {
        figure class="chart" id={ (c.id) "-figure" } {
            @match kind {
                Kind::Bars => (bars(c, false)),
                Kind::Stacked => (bars(c, true)),
                Kind::Ranking => (ranking(c)),
                Kind::Lines => (lines(c)),
            }
            (table(c))
        }
    }
}

/// The chart's figures as a table: a row per category, a column per series, exact figures.
pub(crate) fn table(c: &Chart) -> Markup {
    html! {
        details class="chart-data" {
            summary { (tf("chart-data-of", &[("title", &c.title)])) }
            div class="scroll" {
                table id={ (c.id) "-data" } {
                    thead { tr { th { (t("chart-item")) } @for s in &c.series { th { (s.name) } } } }
                    tbody { @for (i, l) in c.labels.iter().enumerate() {
                        tr { td { (l) } @for s in &c.series {
                            td class="num" { (s.values.get(i).map(|v| c.unit.exact(*v)).unwrap_or_default()) }
                        } }
                    } }
                }
            }
        }
    }
}

/// The `<svg>` element with its title, description, frame and caption around `inner`.
fn frame(c: &Chart, h: i64, inner: Markup) -> Markup {
    html! {
        svg id=(c.id) class="chart" xmlns="http://www.w3.org/2000/svg" width=(W) height=(h)
            viewBox={ "0 0 " (W) " " (h) } role="img"
            aria-labelledby={ (c.id) "-title " (c.id) "-desc" } {
            title id={ (c.id) "-title" } { (c.title) }
            desc id={ (c.id) "-desc" } { (c.desc) }
            rect x="0" y="0" width=(W) height=(h) fill="#fff" stroke="#ddd" {}
            text x="8" y="18" font-size="13" font-weight="bold" fill="#1b1b1b" { (c.title) }
            (inner)
        }
    }
}

/// The legend under the plot, from `y`: a swatch and the name of each series.
fn legend(c: &Chart, y: i64) -> Markup {
    html! {
        g class="legend" {
            @for (k, s) in c.series.iter().enumerate() {
                rect x=(LEFT + 150 * k as i64) y=(y) width="12" height="8" fill=(color(k)) {}
                text x=(LEFT + 16 + 150 * k as i64) y=(y + 8) font-size="11" fill="#333" { (s.name) }
            }
        }
    }
}

/// Horizontal grid lines with the axis's labels and unit, for a plot from `top`, `len` high.
fn value_axis(a: &Axis, top: i64, len: i64) -> Markup {
    html! {
        text x=(W - RIGHT) y=(top - 16) font-size="10" fill="#555" text-anchor="end" { (tf("chart-unit", &[("unit", a.unit)])) }
        @for t in a.ticks() {
            @let y = a.px(t, top, len, true);
            line x1=(LEFT) x2=(W - RIGHT) y1=(y) y2=(y) stroke=(if t == 0 { "#888" } else { "#eee" }) {}
            text x=(LEFT - 4) y=(y + 4) font-size="10" fill="#555" text-anchor="end" { (a.label(t)) }
        }
    }
}

/// The category labels under a plot ending at `y`, every `every`-th, slanted when crowded.
fn category_axis(labels: &[String], x: impl Fn(usize) -> i64, y: i64, every: usize) -> Markup {
    let slant = labels.len() > 12;
    html! {
        @for (i, l) in labels.iter().enumerate() {
            @if i % every.max(1) == 0 {
                @if slant {
                    text x=(x(i)) y=(y + 12) font-size="10" fill="#333" text-anchor="end"
                        transform={ "rotate(-45 " (x(i)) " " (y + 12) ")" } { (l) }
                } @else {
                    text x=(x(i)) y=(y + 14) font-size="11" fill="#333" text-anchor="middle" { (l) }
                }
            }
        }
    }
}

/// The low and high end of each category's stack (negative figures stack downwards).
fn stack_ends(c: &Chart) -> Vec<(i128, i128)> {
    (0..c.labels.len())
        .map(|i| {
            c.series.iter().fold((0i128, 0i128), |(lo, hi), s| {
                let v = i128::from(s.values.get(i).copied().unwrap_or(0));
                if v < 0 { (lo + v, hi) } else { (lo, hi + v) }
            })
        })
        .collect()
}

/// Bars per category: side by side (`stacked` false) or stacked.
fn bars(c: &Chart, stacked: bool) -> Markup {
    let n = c.labels.len().max(1) as i64;
    let bottom = if c.labels.len() > 12 { 80 } else { 28 };
    let plot = 240;
    let h = TOP + plot + bottom + 24;
    let axis = if stacked {
        let ends = stack_ends(c);
        Axis::of(c.unit, ends.iter().map(|e| e.0), ends.iter().map(|e| e.1))
    } else {
        let all = || {
            c.series
                .iter()
                .flat_map(|s| s.values.iter().map(|v| i128::from(*v)))
        };
        Axis::of(c.unit, all(), all())
    };
    let band = (W - LEFT - RIGHT) / n;
    let groups = if stacked {
        1
    } else {
        c.series.len().max(1) as i64
    };
    let bw = (band * 4 / 5 / groups).max(1);
    let x0 = |i: usize| LEFT + i as i64 * band + (band - bw * groups) / 2;
    let zero = axis.px(0, TOP, plot, true);
    let mut marks = Vec::new();
    let mut base: Vec<(i128, i128)> = vec![(0, 0); c.labels.len()];
    for (k, s) in c.series.iter().enumerate() {
        for (i, v) in s.values.iter().enumerate().take(c.labels.len()) {
            let v128 = i128::from(*v);
            let (from, to, x) = if stacked {
                let b = &mut base[i];
                let from = if v128 < 0 { b.0 } else { b.1 };
                if v128 < 0 {
                    b.0 += v128
                } else {
                    b.1 += v128
                }
                (from, from + v128, x0(i))
            } else {
                (0, v128, x0(i) + k as i64 * bw)
            };
            let (y1, y2) = (axis.px(from, TOP, plot, true), axis.px(to, TOP, plot, true));
            let tip = tip(&c.labels[i], &s.name, &c.unit.exact(*v));
            marks.push((x, y1.min(y2), (y1 - y2).abs(), color(k), tip));
        }
    }
    let every = (c.labels.len() / 40).max(1);
    html! {
        (frame(c, h, html! {
            (value_axis(&axis, TOP, plot))
            @for (x, y, hh, fill, tip) in &marks {
                rect x=(x) y=(y) width=(bw) height=(hh) fill=(fill) { title { (tip) } }
            }
            line x1=(LEFT) x2=(W - RIGHT) y1=(zero) y2=(zero) stroke="#888" {}
            (category_axis(&c.labels, |i| LEFT + i as i64 * band + band / 2, TOP + plot, every))
            (legend(c, h - 18))
        }))
    }
}

/// A ranking: a horizontal bar per category (in the order given) of the first series, its
/// figure written at the bar's end.
fn ranking(c: &Chart) -> Markup {
    let row = 16;
    let left = 150;
    let n = c.labels.len() as i64;
    let h = TOP + 8 + n * row + 30;
    let empty = Series {
        name: String::new(),
        values: vec![],
    };
    let s = c.series.first().unwrap_or(&empty);
    let vals = || s.values.iter().map(|v| i128::from(*v));
    let axis = Axis::of(c.unit, vals(), vals());
    let len = W - left - RIGHT - 60;
    let zero = axis.px(0, left, len, false);
    let top = TOP + 8;
    html! {
        (frame(c, h, html! {
            text x=(left) y=(top - 4) font-size="10" fill="#555" { (tf("chart-unit", &[("unit", axis.unit)])) }
            @for (i, l) in c.labels.iter().enumerate() {
                @let y = top + i as i64 * row;
                @let v = s.values.get(i).copied().unwrap_or(0);
                @let end = axis.px(v.into(), left, len, false);
                text x=(left - 6) y=(y + 11) font-size="11" fill="#333" text-anchor="end" { (l) }
                rect x=(zero.min(end)) y=(y + 2) width=((end - zero).abs()) height=(row - 4) fill=(color(0)) {
                    title { (tf("chart-value", &[("label", l.as_str()), ("value", &c.unit.exact(v))])) }
                }
                text x=(zero.max(end) + 4) y=(y + 11) font-size="10" fill="#333" { (axis.label(v.into())) }
            }
            line x1=(zero) x2=(zero) y1=(top) y2=(top + n * row) stroke="#888" {}
            @for t in axis.ticks() {
                text x=(axis.px(t, left, len, false)) y=(h - 10) font-size="10" fill="#555" text-anchor="middle" { (axis.label(t)) }
            }
        }))
    }
}

/// A line per series over the categories (years, months), a point with its tooltip at each.
fn lines(c: &Chart) -> Markup {
    let plot = 240;
    let h = TOP + plot + 28 + 24;
    let n = c.labels.len() as i64;
    let all = || {
        c.series
            .iter()
            .flat_map(|s| s.values.iter().map(|v| i128::from(*v)))
    };
    let axis = Axis::of(c.unit, all(), all());
    let x = |i: usize| LEFT + 10 + i as i64 * (W - LEFT - RIGHT - 20) / (n - 1).max(1);
    let every = c.labels.len().div_ceil(10).max(1);
    html! {
        (frame(c, h, html! {
            (value_axis(&axis, TOP, plot))
            @for (k, s) in c.series.iter().enumerate() {
                @let pts: Vec<String> = s.values.iter().enumerate()
                    .map(|(i, v)| format!("{},{}", x(i), axis.px((*v).into(), TOP, plot, true)))
                    .collect();
                polyline data-series=(k) fill="none" stroke=(color(k)) stroke-width="2" points=(pts.join(" ")) {}
                @for (i, v) in s.values.iter().enumerate() {
                    circle cx=(x(i)) cy=(axis.px((*v).into(), TOP, plot, true)) r="3" fill=(color(k)) {
                        title { (tip(c.labels.get(i).map_or("", String::as_str), &s.name, &c.unit.exact(*v))) }
                    }
                }
            }
            (category_axis(&c.labels, x, TOP + plot, every))
            (legend(c, h - 18))
        }))
    }
}

#[cfg(test)]
mod tests;
