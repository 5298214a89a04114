//! Live mode: an account switched to live trades at the user's linked broker (Upstox) instead of the paper
//! broker, through the same orders API.
//!
//! A live order is kept in our book like a paper order (same ids, idempotency claims, rate limit, lists,
//! isolation), marked with its broker ([`BrokerOrderRef`]), blocking none of the paper account's funds and
//! never seen by the paper exchange. Funds, margin and the exchange's rules beyond ours are the broker's
//! to check. Placing is safe for real money:
//! 1. the order and its claims are committed first, so a repeated or concurrent request finds the claim and
//!    never reaches the broker a second time;
//! 2. the broker gets one call, tagged with our order id;
//! 3. its answer is stored: the broker's id ([`confirmed`]), or a rejection with the broker's words
//!    ([`rejected_at_broker`]); when the call failed without an answer, the order book is searched for the
//!    tag, and if the order is not there the order waits, unconfirmed, for the next read.
//!
//! Reads bring working live orders up to date from the broker's order book ([`reconcile`]): found by id (or,
//! before confirmation, by tag), they take the broker's status and fills; an order the broker still has no
//! record of [`CONFIRMATION_GRACE`] after it was placed was never received, and is rejected.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use ulid::Ulid;

use crate::broker::link::{Broker, BrokerAccessToken, BrokerOrderRef};
use crate::broker::live::{
    BrokerKeyMap, LiveBrokerError, LiveOrder, ModifyLiveOrder, PlaceLiveOrder, TradingMode,
};
use crate::broker::ports::{BrokerInstruments, BrokerTokens, LiveBroker, TradingModes};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, UserId};
use crate::kernel::time::Clock;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::trading::order::{OrderEvent, OrderRequest, OrderStatus, Violation, validate};
use crate::trading::paper::{
    ModifyRefusal, NotCancellable, Order, OrderChange, Placement, StatusChange, modified_request, new_order,
};
use crate::trading::portfolio::{
    Funds, HoldingValue, PositionValue, Valuation, live_funds, value_live_holding, value_live_position,
};
use crate::trading::ports::CommitError;
use crate::trading::service::{
    CancelError, Commit, ModifyError, Opening, OrderService, PlaceCommand, PlaceError, PlaceOutcome,
};

/// The broker live mode trades at.
pub const LIVE_BROKER: Broker = Broker::Upstox;

/// How long a placed live order may stay unknown to its broker's order book before we conclude the broker
/// never received it. Far longer than one broker call may take.
pub const CONFIRMATION_GRACE: Duration = Duration::seconds(60);

/// The ports live mode needs besides the book.
pub struct LiveDesk {
    /// The broker.
    pub broker: Arc<dyn LiveBroker>,
    /// Our instrument keys in the broker's terms.
    pub instruments: Arc<dyn BrokerInstruments>,
    /// Users' broker tokens.
    pub tokens: Arc<dyn BrokerTokens>,
    /// Accounts' modes.
    pub modes: Arc<dyn TradingModes>,
    /// The real time, against which broker tokens expire (a simulated market clock must not move it).
    pub clock: Arc<dyn Clock>,
}

/// Why an account's mode was not changed.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// Live mode needs a linked broker account whose access has not expired.
    #[error("link your Upstox account first (its access ends at 03:30 IST every day)")]
    NotLinked,
    /// This deployment has no live broker.
    #[error("live trading is not available here")]
    NoLiveBroker,
    /// Storage or key failures.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for SwitchError {
    fn from(e: RepoError) -> Self {
        SwitchError::Unexpected(e.into())
    }
}

fn step(order: &mut Order, status: OrderStatus, message: Option<String>, now: DateTime<Utc>) {
    order.status = status;
    order.status_message.clone_from(&message);
    order.updated_at = now;
    order.history.push(StatusChange {
        status,
        at: now,
        message,
    });
}

/// A live order as first stored: OPEN, not yet confirmed by `broker`.
pub fn new_live_order(
    (user, id): (UserId, OrderId),
    instrument: &Instrument,
    request: &OrderRequest,
    is_amo: bool,
    broker: Broker,
    now: DateTime<Utc>,
) -> Order {
    let mut order = Order {
        live: Some(BrokerOrderRef {
            broker,
            broker_order_id: None,
        }),
        ..new_order((user, id), &instrument.key, request, is_amo, now)
    };
    step(&mut order, OrderStatus::Open, Some(awaiting_message(broker)), now);
    order
}

