//! `tongchou import` and `tongchou report` through the real binary, on SQLite and PostgreSQL.
//!
//! One story per backend: employers and persons imported (the same file again changes nothing);
//! every file of the malformed corpus of tongchou-import (and files whose rows fail only against
//! the database) refused with exactly the expected `row N, column C: reason` lines, the database
//! unchanged (every table compared before and after); declarations and the tax bureau's receipts
//! imported; the collection of the month run on them (tongchou_app::collect::run_month);
//! then the collection and arrears reports compared with the snapshots in tests/snapshots/.

mod common;
use common::matches_snapshot;
use std::path::PathBuf;
use std::process::{Command, Output};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_core::{Date, IdNumber, Policy, RegionCode};
use tongchou_store::{Backend, Db, Row, testing};

const TODAY: &str = "2026-11-27";

fn tongchou(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args(args)
        .env("TONGCHOU_DB", db)
        .env("USER", "tester")
        .output()
        .expect("run tongchou")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(o)
}

fn corpus(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tc-import/tests/corpus")
        .join(name)
        .display()
        .to_string()
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
        .display()
        .to_string()
}

fn import(db: &str, kind: &str, file: &str) -> Output {
    tongchou(db, &["import", kind, "--file", file, "--today", TODAY])
}

/// Every table with all its rows, sorted, but the audit log (which records refusals too): equal
/// before and after means no data changed.
fn snapshot(url: &str) -> Vec<(String, Vec<Row>)> {
    let mut db = Db::connect(url).expect("connect");
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let tables: Vec<String> = db
        .query(sql, &[])
        .expect("tables")
        .into_iter()
        .map(|r| r[0].text().expect("name").to_string())
        .filter(|t| t != "audit_log")
        .collect();
    assert!(tables.len() > 20, "{tables:?}");
    tables
        .into_iter()
        .map(|t| {
            let mut rows = db.query(&format!("SELECT * FROM {t}"), &[]).expect(&t);
            rows.sort();
            (t, rows)
        })
        .collect()
}

fn backend_tag(db: &str) -> &'static str {
    if db.starts_with("sqlite") {
        "sqlite"
    } else {
        "pg"
    }
}

fn count(url: &str, sql: &str) -> i64 {
    Db::connect(url)
        .expect("connect")
        .query_i64(sql, &[])
        .expect(sql)
}

/// The file is refused with exactly these lines on standard error (the total last), exit 1,
/// and the database is left exactly as it was but for the audit row recording the refusal.
fn refused(db: &str, kind: &str, file: &str, want: &[&str]) {
    let before = snapshot(db);
    let audited =
        "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'failed'";
    let refusals = count(db, audited);
    let o = import(db, kind, file);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{file}: {err}");
    assert_eq!(stdout(&o), "", "{file}");
    let got: Vec<&str> = err.lines().collect();
    assert_eq!(got, want, "{file}");
    assert!(snapshot(db) == before, "{file}: the database changed");
    assert_eq!(
        count(db, audited),
        refusals + 1,
        "{file}: the refusal is audited"
    );
}

fn templates(db: &str) {
    for (kind, want) in [
        (
            "persons",
            "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期,户籍所在地代码\n",
        ),
        (
            "employers",
            "统一社会信用代码,单位名称,所属区县代码,行业代码,单位状态\n",
        ),
        (
            "declarations",
            "单位统一社会信用代码,身份证号,姓名,所属期,申报基数\n",
        ),
        (
            "collections",
            "缴费人识别号,身份证号,姓名,费款所属期,实缴金额,缴款日期,电子税票号码\n",
        ),
        ("deaths", "身份证号码,死亡日期,来源\n"),
        ("rolls", "身份证号码,发放月份\n"),
    ] {
        assert_eq!(ok(&tongchou(db, &["import", "template", kind])), want);
    }
    let o = tongchou(db, &["import", "template", "pensions"]);
    assert_eq!(o.status.code(), Some(2));
}

