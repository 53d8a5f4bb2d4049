//! The fund budget's pure arithmetic: the draft a county's (or city's, or the province's own)
//! book is proposed from its year's execution and the forecast rates ([`propose`]), and the
//! totals of a set of lines ([`Totals`]) with the balance rule.
//!
//! A budget's lines are the items of `data/budget-items.toml` that are not transfers between
//! levels (those cancel out in the province's budget and follow from the flows of provincial
//! pooling), plus `opening`, the year's opening balance. Under 统收统支 the budget is the
//! province's: it balances when the consolidated year ends with a balance that is not negative
//! (opening + income − expenditure ≥ 0, 收支平衡、略有结余); a county's book alone need not.

use crate::items::{Items, Side, Statement};
use crate::money::{Fen, MoneyError};
use crate::ratio::Ratio;
use std::collections::BTreeMap;

/// The line key of the opening balance.
pub const OPENING: &str = "opening";

/// The forecast inputs of a draft, each with where it comes from.
#[derive(Clone, Debug)]
pub struct Forecast {
    /// Months of the execution year the ledger holds (the execution is scaled to 12 of them).
    pub months_run: i64,
    /// Growth of contribution income (wage growth + coverage growth).
    pub contribution_growth: (Ratio, String),
    /// Growth of benefit expenditure (the year's adjustment + pensioner growth).
    pub benefit_growth: (Ratio, String),
    /// Growth of every other item.
    pub other_growth: (Ratio, String),
}

/// A proposed line: the item key, the amount and how it was reached (a message kept as its id
/// and arguments, `i18n::stored`, shown in the reader's language by `i18n::shown`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposed {
    pub item: String,
    pub amount: Fen,
    pub source: String,
}

fn grow(base: Fen, g: Ratio) -> Result<Fen, MoneyError> {
    base.try_add(g.try_of(base)?)
}

fn benefit_item(key: &str) -> bool {
    matches!(
        key,
        "basic_pension" | "medical_subsidy" | "funeral_survivor" | "disability"
    )
}

/// The proposed lines of one book: every item that is not a transfer between levels, from the
/// execution `exec` (scaled from `months_run` months to 12) grown by its rate; the basic pension
/// from the pensions in force (`monthly_pensions` × 12, when the registry gives them) grown by the
/// benefit rate; the opening balance = the execution year's closing.
pub fn propose(
    items: &Items,
    exec: &Statement,
    monthly_pensions: Option<Fen>,
    f: &Forecast,
) -> Result<Vec<Proposed>, MoneyError> {
    let mut out = vec![Proposed {
        item: OPENING.into(),
        amount: exec.closing,
        source: crate::stored!("core-budget-opening"),
    }];
    for (i, it) in items.items.iter().enumerate() {
        if it.role.is_some() {
            continue;
        }
        let annual = if f.months_run > 0 {
            Fen::div_half_up(exec.amounts[i].fen() as i128 * 12, f.months_run as i128)?
        } else {
            Fen::ZERO
        };
        let (g, why) = if it.key == "contribution" {
            &f.contribution_growth
        } else if benefit_item(&it.key) {
            &f.benefit_growth
        } else {
            &f.other_growth
        };
        let (base, base_src) = match (it.key.as_str(), monthly_pensions) {
            ("basic_pension", Some(m)) => (
                m.checked_mul(12).ok_or(MoneyError::Overflow)?,
                crate::stored!("core-budget-pensions", monthly = m),
            ),
            _ => (
                annual,
                crate::stored!(
                    "core-budget-executed",
                    executed = exec.amounts[i],
                    months = f.months_run
                ),
            ),
        };
        out.push(Proposed {
            item: it.key.clone(),
            amount: grow(base, *g)?,
            source: crate::stored!(
                "core-budget-grown",
                base = base_src,
                rate = g.as_percent_string(),
                why = why
            ),
        });
    }
    Ok(out)
}

/// The totals of a set of lines (item key → amount): opening, income, expenditure, closing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub opening: Fen,
    pub income: Fen,
    pub expenditure: Fen,
    pub closing: Fen,
}

