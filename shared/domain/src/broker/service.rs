//! Linking a broker account: the OAuth authorization-code flow with a signed `state`, and the access token
//! stored sealed.

use std::sync::Arc;

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::broker::link::{Broker, BrokerAuthError, BrokerLink, token_context, upstox_token_expiry};
use crate::broker::ports::{BrokerAuthorization, BrokerLinkRepository};
use crate::identity::rbac::Principal;
use crate::identity::sealed::Sealer;
use crate::identity::token::{LinkStateClaims, TokenError, TokenSigner, TokenVerifier};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::time::Clock;

/// Why a link could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The `state` is forged, expired or not ours.
    #[error("invalid or expired state")]
    InvalidState,
    /// The broker refused the code.
    #[error("the broker refused the authorization: {0}")]
    Rejected(String),
    /// The broker is down; try again.
    #[error("the broker is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Storage or signing failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(LinkError);

impl From<BrokerAuthError> for LinkError {
    fn from(e: BrokerAuthError) -> Self {
        match e {
            BrokerAuthError::Rejected(message) => LinkError::Rejected(message),
            BrokerAuthError::Unavailable(cause) => LinkError::Unavailable(cause),
        }
    }
}

impl From<TokenError> for LinkError {
    fn from(e: TokenError) -> Self {
        LinkError::Unexpected(e.into())
    }
}

/// The broker-link use cases for one broker.
pub struct BrokerLinkService {
    broker: Broker,
    authorization: Arc<dyn BrokerAuthorization>,
    links: Arc<dyn BrokerLinkRepository>,
    audit: AuditTrail,
    clock: Arc<dyn Clock>,
}

