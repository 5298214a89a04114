//! Saved strategies: save (legs resolved and priced now), list, read with the mark to market of an executed
//! one, delete; and execution as a basket, of a saved strategy (recorded on it, once) or of legs given.

use crate::kernel::error::RepoError;
use crate::kernel::ids::{StrategyId, UserId};
use crate::kernel::page::Page;
use crate::strategies::service::analyze::check_legs;
use crate::strategies::service::{LegsRequest, RequestedLeg, StrategyError, StrategyService};
use crate::strategies::strategy::{
    ExecutedLeg, Execution, MAX_SAVED, MarkToMarket, Strategy, StrategyLeg, check_name, mark_to_market,
};
use crate::trading::basket::{BasketCommand, BasketLegCommand, BasketOutcome, LegResult};
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::status::OrderStatus;

/// The tag every strategy order carries.
pub const STRATEGY_TAG: &str = "strategy";

/// A strategy to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    /// Its name.
    pub name: String,
    /// Its legs.
    pub legs: LegsRequest,
}

/// A strategy with its mark to market, once executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyView {
    /// The strategy.
    pub strategy: Strategy,
    /// Its execution marked at the last prices.
    pub mark: Option<MarkToMarket>,
}

/// What executing did.
#[derive(Debug)]
pub struct Executed {
    /// The basket's outcome, leg by leg.
    pub outcome: BasketOutcome,
    /// The strategy as it stands after (saved strategies).
    pub strategy: Option<Strategy>,
}

fn market_order(side: Side, quantity: i64) -> OrderRequest {
    OrderRequest {
        side,
        quantity,
        order_type: OrderType::Market,
        product: Product::Delivery,
        price: None,
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        tag: Some(STRATEGY_TAG.to_owned()),
        client_order_id: None,
    }
}

/// Whether every leg of `outcome` was placed and filled whole, with its average price known.
fn filled(outcome: &BasketOutcome) -> bool {
    outcome.legs.iter().all(|(_, result)| match result {
        LegResult::Placed(order) => order.status == OrderStatus::Complete && order.average_price.is_some(),
        LegResult::Failed(_) | LegResult::Skipped => false,
    })
}

impl StrategyService {
    /// Saves `request` for `user`: its legs resolved and priced now.
    ///
    /// # Errors
    /// [`StrategyError::Invalid`], [`StrategyError::TooMany`], market data and storage failures.
    pub async fn save(&self, user: UserId, request: SaveRequest) -> Result<Strategy, StrategyError> {
        check_name(&request.name).map_err(|v| StrategyError::Invalid(vec![v]))?;
        let analyzed = self.analyze(&request.legs).await?;
        let strategy = Strategy {
            id: self.ctx.ids.next(),
            user_id: user,
            name: request.name,
            template: analyzed.template.map(|t| t.name().to_owned()),
            underlying: analyzed.underlying,
            legs: analyzed
                .legs
                .iter()
                .map(|l| StrategyLeg {
                    instrument: l.instrument.clone(),
                    side: l.side,
                    quantity: l.quantity,
                    price: l.price,
                })
                .collect(),
            created_at: self.ctx.clock.now(),
            execution: None,
            version: 1,
        };
        match self.ctx.store.create(&strategy, MAX_SAVED).await {
            Ok(()) => Ok(strategy),
            Err(RepoError::Conflict) => Err(StrategyError::TooMany(MAX_SAVED)),
            Err(e) => Err(e.into()),
        }
    }

