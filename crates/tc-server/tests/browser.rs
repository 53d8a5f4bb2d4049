//! Browser test: real headless Chromium driven over WebDriver (chromedriver) with a hand-written
//! client. Logs in through the form, sees the dashboard with the user's region, uses the
//! pension estimator form, and — as the finance approver — decides a month's fund-use
//! application in part through its form. Fails (never skips) when Chromium or chromedriver is missing:
//! `apt-get install -y chromium chromium-driver` (`.ci/run` does it).

mod support;

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Client, PW, seed, seed_application, start};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

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

struct Driver {
    child: Child,
    http: Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self.http.request("DELETE", &path, None, "", &[]);
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
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let mut http = Client::new(addr);
        let t0 = Instant::now();
        loop {
            if std::net::TcpStream::connect(addr).is_ok() {
                let r = http.get("/status");
                if r.status == 200 && r.json()["value"]["ready"] == true {
                    break;
                }
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--no-first-run", "--window-size=1200,900"]
            }
        }}});
        let r = http.post_json("/session", &caps, None);
        assert_eq!(r.status, 200, "new session: {}", r.body);
        let session = r.json()["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        let mut d = Driver {
            child,
            http,
            session,
        };
        let r = d.cmd(
            "POST",
            "timeouts",
            json!({"implicit": 5000, "pageLoad": 30000}),
        );
        assert!(r.is_null(), "{r}");
        d
    }

    fn cmd(&mut self, method: &str, path: &str, body: Value) -> Value {
        let p = format!("/session/{}/{path}", self.session);
        let r = if method == "GET" {
            self.http.get(&p)
        } else {
            self.http.post_json(&p, &body, None)
        };
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
        r.json()["value"].clone()
    }

    fn goto(&mut self, url: &str) {
        self.cmd("POST", "url", json!({"url": url}));
    }

    fn find(&mut self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    fn type_into(&mut self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("element/{e}/clear"), json!({}));
        self.cmd("POST", &format!("element/{e}/value"), json!({"text": text}));
    }

    fn click(&mut self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("element/{e}/click"), json!({}));
    }

    fn text(&mut self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("element/{e}/text"), json!(null))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    fn url(&mut self) -> String {
        self.cmd("GET", "url", json!(null))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Wait until the element's text is `want` (across a page load: read by a script, so an
    /// element of the page being replaced is never touched).
    fn wait_text(&mut self, css: &str, want: &str) {
        let t0 = Instant::now();
        loop {
            let got = self.cmd(
                "POST",
                "execute/sync",
                json!({"script": "const e = document.querySelector(arguments[0]); return e ? e.textContent : null", "args": [css]}),
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

    fn wait_url(&mut self, suffix: &str) {
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
    let mut d = Driver::start();

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
    let cookie = d.cmd(
        "POST",
        "execute/sync",
        json!({"script": "return document.cookie", "args": []}),
    );
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
    assert_eq!(d.text("#planned"), "4194.36");
    d.click("#decision option[value=partial]");
    d.type_into("#amount", "3000.00");
    d.click("#decide");
    d.wait_text("#approved", "3000.00");
    assert!(d.text("#status").contains("partly approved"));
    let _ = std::fs::remove_dir_all(&out);
    drop(d);
    drop(srv);
}
