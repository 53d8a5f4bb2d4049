//! Test support: an HTTP client (`ureq`) with a cookie jar like a browser's for one site, and a
//! seeded database.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use tongchou_core::access::Role;
use tongchou_core::{Date, IdNumber, RegionCode};
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::{Db, Val};

pub const PW: &str = "a long test passphrase";

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A response's headers as (name, value) pairs.
fn headers_of(r: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A client with a cookie jar (name -> value), like a browser for one site. Redirects are not
/// followed (tests check them) and every status is an answer, not an error.
pub struct Client {
    pub addr: SocketAddr,
    pub cookies: HashMap<String, String>,
    /// The browser's `Accept-Language`, sent with every request when set.
    pub accept_language: Option<&'static str>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            addr,
            cookies: HashMap::new(),
            accept_language: None,
            agent,
        }
    }

    fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        let c: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        Some(c.join("; "))
    }

    /// Read the answer and keep its cookies (an empty value or `Max-Age=0` removes one).
    fn answer(&mut self, r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut r = r.expect("HTTP request");
        let headers = headers_of(&r);
        let body = r.body_mut().read_to_string().expect("read body");
        let resp = Resp {
            status: r.status().as_u16(),
            headers,
            body,
        };
        for c in resp.headers_named("set-cookie") {
            let first = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        resp
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let mut req = self.agent.get(self.url(path));
        if let Some(c) = self.cookie_header() {
            req = req.header("Cookie", c);
        }
        if let Some(l) = self.accept_language {
            req = req.header("Accept-Language", l);
        }
        let r = req.call();
        self.answer(r)
    }

    /// A GET whose body is bytes (a download): the status, the headers and the body.
    pub fn get_bytes(&mut self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut req = self.agent.get(self.url(path));
        if let Some(c) = self.cookie_header() {
            req = req.header("Cookie", c);
        }
        let mut r = req.call().expect("HTTP request");
        let headers = headers_of(&r);
        let body = r.body_mut().read_to_vec().expect("read body");
        (r.status().as_u16(), headers, body)
    }

    fn post(&mut self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let mut req = self.agent.post(self.url(path));
        if let Some(c) = self.cookie_header() {
            req = req.header("Cookie", c);
        }
        if let Some(l) = self.accept_language {
            req = req.header("Accept-Language", l);
        }
        req
    }

    /// An `application/x-www-form-urlencoded` POST.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let r = self.post(path).send_form(fields.iter().copied());
        self.answer(r)
    }

    /// A `multipart/form-data` POST of text fields and one file (`name`, file name, bytes), as a
    /// browser sends a form with `enctype="multipart/form-data"`.
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Resp {
        let boundary = "----tongchou-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/xml\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .post(path)
            .content_type(&format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..]);
        self.answer(r)
    }

    pub fn post_json(&mut self, path: &str, body: &serde_json::Value, csrf: Option<&str>) -> Resp {
        let mut req = self.post(path).content_type("application/json");
        if let Some(c) = csrf {
            req = req.header("X-CSRF-Token", c);
        }
        let r = req.send(body.to_string());
        self.answer(r)
    }

    /// The hidden CSRF field of the first form on a page.
    pub fn csrf_in(page: &str) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("csrf field") + marker.len();
        page[start..start + 64].to_string()
    }

    /// Log in through the form. Returns the POST /login response.
    pub fn login(&mut self, login: &str, password: &str) -> Resp {
        let form = self.get("/login");
        assert_eq!(form.status, 200);
        let csrf = Client::csrf_in(&form.body);
        self.post_form(
            "/login",
            &[("login", login), ("password", password), ("csrf", &csrf)],
        )
    }
}

pub fn rc(v: u32) -> RegionCode {
    RegionCode::new(v).expect("code")
}

pub struct Seeded {
    /// (person id, full ID number, name) in 小店区 140105, a pensioner with a bank account
    pub p1: (i64, String, String),
    /// in 迎泽区 140106
    pub p2: (i64, String, String),
}

