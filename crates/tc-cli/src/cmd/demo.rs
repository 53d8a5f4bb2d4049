//! `tongchou demo`: a synthetic province in an embedded database, run month by month.

use crate::cmd::month::{actors, run_one};
use crate::output::{Align, CliError, CliResult, columns};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tongchou_app::collect::MonthReport;
use tongchou_app::disburse::{self, Actors, MonthOptions};
use tongchou_core::access::Role;
use tongchou_core::{Divisions, Fen, Period, Policy, RegionCode, tr};
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, registry, reports};

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
    /// Only generate and load the province (users, ledger accounts, historical balances, the
    /// agencies' paying accounts); run no month.
    #[arg(long)]
    pub setup_only: bool,
    /// Write the synthetic province straight into the registry instead of migrating it from
    /// the eleven cities' legacy files (the fixtures of the CLI tests, whose snapshots were
    /// taken on it).
    #[arg(long)]
    pub direct: bool,
    /// Where the cities' legacy files and their reconciliation reports are written.
    #[arg(long, default_value = "legacy-files")]
    pub legacy_out: PathBuf,
    /// Start the web service on this address when the months have run (plain HTTP: the demo
    /// is local development; `tongchou serve --tls-cert/--tls-key` serves HTTPS).
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
    let y = f.fen() / 100;
    let s = y.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if y < 0 { format!("-{out}") } else { out }
}

