//! Transfers of the pension relationship (国办发〔2009〕66号) between two synthetic provinces,
//! each its own database: a migrated insured person leaves province A with the certificate and
//! the money (the whole balance and 12 % of each year's base since 1998) and arrives in province
//! B with the same insured years and balance to the fen; both ledgers book it (转移支出 /
//! 转移收入); a pensioner is refused; money that disagrees with the certificate is held. On SQLite
//! and PostgreSQL.

use tongchou_app::AppError;
use tongchou_app::benefits::retire;
use tongchou_app::disburse;
use tongchou_app::income::{self, Income};
use tongchou_app::migrate::{self, LoadReport, Request};
use tongchou_app::transfer::{self, Certificate};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Date, Divisions, Fen, Period, Policy, Ratio, RegionCode};
use tongchou_ledger::Chart;
use tongchou_sim::legacy;
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::transfers as store;
use tongchou_store::{Db, testing};

const PW: &str = "correct horse battery staple";

fn open(url: &str) -> (Db, Principal) {
    let mut db = Db::open(url).expect("open");
    Ledger::new(&mut db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
    let officer = testing::add_user(&mut db, "officer", Role::ProvinceBureauOfficer, 140000, PW);
    (db, officer)
}

/// Whether the collection of `period` assesses `person` (an active contributor then).
fn contributes(db: &mut Db, person: i64, period: Period) -> bool {
    tongchou_store::collection::contributors(db, period)
        .expect("contributors")
        .iter()
        .any(|c| c.person == person)
}

/// Whether `person`'s account is among those the close of `year` credits interest to.
fn has_opening(db: &mut Db, person: i64, year: i32) -> bool {
    tongchou_store::accounts::openings(db, year)
        .expect("openings")
        .iter()
        .any(|o| o.0 == person)
}

/// The posted balance of a provincial account of `kind` (on its normal side).
fn posted(db: &mut Db, kind: &str) -> i64 {
    let id = Chart::standard()
        .account(Divisions::shanxi().province().code, kind)
        .expect("account");
    let b = Ledger::new(db).balances().expect("balances");
    let x = b.get(&id).copied().unwrap_or_default();
    (x.debits_posted.fen() - x.credits_posted.fen()).abs()
}

fn province_a(url: &str, policy: &Policy) -> (Db, Principal, legacy::LegacyCity) {
    let (mut db, officer) = open(url);
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 11,
        persons: 2_000,
        employers: None,
        start: "2020-01".parse::<Period>().expect("period"),
    })
    .expect("generate");
    let city = legacy::city(&p, RegionCode::new(140100).expect("c"));
    let req = Request {
        city: RegionCode::new(140100).expect("c"),
        cutover: "2020-01".parse().expect("p"),
        today: Date::new(2020, 1, 10).expect("d"),
        policy,
    };
    let r = migrate::load(&mut db, &officer, &req, &city.file_set(&[]), 1).expect("load");
    assert!(matches!(r, LoadReport::Loaded { .. }), "{r:?}");
    let subsidy = Income {
        key: "voucher-1",
        region: Divisions::shanxi().province().code,
        kind: "subsidy-province",
        amount: Fen::new(1_000_000_000),
        date: Date::new(2020, 1, 2).expect("d"),
        reference: "test",
    };
    income::record(&mut db, &Actor::of(&officer), 2, &subsidy).expect("income");
    (db, officer, city)
}

