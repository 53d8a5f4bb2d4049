//! Tests of the ledger as a whole: worked examples of each rule, and property tests that drive
//! random batches through [`MemLedger`] and an independent naive model.

use crate::chart::{AccountId, Chart};
use crate::engine::{Outcome, TransferError};
use crate::flows::{self, ContributionPart, Doc};
use crate::mem::MemLedger;
use crate::transfer::{Hash, Line, LinesSummary, Op, Request};
use crate::{Balances, Replay};
use tongchou_core::region::Divisions;
use tongchou_core::{Date, Fen, Period};
use tongchou_crypto::HashAlg;

use crate::testkit::{P, TAIYUAN, XIAODIAN, acct, day, rc};

fn ledger() -> MemLedger<'static> {
    let mut l = MemLedger::new(Chart::standard());
    l.open_standard(Divisions::shanxi());
    l
}

fn ok(r: &[Result<Outcome, TransferError>]) {
    assert!(r.iter().all(|x| x.is_ok()), "{r:?}");
}

/// Opening balance at the province, then a whole month: collection with lines, funding, a
/// pending allocation posted in part, a pending payment posted, a bank return reversed.
#[test]
fn a_month_of_money_flows() {
    let chart = Chart::standard();
    let mut l = ledger();
    let open = Request::post(
        "open",
        acct(P, "fiscal_special_account"),
        acct(P, "fund_balance"),
        Fen::new(1_000_000),
        "opening",
        "2023 final accounts",
        day(1),
    );
    ok(&l.submit(&[open], 1));

    let lines: Vec<Line> = (0..100)
        .map(|i| Line {
            person: i,
            amount: Fen::new(1000 + i),
        })
        .collect();
    let summary = LinesSummary::of(&lines).unwrap();
    let doc = Doc {
        key: "contrib/202401/140105/employer",
        reference: "batch 1",
        date: day(5),
    };
    let reqs = flows::collection(
        chart,
        doc,
        rc(XIAODIAN),
        ContributionPart::Employer,
        summary.total,
        Some(summary),
    )
    .unwrap();
    assert_eq!(reqs.len(), 2);
    ok(&l.submit(&reqs, 2));
    assert_eq!(
        l.account(acct(P, "fiscal_special_account"))
            .unwrap()
            .balances
            .debits_posted,
        Fen::new(1_000_000 + summary.total.fen())
    );
    assert_eq!(
        l.account(acct(XIAODIAN, "contribution_employer"))
            .unwrap()
            .balances
            .credits_posted,
        summary.total
    );
    assert_eq!(
        l.transfer("contrib/202401/140105/employer/140105")
            .unwrap()
            .line_count,
        100
    );

    let fund = flows::funding(
        chart,
        Doc {
            key: "fund/202401",
            reference: "plan 1",
            date: day(8),
        },
        rc(P),
        Fen::new(500_000),
        false,
    )
    .unwrap();
    ok(&l.submit(&[fund], 3));
    let alloc = Doc {
        key: "alloc/202401/140100",
        reference: "plan 1",
        date: day(9),
    };
    ok(&l.submit(
        &flows::allocation(chart, alloc, rc(P), rc(TAIYUAN), Fen::new(300_000), true).unwrap(),
        4,
    ));
    // reserved: the province's expenditure account can only give 200,000 more
    let too_much = flows::allocation(
        chart,
        Doc {
            key: "alloc/x",
            reference: "",
            date: day(9),
        },
        rc(P),
        rc(TAIYUAN),
        Fen::new(200_001),
        false,
    )
    .unwrap();
    let r = l.submit(&too_much, 5);
    assert!(
        matches!(r[0], Err(TransferError::LimitExceeded { .. })),
        "{r:?}"
    );
    assert_eq!(r[1], Err(TransferError::LinkedEventFailed));
    // approval of 250,000 of the 300,000
    let post = flows::resolve_pair(
        Doc {
            key: "approve/202401/140100",
            reference: "approval",
            date: day(10),
        },
        "alloc/202401/140100",
        [rc(P), rc(TAIYUAN)],
        true,
        Some(Fen::new(250_000)),
    );
    ok(&l.submit(&post, 6));
    // posting again is refused; voiding after posting is refused
    let again = flows::resolve_pair(
        Doc {
            key: "approve2",
            reference: "",
            date: day(10),
        },
        "alloc/202401/140100",
        [rc(P), rc(TAIYUAN)],
        false,
        None,
    );
    let r = l.submit(&again, 7);
    assert_eq!(r[0], Err(TransferError::PendingAlreadyPosted));
    assert_eq!(
        l.account(acct(TAIYUAN, "expenditure_account"))
            .unwrap()
            .balances
            .debits_posted,
        Fen::new(250_000)
    );
    assert_eq!(
        l.account(acct(P, "expenditure_account"))
            .unwrap()
            .balances
            .credits_pending,
        Fen::new(0)
    );

    // the city pays a pension batch, the bank pays all but 1,000 which comes back later
    let pay = flows::payment(
        chart,
        Doc {
            key: "pay/202401/140100",
            reference: "payroll",
            date: day(15),
        },
        rc(TAIYUAN),
        "benefit_basic_pension",
        Fen::new(200_000),
        None,
    )
    .unwrap();
    ok(&l.submit(&[pay], 8));
    ok(&l.submit(
        &[Request::post_pending(
            "paid/202401/140100",
            "pay/202401/140100",
            None,
            "benefit",
            "bank file",
            day(16),
        )],
        9,
    ));
    ok(&l.submit(
        &[Request::reverse(
            "return/202401/140100/1",
            "paid/202401/140100",
            Some(Fen::new(1_000)),
            "bank_return",
            "return file",
            day(20),
        )],
        10,
    ));
    let exp = l
        .account(acct(TAIYUAN, "expenditure_account"))
        .unwrap()
        .balances;
    assert_eq!(
        exp.debits_posted.fen() - exp.credits_posted.fen(),
        250_000 - 200_000 + 1_000
    );

    l.check().unwrap();
    let tb = l.trial_balance(None, None);
    assert_eq!(tb.books.len(), 3);
    assert!(tb.books.iter().all(|b| b.balanced), "{tb:?}");
    let city = l.trial_balance(None, Some(rc(TAIYUAN)));
    assert_eq!(city.books.len(), 1);
    let row = |kind: &str| {
        city.books[0]
            .rows
            .iter()
            .find(|r| r.kind == kind)
            .unwrap()
            .clone()
    };
    assert_eq!(row("grant_from_higher").credit, Fen::new(250_000));
    assert_eq!(row("benefit_basic_pension").debit, Fen::new(199_000));
    // at day 9 the allocation was only reserved
    let early = l.trial_balance(Some(day(9)), Some(rc(TAIYUAN)));
    let pending = early.books[0]
        .rows
        .iter()
        .find(|r| r.kind == "expenditure_account")
        .unwrap();
    assert_eq!(
        (pending.debit, pending.pending_debit),
        (Fen::new(0), Fen::new(300_000))
    );
    assert_eq!(
        l.history(acct(TAIYUAN, "expenditure_account"), 0, 100)
            .len(),
        5
    );
    assert_eq!(
        l.history(acct(TAIYUAN, "expenditure_account"), 6, 2)
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        vec![8, 9]
    );
}

