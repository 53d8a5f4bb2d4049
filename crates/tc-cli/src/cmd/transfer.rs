//! `tongchou transfer out|in|requests|release|refuse|pay|bank-answer|confirm|read-confirmation|list`: transfers of the pension relationship between provinces
//! (转移接续, 国办发〔2009〕66号) through `tongchou_app::transfer`; the certificate is the exchange
//! document of `docs/FORMATS.md`. Acting staff: `--as LOGIN` (the provincial bureau).

use crate::cmd::benefits::{engine, read_file};
use crate::output::{CliError, CliResult, print_json};
use crate::session::{acting_user, staff};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::transfer;
use tongchou_core::access::Permission::PersonRead;
use tongchou_core::access::Principal;
use tongchou_core::{Date, Fen, Policy, RegionCode};
use tongchou_store::Db;
use tongchou_store::backup::MasterKey;

/// When and by whom a transfer's step is taken: `--on DATE` (default: today in China) and
/// `--as LOGIN`, flattened into every command that takes both.
#[derive(clap::Args)]
pub struct Acting {
    #[arg(long)]
    on: Option<Date>,
    #[arg(long = "as")]
    as_login: String,
}

impl Acting {
    /// The day of the step.
    pub fn day(&self) -> Date {
        self.on.unwrap_or_else(today_china)
    }

    /// The acting staff member, signed in.
    pub fn user(&self, db: &mut Db) -> Result<Principal, CliError> {
        acting_user(db, &self.as_login)
    }
}

/// A written document for the other side: where it goes, when and by whom.
#[derive(clap::Args)]
pub struct Issue {
    #[arg(long)]
    output: PathBuf,
    #[command(flatten)]
    acting: Acting,
}

impl Issue {
    /// The document written to `--output`.
    fn write(&self, bytes: &[u8]) -> Result<(), CliError> {
        std::fs::write(&self.output, bytes)
            .map_err(|e| CliError(format!("--output {}: {e}", self.output.display())))
    }
}

/// A certificate carries the person's full ID number: `--seal-key-file` seals it for the
/// receiving side's exchange key, `--plain` writes it in plain text.
#[derive(clap::Args)]
pub struct Sealing {
    /// Seal the certificates for the receiving side's exchange key (64 hex digits, mode 0600),
    /// opened by `tongchou unseal` or read by `transfer in --key-file`.
    #[arg(long, conflicts_with = "plain")]
    pub seal_key_file: Option<PathBuf>,
    /// Write them in plain text, only where their way is protected otherwise.
    #[arg(long)]
    pub plain: bool,
}

impl Sealing {
    /// The receiver's exchange key, or none with `--plain` (`what`: the files, in the reader's
    /// language, for the refusal of neither).
    pub fn key(&self, what: &str) -> Result<Option<MasterKey>, CliError> {
        crate::session::seal_key(self.seal_key_file.as_deref(), self.plain, what)
    }
}

