//! The paper venue: orders placed, modified and cancelled on the paper broker's rules
//! ([`crate::trading::paper`]) and committed to the book, each plan retried on fresh state when a
//! concurrent write moved the funds or the position; the account read from the book, valued at the last
//! prices.

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::kernel::ids::{OrderId, UserId};
use crate::market::instrument::InstrumentKey;
use crate::trading::account::PaperAccount;
use crate::trading::order::Order;
use crate::trading::paper::{self, ModifyRefusal, PlaceRefusal, Placement};
use crate::trading::portfolio::{
    Funds, HoldingValue, PositionValue, Summary, Valuation, funds, summarize, valuation,
};
use crate::trading::ports::CommitError;
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderChange, Product};
use crate::trading::risk::{self, Exposure, RiskRejection};
use crate::trading::service::place::{Commit, Opening, PlaceCommand, PlaceOutcome};
use crate::trading::service::venue::Venue;
use crate::trading::service::{ATTEMPTS, CancelError, ModifyError, OrderService, PlaceError};

/// One user's paper account, for one request.
pub(super) struct PaperVenue<'a> {
    service: &'a OrderService,
    user: UserId,
}

impl<'a> PaperVenue<'a> {
    /// `user`'s paper account.
    pub(super) fn new(service: &'a OrderService, user: UserId) -> Self {
        Self { service, user }
    }

    /// The paper account, which every user has.
    async fn account(&self) -> Result<PaperAccount, PlaceError> {
        self.service
            .ctx
            .ledger
            .account(&self.user)
            .await?
            .ok_or_else(|| anyhow::anyhow!("user {} has no paper account", self.user).into())
    }

