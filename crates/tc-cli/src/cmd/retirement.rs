use crate::output::{CliResult, print_json};
use std::process::ExitCode;
use tongchou_core::Period;
use tongchou_core::Policy;
use tongchou_core::rules::retirement::{Category, statutory};

#[derive(clap::Args)]
pub struct Args {
    /// Month of birth, YYYY-MM.
    #[arg(long)]
    pub birth: Period,
    /// male, female-cadre (女干部, originally 55) or female-worker (女工人, originally 50).
    #[arg(long)]
    pub category: Category,
}

pub fn run(a: Args) -> CliResult {
    let policy = Policy::builtin()?;
    let (r, e) = statutory(&policy, a.birth, a.category)?;
    print_json(&serde_json::json!({
        "birth": a.birth,
        "category": a.category.as_str(),
        "age": {"years": r.years(), "months": r.months()},
        "retire": r.retire,
        "original_age": {"years": r.original_age_months / 12, "months": r.original_age_months % 12},
        "delay_months": r.delay_months,
        "flexible": {"earliest": r.earliest, "latest": r.latest},
        "explain": e,
    }))?;
    Ok(ExitCode::SUCCESS)
}
