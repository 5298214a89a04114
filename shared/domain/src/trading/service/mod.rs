//! The order use cases: placing, modifying and cancelling orders, reading the book and the portfolio, the
//! paper exchange's tick and end of day, and switching an account between paper and live trading.
//!
//! Each request picks its venue once (`venue::Venue`): the account's (paper, or live at its linked broker)
//! for a new order and for portfolio reads, the order's own for a modification or a cancellation. The use
//! cases then ask the venue and never branch on the mode themselves. Reads of orders go through the service
//! too, so a working live order is always brought up to date from its broker before it is shown.

mod basket;
mod exchange;
mod live;
mod notifying;
mod orders;
mod paper;
mod place;
mod portfolio;
mod pricing;
mod venue;

pub use crate::trading::errors::{CancelError, ModifyError, PlaceError, ResetError, SwitchError};
pub use exchange::{EndOfDayReport, MatchReport};
pub use live::LiveDesk;
pub use notifying::NotifyingLedger;
pub use place::{PlaceCommand, PlaceOutcome};

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::kernel::ids::{IdGen, UserId};
use crate::kernel::time::Clock;
use crate::market::calendar::MarketCalendar;
use crate::market::ports::MarketData;
use crate::market::service::current::CurrentMaster;
use crate::ops::ports::KillSwitchStore;
use crate::trading::charges::{BrokeragePlan, ChargeSchedule};
use crate::trading::order::Order;
use crate::trading::ports::TradingLedger;
use crate::trading::risk::RiskLimits;

use crate::trading::service::live::LiveVenue;
use crate::trading::service::paper::PaperVenue;
use crate::trading::service::venue::Venue;

/// Attempts at a placement or cancellation that raced another write to the same position or order.
const ATTEMPTS: u32 = 8;

/// What the order use cases run on: the ports, the rules' data and the deployment's settings.
pub struct TradingContext {
    /// The book.
    pub ledger: Arc<dyn TradingLedger>,
    /// Prices.
    pub market: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// Sessions and holidays.
    pub calendar: Arc<MarketCalendar>,
    /// Charge rates.
    pub charges: Arc<ChargeSchedule>,
    /// Brokerage.
    pub plan: BrokeragePlan,
    /// Per-account risk limits.
    pub limits: RiskLimits,
    /// The platform kill switch.
    pub kill_switch: Arc<dyn KillSwitchStore>,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
    /// Mints order and fill ids.
    pub ids: Arc<dyn IdGen>,
    /// Live mode's broker and ports; `None` where only paper trading runs (the scheduler's tick).
    pub live: Option<Arc<LiveDesk>>,
}

/// The order use cases.
pub struct OrderService {
    ctx: TradingContext,
}

impl OrderService {
    /// The use cases over `ctx`.
    pub fn new(ctx: TradingContext) -> Self {
        Self { ctx }
    }

    /// Whether `user` trades live (never where no live broker is wired).
    async fn trades_live(&self, user: &UserId) -> Result<bool, PlaceError> {
        match self.live_desk() {
            Some(desk) => Ok(desk.trades_live(user).await?),
            None => Ok(false),
        }
    }

    /// `read` of `user`'s account at the venue it trades at: their broker in live mode, else paper. The
    /// paper read runs while the mode is read (nearly every account trades paper: one round trip, not two)
    /// and is dropped for an account that trades live.
    async fn read_account<T, R>(&self, user: UserId, read: R) -> Result<T, PlaceError>
    where
        R: for<'v> Fn(&'v (dyn Venue + 'v)) -> BoxFuture<'v, Result<T, PlaceError>>,
    {
        let paper = PaperVenue::new(self, user);
        let Some(desk) = self.live_desk() else {
            return read(&paper).await;
        };
        let (live, on_paper) = futures::join!(desk.trades_live(&user), read(&paper));
        if live? {
            read(&LiveVenue::new(self, desk, user)).await
        } else {
            on_paper
        }
    }

    /// The venue `order` works at, whatever its account's mode is now.
    fn order_venue(&self, order: &Order) -> Result<Box<dyn Venue + '_>, PlaceError> {
        match (&order.live, self.live_desk()) {
            (None, _) => Ok(Box::new(PaperVenue::new(self, order.user_id))),
            (Some(_), Some(desk)) => Ok(Box::new(LiveVenue::new(self, desk, order.user_id))),
            (Some(_), None) => {
                Err(anyhow::anyhow!("live order {} where no live broker is wired", order.id).into())
            }
        }
    }

    fn live_desk(&self) -> Option<&LiveDesk> {
        self.ctx.live.as_deref()
    }
}

#[cfg(test)]
mod tests;
