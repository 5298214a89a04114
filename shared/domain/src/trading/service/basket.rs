//! Placing a basket: several orders as one request, buy legs first (their premiums before the short legs'
//! margin). On paper the basket is all or nothing ([`crate::trading::paper::place_basket`]): one round trip
//! of reads (as a lone placement makes), one plan, one transaction; a refused leg is named and nothing is
//! placed. A live broker has no baskets: each leg is placed in turn as a lone order (its own idempotency key
//! derived from the basket's), and the first refusal stops the rest.

use crate::kernel::ids::UserId;
use crate::kernel::validation::Violation;
use crate::strategies::ports::OrderDesk;
use crate::trading::basket::{
    BasketCommand, BasketError, BasketLegCommand, BasketOutcome, LegResult, MAX_BASKET_LEGS,
};
use crate::trading::paper::{BasketOrder, PlaceRefusal, place_basket};
use crate::trading::ports::{BasketClaim, CommitError};
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderType, Side};
use crate::trading::risk::ORDERS_PER_ACCOUNT;
use crate::trading::service::paper::{PaperBook, PaperVenue};
use crate::trading::service::place::{PlaceCommand, PlaceOutcome, placement_limit, placement_limit_key};
use crate::trading::service::pricing::Priced;
use crate::trading::service::{ATTEMPTS, OrderService, PlaceError};

/// What a paper basket starts from, read at once with the checks every basket starts with.
struct BasketOpening {
    /// When it is placed.
    now: chrono::DateTime<chrono::Utc>,
    /// The legs' indices in placement order.
    order: Vec<usize>,
    /// Each leg's market, in placement order.
    priced: Vec<Priced>,
    /// Placements the account's window had counted.
    counted: u64,
    /// The account's book.
    book: PaperBook,
    /// The basket's claim key.
    claim_key: String,
}

fn refused(leg: usize, error: PlaceError) -> BasketError {
    BasketError {
        leg: Some(leg),
        error,
    }
}

/// The legs' indices in placement order: buys first, each side in the caller's order.
fn placement_order(legs: &[BasketLegCommand]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..legs.len()).collect();
    order.sort_by_key(|i| legs[*i].request.side != Side::Buy);
    order
}