fn awaiting_message(broker: Broker) -> String {
    format!("sent to {}; awaiting its confirmation", broker_name(broker))
}

fn broker_name(broker: Broker) -> &'static str {
    match broker {
        Broker::Upstox => "Upstox",
    }
}

/// `order` with the broker's id for it, as the broker confirmed it at `now`.
pub fn confirmed(order: &Order, broker_order_id: String, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    if let Some(live) = &mut next.live {
        let message = format!("placed at {} as {broker_order_id}", broker_name(live.broker));
        live.broker_order_id = Some(broker_order_id);
        step(&mut next, order.status, Some(message), now);
    }
    next.version += 1;
    next
}

/// `order` rejected by its broker at `now`, for `reason` (the broker's words).
pub fn rejected_at_broker(order: &Order, reason: &str, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    let status = order.status.after(OrderEvent::Rejected).unwrap_or(order.status);
    step(&mut next, status, Some(reason.to_owned()), now);
    next.version += 1;
    next
}

/// The broker's record of `order` in its order `book`: by the broker's id once known, else by our tag.
pub fn find_in_book<'a>(order: &Order, book: &'a [LiveOrder]) -> Option<&'a LiveOrder> {
    let live = order.live.as_ref()?;
    let ours = order.id.to_string();
    book.iter().find(|at_broker| match &live.broker_order_id {
        Some(id) => &at_broker.broker_order_id == id,
        None => at_broker.tag.as_deref() == Some(ours.as_str()),
    })
}

/// `order` as the broker reports it (`at_broker`), or `None` when nothing changed. Status, quantities and
/// prices are the broker's; a status change is added to the history.
pub fn synced(order: &Order, at_broker: &LiveOrder, now: DateTime<Utc>) -> Option<Order> {
    let mut next = order.clone();
    if let Some(live) = &mut next.live {
        live.broker_order_id = Some(at_broker.broker_order_id.clone());
    }
    next.quantity = at_broker.quantity;
    next.filled_quantity = at_broker.filled_quantity;
    next.average_price = at_broker.average_price.filter(|_| at_broker.filled_quantity > 0);
    next.price = at_broker.price;
    next.trigger_price = at_broker.trigger_price;
    next.order_type = at_broker.order_type;
    if at_broker.status != order.status || at_broker.status_message != order.status_message {
        step(&mut next, at_broker.status, at_broker.status_message.clone(), now);
    }
    if next == *order {
        return None;
    }
    next.updated_at = now;
    next.version += 1;
    Some(next)
}

/// A working live `order` brought up to date from its broker's order `book` at `now`, or `None` when nothing
/// changed: [`synced`] when the book has it; rejected when it is still unconfirmed and the book has no record
/// of it [`CONFIRMATION_GRACE`] after placing (the broker never received it).
pub fn reconcile(order: &Order, book: &[LiveOrder], now: DateTime<Utc>) -> Option<Order> {
    let live = order.live.as_ref()?;
    if order.status.is_final() {
        return None;
    }
    match find_in_book(order, book) {
        Some(at_broker) => synced(order, at_broker, now),
        None if live.broker_order_id.is_none() && now - order.placed_at > CONFIRMATION_GRACE => {
            Some(rejected_at_broker(
                order,
                &format!(
                    "{} has no record of the order: it was not placed",
                    broker_name(live.broker)
                ),
                now,
            ))
        }
        None => None,
    }
}

/// `order` after its broker accepted `change` (made into `request`) at `now`.
fn modified_at_broker(order: &Order, request: &OrderRequest, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    next.quantity = request.quantity;
    next.order_type = request.order_type;
    next.price = request.price;
    next.trigger_price = request.trigger_price;
    step(&mut next, order.status, Some("modified".into()), now);
    next.version += 1;
    next
}

/// Our key for the broker's instrument: the broker's list's, else `EXCHANGE:SYMBOL` from the broker's own
/// names. `None` (logged, and left out of the answer) only for a symbol our keys cannot spell.
fn our_instrument(
    map: &BrokerKeyMap,
    broker_key: &str,
    exchange: &str,
    symbol: &str,
) -> Option<InstrumentKey> {
    let key = map
        .our_key(broker_key)
        .cloned()
        .or_else(|| InstrumentKey::parse(&format!("{exchange}:{symbol}")));
    if key.is_none() {
        tracing::error!(
            broker_key,
            exchange,
            symbol,
            "a broker instrument with no key of ours"
        );
    }
    key
}