pub fn run(a: Args, db_url: &str) -> CliResult {
    check_args(&a, db_url)?;
    demo_master_key(db_url)?;
    let t0 = Instant::now();
    let mut db = Db::open(db_url)?;
    if registry::counts(&mut db)?.persons > 0 {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-demo-exists",
            db = db_url
        )));
    }
    let policy = Policy::builtin()?;
    let actors = setup(&mut db, &a)?;
    if a.setup_only {
        outln!(
            "{}",
            tr!("cli-demo-loaded", db = db_url, persons = a.persons)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let months: Vec<Period> = a.from.through(a.to).collect();
    let totals = run_months(&mut db, &policy, &a, &months, &actors)?;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let Some((month, collection)) = totals.last else {
        return Err(CliError(tongchou_core::tr!("cli-err-demo-no-month")));
    };
    let collection =
        collection.ok_or_else(|| CliError(tongchou_core::tr!("cli-err-demo-no-collection")))?;
    print_cities(&mut db, &a, month, &collection)?;
    print_fund(&mut db, a.to)?;
    print_governance(&mut db, &actors, &months)?;
    print_projection(&mut db, a.to.year())?;
    let years: std::collections::BTreeSet<i32> = months.iter().map(|m| m.year()).collect();
    for y in years
        .iter()
        .filter(|y| months.iter().any(|m| m.year() == **y && m.month() == 1))
    {
        let adjusted = if months
            .iter()
            .any(|m| m.year() == *y && m.month() == 7 && *y == months[0].year() + 1)
        {
            tr!("cli-demo-budget-adjusted")
        } else {
            String::new()
        };
        outln!("{}", tr!("cli-demo-budget", year = y, adjusted = adjusted));
    }
    for m in months
        .iter()
        .filter(|m| m.month() == 12 && months[0] <= m.add_months(-11))
    {
        outln!("{}", tr!("cli-demo-closed", year = m.year()));
    }
    outln!(
        "{}",
        tr!(
            "cli-demo-benefits",
            retired = totals.retired,
            refused = totals.refused,
            deaths = totals.deaths,
            adjusted = totals.adjusted
        )
    );
    for n in totals.notes.iter().filter(|n| !n.is_empty()) {
        outln!("{n}");
    }
    outln!("{}", tr!("cli-demo-bank-files", dir = a.out.display()));
    let secs = format!("{:.1}", t0.elapsed().as_secs_f64());
    outln!("{}", tr!("cli-demo-done", secs = secs, db = db_url));
    if let Some(bind) = a.serve {
        outln!();
        outln!(
            "{}",
            tr!("cli-demo-serve", bind = bind, password = DEMO_PASSWORD)
        );
        let mut cfg = tongchou_server::Config::new(db_url);
        cfg.secure_cookies = false;
        cfg.dues_exchange = demo_exchange_key(db_url)?;
        cfg.transfer_exchange = cfg.dues_exchange.clone();
        tongchou_server::run(&bind, cfg).map_err(CliError)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's exchange key with the tax bureau and the transfer platform, `DB.exchange.key`
/// beside an SQLite demo (made 0600 when missing): `/dues` hands the dues file and `/transfers`
/// the certificates out sealed for it, and `tongchou unseal --key-file DB.exchange.key` opens
/// them. Elsewhere none: the pages refuse the download.
fn demo_exchange_key(db_url: &str) -> Result<Option<tongchou_server::Exchange>, CliError> {
    let Some(path) = db_url.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let key = std::path::PathBuf::from(format!("{path}.exchange.key"));
    tongchou_store::keys::use_key_file(&key)?;
    outln!("{}", tr!("cli-demo-exchange-key", key = key.display()));
    super::serve::exchange(Some(&key), false)
}

/// Unless a master key is configured, an SQLite demo encrypts its ID numbers and bank accounts
/// under the key file `DB.key` beside the database (made 0600 when missing; every later
/// `Db::open` of that file finds it: `keys::master_for`; docs/CRYPTO.md §4).
fn demo_master_key(db_url: &str) -> Result<(), CliError> {
    if tongchou_store::keys::env_names_master() {
        return Ok(());
    }
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        let key = std::path::PathBuf::from(format!("{path}.key"));
        if tongchou_store::keys::use_key_file(&key)? {
            progress(&tr!("cli-demo-key-made", key = key.display()));
        }
    }
    Ok(())
}

/// The arguments checked; with `--fresh`, an existing SQLite demo file removed.
fn check_args(a: &Args, db_url: &str) -> Result<(), CliError> {
    if a.from > a.to {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-from-after-to",
            from = a.from,
            to = a.to
        )));
    }
    if !(1_000..=10_000_000).contains(&a.persons) {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-persons-range",
            got = a.persons
        )));
    }
    if a.fresh
        && let Some(path) = db_url.strip_prefix("sqlite://")
    {
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{path}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p).map_err(|e| {
                    CliError(tongchou_core::tr!(
                        "cli-err-fresh-remove",
                        file = p,
                        error = e
                    ))
                })?;
            }
        }
    }
    Ok(())
}

