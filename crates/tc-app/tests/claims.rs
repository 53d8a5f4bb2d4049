//! Survivors' claims of death settlements on both backends: a settlement nobody claims is never
//! due nor paid; a claim is checked field by field (refusals write nothing), filed once, due in
//! the first month whose payroll has not run, and the pay step pays the funeral grant, survivor
//! grant and account refund to the claimant's name and account in the payment files, never to the
//! deceased's; a death item without a claim stops the pay step, naming the person.

mod common;

use tongchou_app::benefits::{self, deaths};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_core::i18n::{Lang, scope};
use tongchou_core::{Date, Fen, IdNumber, Period, Policy, RegionCode};
use tongchou_engine::disbursement::Item;
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::audit::Actor;
use tongchou_store::{Db, Val, testing};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

/// Collection close and disbursement of `month`, paying what `benefits::settlements_due` gives
/// (read by the payroll step, as `tongchou month run` has it); the simulated bank rejects `rejects` payments in 10,000.
fn run_month(
    db: &mut Db,
    policy: &Policy,
    actors: &disburse::Actors,
    out: &std::path::Path,
    month: &str,
    extra: Option<Vec<(i64, u32, Item, Fen)>>,
    rejects: u32,
) -> tongchou_app::Result<serde_json::Value> {
    let m = p(month);
    if !tongchou_app::jobs::is_done(db, collect::JOB, m, collect::STEP_CLOSE)? {
        let src = ReceiptSource::Counterpart(&TaxBureau {
            seed: 7,
            behaviour: Behaviour::default(),
        });
        collect::run_month(db, policy, m, src)?;
    }
    let mut opts = MonthOptions::new(&out.join(month));
    opts.bank = Some(tongchou_sim::bank::counterpart(rejects, 1));
    // without explicit lines, the payroll step reads what is due itself (as `month run` does)
    match extra {
        Some(e) => opts.extra = e,
        None => opts.include_dues = true,
    }
    disburse::run_month(db, policy, m, actors, &opts)
}

fn counts(db: &mut Db) -> (i64, i64, i64) {
    let mut n = |sql: &str| db.query_i64(sql, &[]).expect("count");
    (
        n("SELECT count(*) FROM survivor_claims"),
        n("SELECT count(*) FROM benefit_dues WHERE source = 'death'"),
        n("SELECT count(*) FROM audit_log WHERE action = 'deaths.claim'"),
    )
}

/// The payment files of `month` for `county`: (CSV text, XML text) of each.
fn payment_files(db: &mut Db, month: i64, county: i64) -> Vec<(String, String)> {
    db.query(
        "SELECT csv_path, xml_path FROM payment_files WHERE month = $1 AND county = $2 ORDER BY msg_id",
        &[Val::I64(month), Val::I64(county)],
    )
    .expect("files")
    .iter()
    .map(|r| {
        let read = |i: usize| std::fs::read_to_string(r[i].text().expect("path")).expect("file");
        (read(0), read(1))
    })
    .collect()
}

