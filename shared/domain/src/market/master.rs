//! The instrument master: the shipped, versioned file (`data/instruments/master-v1.json`: NIFTY 50 equities
//! and the three indices) plus the index futures and options generated from it for the next expiries, with
//! lookup and prefix search.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};
use rust_decimal_macros::dec;
use serde::Deserialize;

use crate::market::calendar::MarketCalendar;
use crate::market::expiry::{future_symbol, monthly_expiries, option_symbol, weekly_expiries};
use crate::market::instrument::{
    Exchange, Instrument, InstrumentKey, OPTION_TICK_SIZE, Segment, equity_tick_size, index_future_tick_size,
    round_to_tick,
};
use crate::market::options::{DAYS_PER_YEAR, Model, OptionSpec, OptionType};

/// The shipped master file.
const MASTER_V1: &str = include_str!("../../../../data/instruments/master-v1.json");

/// Strikes listed either side of the at-the-money strike.
pub const STRIKES_EACH_SIDE: u32 = 50;
/// Weekly expiries listed for an index with weeklies.
pub const WEEKLY_EXPIRIES: usize = 4;
/// Monthly expiries listed (options of monthly-only indices, and all futures).
pub const MONTHLY_EXPIRIES: usize = 3;
/// The carry rate reference futures prices are built with (continuously compounded).
pub const REFERENCE_RATE: f64 = 0.065;
/// The volatility reference option prices are built with.
pub const REFERENCE_VOLATILITY: f64 = 0.14;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MasterFile {
    version: u32,
    #[allow(dead_code)] // documentation inside the data file
    description: String,
    equities: Vec<EquityRow>,
    indices: Vec<IndexRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EquityRow {
    symbol: String,
    name: String,
    reference_price: Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexRow {
    symbol: String,
    name: String,
    reference_price: Decimal,
    lot_size: u32,
    freeze_quantity: u32,
    strike_step: Decimal,
    weekly: bool,
}

/// The master could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    /// The file is not a master file.
    #[error("instrument master file: {0}")]
    Malformed(#[from] serde_json::Error),
    /// Two instruments share a key.
    #[error("instrument {0} listed twice")]
    Duplicate(String),
}

/// A stored master: every instrument of one build, named by its id (`v<version>-<date>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentSnapshot {
    /// `v<file version>-<IST date built for>`.
    pub id: String,
    /// The master file's version.
    pub version: u32,
    /// Every instrument.
    pub instruments: Vec<Instrument>,
}

/// Every instrument, by key, with search.
#[derive(Debug, Clone)]
pub struct InstrumentMaster {
    version: u32,
    instruments: Vec<Instrument>,
    by_key: HashMap<InstrumentKey, usize>,
}

/// A search over the master.
#[derive(Debug, Clone, Default)]
pub struct InstrumentQuery {
    /// Case-insensitive prefix of the symbol or of any word of the name.
    pub text: String,
    /// Only this exchange.
    pub exchange: Option<Exchange>,
    /// Only this segment.
    pub segment: Option<Segment>,
    /// At most this many results.
    pub limit: usize,
}

impl InstrumentMaster {
    /// The shipped master with derivatives for the expiries live on `today`.
    ///
    /// # Errors
    /// If the shipped file is malformed (a test proves it is not).
    pub fn shipped(calendar: &MarketCalendar, today: NaiveDate) -> Result<Self, MasterError> {
        Self::from_json(MASTER_V1, calendar, today)
    }

    /// Builds the master from a master file's text.
    ///
    /// # Errors
    /// [`MasterError`].
    pub fn from_json(text: &str, calendar: &MarketCalendar, today: NaiveDate) -> Result<Self, MasterError> {
        let file: MasterFile = serde_json::from_str(text)?;
        let mut instruments: Vec<Instrument> = file.equities.iter().map(equity).collect();
        for index in &file.indices {
            instruments.push(index_instrument(index));
            instruments.extend(derivatives(index, calendar, today));
        }
        Self::from_instruments(file.version, instruments)
    }

    /// The master file's version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// A master over stored instruments.
    ///
    /// # Errors
    /// [`MasterError::Duplicate`] if two share a key.
    pub fn from_instruments(version: u32, instruments: Vec<Instrument>) -> Result<Self, MasterError> {
        let mut by_key = HashMap::with_capacity(instruments.len());
        for (i, instrument) in instruments.iter().enumerate() {
            if by_key.insert(instrument.key.clone(), i).is_some() {
                return Err(MasterError::Duplicate(instrument.key.to_string()));
            }
        }
        Ok(Self {
            version,
            instruments,
            by_key,
        })
    }

    /// This master as a snapshot built for `date`.
    pub fn snapshot(&self, date: NaiveDate) -> InstrumentSnapshot {
        InstrumentSnapshot {
            id: format!("v{}-{date}", self.version),
            version: self.version,
            instruments: self.instruments.clone(),
        }
    }

    /// Every instrument.
    pub fn all(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The instrument with `key`.
    pub fn get(&self, key: &str) -> Option<&Instrument> {
        self.by_key
            .get(&InstrumentKey::from_text(key))
            .map(|i| &self.instruments[*i])
    }

    /// Instruments matching `query`: symbol prefix matches first, then name-word prefix matches, each in
    /// master order.
    pub fn search(&self, query: &InstrumentQuery) -> Vec<&Instrument> {
        let text = query.text.trim().to_uppercase();
        let filtered = || {
            self.instruments.iter().filter(|i| {
                query.exchange.is_none_or(|e| i.exchange == e) && query.segment.is_none_or(|s| i.segment == s)
            })
        };
        let by_symbol = filtered().filter(|i| i.symbol.starts_with(&text));
        let by_name = filtered().filter(|i| {
            !i.symbol.starts_with(&text)
                && i.name
                    .to_uppercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&text))
        });
        by_symbol.chain(by_name).take(query.limit).collect()
    }

    /// The option expiries listed for `underlying` (e.g. `NSE:NIFTY`), soonest first.
    pub fn option_expiries(&self, underlying: &str) -> Vec<NaiveDate> {
        let mut expiries: Vec<NaiveDate> = self.options_of(underlying).filter_map(|i| i.expiry).collect();
        expiries.sort_unstable();
        expiries.dedup();
        expiries
    }

    /// The options on `underlying` expiring on `expiry`, by strike then CE before PE.
    pub fn option_contracts(&self, underlying: &str, expiry: NaiveDate) -> Vec<&Instrument> {
        let mut contracts: Vec<&Instrument> = self
            .options_of(underlying)
            .filter(|i| i.expiry == Some(expiry))
            .collect();
        contracts.sort_by_key(|i| (i.strike, i.option_type == Some(OptionType::Put)));
        contracts
    }

    fn options_of(&self, underlying: &str) -> impl Iterator<Item = &Instrument> {
        let underlying = underlying.to_owned();
        self.instruments.iter().filter(move |i| {
            i.segment == Segment::Option && i.underlying.as_ref().is_some_and(|u| u.as_str() == underlying)
        })
    }
}

