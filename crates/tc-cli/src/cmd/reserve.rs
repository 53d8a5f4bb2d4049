//! `tongchou reserve register|dividend|use|approve|show`: the provincial pension reserve fund
//! (养老保险储备基金, `tongchou_app::reserve`), every action audited and booked through the ledger.
//!
//! - `register --enterprise NAME --credit-code CODE --share 0.1 --book-value YUAN
//!   --transfer-date DATE --source DOC --as LOGIN`: equity transferred (the lock-up end from
//!   `reserve.lockup_months`).
//! - `dividend --holding ID --amount YUAN --reference VOUCHER [--kind dividend|other] [--on DATE]
//!   --as LOGIN`: a return collected into the fund.
//! - `use --year Y --amount YUAN --reason TEXT --reference DOC [--sell ID --proceeds YUAN]
//!   --as LOGIN`: a use covering the year's gap, for another finance user's approval.
//! - `approve --approval ID [--reject] [--note TEXT] [--on DATE] --as LOGIN`: the decision.
//! - `show --as LOGIN [--format table|json|csv|xlsx]`: the register and its balances.

use super::report::{OutArgs, emit};
use crate::output::{CliError, CliResult};
use crate::session::acting_user;
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reserve::{self, HoldingInput, ReturnInput, UseInput};
use tongchou_core::i18n::word;
use tongchou_core::{Date, Fen, tr};
use tongchou_store::Db;

#[derive(clap::Subcommand)]
pub enum ReserveCmd {
    /// Register state-owned equity transferred to the fund, booked at its book value.
    Register {
        #[arg(long)]
        enterprise: String,
        #[arg(long)]
        credit_code: String,
        /// The share of the enterprise's equity transferred, a decimal (0.1 = 10 %).
        #[arg(long)]
        share: String,
        #[arg(long)]
        book_value: Fen,
        #[arg(long)]
        transfer_date: Date,
        #[arg(long)]
        source: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Record a dividend or other return collected into the fund.
    Dividend {
        #[arg(long)]
        holding: i64,
        #[arg(long)]
        amount: Fen,
        /// The collection voucher (缴款书) number.
        #[arg(long)]
        reference: String,
        #[arg(long, default_value = "dividend")]
        kind: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Propose a use of the fund covering a year's gap (approved by another finance user).
    Use {
        #[arg(long)]
        year: i32,
        #[arg(long)]
        amount: Fen,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        reference: String,
        /// Sell this holding first (after its lock-up) …
        #[arg(long, requires = "proceeds")]
        sell: Option<i64>,
        /// … for these proceeds, yuan.
        #[arg(long, requires = "sell")]
        proceeds: Option<Fen>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Approve (or --reject) a proposed use; approved, it is booked on --on.
    Approve {
        #[arg(long)]
        approval: i64,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        on: Option<Date>,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The register: holdings, returns, uses and the balances.
    Show {
        #[arg(long = "as")]
        as_login: String,
        #[command(flatten)]
        out: OutArgs,
    },
}

/// "recorded" or "already recorded, unchanged", in the reader's language.
fn done(created: bool) -> &'static str {
    word(if created {
        "cli-recorded"
    } else {
        "cli-recorded-unchanged"
    })
}

fn register(db: &mut Db, h: &HoldingInput, as_login: &str) -> Result<(), CliError> {
    let who = acting_user(db, as_login)?;
    let (h, created) =
        reserve::register(db, &who, h, now_ms()).map_err(|e| CliError(e.to_string()))?;
    outln!(
        "{}",
        tr!(
            "cli-reserve-holding",
            id = h.id,
            enterprise = h.enterprise,
            share = h.share,
            value = h.book_value.grouped(),
            date = h.transfer_date,
            lockup = h.lockup_end,
            state = done(created)
        )
    );
    Ok(())
}

fn collect(db: &mut Db, r: &ReturnInput, as_login: &str) -> Result<(), CliError> {
    let who = acting_user(db, as_login)?;
    let (r, created) =
        reserve::collect(db, &who, r, now_ms()).map_err(|e| CliError(e.to_string()))?;
    outln!(
        "{}",
        tr!(
            "cli-reserve-return",
            id = r.id,
            holding = r.holding_id,
            amount = r.amount.grouped(),
            date = r.received_on,
            state = done(created)
        )
    );
    Ok(())
}

pub fn run(c: ReserveCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let err = |e: tongchou_app::AppError| CliError(e.to_string());
    match c {
        ReserveCmd::Register {
            enterprise,
            credit_code,
            share,
            book_value,
            transfer_date,
            source,
            as_login,
        } => {
            let h = HoldingInput {
                enterprise,
                credit_code,
                share,
                book_value,
                transfer_date,
                source_doc: source,
            };
            register(&mut db, &h, &as_login)?;
        }
        ReserveCmd::Dividend {
            holding,
            amount,
            reference,
            kind,
            on,
            as_login,
        } => {
            let r = ReturnInput {
                holding_id: holding,
                kind,
                amount,
                received_on: on.unwrap_or_else(today_china),
                reference,
            };
            collect(&mut db, &r, &as_login)?;
        }
        ReserveCmd::Use {
            year,
            amount,
            reason,
            reference,
            sell,
            proceeds,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let u = UseInput {
                year,
                amount,
                sell: sell.zip(proceeds),
                reason,
                reference,
            };
            let u =
                reserve::propose_use(&mut db, &who, &u, today_china(), now_ms()).map_err(err)?;
            outln!(
                "{}",
                tr!(
                    "cli-reserve-use",
                    id = u.id,
                    amount = u.amount.grouped(),
                    year = u.year,
                    approval = u.approval_id
                )
            );
        }
        ReserveCmd::Approve {
            approval,
            reject,
            note,
            on,
            as_login,
        } => {
            let who = acting_user(&mut db, &as_login)?;
            let on = on.unwrap_or_else(today_china);
            let u = reserve::decide_use(&mut db, &who, approval, !reject, &note, on, now_ms())
                .map_err(err)?;
            outln!(
                "{}",
                tr!(
                    "cli-reserve-decided",
                    id = u.id,
                    amount = u.amount.grouped(),
                    status = reserve::status_name(&u.status)
                )
            );
        }
        ReserveCmd::Show { as_login, out } => {
            let who = acting_user(&mut db, &as_login)?;
            let v = reserve::show(&mut db, &who, now_ms()).map_err(err)?;
            emit(&reserve::sheet(&v), Some(&reserve::json(&v)), &out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
