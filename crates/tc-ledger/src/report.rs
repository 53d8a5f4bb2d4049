//! What can be said about a set of balances: the invariants every book must satisfy at every
//! moment, balances at a past date, the trial balance by level and region, and the month-end
//! check of the income accounts.

use crate::chart::{AccountId, AccountKind, Chart, Class, Limit, level_of};
use crate::engine::Balances;
use crate::transfer::{Op, Transfer};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use tongchou_core::region::{Level, RegionCode};
use tongchou_core::{Date, Fen, tr};

/// The first thing found wrong: what (`item`, e.g. `transfer 17` or `account 140000004`) and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub item: String,
    pub detail: String,
}

impl Problem {
    pub fn new(item: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            item: item.into(),
            detail: detail.into(),
        }
    }
}
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.item, self.detail)
    }
}
impl std::error::Error for Problem {}

/// Check the invariants of a set of account balances:
/// - every account is one the chart allows, with the chart's limit, and respects it;
/// - every book (region) balances: Σ debits = Σ credits, posted and pending separately, which is
///   assets + expenditure = liabilities + net assets + income;
/// - the inter-level accounts agree across levels: Σ 补助下级支出 = Σ 上级补助收入 and
///   Σ 上解上级支出 = Σ 下级上解收入 (posted and pending).
pub fn check_invariants<'a>(
    chart: &Chart,
    accounts: impl IntoIterator<Item = (AccountId, Limit, &'a Balances)>,
) -> Result<(), Problem> {
    let mut books: BTreeMap<RegionCode, [i128; 2]> = BTreeMap::new();
    let mut pairs: BTreeMap<&str, [i128; 2]> = BTreeMap::new();
    for (id, limit, b) in accounts {
        let item = || tr!("ledger-chk-account", id = id, label = chart.shown(id));
        let (Some(region), Some(kind)) = (id.region(), chart.kind_by_num(id.num())) else {
            return Err(Problem::new(item(), tr!("ledger-chk-not-in-chart")));
        };
        if !chart.allows(id) {
            return Err(Problem::new(item(), tr!("ledger-chk-kind-level")));
        }
        if limit != kind.limit {
            return Err(Problem::new(
                item(),
                tr!("ledger-chk-limit", limit = limit, chart = kind.limit),
            ));
        }
        if !b.within(limit) {
            return Err(Problem::new(
                item(),
                tr!("ledger-chk-breaks-limit", limit = limit, balances = b),
            ));
        }
        let e = books.entry(region).or_default();
        e[0] += b.debits_posted.fen() as i128 - b.credits_posted.fen() as i128;
        e[1] += b.debits_pending.fen() as i128 - b.credits_pending.fen() as i128;
        if let Some((group, posted, pending)) = inter_level_part(kind, b) {
            let e = pairs.entry(group).or_default();
            e[0] += posted;
            e[1] += pending;
        }
    }
    for (region, [posted, pending]) in books {
        if posted != 0 || pending != 0 {
            return Err(Problem::new(
                tr!(
                    "ledger-chk-book",
                    region = region,
                    level = level_word(level_of(region))
                ),
                tr!("ledger-chk-unbalanced", posted = posted, pending = pending),
            ));
        }
    }
    for (group, [posted, pending]) in pairs {
        if posted != 0 || pending != 0 {
            let other = chart
                .kind(group)
                .and_then(|k| k.pair.clone())
                .unwrap_or_default();
            return Err(Problem::new(
                tr!("ledger-chk-inter-level", group = group, other = other),
                tr!(
                    "ledger-chk-inter-level-differ",
                    posted = posted,
                    pending = pending
                ),
            ));
        }
    }
    Ok(())
}

/// A level as the reader names it (`level-*` of the catalogue).
fn level_word(level: Level) -> &'static str {
    tongchou_core::i18n::word(match level {
        Level::Province => "level-province",
        Level::City => "level-city",
        Level::County => "level-county",
    })
}

