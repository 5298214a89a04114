//! The live venue: an account switched to live mode places, modifies and cancels at the user's linked
//! broker (Upstox) and reads its account there, through the live broker's ports. Placing is safe for real
//! money (the steps are [`crate::trading::live`]'s): the order and its claims are committed first, the
//! broker gets one call tagged with our order id, and its answer is stored (or found later in its order book).

use async_trait::async_trait;
use rust_decimal::Decimal;
use std::sync::Arc;

use crate::broker::link::BrokerAccessToken;
use crate::broker::live::{LiveBrokerError, ModifyLiveOrder, PlaceLiveOrder, TradingMode};
use crate::broker::ports::{BrokerInstruments, BrokerTokens, LiveBroker, TradingModes};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, UserId};
use crate::kernel::time::Clock;
use crate::kernel::validation::Violation;
use crate::trading::live::{
    LIVE_BROKER, broker_name, confirmed, find_in_book, modified_at_broker, new_live_order, our_instrument,
    reconcile, rejected_at_broker, synced,
};
use crate::trading::order::Order;
use crate::trading::paper::{ModifyRefusal, NotCancellable, Placement};
use crate::trading::portfolio::{
    Funds, HoldingValue, PositionValue, Summary, Valuation, live_funds, summarize, value_live_holding,
    value_live_position,
};
use crate::trading::ports::CommitError;
use crate::trading::request::{OrderChange, validate};
use crate::trading::service::place::{Commit, Opening, PlaceCommand, PlaceOutcome};
use crate::trading::service::venue::Venue;
use crate::trading::service::{CancelError, ModifyError, OrderService, PlaceError, SwitchError};
use crate::trading::status::OrderEvent;

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
    /// The wall clock, against which broker tokens expire (a simulated market clock must not move it).
    pub clock: Arc<dyn Clock>,
}

impl LiveDesk {
    /// Whether `user` trades live now.
    pub(super) async fn trades_live(&self, user: &UserId) -> Result<bool, RepoError> {
        Ok(self.modes.mode(user).await? == TradingMode::Live)
    }

    /// `user`'s broker token, when linked and not expired.
    async fn token(&self, user: &UserId) -> Result<BrokerAccessToken, PlaceError> {
        self.tokens
            .token(user, LIVE_BROKER, self.clock.now())
            .await?
            .ok_or(PlaceError::Broker(LiveBrokerError::Unauthorized))
    }
}

/// One user's account at their broker, for one request.
pub(super) struct LiveVenue<'a> {
    service: &'a OrderService,
    desk: &'a LiveDesk,
    user: UserId,
}

impl<'a> LiveVenue<'a> {
    /// `user`'s account at the broker of `desk`.
    pub(super) fn new(service: &'a OrderService, desk: &'a LiveDesk, user: UserId) -> Self {
        Self { service, desk, user }
    }

    /// The broker's positions, under our keys (the token read by the caller, once per request).
    async fn positions_with(&self, token: &BrokerAccessToken) -> Result<Vec<PositionValue>, PlaceError> {
        let map = self
            .desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?;
        let positions = self
            .desk
            .broker
            .positions(token)
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

    /// The broker's holdings, under our keys.
    async fn holdings_with(&self, token: &BrokerAccessToken) -> Result<Vec<HoldingValue>, PlaceError> {
        let map = self
            .desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?;
        let holdings = self
            .desk
            .broker
            .holdings(token)
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

    /// The broker's funds.
    async fn funds_with(&self, token: &BrokerAccessToken) -> Result<Funds, PlaceError> {
        let funds = self.desk.broker.funds(token).await.map_err(PlaceError::Broker)?;
        Ok(live_funds(&funds))
    }
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

fn not_tradable() -> PlaceError {
    PlaceError::Invalid(vec![Violation {
        field: "instrument",
        message: format!("not tradable at {}", broker_name(LIVE_BROKER)),
    }])
}

#[async_trait]
impl Venue for LiveVenue<'_> {
    async fn place(&self, command: PlaceCommand, opening: Opening) -> Result<PlaceOutcome, PlaceError> {
        let Opening {
            claims,
            now,
            priced,
            counted,
        } = opening;
        let (desk, user) = (self.desk, self.user);
        let instrument = priced.instrument()?;
        let accepted = validate(&command.request, instrument, priced.quote.last_price, priced.open)
            .map_err(PlaceError::Invalid)?;
        let token = desk.token(&user).await?;
        let instrument_key = desk
            .instruments
            .key_map()
            .await
            .map_err(PlaceError::Broker)?
            .broker_key(&instrument.key)
            .ok_or_else(not_tradable)?
            .to_owned();
        let id: OrderId = self.service.ctx.ids.next();
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
            match self
                .service
                .commit(&user, &command, &claims, &placement, now, counted)
                .await?
            {
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
                        .map(|at_broker| synced(&order, at_broker, now))
                        .transpose()
                        .map_err(anyhow::Error::from)?
                        .flatten()
                        .unwrap_or_else(|| order.clone()),
                    Err(e) => {
                        tracing::warn!(order_id = %id, error = %e, "order book unavailable; the order stays unconfirmed");
                        order.clone()
                    }
                }
            }
            Err(refused) => {
                rejected_at_broker(&order, &refused.to_string(), now).map_err(anyhow::Error::from)?
            }
        };
        if answered != order
            && let Err(e) = self.service.ctx.ledger.update_order(&answered).await
        {
            // The broker's answer is not lost: the order is found by its tag on the next read.
            tracing::error!(order_id = %id, error = %e, "live order's answer not stored");
        }
        Ok(PlaceOutcome::Created(answered, decision))
    }

