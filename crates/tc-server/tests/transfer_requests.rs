//! A file of transfer requests uploaded on `/transfers`, on SQLite and PostgreSQL: without the
//! CSRF token nothing is done; another county's clerk gets the row refused (not within the
//! region) and nothing transferred; a file whose name disagrees with the register is refused
//! naming its row and field, nothing transferred; the good file transfers the line, its
//! certificate linked for download; the same file again transfers nothing twice.

mod support;

use support::{Client, PW, seed, start, transfer_ready};
use tongchou_store::Db;

const HEADER: &str = "联系函编号,身份证号,姓名,转入省份代码,转入地经办机构\n";

fn transfers_out(url: &str) -> i64 {
    let mut db = Db::open(url).expect("open");
    db.query_i64(
        "SELECT count(*) FROM transfers WHERE direction = 'out'",
        &[],
    )
    .expect("count")
}

fn upload(c: &mut Client, file: &str) -> support::Resp {
    let page = c.get("/transfers");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("requests-form"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    c.post_multipart(
        "/transfers/requests",
        &[("csrf", &csrf), ("on", "2025-03-10")],
        ("file", "requests.csv", file.as_bytes()),
    )
}

fn scenario(url: &str) {
    seed(url);
    let id_number = transfer_ready(url);
    let srv = start(url);
    let good =
        format!("{HEADER}BJ-2025-001,{id_number},周退休,110000,北京市社会保险基金管理中心\n");
    let wrong_name =
        format!("{HEADER}BJ-2025-001,{id_number},周退修,110000,北京市社会保险基金管理中心\n");

    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let no_csrf = clerk.post_multipart(
        "/transfers/requests",
        &[("on", "2025-03-10")],
        ("file", "requests.csv", good.as_bytes()),
    );
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);

    let mut clerk2 = Client::new(srv.addr);
    clerk2.login("clerk2", PW);
    let other = upload(&mut clerk2, &good);
    assert_eq!(other.status, 422, "{}", other.body);
    assert!(other.body.contains("不在本辖区"), "{}", other.body);
    assert!(!other.body.contains("周退休"), "{}", other.body);

    let bad = upload(&mut clerk, &wrong_name);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("<td>2</td><td>姓名</td>") && bad.body.contains("与登记姓名不符"),
        "{}",
        bad.body
    );
    assert_eq!(transfers_out(url), 0, "a refused file transfers nobody");

    let ok = upload(&mut clerk, &good);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(
        ok.body.contains("transfers-done") && ok.body.contains("BJ-2025-001"),
        "{}",
        ok.body
    );
    assert!(ok.body.contains("?download=1"), "{}", ok.body);
    assert_eq!(transfers_out(url), 1);

    let again = upload(&mut clerk, &good);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("transfers-already"), "{}", again.body);
    assert_eq!(transfers_out(url), 1, "the same file twice transfers once");
}

#[test]
fn transfer_requests_upload_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url(
        "transfer_requests_web",
    ));
}

#[test]
fn transfer_requests_upload_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("transfer_requests_web"));
}