pub fn insert_person(db: &mut Db, id: i64, county: u32, name: &str, seq: u16) -> String {
    let birth = Date::new(1962, 3, 15).expect("date");
    let idn = IdNumber::from_parts(rc(county), birth, seq);
    db.exec(
        "INSERT INTO persons (id, id_number, name, sex, birth, category, county, employer_id, payer_kind, \
         status, status_since, enrolled_on, declared_fen, as_of, paid_months, deemed_months, avg_index, balance_fen) \
         VALUES ($1, $2, $3, 'male', '1962-03-15', 'male', $4, NULL, 'flexible', 'retired', '2022-03-31', \
         '1993-01-01', 0, 202201, 300, 96, 115000000, 12000000)",
        &[
            Val::I64(id),
            Val::Str(idn.as_str()),
            Val::Str(name),
            Val::I64(county as i64),
        ],
    )
    .expect("insert person");
    db.exec(
        "INSERT INTO person_ids (id_number, person_id) VALUES ($1, $2)",
        &[Val::Str(idn.as_str()), Val::I64(id)],
    )
    .expect("insert person id");
    idn.as_str().to_string()
}

/// Persons and users: clerk (county 140105), clerk2 (county 140106), auditor (province),
/// approver (province bureau approver), citizen (insured person = p1), sysadmin, fin.officer
/// (finance officer), fin.approver (finance approver).
pub fn seed(url: &str) -> Seeded {
    let mut db = Db::open(url).expect("open");
    let id1 = insert_person(&mut db, 1001, 140105, "张三丰", 11);
    let id2 = insert_person(&mut db, 1002, 140106, "李四", 23);
    db.exec(
        "INSERT INTO pensioners (person_id, county, retire_period, status, status_since, contribution_months, \
         monthly_fen, bank_code, bank_name, bank_account) \
         VALUES (1001, 140105, 202203, 'active', '2022-04-01', 396, 419436, '102', '工商银行', '6222021234567890')",
        &[],
    )
    .expect("insert pensioner");
    let op = Actor::operator("test");
    for (login, role, region, person) in [
        ("clerk", Role::CountyAgency, 140105, None),
        ("clerk2", Role::CountyAgency, 140106, None),
        ("auditor", Role::Auditor, 140000, None),
        ("approver", Role::ProvinceBureauApprover, 140000, None),
        ("citizen", Role::InsuredPerson, 140105, Some(1001)),
        ("sysadmin", Role::SystemAdmin, 140000, None),
        ("fin.officer", Role::FinanceOfficer, 140000, None),
        ("fin.approver", Role::FinanceApprover, 140000, None),
    ] {
        add_user(
            &mut db,
            &op,
            &NewUser {
                login,
                display_name: &format!("{login} 用户"),
                role,
                region: rc(region),
                person_id: person,
                password: PW,
            },
            &AuthPolicy::default(),
            tongchou_app::clock::now_ms(),
        )
        .expect("add user");
    }
    Seeded {
        p1: (1001, id1, "张三丰".into()),
        p2: (1002, id2, "李四".into()),
    }
}

/// A flexible worker's month of 小店区 assessed on `base_fen` (16 % to the pool, 8 % to the
/// account, due on 15 January of its year) and, if `paid`, paid on time.
fn flexible_month(db: &mut Db, person: i64, period: i64, base_fen: i64, paid: bool) {
    let (pooling, account) = (base_fen * 16 / 100, base_fen * 8 / 100);
    let due = format!("{}-01-15", period / 100);
    db.exec(
        "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, base_fen, \
         pooling_fen, account_fen, due_date, batch_id) VALUES ($1, $2, 140105, 0, 'flexible', $3, $3, $4, $5, $6, $2)",
        &[Val::I64(person), Val::I64(period), Val::I64(base_fen), Val::I64(pooling), Val::I64(account), Val::Str(&due)],
    )
    .expect("assessment");
    if paid {
        db.exec(
            "INSERT INTO applications_explicit (receipt, period, person_id, county, amount_fen, pooling_fen, account_fen, \
             days_late, late_fee_fen, batch_id) VALUES ($1, $2, $3, 140105, $4, $5, $6, 0, 0, $2)",
            &[
                Val::Str(&format!("R{person}-{period}")),
                Val::I64(period),
                Val::I64(person),
                Val::I64(pooling + account),
                Val::I64(pooling),
                Val::I64(account),
            ],
        )
        .expect("application");
    }
}

