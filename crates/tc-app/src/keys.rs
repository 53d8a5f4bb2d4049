//! Field conversion and key rotation as the operator runs them (`tongchou keys convert|rotate`,
//! docs/CRYPTO.md §4): [`tongchou_store::rekey`] in resumable batches, audited when it starts
//! or resumes (`keys.convert` / `keys.rotate`) and when it ends (`keys.retire`, with the keys
//! retired and the rows changed by column).

use crate::error::Result;
use std::sync::Arc;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::keys::KeyProvider;
use tongchou_store::{Db, rekey};

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub run: i64,
    pub kind: String,
    /// The data key every field is under now.
    pub to_key: u32,
    /// Whether an unfinished run was resumed.
    pub resumed: bool,
    pub changed: Vec<(&'static str, u64)>,
    pub retired: Vec<u32>,
}

impl Outcome {
    pub fn to_json(&self) -> serde_json::Value {
        let changed: serde_json::Map<String, serde_json::Value> = self
            .changed
            .iter()
            .map(|(c, n)| ((*c).to_string(), serde_json::json!(n)))
            .collect();
        serde_json::json!({
            "run": self.run, "kind": self.kind, "to_key": self.to_key, "resumed": self.resumed,
            "changed": changed, "retired": self.retired,
        })
    }
}

fn audit_run(
    db: &mut Db,
    who: &Actor,
    now_ms: i64,
    action: &str,
    run: &rekey::Run,
    details: serde_json::Value,
) -> Result<()> {
    audit::append(
        db,
        &Entry {
            actor: who,
            action,
            object_type: "crypto_runs",
            object_id: &run.id.to_string(),
            region: None,
            result: "ok",
            details,
        },
        now_ms,
    )?;
    Ok(())
}

/// Start (or resume) a run and take it to the end, `batch` rows per transaction.
pub fn run(
    db: &mut Db,
    provider: Arc<dyn KeyProvider>,
    rotate: bool,
    who: &Actor,
    now_ms: i64,
    batch: i64,
) -> Result<Outcome> {
    let before = rekey::open_run(db)?;
    let r = rekey::start(db, provider, rotate, &who.login)?;
    let resumed = before.is_some();
    let action = if r.kind == "rotate" {
        "keys.rotate"
    } else {
        "keys.convert"
    };
    audit_run(
        db,
        who,
        now_ms,
        action,
        &r,
        serde_json::json!({"to_key": r.to_key, "resumed": resumed}),
    )?;
    let (changed, retired) = rekey::run_to_end(db, &r, batch, 3)?;
    let out = Outcome {
        run: r.id,
        kind: r.kind.clone(),
        to_key: r.to_key,
        resumed,
        changed,
        retired,
    };
    audit_run(db, who, now_ms, "keys.retire", &r, out.to_json())?;
    Ok(out)
}
