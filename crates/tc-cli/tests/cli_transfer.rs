//! `tongchou transfer pay|in|release|refuse|confirm` through the real binary, on SQLite and
//! PostgreSQL, in Chinese (the default) and in English (`TONGCHOU_LANG=en`): two persons leave
//! the province, their money paid as a pain.001 file once the fiscal special account is
//! confirmed (refused before, saying why in the reader's language); their certificates come
//! back as if another province sent them with less money and are held; the maker may not review
//! them; another bureau user releases one (its money booked) and refuses the other (its money
//! paid back to the sender), and both are answered with a confirmation.

mod run;

use run::transfer::province;
use run::{PW, ok, text, tongchou, tongchou_env};

use serde_json::Value;
use std::path::Path;
use tongchou_core::access::Role;
use tongchou_core::{Fen, RegionCode};
use tongchou_store::{Db, testing};

const EN: &[(&str, &str)] = &[("TONGCHOU_LANG", "en")];

fn json(out: &str) -> Value {
    serde_json::from_str(out).expect("json")
}

/// The province's fiscal special account, set by the officer and confirmed by the reviewer.
fn fiscal_account(db: &str) {
    let code = tongchou_sim::accounts::credit_code(RegionCode::new(140000).expect("r"))
        .expect("code")
        .to_string();
    let set = [
        "bank",
        "account",
        "set",
        "--kind",
        "fiscal_special_account",
        "--region",
        "140000",
        "--agency",
        "山西省社会保险事业管理中心",
        "--credit-code",
        &code,
        "--account",
        "0502123409000099999",
        "--bank-name",
        "中国工商银行太原分行",
        "--cnaps",
        "102161000011",
        "--valid-from",
        "2020-01-01",
        "--as",
        "officer",
    ];
    ok(&tongchou(db, &set));
    let review = [
        "bank",
        "account",
        "review",
        "--region",
        "140000",
        "--account-version",
        "1",
        "--as",
        "reviewer",
    ];
    ok(&tongchou(db, &review));
}

/// `person` transferred out to Beijing with a plain certificate in `dir`; the certificate's
/// path, its total and the transfer's id.
fn leave(db: &str, dir: &Path, person: &str, n: usize) -> (String, Fen, i64) {
    let cert = dir.join(format!("out-{n}.json")).display().to_string();
    let args = [
        "transfer",
        "out",
        "--id-number",
        person,
        "--to",
        "110000",
        "--plain",
        "--on",
        "2020-03-15",
        "--output",
        &cert,
        "--as",
        "officer",
    ];
    let v = json(&ok(&tongchou(db, &args)));
    let total: Fen = v["total"].as_str().expect("total").parse().expect("fen");
    let list = json(&ok(&tongchou(db, &["transfer", "list", "--as", "officer"])));
    let id = list
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["direction"] == "out" && t["id_number"] == person)
        .and_then(|t| t["id"].as_i64())
        .expect("the transfer out");
    (cert, total, id)
}

/// The payment file of transfer `id` to `output`, with the Beijing centre as creditor.
fn pay(db: &str, id: i64, output: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let id = id.to_string();
    let out = output.display().to_string();
    let args = [
        "transfer",
        "pay",
        "--id",
        &id,
        "--creditor-name",
        "北京市社会保险基金管理中心",
        "--creditor-account",
        "0200001234567890123",
        "--creditor-cnaps",
        "102100099996",
        "--output",
        &out,
        "--on",
        "2020-03-16",
        "--as",
        "officer",
    ];
    tongchou_env(db, &args, env)
}

