//! Analysis and early warning (预警, mechanisms.md §4): one month's indicators per county, city
//! and province from the figures of each book, and the warnings they raise with their evidence
//! and who must act.
//!
//! **Months payable** has ONE definition, [`months_payable`]: the accumulated balance at the
//! month's end ÷ the average monthly expenditure of the last 12 months (fewer while the fund has
//! less history), in tenths of a month, rounded half up. The balance and expenditure of a region
//! are its own (the sum over its books of opening balances, income and expenditure, the flows
//! between levels left out): for the province that is the whole fund; for a city or county it is
//! what the region brought in net of what it spent, negative for a region that spends more than it
//! collects. The report, the demo's summary and the web dashboard all take this figure.
//!
//! **Budget execution deviation** (预算执行偏差, [`budget_deviation`]): each item of a region's
//! approved budget (its group's for a city or the province; the items between levels left out,
//! and contribution income, which the collection-task warning covers) is compared with its
//! time-progress expectation (序时进度): the annual budget × the months elapsed ÷ 12, rounded half
//! up ([`expected_to_date`]). This even phasing is Tongchou's ASSUMPTION: Shanxi's own phasing of
//! the budget is not known. Executed − expected over expected beyond `warning.budget_deviation`,
//! either way, is a warning for the region's agency.

use serde::Serialize;
use std::collections::BTreeMap;
use tongchou_core::i18n::word;
use tongchou_core::money::div_round_half_up;
use tongchou_core::ratio::RATIO_SCALE;
use tongchou_core::rules::governance::WarningTerms;
use tongchou_core::tr;
use tongchou_core::{Divisions, Fen, Level, Ratio, RegionCode};

/// One book's figures for the month: a county, a city's own book or the province's own book.
#[derive(Clone, Debug)]
pub struct BookFigures {
    pub region: RegionCode,
    /// Opening balance + own income − own expenditure to the month's end (posted; transfers between
    /// levels left out).
    pub balance: Fen,
    /// Own expenditure over the window of [`Inputs::window_months`] months ending with the month.
    pub expenditure: Fen,
    /// The expenditure accounts' balance at the month's end (支出户, the working balance).
    pub working: Fen,
    /// The benefits paid from the book in the month (its expenditure on benefits).
    pub benefits_month: Fen,
    /// Contributors assessed for the month, and pensioners in payment.
    pub contributors: i64,
    pub pensioners: i64,
    /// The collection task and the contribution income, the year to the month's end.
    pub task: Fen,
    pub collected: Fen,
    /// Arrears outstanding at the month's close and at the previous month's (when recorded).
    pub arrears: Option<Fen>,
    pub arrears_prev: Option<Fen>,
    /// Open recovery cases (payments after death, duplicate receipt, overpayments): count, amount.
    pub improper_open: i64,
    pub improper_fen: Fen,
    /// Pensioners retiring in the month whose contribution base jumped within the 12 months before.
    pub base_jumps: i64,
}

impl BookFigures {
    pub fn new(region: RegionCode) -> BookFigures {
        BookFigures {
            region,
            balance: Fen::ZERO,
            expenditure: Fen::ZERO,
            working: Fen::ZERO,
            benefits_month: Fen::ZERO,
            contributors: 0,
            pensioners: 0,
            task: Fen::ZERO,
            collected: Fen::ZERO,
            arrears: None,
            arrears_prev: None,
            improper_open: 0,
            improper_fen: Fen::ZERO,
            base_jumps: 0,
        }
    }

