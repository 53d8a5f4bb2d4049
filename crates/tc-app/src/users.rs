//! The administrators' work on accounts (the `/admin/users` page), with the separation of the
//! three administrators (三员分立) enforced here and in the roles of `tongchou_core::access`:
//!
//! - the **system administrator** (`user_manage`) adds staff accounts, resets passwords and
//!   enrols a second factor (TOTP, confirmed with a current code);
//! - the **security administrator** changes a role or region (`role_assign`), locks an account
//!   (`session_revoke`: deactivated, its sessions ended) and unlocks one (`user_unlock`:
//!   activated, the lockout cleared);
//! - the **audit administrator** manages no account: they read the audit log (`audit_read`),
//!   which the other two cannot;
//! - no administrator acts on their own account (so none changes their own role or password
//!   here), and none acts on an administrator's account or creates one: the three
//!   administrators' accounts are kept by the operator at the command line (`tongchou user`);
//! - accounts of insured persons are opened by their county agency, not here.
//!
//! Each refusal is audited (`result = denied`, reason `no_permission`, `out_of_scope` or
//! `separation`) before it is answered; each change is audited by the store (`user.add`,
//! `user.role`, `user.deactivate`, `user.activate`, `user.unlock`, `user.password`,
//! `user.totp_begin`, `user.totp_enable`), and listing the accounts as `user.list`.

use crate::{AppError, Result};
use tongchou_core::access::{AccessError, Permission, Principal, Role, in_scope};
use tongchou_core::tr;
use tongchou_core::{Divisions, RegionCode};
use tongchou_store::Db;
use tongchou_store::access::{self as store, AuthError, AuthPolicy, NewUser, Target, User};
use tongchou_store::audit::{self, Actor};
use tongchou_store::totp::{self, Enrolment};

/// An account as the page lists it, with its second factor's state.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: User,
    /// A second factor is in force.
    pub totp: bool,
    /// An enrolment awaits its confirming code.
    pub totp_pending: bool,
}

/// Whether the role administers accounts at all (sees `/admin/users`).
pub fn may_administer(role: Role) -> bool {
    [
        Permission::UserManage,
        Permission::RoleAssign,
        Permission::UserUnlock,
        Permission::SessionRevoke,
    ]
    .iter()
    .any(|p| role.has(*p))
}

fn refused(e: AuthError) -> AppError {
    match e {
        AuthError::Denied(a) => AppError::Forbidden(match &a {
            AccessError::NoPermission { role, permission } => {
                let lang = tongchou_core::i18n::current();
                tr!(
                    "app-users-no-permission",
                    role = role.label(lang),
                    permission = permission.label(lang)
                )
            }
            AccessError::OutOfScope { region, .. } => {
                tr!("app-users-out-of-scope", region = region)
            }
            other => format!("{other} ({})", other.code()),
        }),
        other => other.into(),
    }
}

/// Check `who` may exercise `p` on the account `login` (of `role` in `region`), auditing a
/// refusal under `action`: the permission and the region, then the separation rules.
fn guard(
    db: &mut Db,
    who: &Principal,
    p: Permission,
    action: &str,
    (login, role, region): (&str, Role, RegionCode),
    now: i64,
) -> Result<()> {
    let t = Target {
        action,
        object_type: "user",
        object_id: login,
        region,
    };
    store::authorize(db, who, p, &t, now).map_err(refused)?;
    let why = if login == who.login {
        Some(tr!("app-users-sep-own"))
    } else if role.is_administrator() {
        Some(tr!("app-users-sep-admins"))
    } else if role == Role::InsuredPerson {
        Some(tr!("app-users-sep-insured"))
    } else {
        None
    };
    match why {
        Some(m) => Err(refused(store::deny(
            db,
            who,
            &t,
            AccessError::Separation(m),
            now,
        ))),
        None => Ok(()),
    }
}

/// The account `login` within `who`'s reach, checked for `p` (a refusal audited).
fn target(
    db: &mut Db,
    who: &Principal,
    p: Permission,
    action: &str,
    login: &str,
    now: i64,
) -> Result<User> {
    let Some(u) = store::get_user(db, login)? else {
        return Err(AppError::NotFound(tr!("app-users-no-user", login = login)));
    };
    guard(db, who, p, action, (&u.login, u.role, u.region), now)?;
    Ok(u)
}