impl InstrumentKey {
    /// A key as typed (no validation: lookups of unknown keys simply find nothing).
    pub fn from_text(text: &str) -> Self {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .unwrap_or_else(|_| Self::new(Exchange::Nse, ""))
    }
}

fn equity(row: &EquityRow) -> Instrument {
    Instrument {
        key: InstrumentKey::new(Exchange::Nse, &row.symbol),
        symbol: row.symbol.clone(),
        name: row.name.clone(),
        exchange: Exchange::Nse,
        segment: Segment::Equity,
        lot_size: 1,
        tick_size: equity_tick_size(row.reference_price),
        freeze_quantity: None,
        underlying: None,
        expiry: None,
        strike: None,
        option_type: None,
        reference_price: row.reference_price,
    }
}

fn index_instrument(row: &IndexRow) -> Instrument {
    Instrument {
        key: InstrumentKey::new(Exchange::Nse, &row.symbol),
        symbol: row.symbol.clone(),
        name: row.name.clone(),
        exchange: Exchange::Nse,
        segment: Segment::Index,
        lot_size: 1,
        tick_size: dec!(0.05),
        freeze_quantity: None,
        underlying: None,
        expiry: None,
        strike: None,
        option_type: None,
        reference_price: row.reference_price,
    }
}

fn years_to(today: NaiveDate, expiry: NaiveDate) -> f64 {
    // At least a day, so a contract expiring today still has a finite price.
    ((expiry - today).num_days().max(1) as f64) / DAYS_PER_YEAR
}

