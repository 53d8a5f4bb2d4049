//! `tongchou accounts final` and `tongchou close` through the real binary on SQLite and
//! PostgreSQL, over a demo province run from December 2020 to January 2021: per region and year
//! the JSON adds up (opening + income − expenditure = closing, to the fen), the closing of 2020
//! is the opening of 2021, the province's consolidated closing is the sum of every book's; then
//! the year closes county → city → province and a posting into it is refused.

mod run;
use run::{ok, text, tongchou, tongchou_env};

/// The standard output of a run in English (`TONGCHOU_LANG=en`) that must have succeeded.
fn english(db: &str, args: &[&str]) -> String {
    ok(&tongchou_env(db, args, &[("TONGCHOU_LANG", "en")]))
}

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'))
}
use tongchou_store::testing;

/// A yuan string as fen.
fn fen(v: &serde_json::Value) -> i64 {
    let s = v.as_str().expect("a yuan string");
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (y, f) = s.split_once('.').expect("two decimals");
    let v = y.parse::<i64>().expect("yuan") * 100 + f.parse::<i64>().expect("fen");
    if neg { -v } else { v }
}

fn sum(m: &serde_json::Value) -> i64 {
    m.as_object().expect("items").values().map(fen).sum()
}

fn adds_up(r: &serde_json::Value) {
    let got = fen(&r["opening"]) + sum(&r["income"]) - sum(&r["expenditure"]);
    assert_eq!(got, fen(&r["closing"]), "{}", r["region"]);
}

fn final_json(db: &str, year: &str) -> serde_json::Value {
    let out = ok(&tongchou(
        db,
        &["accounts", "final", "--year", year, "--format", "json"],
    ));
    serde_json::from_str(&out).expect("json")
}

/// The demo's summary in the reader's language: its title, the per-city table's header, the
/// year's gap and budget, the fund, the ledger's check and the reconciliation.
fn demo_speaks(out: &str, lang: &str) {
    let expected: &[&str] = if lang == "en" {
        &[
            "Tongchou demo: 1000 insured, months 2020-12 to 2021-01 (yuan)",
            "city ",
            "payroll",
            "gap of 2020: ",
            "budget of 2021: approved through",
            "provincial fund balance at the end of 2021-01",
            "ledger check: ",
            "reconciliation: contribution income per county",
            "bank files: ",
        ]
    } else {
        &[
            "统筹演示：参保 1000 人，2020-12 至 2021-01（元）",
            "发放总额",
            "2020 年缺口：",
            "2021 年预算：经县",
            "2021-01 末省级基金结余",
            "账簿核验：",
            "对账：各县缴费收入等于个人明细征缴额",
            "银行文件：",
        ]
    };
    for e in expected {
        assert!(out.contains(e), "{e:?} not in {out}");
    }
    if lang != "en" {
        for english in ["Tongchou demo", "ledger check", "reconciliation", " yuan"] {
            assert!(!out.contains(english), "{english:?} in {out}");
        }
    }
}

