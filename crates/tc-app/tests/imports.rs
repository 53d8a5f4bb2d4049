//! The import use case on both backends, through its typed results: a staff member whose role
//! does not allow the kind is refused (audited, nothing read); rows outside their region are
//! every one a problem with its row and column (audited, nothing written); the operator's import
//! writes the file with its `imports` row and audit entry at the clock's time, reporting its one
//! reading's progress; the same file again changes nothing; a missing file is a file error; a
//! file refused after its first chunks were written leaves nothing.
//! (`tongchou import` through the real binary: `crates/tc-cli/tests/cli_import.rs`.)

use std::path::PathBuf;
use tongchou_app::AppError;
use tongchou_app::imports::{self, ImportOptions, ImportRefusal, ImportReport, Importer, Phase};
use tongchou_core::access::Role;
use tongchou_core::{Date, FixedClock, Timestamp};
use tongchou_import::{Encoding, Format, Kind, Progress};
use tongchou_store::access::AuthPolicy;
use tongchou_store::audit::Actor;
use tongchou_store::{Db, testing};

const T0: i64 = 1_795_737_600_000; // 2026-11-27T00:00:00Z
const PW: &str = "a long test passphrase";

const EMPLOYERS: &str = "统一社会信用代码,单位名称,所属区县代码,行业代码,单位状态
91140105MA0K7Q2L9U,太原钢铁示范有限公司,140105,C3110,正常
911402021234567889,大同煤业示范公司,140202,B06,正常
91140171MA0K7Q5C4P,综改区企业,140171,I65,注销
";

