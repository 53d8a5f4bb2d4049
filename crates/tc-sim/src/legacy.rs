//! A synthetic province written out as one city's legacy files (`docs/LEGACY.md`), for the
//! migration's tests and the demo: the employers of the city and of its insured, the insured
//! persons (active or suspended) with their balance at the cut-over and a contribution history
//! by year that adds up to their months paid at their average index, the pensioners in force
//! with their award components, a few open arrears, and control totals per county that agree
//! with all of it. Defects are made by editing the rows ([`LegacyCity::adopt`],
//! [`LegacyCity::rows`], [`LegacyCity::controls`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tongchou_app::migrate::files::{FileSet, Part};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Fen, Period, Ratio, RegionCode};
use tongchou_synth::{PensionStatus, Province, Status};

/// A county's control totals, in fen for the sums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Control {
    pub employers: u64,
    pub insured: u64,
    pub history_rows: u64,
    pub balance: i64,
    pub pensioners: u64,
    pub pensions: i64,
    pub arrears: u64,
    pub arrears_amount: i64,
}

/// One insured person's rows: the insured row and its history rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsuredRows {
    pub county: u32,
    pub row: Vec<String>,
    pub history: Vec<Vec<String>>,
    pub balance: i64,
}

/// A city's legacy files as rows of cells (header excluded).
#[derive(Clone, Debug, Default)]
pub struct LegacyCity {
    pub city: u32,
    pub employers: Vec<Vec<String>>,
    pub insured: Vec<InsuredRows>,
    pub pensioners: Vec<Vec<String>>,
    pub arrears: Vec<Vec<String>>,
    pub controls: BTreeMap<u32, Control>,
}

fn yuan(f: i64) -> String {
    Fen::new(f).to_string()
}

fn category(c: Category) -> &'static str {
    match c {
        Category::Male => "男",
        Category::FemaleCadre => "女干部",
        Category::FemaleWorker => "女工人",
    }
}

/// The years of a history: `paid` months spread over the months from `first` to the month
/// before `cutover`, oldest first. (year, months)
fn spread(first: Period, cutover: Period, paid: u32) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut left = paid;
    let last = cutover.add_months(-1);
    for y in first.year()..=last.year() {
        let from = if y == first.year() { first.month() } else { 1 };
        let to = if y == last.year() { last.month() } else { 12 };
        let n = (to as u32 + 1).saturating_sub(from as u32).min(left);
        if n > 0 {
            out.push((y, n));
            left -= n;
        }
    }
    out
}

/// The legacy files of `city` from the province `p` (whose first month is the cut-over).
pub fn city(p: &Province, city: RegionCode) -> LegacyCity {
    let cutover = p.options.start;
    let mut c = LegacyCity {
        city: city.get(),
        ..Default::default()
    };
    let mut used = BTreeSet::new();
    for (i, x) in p.persons.iter().enumerate() {
        let county = p.county(x);
        if county.city != city || !matches!(x.status, Status::Active | Status::Suspended) {
            continue;
        }
        c.insured.push(insured(p, i, cutover));
        if let Some(e) = x.employer() {
            used.insert(e);
        }
        if x.status == Status::Active && i % 50 == 0 {
            let e = x
                .employer()
                .map(|e| p.employers[e].credit_code.as_str().to_string());
            let total = x.declared.fen() * 24 / 100;
            let account = x.declared.fen() * 8 / 100;
            c.arrears.push(vec![
                x.id_number().as_str().to_string(),
                e.unwrap_or_default(),
                cutover.add_months(-2).to_string(),
                yuan(total),
                yuan(account),
                String::new(),
            ]);
            let k = c.controls.entry(county.code.get()).or_default();
            k.arrears += 1;
            k.arrears_amount += total;
        }
    }
    for (i, e) in p.employers.iter().enumerate() {
        if p.employer_county(e).city == city || used.contains(&i) {
            let county = p.employer_county(e).code.get();
            c.employers.push(vec![
                e.credit_code.as_str().to_string(),
                p.employer_name(e),
                county.to_string(),
                e.industry().code.to_string(),
                e.status.as_str().to_string(),
            ]);
            c.controls.entry(county).or_default().employers += 1;
        }
    }
    for pn in &p.pensioners {
        let x = &p.persons[pn.person as usize];
        if p.county(x).city != city || pn.status == PensionStatus::Deceased {
            continue;
        }
        c.pensioners.push(pensioner(p, pn));
        let k = c.controls.entry(p.county(x).code.get()).or_default();
        k.pensioners += 1;
        k.pensions += pn.total().fen();
    }
    for r in &c.insured {
        let k = c.controls.entry(r.county).or_default();
        k.insured += 1;
        k.history_rows += r.history.len() as u64;
        k.balance += r.balance;
    }
    c
}

