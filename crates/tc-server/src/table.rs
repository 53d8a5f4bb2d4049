//! Tables that work (issue 13 item 4): any list a page shows as a [`Grid`] gets a filter (rows
//! whose text contains the words typed, all of them), sorting by any column (amounts and counts
//! by value, text by its characters), pages of [`PER_PAGE`] rows, and the export of what the
//! filter and sort select — every page of it — as XLSX (Chinese headers, number formats, column
//! widths) or CSV (BOM, formula-safe cells), through `tongchou_app::export`. Server-side only:
//! the pages run no script (the CSP forbids it), so the state is the URL's query
//! (`q`, `sort`, `dir`, `page`, `export`), and a link or a bookmark reproduces the view.

use crate::html::yuan;
use crate::lang::{t, tf};
use crate::workplace::download;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use std::cmp::Ordering;
use std::collections::HashMap;
use tongchou_app::export::{Format, Table};
use tongchou_app::reports::Cell;

/// Rows per page.
pub(crate) const PER_PAGE: usize = 50;

/// A list as a page shows it: its id, title, columns (Chinese label, XLSX width) and rows.
pub(crate) struct Grid {
    pub id: &'static str,
    pub title: String,
    pub cols: Vec<(&'static str, f64)>,
    pub rows: Vec<Vec<Cell>>,
    /// The page of a row, linked from its first cell (e.g. a case's own page).
    pub link: Option<fn(&[Cell]) -> String>,
}

/// Text made from a row's cells.
pub(crate) type RowText<'a> = dyn Fn(&[Cell]) -> String + 'a;
/// Markup made from a row's cells.
pub(crate) type RowMarkup<'a> = dyn Fn(&[Cell]) -> Markup + 'a;

/// What a page adds to a grid: an id for each row (`user-LOGIN`), a last column of actions
/// (the row's forms; neither filtered, sorted nor exported) and a total row under the rows.
#[derive(Default)]
pub(crate) struct Extra<'a> {
    pub row_id: Option<&'a RowText<'a>>,
    pub actions: Option<(&'static str, &'a RowMarkup<'a>)>,
    pub total: Option<Markup>,
}

/// How the user views a grid: the filter words, the sort column and direction, the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct View {
    pub q: String,
    pub sort: Option<usize>,
    pub desc: bool,
    /// From 1.
    pub page: usize,
}

impl Default for View {
    /// Unfiltered, unsorted, the first page (pages count from 1).
    fn default() -> View {
        View {
            q: String::new(),
            sort: None,
            desc: false,
            page: 1,
        }
    }
}

impl View {
    /// The view a query asks for; anything unreadable falls back to the default (unsorted,
    /// unfiltered, first page), never an error.
    pub fn of(q: &HashMap<String, String>) -> View {
        let get = |k: &str| q.get(k).map(|s| s.trim()).unwrap_or("");
        View {
            q: get("q").chars().take(100).collect(),
            sort: get("sort").parse().ok(),
            desc: get("dir") == "desc",
            page: get("page").parse().ok().filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The query of this view with some fields changed (`None` drops one).
    fn link(&self, path: &str, sort: Option<usize>, desc: bool, page: usize) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            parts.push(("q".into(), self.q.clone()));
        }
        if let Some(s) = sort {
            parts.push(("sort".into(), s.to_string()));
            parts.push(("dir".into(), if desc { "desc" } else { "asc" }.into()));
        }
        if page > 1 {
            parts.push(("page".into(), page.to_string()));
        }
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(parts)
            .finish();
        match (query.is_empty(), path.contains('?')) {
            (true, _) => path.to_string(),
            (false, true) => format!("{path}&{query}"),
            (false, false) => format!("{path}?{query}"),
        }
    }
}

/// How a cell reads on the page (amounts with separators and 元).
fn shown(c: &Cell) -> String {
    match c {
        Cell::Money(f) => yuan(*f),
        other => other.text(),
    }
}

/// A text that is a plain decimal number (`85.25`, `-3`, `17.9`; at most 6 decimals, 30
/// digits) as millionths, exactly; anything else `None`.
fn decimal(t: &str) -> Option<i128> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 30 || frac.len() > 6 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let mut v: i128 = int.parse().ok()?;
    for i in 0..6 {
        let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i128);
        v = v * 10 + d;
    }
    Some(if neg { -v } else { v })
}

