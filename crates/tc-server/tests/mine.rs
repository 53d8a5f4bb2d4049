//! The insured person's own pages, through the real server on a random port, on SQLite and
//! PostgreSQL: the pensioner reads their pension with how each part is computed (the rule run
//! again on the stored inputs), the payments made to them, their account's closed year with its
//! statement, and every month's contribution with what is still owed; staff cannot open these
//! pages; every read is audited.

mod support;

use support::{Client, PW, pensioner_history, seed, start};
use tongchou_core::i18n::Lang;
use tongchou_store::Db;

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let total = pensioner_history(&mut db);
    let srv = start(url);
    let mut me = Client::new(srv.addr);
    assert_eq!(me.login("citizen", PW).status, 303);
    let r = me.get("/me/records");
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert!(
        b.contains(&format!("id=\"pension-total\">{} 元", total.grouped())),
        "{b}"
    );
    assert!(
        !b.contains("按现行规则重算与核定金额不一致"),
        "reproduced: {b}"
    );
    for rule in ["pension.basic", "pension.account", "pension.transitional"] {
        assert!(b.contains(&format!("data-rule=\"{rule}\"")), "{rule}: {b}");
    }
    assert!(b.contains("基本养老金") && b.contains("已到账"), "{b}");
    assert!(b.contains("银行退回"), "{b}");
    assert!(b.contains("4,194.36 元"), "{b}");
    assert!(b.contains("/me/statement?year=2021"), "{b}");
    // 12 months assessed at 1,200 元, 11 paid: 1,200 元 owed
    assert!(
        b.contains("共 12 个月 · 应缴 14,400.00 元 · 已缴 13,200.00 元 · 欠缴 1,200.00 元"),
        "{b}"
    );
    assert!(b.contains("id=\"estimate-mine\""), "{b}");
    // registry values read in Chinese, amounts in yuan
    assert!(b.contains("已退休") && b.contains("<dd>男</dd>"), "{b}");
    assert!(b.contains("<dd>120,000.00 元</dd>"), "{b}");
    explained_in_both_languages(&mut me, b);
    let st = me.get("/me/statement?year=2021");
    assert_eq!(st.status, 200, "{}", st.body);
    assert!(
        st.body.contains("<dt>本年记账</dt><dd>4,400.00 元</dd>"),
        "{}",
        st.body
    );
    assert_eq!(me.get("/me/statement?year=2020").status, 409);
    assert_eq!(me.get("/me/statement?year=abc").status, 400);
    let reads = count(
        &mut db,
        "SELECT count(*) FROM audit_log WHERE action = 'person.read_own' AND result = 'ok' AND login = 'citizen'",
    );
    assert!(reads >= 2, "{reads}");
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'account.statement' AND object_id = '1001'"
        ),
        1
    );
    // staff are refused, and the refusal is audited
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert_eq!(clerk.get("/me/records").status, 403);
    assert_eq!(clerk.get("/me/statement?year=2021").status, 403);
    assert!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'person.read_own' AND result = 'denied' AND login = 'clerk'"
        ) >= 2
    );
}

/// The explanations' formulas and steps of a page (`<p class="formula">` and
/// `<table class="steps">` of each `<details class="explain">`), without their markup.
fn explained(body: &str) -> String {
    let mut out = String::new();
    for d in body.split("<details class=\"explain\"").skip(1) {
        let d = d.split("</details>").next().unwrap_or("");
        for part in [
            ("<p class=\"formula\">", "</p>"),
            ("<table class=\"steps\">", "</table>"),
        ] {
            if let Some(rest) = d.split(part.0).nth(1) {
                out.push_str(rest.split(part.1).next().unwrap_or(""));
                out.push('\n');
            }
        }
    }
    text_of(&out)
}

