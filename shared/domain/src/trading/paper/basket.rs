//! Placing a basket on the paper broker: every leg a market order that fills at once, all of them or none.
//! Each leg is planned as a lone order would be ([`place`]); the basket then blocks its hedged margin
//! ([`basket_margin`]): the short legs' positions hold the basket's margin beyond what its long legs pay,
//! shared in proportion to what each would block alone. Funds are checked for the whole basket, leg by leg
//! in order, so a refusal names the first leg the funds do not reach.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::validation::Violation;
use crate::trading::margin::{BasketLeg, BasketMargin, basket_margin};
use crate::trading::paper::{Market, PlaceRefusal, Placement, place};
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderRequest, Side};
use crate::trading::risk::RiskRejection;
use crate::trading::status::OrderStatus;

/// One leg to place: the order, its market and the position it trades.
#[derive(Debug, Clone, Copy)]
pub struct BasketOrder<'a> {
    /// The order (a market order).
    pub request: &'a OrderRequest,
    /// Its market now.
    pub market: Market<'a>,
    /// The position it trades, as read.
    pub position: &'a PositionRecord,
    /// Its order and fill ids.
    pub ids: (OrderId, TradeId),
}

/// What placing a basket does: each leg's placement, in the order given, and the margin blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketPlacement {
    /// Each leg's placement (the short legs' positions hold the hedged margin).
    pub legs: Vec<Placement>,
    /// What the basket blocks.
    pub margin: BasketMargin,
}

impl BasketPlacement {
    /// The change of available funds of the whole basket.
    pub fn available_change(&self) -> Decimal {
        self.legs.iter().map(|l| l.available_change).sum()
    }

    /// The change of cash of the whole basket.
    pub fn cash_change(&self) -> Decimal {
        self.legs.iter().map(|l| l.cash_change).sum()
    }
}

/// Why a basket was refused: the leg (its index among those given) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketRefusal {
    /// The refused leg.
    pub leg: usize,
    /// Why.
    pub refusal: PlaceRefusal,
}

/// Places every leg of `orders` for `user` at `now` with `available` funds, all or none.
///
/// # Errors
/// [`BasketRefusal`] naming the first leg refused: by order rules or risk as a lone order would be, because
/// it would not fill at once, or because the funds do not reach it. Nothing is to be written.
pub fn place_basket(
    user: UserId,
    orders: &[BasketOrder<'_>],
    available: Decimal,
    now: DateTime<Utc>,
) -> Result<BasketPlacement, BasketRefusal> {
    let refuse = |leg: usize| move |refusal: PlaceRefusal| BasketRefusal { leg, refusal };
    // Funds are the basket's to check, once it is hedged: each leg is planned as if they reached it.
    let unchecked = Decimal::from(i64::MAX);
    let mut legs = Vec::with_capacity(orders.len());
    for (i, order) in orders.iter().enumerate() {
        let placement = place(
            user,
            order.ids,
            order.request,
            &order.market,
            order.position,
            unchecked,
            now,
        )
        .map_err(refuse(i))?;
        if placement.order.status != OrderStatus::Complete {
            let why =
                "did not fill at once: a basket executes while its market is open, every leg at the market";
            return Err(refuse(i)(PlaceRefusal::Invalid(vec![Violation::new(
                "legs", why,
            )])));
        }
        legs.push(placement);
    }
    let margin_legs: Vec<BasketLeg<'_>> = orders
        .iter()
        .zip(&legs)
        .map(|(order, placement)| BasketLeg {
            instrument: order.market.instrument,
            side: order.request.side,
            product: order.request.product,
            quantity: order.request.quantity,
            price: placement.trade.as_ref().map_or(Decimal::ZERO, |t| t.price),
            underlying_price: order.market.underlying_price,
        })
        .collect();
    let margin = basket_margin(&margin_legs);
    hedge(orders, &mut legs, &margin_legs, margin.hedge_benefit());
    let mut running = available;
    for (i, leg) in legs.iter().enumerate() {
        running += leg.available_change;
        if running < Decimal::ZERO {
            let required = -legs.iter().map(|l| l.available_change).sum::<Decimal>();
            return Err(refuse(i)(PlaceRefusal::Risk(RiskRejection::InsufficientFunds {
                required,
                available,
            })));
        }
    }
    Ok(BasketPlacement { legs, margin })
}

/// Returns `benefit` from the short legs' positions to available funds, in proportion to each one's margin
/// alone, when every leg opened or added to its position (each then holds exactly its lone margin); a leg
/// that reduced a position held before leaves the basket unhedged.
fn hedge(
    orders: &[BasketOrder<'_>],
    legs: &mut [Placement],
    margin_legs: &[BasketLeg<'_>],
    benefit: Decimal,
) {
    let alone: Vec<Decimal> = margin_legs.iter().map(BasketLeg::alone).collect();
    let opened_only = orders
        .iter()
        .zip(legs.iter())
        .zip(&alone)
        .all(|((order, leg), alone)| {
            leg.position
                .as_ref()
                .is_some_and(|p| p.margin - order.position.margin == *alone)
        });
    if benefit <= Decimal::ZERO || !opened_only {
        return;
    }
    let shorts: Vec<usize> = (0..legs.len())
        .filter(|i| orders[*i].request.side == Side::Sell)
        .collect();
    let short_margin: Decimal = shorts.iter().map(|i| alone[*i]).sum();
    let mut left = benefit;
    for (n, i) in shorts.iter().enumerate() {
        let share = if n + 1 == shorts.len() {
            left
        } else {
            (benefit * alone[*i] / short_margin).round_dp(2)
        };
        left -= share;
        let leg = &mut legs[*i];
        if let Some(position) = leg.position.as_mut() {
            position.margin -= share;
        }
        leg.available_change += share;
    }
}
