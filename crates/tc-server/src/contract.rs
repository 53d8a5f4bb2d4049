//! The API contract: the JSON endpoints' request and response bodies as typed structs, and the
//! OpenAPI 3.1 document derived from them and from the handlers' `#[utoipa::path]` attributes,
//! served at `GET /openapi.json` (public: it holds no data). Descriptions Chinese first, English
//! after. `tests/openapi.rs` snapshots the document and runs schemathesis against it.

use crate::api;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongchou_store::access::Approval;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// 错误 An error: a short code and a message (Chinese first where the service has one).
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// 错误代码 Error code
    #[schema(value_type = String, example = "bad_request")]
    pub error: &'static str,
    /// 说明 Message
    pub message: String,
}

/// 行政区划（简） A region by code, name and level.
#[derive(Serialize, ToSchema)]
pub(crate) struct RegionRef {
    /// 区划代码（GB/T 2260，6 位） Region code (GB/T 2260, 6 digits)
    #[schema(pattern = "^[0-9]{6}$", example = "140105")]
    pub code: String,
    /// 名称 Name
    pub name: Option<String>,
    /// 层级 Level: province, city or county
    pub level: Option<&'static str>,
}

/// 当前用户 The logged-in user, with the CSRF token for state-changing calls.
#[derive(Serialize, ToSchema)]
pub(crate) struct MeBody {
    /// 登录名 Login
    pub login: String,
    /// 姓名 Display name
    pub display_name: String,
    /// 角色 Role (`tc-core::access`)
    #[schema(example = "county_agency")]
    pub role: &'static str,
    /// 所属地区 The user's region
    pub region: RegionRef,
    /// 权限 The role's permissions
    pub permissions: Vec<&'static str>,
    /// CSRF 令牌，POST 时放在 `X-CSRF-Token` 头 The CSRF token, sent as `X-CSRF-Token` on POST
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub csrf_token: String,
}

/// 行政区划 One region of the user's scope.
#[derive(Serialize, ToSchema)]
pub(crate) struct RegionItem {
    /// 区划代码 Region code
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
    /// 名称 Name
    pub name: String,
    /// 层级 Level: province, city or county
    pub level: &'static str,
    /// 上级区划代码 The parent's code (none for the province)
    pub parent: Option<String>,
    /// 类别 Kind: district, county, county_level_city, functional_zone, city, province
    pub kind: String,
}

/// 用户可见的行政区划 The regions within the user's scope.
#[derive(Serialize, ToSchema)]
pub(crate) struct RegionsBody {
    /// 用户所属地区代码 The user's region code
    pub scope: String,
    /// 本地区及其下级 Their region and every division inside it
    pub regions: Vec<RegionItem>,
}

/// 县（区） A county by code and name.
#[derive(Serialize, ToSchema)]
pub(crate) struct CountyRef {
    /// 区划代码 Region code
    pub code: String,
    /// 名称 Name
    pub name: String,
}

/// 在发养老金 The pension in force, for a pensioner.
#[derive(Serialize, ToSchema)]
pub(crate) struct PersonPension {
    /// 退休年月 yyyymm Retirement month as yyyymm
    pub retire_period: i64,
    /// 发放状态 Payment status
    pub status: String,
    /// 月养老金（元） Monthly pension in yuan, an exact decimal string
    #[schema(pattern = "^-?[0-9]+\\.[0-9]{2}$", example = "4194.36")]
    pub monthly: String,
    /// 开户银行 Bank
    pub bank_name: String,
    /// 银行账号（按角色脱敏） Bank account, masked by role
    pub bank_account: String,
}

/// 参保人记录（按角色脱敏） A person's record, masked by the viewer's role.
#[derive(Serialize, ToSchema)]
pub(crate) struct PersonBody {
    /// 内部编号 Internal person id
    pub person_id: i64,
    /// 身份证号码（按角色脱敏） ID number, masked by role
    pub id_number: String,
    /// 姓名（按角色脱敏） Name, masked by role
    pub name: String,
    /// 性别 Sex
    pub sex: String,
    /// 出生日期（按角色脱敏） Birth date, masked by role
    pub birth: String,
    /// 人员类别 Category
    pub category: String,
    /// 参保县（区） County of registration
    pub county: CountyRef,
    /// 参保状态 Status
    pub status: String,
    /// 状态起始日 Status since
    pub status_since: String,
    /// 参保日期 Enrolled on
    pub enrolled_on: String,
    /// 缴费方式 Payer kind
    pub payer_kind: String,
    /// 缴费记录截至 yyyymm The history is as at the first day of this month (yyyymm)
    pub as_of: i64,
    /// 实际缴费月数 Months paid
    pub paid_months: i64,
    /// 视同缴费月数 Deemed months
    pub deemed_months: i64,
    /// 个人账户余额（元） Individual account balance in yuan
    #[schema(pattern = "^-?[0-9]+\\.[0-9]{2}$")]
    pub account_balance: String,
    /// 在发养老金，非退休人员为 null The pension in force, null if not a pensioner
    pub pension: Option<PersonPension>,
    /// 未脱敏的字段 The fields shown unmasked
    pub unmasked: Vec<&'static str>,
}

