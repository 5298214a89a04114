//! Instruments: what can be quoted and traded, keyed `EXCHANGE:SYMBOL` (`NSE:RELIANCE`, `NSE:NIFTY`,
//! `NFO:NIFTY26DEC22000CE`), with the rules that belong to them: tick size by NSE price band, lot size,
//! freeze quantity. The tick size used anywhere always comes from the instrument record; the band functions
//! here only build records.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::market::options::OptionType;

/// An exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Exchange {
    /// NSE cash market and indices.
    #[serde(rename = "NSE")]
    Nse,
    /// NSE futures and options.
    #[serde(rename = "NFO")]
    Nfo,
    /// BSE cash market.
    #[serde(rename = "BSE")]
    Bse,
    /// MCX commodities.
    #[serde(rename = "MCX")]
    Mcx,
}

impl Exchange {
    /// Every exchange.
    pub const ALL: [Exchange; 4] = [Exchange::Nse, Exchange::Nfo, Exchange::Bse, Exchange::Mcx];

    /// The exchange of a key code (`NSE`).
    pub fn from_code(code: &str) -> Option<Exchange> {
        Exchange::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The code used in instrument keys.
    pub fn code(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Nfo => "NFO",
            Exchange::Bse => "BSE",
            Exchange::Mcx => "MCX",
        }
    }
}

/// What kind of instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Segment {
    /// A cash-market share.
    #[serde(rename = "EQ")]
    Equity,
    /// An index (quoted, not traded).
    #[serde(rename = "INDEX")]
    Index,
    /// A future.
    #[serde(rename = "FUT")]
    Future,
    /// An option.
    #[serde(rename = "OPT")]
    Option,
}

/// `EXCHANGE:SYMBOL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentKey(String);

impl InstrumentKey {
    /// The key of `symbol` on `exchange`.
    pub fn new(exchange: Exchange, symbol: &str) -> Self {
        Self(format!("{}:{symbol}", exchange.code()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `raw` as a key, when it is `EXCHANGE:SYMBOL` with a known exchange and a symbol of 1 to 40 letters,
    /// digits, `-`, `&` or `_`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (code, symbol) = raw.split_once(':')?;
        let exchange = Exchange::from_code(code)?;
        let valid = (1..=40).contains(&symbol.len())
            && symbol
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '&' | '_'));
        valid.then(|| Self::new(exchange, symbol))
    }

    /// The exchange the key names, if its prefix is one.
    pub fn exchange(&self) -> Option<Exchange> {
        self.0
            .split_once(':')
            .and_then(|(code, _)| Exchange::from_code(code))
    }
}

impl fmt::Display for InstrumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One instrument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// `EXCHANGE:SYMBOL`.
    pub key: InstrumentKey,
    /// Trading symbol.
    pub symbol: String,
    /// Company or contract name.
    pub name: String,
    /// Exchange.
    pub exchange: Exchange,
    /// Kind.
    pub segment: Segment,
    /// Units per lot (1 for cash equities).
    pub lot_size: u32,
    /// Smallest price step.
    pub tick_size: Decimal,
    /// Largest quantity per order (F&O freeze limit), if any.
    pub freeze_quantity: Option<u32>,
    /// The underlying's key, for derivatives.
    pub underlying: Option<InstrumentKey>,
    /// Expiry date, for derivatives.
    pub expiry: Option<NaiveDate>,
    /// Strike, for options.
    pub strike: Option<Decimal>,
    /// CE or PE, for options.
    pub option_type: Option<OptionType>,
    /// The simulated market's anchor price (the last close the master was built from).
    pub reference_price: Decimal,
}

/// NSE's equity tick size for a share trading at `price` (bands from NSE's tick-size circular: below ₹250
/// 0.01; ₹250–1,000 0.05; ₹1,000–5,000 0.10; ₹5,000–10,000 0.50; ₹10,000–20,000 1.00; above ₹20,000 5.00).
pub fn equity_tick_size(price: Decimal) -> Decimal {
    match price {
        p if p < dec!(250) => dec!(0.01),
        p if p < dec!(1000) => dec!(0.05),
        p if p < dec!(5000) => dec!(0.10),
        p if p < dec!(10000) => dec!(0.50),
        p if p < dec!(20000) => dec!(1.00),
        _ => dec!(5.00),
    }
}

/// Tick size of options on indices.
pub const OPTION_TICK_SIZE: Decimal = dec!(0.05);

/// Tick size of an index future by index level: 0.05 below 20,000, 0.10 up to 50,000, 0.20 above (our
/// reading of "0.05/0.10/0.20 by index level"; the instrument record is what counts).
pub fn index_future_tick_size(level: Decimal) -> Decimal {
    match level {
        l if l < dec!(20000) => dec!(0.05),
        l if l < dec!(50000) => dec!(0.10),
        _ => dec!(0.20),
    }
}

/// `price` rounded to the nearest multiple of `tick` (half away from zero).
pub fn round_to_tick(price: Decimal, tick: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return price;
    }
    ((price / tick).round() * tick).normalize()
}

/// Whether `price` is a whole number of ticks.
pub fn is_tick_multiple(price: Decimal, tick: Decimal) -> bool {
    tick > Decimal::ZERO && (price % tick).is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(dec!(0.05), dec!(0.01))]
    #[case(dec!(249.99), dec!(0.01))]
    #[case(dec!(250), dec!(0.05))]
    #[case(dec!(999.95), dec!(0.05))]
    #[case(dec!(1000), dec!(0.10))]
    #[case(dec!(4999.9), dec!(0.10))]
    #[case(dec!(5000), dec!(0.50))]
    #[case(dec!(10000), dec!(1.00))]
    #[case(dec!(19999), dec!(1.00))]
    #[case(dec!(20000), dec!(5.00))]
    fn equity_ticks_follow_the_nse_bands(#[case] price: Decimal, #[case] tick: Decimal) {
        assert_eq!(equity_tick_size(price), tick);
    }

    #[rstest]
    #[case(dec!(19999.95), dec!(0.05))]
    #[case(dec!(25000), dec!(0.10))]
    #[case(dec!(52000), dec!(0.20))]
    fn index_future_ticks_follow_the_level(#[case] level: Decimal, #[case] tick: Decimal) {
        assert_eq!(index_future_tick_size(level), tick);
    }

    #[test]
    fn rounds_to_the_nearest_tick_and_checks_multiples() {
        assert_eq!(round_to_tick(dec!(2450.07), dec!(0.05)), dec!(2450.05));
        assert_eq!(round_to_tick(dec!(2450.075), dec!(0.05)), dec!(2450.1));
        assert_eq!(round_to_tick(dec!(123.456), dec!(0.01)), dec!(123.46));
        assert!(is_tick_multiple(dec!(2450.05), dec!(0.05)));
        assert!(!is_tick_multiple(dec!(2450.07), dec!(0.05)));
        assert!(!is_tick_multiple(dec!(1), Decimal::ZERO));
    }

    #[test]
    fn keys_read_exchange_colon_symbol() {
        assert_eq!(
            InstrumentKey::new(Exchange::Nfo, "NIFTY26DEC22000CE").as_str(),
            "NFO:NIFTY26DEC22000CE"
        );
    }
}