/// The certificate at `cert` as if Beijing had sent it to Shanxi for someone registered in
/// Beijing (the same birth and years, an ID number of 110105 unknown here), read with 1 yuan less
/// than its total: held; the held transfer's id.
fn come_back(db: &str, dir: &Path, cert: &str, total: Fen, n: usize) -> i64 {
    let mut c: Value = serde_json::from_slice(&std::fs::read(cert).expect("cert")).expect("json");
    c["from_province"] = 110000.into();
    c["to_province"] = 140000.into();
    let id = c["id_number"].as_str().expect("id number");
    let first17 = format!("110105{}", &id[6..17]);
    let check = tongchou_core::ident::id_check_char(first17.as_bytes()).expect("check");
    c["id_number"] = format!("{first17}{}", check as char).into();
    let path = dir.join(format!("in-{n}.json"));
    std::fs::write(&path, serde_json::to_vec(&c).expect("bytes")).expect("write");
    let received = Fen::new(total.fen() - 100).to_string();
    let p = path.display().to_string();
    let args = [
        "transfer",
        "in",
        "--certificate",
        &p,
        "--received",
        &received,
        "--county",
        "140105",
        "--on",
        "2020-04-01",
        "--as",
        "officer",
    ];
    let r = json(&ok(&tongchou(db, &args)));
    assert_eq!(r["status"], "held", "{r}");
    r["transfer"].as_i64().expect("id")
}

fn review(db: &str, what: &str, id: i64, who: &str, env: &[(&str, &str)]) -> std::process::Output {
    let id = id.to_string();
    let args = [
        "transfer",
        what,
        "--id",
        &id,
        "--reason",
        "金额与凭证不符",
        "--on",
        "2020-04-02",
        "--as",
        who,
    ];
    tongchou_env(db, &args, env)
}

fn confirm(db: &str, id: i64, output: &Path) -> Value {
    let id = id.to_string();
    let out = output.display().to_string();
    let args = [
        "transfer",
        "confirm",
        "--id",
        &id,
        "--output",
        &out,
        "--on",
        "2020-04-03",
        "--as",
        "officer",
    ];
    let v = json(&ok(&tongchou(db, &args)));
    let written: Value =
        serde_json::from_slice(&std::fs::read(output).expect("written")).expect("j");
    assert_eq!(written, v, "the confirmation written is the one shown");
    v
}

