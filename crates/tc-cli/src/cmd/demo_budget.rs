//! The demo's fund budgets and year closes (issue 11's demo): before a year's first month runs,
//! its budget is compiled and approved through the whole chain of `tongchou_app::budget`, each
//! step by its own demo user; in the second year the province opens an adjustment that goes
//! through the same chain; after a December, the year is closed county → city → province
//! (`tongchou_app::close`), after which its final accounts are final.

use crate::output::CliError;
use tongchou_app::budget::{self, Change, Verdict};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::close::{self, CloseRequest};
use tongchou_app::final_accounts;
use tongchou_core::access::Principal;
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Fen, Period, Policy, RegionCode};
use tongchou_store::Db;

fn err(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

fn user(db: &mut Db, login: &str) -> Result<Principal, CliError> {
    Ok(tongchou_store::access::get_user(db, login)?
        .ok_or_else(|| {
            CliError(tongchou_core::tr!(
                "cli-err-demo-user-missing",
                login = login
            ))
        })?
        .principal())
}

fn level(r: RegionCode) -> Option<Level> {
    Divisions::shanxi().get(r).map(|x| x.level)
}

/// The province's chain after it submits: HRSS, finance, government.
fn decide_chain(db: &mut Db, year: i32, number: Option<i32>) -> Result<(), CliError> {
    for (step, login) in [
        ("hrss", "demo.reviewer"),
        ("finance", "demo.approver"),
        ("government", "demo.gov"),
    ] {
        let who = user(db, login)?;
        budget::decide(db, &who, year, number, step, Verdict::Accept, now_ms()).map_err(err)?;
    }
    Ok(())
}

/// Compile and approve `year`'s budget: drafted by the officer for every book, each county and
/// city submitted and accepted by the level above (太原市's counties by demo.city, the rest by
/// demo.budget), the province's submitted and decided by HRSS, finance and the government.
pub fn compile(db: &mut Db, policy: &Policy, year: i32) -> Result<(), CliError> {
    if budget::find(db, year, None).is_ok() {
        return Ok(());
    }
    let officer = user(db, "demo.officer")?;
    let city = user(db, "demo.city")?;
    let second = user(db, "demo.budget")?;
    budget::draft(db, policy, &officer, year, None, now_ms()).map_err(err)?;
    let taiyuan = RegionCode::new(140100).map_err(|e| CliError(e.0))?;
    for lv in [Level::County, Level::City] {
        for r in final_accounts::ordered_books() {
            if level(r) != Some(lv) {
                continue;
            }
            budget::submit(db, &officer, year, None, r, now_ms()).map_err(err)?;
            let reviewer = if lv == Level::County && r.prefecture() == taiyuan {
                &city
            } else {
                &second
            };
            budget::review(db, reviewer, year, None, r, Verdict::Accept, now_ms()).map_err(err)?;
        }
    }
    let p = Divisions::shanxi().province().code;
    budget::submit(db, &officer, year, None, p, now_ms()).map_err(err)?;
    decide_chain(db, year, None)
}

/// An adjustment of `year`'s approved budget: the province's fiscal subsidy raised by a tenth,
/// with its reason, through the province's chain.
pub fn adjust(db: &mut Db, year: i32) -> Result<(), CliError> {
    let officer = user(db, "demo.officer")?;
    let p = Divisions::shanxi().province().code;
    let reason = "省级财政补贴增加";
    let number = budget::adjust(db, &officer, year, reason, now_ms()).map_err(err)?;
    let v = budget::show(db, year, Some(number)).map_err(err)?;
    let item = "subsidy";
    let now = v
        .lines
        .get(&p)
        .and_then(|ls| ls.get(item))
        .map_or(Fen::ZERO, |l| l.amount);
    let raised = Fen::new((now.fen() + now.fen() / 10).max(100_000_000));
    // what is raised on the income side is kept as balance: the budget still balances
    let change = Change {
        region: p,
        item,
        amount: raised,
        note: "按省财政追加补贴调整",
        source: Some("演示：省财政厅追加预算通知（合成）"),
    };
    budget::edit(db, &officer, year, Some(number), &change, now_ms()).map_err(err)?;
    budget::submit(db, &officer, year, Some(number), p, now_ms()).map_err(err)?;
    decide_chain(db, year, Some(number))
}

/// Close `december`'s year county → city → province.
pub fn close_year(db: &mut Db, december: Period) -> Result<usize, CliError> {
    let officer = user(db, "demo.officer")?;
    let mut n = 0;
    for level in [Level::County, Level::City, Level::Province] {
        let req = CloseRequest {
            level,
            period: december,
            year: true,
            region: None,
            today: today_china(),
        };
        n += close::close(db, &officer, &req, now_ms())
            .map_err(err)?
            .len();
    }
    Ok(n)
}

/// The year's central adjustment fund in its December (2018–2021 only; national pooling's
/// amounts are the centre's and the demo has none): the remittance by the formula, the
/// allocation at a synthetic per-capita amount (nine tenths of the remittance per pensioner, as
/// if the province were a small net payer), the four quarters' advances and the settlement, by
/// the bureau officer. Returns a line for the summary.
pub fn central_year(db: &mut Db, year: i32) -> Result<Option<String>, CliError> {
    use tongchou_app::central::{self, AdvanceInput, AllocationInput};
    if central::terms(year).map_err(err)?.regime != "central-adjustment" {
        return Ok(None);
    }
    let officer = user(db, "demo.officer")?;
    let on = Period::new(year, 12).map_err(|e| CliError(e.0))?.day(20);
    let r = central::remit(db, &officer, year, on, now_ms()).map_err(err)?;
    let pensioners = central::pensioners_before(db, year).map_err(err)?.max(1);
    let per_capita = Fen::new(r.amount.fen() * 9 / 10 / pensioners);
    let source = "演示：财政部 人力资源社会保障部下达通知（合成）";
    let alloc = AllocationInput {
        year,
        per_capita,
        pensioners: None,
        source_doc: source.into(),
        on,
    };
    let a = central::allocate(db, &officer, &alloc, now_ms()).map_err(err)?;
    for quarter in 1..=4 {
        let adv = AdvanceInput {
            year,
            quarter,
            paid: None,
            received: None,
            source_doc: source.into(),
            on,
        };
        central::advance(db, &officer, &adv, now_ms()).map_err(err)?;
    }
    let s = central::settle(db, &officer, year, source, on.add_days(8), now_ms()).map_err(err)?;
    Ok(Some(tongchou_core::tr!(
        "cli-demo-central",
        year = year,
        remitted = r.amount.grouped(),
        allocated = a.movement.amount.grouped(),
        settled = s.movement.amount.grouped()
    )))
}

/// The reserve fund: in the run's first December, equity transferred to it (a synthetic
/// provincial enterprise, 10 % at a book value of 10,000,000 yuan); every December, a dividend of
/// 3 % of the book value, by the finance officer `demo.fin`.
pub fn reserve_year(db: &mut Db, year: i32, first: bool) -> Result<String, CliError> {
    use tongchou_app::reserve::{self, HoldingInput, ReturnInput};
    let fin = user(db, "demo.fin")?;
    let p = Divisions::shanxi().province().code;
    let code = tongchou_core::CreditCode::from_parts(b'9', b'1', p, b"MA0K7Q2L")
        .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-demo-credit-code")))?;
    let on = Period::new(year, 12).map_err(|e| CliError(e.0))?.day(1);
    let h = HoldingInput {
        enterprise: "山西示范能源集团有限公司（合成）".into(),
        credit_code: code.to_string(),
        share: "0.1".into(),
        book_value: Fen::new(1_000_000_000),
        transfer_date: on,
        source_doc: "演示：晋政发〔2020〕24号 划转方案（合成）".into(),
    };
    let (holding, _) = if first {
        reserve::register(db, &fin, &h, now_ms()).map_err(err)?
    } else {
        let v = reserve::show(db, &fin, now_ms()).map_err(err)?;
        match v.holdings.into_iter().next() {
            Some(x) => (x, false),
            None => return Ok(String::new()),
        }
    };
    let r = ReturnInput {
        holding_id: holding.id,
        kind: "dividend".into(),
        amount: Fen::new(holding.book_value.fen() * 3 / 100),
        received_on: on.add_days(14),
        reference: format!("DEMO-DIV-{year}"),
    };
    reserve::collect(db, &fin, &r, now_ms()).map_err(err)?;
    Ok(tongchou_core::tr!(
        "cli-demo-reserve",
        enterprise = holding.enterprise,
        since = holding.transfer_date,
        lockup = holding.lockup_end,
        year = year,
        dividend = r.amount.grouped()
    ))
}
