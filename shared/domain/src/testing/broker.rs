//! Fakes of the broker area's ports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::broker::link::{Broker, BrokerAccessToken, BrokerAuthError, BrokerGrant, BrokerLink};
use crate::broker::live::{
    BrokerKeyMap, LiveBrokerError, LiveFunds, LiveHolding, LiveOrder, LivePosition, ModifyLiveOrder,
    PlaceLiveOrder, TradingMode,
};
use crate::broker::ports::{
    BrokerAuthorization, BrokerInstruments, BrokerLinkRepository, BrokerTokens, LiveBroker, TradingModes,
};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

/// A [`BrokerLinkRepository`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryBrokerLinks {
    links: Mutex<HashMap<(UserId, Broker), BrokerLink>>,
}

#[async_trait]
impl BrokerLinkRepository for InMemoryBrokerLinks {
    async fn put(&self, link: &BrokerLink) -> Result<(), RepoError> {
        let mut links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        links.insert((link.user_id, link.broker), link.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, broker: Broker) -> Result<Option<BrokerLink>, RepoError> {
        let links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(links.get(&(*user, broker)).cloned())
    }

    async fn delete(&self, user: &UserId, broker: Broker) -> Result<bool, RepoError> {
        let mut links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(links.remove(&(*user, broker)).is_some())
    }
}

/// A broker that accepts exactly one code, `good-code`, granting `token-for-good-code`; `down` makes it
/// unavailable.
#[derive(Debug, Default)]
pub struct ScriptedBroker;

#[async_trait]
impl BrokerAuthorization for ScriptedBroker {
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError> {
        Ok(format!("https://broker.test/login?state={state}"))
    }

    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError> {
        match code {
            "good-code" => Ok(BrokerGrant {
                broker_user_id: "AB1234".into(),
                access_token: BrokerAccessToken("token-for-good-code".into()),
            }),
            "down" => Err(BrokerAuthError::Unavailable(anyhow::anyhow!("503"))),
            _ => Err(BrokerAuthError::Rejected("Invalid Auth code".into())),
        }
    }
}

/// A [`LiveBroker`] that records what it is asked and answers as scripted: placements get ids `B1`, `B2`…
/// unless a refusal or silence is scripted; the order book, positions, holdings and funds are what the test
/// set.
#[derive(Debug, Default)]
pub struct FakeLiveBroker {
    state: Mutex<LiveBrokerState>,
}

#[derive(Debug, Default)]
struct LiveBrokerState {
    placed: Vec<PlaceLiveOrder>,
    modified: Vec<ModifyLiveOrder>,
    cancelled: Vec<String>,
    next_answer: Option<LiveBrokerError>,
    book: Vec<LiveOrder>,
    positions: Vec<LivePosition>,
    holdings: Vec<LiveHolding>,
    funds: Option<LiveFunds>,
}

impl FakeLiveBroker {
    fn state(&self) -> Result<std::sync::MutexGuard<'_, LiveBrokerState>, LiveBrokerError> {
        self.state
            .lock()
            .map_err(|_| LiveBrokerError::Unavailable("poisoned".into()))
    }

    /// The next place, modify or cancel fails with `error`.
    pub fn fail_next(&self, error: LiveBrokerError) {
        if let Ok(mut s) = self.state.lock() {
            s.next_answer = Some(error);
        }
    }

    /// The order book from now on.
    pub fn set_book(&self, book: Vec<LiveOrder>) {
        if let Ok(mut s) = self.state.lock() {
            s.book = book;
        }
    }

    /// The account from now on.
    pub fn set_account(&self, positions: Vec<LivePosition>, holdings: Vec<LiveHolding>, funds: LiveFunds) {
        if let Ok(mut s) = self.state.lock() {
            s.positions = positions;
            s.holdings = holdings;
            s.funds = Some(funds);
        }
    }

    /// Every placement asked for, oldest first.
    pub fn placed(&self) -> Vec<PlaceLiveOrder> {
        self.state.lock().map(|s| s.placed.clone()).unwrap_or_default()
    }

