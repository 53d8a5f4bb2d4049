//! JSON APIs. Session-authenticated; state-changing calls also need `X-CSRF-Token` (from
//! `GET /api/me`). The estimator is public.

use crate::contract::{
    ApprovalBody, ApprovalRequest, DecisionRequest, ErrorBody, EstimateBody, EstimateRequest,
    MeBody, PersonBody, RegionItem, RegionRef, RegionsBody,
};
use crate::lang::{t, tf};
use crate::{
    AppError, SESSION_COOKIE, St, client, cookie, csrf_token, ct_eq, current, person, with_db,
    with_db_audited,
};
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
use tongchou_store::access::Approval;
use tongchou_store::access::{self, ApprovalStatus, User};
use tongchou_store::audit;

type ApiResult<T> = Result<Json<T>, AppError>;

async fn need_user(st: &St, headers: &HeaderMap) -> Result<(User, String), AppError> {
    current(st, headers).await?.ok_or(AppError::Unauthorized)
}

/// The user of a live session, on the connection at hand (as [`need_user`], without a hop of its
/// own to the blocking pool).
fn session_on(db: &mut tongchou_store::Db, token: Option<&str>, st: &St) -> Result<User, AppError> {
    let Some(token) = token else {
        return Err(AppError::Unauthorized);
    };
    st.sessions
        .user(db, token, &st.cfg.policy, now_ms())?
        .ok_or(AppError::Unauthorized)
}

/// The session cookie's token, if the request carries one: read from the request's headers in
/// place (the `HeaderMap` extractor copies them all, on every read of a person).
pub(crate) struct SessionToken(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionToken {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<SessionToken, std::convert::Infallible> {
        Ok(SessionToken(cookie(&parts.headers, SESSION_COOKIE)))
    }
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
        .map_err(|e| AppError::BadRequest(tf("api-bad-json", &[("error", &e.to_string())])))
}

/// 当前用户及其 CSRF 令牌 The logged-in user and their CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "session", security(("session" = [])),
    responses(
        (status = 200, description = "当前用户 The user", body = MeBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
    ))]
pub async fn me(State(st): State<St>, headers: HeaderMap) -> ApiResult<MeBody> {
    let (user, token) = need_user(&st, &headers).await?;
    let d = Divisions::shanxi();
    let region = d.get(user.region);
    Ok(Json(MeBody {
        login: user.login,
        display_name: user.display_name,
        role: user.role.as_str(),
        region: RegionRef {
            code: user.region.to_string(),
            name: region.map(|r| r.name.clone()),
            level: region.map(|r| r.level.as_str()),
        },
        permissions: user.role.permissions().iter().map(|p| p.as_str()).collect(),
        csrf_token: csrf_token(&token),
    }))
}

/// 用户可见的行政区划（本地区及其下级） The regions within the user's scope (their own and
/// every division inside it).
#[utoipa::path(get, path = "/api/regions", tag = "session", security(("session" = [])),
    responses(
        (status = 200, description = "行政区划 The regions", body = RegionsBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
    ))]
pub async fn regions(State(st): State<St>, headers: HeaderMap) -> ApiResult<RegionsBody> {
    let (user, _) = need_user(&st, &headers).await?;
    let d = Divisions::shanxi();
    let regions = d
        .all()
        .iter()
        .filter(|r| d.within(r.code, user.region))
        .map(|r| RegionItem {
            code: r.code.to_string(),
            name: r.name.clone(),
            level: r.level.as_str(),
            parent: r.parent.map(|p| p.to_string()),
            kind: r.kind.clone(),
        })
        .collect();
    Ok(Json(RegionsBody {
        scope: user.region.to_string(),
        regions,
    }))
}

/// 按身份证号码查询参保人（地区范围内，按角色脱敏，每次查询均记入审计日志） A person by ID
/// number: region-scoped, masked by role, every read and refusal audited.
#[utoipa::path(get, path = "/api/persons/{id_number}", tag = "registry", security(("session" = [])),
    params(("id_number" = String, Path, min_length = 18, max_length = 18,
        pattern = "^[0-9]{17}[0-9X]$",
        description = "18 位公民身份号码 The 18-character citizen ID number (GB 11643)")),
    responses(
        (status = 200, description = "参保人记录 The record", body = PersonBody),
        (status = 400, description = "身份证号码无效 Not a valid ID number", body = ErrorBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
        (status = 403, description = "无权查询或不在本地区 No permission or outside the region", body = ErrorBody),
        (status = 404, description = "无此人 No such person", body = ErrorBody),
    ))]