fn claims(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 1000, "2020-01");
    let actors = common::actors(&mut db);
    tongchou_sim::historical::seed(&mut db, 3, d("2019-12-31")).expect("seed");
    let policy = Policy::builtin().expect("policy");
    let op = Actor::operator("cli:test");
    let out = std::env::temp_dir().join(format!("tc-claims-{tag}-{}", std::process::id()));

    // a pensioner dies on 2019-12-15; the cross-check of December settles the death
    let r = db
        .query_opt(
            "SELECT n.person_id, i.id_number, n.county, n.bank_account, p.name FROM pensioners n \
             JOIN persons p ON p.id = n.person_id JOIN person_ids i ON i.person_id = n.person_id \
             WHERE n.status = 'active' AND n.retire_period < 201911 ORDER BY n.person_id LIMIT 1",
            &[],
        )
        .expect("q")
        .expect("a pensioner");
    let person = r[0].i64().expect("id");
    let own_id = r[1].text().expect("idn").to_string();
    let county = r[2].i64().expect("county");
    let own_account = r[3].text().expect("account").to_string();
    let csv = format!("id_number,died,source\n{own_id},2019-12-15,公安\n");
    deaths::import_deaths(&mut db, "d.csv", csv.as_bytes(), d("2019-12-20"), &op, T0)
        .expect("import");
    let x = deaths::run_crosscheck(&mut db, &policy, p("2019-12"), None, &op, T0).expect("run");
    assert_eq!(x.suspended, 1);
    let waiting = deaths::awaiting_claims(&mut db, None).expect("awaiting");
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].person, waiting[0].due_month),
        (person, p("2020-01"))
    );
    assert_eq!(waiting[0].total, x.settlements);
    let other_county = if county == 140105 { 140106 } else { 140105 };
    assert!(
        deaths::awaiting_claims(&mut db, Some(other_county as u32))
            .expect("awaiting")
            .is_empty()
    );

    // nobody claims it in January: nothing due, nothing paid to or for the deceased
    assert!(
        benefits::settlements_due(&mut db, p("2020-01"))
            .expect("due")
            .is_empty()
    );
    run_month(&mut db, &policy, &actors, &out, "2020-01", None, 0).expect("january");
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM payroll_lines WHERE person_id = $1",
            &[Val::I64(person)]
        )
        .expect("q"),
        0
    );
    for (csv, xml) in payment_files(&mut db, 202001, county) {
        assert!(!csv.contains(&own_account) && !xml.contains(&own_account));
    }

    // refusals name the field and write nothing
    let spouse_id = IdNumber::from_parts(
        RegionCode::new(county as u32).expect("county"),
        d("1962-05-05"),
        28,
    )
    .as_str()
    .to_string();
    let mut bad_check = spouse_id.clone();
    let last = if bad_check.ends_with('1') { '2' } else { '1' };
    bad_check.pop();
    bad_check.push(last);
    let good = deaths::Claim {
        person,
        name: "赵桂兰",
        id_number: &spouse_id,
        relation: "spouse",
        bank_code: "CCB",
        bank_name: "中国建设银行",
        bank_account: "6217 0000 1111 2222 333",
    };
    let r = db
        .query_opt(
            "SELECT person_id, county FROM pensioners WHERE status = 'active' ORDER BY person_id LIMIT 1",
            &[],
        )
        .expect("q")
        .expect("a living pensioner");
    let (alive, alive_county) = (r[0].i64().expect("id"), r[1].i64().expect("county") as u32);
    let on = d("2020-01-25");
    for (claim, filed_on, field) in [
        (
            deaths::Claim {
                id_number: &bad_check,
                ..good.clone()
            },
            on,
            "id_number: check character",
        ),
        (
            deaths::Claim {
                id_number: "12345",
                ..good.clone()
            },
            on,
            "id_number:",
        ),
        (
            deaths::Claim {
                id_number: &own_id,
                ..good.clone()
            },
            on,
            "id_number: this is the deceased's own",
        ),
        (
            deaths::Claim {
                bank_account: "6217-0000-1111",
                ..good.clone()
            },
            on,
            "bank_account:",
        ),
        (
            deaths::Claim {
                bank_account: "12345",
                ..good.clone()
            },
            on,
            "bank_account:",
        ),
        (
            deaths::Claim {
                name: "  ",
                ..good.clone()
            },
            on,
            "name:",
        ),
        (
            deaths::Claim {
                relation: "neighbour",
                ..good.clone()
            },
            on,
            "relation:",
        ),
        (
            deaths::Claim {
                bank_name: "",
                ..good.clone()
            },
            on,
            "bank_name:",
        ),
        (
            deaths::Claim {
                person: alive,
                ..good.clone()
            },
            on,
            "has no death settlement",
        ),
        (good.clone(), d("2019-12-14"), "filed_on:"),
    ] {
        // the refusals read in English (the fields named as the form's)
        let e = scope(Lang::En, || {
            deaths::file_claim(&mut db, &op, &claim, filed_on, T0)
        })
        .expect_err(field);
        assert!(e.to_string().contains(field), "{e} should name {field:?}");
        assert_eq!(counts(&mut db), (0, 0, 0), "{field}: nothing written");
    }

    // claimed on 2020-01-25, after January's payroll ran: due in February
    let c = deaths::file_claim(&mut db, &op, &good, on, T0).expect("claim");
    assert_eq!(c.due_month, p("2020-02"));
    assert_eq!(
        (c.claimant.as_str(), c.bank_account.as_str()),
        ("赵桂兰", "****2333")
    );
    assert_eq!(
        c.claimant_id_number,
        format!("{}********{}", &spouse_id[..6], &spouse_id[14..])
    );
    assert_eq!(c.total, x.settlements);
    assert_eq!(counts(&mut db), (1, c.items.len() as i64, 1));
    assert!(
        deaths::awaiting_claims(&mut db, None)
            .expect("awaiting")
            .is_empty()
    );
    let due = benefits::settlements_due(&mut db, p("2020-02")).expect("due");
    let items: Vec<(i64, Item)> = due.iter().map(|d| (d.0, d.2)).collect();
    assert_eq!(
        items,
        vec![
            (person, Item::FuneralGrant),
            (person, Item::SurvivorGrant),
            (person, Item::AccountRefund)
        ]
    );
    let stored = db
        .query_opt(
            "SELECT claimant_id_number, relation, bank_account, filed_on, filed_by, due_month \
             FROM survivor_claims WHERE person_id = $1",
            &[Val::I64(person)],
        )
        .expect("q")
        .expect("claim");
    assert_eq!(
        (
            stored[0].text().expect("t"),
            stored[1].text().expect("t"),
            stored[2].text().expect("t"),
            stored[3].text().expect("t"),
            stored[4].text().expect("t"),
            stored[5].i64().expect("i"),
        ),
        (
            spouse_id.as_str(),
            "spouse",
            "6217000011112222333",
            "2020-01-25",
            "cli:test",
            202002
        )
    );

    // once per deceased
    let again = deaths::Claim {
        name: "李明",
        relation: "child",
        ..good.clone()
    };
    let e = deaths::file_claim(&mut db, &op, &again, d("2020-01-26"), T0).expect_err("twice");
    assert!(e.to_string().contains("已于 2020-01-25 申领"), "{e}");
    assert_eq!(counts(&mut db), (1, 3, 1));

    // February's payroll pays the three items to the claimant
    run_month(&mut db, &policy, &actors, &out, "2020-02", None, 0).expect("february");
    let lines = db
        .query(
            "SELECT item, amount_fen, status, end_to_end FROM payroll_lines WHERE month = 202002 AND person_id = $1 \
             ORDER BY item",
            &[Val::I64(person)],
        )
        .expect("lines");
    let got: Vec<(String, i64, String)> = lines
        .iter()
        .map(|l| {
            (
                l[0].text().expect("item").to_string(),
                l[1].i64().expect("amount"),
                l[2].text().expect("status").to_string(),
            )
        })
        .collect();
    let mut want: Vec<(String, i64, String)> = due
        .iter()
        .map(|d| (d.2.as_str().to_string(), d.3.fen(), "paid".to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    let files = payment_files(&mut db, 202002, county);
    assert!(!files.is_empty());
    for l in &lines {
        let e2e = l[3].text().expect("e2e");
        // CSV: message, end-to-end id, account, name, amount, remittance
        let row = files
            .iter()
            .flat_map(|(csv, _)| csv.lines())
            .find(|r| r.contains(e2e))
            .expect("the payment in a CSV file");
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!((f[2], f[3]), ("6217000011112222333", "赵桂兰"), "{row}");
        let xml = &files
            .iter()
            .find(|(csv, _)| csv.contains(e2e))
            .expect("file")
            .1;
        let tx = xml
            .split("<CdtTrfTxInf>")
            .find(|t| t.contains(e2e))
            .expect("the payment in the pain.001");
        assert!(tx.contains("<Nm>赵桂兰</Nm>"), "{tx}");
        assert!(tx.contains("6217000011112222333"), "{tx}");
    }
    for (csv, xml) in &files {
        assert!(
            !csv.contains(&own_account) && !xml.contains(&own_account),
            "nothing goes to the deceased's account"
        );
    }

    // a death item the bank returns is re-issued to the claimant too: in March a further
    // funeral grant is paid and every payment of the month rejected; April re-issues it
    run_month(
        &mut db,
        &policy,
        &actors,
        &out,
        "2020-03",
        Some(vec![(
            person,
            county as u32,
            Item::FuneralGrant,
            Fen::new(100_000),
        )]),
        10_000,
    )
    .expect("march");
    let returned = db
        .query(
            "SELECT end_to_end, status FROM payroll_lines WHERE month = 202003 AND person_id = $1",
            &[Val::I64(person)],
        )
        .expect("march line");
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0][1].text().expect("status"), "returned");
    let original = returned[0][0].text().expect("e2e").to_string();
    run_month(
        &mut db,
        &policy,
        &actors,
        &out,
        "2020-04",
        Some(Vec::new()),
        0,
    )
    .expect("april");
    let re = db
        .query(
            "SELECT item, end_to_end FROM payroll_lines WHERE month = 202004 AND person_id = $1 AND reissue_of = $2",
            &[Val::I64(person), Val::Str(&original)],
        )
        .expect("re-issue");
    assert_eq!(re.len(), 1, "the returned grant is re-issued once");
    // the re-issue keeps the item: a funeral grant, booked and paid as one
    assert_eq!(re[0][0].text().expect("item"), "funeral_grant");
    let booked = db
        .query_i64(
            "SELECT count(*) FROM ledger_transfer WHERE idem_key = $1",
            &[Val::Str(&format!("pay/202004/{county}/funeral_grant"))],
        )
        .expect("transfer");
    assert_eq!(
        booked, 1,
        "April's funeral-grant payments are booked as such"
    );
    let e2e = re[0][1].text().expect("e2e").to_string();
    let files = payment_files(&mut db, 202004, county);
    let row = files
        .iter()
        .flat_map(|(csv, _)| csv.lines())
        .find(|r| r.contains(&e2e))
        .expect("the re-issue in a CSV file");
    let f: Vec<&str> = row.split(',').collect();
    assert_eq!((f[2], f[3]), ("6217000011112222333", "赵桂兰"), "{row}");
    for (csv, xml) in &files {
        assert!(!csv.contains(&own_account) && !xml.contains(&own_account));
    }

    // a death item with no claim (it cannot come from benefit_dues) stops the pay step, naming
    // the person
    let e = run_month(
        &mut db,
        &policy,
        &actors,
        &out,
        "2020-05",
        Some(vec![(
            alive,
            alive_county,
            Item::FuneralGrant,
            Fen::new(100_000),
        )]),
        0,
    )
    .expect_err("no claim");
    assert!(
        e.to_string().contains(&format!("人员 {alive}")) && e.to_string().contains("尚无人申领"),
        "{e}"
    );
    // the synthetic load's and the deaths' pensions belong to retired or deceased persons
    let outside = tongchou_store::registry::pensions_outside_retirement(&mut db).expect("count");
    assert_eq!(outside, 0);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn claims_on_sqlite() {
    claims(&testing::sqlite_url("claims"), "sqlite");
}

