//! Response bodies of the admin routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tradesense_domain::audit::search::AuditFilter;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::user::User;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::ops::health::{DependencyStatus, HealthReport};
use tradesense_domain::ops::kill_switch::KillSwitch;
use tradesense_domain::ops::metrics::{FunctionMetrics, MetricsReport, MetricsWindow, QueueMetrics};
use tradesense_domain::ops::service::accounts::AccountDetail;
use tradesense_http::query::TimeParam;
use utoipa::{IntoParams, ToSchema};

/// A role's wire name in the document: `admin`, `trader` or `viewer`.
pub struct RoleName;

impl utoipa::PartialSchema for RoleName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let names = [Role::Admin, Role::Trader, Role::Viewer].map(Role::as_str);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .into()
    }
}

impl ToSchema for RoleName {}

/// An audit event's kind in the document: `LOGIN_SUCCEEDED`, `ROLE_CHANGED`, ….
pub struct AuditKindName;

impl utoipa::PartialSchema for AuditKindName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(AuditKind::ALL.map(AuditKind::as_str)))
            .into()
    }
}

impl ToSchema for AuditKindName {}

/// `GET /v1/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` when the function answers.
    pub status: &'static str,
    /// The deployed version.
    pub version: &'static str,
}

/// One dependency in `GET /v1/admin/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DependencyDto {
    /// `dynamodb`, `sqs` or `secretsmanager`.
    pub name: &'static str,
    /// `ok` or `down`.
    pub status: &'static str,
    /// Round trip of the probe, in milliseconds.
    pub latency_ms: u64,
}

/// The scheduler's last heartbeat in `GET /v1/admin/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulerDto {
    /// When the heartbeat schedule last ran, if ever (informational: it does not change `status`).
    pub last_heartbeat_at: Option<DateTime<Utc>>,
}

/// `GET /v1/admin/health` when every dependency is ok.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeepHealthResponse {
    /// `ok`.
    pub status: &'static str,
    /// The deployed version.
    pub version: &'static str,
    /// Each dependency probed.
    pub dependencies: Vec<DependencyDto>,
    /// The scheduler's heartbeat.
    pub scheduler: SchedulerDto,
}

impl DeepHealthResponse {
    /// Renders a healthy report.
    pub fn new(report: &HealthReport, last_heartbeat_at: Option<DateTime<Utc>>) -> Self {
        Self {
            status: report.status,
            version: env!("CARGO_PKG_VERSION"),
            dependencies: report.dependencies.iter().map(DependencyDto::from).collect(),
            scheduler: SchedulerDto { last_heartbeat_at },
        }
    }
}

impl From<&DependencyStatus> for DependencyDto {
    fn from(d: &DependencyStatus) -> Self {
        Self {
            name: d.name,
            status: d.status,
            latency_ms: d.latency_ms,
        }
    }
}

/// `PATCH /v1/admin/users/{id}`: at least one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New roles, replacing the old ones.
    #[schema(value_type = Option<Vec<RoleName>>)]
    pub roles: Option<Vec<Role>>,
    /// Disable (`true`: login refused, live tokens stop working) or re-enable.
    pub disabled: Option<bool>,
}

/// A user as the admin routes show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserDto {
    /// Id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Roles.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

impl From<&User> for AdminUserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.to_string(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            disabled: u.disabled,
        }
    }
}

/// `POST /v1/admin/kill-switch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KillSwitchRequest {
    /// `true` halts order entry (`423 KILL_SWITCH_ACTIVE`), `false` resumes it.
    pub enabled: bool,
    /// Why (1–200 printable characters); shown to refused traders.
    pub reason: String,
}

