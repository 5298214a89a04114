//! The API Gateway Lambda authorizer (HTTP API, payload 2.0, simple responses). It verifies the bearer access
//! token, checks that its session is live and its user enabled (so logout and disabling take effect on the
//! next request), and hands the principal, with the user's current roles, to the function as context. The
//! local gateway runs this same code.
//!
//! It never panics and never errors on any input: anything it cannot verify is simply not authorized.

use std::time::Duration;

use aws_lambda_events::event::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use http::HeaderMap;

use std::sync::Arc;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};

use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::secrets::{SecretsProvider, Stage};
use tradesense_domain::identity::cookies::{
    ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER, cookie_value, csrf_matches, needs_csrf,
};
use tradesense_domain::identity::ports::{SessionRepository, UserRepository};
use tradesense_domain::identity::rbac::Principal;
use tradesense_domain::identity::service::account::live_principal;
use tradesense_domain::identity::token::TokenVerifier;
use tradesense_domain::kernel::time::Clock;

/// How long signing keys are cached: a rotated key reaches every warm authorizer within this time even if no
/// token under it arrives.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(60);

/// How often a token under an unknown `kid` may make a warm authorizer re-read the keys: a token signed just
/// after a rotation verifies at once, and a flood of forged `kid`s costs Secrets Manager one call per interval.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// Longest `Authorization` header considered; longer is rejected unread.
const MAX_TOKEN_LEN: usize = 4096;

/// How many times the session and user are read before a request is denied for want of an answer: a
/// transient storage fault must not sign a valid user out (a deny is a 401, and clients drop the session).
pub const SESSION_CHECK_ATTEMPTS: u32 = 3;
/// The pause before the second attempt (doubled before the third).
const SESSION_CHECK_PAUSE: Duration = Duration::from_millis(50);

/// Configuration of the authorizer.
#[derive(Debug, Clone)]
pub struct AuthorizerConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// The secret holding the public verify keys (`VERIFY_KEYS_SECRET_ID`); never the private key.
    pub verify_keys_secret_id: String,
    /// The single table, for sessions and users (`TABLE_NAME`).
    pub table_name: String,
}

impl AuthorizerConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            verify_keys_secret_id: required(vars, "VERIFY_KEYS_SECRET_ID")?,
            table_name: required(vars, "TABLE_NAME")?,
        })
    }
}

/// What the authorizer looks at in a request.
#[derive(Debug)]
pub struct CallerRequest<'a> {
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Cookies as API Gateway lists them (payload 2.0); a `Cookie` header is read as well.
    pub cookies: &'a [String],
    /// The HTTP method.
    pub method: &'a str,
}

/// Why a request was not authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No credentials, or invalid ones, or a dead session.
    Unauthenticated,
    /// Cookie credentials on a state-changing request without the matching `X-CSRF-Token`.
    CsrfMismatch,
}

/// Verifies access tokens against the current and previous signing keys, and their sessions.
pub struct Authorizer {
    secrets: SecretsProvider,
    verify_keys_secret_id: String,
    key_refetch_interval: Duration,
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
}

/// The token in an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    if value.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