#[test]
fn claims_on_postgres() {
    claims(&testing::pg_url("claims"), "pg");
}

/// PostgreSQL: a due written by a transaction that is still open when the payroll step of its
/// month starts is paid by that payroll (the step waits for it), never stranded in a month whose
/// payroll ran without it. (SQLite runs one writer at a time.)
#[test]
fn a_due_committed_while_the_payroll_starts_is_paid_on_postgres() {
    let url = tongchou_store::testing::pg_url("duelock");
    let mut db = Db::open(&url).expect("open");
    common::province(&mut db, 800, "2020-01");
    let actors = common::actors(&mut db);
    let person = db
        .query_i64(
            "SELECT min(person_id) FROM pensioners WHERE status = 'active' AND retire_period < 202001",
            &[],
        )
        .expect("pensioner");
    let county = db
        .query_i64(
            "SELECT county FROM pensioners WHERE person_id = $1",
            &[Val::I64(person)],
        )
        .expect("county");
    tongchou_app::income::record(
        &mut db,
        &tongchou_store::audit::Actor::operator("test"),
        tongchou_app::clock::now_ms(),
        &tongchou_app::income::Income {
            key: "subsidy/202001",
            region: RegionCode::new(140000).expect("c"),
            kind: "subsidy-province",
            amount: Fen::new(100_000_000),
            date: d("2020-01-02"),
            reference: "test",
        },
    )
    .expect("income");
    // a writer of dues, as a claim or an adjustment writes them: lock, insert, not yet committed
    let mut writer = Db::open(&url).expect("open writer");
    writer.begin().expect("begin");
    benefits::lock_dues(&mut writer, true).expect("lock");
    writer
        .exec(
            "INSERT INTO benefit_dues (person_id, source, item, due_month, county, amount_fen, created_at) \
             VALUES ($1, 'test', 'adjustment_arrears', 202001, $2, 12345, '2020-01-03T00:00:00Z')",
            &[Val::I64(person), Val::I64(county)],
        )
        .expect("due");
    // the month starts meanwhile
    let out = std::env::temp_dir().join(format!("tc-duelock-{}", std::process::id()));
    let run_url = url.clone();
    let run_out = out.clone();
    let month = std::thread::spawn(move || {
        let mut db = Db::open(&run_url).expect("open month");
        let mut opts = MonthOptions::new(&run_out);
        opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
        opts.include_dues = true;
        disburse::run_month(
            &mut db,
            &Policy::builtin().expect("policy"),
            p("2020-01"),
            &actors,
            &opts,
        )
        .expect("month")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !month.is_finished(),
        "the payroll step waits for the open writer"
    );
    writer.commit().expect("commit");
    month.join().expect("month thread");
    let paid = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines WHERE month = 202001 AND person_id = $1 AND item = 'adjustment_arrears' AND amount_fen = 12345",
            &[Val::I64(person)],
        )
        .expect("q");
    assert_eq!(paid, 1, "the due is in January's payroll");
    let _ = std::fs::remove_dir_all(&out);
}
