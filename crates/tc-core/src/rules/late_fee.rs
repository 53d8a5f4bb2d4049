//! Late-payment fee (滞纳金): arrears × daily rate × days overdue, simple interest, rounded
//! half-up to the fen once. If the rate changed during the overdue span, each day uses the rate
//! in force on that day.

use super::{RuleError, input};
use crate::explain::{Exact, Explanation};
use crate::money::Fen;
use crate::period::Date;
use crate::policy::Policy;
use crate::ratio::RATIO_SCALE;

/// Fee on `arrears` that fell due on `due` (the last day to pay on time) and is paid on `paid`.
/// Days overdue = `paid − due` (paying on the due day costs nothing).
pub fn late_fee(
    policy: &Policy,
    arrears: Fen,
    due: Date,
    paid: Date,
) -> Result<(Fen, Explanation), RuleError> {
    if arrears.is_negative() {
        return Err(input("arrears", crate::tr!("rule-in-negative")));
    }
    let mut e = Explanation::new(
        "contribution.late_fee",
        "fee = round_half_up(Σ over overdue days of arrears × daily_rate(day)); days = paid − due",
    );
    e.step("arrears", arrears)
        .step("due", due)
        .step("paid", paid);
    let days = due.days_until(paid);
    if days <= 0 {
        e.step("days_overdue", 0).step("fee", Fen::ZERO);
        return Ok((Fen::ZERO, e));
    }
    // Sum of rate over overdue days, in rate units (scaled 1e8), segment by segment.
    let mut rate_days: i128 = 0;
    let mut day = due.add_days(1);
    while day <= paid {
        let (r, u) = policy.ratio("contribution.late_fee_daily_rate", day)?;
        // the segment runs until the next value's start or `paid`
        let p = policy.param("contribution.late_fee_daily_rate")?;
        let next = p.values.iter().map(|v| v.from).find(|f| *f > day);
        let end = match next {
            Some(n) if n <= paid => n.add_days(-1),
            _ => paid,
        };
        let n = day.days_until(end) + 1;
        let segment = crate::stored!(
            "explain-value-days-at-rate",
            from = day,
            to = end,
            rate = r.as_percent_string(),
            days = n
        );
        e.param(u).step("days_at_rate", segment);
        rate_days += r.0 as i128 * n as i128;
        day = end.add_days(1);
    }
    let exact = Exact::new(arrears.fen() as i128 * rate_days, RATIO_SCALE as i128);
    let fee = Fen::div_half_up(arrears.fen() as i128 * rate_days, RATIO_SCALE as i128)
        .map_err(|_| RuleError::Overflow("late fee"))?;
    e.step("days_overdue", days)
        .step("fee_exact_fen", exact)
        .step("fee", fee);
    Ok((fee, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn worked_example() {
        let p = Policy::builtin().expect("policy");
        // 1,018.56 overdue 31 days at 0.05%: 1018.56 × 0.0005 × 31 = 15.78768 -> 15.79
        let (fee, e) =
            late_fee(&p, Fen::new(101856), d("2020-02-15"), d("2020-03-17")).expect("fee");
        assert_eq!(fee, Fen::new(1579));
        assert!(
            e.steps
                .iter()
                .any(|s| s.name == "days_overdue" && s.value == "31")
        );
        let (fee, _) =
            late_fee(&p, Fen::new(101856), d("2020-02-15"), d("2020-02-15")).expect("fee");
        assert_eq!(fee, Fen::ZERO);
        assert!(late_fee(&p, Fen::new(-1), d("2020-02-15"), d("2020-03-17")).is_err());
    }
}
