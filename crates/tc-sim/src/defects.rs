//! The demo's eleven cities as legacy files with realistic defects (issue 15, item 2), each
//! planted defect with the place where the check must find it, and the files as the migration
//! team has them after the corrections a real team makes:
//!
//! | city | delivered | found | corrected |
//! |---|---|---|---|
//! | 大同 140200 | an insured person of 太原 also on its books; all files GBK | a review item | none: the provincial bureau keeps 太原's record |
//! | 阳泉 140300 | an insured person's ID number with a wrong check character (the row and its history) | the rows refused at 身份证号, the county's control totals disagree | the rows sent back, the city fixes the ID |
//! | 长治 140400 | three insured persons and a pensioner with the legacy 15-digit ID; pensioners GBK | no defect: upgraded, counted per county | none |
//! | 晋城 140500 | a control total (月养老金合计 of one county) 100 yuan off | the controls row | the city re-issues its controls |
//! | 朔州 140600 | a history year before the person's enrolment | the history row | the city corrects the year |
//! | 晋中 140700 | an insured person of 朔州 also on its books (moved to 晋中) | a review item | none: the bureau takes 晋中's record |
//! | 运城 140800, 临汾 141000 | all files GBK | nothing | none |
//!
//! The other cities are delivered clean. The cities must be checked and loaded in code order
//! (a person registered in two cities is found when the second city is checked).

use crate::legacy::{self, LegacyCity};
use std::collections::BTreeSet;
use tongchou_app::migrate::Checked;
use tongchou_app::migrate::files::Part;
use tongchou_core::{Divisions, RegionCode};
use tongchou_synth::Province;

/// A defect planted in a city's files: where the check must find it (the header is row 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planted {
    pub file: String,
    pub row: u64,
    pub column: Option<String>,
    /// The kind of defect (`docs/LEGACY.md`).
    pub what: &'static str,
}

/// A person registered in two cities, routed to the review list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub file: String,
    pub row: u64,
    pub id_number: String,
    /// How the provincial bureau resolves it in the demo: keep the existing record (`true`) or
    /// take the incoming one.
    pub keep_existing: bool,
}

/// One city of the demo's migration.
#[derive(Clone, Debug)]
pub struct DemoCity {
    pub city: u32,
    /// The files as the city first delivers them.
    pub delivered: LegacyCity,
    /// The files after the migration team's corrections (equal to `delivered` if none).
    pub corrected: LegacyCity,
    /// The parts written in GBK.
    pub gbk: Vec<Part>,
    /// The defects planted in `delivered`, where the check must find them (and nothing else).
    pub planted: Vec<Planted>,
    /// The persons the check must route to the review list (when the cities are loaded in order).
    pub routed: Vec<Routed>,
    /// Rows whose ID number is written in the legacy 15-digit form (upgraded and counted per
    /// county, not defects).
    pub upgraded: u64,
    /// What the team corrected, in words (Chinese first).
    pub corrections: Vec<String>,
}

impl DemoCity {
    /// Compare a check of the delivered files with what was planted: every planted defect found
    /// at its file, row and column, nothing else; the persons routed to review exactly those
    /// planted; the 15-digit IDs counted. `Err` names what differs.
    pub fn compare(&self, checked: &Checked) -> Result<(), String> {
        let found: BTreeSet<Planted> = checked
            .findings
            .defects
            .iter()
            .map(|d| Planted {
                file: d.file.clone(),
                row: d.row,
                column: d.column.clone(),
                what: d.what,
            })
            .collect();
        let want: BTreeSet<Planted> = self.planted.iter().cloned().collect();
        let mut out = Vec::new();
        for x in want.difference(&found) {
            out.push(format!("planted, not found: {x:?}"));
        }
        for x in found.difference(&want) {
            out.push(format!("found, not planted: {x:?}"));
        }
        let reviews: Vec<(String, u64, String)> = checked
            .findings
            .reviews
            .iter()
            .map(|r| (r.file.clone(), r.row, r.id_number.clone()))
            .collect();
        let routed: Vec<(String, u64, String)> = self
            .routed
            .iter()
            .map(|r| (r.file.clone(), r.row, r.id_number.clone()))
            .collect();
        if reviews != routed {
            out.push(format!("reviews {reviews:?}, routed {routed:?}"));
        }
        let upgraded: u64 = checked
            .findings
            .counties
            .iter()
            .map(|l| l.upgraded_ids)
            .sum();
        if upgraded != self.upgraded {
            out.push(format!(
                "{upgraded} 15-digit IDs upgraded, {} planted",
                self.upgraded
            ));
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(format!("city {}: {}", self.city, out.join("; ")))
        }
    }
}