fn scenario(db: &str, tag: &str, lang: &str) {
    let bank = std::env::temp_dir().join(format!("tc-cli-accounts-{tag}-{}", std::process::id()));
    let bank = bank.to_string_lossy().into_owned();
    let out = ok(&tongchou_env(
        db,
        &[
            "demo",
            "--persons",
            "1000",
            "--from",
            "2020-12",
            "--to",
            "2021-01",
            "--out",
            &bank,
            "--direct",
        ],
        &[("TONGCHOU_LANG", lang)],
    ));
    demo_speaks(&out, lang);
    // the demo compiled 2021's budget in its January through the whole chain, each step by its
    // own user; 2020 began before the run, so it has none
    let b = ok(&tongchou(
        db,
        &["budget", "show", "--year", "2021", "--format", "json"],
    ));
    let b: serde_json::Value = serde_json::from_str(&b).expect("budget json");
    assert_eq!(b["stage"], "approved", "{b}");
    let shown = ok(&tongchou(db, &["budget", "show", "--year", "2021"]));
    assert!(shown.contains("（第 0 号，已批准）"), "{shown}");
    let none = tongchou(db, &["budget", "show", "--year", "2020"]);
    assert!(!none.status.success());
    evaluation_and_analysis(db);
    let y20 = final_json(db, "2020");
    let y21 = final_json(db, "2021");
    assert_eq!(y20["status"], "draft");
    let (r20, r21) = (
        y20["regions"].as_array().expect("regions"),
        y21["regions"].as_array().expect("regions"),
    );
    assert_eq!(r20.len(), 129);
    for (a, b) in r20.iter().zip(r21) {
        adds_up(a);
        adds_up(b);
        assert_eq!(a["region"], b["region"]);
        assert_eq!(a["closing"], b["opening"], "{}", a["region"]);
        if a["consolidated"].is_object() {
            adds_up(&a["consolidated"]);
            assert_eq!(a["consolidated"]["closing"], b["consolidated"]["opening"]);
        }
    }
    let books: i64 = r21.iter().map(|r| fen(&r["closing"])).sum();
    assert_eq!(fen(&r21[0]["consolidated"]["closing"]), books);
    assert_eq!(fen(&r21[0]["consolidated"]["income"]["下级上解收入"]), 0);
    assert!(fen(&r21[0]["consolidated"]["income"]["基本养老保险费收入"]) > 0);
    // the table and the workbook
    let t = ok(&tongchou(db, &["accounts", "final", "--year", "2021"]));
    assert!(
        t.contains("年末滚存结余") && t.contains("山西省汇总"),
        "{t}"
    );
    // in English (TONGCHOU_LANG=en): the title, the item column and every row's label from the
    // catalogue; only the places' names stay Chinese
    let en = english(db, &["accounts", "final", "--year", "2021"]);
    assert!(
        en.starts_with("Final accounts of the enterprise employees' basic pension fund 2021")
            && en.contains("Balance at the end of the year")
            && en.contains("山西省 (consolidated)"),
        "{en}"
    );
    for line in en.lines().skip(2) {
        let label = line.split("  ").next().unwrap_or("");
        assert!(!has_cjk(label), "{line}");
    }
    assert!(
        en.lines().nth(1).is_some_and(|h| h.starts_with("Item")),
        "{en}"
    );
    let bad = tongchou_env(
        db,
        &["accounts", "final", "--year", "2021", "--region", "140199"],
        &[("TONGCHOU_LANG", "en")],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("keeps no books"),
        "{}",
        text(&bad.stderr)
    );
    let bad = tongchou(
        db,
        &["accounts", "final", "--year", "2021", "--region", "140199"],
    );
    assert!(
        text(&bad.stderr).contains("没有账簿"),
        "{}",
        text(&bad.stderr)
    );
    let x = std::env::temp_dir().join(format!("tc-cli-accounts-{tag}-{}.xlsx", std::process::id()));
    let xs = x.to_string_lossy().into_owned();
    ok(&tongchou(
        db,
        &[
            "accounts", "final", "--year", "2021", "--format", "xlsx", "--output", &xs,
        ],
    ));
    assert!(std::fs::read(&x).expect("xlsx").starts_with(b"PK"));
    // close the year county → city → province; then December is locked
    let city_first = tongchou(
        db,
        &[
            "close",
            "--year",
            "2020",
            "--level",
            "city",
            "--as",
            "demo.officer",
        ],
    );
    assert_eq!(city_first.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&city_first.stderr).contains("下级尚未结账"));
    for level in ["county", "city", "province"] {
        ok(&tongchou(
            db,
            &[
                "close",
                "--year",
                "2020",
                "--level",
                level,
                "--as",
                "demo.officer",
            ],
        ));
    }
    assert_eq!(final_json(db, "2020")["status"], "final");
    let late = tongchou(
        db,
        &[
            "income",
            "record",
            "--key",
            "late",
            "--region",
            "140105",
            "--kind",
            "other",
            "--amount",
            "1.00",
            "--date",
            "2020-12-30",
            "--as",
            "demo.officer",
        ],
    );
    assert_eq!(late.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&late.stderr).contains("已结账"),
        "{}",
        String::from_utf8_lossy(&late.stderr)
    );
    ok(&tongchou(
        db,
        &[
            "income",
            "record",
            "--key",
            "on-time",
            "--region",
            "140105",
            "--kind",
            "other",
            "--amount",
            "1.00",
            "--date",
            "2021-02-01",
            "--as",
            "demo.officer",
        ],
    ));
    let status = ok(&tongchou(db, &["close", "--status", "--region", "140100"]));
    assert!(
        status.contains("140105") && status.contains("2020-12"),
        "{status}"
    );
}

