//! Cross-checks (数据比对): death records from public security / civil affairs against the
//! pensioner roll and the payments made, and other payment rolls against ours (duplicate
//! receipt). Findings become suspensions and recovery cases.

use serde::Serialize;
use std::collections::HashMap;
use tongchou_core::Fen;
use tongchou_core::period::{Date, Period};

/// A death record received from another department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeathRecord {
    pub id_number: String,
    pub died: Date,
    pub source: String,
}

/// A pensioner as the cross-check sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollEntry {
    pub person: i64,
    pub id_number: String,
    pub county: u32,
    pub active: bool,
}

/// A payment already made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paid {
    pub person: i64,
    pub month: Period,
    pub item: String,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "finding")]
pub enum Finding {
    /// A living-roll pensioner reported dead: stop payments from the month after death.
    Suspend {
        person: i64,
        county: u32,
        died: Date,
    },
    /// Pension paid for a month after the month of death: to be recovered.
    PaidAfterDeath {
        person: i64,
        county: u32,
        month: Period,
        amount: Fen,
    },
    /// The same person is on another payment roll for the same month.
    DuplicateReceipt {
        person: i64,
        county: u32,
        other_roll: String,
        month: Period,
    },
    /// A death record matches nobody on the roll (kept for the record, nothing to do).
    NoMatch { id_number: String },
}

/// Check death records against the roll and the payments made.
pub fn deaths(records: &[DeathRecord], roll: &[RollEntry], paid: &[Paid]) -> Vec<Finding> {
    let by_id: HashMap<&str, &RollEntry> = roll.iter().map(|r| (r.id_number.as_str(), r)).collect();
    let mut paid_by_person: HashMap<i64, Vec<&Paid>> = HashMap::new();
    for p in paid {
        paid_by_person.entry(p.person).or_default().push(p);
    }
    let mut out = Vec::new();
    for d in records {
        let Some(r) = by_id.get(d.id_number.as_str()) else {
            out.push(Finding::NoMatch {
                id_number: d.id_number.clone(),
            });
            continue;
        };
        if r.active {
            out.push(Finding::Suspend {
                person: r.person,
                county: r.county,
                died: d.died,
            });
        }
        let last_due = d.died.period();
        let mut after: Vec<&&Paid> = paid_by_person
            .get(&r.person)
            .map(|v| {
                v.iter()
                    .filter(|p| p.month > last_due && p.item == "basic_pension")
                    .collect()
            })
            .unwrap_or_default();
        after.sort_by_key(|p| p.month);
        for p in after {
            out.push(Finding::PaidAfterDeath {
                person: r.person,
                county: r.county,
                month: p.month,
                amount: p.amount,
            });
        }
    }
    out
}

/// Another roll (e.g. the urban-rural residents' pension): who receives from both in a month.
pub fn duplicates(
    roll: &[RollEntry],
    other_roll_name: &str,
    other: &[(String, Period)],
) -> Vec<Finding> {
    let by_id: HashMap<&str, &RollEntry> = roll
        .iter()
        .filter(|r| r.active)
        .map(|r| (r.id_number.as_str(), r))
        .collect();
    let mut out: Vec<Finding> = other
        .iter()
        .filter_map(|(id, month)| {
            by_id.get(id.as_str()).map(|r| Finding::DuplicateReceipt {
                person: r.person,
                county: r.county,
                other_roll: other_roll_name.to_string(),
                month: *month,
            })
        })
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deaths_and_payments_after_death() {
        let roll = vec![
            RollEntry {
                person: 1,
                id_number: "A".into(),
                county: 140105,
                active: true,
            },
            RollEntry {
                person: 2,
                id_number: "B".into(),
                county: 140106,
                active: true,
            },
        ];
        let p = |m: &str, a: i64| Paid {
            person: 1,
            month: m.parse().expect("p"),
            item: "basic_pension".into(),
            amount: Fen::new(a),
        };
        let paid = vec![p("2020-03", 100), p("2020-04", 100), p("2020-05", 100)];
        let recs = vec![
            DeathRecord {
                id_number: "A".into(),
                died: "2020-03-20".parse().expect("d"),
                source: "公安".into(),
            },
            DeathRecord {
                id_number: "Z".into(),
                died: "2020-03-20".parse().expect("d"),
                source: "民政".into(),
            },
        ];
        let f = deaths(&recs, &roll, &paid);
        assert_eq!(f.len(), 4);
        assert!(matches!(f[0], Finding::Suspend { person: 1, .. }));
        assert!(
            matches!(f[1], Finding::PaidAfterDeath { month, .. } if month.to_string() == "2020-04")
        );
        assert!(matches!(f[3], Finding::NoMatch { .. }));
        let d = duplicates(
            &roll,
            "城乡居民养老保险",
            &[
                ("B".into(), "2020-04".parse().expect("p")),
                ("C".into(), "2020-04".parse().expect("p")),
            ],
        );
        assert_eq!(d.len(), 1);
    }
}
