//! `tongchou migrate` through the real binary, on SQLite and PostgreSQL: a synthetic city
//! written as legacy files (`migrate synth`, the history and pensioners in GBK), checked
//! (report per county, exit 0), refused to a county clerk, loaded by the provincial bureau,
//! loaded again without any change; a control total that disagrees makes the check exit 1
//! naming the controls file and the county. `tongchou demo` migrates its province from the
//! eleven cities' legacy files.

mod run;

use run::{PW, text, tongchou};

use tongchou_core::access::Role;
use tongchou_store::{Db, testing};

fn story(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tongchou-migrate-{tag}-{}", std::process::id()));
    let d = dir.display().to_string();
    run::synth_city(db, "140200", &d, 3000, &["--gbk"]);
    {
        let mut conn = Db::open(db).expect("open");
        testing::add_user(
            &mut conn,
            "officer",
            Role::ProvinceBureauOfficer,
            140000,
            PW,
        );
        testing::add_user(&mut conn, "clerk", Role::CountyAgency, 140212, PW);
    }
    let city = [
        "--city",
        "140200",
        "--dir",
        &d,
        "--cutover",
        "2020-01",
        "--today",
        "2020-01-10",
    ];
    let check = |who: &str| {
        let mut a = vec!["migrate", "check"];
        a.extend_from_slice(&city);
        a.extend_from_slice(&["--as", who]);
        tongchou(db, &a)
    };
    let load = |who: &str| {
        let mut a = vec!["migrate", "load"];
        a.extend_from_slice(&city);
        a.extend_from_slice(&["--as", who]);
        tongchou(db, &a)
    };
    let o = check("officer");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("问题 0 个，待复核 0 个"),
        "{}",
        text(&o.stdout)
    );
    let o = load("clerk");
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("只有省社保局"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(run::count(db, "persons"), 0);
    let o = load("officer");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("\"loaded\": 140200"));
    let n = run::count(db, "persons");
    assert!(n > 100);
    let o = load("officer");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("\"already\": 140200"));
    assert_eq!(run::count(db, "persons"), n);
    // a control total that disagrees
    let controls = dir.join("controls.csv");
    let t = std::fs::read_to_string(&controls).expect("controls");
    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    let county = cells[0].clone();
    cells[2] = (cells[2].parse::<u64>().expect("insured") + 1).to_string();
    lines[1] = cells.join(",");
    std::fs::write(&controls, lines.join("\n") + "\n").expect("write");
    let o = check("officer");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("controls.csv第 2 行: 参保人数：控制数"),
        "{err}"
    );
    assert!(err.contains("[control_total]"), "{err}");
    assert!(text(&o.stdout).contains(&county));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_sqlite() {
    story(&testing::sqlite_url("cli_migrate"), "sqlite");
}

#[test]
fn migrate_postgres() {
    story(&testing::pg_url("cli_migrate"), "pg");
}

/// `tongchou demo --setup-only` migrates the province from its eleven cities' legacy files:
/// the defects it planted found (the demo stops otherwise), the cities loaded, the two persons of
/// two cities resolved, a reconciliation report per city beside its files.
fn demo_migrates(db: &str, tag: &str, lang: &str) {
    let dir =
        std::env::temp_dir().join(format!("tongchou-demo-legacy-{tag}-{}", std::process::id()));
    let d = dir.display().to_string();
    let o = run::tongchou_env(
        db,
        &[
            "demo",
            "--persons",
            "3000",
            "--setup-only",
            "--legacy-out",
            &d,
        ],
        &[("TONGCHOU_LANG", lang)],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    // the demo's lines in the reader's language
    let out = text(&o.stdout);
    if lang == "en" {
        assert!(out.contains("migrated 11 cities"), "{out}");
        assert!(out.contains("2 persons of two cities reviewed"), "{out}");
        assert!(out.contains("province loaded into"), "{out}");
    } else {
        assert!(out.contains("已迁移 11 个市"), "{out}");
        assert!(out.contains("复核两市重复登记人员 2 人"), "{out}");
        assert!(out.contains("省份已载入"), "{out}");
        assert!(!out.contains("migrated"), "{out}");
    }
    assert!(dir.join("140300").join("reconciliation.xlsx").exists());
    assert!(
        dir.join("140300")
            .join("corrected")
            .join("insured.csv")
            .exists()
    );
    let mut conn = Db::open(db).expect("open");
    let open = conn
        .query_i64(
            "SELECT count(*) FROM migration_reviews WHERE status = 'open'",
            &[],
        )
        .expect("count");
    assert_eq!(open, 0);
    let loads = conn
        .query_i64("SELECT count(*) FROM migration_loads", &[])
        .expect("count");
    assert_eq!(loads, 11);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_migrates_on_sqlite() {
    demo_migrates(&testing::sqlite_url("cli_demo_migrate"), "sqlite", "zh-CN");
}

#[test]
fn demo_migrates_on_postgres() {
    demo_migrates(&testing::pg_url("cli_demo_migrate"), "pg", "en");
}