/// Index futures (monthly) and options (weekly or monthly) for the expiries live on `today`.
fn derivatives(index: &IndexRow, calendar: &MarketCalendar, today: NaiveDate) -> Vec<Instrument> {
    let underlying = InstrumentKey::new(Exchange::Nse, &index.symbol);
    let level = index.reference_price.to_f64().unwrap_or_default();
    let contract = |symbol: String, segment, expiry, tick, reference_price| Instrument {
        key: InstrumentKey::new(Exchange::Nfo, &symbol),
        name: format!("{} {symbol}", index.name),
        symbol,
        exchange: Exchange::Nfo,
        segment,
        lot_size: index.lot_size,
        tick_size: tick,
        freeze_quantity: Some(index.freeze_quantity),
        underlying: Some(underlying.clone()),
        expiry: Some(expiry),
        strike: None,
        option_type: None,
        reference_price,
    };
    let mut out = Vec::new();
    for expiry in monthly_expiries(calendar, today, MONTHLY_EXPIRIES) {
        let tick = index_future_tick_size(index.reference_price);
        let forward = level * (REFERENCE_RATE * years_to(today, expiry)).exp();
        let price = round_to_tick(Decimal::from_f64(forward).unwrap_or(index.reference_price), tick);
        out.push(contract(
            future_symbol(&index.symbol, expiry),
            Segment::Future,
            expiry,
            tick,
            price,
        ));
    }
    let mut option_expiries = monthly_expiries(calendar, today, MONTHLY_EXPIRIES);
    if index.weekly {
        option_expiries.extend(weekly_expiries(calendar, today, WEEKLY_EXPIRIES));
        option_expiries.sort_unstable();
        option_expiries.dedup();
    }
    let atm = (index.reference_price / index.strike_step).round() * index.strike_step;
    for expiry in option_expiries {
        let t = years_to(today, expiry);
        let forward = level * (REFERENCE_RATE * t).exp();
        for step in -(STRIKES_EACH_SIDE as i64)..=(STRIKES_EACH_SIDE as i64) {
            let strike = atm + index.strike_step * Decimal::from(step);
            for option_type in [OptionType::Call, OptionType::Put] {
                let spec = OptionSpec {
                    model: Model::Black76,
                    option_type,
                    underlying: forward,
                    strike: strike.to_f64().unwrap_or_default(),
                    time_years: t,
                    rate: REFERENCE_RATE,
                    dividend_yield: 0.0,
                };
                let premium = Decimal::from_f64(spec.price(REFERENCE_VOLATILITY)).unwrap_or_default();
                let price = round_to_tick(premium, OPTION_TICK_SIZE).max(OPTION_TICK_SIZE);
                let symbol = option_symbol(calendar, &index.symbol, expiry, strike, option_type);
                let mut option = contract(symbol, Segment::Option, expiry, OPTION_TICK_SIZE, price);
                option.strike = Some(strike);
                option.option_type = Some(option_type);
                out.push(option);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::instrument::is_tick_multiple;
    use chrono::Datelike;

    fn master() -> InstrumentMaster {
        InstrumentMaster::shipped(&MarketCalendar::default(), "2026-11-23".parse().unwrap()).unwrap()
    }

    #[test]
    fn ships_the_nifty_50_and_three_indices() {
        let m = master();
        let count = |s| m.all().iter().filter(|i| i.segment == s).count();
        assert_eq!(count(Segment::Equity), 50);
        assert_eq!(count(Segment::Index), 3);
        for key in [
            "NSE:NIFTY",
            "NSE:BANKNIFTY",
            "NSE:FINNIFTY",
            "NSE:RELIANCE",
            "NSE:M&M",
        ] {
            assert!(m.get(key).is_some(), "{key}");
        }
        assert!(m.get("NSE:NOPE").is_none());
    }

    #[test]
    fn every_reference_price_is_on_its_tick_and_every_tick_follows_the_rules() {
        for i in master().all() {
            assert!(
                is_tick_multiple(i.reference_price, i.tick_size),
                "{} {} / {}",
                i.key,
                i.reference_price,
                i.tick_size
            );
            assert!(i.reference_price > Decimal::ZERO, "{}", i.key);
            if i.segment == Segment::Option {
                assert_eq!(i.tick_size, dec!(0.05));
            }
        }
        assert_eq!(master().get("NSE:MARUTI").unwrap().tick_size, dec!(1.00));
        assert_eq!(master().get("NSE:TATASTEEL").unwrap().tick_size, dec!(0.01));
    }

    #[test]
    fn index_derivatives_carry_the_2026_lot_sizes_and_tuesday_expiries() {
        let m = master();
        let lots: HashMap<&str, u32> = m
            .all()
            .iter()
            .filter(|i| i.exchange == Exchange::Nfo)
            .map(|i| (i.underlying.as_ref().unwrap().as_str(), i.lot_size))
            .collect();
        assert_eq!(lots["NSE:NIFTY"], 65);
        assert_eq!(lots["NSE:BANKNIFTY"], 30);
        assert_eq!(lots["NSE:FINNIFTY"], 60);
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Four weeklies (24 Nov is also November's monthly) and three monthlies.
        assert_eq!(
            m.option_expiries("NSE:NIFTY"),
            [
                "2026-11-24",
                "2026-12-01",
                "2026-12-08",
                "2026-12-15",
                "2026-12-29",
                "2027-01-26"
            ]
            .map(day)
        );
        assert_eq!(
            m.option_expiries("NSE:BANKNIFTY"),
            ["2026-11-24", "2026-12-29", "2027-01-26"].map(day)
        );
        assert!(
            m.option_expiries("NSE:FINNIFTY")
                .iter()
                .all(|d| d.weekday() == chrono::Weekday::Tue)
        );
        assert!(m.get("NFO:NIFTY26DECFUT").is_some());
        assert!(m.get("NFO:NIFTY26D0126000CE").is_some(), "weekly symbol");
        assert!(m.get("NFO:NIFTY26NOV26000PE").is_some(), "monthly symbol");
    }

    #[test]
    fn a_holiday_on_expiry_tuesday_moves_the_expiry_to_monday() {
        let nse = MarketCalendar::nse().unwrap();
        let m = InstrumentMaster::shipped(&nse, "2026-11-23".parse().unwrap()).unwrap();
        // 24 Nov 2026 (Guru Nanak Jayanti) is a holiday: November's monthly expiry is Monday 23 Nov.
        assert_eq!(
            m.option_expiries("NSE:BANKNIFTY")[0],
            "2026-11-23".parse::<NaiveDate>().unwrap()
        );
        assert!(m.get("NFO:BANKNIFTY26NOVFUT").is_some());
    }

    #[test]
    fn a_chain_lists_every_strike_with_a_call_and_a_put() {
        let m = master();
        let chain = m.option_contracts("NSE:NIFTY", "2026-12-01".parse().unwrap());
        assert_eq!(chain.len(), 2 * (2 * STRIKES_EACH_SIDE as usize + 1));
        assert_eq!(chain[0].option_type, Some(OptionType::Call));
        assert_eq!(chain[0].strike, chain[1].strike);
        assert_eq!(chain[0].strike, Some(dec!(23500)));
    }

    #[test]
    fn search_finds_by_symbol_prefix_then_name_word_with_filters() {
        let m = master();
        let q = |text: &str, exchange, segment| InstrumentQuery {
            text: text.into(),
            exchange,
            segment,
            limit: 20,
        };
        let tata: Vec<_> = m
            .search(&q("tata", None, None))
            .iter()
            .map(|i| i.key.to_string())
            .collect();
        assert_eq!(
            tata,
            ["NSE:TATACONSUM", "NSE:TATAMOTORS", "NSE:TATASTEEL", "NSE:TCS"],
            "symbol prefixes first, then a word of the name (Tata Consultancy Services)"
        );
        let banks = m.search(&q("bank", Some(Exchange::Nse), Some(Segment::Index)));
        assert_eq!(banks.len(), 1);
        assert_eq!(banks[0].symbol, "BANKNIFTY");
        let futures = m.search(&q("NIFTY", Some(Exchange::Nfo), Some(Segment::Future)));
        assert_eq!(
            futures.len(),
            9,
            "3 NIFTY by symbol, then BANKNIFTY and FINNIFTY by the name word NIFTY"
        );
        assert!(futures[..3].iter().all(|i| i.symbol.starts_with("NIFTY2")));
        assert!(m.search(&q("zzz", None, None)).is_empty());
    }
}