    fn add(&mut self, o: &BookFigures) -> Result<(), &'static str> {
        let sum = |a: Fen, b: Fen| a.checked_add(b).ok_or("amount out of range");
        let opt = |a: Option<Fen>, b: Option<Fen>| -> Result<Option<Fen>, &'static str> {
            Ok(match (a, b) {
                (Some(a), Some(b)) => Some(sum(a, b)?),
                (a, None) => a,
                (None, b) => b,
            })
        };
        self.balance = sum(self.balance, o.balance)?;
        self.expenditure = sum(self.expenditure, o.expenditure)?;
        self.working = sum(self.working, o.working)?;
        self.benefits_month = sum(self.benefits_month, o.benefits_month)?;
        self.contributors += o.contributors;
        self.pensioners += o.pensioners;
        self.task = sum(self.task, o.task)?;
        self.collected = sum(self.collected, o.collected)?;
        self.arrears = opt(self.arrears, o.arrears)?;
        self.arrears_prev = opt(self.arrears_prev, o.arrears_prev)?;
        self.improper_open += o.improper_open;
        self.improper_fen = sum(self.improper_fen, o.improper_fen)?;
        self.base_jumps += o.base_jumps;
        Ok(())
    }
}

/// How serious a warning is: 关注 watch, 预警 warning, 警报 alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Watch,
    Warning,
    Alarm,
}

impl Severity {
    /// The level in Chinese.
    pub fn zh(self) -> &'static str {
        tongchou_core::i18n::scope(tongchou_core::i18n::Lang::ZhCn, || self.label())
    }

    /// The level in the current language (`tongchou_core::i18n::current`).
    pub fn label(self) -> &'static str {
        match self {
            Severity::Watch => word("eng-sev-watch"),
            Severity::Warning => word("eng-sev-warning"),
            Severity::Alarm => word("eng-sev-alarm"),
        }
    }
}

/// One warning: the indicator, how serious, what it says, the figures behind it, who must act.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub indicator: &'static str,
    pub severity: Severity,
    pub message: String,
    pub evidence: String,
    pub act: String,
}

/// One region's indicators for the month, with its warnings.
#[derive(Clone, Debug)]
pub struct RegionIndicators {
    pub region: RegionCode,
    pub level: Level,
    pub figures: BookFigures,
    /// Months payable in tenths (see [`months_payable`]); `None` without expenditure.
    pub months_payable: Option<i64>,
    /// Contributors per pensioner, to 0.01; `None` without pensioners.
    pub dependency_ratio: Option<Ratio>,
    /// Contribution income ÷ task, the year to date, to 0.0001; `None` without a task.
    pub collection_rate: Option<Ratio>,
    /// Growth of the arrears over the previous month's close, to 0.0001.
    pub arrears_growth: Option<Ratio>,
    pub warnings: Vec<Warning>,
    /// The months of the expenditure average.
    pub window: i64,
}

/// One item of a region's approved budget beside its execution, the year to the month's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetItem {
    /// The region (a county's own book, a city's or the province's group).
    pub region: RegionCode,
    /// The item's Chinese row label (基本养老金支出 …).
    pub item: String,
    /// Expenditure (true) or income (false).
    pub expenditure: bool,
    /// The annual approved budget and the execution to date.
    pub budget: Fen,
    pub executed: Fen,
}

/// The month's inputs: every book's figures and the window of the expenditure average.
#[derive(Clone, Debug)]
pub struct Inputs {
    pub books: Vec<BookFigures>,
    /// Months the expenditure of the books covers (12, or fewer while the fund is younger).
    pub window_months: i64,
    /// The approved budget's items per region with their execution (empty without a budget).
    pub budget_items: Vec<BudgetItem>,
    /// Months of the budget year elapsed at the month's end (1 for January … 12).
    pub months_elapsed: i64,
}

/// The time-progress expectation (序时进度) of an annual budget after `months` months: budget ×
/// months ÷ 12, rounded half up (see the module documentation: an assumption).
pub fn expected_to_date(budget: Fen, months: i64) -> Option<Fen> {
    if !(0..=12).contains(&months) {
        return None;
    }
    Fen::div_half_up(i128::from(budget.fen()) * i128::from(months), 12).ok()
}

