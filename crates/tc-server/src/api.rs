//! JSON APIs. Session-authenticated; state-changing calls also need `X-CSRF-Token` (from
//! `GET /api/me`). The estimator is public.

use crate::{AppError, St, client, csrf_token, ct_eq, current, person, with_db};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tongchou_app::clock::now_ms;
use tongchou_app::disburse;
use tongchou_core::access::ApprovalKind;
use tongchou_core::rules::pension::{Pension, parse_input};
use tongchou_core::{Divisions, Fen, Period, Policy, RegionCode};
use tongchou_engine::disbursement::Decision;
use tongchou_store::access::{self, ApprovalStatus, User};
use tongchou_store::audit;

type ApiResult = Result<Json<Value>, AppError>;

async fn need_user(st: &St, headers: &HeaderMap) -> Result<(User, String), AppError> {
    current(st, headers).await?.ok_or(AppError::Unauthorized)
}

/// A state-changing call: a live session and the matching `X-CSRF-Token` header.
async fn need_user_csrf(st: &St, headers: &HeaderMap) -> Result<User, AppError> {
    let (user, token) = need_user(st, headers).await?;
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct_eq(sent, &csrf_token(&token)) {
        return Err(AppError::Forbidden("csrf".into()));
    }
    Ok(user)
}

fn body_json(body: &Bytes) -> Result<Value, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("body: not valid JSON: {e}")))
}

pub async fn me(State(st): State<St>, headers: HeaderMap) -> ApiResult {
    let (user, token) = need_user(&st, &headers).await?;
    let d = Divisions::shanxi();
    let region = d.get(user.region);
    Ok(Json(json!({
        "login": user.login,
        "display_name": user.display_name,
        "role": user.role.as_str(),
        "region": {
            "code": user.region.to_string(),
            "name": region.map(|r| r.name.clone()),
            "level": region.map(|r| r.level.as_str()),
        },
        "permissions": user.role.permissions().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "csrf_token": csrf_token(&token),
    })))
}

/// The regions within the user's scope (their own and every division inside it).
pub async fn regions(State(st): State<St>, headers: HeaderMap) -> ApiResult {
    let (user, _) = need_user(&st, &headers).await?;
    let d = Divisions::shanxi();
    let list: Vec<Value> = d
        .all()
        .iter()
        .filter(|r| d.within(r.code, user.region))
        .map(|r| {
            json!({
                "code": r.code.to_string(),
                "name": r.name,
                "level": r.level.as_str(),
                "parent": r.parent.map(|p| p.to_string()),
                "kind": r.kind,
            })
        })
        .collect();
    Ok(Json(
        json!({"scope": user.region.to_string(), "regions": list}),
    ))
}

pub async fn person(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id_number): Path<String>,
) -> ApiResult {
    let (user, _) = need_user(&st, &headers).await?;
    let c = client(&addr);
    let v = with_db(&st, move |db| {
        person::read_by_id_number(db, &user, &id_number, "api", &c, now_ms())
    })
    .await?;
    Ok(Json(v))
}

pub async fn my_records(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult {
    let (user, _) = need_user(&st, &headers).await?;
    let c = client(&addr);
    let v = with_db(&st, move |db| {
        person::read_own(db, &user, "api", &c, now_ms())
    })
    .await?;
    Ok(Json(v))
}

/// The estimator on JSON text (the same input as `tongchou pension estimate`).
pub(crate) fn estimate_pension(text: &str) -> Result<Pension, AppError> {
    let inp = parse_input(text).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let policy = Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
    tongchou_app::benefits::estimate(&policy, &inp, tongchou_app::clock::today_china())
        .map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Public: no login, nothing stored or logged about the input; limited per client.
pub async fn estimate(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    if let Some(refused) = crate::guard::over_quota(&st, &addr, crate::guard::Bucket::Public).await
    {
        return Ok(refused);
    }
    if body.len() > 16 * 1024 {
        return Err(AppError::BadRequest("body: at most 16 KiB".into()));
    }
    let text =
        std::str::from_utf8(&body).map_err(|_| AppError::BadRequest("body: not UTF-8".into()))?;
    Ok(Json(estimate_pension(text)?.to_json()).into_response())
}

fn str_field<'a>(v: &'a Value, k: &str) -> Result<&'a str, AppError> {
    v[k].as_str()
        .ok_or_else(|| AppError::BadRequest(format!("{k}: required (a string)")))
}