fn story(url_a: &str, url_b: &str) {
    let policy = Policy::builtin().expect("policy");
    let (mut a, officer_a, city) = province_a(url_a, &policy);
    let on = Date::new(2020, 3, 15).expect("d");
    // someone with years before and after 1998
    let x = city
        .insured
        .iter()
        .find(|r| {
            r.history
                .iter()
                .any(|h| h[1].parse::<i32>().expect("y") < 1998)
                && r.balance > 0
                && store::person(&mut a, &r.row[0])
                    .expect("person")
                    .is_some_and(|p| p.status == "active")
        })
        .expect("an active insured person insured since before 1998");
    let id = x.row[0].clone();
    let pid = store::person(&mut a, &id).expect("p").expect("p").id;
    let april = "2020-04".parse::<Period>().expect("p");
    assert!(
        contributes(&mut a, pid, april),
        "assessed while insured here"
    );
    assert!(has_opening(&mut a, pid, 2020));
    let cert =
        transfer::transfer_out(&mut a, &officer_a, &policy, &id, 110000, on, 3).expect("out");
    // the insured years and the money of 66号
    let months: u32 = x
        .history
        .iter()
        .map(|h| h[2].parse::<u32>().expect("m"))
        .sum();
    assert_eq!(cert.paid_months, months);
    assert_eq!(cert.account_balance.fen(), x.balance);
    let twelve: Ratio = "12%".parse().expect("r");
    let mut pooling = 0;
    for (y, h) in cert.years.iter().zip(&x.history) {
        let base: Fen = h[3].parse().expect("base");
        let total = Fen::new(base.fen() * y.months as i64);
        assert_eq!(y.base_total, total);
        let want = if y.year < 1998 {
            Fen::ZERO
        } else {
            twelve.of(total)
        };
        assert_eq!(y.pooling, want, "{}", y.year);
        pooling += want.fen();
    }
    assert!(pooling > 0);
    assert_eq!(cert.pooling.fen(), pooling);
    assert_eq!(cert.total.fen(), x.balance + pooling);
    assert_eq!(posted(&mut a, "transfer_out"), cert.total.fen());
    let status = a
        .query(&format!("SELECT p.status FROM persons p JOIN person_ids i ON i.person_id = p.id WHERE i.id_number = '{id}'"), &[])
        .expect("status");
    assert_eq!(status[0][0].text().expect("t"), "transferred_out");
    // the record is closed: no contribution assessed after the transfer month, no interest from
    // the year of the transfer on (its opening is gone), the years before untouched
    assert!(
        !contributes(&mut a, pid, april),
        "assessed after the transfer"
    );
    assert!(
        !has_opening(&mut a, pid, 2020),
        "interest after the transfer"
    );
    assert!(!has_opening(&mut a, pid, 2021));
    pay_out(&mut a, &officer_a, &id, cert.total);
    // gone: a second transfer is refused; a pensioner never transfers
    let again = transfer::transfer_out(&mut a, &officer_a, &policy, &id, 110000, on, 4);
    assert!(matches!(again, Err(AppError::State(_))), "{again:?}");
    let pensioner = city.pensioners[0][0].clone();
    match transfer::transfer_out(&mut a, &officer_a, &policy, &pensioner, 110000, on, 5) {
        Err(AppError::State(m)) => {
            // in the reader's language only (it carried both once)
            assert!(m.contains("不再转移基本养老保险关系"), "{m}");
            assert_eq!(
                tongchou_core::i18n::other_language(&m, tongchou_core::i18n::Lang::ZhCn),
                None,
                "{m}"
            );
        }
        o => panic!("{o:?}"),
    }
    // province B reads it: same years and balance, 转移收入 booked
    let bytes = transfer::to_bytes(&Certificate {
        to_province: 140000,
        ..cert.clone()
    })
    .expect("bytes");
    let (mut b, officer_b) = open(url_b);
    let county = RegionCode::new(140212).expect("c");
    // money that disagrees: held, nothing booked or added
    let held = transfer::transfer_in(
        &mut b,
        &officer_b,
        &policy,
        &bytes,
        Fen::new(cert.total.fen() - 1),
        county,
        on,
        6,
    )
    .expect("held");
    assert_eq!(held.status, "held");
    assert_eq!(posted(&mut b, "transfer_in"), 0);
    assert_eq!(
        b.query_i64("SELECT count(*) FROM persons", &[]).expect("n"),
        0
    );
    // the same certificate is read once
    let twice = transfer::transfer_in(
        &mut b, &officer_b, &policy, &bytes, cert.total, county, on, 7,
    );
    assert!(matches!(twice, Err(AppError::State(_))), "{twice:?}");
    let mut again = cert.clone();
    again.to_province = 140000;
    again.name.push(' ');
    let bytes = transfer::to_bytes(&again).expect("bytes");
    let done = transfer::transfer_in(
        &mut b, &officer_b, &policy, &bytes, cert.total, county, on, 8,
    )
    .expect("in");
    assert_eq!(done.status, "done", "{:?}", done.reasons);
    assert_eq!(posted(&mut b, "transfer_in"), cert.total.fen());
    let row = b
        .query(&format!("SELECT p.paid_months, p.balance_fen, p.county FROM persons p JOIN person_ids i ON i.person_id = p.id WHERE i.id_number = '{id}'"), &[])
        .expect("person");
    assert_eq!(row[0][0].i64().expect("m"), months as i64);
    assert_eq!(row[0][1].i64().expect("b"), x.balance);
    assert_eq!(row[0][2].i64().expect("c"), 140212);
    let years = b
        .query_i64("SELECT count(*) FROM contribution_years", &[])
        .expect("years");
    assert_eq!(years as usize, cert.years.len());
    confirm(&mut a, &officer_a, &mut b, &officer_b, done.transfer, &id);
    let x_in = cert.total.fen();
    // held transfers reviewed: refused, and (another person's) released
    let y = city
        .insured
        .iter()
        .find(|r| {
            r.row[0] != id
                && r.balance > 0
                && store::person(&mut a, &r.row[0])
                    .expect("person")
                    .is_some_and(|p| p.status == "active")
        })
        .expect("another active insured person");
    let cert_y = transfer::transfer_out(&mut a, &officer_a, &policy, &y.row[0], 110000, on, 9)
        .expect("out y");
    // as if from Beijing, where the person's household registration is
    let cert_y = Certificate {
        from_province: 110000,
        to_province: 140000,
        household_registration: Some(110105),
        ..cert_y
    };
    review(&mut b, &officer_b, &policy, held.transfer, &cert_y, x_in);
}

