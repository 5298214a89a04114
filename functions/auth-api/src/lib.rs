//! The auth API: `POST /v1/auth/register`, `POST /v1/auth/login`, `POST /v1/auth/refresh`,
//! `POST /v1/auth/mfa/challenge` (public) and `POST /v1/auth/logout`, `GET /v1/auth/me`, the MFA setup routes
//! (authenticated); and Upstox linking: `GET /v1/auth/broker/upstox/authorize`, `DELETE /v1/auth/broker/upstox`
//! (authenticated) and the public `GET /v1/auth/broker/upstox/callback`.

mod broker_handlers;
mod dto;
mod errors;
mod handlers;
mod mfa_handlers;
pub mod openapi;
mod qr;
mod session_response;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, optional, required};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::broker_links::DynamoBrokerLinks;
use tradesense_adapters::dynamo::rate_limits::DynamoRateLimiter;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::ids::UlidIds;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_adapters::sqs::SqsPublisher;
use tradesense_adapters::upstox::{self, SecretBackedUpstox};
use tradesense_domain::audit::service::AuditTrail;
use tradesense_domain::broker::link::Broker;
use tradesense_domain::broker::service::BrokerLinkService;
use tradesense_domain::identity::ports::{RateLimiter, SessionRepository};
use tradesense_domain::identity::sealed::Sealer;
use tradesense_domain::identity::service::PublishingSessions;
use tradesense_domain::identity::service::account::AccountService;
use tradesense_domain::identity::token::{TokenSigner, TokenVerifier};
use tradesense_domain::kernel::ids::IdGen;
use tradesense_domain::kernel::time::Clock;
use tradesense_http::{ApiError, HttpConfig};

/// Configuration of the auth function.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The signing-key secret (`SIGNING_KEY_SECRET_ID`).
    pub signing_key_secret_id: String,
    /// The at-rest encryption key secret (`DATA_KEY_SECRET_ID`).
    pub data_key_secret_id: String,
    /// Where audit events go (`AUDIT_QUEUE_URL`).
    pub audit_queue_url: String,
    /// The Upstox app registration secret (`UPSTOX_APP_SECRET_ID`).
    pub upstox_app_secret_id: String,
    /// The Upstox API host (`UPSTOX_BASE_URL`, default the production host).
    pub upstox_base_url: String,
    /// Where a session's end goes for the push channel to close its sockets (`STREAM_QUEUE_URL`); none: none.
    pub stream_queue_url: Option<String>,
}

impl AuthConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
            signing_key_secret_id: required(vars, "SIGNING_KEY_SECRET_ID")?,
            data_key_secret_id: required(vars, "DATA_KEY_SECRET_ID")?,
            audit_queue_url: required(vars, "AUDIT_QUEUE_URL")?,
            upstox_app_secret_id: required(vars, "UPSTOX_APP_SECRET_ID")?,
            upstox_base_url: optional(vars, "UPSTOX_BASE_URL")
                .unwrap_or_else(|| upstox::DEFAULT_BASE_URL.to_owned()),
            stream_queue_url: optional(vars, "STREAM_QUEUE_URL").filter(|u| !u.is_empty()),
        })
    }
}

/// The auth function's keys, read from Secrets Manager and cached: the token signing key (AWSCURRENT signs,
/// AWSCURRENT and AWSPREVIOUS verify MFA challenge tokens) and the at-rest data key.
#[derive(Debug)]
pub struct KeyRing {
    secrets: SecretsProvider,
    signing_key_secret_id: String,
    data_key_secret_id: String,
}

impl KeyRing {
    /// How long keys are cached: a rotation is picked up within this time.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(60);

    /// Reads the two secrets through `secrets`.
    pub fn new(secrets: SecretsProvider, signing_key_secret_id: &str, data_key_secret_id: &str) -> Self {
        Self {
            secrets,
            signing_key_secret_id: signing_key_secret_id.to_owned(),
            data_key_secret_id: data_key_secret_id.to_owned(),
        }
    }

    async fn signer(&self) -> Result<TokenSigner, ApiError> {
        let keys = self
            .secrets
            .signing_keys(&self.signing_key_secret_id)
            .await
            .map_err(ApiError::internal)?;
        let current = keys
            .first()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no signing key")))?;
        TokenSigner::new(current).map_err(ApiError::internal)
    }