/// Submit a request for a maker–checker decision: `{"kind", "object_id", "region"}`.
pub async fn submit_approval(State(st): State<St>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let user = need_user_csrf(&st, &headers).await?;
    let v = body_json(&body)?;
    let kind: ApprovalKind =
        str_field(&v, "kind")?
            .parse()
            .map_err(|e: tongchou_core::access::AccessError| {
                AppError::BadRequest(format!("kind: {e}"))
            })?;
    if matches!(
        kind,
        ApprovalKind::Retirement
            | ApprovalKind::FundPlan
            | ApprovalKind::RecoveryWriteOff
            | ApprovalKind::PeriodReopen
            | ApprovalKind::BackPayment
            | ApprovalKind::ReserveUse
    ) {
        // these requests are made by their use case with the object they decide (the month's
        // plans step, a retirement application, a write-off proposal, a reopen request): a
        // request filed here would point at nothing, or at the real object, and stay pending
        return Err(AppError::BadRequest(format!(
            "kind: {} 的审批由其业务办理时生成，不能在此提交 (requests of this kind are filed by their own procedure)",
            kind.as_str()
        )));
    }
    let object_id = str_field(&v, "object_id")?.to_string();
    let well_formed = (1..=64).contains(&object_id.len())
        && object_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
    if !well_formed {
        return Err(AppError::BadRequest(
            "object_id: 1–64 个字符 a-z A-Z 0-9 - _ / . (1-64 characters of a-z A-Z 0-9 - _ / .)"
                .into(),
        ));
    }
    let region: RegionCode = str_field(&v, "region")?
        .parse()
        .map_err(|e| AppError::BadRequest(format!("region: {e}")))?;
    let a = with_db(&st, move |db| {
        Ok(access::submit_approval(
            db,
            &user.principal(),
            kind,
            &object_id,
            region,
            now_ms(),
        )?)
    })
    .await?;
    Ok(Json(a.to_json()))
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse()
        .map_err(|_| AppError::BadRequest("id: an integer".into()))
}

pub async fn get_approval(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let (user, _) = need_user(&st, &headers).await?;
    let id = parse_id(&id)?;
    let a = with_db(&st, move |db| {
        let a = access::get_approval(db, id)?
            .ok_or_else(|| AppError::NotFound(format!("approval {id}")))?;
        // visible to its submitter and to anyone who may decide it
        let p = user.principal();
        let may_decide = tongchou_core::access::can(
            Divisions::shanxi(),
            &p,
            a.kind.approve_permission(),
            a.region,
        )
        .is_ok();
        if a.submitted_by != p.user_id && !may_decide {
            // answered as "not found" so as not to confirm it exists, but audited as a refusal
            audit::append(
                db,
                &audit::Entry {
                    actor: &audit::Actor::of(&p),
                    action: "approval.read",
                    object_type: "approval",
                    object_id: &id.to_string(),
                    region: Some(a.region.get()),
                    result: "denied",
                    details: json!({"reason": "not_visible"}),
                },
                now_ms(),
            )?;
            return Err(AppError::NotFound(format!("approval {id}")));
        }
        Ok(a)
    })
    .await?;
    Ok(Json(a.to_json()))
}

/// Decide: `{"decision": "approved" | "partly_approved" | "rejected", "note"}`.
pub async fn decide_approval(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let user = need_user_csrf(&st, &headers).await?;
    let id = parse_id(&id)?;
    let v = body_json(&body)?;
    let decision = ApprovalStatus::parse(str_field(&v, "decision")?)
        .filter(|d| *d != ApprovalStatus::Pending)
        .ok_or_else(|| {
            AppError::BadRequest("decision: approved, partly_approved or rejected".into())
        })?;
    let note = v["note"].as_str().unwrap_or("").to_string();
    let approved = v["approved"].as_str().map(str::to_string);
    let a = with_db(&st, move |db| {
        // a fund-use application's decision carries its amount and is applied by the month's
        // approve step: it goes through the engine (`approved`: yuan, for partly_approved)
        if let Some(app) = access::get_approval(db, id)?
            && app.kind == ApprovalKind::FundPlan
        {
            let month: Period = app
                .object_id
                .strip_prefix("fund_plan/")
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| {
                    AppError::Conflict(format!(
                        "approval {id}: {} names no month's plan",
                        app.object_id
                    ))
                })?;
            let d = match decision {
                ApprovalStatus::Approved => Decision::Full,
                ApprovalStatus::PartlyApproved => Decision::Partial {
                    approved: approved
                        .as_deref()
                        .and_then(|a| a.parse::<Fen>().ok())
                        .ok_or_else(|| {
                            AppError::BadRequest(
                                "approved: the approved amount in yuan, e.g. \"1234567.89\"".into(),
                            )
                        })?,
                },
                _ => Decision::Rejected { reason: note },
            };
            return disburse::decide_fund_plan(db, &user.principal(), month, &d, now_ms())
                .map_err(AppError::from);
        }
        // a reserve use is booked by its decision: through its use case, never approved bare
        if let Some(app) = access::get_approval(db, id)?
            && app.kind == ApprovalKind::ReserveUse
        {
            let approve = decision != ApprovalStatus::Rejected;
            let today = tongchou_app::clock::today_china();
            tongchou_app::reserve::decide_use(
                db,
                &user.principal(),
                id,
                approve,
                &note,
                today,
                now_ms(),
            )?;
            return Ok(access::get_approval(db, id)?
                .ok_or_else(|| AppError::NotFound(format!("approval {id}")))?
                .to_json());
        }
        Ok(
            access::decide_approval(db, &user.principal(), id, decision, &note, now_ms())?
                .to_json(),
        )
    })
    .await?;
    Ok(Json(a))
}
