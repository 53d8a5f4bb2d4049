//! `tongchou certification import | record | report | show`: eligibility certification
//! (领取养老金资格认证), a thin edge over `tongchou_app::certification`. Every command that
//! changes something acts as an authenticated staff member (`--as LOGIN`, password from
//! `TONGCHOU_PASSWORD` or the first line of standard input).

use crate::cmd::benefits::{engine, file_name, read_file};
use crate::output::{CliResult, print_json};
use crate::session::acting_user;
use std::path::PathBuf;
use std::process::ExitCode;
use tongchou_app::certification as cert;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_core::{Date, Divisions, Period, Policy, RegionCode};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Import other departments' records of pensioners seen alive (生存信息, 静默认证): CSV
    /// (UTF-8 or GBK) or XLSX with columns 身份证号码, 发生日期 (YYYY-MM-DD), 来源 (department
    /// and event), as `import template alive` prints them; all or nothing, every bad row named;
    /// each record naming a pensioner certifies them, and resumes one suspended for want of it.
    Import {
        #[arg(long)]
        file: PathBuf,
        /// A provincial staff member who may change persons' records.
        #[arg(long = "as")]
        as_login: String,
    },
    /// Certify a pensioner at the counter (a county clerk of their region).
    Record {
        /// The pensioner's person id.
        #[arg(long)]
        person: i64,
        /// The day of the certification (default: today).
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The standing per county on the payroll day of a month: certified, due soon, overdue,
    /// suspended; and the month's reminders, suspensions and resumptions.
    Report {
        #[arg(long)]
        month: Period,
        /// The province (default), a city or a county.
        #[arg(long)]
        region: Option<RegionCode>,
        /// table or json
        #[arg(long, default_value = "table")]
        format: String,
    },
}

pub fn run(c: Cmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    match c {
        Cmd::Import { file, as_login } => {
            let who = acting_user(&mut db, &as_login)?;
            let bytes = read_file(&file)?;
            let s = cert::import_alive(
                &mut db,
                &who,
                &file_name(&file),
                &bytes,
                today_china(),
                now_ms(),
            )
            .map_err(engine)?;
            outln!(
                "生存信息 {} 行：认证 {} 人，已有 {} 条，恢复发放 {} 人（补发 {} 元），非在册待遇人员 {} 条",
                s.rows,
                s.certified,
                s.known,
                s.resumed,
                s.resumed_amount.grouped(),
                s.not_pensioners
            );
            print_json(&s)?;
        }
        Cmd::Record {
            person,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let today = today_china();
            let c = cert::certify(&mut db, &who, person, on.unwrap_or(today), today, now_ms())
                .map_err(engine)?;
            print_json(&c)?;
        }
        Cmd::Report {
            month,
            region,
            format,
        } => {
            let policy = Policy::builtin()?;
            let region = region.unwrap_or(Divisions::shanxi().province().code);
            let r = cert::report(&mut db, &policy, month, region).map_err(engine)?;
            if format == "json" {
                print_json(&r)?;
            } else {
                print_table(&r);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(r: &cert::Report) {
    outln!(
        "{} 领取养老金资格认证情况（发放日 {}，认证周期 {} 个月）",
        r.month,
        r.on,
        r.interval_months
            .map(|m| m.to_string())
            .unwrap_or_else(|| "—".into())
    );
    outln!(
        "{:<10} {:<12} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>16}",
        "区划",
        "名称",
        "待遇人员",
        "已认证",
        "即将到期",
        "逾期",
        "暂停未认证",
        "暂停死亡信息",
        "其他暂停",
        "本月提醒",
        "本月暂停",
        "本月恢复",
        "补发金额(元)"
    );
    for c in r.counties.iter().chain(std::iter::once(&r.total)) {
        outln!(
            "{:<10} {:<12} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>16}",
            c.region,
            c.name,
            c.pensioners,
            c.certified,
            c.due_soon,
            c.overdue,
            c.suspended_uncertified,
            c.suspended_death_record,
            c.suspended_other,
            c.reminders,
            c.suspensions,
            c.resumptions,
            c.resumed_amount.grouped()
        );
    }
}