/// (executed − expected) ÷ expected to 0.0001, half up; `None` when nothing was expected.
pub fn deviation(executed: Fen, expected: Fen) -> Option<Ratio> {
    ratio_of(
        i128::from(executed.fen()) - i128::from(expected.fen()),
        i128::from(expected.fen()),
        4,
    )
}

/// Whether a deviation is beyond the threshold, either way.
pub fn beyond(dev: Ratio, threshold: Ratio) -> bool {
    dev.0.abs() > threshold.0
}

/// The agency of a region's level, who explains and corrects a budget deviation.
fn agency(level: Level) -> &'static str {
    match level {
        Level::County => word("eng-agency-county"),
        Level::City => word("eng-agency-city"),
        Level::Province => word("eng-agency-province"),
    }
}

/// The budget-execution deviation warning of one item (see the module documentation); `None`
/// within the threshold or without a budget for the item.
pub fn budget_deviation(
    level: Level,
    item: &BudgetItem,
    months: i64,
    terms: &WarningTerms,
) -> Option<Warning> {
    if !item.budget.is_positive() {
        return None;
    }
    let expected = expected_to_date(item.budget, months)?;
    let dev = deviation(item.executed, expected)?;
    if !beyond(dev, terms.task_deviation) {
        return None;
    }
    let side = if item.expenditure {
        word("eng-side-expenditure")
    } else {
        word("eng-side-income")
    };
    let sign = if dev.0 > 0 { "+" } else { "" };
    Some(Warning {
        indicator: "budget_deviation",
        severity: Severity::Warning,
        message: tr!(
            "eng-budget-message",
            item = item.item,
            dev = format!("{sign}{}", dev.as_percent_string()),
            threshold = terms.task_deviation.as_percent_string()
        ),
        evidence: tr!(
            "eng-budget-evidence",
            side = side,
            item = item.item,
            budget = item.budget.grouped(),
            months = months,
            expected = expected.grouped(),
            executed = item.executed.grouped(),
            dev = format!("{sign}{}", dev.as_percent_string())
        ),
        act: tr!("eng-budget-act", agency = agency(level)),
    })
}

/// THE months payable (累计结余可支付月数), in tenths of a month rounded half up: `balance` ÷
/// (`expenditure` ÷ `window_months`). `None` when nothing was spent.
pub fn months_payable(balance: Fen, expenditure: Fen, window_months: i64) -> Option<i64> {
    if !expenditure.is_positive() || window_months <= 0 {
        return None;
    }
    let v = div_round_half_up(
        balance.fen() as i128 * window_months as i128 * 10,
        expenditure.fen() as i128,
    );
    i64::try_from(v).ok()
}

/// Tenths as text: 179 → "17.9", -5 → "-0.5".
pub fn tenths_text(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    format!("{sign}{}.{}", t.unsigned_abs() / 10, t.unsigned_abs() % 10)
}

/// `num ÷ den` as a ratio rounded half up to `decimals` places (≤ 8).
pub fn ratio_of(num: i128, den: i128, decimals: u32) -> Option<Ratio> {
    if den <= 0 {
        return None;
    }
    let unit = 10i128.pow(decimals);
    let q = div_round_half_up(num * unit, den);
    let scaled = q.checked_mul(RATIO_SCALE as i128 / unit)?;
    i64::try_from(scaled).ok().map(Ratio)
}

fn who(level: Level, what: &str) -> String {
    let gov = match level {
        Level::County => word("eng-gov-county"),
        Level::City => word("eng-gov-city"),
        Level::Province => word("eng-gov-province"),
    };
    tr!("eng-who", gov = gov, what = what)
}

