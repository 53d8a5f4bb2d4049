use crate::output::{CliResult, print_json, read_input};
use std::process::ExitCode;
use tongchou_core::Policy;
use tongchou_core::rules::pension::parse_input;

#[derive(clap::Subcommand)]
pub enum PensionCmd {
    /// Estimate the monthly pension from a JSON description of a person (the public estimator).
    /// Input fields: birth, category, retire (optional; default the statutory month),
    /// paid_months, deemed_months, avg_index, deemed_index, account_balance (yuan string),
    /// benefit_base and transition_coefficient (optional; default the policy in force).
    Estimate {
        /// JSON input file, `-` for standard input.
        #[arg(long)]
        input: String,
    },
}

pub fn run(c: PensionCmd) -> CliResult {
    match c {
        PensionCmd::Estimate { input } => {
            let text = read_input(&input)?;
            let inp = parse_input(&text)?;
            let policy = Policy::builtin()?;
            let p =
                tongchou_app::benefits::estimate(&policy, &inp, tongchou_app::clock::today_china())
                    .map_err(|e| crate::output::CliError(e.to_string()))?;
            print_json(&p.to_json())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
