//! The dues file for the tax bureau through the real binary, on SQLite and PostgreSQL: after a
//! month's collection close the tax bureau exports what each payer owes (the province's, a
//! city's); a user without the right or outside the region is refused with no file written; every
//! export and refusal is audited.

mod run;
use run::{PW, ok, tongchou};
use tongchou_core::access::Role;
use tongchou_store::{Db, Val, testing};

fn dues(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-dues-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
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
    ));
    let mut conn = Db::open(db).expect("open");
    testing::add_user(&mut conn, "tax.province", Role::TaxBureau, 140000, PW);
    testing::add_user(&mut conn, "tax.taiyuan", Role::TaxBureau, 140100, PW);
    let export = |login: &str, region: Option<&str>, file: &str| {
        let path = dir.join(file).display().to_string();
        let mut args = vec![
            "dues", "--period", "2020-01", "--output", &path, "--as", login, "--plain",
        ];
        if let Some(r) = region {
            args.extend(["--region", r]);
        }
        (tongchou(db, &args), path)
    };
    // the province's file: one row per assessment, the amounts the assessments hold
    let (o, path) = export("tax.province", None, "province.csv");
    let said = ok(&o);
    let text = std::fs::read_to_string(&path).expect("file");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("所属期,区县代码,统一社会信用代码"),
        "{text}"
    );
    let rows: Vec<&str> = lines.collect();
    let mut q = |sql: &str| conn.query_i64(sql, &[]).expect("q");
    let assessed = q("SELECT count(*) FROM assessments WHERE period = 202001");
    assert!(assessed > 100);
    assert_eq!(rows.len() as i64, assessed);
    let total = q(
        "SELECT CAST(SUM(pooling_fen + account_fen) AS BIGINT) FROM assessments WHERE period = 202001",
    );
    let in_file: i64 = rows
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r.split(',').collect();
            cells[11].parse::<tongchou_core::Fen>().expect("yuan").fen()
        })
        .sum();
    assert_eq!(in_file, total);
    assert!(said.contains(&format!("{} 行", assessed)), "{said}");
    // full ID numbers: sealed for the tax bureau's exchange key, or plain only when asked
    let plain = std::fs::read_to_string(&path).expect("file");
    let id = rows[0].split(',').nth(4).expect("id").to_string();
    let sealed = dir.join("province.sealed").display().to_string();
    let args = [
        "dues",
        "--period",
        "2020-01",
        "--output",
        &sealed,
        "--as",
        "tax.province",
    ];
    let o = tongchou(db, &args);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--seal-key-file"),
        "{o:?}"
    );
    let key = dir.join("exchange.key");
    std::fs::write(&key, "5a".repeat(32)).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("mode");
    }
    let k = key.display().to_string();
    ok(&tongchou(
        db,
        &[&args[..], &["--seal-key-file", &k]].concat(),
    ));
    let bytes = std::fs::read(&sealed).expect("sealed");
    assert!(bytes.starts_with(b"TONGCHOU-SEALED 1\nkind: dues-csv\n"));
    assert!(
        !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
        "no ID number in clear"
    );
    let opened = dir.join("opened.csv").display().to_string();
    ok(&tongchou(
        db,
        &[
            "unseal",
            "--key-file",
            &k,
            "--from",
            &sealed,
            "--out",
            &opened,
        ],
    ));
    assert_eq!(std::fs::read_to_string(&opened).expect("opened"), plain);
    // a city's bureau: its own counties only; another city refused, no file left
    let (o, path) = export("tax.taiyuan", None, "taiyuan.csv");
    ok(&o);
    let city = q(
        "SELECT count(*) FROM assessments WHERE period = 202001 AND county BETWEEN 140100 AND 140199",
    );
    let text = std::fs::read_to_string(&path).expect("file");
    assert_eq!(text.lines().count() as i64, city + 1);
    let (o, path) = export("tax.taiyuan", Some("140200"), "datong.csv");
    assert!(!o.status.success());
    assert!(!std::path::Path::new(&path).exists());
    // a role without the right (the finance approver) is refused too
    let (o, path) = export("demo.approver", None, "finance.csv");
    assert!(!o.status.success(), "{o:?}");
    assert!(!std::path::Path::new(&path).exists());
    // audited: two exports, the refusals
    let mut n = |result: &str| {
        conn.query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'dues.export' AND result = $1",
            &[Val::Str(result)],
        )
        .expect("q")
    };
    assert_eq!(n("ok"), 3);
    assert!(n("denied") >= 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dues_file_on_sqlite() {
    dues(&testing::sqlite_url("cli_dues"), "sqlite");
}

#[test]
fn dues_file_on_postgres() {
    dues(&testing::pg_url("cli_dues"), "pg");
}