fn months_warning(r: &RegionIndicators, t: &WarningTerms) -> Option<Warning> {
    let m = r.months_payable?;
    let severity = if m < t.alarm_months * 10 {
        Severity::Alarm
    } else if m < t.warning_months * 10 {
        Severity::Warning
    } else if m < t.watch_months * 10 {
        Severity::Watch
    } else {
        return None;
    };
    Some(Warning {
        indicator: "months_payable",
        severity,
        message: tr!(
            "eng-months-message",
            months = tenths_text(m),
            floor = match severity {
                Severity::Alarm => t.alarm_months,
                Severity::Warning => t.warning_months,
                Severity::Watch => t.watch_months,
            }
        ),
        evidence: tr!(
            "eng-months-evidence",
            balance = r.figures.balance.grouped(),
            window = r.window,
            expenditure = r.figures.expenditure.grouped()
        ),
        act: who(r.level, word("eng-months-act")),
    })
}

fn other_warnings(r: &RegionIndicators, t: &WarningTerms) -> Vec<Warning> {
    let f = &r.figures;
    let mut out = Vec::new();
    if let Some(dep) = r.dependency_ratio
        && dep < t.dependency_floor
    {
        let message = tr!("eng-dep-message", ratio = dep, floor = t.dependency_floor);
        let evidence = tr!(
            "eng-dep-evidence",
            contributors = f.contributors,
            pensioners = f.pensioners
        );
        out.push(warning(
            r,
            "dependency_ratio",
            [message, evidence],
            "eng-dep-act",
        ));
    }
    if let Some(rate) = r.collection_rate
        && (rate.0 - Ratio::ONE.0).abs() > t.task_deviation.0
    {
        let threshold = t.task_deviation.as_percent_string();
        let message = tr!(
            "eng-rate-message",
            rate = rate.as_percent_string(),
            threshold = threshold
        );
        let evidence = tr!(
            "eng-rate-evidence",
            collected = f.collected.grouped(),
            task = f.task.grouped()
        );
        out.push(warning(
            r,
            "collection_rate",
            [message, evidence],
            "eng-rate-act",
        ));
    }
    out.extend(balance_warnings(r, t));
    if f.improper_open > 0 {
        let message = tr!("eng-improper-message", n = f.improper_open);
        let evidence = tr!("eng-improper-evidence", amount = f.improper_fen.grouped());
        out.push(warning(
            r,
            "improper_payments",
            [message, evidence],
            "eng-improper-act",
        ));
    }
    if f.base_jumps > 0 {
        out.push(Warning {
            indicator: "base_anomaly",
            severity: Severity::Watch,
            message: tr!("eng-base-message", n = f.base_jumps),
            evidence: tr!("eng-base-evidence", jump = t.base_jump.as_percent_string()),
            act: who(r.level, word("eng-base-act")),
        });
    }
    out
}

/// The working balance (the province only) and the growth of arrears.
fn balance_warnings(r: &RegionIndicators, t: &WarningTerms) -> Vec<Warning> {
    let f = &r.figures;
    let mut out = Vec::new();
    if r.level == Level::Province {
        let floor = f
            .benefits_month
            .checked_mul(t.working_floor_months)
            .unwrap_or(Fen::new(i64::MAX));
        if f.benefits_month.is_positive() && f.working < floor {
            let message = tr!("eng-working-message", months = t.working_floor_months);
            let evidence = tr!(
                "eng-working-evidence",
                working = f.working.grouped(),
                months = t.working_floor_months,
                benefits = f.benefits_month.grouped()
            );
            out.push(warning(
                r,
                "working_balance",
                [message, evidence],
                "eng-working-act",
            ));
        }
    }
    if let Some(g) = r.arrears_growth
        && g > t.arrears_growth
    {
        let (growth, threshold) = (g.as_percent_string(), t.arrears_growth.as_percent_string());
        let message = tr!(
            "eng-arrears-message",
            growth = growth,
            threshold = threshold
        );
        let evidence = tr!(
            "eng-arrears-evidence",
            now = f.arrears.unwrap_or_default().grouped(),
            prev = f.arrears_prev.unwrap_or_default().grouped()
        );
        out.push(warning(
            r,
            "arrears_growth",
            [message, evidence],
            "eng-arrears-act",
        ));
    }
    out
}

