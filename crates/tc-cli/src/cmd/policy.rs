use crate::output::{CliResult, print_json};
use std::process::ExitCode;
use tongchou_core::{Date, Policy};

#[derive(clap::Args)]
pub struct Args {
    /// The date to look at (default: today in China).
    #[arg(long)]
    pub at: Option<Date>,
    /// Only parameters whose name starts with this prefix (e.g. contribution.).
    #[arg(long)]
    pub prefix: Option<String>,
}

pub fn run(a: Args) -> CliResult {
    let policy = Policy::builtin()?;
    let at = a.at.unwrap_or_else(tongchou_app::clock::today_china);
    let mut params: Vec<_> = policy
        .params()
        .filter(|p| {
            a.prefix
                .as_deref()
                .is_none_or(|pre| p.name.starts_with(pre))
        })
        .collect();
    params.sort_by(|x, y| x.name.cmp(&y.name));
    let mut out = Vec::new();
    for p in params {
        let entry = match policy.at(&p.name, at) {
            Ok((d, u)) => serde_json::json!({
                "name": p.name, "description": p.description, "value": u.value,
                "effective_from": u.effective_from, "status": u.status, "source": u.source, "note": d.note,
            }),
            Err(e) => {
                serde_json::json!({"name": p.name, "description": p.description, "error": e.0})
            }
        };
        out.push(entry);
    }
    print_json(&serde_json::json!({"at": at, "parameters": out}))?;
    Ok(ExitCode::SUCCESS)
}