/// The held transfer `refused` is refused; `cert_y` is read with less money, held, and released.
fn review(
    b: &mut Db,
    officer_b: &Principal,
    policy: &Policy,
    refused: i64,
    cert_y: &Certificate,
    before: i64,
) {
    use transfer::Decision::{Refuse, Release};
    let on = Date::new(2020, 3, 20).expect("d");
    let checker = testing::add_user(b, "checker", Role::ProvinceBureauApprover, 140000, PW);
    let county_user = testing::add_user(b, "county", Role::CountyAgency, 140212, PW);
    // the maker may not check; a county may not review; each refusal audited
    let own = transfer::decide(b, officer_b, refused, Refuse, "不符", on, 20);
    assert!(matches!(own, Err(AppError::Forbidden(_))), "{own:?}");
    let county = transfer::decide(b, &county_user, refused, Refuse, "不符", on, 21);
    assert!(matches!(county, Err(AppError::Forbidden(_))), "{county:?}");
    let denied = b
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'transfer.denied' AND result = 'denied'",
            &[],
        )
        .expect("audit");
    assert_eq!(denied, 2);
    let blank = transfer::decide(b, &checker, refused, Refuse, "  ", on, 22);
    assert!(matches!(blank, Err(AppError::Invalid(_))), "{blank:?}");
    let t = transfer::decide(
        b,
        &checker,
        refused,
        Refuse,
        "金额与凭证不符，退回转出地",
        on,
        23,
    )
    .expect("refuse");
    assert_eq!(t.status, "refused");
    let answer = transfer::confirmation(b, officer_b, refused, on).expect("confirmation");
    assert_eq!(
        (answer.outcome.as_str(), answer.booked),
        ("refused", Fen::ZERO)
    );
    assert!(answer.reason.contains("金额与凭证不符"), "{answer:?}");
    assert_eq!(posted(b, "transfer_in"), before, "nothing booked");
    let twice = transfer::decide(b, &checker, refused, Release, "再议", on, 24);
    assert!(matches!(twice, Err(AppError::State(_))), "{twice:?}");
    // less money than the certificate: held, then released; what was received is booked
    let persons = b.query_i64("SELECT count(*) FROM persons", &[]).expect("n");
    let received = Fen::new(cert_y.total.fen() - 100);
    let bytes = transfer::to_bytes(cert_y).expect("bytes");
    let held = transfer::transfer_in(
        b,
        officer_b,
        policy,
        &bytes,
        received,
        RegionCode::new(140212).expect("c"),
        on,
        25,
    )
    .expect("held");
    assert_eq!(held.status, "held");
    assert_eq!(
        b.query_i64("SELECT count(*) FROM persons", &[]).expect("n"),
        persons
    );
    let t = transfer::decide(
        b,
        &checker,
        held.transfer,
        Release,
        "差额为银行手续费",
        on,
        26,
    )
    .expect("release");
    assert_eq!(t.status, "released");
    assert_eq!(posted(b, "transfer_in"), before + received.fen());
    let p = store::person(b, &cert_y.id_number)
        .expect("p")
        .expect("registered at release");
    assert_eq!(p.balance_fen, cert_y.account_balance.fen());
    assert_eq!(p.paid_months, cert_y.paid_months as i64);
    assert_eq!(t.person_id, p.id);
    // the place of pension by the 10-year rule at retirement: all the years are Beijing's and
    // the household registration is there, so the relationship and money go back there
    assert_eq!(
        store::household_registration(b, p.id).expect("hukou"),
        Some(110105)
    );
    let person = retire::load_person(b, p.id).expect("person");
    let facts =
        retire::gather_facts(b, policy, &person, "2030-01".parse().expect("p")).expect("facts");
    assert_eq!(facts.place_of_pension.province, 110000);
    assert!(facts.place_of_pension.collected);
    assert_eq!(
        facts.place_of_pension.explanation.rule,
        "transfer.pension_place"
    );
    let reasons = retire::checks(policy, &facts).expect("checks");
    assert!(
        reasons.iter().any(|r| r.code == "transfer.pension_place"),
        "{reasons:?}"
    );
    let held_now = store::list(b, Some("held")).expect("list");
    assert!(held_now.is_empty(), "{held_now:?}");
    for (action, n) in [("transfer.refuse", 1), ("transfer.release", 1)] {
        let got = b
            .query_i64(
                "SELECT count(*) FROM audit_log WHERE action = $1 AND result = 'ok'",
                &[tongchou_store::Val::Str(action)],
            )
            .expect("audit");
        assert_eq!(got, n, "{action}");
    }
}