impl Authorizer {
    /// An authorizer reading public keys from `verify_keys_secret_id` through `secrets`, and sessions and
    /// users through the repositories.
    pub fn new(
        secrets: SecretsProvider,
        verify_keys_secret_id: impl Into<String>,
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            secrets,
            verify_keys_secret_id: verify_keys_secret_id.into(),
            key_refetch_interval: KEY_REFETCH_INTERVAL,
            users,
            sessions,
            clock,
        }
    }

    /// The same authorizer re-reading the keys for a token under an unknown `kid` at most once per
    /// `interval` (default [`KEY_REFETCH_INTERVAL`]).
    #[must_use]
    pub fn with_key_refetch_interval(mut self, interval: Duration) -> Self {
        self.key_refetch_interval = interval;
        self
    }

    /// The deployed wiring: keys cached for [`KEY_CACHE_TTL`], sessions and users in the table.
    pub fn from_aws(aws: &AwsClients, cfg: &AuthorizerConfig) -> Self {
        let table = Table::new(aws.dynamodb.clone(), &cfg.table_name);
        Self::new(
            SecretsProvider::new(aws.secrets.clone(), KEY_CACHE_TTL),
            &cfg.verify_keys_secret_id,
            Arc::new(DynamoUserRepository::new(table.clone())),
            Arc::new(DynamoSessionRepository::new(table)),
            Arc::new(SystemClock),
        )
    }

    /// Reads the verify keys into the cache (at most 1 s, best effort: a failure is logged and the first
    /// request reads them instead), so a cold start's first request does not wait on Secrets Manager. Called
    /// during init, where Lambda gives the whole CPU.
    pub async fn warm_up(&self) {
        let read = self.secrets.verify_keys(&self.verify_keys_secret_id);
        match tokio::time::timeout(Duration::from_secs(1), read).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = ?e, "verify keys not read during init"),
            Err(_) => tracing::warn!("verify keys not read during init: timed out"),
        }
    }

    /// The principal a request proves, or why not. A bearer token wins; otherwise the access cookie, and then
    /// a state-changing method must echo the CSRF cookie in `X-CSRF-Token`.
    ///
    /// # Errors
    /// [`Denial`] saying why.
    pub async fn authorize(&self, request: &CallerRequest<'_>) -> Result<Principal, Denial> {
        let token = match bearer_token(request.headers) {
            Some(token) => token,
            None => {
                let cookie_sources = || {
                    request.cookies.iter().map(String::as_str).chain(
                        request
                            .headers
                            .get_all(http::header::COOKIE)
                            .iter()
                            .filter_map(|v| v.to_str().ok()),
                    )
                };
                let token = cookie_value(cookie_sources(), ACCESS_COOKIE).ok_or(Denial::Unauthenticated)?;
                if needs_csrf(request.method) {
                    let header = request.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                    if !csrf_matches(header, cookie_value(cookie_sources(), CSRF_COOKIE)) {
                        return Err(Denial::CsrfMismatch);
                    }
                }
                token
            }
        };
        self.verify(token).await.ok_or(Denial::Unauthenticated)
    }

    /// A verifier over the verify keys, as cached.
    async fn verifier(&self) -> Option<TokenVerifier> {
        let keys = match self.secrets.verify_keys(&self.verify_keys_secret_id).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::error!(error = ?e, "verify keys unavailable; denying");
                return None;
            }
        };
        match TokenVerifier::new(&keys) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = ?e, "verify keys unusable; denying");
                None
            }
        }
    }

    async fn verify(&self, token: &str) -> Option<Principal> {
        // Boxed: the key reads nest deep enough to overflow the compiler's layout query depth in `main`.
        let mut verifier = Box::pin(self.verifier()).await?;
        if verifier.names_unknown_key(token)
            && self.secrets.expire_if_older_than(
                &self.verify_keys_secret_id,
                Stage::Current,
                self.key_refetch_interval,
            )
        {
            tracing::info!("token under an unknown kid; re-reading the verify keys");
            verifier = Box::pin(self.verifier()).await?;
        }
        let claimed = verifier.verify(token).ok()?;
        let mut pause = SESSION_CHECK_PAUSE;
        for attempt in 1..=SESSION_CHECK_ATTEMPTS {
            match live_principal(
                self.users.as_ref(),
                self.sessions.as_ref(),
                &claimed,
                self.clock.now(),
            )
            .await
            {
                Ok(live) => return live,
                Err(e) if attempt < SESSION_CHECK_ATTEMPTS => {
                    tracing::warn!(error = ?e, attempt, "session check failed; trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => tracing::error!(error = ?e, "session check failed on every attempt; denying"),
            }
        }
        None
    }

    /// Answers API Gateway: authorized with `{user_id, roles, session_id}` as context, or not authorized.
    pub async fn handle(
        &self,
        request: &ApiGatewayV2CustomAuthorizerV2Request,
    ) -> ApiGatewayV2CustomAuthorizerSimpleResponse {
        let method = request.request_context.http.method.as_str();
        let caller = CallerRequest {
            headers: &request.headers,
            cookies: &request.cookies,
            method,
        };
        let principal = self.authorize(&caller).await.ok();
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        match principal {
            Some(p) => {
                tracing::info!(user_id = %p.user_id, session_id = %p.session_id, "authorized");
                response.is_authorized = true;
                response.context = serde_json::Value::Object(p.to_context());
            }
            None => {
                tracing::info!(
                    route = request.route_key.as_deref().unwrap_or(""),
                    "not authorized"
                );
                response.is_authorized = false;
                response.context = serde_json::Value::Object(serde_json::Map::new());
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn extracts_only_well_formed_bearer_tokens() {
        assert_eq!(bearer_token(&headers("Bearer abc.def.ghi")), Some("abc.def.ghi"));
        assert_eq!(bearer_token(&headers("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(
            bearer_token(&headers(&format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN)))),
            None
        );
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