/// Two cells of a column in order: numbers by value (also numbers written as text, such as
/// scores `85.25`, which come before other text), other text by its characters, empty first.
fn order(a: &Cell, b: &Cell) -> Ordering {
    match (a, b) {
        (Cell::Money(x), Cell::Money(y)) => x.cmp(y),
        (Cell::Int(x), Cell::Int(y)) => x.cmp(y),
        (Cell::Empty, Cell::Empty) => Ordering::Equal,
        (Cell::Empty, _) => Ordering::Less,
        (_, Cell::Empty) => Ordering::Greater,
        _ => {
            let (x, y) = (a.text(), b.text());
            // numbers before other text, so that the order stays total
            match (decimal(&x), decimal(&y)) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => x.cmp(&y),
            }
        }
    }
}

impl Grid {
    /// The rows the view selects, filtered and sorted (all pages).
    pub fn selected(&self, v: &View) -> Vec<&Vec<Cell>> {
        let words: Vec<String> = v.q.split_whitespace().map(str::to_lowercase).collect();
        let mut rows: Vec<&Vec<Cell>> = self
            .rows
            .iter()
            .filter(|r| {
                let text: String = r.iter().map(|c| shown(c) + " ").collect::<String>();
                let text = text.to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect();
        if let Some(col) = v.sort.filter(|c| *c < self.cols.len()) {
            rows.sort_by(|a, b| {
                let o = order(&a[col], &b[col]);
                if v.desc { o.reverse() } else { o }
            });
        }
        rows
    }

    /// The grid on the page: the filter form, the sortable headers, one page of rows, the pager
    /// and the export links. `path` is the page's own path, with the page's own query if it has
    /// one (`/gap?year=2021`): the links and the filter keep it and the view.
    pub fn render(&self, path: &str, v: &View) -> Markup {
        self.render_with(path, v, &Extra::default())
    }

    /// [`Grid::render`] with what the page adds to the rows.
    pub fn render_with(&self, path: &str, v: &View, extra: &Extra) -> Markup {
        let rows = self.selected(v);
        let pages = rows.len().div_ceil(PER_PAGE).max(1);
        let page = v.page.min(pages);
        let shown_rows = rows.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE);
        let export = |f: &str| {
            let link = v.link(path, v.sort, v.desc, 1);
            let sep = if link.contains('?') { '&' } else { '?' };
            format!("{link}{sep}export={f}")
        };
        html! {
            form method="get" action=(path.split('?').next().unwrap_or(path)) class="grid-filter" id={ (self.id) "-filter" } {
                @for (k, val) in form_urlencoded::parse(path.split_once('?').map_or("", |(_, q)| q).as_bytes()) {
                    input type="hidden" name=(k) value=(val);
                }
                @if let Some(s) = v.sort { input type="hidden" name="sort" value=(s); input type="hidden" name="dir" value=(if v.desc { "desc" } else { "asc" }); }
                label for={ (self.id) "-q" } { (t("grid-filter")) }
                input id={ (self.id) "-q" } name="q" value=(v.q) autocomplete="off" placeholder=(t("grid-words"));
                button type="submit" { (t("grid-apply")) }
                " "
                a href=(export("xlsx")) id={ (self.id) "-xlsx" } { (t("grid-xlsx")) }
                " "
                a href=(export("csv")) id={ (self.id) "-csv" } { (t("grid-csv")) }
            }
            table id=(self.id) class="grid" {
                thead { tr {
                    @for (i, (label, _)) in self.cols.iter().enumerate() {
                        @let on = v.sort == Some(i);
                        @let next_desc = on && !v.desc;
                        th { a href=(v.link(path, Some(i), next_desc, 1)) class="sort" {
                            (crate::lang::zh(label)) @if on { @if v.desc { " ▼" } @else { " ▲" } }
                        } }
                    }
                    @if let Some((label, _)) = extra.actions { th { (crate::lang::zh(label)) } }
                } }
                tbody {
                    @for r in shown_rows {
                        tr id=[extra.row_id.map(|f| f(r))] { @for (i, c) in r.iter().enumerate() {
                            @match (c, self.link.filter(|_| i == 0)) {
                                (_, Some(f)) => td { a href=(f(r)) { (shown(c)) } },
                                (Cell::Money(_) | Cell::Int(_), None) => td class="num" { (shown(c)) },
                                _ => td { (shown(c)) },
                            }
                        }
                        @if let Some((_, f)) = extra.actions { td { (f(r)) } } }
                    }
                }
                @if let Some(t) = &extra.total { tfoot { (t) } }
            }
            p class="pager" id={ (self.id) "-pager" } {
                (tf("grid-pager", &[("rows", &rows.len().to_string()), ("page", &page.to_string()), ("pages", &pages.to_string())])) " "
                @if page > 1 { a href=(v.link(path, v.sort, v.desc, page - 1)) rel="prev" { (t("grid-previous")) } " " }
                @if page < pages { a href=(v.link(path, v.sort, v.desc, page + 1)) rel="next" { (t("grid-next")) } }
            }
        }
    }

    /// The selected rows (every page) as a download, when the query asks for one (`export=csv`
    /// or `export=xlsx`); `None` otherwise.
    pub fn export(&self, q: &HashMap<String, String>, stem: &str) -> Option<Response> {
        let (format, t) = match self.export_table(q)? {
            Ok(x) => x,
            Err(r) => return Some(r),
        };
        Some(match t.download(format, stem) {
            Ok(d) => download(d),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        })
    }

    /// The format and the table of the selected rows (every page) when the query asks for a
    /// download, for a page whose use case renders and audits it; a bad format is a 400 answer.
    pub fn export_table(
        &self,
        q: &HashMap<String, String>,
    ) -> Option<Result<(Format, Table), Response>> {
        let f = q.get("export")?;
        let format = match Format::parse(f) {
            Ok(f) => f,
            Err(e) => return Some(Err((StatusCode::BAD_REQUEST, e.to_string()).into_response())),
        };
        let v = View::of(q);
        Some(Ok((
            format,
            Table {
                title: self.title.clone(),
                sheet: self.title.chars().take(31).collect(),
                cols: self
                    .cols
                    .iter()
                    .map(|(c, w)| (crate::lang::zh_static(c), *w))
                    .collect(),
                rows: self.selected(&v).into_iter().cloned().collect(),
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Fen;

    #[test]
    fn numbers_written_as_text_sort_by_value() {
        assert_eq!(decimal("85.25"), Some(85_250_000));
        assert_eq!(decimal("-3"), Some(-3_000_000));
        assert_eq!(decimal("17.9"), Some(17_900_000));
        for bad in ["", "-", ".5", "1.2345678", "1e3", "12a", "1,000", "—"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        let t = |s: &str| Cell::Text(s.into());
        assert_eq!(order(&t("100.00"), &t("85.00")), Ordering::Greater);
        assert_eq!(order(&t("9"), &t("10.5")), Ordering::Less);
        assert_eq!(order(&t("-1"), &t("0")), Ordering::Less);
        // text that is not a number keeps the order of its characters, after the numbers: a
        // total order, whatever the mix ("2" < "10" < "1x", never back to "2")
        assert_eq!(order(&t("b"), &t("a")), Ordering::Greater);
        assert_eq!(order(&t("10"), &t("1x")), Ordering::Less);
        assert_eq!(order(&t("2"), &t("1x")), Ordering::Less);
        let mut v = [t("1x"), t("10"), t("b"), t("2"), t("-1.5"), Cell::Empty];
        v.sort_by(order);
        let shown: Vec<String> = v.iter().map(Cell::text).collect();
        assert_eq!(shown, ["", "-1.5", "2", "10", "1x", "b"]);
    }

    fn grid(n: i64) -> Grid {
        Grid {
            id: "t",
            title: "测试".into(),
            cols: vec![("名称", 10.0), ("金额", 12.0)],
            rows: (1..=n)
                .map(|i| {
                    vec![
                        Cell::Text(format!("县{i:03}")),
                        Cell::Money(Fen::new(i * 1000 % 7919)),
                    ]
                })
                .collect(),
            link: None,
        }
    }

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn filters_sorts_by_value_and_pages() {
        let g = grid(120);
        let v = View::of(&q(&[("sort", "1"), ("dir", "desc")]));
        let rows = g.selected(&v);
        assert_eq!(rows.len(), 120);
        let amounts: Vec<Fen> = rows
            .iter()
            .map(|r| match r[1] {
                Cell::Money(f) => f,
                _ => Fen::ZERO,
            })
            .collect();
        assert!(
            amounts.windows(2).all(|w| w[0] >= w[1]),
            "by value, descending"
        );
        let only = g.selected(&View::of(&q(&[("q", "县01")])));
        assert_eq!(only.len(), 10, "县010..县019");
        let html = g
            .render("/x", &View::of(&q(&[("page", "3")])))
            .into_string();
        assert!(html.contains("共 120 行，第 3 / 3 页"), "{html}");
        assert!(
            html.contains("县101") && !html.contains("县100<"),
            "page 3 holds 101..120"
        );
        assert!(html.contains("href=\"/x?page=2\""), "{html}");
        // a page beyond the last shows the last; garbage is the default view
        assert_eq!(
            View::of(&q(&[("page", "0"), ("sort", "x")])),
            View::default()
        );
        assert_eq!(View::default().page, 1, "pages count from 1");
    }

    #[test]
    fn exports_what_the_view_selects() {
        let g = grid(120);
        let r = g
            .export(&q(&[("export", "csv"), ("q", "县11")]), "t")
            .expect("download");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(g.export(&q(&[("q", "x")]), "t").is_none());
        let bad = g.export(&q(&[("export", "pdf")]), "t").expect("answer");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    }
}
