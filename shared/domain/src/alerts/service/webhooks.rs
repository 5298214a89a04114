//! A trader's webhook endpoints: register (the key shown once), list, delete, send a test message now, and
//! rotate the key (the old one keeps signing for a day). Webhook times are real (wall-clock) times.

use chrono::{DateTime, Utc};

use crate::alerts::service::AlertService;
use crate::alerts::webhook::{
    MAX_WEBHOOKS, SendOutcome, StoredSecret, TEST_RATE, WebhookEndpoint, WebhookMessage, WebhookSecret,
    check_description, parse_url, secret_context,
};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{UserId, WebhookId};
use crate::kernel::rate_limit::RateDecision;
use crate::kernel::validation::Violation;

/// A registered (or rotated) endpoint and its new key, shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The new key.
    pub secret: WebhookSecret,
}

/// How a test message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The `webhook-id` it was sent with.
    pub message_id: String,
    /// What happened.
    pub outcome: SendOutcome,
}

/// Why a webhook use case refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The request breaks the rules.
    #[error("invalid webhook")]
    Invalid(Vec<Violation>),
    /// No such endpoint of the caller's.
    #[error("no such webhook")]
    NotFound,
    /// The account has [`MAX_WEBHOOKS`] endpoints.
    #[error("at most {MAX_WEBHOOKS} webhook endpoints per account")]
    LimitReached,
    /// The endpoint changed while this request ran.
    #[error("the webhook changed meanwhile; retry")]
    Changed,
    /// Too many test messages this minute.
    #[error("at most {} test messages a minute", TEST_RATE.limit)]
    RateLimited(RateDecision),
    /// Storage or the data key failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(WebhookError);

impl AlertService {
    async fn new_secret(
        &self,
        user: &UserId,
        id: &WebhookId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(WebhookSecret, StoredSecret)> {
        let secret = WebhookSecret::generate();
        let sealed = self.ctx.sealer.seal(&secret.0, &secret_context(user, id)).await?;
        Ok((
            secret,
            StoredSecret {
                sealed,
                created_at: now,
                retires_at: None,
            },
        ))
    }

    /// The keys `endpoint` signs with at `now`, opened.
    ///
    /// # Errors
    /// If the data key cannot be read or a key does not open.
    pub(super) async fn signing_keys(
        &self,
        endpoint: &WebhookEndpoint,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<WebhookSecret>> {
        let context = secret_context(&endpoint.user_id, &endpoint.id);
        let mut keys = Vec::new();
        for stored in endpoint.live_secrets(now) {
            keys.push(WebhookSecret(
                self.ctx.sealer.open(&stored.sealed, &context).await?,
            ));
        }
        Ok(keys)
    }

    /// Registers an endpoint at `url` for `user` (at most [`MAX_WEBHOOKS`]).
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn create_webhook(
        &self,
        user: UserId,
        url: &str,
        description: Option<String>,
    ) -> Result<CreatedWebhook, WebhookError> {
        let mut violations = Vec::new();
        let url = parse_url(url, self.ctx.url_policy)
            .map_err(|reason| violations.push(Violation::new("url", reason)))
            .ok();
        if let Err(v) = check_description(description.as_deref()) {
            violations.push(v);
        }
        let Some(url) = url.filter(|_| violations.is_empty()) else {
            return Err(WebhookError::Invalid(violations));
        };
        let now = self.ctx.wall_clock.now();
        let id: WebhookId = self.ctx.ids.next();
        let (secret, stored) = self.new_secret(&user, &id, now).await?;
        let endpoint = WebhookEndpoint {
            id,
            user_id: user,
            url: url.to_string(),
            description,
            created_at: now,
            secrets: vec![stored],
            version: 1,
        };
        match self.ctx.webhooks.create(&endpoint, MAX_WEBHOOKS).await {
            Ok(()) => Ok(CreatedWebhook { endpoint, secret }),
            Err(RepoError::Conflict) => Err(WebhookError::LimitReached),
            Err(e) => Err(e.into()),
        }
    }

    /// `user`'s endpoints, oldest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn webhooks(&self, user: &UserId) -> Result<Vec<WebhookEndpoint>, WebhookError> {
        Ok(self.ctx.webhooks.list(user).await?)
    }

    /// Deletes one of `user`'s endpoints (alerts naming it fail their webhook delivery from then on).
    ///
    /// # Errors
    /// [`WebhookError::NotFound`].
    pub async fn delete_webhook(&self, user: &UserId, id: &WebhookId) -> Result<(), WebhookError> {
        if self.ctx.webhooks.delete(user, id).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound)
        }
    }

    /// Gives one of `user`'s endpoints a new key; the replaced one keeps signing beside it for a day.
    ///
    /// # Errors
    /// [`WebhookError`].
    pub async fn rotate_webhook(
        &self,
        user: &UserId,
        id: &WebhookId,
    ) -> Result<CreatedWebhook, WebhookError> {
        let endpoint = self
            .ctx
            .webhooks
            .get(user, id)
            .await?
            .ok_or(WebhookError::NotFound)?;
        let now = self.ctx.wall_clock.now();
        let (secret, stored) = self.new_secret(user, id, now).await?;
        let rotated = endpoint.rotated(stored.sealed, now);
        match self.ctx.webhooks.update(&rotated).await {
            Ok(()) => Ok(CreatedWebhook {
                endpoint: rotated,
                secret,
            }),
            Err(RepoError::Conflict) => Err(WebhookError::Changed),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends a `webhook.test` message to one of `user`'s endpoints now, once, and says how it went. Every
    /// call counts against [`TEST_RATE`], found or not.
    ///
    /// # Errors
    /// [`WebhookError::RateLimited`], [`WebhookError::NotFound`], or the data key failing.
    pub async fn test_webhook(&self, user: &UserId, id: &WebhookId) -> Result<TestResult, WebhookError> {
        let decision = self
            .ctx
            .limiter
            .hit(
                &format!("webhook-test:{user}"),
                TEST_RATE,
                self.ctx.wall_clock.now(),
            )
            .await?;
        if !decision.allowed {
            return Err(WebhookError::RateLimited(decision));
        }
        let endpoint = self
            .ctx
            .webhooks
            .get(user, id)
            .await?
            .ok_or(WebhookError::NotFound)?;
        let now = self.ctx.wall_clock.now();
        let key: crate::kernel::ids::EventId = self.ctx.ids.next();
        let message = WebhookMessage::new(
            &key.to_string(),
            "webhook.test",
            now,
            &serde_json::json!({"webhook_id": endpoint.id, "message": "A test message from TradeSense."}),
        );
        let keys = self.signing_keys(&endpoint, now).await?;
        let outcome = self
            .ctx
            .transport
            .send(&endpoint.url, &message.sign(&keys, now))
            .await;
        Ok(TestResult {
            message_id: message.id,
            outcome,
        })
    }
}