fn seed_registry(db: &str) {
    ok(&tongchou(db, &["ledger", "init"]));
    let out = ok(&import(db, "employers", &fixture("employers.csv")));
    assert!(
        out.starts_with("已导入参保单位 3 行：employers.csv，导入编号 1（CSV (UTF-8)，sha256 "),
        "{out}"
    );
    let before = snapshot(db);
    let again = ok(&import(db, "employers", &fixture("employers.csv")));
    assert!(again.starts_with("此文件已于 20"), "{again}");
    assert!(
        again.ends_with("导入（导入编号 1，employers.csv，3 行，导入人 cli:console）：未作更改\n"),
        "{again}"
    );
    assert!(
        snapshot(db) == before,
        "a second import changed the database"
    );

    let out = ok(&import(db, "persons", &corpus("persons_ok_utf8_bom.csv")));
    assert!(
        out.starts_with("已导入参保人员 3 行：persons_ok_utf8_bom.csv，导入编号 2"),
        "{out}"
    );
    let mut conn = Db::connect(db).expect("connect");
    let persons = conn
        .query(
            "SELECT p.id, p.name, p.county, COALESCE(e.credit_code, ''), p.payer_kind, p.status, p.enrolled_on, p.category \
             FROM persons p LEFT JOIN employers e ON e.id = p.employer_id ORDER BY p.id",
            &[],
        )
        .expect("persons");
    let persons: Vec<String> = persons
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    tongchou_store::Value::I64(i) => i.to_string(),
                    tongchou_store::Value::Text(t) => t.clone(),
                    tongchou_store::Value::Null => "NULL".into(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert_eq!(
        persons,
        [
            "1|王建国|140105|91140105MA0K7Q2L9U|employee|active|2002-07-01|male",
            // 140202 (大同 城区) was retired: handled by 平城区
            "2|李秀英|140213||flexible|active|2010-03-15|female-cadre",
            "3|赵,小明|140781|911402021234567889|employee|active|2015-09-01|male",
        ]
    );
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM person_ids i JOIN persons p ON p.id = i.person_id AND p.id_number = i.id_number"
        ),
        3
    );
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM person_events WHERE seq = 1 AND kind = 'enrol' AND status = 'active'"
        ),
        3
    );
    // the same persons in GBK: other bytes, so not "already imported", but all registered
    refused(
        db,
        "persons",
        &corpus("persons_ok_gbk.csv"),
        &[
            "第 2 行 身份证号：已登记（参保人 1，王建国）",
            "第 3 行 身份证号：已登记（参保人 2，李秀英）",
            "第 4 行 身份证号：已登记（参保人 3，赵,小明）",
            "文件未导入：3 行数据中有 3 行有问题，共 3 处",
        ],
    );
}