fn insured(p: &Province, i: usize, cutover: Period) -> InsuredRows {
    let x = &p.persons[i];
    let id = x.id_number().as_str().to_string();
    let employer = x
        .employer()
        .map(|e| p.employers[e].credit_code.as_str().to_string());
    let index = x.avg_index().to_string();
    let base = x.declared.fen();
    let history = spread(x.first_insured(), cutover, x.paid_months as u32)
        .into_iter()
        .map(|(y, m)| {
            vec![
                id.clone(),
                y.to_string(),
                m.to_string(),
                yuan(base),
                index.clone(),
                yuan(base * 8 * m as i64 / 100),
            ]
        })
        .collect();
    let row = vec![
        id.clone(),
        x.name(),
        category(x.category).to_string(),
        p.county(x).code.to_string(),
        employer.unwrap_or_default(),
        if x.payer == PayerKind::Employee {
            "职工"
        } else {
            "灵活就业"
        }
        .to_string(),
        x.first_insured().first_day().to_string(),
        if x.status == Status::Suspended {
            "暂停"
        } else {
            "正常"
        }
        .to_string(),
        yuan(base),
        x.deemed_months.to_string(),
        yuan(x.balance.fen()),
    ];
    InsuredRows {
        county: p.county(x).code.get(),
        row,
        history,
        balance: x.balance.fen(),
    }
}

fn pensioner(p: &Province, pn: &tongchou_synth::Pensioner) -> Vec<String> {
    let x = &p.persons[pn.person as usize];
    let (code, bank, _) = *pn.bank();
    vec![
        x.id_number().as_str().to_string(),
        x.name(),
        category(x.category).to_string(),
        p.county(x).code.to_string(),
        pn.retire().to_string(),
        x.paid_months.to_string(),
        x.deemed_months.to_string(),
        x.avg_index().to_string(),
        Ratio(pn.deemed_index as i64 * 10_000).to_string(),
        yuan(pn.account_at_retirement.fen()),
        yuan(pn.benefit_base.fen()),
        Ratio(pn.divisor_tenths as i64 * 10_000_000).to_string(),
        yuan(pn.basic.fen()),
        yuan(pn.account.fen()),
        yuan(pn.transitional.fen()),
        yuan(pn.adjustment.fen()),
        yuan(pn.total().fen()),
        if pn.status == PensionStatus::Suspended {
            "暂停"
        } else {
            "正常"
        }
        .to_string(),
        code.to_string(),
        bank.to_string(),
        pn.bank_account(),
        last_certified(p, pn),
    ]
}

/// The last certification the old system knew: a day in the 360 days before the cut-over,
/// spread by person (as `load` does), empty when the pension started later.
fn last_certified(p: &Province, pn: &tongchou_synth::Pensioner) -> String {
    let start = p.options.start.first_day();
    let back = 1 + (crate::tax::mix((pn.person as u64 + 1) ^ 0xce47) % 360) as i64;
    let on = start.add_days(-back);
    if on > pn.retire().add_months(1).first_day() {
        on.to_string()
    } else {
        String::new()
    }
}