/// The kill switch after a flip.
#[derive(Debug, Serialize, ToSchema)]
pub struct KillSwitchDto {
    /// Whether new orders are refused.
    pub enabled: bool,
    /// Why.
    pub reason: String,
    /// The admin who flipped it.
    pub changed_by: String,
    /// When.
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /v1/admin/dlq/{queue}/redrive`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedriveDto {
    /// The queue (`audit`, `backtest`, `alert`).
    pub queue: &'static str,
    /// Messages moved back to it (at most 1,000 a call; call again for the rest).
    pub moved: usize,
}

/// `GET /v1/admin/users` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only emails starting with this (compared lower-cased), 1–254 characters.
    #[param(min_length = 1, max_length = 254)]
    pub q: Option<String>,
    /// Only users holding this role.
    #[param(value_type = Option<String>, pattern = "^(admin|trader|viewer)$")]
    pub role: Option<Role>,
    /// Only disabled (`true`) or enabled (`false`) users.
    pub disabled: Option<bool>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `GET /v1/admin/users`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersResponse {
    /// The page, in email order.
    pub items: Vec<AdminUserDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `GET /v1/admin/users/{id}`: the account as an operator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    /// The user.
    #[serde(flatten)]
    pub user: AdminUserDto,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Whether MFA is on.
    pub mfa_enabled: bool,
    /// Whether an Upstox account is linked.
    pub broker_linked: bool,
    /// The last successful login on record (`null`: none yet).
    pub last_login: Option<DateTime<Utc>>,
    /// Working orders (open, trigger pending, partly filled).
    pub open_orders: usize,
}

impl From<&AccountDetail> for AccountDto {
    fn from(d: &AccountDetail) -> Self {
        Self {
            user: AdminUserDto::from(&d.user),
            created_at: d.user.created_at,
            mfa_enabled: d.user.mfa.enabled,
            broker_linked: d.broker_linked,
            last_login: d.last_login,
            open_orders: d.open_orders,
        }
    }
}

/// `GET /v1/admin/audit` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events concerning this user (their id, a ULID: the events' `target`). An unknown user has none;
    /// a malformed id is a 400.
    #[param(value_type = Option<String>, pattern = "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$")]
    pub user: Option<UserId>,
    /// Only events of this kind.
    #[serde(rename = "type")]
    #[param(value_type = Option<AuditKindName>)]
    pub kind: Option<AuditKind>,
    /// Events at or after this: an IST day (from its start) or an RFC 3339 instant (default: 7 days before
    /// `to`).
    #[param(inline)]
    pub from: Option<TimeParam>,
    /// Events before this: an IST day (to its end) or an RFC 3339 instant (default: now). At most 366 days
    /// after `from`.
    #[param(inline)]
    pub to: Option<TimeParam>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor`, with the same filters (opaque; one this search did not issue is a
    /// 422).
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// What the query asks the audit log for.
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            user: self.user,
            kind: self.kind,
            from: self.from.map(TimeParam::as_start),
            to: self.to.map(TimeParam::as_end),
        }
    }
}

/// One audit event as operators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Id.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    #[schema(value_type = AuditKindName)]
    pub kind: AuditKind,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who did it: the user authenticated on the request that caused it (`null` for a login, for the
    /// platform's own jobs, and for events recorded before actors were).
    pub actor: Option<String>,
    /// The user it concerns (`null` when none: a platform-wide change).
    pub target: Option<String>,
    /// The id of the request that caused it (`null` outside a request, and for older events).
    pub request_id: Option<String>,
    /// The IP that request came from, as API Gateway saw it (`null` when there was none).
    pub source_ip: Option<String>,
    /// What happened, in detail; its fields depend on `type`.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<&AuditEvent> for AuditEventDto {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind,
            occurred_at: e.occurred_at,
            actor: e.actor.map(|a| a.to_string()),
            target: e.user_id.map(|u| u.to_string()),
            request_id: e.request_id.clone(),
            source_ip: e.source_ip.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// `GET /v1/admin/metrics` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// The span summed over, ending with the current minute (default `1h`).
    #[param(value_type = Option<String>, pattern = "^(5m|15m|1h|6h|24h)$")]
    pub window: Option<MetricsWindow>,
}

/// One function's requests over the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionMetricsDto {
    /// The function (`orders-api`, …).
    pub function: String,
    /// Requests its routes answered.
    pub requests: u64,
    /// Of which answered 4xx.
    pub errors_4xx: u64,
    /// Of which answered 5xx.
    pub errors_5xx: u64,
    /// Median latency in ms, read from fixed latency buckets (exact to within its bucket: 0–5, 5–10, 10–25, 25–50,
    /// 50–100, 100–250, 250–500 ms, 0.5–1, 1–2.5, 2.5–5, 5–10 s; 10000 means 10 s or more); `null` without
    /// requests.
    pub p50_ms: Option<f64>,
    /// 95th-percentile latency in ms, read as `p50_ms` is; `null` without requests.
    pub p95_ms: Option<f64>,
}