impl Totals {
    /// Add up lines; an unknown item key is refused.
    pub fn of(items: &Items, lines: &BTreeMap<String, Fen>) -> Result<Totals, String> {
        let mut t = Totals::default();
        let add = |a: Fen, b: Fen| a.try_add(b).map_err(|e| e.to_string());
        for (k, &v) in lines {
            if k == OPENING {
                t.opening = add(t.opening, v)?;
                continue;
            }
            let i = items
                .index(k)
                .ok_or_else(|| format!("unknown budget item {k}"))?;
            match items.items[i].side {
                Side::Income => t.income = add(t.income, v)?,
                Side::Expenditure => t.expenditure = add(t.expenditure, v)?,
            }
        }
        t.closing = t
            .opening
            .try_add(t.income)
            .and_then(|x| x.try_sub(t.expenditure))
            .map_err(|e| e.to_string())?;
        Ok(t)
    }

    /// The budget balances: the year does not end below zero.
    pub fn balances(&self) -> bool {
        !self.closing.is_negative()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::Movement;

    fn pct(s: &str) -> Ratio {
        s.parse().expect("ratio")
    }

    #[test]
    fn a_draft_scales_the_months_run_and_grows_each_item_by_its_rate() {
        let items = Items::standard();
        let m = |d: i64, c: i64| Movement {
            debits: Fen::new(d),
            credits: Fen::new(c),
        };
        let exec = items
            .statement(
                [("fund_balance", m(0, 50_000))],
                [
                    ("contribution_employer", m(0, 30_000)),
                    ("benefit_basic_pension", m(24_000, 0)),
                    ("interest_income", m(0, 300)),
                    ("remittance_to_higher", m(30_000, 0)),
                ],
            )
            .expect("exec");
        let f = Forecast {
            months_run: 3,
            contribution_growth: (pct("10%"), "wage + coverage".into()),
            benefit_growth: (pct("5%"), "adjustment + pensioners".into()),
            other_growth: (Ratio::ZERO, "assumed".into()),
        };
        let p = propose(items, &exec, None, &f).expect("propose");
        let at = |k: &str| p.iter().find(|x| x.item == k).expect(k).amount;
        assert_eq!(at(OPENING), exec.closing);
        assert_eq!(at("contribution"), Fen::new(30_000 * 4 * 110 / 100));
        assert_eq!(at("basic_pension"), Fen::new(24_000 * 4 * 105 / 100));
        assert_eq!(at("interest"), Fen::new(1_200));
        assert!(
            p.iter().all(|x| x.item != "remittance_to_higher"),
            "no inter-level lines"
        );
        // with the pensions in force the basic pension is the monthly roll × 12
        let p = propose(items, &exec, Some(Fen::new(9_000)), &f).expect("propose");
        let bp = p.iter().find(|x| x.item == "basic_pension").expect("bp");
        assert_eq!(bp.amount, Fen::new(9_000 * 12 * 105 / 100));
        // the sources kept as messages, shown in the reader's language: Chinese by default,
        // English when asked for, whichever language they were proposed in
        use crate::i18n::{Lang, scope, shown, shown_in};
        let zh = shown(&bp.source);
        assert!(zh.contains("5%"), "{zh}");
        assert_eq!(shown(&p[0].source), "上年决算年末滚存结余");
        assert!(zh.starts_with("在发养老金 90.00 × 12"), "{zh}");
        let en = scope(Lang::En, || {
            propose(items, &exec, Some(Fen::new(9_000)), &f).expect("propose")
        });
        assert_eq!(en[0].source, p[0].source);
        assert_eq!(
            shown_in(Lang::En, &p[0].source),
            "closing balance of the execution year"
        );
        assert_eq!(
            scope(Lang::En, || shown(&bp.source)),
            "pensions in payment 90.00 × 12 × (1 + 5%: adjustment + pensioners)"
        );
        let lines: BTreeMap<String, Fen> = p.iter().map(|x| (x.item.clone(), x.amount)).collect();
        let t = Totals::of(items, &lines).expect("totals");
        assert_eq!(
            t.closing.fen(),
            t.opening.fen() + t.income.fen() - t.expenditure.fen()
        );
        assert!(t.balances());
        let mut deficit = lines.clone();
        deficit.insert("basic_pension".into(), Fen::new(10_000_000));
        assert!(!Totals::of(items, &deficit).expect("t").balances());
        deficit.insert("nonsense".into(), Fen::new(1));
        assert!(Totals::of(items, &deficit).is_err());
    }
}
