//! Benefits on both backends: retirement approval (maker–checker, refusals with reasons, the
//! pension fixed from the person's own history), deaths and cross-checks (suspension, settlement,
//! recovery of payments after death, duplicate receipt), the yearly adjustment with its arrears,
//! and recomputation after a corrected parameter (to pay and to recover).

use tongchou_app::benefits::{self, adjust, deaths, retire};
use tongchou_core::access::{Principal, Role};
use tongchou_core::money::div_round_half_up;
use tongchou_core::policy::BUILTIN_FILES;
use tongchou_core::rules::benefit::{AdjustmentTerms, average_index};
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Date, Fen, IdNumber, Period, Policy, Ratio, RegionCode};
use tongchou_engine::crosscheck::Paid;
use tongchou_engine::disbursement::Item;
use tongchou_store::access::{self, AuthPolicy, NewUser};
use tongchou_store::audit::Actor;
use tongchou_store::registry::{self, PensionRow, PensionerRow, PersonRow};
use tongchou_store::{Db, Val, testing};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn policy() -> Policy {
    Policy::builtin().expect("policy")
}

fn id_number(county: u32, birth: &str, seq: u16) -> String {
    IdNumber::from_parts(RegionCode::new(county).expect("county"), d(birth), seq)
        .as_str()
        .to_string()
}

struct NewPerson<'a> {
    id: i64,
    county: u32,
    birth: &'a str,
    category: &'a str,
    status: &'a str,
    as_of: i64,
    paid: i64,
    deemed: i64,
    avg_index: i64,
    balance: i64,
}

fn person(db: &mut Db, n: &NewPerson<'_>) -> String {
    let idn = id_number(n.county, n.birth, n.id as u16);
    let sex = if n.category == "male" {
        "male"
    } else {
        "female"
    };
    registry::write_persons(db, &mut |push| {
        push(&PersonRow {
            id: n.id,
            id_number: &idn,
            name: "王五",
            sex,
            birth: n.birth,
            category: n.category,
            county: n.county as i64,
            employer_id: None,
            payer_kind: "flexible",
            status: n.status,
            status_since: "2000-01-01",
            enrolled_on: "2000-01-01",
            declared_fen: 600_000,
            as_of: n.as_of,
            paid_months: n.paid,
            deemed_months: n.deemed,
            avg_index: n.avg_index,
            balance_fen: n.balance,
        })
    })
    .expect("person");
    registry::write_person_ids(db, &mut |push| push(&(idn.as_str(), n.id))).expect("id");
    idn
}

fn user(db: &mut Db, login: &str, role: Role, region: u32) -> Principal {
    access::add_user(
        db,
        &Actor::operator("cli:test"),
        &NewUser {
            login,
            display_name: login,
            role,
            region: RegionCode::new(region).expect("region"),
            person_id: None,
            password: "a long enough passphrase",
        },
        &AuthPolicy::default(),
        T0,
    )
    .expect("user")
    .principal()
}

/// One month's assessment (16% + 8% of `base`) and, if `paid_in` is given, its full payment
/// applied in that collection batch.
fn month_paid(db: &mut Db, person: i64, period: i64, base: i64, paid_in: Option<i64>) {
    let (pool, acct) = (base * 16 / 100, base * 8 / 100);
    db.exec(
        "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, base_fen, \
         pooling_fen, account_fen, due_date, batch_id) VALUES ($1, $2, 140105, 0, 'flexible', $3, $3, $4, $5, '2024-01-15', $2)",
        &[Val::I64(person), Val::I64(period), Val::I64(base), Val::I64(pool), Val::I64(acct)],
    )
    .expect("assessment");
    if let Some(batch) = paid_in {
        db.exec(
            "INSERT INTO applications_explicit (receipt, period, person_id, county, amount_fen, pooling_fen, account_fen, \
             days_late, late_fee_fen, batch_id) VALUES ($1, $2, $3, 140105, $4, $5, $6, 0, 0, $7)",
            &[
                Val::Str(&format!("R{person}-{period}")),
                Val::I64(period),
                Val::I64(person),
                Val::I64(pool + acct),
                Val::I64(pool),
                Val::I64(acct),
                Val::I64(batch),
            ],
        )
        .expect("application");
    }
}

fn bank() -> (&'static str, &'static str, &'static str) {
    ("ICBC", "中国工商银行", "6222020200112233445")
}

fn request(person: i64, retire: Option<&str>) -> retire::Request<'static> {
    let (c, n, a) = bank();
    retire::Request {
        person,
        retire: retire.map(p),
        deemed_index: None,
        bank_code: c,
        bank_name: n,
        bank_account: a,
    }
}

fn codes(a: &retire::Application) -> Vec<String> {
    a.refusals.iter().map(|r| r.code.clone()).collect()
}

