//! TLS to PostgreSQL, asked for in the URL as libpq does: `sslmode=require`, `verify-ca` or
//! `verify-full`, and optionally `sslrootcert=PATH` (PEM), the certificate authorities to
//! trust (without it, the system's bundle: `SSL_CERT_FILE` or
//! `/etc/ssl/certs/ca-certificates.crt`).
//!
//! Every TLS mode here verifies the server's certificate chain and its name (rustls), so
//! `require` is as strict as `verify-full`: stricter than libpq, never weaker. Without
//! `sslmode` (or with `disable` / `prefer`) the connection is as before, unencrypted.

use crate::{Result, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// TLS asked for by a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The `sslmode` given (`require`, `verify-ca`, `verify-full`).
    pub mode: String,
    pub root: Option<PathBuf>,
}

/// Take `sslmode` (when it asks for TLS) and `sslrootcert` off a URL: the URL left for the
/// driver, and the TLS wanted.
pub fn split(url: &str) -> Result<(String, Option<Wanted>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let (mut mode, mut root) = (None, None);
    let mut rest = Vec::new();
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("sslmode", m @ ("require" | "verify-ca" | "verify-full"))) => {
                mode = Some(m.to_string())
            }
            Some(("sslmode", m @ ("disable" | "prefer" | "allow"))) => {
                // no TLS: the driver's plain connection ("allow" is read as "prefer")
                rest.push(if m == "allow" { "sslmode=prefer" } else { kv });
            }
            Some(("sslmode", m)) => {
                return Err(StoreError::Invalid(format!(
                    "sslmode={m}: use disable, prefer, require, verify-ca or verify-full"
                )));
            }
            Some(("sslrootcert", p)) => root = Some(PathBuf::from(p)),
            _ => rest.push(kv),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    if mode.is_none() && root.is_some() {
        return Err(StoreError::Invalid(
            "sslrootcert without sslmode=require, verify-ca or verify-full".into(),
        ));
    }
    Ok((url, mode.map(|mode| Wanted { mode, root })))
}

/// The client TLS configuration: the trusted authorities, full verification.
pub fn client_config(w: &Wanted) -> Result<ClientConfig> {
    let path = match &w.root {
        Some(p) => p.clone(),
        None => std::env::var_os("SSL_CERT_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/ssl/certs/ca-certificates.crt")),
    };
    let bad = |e: &dyn std::fmt::Display| {
        StoreError::Invalid(format!(
            "PostgreSQL TLS (sslmode={}): certificate authorities in {}: {e}",
            w.mode,
            path.display()
        ))
    };
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&path).map_err(|e| bad(&e))? {
        roots.add(c.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"no certificate in the file"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Connect over TLS.
pub fn connect(url: &str, w: &Wanted) -> Result<postgres::Client> {
    let mut cfg: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Invalid(format!("PostgreSQL URL: {e}")))?;
    cfg.ssl_mode(postgres::config::SslMode::Require);
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(client_config(w)?);
    cfg.connect(tls).map_err(|e| {
        StoreError::Backend(format!(
            "cannot connect to PostgreSQL at {url} with TLS (sslmode={}): {e}",
            w.mode
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_rootcert_come_off_the_url() {
        let (u, w) =
            split("postgres://h/db?sslmode=verify-full&sslrootcert=/ca.pem&x=1").expect("split");
        assert_eq!(u, "postgres://h/db?x=1");
        let w = w.expect("tls");
        assert_eq!(
            (w.mode.as_str(), w.root),
            ("verify-full", Some("/ca.pem".into()))
        );
        let (u, w) = split("postgres://h/db?sslmode=require").expect("split");
        assert_eq!(
            (u.as_str(), w.map(|w| w.mode)),
            ("postgres://h/db", Some("require".into()))
        );
        let (u, w) = split("postgres://h/db?sslmode=disable").expect("split");
        assert_eq!((u.as_str(), w), ("postgres://h/db?sslmode=disable", None));
        assert_eq!(
            split("postgres://h/db").expect("plain"),
            ("postgres://h/db".into(), None)
        );
        assert!(split("postgres://h/db?sslmode=bogus").is_err());
        assert!(split("postgres://h/db?sslrootcert=/x").is_err());
    }

    #[test]
    fn a_missing_authority_file_is_named() {
        let w = Wanted {
            mode: "verify-full".into(),
            root: Some("/nonexistent/ca.pem".into()),
        };
        let e = client_config(&w).expect_err("missing").to_string();
        assert!(
            e.contains("/nonexistent/ca.pem") && e.contains("TLS"),
            "{e}"
        );
    }

    /// The local test server has no TLS: a URL that asks for it is refused with an error that
    /// names TLS, never silently connected in plain text.
    #[test]
    fn postgres_sslmode_require_is_attempted_and_never_falls_back() {
        let url = format!("{}?sslmode=require", crate::testing::pg_base());
        let e = crate::Db::open(&url)
            .err()
            .expect("no TLS on the test server")
            .to_string();
        assert!(e.contains("with TLS (sslmode=require)"), "{e}");
        let url = format!("{}?sslmode=disable", crate::testing::pg_base());
        assert!(crate::Db::connect(&url).is_ok());
    }
}
