//! The fund ledger on SQLite and PostgreSQL: the same tests on both backends, the store compared
//! with the in-memory reference (`MemLedger`) step by step, tampering caught by `check`, and
//! concurrent writers.

use proptest::prelude::*;
use tongchou_core::Fen;
use tongchou_core::Period;
use tongchou_core::i18n::{Lang, scope};
use tongchou_core::region::Divisions;
use tongchou_crypto::HashAlg;
use tongchou_ledger::flows::{self, ContributionPart, Doc};
use tongchou_ledger::testkit::{self, P, TAIYUAN, XIAODIAN, acct, day, rc};
use tongchou_ledger::{Chart, Line, LinesSummary, MemLedger, Outcome, Request, TransferError};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, Val, testing};

fn zero() -> i64 {
    0
}

fn open(url: &str) -> Db {
    Db::open(url).expect("open db")
}

/// Run the same batches on the store and on a MemLedger; compare results, balances and heads.
struct Twin {
    db: Db,
    mem: MemLedger<'static>,
}

impl Twin {
    fn new(url: &str, standard: bool) -> Twin {
        let mut db = open(url);
        let mut mem = MemLedger::new(Chart::standard());
        let ids = if standard {
            Chart::standard().standard_accounts(Divisions::shanxi())
        } else {
            testkit::accounts()
        };
        Ledger::new(&mut db)
            .open_accounts(&ids)
            .expect("open accounts");
        for id in ids {
            mem.open(id).expect("open");
        }
        Twin { db, mem }
    }
    /// From now on both hash new entries with `alg`.
    fn chain(&mut self, alg: HashAlg) {
        tongchou_store::settings::set_chain_hash(&mut self.db, alg).expect("set chain hash");
        self.mem.set_chain(alg);
    }
    fn ledger(&mut self) -> Ledger<'_> {
        Ledger::new(&mut self.db).with_clock(zero)
    }
    fn submit(&mut self, batch: &[Request]) -> Vec<Result<Outcome, TransferError>> {
        let got = self.ledger().submit(batch).expect("submit");
        assert_eq!(
            got,
            self.mem.submit(batch, 0),
            "store and memory disagree on {batch:?}"
        );
        got
    }
    fn submit_lines(
        &mut self,
        batch: &[(Request, &[Line])],
    ) -> Vec<Result<Outcome, TransferError>> {
        let got = self.ledger().submit_with_lines(batch).expect("submit");
        let reqs: Vec<Request> = batch
            .iter()
            .map(|(r, ls)| {
                if ls.is_empty() {
                    r.clone()
                } else {
                    r.clone().lines(LinesSummary::of(ls).expect("lines"))
                }
            })
            .collect();
        assert_eq!(got, self.mem.submit(&reqs, 0));
        got
    }
    /// Everything agrees and `check` finds nothing.
    fn same(&mut self) {
        let mem_balances = self.mem.balances();
        let mem_head = self.mem.head();
        let mut l = self.ledger();
        let report = l.check().expect("check");
        assert_eq!(report.problem, None);
        assert_eq!(l.balances().expect("balances"), mem_balances);
        assert_eq!(l.head().expect("head"), mem_head);
        assert_eq!(report.head, mem_head);
    }
}

/// 700 fen from the provincial special account to its expenditure account.
fn funding(key: &str) -> Request {
    Request::post(
        key,
        acct(P, "expenditure_account"),
        acct(P, "fiscal_special_account"),
        Fen::new(700),
        "funding",
        "p",
        day(4),
    )
}

fn all_ok(r: &[Result<Outcome, TransferError>]) {
    assert!(r.iter().all(|x| x.is_ok()), "{r:?}");
}