#[test]
fn idempotency() {
    let mut l = ledger();
    let r = Request::post(
        "k1",
        acct(P, "fiscal_special_account"),
        acct(P, "fund_balance"),
        Fen::new(5),
        "opening",
        "x",
        day(1),
    );
    assert_eq!(
        l.submit(std::slice::from_ref(&r), 0),
        vec![Ok(Outcome::Created { id: 1 })]
    );
    // the same again, even in the same batch: a no-op that says so
    assert_eq!(
        l.submit(&[r.clone(), r.clone()], 0),
        vec![Ok(Outcome::Exists { id: 1 }); 2]
    );
    assert_eq!(l.journal().len(), 1);
    let other = Request {
        amount: Some(Fen::new(6)),
        ..r.clone()
    };
    assert_eq!(
        l.submit(&[other], 0),
        vec![Err(TransferError::ExistsWithDifferent { field: "amount" })]
    );
    let other = Request {
        reference: "y".into(),
        ..r.clone()
    };
    assert_eq!(
        l.submit(&[other], 0),
        vec![Err(TransferError::ExistsWithDifferent {
            field: "reference"
        })]
    );
    // a resolution repeated after its pending was resolved is still the same no-op
    let p = Request::pending(
        "p",
        acct(P, "fiscal_special_account"),
        acct(P, "fund_balance"),
        Fen::new(5),
        "opening",
        "x",
        day(1),
    );
    let post = Request::post_pending("pp", "p", None, "opening", "x", day(2));
    ok(&l.submit(&[p, post.clone()], 0));
    assert_eq!(l.submit(&[post], 0), vec![Ok(Outcome::Exists { id: 3 })]);
    l.check().unwrap();
}