/// A warning (severity [`Severity::Warning`]) of `r` on `indicator`: its message and evidence,
/// and what `r`'s government is to do (`act`, a catalogue id).
fn warning(
    r: &RegionIndicators,
    indicator: &'static str,
    [message, evidence]: [String; 2],
    act: &'static str,
) -> Warning {
    Warning {
        indicator,
        severity: Severity::Warning,
        message,
        evidence,
        act: who(r.level, word(act)),
    }
}

fn indicators(
    region: RegionCode,
    level: Level,
    figures: BookFigures,
    window: i64,
) -> RegionIndicators {
    let months_payable = months_payable(figures.balance, figures.expenditure, window);
    let dependency_ratio = ratio_of(figures.contributors as i128, figures.pensioners as i128, 2);
    let collection_rate = ratio_of(
        figures.collected.fen() as i128,
        figures.task.fen() as i128,
        4,
    );
    let arrears_growth = match (figures.arrears, figures.arrears_prev) {
        (Some(now), Some(prev)) if prev.is_positive() => ratio_of(
            now.fen() as i128 - prev.fen() as i128,
            prev.fen() as i128,
            4,
        ),
        _ => None,
    };
    RegionIndicators {
        region,
        level,
        figures,
        months_payable,
        dependency_ratio,
        collection_rate,
        arrears_growth,
        warnings: Vec::new(),
        window,
    }
}

