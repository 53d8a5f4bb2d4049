//! `tongchou month`: run a month of the province (collection, then disbursement), resumable.

use crate::output::{CliError, CliResult, print_json};
use crate::session::acting_user;
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, Actors, MonthOptions, PlanDecision, PlanSubmissions};
use tongchou_core::tr;
use tongchou_core::{Period, Policy};
use tongchou_sim::tax::{TaxBureau, WithWeakCounties};
use tongchou_store::Db;
use tongchou_store::access::get_user;

#[derive(clap::Subcommand)]
pub enum MonthCmd {
    /// Run month M: close its collection (assessments, receipts, arrears, postings to the
    /// provincial fiscal special account), then the disbursement steps (payroll, fund-use plans,
    /// approval, allocation by the 10th, pass-down, bank files, returns). Every step is recorded:
    /// a run that was killed resumes where it stopped; a finished month is refused.
    Run(RunArgs),
    /// Prove that the contribution income booked for each county equals the person-level amounts
    /// collected (exit 1 and list the differences when it does not).
    Reconcile,
    /// A digest of the business state (no timestamps), to compare two runs.
    Digest,
    /// The month's figures per city: planned, approved, allocated, paid, returned, pending.
    Report {
        #[arg(long)]
        period: Period,
    },
}

#[derive(clap::Args)]
pub struct RunArgs {
    #[arg(long)]
    pub period: Period,
    /// The provincial bureau officer who runs the month and submits the fund-use application
    /// (password from TONGCHOU_PASSWORD or standard input). Required unless --simulate.
    #[arg(long = "as")]
    pub as_login: Option<String>,
    /// With --simulate: login of the officer in whose name the application is submitted.
    #[arg(long, requires = "simulate")]
    pub officer: Option<String>,
    /// With --simulate: login of the finance approver in whose name the simulated decision is
    /// recorded (never the officer). Without --simulate the approver decides themself with
    /// `tongchou plan decide`, and the month waits for it after the plans step.
    #[arg(long, requires = "simulate")]
    pub approver: Option<String>,
    /// With --simulate: share of the plan approved, in percent (100 = full, 0 = rejected).
    #[arg(long, requires = "simulate", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub approve_percent: Option<u32>,
    /// Day of the month the allocation to the cities is made (default: the deadline, day 10).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=28))]
    pub allocation_day: Option<u8>,
    /// Where payment files and bank returns are written.
    #[arg(long, default_value = "bank-files")]
    pub out: PathBuf,
    /// Simulate the tax bureau (receipts) and the banks (returns) with this seed; without it,
    /// only imported receipts are matched and no returns are simulated.
    #[arg(long)]
    pub simulate: Option<u64>,
    /// With --simulate: `none` simulates the tax bureau and the finance decision but leaves the
    /// banks' answers to be imported (`tongchou bank returns FILE`, the upload page); `simulated`
    /// (the default) has the simulated bank answer the month's files.
    #[arg(long, requires = "simulate", value_enum, default_value = "simulated")]
    pub returns: Returns,
    /// Without --simulate: the county and city plans submitted and forwarded by their synthetic
    /// agencies (`sim.county.CODE`, `sim.city.CODE`, demo and tests) instead of waiting for
    /// `tongchou plan submit|forward`.
    #[arg(long, conflicts_with = "simulate")]
    pub simulate_plans: bool,
}

/// Who answers the month's payment files in a simulated month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Returns {
    /// The simulated bank answers them.
    Simulated,
    /// Nobody: the banks' answers are imported later.
    None,
}

pub fn actors(db: &mut Db, officer: &str, approver: Option<&str>) -> Result<Actors, CliError> {
    let mut get = |login: &str, flag: &str| -> Result<tongchou_core::access::Principal, CliError> {
        match get_user(db, login).map_err(|e| CliError(format!("{flag}: {e}")))? {
            Some(u) if u.active => Ok(u.principal()),
            Some(_) => Err(CliError(tongchou_core::tr!(
                "cli-err-user-inactive",
                flag = flag,
                login = login
            ))),
            None => Err(CliError(tongchou_core::tr!(
                "cli-err-no-user",
                flag = flag,
                login = login
            ))),
        }
    };
    let officer = get(officer, "--officer")?;
    let approver = match approver {
        Some(a) => Some(get(a, "--approver")?),
        None => None,
    };
    Ok(Actors { officer, approver })
}

/// Run one month; returns (collection report, disbursement details). The month's run lock is
/// held in the officer's name for the whole run: a second runner of the month is refused, told
/// who runs it and since when, before it writes anything.
pub fn run_one(
    db: &mut Db,
    policy: &Policy,
    period: Period,
    actors: &Actors,
    opts: &MonthOptions,
    simulate: Option<u64>,
    weak_counties: u32,
) -> Result<(Option<collect::MonthReport>, serde_json::Value), CliError> {
    // the simulated tax bureau; with `weak_counties`, that many more payers in 10,000 pay
    // nothing in about one county in ten (the demo's weak counties)
    let bureau = simulate.map(|seed| WithWeakCounties {
        bureau: TaxBureau::new(seed),
        extra: weak_counties,
    });
    let source = match &bureau {
        Some(b) => ReceiptSource::Counterpart(b),
        None => ReceiptSource::Imported,
    };
    let mut between = |db: &mut Db| -> tongchou_app::Result<()> {
        match simulate {
            Some(seed) => simulate_alive_records(db, policy, period, &actors.officer, seed)
                .map_err(|e| tongchou_app::AppError::State(e.0)),
            None => Ok(()),
        }
    };
    let r = tongchou_app::month::steps(db, policy, period, (actors, opts), source, &mut between)
        .map_err(|e| CliError(format!("{period}: {e}")))?;
    Ok((r.collection, r.disbursement))
}