/// Generate and load the province, open the ledger's books, add the demo users, seed the
/// historical balances and set the county agencies' paying accounts; the months' actors.
fn setup(db: &mut Db, a: &Args) -> Result<Actors, CliError> {
    progress(&tr!(
        "cli-demo-generating",
        persons = a.persons,
        seed = a.seed
    ));
    let province = tongchou_synth::generate(&tongchou_synth::Options {
        seed: a.seed,
        persons: a.persons,
        employers: None,
        start: a.from,
    })
    .map_err(|e| CliError(e.0))?;
    let divisions = Divisions::shanxi();
    Ledger::new(db).open_standard(divisions)?;
    // two counties still run an income account (收入户), swept to the province every month
    for county in [140121, 141121] {
        registry::set_income_account(db, county)?;
    }
    let pcode = divisions.province().code;
    // the provincial roles, and a county clerk (小店区) and its city's agency (太原市) for the
    // county and city pages (imports, retirement, the plan chain)
    let region = |code: u32| RegionCode::new(code).map_err(|e| CliError(e.0));
    for (login, role, region) in [
        ("demo.officer", Role::ProvinceBureauOfficer, pcode),
        ("demo.reviewer", Role::ProvinceBureauApprover, pcode),
        ("demo.approver", Role::FinanceApprover, pcode),
        ("demo.auditor", Role::Auditor, pcode),
        ("demo.clerk", Role::CountyAgency, region(140105)?),
        ("demo.city", Role::CityAgency, region(140100)?),
        // the budget chain: a second bureau officer reviews the cities and the counties outside
        // 太原市; the provincial government approves
        ("demo.budget", Role::ProvinceBureauOfficer, pcode),
        ("demo.gov", Role::GovernmentApprover, pcode),
        // the finance department's officer: the reserve fund's register and returns
        ("demo.fin", Role::FinanceOfficer, pcode),
    ] {
        add_user(
            db,
            &Actor::operator("cli:demo"),
            &NewUser {
                login,
                display_name: login,
                role,
                region,
                person_id: None,
                password: DEMO_PASSWORD,
            },
            &AuthPolicy::default(),
            tongchou_app::clock::now_ms(),
        )
        .map_err(|e| CliError(tongchou_core::tr!("cli-err-demo-users", error = e)))?;
    }
    registry_of(db, a, &province)?;
    drop(province);
    // the balances cities and counties held before provincial pooling, remitted in the first
    // month (demand deposits) and at maturity (fixed deposits)
    tongchou_sim::historical::seed(db, a.seed, a.from.first_day().add_days(-1))
        .map_err(|e| CliError(e.to_string()))?;
    let actors = actors(db, "demo.officer", Some("demo.approver"))?;
    // every county agency's paying account (a fictional bank), set by the bureau officer and
    // confirmed by the bureau's reviewer (maker–checker)
    let reviewer = tongchou_store::access::get_user(db, "demo.reviewer")?
        .ok_or_else(|| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-user-missing",
                login = "demo.reviewer"
            ))
        })?
        .principal();
    tongchou_sim::accounts::register_all(
        db,
        &actors.officer,
        &reviewer,
        a.from.first_day(),
        tongchou_app::clock::now_ms(),
    )
    .map_err(|e| {
        CliError(tongchou_core::tr!(
            "cli-err-demo-paying-accounts",
            error = e
        ))
    })?;
    Ok(actors)
}

/// The registry: the province migrated from its cities' legacy files by the bureau officer
/// (the review list resolved by a second officer), or with `--direct` written straight in.
fn registry_of(db: &mut Db, a: &Args, province: &tongchou_synth::Province) -> Result<(), CliError> {
    if a.direct {
        progress(&tr!("cli-demo-writing-registry"));
        tongchou_sim::load::write_province(db, province)?;
        return Ok(());
    }
    progress(&tr!("cli-demo-migrating"));
    let user = |db: &mut Db, login: &str| -> Result<tongchou_core::access::Principal, CliError> {
        Ok(tongchou_store::access::get_user(db, login)?
            .ok_or_else(|| {
                CliError(tongchou_core::tr!(
                    "cli-err-demo-user-missing",
                    login = login
                ))
            })?
            .principal())
    };
    let loader = user(db, "demo.officer")?;
    let resolver = user(db, "demo.budget")?;
    let m = crate::cmd::demo_migrate::migrate_cities(
        db,
        province,
        a.from,
        &a.legacy_out,
        (&loader, &resolver),
    )?;
    outln!(
        "{}",
        tr!(
            "cli-demo-migrated",
            cities = m.cities,
            insured = m.insured,
            pensioners = m.pensioners,
            defects = m.defects,
            corrections = m.corrections,
            reviews = m.reviews,
            dir = a.legacy_out.display()
        )
    );
    Ok(())
}

/// What the months did, and the last month with its collection report.
#[derive(Default)]
struct Totals {
    retired: u64,
    refused: u64,
    deaths: u64,
    adjusted: u64,
    last: Option<(Period, Option<MonthReport>)>,
    /// The central adjustment fund's and the reserve fund's Decembers, for the summary.
    notes: Vec<String>,
}