fn approval_and_award(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pol = policy();
    let clerk = user(&mut db, "clerk.xd", Role::CountyAgency, 140105);
    let other = user(&mut db, "clerk.yz", Role::CountyAgency, 140106);
    let approver = user(&mut db, "approver", Role::ProvinceBureauApprover, 140000);
    person(
        &mut db,
        &NewPerson {
            id: 1,
            county: 140105,
            birth: "1965-01-10",
            category: "male",
            status: "active",
            as_of: 202401,
            paid: 200,
            deemed: 96,
            avg_index: 110_000_000,
            balance: 8_000_000,
        },
    );
    // 2024 paid in time, January 2025 paid late (in the February batch), February 2025 unpaid
    for m in 1..=12 {
        month_paid(&mut db, 1, 202400 + m, 600_000, Some(202400 + m));
    }
    month_paid(&mut db, 1, 202501, 650_000, Some(202502));
    month_paid(&mut db, 1, 202502, 650_000, None);
    // the year 2024 closed with interest (an account_years row), and an older year ignored
    db.exec(
        "INSERT INTO account_years (person_id, year, opening_fen, contributions_fen, interest_opening_fen, \
         interest_contrib_fen, closing_fen, rate) VALUES (1, 2024, 8000000, 576000, 200000, 7000, 8783000, '2.5%'), \
         (1, 2023, 7000000, 500000, 99999, 1, 7600000, '2.5%')",
        &[],
    )
    .expect("account years");

    let due = retire::due_in_month(&mut db, &pol, p("2025-02")).expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].person, due[0].application), (1, None));
    assert!(
        retire::due_in_month(&mut db, &pol, p("2025-03"))
            .expect("due")
            .is_empty()
    );

    // a county agency out of the person's county is refused (and audited)
    let e = retire::submit(&mut db, &pol, &other, &request(1, None), T0).expect_err("must fail");
    assert!(e.to_string().contains("超出本人辖区"), "{e}");
    // and is told nothing about the person first: not even their status (probe finding 2)
    db.exec("UPDATE persons SET status = 'deceased' WHERE id = 1", &[])
        .expect("status");
    let e = retire::submit(&mut db, &pol, &other, &request(1, None), T0).expect_err("must fail");
    assert!(
        e.to_string().contains("超出本人辖区") && !e.to_string().contains("deceased"),
        "{e}"
    );
    db.exec("UPDATE persons SET status = 'active' WHERE id = 1", &[])
        .expect("status");
    // an account the payment files could not carry (letters) is refused at the application,
    // not at the first payment
    let mut bad = request(1, None);
    bad.bank_account = "6222AB0200112233445";
    let e = retire::submit(&mut db, &pol, &clerk, &bad, T0).expect_err("letters");
    assert!(e.to_string().contains("银行账号"), "{e}");
    let app = retire::submit(&mut db, &pol, &clerk, &request(1, None), T0).expect("submit");
    assert_eq!(
        (app.status.as_str(), app.kind.as_str()),
        ("pending", "statutory")
    );
    assert_eq!(app.retire, p("2025-02"));
    assert!(app.refusals.is_empty(), "{:?}", app.refusals);
    assert_eq!(app.facts["months_paid_since"], 13);
    assert_eq!(app.facts["months_unpaid_since"], 1);
    // a second application while one is pending
    let e = retire::submit(&mut db, &pol, &clerk, &request(1, None), T0).expect_err("must fail");
    assert!(e.to_string().contains("已有待审批的退休申请"), "{e}");

    // maker–checker: the submitter cannot decide, nor can a user without the permission
    let e = retire::decide(
        &mut db,
        &pol,
        &clerk,
        app.id,
        retire::Verdict::Approve,
        "",
        T0,
    )
    .expect_err("must fail");
    assert!(matches!(e, tongchou_app::AppError::Forbidden(_)), "{e:?}");
    assert!(e.to_string().contains("不能审批本人提交"), "{e}");
    let denied = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'approval.decide' AND result = 'denied' \
             AND details LIKE '%self_approval%'",
            &[],
        )
        .expect("audit");
    assert_eq!(denied, 1, "the self-approval refusal is audited");
    let e = retire::decide(
        &mut db,
        &pol,
        &other,
        app.id,
        retire::Verdict::Approve,
        "",
        T0,
    )
    .expect_err("must fail");
    assert!(
        e.to_string()
            .contains(tongchou_core::access::Permission::RetirementApprove.label_zh()),
        "{e}"
    );
    assert_eq!(
        retire::get(&mut db, app.id)
            .expect("get")
            .expect("app")
            .status,
        "pending"
    );

    let done = retire::decide(
        &mut db,
        &pol,
        &approver,
        app.id,
        retire::Verdict::Approve,
        "档案审核通过",
        T0,
    )
    .expect("approve");
    assert_eq!(done.application.status, "approved");
    assert_eq!(done.application.decided_by, Some(approver.user_id));
    let award = done.award.expect("award");

    // the same pension from the rules on the documented inputs
    let mut history: Vec<(Period, Fen)> = (1..=12)
        .map(|m| (Period::new(2024, m).expect("p"), Fen::new(600_000)))
        .collect();
    history.push((p("2025-01"), Fen::new(650_000)));
    let (since, _) = average_index(&pol, &history).expect("index");
    let avg = Ratio(
        (div_round_half_up(110_000_000i128 * 200 + since.0 as i128 * 13, 213 * 10_000) * 10_000)
            as i64,
    );
    let balance = Fen::new(8_000_000 + 12 * 48_000 + 52_000 + 207_000);
    let input = PensionInput {
        birth: p("1965-01"),
        category: Category::Male,
        retire: Some(p("2025-02")),
        paid_months: 213,
        deemed_months: 96,
        avg_index: avg,
        deemed_index: avg,
        account_balance: balance,
        benefit_base: None,
        transition_coefficient: None,
    };
    let expected = pension(&pol, &input).expect("pension");
    assert_eq!(award.input.avg_index, avg);
    assert_eq!(award.input.account_balance, balance);
    assert_eq!(award.pension.total, expected.total);
    let row = db
        .query_opt(
            "SELECT effective_from, reason, benefit_base_fen, avg_index, paid_months, account_at_retirement_fen, \
             divisor_tenths, basic_fen, account_fen, transitional_fen, adjustment_fen, total_fen FROM pensions WHERE person_id = 1",
            &[],
        )
        .expect("q")
        .expect("pension row");
    let got: Vec<i64> = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        .iter()
        .map(|&i| row[i].i64().expect("int"))
        .collect();
    assert_eq!(
        got,
        vec![
            202503,
            725_300,
            avg.0,
            213,
            balance.fen(),
            expected.divisor_tenths,
            expected.basic.fen(),
            expected.account.fen(),
            expected.transitional.fen(),
            0,
            expected.total.fen()
        ]
    );
    assert_eq!(row[1].text().expect("t"), "award");
    let pr = db
        .query_opt(
            "SELECT county, retire_period, status, contribution_months, monthly_fen, bank_account FROM pensioners WHERE person_id = 1",
            &[],
        )
        .expect("q")
        .expect("pensioner");
    assert_eq!(
        (
            pr[0].i64().expect("i"),
            pr[1].i64().expect("i"),
            pr[2].text().expect("t"),
            pr[3].i64().expect("i"),
            pr[4].i64().expect("i")
        ),
        (140105, 202502, "active", 309, expected.total.fen())
    );
    let st = db
        .query_opt(
            "SELECT p.status, e.kind, e.event_date FROM persons p JOIN person_events e ON e.person_id = p.id WHERE p.id = 1",
            &[],
        )
        .expect("q")
        .expect("event");
    assert_eq!(st[0].text().expect("t"), "retired");
    assert_eq!(st[1].text().expect("t"), "retire");
    let ex = db
        .query_opt(
            "SELECT explanation FROM pension_explanations WHERE person_id = 1 AND effective_from = 202503",
            &[],
        )
        .expect("q")
        .expect("explanation");
    let ex: serde_json::Value = serde_json::from_str(ex[0].text().expect("t")).expect("json");
    assert_eq!(ex["pension"]["explain"]["basic"]["rule"], "pension.basic");
    assert_eq!(
        ex["facts"]["explanations"]["account_balance"]["rule"],
        "benefit.account_at_retirement"
    );
    assert_eq!(ex["facts"]["paid_months"], 213);
    // decided once
    let e = retire::decide(
        &mut db,
        &pol,
        &approver,
        app.id,
        retire::Verdict::Refuse,
        "",
        T0,
    )
    .expect_err("must fail");
    assert!(e.to_string().contains("已审批"), "{e}");
    let listed = retire::list(&mut db, Some("approved"), Some(p("2025-02"))).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].to_json()["bank_account"], "****3445");
    // the pension written belongs to a person set retired (`registry::person_by_number` relies on it)
    let outside = tongchou_store::registry::pensions_outside_retirement(&mut db).expect("count");
    assert_eq!(outside, 0);
}

