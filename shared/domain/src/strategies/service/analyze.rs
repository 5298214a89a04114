//! Analysing a strategy: its legs resolved (a template's on the live chains) and priced (each option at its
//! last price unless one is given, with the IV and Greeks its chain row carries; a future at its last
//! price), then the payoff analysis at those prices and the basket's margin at the prices its market orders
//! would fill at now.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use crate::kernel::validation::Violation;
use crate::market::chain::{OptionChain, option_chain, years_to_expiry};
use crate::market::instrument::{Instrument, InstrumentKey, Segment};
use crate::market::master::{InstrumentMaster, REFERENCE_RATE};
use crate::market::options::Valuation;
use crate::strategies::leg::{LegContract, PricedLeg};
use crate::strategies::payoff::{Analysis, Scenario, analyze};
use crate::strategies::service::{StrategyError, StrategyService};
use crate::strategies::template::{MAX_LOTS, PlannedLeg, Template, TemplateRequest};
use crate::trading::basket::MAX_BASKET_LEGS;
use crate::trading::margin::{BasketLeg, BasketMargin, basket_margin};
use crate::trading::request::{Product, Side};

/// Points on each payoff curve.
pub const PAYOFF_POINTS: usize = 500;
/// The highest price a leg may be given at.
const MAX_LEG_PRICE: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);

/// One leg as a client gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedLeg {
    /// The contract (`NFO:NIFTY26D0126000CE`, or the index future).
    pub instrument: String,
    /// Buy or sell.
    pub side: Side,
    /// Units: a whole number of lots.
    pub quantity: i64,
    /// The price per unit to analyse at; the last price if not given.
    pub price: Option<Decimal>,
}

/// What to analyse: a template with its parameters, or legs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegsRequest {
    /// A template.
    Template(TemplateRequest),
    /// Legs on one underlying.
    Legs(Vec<RequestedLeg>),
}

/// A strategy analysed.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyzed {
    /// The template, if it came from one.
    pub template: Option<Template>,
    /// The index.
    pub underlying: InstrumentKey,
    /// Its price now.
    pub underlying_price: Decimal,
    /// The legs, priced.
    pub legs: Vec<PricedLeg>,
    /// The payoff analysis.
    pub analysis: Analysis,
    /// What the legs would block as a basket at these prices.
    pub margin: BasketMargin,
}

/// The chains a strategy's legs are priced on, by expiry.
type Chains = HashMap<NaiveDate, OptionChain>;

impl StrategyService {
    /// Resolves, prices and analyses `request`.
    ///
    /// # Errors
    /// [`StrategyError::Invalid`] naming what is wrong; market data failures.
    pub async fn analyze(&self, request: &LegsRequest) -> Result<Analyzed, StrategyError> {
        let now = self.ctx.clock.now();
        let master = self.ctx.master.get(now).await?;
        let (underlying, planned, prices) = match request {
            LegsRequest::Template(template) => (template.underlying.clone(), None, None),
            LegsRequest::Legs(legs) => {
                let (underlying, planned) = check_legs(&master, legs)?;
                let prices: Vec<Option<Decimal>> = legs.iter().map(|l| l.price).collect();
                (underlying, Some(planned), Some(prices))
            }
        };
        let index = options_index(&master, &underlying)?;
        let listed = master.option_expiries(index.key.as_str());
        let mut expiries: BTreeSet<NaiveDate> = BTreeSet::new();
        let template_expiries = match request {
            LegsRequest::Template(template) => Some(template.expiries(&listed)?),
            LegsRequest::Legs(_) => None,
        };
        // The nearest listed expiry always: its at-the-money IV is the probability of profit's.
        expiries.extend(listed.first());
        if let Some((near, far)) = template_expiries {
            expiries.insert(near);
            expiries.extend(far);
        }
        if let Some(planned) = &planned {
            for leg in planned {
                let instrument = master.get(leg.instrument.as_str());
                if let Some(expiry) = instrument
                    .filter(|i| i.segment == Segment::Option)
                    .and_then(|i| i.expiry)
                {
                    expiries.insert(expiry);
                }
            }
        }
        let chains = self.chains(&master, index, &expiries, now).await?;
        let first = listed
            .first()
            .and_then(|e| chains.get(e))
            .ok_or_else(|| anyhow::anyhow!("no chain for the first expiry of {}", index.key))?;
        let spot = first.underlying_price;
        let spot_f64 = spot.to_f64().unwrap_or_default();
        let (template, planned, prices) = match (request, template_expiries) {
            (LegsRequest::Template(t), Some((near, far))) => {
                let near_chain = &chains[&near];
                let future = nearest_future(&master, index, near);
                let lot_size = near_chain
                    .rows
                    .first()
                    .and_then(|r| master.get(r.call.instrument.as_str()))
                    .map_or(1, |i| i.lot_size);
                let planned = t.resolve(spot_f64, near_chain, far.map(|f| &chains[&f]), future, lot_size)?;
                let prices = vec![None; planned.len()];
                (Some(t.template), planned, prices)
            }
            _ => (None, planned.unwrap_or_default(), prices.unwrap_or_default()),
        };
        let (legs, fills) = self.price_legs(&master, &chains, &planned, &prices, now).await?;
        let scenario = Scenario {
            spot: spot_f64,
            atm_iv: at_the_money_iv(first),
            rate: REFERENCE_RATE,
        };
        let analysis = analyze(&legs, &scenario, PAYOFF_POINTS);
        let margin = margin_of(&master, &legs, &fills, spot);
        Ok(Analyzed {
            template,
            underlying: index.key.clone(),
            underlying_price: spot,
            legs,
            analysis,
            margin,
        })
    }

