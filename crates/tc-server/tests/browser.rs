//! Browser test: real headless Chromium driven over WebDriver (chromedriver) with `fantoccini`.
//! Logs in through the form, sees the dashboard with the user's region, uses the pension
//! estimator form, and — as the finance approver — decides a month's fund-use application in
//! part through its form, then opens the month's disbursement report from the dashboard. Fails (never skips) when Chromium or chromedriver is missing:
//! `apt-get install -y chromium chromium-driver` (`.ci/run` does it).

mod support;

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{PW, seed, seed_application, start};

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
struct Driver {
    rt: tokio::runtime::Runtime,
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
    fn start() -> Driver {
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
                         "--disable-background-networking", "--no-first-run", "--window-size=1200,900"]
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

    fn c(&self) -> &fantoccini::Client {
        self.client.as_ref().expect("session")
    }

    fn goto(&self, url: &str) {
        self.rt
            .block_on(self.c().goto(url))
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.rt
            .block_on(self.c().find(Locator::Css(css)))
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.rt
            .block_on(async {
                e.clear().await?;
                e.send_keys(text).await
            })
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.rt
            .block_on(e.click())
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.rt
            .block_on(e.text())
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    fn url(&self) -> String {
        self.rt
            .block_on(self.c().current_url())
            .expect("current url")
            .to_string()
    }

    fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.rt
            .block_on(self.c().execute(script, args))
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// Wait until the element's text is `want` (across a page load: read by a script, so an
    /// element of the page being replaced is never touched).
    fn wait_text(&self, css: &str, want: &str) {
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

    fn wait_url(&self, suffix: &str) {
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
}

#[test]
fn browser_login_dashboard_and_estimator() {
    let url = tongchou_store::testing::sqlite_url("browser");
    seed(&url);
    let out = std::env::temp_dir().join(format!("tc-browser-{}", std::process::id()));
    drop(seed_application(&url, &out));
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // a wrong password shows the error and stays on the login page
    d.goto(&format!("{base}/login"));
    d.type_into("#login", "clerk");
    d.type_into("#password", "not the password");
    d.click("#login-submit");
    assert!(d.text("#login-error").contains("Login failed"));

    // log in through the form and see the dashboard with the user's region
    d.type_into("#login", "clerk");
    d.type_into("#password", PW);
    d.click("#login-submit");
    d.wait_url("/dashboard");
    assert!(d.text("#welcome").contains("clerk"));
    assert_eq!(d.text("#region"), "小店区");
    let body = d.text("main");
    assert!(
        body.contains("140105") && body.contains("county_agency"),
        "{body}"
    );

    // the HttpOnly session cookie is invisible to scripts
    let cookie = d.script("return document.cookie", vec![]);
    assert_eq!(cookie, json!(""), "no cookie readable from JavaScript");

    // the pension estimator form
    d.goto(&format!("{base}/estimate"));
    for (id, v) in [
        ("#birth", "1965-01"),
        ("#paid_months", "300"),
        ("#deemed_months", "96"),
        ("#avg_index", "1.15"),
        ("#deemed_index", "1.0"),
        ("#account_balance", "120000.00"),
        ("#benefit_base", "7253"),
        ("#transition_coefficient", "0.013"),
    ] {
        d.type_into(id, v);
    }
    d.click("#estimate-submit");
    assert_eq!(d.text("#total"), "4194.36");

    // log out through the form: the dashboard sends us back to the login page
    d.goto(&format!("{base}/dashboard"));
    d.click("#logout-form button");
    d.wait_url("/login");
    d.goto(&format!("{base}/dashboard"));
    d.wait_url("/login");

    // the finance approver decides the month's application in part through its form
    d.type_into("#login", "finance");
    d.type_into("#password", PW);
    d.click("#login-submit");
    d.wait_url("/dashboard");
    d.click("#plans-link");
    d.wait_url("/plans");
    d.click("#applications a");
    d.wait_url("/plans/2022-06");
    assert_eq!(d.text("#planned"), "4,194.36 元");
    d.click("#decision option[value=partial]");
    d.type_into("#amount", "3,000.00");
    d.click("#decide");
    d.wait_text("#approved", "3,000.00 元");
    assert!(d.text("#status").contains("partly approved"));

    // the reports: from the dashboard to the month's disbursement, queried through the form
    d.goto(&format!("{base}/dashboard"));
    d.click("#reports-link");
    d.wait_url("/reports");
    d.click("#report-disbursement");
    d.wait_url("/reports/disbursement");
    d.goto(&format!("{base}/reports/disbursement?period=2022-06"));
    d.click("#report-submit");
    d.wait_url("region=140000");
    let total = d.text("#report tfoot");
    assert!(
        total.contains("合计") && total.contains("4,194.36"),
        "{total}"
    );
    assert!(d.text("#report thead").contains("计划（元）"));
    let csv = d.find("#download-csv");
    let href =
        d.rt.block_on(csv.attr("href"))
            .expect("href")
            .unwrap_or_default();
    assert!(href.contains("format=csv"), "{href}");
    let _ = std::fs::remove_dir_all(&out);
    drop(d);
    drop(srv);
}