fn malformed_corpus(db: &str) {
    refused(
        db,
        "persons",
        &corpus("persons_bad.csv"),
        &[
            "第 2 行 身份证号：已登记（参保人 1，王建国）",
            "第 3 行 身份证号：校验位是 '1'，按前 17 位应为 '0'",
            "第 4 行 参保区县代码：140999 不是山西省现行或已撤销的区县级代码",
            "第 5 行 参保区县代码：不是本省的区县代码：110105 不在 山西省（140000）",
            "第 6 行 性别：女 与身份证号不符（身份证号为 男）",
            "第 6 行 人员类别：人员类别「女干部」与身份证号所示性别（男）不符",
            "第 7 行 单位统一社会信用代码：职工须填写单位统一社会信用代码",
            "第 8 行 单位统一社会信用代码：灵活就业人员不填单位",
            "第 9 行 参保日期：日期晚于今天：2027-01-01（今天是 2026-11-27）",
            "第 10 行：与第 2 行重复（身份证号相同）",
            "第 11 行 身份证号：校验位应为大写 X",
            "第 12 行 人员类别：人员类别应为 男、女干部 或 女工人：\"干部\"",
            "第 13 行 出生日期：1988-08-09 与身份证号不符（身份证号为 1988-08-08）",
            "第 14 行 单位统一社会信用代码：校验位是 'A'，按前 17 位应为 'U'",
            "第 15 行 姓名：必填",
            "第 15 行 参保区县代码：140100 是市级代码（太原市），请填区县代码",
            "第 15 行 参保日期：1980-01-01 早于出生日期 1988-08-08",
            "文件未导入：14 行数据中有 14 行有问题，共 17 处",
        ],
    );
    // the same file for a reader of English (TONGCHOU_LANG=en): every problem in English, the
    // columns named as the file heads them
    let o = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args([
            "import",
            "persons",
            "--file",
            &corpus("persons_bad.csv"),
            "--today",
            TODAY,
        ])
        .env("TONGCHOU_DB", db)
        .env("USER", "tester")
        .env("TONGCHOU_LANG", "en")
        .output()
        .expect("run tongchou");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "row 2, 身份证号: already registered (person 1, 王建国)",
            "row 3, 身份证号: check character is '1' but the first 17 digits give '0'",
            "row 4, 参保区县代码: 140999 is not a county-level code of 山西省, current or retired",
        ],
        "{err}"
    );
    assert_eq!(lines[14], "row 15, 姓名: is required", "{err}");
    assert_eq!(
        lines.last().copied(),
        Some("file refused, nothing imported: 17 problem(s) in 14 of 14 data row(s)"),
        "{err}"
    );
    refused(
        db,
        "persons",
        &corpus("persons_wrong_header.csv"),
        &[
            "第 1 行 工号：「参保人员」文件中没有这一列（应为：身份证号、姓名、性别、出生日期、人员类别、参保区县代码、单位统一社会信用代码、缴费类型、参保日期、户籍所在地代码）",
            "第 1 行 id_number：列重复（第 1 列和第 6 列都是 身份证号）",
            "第 1 行 参保日期：缺少必需的列（也可写作 enrolled）",
            "文件未导入：表头或结构有 3 处问题",
        ],
    );
    // a declarations file given as persons
    let o = import(db, "persons", &corpus("declarations_bad_gbk.csv"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.starts_with("第 1 行 所属期：「参保人员」文件中没有这一列"),
        "{err}"
    );
    assert!(
        err.ends_with("文件未导入：表头或结构有 6 处问题\n"),
        "{err}"
    );
    for (file, reason) in [
        ("empty.csv", "文件为空：第一行应为表头"),
        ("blank_rows.csv", "文件为空：第一行应为表头"),
        (
            "utf16.csv",
            "文件是 UTF-16 编码，请另存为 CSV（UTF-8 或 GBK）或 XLSX",
        ),
        (
            "old_binary.xls",
            "这是旧版二进制 Excel 文件（.xls）：请另存为 .xlsx 或 CSV",
        ),
    ] {
        refused(
            db,
            "persons",
            &corpus(file),
            &[
                &format!("文件：{reason}"),
                "文件未导入：表头或结构有 1 处问题",
            ],
        );
    }
    refused(
        db,
        "persons",
        &corpus("persons_openpyxl.xlsx"),
        &[
            "第 2 行 身份证号：已登记（参保人 1，王建国）",
            "第 3 行 身份证号：已登记（参保人 2，李秀英）",
            "第 4 行 身份证号：身份证号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
            "第 5 行 参保区县代码：140999 不是山西省现行或已撤销的区县级代码",
            "第 7 行：与第 2 行重复（身份证号相同）",
            "文件未导入：5 行数据中有 5 行有问题，共 5 处",
        ],
    );
    refused(
        db,
        "declarations",
        &corpus("declarations_bad_gbk.csv"),
        &[
            "第 4 行 申报基数(元)：申报基数不能为负：-100.00",
            "第 5 行 申报基数(元)：5000.123 小数超过两位，金额只到分",
            "第 6 行 所属期：年月晚于今天：2026-12（今天是 2026-11-27）",
            "第 7 行：与第 2 行重复（身份证号和所属期相同）",
            "第 9 行 单位统一社会信用代码：是他人的身份证号：灵活就业人员只为本人缴费",
            "第 10 行 所属期：没有这个月份：2024-13",
            "第 11 行 姓名：赵小明 不是该身份证号登记的姓名（赵,小明）",
            "第 12 行 申报基数(元)：不是金额（元），例如 5000.00：\"abc\"",
            "文件未导入：11 行数据中有 8 行有问题，共 8 处",
        ],
    );
    refused(
        db,
        "declarations",
        &corpus("declarations_truncated.csv"),
        &[
            "第 3 行：应与表头一样有 5 个字段，实有 4 个（行被截断或错位）",
            "第 4 行：应与表头一样有 5 个字段，实有 6 个（行被截断或错位）",
            "第 5 行 单位统一社会信用代码：该人员为灵活就业，单位留空",
            "第 6 行：引号未闭合（文件被截断？）",
            "文件未导入：5 行数据中有 4 行有问题，共 4 处",
        ],
    );
    refused(
        db,
        "declarations",
        &corpus("declarations_bad_bytes_gbk.csv"),
        &[
            "第 2 行 姓名：编码错误：不是有效的 GBK 文本（文件按 GBK 识别）",
            "第 3 行 身份证号：未登记此身份证号的参保人（请先导入参保人员）",
            "文件未导入：2 行数据中有 2 行有问题，共 2 处",
        ],
    );
    refused(
        db,
        "collections",
        &corpus("collections_bad.csv"),
        &[
            "第 4 行 实缴金额：缴款金额须大于零：0.00",
            "第 5 行 实缴金额：缴款金额须大于零：-50.00",
            "第 6 行 实缴金额：100.005 小数超过两位，金额只到分",
            "第 7 行 缴款日期：日期晚于今天：2026-11-28（今天是 2026-11-27）",
            "第 8 行：与第 2 行重复（票据号、身份证号和所属期相同）",
            "第 9 行 电子税票号码：必填",
            "第 11 行 缴费人识别号：校验位是 'A'，按前 17 位应为 'U'",
            "文件未导入：10 行数据中有 7 行有问题，共 7 处",
        ],
    );
    refused(
        db,
        "collections",
        &corpus("collections_openpyxl.xlsx"),
        &[
            "第 3 行 身份证号：未登记此身份证号的参保人（请先导入参保人员）",
            "第 4 行 实缴金额(元)：1.234 小数超过两位，金额只到分",
            "第 5 行 电子税票号码：票据号以数字格式保存，只保留 15 位有效数字：请把该列设为文本后重新录入",
            "文件未导入：5 行数据中有 3 行有问题，共 3 处",
        ],
    );
    refused(
        db,
        "employers",
        &corpus("employers_bad.csv"),
        &[
            "第 2 行 统一社会信用代码：已登记（单位 1，太原钢铁示范有限公司）",
            "第 3 行 统一社会信用代码：校验位是 'A'，按前 17 位应为 'U'",
            "第 4 行 行业代码：大类 13 属于门类 C，不是 A",
            "第 5 行 单位状态：单位状态应为 正常、暂停 或 注销：\"倒闭\"",
            "第 6 行 所属区县代码：140100 是市级代码（太原市），请填区县代码",
            "第 7 行：与第 2 行重复（统一社会信用代码相同）",
            "第 8 行 统一社会信用代码：已登记（单位 3，综改区企业）",
            "文件未导入：7 行数据中有 7 行有问题，共 7 处",
        ],
    );
    // rows that only the database can refuse
    refused(
        db,
        "employers",
        &fixture("employers_db_bad.csv"),
        &[
            "第 3 行 统一社会信用代码：已登记（单位 1，太原钢铁示范有限公司）",
            "文件未导入：2 行数据中有 1 行有问题，共 1 处",
        ],
    );
    refused(
        db,
        "persons",
        &fixture("persons_db_bad.csv"),
        &[
            "第 2 行 单位统一社会信用代码：单位 综改区企业 已注销",
            "第 3 行 单位统一社会信用代码：未登记此统一社会信用代码的单位（请先导入参保单位）",
            "第 4 行 身份证号：已登记（参保人 1，王建国）",
            "文件未导入：3 行数据中有 3 行有问题，共 3 处",
        ],
    );
}