    async fn verifier(&self) -> Result<TokenVerifier, ApiError> {
        let keys = self
            .secrets
            .signing_keys(&self.signing_key_secret_id)
            .await
            .map_err(ApiError::internal)?;
        TokenVerifier::new(&keys).map_err(ApiError::internal)
    }

    async fn sealer(&self) -> Result<Sealer, ApiError> {
        self.secrets
            .sealer(&self.data_key_secret_id)
            .await
            .map_err(ApiError::internal)
    }
}

/// What the auth handlers need.
#[derive(Clone)]
pub struct AuthState {
    /// The account use cases.
    pub accounts: Arc<AccountService>,
    /// Upstox linking.
    pub upstox: Arc<BrokerLinkService>,
    /// Signing and data keys.
    pub keys: Arc<KeyRing>,
    /// Counts logins and MFA challenges per source IP.
    pub limiter: Arc<dyn RateLimiter>,
    /// The time, for rate-limit windows.
    pub clock: Arc<dyn Clock>,
}

impl AuthState {
    /// Wires the real adapters.
    ///
    /// # Errors
    /// If the account service cannot start.
    pub fn from_aws(aws: &AwsClients, cfg: &AuthConfig) -> anyhow::Result<Self> {
        let table = Table::new(aws.dynamodb.clone(), &cfg.table_name);
        let limiter: Arc<dyn RateLimiter> = Arc::new(DynamoRateLimiter::new(table.clone()));
        let ids: Arc<dyn IdGen> = Arc::new(UlidIds::default());
        let audit = AuditTrail::new(
            Arc::new(SqsPublisher::new(aws.sqs.clone(), &cfg.audit_queue_url)),
            ids.clone(),
        );
        let secrets = || SecretsProvider::new(aws.secrets.clone(), KeyRing::TTL);
        let upstox = BrokerLinkService::new(
            Broker::Upstox,
            Arc::new(SecretBackedUpstox::new(
                secrets(),
                &cfg.upstox_app_secret_id,
                &cfg.upstox_base_url,
            )),
            Arc::new(DynamoBrokerLinks::new(table.clone())),
            audit.clone(),
            Arc::new(SystemClock),
        );
        let mut sessions: Arc<dyn SessionRepository> = Arc::new(DynamoSessionRepository::new(table.clone()));
        if let Some(url) = &cfg.stream_queue_url {
            sessions = Arc::new(PublishingSessions::new(
                sessions,
                Arc::new(SqsPublisher::new(aws.sqs.clone(), url)),
                ids.clone(),
                Arc::new(SystemClock),
            ));
        }
        let accounts = AccountService::new(
            Arc::new(DynamoUserRepository::new(table.clone())),
            sessions,
            audit,
            limiter.clone(),
            Arc::new(SystemClock),
            ids,
        );
        let keys = KeyRing::new(secrets(), &cfg.signing_key_secret_id, &cfg.data_key_secret_id);
        Ok(Self {
            accounts: Arc::new(accounts),
            upstox: Arc::new(upstox),
            keys: Arc::new(keys),
            limiter,
            clock: Arc::new(SystemClock),
        })
    }
}

/// The auth routes, with full API Gateway paths.
pub fn router(state: AuthState) -> Router {
    Router::new()
        .route("/v1/auth/register", post(handlers::register))
        .route("/v1/auth/login", post(handlers::login))
        .route("/v1/auth/refresh", post(handlers::refresh))
        .route("/v1/auth/logout", post(handlers::logout))
        .route("/v1/auth/me", get(handlers::me))
        .route("/v1/auth/mfa/challenge", post(mfa_handlers::challenge))
        .route("/v1/auth/mfa/setup", post(mfa_handlers::setup))
        .route("/v1/auth/mfa/enable", post(mfa_handlers::enable))
        .route("/v1/auth/mfa/disable", post(mfa_handlers::disable))
        .route("/v1/auth/mfa/backup-codes", post(mfa_handlers::backup_codes))
        .route(
            "/v1/auth/broker/upstox/authorize",
            get(broker_handlers::authorize),
        )
        .route("/v1/auth/broker/upstox/callback", get(broker_handlers::callback))
        .route("/v1/auth/broker/upstox", delete(broker_handlers::unlink))
        .with_state(state)
}