#[test]
fn central_and_reserve_flows_balance_and_net_out() {
    use crate::flows::CentralMove as M;
    let chart = Chart::standard();
    let mut l = ledger();
    let doc = |key: &'static str| Doc {
        key,
        reference: "财社〔2021〕1号",
        date: day(20),
    };
    let p = rc(P);
    let open = Request::post(
        "open",
        acct(P, "fiscal_special_account"),
        acct(P, "fund_balance"),
        Fen::new(1_000),
        "opening",
        "",
        day(1),
    );
    ok(&l.submit(&[open], 0));
    // due 100 to the centre, 160 from it; advances paid 75, received 120; settlement 15 in
    let moves = [
        ("r", M::RemittanceDue, 100),
        ("a", M::AllocationDue, 160),
        ("q1p", M::Paid, 75),
        ("q1r", M::Received, 120),
        ("s", M::Received, 15),
    ];
    for (k, m, fen) in moves {
        let r = flows::central(chart, doc(k), p, m, Fen::new(fen)).unwrap();
        ok(&l.submit(std::slice::from_ref(&r), 0));
        assert!(matches!(l.submit(&[r], 0)[0], Ok(Outcome::Exists { .. })));
    }
    let bal = |l: &MemLedger<'_>, k: &str| {
        let b = l.account(acct(P, k)).unwrap().balances;
        b.debits_posted.fen() - b.credits_posted.fen()
    };
    assert_eq!(bal(&l, "central_clearing"), 0);
    assert_eq!(bal(&l, "fiscal_special_account"), 1_000 + 60);
    // the reserve: equity 500 in, a dividend 40, a sale for 90 of a holding of 50, a use of 100
    ok(&l.submit(
        &[flows::reserve_equity(chart, doc("e"), p, Fen::new(500)).unwrap()],
        0,
    ));
    ok(&l.submit(
        &[flows::reserve_return(chart, doc("d"), p, Fen::new(40)).unwrap()],
        0,
    ));
    let sale = flows::reserve_sale(chart, doc("x"), p, Fen::new(90), Fen::new(50)).unwrap();
    ok(&l.submit(&sale, 0));
    // more than the deposits hold is refused whole
    let big = flows::reserve_use(chart, doc("u0"), p, Fen::new(131)).unwrap();
    assert!(l.submit(&big, 0).iter().all(|r| r.is_err()));
    ok(&l.submit(
        &flows::reserve_use(chart, doc("u"), p, Fen::new(100)).unwrap(),
        0,
    ));
    assert_eq!(bal(&l, "reserve_deposit"), 30);
    assert_eq!(bal(&l, "reserve_equity"), 450);
    assert_eq!(bal(&l, "reserve_fund"), -480);
    assert_eq!(bal(&l, "fiscal_special_account"), 1_160);
    l.check().unwrap();
}

#[test]
fn limits_and_books() {
    let mut l = ledger();
    let exp = acct(XIAODIAN, "expenditure_account");
    let pension = acct(XIAODIAN, "benefit_basic_pension");
    // paying from an empty expenditure account is refused
    let r = l.submit(
        &[Request::post(
            "pay",
            pension,
            exp,
            Fen::new(1),
            "benefit",
            "",
            day(1),
        )],
        0,
    );
    assert_eq!(
        r,
        vec![Err(TransferError::LimitExceeded {
            account: exp,
            limit: crate::Limit::CreditsMustNotExceedDebits
        })]
    );
    // debit and credit in different books
    let r = l.submit(
        &[Request::post(
            "x",
            acct(P, "fiscal_special_account"),
            acct(XIAODIAN, "contribution_employer"),
            Fen::new(1),
            "contribution",
            "",
            day(1),
        )],
        0,
    );
    assert_eq!(r, vec![Err(TransferError::CrossBook)]);
    // one half of an inter-level pair alone
    let r = l.submit(
        &[Request::post(
            "y",
            acct(XIAODIAN, "remittance_to_higher"),
            acct(XIAODIAN, "contribution_employer"),
            Fen::new(1),
            "contribution",
            "",
            day(1),
        )],
        0,
    );
    assert_eq!(r, vec![Err(TransferError::InterLevelImbalance)]);
    // unknown category, zero amount, same account, account not open
    let f = acct(P, "fund_balance");
    let s = acct(P, "fiscal_special_account");
    assert_eq!(
        l.submit(
            &[Request::post("z", s, f, Fen::new(1), "nope", "", day(1))],
            0
        ),
        vec![Err(TransferError::UnknownCategory)]
    );
    assert_eq!(
        l.submit(
            &[Request::post("z", s, f, Fen::new(0), "opening", "", day(1))],
            0
        ),
        vec![Err(TransferError::AmountNotPositive)]
    );
    assert_eq!(
        l.submit(
            &[Request::post("z", s, s, Fen::new(1), "opening", "", day(1))],
            0
        ),
        vec![Err(TransferError::SameAccount)]
    );
    let mut small = MemLedger::new(Chart::standard());
    small.open(s).unwrap();
    assert_eq!(
        small.submit(
            &[Request::post("z", s, f, Fen::new(1), "opening", "", day(1))],
            0
        ),
        vec![Err(TransferError::AccountNotFound { account: f })]
    );
    assert!(l.journal().is_empty());
    l.check().unwrap();
}

