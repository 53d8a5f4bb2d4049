//! The plan chain on both backends: a month run by real agencies stops before its plans step,
//! naming the counties and cities it waits for; a county submits, its city returns the plan
//! with a reason, the county resubmits, the city forwards and submits its consolidated plan,
//! and the month applies to the finance department with exactly the submitted figures. Refused:
//! another county's or another city's user, a return without a reason, the person who submitted
//! a plan reviewing it, a city submitting before its counties are forwarded; every refusal is
//! audited, and both versions of the returned plan stay readable.

mod common;

use tongchou_app::AppError;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions, PlanSubmissions};
use tongchou_app::plan_chain::{self, Review};
use tongchou_core::access::{Principal, Role};
use tongchou_core::{Divisions, Period, Policy, RegionCode};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::{Db, Val, testing};

fn denied(db: &mut Db, login: &str, action: &str, reason: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE login = $1 AND action = $2 AND result = 'denied' AND details LIKE $3",
        &[Val::Str(login), Val::Str(action), Val::Str(&format!("%{reason}%"))],
    )
    .expect("audit")
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, AppError>) {
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
}

/// The month until it waits for plans: (db, policy, actors, options, focus county, its city).
fn until_waiting(
    url: &str,
    tag: &str,
) -> (
    Db,
    Policy,
    disburse::Actors,
    MonthOptions,
    RegionCode,
    RegionCode,
) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 600, "2020-01");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let month: Period = "2020-01".parse().expect("month");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 1,
        behaviour: Behaviour::default(),
    });
    collect::run_month(&mut db, &policy, month, src).expect("collection");
    let out = std::env::temp_dir().join(format!("tc-chain-{tag}-{}", std::process::id()));
    let mut opts = MonthOptions::new(&out);
    opts.plans = PlanSubmissions::Submitted;
    let first = disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("month");
    let waiting = first["waiting"]["for"]
        .as_str()
        .expect("waiting")
        .to_string();
    assert!(first.get("plans").is_none(), "{first}");
    assert!(waiting.starts_with("等待报送用款计划："), "{waiting}");
    // the focus: the first county waited for, named with its state
    let region = first["waiting"]["regions"][0]["region"]
        .as_u64()
        .expect("region") as u32;
    let county = RegionCode::new(region).expect("code");
    assert!(
        waiting.contains(&format!("{county} {}（未报送", plan_chain::name(county))),
        "{waiting}"
    );
    let city = Divisions::shanxi().city_of(county).expect("city");
    assert!(
        waiting.contains(&format!("{city} {}", plan_chain::name(city))),
        "{waiting}"
    );
    (db, policy, actors, opts, county, city)
}

fn other_county(city: RegionCode, not: RegionCode) -> RegionCode {
    Divisions::shanxi()
        .counties_of(city)
        .map(|c| c.code)
        .find(|c| {
            *c != not
                && !Divisions::shanxi()
                    .get(*c)
                    .is_some_and(|r| r.is_functional_zone())
        })
        .expect("another county")
}

