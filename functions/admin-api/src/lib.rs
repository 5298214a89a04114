//! The admin API: `GET /v1/health` (public, shallow), `GET /v1/admin/health` (admin, deep), the users
//! (`GET /v1/admin/users`, `GET`/`PATCH /v1/admin/users/{id}`), the audit search (`GET /v1/admin/audit`), the
//! kill switch, dead-letter redrive, request and queue metrics (`GET /v1/admin/metrics`), all admin only, and
//! `GET /openapi.json` (public, the whole API's generated document).

mod config;
mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::cloudwatch::CloudWatchMetrics;
use tradesense_adapters::dynamo::audit::DynamoAuditLog;
use tradesense_adapters::dynamo::broker_links::DynamoBrokerLinks;
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::dynamo::kill_switch::DynamoKillSwitch;
use tradesense_adapters::dynamo::trading::DynamoTradingLedger;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::dynamo::{Table, jobs::DynamoJobRunLog};
use tradesense_adapters::health::{DynamoDbCheck, SecretsManagerCheck, SqsCheck};
use tradesense_adapters::ids::UlidIds;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_adapters::sqs::{SqsDeadLetters, SqsPublisher};
use tradesense_domain::audit::service::AuditTrail;
use tradesense_domain::identity::service::administration::Administration;
use tradesense_domain::ops::ports::{DependencyCheck, JobRunLog};
use tradesense_domain::ops::service::accounts::{Accounts, AccountsContext};
use tradesense_domain::ops::service::audit_search::AuditSearch;
use tradesense_domain::ops::service::kill_switch::KillSwitchControl;
use tradesense_domain::ops::service::metrics::{Metrics, MetricsContext};
use tradesense_domain::ops::service::redrive::Redrive;

pub use config::AdminConfig;

/// What the admin handlers need.
#[derive(Clone)]
pub struct AdminState {
    /// Dependencies the deep health check probes.
    pub checks: Arc<[Arc<dyn DependencyCheck>]>,
    /// Where the scheduler's heartbeat is read from.
    pub job_runs: Arc<dyn JobRunLog>,
    /// Changing users' roles and disabled flags.
    pub administration: Arc<Administration>,
    /// Halting and resuming order entry.
    pub kill_switch: Arc<KillSwitchControl>,
    /// Moving dead letters back to their queues.
    pub redrive: Arc<Redrive>,
    /// The operators' view of user accounts.
    pub accounts: Arc<Accounts>,
    /// The audit search.
    pub audit_search: Arc<AuditSearch>,
    /// Signs and opens the users list's and the audit search's cursors.
    pub cursors: Arc<SignedCursors>,
    /// The request and queue metrics report.
    pub metrics: Arc<Metrics>,
}

impl AdminState {
    /// Wires the real adapters: probes of the table, the audit queue and the signing-key secret.
    pub fn from_aws(aws: &AwsClients, cfg: &AdminConfig) -> Self {
        let table = Table::new(aws.dynamodb.clone(), &cfg.table_name);
        let checks: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(DynamoDbCheck(table.clone())),
            Arc::new(SqsCheck {
                client: aws.sqs.clone(),
                queue_url: cfg.audit_queue_url.clone(),
            }),
            Arc::new(SecretsManagerCheck {
                client: aws.secrets.clone(),
                secret_id: cfg.signing_key_secret_id.clone(),
            }),
        ];
        let audit = AuditTrail::new(
            Arc::new(SqsPublisher::new(aws.sqs.clone(), &cfg.audit_queue_url)),
            Arc::new(UlidIds::default()),
        );
        let administration = Administration::new(
            Arc::new(DynamoUserRepository::new(table.clone())),
            audit.clone(),
            Arc::new(SystemClock),
        );
        let kill_switch_store = Arc::new(DynamoKillSwitch::new(table.clone()));
        let kill_switch =
            KillSwitchControl::new(kill_switch_store.clone(), audit.clone(), Arc::new(SystemClock));
        let dead_letters = Arc::new(SqsDeadLetters::new(aws.sqs.clone(), cfg.dead_letters.clone()));
        let redrive = Redrive::new(dead_letters.clone(), audit.clone(), Arc::new(SystemClock));
        let queue_urls = cfg
            .dead_letters
            .iter()
            .map(|(queue, _, url)| (*queue, url.clone()));
        let metrics = Metrics::new(MetricsContext {
            store: Arc::new(CloudWatchMetrics::new(aws.cloudwatch.clone(), queue_urls)),
            queues: dead_letters,
            kill_switch: kill_switch_store,
            functions: cfg.metrics_functions.clone(),
            audit: audit.clone(),
            clock: Arc::new(SystemClock),
        });
        let users = Arc::new(DynamoUserRepository::new(table.clone()));
        let audit_log = Arc::new(DynamoAuditLog::new(table.clone()));
        let audit_search = AuditSearch::new(audit_log.clone(), audit.clone(), Arc::new(SystemClock));
        let accounts = Accounts::new(AccountsContext {
            directory: users.clone(),
            users,
            audit_log,
            links: Arc::new(DynamoBrokerLinks::new(table.clone())),
            ledger: Arc::new(DynamoTradingLedger::new(table.clone())),
            audit,
            clock: Arc::new(SystemClock),
        });
        Self {
            checks: checks.into(),
            job_runs: Arc::new(DynamoJobRunLog::new(table)),
            administration: Arc::new(administration),
            kill_switch: Arc::new(kill_switch),
            redrive: Arc::new(redrive),
            accounts: Arc::new(accounts),
            audit_search: Arc::new(audit_search),
            cursors: Arc::new(SignedCursors::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &cfg.cursor_key_secret_id,
            )),
            metrics: Arc::new(metrics),
        }
    }
}

/// The admin routes, with full API Gateway paths.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/v1/health", get(handlers::health))
        .route("/v1/admin/health", get(handlers::deep_health))
        .route("/v1/admin/users", get(handlers::list_users))
        .route("/v1/admin/audit", get(handlers::search_audit))
        .route(
            "/v1/admin/users/{id}",
            get(handlers::get_user).patch(handlers::update_user),
        )
        .route("/v1/admin/kill-switch", post(handlers::kill_switch))
        .route("/v1/admin/dlq/{queue}/redrive", post(handlers::redrive))
        .route("/v1/admin/metrics", get(handlers::metrics))
        .route("/openapi.json", get(handlers::openapi_document))
        .with_state(state)
}