fn month_of_flows(url: &str) {
    let chart = Chart::standard();
    let mut t = Twin::new(url, true);
    all_ok(&t.submit(&[Request::post(
        "open",
        acct(P, "fiscal_special_account"),
        acct(P, "fund_balance"),
        Fen::new(10_000_000),
        "opening",
        "2023 final accounts",
        day(1),
    )]));
    // collection of two counties with person-level lines (the bulk path)
    let lines_a: Vec<Line> = (0..2000)
        .map(|i| Line {
            person: 1_000_000 + i,
            amount: Fen::new(50_000 + i),
        })
        .collect();
    let lines_b: Vec<Line> = (0..500)
        .map(|i| Line {
            person: 2_000_000 + i,
            amount: Fen::new(40_000),
        })
        .collect();
    let sum = |ls: &[Line]| Fen::new(ls.iter().map(|l| l.amount.fen()).sum());
    let mut batch: Vec<(Request, &[Line])> = Vec::new();
    for (county, ls) in [(XIAODIAN, &lines_a), (140106, &lines_b)] {
        let doc = Doc {
            key: &format!("contrib/202401/{county}/employer"),
            reference: "batch 202401-1",
            date: day(5),
        };
        let reqs = flows::collection(
            chart,
            doc,
            rc(county),
            ContributionPart::Employer,
            sum(ls),
            None,
        )
        .expect("flow");
        batch.push((reqs[0].clone(), ls.as_slice()));
        batch.push((reqs[1].clone(), &[]));
    }
    all_ok(&t.submit_lines(&batch));
    // retrying the whole batch is a no-op that says so
    let again = t.submit_lines(&batch);
    assert!(
        again
            .iter()
            .all(|r| matches!(r, Ok(Outcome::Exists { .. }))),
        "{again:?}"
    );
    // funding, a pending allocation approved in part, a payment, a bank return
    all_ok(
        &t.submit(&[flows::funding(
            chart,
            Doc {
                key: "fund/202401",
                reference: "plan",
                date: day(8),
            },
            rc(P),
            Fen::new(5_000_000),
            false,
        )
        .expect("flow")]),
    );
    all_ok(
        &t.submit(
            &flows::allocation(
                chart,
                Doc {
                    key: "alloc/202401/140100",
                    reference: "plan",
                    date: day(9),
                },
                rc(P),
                rc(TAIYUAN),
                Fen::new(3_000_000),
                true,
            )
            .expect("flow"),
        ),
    );
    all_ok(&t.submit(&flows::resolve_pair(
        Doc {
            key: "approve/202401/140100",
            reference: "approval",
            date: day(10),
        },
        "alloc/202401/140100",
        [rc(P), rc(TAIYUAN)],
        true,
        Some(Fen::new(2_500_000)),
    )));
    all_ok(
        &t.submit(
            &flows::allocation(
                chart,
                Doc {
                    key: "alloc/202401/140105",
                    reference: "plan",
                    date: day(11),
                },
                rc(TAIYUAN),
                rc(XIAODIAN),
                Fen::new(2_000_000),
                false,
            )
            .expect("flow"),
        ),
    );
    let pay_lines: Vec<Line> = (0..300)
        .map(|i| Line {
            person: 3_000_000 + i,
            amount: Fen::new(5_000),
        })
        .collect();
    let pay = flows::payment(
        chart,
        Doc {
            key: "pay/202401/140105",
            reference: "payroll",
            date: day(15),
        },
        rc(XIAODIAN),
        "benefit_basic_pension",
        sum(&pay_lines),
        None,
    )
    .expect("flow");
    all_ok(&t.submit_lines(&[(pay, &pay_lines)]));
    all_ok(&t.submit(&[Request::post_pending(
        "paid/202401/140105",
        "pay/202401/140105",
        None,
        "benefit",
        "bank file",
        day(16),
    )]));
    all_ok(&t.submit(&[Request::reverse(
        "return/202401/140105/1",
        "paid/202401/140105",
        Some(Fen::new(5_000)),
        "bank_return",
        "return file",
        day(20),
    )]));
    // refusals are the same as in memory (asserted by submit) and write nothing
    let r = t.submit(&[Request::post_pending(
        "paid/again",
        "pay/202401/140105",
        None,
        "benefit",
        "",
        day(16),
    )]);
    assert_eq!(r, vec![Err(TransferError::PendingAlreadyPosted)]);
    let r = t.submit(&[Request {
        amount: Some(Fen::new(1)),
        ..Request::post(
            "open",
            acct(P, "fiscal_special_account"),
            acct(P, "fund_balance"),
            Fen::new(10_000_000),
            "opening",
            "2023 final accounts",
            day(1),
        )
    }]);
    assert_eq!(
        r,
        vec![Err(TransferError::ExistsWithDifferent { field: "amount" })]
    );
    t.same();

    let mem_tb = debug_string(&t.mem.trial_balance(Some(day(12)), None));
    let mem_city = debug_string(&t.mem.trial_balance(None, Some(rc(TAIYUAN))));
    let mem_hist: Vec<i64> = t
        .mem
        .history(acct(XIAODIAN, "expenditure_account"), 0, 100)
        .iter()
        .map(|x| x.id)
        .collect();
    let month_end = t.mem.month_end_check(Period::new(2024, 1).expect("period"));
    let mut l = t.ledger();
    assert_eq!(
        debug_string(&l.trial_balance(Some(day(12)), None).expect("tb")),
        mem_tb
    );
    assert_eq!(
        debug_string(&l.trial_balance(None, Some(rc(TAIYUAN))).expect("tb")),
        mem_city
    );
    assert_eq!(
        l.month_end_check(Period::new(2024, 1).expect("period"))
            .expect("month end"),
        month_end
    );
    // history with keyset pagination, two at a time
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = l
            .history(acct(XIAODIAN, "expenditure_account"), after, 2)
            .expect("history");
        if page.is_empty() {
            break;
        }
        after = page[page.len() - 1].id;
        seen.extend(page.iter().map(|x| x.id));
    }
    assert_eq!(seen, mem_hist);
    assert_eq!(seen.len(), 4);
    // lines are stored in order and add up to their transfer
    let tr = l
        .transfer(&format!("contrib/202401/{XIAODIAN}/employer/{XIAODIAN}"))
        .expect("q")
        .expect("transfer");
    assert_eq!(tr.line_count, 2000);
    let ls = l.lines(tr.id, 1997, 10).expect("lines");
    assert_eq!(ls.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1998, 1999]);
    assert_eq!(ls[1].1, lines_a[1999]);
    let report = l.check().expect("check");
    assert_eq!((report.lines, report.transfers), (2800, 15));
}