fn chain(url: &str, tag: &str) {
    let (mut db, policy, actors, opts, county, city) = until_waiting(url, tag);
    let month: Period = "2020-01".parse().expect("month");
    let now = tongchou_app::clock::now_ms();
    let clerk = common::user(&mut db, "clerk", Role::CountyAgency, county, None);
    let neighbour = common::user(
        &mut db,
        "neighbour",
        Role::CountyAgency,
        other_county(city, county),
        None,
    );
    let reviewer = common::user(&mut db, "reviewer", Role::CityAgency, city, None);
    let other_city = Divisions::shanxi()
        .cities()
        .map(|c| c.code)
        .find(|c| *c != city)
        .expect("city");
    let stranger = common::user(&mut db, "stranger", Role::CityAgency, other_city, None);

    // another county's agency may not submit it; a city may not review what is not submitted
    forbidden(plan_chain::submit(
        &mut db, &neighbour, month, county, "", now,
    ));
    assert_eq!(
        denied(&mut db, "neighbour", "plan.submit", "out_of_scope"),
        1
    );
    assert!(matches!(
        plan_chain::review(&mut db, &reviewer, month, county, Review::Forward, now),
        Err(AppError::State(_))
    ));
    // the county submits its proposal with a note
    let proposal = plan_chain::propose(&mut db, month, county).expect("proposal");
    assert!(proposal.total.is_positive(), "{proposal:?}");
    let s = plan_chain::submit(&mut db, &clerk, month, county, "一月计划", now).expect("submit");
    assert_eq!((s.state.as_str(), s.version), ("submitted", 1));
    assert!(matches!(
        plan_chain::submit(&mut db, &clerk, month, county, "again", now),
        Err(AppError::State(_))
    ));
    // returning needs a reason; another city may not; the city returns it with one
    assert!(matches!(
        plan_chain::review(&mut db, &reviewer, month, county, Review::Return("  "), now),
        Err(AppError::Invalid(_))
    ));
    forbidden(plan_chain::review(
        &mut db,
        &stranger,
        month,
        county,
        Review::Return("no"),
        now,
    ));
    assert_eq!(
        denied(&mut db, "stranger", "plan.return", "out_of_scope"),
        1
    );
    let r = plan_chain::review(
        &mut db,
        &reviewer,
        month,
        county,
        Review::Return("退休人员增减未核实"),
        now,
    )
    .expect("return");
    assert_eq!(r.state, "returned");
    // the city cannot submit before its counties are forwarded
    assert!(matches!(
        plan_chain::submit_city(&mut db, &reviewer, month, city, "", now),
        Err(AppError::State(_))
    ));
    // the county resubmits with its own figure (调整): a note is required, the total may not
    // exceed the payroll's need, items are named; version 2, and version 1 stays readable
    use tongchou_engine::disbursement::Item;
    let asked = proposal
        .total
        .try_sub(tongchou_core::Fen::new(100))
        .expect("fen");
    let adjust = std::collections::BTreeMap::from([(Item::BasicPension, asked)]);
    assert!(matches!(
        plan_chain::submit_adjusted(&mut db, &clerk, month, county, &adjust, " ", now),
        Err(AppError::Invalid(m)) if m.starts_with("调整用款计划须说明理由")
    ));
    let too_much = std::collections::BTreeMap::from([(
        Item::BasicPension,
        proposal
            .need
            .try_add(tongchou_core::Fen::new(1))
            .expect("fen"),
    )]);
    assert!(matches!(
        plan_chain::submit_adjusted(&mut db, &clerk, month, county, &too_much, "多申请", now),
        Err(AppError::Invalid(m)) if m.starts_with("调整后合计")
    ));
    let typed = plan_chain::parse_adjustment(&[format!("basic_pension={}", asked.grouped())])
        .expect("typed");
    assert_eq!(typed, adjust);
    assert!(plan_chain::parse_adjustment(&["pension=1"]).is_err());
    let s = plan_chain::submit_adjusted(&mut db, &clerk, month, county, &adjust, "已核实", now)
        .expect("resubmit");
    assert_eq!((s.state.as_str(), s.version), ("submitted", 2));
    let view = plan_chain::plan(&mut db, &reviewer, month, county, now).expect("view");
    assert_eq!(view.versions.len(), 2);
    assert_eq!(view.versions[0].note, "一月计划");
    let adjusted_note = format!(
        "已核实〔按工资单建议 {} 元，调整为 {} 元〕",
        proposal.total.grouped(),
        asked.grouped()
    );
    assert_eq!(view.versions[1].note, adjusted_note);
    assert_eq!(view.versions[1].total, asked);
    let kinds: Vec<(&str, &str)> = view
        .actions
        .iter()
        .map(|a| (a.action.as_str(), a.reason.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("submit", "一月计划"),
            ("return", "退休人员增减未核实"),
            ("submit", adjusted_note.as_str())
        ]
    );
    forbidden(plan_chain::plan(&mut db, &neighbour, month, county, now));
    assert_eq!(denied(&mut db, "neighbour", "plan.read", "out_of_scope"), 1);

    // the clerk moves to the city agency: still never reviews a plan they submitted
    db.exec(
        "UPDATE users SET role = 'city_agency', region = $1 WHERE login = 'clerk'",
        &[Val::I64(city.get() as i64)],
    )
    .expect("move");
    let moved = Principal {
        role: Role::CityAgency,
        region: city,
        ..clerk.clone()
    };
    forbidden(plan_chain::review(
        &mut db,
        &moved,
        month,
        county,
        Review::Forward,
        now,
    ));
    assert_eq!(denied(&mut db, "clerk", "plan.forward", "self_approval"), 1);
    let f = plan_chain::review(&mut db, &reviewer, month, county, Review::Forward, now)
        .expect("forward");
    assert_eq!(f.state, "forwarded");

    // the rest of the city's counties: submitted by their agencies, forwarded by the reviewer
    let rest: Vec<RegionCode> = plan_chain::waiting(&mut db, month)
        .expect("waiting")
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| *r != city && Divisions::shanxi().city_of(*r) == Some(city))
        .collect();
    for (i, c) in rest.iter().enumerate() {
        let u = common::user(&mut db, &format!("clerk{i}"), Role::CountyAgency, *c, None);
        plan_chain::submit(&mut db, &u, month, *c, "", now).expect("submit");
        plan_chain::review(&mut db, &reviewer, month, *c, Review::Forward, now).expect("forward");
    }
    let cs = plan_chain::submit_city(&mut db, &reviewer, month, city, "汇总", now)
        .expect("city submits");
    assert_eq!(cs.level, "city");
    // once the city's plan is submitted its counties' forwarded plans stay as they are
    assert!(matches!(
        plan_chain::review(&mut db, &reviewer, month, county, Review::Return("x"), now),
        Err(AppError::State(_))
    ));
    // the province returns the city's plan with a reason (never "forwards" it); the month waits
    // for the city again; the city answers with a new version
    let province = Divisions::shanxi().province().code;
    let prov = common::user(
        &mut db,
        "prov.reviewer",
        Role::ProvinceBureauApprover,
        province,
        None,
    );
    assert!(matches!(
        plan_chain::review(&mut db, &prov, month, city, Review::Forward, now),
        Err(AppError::Invalid(_))
    ));
    forbidden(plan_chain::review(
        &mut db,
        &reviewer,
        month,
        city,
        Review::Return("x"),
        now,
    ));
    let back = plan_chain::review(
        &mut db,
        &prov,
        month,
        city,
        Review::Return("汇总数与名册不符"),
        now,
    )
    .expect("province returns");
    assert_eq!(back.state, "returned");
    let waits = plan_chain::waiting(&mut db, month).expect("waiting");
    assert!(waits.iter().any(|(r, _)| *r == city), "{waits:?}");
    // the city reopens the county's forwarded plan (only while its own plan is not submitted);
    // the county answers with a new version, forwarded again
    let view = plan_chain::plan(&mut db, &reviewer, month, county, now).expect("view");
    assert!(view.reopenable);
    plan_chain::review(
        &mut db,
        &reviewer,
        month,
        county,
        Review::Return("按名册重新报送"),
        now,
    )
    .expect("reopen");
    assert!(
        plan_chain::waiting(&mut db, month)
            .expect("waiting")
            .iter()
            .any(|(r, _)| *r == county)
    );
    let s3 = plan_chain::submit(&mut db, &clerk, month, county, "按名册", now).expect("v3");
    assert_eq!(s3.version, 3);
    plan_chain::review(&mut db, &reviewer, month, county, Review::Forward, now).expect("fwd");
    let again = plan_chain::submit_city(&mut db, &reviewer, month, city, "已核对", now)
        .expect("city resubmits");
    assert_eq!((again.state.as_str(), again.version), ("submitted", 2));
    // the month still waits for the other cities, named; none of the focus city
    let still = disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("month");
    let text = still["waiting"]["for"].as_str().expect("waiting");
    assert!(!text.contains(&format!("{city} ")), "{text}");
    // the other cities' agencies (simulated), then the month applies with the submitted figures
    assert!(plan_chain::simulate(&mut db, month, now).expect("simulate") > 0);
    assert!(
        plan_chain::waiting(&mut db, month)
            .expect("waiting")
            .is_empty()
    );
    let done =
        disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("month continues");
    assert!(
        done.get("plans").is_some() && done.get("pay").is_some(),
        "{done}"
    );
    let rows = tongchou_store::plans::region_plans(&mut db, month).expect("plans");
    let planned = |r: RegionCode| rows.iter().find(|p| p.region == r).map(|p| p.planned);
    assert_eq!(planned(county), Some(proposal.total));
    let versions = tongchou_store::plan_chain::versions(&mut db, month, Some(city)).expect("v");
    // the city's second version carries the county's new figure
    assert_eq!(planned(city), versions.last().map(|v| v.total));
    assert_eq!(
        versions[1].total.try_sub(versions[0].total).expect("fen"),
        proposal.total.try_sub(asked).expect("fen")
    );
    // after the application nothing in the chain moves
    assert!(matches!(
        plan_chain::submit(&mut db, &neighbour, month, neighbour.region, "", now),
        Err(AppError::State(_))
    ));
    // deadlines (policy/calendar.toml): the real agencies acted today, years after January
    // 2020's deadlines (2019-12-25 for counties, 2019-12-28 for cities): each late version is
    // recorded with its days; the simulated agencies acted on their deadline, on time
    let breaches = tongchou_store::plan_chain::breaches(&mut db, month).expect("breaches");
    let today = tongchou_app::clock::today_china();
    let of = |r: RegionCode| breaches.iter().filter(|b| b.region == r).count();
    assert_eq!(of(county), 3, "every version late: {breaches:?}");
    let b = breaches
        .iter()
        .find(|b| b.region == city)
        .expect("city late");
    assert_eq!(b.deadline, "2019-12-28");
    let due: tongchou_core::Date = "2019-12-28".parse().expect("d");
    assert!((due.days_until(today) - b.days_late).abs() <= 1, "{b:?}");
    assert_eq!(breaches.len(), 3 + rest.len() + 2, "{breaches:?}");
    let rows = plan_chain::status(&mut db, &reviewer, month).expect("status");
    let focus = rows
        .iter()
        .find(|c| c.city.region == city)
        .expect("city row");
    assert!(focus.city.late_days.is_some_and(|d| d > 0));
    assert!(
        focus
            .counties
            .iter()
            .any(|c| c.region == county && c.late_days.is_some())
    );
    let late = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'plan.late'",
            &[],
        )
        .expect("audit");
    assert_eq!(late, breaches.len() as i64);
    let ok = db.query_i64("SELECT count(*) FROM audit_log WHERE login = 'reviewer' AND action IN ('plan.return', 'plan.forward', 'plan.submit') AND result = 'ok'", &[]).expect("audit");
    assert_eq!(ok, 6 + rest.len() as i64);
}

#[test]
fn plan_chain_on_sqlite() {
    chain(&testing::sqlite_url("chain"), "sqlite");
}

#[test]
fn plan_chain_on_postgres() {
    chain(&testing::pg_url("chain"), "pg");
}