/// An insured man of 小店区 born 1965-01, 200 months paid to 2024 and all of 2024 paid.
pub fn insured(db: &mut Db) -> String {
    let idn = IdNumber::from_parts(rc(140105), Date::new(1965, 1, 10).expect("d"), 77);
    db.exec(
        "INSERT INTO persons (id, id_number, name, sex, birth, category, county, employer_id, payer_kind, \
         status, status_since, enrolled_on, declared_fen, as_of, paid_months, deemed_months, avg_index, balance_fen) \
         VALUES (2001, $1, '周退休', 'male', '1965-01-10', 'male', 140105, NULL, 'flexible', 'active', '2000-01-01', \
         '1993-01-01', 600000, 202401, 200, 96, 110000000, 8000000)",
        &[Val::Str(idn.as_str())],
    )
    .expect("person");
    db.exec(
        "INSERT INTO person_ids (id_number, person_id) VALUES ($1, 2001)",
        &[Val::Str(idn.as_str())],
    )
    .expect("id");
    for m in 1..=12i64 {
        flexible_month(db, 2001, 202400 + m, 600_000, true);
    }
    idn.as_str().to_string()
}

pub fn start(url: &str) -> tongchou_server::Background {
    start_with(url, |_| {})
}

/// [`start`] with the configuration changed by `change` first.
pub fn start_with(
    url: &str,
    change: impl FnOnce(&mut tongchou_server::Config),
) -> tongchou_server::Background {
    let mut cfg = tongchou_server::Config::new(url);
    cfg.secure_cookies = false; // plain HTTP on loopback in tests
    // a month run from the page writes its payment files under the build's temporary directory
    cfg.bank_files = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bank-files-{}", std::process::id()));
    change(&mut cfg);
    tongchou_server::spawn("127.0.0.1:0", cfg).expect("start server")
}

/// A staff member with the test password, scoped to `region`.
pub fn add_staff(
    db: &mut Db,
    login: &str,
    role: Role,
    region: u32,
) -> tongchou_core::access::Principal {
    add_user(
        db,
        &Actor::operator("test"),
        &NewUser {
            login,
            display_name: login,
            role,
            region: rc(region),
            person_id: None,
            password: PW,
        },
        &AuthPolicy::default(),
        tongchou_app::clock::now_ms(),
    )
    .expect("user")
    .principal()
}

/// Every county's synthetic paying account valid from `from`, set by `officer` and confirmed by a
/// provincial bureau reviewer (`acct.reviewer`, added here: maker–checker).
pub fn paying_accounts(
    db: &mut Db,
    officer: &tongchou_core::access::Principal,
    from: &str,
    now_ms: i64,
) {
    let reviewer = add_staff(db, "acct.reviewer", Role::ProvinceBureauApprover, 140000);
    tongchou_sim::accounts::register_all(db, officer, &reviewer, from.parse().expect("d"), now_ms)
        .expect("paying accounts");
}

/// Month options under which the finance department's decision is the one recorded by the
/// approver (the month waits for it), without simulated bank returns.
pub fn recorded(out: &std::path::Path) -> tongchou_app::disburse::MonthOptions {
    let mut o = tongchou_app::disburse::MonthOptions::new(out);
    o.decision = tongchou_app::disburse::PlanDecision::Recorded;
    o
}

