//! The fund's cohort projection on both backends, over a small synthetic province whose January
//! and February 2020 were collected and paid: the store's aggregates agree with the register
//! (every insured person in service and every pensioner counted once), the start is the year's
//! ledger balance (the one of the early warning) and the last assessed month's base and rate,
//! every projected year keeps the balance identity and THE months payable, the scenarios differ
//! as their assumptions say, and the renderings print the assumptions.

mod common;

use tongchou_app::projection;
use tongchou_core::{Fen, Period, Policy};
use tongchou_engine::projection::MILLI;
use tongchou_engine::warning::months_payable;
use tongchou_store::{Db, Val, testing};

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query(sql, &[]).expect("count")[0][0].i64().expect("int")
}

fn run(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 1200, "2020-01");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-projection-{}-{tag}", std::process::id()));
    for m in ["2020-01", "2020-02"] {
        common::run_month(&mut db, &policy, &actors, &out, m);
    }
    let _ = std::fs::remove_dir_all(&out);

    // the aggregates against the register
    let in_service = count(
        &mut db,
        "SELECT COUNT(*) FROM persons WHERE status IN ('active', 'suspended')",
    );
    let by_birth = tongchou_store::projection::insured_by_birth(&mut db).expect("insured");
    assert_eq!(by_birth.iter().map(|g| g.2).sum::<i64>(), in_service);
    assert!(in_service > 500, "{in_service}");
    let pensioners = count(
        &mut db,
        "SELECT COUNT(*) FROM pensioners WHERE retire_period < 202101 AND status = 'active'",
    );
    let december: Period = "2020-12".parse().expect("p");
    let january: Period = "2021-01".parse().expect("p");
    let pens = tongchou_store::projection::pensioners_by_birth(&mut db, january).expect("p");
    assert_eq!(pens.iter().map(|g| g.2).sum::<i64>(), pensioners);
    let paid: i64 = db
        .query(
            "SELECT CAST(SUM(monthly_fen) AS BIGINT) FROM pensioners WHERE retire_period < $1 AND status = 'active'",
            &[Val::I64(202101)],
        )
        .expect("q")[0][0]
        .i64()
        .expect("sum");
    assert_eq!(pens.iter().map(|g| g.3.fen()).sum::<i64>(), paid);
    let feb: Period = "2020-02".parse().expect("p");
    assert_eq!(
        tongchou_store::projection::last_assessed_month(&mut db, 2020).expect("m"),
        Some(feb)
    );
    let (n, bases, contributions) =
        tongchou_store::projection::assessed_month(&mut db, feb).expect("assessed");
    assert!(n > 0 && bases.is_positive() && contributions.is_positive());

    // the projection
    let p = projection::project(&mut db, 2020, 30, &[]).expect("project");
    assert_eq!(p.base_month, feb);
    assert_eq!(p.start.contributors, n);
    assert_eq!(
        p.start.avg_base,
        Fen::div_half_up(bases.fen() as i128, n as i128).expect("avg")
    );
    let (balance, _) = tongchou_app::warn::provincial_fund(&mut db, december).expect("fund");
    assert_eq!(p.start.balance, balance);
    assert!(balance.is_positive(), "{balance}");
    assert_eq!(
        p.start.insured.iter().map(|c| c.persons).sum::<i64>(),
        in_service * MILLI
    );
    let names: Vec<&str> = p.runs.iter().map(|r| r.terms.scenario.as_str()).collect();
    assert_eq!(
        names,
        ["base", "low_wage", "low_compliance", "low_coverage"]
    );
    // each scenario by its name in the reader's language, never by its key
    for r in &p.runs {
        use tongchou_core::i18n::{Lang, other_language, scope};
        assert_eq!(projection::scenario_name(&r.terms), r.terms.name_zh);
        let en = scope(Lang::En, || projection::scenario_name(&r.terms));
        assert!(en != r.terms.scenario && en.contains(' '), "{en}");
        assert_eq!(other_language(&en, Lang::En), None, "{en}");
    }
    for r in &p.runs {
        assert_eq!(r.years.len(), 30);
        assert_eq!(r.years[0].year, 2021);
        assert_eq!(r.years[0].opening, balance);
        for (i, y) in r.years.iter().enumerate() {
            assert_eq!(
                y.opening.fen() + y.income.fen() - y.expenditure.fen(),
                y.closing.fen()
            );
            if i > 0 {
                assert_eq!(y.opening, r.years[i - 1].closing);
            }
            assert_eq!(
                y.months_payable,
                months_payable(y.closing, y.expenditure, 12)
            );
            assert!(y.expenditure.is_positive());
        }
    }
    let base = &p.runs[0].years;
    let low_compliance = &p.runs[2].years;
    assert!(low_compliance[0].contributions < base[0].contributions);
    assert_eq!(low_compliance[0].expenditure, base[0].expenditure);
    assert!(p.runs[1].years[29].avg_base < base[29].avg_base);
    assert!(p.runs[3].years[29].insured < base[29].insured);

    // renderings
    let text = projection::text(&p);
    assert!(
        text.contains("\n假设（policy/projection.toml）:\n")
            && text.contains("\n起点:\n  基金累计结余: ")
            && text.contains("工资增长率")
            && text.contains("统筹系统假定")
            && !text.contains("projection.wage_growth"),
        "{text}"
    );
    let en = tongchou_core::i18n::scope(tongchou_core::i18n::Lang::En, || projection::text(&p));
    assert!(
        en.contains("\nassumptions (policy/projection.toml):\n")
            && en.contains("\nstart:\n  fund balance: ")
            && !en.contains("假设")
            && en.contains("Wage growth (low wage scenario)")
            && en.contains("Tongchou assumption"),
        "{en}"
    );
    assert!(text.contains("工资增长率（工资低增长情景）"));
    let j = projection::json(&p);
    assert_eq!(j["from_year"], 2020);
    assert_eq!(
        j["scenarios"][0]["years"].as_array().expect("years").len(),
        30
    );
    assert_eq!(
        j["scenarios"][0]["years"][0]["opening"],
        balance.to_string()
    );
    assert!(
        j["scenarios"][0]["assumptions"]
            .as_array()
            .expect("a")
            .len()
            >= 10
    );
    assert!(
        j["scenarios"][0]["assumptions"][0]["source_zh"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        projection::xlsx(&p)
            .expect("xlsx")
            .starts_with(b"PK\x03\x04")
    );
    // one scenario, a bad one, a bad year count
    let one = projection::project(&mut db, 2020, 5, &["low_wage".into()]).expect("one");
    assert_eq!(one.runs.len(), 1);
    assert_eq!(one.runs[0].years, p.runs[1].years[..5].to_vec());
    assert!(projection::project(&mut db, 2020, 5, &["nonsense".into()]).is_err());
    assert!(projection::project(&mut db, 2020, 0, &[]).is_err());
    assert!(matches!(
        projection::project(&mut db, 2019, 5, &[]),
        Err(tongchou_app::AppError::NotFound(_))
    ));
}

#[test]
fn projection_on_sqlite() {
    run(&testing::sqlite_url("projection"), "sqlite");
}

#[test]
fn projection_on_postgres() {
    run(&testing::pg_url("projection"), "pg");
}