/// The basket's own rules: 1 to [`MAX_BASKET_LEGS`] market orders, no instrument and product twice.
fn check_shape(legs: &[BasketLegCommand]) -> Result<(), BasketError> {
    let mut violations = Vec::new();
    if legs.is_empty() || legs.len() > MAX_BASKET_LEGS {
        violations.push(Violation::new("legs", format!("1 to {MAX_BASKET_LEGS} legs")));
    }
    for (i, leg) in legs.iter().enumerate() {
        if leg.request.order_type != OrderType::Market {
            violations.push(Violation::new(
                "legs",
                format!("leg {i}: a basket's legs are MARKET orders"),
            ));
        }
        let twice = legs[..i]
            .iter()
            .any(|l| l.instrument == leg.instrument && l.request.product == leg.request.product);
        if twice {
            violations.push(Violation::new(
                "legs",
                format!("leg {i}: its instrument is already in the basket"),
            ));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(PlaceError::Invalid(violations).into())
    }
}

impl OrderService {
    /// Places `command`'s legs for `user` as one basket: on paper all or none (a claimed key answers with
    /// the original orders), live one by one until a refusal.
    ///
    /// # Errors
    /// [`BasketError`]: on paper nothing is written; live, nothing was sent.
    pub async fn place_basket(
        &self,
        user: UserId,
        command: BasketCommand,
    ) -> Result<BasketOutcome, BasketError> {
        check_shape(&command.legs)?;
        let claim_key = format!("basket:{}", command.idempotency_key);
        let now = self.ctx.clock.now();
        let order = placement_order(&command.legs);
        let limit_key = placement_limit_key(&user);
        let paper = PaperVenue::new(self, user);
        // Everything a paper basket reads, at once (a live account's paper reads are dropped).
        let (replay, halted, live, counted, book, priced) = futures::join!(
            self.basket_replay(&user, &command, &claim_key),
            self.check_not_halted(),
            self.trades_live(&user),
            self.ctx
                .ledger
                .placements_counted(placement_limit(&limit_key, now)),
            paper.book_of_account(),
            futures::future::join_all(order.iter().map(|i| {
                let leg = &command.legs[*i];
                self.priced(&leg.instrument, leg.request.product, now)
            })),
        );
        if let Some(original) = replay? {
            return Ok(original);
        }
        halted?;
        if live? {
            return self.send_basket_live(user, &command).await;
        }
        let priced: Vec<Priced> = priced
            .into_iter()
            .zip(&order)
            .map(|(p, i)| p.map_err(|e| refused(*i, e)))
            .collect::<Result<_, _>>()?;
        let opening = BasketOpening {
            now,
            order,
            priced,
            counted: counted?,
            book: book?,
            claim_key,
        };
        self.place_basket_on_paper(user, &command, opening).await
    }

    /// The original orders of a claimed basket key, or why the key cannot be reused.
    async fn basket_replay(
        &self,
        user: &UserId,
        command: &BasketCommand,
        key: &str,
    ) -> Result<Option<BasketOutcome>, BasketError> {
        let Some(claim) = self.ctx.ledger.basket_claim(user, key).await? else {
            return Ok(None);
        };
        if claim.request_hash != command.request_hash {
            return Err(PlaceError::KeyReused("Idempotency-Key").into());
        }
        let order = placement_order(&command.legs);
        let mut legs = Vec::with_capacity(claim.order_ids.len());
        for (leg, id) in order.into_iter().zip(&claim.order_ids) {
            let original = self
                .ctx
                .ledger
                .order(user, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("basket claim {key} names a missing order"))?;
            legs.push((leg, LegResult::Placed(Box::new(original))));
        }
        Ok(Some(BasketOutcome {
            legs,
            margin: None,
            replayed: true,
        }))
    }

    /// Live: each leg as a lone order, in placement order, until one is refused.
    async fn send_basket_live(
        &self,
        user: UserId,
        command: &BasketCommand,
    ) -> Result<BasketOutcome, BasketError> {
        let mut legs = Vec::with_capacity(command.legs.len());
        let mut stopped = false;
        for i in placement_order(&command.legs) {
            if stopped {
                legs.push((i, LegResult::Skipped));
                continue;
            }
            let leg = &command.legs[i];
            let lone = PlaceCommand {
                instrument: leg.instrument.clone(),
                request: leg.request.clone(),
                idempotency_key: Some(format!("{}.{i}", command.idempotency_key)),
                request_hash: format!("{}.{i}", command.request_hash),
            };
            match self.place(user, lone).await {
                Ok(PlaceOutcome::Created(order, _) | PlaceOutcome::Replayed(order)) => {
                    legs.push((i, LegResult::Placed(Box::new(order))));
                }
                Err(e) => {
                    stopped = true;
                    legs.push((i, LegResult::Failed(e)));
                }
            }
        }
        Ok(BasketOutcome {
            legs,
            margin: None,
            replayed: false,
        })
    }

    /// Paper: the basket planned on what `opening` read and checked, one transaction; a plan refused for a
    /// race is made again on a fresh book.
    async fn place_basket_on_paper(
        &self,
        user: UserId,
        command: &BasketCommand,
        opening: BasketOpening,
    ) -> Result<BasketOutcome, BasketError> {
        let ctx = &self.ctx;
        let BasketOpening {
            now,
            order,
            priced,
            counted,
            book,
            claim_key,
        } = opening;
        let limit_key = placement_limit_key(&user);
        let limit = placement_limit(&limit_key, now);
        let room = u64::from(ORDERS_PER_ACCOUNT.limit).saturating_sub(counted);
        if room < order.len() as u64 {
            let decision = ORDERS_PER_ACCOUNT.decide(u64::from(ORDERS_PER_ACCOUNT.limit) + 1, now);
            let first_over = usize::try_from(room).unwrap_or(0);
            return Err(refused(order[first_over], PlaceError::RateLimited(decision)));
        }
        let instruments = priced
            .iter()
            .map(Priced::instrument)
            .collect::<Result<Vec<_>, _>>()?;
        let markets: Vec<_> = priced
            .iter()
            .zip(&instruments)
            .map(|(p, instrument)| p.market(instrument, &ctx.plan))
            .collect();
        let paper = PaperVenue::new(self, user);
        let mut first_read = Some(book);
        for _ in 0..ATTEMPTS {
            let book = match first_read.take() {
                Some(read) => read,
                None => paper.book_of_account().await?,
            };
            let positions: Vec<PositionRecord> = order
                .iter()
                .zip(&instruments)
                .map(|(i, instrument)| book.position_of(&instrument.key, command.legs[*i].request.product))
                .collect();
            let orders: Vec<BasketOrder<'_>> = order
                .iter()
                .enumerate()
                .map(|(n, i)| BasketOrder {
                    request: &command.legs[*i].request,
                    market: markets[n],
                    position: &positions[n],
                    ids: (ctx.ids.next(), ctx.ids.next()),
                })
                .collect();
            let basket = place_basket(user, &orders, book.account.available, now).map_err(|refusal| {
                let error = match refusal.refusal {
                    PlaceRefusal::Invalid(violations) => PlaceError::Invalid(violations),
                    PlaceRefusal::Risk(risk) => PlaceError::Risk(risk),
                    PlaceRefusal::Transition(e) => PlaceError::Unexpected(e.into()),
                };
                refused(order[refusal.leg], error)
            })?;
            for (n, leg) in basket.legs.iter().enumerate() {
                let leg_book = book.for_position(positions[n].clone());
                paper
                    .check_limits(&leg_book, leg, priced[n].quote.last_price, true)
                    .await
                    .map_err(|e| refused(order[n], e))?;
            }
            let claim = BasketClaim {
                key: claim_key.clone(),
                request_hash: command.request_hash.clone(),
                order_ids: basket.legs.iter().map(|l| l.order.id).collect(),
            };
            match ctx.ledger.place_basket(&basket, &claim, limit).await {
                Ok(()) => {
                    return Ok(BasketOutcome {
                        legs: order
                            .iter()
                            .zip(basket.legs)
                            .map(|(i, leg)| (*i, LegResult::Placed(Box::new(leg.order))))
                            .collect(),
                        margin: Some(basket.margin),
                        replayed: false,
                    });
                }
                Err(CommitError::Claimed) => {
                    return self
                        .basket_replay(&user, command, &claim_key)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("basket claim taken but not readable").into());
                }
                Err(CommitError::RateLimited) => {
                    let decision = ORDERS_PER_ACCOUNT.decide(u64::from(ORDERS_PER_ACCOUNT.limit) + 1, now);
                    return Err(PlaceError::RateLimited(decision).into());
                }
                Err(CommitError::Unexpected(e)) => return Err(e.into()),
                // Funds or a position moved since they were read: plan again on fresh state.
                Err(CommitError::InsufficientFunds | CommitError::Conflict) => {}
            }
        }
        Err(PlaceError::Busy.into())
    }
}

#[async_trait::async_trait]
impl OrderDesk for OrderService {
    async fn place_basket(&self, user: UserId, command: BasketCommand) -> Result<BasketOutcome, BasketError> {
        OrderService::place_basket(self, user, command).await
    }
}