fn refusals(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pol = policy();
    let clerk = user(&mut db, "clerk.xd", Role::CountyAgency, 140105);
    let approver = user(&mut db, "approver", Role::ProvinceBureauApprover, 140000);
    let base = NewPerson {
        id: 2,
        county: 140105,
        birth: "1970-03-05",
        category: "male",
        status: "active",
        as_of: 202501,
        paid: 100,
        deemed: 0,
        avg_index: 100_000_000,
        balance: 1_000_000,
    };
    person(&mut db, &base);
    person(
        &mut db,
        &NewPerson {
            id: 3,
            birth: "1965-01-20",
            paid: 240,
            ..base
        },
    );
    db.exec(
        "INSERT INTO arrears (person_id, period, county, employer_id, due_date, total_fen, account_total_fen, paid_fen) \
         VALUES (3, 202412, 140105, 0, '2025-01-15', 144000, 48000, 44000)",
        &[],
    )
    .expect("arrears");

    // too early and too few months
    let a = retire::submit(&mut db, &pol, &clerk, &request(2, Some("2025-02")), T0).expect("a");
    assert_eq!(a.kind, "flexible_early");
    assert_eq!(codes(&a), vec!["too_early", "insufficient_contributions"]);
    // open arrears
    let b = retire::submit(&mut db, &pol, &clerk, &request(3, None), T0).expect("b");
    assert_eq!(codes(&b), vec!["open_arrears"]);
    assert!(
        b.refusals[0].reason.contains("尚有欠费 1,000.00 元"),
        "{:?}",
        b.refusals
    );

    // an approval is refused while the checks fail; the application stays pending
    let e = retire::decide(
        &mut db,
        &pol,
        &approver,
        b.id,
        retire::Verdict::Approve,
        "",
        T0,
    )
    .expect_err("must fail");
    assert!(e.to_string().contains("open_arrears"), "{e}");
    assert_eq!(
        retire::get(&mut db, b.id).expect("q").expect("b").status,
        "pending"
    );
    // once the arrears are paid, the same application can be approved
    db.exec("DELETE FROM arrears WHERE person_id = 3", &[])
        .expect("paid");
    let ok = retire::decide(
        &mut db,
        &pol,
        &approver,
        b.id,
        retire::Verdict::Approve,
        "",
        T0,
    )
    .expect("approve");
    assert!(ok.award.is_some());

    let r = retire::decide(
        &mut db,
        &pol,
        &approver,
        a.id,
        retire::Verdict::Refuse,
        "未达退休年龄",
        T0,
    )
    .expect("refuse");
    assert_eq!(r.application.status, "refused");
    assert_eq!(
        codes(&r.application),
        vec![
            "too_early",
            "insufficient_contributions",
            "refused_by_approver"
        ]
    );
    assert_eq!(r.application.refusals[2].reason, "未达退休年龄");
    let approvals = db
        .query("SELECT status FROM approvals ORDER BY status", &[])
        .expect("q");
    let approvals: Vec<&str> = approvals.iter().map(|r| r[0].text().expect("t")).collect();
    assert_eq!(approvals, vec!["approved", "rejected"]);
    // the refused person is still insured and may apply again
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM persons WHERE id = 2 AND status = 'active'",
            &[]
        )
        .expect("q"),
        1
    );
}