impl PersonBody {
    /// The record as a JSON value, for the pages that render it.
    pub(crate) fn to_value(&self) -> Result<serde_json::Value, crate::AppError> {
        serde_json::to_value(self).map_err(|e| crate::AppError::Internal(format!("json: {e}")))
    }
}

/// 审批事项 A maker–checker request.
#[derive(Serialize, ToSchema)]
pub(crate) struct ApprovalBody {
    /// 编号 Id
    pub id: i64,
    /// 审批类别 Kind: retirement, fund_plan, allocation, payment_file, recovery_write_off,
    /// period_reopen, back_payment, reserve_use
    #[schema(example = "allocation")]
    pub kind: &'static str,
    /// 审批对象 The object it decides
    pub object_id: String,
    /// 地区代码 Region code
    pub region: String,
    /// 提交人用户编号 Submitter's user id
    pub submitted_by: i64,
    /// 提交时间 Submitted at
    pub submitted_at: String,
    /// 状态 Status: pending, approved, partly_approved, rejected
    pub status: &'static str,
    /// 决定人用户编号 Decider's user id
    pub decided_by: Option<i64>,
    /// 决定时间 Decided at
    pub decided_at: Option<String>,
    /// 意见 Note
    pub note: String,
}

impl From<&Approval> for ApprovalBody {
    fn from(a: &Approval) -> ApprovalBody {
        ApprovalBody {
            id: a.id,
            kind: a.kind.as_str(),
            object_id: a.object_id.clone(),
            region: a.region.to_string(),
            submitted_by: a.submitted_by,
            submitted_at: a.submitted_at.clone(),
            status: a.status.as_str(),
            decided_by: a.decided_by,
            decided_at: a.decided_at.clone(),
            note: a.note.clone(),
        }
    }
}

/// 提交审批申请 A request for a maker–checker decision.
#[derive(ToSchema)]
#[allow(dead_code)] // the schema of the body the handler reads field by field
pub(crate) struct ApprovalRequest {
    /// 审批类别：allocation 或 payment_file（其余类别由其业务办理时生成） Kind: allocation or
    /// payment_file (the others are filed by their own procedure)
    #[schema(pattern = "^(allocation|payment_file)$", example = "allocation")]
    kind: String,
    /// 审批对象，1–64 个字符 The object, 1–64 characters
    #[schema(pattern = "^[A-Za-z0-9_./-]{1,64}$", example = "allocation/2026-12")]
    object_id: String,
    /// 地区代码 Region code
    #[schema(pattern = "^[0-9]{6}$", example = "140105")]
    region: String,
}

/// 审批决定 A decision.
#[derive(ToSchema)]
#[allow(dead_code)] // the schema of the body the handler reads field by field
pub(crate) struct DecisionRequest {
    /// 决定 approved, partly_approved or rejected
    #[schema(pattern = "^(approved|partly_approved|rejected)$")]
    decision: String,
    /// 意见 Note
    note: Option<String>,
    /// 部分核准的金额（元，仅基金用款计划） The approved amount in yuan (fund-use plans,
    /// partly_approved)
    #[schema(pattern = "^[0-9]+(\\.[0-9]{1,2})?$", example = "1234567.89")]
    approved: Option<String>,
}

/// 养老金测算输入（与 `tongchou pension estimate` 相同） The estimator's input.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the schema of `tc-core::rules::pension::PensionInput`
pub(crate) struct EstimateRequest {
    /// 出生年月 YYYY-MM Birth month
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "1965-01")]
    birth: String,
    /// 人员类别 male, female-worker or female-cadre
    #[schema(pattern = "^(male|female-worker|female-cadre)$", example = "male")]
    category: String,
    /// 退休年月（缺省为法定退休年月） Retirement month, the statutory one if absent
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$")]
    retire: Option<String>,
    /// 实际缴费月数 Months paid
    #[schema(example = 300)]
    paid_months: u32,
    /// 视同缴费月数 Deemed months
    #[schema(example = 96)]
    deemed_months: u32,
    /// 平均缴费指数 Average contribution index
    #[schema(pattern = "^[0-9]+(\\.[0-9]+)?$", example = "1.15")]
    avg_index: String,
    /// 视同缴费指数 Deemed index
    #[schema(pattern = "^[0-9]+(\\.[0-9]+)?$", example = "1.0")]
    deemed_index: String,
    /// 个人账户余额（元） Account balance in yuan
    #[schema(pattern = "^[0-9]+(\\.[0-9]{1,2})?$", example = "120000.00")]
    account_balance: String,
    /// 计发基数（元，缺省为政策参数） Benefit base in yuan, the policy's if absent
    #[schema(pattern = "^[0-9]+(\\.[0-9]{1,2})?$")]
    benefit_base: Option<String>,
    /// 过渡系数 Transition coefficient, the policy's if absent
    #[schema(pattern = "^[0-9]+(\\.[0-9]+)?$")]
    transition_coefficient: Option<String>,
}