/// Run the months one after the other: the yearly adjustment in its month, retirements,
/// deaths, the month itself, the year close in December, the province's subsidy.
fn run_months(
    db: &mut Db,
    policy: &Policy,
    a: &Args,
    months: &[Period],
    actors: &Actors,
) -> Result<Totals, CliError> {
    let pcode = Divisions::shanxi().province().code;
    let reviewer = tongchou_store::access::get_user(db, "demo.reviewer")?
        .ok_or_else(|| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-user-missing",
                login = "demo.reviewer"
            ))
        })?
        .principal();
    let mut t = Totals::default();
    for (i, m) in months.iter().enumerate() {
        progress(&tr!(
            "cli-demo-month",
            i = i + 1,
            n = months.len(),
            month = m
        ));
        let mut opts = MonthOptions::new(&a.out.join(m.to_string()));
        opts.timing = std::env::var_os("TONGCHOU_TIMING").is_some();
        opts.bank = Some(tongchou_sim::bank::counterpart(
            20,
            a.seed ^ m.index() as u64,
        ));
        // every fourth month the money reaches the cities two days late: a recorded breach
        if i % 4 == 3 {
            opts.allocation_day = Some(12);
        }
        // the yearly adjustment, in its announcement month, with arrears back to January
        if tongchou_app::benefits::adjust::announce_month(policy, m.year())
            .map_err(|e| CliError(e.to_string()))?
            == *m
        {
            let r = tongchou_app::benefits::adjust::adjust_year(
                db,
                policy,
                m.year(),
                tongchou_app::clock::now_ms(),
            )
            .map_err(|e| CliError(e.to_string()))?;
            t.adjusted += r.adjusted;
        }
        budget_and_close(db, policy, months, i, false)?;
        let (retired, refused) = retirements(db, policy, *m, &actors.officer, &reviewer)?;
        let deaths = deaths(db, policy, *m, a.seed)?;
        t.retired += retired;
        t.refused += refused;
        t.deaths += deaths;
        // about one county in ten collects badly: 35 % more of its payers pay nothing, so its
        // collection falls short of the task (warnings, gap shares)
        let (c, _) = run_one(db, policy, *m, actors, &opts, Some(a.seed), 3_500)?;
        // a year whose every month has been collected is closed: interest credited to accounts
        if m.month() == 12 && a.from <= Period::new(m.year(), 1).map_err(|e| CliError(e.0))? {
            let (_, interest) = tongchou_app::accounts::close_year(db, policy, m.year())
                .map_err(|e| CliError(e.to_string()))?;
            progress(&tr!(
                "cli-demo-accounts-closed",
                year = m.year(),
                interest = yuan(interest)
            ));
        }
        // the provincial treasury's monthly subsidy: a tenth of what the month paid out
        let paid = reports::payroll_of_month(db, *m)?.fen();
        if paid > 0 {
            tongchou_app::income::record(
                db,
                &tongchou_store::audit::Actor::of(&actors.officer),
                tongchou_app::clock::now_ms(),
                &tongchou_app::income::Income {
                    key: &format!("demo/subsidy/{m}"),
                    region: pcode,
                    kind: "subsidy-province",
                    amount: Fen::new(paid / 10),
                    date: m.day(25),
                    reference: &format!("省级财政补贴 {m}"),
                },
            )
            .map_err(|e| CliError(e.to_string()))?;
        }
        t.notes
            .extend(budget_and_close(db, policy, months, i, true)?);
        t.last = Some((*m, c));
    }
    Ok(t)
}