    /// Every modification asked for, oldest first.
    pub fn modified(&self) -> Vec<ModifyLiveOrder> {
        self.state.lock().map(|s| s.modified.clone()).unwrap_or_default()
    }

    /// The broker ids of every cancellation asked for, oldest first.
    pub fn cancelled(&self) -> Vec<String> {
        self.state.lock().map(|s| s.cancelled.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl LiveBroker for FakeLiveBroker {
    async fn place_order(
        &self,
        _token: &BrokerAccessToken,
        order: &PlaceLiveOrder,
    ) -> Result<String, LiveBrokerError> {
        let mut s = self.state()?;
        s.placed.push(order.clone());
        match s.next_answer.take() {
            Some(error) => Err(error),
            None => Ok(format!("B{}", s.placed.len())),
        }
    }

    async fn modify_order(
        &self,
        _token: &BrokerAccessToken,
        change: &ModifyLiveOrder,
    ) -> Result<(), LiveBrokerError> {
        let mut s = self.state()?;
        s.modified.push(change.clone());
        s.next_answer.take().map_or(Ok(()), Err)
    }

    async fn cancel_order(
        &self,
        _token: &BrokerAccessToken,
        broker_order_id: &str,
    ) -> Result<(), LiveBrokerError> {
        let mut s = self.state()?;
        s.cancelled.push(broker_order_id.to_owned());
        s.next_answer.take().map_or(Ok(()), Err)
    }

    async fn order_book(&self, _token: &BrokerAccessToken) -> Result<Vec<LiveOrder>, LiveBrokerError> {
        Ok(self.state()?.book.clone())
    }

    async fn positions(&self, _token: &BrokerAccessToken) -> Result<Vec<LivePosition>, LiveBrokerError> {
        Ok(self.state()?.positions.clone())
    }

    async fn holdings(&self, _token: &BrokerAccessToken) -> Result<Vec<LiveHolding>, LiveBrokerError> {
        Ok(self.state()?.holdings.clone())
    }

    async fn funds(&self, _token: &BrokerAccessToken) -> Result<LiveFunds, LiveBrokerError> {
        self.state()?
            .funds
            .clone()
            .ok_or_else(|| LiveBrokerError::Unavailable("no funds set".into()))
    }
}

/// [`TradingModes`] in memory: paper until set.
#[derive(Debug, Default)]
pub struct InMemoryTradingModes {
    modes: Mutex<HashMap<UserId, TradingMode>>,
}

#[async_trait]
impl TradingModes for InMemoryTradingModes {
    async fn mode(&self, user: &UserId) -> Result<TradingMode, RepoError> {
        Ok(self
            .modes
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(user)
            .copied()
            .unwrap_or_default())
    }

    async fn set_mode(&self, user: &UserId, mode: TradingMode) -> Result<(), RepoError> {
        self.modes
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .insert(*user, mode);
        Ok(())
    }
}

/// [`BrokerTokens`] with a token for each linked user, valid until `expires_at` (none for the rest).
#[derive(Debug, Default)]
pub struct FixedTokens {
    linked: Mutex<HashMap<UserId, DateTime<Utc>>>,
}

impl FixedTokens {
    /// `user` is linked until `expires_at`.
    pub fn link(&self, user: UserId, expires_at: DateTime<Utc>) {
        if let Ok(mut linked) = self.linked.lock() {
            linked.insert(user, expires_at);
        }
    }
}

#[async_trait]
impl BrokerTokens for FixedTokens {
    async fn token(
        &self,
        user: &UserId,
        _broker: Broker,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<BrokerAccessToken>> {
        let linked = self.linked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(linked
            .get(user)
            .filter(|expires_at| now < **expires_at)
            .map(|_| BrokerAccessToken(format!("token-of-{user}"))))
    }
}

/// [`BrokerInstruments`] with a fixed map.
#[derive(Debug, Default)]
pub struct FixedInstrumentKeys(pub Arc<BrokerKeyMap>);

#[async_trait]
impl BrokerInstruments for FixedInstrumentKeys {
    async fn key_map(&self) -> Result<Arc<BrokerKeyMap>, LiveBrokerError> {
        Ok(self.0.clone())
    }
}