/// For an account of an inter-level kind (补助下级支出 ↔ 上级补助收入, 上解上级支出 ↔ 下级上解收入):
/// its pair group (the first key of the pair, alphabetically) and its normal posted and pending
/// balances, signed so that a group sums to zero when both levels agree.
pub(crate) fn inter_level_part<'k>(
    kind: &'k AccountKind,
    b: &Balances,
) -> Option<(&'k str, i128, i128)> {
    let pair = kind.pair.as_deref()?;
    let (group, sign) = if kind.key.as_str() < pair {
        (kind.key.as_str(), 1)
    } else {
        (pair, -1)
    };
    let side = kind.class.normal();
    Some((
        group,
        sign * b.posted_on(side) as i128,
        sign * b.pending_on(side) as i128,
    ))
}

/// Balances as of the end of a date, built by feeding transfers in journal order: a transfer
/// counts if its value date is on or before `until`. A pending transfer counts until a
/// resolution dated on or before `until` releases it.
pub struct BalanceFold {
    until: Option<Date>,
    pending: HashMap<i64, Fen>,
    pub balances: BTreeMap<AccountId, Balances>,
}

impl BalanceFold {
    pub fn new(until: Option<Date>) -> BalanceFold {
        BalanceFold {
            until,
            pending: HashMap::new(),
            balances: BTreeMap::new(),
        }
    }
    pub fn push(&mut self, t: &Transfer) {
        if self.until.is_some_and(|d| t.date > d) {
            return;
        }
        let release = match t.op {
            Op::PostPending | Op::VoidPending => t
                .target
                .and_then(|id| self.pending.remove(&id))
                .unwrap_or_default(),
            _ => Fen::ZERO,
        };
        let d = self.balances.entry(t.debit).or_default();
        match t.op {
            Op::Post | Op::Reverse => bump(&mut d.debits_posted, t.amount),
            Op::Pending => bump(&mut d.debits_pending, t.amount),
            Op::PostPending => {
                lessen(&mut d.debits_pending, release);
                bump(&mut d.debits_posted, t.amount);
            }
            Op::VoidPending => lessen(&mut d.debits_pending, release),
        }
        let c = self.balances.entry(t.credit).or_default();
        match t.op {
            Op::Post | Op::Reverse => bump(&mut c.credits_posted, t.amount),
            Op::Pending => bump(&mut c.credits_pending, t.amount),
            Op::PostPending => {
                lessen(&mut c.credits_pending, release);
                bump(&mut c.credits_posted, t.amount);
            }
            Op::VoidPending => lessen(&mut c.credits_pending, release),
        }
        if t.op == Op::Pending {
            self.pending.insert(t.id, t.amount);
        }
    }
}

/// One line of a trial balance: an account kind in one book or summed over a level.
#[derive(Clone, Debug, Serialize)]
pub struct TrialRow {
    pub kind: String,
    pub code: String,
    pub name: String,
    pub class: Class,
    /// Posted balance on the debit side (debits − credits when positive), in fen.
    pub debit: Fen,
    /// Posted balance on the credit side, in fen.
    pub credit: Fen,
    /// Pending (reserved) debits and credits not yet posted or voided.
    pub pending_debit: Fen,
    pub pending_credit: Fen,
}

/// The trial balance of one book (region) or of all books of one level.
#[derive(Clone, Debug, Serialize)]
pub struct TrialBook {
    pub level: Level,
    /// The region, for a single book; `None` for the sum over a level.
    pub region: Option<RegionCode>,
    pub regions: usize,
    pub rows: Vec<TrialRow>,
    pub total_debit: Fen,
    pub total_credit: Fen,
    /// Σ debit = Σ credit, and the same for pending amounts.
    pub balanced: bool,
}

/// A trial balance (试算平衡表) at a date: one book per level (summed over its regions), or
/// the single book of one region.
#[derive(Clone, Debug, Serialize)]
pub struct TrialBalance {
    #[serde(serialize_with = "ser_opt_date")]
    pub at: Option<Date>,
    pub books: Vec<TrialBook>,
}