const TAIYUAN: u32 = 140100;
const DATONG: u32 = 140200;
const YANGQUAN: u32 = 140300;
const CHANGZHI: u32 = 140400;
const JINCHENG: u32 = 140500;
const SHUOZHOU: u32 = 140600;
const JINZHONG: u32 = 140700;

fn planted(part: Part, row: u64, column: Option<&str>, what: &'static str) -> Planted {
    Planted {
        file: format!("{}.csv", part.stem()),
        row,
        column: column.map(str::to_string),
        what,
    }
}

/// The row of insured person `i` (data rows start at 2).
fn insured_row(i: usize) -> u64 {
    i as u64 + 2
}

/// The row of the `j`th history row of insured person `i`.
fn history_row(c: &LegacyCity, i: usize, j: usize) -> u64 {
    let before: usize = c.insured[..i].iter().map(|r| r.history.len()).sum();
    (before + j) as u64 + 2
}

/// The row of a county's controls.
fn controls_row(c: &LegacyCity, county: u32) -> u64 {
    c.controls.keys().position(|k| *k == county).unwrap_or(0) as u64 + 2
}

/// An insured person with at least `n` history rows, no arrears and an 18-digit ID of the
/// 1900s, from index `from` on.
fn plain_person(c: &LegacyCity, from: usize, n: usize) -> Option<usize> {
    (from..c.insured.len()).find(|&i| {
        let r = &c.insured[i];
        r.history.len() >= n
            && legacy::fifteen_digit(&r.row[0]).is_some()
            && !c.arrears.iter().any(|a| a[0] == r.row[0])
    })
}

/// The eleven cities of `p` as the demo delivers, finds and corrects them.
pub fn cities(p: &Province) -> Vec<DemoCity> {
    let all: Vec<LegacyCity> = Divisions::shanxi()
        .cities()
        .filter_map(|c| RegionCode::new(c.code.get()).ok())
        .map(|code| legacy::city(p, code))
        .collect();
    let of = |code: u32| all.iter().find(|c| c.city == code);
    let mut out = Vec::new();
    for c in &all {
        let mut d = DemoCity {
            city: c.city,
            delivered: c.clone(),
            corrected: c.clone(),
            gbk: Vec::new(),
            planted: Vec::new(),
            routed: Vec::new(),
            upgraded: 0,
            corrections: Vec::new(),
        };
        match c.city {
            DATONG => {
                if let Some(from) = of(TAIYUAN) {
                    two_cities(&mut d, from, true);
                }
                d.gbk = Part::ALL.to_vec();
            }
            YANGQUAN => bad_check_character(&mut d),
            CHANGZHI => {
                fifteen_digits(&mut d);
                d.gbk = vec![Part::Pensioners];
            }
            JINCHENG => wrong_control_total(&mut d),
            SHUOZHOU => impossible_year(&mut d),
            JINZHONG => {
                if let Some(from) = of(SHUOZHOU) {
                    two_cities(&mut d, from, false);
                }
            }
            140800 | 141000 => d.gbk = Part::ALL.to_vec(),
            _ => {}
        }
        out.push(d);
    }
    out
}

/// A person of `from` also on this city's books (both versions): a review item.
fn two_cities(d: &mut DemoCity, from: &LegacyCity, keep_existing: bool) {
    // the last plain person of the other city: not one the other city's own defects touch
    let Some(i) = (0..from.insured.len())
        .rev()
        .find(|&i| plain_person(from, i, 1) == Some(i))
    else {
        return;
    };
    d.delivered.adopt(from, i);
    d.corrected.adopt(from, i);
    d.routed.push(Routed {
        file: "insured.csv".into(),
        row: insured_row(d.delivered.insured.len() - 1),
        id_number: from.insured[i].row[0].clone(),
        keep_existing,
    });
}