    /// The position in `instrument` with `product` (flat if never opened).
    async fn position(
        &self,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<PositionRecord, PlaceError> {
        Ok(self
            .service
            .ctx
            .ledger
            .position(&self.user, instrument, product)
            .await?
            .unwrap_or_else(|| PositionRecord::flat(instrument.clone(), product)))
    }

    /// The account's book valued at the last prices.
    async fn valuation(&self) -> Result<Valuation, PlaceError> {
        self.service.paper_valuation(self.user).await
    }

    /// The risk limits on `placement` against `position` ([`risk`]): position size and daily loss unless the
    /// order only reduces the position (the day's P&L needs the account's positions priced), and the
    /// working-order count for a `new` order that rests (a modified order is already counted). Each costs a
    /// read only when it applies. The position is valued at the fill, else the order's price or trigger,
    /// else (a market order waiting for the open) the instrument's `last_price`.
    async fn check_limits(
        &self,
        account: &PaperAccount,
        position: &PositionRecord,
        placement: &Placement,
        last_price: Decimal,
        new: bool,
    ) -> Result<(), PlaceError> {
        let order = &placement.order;
        let request = &order.request;
        let limits = &self.service.ctx.limits;
        if !risk::reduces_only(&position.position, request.side, request.quantity) {
            let exposure = Exposure {
                day_pnl: self.valuation().await?.day_pnl(),
                funding: account.initial_cash,
            };
            let price = placement
                .trade
                .as_ref()
                .map(|t| t.price)
                .or(request.price)
                .or(request.trigger_price)
                .unwrap_or(last_price);
            risk::check_exposure(
                limits,
                &exposure,
                &position.position,
                request.side,
                request.quantity,
                price,
            )
            .map_err(PlaceError::Risk)?;
        }
        if new && !order.status.is_final() {
            let open = self.service.ctx.ledger.open_order_count(&self.user).await?;
            risk::check_open_orders(limits, open).map_err(PlaceError::Risk)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Venue for PaperVenue<'_> {
    async fn place(&self, command: PlaceCommand, opening: Opening) -> Result<PlaceOutcome, PlaceError> {
        let Opening { claims, now, priced } = opening;
        let ctx = &self.service.ctx;
        let instrument = priced.instrument()?;
        let market = priced.market(instrument, &ctx.plan);
        let id: OrderId = ctx.ids.next();
        let request = &command.request;
        for attempt in 1..=ATTEMPTS {
            let account = self.account().await?;
            let position = self.position(&instrument.key, request.product).await?;
            let placement = paper::place(
                self.user,
                (id, ctx.ids.next()),
                request,
                &market,
                &position,
                account.available,
                now,
            )
            .map_err(|refusal| match refusal {
                PlaceRefusal::Invalid(violations) => PlaceError::Invalid(violations),
                PlaceRefusal::Risk(risk) => PlaceError::Risk(risk),
                PlaceRefusal::Transition(e) => PlaceError::Unexpected(e.into()),
            })?;
            self.check_limits(&account, &position, &placement, market.quote.last_price, true)
                .await?;
            match self
                .service
                .commit(&self.user, &command, &claims, &placement, now)
                .await?
            {
                Commit::Done(outcome) => return Ok(*outcome),
                Commit::Retry(CommitError::InsufficientFunds) if attempt == ATTEMPTS => {
                    let available = self.account().await?.available;
                    return Err(PlaceError::Risk(RiskRejection::InsufficientFunds {
                        required: -placement.available_change,
                        available,
                    }));
                }
                // Funds or the position moved since they were read: plan again on fresh state.
                Commit::Retry(_) => {}
            }
        }
        Err(PlaceError::Busy)
    }

    async fn modify(&self, mut order: Order, change: &OrderChange) -> Result<Order, ModifyError> {
        let ctx = &self.service.ctx;
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                order = ctx
                    .ledger
                    .order(&self.user, &order.id)
                    .await?
                    .ok_or(ModifyError::NotFound)?;
            }
            let now = ctx.clock.now();
            let product = order.request.product;
            let priced = self
                .service
                .priced(order.instrument.as_str(), product, now)
                .await?;
            let instrument = priced.instrument()?;
            let account = self.account().await?;
            let position = self.position(&order.instrument, product).await?;
            let placement = paper::modify(
                &order,
                change,
                &priced.market(instrument, &ctx.plan),
                &position,
                account.available,
                ctx.ids.next(),
                now,
            )
            .map_err(ModifyError::Refused)?;
            self.check_limits(&account, &position, &placement, priced.quote.last_price, false)
                .await
                .map_err(|e| match e {
                    PlaceError::Risk(risk) => ModifyError::Refused(ModifyRefusal::Risk(risk)),
                    other => other.into(),
                })?;
            match ctx.ledger.modify(&placement).await {
                Ok(()) => return Ok(placement.order),
                Err(CommitError::InsufficientFunds) if attempt == ATTEMPTS => {
                    return Err(ModifyError::Refused(ModifyRefusal::Risk(
                        RiskRejection::InsufficientFunds {
                            required: -placement.available_change,
                            available: account.available,
                        },
                    )));
                }
                Err(CommitError::InsufficientFunds | CommitError::Conflict) => {}
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Err(PlaceError::Busy.into())
    }

    async fn cancel(&self, mut order: Order) -> Result<Order, CancelError> {
        let ctx = &self.service.ctx;
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                order = ctx
                    .ledger
                    .order(&self.user, &order.id)
                    .await?
                    .ok_or(CancelError::NotFound)?;
            }
            let (cancelled, released) = paper::cancel(&order, ctx.clock.now())?;
            match ctx.ledger.cancel(&cancelled, released).await {
                Ok(()) => return Ok(cancelled),
                Err(CommitError::Conflict) => {}
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Err(anyhow::anyhow!("cancellation kept conflicting").into())
    }

    async fn positions(&self) -> Result<Vec<PositionValue>, PlaceError> {
        Ok(self.valuation().await?.positions)
    }

    async fn holdings(&self) -> Result<Vec<HoldingValue>, PlaceError> {
        Ok(self.valuation().await?.holdings)
    }

    async fn funds(&self) -> Result<Funds, PlaceError> {
        Ok(funds(&self.account().await?))
    }

    async fn summary(&self) -> Result<Summary, PlaceError> {
        let funds = self.funds().await?;
        let book = self.valuation().await?;
        Ok(summarize(funds, &book, self.service.ctx.clock.now()))
    }
}

impl OrderService {
    /// `user`'s paper positions and holdings valued at their last prices.
    pub(super) async fn paper_valuation(&self, user: UserId) -> Result<Valuation, PlaceError> {
        let ctx = &self.ctx;
        let records = ctx.ledger.positions(&user).await?;
        if records.is_empty() {
            return Ok(Valuation::default());
        }
        let now = ctx.clock.now();
        let master = ctx.master.get(now).await?;
        let instruments: Vec<_> = records
            .iter()
            .filter_map(|r| master.get(r.instrument.as_str()))
            .collect();
        let prices = ctx.market.last_prices(&master, &instruments, now).await?;
        // A contract gone from the master (expired) is marked at its average price.
        Ok(valuation(&records, |r| {
            prices
                .get(&r.instrument)
                .copied()
                .unwrap_or_else(|| r.position.average_price())
        }))
    }
}