/// The fund 30 years ahead from the last year run, one line per scenario: the balance each
/// tenth year and the first year it would end below zero (`tongchou project`, `/projection`).
fn print_projection(db: &mut Db, year: i32) -> Result<(), CliError> {
    let p = tongchou_app::projection::project(db, year, 30, &[])
        .map_err(|e| CliError(e.to_string()))?;
    for run in &p.runs {
        let at = |n: i32| {
            run.years
                .iter()
                .find(|y| y.year == year + n)
                .map(|y| {
                    tr!(
                        "cli-demo-projection-at",
                        year = y.year,
                        amount = yuan(y.closing)
                    )
                })
                .unwrap_or_default()
        };
        let exhausted = run
            .years
            .iter()
            .find(|y| y.closing.is_negative())
            .map(|y| tr!("cli-demo-projection-exhausted", year = y.year))
            .unwrap_or_default();
        outln!(
            "{}",
            tr!(
                "cli-demo-projection",
                name = tongchou_app::projection::scenario_name(&run.terms),
                first = at(10),
                second = at(20),
                third = at(30),
                exhausted = exhausted
            )
        );
    }
    outln!("{}", tr!("cli-demo-projection-hint", year = year));
    Ok(())
}

/// Before month `i` runs: in a January, its year's budget compiled and approved (a run that
/// starts later in a year has no budget for that year), and in July of the run's second year an
/// adjustment. After it runs
/// (`after`): a December closes its year through every level.
fn budget_and_close(
    db: &mut Db,
    policy: &Policy,
    months: &[Period],
    i: usize,
    after: bool,
) -> Result<Vec<String>, CliError> {
    let m = months[i];
    let mut notes = Vec::new();
    if after {
        if m.month() == 12 {
            notes.extend(crate::cmd::demo_budget::central_year(db, m.year())?);
            let first = !months[..i].iter().any(|x| x.month() == 12);
            notes.push(crate::cmd::demo_budget::reserve_year(db, m.year(), first)?);
        }
        // a year run from its January is closed after its December
        if m.month() == 12 && months[0] <= m.add_months(-11) {
            let n = crate::cmd::demo_budget::close_year(db, m)?;
            progress(&tr!("cli-demo-year-closed", year = m.year(), n = n));
        }
        return Ok(notes);
    }
    if m.month() == 1 {
        crate::cmd::demo_budget::compile(db, policy, m.year())?;
        progress(&tr!("cli-demo-budget-approved", year = m.year()));
    }
    if m.month() == 7 && months[0].year() + 1 == m.year() {
        crate::cmd::demo_budget::adjust(db, m.year())?;
        progress(&tr!("cli-demo-budget-adjusted-year", year = m.year()));
    }
    Ok(notes)
}

/// The per-city summary of the last month.
fn print_cities(
    db: &mut Db,
    a: &Args,
    month: Period,
    collection: &MonthReport,
) -> Result<(), CliError> {
    let divisions = Divisions::shanxi();
    // per-city summary of the last month
    let summary = registry::city_summary(db)?;
    let figs = disburse::figures(db, month).map_err(|e| CliError(e.to_string()))?;
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
        e.0 = e.0.try_add(c.assessed)?;
        e.1 = Fen::new(e.1.fen() + c.collected.fen() + c.late_fees.fen());
        e.2 = e.2.try_add(c.arrears)?;
    }
    outln!(
        "{}\n",
        tr!(
            "cli-demo-title",
            persons = a.persons,
            from = a.from,
            to = a.to
        )
    );
    outln!("{}\n", tr!("cli-demo-cities-note", month = month));
    let head = [
        tr!("cli-demo-col-city"),
        tr!("cli-demo-col-insured"),
        tr!("cli-demo-col-contributors"),
        tr!("cli-demo-col-assessed"),
        tr!("cli-demo-col-remitted"),
        tr!("cli-demo-col-arrears"),
        tr!("cli-demo-col-payroll"),
        tr!("cli-demo-col-from-balance"),
        tr!("cli-demo-col-planned"),
        tr!("cli-demo-col-approved"),
        tr!("cli-demo-col-allocated"),
        tr!("cli-demo-col-paid"),
        tr!("cli-demo-col-returned"),
        tr!("cli-demo-col-late"),
    ];
    outln!("{}", city_row(&head));
    for city in divisions.cities() {
        let code = city.code.get();
        let s = summary.iter().find(|s| s.region == code as i64);
        let (assessed, remitted, arrears) = coll.get(&code).copied().unwrap_or_default();
        let f = figs.get(&code).cloned().unwrap_or_default();
        let row = [
            city.name.clone(),
            s.map(|s| s.insured).unwrap_or(0).to_string(),
            s.map(|s| s.contributors).unwrap_or(0).to_string(),
            yuan(assessed),
            yuan(remitted),
            yuan(arrears),
            yuan(f.need),
            yuan(f.from_balance),
            yuan(f.planned),
            yuan(f.approved),
            yuan(f.allocated),
            yuan(f.paid),
            yuan(f.returned),
            f.late_days.to_string(),
        ];
        outln!("{}", city_row(&row));
    }
    Ok(())
}

