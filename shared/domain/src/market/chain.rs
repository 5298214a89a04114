//! The option chain of one underlying and expiry: every listed strike's call and put with last price,
//! implied volatility and Greeks. Black-76 on the expiry's forward — the synthetic future implied by put-call
//! parity at the strike nearest the money, `F = K + (C − P)·e^(rT)` — so the chain needs no dividend
//! assumption. An option whose own price no volatility fits (a deep in-the-money option at or below its
//! no-arbitrage bound after rounding) takes the implied volatility of the out-of-the-money option at the same
//! strike, the usual practice for a smile, and says so (`IvSource::OutOfTheMoney`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};

use crate::kernel::time::ist_instant;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::{InstrumentMaster, REFERENCE_RATE};
use crate::market::options::{DAYS_PER_YEAR, Model, OptionSpec, OptionType, Valuation};
use crate::market::quote::Quote;

/// One side (call or put) of a strike.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainSide {
    /// The contract.
    pub instrument: InstrumentKey,
    /// Last traded price.
    pub last_price: Decimal,
    /// Implied volatility (decimal), when one fits.
    pub iv: Option<f64>,
    /// Whose price the volatility was solved from.
    pub iv_source: Option<IvSource>,
    /// Greeks at that volatility.
    pub greeks: Option<Valuation>,
    /// Open interest in units, when the source reports it.
    pub oi: Option<u64>,
}

/// Whose price a chain side's implied volatility comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IvSource {
    /// The option's own price.
    Own,
    /// The out-of-the-money option at the same strike (the call at or above the forward, else the put).
    OutOfTheMoney,
}

/// One strike.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    /// Strike.
    pub strike: Decimal,
    /// The call.
    pub call: ChainSide,
    /// The put.
    pub put: ChainSide,
}

/// A whole chain.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionChain {
    /// The underlying.
    pub underlying: InstrumentKey,
    /// Its last price.
    pub underlying_price: Decimal,
    /// The synthetic future for this expiry.
    pub forward: f64,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Years to expiry (calendar days / 365 to 15:30 IST on expiry day).
    pub time_years: f64,
    /// Strikes, ascending.
    pub rows: Vec<ChainRow>,
}

fn expiry_instant(expiry: NaiveDate) -> Option<DateTime<Utc>> {
    Some(ist_instant(expiry, NaiveTime::from_hms_opt(15, 30, 0)?))
}

/// Years from `as_of` to 15:30 IST on `expiry` (calendar days / 365), at least a minute's worth.
pub fn years_to_expiry(expiry: NaiveDate, as_of: DateTime<Utc>) -> Option<f64> {
    let seconds = (expiry_instant(expiry)? - as_of).num_seconds().max(60);
    Some(seconds as f64 / (DAYS_PER_YEAR * 86_400.0))
}

/// What a chain needs of the market at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainSnapshot {
    /// The underlying's last price.
    pub underlying_price: Decimal,
    /// When that price was struck: time to expiry is counted from here.
    pub as_of: DateTime<Utc>,
    /// Each contract's last price and open interest.
    pub contracts: HashMap<InstrumentKey, ContractSnapshot>,
}

/// One contract in a [`ChainSnapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractSnapshot {
    /// Last traded price.
    pub last_price: Decimal,
    /// Open interest in units, when the source reports it.
    pub open_interest: Option<u64>,
}

impl ChainSnapshot {
    /// The snapshot in `quotes` (of [`chain_instruments`]), or `None` without the underlying's quote.
    pub fn from_quotes(quotes: &HashMap<InstrumentKey, Quote>, underlying: &str) -> Option<Self> {
        let (_, spot) = quotes.iter().find(|(key, _)| key.as_str() == underlying)?;
        Some(Self {
            underlying_price: spot.last_price,
            as_of: spot.timestamp,
            contracts: quotes
                .iter()
                .filter(|(key, _)| key.as_str() != underlying)
                .map(|(key, q)| {
                    let contract = ContractSnapshot {
                        last_price: q.last_price,
                        open_interest: q.open_interest,
                    };
                    (key.clone(), contract)
                })
                .collect(),
        })
    }
}

/// The instruments whose quotes [`option_chain`] needs: the underlying, then every contract of the expiry.
pub fn chain_instruments<'a>(
    master: &'a InstrumentMaster,
    underlying: &str,
    expiry: NaiveDate,
) -> Vec<&'a Instrument> {
    master
        .get(underlying)
        .into_iter()
        .chain(master.option_contracts(underlying, expiry))
        .collect()
}