#[test]
fn linked_chains_fail_whole() {
    let mut l = ledger();
    let s = acct(P, "fiscal_special_account");
    let f = acct(P, "fund_balance");
    let e = acct(P, "expenditure_account");
    let batch = vec![
        Request::post("a", s, f, Fen::new(100), "opening", "", day(1)).linked(),
        Request::post("b", e, s, Fen::new(60), "funding", "", day(1)).linked(),
        Request::post("c", e, s, Fen::new(60), "funding", "", day(1)), // overdraws s: the chain fails
        Request::post("d", s, f, Fen::new(7), "opening", "", day(1)),  // a separate unit
    ];
    let r = l.submit(&batch, 0);
    assert_eq!(r[0], Err(TransferError::LinkedEventFailed));
    assert_eq!(r[1], Err(TransferError::LinkedEventFailed));
    assert!(matches!(r[2], Err(TransferError::LimitExceeded { .. })));
    assert_eq!(r[3], Ok(Outcome::Created { id: 1 }));
    assert_eq!(l.account(s).unwrap().balances.debits_posted, Fen::new(7));
    assert!(l.transfer("a").is_none());
    // a batch ending inside a chain
    let r = l.submit(
        &[Request::post("e", s, f, Fen::new(1), "opening", "", day(1)).linked()],
        0,
    );
    assert_eq!(r, vec![Err(TransferError::LinkedChainOpen)]);
    l.check().unwrap();
}

#[test]
fn pending_post_void_reverse_rules() {
    let mut l = ledger();
    let s = acct(P, "fiscal_special_account");
    let f = acct(P, "fund_balance");
    let e = acct(P, "expenditure_account");
    ok(&l.submit(
        &[Request::post(
            "open",
            s,
            f,
            Fen::new(100),
            "opening",
            "",
            day(1),
        )],
        0,
    ));
    ok(&l.submit(
        &[Request::pending(
            "p1",
            e,
            s,
            Fen::new(80),
            "funding",
            "",
            day(2),
        )],
        0,
    ));
    // the reservation blocks a second one
    let r = l.submit(
        &[Request::pending(
            "p2",
            e,
            s,
            Fen::new(30),
            "funding",
            "",
            day(2),
        )],
        0,
    );
    assert!(matches!(r[0], Err(TransferError::LimitExceeded { .. })));
    let mut one = |r: Request| l.submit(&[r], 0).remove(0);
    assert_eq!(
        one(Request::post_pending(
            "x",
            "p1",
            Some(Fen::new(81)),
            "funding",
            "",
            day(3)
        )),
        Err(TransferError::AmountExceedsPending)
    );
    assert_eq!(
        one(Request::post_pending(
            "x",
            "p1",
            None,
            "funding",
            "",
            day(1)
        )),
        Err(TransferError::DateBeforeTarget)
    );
    assert_eq!(
        one(Request::post_pending(
            "x",
            "nope",
            None,
            "funding",
            "",
            day(3)
        )),
        Err(TransferError::TargetNotFound)
    );
    assert_eq!(
        one(Request::post_pending(
            "x",
            "open",
            None,
            "funding",
            "",
            day(3)
        )),
        Err(TransferError::TargetNotPending)
    );
    assert_eq!(
        one(Request {
            amount: Some(Fen::new(1)),
            ..Request::void("x", "p1", "funding", "", day(3))
        }),
        Err(TransferError::VoidAmountMismatch)
    );
    assert_eq!(
        one(Request::reverse("x", "p1", None, "correction", "", day(3))),
        Err(TransferError::TargetNotReversible)
    );
    assert!(one(Request::void("v1", "p1", "funding", "", day(3))).is_ok());
    assert_eq!(
        one(Request::post_pending(
            "x",
            "p1",
            None,
            "funding",
            "",
            day(3)
        )),
        Err(TransferError::PendingAlreadyVoided)
    );
    assert!(
        one(Request::reverse(
            "r1",
            "open",
            Some(Fen::new(40)),
            "correction",
            "",
            day(4)
        ))
        .is_ok()
    );
    assert_eq!(
        one(Request::reverse(
            "r2",
            "open",
            Some(Fen::new(61)),
            "correction",
            "",
            day(4)
        )),
        Err(TransferError::AmountExceedsUnreversed)
    );
    assert!(
        one(Request::reverse(
            "r3",
            "open",
            None,
            "correction",
            "",
            day(4)
        ))
        .is_ok()
    );
    assert_eq!(
        one(Request::reverse(
            "r4",
            "open",
            None,
            "correction",
            "",
            day(4)
        )),
        Err(TransferError::AlreadyFullyReversed)
    );
    assert_eq!(
        l.account(s).unwrap().balances,
        Balances {
            debits_posted: Fen::new(100),
            credits_posted: Fen::new(100),
            ..Default::default()
        }
    );
    assert_eq!(l.transfer("r3").unwrap().amount, Fen::new(60));
    l.check().unwrap();
}

