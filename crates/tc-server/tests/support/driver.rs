//! The browser tests' driver: a chromedriver process and one headless Chromium session on it,
//! driven synchronously with `fantoccini`, with screenshots kept under
//! `target/tmp/screenshots/NAME-ENGINE.png`. Included by `browser.rs` and `month_flow.rs`
//! (`#[path = "support/driver.rs"] mod driver;`), each of which has `mod support;`.
#![allow(dead_code)]

use crate::support::PW;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The database engine of this test process (each test runs in its own process under
/// nextest): the suffix of its screenshots.
pub static ENGINE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

fn find_binary(env: &str, candidates: &[&str]) -> String {
    if let Ok(p) = std::env::var(env) {
        return p;
    }
    for c in candidates {
        if std::path::Path::new(c).exists() {
            return c.to_string();
        }
    }
    panic!(
        "browser test needs {candidates:?} (or ${env}): install with `apt-get install -y chromium chromium-driver`"
    );
}

/// A chromedriver process and one browser session on it, driven synchronously.
pub struct Driver {
    pub rt: tokio::runtime::Runtime,
    client: Option<fantoccini::Client>,
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub fn start() -> Driver {
        let chromium = find_binary(
            "CHROME_BIN",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = find_binary("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut d = Driver {
            rt,
            client: None,
            child,
        };
        let base = format!("http://127.0.0.1:{port}");
        let status = ureq::Agent::new_with_defaults();
        let t0 = Instant::now();
        loop {
            let ready = status
                .get(format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|b| serde_json::from_str::<Value>(&b).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--no-first-run", "--window-size=1200,900",
                         "--lang=zh-CN"],
                // a Chinese user's browser: the pages answer its Accept-Language in zh-CN
                "prefs": { "intl.accept_languages": "zh-CN,zh" }
            }),
        );
        let client =
            d.rt.block_on(
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&base),
            )
            .unwrap_or_else(|e| panic!("new session: {e}"));
        d.rt.block_on(client.update_timeouts(TimeoutConfiguration::new(
            None,
            Some(Duration::from_secs(30)),
            Some(Duration::from_secs(5)),
        )))
        .expect("timeouts");
        d.client = Some(client);
        d
    }

    pub fn c(&self) -> &fantoccini::Client {
        self.client.as_ref().expect("session")
    }

    pub fn goto(&self, url: &str) {
        self.rt
            .block_on(self.c().goto(url))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.rt
            .block_on(self.c().find(Locator::Css(css)))
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.rt
            .block_on(async {
                e.clear().await?;
                e.send_keys(text).await
            })
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.rt
            .block_on(e.click())
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The element's text; found again if the page replaced it while it was read (a stale
    /// element on a busy machine), for at most 15 seconds.
    pub fn text(&self, css: &str) -> String {
        let t0 = Instant::now();
        loop {
            let e = self.find(css);
            match self.rt.block_on(e.text()) {
                Ok(t) => return t,
                Err(err) if t0.elapsed() < Duration::from_secs(15) => {
                    eprintln!("text of {css}: {err}; reading it again");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(err) => panic!("text of {css}: {err}"),
            }
        }
    }

    /// Choose a file for a file input (the path typed into it, as WebDriver does).
    pub fn choose_file(&self, css: &str, path: &std::path::Path) {
        let e = self.find(css);
        self.rt
            .block_on(e.send_keys(&path.to_string_lossy()))
            .unwrap_or_else(|e| panic!("choose a file for {css}: {e}"));
    }

    /// Wait until an element matching `css` is on the page.
    pub fn wait_for(&self, css: &str) {
        let t0 = Instant::now();
        while self.script(
            "return document.querySelector(arguments[0]) !== null",
            vec![json!(css)],
        ) != json!(true)
        {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "{css} never appeared at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Keep a screenshot of the page as a test artefact:
    /// `target/tmp/screenshots/NAME-ENGINE.png` (ENGINE: sqlite or postgres).
    pub fn screenshot(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.rt.block_on(self.c().screenshot()).expect("screenshot");
        let engine = ENGINE.get().copied().unwrap_or("sqlite");
        std::fs::write(dir.join(format!("{name}-{engine}.png")), png).expect("write screenshot");
    }

    pub fn window(&self, width: u32, height: u32) {
        self.rt
            .block_on(self.c().set_window_size(width, height))
            .expect("window size");
    }

    /// The page's width as laid out, and the widest the document scrolls to.
    pub fn widths(&self) -> (i64, i64) {
        let v = self.script(
            "return [document.documentElement.clientWidth, document.body.scrollWidth]",
            vec![],
        );
        (
            v[0].as_i64().expect("client width"),
            v[1].as_i64().expect("scroll width"),
        )
    }

    pub fn log_in(&self, base: &str, login: &str) {
        self.goto(&format!("{base}/login"));
        self.type_into("#login", login);
        self.type_into("#password", PW);
        self.click("#login-submit");
        self.wait_url("/dashboard");
    }

    pub fn log_out(&self, base: &str) {
        self.goto(&format!("{base}/dashboard"));
        self.click("#logout-form button");
        self.wait_url("/login");
    }

    pub fn url(&self) -> String {
        self.rt
            .block_on(self.c().current_url())
            .expect("current url")
            .to_string()
    }

    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.c().execute(script, args))
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Wait until the element's text is `want` (across a page load: read by a script, so an
    /// element of the page being replaced is never touched).
    pub fn wait_text(&self, css: &str, want: &str) {
        let t0 = Instant::now();
        loop {
            let got = self.script(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null",
                vec![json!(css)],
            );
            if got.as_str() == Some(want) {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "{css} never read {want:?}: {got}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until the current URL contains `part`.
    pub fn wait_url_part(&self, part: &str) {
        let t0 = Instant::now();
        while !self.url().contains(part) {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "never reached {part}: at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_url(&self, suffix: &str) {
        let t0 = Instant::now();
        while !self.url().ends_with(suffix) {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "never reached {suffix}: at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The plan chain of 2022-06 clicked through (on a month waiting for the plans of 140105
    /// and 140100): the county clerk (`clerk`) opens the plan from the dashboard and submits
    /// it with a note; the city (`city.ty`) returns it with a confirmed reason; the county reads
    /// the reason and resubmits; the city forwards it and submits the city's plan. Screenshots
    /// `PREFIX-1-county-proposal` … `PREFIX-6-city-submitted`.
    pub fn plan_chain_return_then_forward(&self, base: &str, prefix: &str) {
        // the county clerk opens the plan from the dashboard and submits it with a note
        self.log_in(base, "clerk");
        self.click("#chain-link");
        self.wait_url("/chain/2022-06/140105");
        assert!(self.text("#chain-proposal-total").contains("4,194.36 元"));
        self.screenshot(&format!("{prefix}-1-county-proposal"));
        self.type_into("#submit-county-note", "六月用款计划");
        self.click("#submit-county-button");
        self.wait_text("#chain-state", "已报送");
        self.log_out(base);

        // the city opens its county's plan and returns it with a confirmed reason
        self.log_in(base, "city.ty");
        self.click("#chain-link");
        self.wait_url("/chain");
        self.screenshot(&format!("{prefix}-2-city-list"));
        self.click("#open-140105");
        self.wait_url("/chain/2022-06/140105");
        self.type_into("#reason", "退休人员人数与名册不符");
        self.click("#return-button");
        assert!(self.text("#chain-error").contains("勾选确认"));
        self.type_into("#reason", "退休人员人数与名册不符");
        self.click("#confirm-return");
        self.click("#return-button");
        self.wait_text("#chain-state", "已退回");
        self.screenshot(&format!("{prefix}-3-city-returned"));
        self.log_out(base);

        // the county sees the reason and resubmits
        self.log_in(base, "clerk");
        self.goto(&format!("{base}/chain/2022-06/140105"));
        assert!(
            self.text("#chain-history")
                .contains("退休人员人数与名册不符")
        );
        self.type_into("#submit-county-note", "已核对名册");
        self.click("#submit-county-button");
        self.wait_text("#chain-state", "已报送");
        self.screenshot(&format!("{prefix}-4-county-resubmitted"));
        self.log_out(base);

        // the city forwards it and submits the city's plan
        self.log_in(base, "city.ty");
        self.goto(&format!("{base}/chain/2022-06/140105"));
        self.click("#forward-button");
        self.wait_text("#chain-state", "已转报");
        self.screenshot(&format!("{prefix}-5-city-forwarded"));
        self.goto(&format!("{base}/chain?month=2022-06"));
        self.type_into("#submit-city-note", "太原市六月汇总");
        self.click("#submit-city-button");
        self.wait_url("/chain?month=2022-06");
        let t0 = Instant::now();
        while !self.text("#chain-cities").contains("已报送") {
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "the city's plan never showed submitted"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.screenshot(&format!("{prefix}-6-city-submitted"));
    }

    /// The county clerk (`clerk`, 小店区) imports a persons file with an error from the
    /// dashboard's link, reads the row's error in the page, imports the corrected file (two
    /// persons) and logs out. Screenshots `PREFIX-dashboard`, `PREFIX-import-refused`,
    /// `PREFIX-import-done`.
    pub fn clerk_imports_with_errors_then_fixed(&self, base: &str, prefix: &str) {
        let dir =
            std::env::temp_dir().join(format!("tc-browser-files-{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let header = "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期\n";
        let idn = |seq: u16| {
            tongchou_core::IdNumber::from_parts(
                crate::support::rc(140105),
                tongchou_core::Date::new(1985, 10, 20).expect("date"),
                seq,
            )
            .as_str()
            .to_string()
        };
        let (a, b) = (idn(31), idn(43));
        let bad = dir.join("县参保人员.csv");
        std::fs::write(
        &bad,
        format!("{header}{a},王五,,,男,140105,,灵活就业,2010-03-15\n{b},赵六,,,厨师,140105,,灵活就业,2011-04-01\n"),
    )
    .expect("write");
        let good = dir.join("县参保人员-改正.csv");
        std::fs::write(
        &good,
        format!("{header}{a},王五,,,男,140105,,灵活就业,2010-03-15\n{b},赵六,,,男,140105,,灵活就业,2011-04-01\n"),
    )
    .expect("write");

        self.log_in(base, "clerk");
        self.screenshot(&format!("{prefix}-dashboard"));
        self.click("#imports-link");
        self.wait_url("/imports");
        self.choose_file("#file", &bad);
        self.click("#import-submit");
        self.wait_for("#problems");
        let problems = self.text("#problems");
        assert!(
            problems.contains("人员类别") && problems.contains("厨师"),
            "{problems}"
        );
        assert!(self.text("#rejected-summary").contains("未导入"));
        self.screenshot(&format!("{prefix}-import-refused"));
        self.choose_file("#file", &good);
        self.click("#import-submit");
        self.wait_for("#imported");
        assert!(self.text("#imported").contains("2"));
        self.screenshot(&format!("{prefix}-import-done"));
        self.log_out(base);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The auditor logs in (the dashboard names the role), opens the audit log from it (the
    /// chain verified), filters it for fund-plan decisions and finds the finance approver's;
    /// screenshot `SHOT`. Stays logged in.
    pub fn auditor_finds_the_fund_plan_decision(&self, base: &str, shot: &str) {
        self.log_in(base, "auditor");
        assert!(self.text("main").contains("审计监督"));
        self.click("#audit-link");
        self.wait_url("/audit");
        assert!(self.text("#audit-chain").contains("哈希链校验通过"));
        self.type_into("#action", "approval.decide");
        self.type_into("#object", "fund_plan");
        self.click("#audit-submit");
        self.wait_url_part("action=approval.decide");
        let found = self.text("#audit-log tbody");
        assert!(
            found.contains("审批决定") && found.contains("fund_plan") && found.contains("finance"),
            "{found}"
        );
        self.screenshot(shot);
    }

    /// The pensioner (`citizen`) on a 390-pixel phone: their records from the dashboard, the
    /// pension in 元, nothing wider than the screen, then 2021's statement; screenshots
    /// `PREFIX-records-390px` (at the payments) and `PREFIX-statement-390px`. Returns the
    /// payments table's text.
    pub fn pensioner_on_a_phone(&self, base: &str, prefix: &str) -> String {
        self.window(390, 844);
        self.log_in(base, "citizen");
        self.click("#my-records-link");
        self.wait_url("/me/records");
        assert!(self.text("#pension-total").ends_with(" 元"));
        let payments = self.text("#payments");
        let (client, scroll) = self.widths();
        assert!(client <= 400, "a phone's width: {client}");
        assert!(
            scroll <= client,
            "nothing wider than the screen but the scrolling tables: {scroll} > {client}"
        );
        self.script(
            "document.querySelector('#my-payments').scrollIntoView()",
            vec![],
        );
        self.screenshot(&format!("{prefix}-records-390px"));
        self.click("#account-years a");
        self.wait_url("/me/statement?year=2021");
        assert!(self.text("#statement").contains("年末余额"));
        let (client, scroll) = self.widths();
        assert!(scroll <= client, "{scroll} > {client}");
        self.screenshot(&format!("{prefix}-statement-390px"));
        payments
    }
}