    async fn modify(&self, order: Order, change: &OrderChange) -> Result<Order, ModifyError> {
        if change == &OrderChange::default() {
            return Err(ModifyError::Refused(ModifyRefusal::Empty));
        }
        if order.status.after(OrderEvent::Modified).is_err() {
            return Err(ModifyError::Refused(ModifyRefusal::Closed(order.status)));
        }
        let broker_order_id = broker_order_id(&order).map_err(PlaceError::Broker)?;
        let request = order.request.modified(change);
        let now = self.service.ctx.clock.now();
        let priced = self
            .service
            .priced(order.instrument.as_str(), request.product, now)
            .await?;
        validate(
            &request,
            priced.instrument()?,
            priced.quote.last_price,
            priced.open,
        )
        .map_err(|violations| ModifyError::Refused(ModifyRefusal::Invalid(violations)))?;
        let token = self.desk.token(&order.user_id).await?;
        self.desk
            .broker
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
        if let Err(e) = self.service.ctx.ledger.update_order(&modified).await {
            tracing::warn!(order_id = %order.id, error = %e, "live modification not stored; the next read syncs it");
        }
        Ok(modified)
    }

    async fn cancel(&self, order: Order) -> Result<Order, CancelError> {
        if order.status.after(OrderEvent::Cancelled).is_err() {
            return Err(NotCancellable(order.status).into());
        }
        let broker_order_id = broker_order_id(&order).map_err(CancelError::Broker)?;
        let token = self.desk.token(&order.user_id).await.map_err(|e| match e {
            PlaceError::Broker(e) => CancelError::Broker(e),
            other => CancelError::Unexpected(other.into()),
        })?;
        self.desk
            .broker
            .cancel_order(&token, &broker_order_id)
            .await
            .map_err(CancelError::Broker)?;
        Ok(self
            .service
            .refreshed(&self.user, vec![order])
            .await
            .pop()
            .ok_or_else(|| anyhow::anyhow!("refreshing lost the order"))?)
    }

    async fn positions(&self) -> Result<Vec<PositionValue>, PlaceError> {
        let token = self.desk.token(&self.user).await?;
        self.positions_with(&token).await
    }

    async fn holdings(&self) -> Result<Vec<HoldingValue>, PlaceError> {
        let token = self.desk.token(&self.user).await?;
        self.holdings_with(&token).await
    }

    async fn funds(&self) -> Result<Funds, PlaceError> {
        let token = self.desk.token(&self.user).await?;
        self.funds_with(&token).await
    }

    async fn summary(&self) -> Result<Summary, PlaceError> {
        let token = self.desk.token(&self.user).await?;
        let funds = self.funds_with(&token).await?;
        let book = Valuation {
            positions: self.positions_with(&token).await?,
            holdings: self.holdings_with(&token).await?,
        };
        Ok(summarize(funds, &book, self.service.ctx.clock.now()))
    }
}

impl OrderService {
    /// `orders` of `user`, each working live one brought up to date from the broker's order book (one call
    /// for all), best effort: without a usable token or an answer from the broker, the stored state is shown.
    pub(super) async fn refreshed(&self, user: &UserId, mut orders: Vec<Order>) -> Vec<Order> {
        let Some(desk) = self.live_desk() else {
            return orders;
        };
        if !orders.iter().any(|o| o.live.is_some() && !o.status.is_final()) {
            return orders;
        }
        let book = match desk.token(user).await {
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
        let now = self.ctx.clock.now();
        for order in &mut orders {
            match reconcile(order, &book, now) {
                Ok(Some(next)) => match self.ctx.ledger.update_order(&next).await {
                    Ok(()) => *order = next,
                    Err(e) => {
                        tracing::info!(order_id = %order.id, error = %e, "live order changed meanwhile");
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(order_id = %order.id, error = %e, "the broker's report does not follow the order's status; kept as stored");
                }
            }
        }
        orders
    }

    /// `user`'s trading mode: paper unless they switched to live (always paper without a live broker).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn mode(&self, user: &UserId) -> Result<TradingMode, RepoError> {
        match self.live_desk() {
            Some(desk) => desk.modes.mode(user).await,
            None => Ok(TradingMode::Paper),
        }
    }

    /// Switches `user`'s new orders to `mode`. Live needs a linked broker account with a token valid now;
    /// going back to paper is always allowed. Orders already placed stay with the broker they went to.
    ///
    /// # Errors
    /// [`SwitchError`]; nothing is written.
    pub async fn switch_mode(&self, user: &UserId, mode: TradingMode) -> Result<TradingMode, SwitchError> {
        let Some(desk) = self.live_desk() else {
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
}