/// A simulated month: other departments' records of pensioners seen alive reach the province
/// before the payroll (`tongchou_sim::alive`) and are read by the real use case in the name of
/// the month's officer. Not again once the month's payroll has run.
fn simulate_alive_records(
    db: &mut Db,
    policy: &Policy,
    period: Period,
    officer: &tongchou_core::access::Principal,
    seed: u64,
) -> Result<(), CliError> {
    if tongchou_app::jobs::is_done(db, disburse::JOB, period, "payroll")
        .map_err(|e| CliError(e.to_string()))?
    {
        return Ok(());
    }
    let Some(bytes) = tongchou_sim::alive::records(db, policy, period, seed)? else {
        return Ok(());
    };
    tongchou_app::certification::import_alive(
        db,
        officer,
        &format!("alive-{period}.csv"),
        &bytes,
        tongchou_app::clock::today_china(),
        tongchou_app::clock::now_ms(),
    )
    .map_err(|e| {
        CliError(tongchou_core::tr!(
            "cli-err-alive-records",
            period = period,
            error = e
        ))
    })?;
    Ok(())
}

/// A short approval leaves payments unpaid this month: say how many and how much (they are
/// carried into next month's payroll and plan).
fn warn_deferred(period: Period, d: &serde_json::Value) {
    let pay = &d["pay"];
    let lines = pay["deferred_lines"].as_u64().unwrap_or(0);
    if lines == 0 {
        return;
    }
    let amount = tongchou_core::Fen::new(pay["deferred_fen"].as_i64().unwrap_or(0));
    let persons = pay["deferred_persons"].as_u64().unwrap_or(0);
    eprintln!(
        "{}",
        tongchou_core::tr!(
            "cli-month-deferred",
            period = period,
            persons = persons,
            lines = lines,
            amount = amount.grouped()
        )
    );
}

pub fn run(c: MonthCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        MonthCmd::Run(a) => {
            let policy = Policy::builtin()?;
            let (actors, decision) = match (a.simulate, &a.as_login) {
                (Some(_), None) => (
                    actors(
                        &mut db,
                        a.officer.as_deref().unwrap_or("demo.officer"),
                        Some(a.approver.as_deref().unwrap_or("demo.approver")),
                    )?,
                    PlanDecision::Simulated,
                ),
                (None, Some(login)) => {
                    let officer = acting_user(&mut db, login)?;
                    // only the provincial bureau officer runs the province's month (audited)
                    if !tongchou_app::month::may_run(&officer) {
                        let now = tongchou_app::clock::now_ms();
                        let e = tongchou_app::month::refuse(&mut db, &officer, a.period, now)?;
                        return Err(CliError(e.to_string()));
                    }
                    let approver = None;
                    (Actors { officer, approver }, PlanDecision::Recorded)
                }
                (Some(_), Some(_)) => {
                    return Err(CliError(tongchou_core::tr!("cli-err-simulate-as")));
                }
                (None, None) => {
                    return Err(CliError(tongchou_core::tr!("cli-err-month-as")));
                }
            };
            let mut opts = MonthOptions::new(&a.out.join(a.period.to_string()));
            opts.timing = std::env::var_os("TONGCHOU_TIMING").is_some();
            opts.plans = if decision == PlanDecision::Simulated || a.simulate_plans {
                PlanSubmissions::Simulated
            } else {
                PlanSubmissions::Submitted
            };
            opts.decision = decision;
            opts.approve_share = a.approve_percent.unwrap_or(100) * 100;
            opts.allocation_day = a.allocation_day;
            opts.bank = a
                .simulate
                .filter(|_| a.returns == Returns::Simulated)
                .map(|seed| tongchou_sim::bank::counterpart(20, seed));
            let (c, d) = run_one(&mut db, &policy, a.period, &actors, &opts, a.simulate, 0)?;
            warn_deferred(a.period, &d);
            print_json(
                &serde_json::json!({"period": a.period, "collection": c, "disbursement": d}),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        MonthCmd::Reconcile => {
            let problems = collect::reconcile(&mut db).map_err(|e| CliError(e.to_string()))?;
            if problems.is_empty() {
                outln!("{}", tr!("cli-month-reconciled"));
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &problems {
                    outln!("{p}");
                }
                eprintln!("{}", tr!("cli-month-differences", n = problems.len()));
                Ok(ExitCode::from(1))
            }
        }
        MonthCmd::Digest => {
            outln!(
                "{}",
                disburse::state_digest(&mut db).map_err(|e| CliError(e.to_string()))?
            );
            Ok(ExitCode::SUCCESS)
        }
        MonthCmd::Report { period } => {
            let f = disburse::figures(&mut db, period).map_err(|e| CliError(e.to_string()))?;
            print_json(&serde_json::json!({"period": period, "regions": f}))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