/// 退休年龄 Age at retirement.
#[derive(Serialize, ToSchema)]
pub(crate) struct Age {
    /// 岁 Years
    pub years: i32,
    /// 月 Months
    pub months: i32,
}

/// 计算说明：规则、公式、所用参数及其出处、中间值 An explanation of one amount.
#[derive(ToSchema)]
#[allow(dead_code)] // the schema of `tc-core::explain::Explanation`
pub(crate) struct ExplanationDoc {
    /// 规则 Rule id
    rule: String,
    /// 公式 Formula
    formula: String,
    /// 所用政策参数 Parameters used, with their provenance
    params: Vec<ParamUseDoc>,
    /// 中间值 Intermediate values
    steps: Vec<StepDoc>,
}

/// 所用政策参数 A dated policy parameter used.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ParamUseDoc {
    name: String,
    value: String,
    effective_from: String,
    status: String,
    source: String,
    /// 来源（中文） The source note in Chinese
    source_zh: String,
}

/// 中间值 A step.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct StepDoc {
    name: String,
    value: String,
}

/// 各部分的计算说明 The explanations of the parts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct PensionExplainDoc {
    basic: ExplanationDoc,
    account: ExplanationDoc,
    transitional: ExplanationDoc,
    retirement: Option<ExplanationDoc>,
}

/// 养老金测算结果（元） The estimated monthly pension in yuan, with its explanation.
#[derive(Serialize, ToSchema)]
pub(crate) struct EstimateBody {
    /// 退休年月 Retirement month
    pub retire: String,
    /// 退休年龄 Age at retirement
    pub age: Age,
    /// 基础养老金 Basic pension
    pub basic: String,
    /// 个人账户养老金 Account pension
    pub account: String,
    /// 过渡性养老金 Transitional pension
    pub transitional: String,
    /// 合计 Total
    pub total: String,
    /// 提示 Warnings
    pub warnings: Vec<String>,
    /// 计算说明 Explanations
    #[schema(value_type = PensionExplainDoc)]
    pub explain: serde_json::Value,
}

impl EstimateBody {
    pub(crate) fn of(p: &tongchou_core::rules::pension::Pension) -> EstimateBody {
        EstimateBody {
            retire: p.retire.to_string(),
            age: Age {
                years: p.age_years,
                months: p.age_months,
            },
            basic: p.basic.to_string(),
            account: p.account.to_string(),
            transitional: p.transitional.to_string(),
            total: p.total.to_string(),
            warnings: p.warnings.clone(),
            explain: serde_json::to_value(&p.explain).unwrap_or_default(),
        }
    }
}

/// The session cookie and the CSRF header as security schemes.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::SESSION_COOKIE,
                "登录后的会话 Cookie（POST /login） The session cookie set by the login form",
            ))),
        );
        c.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "GET /api/me 返回的 csrf_token，改变状态的请求必须携带 \
                 The csrf_token of GET /api/me, required on state-changing calls",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "统筹 Tongchou API",
        description = "山西省企业职工基本养老保险基金省级统收统支系统的 JSON 接口。\
                       除养老金测算外均需登录（会话 Cookie）；改变状态的请求还需 `X-CSRF-Token` 头。\
                       金额为精确到分的元字符串。\n\n\
                       The JSON API of Tongchou. Every call but the estimator needs a session \
                       cookie; state-changing calls also need the `X-CSRF-Token` header. Amounts \
                       are exact yuan strings.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        api::me,
        api::my_records,
        api::regions,
        api::person,
        api::estimate,
        api::submit_approval,
        api::get_approval,
        api::decide_approval,
    ),
    modifiers(&Security),
    tags(
        (name = "session", description = "会话与用户 Session and user"),
        (name = "registry", description = "参保登记 The register of persons"),
        (name = "approvals", description = "审批（双人复核） Maker–checker approvals"),
        (name = "public", description = "公开接口 Public"),
    )
)]
pub(crate) struct ApiDoc;

/// The document, pretty-printed.
pub(crate) fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `GET /openapi.json`: public, the same for everyone.
pub async fn openapi_json() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        document(),
    )
        .into_response()
}
