//! Router tests: the admin routes through the shared conventions with `oneshot`, fed both hand-built
//! requests and the checked-in API Gateway events (the same files `sam local invoke -e` and
//! `cargo lambda invoke --data-file` take).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use admin_api::{AdminState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::TimeZone;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_domain::audit::ports::AuditLog;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::identity::service::administration::Administration;
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::jobs::ScheduledJob;
use tradesense_domain::ops::metrics::{
    FunctionMetrics, LatencyHistogram, MetricsRange, QueueDepth, StoredMetrics,
};
use tradesense_domain::ops::ports::{DeadLetters, DependencyCheck, JobRunLog, MetricStore};
use tradesense_domain::ops::service::accounts::{Accounts, AccountsContext};
use tradesense_domain::ops::service::audit_search::AuditSearch;
use tradesense_domain::ops::service::kill_switch::KillSwitchControl;
use tradesense_domain::ops::service::metrics::{Metrics, MetricsContext};
use tradesense_domain::ops::service::redrive::Redrive;
use tradesense_domain::testing::{
    FixedClock, FixedMetrics, FixedQueueDepths, InMemoryAuditLog, InMemoryBrokerLinks, InMemoryJobRunLog,
    InMemoryKillSwitch, InMemoryLedger, InMemoryUsers, RecordingPublisher, StaticCheck, audit_trail,
};
use tradesense_http::{HttpConfig, MAX_BODY_BYTES, with_conventions};

/// The admin router over fakes, and the fakes tests look into.
struct Fakes {
    app: Router,
    runs: Arc<InMemoryJobRunLog>,
    audit_log: Arc<InMemoryAuditLog>,
    published: Arc<RecordingPublisher>,
}

fn fakes(checks: Vec<Arc<dyn DependencyCheck>>) -> Fakes {
    fakes_reading(checks, Arc::new(orders_metrics()))
}

/// orders-api's 100 requests: 3 answered 4xx, 1 answered 5xx, latencies in the buckets ≤5: 10, ≤10: 30,
/// ≤25: 40, ≤50: 12, ≤100: 8 (p50 13.75 ms, p95 68.75 ms by hand); the alert queue's oldest message 42 s old.
fn orders_metrics() -> FixedMetrics {
    FixedMetrics {
        functions: vec![FunctionMetrics {
            function: "orders-api".into(),
            requests: 100,
            errors_4xx: 3,
            errors_5xx: 1,
            latency: LatencyHistogram::from_counts([10, 30, 40, 12, 8, 0, 0, 0, 0, 0, 0, 0]),
        }],
        ages: vec![(RedrivableQueue::Alert, 42)],
    }
}

fn app_reading(
    checks: Vec<Arc<dyn DependencyCheck>>,
    store: Arc<dyn MetricStore>,
) -> (Router, Arc<InMemoryJobRunLog>) {
    let f = fakes_reading(checks, store);
    (f.app, f.runs)
}