fn debug_string<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

#[test]
fn month_of_flows_sqlite() {
    month_of_flows(&testing::sqlite_url("ledger_flows"));
}

#[test]
fn month_of_flows_postgres() {
    month_of_flows(&testing::pg_url("ledger_flows"));
}

/// Build a small ledger with lines, then tamper with one stored item at a time and see `check`
/// name it; undo the tampering and see `check` pass again.
fn tampering(url: &str, alg: HashAlg) {
    let mut t = Twin::new(url, false);
    t.chain(alg);
    all_ok(&t.submit(&testkit::seed_batch()));
    let lines: Vec<Line> = (0..50)
        .map(|i| Line {
            person: i,
            amount: Fen::new(10 + i),
        })
        .collect();
    let total = Fen::new(lines.iter().map(|l| l.amount.fen()).sum());
    let req = Request::post(
        "with-lines",
        acct(XIAODIAN, "income_account"),
        acct(XIAODIAN, "contribution_individual"),
        total,
        "contribution",
        "b1",
        day(3),
    );
    all_ok(&t.submit_lines(&[(req, &lines)]));
    all_ok(&t.submit(&[funding("last")]));
    t.same();
    let with_lines = t.ledger().transfer("with-lines").expect("q").expect("t").id;
    let last = t.ledger().transfer("last").expect("q").expect("t").id;
    let bank = acct(P, "fiscal_special_account").0;
    let tag = alg.tag();
    let stored = t.db.query_i64(
        &format!("SELECT count(*) FROM ledger_transfer WHERE hash LIKE '{tag}%' AND length(hash) = {}", 64 + tag.len()),
        &[],
    ).expect("count");
    assert_eq!(stored, last, "every entry's hash names {}", alg.name());
    let mut cases: Vec<(String, String, &str)> = vec![
        // (tamper, undo, expected item prefix)
        (
            "UPDATE ledger_transfer SET amount = amount + 1 WHERE id = 3".to_string(),
            "UPDATE ledger_transfer SET amount = amount - 1 WHERE id = 3".to_string(),
            "transfer 3",
        ),
        (
            "UPDATE ledger_transfer SET doc_ref = 'forged' WHERE id = 2".to_string(),
            "UPDATE ledger_transfer SET doc_ref = 'seed' WHERE id = 2".to_string(),
            "transfer 2",
        ),
        (
            format!(
                "UPDATE ledger_account SET debits_posted = debits_posted + 100 WHERE id = {bank}"
            ),
            format!(
                "UPDATE ledger_account SET debits_posted = debits_posted - 100 WHERE id = {bank}"
            ),
            "account 140000004",
        ),
        (
            "UPDATE ledger_transfer SET prev_hash = hash WHERE id = 5".to_string(),
            String::new(),
            "transfer 5",
        ),
        (
            "UPDATE ledger_transfer SET hash = prev_hash WHERE id = 4".to_string(),
            String::new(),
            "transfer 4",
        ),
        (
            "UPDATE ledger_head SET seq = seq - 1".to_string(),
            "UPDATE ledger_head SET seq = seq + 1".to_string(),
            "journal head",
        ),
        (
            format!(
                "UPDATE ledger_line SET amount = amount + 1 WHERE transfer_id = {with_lines} AND line_no = 7"
            ),
            format!(
                "UPDATE ledger_line SET amount = amount - 1 WHERE transfer_id = {with_lines} AND line_no = 7"
            ),
            "lines of transfer",
        ),
        (
            format!(
                "UPDATE ledger_line SET person_id = person_id + 1000 WHERE transfer_id = {with_lines} AND line_no = 9"
            ),
            format!(
                "UPDATE ledger_line SET person_id = person_id - 1000 WHERE transfer_id = {with_lines} AND line_no = 9"
            ),
            "lines of transfer",
        ),
        (
            format!("UPDATE ledger_account SET limit_kind = 0 WHERE id = {bank}"),
            format!("UPDATE ledger_account SET limit_kind = 2 WHERE id = {bank}"),
            "account 140000004",
        ),
    ];
    if alg == HashAlg::Sm3 {
        // the algorithm's tag taken off: the same digest read as SHA-256 does not verify
        cases.push((
            "UPDATE ledger_transfer SET hash = substr(hash, 5) WHERE id = 4".to_string(),
            String::new(),
            "transfer 4",
        ));
    }
    for (tamper, undo, item) in cases {
        // remember the row so that hash tampering can be undone exactly
        let saved =
            t.db.query(
                "SELECT id, prev_hash, hash FROM ledger_transfer ORDER BY id",
                &[],
            )
            .expect("q");
        t.db.exec(&tamper, &[]).expect("tamper");
        let report = t.ledger().check().expect("check");
        let p = report
            .problem
            .unwrap_or_else(|| panic!("{tamper}: not caught"));
        assert!(p.item.starts_with(item), "{tamper}: reported {p}");
        if undo.is_empty() {
            for r in saved {
                let (id, prev, hash) = (
                    r[0].i64().expect("id"),
                    r[1].text().expect("p").to_string(),
                    r[2].text().expect("h").to_string(),
                );
                t.db.exec(
                    "UPDATE ledger_transfer SET prev_hash = $1, hash = $2 WHERE id = $3",
                    &[Val::Str(&prev), Val::Str(&hash), Val::I64(id)],
                )
                .expect("undo");
            }
        } else {
            t.db.exec(&undo, &[]).expect("undo");
        }
        assert_eq!(
            t.ledger().check().expect("check").problem,
            None,
            "after undoing {tamper}"
        );
    }
    // a deleted line and a deleted last entry
    t.db.exec(
        &format!("DELETE FROM ledger_line WHERE transfer_id = {with_lines} AND line_no = 49"),
        &[],
    )
    .expect("delete");
    let p = t.ledger().check().expect("check").problem.expect("caught");
    assert!(p.item.starts_with("lines of transfer"), "{p}");
    t.db.exec(&format!("INSERT INTO ledger_line (transfer_id, line_no, person_id, amount) VALUES ({with_lines}, 49, 49, 59)"), &[]).expect("reinsert");
    assert_eq!(t.ledger().check().expect("check").problem, None);
    t.db.exec(
        &format!("DELETE FROM ledger_transfer WHERE id = {last}"),
        &[],
    )
    .expect("delete");
    let p = t.ledger().check().expect("check").problem.expect("caught");
    assert_eq!(p.item, "journal head", "{p}");
}