/// Every year run to its December: its gap computed by the officer and every government's share
/// settled by the finance approver; the last year's assessment (the top and bottom counties).
fn print_governance(db: &mut Db, actors: &Actors, months: &[Period]) -> Result<(), CliError> {
    use tongchou_app::{assess, gap};
    let err = |e: tongchou_app::AppError| CliError(e.to_string());
    let now = tongchou_app::clock::now().to_string();
    for year in months.iter().filter(|m| m.month() == 12).map(|m| m.year()) {
        let on = Period::new(year + 1, 1)
            .map_err(|e| CliError(e.to_string()))?
            .day(10);
        gap::compute(
            db,
            &actors.officer,
            year,
            on,
            &now,
            tongchou_app::clock::now_ms(),
        )
        .map_err(err)?;
        let v = gap::show(db, year, on).map_err(err)?;
        let mut owing: BTreeMap<i64, i64> = BTreeMap::new();
        for s in &v.shares {
            *owing.entry(s.region).or_default() += s.amount.fen() - s.paid.fen();
        }
        let mut settled = 0;
        if let Some(approver) = &actors.approver {
            for region in owing.iter().filter(|(_, o)| **o > 0).map(|(r, _)| *r) {
                let Some(region) = tongchou_core::RegionCode::from_stored(region) else {
                    continue;
                };
                let p = gap::Payment {
                    year,
                    region,
                    amount: None,
                    on: on.add_days(30),
                };
                gap::settle(db, approver, &p, &now, tongchou_app::clock::now_ms()).map_err(err)?;
                settled += 1;
            }
        }
        outln!(
            "{}",
            tr!(
                "cli-demo-gap",
                year = year,
                gap = yuan(v.year.gap),
                shortfall = yuan(v.year.shortfall),
                noncompliant = yuan(v.year.noncompliant),
                policy = yuan(v.year.policy),
                settled = settled
            )
        );
    }
    let Some(last) = months.last() else {
        return Ok(());
    };
    let result = assess::assess(db, last.year()).map_err(err)?;
    let d = Divisions::shanxi();
    let name = |s: &tongchou_engine::assessment::Scored| {
        d.get(s.region).map(|r| r.name.clone()).unwrap_or_default()
    };
    let line = |list: &[tongchou_engine::assessment::Scored]| {
        list.iter()
            .map(|s| format!("{} {}.{:02}", name(s), s.score / 100, s.score % 100))
            .collect::<Vec<_>>()
            .join(&tr!("cli-arg-list-sep"))
    };
    let n = result.counties.len();
    outln!(
        "{}",
        tr!(
            "cli-demo-assessment",
            year = last.year(),
            best = line(&result.counties[..3.min(n)]),
            last = line(&result.counties[n.saturating_sub(3)..])
        )
    );
    Ok(())
}