#[test]
fn month_end_income_account() {
    let mut l = ledger();
    let inc = acct(XIAODIAN, "income_account");
    ok(&l.submit(
        &[Request::post(
            "in",
            inc,
            acct(XIAODIAN, "transfer_in"),
            Fen::new(500),
            "transfer",
            "",
            day(20),
        )],
        0,
    ));
    let jan = Period::new(2024, 1).unwrap();
    let v = l.month_end_check(jan);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].account, inc);
    // remitted to the province before month end: the rule holds
    let pair = vec![
        Request::post(
            "up/140105",
            acct(XIAODIAN, "remittance_to_higher"),
            inc,
            Fen::new(500),
            "remittance",
            "",
            day(31),
        )
        .linked(),
        Request::post(
            "up/140000",
            acct(P, "fiscal_special_account"),
            acct(P, "remittance_from_lower"),
            Fen::new(500),
            "remittance",
            "",
            day(31),
        ),
    ];
    ok(&l.submit(&pair, 0));
    assert!(l.month_end_check(jan).is_empty());
    assert_eq!(l.month_end_check(Period::new(2023, 12).unwrap()), vec![]);
    l.check().unwrap();
}

#[test]
fn replay_catches_tampering() {
    for alg in [HashAlg::Sha256, HashAlg::Sm3] {
        replay_catches_tampering_under(alg);
    }
}

#[test]
fn sha256_then_sm3_verifies_but_not_back() {
    let mut l = ledger();
    post_opening(&mut l, 0);
    post_opening(&mut l, 1);
    l.set_chain(HashAlg::Sm3);
    post_opening(&mut l, 2);
    post_opening(&mut l, 3);
    let algs: Vec<HashAlg> = l.journal().iter().map(|e| e.alg).collect();
    assert_eq!(
        algs,
        [HashAlg::Sha256, HashAlg::Sha256, HashAlg::Sm3, HashAlg::Sm3]
    );
    assert_eq!(l.journal()[2].prev_alg, HashAlg::Sha256);
    // the SHA-256 entries hash as they always did
    let e0 = &l.journal()[0];
    assert_eq!(e0.hash, e0.transfer.chain_hash(&Hash::ZERO));
    assert_ne!(
        l.journal()[2].hash,
        l.journal()[2]
            .transfer
            .chain_hash(&l.journal()[2].prev_hash)
    );
    l.check().unwrap();
    // an entry rewritten back to SHA-256 (consistently rehashed) is a downgrade
    let accounts: Vec<_> = l.accounts().iter().map(|a| (a.id, a.limit)).collect();
    let mut j = l.journal().to_vec();
    j[3].alg = HashAlg::Sha256;
    j[3].hash = j[3].transfer.chain_hash(&j[3].prev_hash);
    let mut r = Replay::new(Chart::standard(), accounts);
    for e in &j[..3] {
        r.push(e).unwrap();
    }
    let err = r.push(&j[3]).unwrap_err().to_string();
    assert!(err.contains("由 sm3 退回 sha256"), "{err}");
}