/// The accounts of `who`'s region, by login (audited as `user.list`); refused (and audited)
/// for a role that administers no account.
pub fn list(db: &mut Db, who: &Principal, now: i64) -> Result<Vec<Account>> {
    if !may_administer(who.role) {
        let t = Target {
            action: "user.list",
            object_type: "user",
            object_id: "",
            region: who.region,
        };
        let e = AccessError::NoPermission {
            role: who.role,
            permission: Permission::UserManage,
        };
        return Err(refused(store::deny(db, who, &t, e, now)));
    }
    let d = Divisions::shanxi();
    let mut out = Vec::new();
    for user in store::list_users(db)? {
        if in_scope(d, who, user.region) {
            let (totp, totp_pending) = totp::state(db, &user.login)?;
            out.push(Account {
                user,
                totp,
                totp_pending,
            });
        }
    }
    let details = serde_json::json!({"accounts": out.len()});
    audit::record_ok(
        db,
        who,
        "user.list",
        ("user", ""),
        who.region.get(),
        details,
        now,
    )?;
    Ok(out)
}

/// A new staff account.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub password: String,
}

/// Add a staff account (the system administrator); the initial password meets the policy.
pub fn add(
    db: &mut Db,
    who: &Principal,
    new: &NewStaff,
    policy: &AuthPolicy,
    now: i64,
) -> Result<User> {
    guard(
        db,
        who,
        Permission::UserManage,
        "user.add",
        (&new.login, new.role, new.region),
        now,
    )?;
    Ok(store::add_user(
        db,
        &Actor::of(who),
        &NewUser {
            login: &new.login,
            display_name: &new.display_name,
            role: new.role,
            region: new.region,
            person_id: None,
            password: &new.password,
        },
        policy,
        now,
    )?)
}

/// Change an account's role and region (the security administrator). The new role may not be
/// an administrator's, and the new region must be within the administrator's.
pub fn set_role(
    db: &mut Db,
    who: &Principal,
    login: &str,
    role: Role,
    region: RegionCode,
    now: i64,
) -> Result<User> {
    target(db, who, Permission::RoleAssign, "user.role", login, now)?;
    guard(
        db,
        who,
        Permission::RoleAssign,
        "user.role",
        (login, role, region),
        now,
    )?;
    Ok(store::set_role(
        db,
        &Actor::of(who),
        login,
        role,
        region,
        now,
    )?)
}

/// Lock an account: deactivated, its sessions ended (the security administrator).
pub fn lock(db: &mut Db, who: &Principal, login: &str, now: i64) -> Result<User> {
    target(
        db,
        who,
        Permission::SessionRevoke,
        "user.deactivate",
        login,
        now,
    )?;
    Ok(store::set_active(db, &Actor::of(who), login, false, now)?)
}

/// Unlock an account: activated and its lockout cleared (the security administrator).
pub fn unlock(db: &mut Db, who: &Principal, login: &str, now: i64) -> Result<User> {
    let u = target(db, who, Permission::UserUnlock, "user.unlock", login, now)?;
    if !u.active {
        store::set_active(db, &Actor::of(who), login, true, now)?;
    }
    Ok(store::unlock(db, &Actor::of(who), login, now)?)
}

/// Set a new password (the system administrator): the policy and the history apply.
pub fn reset_password(
    db: &mut Db,
    who: &Principal,
    login: &str,
    password: &str,
    policy: &AuthPolicy,
    now: i64,
) -> Result<User> {
    target(db, who, Permission::UserManage, "user.password", login, now)?;
    Ok(store::set_password(
        db,
        &Actor::of(who),
        login,
        password,
        policy,
        now,
    )?)
}

/// Start enrolling a second factor (the system administrator): the secret and its URI, shown
/// once, in force only after [`totp_confirm`].
pub fn totp_begin(db: &mut Db, who: &Principal, login: &str, now: i64) -> Result<Enrolment> {
    target(
        db,
        who,
        Permission::UserManage,
        "user.totp_begin",
        login,
        now,
    )?;
    Ok(totp::begin(db, &Actor::of(who), login, now)?)
}

/// Confirm an enrolment with a current code of the new secret.
pub fn totp_confirm(db: &mut Db, who: &Principal, login: &str, code: &str, now: i64) -> Result<()> {
    target(
        db,
        who,
        Permission::UserManage,
        "user.totp_enable",
        login,
        now,
    )?;
    Ok(totp::confirm(db, &Actor::of(who), login, code, now)?)
}