/// The provincial fund (its balance and months payable, THE figure of `tongchou warn` and the
/// reports), the ledger check and the reconciliation.
fn print_fund(db: &mut Db, last: Period) -> Result<(), CliError> {
    let report = tongchou_app::warn::compute(db, last).map_err(|e| CliError(e.to_string()))?;
    if let Some(p) = report.regions.first() {
        outln!();
        outln!(
            "{}",
            tr!(
                "cli-demo-balance",
                period = last,
                amount = yuan(p.figures.balance)
            )
        );
        if let Some(m) = p.months_payable {
            outln!(
                "{}",
                tr!(
                    "cli-demo-months-payable",
                    window = p.window,
                    average = yuan(Fen::new(p.figures.expenditure.fen() / p.window.max(1))),
                    months = tongchou_engine::warning::tenths_text(m)
                )
            );
        }
        let warned = report
            .regions
            .iter()
            .filter(|r| !r.warnings.is_empty())
            .count();
        outln!("{}", tr!("cli-demo-warned", period = last, n = warned));
    }
    let check = Ledger::new(db).check()?;
    match check.problem {
        None => outln!(
            "{}",
            tr!(
                "cli-demo-ledger-ok",
                transfers = check.transfers,
                lines = check.lines
            )
        ),
        Some(p) => {
            return Err(CliError(tongchou_core::tr!(
                "cli-err-ledger-check",
                problem = format!("{p:?}")
            )));
        }
    }
    let problems = tongchou_app::collect::reconcile(db).map_err(|e| CliError(e.to_string()))?;
    if !problems.is_empty() {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-reconcile",
            problems = problems.join("; ")
        )));
    }
    outln!("{}", tr!("cli-demo-reconciled"));
    Ok(())
}

/// One line of the per-city table: the city left-aligned, the figures right-aligned, each cell
/// padded to its column's width on a terminal (a Chinese character takes two columns).
fn city_row(cells: &[String]) -> String {
    const WIDTHS: [usize; 14] = [8, 9, 9, 13, 13, 11, 13, 11, 13, 13, 13, 13, 11, 4];
    let cols: Vec<(usize, Align)> = WIDTHS
        .iter()
        .enumerate()
        .map(|(i, &w)| (w, if i == 0 { Align::Left } else { Align::Right }))
        .collect();
    columns(cells, &cols)
}

/// The synthetic province's fake bank account of a registry person (one generator for all).
fn fake_account(person: i64) -> String {
    tongchou_synth::fake_bank_account(person.unsigned_abs())
}

/// Everyone reaching the statutory month in `m` applies (the bureau officer submits) and another
/// user decides: approved when the checks pass, refused with the reasons otherwise.
fn retirements(
    db: &mut Db,
    policy: &Policy,
    m: Period,
    officer: &tongchou_core::access::Principal,
    reviewer: &tongchou_core::access::Principal,
) -> Result<(u64, u64), CliError> {
    use tongchou_app::benefits::retire;
    let due = retire::due_in_month(db, policy, m).map_err(|e| CliError(e.to_string()))?;
    let (mut ok, mut no) = (0, 0);
    for p in due.into_iter().filter(|p| p.application.is_none()) {
        let acct = fake_account(p.person);
        let req = retire::Request {
            person: p.person,
            retire: None,
            deemed_index: None,
            bank_code: "ICBC",
            bank_name: "中国工商银行",
            bank_account: &acct,
        };
        let now = tongchou_app::clock::now_ms();
        let app = retire::submit(db, policy, officer, &req, now).map_err(|e| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-retirement",
                person = p.person,
                error = e
            ))
        })?;
        match retire::decide(
            db,
            policy,
            reviewer,
            app.id,
            retire::Verdict::Approve,
            "",
            now,
        ) {
            Ok(_) => ok += 1,
            Err(_) => {
                retire::decide(
                    db,
                    policy,
                    reviewer,
                    app.id,
                    retire::Verdict::Refuse,
                    "资格审核未通过",
                    now,
                )
                .map_err(|e| {
                    CliError(tongchou_core::tr!(
                        "cli-err-demo-refusing",
                        id = app.id,
                        error = e
                    ))
                })?;
                no += 1;
            }
        }
    }
    Ok((ok, no))
}

