//! Upstox's login API (<https://upstox.com/developer/api-documentation/authentication>): the authorization
//! dialog URL and the code-for-token exchange, `POST /v2/login/authorization/token` (form-encoded). The
//! exchange is never retried: a code is single use. [`SecretBackedUpstox`] reads the app's registration from
//! Secrets Manager on first use, so a missing registration fails broker linking only, never logins.

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::OnceCell;
use tradesense_domain::broker::link::{BrokerAccessToken, BrokerAuthError, BrokerGrant};
use tradesense_domain::broker::ports::BrokerAuthorization;

use crate::secrets::{SecretsProvider, Stage};

/// Upstox's production API host.
pub const DEFAULT_BASE_URL: &str = "https://api.upstox.com";
/// How long one call to Upstox may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Our app's registration at Upstox, as stored in the Upstox app secret (JSON).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstoxApp {
    /// The app's API key.
    pub client_id: String,
    /// The app's API secret.
    pub client_secret: String,
    /// The redirect URL registered with the app (our callback route).
    pub redirect_uri: String,
}

impl std::fmt::Debug for UpstoxApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstoxApp")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// The token response's fields we use (Upstox sends more: email, exchanges, products, …).
#[derive(Deserialize)]
struct TokenResponse {
    user_id: String,
    access_token: String,
}

/// [`BrokerAuthorization`] for Upstox.
#[derive(Debug, Clone)]
pub struct UpstoxAuthClient {
    http: reqwest::Client,
    base_url: String,
    app: UpstoxApp,
}

impl UpstoxAuthClient {
    /// A client for `app` against `base_url` (normally [`DEFAULT_BASE_URL`]).
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(base_url: &str, app: UpstoxApp) -> anyhow::Result<Self> {
        let http = super::http_client(TIMEOUT)?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            app,
        })
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl BrokerAuthorization for UpstoxAuthClient {
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError> {
        Ok(format!(
            "{}/v2/login/authorization/dialog?response_type=code&client_id={}&redirect_uri={}&state={}",
            self.base_url,
            encode(&self.app.client_id),
            encode(&self.app.redirect_uri),
            encode(state)
        ))
    }

    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError> {
        let form = [
            ("code", code),
            ("client_id", &self.app.client_id),
            ("client_secret", &self.app.client_secret),
            ("redirect_uri", &self.app.redirect_uri),
            ("grant_type", "authorization_code"),
        ];
        let response = self
            .http
            .post(format!("{}/v2/login/authorization/token", self.base_url))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| BrokerAuthError::Unavailable(anyhow::Error::new(e).context("Upstox token call")))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| BrokerAuthError::Unavailable(anyhow::Error::new(e).context("Upstox token body")))?;
        if status.is_success() {
            let token: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
                BrokerAuthError::Unavailable(
                    anyhow::Error::new(e).context("Upstox token response not understood"),
                )
            })?;
            return Ok(BrokerGrant {
                broker_user_id: token.user_id,
                access_token: BrokerAccessToken(token.access_token),
            });
        }
        if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
            let message = super::error_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
            return Err(BrokerAuthError::Rejected(message));
        }
        Err(BrokerAuthError::Unavailable(anyhow::anyhow!(
            "Upstox token call answered HTTP {status}"
        )))
    }
}

/// An [`UpstoxAuthClient`] built on first use from the app registration held in a Secrets Manager secret
/// (JSON [`UpstoxApp`]).
#[derive(Debug)]
pub struct SecretBackedUpstox {
    secrets: SecretsProvider,
    secret_id: String,
    base_url: String,
    client: OnceCell<UpstoxAuthClient>,
}

impl SecretBackedUpstox {
    /// Reads the registration from `secret_id` when first needed; talks to `base_url`.
    pub fn new(secrets: SecretsProvider, secret_id: &str, base_url: &str) -> Self {
        Self {
            secrets,
            secret_id: secret_id.to_owned(),
            base_url: base_url.to_owned(),
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&UpstoxAuthClient, BrokerAuthError> {
        self.client
            .get_or_try_init(|| async {
                let value = self
                    .secrets
                    .get(&self.secret_id, Stage::Current)
                    .await?
                    .context("Upstox app secret has no value")?;
                let app: UpstoxApp = serde_json::from_str(secrecy::ExposeSecret::expose_secret(&value))
                    .context("Upstox app secret is not {client_id, client_secret, redirect_uri}")?;
                UpstoxAuthClient::new(&self.base_url, app)
            })
            .await
            .map_err(BrokerAuthError::Unavailable)
    }
}

#[async_trait]
impl BrokerAuthorization for SecretBackedUpstox {
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError> {
        self.client().await?.authorize_url(state).await
    }

    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError> {
        self.client().await?.exchange_code(code).await
    }
}
