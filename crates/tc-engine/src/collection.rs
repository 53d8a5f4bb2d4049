//! Collection kernels: monthly assessment (核定), matching of the tax bureau's results to what is
//! owed (oldest first, with late fees), the split of each applied amount between pooling and the
//! individual account, and the per-county aggregates that become ledger transfers.

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use tongchou_core::Fen;
use tongchou_core::money::div_round_half_up;
use tongchou_core::period::{Date, Period};
use tongchou_core::policy::Policy;
use tongchou_core::rules::RuleError;
use tongchou_core::rules::arrears::{Owed, apply_payment};
use tongchou_core::rules::contribution::{ContributionTerms, PayerKind};

/// A person who owes contributions for the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contributor {
    pub person: i64,
    pub county: u32,
    pub employer: i64,
    pub kind: PayerKind,
    /// Declared monthly wage (or the chosen base of a flexible payer), in fen.
    pub declared: Fen,
}

/// One person's assessment for one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub person: i64,
    pub period: Period,
    pub county: u32,
    pub employer: i64,
    pub kind: PayerKind,
    pub declared: Fen,
    pub base: Fen,
    pub pooling: Fen,
    pub account: Fen,
    pub due: Date,
}

impl Assessment {
    pub fn total(&self) -> Fen {
        // Both parts are rates (< 1) of a base clamped to the ceiling: the sum cannot overflow.
        self.pooling
            .checked_add(self.account)
            .expect("both parts are below the clamped base")
    }
}

/// Assess every contributor for `period` (parallel; the output keeps the input order).
pub fn assess(terms: &ContributionTerms, due: Date, people: &[Contributor]) -> Vec<Assessment> {
    people
        .par_iter()
        .with_min_len(64 * 1024)
        .map(|c| {
            let r = terms.assess(c.kind, c.declared);
            Assessment {
                person: c.person,
                period: terms.period,
                county: c.county,
                employer: c.employer,
                kind: c.kind,
                declared: c.declared,
                base: r.base,
                pooling: r.pooling,
                account: r.account,
                due,
            }
        })
        .collect()
}

/// A collection result from the tax bureau: what one person's payer actually paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The tax bureau's serial number: unique, the idempotency key of the payment.
    pub receipt: String,
    pub person: i64,
    /// The period the payer named; the money is applied oldest-first whatever it says.
    pub period: Period,
    pub paid: Fen,
    pub paid_on: Date,
}

/// What is still owed for a (person, period), with its split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenItem {
    pub person: i64,
    pub period: Period,
    pub county: u32,
    pub due: Date,
    /// Total assessed (pooling + account) and its account part.
    pub total: Fen,
    pub account_total: Fen,
    /// Paid so far.
    pub paid: Fen,
}

impl OpenItem {
    pub fn from_assessment(a: &Assessment) -> OpenItem {
        OpenItem {
            person: a.person,
            period: a.period,
            county: a.county,
            due: a.due,
            total: a.total(),
            account_total: a.account,
            paid: Fen::ZERO,
        }
    }
    pub fn outstanding(&self) -> Fen {
        // `paid` only grows by amounts applied against what is outstanding: 0 ≤ paid ≤ total.
        self.total
            .checked_sub(self.paid)
            .expect("0 ≤ paid ≤ total by construction")
    }
    /// The account part of the first `paid` fen of this item: paid × account / total, rounded
    /// half-up; so that the parts of successive payments add up exactly to the account total.
    pub fn account_share_of_paid(&self, paid: Fen) -> Fen {
        if self.total.fen() == 0 {
            return Fen::ZERO;
        }
        Fen::new(div_round_half_up(
            paid.fen() as i128 * self.account_total.fen() as i128,
            self.total.fen() as i128,
        ) as i64)
    }
}

/// One part of a receipt applied to one open item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub receipt: String,
    pub person: i64,
    pub period: Period,
    pub county: u32,
    pub amount: Fen,
    pub pooling: Fen,
    pub account: Fen,
    pub days_late: i64,
    pub late_fee: Fen,
}