/// A live user's account at their broker, for one request: each read is one broker call, valued like the
/// paper book and shown under our keys.
pub struct LiveAccount<'a> {
    desk: &'a LiveDesk,
    token: BrokerAccessToken,
}

impl LiveAccount<'_> {
    /// The broker's positions.
    ///
    /// # Errors
    /// [`PlaceError::Broker`] when the broker refuses or cannot be reached.
    pub async fn positions(&self) -> Result<Vec<PositionValue>, PlaceError> {
        let map = self
            .desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?;
        let positions = self
            .desk
            .broker
            .positions(&self.token)
            .await
            .map_err(PlaceError::Broker)?;
        Ok(positions
            .iter()
            .filter_map(|p| {
                our_instrument(&map, &p.instrument_key, &p.exchange, &p.trading_symbol)
                    .map(|key| value_live_position(p, key))
            })
            .collect())
    }

    /// The broker's holdings.
    ///
    /// # Errors
    /// As [`positions`](Self::positions).
    pub async fn holdings(&self) -> Result<Vec<HoldingValue>, PlaceError> {
        let map = self
            .desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?;
        let holdings = self
            .desk
            .broker
            .holdings(&self.token)
            .await
            .map_err(PlaceError::Broker)?;
        Ok(holdings
            .iter()
            .filter_map(|h| {
                our_instrument(&map, &h.instrument_key, &h.exchange, &h.trading_symbol)
                    .map(|key| value_live_holding(h, key))
            })
            .collect())
    }

    /// Positions and holdings together.
    ///
    /// # Errors
    /// As [`positions`](Self::positions).
    pub async fn valuation(&self) -> Result<Valuation, PlaceError> {
        Ok(Valuation {
            positions: self.positions().await?,
            holdings: self.holdings().await?,
        })
    }

    /// The broker's funds.
    ///
    /// # Errors
    /// As [`positions`](Self::positions).
    pub async fn funds(&self) -> Result<Funds, PlaceError> {
        let funds = self
            .desk
            .broker
            .funds(&self.token)
            .await
            .map_err(PlaceError::Broker)?;
        Ok(live_funds(&funds))
    }
}

fn not_tradable() -> PlaceError {
    PlaceError::Invalid(vec![Violation {
        field: "instrument",
        message: format!("not tradable at {}", broker_name(LIVE_BROKER)),
    }])
}