fn fakes_reading(checks: Vec<Arc<dyn DependencyCheck>>, store: Arc<dyn MetricStore>) -> Fakes {
    let runs = Arc::new(InMemoryJobRunLog::default());
    let users = Arc::new(InMemoryUsers::default());
    let audit_log = Arc::new(InMemoryAuditLog::default());
    let published = Arc::new(RecordingPublisher::default());
    let clock = Arc::new(FixedClock(chrono::Utc::now()));
    let state = AdminState {
        checks: checks.into(),
        job_runs: runs.clone(),
        administration: Arc::new(Administration::new(
            users.clone(),
            audit_trail(published.clone()),
            clock.clone(),
        )),
        kill_switch: Arc::new(KillSwitchControl::new(
            Arc::new(InMemoryKillSwitch::default()),
            audit_trail(published.clone()),
            clock.clone(),
        )),
        redrive: Arc::new(Redrive::new(
            Arc::new(FourLetters),
            audit_trail(published.clone()),
            clock.clone(),
        )),
        accounts: Arc::new(Accounts::new(AccountsContext {
            directory: users.clone(),
            users,
            audit_log: audit_log.clone(),
            links: Arc::new(InMemoryBrokerLinks::default()),
            ledger: Arc::new(InMemoryLedger::default()),
            audit: audit_trail(published.clone()),
            clock: clock.clone(),
        })),
        audit_search: Arc::new(AuditSearch::new(
            audit_log.clone(),
            audit_trail(published.clone()),
            clock,
        )),
        // Never reached: these tests list nothing with a cursor (the emulator-backed tests in tests/ do).
        cursors: Arc::new(SignedCursors::new(
            SecretsProvider::new(unreachable_secrets(), std::time::Duration::ZERO),
            "cursor-key",
        )),
        metrics: Arc::new(Metrics::new(MetricsContext {
            store,
            queues: Arc::new(FixedQueueDepths(vec![QueueDepth {
                queue: RedrivableQueue::Alert,
                depth: 4,
                in_flight: 1,
                dlq_depth: 2,
            }])),
            kill_switch: Arc::new(InMemoryKillSwitch::default()),
            functions: vec!["orders-api".into(), "market-api".into()],
            audit: audit_trail(Arc::new(RecordingPublisher::default())),
            clock: Arc::new(FixedClock(chrono::Utc::now())),
        })),
    };
    Fakes {
        app: with_conventions(router(state), &HttpConfig::default()),
        runs,
        audit_log,
        published,
    }
}

fn app(checks: Vec<Arc<dyn DependencyCheck>>) -> (Router, Arc<InMemoryJobRunLog>) {
    let f = fakes(checks);
    (f.app, f.runs)
}

/// A Secrets Manager client with nowhere to go.
fn unreachable_secrets() -> aws_sdk_secretsmanager::Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Four dead letters waiting in every queue (the SQS adapter is tested against the emulator).
struct FourLetters;

#[async_trait::async_trait]
impl DeadLetters for FourLetters {
    async fn redrive(&self, _: RedrivableQueue, max: usize) -> anyhow::Result<usize> {
        Ok(max.min(4))
    }
}

fn healthy() -> Vec<Arc<dyn DependencyCheck>> {
    vec![
        Arc::new(StaticCheck::up("dynamodb")),
        Arc::new(StaticCheck::up("sqs")),
        Arc::new(StaticCheck::up("secretsmanager")),
    ]
}

fn event(json: &str) -> Request<Body> {
    lambda_http::request::from_str(json)
        .expect("valid API Gateway event")
        .map(|b| Body::from(b.to_vec()))
}