    /// The chains of `index` for `expiries`, read at once.
    async fn chains(
        &self,
        master: &InstrumentMaster,
        index: &Instrument,
        expiries: &BTreeSet<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Chains, StrategyError> {
        let underlying = index.key.as_str();
        let snapshots = futures::future::try_join_all(
            expiries
                .iter()
                .map(|expiry| self.ctx.market.chain_snapshot(master, underlying, *expiry, now)),
        )
        .await?;
        expiries
            .iter()
            .zip(snapshots)
            .map(|(expiry, snapshot)| {
                let chain = option_chain(master, &snapshot, underlying, *expiry)
                    .ok_or_else(|| anyhow::anyhow!("no chain for {underlying} {expiry}"))?;
                Ok((*expiry, chain))
            })
            .collect()
    }

    /// Each planned leg priced (options from their chain row, futures at their last price), with the price
    /// it would fill at now as a market order (the given price, else the ask for a buy and the bid for a
    /// sell): what the basket's margin is estimated at, as the paper broker blocks it at the fills.
    async fn price_legs(
        &self,
        master: &InstrumentMaster,
        chains: &Chains,
        planned: &[PlannedLeg],
        prices: &[Option<Decimal>],
        now: DateTime<Utc>,
    ) -> Result<(Vec<PricedLeg>, Vec<Decimal>), StrategyError> {
        let instruments: Vec<&Instrument> = planned
            .iter()
            .filter_map(|l| master.get(l.instrument.as_str()))
            .collect();
        let quotes = self.ctx.market.quotes(master, &instruments, now).await?;
        let fills = planned
            .iter()
            .zip(prices)
            .map(|(leg, given)| {
                let quote = quotes
                    .get(&leg.instrument)
                    .ok_or_else(|| anyhow::anyhow!("no quote for {}", leg.instrument))?;
                let touch = match leg.side {
                    Side::Buy => quote.ask,
                    Side::Sell => quote.bid,
                };
                Ok(given.unwrap_or(touch))
            })
            .collect::<Result<Vec<Decimal>, StrategyError>>()?;
        let legs = planned
            .iter()
            .zip(prices)
            .map(|(leg, given)| {
                let instrument = master
                    .get(leg.instrument.as_str())
                    .ok_or_else(|| anyhow::anyhow!("{} left the master", leg.instrument))?;
                let expiry = instrument
                    .expiry
                    .ok_or_else(|| anyhow::anyhow!("{} has no expiry", instrument.key))?;
                let priced = match (instrument.option_type, instrument.strike) {
                    (Some(option_type), Some(strike)) => {
                        let chain = chains
                            .get(&expiry)
                            .ok_or_else(|| anyhow::anyhow!("no chain for {expiry}"))?;
                        let side = chain
                            .rows
                            .iter()
                            .flat_map(|r| [&r.call, &r.put])
                            .find(|s| s.instrument == instrument.key)
                            .ok_or_else(|| anyhow::anyhow!("{} not in its chain", instrument.key))?;
                        PricedLeg {
                            instrument: instrument.key.clone(),
                            contract: LegContract::Option {
                                option_type,
                                strike,
                                expiry,
                            },
                            side: leg.side,
                            quantity: leg.quantity,
                            lot_size: instrument.lot_size,
                            price: given.unwrap_or(side.last_price),
                            forward: chain.forward,
                            time_years: chain.time_years,
                            iv: side.iv,
                            greeks: side.greeks.unwrap_or(FLAT),
                        }
                    }
                    _ => {
                        let last = quotes
                            .get(&instrument.key)
                            .ok_or_else(|| anyhow::anyhow!("no price for {}", instrument.key))?
                            .last_price;
                        let price = given.unwrap_or(last);
                        let forward = last.to_f64().unwrap_or_default();
                        PricedLeg {
                            instrument: instrument.key.clone(),
                            contract: LegContract::Future { expiry },
                            side: leg.side,
                            quantity: leg.quantity,
                            lot_size: instrument.lot_size,
                            price,
                            forward,
                            // Counted from the chains' instant when one of its expiry is read, so a future
                            // and the options of its expiry expire together in the analysis.
                            time_years: chains
                                .get(&expiry)
                                .map(|c| c.time_years)
                                .or_else(|| years_to_expiry(expiry, now))
                                .unwrap_or_default(),
                            iv: None,
                            greeks: Valuation {
                                price: forward,
                                delta: 1.0,
                                ..FLAT
                            },
                        }
                    }
                };
                Ok(priced)
            })
            .collect::<Result<Vec<PricedLeg>, StrategyError>>()?;
        Ok((legs, fills))
    }
}

/// Greeks of nothing.
const FLAT: Valuation = Valuation {
    price: 0.0,
    delta: 0.0,
    gamma: 0.0,
    theta: 0.0,
    vega: 0.0,
    rho: 0.0,
};

/// `underlying` if it is an index with options listed.
fn options_index<'m>(
    master: &'m InstrumentMaster,
    underlying: &str,
) -> Result<&'m Instrument, Vec<Violation>> {
    master
        .get(underlying)
        .filter(|i| i.segment == Segment::Index && !master.option_expiries(underlying).is_empty())
        .ok_or_else(|| {
            vec![Violation::new(
                "underlying",
                "not an index with listed options (e.g. NSE:NIFTY)",
            )]
        })
}