/// A pensioner with an award row (and optionally more rows) written through the registry.
#[allow(clippy::too_many_arguments)]
fn pensioner(
    db: &mut Db,
    id: i64,
    county: u32,
    birth: &str,
    retire: i64,
    status: &str,
    rows: &[PensionRow<'_>],
) -> String {
    let idn = person(
        db,
        &NewPerson {
            id,
            county,
            birth,
            category: "male",
            status: if status == "deceased" {
                "deceased"
            } else {
                "retired"
            },
            as_of: 202001,
            paid: 300,
            deemed: 60,
            avg_index: 100_000_000,
            balance: 0,
        },
    );
    let last = rows.last().expect("rows");
    registry::write_pensioners(db, &mut |push| {
        push(&PensionerRow {
            person_id: id,
            county: county as i64,
            retire_period: retire,
            status,
            status_since: "2020-01-01",
            contribution_months: last.paid_months + last.deemed_months,
            monthly_fen: last.total_fen(),
            bank_code: "ICBC",
            bank_name: "中国工商银行",
            bank_account: "6222020200112233445",
        })
    })
    .expect("pensioner");
    registry::write_pensions(db, &mut |push| {
        for r in rows {
            push(r)?;
        }
        Ok(())
    })
    .expect("pensions");
    idn
}

fn award_row(person: i64, from: i64, basic: i64, account: i64, trans: i64) -> PensionRow<'static> {
    PensionRow {
        person_id: person,
        effective_from: from,
        reason: "award",
        benefit_base_fen: 590_700,
        avg_index: 100_000_000,
        deemed_index: 100_000_000,
        paid_months: 300,
        deemed_months: 60,
        account_at_retirement_fen: account * 1390 / 10,
        divisor_tenths: 1390,
        basic_fen: basic,
        account_fen: account,
        transitional_fen: trans,
        adjustment_fen: 0,
    }
}