pub async fn person(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    SessionToken(token): SessionToken,
    Path(id_number): Path<String>,
) -> ApiResult<PersonBody> {
    // the session and the read on one blocking hop; answered once its audit entry is durable
    let c = client(&addr);
    let st2 = st.clone();
    let v = with_db_audited(&st, move |db| {
        let user = session_on(db, token.as_deref(), &st2)?;
        person::read_by_id_number(db, &user, &id_number, "api", &c, now_ms())
    })
    .await?;
    Ok(Json(v))
}

/// 参保人本人的记录（仅参保人账户） An insured person's own record (their account only).
#[utoipa::path(get, path = "/api/me/records", tag = "session", security(("session" = [])),
    responses(
        (status = 200, description = "本人记录 The own record", body = PersonBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
        (status = 403, description = "非参保人账户 Not an insured person's account", body = ErrorBody),
        (status = 404, description = "尚未登记 Not in the register yet", body = ErrorBody),
    ))]
pub async fn my_records(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<PersonBody> {
    let (user, _) = need_user(&st, &headers).await?;
    let c = client(&addr);
    let v = with_db_audited(&st, move |db| {
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

/// 养老金测算（公开，不登录，不保存输入；按客户端限流） The public pension estimator: no login,
/// nothing stored or logged about the input; limited per client.
#[utoipa::path(post, path = "/api/pension/estimate", tag = "public", security(()),
    request_body(content = EstimateRequest, content_type = "application/json",
        description = "测算输入，至多 16 KiB The input, at most 16 KiB"),
    responses(
        (status = 200, description = "测算结果 The estimate", body = EstimateBody),
        (status = 400, description = "输入无效 Invalid input", body = ErrorBody),
        (status = 429, description = "请求过于频繁 Too many requests", body = ErrorBody,
            headers(("Retry-After" = u64, description = "秒 Seconds"))),
    ))]
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
        return Err(AppError::BadRequest(t("api-too-big").into()));
    }
    let text =
        std::str::from_utf8(&body).map_err(|_| AppError::BadRequest(t("api-not-utf8").into()))?;
    Ok(Json(EstimateBody::of(&estimate_pension(text)?)).into_response())
}

fn str_field<'a>(v: &'a Value, k: &str) -> Result<&'a str, AppError> {
    v[k].as_str()
        .ok_or_else(|| AppError::BadRequest(tf("api-required", &[("field", k)])))
}

/// 提交审批申请 Submit a request for a maker–checker decision: `{"kind", "object_id", "region"}`.
#[utoipa::path(post, path = "/api/approvals", tag = "approvals",
    security(("session" = [], "csrf" = [])),
    request_body(content = ApprovalRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "已提交 Submitted", body = ApprovalBody),
        (status = 400, description = "请求无效 Invalid request", body = ErrorBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
        (status = 403, description = "CSRF 令牌不符或无权 Bad CSRF token or no permission", body = ErrorBody),
        (status = 409, description = "与现有状态冲突 Conflicts with the current state", body = ErrorBody),
    ))]