impl From<&FunctionMetrics> for FunctionMetricsDto {
    fn from(f: &FunctionMetrics) -> Self {
        Self {
            function: f.function.clone(),
            requests: f.requests,
            errors_4xx: f.errors_4xx,
            errors_5xx: f.errors_5xx,
            p50_ms: f.latency.quantile_ms(0.50),
            p95_ms: f.latency.quantile_ms(0.95),
        }
    }
}

/// `GET /v1/admin/audit`: a page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResponse {
    /// The page, newest first. Without `user`, one call reads at most 31 days of the range, so a page may be
    /// short, or empty, while `next_cursor` leads on to older days.
    pub events: Vec<AuditEventDto>,
    /// Pass as `cursor` (with the same filters) for the next page; `null` once the range is read.
    pub next_cursor: Option<String>,
}

/// One worker queue now.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueMetricsDto {
    /// The queue (`audit`, `backtest`, `alert`).
    pub queue: &'static str,
    /// Messages waiting.
    pub depth: u64,
    /// Messages received by the worker and not yet done.
    pub in_flight: u64,
    /// Age of the oldest message in seconds, the largest over the window (CloudWatch's
    /// `ApproximateAgeOfOldestMessage`); `null` where no figure was published, as always on the local stack.
    pub oldest_age_seconds: Option<u64>,
    /// Messages waiting in its dead-letter queue (`POST /v1/admin/dlq/{queue}/redrive` moves them back).
    pub dlq_depth: u64,
}

impl From<&QueueMetrics> for QueueMetricsDto {
    fn from(q: &QueueMetrics) -> Self {
        Self {
            queue: q.depth.queue.name(),
            depth: q.depth.depth,
            in_flight: q.depth.in_flight,
            oldest_age_seconds: q.oldest_age_seconds,
            dlq_depth: q.depth.dlq_depth,
        }
    }
}

/// The kill switch now, with its last flip as `POST /v1/admin/kill-switch` reports it (`null`s: never flipped).
#[derive(Debug, Serialize, ToSchema)]
pub struct KillSwitchStateDto {
    /// Whether new orders are refused (`423 KILL_SWITCH_ACTIVE`).
    pub enabled: bool,
    /// Why it was last flipped.
    pub reason: Option<String>,
    /// The admin who last flipped it.
    pub changed_by: Option<String>,
    /// When.
    pub changed_at: Option<DateTime<Utc>>,
}

impl From<Option<&KillSwitch>> for KillSwitchStateDto {
    fn from(switch: Option<&KillSwitch>) -> Self {
        Self {
            enabled: switch.is_some_and(|s| s.enabled),
            reason: switch.map(|s| s.reason.clone()),
            changed_by: switch.map(|s| s.changed_by.to_string()),
            changed_at: switch.map(|s| s.changed_at),
        }
    }
}

/// `GET /v1/admin/metrics`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsResponse {
    /// The window (`5m`, `15m`, `1h`, `6h`, `24h`).
    pub window: &'static str,
    /// Its start, on a whole minute (inclusive).
    pub from: DateTime<Utc>,
    /// Its end: the start of the minute after the current one (exclusive).
    pub to: DateTime<Utc>,
    /// Every HTTP function's requests, in a fixed order.
    pub functions: Vec<FunctionMetricsDto>,
    /// Every worker queue (`audit`, `backtest`, `alert`).
    pub queues: Vec<QueueMetricsDto>,
    /// The kill switch.
    pub kill_switch: KillSwitchStateDto,
}

impl From<&MetricsReport> for MetricsResponse {
    fn from(r: &MetricsReport) -> Self {
        Self {
            window: r.window.as_str(),
            from: r.range.from,
            to: r.range.to,
            functions: r.functions.iter().map(FunctionMetricsDto::from).collect(),
            queues: r.queues.iter().map(QueueMetricsDto::from).collect(),
            kill_switch: KillSwitchStateDto::from(r.kill_switch.as_ref()),
        }
    }
}
