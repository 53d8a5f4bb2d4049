//! Eligibility certification (领取养老金资格认证): when a pensioner's next certification is due,
//! and what the payroll of a month does about it. Pure: the dates come in, the standing goes out.
//!
//! A pensioner is certified alive at least once every `benefit.certification_interval_months`
//! (silently from other departments' records of the person being seen alive, in the
//! self-service portal, or at the counter). The certification is due on the same day of the
//! month that many months after the last one (the last day of the month when that day does not
//! exist); a pensioner never certified counts from the day their pension started. The payroll of
//! month M looks at the first day of M: a certification due before it is overdue and the
//! pensioner is suspended from M; one due within `benefit.certification_reminder_days` from it
//! gets a reminder.

use serde::Serialize;
use tongchou_core::period::{Date, Period, days_in_month};
use tongchou_core::policy::{ParamUse, Policy};
use tongchou_core::rules::RuleError;

/// The certification terms in force on a day.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    pub interval_months: u32,
    pub reminder_days: u32,
    pub uses: Vec<ParamUse>,
}

const INTERVAL: &str = "benefit.certification_interval_months";
const REMINDER: &str = "benefit.certification_reminder_days";

impl Terms {
    /// The terms in force on `on`; `None` before the interval parameter is in force (no
    /// certification required then).
    pub fn at(policy: &Policy, on: Date) -> Result<Option<Terms>, RuleError> {
        let in_force = policy
            .param(INTERVAL)?
            .values
            .first()
            .is_some_and(|v| v.from <= on);
        if !in_force {
            return Ok(None);
        }
        let (interval, u1) = policy.int(INTERVAL, on)?;
        let (reminder, u2) = policy.int(REMINDER, on)?;
        let interval_months = in_range(INTERVAL, interval, 1, 60)?;
        let reminder_days = in_range(REMINDER, reminder, 0, 366)?;
        Ok(Some(Terms {
            interval_months,
            reminder_days,
            uses: vec![u1, u2],
        }))
    }

    /// The day the next certification is due after one on `last`.
    pub fn due(&self, last: Date) -> Date {
        let p = last.period().add_months(self.interval_months as i32);
        let day = last.day().min(days_in_month(p.year(), p.month()));
        p.day(day)
    }
}

/// Where a pensioner stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "standing")]
pub enum Standing {
    /// Certified; the next certification is due on `due`.
    Certified { due: Date },
    /// Due within the reminder period: remind them.
    DueSoon { due: Date },
    /// Past the day it was due: suspend.
    Overdue { due: Date },
}

impl Standing {
    pub fn due(self) -> Date {
        match self {
            Standing::Certified { due } | Standing::DueSoon { due } | Standing::Overdue { due } => {
                due
            }
        }
    }
    /// The Chinese label shown to staff and the pensioner.
    pub fn chinese(self) -> &'static str {
        match self {
            Standing::Certified { .. } => "已认证",
            Standing::DueSoon { .. } => "即将到期",
            Standing::Overdue { .. } => "逾期未认证",
        }
    }
}

/// The standing on `on` of a pensioner last certified on `last` (or whose pension started on it).
pub fn standing(t: &Terms, last: Date, on: Date) -> Standing {
    let due = t.due(last);
    if due < on {
        Standing::Overdue { due }
    } else if on.days_until(due) <= i64::from(t.reminder_days) {
        Standing::DueSoon { due }
    } else {
        Standing::Certified { due }
    }
}

/// The day the payroll of `month` judges the standing on: its first day.
pub fn payroll_day(month: Period) -> Date {
    month.first_day()
}

/// The months a pensioner suspended from `from` was not paid when resumed by the payroll of
/// `resumed` (exclusive): `from` up to the month before `resumed`; empty when `resumed` is not
/// after `from`.
pub fn months_missed(from: Period, resumed: Period) -> impl Iterator<Item = Period> {
    let n = from.months_until(resumed).max(0);
    (0..n).map(move |i| from.add_months(i))
}

/// A policy parameter's value within `min..=max`, or why not (in the reader's language).
fn in_range(name: &str, value: i64, min: u32, max: u32) -> Result<u32, RuleError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            RuleError::Policy(tongchou_core::tr!(
                "eng-policy-range",
                name = name,
                value = value,
                min = min,
                max = max
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_out_of_range_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let e = |lang| {
            scope(lang, || {
                in_range(INTERVAL, 61, 1, 60).map_err(|e| e.to_string())
            })
        };
        assert_eq!(
            e(Lang::ZhCn),
            Err(format!("政策参数：{INTERVAL} = 61：应为 1 至 60"))
        );
        assert_eq!(
            e(Lang::En),
            Err(format!("policy: {INTERVAL} = 61: expected 1 to 60"))
        );
        assert_eq!(in_range(INTERVAL, 12, 1, 60), Ok(12));
    }
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn terms() -> Terms {
        Terms::at(&Policy::builtin().expect("policy"), d("2020-01-01"))
            .expect("terms")
            .expect("in force")
    }

    #[test]
    fn due_twelve_months_later_same_day_or_month_end() {
        let t = terms();
        assert_eq!(t.interval_months, 12);
        assert_eq!(t.due(d("2020-03-15")), d("2021-03-15"));
        // 2020-02-29 + 12 months: no 29 February in 2021
        assert_eq!(t.due(d("2020-02-29")), d("2021-02-28"));
    }

    #[test]
    fn not_required_before_the_parameter() {
        assert!(
            Terms::at(&Policy::builtin().expect("policy"), d("2017-12-31"))
                .expect("terms")
                .is_none()
        );
    }

    #[test]
    fn standings() {
        let t = terms();
        let last = d("2020-03-15");
        assert_eq!(
            standing(&t, last, d("2021-01-01")),
            Standing::Certified {
                due: d("2021-03-15")
            }
        );
        assert_eq!(
            standing(&t, last, d("2021-03-01")),
            Standing::DueSoon {
                due: d("2021-03-15")
            }
        );
        // due on the day itself: still in time
        assert_eq!(
            standing(&t, last, d("2021-03-15")),
            Standing::DueSoon {
                due: d("2021-03-15")
            }
        );
        assert_eq!(
            standing(&t, last, d("2021-03-16")),
            Standing::Overdue {
                due: d("2021-03-15")
            }
        );
    }

    #[test]
    fn missed_months() {
        let p = |s: &str| s.parse::<Period>().expect("period");
        let m: Vec<_> = months_missed(p("2021-04"), p("2021-07")).collect();
        assert_eq!(m, vec![p("2021-04"), p("2021-05"), p("2021-06")]);
        assert_eq!(months_missed(p("2021-04"), p("2021-04")).count(), 0);
        assert_eq!(months_missed(p("2021-04"), p("2021-02")).count(), 0);
    }

    proptest! {
        /// Certified on any day, a pensioner is never overdue before the due day and always
        /// overdue after it; the due day is `interval` months on, never earlier than 28 days
        /// short of it.
        #[test]
        fn overdue_exactly_after_due(days in 0i64..20_000, later in 0i64..800) {
            let t = terms();
            let last = Date::from_days_since_epoch(days);
            let on = last.add_days(later);
            let due = t.due(last);
            prop_assert!(last.days_until(due) >= 365 - 3 && last.days_until(due) <= 366);
            let s = standing(&t, last, on);
            prop_assert_eq!(matches!(s, Standing::Overdue { .. }), on > due);
            prop_assert_eq!(s.due(), due);
        }
    }
}