const HEADERS: [(Part, &str); 6] = [
    (
        Part::Employers,
        "统一社会信用代码,单位名称,所属区县代码,行业代码,单位状态",
    ),
    (
        Part::Insured,
        "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期,参保状态,申报工资,视同缴费月数,个人账户余额",
    ),
    (
        Part::History,
        "身份证号,年度,缴费月数,缴费基数,缴费指数,个人账户记账额",
    ),
    (
        Part::Pensioners,
        "身份证号,姓名,人员类别,参保区县代码,退休年月,缴费月数,视同缴费月数,平均缴费指数,视同缴费指数,退休时个人账户余额,计发基数,计发月数,基础养老金,个人账户养老金,过渡性养老金,调整金额,月养老金,待遇状态,开户银行代码,开户银行,银行账号,最近认证日期",
    ),
    (
        Part::Arrears,
        "身份证号,单位统一社会信用代码,费款所属期,应缴金额,其中个人账户,已缴金额",
    ),
    (
        Part::Controls,
        "区县代码,参保单位数,参保人数,缴费记录数,个人账户余额合计,离退休人数,月养老金合计,欠费笔数,欠费金额合计",
    ),
];

impl LegacyCity {
    /// The data rows of a part (the insured and history rows flattened).
    pub fn rows(&self, part: Part) -> Vec<Vec<String>> {
        match part {
            Part::Employers => self.employers.clone(),
            Part::Insured => self.insured.iter().map(|r| r.row.clone()).collect(),
            Part::History => self
                .insured
                .iter()
                .flat_map(|r| r.history.clone())
                .collect(),
            Part::Pensioners => self.pensioners.clone(),
            Part::Arrears => self.arrears.clone(),
            Part::Controls => self
                .controls
                .iter()
                .map(|(county, k)| {
                    vec![
                        county.to_string(),
                        k.employers.to_string(),
                        k.insured.to_string(),
                        k.history_rows.to_string(),
                        yuan(k.balance),
                        k.pensioners.to_string(),
                        yuan(k.pensions),
                        k.arrears.to_string(),
                        yuan(k.arrears_amount),
                    ]
                })
                .collect(),
        }
    }

    /// A part as CSV text (header first, `\n` line ends).
    pub fn csv(&self, part: Part) -> String {
        let header = HEADERS.iter().find(|h| h.0 == part).map_or("", |h| h.1);
        let mut s = format!("{header}\n");
        for r in self.rows(part) {
            s.push_str(&r.join(","));
            s.push('\n');
        }
        s
    }

    fn bytes(&self, part: Part, gbk: &[Part]) -> Vec<u8> {
        let text = self.csv(part);
        if gbk.contains(&part) {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        }
    }

    /// The set in memory, the parts listed in `gbk` encoded in GBK.
    pub fn file_set(&self, gbk: &[Part]) -> FileSet {
        FileSet::from_parts(
            Part::ALL
                .iter()
                .map(|p| (*p, format!("{}.csv", p.stem()), self.bytes(*p, gbk)))
                .collect(),
        )
    }

    /// Write the set into `dir` (created if needed) as `STEM.csv` files.
    pub fn write_dir(&self, dir: &Path, gbk: &[Part]) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for p in Part::ALL {
            std::fs::write(dir.join(format!("{}.csv", p.stem())), self.bytes(p, gbk))?;
        }
        Ok(())
    }

    /// Take insured person `i` of `other` (with their history) into this city's first county,
    /// control totals included: a person registered in two cities.
    pub fn adopt(&mut self, other: &LegacyCity, i: usize) {
        let mut r = other.insured[i].clone();
        let county = *self.controls.keys().next().unwrap_or(&self.city);
        r.county = county;
        r.row[3] = county.to_string();
        // a flexibly employed person: no employer of the other city needed
        r.row[4] = String::new();
        r.row[5] = "灵活就业".into();
        let k = self.controls.entry(county).or_default();
        k.insured += 1;
        k.history_rows += r.history.len() as u64;
        k.balance += r.balance;
        self.insured.push(r);
    }
}

/// The legacy 15-digit form of an 18-digit ID number born in the 1900s (`None` otherwise).
pub fn fifteen_digit(id: &str) -> Option<String> {
    (id.len() == 18 && &id[6..8] == "19").then(|| format!("{}{}", &id[..6], &id[8..17]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_months_over_the_span() {
        let p = |s: &str| s.parse::<Period>().expect("period");
        assert_eq!(
            spread(p("2018-03"), p("2020-01"), 15),
            vec![(2018, 10), (2019, 5)]
        );
        assert_eq!(spread(p("2019-01"), p("2020-01"), 0), vec![]);
        assert_eq!(
            fifteen_digit("140105195801010114").as_deref(),
            Some("140105580101011")
        );
    }
}
