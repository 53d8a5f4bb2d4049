//! `tongchou demo`: a synthetic province in an embedded database, run month by month.

use crate::cmd::month::{actors, run_one};
use crate::output::{CliError, CliResult};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tongchou_core::access::Role;
use tongchou_core::{Divisions, Fen, Period, Policy};
use tongchou_engine::disburse::{self, MonthOptions};
use tongchou_ledger::Chart;
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, Val, registry};

/// The password of the demo users: printed so a newcomer can log in to the web service. Demo
/// databases only; real users get their own passwords (`tongchou user add`).
pub const DEMO_PASSWORD: &str = "demo-only-password-2020";

#[derive(clap::Args)]
pub struct Args {
    /// Insured persons to generate (1,000 to 10,000,000).
    #[arg(long, default_value_t = 20_000)]
    pub persons: usize,
    /// Seed of the synthetic province (same seed, same province).
    #[arg(long, default_value_t = 2019)]
    pub seed: u64,
    /// First month to run.
    #[arg(long, default_value = "2020-01")]
    pub from: Period,
    /// Last month to run.
    #[arg(long, default_value = "2020-03")]
    pub to: Period,
    /// Delete an existing SQLite demo file first.
    #[arg(long)]
    pub fresh: bool,
    /// Where payment files and bank returns are written.
    #[arg(long, default_value = "bank-files")]
    pub out: PathBuf,
    /// Only generate and load the province (users, accounts, historical balances); run no month.
    #[arg(long)]
    pub setup_only: bool,
    /// Start the web service on this address when the months have run.
    #[arg(long)]
    pub serve: Option<String>,
}

fn progress(msg: &str) {
    let mut e = std::io::stderr();
    if e.is_terminal() {
        let _ = write!(e, "\r\x1b[2K{msg}");
    } else {
        let _ = writeln!(e, "{msg}");
    }
    let _ = e.flush();
}