fn ser_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// Build the trial balance from account balances. With `region`, only that region's book;
/// otherwise one book per level, summed over the regions of the level.
pub fn trial_balance(
    chart: &Chart,
    balances: &BTreeMap<AccountId, Balances>,
    at: Option<Date>,
    region: Option<RegionCode>,
) -> TrialBalance {
    // (level, region-or-none) → (kind num → summed balances, regions seen)
    type Group = (BTreeMap<u16, Balances>, BTreeSet<RegionCode>);
    let mut groups: BTreeMap<(Level, Option<RegionCode>), Group> = BTreeMap::new();
    for (id, b) in balances {
        let Some(r) = id.region() else { continue };
        if b.is_zero() || region.is_some_and(|x| x != r) {
            continue;
        }
        let key = (level_of(r), region);
        let g = groups.entry(key).or_default();
        g.1.insert(r);
        let e = g.0.entry(id.num()).or_default();
        bump(&mut e.debits_posted, b.debits_posted);
        bump(&mut e.credits_posted, b.credits_posted);
        bump(&mut e.debits_pending, b.debits_pending);
        bump(&mut e.credits_pending, b.credits_pending);
    }
    let mut books = Vec::new();
    for ((level, region), (kinds, regions)) in groups {
        let mut rows = Vec::new();
        let (mut td, mut tc, mut pd, mut pc) = (0i64, 0i64, 0i64, 0i64);
        // rows in chart order
        for k in chart.kinds() {
            let Some(b) = kinds.get(&k.num) else { continue };
            let net = b.debits_posted.fen() - b.credits_posted.fen();
            let pnet = b.debits_pending.fen() - b.credits_pending.fen();
            let row = TrialRow {
                kind: k.key.clone(),
                code: k.code.clone(),
                name: k.name.clone(),
                class: k.class,
                debit: Fen::new(net.max(0)),
                credit: Fen::new((-net).max(0)),
                pending_debit: Fen::new(pnet.max(0)),
                pending_credit: Fen::new((-pnet).max(0)),
            };
            td += row.debit.fen();
            tc += row.credit.fen();
            pd += row.pending_debit.fen();
            pc += row.pending_credit.fen();
            rows.push(row);
        }
        books.push(TrialBook {
            level,
            region,
            regions: regions.len(),
            rows,
            total_debit: Fen::new(td),
            total_credit: Fen::new(tc),
            balanced: td == tc && pd == pc,
        });
    }
    TrialBalance { at, books }
}

/// An account that must be empty at month end and is not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonthEndViolation {
    pub account: AccountId,
    pub label: String,
    pub balances: Balances,
}

/// The month-end rule (收入户 zero at month end, 财社〔2017〕144号 art. 40): given the balances at
/// the period's last day, every account whose kind is `month_end_zero` must be empty, pending
/// amounts included.
pub fn month_end_violations(
    chart: &Chart,
    balances: &BTreeMap<AccountId, Balances>,
) -> Vec<MonthEndViolation> {
    balances
        .iter()
        .filter(|(id, b)| chart.kind_of(**id).is_some_and(|k| k.month_end_zero) && !zero_net(b))
        .map(|(id, b)| MonthEndViolation {
            account: *id,
            label: chart.label(*id),
            balances: *b,
        })
        .collect()
}

fn zero_net(b: &Balances) -> bool {
    b.debits_posted == b.credits_posted && b.debits_pending == b.credits_pending
}

/// `*into += x` while replaying transfers the engine accepted: the engine refused any transfer
/// that would overflow a balance, so the replay cannot overflow either.
fn bump(into: &mut Fen, x: Fen) {
    *into = into
        .checked_add(x)
        .expect("the ledger engine refused every transfer that overflows a balance");
}

/// `*from -= x` while replaying transfers the engine accepted (see [`bump`]).
fn lessen(from: &mut Fen, x: Fen) {
    *from = from
        .checked_sub(x)
        .expect("the ledger engine refused every transfer that overflows a balance");
}