/// The index future expiring first on or after `expiry`.
fn nearest_future<'m>(
    master: &'m InstrumentMaster,
    index: &Instrument,
    expiry: NaiveDate,
) -> Option<&'m Instrument> {
    master
        .all()
        .iter()
        .filter(|i| i.segment == Segment::Future && i.underlying.as_ref() == Some(&index.key))
        .filter(|i| i.expiry.is_some_and(|e| e >= expiry))
        .min_by_key(|i| i.expiry)
}

/// The IV at the strike nearest the forward (its call's, which is out of the money at or above it).
fn at_the_money_iv(chain: &OptionChain) -> f64 {
    chain
        .rows
        .iter()
        .min_by(|a, b| {
            let distance = |k: Decimal| (k.to_f64().unwrap_or_default() - chain.forward).abs();
            distance(a.strike).total_cmp(&distance(b.strike))
        })
        .and_then(|row| row.call.iv.or(row.put.iv))
        .unwrap_or(0.15)
}

/// The basket margin of `legs` filled at `fills`, the underlying at `spot`.
fn margin_of(
    master: &InstrumentMaster,
    legs: &[PricedLeg],
    fills: &[Decimal],
    spot: Decimal,
) -> BasketMargin {
    let basket: Vec<BasketLeg<'_>> = legs
        .iter()
        .zip(fills)
        .filter_map(|(leg, fill)| {
            Some(BasketLeg {
                instrument: master.get(leg.instrument.as_str())?,
                side: leg.side,
                product: Product::Delivery,
                quantity: leg.quantity,
                price: *fill,
                underlying_price: spot,
            })
        })
        .collect();
    basket_margin(&basket)
}

/// Checks legs given one by one: 1 to [`MAX_BASKET_LEGS`], each a listed option or future of one index,
/// each once, in whole lots (at most [`MAX_LOTS`]), any price given positive.
pub(super) fn check_legs(
    master: &InstrumentMaster,
    legs: &[RequestedLeg],
) -> Result<(String, Vec<PlannedLeg>), Vec<Violation>> {
    let mut violations = Vec::new();
    if legs.is_empty() || legs.len() > MAX_BASKET_LEGS {
        violations.push(Violation::new("legs", format!("1 to {MAX_BASKET_LEGS} legs")));
    }
    let mut underlying: Option<InstrumentKey> = None;
    let mut planned = Vec::with_capacity(legs.len());
    for (i, leg) in legs.iter().enumerate() {
        let mut refuse = |what: String| violations.push(Violation::new("legs", format!("leg {i}: {what}")));
        let Some(instrument) = master
            .get(&leg.instrument)
            .filter(|i| matches!(i.segment, Segment::Option | Segment::Future))
        else {
            refuse("not a listed option or future".into());
            continue;
        };
        match (&underlying, &instrument.underlying) {
            (None, Some(of)) => underlying = Some(of.clone()),
            (Some(first), Some(of)) if first != of => {
                refuse(format!("on {of}, not {first}: one underlying per strategy"))
            }
            _ => {}
        }
        let lot = i64::from(instrument.lot_size.max(1));
        if leg.quantity < lot || leg.quantity % lot != 0 || leg.quantity > lot * i64::from(MAX_LOTS) {
            refuse(format!(
                "quantity must be a whole number of lots of {lot}, at most {MAX_LOTS} lots"
            ));
        }
        if leg.price.is_some_and(|p| p <= Decimal::ZERO || p > MAX_LEG_PRICE) {
            refuse("price must be above 0 and at most 1,00,00,000".into());
        }
        if legs[..i].iter().any(|l| l.instrument == leg.instrument) {
            refuse("its instrument is already a leg".into());
        }
        planned.push(PlannedLeg {
            instrument: instrument.key.clone(),
            side: leg.side,
            quantity: leg.quantity,
        });
    }
    match underlying {
        Some(underlying) if violations.is_empty() => Ok((underlying.as_str().to_owned(), planned)),
        _ => Err(violations),
    }
}