/// A large file with one bad row among 100,000, and one whose every row is bad (the list
/// capped with --max-errors, the total counted).
fn huge_files(db: &str) {
    let dir = std::env::temp_dir().join("tongchou-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let rc = RegionCode::new(140105).expect("region");
    let mut unknown = String::from("单位统一社会信用代码,身份证号,所属期,申报基数\n");
    let mut persons = String::from(
        "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n",
    );
    for i in 0..100_000u32 {
        let birth = Date::new(1970, 1, 1).expect("d").add_days(i as i64 / 900);
        let id = IdNumber::from_parts(rc, birth, (i % 900 + 1) as u16);
        unknown.push_str(&format!("91140105MA0K7Q2L9U,{id},2026-10,5000.00\n"));
        // 100,000 new employees, good but for the last, enrolled in the future
        let category = if id.sex() == tongchou_core::Sex::Male {
            "男"
        } else {
            "女工人"
        };
        let enrolled = if i == 99_999 {
            "2027-01-01"
        } else {
            "2020-01-01"
        };
        persons.push_str(&format!(
            "{id},测试{i},{category},140105,91140105MA0K7Q2L9U,职工,{enrolled}\n"
        ));
    }
    let tag = backend_tag(db);
    let one_bad = dir.join(format!("one_bad_{}_{tag}.csv", std::process::id()));
    let all_bad = dir.join(format!("all_bad_{}_{tag}.csv", std::process::id()));
    std::fs::write(&one_bad, persons).expect("write");
    std::fs::write(&all_bad, unknown).expect("write");
    refused(
        db,
        "persons",
        &one_bad.display().to_string(),
        &[
            "第 100001 行 参保日期：日期晚于今天：2027-01-01（今天是 2026-11-27）",
            "文件未导入：100000 行数据中有 1 行有问题，共 1 处",
        ],
    );
    let before = snapshot(db);
    let o = tongchou(
        db,
        &[
            "import",
            "declarations",
            "--file",
            &all_bad.display().to_string(),
            "--today",
            TODAY,
            "--max-errors",
            "2",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[0].starts_with("第 2 行 身份证号：未登记此身份证号的参保人（请先导入参保人员）"),
        "{err}"
    );
    assert!(lines[1].starts_with("第 3 行 身份证号："), "{err}");
    assert_eq!(lines[2], "... and 99998 more");
    assert_eq!(
        lines[3],
        "文件未导入：100000 行数据中有 100000 行有问题，共 100000 处"
    );
    assert!(snapshot(db) == before);
    let _ = std::fs::remove_file(one_bad);
    let _ = std::fs::remove_file(all_bad);
}

fn contributions_and_receipts(db: &str) {
    let out = ok(&import(db, "declarations", &fixture("declarations_ok.csv")));
    assert!(
        out.starts_with("已导入缴费基数申报 3 行：declarations_ok.csv，导入编号 3"),
        "{out}"
    );
    assert_eq!(
        count(
            db,
            "SELECT CAST(SUM(declared_fen) AS BIGINT) FROM wage_declarations WHERE period = 202610 AND import_id = 3"
        ),
        650_000 + 450_000 + 1_200_050
    );
    let out = ok(&import(db, "collections", &fixture("collections_ok.csv")));
    assert!(
        out.starts_with("已导入征收结果 4 行：collections_ok.csv，导入编号 4"),
        "{out}"
    );
    let before = snapshot(db);
    let again = ok(&import(db, "collections", &fixture("collections_ok.csv")));
    assert!(
        again.starts_with("此文件已于 ")
            && again.contains("导入（导入编号 4，collections_ok.csv，4 行，导入人 cli:console）"),
        "{again}"
    );
    // the same answer for a reader of English (TONGCHOU_LANG=en)
    let path = fixture("collections_ok.csv");
    let en = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args(["import", "collections", "--file", &path, "--today", TODAY])
        .env("TONGCHOU_DB", db)
        .env("USER", "tester")
        .env("TONGCHOU_LANG", "en")
        .output()
        .expect("run tongchou");
    let en = ok(&en);
    assert!(
        en.starts_with("already imported on ")
            && en.contains(
                " as import 4 (collections_ok.csv, 4 rows, by cli:console): nothing changed"
            ),
        "{en}"
    );
    assert!(snapshot(db) == before);
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM receipts WHERE batch_id IS NULL AND import_id = 4"
        ),
        4
    );
    let list = ok(&tongchou(db, &["import", "list"]));
    let kinds: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["employers", "persons", "declarations", "collections"]
    );
    // each import is in the audit log, with its file's digest, and the chain verifies
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'ok'"
        ),
        4
    );
    ok(&tongchou(db, &["audit", "verify"]));

    // the collection of 2026-10 matches the imported receipts paid by its close date (11-05)
    let policy = Policy::builtin().expect("policy");
    let mut conn = Db::open(db).expect("open");
    let r = collect::run_month(
        &mut conn,
        &policy,
        "2026-10".parse().expect("period"),
        ReceiptSource::Imported,
    )
    .expect("collection month");
    assert_eq!((r.contributors, r.receipts), (3, 3));
    assert_eq!(r.collected.fen(), 156_000 + 90_000 + 100_000);
    drop(conn);
    assert_eq!(
        count(db, "SELECT count(*) FROM receipts WHERE batch_id = 202610"),
        3
    );
    // paid after the close date: still waiting for the next run
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM receipts WHERE batch_id IS NULL AND receipt = '326011261100000004'"
        ),
        1
    );

    refused(
        db,
        "declarations",
        &fixture("declarations_db_bad.csv"),
        &[
            "第 3 行 身份证号：未登记此身份证号的参保人（请先导入参保人员）",
            "第 4 行 单位统一社会信用代码：该人员登记在另一单位（91140105MA0K7Q2L9U），请先办理单位变更",
            "第 5 行 单位统一社会信用代码：该人员为灵活就业，单位留空",
            "第 6 行 姓名：赵小明 不是该身份证号登记的姓名（赵,小明）",
            "第 6 行 单位统一社会信用代码：该人员为单位（911402021234567889）职工，由单位申报基数",
            "第 7 行 所属期：2026-10 征缴已结账，核定不可更改",
            "第 7 行：该人员 2026-10 的申报已存在（导入批次 3）",
            "第 8 行 单位统一社会信用代码：未登记此统一社会信用代码的单位（请先导入参保单位）",
            "文件未导入：7 行数据中有 6 行有问题，共 8 处",
        ],
    );
    refused(
        db,
        "collections",
        &fixture("collections_db_bad.csv"),
        &[
            "第 3 行 身份证号：未登记此身份证号的参保人（请先导入参保人员）",
            "第 4 行 电子税票号码：该电子税票号码已存在（导入批次 4）",
            "第 5 行 电子税票号码：电子税票号码已在第 2 行使用，税票号码不得重复",
            "第 6 行 姓名：赵大明 不是该身份证号登记的姓名（赵,小明）",
            "文件未导入：5 行数据中有 4 行有问题，共 4 处",
        ],
    );
}