/// A one-sheet XLSX workbook of inline strings, as a spreadsheet program saves one.
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    use std::io::Write;
    let mut sheet = String::from(
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in cells.iter().enumerate() {
            let at = format!("{}{}", char::from(b'A' + c as u8), r + 1);
            sheet.push_str(&format!(
                "<c r=\"{at}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"
            ));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let parts = [
        (
            "xl/workbook.xml",
            "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
             <sheets><sheet name=\"死亡信息\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
                .to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" \
             Target=\"worksheets/sheet1.xml\"/></Relationships>"
                .to_string(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in parts {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("part");
        z.write_all(body.as_bytes()).expect("write");
    }
    z.finish().expect("zip").into_inner()
}

fn deaths_and_crosschecks(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pol = policy();
    let op = Actor::operator("cli:test");
    let today = d("2025-06-20");
    // A: pensioner since 2020-01 (monthly 3,500.00 = 2,500 + 500 + 500), dies 2025-04-10
    let a = pensioner(
        &mut db,
        10,
        140105,
        "1959-12-01",
        201912,
        "active",
        &[award_row(10, 202001, 250_000, 50_000, 50_000)],
    );
    // B: pensioner in another county, also paid by another roll
    let b = pensioner(
        &mut db,
        11,
        140106,
        "1959-06-01",
        201906,
        "active",
        &[award_row(11, 201907, 200_000, 40_000, 40_000)],
    );
    // C: insured, not retired
    let c = person(
        &mut db,
        &NewPerson {
            id: 12,
            county: 140105,
            birth: "1980-02-02",
            category: "male",
            status: "active",
            as_of: 202501,
            paid: 100,
            deemed: 0,
            avg_index: 100_000_000,
            balance: 500_000,
        },
    );
    let nobody = id_number(140107, "1950-01-01", 999);

    // a bad file is refused as a whole, every problem listed
    let mut bad_id = a.clone();
    let last = if bad_id.ends_with('1') { '2' } else { '1' };
    bad_id.pop();
    bad_id.push(last);
    let bad = format!(
        "身份证号码,死亡日期,来源\n{a},2025-04-10,公安\n{bad_id},2025-04-10,公安\n{c},2025-13-01,民政\n{nobody},2025-05-01,法院\n"
    );
    let e = deaths::import_deaths(&mut db, "bad.csv", bad.as_bytes(), today, &op, T0)
        .expect_err("must fail");
    assert!(
        e.to_string()
            .starts_with("死亡信息文件 bad.csv 有 3 处问题，未导入：第 3 行 身份证号码：校验位是"),
        "{e}"
    );
    assert!(e.to_string().contains("第 3 行 身份证号码"), "{e}");
    assert!(e.to_string().contains("第 4 行 死亡日期"), "{e}");
    assert!(e.to_string().contains("第 5 行 来源"), "{e}");
    assert_eq!(
        db.query_i64("SELECT count(*) FROM death_records", &[])
            .expect("q"),
        0
    );

    let good = format!(
        "id_number,died,source\n{a},2025-04-10,公安\n{a},2025-04-12,民政\n{c},20250501,民政\n{nobody},2025-05-01,公安\n"
    );
    let s = deaths::import_deaths(&mut db, "deaths.csv", good.as_bytes(), today, &op, T0)
        .expect("import");
    assert_eq!((s.rows, s.new), (4, 4));
    let e = deaths::import_deaths(&mut db, "again.csv", good.as_bytes(), today, &op, T0)
        .expect_err("must fail");
    assert!(e.to_string().contains("已导入过"), "{e}");
    let held = |db: &mut Db| {
        db.query_i64(
            "SELECT (SELECT count(*) FROM death_records) * 1000 + (SELECT count(*) FROM imports)",
            &[],
        )
        .expect("q")
    };
    let before = held(&mut db);
    // a record held with the same date is known (a workbook) ...
    let known = workbook(&[
        &["身份证号码", "死亡日期", "来源"],
        &[&a, "2025-04-10", "公安"],
        &[&a, "2025-04-12", "民政部门"],
    ]);
    let s = deaths::import_deaths(&mut db, "known.xlsx", &known, today, &op, T0).expect("import");
    assert_eq!((s.rows, s.new, s.already_known), (2, 0, 2));
    assert_eq!(held(&mut db), before + 1, "one more import, no record");
    // ... with another date the whole file is refused, nothing written (a GBK file, as Excel
    // saves CSV in China)
    let before = held(&mut db);
    let other = format!("身份证号码,死亡日期,来源\n{b},2025-05-02,公安\n{a},2025-04-11,公安\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&other);
    let e =
        deaths::import_deaths(&mut db, "other.csv", &gbk, today, &op, T0).expect_err("must fail");
    assert!(
        e.to_string().contains(
            "死亡信息文件 other.csv 第 3 行：公安 已报告该身份证号于 2025-04-10 死亡，不是 2025-04-11"
        ),
        "{e}"
    );
    assert_eq!(held(&mut db), before);
    // the first 50 problems are listed, all are counted
    let many: String = std::iter::once("id_number,died,source\n".to_string())
        .chain((0..60).map(|_| format!("{b},2025-05-02,法院\n")))
        .collect();
    let e = deaths::import_deaths(&mut db, "many.csv", many.as_bytes(), today, &op, T0)
        .expect_err("refused");
    let m = e.to_string();
    assert!(
        m.starts_with("死亡信息文件 many.csv 有 60 处问题，未导入：第 2 行 source：来源应为 公安 或 民政：\"法院\""),
        "{m}"
    );
    assert!(
        m.contains("第 51 行 source") && !m.contains("第 52 行"),
        "{m}"
    );
    assert!(m.ends_with("；…… 另有 10 处"), "{m}");
    assert_eq!(held(&mut db), before);
    // a bad workbook is refused with the row and column of each problem
    let bad = workbook(&[
        &["死亡日期", "身份证号码", "来源"],
        &["2025-06-21", &b, "公安"],
    ]);
    let e = deaths::import_deaths(&mut db, "bad.xlsx", &bad, today, &op, T0).expect_err("future");
    assert_eq!(
        e.to_string(),
        "死亡信息文件 bad.xlsx 有 1 处问题，未导入：第 2 行 死亡日期：日期晚于今天：2025-06-21（今天是 2025-06-20）"
    );
    assert_eq!(held(&mut db), before);

    // payments made: A for March to June, B for May
    let paid = |person: i64, m: &str, amount: i64| Paid {
        person,
        month: p(m),
        item: "basic_pension".into(),
        amount: Fen::new(amount),
    };
    let payments = vec![
        paid(10, "2025-03", 350_000),
        paid(10, "2025-04", 350_000),
        paid(10, "2025-05", 350_000),
        paid(10, "2025-06", 350_000),
        paid(11, "2025-05", 280_000),
    ];
    let run = deaths::run_crosscheck(&mut db, &pol, p("2025-06"), Some(&payments), &op, T0)
        .expect("crosscheck");
    assert_eq!(
        (
            run.suspended,
            run.insured_deceased,
            run.no_match,
            run.paid_after_death_cases
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(run.paid_after_death, Fen::new(700_000));
    // suspension: pensioner and person deceased from the (earliest) date of death, an event
    let r = db
        .query_opt(
            "SELECT n.status, n.status_since, p.status, e.kind FROM pensioners n JOIN persons p ON p.id = n.person_id \
             JOIN person_events e ON e.person_id = p.id WHERE n.person_id = 10",
            &[],
        )
        .expect("q")
        .expect("row");
    assert_eq!(
        (
            r[0].text().expect("t"),
            r[1].text().expect("t"),
            r[2].text().expect("t"),
            r[3].text().expect("t")
        ),
        ("deceased", "2025-04-10", "deceased", "death")
    );
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM persons WHERE id = 12 AND status = 'deceased'",
            &[]
        )
        .expect("q"),
        1
    );
    // the settlement waits for a survivor's claim: nothing is due before it
    let months_paid = 64; // 2020-01 .. 2025-04
    let refund = 50_000 * 139 - 50_000 * months_paid;
    assert!(
        benefits::settlements_due(&mut db, p("2025-07"))
            .expect("due")
            .is_empty()
    );
    let waiting = deaths::awaiting_claims(&mut db, None).expect("awaiting");
    assert_eq!(
        waiting,
        vec![deaths::AwaitingClaim {
            person: 10,
            county: 140105,
            died: d("2025-04-10"),
            due_month: p("2025-07"),
            total: Fen::new(725_300 * 3 + 3_500_000 + refund),
        }]
    );
    // the spouse claims it in June: paid by the next month's payroll
    let spouse = id_number(140105, "1961-03-03", 20);
    let claim = deaths::Claim {
        person: 10,
        name: "张秀英",
        id_number: &spouse,
        relation: "配偶",
        bank_code: "ABC",
        bank_name: "中国农业银行",
        bank_account: "6228 4800 1234 5678",
    };
    let c = deaths::file_claim(&mut db, &op, &claim, today, T0).expect("claim");
    assert_eq!(
        (c.due_month, c.relation),
        (p("2025-07"), deaths::Relation::Spouse)
    );
    assert_eq!(c.bank_account, "****5678");
    assert!(
        deaths::awaiting_claims(&mut db, Some(140105))
            .expect("awaiting")
            .is_empty()
    );
    let due = benefits::settlements_due(&mut db, p("2025-07")).expect("due");
    assert_eq!(
        due,
        vec![
            (10, 140105, Item::FuneralGrant, Fen::new(725_300 * 3)),
            (10, 140105, Item::SurvivorGrant, Fen::new(3_500_000)),
            (10, 140105, Item::AccountRefund, Fen::new(refund)),
        ]
    );
    assert!(
        benefits::settlements_due(&mut db, p("2025-06"))
            .expect("due")
            .is_empty()
    );
    let cases = db
        .query(
            "SELECT month, amount_fen, status FROM recovery_cases WHERE person_id = 10 AND kind = 'paid_after_death' ORDER BY month",
            &[],
        )
        .expect("q");
    let cases: Vec<(i64, i64)> = cases
        .iter()
        .map(|r| (r[0].i64().expect("i"), r[1].i64().expect("i")))
        .collect();
    assert_eq!(cases, vec![(202505, 350_000), (202506, 350_000)]);

    // running again opens nothing twice
    let again = deaths::run_crosscheck(&mut db, &pol, p("2025-06"), Some(&payments), &op, T0)
        .expect("again");
    assert_eq!(
        (
            again.suspended,
            again.paid_after_death_cases,
            again.insured_deceased
        ),
        (0, 0, 0)
    );
    assert_eq!(
        db.query_i64("SELECT count(*) FROM benefit_dues", &[])
            .expect("q"),
        3
    );

    // duplicate receipt: B on the residents' roll in May (we paid: the payroll's line) and June
    // (no payment known: the monthly pension); a month before B's pension is not a duplicate
    // (a month listed twice is one entry)
    let roll = format!(
        "id_number,month\n{b},2025-05\n{b},202506\n{b},2019-05\n{nobody},2025-05\n{b},2025-05\n"
    );
    let s = deaths::import_roll(
        &mut db,
        "城乡居民养老保险",
        "roll.csv",
        roll.as_bytes(),
        today,
        &op,
        T0,
    )
    .expect("roll");
    assert_eq!((s.rows, s.new, s.already_known), (5, 4, 1));
    db.exec(
        "INSERT INTO payroll_line_rows (month, person_id, item, attempt, county, amount_fen, end_to_end, status) \
         VALUES (202505, 11, 'basic_pension', 0, 140106, 279000, 'E2E-11-202505', 'paid'), \
         (202504, 11, 'basic_pension', 0, 140106, 280000, 'E2E-11-202504', 'planned')",
        &[],
    )
    .expect("payroll lines");
    let made = deaths::payments_made(&mut db, p("2025-01"))
        .expect("payments")
        .expect("table");
    assert_eq!(made.len(), 1, "only money that left counts");
    let run = deaths::run_crosscheck(&mut db, &pol, p("2025-06"), None, &op, T0).expect("dups");
    assert_eq!(run.payments, "payroll_lines");
    assert_eq!(run.duplicate_cases, 2);
    assert_eq!(run.duplicates, Fen::new(279_000 + 280_000));

    // by county
    let rep = deaths::report(&mut db).expect("report");
    let xd = rep
        .counties
        .iter()
        .find(|c| c.county == 140105)
        .expect("140105");
    assert_eq!(
        (
            xd.deaths_pensioners,
            xd.deaths_insured,
            xd.settlements,
            xd.paid_after_death_cases
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(xd.paid_after_death_fen, Fen::new(700_000));
    assert_eq!(
        xd.settlements_fen,
        Fen::new(725_300 * 3 + 3_500_000 + refund)
    );
    let yz = rep
        .counties
        .iter()
        .find(|c| c.county == 140106)
        .expect("140106");
    assert_eq!(
        (yz.duplicate_cases, yz.duplicate_fen),
        (2, Fen::new(559_000))
    );
    assert_eq!(rep.province.open_cases, 4);
    assert_eq!((rep.death_records, rep.unmatched_death_records), (3, 1));
    // every step is in the audit log (two death files, a roll, three runs; refusals are not)
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('deaths.import', 'roll.import', 'crosscheck.run')",
            &[]
        )
        .expect("q"),
        6
    );
}

fn adjustment(url: &str, chunk: i64) {
    let mut db = Db::open(url).expect("open");
    let pol = policy();
    pensioner(
        &mut db,
        20,
        140105,
        "1960-05-01",
        202005,
        "active",
        &[award_row(20, 202006, 200_000, 50_000, 50_000)],
    );
    // retired in December: the award is effective from January and is raised in place
    pensioner(
        &mut db,
        21,
        140106,
        "1964-12-01",
        202412,
        "active",
        &[award_row(21, 202501, 150_000, 50_000, 50_000)],
    );
    // retired this year, and a deceased pensioner: not eligible
    pensioner(
        &mut db,
        22,
        140105,
        "1965-03-01",
        202503,
        "active",
        &[award_row(22, 202504, 150_000, 50_000, 50_000)],
    );
    pensioner(
        &mut db,
        23,
        140105,
        "1950-03-01",
        201003,
        "deceased",
        &[award_row(23, 201004, 150_000, 50_000, 50_000)],
    );
    // a pension recomputed from a month after January is left alone (and listed)
    let mut later = award_row(24, 201904, 150_000, 50_000, 50_000);
    let recalculated = PensionRow {
        effective_from: 202503,
        reason: "recalculation",
        basic_fen: 160_000,
        ..later.clone()
    };
    later.effective_from = 201904;
    pensioner(
        &mut db,
        24,
        140105,
        "1959-03-01",
        201903,
        "active",
        &[later, recalculated],
    );
    // read in chunks of `chunk` pensioners (one at a time on one backend)
    let rep = adjust::adjust_year_in_chunks(&mut db, &pol, 2025, T0, chunk).expect("adjust");
    assert_eq!(rep.month, p("2025-07"));
    assert_eq!((rep.eligible, rep.adjusted, rep.raised_in_place), (3, 2, 1));
    assert_eq!(rep.skipped_count, 1);
    assert_eq!(rep.skipped[0].0, 24);
    assert!(
        rep.skipped[0].1.contains("2025-01 之后"),
        "{:?}",
        rep.skipped
    );
    assert_eq!(rep.arrears_months, 6);
    let terms = AdjustmentTerms::at(&pol, 2025, Fen::new(275_000), 360).expect("terms");
    let inc20 = terms.increase(Fen::new(300_000), 360);
    let inc21 = terms.increase(Fen::new(250_000), 360);
    assert!(inc20 > inc21 && inc21.is_positive());
    let rows = db
        .query(
            "SELECT person_id, effective_from, reason, adjustment_fen, total_fen FROM pensions \
             WHERE person_id IN (20, 21, 22) ORDER BY person_id, effective_from",
            &[],
        )
        .expect("q");
    let rows: Vec<(i64, i64, String, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r[0].i64().expect("i"),
                r[1].i64().expect("i"),
                r[2].text().expect("t").to_string(),
                r[3].i64().expect("i"),
                r[4].i64().expect("i"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (20, 202006, "award".into(), 0, 300_000),
            (
                20,
                202501,
                "adjustment".into(),
                inc20.fen(),
                300_000 + inc20.fen()
            ),
            (
                21,
                202501,
                "award".into(),
                inc21.fen(),
                250_000 + inc21.fen()
            ),
            (22, 202504, "award".into(), 0, 250_000),
        ]
    );
    let monthly = db
        .query(
            "SELECT person_id, monthly_fen FROM pensioners ORDER BY person_id",
            &[],
        )
        .expect("q");
    let monthly: Vec<(i64, i64)> = monthly
        .iter()
        .map(|r| (r[0].i64().expect("i"), r[1].i64().expect("i")))
        .collect();
    assert_eq!(
        monthly,
        vec![
            (20, 300_000 + inc20.fen()),
            (21, 250_000 + inc21.fen()),
            (22, 250_000),
            (23, 250_000),
            (24, 260_000)
        ]
    );
    // the arrears (January to June) are due in the announcement month
    assert_eq!(
        benefits::settlements_due(&mut db, p("2025-07")).expect("due"),
        vec![
            (
                20,
                140105,
                Item::AdjustmentArrears,
                Fen::new(inc20.fen() * 6)
            ),
            (
                21,
                140106,
                Item::AdjustmentArrears,
                Fen::new(inc21.fen() * 6)
            ),
        ]
    );
    assert_eq!(rep.arrears, Fen::new((inc20.fen() + inc21.fen()) * 6));
    let e = adjust::adjust_year(&mut db, &pol, 2025, T0).expect_err("must fail");
    assert!(e.to_string().contains("调待已经运行"), "{e}");
}

fn corrected_policy(from: &str, to: &str) -> Policy {
    let files: Vec<(&str, String)> = BUILTIN_FILES
        .iter()
        .map(|(name, text)| {
            let t = if *name == "benefit.toml" {
                assert!(text.contains(from), "benefit.toml holds {from}");
                text.replace(from, to)
            } else {
                text.to_string()
            };
            (*name, t)
        })
        .collect();
    Policy::from_files(files.iter().map(|(n, t)| (*n, t.as_str()))).expect("corrected policy")
}

fn corrections(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pol = policy();
    // two pensioners whose awards were fixed with the builtin policy in 2024-06, then adjusted
    let input = PensionInput {
        birth: p("1964-06"),
        category: Category::Male,
        retire: Some(p("2024-06")),
        paid_months: 300,
        deemed_months: 60,
        avg_index: Ratio(100_000_000),
        deemed_index: Ratio(100_000_000),
        account_balance: Fen::new(10_000_000),
        benefit_base: None,
        transition_coefficient: None,
    };
    let old = pension(&pol, &input).expect("pension");
    for id in [30, 31] {
        let award = PensionRow {
            person_id: id,
            effective_from: 202407,
            reason: "award",
            benefit_base_fen: 711_100,
            avg_index: 100_000_000,
            deemed_index: 100_000_000,
            paid_months: 300,
            deemed_months: 60,
            account_at_retirement_fen: 10_000_000,
            divisor_tenths: old.divisor_tenths,
            basic_fen: old.basic.fen(),
            account_fen: old.account.fen(),
            transitional_fen: old.transitional.fen(),
            adjustment_fen: 0,
        };
        let adjusted = PensionRow {
            effective_from: 202501,
            reason: "adjustment",
            adjustment_fen: 5_000,
            ..award.clone()
        };
        let _ = pensioner(
            &mut db,
            id,
            140105,
            "1964-06-15",
            202406,
            "active",
            &[award, adjusted],
        );
    }
    // the transition coefficient was 1.4%, not 1.3%: back pay for 2024-07 .. 2025-07
    let up = corrected_policy("value = \"0.013\"", "value = \"0.014\"");
    let new = pension(&up, &input).expect("pension");
    assert!(new.total > old.total);
    let c = adjust::recompute(&mut db, &up, 30, p("2025-08"), "过渡系数更正", T0).expect("up");
    assert_eq!(c.status, "to_pay");
    assert_eq!(c.months, 13);
    assert_eq!(
        c.difference,
        Fen::new((new.total.fen() - old.total.fen()) * 13)
    );
    assert_eq!(c.new_monthly, Fen::new(new.total.fen() + 5_000));
    assert_eq!(
        benefits::settlements_due(&mut db, p("2025-08")).expect("due"),
        vec![(30, 140105, Item::AdjustmentArrears, c.difference)]
    );
    let r = db
        .query_opt(
            "SELECT reason, total_fen, transitional_fen FROM pensions WHERE person_id = 30 AND effective_from = 202508",
            &[],
        )
        .expect("q")
        .expect("row");
    assert_eq!(r[0].text().expect("t"), "recalculation");
    assert_eq!(r[1].i64().expect("i"), new.total.fen() + 5_000);
    assert_eq!(r[2].i64().expect("i"), new.transitional.fen());
    assert_eq!(
        db.query_i64(
            "SELECT monthly_fen FROM pensioners WHERE person_id = 30",
            &[]
        )
        .expect("q"),
        new.total.fen() + 5_000
    );
    let e = adjust::recompute(&mut db, &up, 30, p("2025-08"), "", T0).expect_err("must fail");
    assert!(e.to_string().contains("重算"), "{e}");
    let e = adjust::recompute(&mut db, &up, 30, p("2025-05"), "", T0).expect_err("must fail");
    assert!(e.to_string().contains("自 2025-08 起"), "{e}");

    // 1.2%: an overpayment to recover, nothing to pay
    let down = corrected_policy("value = \"0.013\"", "value = \"0.012\"");
    let lower = pension(&down, &input).expect("pension");
    let c = adjust::recompute(&mut db, &down, 31, p("2025-08"), "", T0).expect("down");
    assert_eq!(c.status, "to_recover");
    assert_eq!(
        c.difference,
        Fen::new((lower.total.fen() - old.total.fen()) * 13)
    );
    assert!(c.difference.is_negative());
    let case = db
        .query_opt(
            "SELECT kind, amount_fen, status, month FROM recovery_cases WHERE person_id = 31",
            &[],
        )
        .expect("q")
        .expect("case");
    assert_eq!(case[0].text().expect("t"), "correction");
    assert_eq!(case[1].i64().expect("i"), -c.difference.fen());
    assert_eq!(case[2].text().expect("t"), "open");
    assert_eq!(
        benefits::settlements_due(&mut db, p("2025-08"))
            .expect("due")
            .len(),
        1
    );
    // the corrected policy again: the earlier back pay is accounted for, nothing changes
    let same = adjust::recompute(&mut db, &up, 30, p("2025-09"), "", T0).expect("same");
    assert_eq!((same.status.as_str(), same.difference), ("none", Fen::ZERO));
    assert_eq!(same.new_monthly, Fen::new(new.total.fen() + 5_000));
    assert_eq!(
        db.query_i64(
            "SELECT count(*) FROM pensions WHERE person_id = 30 AND effective_from = 202509",
            &[]
        )
        .expect("q"),
        0
    );
    // back to the old coefficient: the 15 months paid at the higher amount (13 by the back pay,
    // 2025-08 and 2025-09 by the payroll) are recovered
    let back = adjust::recompute(&mut db, &pol, 30, p("2025-10"), "", T0).expect("back");
    assert_eq!(back.status, "to_recover");
    assert_eq!(
        back.difference,
        Fen::new(-(new.total.fen() - old.total.fen()) * 15)
    );
}

#[test]
fn approval_on_sqlite() {
    approval_and_award(&testing::sqlite_url("benefits"));
}

#[test]
fn approval_on_postgres() {
    approval_and_award(&testing::pg_url("benefits"));
}

#[test]
fn refusals_on_sqlite() {
    refusals(&testing::sqlite_url("benefits"));
}

#[test]
fn refusals_on_postgres() {
    refusals(&testing::pg_url("benefits"));
}

#[test]
fn deaths_on_sqlite() {
    deaths_and_crosschecks(&testing::sqlite_url("benefits"));
}

#[test]
fn deaths_on_postgres() {
    deaths_and_crosschecks(&testing::pg_url("benefits"));
}

#[test]
fn adjustment_on_sqlite() {
    adjustment(&testing::sqlite_url("benefits"), 50_000);
}

#[test]
fn adjustment_on_postgres() {
    adjustment(&testing::pg_url("benefits"), 1);
}

#[test]
fn corrections_on_sqlite() {
    corrections(&testing::sqlite_url("benefits"));
}

#[test]
fn corrections_on_postgres() {
    corrections(&testing::pg_url("benefits"));
}
