//! HTTPS served by the service itself: a self-signed certificate made in the test, a real
//! client (ureq over rustls) that trusts only it, HSTS and Secure cookies, and refusals: a
//! client that does not trust the certificate, plain HTTP to the TLS port.

use std::sync::Arc;
use tongchou_store::testing;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

struct Files {
    dir: std::path::PathBuf,
    cert_pem: String,
}

fn self_signed(name: &str) -> Files {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("rcgen");
    let dir = std::env::temp_dir()
        .join("tongchou-tests")
        .join(format!("tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cert_pem = ck.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert_pem).expect("cert");
    std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem()).expect("key");
    Files { dir, cert_pem }
}

fn agent(trust: Option<&str>) -> ureq::Agent {
    let mut tls = TlsConfig::builder();
    if let Some(pem) = trust {
        let c = Certificate::from_pem(pem.as_bytes()).expect("pem");
        tls = tls.root_certs(RootCerts::Specific(Arc::new(vec![c.to_owned()])));
    }
    ureq::Agent::config_builder()
        .tls_config(tls.build())
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn https(url: &str) {
    let f = self_signed("ok");
    let tls = tongchou_server::tls::server_config(&f.dir.join("cert.pem"), &f.dir.join("key.pem"))
        .expect("server config");
    let mut cfg = tongchou_server::Config::new(url);
    cfg.secure_cookies = false; // TLS turns it on regardless
    cfg.tls = Some(tls);
    let srv = tongchou_server::spawn("127.0.0.1:0", cfg).expect("start");
    let port = srv.addr.port();
    let base = format!("https://localhost:{port}");

    let r = agent(Some(&f.cert_pem))
        .get(format!("{base}/login"))
        .call()
        .expect("https request");
    assert_eq!(r.status(), 200);
    let h = r.headers();
    let hsts = h
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(hsts.contains("max-age=31536000"), "HSTS: {hsts:?}");
    let cookies: Vec<String> = h
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect();
    assert!(
        !cookies.is_empty(),
        "the login form sets its pre-session cookie"
    );
    assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");

    // a client that does not trust the certificate refuses the connection
    let e = agent(None)
        .get(format!("{base}/login"))
        .call()
        .expect_err("untrusted certificate");
    let msg = e.to_string().to_lowercase();
    assert!(msg.contains("certificate") || msg.contains("tls"), "{msg}");
    // plain HTTP to the TLS port gets no HTTP answer
    let plain = agent(None)
        .get(format!("http://127.0.0.1:{port}/login"))
        .call();
    assert!(
        plain.is_err(),
        "plain HTTP answered: {:?}",
        plain.map(|r| r.status())
    );
    // and the service still serves TLS after those
    let r = agent(Some(&f.cert_pem))
        .get(format!("{base}/estimate"))
        .call()
        .expect("https again");
    assert_eq!(r.status(), 200);
    drop(srv);
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[test]
fn sqlite_https() {
    https(&testing::sqlite_url("tls"));
}

#[test]
fn postgres_https() {
    https(&testing::pg_url("tls"));
}

#[test]
fn bad_files_are_named() {
    let f = self_signed("bad");
    let cert = f.dir.join("cert.pem");
    let missing = f.dir.join("nope.pem");
    let e = tongchou_server::tls::server_config(&missing, &f.dir.join("key.pem"))
        .expect_err("missing cert");
    assert!(e.contains("--tls-cert") && e.contains("nope.pem"), "{e}");
    // a certificate file given as the key
    let e = tongchou_server::tls::server_config(&cert, &cert).expect_err("no key");
    assert!(e.contains("--tls-key"), "{e}");
    let _ = std::fs::remove_dir_all(&f.dir);
}