async fn call(app: Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let response = app.oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn shallow_health_answers_with_every_security_header() {
    let (app, _) = app(healthy());
    let (status, headers, body) = call(app, event(include_str!("../../../events/health.json"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert_eq!(
        headers["x-request-id"], "Jt1Hh3pXBcwEJbQ=",
        "API Gateway's request id is reused"
    );
}

#[tokio::test]
async fn deep_health_with_an_admin_context_reports_every_dependency_and_the_heartbeat() {
    let (app, runs) = app(healthy());
    let beat = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 4, 25, 0).unwrap();
    runs.record_run(ScheduledJob::Heartbeat, beat).await.unwrap();
    let (status, _, body) = call(app, event(include_str!("../../../events/admin-health.json"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    let names: Vec<_> = body["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dynamodb", "sqs", "secretsmanager"]);
    assert!(
        body["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "ok" && d["latency_ms"].is_u64())
    );
    assert_eq!(body["scheduler"]["last_heartbeat_at"], "2026-11-23T04:25:00Z");
}

#[tokio::test]
async fn deep_health_is_503_naming_the_failing_dependency_and_nothing_else() {
    let (app, _) = app(vec![
        Arc::new(StaticCheck::up("dynamodb")),
        Arc::new(StaticCheck::down(
            "sqs",
            "dispatch failure: connection refused to 10.0.0.7",
        )),
        Arc::new(StaticCheck::up("secretsmanager")),
    ]);
    let (status, _, body) = call(app, event(include_str!("../../../events/admin-health.json"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "UNAVAILABLE");
    assert_eq!(body["error"]["message"], "dependencies down: sqs");
    assert_eq!(
        body["error"]["details"],
        serde_json::json!([{"field": "sqs", "message": "down"}])
    );
    assert!(!body.to_string().contains("10.0.0.7"), "internals leaked: {body}");
}

#[tokio::test]
async fn deep_health_without_an_authorizer_context_is_401() {
    let (app, _) = app(healthy());
    let (status, _, body) = call(
        app,
        event(include_str!("../../../events/admin-health-no-context.json")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(body["request_id"], "Jt1Hh3pXBcwEJbQ=");
}

#[tokio::test]
async fn deep_health_for_a_viewer_is_403() {
    let (app, _) = app(healthy());
    let (status, _, body) = call(
        app,
        event(include_str!("../../../events/admin-health-viewer.json")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn an_admin_redrives_a_named_dead_letter_queue_and_nobody_else_can() {
    let (app, _) = app(healthy());
    let redrive = |queue: &str, roles: &str| {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/admin-health.json")).unwrap();
        let path = format!("/v1/admin/dlq/{queue}/redrive");
        json["rawPath"] = path.clone().into();
        json["routeKey"] = format!("POST {path}").into();
        json["requestContext"]["http"]["method"] = "POST".into();
        json["requestContext"]["http"]["path"] = path.into();
        json["requestContext"]["authorizer"]["lambda"]["roles"] = roles.into();
        event(&json.to_string())
    };
    let (status, _, body) = call(app.clone(), redrive("alert", "admin")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["queue"].as_str(), body["moved"].as_u64()),
        (Some("alert"), Some(4))
    );
    let (status, _, _) = call(app.clone(), redrive("scheduler", "admin")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the scheduler's DLQ has no queue to go back to"
    );
    let (status, _, _) = call(app.clone(), redrive("alert", "trader")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut users: serde_json::Value =
        serde_json::from_str(include_str!("../../../events/admin-health-viewer.json")).unwrap();
    users["rawPath"] = "/v1/admin/users".into();
    users["requestContext"]["http"]["path"] = "/v1/admin/users".into();
    let (status, _, _) = call(app, event(&users.to_string())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the users list is admins' only");
}

#[tokio::test]
async fn a_tampered_authorizer_context_is_401_not_a_crash() {
    let (app, _) = app(healthy());
    for (field, value) in [("roles", "root"), ("user_id", "../../etc"), ("session_id", "")] {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/admin-health.json")).unwrap();
        json["requestContext"]["authorizer"]["lambda"][field] = value.into();
        let (status, _, _) = call(app.clone(), event(&json.to_string())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{field}={value}");
    }
}

#[tokio::test]
async fn serves_the_openapi_document_with_the_admin_paths_and_error_schema() {
    let (app, _) = app(healthy());
    let (status, _, doc) = call(app, event(include_str!("../../../events/openapi.json"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/v1/health", "/v1/admin/health", "/openapi.json"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_json_error_shape() {
    let (app, _) = app(healthy());
    let (status, _, body) = call(app.clone(), Request::get("/v1/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (status, _, body) = call(app, Request::delete("/v1/health").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("METHOD_NOT_ALLOWED"))
    );
}

#[tokio::test]
async fn an_oversized_body_is_413_before_any_handler_runs() {
    let (app, _) = app(healthy());
    let req = Request::post("/v1/health")
        .header("content-type", "application/json")
        .header("content-length", (MAX_BODY_BYTES + 1).to_string())
        .body(Body::from(vec![b' '; MAX_BODY_BYTES + 1]))
        .unwrap();
    let (status, headers, body) = call(app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_local_request_gets_a_generated_request_id() {
    let (app, _) = app(healthy());
    let (_, headers, _) = call(
        app,
        Request::get("/v1/health")
            .header("x-request-id", "spoofed")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let id = headers["x-request-id"].to_str().unwrap();
    assert_ne!(id, "spoofed");
    assert_eq!(id.len(), 26, "a ULID");
}

/// `events/admin-audit.json` (an admin's search) asking `query` instead, by a caller holding `roles`.
fn audit_search(query: &str, roles: &str) -> Request<Body> {
    let mut json: serde_json::Value =
        serde_json::from_str(include_str!("../../../events/admin-audit.json")).unwrap();
    json["rawQueryString"] = query.into();
    json.as_object_mut().unwrap().remove("queryStringParameters");
    json["requestContext"]["authorizer"]["lambda"]["roles"] = roles.into();
    event(&json.to_string())
}

#[tokio::test]
async fn the_audit_search_refuses_each_malformed_parameter_by_name_and_reads_nothing() {
    let f = fakes(healthy());
    let cases = [
        ("user=someone", "user"),
        ("type=LOGGED_IN", "type"),
        ("type=role_changed", "type"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-25&to=2026-11-23", "from"),
        ("from=2025-11-01&to=2026-11-23", "from"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("q=x", "q"),
    ];
    for (query, field) in cases {
        let (status, _, body) = call(f.app.clone(), audit_search(query, "admin")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED", "{query}");
        assert_eq!(body["error"]["details"][0]["field"], field, "{query}: {body}");
    }
    assert!(f.audit_log.searches().is_empty());
    assert!(
        f.published.published().is_empty(),
        "a refused search is not audited"
    );
}

#[tokio::test]
async fn an_admin_reads_each_functions_counts_and_percentiles_each_queue_and_the_kill_switch() {
    let (app, _) = app(healthy());
    let (status, _, body) = call(app, event(include_str!("../../../events/admin-metrics.json"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["window"], "1h");
    let from: chrono::DateTime<chrono::Utc> = body["from"].as_str().unwrap().parse().unwrap();
    let to: chrono::DateTime<chrono::Utc> = body["to"].as_str().unwrap().parse().unwrap();
    assert_eq!((to - from).num_seconds(), 3_600);
    assert_eq!(
        body["functions"],
        serde_json::json!([
            {"function": "orders-api", "requests": 100, "errors_4xx": 3, "errors_5xx": 1,
             "p50_ms": 13.75, "p95_ms": 68.75},
            {"function": "market-api", "requests": 0, "errors_4xx": 0, "errors_5xx": 0,
             "p50_ms": null, "p95_ms": null},
        ])
    );
    assert_eq!(
        body["queues"],
        serde_json::json!([
            {"queue": "audit", "depth": 0, "in_flight": 0, "oldest_age_seconds": null, "dlq_depth": 0},
            {"queue": "backtest", "depth": 0, "in_flight": 0, "oldest_age_seconds": null, "dlq_depth": 0},
            {"queue": "alert", "depth": 4, "in_flight": 1, "oldest_age_seconds": 42, "dlq_depth": 2},
        ])
    );
    assert_eq!(
        body["kill_switch"],
        serde_json::json!({"enabled": false, "reason": null, "changed_by": null, "changed_at": null})
    );
}

#[tokio::test]
async fn the_audit_search_is_for_admins_only() {
    let f = fakes(healthy());
    for roles in ["trader", "viewer", "trader,viewer"] {
        let (status, _, body) = call(f.app.clone(), audit_search("", roles)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{roles}");
        assert_eq!(body["error"]["code"], "FORBIDDEN");
    }
    let mut anonymous: serde_json::Value =
        serde_json::from_str(include_str!("../../../events/admin-audit.json")).unwrap();
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, _, _) = call(f.app.clone(), event(&anonymous.to_string())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(f.audit_log.searches().is_empty());
}

#[tokio::test]
async fn an_admin_sees_each_event_with_its_actor_target_request_and_ip_and_the_search_is_audited_likewise() {
    let f = fakes(healthy());
    let admin = "01JDQ8ZK3M4N5P6Q7R8S9T0AD1";
    let trader = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1";
    let role_change = AuditEvent {
        id: "01JDQ8ZK3M4N5P6Q7R8S9T0EV9".parse().unwrap(),
        kind: AuditKind::RoleChanged,
        user_id: Some(trader.parse().unwrap()),
        occurred_at: chrono::Utc::now() - chrono::Duration::hours(1),
        detail: serde_json::json!({"before": ["trader"], "after": ["viewer"]}),
        actor: Some(admin.parse().unwrap()),
        request_id: Some("req-1".into()),
        source_ip: Some("198.51.100.4".into()),
    };
    f.audit_log.record(&role_change).await.unwrap();

    let (status, headers, body) = call(
        f.app.clone(),
        event(include_str!("../../../events/admin-audit.json")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        serde_json::json!({
            "events": [{
                "id": role_change.id.to_string(), "type": "ROLE_CHANGED",
                "occurred_at": role_change.occurred_at, "actor": admin, "target": trader,
                "request_id": "req-1", "source_ip": "198.51.100.4",
                "detail": {"before": ["trader"], "after": ["viewer"]},
            }],
            "next_cursor": null,
        })
    );
    // The search itself, by the admin, from API Gateway's request and source IP.
    let searched: AuditEvent = f.published.published()[0].open().unwrap();
    assert_eq!(searched.kind, AuditKind::AuditSearched);
    assert_eq!(searched.actor, searched.user_id);
    assert_eq!(searched.actor.unwrap().to_string(), admin);
    assert_eq!(searched.request_id.as_deref(), Some("Jt1Hh3pXBcwEJbQ="));
    assert_eq!(headers["x-request-id"], "Jt1Hh3pXBcwEJbQ=");
    assert_eq!(searched.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(searched.detail["type"], "ROLE_CHANGED");
}

#[tokio::test]
async fn a_window_not_offered_is_400_naming_the_window_and_a_trader_is_403() {
    let (app, _) = app(healthy());
    for bad in ["2h", "1H", "", "60"] {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/admin-metrics.json")).unwrap();
        json["rawQueryString"] = format!("window={bad}").into();
        json["queryStringParameters"]["window"] = bad.into();
        let (status, _, body) = call(app.clone(), event(&json.to_string())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(body["error"]["details"][0]["field"], "window", "{body}");
    }
    let (status, _, body) = call(
        app,
        event(include_str!("../../../events/admin-metrics-trader.json")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
}

/// A metric store that never answers (CloudWatch timed out).
struct Silent;

#[async_trait::async_trait]
impl MetricStore for Silent {
    async fn read(
        &self,
        _: &MetricsRange,
        _: &[String],
        _: &[RedrivableQueue],
    ) -> anyhow::Result<StoredMetrics> {
        let timeout = aws_smithy_runtime_api::client::result::SdkError::<std::io::Error, ()>::timeout_error(
            "no answer in 10 s from 10.0.0.9",
        );
        Err(tradesense_adapters::aws::sdk_error(timeout, "get metric data"))
    }
}

#[tokio::test]
async fn a_metrics_source_that_does_not_answer_is_503_with_retry_after_and_nothing_internal() {
    let (app, _) = app_reading(healthy(), Arc::new(Silent));
    let (status, headers, body) = call(app, event(include_str!("../../../events/admin-metrics.json"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "UNAVAILABLE");
    assert_eq!(headers["retry-after"], "2");
    assert!(!body.to_string().contains("10.0.0.9"), "internals leaked: {body}");
}