pub async fn submit_approval(
    State(st): State<St>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<ApprovalBody> {
    let user = need_user_csrf(&st, &headers).await?;
    let v = body_json(&body)?;
    let kind: ApprovalKind =
        str_field(&v, "kind")?
            .parse()
            .map_err(|e: tongchou_core::access::AccessError| {
                AppError::BadRequest(tf("api-bad-kind", &[("error", &e.to_string())]))
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
        return Err(AppError::BadRequest(tf(
            "api-kind-elsewhere",
            &[("kind", kind.as_str())],
        )));
    }
    let object_id = str_field(&v, "object_id")?.to_string();
    let well_formed = (1..=64).contains(&object_id.len())
        && object_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
    if !well_formed {
        return Err(AppError::BadRequest(t("api-bad-object-id").into()));
    }
    let region: RegionCode =
        str_field(&v, "region")?
            .parse()
            .map_err(|e: tongchou_core::region::RegionError| {
                AppError::BadRequest(tf("api-bad-region", &[("error", &e.to_string())]))
            })?;
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
    Ok(Json(ApprovalBody::from(&a)))
}

/// Request `id` not found (or not visible to the caller).
fn no_approval(id: i64) -> AppError {
    AppError::NotFound(tf("api-no-approval", &[("id", &id.to_string())]))
}

fn parse_id(id: &str) -> Result<i64, AppError> {
    id.parse()
        .map_err(|_| AppError::BadRequest(t("api-bad-id").into()))
}

/// 查询审批事项（提交人及有权决定者可见） A request, visible to its submitter and to anyone who
/// may decide it.
#[utoipa::path(get, path = "/api/approvals/{id}", tag = "approvals", security(("session" = [])),
    params(("id" = i64, Path, example = 1, description = "审批编号 The request's id")),
    responses(
        (status = 200, description = "审批事项 The request", body = ApprovalBody),
        (status = 400, description = "编号不是整数 The id is not an integer", body = ErrorBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
        (status = 404, description = "无此事项或不可见 Not found or not visible", body = ErrorBody),
    ))]
pub async fn get_approval(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<ApprovalBody> {
    let (user, _) = need_user(&st, &headers).await?;
    let id = parse_id(&id)?;
    let a = with_db(&st, move |db| {
        let a = access::get_approval(db, id)?.ok_or_else(|| no_approval(id))?;
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
            return Err(no_approval(id));
        }
        Ok(a)
    })
    .await?;
    Ok(Json(ApprovalBody::from(&a)))
}

/// 决定审批事项（决定人不得为提交人；基金用款计划经月度审批步骤办理） Decide a request: never by
/// its submitter; a fund-use plan's decision carries its amount and goes through the engine.
#[utoipa::path(post, path = "/api/approvals/{id}/decision", tag = "approvals",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, example = 1, description = "审批编号 The request's id")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "已决定 Decided", body = ApprovalBody),
        (status = 400, description = "请求无效 Invalid request", body = ErrorBody),
        (status = 401, description = "未登录 Not logged in", body = ErrorBody),
        (status = 403, description = "CSRF 令牌不符、无权或本人提交 Bad CSRF token, no permission, or one's own request", body = ErrorBody),
        (status = 404, description = "无此事项 Not found", body = ErrorBody),
        (status = 409, description = "已决定或状态不符 Already decided or in another state", body = ErrorBody),
    ))]
pub async fn decide_approval(
    State(st): State<St>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<ApprovalBody> {
    let user = need_user_csrf(&st, &headers).await?;
    let id = parse_id(&id)?;
    let v = body_json(&body)?;
    let decision = ApprovalStatus::parse(str_field(&v, "decision")?)
        .filter(|d| *d != ApprovalStatus::Pending)
        .ok_or_else(|| AppError::BadRequest(t("api-bad-decision").into()))?;
    let note = v["note"].as_str().unwrap_or("").to_string();
    let approved = v["approved"].as_str().map(str::to_string);
    let a = with_db(&st, move |db| {
        decide_in_db(db, &user, id, decision, note, approved)
    })
    .await?;
    Ok(Json(ApprovalBody::from(&a)))
}

/// The decision of request `id`, through its use case where it has one.
fn decide_in_db(
    db: &mut tongchou_store::Db,
    user: &User,
    id: i64,
    decision: ApprovalStatus,
    note: String,
    approved: Option<String>,
) -> Result<Approval, AppError> {
    let reread = |db: &mut tongchou_store::Db| -> Result<Approval, AppError> {
        access::get_approval(db, id)?.ok_or_else(|| no_approval(id))
    };
    let Some(app) = access::get_approval(db, id)? else {
        // decided bare, which answers "not found" as before
        return Ok(access::decide_approval(
            db,
            &user.principal(),
            id,
            decision,
            &note,
            now_ms(),
        )?);
    };
    match app.kind {
        // a fund-use application's decision carries its amount and is applied by the month's
        // approve step: it goes through the engine (`approved`: yuan, for partly_approved)
        ApprovalKind::FundPlan => {
            let month: Period = app
                .object_id
                .strip_prefix("fund_plan/")
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| {
                    AppError::Conflict(tf(
                        "api-no-month",
                        &[("id", &id.to_string()), ("object", &app.object_id)],
                    ))
                })?;
            let d = match decision {
                ApprovalStatus::Approved => Decision::Full,
                ApprovalStatus::PartlyApproved => Decision::Partial {
                    approved: approved
                        .as_deref()
                        .and_then(|a| a.parse::<Fen>().ok())
                        .ok_or_else(|| AppError::BadRequest(t("api-bad-approved").into()))?,
                },
                _ => Decision::Rejected { reason: note },
            };
            disburse::decide_fund_plan(db, &user.principal(), month, &d, now_ms())?;
            reread(db)
        }
        // a reserve use is booked by its decision: through its use case, never approved bare
        ApprovalKind::ReserveUse => {
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
            reread(db)
        }
        _ => Ok(access::decide_approval(
            db,
            &user.principal(),
            id,
            decision,
            &note,
            now_ms(),
        )?),
    }
}