impl OrderService {
    /// `user`'s trading mode: paper unless they switched to live (always paper without a live broker).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn mode(&self, user: &UserId) -> Result<TradingMode, RepoError> {
        match &self.live {
            Some(desk) => desk.modes.mode(user).await,
            None => Ok(TradingMode::Paper),
        }
    }

    /// The live desk, when `user` trades live.
    pub(super) async fn live_desk_for(&self, user: &UserId) -> Result<Option<&LiveDesk>, RepoError> {
        Ok(match self.mode(user).await? {
            TradingMode::Live => self.live.as_deref(),
            TradingMode::Paper => None,
        })
    }

    /// Switches `user`'s new orders to `mode`. Live needs a linked broker account with a token valid now;
    /// going back to paper is always allowed. Orders already placed stay with the broker they went to.
    ///
    /// # Errors
    /// [`SwitchError`]; nothing is written.
    pub async fn switch_mode(&self, user: &UserId, mode: TradingMode) -> Result<TradingMode, SwitchError> {
        let Some(desk) = &self.live else {
            return match mode {
                TradingMode::Paper => Ok(mode),
                TradingMode::Live => Err(SwitchError::NoLiveBroker),
            };
        };
        if mode == TradingMode::Live
            && desk
                .tokens
                .token(user, LIVE_BROKER, desk.clock.now())
                .await?
                .is_none()
        {
            return Err(SwitchError::NotLinked);
        }
        desk.modes.set_mode(user, mode).await?;
        Ok(mode)
    }

    async fn live_token(&self, desk: &LiveDesk, user: &UserId) -> Result<BrokerAccessToken, PlaceError> {
        desk.tokens
            .token(user, LIVE_BROKER, desk.clock.now())
            .await?
            .ok_or(PlaceError::Broker(LiveBrokerError::Unauthorized))
    }

    /// Places `command`, past [`OrderService::start`]'s checks, at `user`'s broker (see the module's steps).
    pub(super) async fn place_live(
        &self,
        desk: &LiveDesk,
        user: UserId,
        command: PlaceCommand,
        Opening { claims, now, priced }: Opening,
    ) -> Result<PlaceOutcome, PlaceError> {
        let instrument = priced.instrument()?;
        let accepted = validate(&command.request, instrument, priced.quote.last_price, priced.open)
            .map_err(PlaceError::Invalid)?;
        let token = self.live_token(desk, &user).await?;
        let instrument_key = desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?
            .broker_key(&instrument.key)
            .ok_or_else(not_tradable)?
            .to_owned();
        let id = OrderId::from_ulid(Ulid::new());
        let placement = Placement {
            order: new_live_order(
                (user, id),
                instrument,
                &command.request,
                accepted.is_amo,
                LIVE_BROKER,
                now,
            ),
            trade: None,
            position: None,
            available_change: Decimal::ZERO,
            cash_change: Decimal::ZERO,
        };
        let decision = loop {
            match self.commit(&user, &command, &claims, &placement, now).await? {
                Commit::Done(outcome) => match *outcome {
                    PlaceOutcome::Created(_, decision) => break decision,
                    replayed @ PlaceOutcome::Replayed(_) => return Ok(replayed),
                },
                // The paper account's item raced another write (a live order moves no funds): commit again.
                Commit::Retry(CommitError::Conflict) => {}
                Commit::Retry(other) => return Err(anyhow::Error::from(other).into()),
            }
        };
        let order = placement.order;
        let sent = desk
            .broker
            .place_order(
                &token,
                &PlaceLiveOrder {
                    instrument_key,
                    client_order_id: id.to_string(),
                    request: command.request,
                    is_amo: accepted.is_amo,
                },
            )
            .await;
        let answered = match sent {
            Ok(broker_order_id) => confirmed(&order, broker_order_id, now),
            Err(LiveBrokerError::Unavailable(why)) => {
                tracing::warn!(order_id = %id, %why, "live placement unanswered; looking for it in the order book");
                match desk.broker.order_book(&token).await {
                    Ok(book) => find_in_book(&order, &book)
                        .and_then(|at_broker| synced(&order, at_broker, now))
                        .unwrap_or_else(|| order.clone()),
                    Err(e) => {
                        tracing::warn!(order_id = %id, error = %e, "order book unavailable; the order stays unconfirmed");
                        order.clone()
                    }
                }
            }
            Err(refused) => rejected_at_broker(&order, &refused.to_string(), now),
        };
        if answered != order
            && let Err(e) = self.ledger.update_order(&answered).await
        {
            // The broker's answer is not lost: the order is found by its tag on the next read.
            tracing::error!(order_id = %id, error = %e, "live order's answer not stored");
        }
        Ok(PlaceOutcome::Created(answered, decision))
    }

    /// `orders` of `user`, each working live one brought up to date from the broker's order book (one call
    /// for all), best effort: without a usable token or an answer from the broker, the stored state is shown.
    pub async fn refreshed(&self, user: &UserId, mut orders: Vec<Order>) -> Vec<Order> {
        let Some(desk) = &self.live else {
            return orders;
        };
        if !orders.iter().any(|o| o.live.is_some() && !o.status.is_final()) {
            return orders;
        }
        let book = match self.live_token(desk, user).await {
            Ok(token) => desk.broker.order_book(&token).await,
            Err(_) => return orders,
        };
        let book = match book {
            Ok(book) => book,
            Err(e) => {
                tracing::warn!(error = %e, "order book unavailable; showing stored live orders");
                return orders;
            }
        };
        let now = self.clock.now();
        for order in &mut orders {
            if let Some(next) = reconcile(order, &book, now) {
                match self.ledger.update_order(&next).await {
                    Ok(()) => *order = next,
                    Err(e) => {
                        tracing::info!(order_id = %order.id, error = %e, "live order changed meanwhile")
                    }
                }
            }
        }
        orders
    }

    /// The broker's id of a live `order`, once confirmed.
    fn broker_order_id(order: &Order) -> Result<String, LiveBrokerError> {
        order
            .live
            .as_ref()
            .and_then(|live| live.broker_order_id.clone())
            .ok_or_else(|| {
                LiveBrokerError::Unavailable(
                    "the broker has not confirmed the order yet; try again shortly".into(),
                )
            })
    }

    /// Modifies a working live `order` at its broker.
    pub(super) async fn modify_live(
        &self,
        desk: &LiveDesk,
        order: Order,
        change: &OrderChange,
    ) -> Result<Order, ModifyError> {
        if change == &OrderChange::default() {
            return Err(ModifyError::Refused(ModifyRefusal::Empty));
        }
        if order.status.after(OrderEvent::Modified).is_none() {
            return Err(ModifyError::Refused(ModifyRefusal::Closed(order.status)));
        }
        let broker_order_id = Self::broker_order_id(&order).map_err(PlaceError::Broker)?;
        let request = modified_request(&order, change);
        let now = self.clock.now();
        let priced = self.priced(order.instrument.as_str(), order.product, now).await?;
        validate(
            &request,
            priced.instrument()?,
            priced.quote.last_price,
            priced.open,
        )
        .map_err(|violations| ModifyError::Refused(ModifyRefusal::Invalid(violations)))?;
        let token = self.live_token(desk, &order.user_id).await?;
        desk.broker
            .modify_order(
                &token,
                &ModifyLiveOrder {
                    broker_order_id,
                    quantity: Some(request.quantity),
                    order_type: request.order_type,
                    price: request.price,
                    trigger_price: request.trigger_price,
                    validity: request.validity,
                    disclosed_quantity: request.disclosed_quantity,
                },
            )
            .await
            .map_err(PlaceError::Broker)?;
        let modified = modified_at_broker(&order, &request, now);
        if let Err(e) = self.ledger.update_order(&modified).await {
            tracing::warn!(order_id = %order.id, error = %e, "live modification not stored; the next read syncs it");
        }
        Ok(modified)
    }

    /// `user`'s account at their broker when they trade live (the mode and token read once, for one
    /// request); `None` in paper mode.
    ///
    /// # Errors
    /// [`PlaceError::Broker`] when the link is missing or expired; storage failures.
    pub async fn live_account(&self, user: &UserId) -> Result<Option<LiveAccount<'_>>, PlaceError> {
        let Some(desk) = self.live_desk_for(user).await? else {
            return Ok(None);
        };
        Ok(Some(LiveAccount {
            desk,
            token: self.live_token(desk, user).await?,
        }))
    }

    /// Cancels a working live `order` at its broker, answering with the order as the broker then reports it.
    pub(super) async fn cancel_live(&self, desk: &LiveDesk, order: Order) -> Result<Order, CancelError> {
        if order.status.after(OrderEvent::Cancelled).is_none() {
            return Err(NotCancellable(order.status).into());
        }
        let broker_order_id = Self::broker_order_id(&order).map_err(CancelError::Broker)?;
        let token = self.live_token(desk, &order.user_id).await.map_err(|e| match e {
            PlaceError::Broker(e) => CancelError::Broker(e),
            other => CancelError::Unexpected(other.into()),
        })?;
        desk.broker
            .cancel_order(&token, &broker_order_id)
            .await
            .map_err(CancelError::Broker)?;
        let user = order.user_id;
        Ok(self
            .refreshed(&user, vec![order])
            .await
            .pop()
            .ok_or_else(|| anyhow::anyhow!("refreshing lost the order"))?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::trading::charges::Side;
    use crate::trading::order::{OrderType, Product, Validity};

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 5, 30, 0).unwrap() + Duration::seconds(secs)
    }

    fn placed() -> Order {
        let calendar = crate::market::calendar::MarketCalendar::nse().unwrap();
        let instrument = crate::market::master::InstrumentMaster::shipped(&calendar, at(0).date_naive())
            .unwrap()
            .get("NSE:RELIANCE")
            .unwrap()
            .clone();
        let request = OrderRequest {
            side: Side::Buy,
            quantity: 10,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(dec!(2450.05)),
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: Some("mine-1".into()),
        };
        new_live_order(
            (UserId::from_ulid(Ulid::nil()), OrderId::from_ulid(Ulid::nil())),
            &instrument,
            &request,
            false,
            Broker::Upstox,
            at(0),
        )
    }

    fn at_broker(order: &Order, status: OrderStatus, filled: i64) -> LiveOrder {
        LiveOrder {
            broker_order_id: "250101000000001".into(),
            tag: Some(order.id.to_string()),
            instrument_key: "NSE_EQ|INE002A01018".into(),
            trading_symbol: "RELIANCE".into(),
            exchange: "NSE".into(),
            side: Side::Buy,
            quantity: 10,
            filled_quantity: filled,
            average_price: Some(dec!(2449.90)),
            price: Some(dec!(2450.05)),
            trigger_price: None,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            validity: Validity::Day,
            is_amo: false,
            status,
            broker_status: "open".into(),
            status_message: None,
            placed_at: None,
        }
    }

    #[test]
    fn a_new_live_order_is_open_unconfirmed_and_blocks_nothing() {
        let order = placed();
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.blocked, Decimal::ZERO);
        assert_eq!(
            order.live,
            Some(BrokerOrderRef {
                broker: Broker::Upstox,
                broker_order_id: None
            })
        );
        assert_eq!(order.instrument, InstrumentKey::parse("NSE:RELIANCE").unwrap());
        assert_eq!(
            order.status_message.as_deref(),
            Some("sent to Upstox; awaiting its confirmation")
        );
    }

    #[test]
    fn confirmation_records_the_brokers_id_and_a_rejection_the_brokers_words() {
        let order = placed();
        let ok = confirmed(&order, "250101000000001".into(), at(1));
        assert_eq!(ok.status, OrderStatus::Open);
        assert_eq!(
            ok.live.as_ref().and_then(|l| l.broker_order_id.as_deref()),
            Some("250101000000001")
        );
        assert_eq!(ok.version, 2);
        let refused = rejected_at_broker(&order, "broker rejected the request: Insufficient funds", at(1));
        assert_eq!(refused.status, OrderStatus::Rejected);
        assert_eq!(
            refused.status_message.as_deref(),
            Some("broker rejected the request: Insufficient funds")
        );
        assert_eq!(
            refused.history.last().map(|h| h.status),
            Some(OrderStatus::Rejected)
        );
    }

    #[test]
    fn an_unconfirmed_order_is_found_by_its_tag_and_takes_the_brokers_fills() {
        let order = placed();
        let book = [at_broker(&order, OrderStatus::PartiallyFilled, 4)];
        let next = reconcile(&order, &book, at(2)).unwrap();
        assert_eq!(next.status, OrderStatus::PartiallyFilled);
        assert_eq!(next.filled_quantity, 4);
        assert_eq!(next.average_price, Some(dec!(2449.90)));
        assert_eq!(
            next.live.as_ref().and_then(|l| l.broker_order_id.as_deref()),
            Some("250101000000001")
        );
        assert_eq!(
            reconcile(&next, &book, at(3)),
            None,
            "nothing new: nothing to write"
        );
    }

    #[test]
    fn an_order_the_broker_never_received_is_rejected_only_after_the_grace() {
        let order = placed();
        let someone_elses = LiveOrder {
            tag: Some("other".into()),
            broker_order_id: "9".into(),
            ..at_broker(&order, OrderStatus::Open, 0)
        };
        let book = [someone_elses];
        assert_eq!(reconcile(&order, &book, at(59)), None);
        let gone = reconcile(&order, &book, at(61)).unwrap();
        assert_eq!(gone.status, OrderStatus::Rejected);
        assert_eq!(
            gone.status_message.as_deref(),
            Some("Upstox has no record of the order: it was not placed")
        );
        // A confirmed order missing from the book (yesterday's) is left as stored.
        let confirmed = confirmed(&order, "1".into(), at(1));
        assert_eq!(reconcile(&confirmed, &book, at(600)), None);
    }

    #[test]
    fn final_and_paper_orders_are_not_reconciled() {
        let order = placed();
        let book = [at_broker(&order, OrderStatus::Complete, 10)];
        let done = reconcile(&order, &book, at(1)).unwrap();
        assert_eq!(done.status, OrderStatus::Complete);
        assert_eq!(reconcile(&done, &[], at(600)), None);
        let paper = Order { live: None, ..order };
        assert_eq!(reconcile(&paper, &book, at(1)), None);
    }
}