/// An opening balance `k{i}` of 10 + i fen in the provincial book.
fn post_opening(l: &mut MemLedger<'_>, i: i64) {
    let s = acct(P, "fiscal_special_account");
    let f = acct(P, "fund_balance");
    ok(&l.submit(
        &[Request::post(
            &format!("k{i}"),
            s,
            f,
            Fen::new(10 + i),
            "opening",
            "",
            day(1),
        )],
        0,
    ));
}

fn replay_catches_tampering_under(alg: HashAlg) {
    let mut l = ledger();
    l.set_chain(alg);
    for i in 0..5 {
        post_opening(&mut l, i);
    }
    let accounts: Vec<_> = l.accounts().iter().map(|a| (a.id, a.limit)).collect();
    let verify = |journal: &[crate::JournalEntry]| -> Result<(), (i64, String)> {
        let mut r = Replay::new(Chart::standard(), accounts.clone());
        for e in journal {
            r.push(e).map_err(|err| (e.transfer.id, err.to_string()))?;
        }
        Ok(())
    };
    verify(l.journal()).unwrap();
    let mut j = l.journal().to_vec();
    j[2].transfer.amount = Fen::new(1000);
    assert_eq!(verify(&j).unwrap_err().0, 3);
    let mut j = l.journal().to_vec();
    j[3].prev_hash = Hash([7; 32]);
    let found = verify(&j).unwrap_err().1;
    assert!(found.contains("哈希链断裂"), "{found}");
    let found = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::En, || verify(&j))
        .unwrap_err()
        .1;
    assert!(found.contains("chain broken"), "{found}");
    let mut j = l.journal().to_vec();
    j.remove(1);
    assert_eq!(verify(&j).unwrap_err().0, 3);
    // a rebuilt hash with an impossible transfer is caught by the rules
    let mut j = l.journal().to_vec();
    j[0].transfer.op = Op::Reverse;
    j[0].hash = j[0].transfer.chain_hash_with(alg, &j[0].prev_hash);
    assert!(verify(&j).unwrap_err().1.contains("违反账簿规则"));
    // the same entry under the other algorithm does not verify
    let other = match alg {
        HashAlg::Sha256 => HashAlg::Sm3,
        HashAlg::Sm3 => HashAlg::Sha256,
    };
    let mut j = l.journal().to_vec();
    assert!(j.iter().all(|e| e.alg == alg));
    j[1].alg = other;
    assert!(verify(&j).is_err());
}

mod model {
    //! A deliberately naive model: it keeps the list of accepted transfers and recomputes every
    //! balance from scratch, checking each rule directly from the definitions.

    use super::*;
    use crate::Limit;
    use std::collections::BTreeMap;

    #[derive(Clone, Debug)]
    pub struct MT {
        pub r: Request,
        pub target: Option<usize>,
        pub debit: AccountId,
        pub credit: AccountId,
        pub amount: i64,
    }

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Res {
        Created(i64),
        Exists(i64),
        Failed,
    }

    pub struct Model {
        pub open: Vec<AccountId>,
        pub accepted: Vec<MT>,
    }

    impl Model {
        pub fn balances(&self, until: Option<Date>) -> BTreeMap<AccountId, [i64; 4]> {
            let mut b: BTreeMap<AccountId, [i64; 4]> =
                self.open.iter().map(|&a| (a, [0; 4])).collect();
            let counts = |t: &MT| until.is_none_or(|d| t.r.date <= d);
            for t in self.accepted.iter().filter(|t| counts(t)) {
                let released = match t.r.op {
                    Op::PostPending | Op::VoidPending => {
                        t.target.map(|i| self.accepted[i].amount).unwrap_or(0)
                    }
                    _ => 0,
                };
                let (dp, dq) = match t.r.op {
                    Op::Post | Op::Reverse => (t.amount, 0),
                    Op::Pending => (0, t.amount),
                    Op::PostPending => (t.amount, -released),
                    Op::VoidPending => (0, -released),
                };
                let d = b.entry(t.debit).or_default();
                d[0] += dp;
                d[2] += dq;
                let c = b.entry(t.credit).or_default();
                c[1] += dp;
                c[3] += dq;
            }
            b
        }

