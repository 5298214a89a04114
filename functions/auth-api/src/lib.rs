//! The auth API: `POST /v1/auth/register`, `POST /v1/auth/login`, `POST /v1/auth/refresh` (public) and
//! `POST /v1/auth/logout`, `GET /v1/auth/me` (authenticated).

mod dto;
mod errors;
mod handlers;
pub mod openapi;
mod session_response;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, optional, required};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::rate_limits::DynamoRateLimiter;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_adapters::sqs::SqsPublisher;
use tradesense_domain::account::AccountService;
use tradesense_domain::ports::{Clock, RateLimiter};
use tradesense_domain::token::TokenSigner;
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
    /// Where audit events go (`AUDIT_QUEUE_URL`).
    pub audit_queue_url: String,
}

impl AuthConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let cors = optional(vars, "CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_cors_origins(&cors).map_err(|reason| ConfigError::Invalid {
                key: "CORS_ALLOWED_ORIGINS".into(),
                reason,
            })?,
            table_name: required(vars, "TABLE_NAME")?,
            signing_key_secret_id: required(vars, "SIGNING_KEY_SECRET_ID")?,
            audit_queue_url: required(vars, "AUDIT_QUEUE_URL")?,
        })
    }
}

/// Where the auth function gets its signing key: the AWSCURRENT version of the signing-key secret, cached.
#[derive(Debug)]
pub struct SigningKeySource {
    secrets: SecretsProvider,
    secret_id: String,
}

impl SigningKeySource {
    /// How long the key is cached: a rotation is picked up within this time.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(60);

    /// Reads `secret_id` through `secrets`.
    pub fn new(secrets: SecretsProvider, secret_id: impl Into<String>) -> Self {
        Self {
            secrets,
            secret_id: secret_id.into(),
        }
    }

    async fn signer(&self) -> Result<TokenSigner, ApiError> {
        let keys = self
            .secrets
            .signing_keys(&self.secret_id)
            .await
            .map_err(ApiError::internal)?;
        let current = keys
            .first()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no signing key")))?;
        TokenSigner::new(current).map_err(ApiError::internal)
    }
}

/// What the auth handlers need.
#[derive(Clone)]
pub struct AuthState {
    /// The account use cases.
    pub accounts: Arc<AccountService>,
    /// The signing key.
    pub keys: Arc<SigningKeySource>,
    /// Counts logins per source IP.
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
        let accounts = AccountService::new(
            Arc::new(DynamoUserRepository::new(table.clone())),
            Arc::new(DynamoSessionRepository::new(table.clone())),
            Arc::new(SqsPublisher::new(aws.sqs.clone(), &cfg.audit_queue_url)),
            Arc::new(SystemClock),
        )?;
        let keys = SigningKeySource::new(
            SecretsProvider::new(aws.secrets.clone(), SigningKeySource::TTL),
            &cfg.signing_key_secret_id,
        );
        Ok(Self {
            accounts: Arc::new(accounts),
            keys: Arc::new(keys),
            limiter: Arc::new(DynamoRateLimiter::new(table)),
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
        .with_state(state)
}