/// On a [`seed`]ed database: the ledger's accounts, a provincial bureau officer (`officer`, whom
/// this returns) and a finance approver (`finance`), 1,000,000 yuan of provincial subsidy in the
/// provincial fiscal special account on 2022-06-01, and every county's paying account from
/// 2022-01-01: what a month of 2022 needs before it is run.
pub fn ready_for_month(db: &mut Db) -> tongchou_core::access::Principal {
    tongchou_store::ledger::Ledger::new(db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let officer = add_staff(db, "officer", Role::ProvinceBureauOfficer, 140000);
    add_staff(db, "finance", Role::FinanceApprover, 140000);
    tongchou_app::income::record(
        db,
        &tongchou_store::audit::Actor::operator("test"),
        tongchou_app::clock::now_ms(),
        &tongchou_app::income::Income {
            key: "subsidy/202206",
            region: rc(140000),
            kind: "subsidy-province",
            amount: tongchou_core::Fen::new(100_000_000),
            date: "2022-06-01".parse().expect("date"),
            reference: "test",
        },
    )
    .expect("income");
    paying_accounts(db, &officer, "2022-01-01", tongchou_app::clock::now_ms());
    officer
}

/// On a [`seed`]ed database, [`ready_for_month`], and the month 2022-06 run until it waits for
/// the finance department's decision on its fund-use application (4194.36 yuan: the seeded
/// pensioner of 140105).
pub fn seed_application(
    url: &str,
    out: &std::path::Path,
) -> (Db, tongchou_core::Policy, tongchou_app::disburse::Actors) {
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let mut db = Db::open(url).expect("open");
    let officer = ready_for_month(&mut db);
    let actors = tongchou_app::disburse::Actors {
        officer,
        approver: None,
    };
    let month = "2022-06".parse().expect("month");
    let first = tongchou_app::disburse::run_month(&mut db, &policy, month, &actors, &recorded(out))
        .expect("month until the decision");
    assert!(first.get("waiting").is_some(), "{first}");
    (db, policy, actors)
}

fn period(s: &str) -> tongchou_core::Period {
    s.parse().expect("period")
}

/// The seeded pensioner 1001 (male, born 1962-03, retired 2022-03): [`pensioner_record`] and
/// two payments of 2022-04 (one paid, one returned) written straight into the payroll, with no
/// ledger behind them (so no month can be run on it).
pub fn pensioner_history(db: &mut Db) -> tongchou_core::Fen {
    let total = pensioner_record(db);
    for (item, attempt, status, e2e) in [
        ("basic_pension", 1, "returned", "E2E-1"),
        ("basic_pension", 2, "paid", "E2E-2"),
    ] {
        db.exec(
            "INSERT INTO payroll_line_rows (month, person_id, item, attempt, county, amount_fen, end_to_end, msg_id, status, reissue_of, reason) \
             VALUES (202204, 1001, $1, $2, 140105, 419436, $3, 'M1', $4, NULL, NULL)",
            &[Val::Str(item), Val::I64(attempt), Val::Str(e2e), Val::Str(status)],
        )
        .expect("line");
    }
    total
}

/// The seeded pensioner 1001's award as the rule computes it, 2021's contributions (the last
/// month unpaid) and 2021's closed account year.
pub fn pensioner_record(db: &mut Db) -> tongchou_core::Fen {
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let input = tongchou_core::rules::pension::PensionInput {
        birth: period("1962-03"),
        category: tongchou_core::rules::retirement::Category::Male,
        retire: Some(period("2022-03")),
        paid_months: 300,
        deemed_months: 96,
        avg_index: tongchou_core::Ratio(115_000_000),
        deemed_index: tongchou_core::Ratio(115_000_000),
        account_balance: tongchou_core::Fen::new(12_000_000),
        benefit_base: Some(tongchou_core::Fen::new(650_000)),
        transition_coefficient: None,
    };
    let got = tongchou_core::rules::pension::pension(&policy, &input).expect("pension");
    tongchou_store::registry::write_pensions(db, &mut |push| {
        push(&tongchou_store::registry::PensionRow {
            person_id: 1001,
            effective_from: 202204,
            reason: "award",
            benefit_base_fen: 650_000,
            avg_index: 115_000_000,
            deemed_index: 115_000_000,
            paid_months: 300,
            deemed_months: 96,
            account_at_retirement_fen: 12_000_000,
            divisor_tenths: got.divisor_tenths,
            basic_fen: got.basic.fen(),
            account_fen: got.account.fen(),
            transitional_fen: got.transitional.fen(),
            adjustment_fen: 0,
        })
    })
    .expect("pension");
    let mut monthly = [tongchou_core::Fen::ZERO; 12];
    for m in 1..=12i64 {
        // the last month unpaid
        flexible_month(db, 1001, 202100 + m, 500_000, m < 12);
        if m < 12 {
            monthly[m as usize - 1] = tongchou_core::Fen::new(40_000);
        }
    }
    let (ye, _) = tongchou_core::rules::account::InterestTerms::at(&policy, 2021)
        .expect("terms")
        .explain(tongchou_core::Fen::new(11_000_000), &monthly);
    db.exec(
        "INSERT INTO account_years (person_id, year, opening_fen, contributions_fen, interest_opening_fen, \
         interest_contrib_fen, closing_fen, rate) VALUES (1001, 2021, $1, $2, $3, $4, $5, 'policy')",
        &[
            Val::I64(ye.opening.fen()),
            Val::I64(ye.contributions.fen()),
            Val::I64(ye.interest_on_opening.fen()),
            Val::I64(ye.interest_on_contributions.fen()),
            Val::I64(ye.closing.fen()),
        ],
    )
    .expect("year");
    got.total
}

/// On a [`seed`]ed database: the ledger's accounts, a provincial bureau officer (`officer`), the
/// city agencies of 太原 (`city.ty`, 140100) and 大同 (`city.dt`, 140200), the paying accounts,
/// and the month 2022-06 run by real agencies until it waits for the plans of 140105 小店区 and
/// 140100 太原市 (the seeded pensioner's county and city).
pub fn seed_chain(
    url: &str,
    out: &std::path::Path,
) -> (
    Db,
    tongchou_core::Policy,
    tongchou_app::disburse::Actors,
    tongchou_app::disburse::MonthOptions,
) {
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let mut db = Db::open(url).expect("open");
    tongchou_store::ledger::Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let officer = add_staff(&mut db, "officer", Role::ProvinceBureauOfficer, 140000);
    add_staff(&mut db, "city.ty", Role::CityAgency, 140100);
    add_staff(&mut db, "city.dt", Role::CityAgency, 140200);
    paying_accounts(&mut db, &officer, "2022-01-01", 0);
    let actors = tongchou_app::disburse::Actors {
        officer,
        approver: None,
    };
    let mut opts = recorded(out);
    opts.plans = tongchou_app::disburse::PlanSubmissions::Submitted;
    let month = "2022-06".parse().expect("month");
    let first =
        tongchou_app::disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("month");
    let why = first["waiting"]["for"].as_str().expect("waiting");
    assert!(
        why.contains("140105 小店区") && why.contains("140100 太原市"),
        "{why}"
    );
    (db, policy, actors, opts)
}

/// A province of 1,200 persons whose January and February 2020 were collected (by a tax bureau
/// that collects little, so the year has a gap) and paid, with historical balances; staff:
/// `officer` (provincial bureau), `finance` (finance officer), `auditor`, `clerk` (county
/// 140105), `city.ty` (city 140100).
pub fn seed_governance(url: &str, out: &std::path::Path) -> Db {
    use tongchou_app::collect::{self, ReceiptSource};
    use tongchou_sim::tax::{Behaviour, TaxBureau};
    let mut db = Db::open(url).expect("open");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons: 1200,
        employers: None,
        start: "2020-01".parse().expect("month"),
    })
    .expect("generate");
    tongchou_sim::load::write_province(&mut db, &p).expect("load");
    tongchou_store::ledger::Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let officer = add_staff(&mut db, "officer", Role::ProvinceBureauOfficer, 140000);
    let approver = add_staff(&mut db, "approver", Role::FinanceApprover, 140000);
    add_staff(&mut db, "finance", Role::FinanceOfficer, 140000);
    add_staff(&mut db, "auditor", Role::Auditor, 140000);
    add_staff(&mut db, "clerk", Role::CountyAgency, 140105);
    add_staff(&mut db, "city.ty", Role::CityAgency, 140100);
    paying_accounts(&mut db, &officer, "2000-01-01", 0);
    tongchou_sim::historical::seed(&mut db, 3, "2019-12-31".parse().expect("d")).expect("seed");
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour {
            late: 500,
            partial: 1_000,
            none: 6_000,
        },
    });
    let actors = tongchou_app::disburse::Actors {
        officer,
        approver: Some(approver),
    };
    for m in ["2020-01", "2020-02"] {
        let month: tongchou_core::Period = m.parse().expect("p");
        collect::run_month(&mut db, &policy, month, src).expect("collection");
        let mut opts = tongchou_app::disburse::MonthOptions::new(&out.join(m));
        opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
        tongchou_app::disburse::run_month(&mut db, &policy, month, &actors, &opts)
            .expect("disbursement");
    }
    db
}