/// A few pensioners die each month: public security reports them, the cross-check suspends the
/// pension, settles the grants and opens recovery cases for any payment made after the death;
/// the spouse claims the settlement the same month, so the next payroll pays it to them.
fn deaths(db: &mut Db, policy: &Policy, m: Period, seed: u64) -> Result<u64, CliError> {
    use tongchou_app::benefits::deaths;
    let rows = tongchou_store::benefits::active_pensioner_id_numbers(db)?;
    let mut csv = String::from("id_number,died,source\n");
    let mut n = 0;
    for (person, id_number) in &rows {
        let person = *person;
        let h = (person as u64 ^ seed ^ (m.index() as u64) << 20)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> 40;
        if h.is_multiple_of(1000) {
            csv.push_str(&format!("{id_number},{},公安\n", m.day(3)));
            n += 1;
        }
    }
    if n == 0 {
        return Ok(0);
    }
    let now = tongchou_app::clock::now_ms();
    let actor = Actor::operator("cli:demo");
    deaths::import_deaths(
        db,
        &format!("deaths-{m}.csv"),
        csv.as_bytes(),
        m.day(5),
        &actor,
        now,
    )
    .map_err(|e| CliError(e.to_string()))?;
    deaths::run_crosscheck(db, policy, m, None, &actor, now)
        .map_err(|e| CliError(e.to_string()))?;
    for w in deaths::awaiting_claims(db, None).map_err(|e| CliError(e.to_string()))? {
        let s = spouse(db, w.person)?;
        let claim = deaths::Claim {
            person: w.person,
            name: &s.name,
            id_number: &s.id_number,
            relation: "spouse",
            bank_code: "ICBC",
            bank_name: "中国工商银行",
            bank_account: &s.account,
        };
        deaths::file_claim(db, &actor, &claim, m.day(8), now).map_err(|e| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-claim",
                person = w.person,
                error = e
            ))
        })?;
    }
    Ok(n)
}

/// A deceased pensioner's synthetic spouse.
struct Spouse {
    name: String,
    id_number: String,
    account: String,
}

/// The spouse of `person`, deterministic: the other sex (the parity of the ID number's sequence),
/// born 700 to 1,699 days later with an ID number of the same county (valid GB 11643 check
/// character), a name from the generator's pools, and a fake account in the pensioners' format
/// whose 12-digit body is 900,000,000,000 + the person id (above every person id).
fn spouse(db: &mut Db, person: i64) -> Result<Spouse, CliError> {
    use tongchou_synth::names::{FEMALE_GIVEN, MALE_GIVEN, SURNAMES, render_name};
    let (county, birth, sex) = tongchou_store::benefits::deaths::birth_and_sex(db, person)?
        .ok_or_else(|| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-person-missing",
                person = person
            ))
        })?;
    let county = tongchou_core::RegionCode::new(county)?;
    let female = sex == "male";
    let k = person.unsigned_abs();
    // odd sequence numbers are men's, even ones women's; never 000
    let seq = (k % 450) as u16 * 2 + if female { 2 } else { 3 };
    let id =
        tongchou_core::IdNumber::from_parts(county, birth.add_days(700 + (k % 1000) as i64), seq);
    let pool = if female {
        FEMALE_GIVEN.len()
    } else {
        MALE_GIVEN.len()
    };
    let name = render_name(
        (k % SURNAMES.len() as u64) as u8,
        [((k / 7) % pool as u64) as u8, u8::MAX],
        female,
    );
    Ok(Spouse {
        name,
        id_number: id.as_str().to_string(),
        account: fake_account(900_000_000_000 + person),
    })
}