/// A held transfer's review: which, why, when, by whom.
#[derive(clap::Args)]
pub struct Review {
    #[arg(long)]
    id: i64,
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    acting: Acting,
}

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// A person leaves the province: the certificate (参保缴费凭证) written to `--output`, the
    /// money (whole account balance + 12 % of each year's base since 1998) booked as 转移支出,
    /// the record closed. Refused for anyone drawing a pension.
    Out {
        #[arg(long)]
        id_number: String,
        /// The receiving province's code (e.g. 110000).
        #[arg(long, value_name = "PROVINCE")]
        to: u32,
        #[command(flatten)]
        issue: Issue,
        #[command(flatten)]
        sealing: Sealing,
    },
    /// A certificate received with its money: booked as 转移收入, the years and balance added;
    /// held for review when the money disagrees with the certificate.
    In {
        #[arg(long)]
        certificate: PathBuf,
        /// The certificate is sealed (`transfer out --seal-key-file`): open it with this
        /// exchange key.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// The money received, in yuan.
        #[arg(long)]
        received: Fen,
        /// The county that takes the person in (if unknown to the province).
        #[arg(long)]
        county: RegionCode,
        #[command(flatten)]
        acting: Acting,
    },
    /// A held transfer in released: the money received booked as 转移收入, the record filled.
    /// By a provincial bureau user other than the one who recorded it, with a reason.
    Release(Review),
    /// A held transfer in refused: the money goes back to the sending province. By a provincial
    /// bureau user other than the one who recorded it, with a reason.
    Refuse(Review),
    /// The money of a transfer out (to the receiving province's account) or of a refused
    /// transfer in (back to the sender) as a pain.001 file written to `--output`, debtor the
    /// province's fiscal special account in force on `--on`. Issued again only after a return.
    /// Without `--creditor-*`: to the account named by the request line that made the transfer
    /// (`transfer requests`).
    Pay {
        #[arg(long)]
        id: i64,
        #[arg(long, requires_all = ["creditor_account", "creditor_cnaps"])]
        creditor_name: Option<String>,
        #[arg(long, requires = "creditor_name")]
        creditor_account: Option<String>,
        /// The creditor bank's CNAPS code (12 digits).
        #[arg(long, requires = "creditor_name")]
        creditor_cnaps: Option<String>,
        #[arg(long, requires = "creditor_name")]
        creditor_bank: Option<String>,
        #[command(flatten)]
        issue: Issue,
    },
    /// The bank's answer to a transfer's last payment file: `--paid`, or returned with `--note`.
    BankAnswer {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        paid: bool,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        as_login: String,
    },
    /// The confirmation of a decided transfer in (accepted or refused), written to `--output`
    /// for the sending province (`docs/FORMATS.md`).
    Confirm {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        issue: Issue,
    },
    /// Read the receiving province's confirmation of one of our transfers out (once; the whole
    /// file or nothing).
    ReadConfirmation {
        file: PathBuf,
        #[arg(long = "as")]
        as_login: String,
    },
    /// Other provinces' transfer requests as a file (CSV/XLSX, `docs/FORMATS.md`): every line
    /// transferred out in one transaction or none; the certificates written to `--output-dir`
    /// (sealed with `--seal-key-file`, or `--plain`). The same file again transfers nothing.
    Requests(crate::cmd::transfer_requests::Args),
    /// The transfers, oldest first (`--status held|done|released|refused|confirmed|rejected`).
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long = "as")]
        as_login: String,
    },
}