/// What a government still owes of its gap shares of `year` as of `as_of` (yuan text).
pub fn gap_outstanding(db: &mut Db, year: i32, as_of: Date, region: i64) -> String {
    let v = tongchou_app::gap::show(db, year, as_of).expect("gap");
    let j = tongchou_app::gap::json(&v, None).expect("json");
    j["governments"]
        .as_array()
        .expect("governments")
        .iter()
        .find(|g| g["region"] == region)
        .map(|g| g["outstanding"].as_str().expect("text").to_string())
        .expect("the government bears a share")
}

/// Ready for a transfer out (转移接续): the standard ledger accounts, money in the provincial
/// fiscal special account, a provincial bureau officer `prov`, and the insured man of
/// [`insured`] (小店区) whose ID number is returned.
pub fn transfer_ready(url: &str) -> String {
    let mut db = Db::open(url).expect("open");
    tongchou_store::ledger::Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let officer = add_staff(&mut db, "prov", Role::ProvinceBureauOfficer, 140000);
    let subsidy = tongchou_app::income::Income {
        key: "voucher-1",
        region: tongchou_core::Divisions::shanxi().province().code,
        kind: "subsidy-province",
        amount: tongchou_core::Fen::new(1_000_000_000),
        date: Date::new(2025, 1, 2).expect("d"),
        reference: "test",
    };
    tongchou_app::income::record(&mut db, &Actor::of(&officer), 2, &subsidy).expect("income");
    insured(&mut db)
}