#[test]
fn round_trip_sqlite() {
    story(
        &testing::sqlite_url("transfer_a"),
        &testing::sqlite_url("transfer_b"),
    );
}

#[test]
fn round_trip_postgres() {
    story(
        &testing::pg_url("transfer_a"),
        &testing::pg_url("transfer_b"),
    );
}

/// The province's fiscal special account, set by `maker` and confirmed by a reviewer.
fn fiscal_account(db: &mut Db, maker: &Principal) {
    use tongchou_app::agency_accounts::{self, AccountInput, Decision};
    let reviewer = testing::add_user(
        db,
        "fiscal.reviewer",
        Role::ProvinceBureauApprover,
        140000,
        PW,
    );
    let region = RegionCode::new(140000).expect("r");
    let code = tongchou_sim::accounts::credit_code(region).expect("code");
    let input = AccountInput {
        region,
        kind: "fiscal_special_account",
        agency_name: "山西省社会保险事业管理中心",
        credit_code: code.as_str(),
        account_number: "0502123409000099999",
        account_name: Some("山西省企业职工基本养老保险基金财政专户"),
        bank_name: "中国工商银行太原分行",
        bic: None,
        cnaps: Some("102161000011"),
        valid_from: Date::new(2020, 1, 1).expect("d"),
    };
    let (v, _) = agency_accounts::set(db, maker, &input, 1).expect("set");
    let d = Decision {
        region,
        version: v.version,
        confirm: true,
        note: None,
    };
    agency_accounts::review(db, &reviewer, &d, 2).expect("confirm");
}