        fn limits_hold(&self) -> bool {
            let chart = Chart::standard();
            self.balances(None).iter().all(|(a, [dp, cp, dq, cq])| {
                let limit = chart.kind_of(*a).unwrap().limit;
                *dp >= 0
                    && *cp >= 0
                    && *dq >= 0
                    && *cq >= 0
                    && match limit {
                        Limit::None => true,
                        Limit::DebitsMustNotExceedCredits => dq + dp <= *cp,
                        Limit::CreditsMustNotExceedDebits => cq + cp <= *dp,
                    }
            })
        }

        fn inter_level_agrees(&self) -> bool {
            let chart = Chart::standard();
            let mut sums: BTreeMap<&str, [i64; 2]> = BTreeMap::new();
            for (a, [dp, cp, dq, cq]) in self.balances(None) {
                let k = chart.kind_of(a).unwrap();
                let (group, sign) = match k.key.as_str() {
                    "grant_to_lower" => ("grant", 1),
                    "grant_from_higher" => ("grant", -1),
                    "remittance_to_higher" => ("remit", 1),
                    "remittance_from_lower" => ("remit", -1),
                    _ => continue,
                };
                // the first two are expenditure (debit-normal), the others income
                let (posted, pending) = if sign == 1 {
                    (dp - cp, dq - cq)
                } else {
                    (cp - dp, cq - dq)
                };
                let e = sums.entry(group).or_default();
                e[0] += sign * posted;
                e[1] += sign * pending;
            }
            sums.values().all(|v| v[0] == 0 && v[1] == 0)
        }

        fn index_of(&self, key: &str) -> Option<usize> {
            self.accepted.iter().position(|t| t.r.key == key)
        }
        fn resolved(&self, i: usize) -> bool {
            self.accepted
                .iter()
                .any(|t| t.target == Some(i) && matches!(t.r.op, Op::PostPending | Op::VoidPending))
        }
        fn reversed(&self, i: usize) -> i64 {
            self.accepted
                .iter()
                .filter(|t| t.target == Some(i) && t.r.op == Op::Reverse)
                .map(|t| t.amount)
                .sum()
        }

        fn one(&mut self, r: &Request) -> Result<Res, ()> {
            if let Some(i) = self.index_of(&r.key) {
                let t = &self.accepted[i];
                let lines = |x: &Request| x.lines.map(|l| (l.count, l.digest));
                let same = t.r.op == r.op
                    && t.target == r.target.as_deref().and_then(|k| self.index_of(k))
                    && r.target.is_some() == t.target.is_some()
                    && r.debit.is_none_or(|d| d == t.debit)
                    && r.credit.is_none_or(|c| c == t.credit)
                    && r.amount.is_none_or(|a| a.fen() == t.amount)
                    && r.category == t.r.category
                    && r.reference == t.r.reference
                    && r.date == t.r.date
                    && r.linked == t.r.linked
                    && lines(r) == lines(&t.r);
                return if same {
                    Ok(Res::Exists(i as i64 + 1))
                } else {
                    Err(())
                };
            }
            let chart = Chart::standard();
            let (target, debit, credit, amount) = match r.op {
                Op::Post | Op::Pending => {
                    if r.target.is_some() {
                        return Err(());
                    }
                    (
                        None,
                        r.debit.ok_or(())?,
                        r.credit.ok_or(())?,
                        r.amount.ok_or(())?.fen(),
                    )
                }
                _ => {
                    let i = self.index_of(r.target.as_deref().ok_or(())?).ok_or(())?;
                    let t = self.accepted[i].clone();
                    if r.date < t.r.date {
                        return Err(());
                    }
                    let (d, c) = if r.op == Op::Reverse {
                        (t.credit, t.debit)
                    } else {
                        (t.debit, t.credit)
                    };
                    if r.debit.is_some_and(|x| x != d) || r.credit.is_some_and(|x| x != c) {
                        return Err(());
                    }
                    let amount = match r.op {
                        Op::Reverse => {
                            if !matches!(t.r.op, Op::Post | Op::PostPending) {
                                return Err(());
                            }
                            let left = t.amount - self.reversed(i);
                            let a = r.amount.map(|a| a.fen()).unwrap_or(left);
                            if a > left {
                                return Err(());
                            }
                            a
                        }
                        _ => {
                            if t.r.op != Op::Pending || self.resolved(i) {
                                return Err(());
                            }
                            let a = r.amount.map(|a| a.fen()).unwrap_or(t.amount);
                            if a > t.amount || (r.op == Op::VoidPending && a != t.amount) {
                                return Err(());
                            }
                            a
                        }
                    };
                    (Some(i), d, c, amount)
                }
            };
            if amount <= 0
                || chart.category(&r.category).is_none()
                || debit == credit
                || !self.open.contains(&debit)
                || !self.open.contains(&credit)
                || debit.region() != credit.region()
            {
                return Err(());
            }
            if let Some(l) = r.lines
                && (l.count == 0 || l.total.fen() != amount)
            {
                return Err(());
            }
            self.accepted.push(MT {
                r: r.clone(),
                target,
                debit,
                credit,
                amount,
            });
            if !self.limits_hold() {
                self.accepted.pop();
                return Err(());
            }
            Ok(Res::Created(self.accepted.len() as i64))
        }