fn yuan(f: Fen) -> String {
    // whole yuan with thousands separators, for the summary table
    let y = f.0 / 100;
    let s = y.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if y < 0 { format!("-{out}") } else { out }
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    if a.from > a.to {
        return Err(CliError(format!(
            "--from {} is after --to {}",
            a.from, a.to
        )));
    }
    if !(1_000..=10_000_000).contains(&a.persons) {
        return Err(CliError(format!(
            "--persons: between 1000 and 10000000, got {}",
            a.persons
        )));
    }
    if a.fresh
        && let Some(path) = db_url.strip_prefix("sqlite://")
    {
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{path}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p)
                    .map_err(|e| CliError(format!("--fresh: cannot remove {p}: {e}")))?;
            }
        }
    }
    let t0 = Instant::now();
    let mut db = Db::open(db_url)?;
    if registry::counts(&mut db)?.persons > 0 {
        return Err(CliError(format!(
            "{db_url} already holds a province: use --fresh or another --db"
        )));
    }
    let policy = Policy::builtin()?;
    progress(&format!(
        "generating a province of {} insured (seed {})…",
        a.persons, a.seed
    ));
    let province = tongchou_synth::generate(&tongchou_synth::Options {
        seed: a.seed,
        persons: a.persons,
        employers: None,
        start: a.from,
    })
    .map_err(|e| CliError(e.0))?;
    progress("writing the registry…");
    tongchou_bench::load::write_province(&mut db, &province)?;
    drop(province);
    let divisions = Divisions::shanxi();
    Ledger::new(&mut db).open_standard(divisions)?;
    // two counties still run an income account (收入户), swept to the province every month
    for county in [140121, 141121] {
        db.exec(
            "INSERT INTO county_settings (county, has_income_account) VALUES ($1, 1) ON CONFLICT (county) DO NOTHING",
            &[Val::I64(county)],
        )?;
    }
    let pcode = divisions.province().code;
    for (login, role) in [
        ("demo.officer", Role::ProvinceBureauOfficer),
        ("demo.approver", Role::FinanceApprover),
        ("demo.auditor", Role::Auditor),
    ] {
        add_user(
            &mut db,
            &Actor::operator("cli:demo"),
            &NewUser {
                login,
                display_name: login,
                role,
                region: pcode,
                person_id: None,
                password: DEMO_PASSWORD,
            },
            &AuthPolicy::default(),
            tongchou_store::access::now_ms(),
        )
        .map_err(|e| CliError(format!("demo users: {e}")))?;
    }
    let actors = actors(&mut db, "demo.officer", "demo.approver")?;
    // the balances cities and counties held before provincial pooling, remitted in the first
    // month (demand deposits) and at maturity (fixed deposits)
    tongchou_engine::income::seed_historical(&mut db, a.seed, a.from.first_day().add_days(-1))
        .map_err(|e| CliError(e.0))?;
    if a.setup_only {
        println!(
            "province loaded into {db_url}: {} insured; run months with `tongchou month run`",
            a.persons
        );
        return Ok(ExitCode::SUCCESS);
    }
    let months: Vec<Period> = a.from.through(a.to).collect();
    let mut last = None;
    for (i, m) in months.iter().enumerate() {
        progress(&format!(
            "[{}/{}] {m}: collection, plans, approval, allocation, payments, returns…",
            i + 1,
            months.len()
        ));
        let mut opts = MonthOptions::new(&a.out.join(m.to_string()));
        opts.seed = a.seed ^ m.index() as u64;
        // every fourth month the money reaches the cities two days late: a recorded breach
        if i % 4 == 3 {
            opts.allocation_day = Some(12);
        }
        let (c, d) = run_one(&mut db, &policy, *m, &actors, &opts, Some(a.seed))?;
        // the provincial treasury's monthly subsidy: a tenth of what the month paid out
        let paid = db.query_i64(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payroll_lines WHERE month = $1",
            &[Val::I64(m.yyyymm() as i64)],
        )?;
        if paid > 0 {
            tongchou_engine::income::record(
                &mut db,
                &format!("demo/subsidy/{m}"),
                pcode,
                "subsidy-province",
                Fen(paid / 10),
                m.day(25),
                &format!("provincial fiscal subsidy {m}"),
            )
            .map_err(|e| CliError(e.0))?;
        }
        last = Some((*m, c, d));
    }
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let Some((month, collection, _)) = last else {
        return Err(CliError("no month to run".into()));
    };
    let collection = collection.ok_or_else(|| CliError("collection report missing".into()))?;

    // per-city summary of the last month
    let summary = registry::city_summary(&mut db)?;
    let figs = disburse::figures(&mut db, month).map_err(|e| CliError(e.0))?;
    let figs: BTreeMap<u32, disburse::RegionFigures> =
        figs.into_iter().map(|f| (f.region, f)).collect();
    let mut coll: BTreeMap<u32, (Fen, Fen, Fen)> = BTreeMap::new();
    for c in &collection.counties {
        let city = divisions
            .city_of(tongchou_core::RegionCode::new(c.county).map_err(|e| CliError(e.0))?)
            .map(|x| x.get())
            .unwrap_or(0);
        let e = coll
            .entry(city)
            .or_insert((Fen::ZERO, Fen::ZERO, Fen::ZERO));
        e.0 = Fen(e.0.0 + c.assessed.0);
        e.1 = Fen(e.1.0 + c.collected.0 + c.late_fees.0);
        e.2 = Fen(e.2.0 + c.arrears.0);
    }
    println!(
        "Tongchou demo: {} insured, months {} to {} (yuan)\n",
        a.persons, a.from, a.to
    );
    println!(
        "{:<8} {:>9} {:>9} {:>13} {:>13} {:>11} {:>13} {:>13} {:>13} {:>13} {:>11} {:>4}",
        "city",
        "insured",
        "contrib.",
        "assessed",
        "remitted",
        "arrears",
        "planned",
        "approved",
        "allocated",
        "paid",
        "returned",
        "late"
    );
    for city in divisions.cities() {
        let code = city.code.get();
        let s = summary.iter().find(|s| s.region == code as i64);
        let (assessed, remitted, arrears) = coll.get(&code).copied().unwrap_or_default();
        let f = figs.get(&code).cloned().unwrap_or_default();
        println!(
            "{:<8} {:>9} {:>9} {:>13} {:>13} {:>11} {:>13} {:>13} {:>13} {:>13} {:>11} {:>4}",
            city.name,
            s.map(|s| s.insured).unwrap_or(0),
            s.map(|s| s.contributors).unwrap_or(0),
            yuan(assessed),
            yuan(remitted),
            yuan(arrears),
            yuan(f.planned),
            yuan(f.approved),
            yuan(f.allocated),
            yuan(f.paid),
            yuan(f.returned),
            f.late_days
        );
    }
    // the provincial fund: balance of the fiscal special and expenditure accounts, months payable
    let chart = Chart::standard();
    let mut ledger = Ledger::new(&mut db);
    let mut balance = 0i64;
    for kind in ["fiscal_special_account", "expenditure_account"] {
        if let Some(id) = chart.account(pcode, kind)
            && let Some(acc) = ledger.account(id)?
        {
            balance += acc.balances.debits_posted.0 - acc.balances.credits_posted.0;
        }
    }
    let check = ledger.check()?;
    let db = ledger.db();
    let spent = db.query_i64("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payroll_lines WHERE status = 'paid'", &[])?;
    let monthly = spent / months.len().max(1) as i64;
    println!(
        "\nprovincial fiscal special + expenditure accounts: {} yuan",
        yuan(Fen(balance))
    );
    if monthly > 0 {
        let tenths = balance * 10 / monthly;
        println!(
            "months payable at the average monthly payment ({} yuan): {}.{}",
            yuan(Fen(monthly)),
            tenths / 10,
            tenths % 10
        );
    }
    match check.problem {
        None => println!(
            "ledger check: {} transfers, {} person-level lines, chain and balances verified",
            check.transfers, check.lines
        ),
        Some(p) => return Err(CliError(format!("ledger check failed: {p:?}"))),
    }
    let problems = tongchou_engine::collect::reconcile(db).map_err(|e| CliError(e.0))?;
    if !problems.is_empty() {
        return Err(CliError(format!(
            "reconciliation failed: {}",
            problems.join("; ")
        )));
    }
    println!("reconciliation: contribution income per county equals the person-level collections");
    println!("bank files: {}", a.out.display());
    println!(
        "done in {:.1} s; database {db_url}",
        t0.elapsed().as_secs_f64()
    );
    if let Some(bind) = a.serve {
        println!(
            "\nweb service on http://{bind}/  (demo logins: demo.officer, demo.approver, demo.auditor; password {DEMO_PASSWORD})"
        );
        let mut cfg = tongchou_server::Config::new(db_url);
        cfg.secure_cookies = false;
        tongchou_server::run(&bind, cfg).map_err(CliError)?;
    }
    Ok(ExitCode::SUCCESS)
}
