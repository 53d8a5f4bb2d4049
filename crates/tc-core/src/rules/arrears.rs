//! Arrears (欠费): applying payments to what is owed, oldest period first, with the late fee of
//! each applied part from its due date to the payment date.

use super::late_fee::late_fee;
use super::{RuleError, input};
use crate::money::Fen;
use crate::period::{Date, Period};
use crate::policy::Policy;
use serde::Serialize;

/// The day contributions of `period` are due: day `contribution.due_day` of the month itself,
/// clamped to its last day.
pub fn due_date(policy: &Policy, period: Period) -> Result<Date, RuleError> {
    let (day, _) = policy.int("contribution.due_day", period.first_day())?;
    if !(1..=31).contains(&day) {
        return Err(RuleError::Policy(format!(
            "contribution.due_day {day} must be 1..31"
        )));
    }
    Ok(period.day(day as u8))
}

/// What is still owed for one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Owed {
    pub period: Period,
    pub due: Date,
    pub outstanding: Fen,
}

/// One part of a payment applied to one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub period: Period,
    pub amount: Fen,
    pub days_late: i64,
    pub late_fee: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentApplication {
    pub applied: Vec<Applied>,
    /// What was left after every period was settled (to refund or hold as prepayment).
    pub unapplied: Fen,
}

/// Apply `payment` made on `paid_on` to `owed`, oldest period first. `owed` is updated in place.
pub fn apply_payment(
    policy: &Policy,
    owed: &mut [Owed],
    payment: Fen,
    paid_on: Date,
) -> Result<PaymentApplication, RuleError> {
    if !payment.is_positive() {
        return Err(input("paid", crate::tr!("rule-in-positive")));
    }
    owed.sort_by_key(|o| o.period);
    let mut left = payment;
    let mut applied = Vec::new();
    for o in owed.iter_mut() {
        if !left.is_positive() {
            break;
        }
        if !o.outstanding.is_positive() {
            continue;
        }
        let amount = left.min(o.outstanding);
        let days_late = o.due.days_until(paid_on).max(0);
        let fee = if days_late > 0 {
            late_fee(policy, amount, o.due, paid_on)?.0
        } else {
            Fen::ZERO
        };
        // `amount` is the smaller of the two, both positive: neither subtraction can overflow.
        o.outstanding = o
            .outstanding
            .try_sub(amount)
            .map_err(|_| RuleError::Overflow("outstanding"))?;
        left = left
            .try_sub(amount)
            .map_err(|_| RuleError::Overflow("payment"))?;
        applied.push(Applied {
            period: o.period,
            amount,
            days_late,
            late_fee: fee,
        });
    }
    Ok(PaymentApplication {
        applied,
        unapplied: left,
    })
}

/// Late fee accrued so far on what is still outstanding, as of `on`.
pub fn accrued_fee(policy: &Policy, owed: &[Owed], on: Date) -> Result<Fen, RuleError> {
    let mut total = Fen::ZERO;
    for o in owed
        .iter()
        .filter(|o| o.outstanding.is_positive() && o.due < on)
    {
        total = total
            .checked_add(late_fee(policy, o.outstanding, o.due, on)?.0)
            .ok_or(RuleError::Overflow("fee"))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        s.parse().expect("period")
    }

    #[test]
    fn oldest_first_with_fees() {
        let pol = Policy::builtin().expect("policy");
        let d1 = due_date(&pol, p("2020-01")).expect("due");
        assert_eq!(d1.to_string(), "2020-01-31");
        let mut owed = vec![
            Owed {
                period: p("2020-02"),
                due: due_date(&pol, p("2020-02")).expect("d"),
                outstanding: Fen::new(100_000),
            },
            Owed {
                period: p("2020-01"),
                due: d1,
                outstanding: Fen::new(100_000),
            },
        ];
        let paid_on: Date = "2020-03-16".parse().expect("date");
        let r = apply_payment(&pol, &mut owed, Fen::new(150_000), paid_on).expect("apply");
        // January first: 1,000.00 late 45 days -> 22.50; then 500.00 of February, 16 days late -> 4.00
        assert_eq!(r.applied[0].period, p("2020-01"));
        assert_eq!(
            (
                r.applied[0].amount,
                r.applied[0].days_late,
                r.applied[0].late_fee
            ),
            (Fen::new(100_000), 45, Fen::new(2250))
        );
        assert_eq!(
            (
                r.applied[1].amount,
                r.applied[1].days_late,
                r.applied[1].late_fee
            ),
            (Fen::new(50_000), 16, Fen::new(400))
        );
        assert_eq!(r.unapplied, Fen::ZERO);
        assert_eq!(owed[1].outstanding, Fen::new(50_000));
    }

    proptest! {
        #[test]
        fn payments_conserve_money(amounts in proptest::collection::vec(0i64..1_000_000, 1..12), pay in 1i64..20_000_000) {
            let pol = Policy::builtin().expect("policy");
            let mut owed: Vec<Owed> = amounts.iter().enumerate().map(|(i, a)| {
                let per = p("2021-01").add_months(i as i32);
                Owed { period: per, due: due_date(&pol, per).expect("d"), outstanding: Fen::new(*a) }
            }).collect();
            let before: i64 = owed.iter().map(|o| o.outstanding.fen()).sum();
            let r = apply_payment(&pol, &mut owed, Fen::new(pay), "2022-06-30".parse().expect("d")).expect("apply");
            let after: i64 = owed.iter().map(|o| o.outstanding.fen()).sum();
            let applied: i64 = r.applied.iter().map(|a| a.amount.fen()).sum();
            prop_assert_eq!(before - after, applied);
            prop_assert_eq!(applied + r.unapplied.fen(), pay);
            // oldest first: no period is paid while an older one is still outstanding
            let first_open = owed.iter().position(|o| o.outstanding.fen() > 0);
            if let Some(k) = first_open {
                prop_assert!(owed[k + 1..].iter().zip(&amounts[k + 1..]).all(|(o, a)| o.outstanding.fen() == *a));
            }
        }
    }
}