#[test]
fn tampering_sqlite() {
    // the findings named in English (the catalogue's `ledger-chk-*`)
    scope(Lang::En, || {
        tampering(&testing::sqlite_url("ledger_tamper"), HashAlg::Sha256);
        tampering(&testing::sqlite_url("ledger_tamper_sm3"), HashAlg::Sm3);
    });
}

#[test]
fn tampering_postgres() {
    // the findings named in English (the catalogue's `ledger-chk-*`)
    scope(Lang::En, || {
        tampering(&testing::pg_url("ledger_tamper"), HashAlg::Sha256);
        tampering(&testing::pg_url("ledger_tamper_sm3"), HashAlg::Sm3);
    });
}

/// A journal written with SHA-256 keeps verifying after the deployment moves to SM3, and the
/// chain goes on across the change.
fn sha256_then_sm3(url: &str) {
    let mut t = Twin::new(url, false);
    assert_eq!(t.db.chain_hash().expect("alg"), HashAlg::Sha256);
    all_ok(&t.submit(&testkit::seed_batch()));
    t.same();
    let old_head = t.ledger().head().expect("head");
    assert_eq!(old_head.alg, HashAlg::Sha256);
    t.chain(HashAlg::Sm3);
    all_ok(&t.submit(&[funding("after")]));
    t.same();
    let head = t.ledger().head().expect("head");
    assert_eq!((head.seq, head.alg), (old_head.seq + 1, HashAlg::Sm3));
    let prev =
        t.db.query_opt(
            "SELECT prev_hash, hash FROM ledger_transfer WHERE id = $1",
            &[Val::I64(head.seq)],
        )
        .expect("q")
        .expect("row");
    assert_eq!(prev[0].text().expect("p"), old_head.hash.to_hex());
    assert!(prev[1].text().expect("h").starts_with("sm3:"));
}