/// The explanations' tables of dated parameters (the `<table>` without a class of each
/// `<details class="explain">`), without their markup (a name's id in its `title` dropped).
fn parameters(body: &str) -> String {
    let mut out = String::new();
    for d in body.split("<details class=\"explain\"").skip(1) {
        let d = d.split("</details>").next().unwrap_or("");
        if let Some(rest) = d.split("<table>").nth(1) {
            out.push_str(rest.split("</table>").next().unwrap_or(""));
            out.push('\n');
        }
    }
    text_of(&out)
}

/// A page's fragment without its markup, white space collapsed.
fn text_of(out: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The pensioner's explanations in Chinese (as 国发〔2005〕38号 words them, amounts in 元, no
/// English formula words), then in English (no Chinese), then in Chinese again.
fn explained_in_both_languages(me: &mut Client, zh_page: &str) {
    let zh = explained(zh_page);
    for words in [
        "基础养老金 = 计发基数 × (1 + 本人平均缴费工资指数) ÷ 2 × 缴费年限 × 1%",
        "个人账户养老金 = 个人账户储存额 ÷ 计发月数",
        "过渡性养老金 = 计发基数 × 视同缴费指数 × 视同缴费年限 × 过渡系数",
        "计发月数",
        "本人指数化月平均缴费工资",
        "计发基数 6,500.00 元",
        "年龄 60 岁 0 个月",
        "个人账户养老金 863.31 元",
        "过渡性养老金 777.40 元",
    ] {
        assert!(zh.contains(words), "{words}: {zh}");
    }
    for english in [
        "benefit_base",
        "divisor",
        "avg_index",
        "deemed",
        "basic",
        "transitional",
        "years",
        "yuan",
    ] {
        assert!(!zh.contains(english), "{english} in Chinese: {zh}");
    }
    assert_eq!(
        tongchou_core::i18n::other_language(&zh, Lang::ZhCn),
        None,
        "{zh}"
    );
    // the parameters read: by their Chinese names (not their ids), the sources in Chinese
    let zh_params = parameters(zh_page);
    assert!(
        zh_params.contains("过渡系数")
            && zh_params.contains("个人账户养老金计发月数 共 31 行的表")
            && zh_params.contains("许昌市政府"),
        "{zh_params}"
    );
    for id in ["benefit.", "account.", "contribution.", "wages."] {
        assert!(!zh_params.contains(id), "{id} in Chinese: {zh_params}");
    }
    assert_eq!(
        tongchou_core::i18n::other_language(&zh_params, Lang::ZhCn),
        None,
        "{zh_params}"
    );
    assert!(
        zh_page.contains("title=\"benefit.divisor_months\""),
        "{zh_page}"
    );
    assert_eq!(me.get("/lang?to=en&back=%2Fme%2Frecords").status, 303);
    let page = me.get("/me/records");
    assert_eq!(page.status, 200, "{}", page.body);
    let en = explained(&page.body);
    for words in [
        "basic pension = benefit base × (1 + average contribution index) ÷ 2 × contribution years × 1%",
        "account pension = account balance ÷ divisor months",
        "transitional pension = benefit base × deemed contribution index",
        "indexed monthly average wage",
        "benefit base 6,500.00 yuan",
        "age 60 years 0 months",
        "account pension 863.31 yuan",
    ] {
        assert!(en.contains(words), "{words}: {en}");
    }
    assert!(
        !en.contains("benefit_base") && !en.contains("avg_index"),
        "{en}"
    );
    let en_params = parameters(&page.body);
    assert!(
        en_params.contains("Transition coefficient")
            && en_params.contains("Account divisor (months) table of 31 rows")
            && en_params.contains("Xuchang government"),
        "{en_params}"
    );
    assert!(!en_params.contains("benefit.base_monthly"), "{en_params}");
    assert_eq!(
        tongchou_core::i18n::other_language(&en, Lang::En),
        None,
        "{en}"
    );
    assert_eq!(me.get("/lang?to=zh-CN&back=%2F").status, 303);
}

#[test]
fn own_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_mine"));
}

#[test]
fn own_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_mine"));
}
