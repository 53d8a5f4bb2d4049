//! PostgreSQL over TLS with a real server (issue 16 item 4): a cluster of the test's own with
//! `ssl = on`, a certificate for 127.0.0.1 made here, and an authentication file that refuses
//! every connection not over TLS. Tongchou's client connects with
//! `sslmode=verify-full&sslrootcert=CA`, migrates the schema and reads back that its session is
//! encrypted; without `sslmode` the server refuses it (plain text); with another authority the
//! client refuses the server (the chain is verified).

mod cluster;

use cluster::{Cluster, chown_postgres};
use std::path::PathBuf;
use tongchou_store::Db;

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tc-pgtls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

/// A self-signed certificate (PEM) and its key for the names given.
fn certificate(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let ck = rcgen::generate_simple_self_signed(names).expect("rcgen");
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

#[test]
fn postgres_over_tls_with_the_chain_and_name_verified() {
    let dir = scratch();
    let (cert, key) = certificate(&["127.0.0.1", "localhost"]);
    let (other_ca, _) = certificate(&["127.0.0.1"]);
    let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert_path, &cert).expect("cert");
    std::fs::write(&key_path, &key).expect("key");
    std::fs::write(dir.join("ca.pem"), &cert).expect("ca");
    std::fs::write(dir.join("other.pem"), &other_ca).expect("other");
    let data = dir.join("data");
    chown_postgres(&dir);
    // the server's key readable by its owner only, as PostgreSQL requires
    let _ = std::process::Command::new("chmod")
        .arg("600")
        .arg(&key_path)
        .output();
    let conf = format!(
        "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nhba_file = '{}'\n",
        cert_path.display(),
        key_path.display(),
        dir.join("hba.conf").display()
    );
    // only TLS connections are let in
    std::fs::write(
        dir.join("hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n",
    )
    .expect("hba");
    chown_postgres(&dir);
    let c = Cluster::init_with(&data, &conf);
    let base = format!("postgres://postgres@127.0.0.1:{}/postgres", c.port);

    // over TLS, verified: the schema migrates and the session says it is encrypted
    let ca = dir.join("ca.pem");
    let url = format!(
        "{base}?schema=tc&sslmode=verify-full&sslrootcert={}",
        ca.display()
    );
    let mut db = Db::open(&url).unwrap_or_else(|e| panic!("TLS connection: {e}"));
    let ssl = db
        .query(
            "SELECT CAST(ssl AS TEXT), version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl");
    assert_eq!(ssl[0][0].text().expect("ssl"), "true", "the session is TLS");
    assert!(ssl[0][1].text().expect("version").starts_with("TLSv1."));
    // every migration ran over the encrypted session (the registry's tables are there)
    assert_eq!(
        db.query_i64("SELECT count(*) FROM persons", &[])
            .expect("migrated"),
        0
    );
    let migrations = db
        .query_i64("SELECT count(*) FROM schema_migrations", &[])
        .expect("migrated");
    assert!(migrations >= 30, "{migrations} migrations");
    drop(db);

    // plain text: refused by the server
    let plain = Db::open(&format!("{base}?schema=tc"));
    assert!(plain.is_err(), "a plain connection must be refused");
    // another authority: refused by the client, naming TLS
    let wrong = Db::open(&format!(
        "{base}?schema=tc&sslmode=verify-full&sslrootcert={}",
        dir.join("other.pem").display()
    ));
    let e = wrong
        .err()
        .expect("an unknown authority must be refused")
        .to_string();
    assert!(
        e.to_lowercase().contains("tls") || e.to_lowercase().contains("certificate"),
        "{e}"
    );
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}