/// `budget evaluate` and `budget analysis` over the demo's approved 2021 budget: the county's
/// indicators with their formulas; its first quarter drafted by the county clerk, every
/// deviation explained, submitted, refused to the clerk's own review and accepted by the city.
fn evaluation_and_analysis(db: &str) {
    let e = ok(&tongchou(
        db,
        &[
            "budget", "evaluate", "--year", "2021", "--region", "140105", "--format", "json",
        ],
    ));
    let e: serde_json::Value = serde_json::from_str(&e).expect("evaluation json");
    assert_eq!(e["regions"][0]["region"], "140105", "{e}");
    let c = &e["regions"][0]["indicators"]["collection"];
    assert!(
        c["formula"]
            .as_str()
            .is_some_and(|f| f.contains("征缴任务")),
        "{c}"
    );
    let t = ok(&tongchou(
        db,
        &["budget", "evaluate", "--year", "2021", "--region", "140100"],
    ));
    assert!(t.contains("征缴任务完成率") && t.contains("总分"), "{t}");
    let en = english(
        db,
        &["budget", "evaluate", "--year", "2021", "--region", "140100"],
    );
    assert!(
        en.contains("Performance evaluation of the fund budget 2021")
            && en.contains("collection task completion rate")
            && en.contains("total"),
        "{en}"
    );
    let mut names: Vec<String> = tongchou_core::Divisions::shanxi()
        .all()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    // longest first, so that a county's name goes before a shorter one it contains
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for line in en.lines() {
        let rest = names
            .iter()
            .fold(line.to_string(), |l, n| l.replace(n.as_str(), ""));
        assert!(!has_cjk(&rest), "{line}");
    }
    let run = |extra: &[&str]| {
        let mut a = vec!["budget", "analysis"];
        a.extend_from_slice(&extra[..1]);
        a.extend_from_slice(&["--year", "2021", "--quarter", "1", "--region", "140105"]);
        a.extend_from_slice(&extra[1..]);
        tongchou(db, &a)
    };
    let d = ok(&run(&["draft", "--as", "demo.clerk"]));
    assert!(d.contains("草稿"), "{d}");
    let shown = ok(&run(&["show", "--format", "json"]));
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("analysis json");
    for l in shown["lines"].as_array().expect("lines") {
        if l["beyond"] == true {
            let item = l["item"].as_str().expect("item");
            ok(&run(&[
                "explain",
                "--item",
                item,
                "--text",
                "一月数据，季度未完",
                "--as",
                "demo.clerk",
            ]));
        }
    }
    let s = ok(&run(&["submit", "--as", "demo.clerk"]));
    assert!(s.contains("已报送"), "{s}");
    assert!(
        !run(&["review", "--accept", "--as", "demo.clerk"])
            .status
            .success()
    );
    let r = ok(&run(&["review", "--accept", "--as", "demo.city"]));
    assert!(r.contains("已审核通过"), "{r}");
    let table = ok(&run(&["show"]));
    assert!(table.contains("序时进度"), "{table}");
    let shown = ok(&run(&["show", "--format", "json"]));
    let shown: serde_json::Value = serde_json::from_str(&shown).expect("analysis json");
    assert_eq!(shown["status"], "accepted");
    assert!(
        shown["late"][0]["days_late"]
            .as_i64()
            .is_some_and(|d| d > 0),
        "{shown}"
    );
}

#[test]
fn final_accounts_and_close_on_sqlite() {
    scenario(&testing::sqlite_url("cli_accounts"), "sqlite", "zh-CN");
}

#[test]
fn final_accounts_and_close_on_postgres() {
    scenario(&testing::pg_url("cli_accounts"), "pg", "en");
}
