//! Fund governance through the real binary, on SQLite and PostgreSQL, after a simulated January
//! 2020: `tongchou warn` shows the months payable of `report disbursement` (one definition) in
//! every format; `tongchou assess` ranks every city and county; `tongchou gap compute|show|settle`
//! records the year's gap once, shows its shares and takes a government's payment.

mod run;
use run::{ok, tongchou_env as tongchou};

const PW: (&str, &str) = ("TONGCHOU_PASSWORD", "demo-only-password-2020");

fn json(db: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(&tongchou(db, args, &[]))).expect("json")
}

fn scenario(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-governance-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    run::demo_setup(db, 1500);
    ok(&tongchou(
        db,
        &[
            "month",
            "run",
            "--period",
            "2020-01",
            "--simulate",
            "5",
            "--out",
            &out,
        ],
        &[],
    ));

    // warn: one months payable, the disbursement report's
    let w = json(db, &["warn", "--period", "2020-01", "--format", "json"]);
    assert_eq!(w["period"], "2020-01");
    let regions = w["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 1 + 11 + 117);
    assert_eq!(regions[0]["region"], 140000);
    let months = regions[0]["months_payable"]
        .as_f64()
        .expect("months payable");
    let d = json(
        db,
        &[
            "report",
            "disbursement",
            "--period",
            "2020-01",
            "--format",
            "json",
        ],
    );
    let shown: f64 = d["months_payable"]
        .as_str()
        .expect("the report's months payable")
        .parse()
        .expect("a number");
    assert_eq!(shown, months);
    assert!(
        regions
            .iter()
            .all(|r| r["warnings"].is_array() && r.get("dependency_ratio").is_some())
    );
    let table = ok(&tongchou(
        db,
        &["warn", "--period", "2020-01", "--region", "140100"],
        &[],
    ));
    assert!(
        table.contains("可支付月数") && table.contains("140105"),
        "{table}"
    );
    assert!(
        !table.contains("140202"),
        "only the city's counties: {table}"
    );
    let xlsx = tongchou(
        db,
        &["warn", "--period", "2020-01", "--format", "xlsx"],
        &[],
    );
    assert!(xlsx.stdout.starts_with(b"PK\x03\x04"));
    let early = tongchou(db, &["warn", "--period", "2019-06"], &[]);
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("尚未运行"));

    // assess: every city and county ranked
    let a = json(db, &["assess", "--year", "2020", "--format", "json"]);
    assert_eq!(a["year"], 2020);
    assert_eq!(a["cities"].as_array().map(Vec::len), Some(11));
    assert_eq!(a["counties"].as_array().map(Vec::len), Some(117));
    assert_eq!(a["cities"][0]["rank"], 1);
    assert!(a["counties"][0]["indicators"]["fund_security"].is_number());

    // gap: recorded once, by the officer; shown; a government's payment
    let compute = [
        "gap",
        "compute",
        "--year",
        "2020",
        "--on",
        "2021-01-10",
        "--as",
    ];
    let mut by_approver = compute.to_vec();
    by_approver.push("demo.approver");
    let refused = tongchou(db, &by_approver, &[PW]);
    assert!(
        !refused.status.success(),
        "the finance approver does not compute"
    );
    let mut by_officer = compute.to_vec();
    by_officer.push("demo.officer");
    let gap_line = ok(&tongchou(db, &by_officer, &[PW]));
    assert!(
        gap_line.starts_with("2020 年基金缺口 ") && gap_line.contains("（已登记；应于 "),
        "{gap_line}"
    );
    assert!(ok(&tongchou(db, &by_officer, &[PW])).contains("此前已登记，未更改"));
    let gap_en = ok(&tongchou(db, &by_officer, &[PW, ("TONGCHOU_LANG", "en")]));
    assert!(
        gap_en.starts_with("gap of 2020: ")
            && gap_en.contains("(already recorded, unchanged; due "),
        "{gap_en}"
    );
    let g = json(
        db,
        &[
            "gap",
            "show",
            "--year",
            "2020",
            "--as-of",
            "2021-02-01",
            "--format",
            "json",
        ],
    );
    assert_eq!(g["year"], 2020);
    assert_eq!(g["regions"].as_array().map(Vec::len), Some(117));
    let first = &g["regions"][0];
    for key in ["region", "gap", "causes", "shares"] {
        assert!(first.get(key).is_some(), "{key}: {first}");
    }
    let settle = [
        "gap",
        "settle",
        "--year",
        "2020",
        "--region",
        "140000",
        "--on",
        "2021-02-01",
        "--as",
        "demo.approver",
    ];
    let paid = tongchou(db, &settle, &[PW]);
    let province_owes = g["governments"]
        .as_array()
        .expect("governments")
        .iter()
        .any(|x| x["region"] == 140000);
    if province_owes {
        assert!(ok(&paid).starts_with("140000 已缴付 2020 年分担缺口 "));
        let after = json(db, &["gap", "show", "--year", "2020", "--format", "json"]);
        let p = after["governments"]
            .as_array()
            .expect("g")
            .iter()
            .find(|x| x["region"] == 140000)
            .cloned()
            .expect("province");
        assert_eq!(p["outstanding"], "0.00");
    } else {
        // no gap this year: nothing to pay, and the refusal says so
        assert!(!paid.status.success());
        assert!(String::from_utf8_lossy(&paid.stderr).contains("年 0.00 元"));
    }
    // the central adjustment remittance of 2021, booked once; 2022 is national pooling
    let remit = |year: &str| {
        tongchou(
            db,
            &[
                "central",
                "remit",
                "--year",
                year,
                "--on",
                "2021-03-31",
                "--as",
                "demo.officer",
            ],
            &[PW],
        )
    };
    let first = ok(&remit("2021"));
    assert!(
        first.starts_with("2021 年中央调剂金上解 ") && first.contains("上解比例 0.045（已入账）"),
        "{first}"
    );
    let again = tongchou(
        db,
        &[
            "central",
            "remit",
            "--year",
            "2021",
            "--on",
            "2021-03-31",
            "--as",
            "demo.officer",
        ],
        &[PW, ("TONGCHOU_LANG", "en")],
    );
    let again = ok(&again);
    assert!(
        again.starts_with("central adjustment remittance of 2021: ")
            && again.contains("ratio 0.045 (already booked, unchanged)"),
        "{again}"
    );
    assert!(ok(&remit("2021")).contains("此前已入账，未更改"));
    let pooled = remit("2022");
    assert!(!pooled.status.success());
    assert!(String::from_utf8_lossy(&pooled.stderr).contains("national-pooling"));
    central_year(db);
    reserve(db);
    ok(&tongchou(db, &["ledger", "check"], &[]));
    projection(db, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 2021's allocation, one quarter's advances and the settlement, 2022's national pooling, each
/// once however often run; `central show` under both regimes.
fn central_year(db: &str) {
    let run = |args: &[&str]| tongchou(db, args, &[PW]);
    let allocate = [
        "central",
        "allocate",
        "--year",
        "2021",
        "--per-capita",
        "1234.56",
        "--pensioners",
        "100",
        "--source",
        "财社〔2021〕1号",
        "--on",
        "2021-03-31",
        "--as",
        "demo.officer",
    ];
    assert!(ok(&run(&allocate)).contains("123,456.00"));
    assert!(ok(&run(&allocate)).contains("未更改"));
    let advance = [
        "central",
        "advance",
        "--year",
        "2021",
        "--quarter",
        "1",
        "--source",
        "预拨通知",
        "--on",
        "2021-03-31",
        "--as",
        "demo.officer",
    ];
    assert!(ok(&run(&advance)).contains("预拨"));
    assert!(ok(&run(&advance)).contains("未更改"));
    let settle = [
        "central",
        "settle",
        "--year",
        "2021",
        "--source",
        "清算通知",
        "--on",
        "2022-02-28",
        "--as",
        "demo.officer",
    ];
    ok(&run(&settle));
    let v = json(
        db,
        &["central", "show", "--year", "2021", "--format", "json"],
    );
    assert_eq!(v["regime"], "central-adjustment");
    assert_eq!(v["allocation"], "123456.00");
    assert_eq!(v["movements"].as_array().map(Vec::len), Some(5));
    let pool = [
        "central",
        "pooling",
        "--year",
        "2022",
        "--received",
        "2500000",
        "--source",
        "全国统筹调剂资金下拨",
        "--on",
        "2022-12-20",
        "--as",
        "demo.officer",
    ];
    ok(&run(&pool));
    assert!(ok(&run(&pool)).contains("未更改"));
    let v = json(
        db,
        &["central", "show", "--year", "2022", "--format", "json"],
    );
    assert_eq!(v["regime"], "national-pooling");
    assert_eq!(v["movements"][0]["amount"], "2500000.00");
}

/// The reserve fund: a finance officer registers equity and a dividend and proposes a use within
/// 2020's gap; the officer may not approve it, the finance approver does.
fn reserve(db: &str) {
    let run = |args: &[&str]| tongchou(db, args, &[PW]);
    ok(&run(&[
        "user",
        "add",
        "--login",
        "demo.finance",
        "--role",
        "finance_officer",
        "--region",
        "140000",
    ]));
    let register = [
        "reserve",
        "register",
        "--enterprise",
        "山西某能源集团有限公司",
        "--credit-code",
        "91110000600037341L",
        "--share",
        "0.1",
        "--book-value",
        "50000000",
        "--transfer-date",
        "2020-12-14",
        "--source",
        "晋政发〔2020〕24号",
        "--as",
        "demo.finance",
    ];
    assert!(ok(&run(&register)).contains("限售期至 2023-12-14"));
    assert!(ok(&run(&register)).contains("未更改"));
    let dividend = [
        "reserve",
        "dividend",
        "--holding",
        "1",
        "--amount",
        "3000000",
        "--reference",
        "JK2021-001",
        "--on",
        "2021-06-30",
        "--as",
        "demo.finance",
    ];
    ok(&run(&dividend));
    assert!(ok(&run(&dividend)).contains("未更改"));
    let gap = json(db, &["gap", "show", "--year", "2020", "--format", "json"]);
    // yuan with two decimals, as fen
    let total: i64 = gap["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|r| {
            r["gap"]
                .as_str()
                .expect("gap")
                .replace('.', "")
                .parse::<i64>()
                .expect("fen")
        })
        .sum();
    let over = format!("{}.{:02}", (total + 1) / 100, (total + 1) % 100);
    let over = run(&[
        "reserve",
        "use",
        "--year",
        "2020",
        "--amount",
        &over,
        "--reason",
        "弥补缺口",
        "--reference",
        "U-0",
        "--as",
        "demo.finance",
    ]);
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("超过"));
    if total >= 2 {
        let out = ok(&run(&[
            "reserve",
            "use",
            "--year",
            "2020",
            "--amount",
            "0.01",
            "--reason",
            "弥补缺口",
            "--reference",
            "U-1",
            "--as",
            "demo.finance",
        ]));
        let approval: String = out
            .split("审批编号 ")
            .nth(1)
            .expect("approval id")
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let mine = run(&[
            "reserve",
            "approve",
            "--approval",
            &approval,
            "--as",
            "demo.finance",
        ]);
        assert!(!mine.status.success());
        let done = ok(&run(&[
            "reserve",
            "approve",
            "--approval",
            &approval,
            "--on",
            "2021-07-01",
            "--as",
            "demo.approver",
        ]));
        assert!(done.contains("元）：已批准"), "{done}");
    }
    let show = [
        "reserve",
        "show",
        "--as",
        "demo.approver",
        "--format",
        "json",
    ];
    let v: serde_json::Value = serde_json::from_str(&ok(&run(&show))).expect("json");
    assert_eq!(v["holdings"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["equity"], "50000000.00");
}

/// `tongchou project`: 30 years after 2020 per scenario, the balance identity every year, the
/// assumptions printed, a workbook, and bad arguments refused with one line.
fn projection(db: &str, dir: &std::path::Path) {
    let j = json(db, &["project", "--from-year", "2020", "--format", "json"]);
    assert_eq!(j["from_year"], 2020);
    let scenarios = j["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 4);
    let yuan = |v: &serde_json::Value| -> i64 {
        v.as_str()
            .expect("yuan")
            .parse::<tongchou_core::Fen>()
            .expect("amount")
            .fen()
    };
    for s in scenarios {
        let years = s["years"].as_array().expect("years");
        assert_eq!(years.len(), 30);
        assert_eq!(years[0]["year"], 2021);
        assert_eq!(years[0]["opening"], j["start"]["balance"]);
        for y in years {
            assert_eq!(
                yuan(&y["opening"]) + yuan(&y["income"]) - yuan(&y["expenditure"]),
                yuan(&y["closing"])
            );
        }
    }
    let table = ok(&tongchou(
        db,
        &[
            "project",
            "--from-year",
            "2020",
            "--years",
            "5",
            "--scenario",
            "low_wage",
        ],
        &[],
    ));
    assert!(
        table.contains("工资低增长情景") && !table.contains("基准情景"),
        "{table}"
    );
    assert!(table.contains("工资增长率（工资低增长情景）"), "{table}");
    let book = dir.join("projection.xlsx");
    ok(&tongchou(
        db,
        &[
            "project",
            "--from-year",
            "2020",
            "--format",
            "xlsx",
            "--output",
            &book.display().to_string(),
        ],
        &[],
    ));
    assert!(
        std::fs::read(&book)
            .expect("book")
            .starts_with(b"PK\x03\x04")
    );
    let bad = tongchou(
        db,
        &["project", "--from-year", "2020", "--scenario", "rosy"],
        &[],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("未知的测算方案"));
}

#[test]
fn governance_commands_on_sqlite() {
    scenario(
        &tongchou_store::testing::sqlite_url("cli_governance"),
        "sqlite",
    );
}

#[test]
fn governance_commands_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("cli_governance"), "pg");
}
