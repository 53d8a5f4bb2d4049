//! [`MemLedger`]: the whole ledger in memory. It is the reference semantics the SQL store is
//! tested against, and a ledger for simulations that need no storage.

use crate::chart::{AccountId, Chart, ChartError};
use crate::engine::{self, Account, Balances, Head, Outcome, Replay, State, TransferError};
use crate::report::{self, BalanceFold, MonthEndViolation, Problem, TrialBalance};
use crate::transfer::{JournalEntry, Request, Transfer};
use std::collections::BTreeMap;
use tongchou_core::region::{Divisions, RegionCode};
use tongchou_core::{Date, Period};

pub struct MemLedger<'c> {
    chart: &'c Chart,
    state: State,
    journal: Vec<JournalEntry>,
}

impl<'c> MemLedger<'c> {
    /// An empty ledger with no account open.
    pub fn new(chart: &'c Chart) -> MemLedger<'c> {
        MemLedger {
            chart,
            state: State::default(),
            journal: Vec::new(),
        }
    }

    /// New entries hash with `alg` from now on (the deployment's choice).
    pub fn set_chain(&mut self, alg: tongchou_crypto::HashAlg) {
        self.state.chain = alg;
    }

    pub fn chart(&self) -> &'c Chart {
        self.chart
    }

    /// Open an account the chart allows. Returns false if it was already open.
    pub fn open(&mut self, id: AccountId) -> Result<bool, ChartError> {
        let kind = self
            .chart
            .kind_of(id)
            .filter(|_| self.chart.allows(id))
            .ok_or_else(|| ChartError(format!("account {id} is not in the chart")))?;
        if self.state.accounts.contains_key(&id) {
            return Ok(false);
        }
        self.state.accounts.insert(
            id,
            Account {
                id,
                limit: kind.limit,
                balances: Balances::default(),
            },
        );
        Ok(true)
    }

    /// Open the standard accounts of every region (see [`Chart::standard_accounts`]).
    pub fn open_standard(&mut self, divisions: &Divisions) -> usize {
        let ids = self.chart.standard_accounts(divisions);
        ids.into_iter()
            .filter(|&id| self.open(id).unwrap_or(false))
            .count()
    }

    /// Submit a batch (see [`engine::execute`]): one result per request.
    pub fn submit(
        &mut self,
        batch: &[Request],
        recorded_at: i64,
    ) -> Vec<Result<Outcome, TransferError>> {
        let ex = engine::execute(self.chart, &mut self.state, batch, recorded_at);
        self.journal.extend(ex.created);
        ex.results
    }

    pub fn account(&self, id: AccountId) -> Option<Account> {
        self.state.accounts.get(&id).copied()
    }

    /// All open accounts, by id.
    pub fn accounts(&self) -> Vec<Account> {
        let mut v: Vec<Account> = self.state.accounts.values().copied().collect();
        v.sort_by_key(|a| a.id);
        v
    }

    pub fn balances(&self) -> BTreeMap<AccountId, Balances> {
        self.state
            .accounts
            .values()
            .map(|a| (a.id, a.balances))
            .collect()
    }

    pub fn transfer(&self, key: &str) -> Option<&Transfer> {
        self.state.by_key(key).map(|k| &k.transfer)
    }

    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    pub fn head(&self) -> Head {
        self.state.head
    }

    /// Verify everything: replay the journal from the start (hash chain and every rule), compare
    /// the rebuilt balances with the current ones, and check the invariants of every book.
    pub fn check(&self) -> Result<(), Problem> {
        let mut replay = Replay::new(
            self.chart,
            self.state.accounts.values().map(|a| (a.id, a.limit)),
        );
        for e in &self.journal {
            replay.push(e).map_err(|err| {
                Problem::new(
                    tongchou_core::tr!(
                        "ledger-chk-transfer",
                        id = e.transfer.id,
                        key = e.transfer.key
                    ),
                    err.to_string(),
                )
            })?;
        }
        if replay.head() != self.state.head {
            return Err(Problem::new(
                tongchou_core::tr!("ledger-chk-head"),
                tongchou_core::tr!("ledger-chk-head-mem"),
            ));
        }
        for a in self.accounts() {
            let rebuilt = replay
                .state()
                .accounts
                .get(&a.id)
                .map(|x| x.balances)
                .unwrap_or_default();
            if rebuilt != a.balances {
                return Err(Problem::new(
                    tongchou_core::tr!(
                        "ledger-chk-account",
                        id = a.id,
                        label = self.chart.shown(a.id)
                    ),
                    tongchou_core::tr!(
                        "ledger-chk-rebuilt",
                        stored = a.balances,
                        rebuilt = rebuilt
                    ),
                ));
            }
        }
        report::check_invariants(
            self.chart,
            self.state
                .accounts
                .values()
                .map(|a| (a.id, a.limit, &a.balances)),
        )
    }

    /// Balances at the end of `date` (only accounts that moved by then).
    pub fn balances_at(&self, date: Date) -> BTreeMap<AccountId, Balances> {
        let mut fold = BalanceFold::new(Some(date));
        for e in &self.journal {
            fold.push(&e.transfer);
        }
        fold.balances
    }

    pub fn trial_balance(&self, at: Option<Date>, region: Option<RegionCode>) -> TrialBalance {
        let balances = match at {
            Some(d) => self.balances_at(d),
            None => self.balances(),
        };
        report::trial_balance(self.chart, &balances, at, region)
    }

    /// Transfers touching `account`, in journal order, after id `after`, at most `limit`.
    pub fn history(&self, account: AccountId, after: i64, limit: usize) -> Vec<&Transfer> {
        self.journal
            .iter()
            .map(|e| &e.transfer)
            .filter(|t| t.id > after && (t.debit == account || t.credit == account))
            .take(limit)
            .collect()
    }

    pub fn month_end_check(&self, period: Period) -> Vec<MonthEndViolation> {
        report::month_end_violations(self.chart, &self.balances_at(period.last_day()))
    }
}
