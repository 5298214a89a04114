//! Users' broker access tokens, unsealed for one call: the [`BrokerTokens`] port over the stored broker links
//! (which hold each token sealed, bound to its user and broker) and the data key in Secrets Manager. The
//! plaintext token lives only in the returned [`BrokerAccessToken`], which never prints; nothing here logs it.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tradesense_domain::broker::link::{Broker, BrokerAccessToken, token_context};
use tradesense_domain::broker::ports::{BrokerLinkRepository, BrokerTokens};
use tradesense_domain::kernel::ids::UserId;

use crate::secrets::SecretsProvider;

/// [`BrokerTokens`] that open the sealed token of the user's stored [`BrokerLinkRepository`] link with the
/// data-key [`Sealer`](tradesense_domain::identity::sealed::Sealer) (AWSCURRENT, or AWSPREVIOUS across a rotation).
pub struct SealedBrokerTokens {
    links: Arc<dyn BrokerLinkRepository>,
    secrets: SecretsProvider,
    data_key_secret_id: String,
}

impl SealedBrokerTokens {
    /// Tokens of the links in `links`, opened with the data key held in the secret `data_key_secret_id`.
    pub fn new(
        links: Arc<dyn BrokerLinkRepository>,
        secrets: SecretsProvider,
        data_key_secret_id: &str,
    ) -> Self {
        Self {
            links,
            secrets,
            data_key_secret_id: data_key_secret_id.to_owned(),
        }
    }
}

impl std::fmt::Debug for SealedBrokerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedBrokerTokens")
            .field("data_key_secret_id", &self.data_key_secret_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl BrokerTokens for SealedBrokerTokens {
    /// `None` when `user` has no link to `broker` or its token has expired at `now`; otherwise the token,
    /// opened for [`token_context`]`(user, broker)`.
    ///
    /// # Errors
    /// When the link or the data key cannot be read, or the sealed token does not open for this user and
    /// broker (altered, sealed for someone else, or under an unknown key).
    async fn token(
        &self,
        user: &UserId,
        broker: Broker,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<BrokerAccessToken>> {
        let Some(link) = self
            .links
            .get(user, broker)
            .await
            .with_context(|| format!("read {} link of {user}", broker.as_str()))?
        else {
            return Ok(None);
        };
        if !link.is_live(now) {
            return Ok(None);
        }
        let sealer = self
            .secrets
            .sealer(&self.data_key_secret_id)
            .await
            .context("load the data key")?;
        let plaintext = sealer
            .open(&link.sealed_access_token, &token_context(user, broker))
            .map_err(anyhow::Error::new)
            .with_context(|| format!("open the {} token of {user}", broker.as_str()))?;
        // The error names no bytes of the token.
        let token = String::from_utf8(plaintext)
            .map_err(|_| anyhow::anyhow!("the {} token of {user} is not UTF-8", broker.as_str()))?;
        Ok(Some(BrokerAccessToken(token)))
    }
}