fn story(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-cli-transfer-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let people = province(db, &dir.join("city"));
    {
        let mut conn = Db::open(db).expect("open");
        testing::add_user(
            &mut conn,
            "reviewer",
            Role::ProvinceBureauApprover,
            140000,
            PW,
        );
    }
    let (cert0, total0, out0) = leave(db, &dir, &people[0].0, 0);
    let (cert1, total1, _) = leave(db, &dir, &people[1].0, 1);

    // pay: refused without a confirmed fiscal special account, in the reader's language
    let xml = dir.join("pay-0.xml");
    let zh = pay(db, out0, &xml, &[]);
    assert!(!zh.status.success());
    assert!(
        text(&zh.stderr).contains("省财政专户在 2020-03-16 无生效账户"),
        "{}",
        text(&zh.stderr)
    );
    assert!(
        text(&zh.stderr).starts_with("错误："),
        "{}",
        text(&zh.stderr)
    );
    let en = pay(db, out0, &xml, EN);
    assert!(
        text(&en.stderr).starts_with("error: the province has no confirmed fiscal special account"),
        "{}",
        text(&en.stderr)
    );
    assert!(!xml.exists() && run::count(db, "transfer_payments") == 0);
    fiscal_account(db);
    let p = json(&ok(&pay(db, out0, &xml, &[])));
    assert_eq!(
        (p["attempt"].as_i64(), p["state"].as_str()),
        (Some(1), Some("issued")),
        "{p}"
    );
    assert_eq!(p["amount_fen"].as_i64(), Some(total0.fen()));
    let file = std::fs::read_to_string(&xml).expect("pain.001");
    assert!(file.contains("0200001234567890123") && file.contains(&total0.to_string()));
    let again = pay(db, out0, &xml, &[]);
    assert!(
        !again.status.success(),
        "issued once until the bank answers"
    );

    // both come back held; the maker may not review them (said in either language)
    let held0 = come_back(db, &dir, &cert0, total0, 0);
    let held1 = come_back(db, &dir, &cert1, total1, 1);
    let own = review(db, "release", held0, "officer", &[]);
    assert!(
        text(&own.stderr).contains(&format!("officer：录入人不能复核自己录入的转入 {held0}")),
        "{}",
        text(&own.stderr)
    );
    let own = review(db, "refuse", held1, "officer", EN);
    assert!(
        text(&own.stderr).contains(&format!(
            "the one who recorded transfer {held1} may not review it"
        )),
        "{}",
        text(&own.stderr)
    );

    // released in Chinese, refused in English; a second decision is refused
    let r = json(&ok(&review(db, "release", held0, "reviewer", &[])));
    assert_eq!(
        (r["status"].as_str(), r["status_name"].as_str()),
        (Some("released"), Some("复核放行")),
        "{r}"
    );
    let r = json(&ok(&review(db, "refuse", held1, "reviewer", EN)));
    assert_eq!(
        (r["status"].as_str(), r["status_name"].as_str()),
        (Some("refused"), Some("Refused")),
        "{r}"
    );
    let twice = review(db, "release", held1, "reviewer", &[]);
    assert!(
        text(&twice.stderr).contains("复核退回"),
        "{}",
        text(&twice.stderr)
    );

    // each answered with a confirmation; the refused one's money paid back to the sender
    let c0 = confirm(db, held0, &dir.join("confirm-0.json"));
    assert_eq!(c0["outcome"], "accepted");
    assert_eq!(
        c0["booked"].as_str(),
        Some(Fen::new(total0.fen() - 100).to_string().as_str())
    );
    let c1 = confirm(db, held1, &dir.join("confirm-1.json"));
    assert_eq!(
        (c1["outcome"].as_str(), c1["reason"].as_str()),
        (Some("refused"), Some("金额与凭证不符"))
    );
    let back = json(&ok(&pay(db, held1, &dir.join("refund-1.xml"), &[])));
    assert_eq!(
        back["amount_fen"].as_i64(),
        Some(total1.fen() - 100),
        "{back}"
    );
    assert_eq!(back["purpose"], "refund", "{back}");

    // the resulting state, listed in either language
    let list = json(&ok(&tongchou_env(
        db,
        &["transfer", "list", "--as", "officer"],
        EN,
    )));
    let state = |id: i64| {
        let t = list
            .as_array()
            .expect("list")
            .iter()
            .find(|t| t["id"] == id)
            .expect("listed");
        (
            t["status"].as_str().unwrap_or_default().to_string(),
            t["status_name"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert_eq!(state(held0), ("released".into(), "Released".into()));
    assert_eq!(state(held1), ("refused".into(), "Refused".into()));
    let received = |id: i64| {
        let t = list
            .as_array()
            .expect("list")
            .iter()
            .find(|t| t["id"] == id);
        t.and_then(|t| t["received_fen"].as_i64())
            .expect("received")
    };
    assert_eq!(received(held0), total0.fen() - 100);
    let zh = ok(&tongchou(
        db,
        &["transfer", "list", "--status", "refused", "--as", "officer"],
    ));
    assert!(
        zh.contains("\"status_name\": \"复核退回\"") && !zh.contains("复核放行"),
        "{zh}"
    );
    // the released money booked, the refused one paid back: the ledger holds together
    ok(&tongchou(db, &["ledger", "check"]));
    assert_eq!(run::count(db, "transfer_payments"), 2);
    assert_eq!(run::count(db, "transfer_reviews"), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn transfer_review_and_payment_sqlite() {
    story(&testing::sqlite_url("cli_transfer"), "sqlite");
}

#[test]
fn transfer_review_and_payment_postgres() {
    story(&testing::pg_url("cli_transfer"), "pg");
}
