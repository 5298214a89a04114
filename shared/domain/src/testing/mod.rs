//! In-memory fakes of the ports, a fixed clock and a sequence of ids, for fast use-case tests, one file per
//! area. Every adapter is also tested
//! against the emulator; these never replace that.

mod alerts;
mod analytics;
mod audit;
mod backtest;
mod broker;
mod identity;
mod market;
mod ops;
mod strategies;
mod stream;
mod trading;

pub use alerts::{
    ContextSealer, InMemoryAlertStore, InMemoryNotificationStore, InMemoryWebhookStore, ScriptedTransport,
};
pub use analytics::InMemorySnapshotStore;
pub use audit::{InMemoryAuditLog, audit_trail};
pub use backtest::InMemoryBacktestStore;
pub use broker::{
    FakeLiveBroker, FixedInstrumentKeys, FixedTokens, InMemoryBrokerLinks, InMemoryTradingModes,
    ScriptedBroker,
};
pub use identity::{InMemoryRateLimiter, InMemorySessions, InMemoryUsers};
pub use market::{FixedMarket, InMemoryDailyHistory, InMemoryInstrumentStore, InMemoryQuoteCache};
pub use ops::{FixedMetrics, FixedQueueDepths, InMemoryJobRunLog, InMemoryKillSwitch, StaticCheck};
pub use strategies::InMemoryStrategyStore;
pub use stream::{InMemoryConnectionStore, InMemoryTicketStore, RecordingPusher, SerializedUpdates};
pub use trading::InMemoryLedger;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ulid::Ulid;

use crate::kernel::events::{Envelope, EventPublisher};
use crate::kernel::ids::IdGen;
use crate::kernel::time::Clock;

/// An [`IdGen`] counting up from 1: the same ids every run, in the order they were minted.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn next_ulid(&self) -> Ulid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Ulid::from_parts(n, u128::from(n))
    }
}

/// A clock stuck at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock a test moves by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock reading `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// From now on the clock reads `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = at;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|now| *now).unwrap_or_default()
    }
}

/// An [`EventPublisher`] that keeps what it is given; `failing()` refuses everything.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    published: Mutex<Vec<Envelope>>,
    delays: Mutex<Vec<std::time::Duration>>,
    fail: bool,
}

impl RecordingPublisher {
    /// A publisher whose every publish fails, as an unreachable queue.
    pub fn failing() -> Self {
        Self {
            published: Mutex::default(),
            delays: Mutex::default(),
            fail: true,
        }
    }

    /// Everything published so far.
    pub fn published(&self) -> Vec<Envelope> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// The delays asked for with [`EventPublisher::publish_delayed`], in order.
    pub fn delays(&self) -> Vec<std::time::Duration> {
        self.delays.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Takes everything published so far, leaving none.
    pub fn drain(&self) -> Vec<Envelope> {
        self.published
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()> {
        if self.fail {
            anyhow::bail!("queue unavailable");
        }
        self.published
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(envelope.clone());
        Ok(())
    }

    async fn publish_delayed(&self, envelope: &Envelope, delay: std::time::Duration) -> anyhow::Result<()> {
        self.publish(envelope).await?;
        self.delays
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(delay);
        Ok(())
    }
}
