//! `tongchou audit`: verify the hash-chained audit log and read it. Both are themselves audited.

use crate::output::{CliError, CliResult, print_json};
use crate::session::operator;
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_core::{actions, tr};
use tongchou_store::Db;
use tongchou_store::audit::{self, Entry, Filter};

#[derive(clap::Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain and name the first broken entry. Exit status 1 if broken.
    Verify {
        /// A head published earlier, SEQ:HASH: also detects entries removed from the end or a
        /// rebuilt chain.
        #[arg(long)]
        anchor: Option<String>,
        /// Verify this sealed audit archive instead (its chain, and that it is the archive
        /// recorded in the database).
        #[arg(long, conflicts_with = "anchor")]
        archive: Option<std::path::PathBuf>,
    },
    /// Archive the entries made before DATE (Beijing time) into a sealed file that verifies
    /// against the chain, then remove them from the live log. DATE must be outside the
    /// retention period (policy retention.audit_log_months).
    Archive {
        /// YYYY-MM-DD: entries before this day are archived.
        #[arg(long)]
        before: String,
        /// The sealed archive file to write (never overwritten).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The hash algorithm of new ledger and audit entries: show it, or `--set sm3` (from
    /// SHA-256 to SM3 only; entries already written keep theirs and keep verifying).
    ChainHash {
        /// sm3 or sha256.
        #[arg(long)]
        set: Option<String>,
    },
    /// Print entries as JSON lines, newest first.
    Log {
        /// Only entries by this login.
        #[arg(long)]
        user: Option<String>,
        /// Only entries of this action (e.g. person.read, auth.login).
        #[arg(long)]
        action: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

fn parse_anchor(s: &str) -> Result<(i64, String), CliError> {
    let a: tongchou_core::anchor::Anchor =
        s.parse().map_err(|e| CliError(format!("--anchor: {e}")))?;
    Ok((a.seq, a.hash))
}

pub fn run(c: AuditCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    let op = operator();
    match c {
        AuditCmd::Verify {
            archive: Some(path),
            ..
        } => verify_archive(&mut db, &op, &path, db_url),
        AuditCmd::Archive { before, out } => {
            let before: tongchou_core::Date = before
                .parse()
                .map_err(|e| CliError(format!("--before: {e}")))?;
            let now = now_ms();
            let today = tongchou_app::clock::china_date(now);
            let key = tongchou_store::backup::master_key_for(Some(db_url))?;
            let c =
                tongchou_app::backup::archive_audit(&mut db, &key, &op, before, today, &out, now)?;
            print_json(&match c {
                Some(c) => {
                    serde_json::json!({"archived": c.entries, "first_seq": c.first_seq, "last_seq": c.last_seq, "last_hash": c.last_hash, "file": out.display().to_string()})
                }
                None => serde_json::json!({"archived": 0}),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Verify { anchor, .. } => {
            let anchor = anchor.as_deref().map(parse_anchor).transpose()?;
            let v = audit::verify_audit_chain(&mut db)?;
            let mut broken = v.broken.clone();
            if broken.is_none()
                && let Some((seq, hash)) = &anchor
            {
                let stored = audit::hash_at(&mut db, *seq)?;
                broken = v.check_anchor(*seq, hash, stored.as_deref());
            }
            let result = if broken.is_none() { "ok" } else { "failed" };
            let out = serde_json::json!({
                "ok": broken.is_none(),
                "entries": v.entries,
                "head": {"seq": v.head_seq, "hash": v.head_hash},
                "broken": broken.as_ref().map(|b| serde_json::json!({"seq": b.seq, "reason": b.reason})),
            });
            audit::append(
                &mut db,
                &Entry {
                    actor: &op,
                    action: "audit.verify",
                    object_type: "audit_log",
                    object_id: "chain",
                    region: None,
                    result,
                    details: serde_json::json!({"entries": v.entries, "broken_seq": broken.as_ref().map(|b| b.seq)}),
                },
                now_ms(),
            )?;
            print_json(&out)?;
            if let Some(b) = broken {
                eprintln!(
                    "{}",
                    tr!("cli-audit-broken", seq = b.seq, reason = b.reason)
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::ChainHash { set } => chain_hash(&mut db, &op, set.as_deref()),
        AuditCmd::Log {
            user,
            action,
            limit,
        } => log(&mut db, &op, user, action, limit),
    }
}

/// `audit log`: entries as JSON lines, newest first, each with its action and outcome named in
/// the catalogue's language; the read itself audited.
fn log(
    db: &mut Db,
    op: &audit::Actor,
    user: Option<String>,
    action: Option<String>,
    limit: i64,
) -> CliResult {
    if !(1..=100_000).contains(&limit) {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-limit-range",
            got = limit
        )));
    }
    let rows = audit::list(
        db,
        &Filter {
            login: user.clone(),
            action: action.clone(),
            object: None,
            limit: Some(limit),
        },
    )?;
    audit::append(
        db,
        &Entry {
            actor: op,
            action: "audit.read",
            object_type: "audit_log",
            object_id: "log",
            region: None,
            result: "ok",
            details: serde_json::json!({"user": user, "action": action, "limit": limit, "rows": rows.len()}),
        },
        now_ms(),
    )?;
    let lang = crate::output::lang();
    for r in rows {
        let mut j = r.to_json();
        j["action_label"] = actions::display_in(lang, &r.action).into();
        j["result_label"] = actions::result_label(lang, &r.result).into();
        outln!("{j}");
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_archive(
    db: &mut Db,
    op: &audit::Actor,
    path: &std::path::Path,
    db_url: &str,
) -> CliResult {
    let key = tongchou_store::backup::master_key_for(Some(db_url))?;
    let (c, recorded) = tongchou_app::backup::verify_archive(&key, path, Some((db, op)), now_ms())?;
    let ok = c.broken.is_none() && recorded == Some(true);
    print_json(&serde_json::json!({
        "ok": ok, "entries": c.entries, "first_seq": c.first_seq, "last_seq": c.last_seq,
        "prev_hash": c.prev_hash, "last_hash": c.last_hash, "recorded": recorded,
        "broken": c.broken.as_ref().map(|b| serde_json::json!({"seq": b.seq, "reason": b.reason})),
    }))?;
    if !ok {
        eprintln!("{}", tr!("cli-audit-archive-broken", file = path.display()));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Show or move forward the chain hash of new entries; a change is audited (under the new one).
fn chain_hash(db: &mut Db, op: &audit::Actor, set: Option<&str>) -> CliResult {
    let before = db.chain_hash()?;
    if let Some(name) = set {
        let alg = tongchou_store::settings::HashAlg::parse(name).ok_or_else(|| {
            CliError(tongchou_core::tr!(
                "cli-err-hash-set",
                got = format!("{name:?}")
            ))
        })?;
        tongchou_store::settings::set_chain_hash(db, alg)?;
        audit::append(
            db,
            &Entry {
                actor: op,
                action: "settings.chain_hash",
                object_type: "meta",
                object_id: "chain_hash",
                region: None,
                result: "ok",
                details: serde_json::json!({"from": before.name(), "to": alg.name()}),
            },
            now_ms(),
        )?;
    }
    print_json(&serde_json::json!({"chain_hash": db.chain_hash()?.name()}))?;
    Ok(ExitCode::SUCCESS)
}