/// The chain of `underlying` for `expiry` from `snapshot`, or `None` if nothing is listed or a contract is
/// missing from the snapshot.
pub fn option_chain(
    master: &InstrumentMaster,
    snapshot: &ChainSnapshot,
    underlying: &str,
    expiry: NaiveDate,
) -> Option<OptionChain> {
    let spot_instrument = master.get(underlying)?;
    let contracts = master.option_contracts(underlying, expiry);
    if contracts.is_empty() {
        return None;
    }
    let time_years = years_to_expiry(expiry, snapshot.as_of)?;
    let quotes: Vec<(&Instrument, ContractSnapshot)> = contracts
        .iter()
        .map(|c| Some((*c, *snapshot.contracts.get(&c.key)?)))
        .collect::<Option<_>>()?;
    let spot = snapshot.underlying_price.to_f64()?;
    let discount = libm::exp(-REFERENCE_RATE * time_years);
    // Synthetic future at the strike nearest the spot.
    let atm = quotes.chunks(2).min_by(|a, b| {
        let d = |pair: &[(&Instrument, ContractSnapshot)]| {
            (pair[0].0.strike.and_then(|k| k.to_f64()).unwrap_or(0.0) - spot).abs()
        };
        d(a).total_cmp(&d(b))
    })?;
    let strike = atm[0].0.strike?.to_f64()?;
    let forward = strike + (atm[0].1.last_price.to_f64()? - atm[1].1.last_price.to_f64()?) / discount;
    let spec = |instrument: &Instrument| OptionSpec {
        model: Model::Black76,
        option_type: instrument.option_type.unwrap_or(OptionType::Call),
        underlying: forward,
        strike: instrument.strike.and_then(|k| k.to_f64()).unwrap_or(forward),
        time_years,
        rate: REFERENCE_RATE,
        dividend_yield: 0.0,
    };
    let own_iv = |instrument: &Instrument, contract: &ContractSnapshot| {
        contract
            .last_price
            .to_f64()
            .and_then(|p| spec(instrument).implied_volatility(p))
    };
    let rows = quotes
        .chunks(2)
        .filter_map(|pair| {
            let [(call, call_price), (put, put_price)] = pair else {
                return None;
            };
            let strike = call.strike?;
            let (call_iv, put_iv) = (own_iv(call, call_price), own_iv(put, put_price));
            let otm_iv = if strike.to_f64()? >= forward {
                call_iv
            } else {
                put_iv
            };
            let side = |instrument: &Instrument, contract: &ContractSnapshot, own: Option<f64>| {
                let (iv, iv_source) = match (own, otm_iv) {
                    (Some(iv), _) => (Some(iv), Some(IvSource::Own)),
                    (None, Some(iv)) => (Some(iv), Some(IvSource::OutOfTheMoney)),
                    (None, None) => (None, None),
                };
                ChainSide {
                    instrument: instrument.key.clone(),
                    last_price: contract.last_price,
                    iv,
                    iv_source,
                    greeks: iv.map(|v| spec(instrument).value(v)),
                    oi: contract.open_interest,
                }
            };
            Some(ChainRow {
                strike,
                call: side(call, call_price, call_iv),
                put: side(put, put_price, put_iv),
            })
        })
        .collect();
    Some(OptionChain {
        underlying: spot_instrument.key.clone(),
        underlying_price: snapshot.underlying_price,
        forward,
        expiry,
        time_years,
        rows,
    })
}