/// The outcome of matching one month's receipts.
#[derive(Clone, Debug, Default)]
pub struct Matched {
    pub applications: Vec<Application>,
    /// Receipts (or parts) that matched nothing owed: held as overpayment, never guessed.
    pub unapplied: Vec<(String, i64, Fen)>,
    /// Receipts naming a person with nothing open at all.
    pub unknown: Vec<Receipt>,
}

/// Apply one receipt to one person's open items (oldest period first), appending applications.
fn apply_to_items(
    policy: &Policy,
    items: &mut [&mut OpenItem],
    r: &Receipt,
    out: &mut Matched,
) -> Result<(), RuleError> {
    items.sort_by_key(|i| i.period);
    let mut owed: Vec<Owed> = items
        .iter()
        .map(|i| Owed {
            period: i.period,
            due: i.due,
            outstanding: i.outstanding(),
        })
        .collect();
    let app = apply_payment(policy, &mut owed, r.paid, r.paid_on)?;
    for a in &app.applied {
        let Some(item) = items.iter_mut().find(|i| i.period == a.period) else {
            continue;
        };
        let before = item.account_share_of_paid(item.paid);
        let overflow = |_| RuleError::Overflow("payment");
        item.paid = item.paid.try_add(a.amount).map_err(overflow)?;
        let after = item.account_share_of_paid(item.paid);
        let account = after.try_sub(before).map_err(overflow)?;
        let pooling = a.amount.try_sub(account).map_err(overflow)?;
        out.applications.push(Application {
            receipt: r.receipt.clone(),
            person: r.person,
            period: a.period,
            county: item.county,
            amount: a.amount,
            pooling,
            account,
            days_late: a.days_late,
            late_fee: a.late_fee,
        });
    }
    if app.unapplied.is_positive() {
        out.unapplied
            .push((r.receipt.clone(), r.person, app.unapplied));
    }
    Ok(())
}

/// Apply receipts to what is owed, oldest period first per person.
///
/// `current` holds this month's items sorted by person (at most one per person); `old` holds the
/// open arrears of earlier months by person. Receipts are applied in order of (person, paid_on,
/// receipt). Items are updated in place (their `paid` grows).
pub fn match_receipts(
    policy: &Policy,
    current: &mut [OpenItem],
    old: &mut HashMap<i64, Vec<OpenItem>>,
    receipts: &mut [Receipt],
) -> Result<Matched, RuleError> {
    receipts
        .sort_by(|a, b| (a.person, a.paid_on, &a.receipt).cmp(&(b.person, b.paid_on, &b.receipt)));
    let mut out = Matched::default();
    for r in receipts.iter() {
        let cur = current.binary_search_by_key(&r.person, |i| i.person).ok();
        let mut items: Vec<&mut OpenItem> = Vec::with_capacity(2);
        if let Some(v) = old.get_mut(&r.person) {
            items.extend(v.iter_mut());
        }
        if let Some(k) = cur {
            items.push(&mut current[k]);
        }
        if items.is_empty() {
            out.unknown.push(r.clone());
            continue;
        }
        apply_to_items(policy, &mut items, r, &mut out)?;
    }
    Ok(out)
}

/// Per-county totals of applied money: what the ledger books as that county's income.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountyTotals {
    pub pooling: Fen,
    pub account: Fen,
    pub late_fees: Fen,
    pub persons: u64,
}

