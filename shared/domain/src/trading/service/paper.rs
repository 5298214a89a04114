//! The paper venue: orders placed, modified and cancelled on the paper broker's rules
//! ([`crate::trading::paper`]) and committed to the book, each plan retried on fresh state when a
//! concurrent write moved the funds or the position; the account read from the book, valued at the last
//! prices. What a placement or a modification needs of the book ([`PaperBook`]) is read at once.

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::kernel::ids::{OrderId, UserId};
use crate::market::instrument::InstrumentKey;
use crate::trading::account::PaperAccount;
use crate::trading::order::Order;
use crate::trading::paper::{self, ModifyRefusal, PlaceRefusal, Placement};
use crate::trading::portfolio::{
    Funds, HoldingValue, PositionValue, Summary, Valuation, funds, mark, summarize, valuation,
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

    /// What an order in `instrument` with `product` is planned and checked against, read at once.
    pub(super) async fn book(
        &self,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<PaperBook, PlaceError> {
        let ledger = &self.service.ctx.ledger;
        let (account, position, positions, open_orders) = futures::try_join!(
            self.account(),
            self.position(instrument, product),
            async { Ok::<_, PlaceError>(ledger.positions(&self.user).await?) },
            async { Ok::<_, PlaceError>(ledger.open_order_count(&self.user).await?) },
        )?;
        Ok(PaperBook {
            account,
            position,
            positions,
            open_orders,
        })
    }

    /// What a basket is planned and checked against: the account, every position and the working-order
    /// count, read at once.
    pub(super) async fn book_of_account(&self) -> Result<PaperBook, PlaceError> {
        let ledger = &self.service.ctx.ledger;
        let (account, positions, open_orders) = futures::try_join!(
            self.account(),
            async { Ok::<_, PlaceError>(ledger.positions(&self.user).await?) },
            async { Ok::<_, PlaceError>(ledger.open_order_count(&self.user).await?) },
        )?;
        Ok(PaperBook {
            account,
            position: PositionRecord::flat(InstrumentKey::from_text(""), Product::Delivery),
            positions,
            open_orders,
        })
    }

    /// The account's book valued at the last prices.
    async fn valuation(&self) -> Result<Valuation, PlaceError> {
        self.service.paper_valuation(self.user).await
    }

    /// The risk limits on `placement` against `book` ([`risk`]): position size and daily loss unless the
    /// order only reduces the position (the day's P&L needs the account's positions priced), and the
    /// working-order count for a `new` order that rests (a modified order is already counted). The position
    /// is valued at the fill, else the order's price or trigger, else (a market order waiting for the open)
    /// the instrument's `last_price`.
    pub(super) async fn check_limits(
        &self,
        book: &PaperBook,
        placement: &Placement,
        last_price: Decimal,
        new: bool,
    ) -> Result<(), PlaceError> {
        let order = &placement.order;
        let request = &order.request;
        let limits = &self.service.ctx.limits;
        let position = &book.position.position;
        if !risk::reduces_only(position, request.side, request.quantity) {
            let valued = self.service.value_positions(&book.positions).await?;
            let exposure = Exposure {
                day_pnl: valued.day_pnl(),
                funding: book.account.initial_cash,
            };
            let price = placement
                .trade
                .as_ref()
                .map(|t| t.price)
                .or(request.price)
                .or(request.trigger_price)
                .unwrap_or(last_price);
            risk::check_exposure(limits, &exposure, position, request.side, request.quantity, price)
                .map_err(PlaceError::Risk)?;
        }
        if new && !order.status.is_final() {
            risk::check_open_orders(limits, book.open_orders).map_err(PlaceError::Risk)?;
        }
        Ok(())
    }

    /// Places `command` (past the checks every placement starts with) on `book`, read with them when the
    /// command named a valid key, else read now; a plan refused for a race is made again on a fresh book.
    pub(super) async fn place_on(
        &self,
        command: PlaceCommand,
        opening: Opening,
        book: Option<PaperBook>,
    ) -> Result<PlaceOutcome, PlaceError> {
        let Opening {
            claims,
            now,
            priced,
            counted,
        } = opening;
        let ctx = &self.service.ctx;
        let instrument = priced.instrument()?;
        let market = priced.market(instrument, &ctx.plan);
        let id: OrderId = ctx.ids.next();
        let request = &command.request;
        let mut book = match book {
            Some(book) if book.position.instrument == instrument.key => book,
            _ => self.book(&instrument.key, request.product).await?,
        };
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                book = self.book(&instrument.key, request.product).await?;
            }
            let placement = paper::place(
                self.user,
                (id, ctx.ids.next()),
                request,
                &market,
                &book.position,
                book.account.available,
                now,
            )
            .map_err(|refusal| match refusal {
                PlaceRefusal::Invalid(violations) => PlaceError::Invalid(violations),
                PlaceRefusal::Risk(risk) => PlaceError::Risk(risk),
                PlaceRefusal::Transition(e) => PlaceError::Unexpected(e.into()),
            })?;
            self.check_limits(&book, &placement, market.quote.last_price, true)
                .await?;
            match self
                .service
                .commit(&self.user, &command, &claims, &placement, now, counted)
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
}

/// What a paper order is planned and checked against: the account, the position it trades, every position
/// (the day's P&L) and the working-order count.
pub(super) struct PaperBook {
    pub(super) account: PaperAccount,
    position: PositionRecord,
    positions: Vec<PositionRecord>,
    open_orders: usize,
}

impl PaperBook {
    /// The position in `instrument` with `product` among the account's (flat if never opened).
    pub(super) fn position_of(&self, instrument: &InstrumentKey, product: Product) -> PositionRecord {
        self.positions
            .iter()
            .find(|p| p.instrument == *instrument && p.product == product)
            .cloned()
            .unwrap_or_else(|| PositionRecord::flat(instrument.clone(), product))
    }

    /// This book checking an order on `position`.
    pub(super) fn for_position(&self, position: PositionRecord) -> PaperBook {
        PaperBook {
            account: self.account.clone(),
            position,
            positions: self.positions.clone(),
            open_orders: self.open_orders,
        }
    }
}

#[async_trait]
impl Venue for PaperVenue<'_> {
    async fn place(&self, command: PlaceCommand, opening: Opening) -> Result<PlaceOutcome, PlaceError> {
        self.place_on(command, opening, None).await
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
            let (priced, book) = futures::try_join!(
                self.service.priced(order.instrument.as_str(), product, now),
                self.book(&order.instrument, product),
            )?;
            let instrument = priced.instrument()?;
            let placement = paper::modify(
                &order,
                change,
                &priced.market(instrument, &ctx.plan),
                &book.position,
                book.account.available,
                ctx.ids.next(),
                now,
            )
            .map_err(ModifyError::Refused)?;
            self.check_limits(&book, &placement, priced.quote.last_price, false)
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
                            available: book.account.available,
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
        let (funds, book) = futures::try_join!(self.funds(), self.valuation())?;
        Ok(summarize(funds, &book, self.service.ctx.clock.now()))
    }
}

impl OrderService {
    /// `user`'s paper positions and holdings valued at their last prices.
    pub(super) async fn paper_valuation(&self, user: UserId) -> Result<Valuation, PlaceError> {
        let records = self.ctx.ledger.positions(&user).await?;
        self.value_positions(&records).await
    }

    /// `records` valued at their instruments' last prices.
    pub(super) async fn value_positions(&self, records: &[PositionRecord]) -> Result<Valuation, PlaceError> {
        let ctx = &self.ctx;
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
        Ok(valuation(records, |r| mark(&prices, r)))
    }
}