/// The transfer out's money as a pain.001 file from the fiscal special account to Beijing's
/// account; returned by the bank, issued again, paid.
fn pay_out(a: &mut Db, officer: &Principal, id_number: &str, total: Fen) {
    let on = Date::new(2020, 3, 16).expect("d");
    let t = store::list(a, Some("done"))
        .expect("list")
        .into_iter()
        .find(|t| t.direction == "out" && t.id_number == id_number)
        .expect("the transfer out");
    let to = transfer::Creditor {
        name: "北京市社会保险基金管理中心",
        account: "0200001234567890123",
        cnaps: "102100099996",
        bank_name: Some("中国工商银行北京分行"),
    };
    // no fiscal special account in force yet: nothing issued
    let none = transfer::payment_file(a, officer, t.id, &to, on, 10);
    assert!(matches!(none, Err(AppError::State(_))), "{none:?}");
    fiscal_account(a, officer);
    let county = testing::add_user(a, "county.x", Role::CountyAgency, 140105, PW);
    let denied = transfer::payment_file(a, &county, t.id, &to, on, 11);
    assert!(matches!(denied, Err(AppError::Forbidden(_))), "{denied:?}");
    let (p, xml) = transfer::payment_file(a, officer, t.id, &to, on, 12).expect("file");
    let xml = String::from_utf8(xml).expect("utf-8");
    assert_eq!(
        (p.attempt, p.state.as_str(), p.amount_fen),
        (1, "issued", total.fen())
    );
    assert!(
        xml.contains("0200001234567890123") && xml.contains("0502123409000099999"),
        "{xml}"
    );
    assert!(xml.contains(&total.to_string()), "{xml}");
    let again = transfer::payment_file(a, officer, t.id, &to, on, 13);
    assert!(matches!(again, Err(AppError::State(_))), "{again:?}");
    // the bank's pain.002 returns attempt 1; a county agency may not read the province's file
    let returned = bank_answer_file(&p, Some("AC04"), true);
    let refused = disburse::import_returns(a, &county, "ret-1.xml", &returned, on, 14);
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let r = disburse::import_returns(a, officer, "ret-1.xml", &returned, on, 14).expect("read");
    assert_eq!(r.transfer_payments, vec![(t.id, 1, "returned".to_string())]);
    assert_eq!(
        store::payments(a, t.id).expect("p")[0].state,
        "returned",
        "the bank's answer recorded from its file"
    );
    // the same file again changes nothing
    let again =
        disburse::import_returns(a, officer, "ret-1.xml", &returned, on, 15).expect("again");
    assert!(again.already_read && again.transfer_payments.is_empty());
    let (p2, _) = transfer::payment_file(a, officer, t.id, &to, on, 16).expect("re-issued");
    assert_eq!(p2.attempt, 2);
    assert_ne!(p2.end_to_end_id, p.end_to_end_id);
    // attempt 2 credited: the bank's CSV return file
    let paid = bank_answer_file(&p2, None, false);
    let r = disburse::import_returns(a, officer, "ret-2.csv", &paid, on, 17).expect("read");
    assert_eq!(r.transfer_payments, vec![(t.id, 2, "paid".to_string())]);
    let all = store::payments(a, t.id).expect("p");
    assert_eq!(all[1].state, "paid");
    assert!(
        all[1]
            .answer_note
            .as_deref()
            .is_some_and(|n| n.contains("ret-2.csv"))
    );
    let audited = a
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'transfer.bank_answer'",
            &[],
        )
        .expect("audit");
    assert_eq!(audited, 2);
    let twice = transfer::bank_answer(a, officer, t.id, true, "", 18);
    assert!(matches!(twice, Err(AppError::State(_))), "{twice:?}");
}

/// The bank's answer to one transfer payment attempt as a return file: pain.002 or CSV, the
/// payment rejected with `reject` or credited.
fn bank_answer_file(p: &store::Payment, reject: Option<&str>, xml: bool) -> Vec<u8> {
    let created =
        tongchou_bank::DateTime::new(Date::new(2020, 3, 17).expect("d"), 10, 0, 0).expect("t");
    let rejects: Vec<(&str, &str)> = reject
        .map(|r| (p.end_to_end_id.as_str(), r))
        .into_iter()
        .collect();
    let report = tongchou_bank::StatusReport::for_payments(
        &p.message_id,
        &tongchou_bank::payment_info_id_of(&p.message_id),
        &[(p.end_to_end_id.as_str(), Fen::new(p.amount_fen))],
        &format!("RPT{}", p.attempt),
        created,
        &rejects,
    );
    if xml {
        tongchou_bank::write_pain002(&report, 10).into_bytes()
    } else {
        tongchou_bank::write_return_csv(&report).into_bytes()
    }
}