pub fn run(c: Cmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let policy = Policy::builtin().map_err(|e| CliError(e.to_string()))?;
    match c {
        Cmd::Out {
            id_number,
            to,
            issue,
            sealing,
        } => {
            let key = sealing.key(tongchou_core::i18n::word("cli-err-what-certificate"))?;
            let who = issue.acting.user(&mut db)?;
            let on = issue.acting.day();
            let cert =
                transfer::transfer_out(&mut db, &who, &policy, id_number.trim(), to, on, now_ms())
                    .map_err(engine)?;
            let output = &issue.output;
            crate::cmd::transfer_requests::write_certificate_to(
                &mut db,
                output,
                &cert,
                key.as_ref(),
            )?;
            print_json(
                &serde_json::json!({"certificate": output.display().to_string(), "paid_months": cert.paid_months, "account_balance": cert.account_balance, "pooling": cert.pooling, "total": cert.total}),
            )?;
        }
        Cmd::In {
            certificate,
            key_file,
            received,
            county,
            acting,
        } => {
            let who = acting.user(&mut db)?;
            let bytes = match key_file {
                None => read_file(&certificate)?,
                Some(k) => open_certificate(&k, &certificate)?,
            };
            let on = acting.day();
            let r = transfer::transfer_in(
                &mut db,
                &who,
                &policy,
                &bytes,
                received,
                county,
                on,
                now_ms(),
            )
            .map_err(engine)?;
            print_json(&r)?;
        }
        Cmd::Requests(a) => crate::cmd::transfer_requests::run(&mut db, &policy, a)?,
        Cmd::Release(r) => decide(&mut db, transfer::Decision::Release, &r)?,
        Cmd::Refuse(r) => decide(&mut db, transfer::Decision::Refuse, &r)?,
        c @ (Cmd::Pay { .. }
        | Cmd::BankAnswer { .. }
        | Cmd::Confirm { .. }
        | Cmd::ReadConfirmation { .. }) => exchange(&mut db, c)?,
        Cmd::List { status, as_login } => {
            staff(
                &mut db,
                &as_login,
                &[PersonRead],
                tongchou_core::i18n::word("cli-err-what-transfers"),
            )?;
            let list = tongchou_store::transfers::list(&mut db, status.as_deref())?;
            let v: Vec<serde_json::Value> = list
                .iter()
                .map(|t| serde_json::json!({"id": t.id, "direction": t.direction, "id_number": t.id_number, "other_province": t.other_province, "transfer_date": t.transfer_date, "paid_months": t.paid_months, "total_fen": t.total_fen, "received_fen": t.received_fen, "status": t.status, "status_name": transfer::review::status_name(&t.status)}))
                .collect();
            print_json(&v)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A sealed certificate opened with the receiver's exchange key (every chunk authenticated).
fn open_certificate(key_file: &Path, from: &Path) -> Result<Vec<u8>, CliError> {
    let key = tongchou_store::keys::master_from_file(key_file)?;
    let mut r = tongchou_store::backup::open_sealed(&key, from)?;
    if r.header().kind != transfer::SEALED_KIND {
        return Err(CliError(tongchou_core::tr!(
            "cli-err-not-certificate",
            file = from.display(),
            kind = r.header().kind
        )));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut bytes)
        .map_err(|e| CliError(format!("{}: {e}", from.display())))?;
    Ok(bytes)
}

fn decide(db: &mut Db, decision: transfer::Decision, r: &Review) -> Result<(), CliError> {
    let who = r.acting.user(db)?;
    let on = r.acting.day();
    let t = transfer::decide(db, &who, r.id, decision, &r.reason, on, now_ms()).map_err(engine)?;
    print_json(
        &serde_json::json!({"id": t.id, "status": t.status, "status_name": transfer::review::status_name(&t.status), "received_fen": t.received_fen, "total_fen": t.total_fen}),
    )?;
    Ok(())
}

/// The payment files, the bank's answers and the confirmations.
fn exchange(db: &mut Db, c: Cmd) -> Result<(), CliError> {
    match c {
        Cmd::Pay {
            id,
            creditor_name,
            creditor_account,
            creditor_cnaps,
            creditor_bank,
            issue,
        } => {
            let who = issue.acting.user(db)?;
            let on = issue.acting.day();
            let (p, xml) = match (creditor_name, creditor_account, creditor_cnaps) {
                (Some(name), Some(account), Some(cnaps)) => {
                    let to = transfer::Creditor {
                        name: &name,
                        account: &account,
                        cnaps: &cnaps,
                        bank_name: creditor_bank.as_deref(),
                    };
                    transfer::payment_file(db, &who, id, &to, on, now_ms())
                }
                _ => transfer::payment_file_as_requested(db, &who, id, on, now_ms()),
            }
            .map_err(engine)?;
            issue.write(&xml)?;
            print_json(&p)?;
        }
        Cmd::BankAnswer {
            id,
            paid,
            note,
            as_login,
        } => {
            let who = acting_user(db, &as_login)?;
            let p = transfer::bank_answer(db, &who, id, paid, &note, now_ms()).map_err(engine)?;
            print_json(&p)?;
        }
        Cmd::Confirm { id, issue } => {
            let who = issue.acting.user(db)?;
            let doc = transfer::confirmation(db, &who, id, issue.acting.day()).map_err(engine)?;
            let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| CliError(e.to_string()))?;
            issue.write(&bytes)?;
            print_json(&doc)?;
        }
        Cmd::ReadConfirmation { file, as_login } => {
            let who = acting_user(db, &as_login)?;
            let bytes = read_file(&file)?;
            let name = file.display().to_string();
            let r =
                transfer::read_confirmation(db, &who, &name, &bytes, now_ms()).map_err(engine)?;
            print_json(&r)?;
        }
        _ => {}
    }
    Ok(())
}