/// An ID number with a wrong check character, in the insured row and its history rows: each
/// row refused at 身份证号, the county's insured count, history rows and balances off.
fn bad_check_character(d: &mut DemoCity) {
    let Some(i) = plain_person(&d.delivered, 0, 2) else {
        return;
    };
    let c = &mut d.delivered;
    let good = c.insured[i].row[0].clone();
    let check = good.chars().last().unwrap_or('0');
    let bad = format!("{}{}", &good[..17], if check == '0' { '1' } else { '0' });
    c.insured[i].row[0] = bad.clone();
    for h in &mut c.insured[i].history {
        h[0] = bad.clone();
    }
    let county = c.insured[i].county;
    d.planted.push(planted(
        Part::Insured,
        insured_row(i),
        Some("身份证号"),
        "file",
    ));
    for j in 0..c.insured[i].history.len() {
        let row = history_row(c, i, j);
        d.planted
            .push(planted(Part::History, row, Some("身份证号"), "file"));
    }
    let row = controls_row(c, county);
    d.planted
        .push(planted(Part::Controls, row, None, "control_total"));
    d.corrections.push(tongchou_core::tr!(
        "sim-fix-check-character",
        row = insured_row(i)
    ));
}

/// Three insured persons and a pensioner written with the legacy 15-digit ID (both versions).
fn fifteen_digits(d: &mut DemoCity) {
    let (mut n, mut rows) = (0, 0);
    let mut from = 0;
    while n < 3 {
        let Some(i) = plain_person(&d.delivered, from, 1) else {
            break;
        };
        for c in [&mut d.delivered, &mut d.corrected] {
            let short = legacy::fifteen_digit(&c.insured[i].row[0]).unwrap_or_default();
            c.insured[i].row[0] = short.clone();
            for h in &mut c.insured[i].history {
                h[0] = short.clone();
            }
        }
        rows += 1 + d.delivered.insured[i].history.len() as u64;
        n += 1;
        from = i + 1;
    }
    let k = d.delivered.pensioners.iter().position(|r| {
        legacy::fifteen_digit(&r[0]).is_some() && !d.delivered.arrears.iter().any(|a| a[0] == r[0])
    });
    if let Some(k) = k {
        for c in [&mut d.delivered, &mut d.corrected] {
            c.pensioners[k][0] = legacy::fifteen_digit(&c.pensioners[k][0]).unwrap_or_default();
        }
        rows += 1;
    }
    d.upgraded = rows;
}

/// The monthly pensions' control total of the last county 100 yuan higher than the files.
fn wrong_control_total(d: &mut DemoCity) {
    let Some(county) = d.delivered.controls.keys().last().copied() else {
        return;
    };
    if let Some(k) = d.delivered.controls.get_mut(&county) {
        k.pensions += 10_000;
    }
    let row = controls_row(&d.delivered, county);
    d.planted
        .push(planted(Part::Controls, row, None, "control_total"));
    d.corrections
        .push(tongchou_core::tr!("sim-fix-control-total", county = county));
}

/// A history year before the person's enrolment.
fn impossible_year(d: &mut DemoCity) {
    let Some(i) = plain_person(&d.delivered, 0, 2) else {
        return;
    };
    let c = &mut d.delivered;
    let year: i32 = c.insured[i].history[0][1].parse().unwrap_or(2000);
    c.insured[i].history[0][1] = (year - 1).to_string();
    let row = history_row(c, i, 0);
    d.planted
        .push(planted(Part::History, row, None, "impossible_history"));
    d.corrections.push(tongchou_core::tr!(
        "sim-fix-history-year",
        row = row,
        year = year
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plants_each_defect_in_its_own_city() {
        let p = tongchou_synth::generate(&tongchou_synth::Options {
            seed: 5,
            persons: 3_000,
            employers: None,
            start: "2020-01".parse().expect("period"),
        })
        .expect("generate");
        let cs = cities(&p);
        assert_eq!(cs.len(), 11);
        let with = |code: u32| cs.iter().find(|c| c.city == code).expect("city");
        assert!(with(YANGQUAN).planted.len() >= 4);
        assert_eq!(with(JINCHENG).planted.len(), 1);
        assert_eq!(with(SHUOZHOU).planted.len(), 1);
        assert!(with(CHANGZHI).upgraded >= 7);
        assert_eq!(with(DATONG).routed.len(), 1);
        assert_eq!(with(JINZHONG).routed.len(), 1);
        for c in &cs {
            // the corrected files differ from the delivered ones exactly where defects were planted
            let same = c.delivered.rows(Part::History) == c.corrected.rows(Part::History)
                && c.delivered.rows(Part::Insured) == c.corrected.rows(Part::Insured)
                && c.delivered.rows(Part::Controls) == c.corrected.rows(Part::Controls);
            assert_eq!(same, c.planted.is_empty(), "{}", c.city);
        }
    }
}