/// The Chinese characters of a page rendered in English apart from what comes from data: the
/// names of places, the users' display names (`… 用户`), the language switch's own name (中文)
/// and the strings of `data` (names, documents, reasons typed into the forms).
pub fn cjk_outside(body: &str, data: &[&str]) -> String {
    let mut s = body.to_string();
    let mut names: Vec<String> = tongchou_core::Divisions::shanxi()
        .all()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    names.extend(data.iter().map(|d| d.to_string()));
    names.extend(["用户".to_string(), ">中文<".to_string()]);
    // longest first, so that a county's name goes before a shorter one it contains
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for n in names {
        s = s.replace(&n, "");
    }
    s.chars()
        .filter(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'))
        .collect()
}

/// `paths` as `c` reads them in English (its language switched): each page has
/// `<html lang="en">` and no Chinese apart from `data` ([`cjk_outside`]); `c` reads Chinese again
/// afterwards.
pub fn in_english(c: &mut Client, paths: &[&str], data: &[&str]) {
    c.get("/lang?to=en&back=%2F");
    for p in paths {
        let r = c.get(p);
        assert!(r.body.contains("<html lang=\"en\">"), "{p}: {}", r.body);
        let found = cjk_outside(&r.body, data);
        assert!(
            found.is_empty(),
            "{p} in English holds {found:?}: {}",
            r.body
        );
    }
    c.get("/lang?to=zh-CN&back=%2F");
}

/// A file downloaded sealed for `key`: another key cannot open it; `key` opens it, every chunk
/// authenticated; the plain bytes.
#[allow(dead_code)]
pub fn opened(key: &tongchou_store::backup::MasterKey, sealed: &[u8]) -> Vec<u8> {
    use tongchou_store::backup::{MasterKey, OpenReader};
    let (other, _) = MasterKey::generate("another").expect("key");
    assert!(
        OpenReader::new(&other, sealed).is_err(),
        "another key opens it"
    );
    let mut plain = Vec::new();
    std::io::copy(&mut OpenReader::new(key, sealed).expect("open"), &mut plain)
        .expect("read sealed");
    plain
}