fn file(tag: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("tongchou-tests")
        .join(format!("app-imports-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn import(
    db: &mut Db,
    who: Importer<'_>,
    kind: Kind,
    path: &std::path::Path,
    phases: &mut Vec<Phase>,
) -> Result<ImportReport, ImportRefusal> {
    let mut progress = |phase: Phase, _: Progress| {
        if phases.last() != Some(&phase) {
            phases.push(phase);
        }
    };
    imports::import_file(
        db,
        who,
        kind,
        &path.display().to_string(),
        ImportOptions {
            today: "2026-11-27".parse::<Date>().expect("date"),
            error_limit: usize::MAX,
            clock: &FixedClock(Timestamp::from_millis(T0).expect("t0")),
            progress: &mut progress,
        },
    )
}

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect(sql)
}

/// The import id of a file imported.
fn imported(r: Result<ImportReport, ImportRefusal>) -> i64 {
    match r {
        Ok(ImportReport::Imported(w)) => w.import_id,
        other => panic!("{other:?}"),
    }
}

/// The one problem of a refused file: row, column, reason.
fn only_problem(r: Result<ImportReport, ImportRefusal>) -> (u64, Option<String>, String) {
    match r {
        Err(ImportRefusal::Rejected(r)) => {
            assert_eq!(r.problems.len(), 1, "{r:?}");
            let p = &r.problems[0];
            (p.row, p.column.clone(), p.reason.clone())
        }
        other => panic!("{other:?}"),
    }
}

fn story(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    testing::add_user(&mut db, "tax.sx", Role::TaxBureau, 140000, PW);
    testing::add_user(&mut db, "clerk.xd", Role::CountyAgency, 140105, PW);
    let all = file(tag, "employers.csv", EMPLOYERS);
    let mut phases = Vec::new();

    // a wrong password is refused; the right one gives the staff member
    let e = tongchou_app::acting::authenticate(
        &mut db,
        "clerk.xd",
        "not the password",
        "test",
        &AuthPolicy::default(),
        T0,
    )
    .expect_err("wrong password");
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let tax = tongchou_app::acting::authenticate(
        &mut db,
        "tax.sx",
        PW,
        "test",
        &AuthPolicy::default(),
        T0,
    )
    .expect("tax bureau");
    let clerk = tongchou_app::acting::authenticate(
        &mut db,
        "clerk.xd",
        PW,
        "test",
        &AuthPolicy::default(),
        T0,
    )
    .expect("clerk");

    // the tax bureau may not register employers: refused before the file is read, audited
    match import(
        &mut db,
        Importer::Staff(&tax),
        Kind::Employers,
        &all,
        &mut phases,
    ) {
        Err(ImportRefusal::App(AppError::Forbidden(m))) => assert_eq!(
            m,
            "无权导入：税务部门 不能导入「参保单位」（需要“参保单位登记与变更”权限）"
        ),
        other => panic!("{other:?}"),
    }
    assert!(phases.is_empty(), "{phases:?}");
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'denied' AND login = 'tax.sx'"
        ),
        1
    );

    // a county clerk: the rows of other counties are refused, each named, nothing written
    let r = match import(
        &mut db,
        Importer::Staff(&clerk),
        Kind::Employers,
        &all,
        &mut phases,
    ) {
        Err(ImportRefusal::Rejected(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(phases, [Phase::Checking]);
    let got: Vec<(u64, Option<&str>)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        [(3, Some("所属区县代码")), (4, Some("所属区县代码"))],
        "{r:?}"
    );
    assert!(
        r.problems
            .iter()
            .all(|p| p.reason.ends_with("不在 140105 内")),
        "{r:?}"
    );
    assert_eq!((r.rows, r.bad_rows(), r.structure), (3, 2, false));
    assert_eq!(r.summary(), "文件未导入：3 行数据中有 2 行有问题，共 2 处");
    assert!(
        imports::problem_line(&r.problems[0])
            .starts_with("第 3 行 所属区县代码：不在您的辖区：区县 "),
        "{r:?}"
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM employers"), 0);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'failed' AND login = 'clerk.xd'"
        ),
        1
    );

    // the operator imports the whole file, at the clock's time, reading it once
    let op = Actor::operator("cli:tester");
    phases.clear();
    let w = match import(
        &mut db,
        Importer::Operator(&op),
        Kind::Employers,
        &all,
        &mut phases,
    ) {
        Ok(ImportReport::Imported(w)) => w,
        other => panic!("{other:?}"),
    };
    assert_eq!(phases, [Phase::Checking]);
    assert_eq!(
        (w.import_id, w.kind, w.rows, w.format, w.file_name.as_str()),
        (
            1,
            Kind::Employers,
            3,
            Format::Csv(Encoding::Utf8),
            "employers.csv"
        )
    );
    assert_eq!(w.file_sha256.len(), 64);
    assert_eq!(count(&mut db, "SELECT count(*) FROM employers"), 3);
    let listed = tongchou_store::imports::list(&mut db).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].imported_at.as_str(),
            listed[0].imported_by.as_str()
        ),
        ("2026-11-27T00:00:00.000Z", "cli:tester")
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'ok' AND login = 'cli:tester' AND object_id = '1'"
        ),
        1
    );

    // the same file again: nothing changes, the earlier import is named
    phases.clear();
    match import(
        &mut db,
        Importer::Operator(&op),
        Kind::Employers,
        &all,
        &mut phases,
    ) {
        Ok(ImportReport::Already(prev)) => {
            assert_eq!((prev.id, prev.rows), (1, 3));
            assert_eq!(prev.file_sha256, w.file_sha256);
        }
        other => panic!("{other:?}"),
    }
    assert!(phases.is_empty());

    // a person registered in 大同 by the province; a 小店 clerk's file naming them is refused
    // without a word about them (no name, no person id, no county), and the refused read is
    // audited although nothing was written (finding 2)
    let people = file(
        tag,
        "persons.csv",
        "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n\
         140202198510200223,李秀英,,,女干部,140202,,灵活就业,2010-03-15\n",
    );
    assert!(matches!(
        import(
            &mut db,
            Importer::Operator(&op),
            Kind::Persons,
            &people,
            &mut phases
        ),
        Ok(ImportReport::Imported(_))
    ));
    let mine = file(
        tag,
        "mine.csv",
        "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n\
         140202198510200223,李秀英,,,女干部,140105,,灵活就业,2010-03-15\n",
    );
    match import(
        &mut db,
        Importer::Staff(&clerk),
        Kind::Persons,
        &mine,
        &mut phases,
    ) {
        Err(ImportRefusal::Rejected(r)) => {
            let text: String = r.problems.iter().map(|p| p.reason.clone()).collect();
            assert!(
                !text.contains("李秀英")
                    && !text.contains("140202")
                    && !text.contains("person ")
                    && !text.contains("参保人 "),
                "{text}"
            );
            assert!(
                r.problems[0].reason.contains("已在您的辖区以外登记"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'person.read' AND result = 'denied' \
             AND login = 'clerk.xd' AND object_type = 'import'"
        ),
        1
    );

    // a header that is not the kind's: refused as a whole
    let bad = file(tag, "bad.csv", "工号,姓名\n1,王\n");
    match import(
        &mut db,
        Importer::Operator(&op),
        Kind::Employers,
        &bad,
        &mut phases,
    ) {
        Err(ImportRefusal::Rejected(r)) => {
            assert!(r.structure, "{r:?}");
            assert!(r.problems.iter().all(|p| p.row == 1), "{r:?}");
            assert!(r.summary().starts_with("文件未导入：表头或结构有"), "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    // a file that does not exist
    let missing = all.with_file_name("missing.csv");
    assert!(matches!(
        import(
            &mut db,
            Importer::Operator(&op),
            Kind::Employers,
            &missing,
            &mut phases
        ),
        Err(ImportRefusal::File(_))
    ));
    assert_eq!(count(&mut db, "SELECT count(*) FROM employers"), 3);
    // the cross-check files have their own use cases: refused before anything is read
    let deaths = file(
        tag,
        "deaths.csv",
        "身份证号码,死亡日期,来源\n140105198001150110,2024-03-05,公安\n",
    );
    let audited = count(&mut db, "SELECT count(*) FROM audit_log");
    for (kind, command) in [
        (Kind::DeathRecords, "tongchou deaths import --file F"),
        (Kind::PaymentRolls, "tongchou crosscheck import-roll"),
        (Kind::AliveRecords, "tongchou certification import --file F"),
    ] {
        for who in [Importer::Operator(&op), Importer::Staff(&clerk)] {
            match import(&mut db, who, kind, &deaths, &mut phases) {
                Err(ImportRefusal::App(AppError::Invalid(m))) => {
                    assert!(m.contains("文件是比对核查文件，不是登记数据"), "{m}");
                    assert!(m.contains(command), "{m}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(count(&mut db, "SELECT count(*) FROM audit_log"), audited);
    assert_eq!(count(&mut db, "SELECT count(*) FROM death_records"), 0);
    assert_eq!(
        tongchou_store::imports::list(&mut db).expect("list").len(),
        2
    );
    assert!(
        tongchou_store::audit::verify_audit_chain(&mut db)
            .expect("verify")
            .broken
            .is_none()
    );
    if let Some(dir) = all.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn import_use_case_on_sqlite() {
    story(&testing::sqlite_url("app_imports"), "sqlite");
}

#[test]
fn import_use_case_on_postgres() {
    story(&testing::pg_url("app_imports"), "pg");
}

/// The persons file's household-registration column (户籍所在地代码) feeds the register's
/// household registration (migration 0052), which 66号's temporary-account rule reads; a code
/// of no province is refused naming its row and column, and nothing of the file is written.
fn household_registration(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    let op = Actor::operator("test");
    let header = "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期,户籍所在地代码\n";
    let mut phases = Vec::new();
    let bad = file(
        tag,
        "hukou-bad.csv",
        &format!(
            "{header}140202198510200223,李秀英,,,女干部,140202,,灵活就业,2010-03-15,110105\n\
             140105197501010021,王芳,,,女工人,140105,,灵活就业,2020-03-01,190101\n"
        ),
    );
    match import(
        &mut db,
        Importer::Operator(&op),
        Kind::Persons,
        &bad,
        &mut phases,
    ) {
        Err(ImportRefusal::Rejected(r)) => {
            assert_eq!(r.problems.len(), 1, "{r:?}");
            assert_eq!(r.problems[0].row, 3, "{r:?}");
            assert_eq!(
                r.problems[0].column.as_deref(),
                Some("户籍所在地代码"),
                "{r:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&mut db, "SELECT count(*) FROM persons"), 0);
    assert_eq!(count(&mut db, "SELECT count(*) FROM person_hukou"), 0);
    let good = file(
        tag,
        "hukou.csv",
        &format!(
            "{header}140202198510200223,李秀英,,,女干部,140202,,灵活就业,2010-03-15,110105\n\
             140105197501010021,王芳,,,女工人,140105,,灵活就业,2020-03-01,\n"
        ),
    );
    let mut persons = |db: &mut Db| {
        import(
            db,
            Importer::Operator(&op),
            Kind::Persons,
            &good,
            &mut phases,
        )
    };
    let first = persons(&mut db);
    assert!(matches!(first, Ok(ImportReport::Imported(_))), "{first:?}");
    let person = |db: &mut Db, id: &str| {
        tongchou_store::transfers::person(db, id)
            .expect("person")
            .expect("registered")
            .id
    };
    let a = person(&mut db, "140202198510200223");
    let b = person(&mut db, "140105197501010021");
    assert_eq!(
        tongchou_store::transfers::household_registration(&mut db, a).expect("hukou"),
        Some(110105)
    );
    assert_eq!(
        tongchou_store::transfers::household_registration(&mut db, b).expect("hukou"),
        None
    );
    // the same file again changes nothing
    let again = persons(&mut db);
    assert!(matches!(again, Ok(ImportReport::Already(_))), "{again:?}");
    assert_eq!(count(&mut db, "SELECT count(*) FROM person_hukou"), 1);
    let _ = good.parent().map(std::fs::remove_dir_all);
}

#[test]
fn household_registration_column_on_both_backends() {
    for (url, tag) in [
        (testing::sqlite_url("app_imports_hukou"), "sqlite-hukou"),
        (testing::pg_url("app_imports_hukou"), "pg-hukou"),
    ] {
        household_registration(&url, tag);
    }
}

/// A persons file of two chunks and more whose only problem (an ID number registered before)
/// is its last row, met after the first chunks were written: the file is refused whole with
/// that one problem, and nothing of it stays written; without that row it is imported whole.
/// The `i`-th person of the chunk tests: their ID number (in the province's first county) and
/// their line of a persons file (flexibly employed).
fn person_line(i: u32) -> (String, String) {
    use tongchou_core::{Divisions, IdNumber, Sex};
    let county = Divisions::shanxi()
        .counties()
        .next()
        .expect("a county")
        .code;
    let birth = Date::new(1970, 1, 1).expect("date");
    let id = IdNumber::from_parts(
        county,
        birth.add_days(i64::from(i / 900)),
        (i % 900 + 1) as u16,
    );
    let category = if id.sex() == Sex::Male {
        "男"
    } else {
        "女工人"
    };
    let line = format!("{id},参保人{i},{category},{county},,灵活就业,2015-01-01\n");
    (id.to_string(), line)
}

fn refused_after_written_chunks(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    let op = Actor::operator("test");
    let line = |i: u32| person_line(i).1;
    let header = "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n";
    let text = |rows: &mut dyn Iterator<Item = u32>| {
        let mut s = header.to_string();
        rows.for_each(|i| s.push_str(&line(i)));
        s
    };
    let mut phases = Vec::new();
    let mut run = |db: &mut Db, name: &str, body: String| {
        let p = file(tag, name, &body);
        import(db, Importer::Operator(&op), Kind::Persons, &p, &mut phases)
    };
    let lone = run(&mut db, "lone.csv", text(&mut std::iter::once(9_999)));
    assert!(matches!(lone, Ok(ImportReport::Imported(_))), "{lone:?}");
    let big = run(
        &mut db,
        "big.csv",
        text(&mut (0..9_000).chain(std::iter::once(9_999))),
    );
    match big {
        Err(ImportRefusal::Rejected(r)) => {
            let got: Vec<(u64, Option<&str>)> = r
                .problems
                .iter()
                .map(|p| (p.row, p.column.as_deref()))
                .collect();
            assert_eq!(got, [(9_002, Some("身份证号"))], "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&mut db, "SELECT count(*) FROM persons"), 1);
    assert_eq!(count(&mut db, "SELECT count(*) FROM person_ids"), 1);
    assert_eq!(count(&mut db, "SELECT count(*) FROM person_events"), 1);
    let good = run(&mut db, "good.csv", text(&mut (0..9_000)));
    match good {
        Ok(ImportReport::Imported(w)) => assert_eq!(w.rows, 9_000),
        other => panic!("{other:?}"),
    }
    assert_eq!(phases, [Phase::Checking]);
    assert_eq!(count(&mut db, "SELECT count(*) FROM persons"), 9_001);
    assert_eq!(count(&mut db, "SELECT count(*) FROM person_ids"), 9_001);
}

#[test]
fn refused_after_written_chunks_on_both_backends() {
    for (url, tag) in [
        (testing::sqlite_url("app_imports_chunks"), "sqlite-chunks"),
        (testing::pg_url("app_imports_chunks"), "pg-chunks"),
    ] {
        refused_after_written_chunks(&url, tag);
    }
}

/// Declarations and collection results written (16,384 at a time, after four chunks of checks)
/// without first asking whether they are stored already: a file whose only problem, in its last
/// chunk, after a first write, is a declaration (or receipt) an earlier import stored is refused
/// whole with that problem named by row (the primary key refused the write, and the file was
/// checked again), and nothing of it stays written; the same rows without it are imported.
fn stored_rows_found_after_written_chunks(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    let op = Actor::operator("test");
    let mut persons = String::from(
        "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n",
    );
    let mut ids = Vec::new();
    for i in 0..20_000 {
        let (id, line) = person_line(i);
        persons.push_str(&line);
        ids.push(id);
    }
    let declarations = |rows: &[usize], month: &str| {
        let mut s = String::from("单位统一社会信用代码,身份证号,所属期,申报基数\n");
        for i in rows {
            s.push_str(&format!(",{},{month},4500.00\n", ids[*i]));
        }
        s
    };
    let collections = |rows: &[usize]| {
        let mut s =
            String::from("缴费人识别号,身份证号,费款所属期,实缴金额,缴款日期,电子税票号码\n");
        for i in rows {
            let id = &ids[*i];
            s.push_str(&format!("{id},{id},2026-09,900.00,2026-10-15,R{i:06}\n"));
        }
        s
    };
    let mut phases = Vec::new();
    let mut run = |db: &mut Db, kind: Kind, name: &str, body: String| {
        let p = file(tag, name, &body);
        import(db, Importer::Operator(&op), kind, &p, &mut phases)
    };
    let (ok, only) = (imported, only_problem);
    ok(run(&mut db, Kind::Persons, "persons.csv", persons));
    let all: Vec<usize> = (0..20_000).collect();
    let last = ok(run(
        &mut db,
        Kind::Declarations,
        "one.csv",
        declarations(&[19_999], "2026-09"),
    ));
    let (row, column, reason) = only(run(
        &mut db,
        Kind::Declarations,
        "all.csv",
        declarations(&all, "2026-09"),
    ));
    assert_eq!((row, column), (20_001, None));
    assert!(
        reason.contains(&format!("申报已存在（导入批次 {last}）")),
        "{reason}"
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM wage_declarations"), 1);
    ok(run(
        &mut db,
        Kind::Declarations,
        "rest.csv",
        declarations(&all[..19_999], "2026-09"),
    ));
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM wage_declarations"),
        20_000
    );

    let last = ok(run(
        &mut db,
        Kind::Collections,
        "r1.csv",
        collections(&[19_999]),
    ));
    let (row, column, reason) = only(run(
        &mut db,
        Kind::Collections,
        "r-all.csv",
        collections(&all),
    ));
    assert_eq!((row, column.as_deref()), (20_001, Some("电子税票号码")));
    assert!(
        reason.contains(&format!("已存在（导入批次 {last}）")),
        "{reason}"
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM receipts"), 1);
    ok(run(
        &mut db,
        Kind::Collections,
        "r-rest.csv",
        collections(&all[..19_999]),
    ));
    assert_eq!(count(&mut db, "SELECT count(*) FROM receipts"), 20_000);
    // each refusal audited once (the first reading's refused write is not a refusal)
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'failed'"
        ),
        2
    );
}

#[test]
fn stored_rows_found_after_written_chunks_on_both_backends() {
    for (url, tag) in [
        (testing::sqlite_url("app_imports_stored"), "sqlite-stored"),
        (testing::pg_url("app_imports_stored"), "pg-stored"),
    ] {
        stored_rows_found_after_written_chunks(&url, tag);
    }
}

/// Persons in the streamed files, each named once a month for four months.
const STREAMED: usize = 10_000;

/// What an import of a file came to.
type Outcome = Result<ImportReport, ImportRefusal>;

/// A month and a person of the streamed files; `None`: none.
type At = Option<(usize, usize)>;

/// The streamed file of `kind` made by `make` (a month and person with another payer or
/// receipt, one left out) holds a row (`stored`: a month and person) that an earlier import
/// stored alone: refused naming its row and `column` and saying `said` with that import's id,
/// nothing of it written in `table`; without that row the file is imported whole.
fn refused_for_a_stored_row(
    db: &mut Db,
    run: &mut dyn FnMut(&mut Db, Kind, &str, String) -> Outcome,
    (kind, make): (Kind, &dyn Fn(At, At) -> String),
    stored: (usize, usize),
    (table, column, said): (&str, Option<&str>, &str),
) {
    let all = make(None, None);
    let row = stored.0 * STREAMED + stored.1 + 2;
    let lines: Vec<&str> = all.lines().collect();
    let one = format!("{}\n{}\n", lines[0], lines[row - 1]);
    let last = imported(run(db, kind, &format!("{table}-one.csv"), one));
    let (r, col, reason) = only_problem(run(db, kind, &format!("{table}-all.csv"), all));
    assert_eq!((r, col.as_deref()), (row as u64, column));
    assert!(
        reason.contains(&format!("{said}（导入批次 {last}）")),
        "{reason}"
    );
    let rows = format!("SELECT count(*) FROM {table}");
    assert_eq!(count(db, &rows), 1);
    let rest = make(None, Some(stored));
    imported(run(db, kind, &format!("{table}-rest.csv"), rest));
    assert_eq!(count(db, &rows), (4 * STREAMED) as i64);
}

/// A file naming its persons once a month: from the second month on, its chunks are checked
/// while one bulk write is open (every person met before) and written into it. A problem in
/// such a chunk (an unknown employer, a receipt met twice, a row an earlier import stored,
/// found by the primary key at the write's end) is named by row and column as in any other
/// chunk, nothing of the file stays written, and the same file without it is imported whole.
fn streamed_chunks(url: &str, tag: &str) {
    const N: usize = STREAMED;
    let mut db = Db::open(url).expect("open");
    let op = Actor::operator("test");
    let mut persons = String::from(
        "身份证号,姓名,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n",
    );
    let mut ids = Vec::new();
    for i in 0..N as u32 {
        let (id, line) = person_line(i);
        persons.push_str(&line);
        ids.push(id);
    }
    let months = ["2026-06", "2026-07", "2026-08", "2026-09"];
    // every person each month; `odd` (month, person) gets another payer or receipt
    let declarations = |odd: At, skip: At| {
        let mut s = String::from("单位统一社会信用代码,身份证号,所属期,申报基数\n");
        for (m, month) in months.iter().enumerate() {
            for (i, id) in ids.iter().enumerate() {
                if skip == Some((m, i)) {
                    continue;
                }
                let payer = if odd == Some((m, i)) {
                    "911402021234567889"
                } else {
                    ""
                };
                s.push_str(&format!("{payer},{id},{month},4500.00\n"));
            }
        }
        s
    };
    let collections = |odd: At, skip: At| {
        let mut s =
            String::from("缴费人识别号,身份证号,费款所属期,实缴金额,缴款日期,电子税票号码\n");
        for (m, month) in months.iter().enumerate() {
            for (i, id) in ids.iter().enumerate() {
                if skip == Some((m, i)) {
                    continue;
                }
                let receipt = if odd == Some((m, i)) {
                    format!("R{}{:06}", 0, 7)
                } else {
                    format!("R{m}{i:06}")
                };
                s.push_str(&format!("{id},{id},{month},900.00,2026-10-15,{receipt}\n"));
            }
        }
        s
    };
    let mut phases = Vec::new();
    let mut run = |db: &mut Db, kind: Kind, name: &str, body: String| {
        let p = file(tag, name, &body);
        import(db, Importer::Operator(&op), kind, &p, &mut phases)
    };
    let (ok, only) = (imported, only_problem);
    ok(run(
        &mut db,
        Kind::Employers,
        "employers.csv",
        EMPLOYERS.into(),
    ));
    ok(run(&mut db, Kind::Persons, "persons.csv", persons));
    let row = |m: usize, i: usize| (m * N + i + 2) as u64;
    // another payer than the register's, in the third month
    let (r, column, reason) = only(run(
        &mut db,
        Kind::Declarations,
        "d-payer.csv",
        declarations(Some((2, 4_321)), None),
    ));
    assert_eq!(
        (r, column.as_deref()),
        (row(2, 4_321), Some("单位统一社会信用代码"))
    );
    assert!(reason.contains("灵活就业"), "{reason}");
    // a declaration an earlier import stored, in the last month
    refused_for_a_stored_row(
        &mut db,
        &mut run,
        (Kind::Declarations, &declarations),
        (3, N - 3),
        ("wage_declarations", None, "申报已存在"),
    );
    // a receipt met twice (the first month's R0000007), in the fourth month
    let (r, column, reason) = only(run(
        &mut db,
        Kind::Collections,
        "c-twice.csv",
        collections(Some((3, 17)), None),
    ));
    assert_eq!((r, column.as_deref()), (row(3, 17), Some("电子税票号码")));
    assert!(reason.contains(&format!("{}", row(0, 7))), "{reason}");
    // a receipt an earlier import stored, in the third month
    refused_for_a_stored_row(
        &mut db,
        &mut run,
        (Kind::Collections, &collections),
        (2, 5),
        ("receipts", Some("电子税票号码"), "已存在"),
    );
    // each refusal audited once
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'import.file' AND result = 'failed'"
        ),
        4
    );
}

#[test]
fn streamed_chunks_on_both_backends() {
    for (url, tag) in [
        (
            testing::sqlite_url("app_imports_streamed"),
            "sqlite-streamed",
        ),
        (testing::pg_url("app_imports_streamed"), "pg-streamed"),
    ] {
        streamed_chunks(&url, tag);
    }
}
