//! The instrument master in use, shared by every function that prices or trades: the current snapshot the
//! scheduler's `instrument-refresh` job publishes, re-checked at most once a [`MASTER_RECHECK`]. Until a
//! snapshot exists (a fresh deploy before the first run) the shipped master built for today's IST date is
//! used, so the API works from the first minute.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use crate::kernel::time::ist;
use crate::market::calendar::MarketCalendar;
use crate::market::master::InstrumentMaster;
use crate::market::ports::InstrumentStore;

/// How often the published snapshot is checked for a newer one.
pub const MASTER_RECHECK: Duration = Duration::seconds(60);

/// The master in use: its source id (`v1-2026-11-25`, or `shipped-2026-11-25`), when that was last checked.
#[derive(Clone)]
struct LoadedMaster {
    id: String,
    checked_at: DateTime<Utc>,
    master: Arc<InstrumentMaster>,
}

/// The current instrument master, loaded lazily and kept per warm instance.
pub struct CurrentMaster {
    instruments: Arc<dyn InstrumentStore>,
    calendar: Arc<MarketCalendar>,
    loaded: Mutex<Option<LoadedMaster>>,
}

impl CurrentMaster {
    /// Snapshots from `instruments`, the shipped master built on `calendar` until one exists.
    pub fn new(instruments: Arc<dyn InstrumentStore>, calendar: Arc<MarketCalendar>) -> Self {
        Self {
            instruments,
            calendar,
            loaded: Mutex::new(None),
        }
    }

    fn loaded(&self) -> Option<LoadedMaster> {
        // The slot holds a whole value or nothing: a panic elsewhere cannot leave it half-written.
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn keep(&self, loaded: LoadedMaster) -> Arc<InstrumentMaster> {
        let master = loaded.master.clone();
        *self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(loaded);
        master
    }

    /// The master to use at `now`.
    ///
    /// # Errors
    /// If a published snapshot cannot be read or the shipped master does not parse.
    pub async fn get(&self, now: DateTime<Utc>) -> anyhow::Result<Arc<InstrumentMaster>> {
        let current = self.loaded();
        if let Some(loaded) = &current
            && now - loaded.checked_at < MASTER_RECHECK
        {
            return Ok(loaded.master.clone());
        }
        let published = self.instruments.current_id().await.unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "instrument snapshot pointer unreadable");
            None
        });
        let id = published
            .clone()
            .unwrap_or_else(|| format!("shipped-{}", now.with_timezone(&ist()).date_naive()));
        if let Some(loaded) = current.filter(|l| l.id == id) {
            return Ok(self.keep(LoadedMaster {
                checked_at: now,
                ..loaded
            }));
        }
        let master = match published {
            Some(_) => {
                let snapshot = self
                    .instruments
                    .current()
                    .await?
                    .context("instrument snapshot vanished")?;
                InstrumentMaster::from_instruments(snapshot.version, snapshot.instruments)?
            }
            None => {
                tracing::warn!("no instrument snapshot published yet; using the shipped master");
                InstrumentMaster::shipped(&self.calendar, now.with_timezone(&ist()).date_naive())?
            }
        };
        Ok(self.keep(LoadedMaster {
            id,
            checked_at: now,
            master: Arc::new(master),
        }))
    }
}