impl BrokerLinkService {
    /// Links to `broker` through its authorization port.
    pub fn new(
        broker: Broker,
        authorization: Arc<dyn BrokerAuthorization>,
        links: Arc<dyn BrokerLinkRepository>,
        audit: AuditTrail,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            broker,
            authorization,
            links,
            audit,
            clock,
        }
    }

    /// The broker's login URL, carrying a signed `state` for the caller.
    ///
    /// # Errors
    /// If the state cannot be signed or the broker app is not configured.
    pub async fn authorize_url(
        &self,
        signer: &TokenSigner,
        principal: &Principal,
    ) -> Result<String, LinkError> {
        let state = signer.sign(&LinkStateClaims::new(principal.user_id, self.clock.now()))?;
        self.authorization
            .authorize_url(&state)
            .await
            .map_err(LinkError::from)
    }

    /// Finishes the broker's redirect: checks `state`, exchanges `code`, stores the token sealed.
    ///
    /// # Errors
    /// See [`LinkError`].
    pub async fn complete(
        &self,
        verifier: &TokenVerifier,
        sealer: &Sealer,
        state: &str,
        code: &str,
    ) -> Result<BrokerLink, LinkError> {
        let user_id = verifier
            .verify_link_state(state)
            .map_err(|_| LinkError::InvalidState)?;
        let grant = self.authorization.exchange_code(code).await?;
        let now = self.clock.now();
        let link = BrokerLink {
            user_id,
            broker: self.broker,
            sealed_access_token: sealer.seal(
                grant.access_token.0.as_bytes(),
                &token_context(&user_id, self.broker),
            ),
            broker_user_id: grant.broker_user_id,
            linked_at: now,
            expires_at: upstox_token_expiry(now),
        };
        self.links.put(&link).await?;
        let detail =
            json!({"broker": self.broker, "action": "linked", "broker_user_id": link.broker_user_id});
        self.audit
            .record(AuditKind::BrokerLinkChanged, Some(user_id), now, detail)
            .await;
        Ok(link)
    }

    /// The caller's link, if any (live or expired).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn link_of(&self, user: &UserId) -> Result<Option<BrokerLink>, RepoError> {
        self.links.get(user, self.broker).await
    }

    /// Removes the caller's link and its token. Unlinking nothing is not an error.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn unlink(&self, principal: &Principal) -> Result<(), RepoError> {
        if self.links.delete(&principal.user_id, self.broker).await? {
            let detail = json!({"broker": self.broker, "action": "unlinked"});
            let now = self.clock.now();
            self.audit
                .record(AuditKind::BrokerLinkChanged, Some(principal.user_id), now, detail)
                .await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEvent;
    use crate::identity::rbac::Role;
    use crate::identity::sealed::DataKey;
    use crate::identity::token::SigningKeyMaterial;
    use crate::kernel::ids::SessionId;
    use crate::testing::{FixedClock, InMemoryBrokerLinks, RecordingPublisher, ScriptedBroker, audit_trail};
    use chrono::{Duration, Utc};

    struct World {
        service: BrokerLinkService,
        links: Arc<InMemoryBrokerLinks>,
        audit: Arc<RecordingPublisher>,
        key: SigningKeyMaterial,
        sealer: Sealer,
    }

    fn world() -> World {
        let links = Arc::new(InMemoryBrokerLinks::default());
        let audit = Arc::new(RecordingPublisher::default());
        let service = BrokerLinkService::new(
            Broker::Upstox,
            Arc::new(ScriptedBroker),
            links.clone(),
            audit_trail(audit.clone()),
            Arc::new(FixedClock(Utc::now())),
        );
        World {
            service,
            links,
            audit,
            key: SigningKeyMaterial::generate("k1"),
            sealer: Sealer::new(DataKey::from_secret(&"d".repeat(64)).unwrap(), None),
        }
    }

    fn principal() -> Principal {
        Principal {
            user_id: UserId::from_ulid(ulid::Ulid::new()),
            roles: vec![Role::Trader],
            session_id: SessionId::from_ulid(ulid::Ulid::new()),
        }
    }

    impl World {
        async fn state_for(&self, p: &Principal) -> String {
            let signer = TokenSigner::new(&self.key).unwrap();
            let url = self.service.authorize_url(&signer, p).await.unwrap();
            url.split_once("state=").unwrap().1.to_owned()
        }

        async fn complete(&self, state: &str, code: &str) -> Result<BrokerLink, LinkError> {
            let verifier = TokenVerifier::new([&self.key]).unwrap();
            self.service.complete(&verifier, &self.sealer, state, code).await
        }
    }

    #[tokio::test]
    async fn a_valid_state_and_code_link_the_user_with_the_token_sealed() {
        let w = world();
        let p = principal();
        let link = w.complete(&w.state_for(&p).await, "good-code").await.unwrap();
        assert_eq!(
            (link.user_id, link.broker_user_id.as_str()),
            (p.user_id, "AB1234")
        );
        assert!(!link.sealed_access_token.contains("token-for-good-code"));
        let opened = w
            .sealer
            .open(
                &link.sealed_access_token,
                &token_context(&p.user_id, Broker::Upstox),
            )
            .unwrap();
        assert_eq!(opened, b"token-for-good-code");
        assert_eq!(w.service.link_of(&p.user_id).await.unwrap(), Some(link.clone()));
        assert!(link.is_live(link.linked_at) && !link.is_live(link.expires_at));
        let event = w.audit.published()[0].open::<AuditEvent>().unwrap();
        assert_eq!(
            (event.kind, event.user_id),
            (AuditKind::BrokerLinkChanged, Some(p.user_id))
        );
        assert_eq!(event.detail["action"], "linked");
    }

    #[tokio::test]
    async fn forged_expired_or_foreign_states_link_nothing() {
        let w = world();
        let p = principal();
        let other_key = SigningKeyMaterial::generate("k1");
        let forged = TokenSigner::new(&other_key)
            .unwrap()
            .sign(&LinkStateClaims::new(p.user_id, Utc::now()))
            .unwrap();
        let expired = TokenSigner::new(&w.key)
            .unwrap()
            .sign(&LinkStateClaims::new(
                p.user_id,
                Utc::now() - Duration::minutes(11),
            ))
            .unwrap();
        let access_token = TokenSigner::new(&w.key)
            .unwrap()
            .sign(&crate::identity::token::AccessClaims::new(
                p.user_id,
                p.session_id,
                vec![],
                Utc::now(),
            ))
            .unwrap();
        for state in ["", "garbage", &forged, &expired, &access_token] {
            assert!(matches!(
                w.complete(state, "good-code").await,
                Err(LinkError::InvalidState)
            ));
        }
        assert_eq!(w.links.get(&p.user_id, Broker::Upstox).await.unwrap(), None);
    }

    #[tokio::test]
    async fn broker_refusals_and_outages_are_told_apart_and_store_nothing() {
        let w = world();
        let p = principal();
        let state = w.state_for(&p).await;
        assert!(
            matches!(w.complete(&state, "used-code").await, Err(LinkError::Rejected(m)) if m == "Invalid Auth code")
        );
        assert!(matches!(
            w.complete(&state, "down").await,
            Err(LinkError::Unavailable(_))
        ));
        assert_eq!(w.service.link_of(&p.user_id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn unlink_deletes_the_link_and_is_idempotent() {
        let w = world();
        let p = principal();
        w.complete(&w.state_for(&p).await, "good-code").await.unwrap();
        w.service.unlink(&p).await.unwrap();
        w.service.unlink(&p).await.unwrap();
        assert_eq!(w.service.link_of(&p.user_id).await.unwrap(), None);
        assert_eq!(w.audit.published().len(), 2, "linked, unlinked once");
    }
}