/// B's confirmation of the transfer it booked, read by A against its transfer out (once).
fn confirm(
    a: &mut Db,
    officer_a: &Principal,
    b: &mut Db,
    officer_b: &Principal,
    t_in: i64,
    id_number: &str,
) {
    let on = Date::new(2020, 3, 25).expect("d");
    let mut doc = transfer::confirmation(b, officer_b, t_in, on).expect("confirmation");
    assert_eq!(doc.outcome, "accepted");
    let out = store::list(a, None)
        .expect("list")
        .into_iter()
        .find(|t| t.direction == "out" && t.id_number == id_number)
        .expect("out");
    assert_eq!(doc.booked.fen(), out.total_fen);
    // both test provinces are Shanxi: B read a copy addressed to itself; the real one is A's
    doc.certificate_sha256 = out.certificate_sha.clone();
    doc.to_province = 110000;
    let bytes = serde_json::to_vec(&doc).expect("json");
    // a broken document is refused whole, naming the file and the field
    let mut bad = doc.clone();
    bad.outcome = "maybe".into();
    let e = transfer::read_confirmation(
        a,
        officer_a,
        "c.json",
        &serde_json::to_vec(&bad).expect("j"),
        30,
    );
    assert!(
        matches!(&e, Err(AppError::Invalid(m)) if m.contains("c.json: outcome")),
        "{e:?}"
    );
    let garbled = transfer::read_confirmation(a, officer_a, "c.json", b"{\"format\": 1", 31);
    assert!(
        matches!(&garbled, Err(AppError::Invalid(m)) if m.starts_with("c.json")),
        "{garbled:?}"
    );
    let r = transfer::read_confirmation(a, officer_a, "c.json", &bytes, 32).expect("read");
    assert!(!r.already_read);
    assert_eq!(r.transfer, out.id);
    let again = transfer::read_confirmation(a, officer_a, "c.json", &bytes, 33).expect("again");
    assert!(again.already_read);
    let state = store::by_id(a, out.id).expect("t").expect("t");
    assert_eq!(state.status, "confirmed");
}

/// Three active insured persons of province A (ID number, name as registered).
fn three_leaving(a: &mut Db, city: &legacy::LegacyCity) -> Vec<(String, String)> {
    city.insured
        .iter()
        .filter_map(|r| {
            let p = store::person(a, &r.row[0]).expect("person")?;
            (p.status == "active" && !p.pensioner).then(|| (r.row[0].clone(), p.name))
        })
        .take(3)
        .collect()
}

fn request_file(lines: &[(String, String)], name_of_third: Option<&str>) -> Vec<u8> {
    let mut s = String::from(
        "联系函编号,身份证号,姓名,转入省份代码,转入地经办机构,转入地账户名称,转入地银行账号,转入地开户行行号\n",
    );
    for (i, (id, name)) in lines.iter().enumerate() {
        let name = if i == 2 {
            name_of_third.unwrap_or(name)
        } else {
            name
        };
        s.push_str(&format!(
            "BJ-{i},{id},{name},110000,北京市社会保险基金管理中心,北京市社保中心,62220202000000{i:05},102100099996\n"
        ));
    }
    s.into_bytes()
}

