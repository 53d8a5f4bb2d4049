//! Test support (feature `testkit`): a proptest generator of random request batches over a few
//! books, shared by the ledger's own property tests and the SQL store's (which compare the store
//! with [`crate::MemLedger`] on SQLite and PostgreSQL).
//!
//! Random batches over a few books: simple transfers (sometimes across books, with bad
//! categories, lines that do or do not add up, one half of an inter-level pair),
//! post/void/reverse of earlier transfers (sometimes dated before them, sometimes for too
//! much), inter-level pairs and their resolution, repeats of earlier requests (same or
//! altered content) and random linking into chains.

use crate::chart::{AccountId, Chart};
use crate::flows::{self, Doc};
use crate::transfer::{Line, LinesSummary, Op, Request};
use proptest::prelude::*;
use tongchou_core::region::RegionCode;
use tongchou_core::{Date, Fen};

pub const P: u32 = 140000;
pub const TAIYUAN: u32 = 140100;
pub const XIAODIAN: u32 = 140105;

pub fn rc(c: u32) -> RegionCode {
    RegionCode::new(c).expect("test region code")
}
/// A day of January 2024.
pub fn day(d: u8) -> Date {
    Date::new(2024, 1, d).expect("test date")
}
pub fn acct(region: u32, kind: &str) -> AccountId {
    Chart::standard()
        .account(rc(region), kind)
        .expect("test account")
}

pub const REGIONS: [u32; 4] = [140000, 140100, 140105, 140106];
const KINDS: [&str; 6] = [
    "fiscal_special_account",
    "expenditure_account",
    "income_account",
    "fund_balance",
    "contribution_employer",
    "benefit_basic_pension",
];
const INTER: [&str; 4] = [
    "grant_to_lower",
    "grant_from_higher",
    "remittance_to_higher",
    "remittance_from_lower",
];

/// Accounts of the test books (all those the chart allows).
pub fn accounts() -> Vec<AccountId> {
    let chart = Chart::standard();
    let mut v = Vec::new();
    for r in REGIONS {
        for k in chart.kinds() {
            if let Some(a) = chart.account(rc(r), &k.key) {
                v.push(a);
            }
        }
    }
    v
}

fn pick(region: u32, kind: &str) -> AccountId {
    let chart = Chart::standard();
    chart
        .account(rc(region), kind)
        .or_else(|| chart.account(rc(region), "expenditure_account"))
        .expect("test data")
}

#[derive(Clone, Debug)]
pub enum G {
    Simple {
        pending: bool,
        region: usize,
        cross: bool,
        d: usize,
        c: usize,
        inter: Option<usize>,
        amount: i64,
        date: u8,
        bad_cat: bool,
        lines: u8,
        linked: bool,
    },
    Resolve {
        op: u8,
        target: usize,
        pct: Option<u8>,
        late: i8,
        linked: bool,
    },
    Pair {
        down: bool,
        pending: bool,
        amount: i64,
        date: u8,
    },
    ResolvePair {
        target: usize,
        post: bool,
        pct: Option<u8>,
        late: i8,
    },
    Repeat {
        idx: usize,
        alter: u8,
    },
}

pub fn g() -> impl Strategy<Value = G> {
    let simple = (
        (
            any::<bool>(),
            0..4usize,
            prop::bool::weighted(0.05),
            0..6usize,
            0..6usize,
        ),
        (
            prop::option::weighted(0.05, 0..4usize),
            1..2000i64,
            1..20u8,
            prop::bool::weighted(0.03),
            0..6u8,
            prop::bool::weighted(0.15),
        ),
    )
        .prop_map(
            |((pending, region, cross, d, c), (inter, amount, date, bad_cat, lines, linked))| {
                G::Simple {
                    pending,
                    region,
                    cross,
                    d,
                    c,
                    inter,
                    amount,
                    date,
                    bad_cat,
                    lines,
                    linked,
                }
            },
        );
    prop_oneof![
        4 => simple,
        4 => (0..3u8, any::<usize>(), prop::option::of(1..130u8), -1..6i8, prop::bool::weighted(0.3))
            .prop_map(|(op, target, pct, late, linked)| G::Resolve { op, target, pct, late, linked }),
        2 => (any::<bool>(), prop::bool::weighted(0.6), 1..3000i64, 1..20u8)
            .prop_map(|(down, pending, amount, date)| G::Pair { down, pending, amount, date }),
        2 => (any::<usize>(), any::<bool>(), prop::option::of(1..130u8), -1..6i8)
            .prop_map(|(target, post, pct, late)| G::ResolvePair { target, post, pct, late }),
        2 => (any::<usize>(), 0..4u8).prop_map(|(idx, alter)| G::Repeat { idx, alter }),
    ]
}

/// What has been built so far: every request, and the pairs (base key, direction, date).
#[derive(Default)]
pub struct Ctx {
    pub history: Vec<Request>,
    /// The person-level lines behind each request that carries a lines summary, by key.
    pub lines: std::collections::HashMap<String, Vec<Line>>,
    pairs: Vec<(String, bool, Date)>,
    n: usize,
}

fn shift(d: Date, late: i8) -> Date {
    let x = d.add_days(late as i64);
    if x.month() == 1 && x.year() == 2024 {
        x
    } else {
        d
    }
}

fn part(amount: Option<Fen>, pct: Option<u8>) -> Option<Fen> {
    pct.map(|p| Fen::new((amount.unwrap_or(Fen::new(1000)).fen() * p as i64 / 100).max(1)))
}

impl Ctx {
    /// The lines behind a request (empty if it has none).
    pub fn lines_of(&self, key: &str) -> &[Line] {
        self.lines.get(key).map(|v| v.as_slice()).unwrap_or(&[])
    }
}