    /// One page of `user`'s strategies, newest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<StrategyId>,
    ) -> Result<Page<Strategy, StrategyId>, StrategyError> {
        Ok(self.ctx.store.page(user, limit, after).await?)
    }

    /// One of `user`'s strategies, marked to market if executed.
    ///
    /// # Errors
    /// [`StrategyError::NotFound`] (another user's too); market data and storage failures.
    pub async fn get(&self, user: &UserId, id: &StrategyId) -> Result<StrategyView, StrategyError> {
        let strategy = self
            .ctx
            .store
            .get(user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        let Some(execution) = &strategy.execution else {
            return Ok(StrategyView { strategy, mark: None });
        };
        let now = self.ctx.clock.now();
        let master = self.ctx.master.get(now).await?;
        // A contract gone from the master (expired) is marked at its entry price.
        let instruments: Vec<_> = execution
            .legs
            .iter()
            .filter_map(|l| master.get(l.instrument.as_str()))
            .collect();
        let prices = self.ctx.market.last_prices(&master, &instruments, now).await?;
        let mark = Some(mark_to_market(execution, &prices));
        Ok(StrategyView { strategy, mark })
    }

    /// Deletes one of `user`'s strategies (its orders and positions stay).
    ///
    /// # Errors
    /// [`StrategyError::NotFound`]; storage failures.
    pub async fn delete(&self, user: &UserId, id: &StrategyId) -> Result<(), StrategyError> {
        if self.ctx.store.delete(user, id).await? {
            Ok(())
        } else {
            Err(StrategyError::NotFound)
        }
    }

    /// Executes `user`'s saved strategy `id` as a basket under `idempotency_key`, and records the execution
    /// on it when every leg filled at once (always on paper; a live broker confirms fills later, so a live
    /// execution is not recorded and its orders are read from the order book). The same key again answers with the same orders; a strategy executed
    /// under another key is not executed again.
    ///
    /// # Errors
    /// [`StrategyError::NotFound`], [`StrategyError::AlreadyExecuted`], the basket's refusal.
    pub async fn execute_saved(
        &self,
        user: UserId,
        id: &StrategyId,
        idempotency_key: String,
    ) -> Result<Executed, StrategyError> {
        let mut strategy = self
            .ctx
            .store
            .get(&user, id)
            .await?
            .ok_or(StrategyError::NotFound)?;
        if strategy
            .execution
            .as_ref()
            .is_some_and(|e| e.idempotency_key != idempotency_key)
        {
            return Err(StrategyError::AlreadyExecuted);
        }
        let command = BasketCommand {
            legs: strategy
                .legs
                .iter()
                .map(|l| BasketLegCommand {
                    instrument: l.instrument.as_str().to_owned(),
                    request: market_order(l.side, l.quantity),
                })
                .collect(),
            idempotency_key: idempotency_key.clone(),
            request_hash: format!("strategy:{id}"),
        };
        let outcome = self.ctx.desk.place_basket(user, command).await?;
        if strategy.execution.is_none() && filled(&outcome) {
            let mut legs: Vec<(usize, ExecutedLeg)> = outcome
                .legs
                .iter()
                .filter_map(|(i, result)| match result {
                    LegResult::Placed(order) => Some((
                        *i,
                        ExecutedLeg {
                            instrument: order.instrument.clone(),
                            side: order.request.side,
                            quantity: order.filled_quantity,
                            order_id: order.id,
                            entry_price: order.average_price?,
                        },
                    )),
                    _ => None,
                })
                .collect();
            legs.sort_by_key(|(i, _)| *i);
            strategy.execution = Some(Execution {
                executed_at: self.ctx.clock.now(),
                idempotency_key,
                legs: legs.into_iter().map(|(_, leg)| leg).collect(),
            });
            strategy.version += 1;
            self.ctx.store.update(&strategy).await?;
        }
        Ok(Executed {
            outcome,
            strategy: Some(strategy),
        })
    }

    /// Executes `legs` (market orders, one underlying) for `user` as a basket under `idempotency_key`;
    /// `request_hash` tells a replay from another request under the same key.
    ///
    /// # Errors
    /// [`StrategyError::Invalid`], the basket's refusal.
    pub async fn execute_legs(
        &self,
        user: UserId,
        legs: &[RequestedLeg],
        idempotency_key: String,
        request_hash: String,
    ) -> Result<Executed, StrategyError> {
        let master = self.ctx.master.get(self.ctx.clock.now()).await?;
        let (_, planned) = check_legs(&master, legs)?;
        let command = BasketCommand {
            legs: planned
                .iter()
                .map(|l| BasketLegCommand {
                    instrument: l.instrument.as_str().to_owned(),
                    request: market_order(l.side, l.quantity),
                })
                .collect(),
            idempotency_key,
            request_hash,
        };
        let outcome = self.ctx.desk.place_basket(user, command).await?;
        Ok(Executed {
            outcome,
            strategy: None,
        })
    }
}
