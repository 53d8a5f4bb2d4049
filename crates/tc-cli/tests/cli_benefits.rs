//! Runs the real `tongchou` binary for `retire`, `deaths`, `crosscheck` and `benefits`, on SQLite
//! and PostgreSQL: an application by a county agency, the submitter's own approval refused, the
//! approval by the provincial bureau, a death imported and cross-checked, the settlement awaiting
//! a survivor's claim, bad claims refused by field, the claim and its dues, the report by county,
//! the yearly adjustment and its arrears due; a claimed settlement paid by the monthly cycle to
//! the claimant's account.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use tongchou_core::access::Role;
use tongchou_core::{Date, IdNumber, RegionCode};
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::registry::{self, PensionRow, PensionerRow, PersonRow};
use tongchou_store::{Db, testing};

const PW: &str = "a long enough passphrase";
/// The master key of these runs (field encryption, docs/CRYPTO.md): the survivors' claims are
/// stored encrypted and the payroll pays from the decrypted account.
const MASTER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn run(db: &str, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tongchou"));
    cmd.args(args)
        .env("TONGCHOU_DB", db)
        .env_remove("TONGCHOU_PASSWORD")
        .env_remove("TONGCHOU_MASTER_KEY_FILE")
        .env("TONGCHOU_MASTER_KEY", MASTER_KEY)
        .env("USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("TONGCHOU_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("spawn tongchou");
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

fn ok(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json output")
}

/// The demo users' password (`tongchou demo` creates demo.officer and the others with it).
fn tongchou_cli_demo_password() -> &'static str {
    "demo-only-password-2020"
}

fn fails(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected a failure");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains(needle), "stderr {e:?} should contain {needle:?}");
}

fn seed(url: &str) -> (String, String) {
    let mut db = Db::open(url).expect("open");
    for (login, role, region) in [
        ("clerk.xd", Role::CountyAgency, 140105),
        ("approver", Role::ProvinceBureauApprover, 140000),
    ] {
        add_user(
            &mut db,
            &Actor::operator("cli:test"),
            &NewUser {
                login,
                display_name: login,
                role,
                region: RegionCode::new(region).expect("region"),
                person_id: None,
                password: PW,
            },
            &AuthPolicy::default(),
            1_767_225_600_000,
        )
        .expect("user");
    }
    let county = RegionCode::new(140105).expect("county");
    let applicant = IdNumber::from_parts(county, "1965-01-10".parse::<Date>().expect("d"), 11);
    let retiree = IdNumber::from_parts(county, "1958-03-03".parse::<Date>().expect("d"), 12);
    registry::write_persons(&mut db, &mut |push| {
        for (id, idn, birth, status) in [
            (1, applicant.as_str(), "1965-01-10", "active"),
            (2, retiree.as_str(), "1958-03-03", "retired"),
        ] {
            push(&PersonRow {
                id,
                id_number: idn,
                name: "李四",
                sex: "male",
                birth,
                category: "male",
                county: 140105,
                employer_id: None,
                payer_kind: "flexible",
                status,
                status_since: "2000-01-01",
                enrolled_on: "1990-01-01",
                declared_fen: 600_000,
                as_of: 202401,
                paid_months: 240,
                deemed_months: 60,
                avg_index: 100_000_000,
                balance_fen: 9_000_000,
            })?;
        }
        Ok(())
    })
    .expect("persons");
    let mut ids = vec![(applicant.as_str(), 1), (retiree.as_str(), 2)];
    ids.sort();
    registry::write_person_ids(&mut db, &mut |push| {
        for r in &ids {
            push(r)?;
        }
        Ok(())
    })
    .expect("ids");
    registry::write_pensioners(&mut db, &mut |push| {
        push(&PensionerRow {
            person_id: 2,
            county: 140105,
            retire_period: 201803,
            status: "active",
            status_since: "2018-04-01",
            contribution_months: 360,
            monthly_fen: 300_000,
            bank_code: "ICBC",
            bank_name: "中国工商银行",
            bank_account: "6222020200112233445",
        })
    })
    .expect("pensioner");
    registry::write_pensions(&mut db, &mut |push| {
        push(&PensionRow {
            person_id: 2,
            effective_from: 201804,
            reason: "award",
            benefit_base_fen: 538_300,
            avg_index: 100_000_000,
            deemed_index: 100_000_000,
            paid_months: 300,
            deemed_months: 60,
            account_at_retirement_fen: 6_950_000,
            divisor_tenths: 1390,
            basic_fen: 200_000,
            account_fen: 50_000,
            transitional_fen: 50_000,
            adjustment_fen: 0,
        })
    })
    .expect("pension");
    (applicant.as_str().to_string(), retiree.as_str().to_string())
}

fn benefits_commands(db: &str) {
    let (applicant, retiree) = seed(db);
    // the seed was written without the master key: `keys convert` seals its ID numbers and
    // account and turns `person_ids` into blind indexes (else the keyed cross-check below
    // would not find the plain rows)
    let conv = ok(&run(db, &["keys", "convert", "--batch", "1"], None));
    assert_eq!(conv["changed"]["persons.id_number"], 2, "{conv}");
    assert_eq!(conv["changed"]["person_ids.id_number"], 2, "{conv}");
    assert_eq!(conv["changed"]["pensioners.bank_account"], 1, "{conv}");
    let status = ok(&run(db, &["keys", "status"], None));
    assert_eq!(
        status["not_under_current"],
        serde_json::json!({}),
        "{status}"
    );
    let due = ok(&run(db, &["retire", "due", "--month", "2025-02"], None));
    assert_eq!(due.as_array().map(|a| a.len()), Some(1));
    assert_eq!(due[0]["person"], 1);

    let apply = |login: &str, password: &str| {
        run(
            db,
            &[
                "retire",
                "apply",
                "--id-number",
                &applicant,
                "--bank-code",
                "ICBC",
                "--bank-name",
                "中国工商银行",
                "--bank-account",
                "6222 0202 0011 2233 999",
                "--as",
                login,
            ],
            Some(password),
        )
    };
    fails(&apply("clerk.xd", "wrong password!"), "用户名或密码错误");
    let a = ok(&apply("clerk.xd", PW));
    assert_eq!(a["status"], "pending");
    assert_eq!(a["bank_account"], "****3999");
    assert_eq!(a["refusals"].as_array().map(|r| r.len()), Some(0));
    let id = a["id"].as_i64().expect("id").to_string();

    // the submitter may not approve their own application
    fails(
        &run(
            db,
            &[
                "retire",
                "decide",
                "--id",
                &id,
                "--approve",
                "--as",
                "clerk.xd",
            ],
            Some(PW),
        ),
        "不能审批本人提交",
    );
    fails(
        &run(
            db,
            &["retire", "decide", "--id", &id, "--as", "approver"],
            Some(PW),
        ),
        "--approve",
    );
    let d = ok(&run(
        db,
        &[
            "retire",
            "decide",
            "--id",
            &id,
            "--approve",
            "--note",
            "同意",
            "--as",
            "approver",
        ],
        Some(PW),
    ));
    assert_eq!(d["application"]["status"], "approved");
    let total = d["award"]["pension"]["total"].as_str().expect("total");
    assert!(total.parse::<f64>().is_ok_and(|t| t > 1000.0), "{total}");
    let list = ok(&run(db, &["retire", "list", "--status", "approved"], None));
    assert_eq!(list.as_array().map(|a| a.len()), Some(1));
    fails(
        &run(db, &["retire", "list", "--status", "maybe"], None),
        "状态 \"maybe\" 应为",
    );

    // the yearly adjustment of 2025 raises the 2018 retiree, with arrears due in July
    let adj = ok(&run(db, &["benefits", "adjust", "--year", "2025"], None));
    assert_eq!(adj["adjusted"], 1);
    assert_eq!(adj["month"], "2025-07");
    let due = ok(&run(db, &["benefits", "due", "--month", "2025-07"], None));
    assert_eq!(due["lines"][0]["item"], "adjustment_arrears");
    fails(
        &run(db, &["benefits", "adjust", "--year", "2025"], None),
        "调待已经运行",
    );

    // the retiree dies; the cross-check suspends and settles, due the next month
    let dir = std::env::temp_dir().join("tongchou-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join(format!("deaths-{}.csv", std::process::id()));
    let mut f = std::fs::File::create(&file).expect("file");
    writeln!(f, "身份证号码,死亡日期,来源\n{retiree},2025-08-03,民政").expect("write");
    drop(f);
    let path = file.to_string_lossy().into_owned();
    // only an authenticated staff member acts, and only one whose role may
    fails(
        &run(db, &["deaths", "import", "--file", &path], None),
        "缺少必需的参数",
    );
    fails(
        &run(
            db,
            &["deaths", "import", "--file", &path, "--as", "approver"],
            Some(PW),
        ),
        "无权导入死亡信息",
    );
    let clerk = ["--as", "clerk.xd"];
    let s = ok(&run(
        db,
        &[&["deaths", "import", "--file", &path][..], &clerk].concat(),
        Some(PW),
    ));
    assert_eq!(s["new"], 1);
    fails(
        &run(
            db,
            &[&["deaths", "import", "--file", &path][..], &clerk].concat(),
            Some(PW),
        ),
        "该文件已导入过",
    );
    let r = ok(&run(
        db,
        &[&["crosscheck", "run", "--month", "2025-08"][..], &clerk].concat(),
        Some(PW),
    ));
    assert_eq!(r["suspended"], 1);
    // nothing is due until a survivor claims the settlement
    let due = ok(&run(db, &["benefits", "due", "--month", "2025-09"], None));
    assert_eq!(due["lines"].as_array().map(|l| l.len()), Some(0));
    let waiting = ok(&run(
        db,
        &["deaths", "awaiting", "--county", "140105"],
        None,
    ));
    assert_eq!(waiting["settlements"][0]["person"], 2);
    assert_eq!(waiting["settlements"][0]["died"], "2025-08-03");
    assert_eq!(waiting["settlements"][0]["due_month"], "2025-09");
    assert_eq!(waiting["total"], waiting["settlements"][0]["total"]);
    let elsewhere = ok(&run(
        db,
        &["deaths", "awaiting", "--county", "140106"],
        None,
    ));
    assert_eq!(
        elsewhere["settlements"].as_array().map(|l| l.len()),
        Some(0)
    );
    let county = RegionCode::new(140105).expect("county");
    let spouse = IdNumber::from_parts(county, "1960-07-07".parse::<Date>().expect("d"), 22);
    let claim = |person: &str, id_number: &str, relation: &str, account: &str, on: &str| {
        run(
            db,
            &[
                "deaths",
                "claim",
                "--person",
                person,
                "--name",
                "王秀珍",
                "--id-number",
                id_number,
                "--relation",
                relation,
                "--bank-code",
                "BOC",
                "--bank-name",
                "中国银行",
                "--account",
                account,
                "--filed-on",
                on,
                "--as",
                "clerk.xd",
            ],
            Some(PW),
        )
    };
    let good_account = "6216 6100 0000 1234 567";
    let mut bad_check = spouse.as_str().to_string();
    let last = if bad_check.ends_with('1') { '2' } else { '1' };
    bad_check.pop();
    bad_check.push(last);
    for (o, needle) in [
        (
            claim("2", &bad_check, "spouse", good_account, "2025-08-20"),
            "身份证号：校验位是",
        ),
        (
            claim("2", &retiree, "spouse", good_account, "2025-08-20"),
            "这是死者本人的身份证号",
        ),
        (
            claim("2", spouse.as_str(), "spouse", "6216-6100", "2025-08-20"),
            "银行账号：",
        ),
        (
            claim("2", spouse.as_str(), "cousin", good_account, "2025-08-20"),
            "关系 \"cousin\" 应为",
        ),
        (
            claim("1", spouse.as_str(), "spouse", good_account, "2025-08-20"),
            "没有丧葬抚恤待遇核定",
        ),
        (
            claim("2", spouse.as_str(), "spouse", good_account, "2999-01-01"),
            "--filed-on",
        ),
    ] {
        fails(&o, needle);
    }
    let due = ok(&run(db, &["benefits", "due", "--month", "2025-09"], None));
    assert_eq!(due["lines"].as_array().map(|l| l.len()), Some(0));
    let c = ok(&claim(
        "2",
        spouse.as_str(),
        "spouse",
        good_account,
        "2025-08-20",
    ));
    assert_eq!(c["due_month"], "2025-09");
    assert_eq!(c["claimant"], "王秀珍");
    assert_eq!(c["relation"], "spouse");
    assert_eq!(c["bank_account"], "****4567");
    assert_eq!(c["filed_by"], "clerk.xd");
    assert_eq!(c["items"].as_array().map(|l| l.len()), Some(3));
    fails(
        &claim("2", spouse.as_str(), "child", good_account, "2025-08-21"),
        "已于 2025-08-20 申领",
    );
    let due = ok(&run(db, &["benefits", "due", "--month", "2025-09"], None));
    assert_eq!(due["lines"].as_array().map(|l| l.len()), Some(3));
    assert_eq!(due["total"], c["total"]);
    let waiting = ok(&run(db, &["deaths", "awaiting"], None));
    assert_eq!(waiting["settlements"].as_array().map(|l| l.len()), Some(0));
    let rep = ok(&run(
        db,
        &["report", "crosscheck", "--format", "json"],
        None,
    ));
    assert_eq!(rep["rows"][0]["county"], "140105");
    assert_eq!(rep["rows"][0]["county_name"], "小店区");
    assert_eq!(rep["rows"][0]["settlements"], 1);
    assert_eq!(rep["total"]["deaths_pensioners"], 1);
    assert_eq!(rep["death_records"], 1);
    let table = run(db, &["report", "crosscheck"], None);
    assert!(table.status.success());
    let t = String::from_utf8_lossy(&table.stdout);
    assert!(t.contains("小店区") && t.contains("合计"), "{t}");
    let _ = std::fs::remove_file(&file);
}

/// A death found by the cross-check in December is settled by January's payroll of the monthly
/// cycle (`month run`), and the dead pensioner's pension is no longer paid.
fn settled_by_the_payroll(db: &str, tag: &str) {
    let out = std::env::temp_dir().join(format!("tc-benefits-{tag}-{}", std::process::id()));
    let out_s = out.display().to_string();
    let setup = run(
        db,
        &[
            "demo",
            "--persons",
            "1500",
            "--from",
            "2020-01",
            "--setup-only",
            "--direct",
        ],
        None,
    );
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let (person, id_number, county, own_account) = {
        // the demo wrote them encrypted: read them back through the decrypting reads
        let mut d = Db::open(db).expect("open");
        let master = tongchou_store::keys::MasterKey::from_hex(MASTER_KEY, "test").expect("master");
        tongchou_store::keys::load(&mut d, &master).expect("keyring");
        let r = d
            .query_opt(
                "SELECT n.person_id, n.county FROM pensioners n \
                 WHERE n.status = 'active' AND n.retire_period < 201911 ORDER BY n.person_id LIMIT 1",
                &[],
            )
            .expect("q")
            .expect("a pensioner");
        let person = r[0].i64().expect("id");
        let rec = registry::person_record(&mut d, person)
            .expect("q")
            .expect("person");
        let pension = registry::pension_record(&mut d, person)
            .expect("q")
            .expect("pension");
        (
            person,
            rec.id_number,
            r[1].i64().expect("county"),
            pension.bank_account,
        )
    };
    let file = out.with_extension("csv");
    std::fs::write(
        &file,
        format!("id_number,died,source\n{id_number},2019-12-15,公安\n"),
    )
    .expect("file");
    let officer = ["--as", "demo.officer"];
    let pw = Some(tongchou_cli_demo_password());
    ok(&run(
        db,
        &[
            &["deaths", "import", "--file", &file.display().to_string()][..],
            &officer,
        ]
        .concat(),
        pw,
    ));
    let r = ok(&run(
        db,
        &[&["crosscheck", "run", "--month", "2019-12"][..], &officer].concat(),
        pw,
    ));
    assert_eq!(r["suspended"], 1);
    // the daughter claims the settlement in December
    let county = RegionCode::new(u32::try_from(county).expect("county")).expect("county");
    let daughter = IdNumber::from_parts(county, "1985-10-10".parse::<Date>().expect("d"), 64);
    let claimant_account = "6228480000000000017";
    let c = ok(&run(
        db,
        &[
            "deaths",
            "claim",
            "--person",
            &person.to_string(),
            "--name",
            "刘晓燕",
            "--id-number",
            daughter.as_str(),
            "--relation",
            "child",
            "--bank-code",
            "ABC",
            "--bank-name",
            "中国农业银行",
            "--account",
            claimant_account,
            "--filed-on",
            "2019-12-20",
            "--as",
            "demo.officer",
        ],
        pw,
    ));
    assert_eq!(c["due_month"], "2020-01");
    // stored encrypted: neither the claimant's account nor her ID number in the table's text
    let mut raw = Db::open(db).expect("open without the master key");
    let stored = raw
        .query(
            "SELECT claimant_id_number, bank_account FROM survivor_claims WHERE person_id = $1",
            &[tongchou_store::Val::I64(person)],
        )
        .expect("claim row");
    let stored: Vec<String> = stored[0]
        .iter()
        .map(|v| v.text().expect("text").to_string())
        .collect();
    assert!(
        stored.iter().all(|t| t.starts_with('S')
            && !t.contains(claimant_account)
            && !t.contains(daughter.as_str())),
        "{stored:?}"
    );
    drop(raw);
    let due = ok(&run(db, &["benefits", "due", "--month", "2020-01"], None));
    let want: Vec<(String, String)> = due["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["item"].as_str().expect("item").to_string(),
                l["amount"].as_str().expect("amount").to_string(),
            )
        })
        .collect();
    assert!(want.len() >= 2, "{due}");
    let m = run(
        db,
        &[
            "month",
            "run",
            "--period",
            "2020-01",
            "--simulate",
            "5",
            "--out",
            &out_s,
        ],
        None,
    );
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let mut d = Db::open(db).expect("open");
    let lines = d
        .query(
            "SELECT item, amount_fen FROM payroll_lines WHERE month = 202001 AND person_id = $1 AND attempt = 0 ORDER BY item",
            &[tongchou_store::Val::I64(person)],
        )
        .expect("lines");
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l[0].text().expect("item").to_string(),
                tongchou_core::Fen::new(l[1].i64().expect("amount")).to_string(),
            )
        })
        .collect();
    let mut want = want;
    want.sort();
    assert_eq!(
        got, want,
        "the settlement is paid once and the pension stopped"
    );
    // the payment files (CSV: message, end-to-end id, account, name, amount, remittance) pay the
    // settlement to the claimant, never to the deceased's account
    let files = d
        .query(
            "SELECT csv_path, xml_path FROM payment_files WHERE month = 202001 ORDER BY msg_id",
            &[],
        )
        .expect("files");
    let (mut rows, mut in_xml) = (0, 0);
    for f in &files {
        let csv = std::fs::read_to_string(f[0].text().expect("csv")).expect("csv file");
        let xml = std::fs::read_to_string(f[1].text().expect("xml")).expect("xml file");
        assert!(!csv.contains(&own_account) && !xml.contains(&own_account));
        for row in csv.lines().filter(|r| r.contains(claimant_account)) {
            assert_eq!(row.split(',').nth(3), Some("刘晓燕"), "{row}");
            rows += 1;
        }
        in_xml += xml.matches(claimant_account).count();
    }
    assert_eq!((rows, in_xml), (want.len(), want.len()));
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn settled_by_the_payroll_on_sqlite() {
    settled_by_the_payroll(&testing::sqlite_url("cli_benefits_month"), "sqlite");
}

#[test]
fn settled_by_the_payroll_on_postgres() {
    settled_by_the_payroll(&testing::pg_url("cli_benefits_month"), "pg");
}

#[test]
fn benefits_cli_on_sqlite() {
    benefits_commands(&testing::sqlite_url("cli_benefits"));
}

#[test]
fn benefits_cli_on_postgres() {
    benefits_commands(&testing::pg_url("cli_benefits"));
}