        pub fn submit(&mut self, batch: &[Request]) -> Vec<Res> {
            let mut out = Vec::new();
            let mut unit: Vec<&Request> = Vec::new();
            for (i, r) in batch.iter().enumerate() {
                unit.push(r);
                if r.linked && i + 1 < batch.len() {
                    continue;
                }
                let saved = self.accepted.clone();
                let mut res = Vec::new();
                let mut failed = r.linked; // the batch ended inside a chain
                if !failed {
                    for u in &unit {
                        match self.one(u) {
                            Ok(x) => res.push(x),
                            Err(()) => {
                                failed = true;
                                break;
                            }
                        }
                    }
                }
                if !failed && !self.inter_level_agrees() {
                    failed = true;
                }
                if failed {
                    self.accepted = saved;
                    out.extend(unit.iter().map(|_| Res::Failed));
                } else {
                    out.extend(res);
                }
                unit.clear();
            }
            out
        }
    }
}

mod props {
    use super::model::{Model, Res};
    use super::*;
    use crate::testkit::*;
    use proptest::prelude::*;

    fn res(r: &Result<Outcome, TransferError>) -> Res {
        match r {
            Ok(Outcome::Created { id }) => Res::Created(*id),
            Ok(Outcome::Exists { id }) => Res::Exists(*id),
            Err(_) => Res::Failed,
        }
    }

    fn seed(l: &mut MemLedger<'_>, m: &mut Model) {
        let batch = seed_batch();
        let a: Vec<Res> = l.submit(&batch, 0).iter().map(res).collect();
        let b = m.submit(&batch);
        assert_eq!(a, b);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        #[test]
        fn mem_ledger_matches_naive_model(steps in prop::collection::vec(prop::collection::vec(g(), 1..5), 1..25)) {
            let chart = Chart::standard();
            let mut l = MemLedger::new(chart);
            for a in accounts() {
                l.open(a).unwrap();
            }
            let mut m = Model { open: accounts(), accepted: Vec::new() };
            seed(&mut l, &mut m);
            let mut ctx = Ctx::default();
            for (n, step) in steps.iter().enumerate() {
                let batch = build(step, &mut ctx);
                let got: Vec<Res> = l.submit(&batch, n as i64).iter().map(res).collect();
                let want = m.submit(&batch);
                prop_assert_eq!(&got, &want, "batch {:?}", batch);
                // every invariant after every step
                prop_assert!(l.check().is_ok(), "{:?}", l.check());
                let mb = m.balances(None);
                for a in l.accounts() {
                    let b = a.balances;
                    prop_assert_eq!([b.debits_posted.fen(), b.credits_posted.fen(), b.debits_pending.fen(), b.credits_pending.fen()], mb[&a.id], "account {}", a.id);
                }
                prop_assert_eq!(l.journal().len(), m.accepted.len());
            }
            // balances at past dates agree too
            for d in [1u8, 5, 10, 15, 27] {
                let at = l.balances_at(day(d));
                let mb = m.balances(Some(day(d)));
                for (id, b) in mb {
                    let got = at.get(&id).copied().unwrap_or_default();
                    prop_assert_eq!([got.debits_posted.fen(), got.credits_posted.fen(), got.debits_pending.fen(), got.credits_pending.fen()], b, "account {} at day {}", id, d);
                }
                prop_assert!(l.trial_balance(Some(day(d)), None).books.iter().all(|b| b.balanced));
            }
        }
    }
}
