//! A temporary PostgreSQL cluster of a test's own, for what the shared server cannot be
//! reconfigured for (WAL archiving, a standby, TLS): `initdb` into a scratch directory, a random
//! free port, stopped when dropped. Shared by the CLI's integration tests that need one.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary PostgreSQL cluster of its own (the shared server cannot be reconfigured): WAL
/// archiving on, a random free port; stopped and removed when dropped. Run as `postgres` when
/// the tests run as root (initdb refuses root).
pub struct Cluster {
    pub data: PathBuf,
    pub port: u16,
}

pub fn pg_bin(name: &str) -> PathBuf {
    let dir =
        std::env::var("TONGCHOU_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    Path::new(&dir).join(name)
}

pub fn as_postgres(program: &Path) -> Command {
    let root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub fn chown_postgres(p: &Path) {
    let _ = Command::new("chown")
        .arg("-R")
        .arg("postgres:")
        .arg(p)
        .output();
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn run_ok(c: &mut Command, what: &str) {
    let o = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        o.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Cluster {
    pub fn init(data: &Path, archive: &Path) -> Cluster {
        let conf = format!(
            "wal_level = replica\narchive_mode = on\narchive_command = 'cp \"%p\" \"{}/%f\"'\nmax_wal_senders = 4\n",
            archive.display()
        );
        Cluster::init_with(data, &conf)
    }
    /// A new cluster in `data` with `conf` appended to its settings, started.
    pub fn init_with(data: &Path, conf: &str) -> Cluster {
        run_ok(
            as_postgres(&pg_bin("initdb")).arg("-D").arg(data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]),
            "initdb",
        );
        let base = format!(
            "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n{conf}",
            data.parent().expect("parent").display(),
        );
        let path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).expect("conf");
        text.push_str(&base);
        std::fs::write(&path, text).expect("conf");
        Cluster::start(data)
    }
    pub fn start(data: &Path) -> Cluster {
        let port = free_port();
        run_ok(
            as_postgres(&pg_bin("pg_ctl"))
                .arg("-D")
                .arg(data)
                .arg("-l")
                .arg(data.with_extension("log"))
                .arg("-o")
                .arg(format!("-p {port}"))
                .args(["-w", "-t", "120", "start"]),
            "pg_ctl start",
        );
        Cluster {
            data: data.to_path_buf(),
            port,
        }
    }
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?schema=tc",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
