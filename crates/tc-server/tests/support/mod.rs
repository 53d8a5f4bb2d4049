//! Test support: a tiny HTTP/1.1 client over std TcpStream, a cookie jar, and a seeded database.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
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

fn dechunk(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = raw;
    loop {
        let Some(pos) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..pos]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[pos + 2..pos + 2 + size]);
        rest = &rest[pos + 2 + size + 2..];
    }
}

/// A client with a cookie jar (name -> value), like a browser for one site.
pub struct Client {
    pub addr: SocketAddr,
    pub cookies: HashMap<String, String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            cookies: HashMap::new(),
        }
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &str,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(ct) = content_type {
            req.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("write");
        // read the head, then exactly Content-Length bytes (or to EOF without one): some
        // servers (chromedriver) keep the connection open despite `Connection: close`
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let split = loop {
            if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = s.read(&mut buf).expect("read");
            assert!(n > 0, "connection closed before the response head");
            raw.extend_from_slice(&buf[..n]);
        };
        let head_text = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let length: Option<usize> = head_text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok());
        match length {
            Some(len) => {
                while raw.len() < split + 4 + len {
                    let n = s.read(&mut buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    raw.extend_from_slice(&buf[..n]);
                }
            }
            None => {
                s.read_to_end(&mut raw).expect("read");
            }
        }
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        let resp = Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
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

    pub fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, None, "", &[])
    }

    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect();
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            &body.join("&"),
            &[],
        )
    }

    pub fn post_json(&mut self, path: &str, body: &serde_json::Value, csrf: Option<&str>) -> Resp {
        let extra: Vec<(&str, &str)> = csrf.map(|c| vec![("X-CSRF-Token", c)]).unwrap_or_default();
        self.request(
            "POST",
            path,
            Some("application/json"),
            &body.to_string(),
            &extra,
        )
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

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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
/// approver (province bureau approver), citizen (insured person = p1), sysadmin.
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

pub fn start(url: &str) -> tongchou_server::Background {
    let mut cfg = tongchou_server::Config::new(url);
    cfg.secure_cookies = false; // plain HTTP on loopback in tests
    tongchou_server::spawn("127.0.0.1:0", cfg).expect("start server")
}

/// Month options under which the finance department's decision is the one recorded by the
/// approver (the month waits for it), without simulated bank returns.
pub fn recorded(out: &std::path::Path) -> tongchou_app::disburse::MonthOptions {
    let mut o = tongchou_app::disburse::MonthOptions::new(out);
    o.decision = tongchou_app::disburse::PlanDecision::Recorded;
    o
}

/// On a [`seed`]ed database: the ledger's accounts, a provincial bureau officer (`officer`) and a
/// finance approver (`finance`), money in the provincial fiscal special account, and the month
/// 2022-06 run until it waits for the finance department's decision on its fund-use application
/// (4194.36 yuan: the seeded pensioner of 140105).
pub fn seed_application(
    url: &str,
    out: &std::path::Path,
) -> (Db, tongchou_core::Policy, tongchou_app::disburse::Actors) {
    let policy = tongchou_core::Policy::builtin().expect("policy");
    let mut db = Db::open(url).expect("open");
    tongchou_store::ledger::Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    for (login, role) in [
        ("officer", Role::ProvinceBureauOfficer),
        ("finance", Role::FinanceApprover),
    ] {
        add_user(
            &mut db,
            &Actor::operator("test"),
            &NewUser {
                login,
                display_name: login,
                role,
                region: rc(140000),
                person_id: None,
                password: PW,
            },
            &AuthPolicy::default(),
            tongchou_app::clock::now_ms(),
        )
        .expect("user");
    }
    tongchou_app::income::record(
        &mut db,
        "subsidy/202206",
        rc(140000),
        "subsidy-province",
        tongchou_core::Fen(100_000_000),
        "2022-06-01".parse().expect("date"),
        "test",
    )
    .expect("income");
    let officer = tongchou_store::access::get_user(&mut db, "officer")
        .expect("q")
        .expect("officer")
        .principal();
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