/// `forward` as a decimal on `tick`, for display.
pub fn forward_price(chain: &OptionChain, tick: Decimal) -> Decimal {
    super::instrument::round_to_tick(Decimal::from_f64(chain.forward).unwrap_or_default(), tick)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::service::simulated::SimulatedMarket;

    fn chain_at(time: &str) -> OptionChain {
        let calendar = MarketCalendar::default();
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        let market = SimulatedMarket::new(calendar, 7);
        let now = DateTime::parse_from_rfc3339(time).unwrap().with_timezone(&Utc);
        let expiry = "2026-12-29".parse().unwrap();
        let quotes = chain_instruments(&master, "NSE:NIFTY", expiry)
            .into_iter()
            .map(|i| (i.key.clone(), market.quote(&master, i, now).unwrap()))
            .collect();
        let snapshot = ChainSnapshot::from_quotes(&quotes, "NSE:NIFTY").unwrap();
        option_chain(&master, &snapshot, "NSE:NIFTY", expiry).unwrap()
    }

    #[test]
    fn put_call_parity_holds_at_every_strike_within_rounding() {
        let chain = chain_at("2026-11-24T12:00:00+05:30");
        assert_eq!(chain.rows.len(), 101);
        let discount = libm::exp(-REFERENCE_RATE * chain.time_years);
        for row in &chain.rows {
            let lhs = (row.call.last_price - row.put.last_price).to_f64().unwrap();
            let rhs = discount * (chain.forward - row.strike.to_f64().unwrap());
            // Each price is rounded to 0.05; the forward comes from rounded prices too.
            assert!((lhs - rhs).abs() <= 0.15, "K={}: C−P={lhs} vs {rhs}", row.strike);
        }
    }

    #[test]
    fn near_the_money_options_have_a_smile_and_sane_greeks() {
        let chain = chain_at("2026-11-24T12:00:00+05:30");
        let atm = chain
            .rows
            .iter()
            .min_by(|a, b| {
                let d = |r: &ChainRow| (r.strike.to_f64().unwrap() - chain.forward).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        let call = atm.call.greeks.unwrap();
        let put = atm.put.greeks.unwrap();
        assert!((0.35..0.65).contains(&call.delta), "{}", call.delta);
        assert!((call.delta - put.delta - libm::exp(-REFERENCE_RATE * chain.time_years)).abs() < 1e-2);
        assert!(call.gamma > 0.0 && call.vega > 0.0 && call.theta < 0.0);
        let iv = atm.call.iv.unwrap();
        assert!((0.10..0.20).contains(&iv), "ATM IV {iv}");
        let low_strike_put = chain.rows[10].put.iv.unwrap();
        assert!(low_strike_put > iv, "skew: {low_strike_put} vs {iv}");
    }

    #[test]
    fn open_interest_comes_from_the_source_and_a_missing_contract_means_no_chain() {
        let chain = chain_at("2026-11-24T12:00:00+05:30");
        let oi = |r: &ChainRow| r.call.oi.unwrap();
        let atm = chain
            .rows
            .iter()
            .min_by(|a, b| {
                let d = |r: &ChainRow| (r.strike.to_f64().unwrap() - chain.forward).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        assert!(oi(atm) > oi(&chain.rows[0]) && oi(atm) > oi(chain.rows.last().unwrap()));

        let mut snapshot = ChainSnapshot {
            underlying_price: chain.underlying_price,
            as_of: "2026-11-24T06:30:00Z".parse().unwrap(),
            contracts: chain
                .rows
                .iter()
                .flat_map(|r| [&r.call, &r.put])
                .map(|s| {
                    let contract = ContractSnapshot {
                        last_price: s.last_price,
                        open_interest: None,
                    };
                    (s.instrument.clone(), contract)
                })
                .collect(),
        };
        let calendar = MarketCalendar::default();
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        let expiry = "2026-12-29".parse().unwrap();
        let rebuilt = option_chain(&master, &snapshot, "NSE:NIFTY", expiry).unwrap();
        assert_eq!(rebuilt.rows.len(), 101);
        assert!(rebuilt.rows.iter().all(|r| r.call.oi.is_none()));
        snapshot.contracts.remove(&chain.rows[3].put.instrument);
        assert!(option_chain(&master, &snapshot, "NSE:NIFTY", expiry).is_none());
    }

    #[test]
    fn every_strike_of_the_nifty_chain_has_an_iv_and_greeks_and_says_whose_price_it_came_from() {
        for time in [
            "2026-11-24T09:20:00+05:30",
            "2026-11-24T12:00:00+05:30",
            "2026-12-28T15:00:00+05:30",
        ] {
            let chain = chain_at(time);
            for row in &chain.rows {
                for side in [&row.call, &row.put] {
                    let iv = side
                        .iv
                        .unwrap_or_else(|| panic!("{time} {}: no IV", side.instrument));
                    assert!(iv.is_finite() && iv > 0.0, "{}: {iv}", side.instrument);
                    let greeks = side.greeks.unwrap();
                    assert!(greeks.gamma >= 0.0 && greeks.vega >= 0.0, "{}", side.instrument);
                    assert!(side.iv_source.is_some());
                }
                // The out-of-the-money side always prices itself.
                let otm = if row.strike.to_f64().unwrap() >= chain.forward {
                    &row.call
                } else {
                    &row.put
                };
                assert_eq!(otm.iv_source, Some(IvSource::Own), "{}", otm.instrument);
            }
        }
    }

    #[test]
    fn a_side_below_its_bound_takes_the_out_of_the_money_iv_at_its_strike() {
        let chain = chain_at("2026-11-24T12:00:00+05:30");
        let calendar = MarketCalendar::default();
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        let expiry = "2026-12-29".parse().unwrap();
        // The highest strike's put is deep in the money.
        let row = chain.rows.last().unwrap();
        let mut snapshot = ChainSnapshot {
            underlying_price: chain.underlying_price,
            as_of: "2026-11-24T06:30:00Z".parse().unwrap(),
            contracts: chain
                .rows
                .iter()
                .flat_map(|r| [&r.call, &r.put])
                .map(|s| {
                    let contract = ContractSnapshot {
                        last_price: s.last_price,
                        open_interest: s.oi,
                    };
                    (s.instrument.clone(), contract)
                })
                .collect(),
        };
        // Quote it a little under its discounted intrinsic value, where no volatility fits.
        let discount = libm::exp(-REFERENCE_RATE * chain.time_years);
        let intrinsic = (row.strike.to_f64().unwrap() - chain.forward) * discount;
        snapshot
            .contracts
            .get_mut(&row.put.instrument)
            .unwrap()
            .last_price = Decimal::from_f64(intrinsic - 0.05).unwrap().round_dp(2);
        let rebuilt = option_chain(&master, &snapshot, "NSE:NIFTY", expiry).unwrap();
        let put = &rebuilt.rows.last().unwrap().put;
        assert_eq!(put.iv_source, Some(IvSource::OutOfTheMoney));
        assert_eq!(put.iv, rebuilt.rows.last().unwrap().call.iv);
        assert!(put.greeks.unwrap().delta < -0.9, "{:?}", put.greeks);
    }
}
