//! A province for the transfer tests: a migrated city, the bureau officer, money in the fiscal
//! special account; an exchange key file.

use super::{PW, text, tongchou};
use std::path::Path;
use tongchou_core::access::Role;
use tongchou_core::{Date, Divisions, Fen};
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, testing};

/// A province holding a migrated city (the officer, the ledger, money in the special account);
/// two insured persons of the city's file (ID number, name).
pub fn province(db: &str, dir: &Path) -> Vec<(String, String)> {
    let d = dir.display().to_string();
    super::synth_city(db, "140200", &d, 600, &[]);
    {
        let mut conn = Db::open(db).expect("open");
        Ledger::new(&mut conn)
            .open_standard(Divisions::shanxi())
            .expect("accounts");
        let officer = testing::add_user(
            &mut conn,
            "officer",
            Role::ProvinceBureauOfficer,
            140000,
            PW,
        );
        let subsidy = tongchou_app::income::Income {
            key: "voucher-1",
            region: Divisions::shanxi().province().code,
            kind: "subsidy-province",
            amount: Fen::new(1_000_000_000),
            date: Date::new(2020, 1, 2).expect("d"),
            reference: "test",
        };
        tongchou_app::income::record(&mut conn, &Actor::of(&officer), 2, &subsidy).expect("income");
    }
    let load = [
        "migrate",
        "load",
        "--city",
        "140200",
        "--dir",
        &d,
        "--cutover",
        "2020-01",
        "--today",
        "2020-01-10",
        "--as",
        "officer",
    ];
    let o = tongchou(db, &load);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let insured = std::fs::read_to_string(dir.join("insured.csv")).expect("insured");
    let mut lines = insured.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = |h: &str| header.iter().position(|x| *x == h).expect("column");
    let (id, name) = (at("身份证号"), at("姓名"));
    let status = header.iter().position(|x| *x == "参保状态");
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| status.is_none_or(|s| c[s].is_empty() || c[s] == "正常"))
        .map(|c| (c[id].to_string(), c[name].to_string()))
        .take(2)
        .collect()
}

/// An exchange key file (mode 0600) in `dir`, its path.
pub fn exchange_key(dir: &Path) -> String {
    let key = dir.join("exchange.key");
    std::fs::write(&key, "5a".repeat(32)).expect("key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("mode");
    }
    key.display().to_string()
}
