//! What the broker area needs from the world: the broker's OAuth flow, stored links, the live broker's
//! account and order API, each account's trading mode, users' broker tokens and the broker's instrument list.
//! Each trait says what an implementation MUST do.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::broker::link::{Broker, BrokerAccessToken, BrokerAuthError, BrokerGrant, BrokerLink};
use crate::broker::live::{
    BrokerKeyMap, LiveBrokerError, LiveFunds, LiveHolding, LiveOrder, LivePosition, ModifyLiveOrder,
    PlaceLiveOrder, TradingMode,
};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

/// Stores broker links, one per user and broker.
///
/// Implementations MUST keep the access token only in its sealed form.
#[async_trait]
pub trait BrokerLinkRepository: Send + Sync {
    /// Stores `link`, replacing an earlier link of the same user and broker.
    ///
    /// # Errors
    /// Any storage failure.
    async fn put(&self, link: &BrokerLink) -> Result<(), RepoError>;

    /// The user's link to `broker`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, user: &UserId, broker: Broker) -> Result<Option<BrokerLink>, RepoError>;

    /// Deletes the user's link to `broker`; `true` if there was one.
    ///
    /// # Errors
    /// Any storage failure.
    async fn delete(&self, user: &UserId, broker: Broker) -> Result<bool, RepoError>;
}

/// A broker's OAuth authorization-code flow.
///
/// Implementations MUST NOT retry [`exchange_code`](BrokerAuthorization::exchange_code) (a code is single
/// use) and MUST bound it in time.
#[async_trait]
pub trait BrokerAuthorization: Send + Sync {
    /// The broker's login page for our app, carrying `state` back to the callback.
    ///
    /// # Errors
    /// [`BrokerAuthError::Unavailable`] when the app's registration cannot be read.
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError>;

    /// Exchanges an authorization code for an access token.
    ///
    /// # Errors
    /// [`BrokerAuthError::Rejected`] when the broker refuses; [`BrokerAuthError::Unavailable`] otherwise.
    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError>;
}

/// A user's account at a broker. One implementation serves every user: each call carries the user's token.
///
/// Implementations MUST:
/// - bound every call in time;
/// - never retry `place_order`, `modify_order` or `cancel_order` (a repeated request could trade twice);
///   the reads may be retried;
/// - send [`PlaceLiveOrder::client_order_id`] as the order's tag;
/// - answer a refusal with the broker's message as [`LiveBrokerError::Rejected`], a refused token (HTTP
///   401/403) as [`LiveBrokerError::Unauthorized`], and anything else that goes wrong as
///   [`LiveBrokerError::Unavailable`]; never panic on what the broker sends;
/// - read order statuses by one table that never reads an unknown status as final (Upstox:
///   `tradesense_adapters::upstox::status`);
/// - never log the token.
///
/// After [`LiveBrokerError::Unavailable`] from `place_order`, callers look for the order's tag in
/// `order_book` before placing it again.
#[async_trait]
pub trait LiveBroker: Send + Sync {
    /// Places `order`; returns the broker's order id.
    async fn place_order(
        &self,
        token: &BrokerAccessToken,
        order: &PlaceLiveOrder,
    ) -> Result<String, LiveBrokerError>;

    /// Changes a working order.
    async fn modify_order(
        &self,
        token: &BrokerAccessToken,
        change: &ModifyLiveOrder,
    ) -> Result<(), LiveBrokerError>;

    /// Cancels a working order.
    async fn cancel_order(
        &self,
        token: &BrokerAccessToken,
        broker_order_id: &str,
    ) -> Result<(), LiveBrokerError>;

    /// All of today's orders, whoever placed them.
    async fn order_book(&self, token: &BrokerAccessToken) -> Result<Vec<LiveOrder>, LiveBrokerError>;

    /// Today's positions.
    async fn positions(&self, token: &BrokerAccessToken) -> Result<Vec<LivePosition>, LiveBrokerError>;

    /// Long-term holdings.
    async fn holdings(&self, token: &BrokerAccessToken) -> Result<Vec<LiveHolding>, LiveBrokerError>;

    /// The equity segment's funds and margin.
    async fn funds(&self, token: &BrokerAccessToken) -> Result<LiveFunds, LiveBrokerError>;
}

/// Each account's [`TradingMode`].
#[async_trait]
pub trait TradingModes: Send + Sync {
    /// `user`'s mode; [`TradingMode::Paper`] until they switch.
    ///
    /// # Errors
    /// Storage failures.
    async fn mode(&self, user: &UserId) -> Result<TradingMode, RepoError>;

    /// Sets `user`'s mode.
    ///
    /// # Errors
    /// Storage failures.
    async fn set_mode(&self, user: &UserId, mode: TradingMode) -> Result<(), RepoError>;
}

/// Users' broker access tokens, unsealed for one call.
#[async_trait]
pub trait BrokerTokens: Send + Sync {
    /// `user`'s access token at `broker`, when linked and not expired at `now`.
    ///
    /// # Errors
    /// Storage or key failures (never "not linked", which is `None`).
    async fn token(
        &self,
        user: &UserId,
        broker: Broker,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<BrokerAccessToken>>;
}

/// The broker's instrument list, as a [`BrokerKeyMap`].
#[async_trait]
pub trait BrokerInstruments: Send + Sync {
    /// The current map (implementations cache it; brokers publish theirs once a day).
    ///
    /// # Errors
    /// [`LiveBrokerError::Unavailable`] when the list cannot be fetched or read.
    async fn key_map(&self) -> Result<Arc<BrokerKeyMap>, LiveBrokerError>;
}