fn reports(db: &str) {
    let report = |args: &[&str]| {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        ok(&tongchou(db, &all))
    };
    matches_snapshot(
        "collection_2026-10.txt",
        &report(&["collection", "--period", "2026-10"]),
    );
    matches_snapshot(
        "collection_2026-10_140100.csv",
        &report(&[
            "collection",
            "--period",
            "2026-10",
            "--region",
            "140100",
            "--format",
            "csv",
        ]),
    );
    // the CSV's header in the reader's language: Chinese by default, English for a reader of
    // English (TONGCHOU_LANG=en); the JSON's keys stay the same
    let csv = report(&["collection", "--period", "2026-10", "--format", "csv"]);
    assert!(
        csv.starts_with("市代码,名称,参保人数,缴费人数,应缴,实缴,滞纳金,欠费,上解省级,"),
        "{csv}"
    );
    let en = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args([
            "report",
            "collection",
            "--period",
            "2026-10",
            "--format",
            "csv",
        ])
        .env("TONGCHOU_DB", db)
        .env("USER", "tester")
        .env("TONGCHOU_LANG", "en")
        .output()
        .expect("run tongchou");
    let en = String::from_utf8_lossy(&en.stdout);
    assert!(
        en.starts_with("city,name,insured,contributors,assessed,collected,late fees,arrears,remitted,provincial fiscal special account at the end of "),
        "{en}"
    );
    assert!(en.contains("\ntotal,,"), "{en}");
    matches_snapshot(
        "arrears_by_county.txt",
        &report(&["arrears", "--as-of", "2026-11-27"]),
    );
    matches_snapshot(
        "arrears_by_employer.csv",
        &report(&[
            "arrears",
            "--by",
            "employer",
            "--as-of",
            "2026-11-27",
            "--format",
            "csv",
        ]),
    );
    // JSON: the same totals; remitted = collected + late fees, and the fiscal account holds it
    let j: serde_json::Value = serde_json::from_str(&report(&[
        "collection",
        "--period",
        "2026-10",
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(j["total"]["collected"], "3460.00");
    assert_eq!(j["total"]["late_fees"], "2.35");
    assert_eq!(j["total"]["remitted"], "3462.35");
    assert_eq!(j["fiscal_special_account"], "3462.35");
    assert_eq!(j["rows"].as_array().map(Vec::len), Some(11), "every city");
    // the arrears recorded at the close equal the open arrears table (the latest month)
    assert_eq!(j["total"]["arrears"], "1880.12");
    assert_eq!(
        count(
            db,
            "SELECT CAST(SUM(total_fen - paid_fen) AS BIGINT) FROM arrears"
        ),
        188_012
    );
    // XLSX: a ZIP workbook, written to a file
    let path = std::env::temp_dir().join("tongchou-tests").join(format!(
        "collection_{}_{}.xlsx",
        std::process::id(),
        backend_tag(db)
    ));
    report(&[
        "collection",
        "--period",
        "2026-10",
        "--region",
        "140700",
        "--format",
        "xlsx",
        "--output",
        &path.display().to_string(),
    ]);
    let book = std::fs::read(&path).expect("xlsx written");
    assert!(book.starts_with(b"PK\x03\x04"));
    let _ = std::fs::remove_file(&path);
    // refusals
    let o = tongchou(db, &["report", "collection", "--period", "2026-09"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("2026-09 的征缴尚未运行"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = tongchou(db, &["report", "arrears", "--region", "110105"]);
    assert_eq!(o.status.code(), Some(2));
}

fn story(db: &str) {
    templates(db);
    seed_registry(db);
    malformed_corpus(db);
    huge_files(db);
    contributions_and_receipts(db);
    reports(db);
}

#[test]
fn import_and_report_on_sqlite() {
    story(&testing::sqlite_url("cli_import"));
}

#[test]
fn import_and_report_on_postgres() {
    story(&testing::pg_url("cli_import"));
}

/// `import … --as LOGIN`: the staff member's role must allow the kind, every row must fall within
/// their region, and the import is audited under their login.
fn acting_staff(db: &str, tag: &str) {
    use tongchou_core::access::Role;
    const PW: &str = "a long test passphrase";
    let mut d = Db::open(db).expect("open");
    testing::add_user(&mut d, "clerk.xd", Role::CountyAgency, 140105, PW);
    testing::add_user(&mut d, "tax.sx", Role::TaxBureau, 140000, PW);
    let run = |login: &str, file: &str, pw: &str| {
        Command::new(env!("CARGO_BIN_EXE_tongchou"))
            .args([
                "import",
                "employers",
                "--file",
                file,
                "--today",
                TODAY,
                "--as",
                login,
            ])
            .env("TONGCHOU_DB", db)
            .env("TONGCHOU_PASSWORD", pw)
            .output()
            .expect("run tongchou")
    };
    let employers = |d: &mut Db| {
        d.query_i64("SELECT count(*) FROM employers", &[])
            .expect("q")
    };
    let all = fixture("employers.csv");
    // the tax bureau may not register employers (and the refusal is audited)
    let o = run("tax.sx", &all, PW);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("不能导入「参保单位」"),
        "{o:?}"
    );
    assert_eq!(
        d.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'denied' AND login = 'tax.sx'",
            &[]
        )
        .expect("q"),
        1
    );
    // a wrong password imports nothing
    let o = run("clerk.xd", &all, "not the password");
    assert!(!o.status.success());
    // a county clerk may not register another county's employers: the file is refused whole
    let o = run("clerk.xd", &all, PW);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    // (the file's retired or development-zone codes are read as their handling counties)
    let outside: Vec<&str> = err
        .lines()
        .filter(|l| l.ends_with("不在 140105 内"))
        .collect();
    assert_eq!(outside.len(), 2, "{err}");
    assert!(
        outside[0].starts_with("第 3 行 所属区县代码：不在您的辖区：区县 ")
            && outside[1].starts_with("第 4 行 所属区县代码：不在您的辖区：区县 "),
        "{err}"
    );
    assert_eq!(employers(&mut d), 0);
    // their own county's employer is imported, under their login
    let dir = std::env::temp_dir().join(format!("tc-import-as-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let own = dir.join("employers_140105.csv");
    let text = std::fs::read_to_string(&all).expect("fixture");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let row = lines
        .find(|l| l.contains(",140105,"))
        .expect("a 140105 row");
    std::fs::write(&own, format!("{header}\n{row}\n")).expect("write");
    let o = run("clerk.xd", &own.display().to_string(), PW);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(employers(&mut d), 1);
    assert_eq!(
        d.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'ok' AND login = 'clerk.xd'",
            &[]
        )
        .expect("q"),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn staff_import_within_their_role_and_region_on_sqlite() {
    acting_staff(&testing::sqlite_url("import_as"), "sqlite");
}

#[test]
fn staff_import_within_their_role_and_region_on_postgres() {
    acting_staff(&testing::pg_url("import_as"), "pg");
}