/// The month's indicators and warnings: the province first, then every city, then every county
/// (by code). A city sums its own book and its counties'; the province sums every book.
pub fn evaluate(
    d: &Divisions,
    inputs: &Inputs,
    terms: &WarningTerms,
) -> Result<Vec<RegionIndicators>, &'static str> {
    let province = d.province().code;
    let mut by: BTreeMap<RegionCode, BookFigures> = BTreeMap::new();
    by.insert(province, BookFigures::new(province));
    for c in d.cities() {
        by.insert(c.code, BookFigures::new(c.code));
    }
    for c in d.counties() {
        by.insert(c.code, BookFigures::new(c.code));
    }
    for b in &inputs.books {
        let mut targets = vec![province];
        if let Some(city) = d.city_of(b.region) {
            targets.push(city);
        }
        if d.get(b.region).is_some_and(|r| r.level == Level::County) {
            targets.push(b.region);
        }
        for t in targets {
            if let Some(f) = by.get_mut(&t) {
                f.add(b)?;
            }
        }
    }
    let level_of = |c: RegionCode| d.get(c).map(|r| r.level).unwrap_or(Level::County);
    let mut out: Vec<RegionIndicators> = by
        .into_iter()
        .map(|(code, f)| indicators(code, level_of(code), f, inputs.window_months))
        .collect();
    out.sort_by_key(|r| (r.level, r.region));
    for r in &mut out {
        let mut w: Vec<Warning> = months_warning(r, terms).into_iter().collect();
        w.extend(other_warnings(r, terms));
        w.extend(
            inputs
                .budget_items
                .iter()
                .filter(|i| i.region == r.region)
                .filter_map(|i| budget_deviation(r.level, i, inputs.months_elapsed, terms)),
        );
        r.warnings = w;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::Policy;

    fn code(c: u32) -> RegionCode {
        RegionCode::new(c).expect("code")
    }

    fn terms() -> WarningTerms {
        let p = Policy::builtin().expect("policy");
        WarningTerms::at(&p, "2024-06-30".parse().expect("date")).expect("terms")
    }

    #[test]
    fn months_payable_is_balance_over_the_average_month() {
        // 17.9 months: 1,790 ÷ (1,200 ÷ 12)
        assert_eq!(
            months_payable(Fen::from_yuan(1_790), Fen::from_yuan(1_200), 12),
            Some(179)
        );
        // a younger fund averages over its months: 300 ÷ (200 ÷ 2) = 3.0
        assert_eq!(
            months_payable(Fen::from_yuan(300), Fen::from_yuan(200), 2),
            Some(30)
        );
        // half up: 1 ÷ (3 ÷ 12) = 4.0; 1 ÷ 0.7 = 1.428… → 1.4; 0.05 rounds away from zero
        assert_eq!(months_payable(Fen::new(1), Fen::new(3), 12), Some(40));
        assert_eq!(months_payable(Fen::new(10), Fen::new(7), 1), Some(14));
        assert_eq!(months_payable(Fen::new(-1), Fen::new(20), 1), Some(-1));
        assert_eq!(months_payable(Fen::from_yuan(5), Fen::ZERO, 12), None);
        assert_eq!(tenths_text(179), "17.9");
        assert_eq!(tenths_text(-5), "-0.5");
        assert_eq!(tenths_text(0), "0.0");
    }

    fn book(c: u32, balance: i64, spent: i64) -> BookFigures {
        let mut b = BookFigures::new(code(c));
        b.balance = Fen::from_yuan(balance);
        b.expenditure = Fen::from_yuan(spent);
        b
    }

    #[test]
    fn regions_add_up_their_books_and_warn_by_tier() {
        let d = Divisions::shanxi();
        let mut weak = book(140105, 200, 1_200); // 2.0 months: alarm
        weak.contributors = 10;
        weak.pensioners = 10; // 1:1 below 1.5
        weak.task = Fen::from_yuan(1_000);
        weak.collected = Fen::from_yuan(900); // 90 %: beyond ±5 %
        weak.arrears = Some(Fen::from_yuan(120));
        weak.arrears_prev = Some(Fen::from_yuan(100)); // +20 %
        weak.improper_open = 2;
        weak.improper_fen = Fen::from_yuan(3);
        let strong = book(140106, 5_000, 1_200); // 50 months
        let mut province_book = book(140000, 10_000, 0);
        province_book.working = Fen::from_yuan(100);
        province_book.benefits_month = Fen::from_yuan(200);
        let inputs = Inputs {
            books: vec![weak, strong, province_book],
            window_months: 12,
            budget_items: vec![],
            months_elapsed: 6,
        };
        let out = evaluate(d, &inputs, &terms()).expect("evaluate");
        assert_eq!(out[0].region, code(140000));
        assert_eq!(out.len(), 1 + d.cities().count() + d.counties().count());
        let get = |c: u32| out.iter().find(|r| r.region == code(c)).expect("region");
        // province: 15,200 ÷ (2,400 ÷ 12) = 76.0 months, and its working balance is short
        assert_eq!(get(140000).months_payable, Some(760));
        // its working balance is short, and it adds up the weak county's figures
        let kinds: Vec<&str> = get(140000).warnings.iter().map(|w| w.indicator).collect();
        assert_eq!(
            kinds,
            [
                "dependency_ratio",
                "collection_rate",
                "working_balance",
                "arrears_growth",
                "improper_payments"
            ]
        );
        // the city adds its two counties: 5,200 ÷ 200 = 26.0
        assert_eq!(get(140100).months_payable, Some(260));
        let w = &get(140105).warnings;
        let kinds: Vec<&str> = w.iter().map(|w| w.indicator).collect();
        assert_eq!(
            kinds,
            [
                "months_payable",
                "dependency_ratio",
                "collection_rate",
                "arrears_growth",
                "improper_payments"
            ]
        );
        assert_eq!(w[0].severity, Severity::Alarm);
        assert!(w[0].message.contains("2.0"), "{}", w[0].message);
        assert!(w[0].act.contains("县级人民政府"));
        assert_eq!(
            get(140105).dependency_ratio.map(|r| r.to_string()),
            Some("1".into())
        );
        assert_eq!(
            get(140105).collection_rate.map(|r| r.to_string()),
            Some("0.9".into())
        );
        assert!(get(140106).warnings.is_empty());
        // a county with no expenditure has no months payable and no warning
        assert_eq!(get(140107).months_payable, None);
    }

    #[test]
    fn tiers_follow_the_thresholds() {
        let d = Divisions::shanxi();
        let sev = |balance: i64| {
            let inputs = Inputs {
                books: vec![book(140105, balance, 1_200)],
                window_months: 12,
                budget_items: vec![],
                months_elapsed: 6,
            };
            let out = evaluate(d, &inputs, &terms()).expect("evaluate");
            let r = out
                .iter()
                .find(|r| r.region == code(140105))
                .expect("county");
            r.warnings.first().map(|w| w.severity)
        };
        assert_eq!(sev(900), None); // 9.0 months
        // the figure shown is compared: 8.99 months shows (and counts) as 9.0
        assert_eq!(sev(899), None);
        assert_eq!(sev(890), Some(Severity::Watch));
        assert_eq!(sev(590), Some(Severity::Warning));
        assert_eq!(sev(290), Some(Severity::Alarm));
    }

    fn item(region: u32, budget: i64, executed: i64) -> BudgetItem {
        BudgetItem {
            region: code(region),
            item: "基本养老金支出".into(),
            expenditure: true,
            budget: Fen::from_yuan(budget),
            executed: Fen::from_yuan(executed),
        }
    }

    #[test]
    fn time_progress_expectation_and_deviation() {
        // 1,200 a year, 3 months elapsed: 300 expected
        assert_eq!(
            expected_to_date(Fen::from_yuan(1_200), 3),
            Some(Fen::from_yuan(300))
        );
        // 0.07 × 5 ÷ 12 = 0.029… → 0.03 (half up, in fen)
        assert_eq!(expected_to_date(Fen::new(7), 5), Some(Fen::new(3)));
        assert_eq!(expected_to_date(Fen::new(7), 13), None);
        assert_eq!(
            deviation(Fen::from_yuan(330), Fen::from_yuan(300)).map(|r| r.to_string()),
            Some("0.1".into())
        );
        assert_eq!(deviation(Fen::from_yuan(1), Fen::ZERO), None);
        let t = terms(); // ±5 %
        let at =
            |executed: i64| budget_deviation(Level::County, &item(140105, 1_200, executed), 3, &t);
        assert!(at(315).is_none(), "exactly +5 % is within");
        assert!(at(285).is_none(), "exactly −5 % is within");
        let over = at(316).expect("over");
        assert_eq!(over.indicator, "budget_deviation");
        assert!(over.message.contains("+5.33%"), "{}", over.message);
        assert!(
            over.evidence.contains("年度预算 1,200.00 元")
                && over.evidence.contains("序时进度 300.00 元")
                && over.evidence.contains("实际执行 316.00 元"),
            "{}",
            over.evidence
        );
        assert!(over.act.starts_with("县社保经办机构"), "{}", over.act);
        let under = at(150).expect("under");
        assert!(under.message.contains("-50%"), "{}", under.message);
        // no budget for the item: nothing to measure
        assert!(budget_deviation(Level::County, &item(140105, 0, 5), 3, &t).is_none());
    }

    #[test]
    fn deviation_warnings_land_on_their_region() {
        let d = Divisions::shanxi();
        let inputs = Inputs {
            books: vec![],
            window_months: 12,
            budget_items: vec![item(140105, 1_200, 100), item(140100, 2_400, 600)],
            months_elapsed: 3,
        };
        let out = evaluate(d, &inputs, &terms()).expect("evaluate");
        let get = |c: u32| out.iter().find(|r| r.region == code(c)).expect("region");
        let w = &get(140105).warnings;
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("-66.67%"), "{}", w[0].message);
        // the city's group: 600 against 600 expected
        assert!(get(140100).warnings.is_empty());
        assert!(get(140000).warnings.is_empty());
    }
}