/// A file of transfer requests: a file with one bad row (at reading, or against the register)
/// writes nothing and names the row and field; the good file transfers every line in one go
/// (certificates, 转移支出, records closed); the same file again transfers nothing; a request
/// number already handled, in another file, is refused.
fn requests_story(url: &str) {
    use transfer::requests::{Outcome, read_requests};
    let policy = Policy::builtin().expect("policy");
    let (mut a, officer, city) = province_a(url, &policy);
    let on = Date::new(2020, 3, 15).expect("d");
    let lines = three_leaving(&mut a, &city);
    assert_eq!(lines.len(), 3);
    let nothing_written = |a: &mut Db| {
        assert!(store::list(a, None).expect("list").is_empty());
        assert_eq!(posted(a, "transfer_out"), 0);
    };
    // a bad value: refused at reading, row and field named
    let mut unreadable = request_file(&lines, None);
    unreadable.extend_from_slice("BJ-9,140105195801010112,王五,北京,中心,,,\n".as_bytes());
    match read_requests(&mut a, &officer, &policy, ("r.csv", &unreadable), on, 1).expect("read") {
        Outcome::Rejected(p) => {
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(
                (p[0].row, p[0].column.as_deref()),
                (5, Some("转入省份代码"))
            );
        }
        o => panic!("{o:?}"),
    }
    nothing_written(&mut a);
    // a name that disagrees with the register: refused, nothing half-written
    let wrong = request_file(&lines, Some("不是他"));
    match read_requests(&mut a, &officer, &policy, ("r.csv", &wrong), on, 2).expect("read") {
        Outcome::Rejected(p) => {
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!((p[0].row, p[0].column.as_deref()), (4, Some("姓名")));
        }
        o => panic!("{o:?}"),
    }
    nothing_written(&mut a);
    // the good file: every line
    let good = request_file(&lines, None);
    let done = match read_requests(&mut a, &officer, &policy, ("r.csv", &good), on, 3).expect("ok")
    {
        Outcome::Transferred(_, done) => done,
        o => panic!("{o:?}"),
    };
    assert_eq!(done.len(), 3);
    let total: i64 = done.iter().map(|d| d.certificate.total.fen()).sum();
    assert!(total > 0);
    assert_eq!(posted(&mut a, "transfer_out"), total);
    for (d, (id, _)) in done.iter().zip(&lines) {
        assert_eq!(&d.certificate.id_number, id);
        assert_eq!(d.certificate.to_province, 110000);
        assert!(d.line.account.is_some());
        let p = store::person(&mut a, id).expect("p").expect("p");
        assert_eq!(p.status, "transferred_out");
    }
    // the same file again: nothing twice
    match read_requests(&mut a, &officer, &policy, ("r.csv", &good), on, 4).expect("again") {
        Outcome::Already(_, l) => assert_eq!(l.len(), 3),
        o => panic!("{o:?}"),
    }
    assert_eq!(store::list(&mut a, None).expect("list").len(), 3);
    assert_eq!(posted(&mut a, "transfer_out"), total);
    // the same request in another file: its row refused
    let mut other = good.clone();
    other.extend_from_slice(b"\n");
    match read_requests(&mut a, &officer, &policy, ("r2.csv", &other), on, 5).expect("read") {
        Outcome::Rejected(p) => {
            assert_eq!(p.len(), 3, "{p:?}");
            assert_eq!((p[0].row, p[0].column.as_deref()), (2, Some("联系函编号")));
        }
        o => panic!("{o:?}"),
    }
    let audited = a
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'transfer.requests' AND result = 'ok'",
            &[],
        )
        .expect("audit");
    assert_eq!(audited, 1);
    // the money paid to the account each request named, without naming it again
    fiscal_account(&mut a, &officer);
    let pay_on = Date::new(2020, 3, 16).expect("d");
    let (p, xml) =
        transfer::payment_file_as_requested(&mut a, &officer, done[1].line.transfer_id, pay_on, 6)
            .expect("paid as requested");
    assert_eq!(p.creditor_account, "6222020200000000001");
    assert_eq!(p.amount_fen, done[1].certificate.total.fen());
    let xml = String::from_utf8(xml).expect("xml");
    assert!(xml.contains("6222020200000000001") && xml.contains("102100099996"));
    // no request made it, so no account is known: refused, nothing issued
    let none = transfer::payment_file_as_requested(&mut a, &officer, 999_999, pay_on, 7);
    assert!(matches!(none, Err(AppError::Invalid(_))), "{none:?}");
    assert_eq!(store::payments(&mut a, 999_999).expect("p").len(), 0);
}

#[test]
fn requests_file_sqlite() {
    requests_story(&testing::sqlite_url("transfer_requests"));
}

#[test]
fn requests_file_postgres() {
    requests_story(&testing::pg_url("transfer_requests"));
}