pub fn county_totals(apps: &[Application]) -> Result<BTreeMap<u32, CountyTotals>, RuleError> {
    let mut m: BTreeMap<u32, CountyTotals> = BTreeMap::new();
    let overflow = |_| RuleError::Overflow("county totals");
    for a in apps {
        let t = m.entry(a.county).or_default();
        t.pooling = t.pooling.try_add(a.pooling).map_err(overflow)?;
        t.account = t.account.try_add(a.account).map_err(overflow)?;
        t.late_fees = t.late_fees.try_add(a.late_fee).map_err(overflow)?;
        t.persons += 1;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pol() -> Policy {
        Policy::builtin().expect("policy")
    }

    fn p(s: &str) -> Period {
        s.parse().expect("period")
    }

    #[test]
    fn assess_and_match_with_partial_and_late() {
        let policy = pol();
        let period = p("2020-01");
        let terms = ContributionTerms::at(&policy, period).expect("terms");
        let due = tongchou_core::rules::arrears::due_date(&policy, period).expect("due");
        let people = vec![
            Contributor {
                person: 1,
                county: 140105,
                employer: 7,
                kind: PayerKind::Employee,
                declared: Fen::from_yuan(5000),
            },
            Contributor {
                person: 2,
                county: 140105,
                employer: 7,
                kind: PayerKind::Employee,
                declared: Fen::from_yuan(1000),
            },
            Contributor {
                person: 3,
                county: 140212,
                employer: 0,
                kind: PayerKind::Flexible,
                declared: Fen::from_yuan(2916),
            },
        ];
        let a = assess(&terms, due, &people);
        assert_eq!(a[0].pooling, Fen::new(80_000)); // 16% of 5,000 (2020 rate)
        assert_eq!(a[1].base, Fen::from_yuan(2916)); // raised to the 2020 floor
        assert_eq!(a[2].total(), Fen::new(58_320)); // 20% of 2,916
        let mut current: Vec<OpenItem> = a.iter().map(OpenItem::from_assessment).collect();
        let mut old: HashMap<i64, Vec<OpenItem>> = HashMap::new();
        let on_time: Date = "2020-02-10".parse().expect("d");
        let late: Date = "2020-02-25".parse().expect("d");
        let mut receipts = vec![
            Receipt {
                receipt: "R1".into(),
                person: 1,
                period,
                paid: a[0].total(),
                paid_on: on_time,
            },
            Receipt {
                receipt: "R2".into(),
                person: 2,
                period,
                paid: Fen::new(10_000),
                paid_on: late,
            },
            Receipt {
                receipt: "R3".into(),
                person: 9,
                period,
                paid: Fen::new(10_000),
                paid_on: late,
            },
        ];
        let m = match_receipts(&policy, &mut current, &mut old, &mut receipts).expect("match");
        assert_eq!(m.applications.len(), 2);
        assert_eq!(m.applications[0].account, a[0].account);
        assert_eq!(m.applications[1].days_late, 25);
        assert_eq!(m.applications[1].late_fee, Fen::new(125)); // 100.00 × 0.0005 × 25
        assert_eq!(m.unknown.len(), 1);
        let t = county_totals(&m.applications).expect("totals");
        assert_eq!(t[&140105].persons, 2);
        assert_eq!(
            current[1].outstanding(),
            Fen::new(a[1].total().fen() - 10_000)
        );
    }

    proptest! {
        #[test]
        fn partial_payments_split_exactly(wage in 0i64..3_000_000, parts in proptest::collection::vec(1i64..200_000, 1..6)) {
            let policy = pol();
            let period = p("2021-03");
            let terms = ContributionTerms::at(&policy, period).expect("terms");
            let due = tongchou_core::rules::arrears::due_date(&policy, period).expect("due");
            let a = assess(&terms, due, &[Contributor { person: 1, county: 140105, employer: 1, kind: PayerKind::Employee, declared: Fen::new(wage) }]);
            let mut current = vec![OpenItem::from_assessment(&a[0])];
            let mut old: HashMap<i64, Vec<OpenItem>> = HashMap::new();
            let mut receipts: Vec<Receipt> = parts.iter().enumerate().map(|(i, x)| Receipt {
                receipt: format!("R{i}"), person: 1, period, paid: Fen::new(*x), paid_on: due }).collect();
            let m = match_receipts(&policy, &mut current, &mut old, &mut receipts).expect("match");
            let applied: i64 = m.applications.iter().map(|x| x.amount.fen()).sum();
            let unapplied: i64 = m.unapplied.iter().map(|x| x.2.fen()).sum();
            prop_assert_eq!(applied + unapplied, parts.iter().sum::<i64>());
            for x in &m.applications {
                prop_assert_eq!(x.pooling.fen() + x.account.fen(), x.amount.fen());
            }
            if current[0].outstanding() == Fen::ZERO {
                let acc: i64 = m.applications.iter().map(|x| x.account.fen()).sum();
                prop_assert_eq!(acc, a[0].account.fen());
            }
        }
    }
}