/// Turn generated steps into one batch of requests.
pub fn build(steps: &[G], ctx: &mut Ctx) -> Vec<Request> {
    let mut out: Vec<Request> = Vec::new();
    for s in steps {
        ctx.n += 1;
        let key = format!("k{}", ctx.n);
        match s {
            G::Simple {
                pending,
                region,
                cross,
                d,
                c,
                inter,
                amount,
                date,
                bad_cat,
                lines,
                linked,
            } => {
                let r = REGIONS[*region];
                let r2 = if *cross {
                    REGIONS[(*region + 1) % 4]
                } else {
                    r
                };
                let cat = if *bad_cat { "nope" } else { "other" };
                let make = if *pending {
                    Request::pending
                } else {
                    Request::post
                };
                let debit = pick(r, inter.map(|i| INTER[i]).unwrap_or(KINDS[*d]));
                let mut req = make(
                    &key,
                    debit,
                    pick(r2, KINDS[*c]),
                    Fen::new(*amount),
                    cat,
                    "ref",
                    day(*date),
                );
                if *lines > 0 {
                    let n = (*lines as i64).min(*amount);
                    let mut ls: Vec<Line> = (0..n)
                        .map(|p| Line {
                            person: p,
                            amount: Fen::new(amount / n),
                        })
                        .collect();
                    ls[0].amount = Fen::new(ls[0].amount.fen() + amount - (amount / n) * n);
                    if *lines == 5 {
                        ls[0].amount = Fen::new(ls[0].amount.fen() + 1); // does not add up
                    }
                    req = req.lines(LinesSummary::of(&ls).expect("test data"));
                    ctx.lines.insert(key.clone(), ls);
                }
                if *linked {
                    req = req.linked();
                }
                out.push(req);
            }
            G::Resolve {
                op,
                target,
                pct,
                late,
                linked,
            } => {
                let all: Vec<&Request> = ctx.history.iter().chain(out.iter()).collect();
                if all.is_empty() {
                    continue;
                }
                // mostly a target of the right kind, sometimes any
                let fits: Vec<&Request> = all
                    .iter()
                    .copied()
                    .filter(|r| {
                        if *op < 2 {
                            r.op == Op::Pending
                        } else {
                            matches!(r.op, Op::Post | Op::PostPending)
                        }
                    })
                    .collect();
                let pool = if fits.is_empty() || target % 10 >= 7 {
                    &all
                } else {
                    &fits
                };
                let t = pool[target % pool.len()].clone();
                let date = shift(t.date, *late);
                let a = part(t.amount, *pct);
                let mut req = match op {
                    0 => Request::post_pending(&key, &t.key, a, "other", "ref", date),
                    1 => Request {
                        amount: a.filter(|_| *late == 0),
                        ..Request::void(&key, &t.key, "other", "ref", date)
                    },
                    _ => Request::reverse(&key, &t.key, a, "correction", "ref", date),
                };
                if *linked {
                    req = req.linked();
                }
                out.push(req);
            }
            G::Pair {
                down,
                pending,
                amount,
                date,
            } => {
                let (from, to) = if *down {
                    (P, TAIYUAN)
                } else {
                    (TAIYUAN, XIAODIAN)
                };
                let doc = Doc {
                    key: &key,
                    reference: "plan",
                    date: day(*date),
                };
                out.extend(
                    flows::allocation(
                        Chart::standard(),
                        doc,
                        rc(from),
                        rc(to),
                        Fen::new(*amount),
                        *pending,
                    )
                    .expect("test data"),
                );
                ctx.pairs.push((key.clone(), *down, day(*date)));
            }
            G::ResolvePair {
                target,
                post,
                pct,
                late,
            } => {
                if ctx.pairs.is_empty() {
                    continue;
                }
                let (base, down, date) = ctx.pairs[target % ctx.pairs.len()].clone();
                let (from, to) = if down {
                    (P, TAIYUAN)
                } else {
                    (TAIYUAN, XIAODIAN)
                };
                let doc = Doc {
                    key: &key,
                    reference: "approval",
                    date: shift(date, *late),
                };
                let amount = pct.map(|p| Fen::new((1500 * p as i64 / 100).max(1)));
                out.extend(flows::resolve_pair(
                    doc,
                    &base,
                    [rc(from), rc(to)],
                    *post,
                    amount,
                ));
            }
            G::Repeat { idx, alter } => {
                let all: Vec<&Request> = ctx.history.iter().chain(out.iter()).collect();
                if all.is_empty() {
                    continue;
                }
                let mut r = all[idx % all.len()].clone();
                match alter {
                    1 => r.amount = Some(Fen::new(r.amount.map(|a| a.fen()).unwrap_or(1) + 1)),
                    2 => r.reference.push('!'),
                    _ => {}
                }
                out.push(r);
            }
        }
    }
    ctx.history.extend(out.iter().cloned());
    out
}

/// Opening money in every test book, so that not every transfer hits a limit.
pub fn seed_batch() -> Vec<Request> {
    let chart = Chart::standard();
    let mut batch = Vec::new();
    for r in REGIONS {
        for bank in [
            "fiscal_special_account",
            "expenditure_account",
            "income_account",
        ] {
            if let Some(a) = chart.account(rc(r), bank) {
                batch.push(Request::post(
                    &format!("seed/{r}/{bank}"),
                    a,
                    acct(r, "fund_balance"),
                    Fen::new(20_000),
                    "opening",
                    "seed",
                    day(1),
                ));
            }
        }
        batch.push(Request::post(
            &format!("seed/{r}/c"),
            acct(r, "income_account"),
            acct(r, "contribution_employer"),
            Fen::new(5_000),
            "contribution",
            "seed",
            day(1),
        ));
    }
    batch
}