#[test]
fn sha256_then_sm3_sqlite() {
    sha256_then_sm3(&testing::sqlite_url("ledger_mixed"));
}

#[test]
fn sha256_then_sm3_postgres() {
    sha256_then_sm3(&testing::pg_url("ledger_mixed"));
}

/// Several connections spend from the same account at once: the limit holds across them, no
/// request is lost, and the journal stays one chain.
fn concurrent(url: &str) {
    let mut t = Twin::new(url, false);
    all_ok(&t.submit(&testkit::seed_batch()));
    drop(t);
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let url = url.to_string();
            std::thread::spawn(move || {
                let mut db = open(&url);
                let mut l = Ledger::new(&mut db);
                let mut ok = 0;
                for i in 0..15 {
                    let r = l
                        .submit(&[Request::post(
                            &format!("spend/{w}/{i}"),
                            acct(P, "expenditure_account"),
                            acct(P, "fiscal_special_account"),
                            Fen::new(500),
                            "funding",
                            "",
                            day(2),
                        )])
                        .expect("submit");
                    match &r[0] {
                        Ok(_) => ok += 1,
                        Err(TransferError::LimitExceeded { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                ok
            })
        })
        .collect();
    let ok: i32 = threads.into_iter().map(|h| h.join().expect("thread")).sum();
    // 20,000 in the fiscal special account, 500 each: exactly 40 of the 60 succeed
    assert_eq!(ok, 40);
    let mut db = open(url);
    let mut l = Ledger::new(&mut db);
    let report = l.check().expect("check");
    assert_eq!(report.problem, None);
    assert_eq!(
        l.account(acct(P, "fiscal_special_account"))
            .expect("q")
            .expect("a")
            .balances
            .credits_posted,
        Fen::new(20_000)
    );
}

#[test]
fn concurrent_sqlite() {
    concurrent(&testing::sqlite_url("ledger_conc"));
}

#[test]
fn concurrent_postgres() {
    concurrent(&testing::pg_url("ledger_conc"));
}

fn property(url_of: fn(&str) -> String, steps: Vec<Vec<testkit::G>>) {
    let mut t = Twin::new(&url_of("ledger_prop"), false);
    t.submit(&testkit::seed_batch());
    let mut ctx = testkit::Ctx::default();
    for step in &steps {
        let batch = testkit::build(step, &mut ctx);
        let with_lines: Vec<(Request, &[Line])> = batch
            .iter()
            .map(|r| (r.clone(), ctx.lines_of(&r.key)))
            .collect();
        t.submit_lines(&with_lines);
        t.same();
    }
    for d in [3u8, 9, 18] {
        let want = t.mem.balances_at(day(d));
        assert_eq!(t.ledger().balances_at(day(d)).expect("at"), want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random batches (repeats, pending/post/void, reversals, linked chains failing midway,
    /// limit violations, inter-level pairs): the store returns what the in-memory reference
    /// returns, and after every step its balances and head equal the reference's and `check`
    /// (chain, postings, books, limits) passes.
    #[test]
    fn store_matches_memory_sqlite(steps in prop::collection::vec(prop::collection::vec(testkit::g(), 1..5), 1..12)) {
        property(testing::sqlite_url, steps);
    }

    #[test]
    fn store_matches_memory_postgres(steps in prop::collection::vec(prop::collection::vec(testkit::g(), 1..5), 1..12)) {
        property(testing::pg_url, steps);
    }
}

/// A batch larger than one load query (4096 keys) is loaded in parts; repeating it is a no-op.
/// Inside a caller's transaction, ledger batches join it: they commit or roll back with
/// the caller.
fn large_and_nested(url: &str) {
    let mut t = Twin::new(url, false);
    all_ok(&t.submit(&testkit::seed_batch()));
    let income = acct(XIAODIAN, "income_account");
    let contrib = acct(XIAODIAN, "contribution_individual");
    let big: Vec<Request> = (0..4500)
        .map(|i| {
            Request::post(
                &format!("big/{i}"),
                income,
                contrib,
                Fen::new(1 + i % 7),
                "contribution",
                "big",
                day(2),
            )
        })
        .collect();
    all_ok(&t.submit(&big));
    let again = t.submit(&big);
    assert!(
        again
            .iter()
            .all(|r| matches!(r, Ok(Outcome::Exists { .. })))
    );
    t.same();

    let one = |k: &str| {
        Request::post(
            k,
            income,
            contrib,
            Fen::new(100),
            "contribution",
            "nested",
            day(3),
        )
    };
    // the caller's transaction fails after two ledger batches: neither remains
    let r: Result<(), tongchou_store::StoreError> = t.db.transaction(|db| {
        let mut l = Ledger::new(db).with_clock(zero);
        all_ok(&l.submit(&[one("n1")])?);
        all_ok(&l.submit(&[one("n2")])?);
        Err(tongchou_store::StoreError::Invalid(
            "caller gives up".into(),
        ))
    });
    assert!(r.is_err());
    assert!(t.ledger().transfer("n1").expect("q").is_none());
    t.same();
    // a refused batch inside the caller's transaction leaves the caller's other work intact
    t.db.transaction(|db| {
        let mut l = Ledger::new(db).with_clock(zero);
        all_ok(&l.submit(&[one("n1")])?);
        let r = l.submit(&[one("n3").linked()])?;
        assert_eq!(r, vec![Err(TransferError::LinkedChainOpen)]);
        Ok::<(), tongchou_store::StoreError>(())
    })
    .expect("commit");
    assert_eq!(
        t.mem.submit(&[one("n1")], 0),
        vec![Ok(Outcome::Created { id: 4514 })]
    );
    t.same();
}

#[test]
fn large_and_nested_sqlite() {
    large_and_nested(&testing::sqlite_url("ledger_large"));
}

#[test]
fn large_and_nested_postgres() {
    large_and_nested(&testing::pg_url("ledger_large"));
}

/// Person-level lines by reference (migration 0060): transfers whose lines the applications and
/// the payment lines hold record their source instead of a copy; `check` recomputes count, sum
/// and digest from those rows, so tampering with a person-level row, a source or the lines'
/// whereabouts is caught as a tampered `ledger_line` is.
fn lines_by_reference(url: &str) {
    use tongchou_engine::collection::Application;
    use tongchou_store::collection::{PostingKind, write_applications};
    use tongchou_store::ledger::LineSource;
    use tongchou_store::ledger::sources::applied_summaries;
    let mut t = Twin::new(url, true);
    let batch: Period = "2024-01".parse().expect("p");
    let county = XIAODIAN;
    // 12 applications; person 103 pays two receipts, those of receipts R040, R035 and R030 late fees
    let apps: Vec<Application> = (0..12i64)
        .map(|i| Application {
            receipt: format!("R{:03}", 40 - i),
            person: 100 + if i == 4 { 3 } else { i },
            period: batch,
            county,
            amount: Fen::new(10_000 + i),
            pooling: Fen::new(8_000 + i),
            account: Fen::new(2_000),
            days_late: 0,
            late_fee: Fen::new(if i % 5 == 0 { 30 + i } else { 0 }),
        })
        .collect();
    write_applications(&mut t.db, batch, &apps).expect("applications");
    let sums = applied_summaries(&apps).expect("summaries");
    // six issued payment lines of 2024-01
    for p in 0..6i64 {
        t.db.exec(
            "INSERT INTO payroll_line_rows (month, person_id, item, attempt, county, amount_fen, end_to_end, msg_id, status) \
             VALUES (202401, $1, 'basic_pension', 1, $2, $3, $4, 'M1', 'issued')",
            &[
                Val::I64(500 + p),
                Val::I64(county as i64),
                Val::I64(300_000 + p),
                Val::Str(&format!("E2E{p}")),
            ],
        )
        .expect("payroll line");
    }
    let mut h = tongchou_ledger::transfer::LinesHasher::default();
    for p in 0..6i64 {
        h.push(&Line {
            person: 500 + p,
            amount: Fen::new(300_000 + p),
        });
    }
    let paid = h.finish().expect("summary");
    // each transfer's county half carries the lines' summary and names their source
    let mut reqs: Vec<(Request, Option<LineSource>)> = Vec::new();
    let parts = [
        (
            PostingKind::Employer,
            ContributionPart::Employer,
            sums[&(county, PostingKind::Employer)],
        ),
        (
            PostingKind::Individual,
            ContributionPart::Individual,
            sums[&(county, PostingKind::Individual)],
        ),
        (
            PostingKind::LateFees,
            ContributionPart::Employer,
            sums[&(county, PostingKind::LateFees)],
        ),
    ];
    for (i, (kind, part, s)) in parts.into_iter().enumerate() {
        let key = format!("ref/{i}");
        let doc = Doc {
            key: &key,
            reference: "ref",
            date: day(31),
        };
        let pair = flows::collection(Chart::standard(), doc, rc(county), part, s.total, Some(s))
            .expect("flow");
        let mut it = pair.into_iter();
        let source = LineSource::Applications {
            batch,
            county,
            kind,
        };
        reqs.push((it.next().expect("county half"), Some(source)));
        reqs.extend(it.map(|r| (r, None)));
    }
    let doc = Doc {
        key: "ref/pay",
        reference: "ref",
        date: day(31),
    };
    let pair = flows::collection(
        Chart::standard(),
        doc,
        rc(county),
        ContributionPart::Employer,
        paid.total,
        Some(paid),
    )
    .expect("flow");
    let mut it = pair.into_iter();
    let source = LineSource::Payroll {
        month: batch,
        county,
        item: "basic_pension".into(),
    };
    reqs.push((it.next().expect("county half"), Some(source)));
    reqs.extend(it.map(|r| (r, None)));
    for r in t.ledger().submit_with_sources(&reqs).expect("submit") {
        assert!(matches!(r, Ok(Outcome::Created { .. })), "{r:?}");
    }
    // idempotent: the same batch again creates nothing and records no second source
    for r in t.ledger().submit_with_sources(&reqs).expect("again") {
        assert!(matches!(r, Ok(Outcome::Exists { .. })), "{r:?}");
    }
    let count = |db: &mut Db, table: &str| {
        db.query_i64(&format!("SELECT count(*) FROM {table}"), &[])
            .expect("count")
    };
    assert_eq!(count(&mut t.db, "ledger_line"), 0, "no copy of the lines");
    assert_eq!(count(&mut t.db, "ledger_line_source"), 4);
    let report = t.ledger().check().expect("check");
    assert_eq!(report.problem, None);
    assert_eq!(
        report.lines,
        12 + 12 + 3 + 6,
        "every referenced line verified"
    );
    let first =
        t.db.query_i64("SELECT MIN(transfer_id) FROM ledger_line_source", &[])
            .expect("id");
    assert!(matches!(
        t.ledger().line_source(first).expect("source"),
        Some(LineSource::Applications { .. })
    ));
    // a summary without its lines or its source is refused before anything is written
    let (mut bare, _) = reqs[0].clone();
    bare.key = "ref/bare".into();
    assert!(t.ledger().submit(&[bare.clone()]).is_err());
    bare.lines = None;
    let src = LineSource::Payroll {
        month: batch,
        county,
        item: "x".into(),
    };
    assert!(
        t.ledger()
            .submit_with_sources(&[(bare, Some(src))])
            .is_err()
    );
    let cases: Vec<(String, String, &str)> = vec![
        (
            "UPDATE applications_explicit SET pooling_fen = pooling_fen + 1, amount_fen = amount_fen + 1 WHERE receipt = 'R035'".into(),
            "UPDATE applications_explicit SET pooling_fen = pooling_fen - 1, amount_fen = amount_fen - 1 WHERE receipt = 'R035'".into(),
            "holds 12 lines",
        ),
        (
            "UPDATE applications_explicit SET person_id = person_id + 1000 WHERE receipt = 'R033'".into(),
            "UPDATE applications_explicit SET person_id = person_id - 1000 WHERE receipt = 'R033'".into(),
            "digest",
        ),
        (
            // two lines' amounts swapped: count and sum unchanged, the digest is not
            "UPDATE applications_explicit SET account_fen = CASE receipt WHEN 'R040' THEN 2001 ELSE 1999 END, \
             pooling_fen = CASE receipt WHEN 'R040' THEN 7999 ELSE 8002 END WHERE receipt IN ('R040', 'R039')".into(),
            "UPDATE applications_explicit SET account_fen = 2000, pooling_fen = 8000 WHERE receipt = 'R040'; ".to_string()
                + "UPDATE applications_explicit SET account_fen = 2000, pooling_fen = 8001 WHERE receipt = 'R039'",
            "digest",
        ),
        (
            "UPDATE applications_explicit SET late_fee_fen = 0 WHERE receipt = 'R035'".into(),
            "UPDATE applications_explicit SET late_fee_fen = 35 WHERE receipt = 'R035'".into(),
            "holds 2 lines",
        ),
        (
            "UPDATE applications_explicit SET batch_id = 202402 WHERE receipt = 'R030'".into(),
            "UPDATE applications_explicit SET batch_id = 202401 WHERE receipt = 'R030'".into(),
            "holds 11 lines",
        ),
        (
            "UPDATE payroll_line_rows SET amount_fen = amount_fen + 1 WHERE person_id = 503".into(),
            "UPDATE payroll_line_rows SET amount_fen = amount_fen - 1 WHERE person_id = 503".into(),
            "holds 6 lines",
        ),
        (
            "UPDATE payroll_line_rows SET person_id = 599 WHERE person_id = 505".into(),
            "UPDATE payroll_line_rows SET person_id = 505 WHERE person_id = 599".into(),
            "digest",
        ),
        (
            "UPDATE payroll_line_rows SET msg_id = NULL WHERE person_id = 501".into(),
            "UPDATE payroll_line_rows SET msg_id = 'M1' WHERE person_id = 501".into(),
            "holds 5 lines",
        ),
        (
            format!("DELETE FROM ledger_line_source WHERE transfer_id = {first}"),
            format!("INSERT INTO ledger_line_source (transfer_id, source, period, county, part) VALUES ({first}, 'applications', 202401, {county}, 'pooling_fen')"),
            "its lines are missing",
        ),
        (
            format!("UPDATE ledger_line_source SET part = 'account_fen' WHERE transfer_id = {first}"),
            format!("UPDATE ledger_line_source SET part = 'pooling_fen' WHERE transfer_id = {first}"),
            "lines of transfer",
        ),
        (
            format!("INSERT INTO ledger_line (transfer_id, line_no, person_id, amount) VALUES ({first}, 0, 1, 1)"),
            format!("DELETE FROM ledger_line WHERE transfer_id = {first}"),
            "lines of transfer",
        ),
        (
            format!("INSERT INTO ledger_line_source (transfer_id, source, period, county, part) VALUES ({}, 'payroll_lines', 202401, {county}, 'funeral_grant')", first + 1),
            format!("DELETE FROM ledger_line_source WHERE transfer_id = {}", first + 1),
            "belongs to no transfer",
        ),
    ];
    for (tamper, undo, what) in cases {
        t.db.batch(&tamper).expect("tamper");
        let p = t
            .ledger()
            .check()
            .expect("check")
            .problem
            .unwrap_or_else(|| panic!("{tamper}: not caught"));
        assert!(
            p.item.starts_with("lines of transfer"),
            "{tamper}: reported {p}"
        );
        assert!(
            p.to_string().contains(what),
            "{tamper}: reported {p}, expected {what:?}"
        );
        t.db.batch(&undo).expect("undo");
        assert_eq!(
            t.ledger().check().expect("check").problem,
            None,
            "after undoing {tamper}"
        );
    }
    // the same rows named by a second transfer with the same lines (a double booking)
    let twice: Vec<(Request, Option<LineSource>)> = reqs[..2]
        .iter()
        .enumerate()
        .map(|(i, (r, src))| {
            let mut r = r.clone();
            r.key = format!("ref/twice/{i}");
            (r, src.clone())
        })
        .collect();
    for r in t.ledger().submit_with_sources(&twice).expect("submit") {
        assert!(matches!(r, Ok(Outcome::Created { .. })), "{r:?}");
    }
    let p = t.ledger().check().expect("check").problem.expect("caught");
    assert!(
        p.detail.contains("are already the lines of transfer"),
        "{p}"
    );
    t.db.exec(
        "UPDATE ledger_line_source SET part = 'account_fen' WHERE transfer_id = (SELECT MAX(transfer_id) FROM ledger_line_source)",
        &[],
    )
    .expect("point it elsewhere");
    let p = t.ledger().check().expect("check").problem.expect("caught");
    assert!(
        p.detail.contains("already the lines") || p.detail.contains("holds"),
        "{p}"
    );
    t.db.exec(
        "UPDATE ledger_line_source SET part = 'pooling_fen' WHERE transfer_id = (SELECT MAX(transfer_id) FROM ledger_line_source)",
        &[],
    )
    .expect("back");
    let twice_id =
        t.db.query_i64("SELECT MAX(transfer_id) FROM ledger_line_source", &[])
            .expect("id");
    t.db.exec(
        "DELETE FROM ledger_line_source WHERE transfer_id = $1",
        &[Val::I64(twice_id)],
    )
    .expect("drop");
    let p = t.ledger().check().expect("check").problem.expect("caught");
    assert!(p.detail.contains("its lines are missing"), "{p}");
    t.db.exec(
        "INSERT INTO ledger_line_source (transfer_id, source, period, county, part) VALUES ($1, 'applications', 202401, $2, 'pooling_fen')",
        &[Val::I64(twice_id), Val::I64(county as i64)],
    )
    .expect("restore");
    assert!(
        t.ledger().check().expect("check").problem.is_some(),
        "still booked twice"
    );
}

#[test]
fn lines_by_reference_sqlite() {
    // the findings named in English (the catalogue's `ledger-chk-*`)
    scope(Lang::En, || {
        lines_by_reference(&testing::sqlite_url("ledger_refs"));
    });
}

#[test]
fn lines_by_reference_postgres() {
    // the findings named in English (the catalogue's `ledger-chk-*`)
    scope(Lang::En, || {
        lines_by_reference(&testing::pg_url("ledger_refs"));
    });
}
