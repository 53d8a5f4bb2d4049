//! `tongchou user`: staff and insured-person accounts. Passwords are read from the environment
//! (`TONGCHOU_PASSWORD`) or the first line of standard input, never from the command line.

use crate::output::{CliError, CliResult, print_json};
use crate::session::{operator, read_password};
use std::process::ExitCode;
use tongchou_app::clock::now_ms;
use tongchou_core::RegionCode;
use tongchou_core::access::Role;
use tongchou_store::Db;
use tongchou_store::access::{self, AuthPolicy, NewUser};

#[derive(clap::Subcommand)]
pub enum UserCmd {
    /// Create an account. The password comes from TONGCHOU_PASSWORD or the first line of stdin.
    Add {
        /// Login: 3-64 characters of a-z 0-9 . _ -
        #[arg(long)]
        login: String,
        /// One of: province_bureau_officer, province_bureau_approver, finance_officer,
        /// finance_approver, city_agency, county_agency, tax_bureau, auditor, system_admin,
        /// security_admin, audit_admin, insured_person.
        #[arg(long)]
        role: String,
        /// The user's scope: the province (140000), a city (e.g. 140100) or a county (e.g.
        /// 140105), at the level the role requires.
        #[arg(long)]
        region: String,
        /// Display name (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// For an insured person: their person id.
        #[arg(long)]
        person_id: Option<i64>,
    },
    /// List accounts as JSON (no password hashes).
    List,
    /// Deactivate an account; its sessions end at once.
    Deactivate {
        #[arg(long)]
        login: String,
    },
    /// Reactivate an account.
    Activate {
        #[arg(long)]
        login: String,
    },
    /// Clear a lockout after failed logins.
    Unlock {
        #[arg(long)]
        login: String,
    },
    /// Enrol a second factor (TOTP, RFC 6238) for a staff account, or remove it with --off.
    /// Prints the secret and the otpauth:// URI for the staff member's authenticator app once;
    /// from then on the login asks for its six-digit code (on the command line: TONGCHOU_OTP).
    Totp {
        #[arg(long)]
        login: String,
        /// Remove the second factor instead.
        #[arg(long)]
        off: bool,
    },
    /// Set a new password (from TONGCHOU_PASSWORD or stdin); the user's sessions end.
    Password {
        #[arg(long)]
        login: String,
    },
}

pub fn run(c: UserCmd, db_url: &str) -> CliResult {
    let mut db = Db::open(db_url)?;
    let policy = AuthPolicy::default();
    let op = operator();
    let user = match c {
        UserCmd::Add {
            login,
            role,
            region,
            name,
            person_id,
        } => {
            let role: Role = role.parse().map_err(|e| CliError(format!("--role: {e}")))?;
            let region: RegionCode = region
                .parse()
                .map_err(|e| CliError(format!("--region: {e}")))?;
            let password = read_password()?;
            let new = NewUser {
                login: &login,
                display_name: name.as_deref().unwrap_or(&login),
                role,
                region,
                person_id,
                password: &password,
            };
            access::add_user(&mut db, &op, &new, &policy, now_ms())?
        }
        UserCmd::List => {
            let lang = crate::output::lang();
            let users: Vec<_> = access::list_users(&mut db)?
                .iter()
                .map(|u| {
                    let mut j = u.to_json();
                    j["role_label"] = u.role.label(lang).into();
                    j
                })
                .collect();
            print_json(&users)?;
            return Ok(ExitCode::SUCCESS);
        }
        UserCmd::Deactivate { login } => access::set_active(&mut db, &op, &login, false, now_ms())?,
        UserCmd::Activate { login } => access::set_active(&mut db, &op, &login, true, now_ms())?,
        UserCmd::Unlock { login } => access::unlock(&mut db, &op, &login, now_ms())?,
        UserCmd::Totp { login, off: true } => {
            tongchou_store::totp::disable(&mut db, &op, &login, now_ms())?;
            print_json(&serde_json::json!({"login": login, "totp": false}))?;
            return Ok(ExitCode::SUCCESS);
        }
        UserCmd::Totp { login, off: false } => {
            let e = tongchou_store::totp::enable(&mut db, &op, &login, now_ms())?;
            print_json(
                &serde_json::json!({"login": login, "totp": true, "secret": e.secret, "uri": e.uri}),
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        UserCmd::Password { login } => {
            let password = read_password()?;
            access::set_password(&mut db, &op, &login, &password, &policy, now_ms())?
        }
    };
    print_json(&user.to_json())?;
    Ok(ExitCode::SUCCESS)
}
