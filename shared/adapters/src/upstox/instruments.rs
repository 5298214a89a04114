//! Upstox's beginning-of-day instruments file, JSON format
//! (<https://upstox.com/developer/api-documentation/instruments>): an array of records such as
//! `{"segment":"NSE_FO","exchange":"NSE","instrument_type":"CE","instrument_key":"NSE_FO|54524",
//! "trading_symbol":"NIFTY 22000 CE 21 NOV 24","underlying_key":"NSE_INDEX|Nifty 50","underlying_symbol":"NIFTY",
//! "expiry":1732213799000,"strike_price":22000.0,"lot_size":25,"tick_size":5.0,"freeze_quantity":1800.0,
//! "weekly":false,…}`, read into our [`Instrument`] records plus the map from our keys to Upstox's
//! `instrument_key` that [`super::market::UpstoxMarketData`] needs.
//!
//! Rules:
//! - Segments: `NSE_EQ` → NSE equity, `NSE_INDEX` → NSE index, `BSE_EQ` → BSE equity (any `instrument_type`:
//!   the equity segments' types are exchange series or groups), `NSE_FO` → NFO `FUT`, `CE`, `PE`. Every other
//!   segment (BSE_FO, MCX_FO, NCD_FO, BSE_INDEX, …) and any other NSE_FO type is skipped and counted.
//! - `tick_size` is in **paise** (5.0 is ₹0.05) and is divided by 100 exactly. An index without one gets ₹0.05.
//! - `expiry` is epoch milliseconds; the contract's expiry date is that instant's IST date.
//! - Keys: equities and indices are `EXCHANGE:trading_symbol` (`NSE:RELIANCE`, `NSE:NIFTY`). Derivatives use
//!   NSE's compact symbol, as the rest of TradeSense does (`NFO:NIFTY26DECFUT`, monthly
//!   `NFO:NIFTY26DEC26000CE`, weekly `NFO:NIFTY26D0126000PE`), built from `underlying_symbol`, `expiry`,
//!   `strike_price` and Upstox's `weekly` flag, because the JSON file's `trading_symbol` for derivatives is a
//!   spaced display form (`NIFTY 26000 CE 29 DEC 26`), which becomes the instrument's name.
//! - A derivative's underlying is the key of the record whose `instrument_key` is its `underlying_key`, or
//!   `NSE:<underlying_symbol>` when that record is not in the file.
//! - A record of a supported segment with a missing or malformed required field fails the whole parse with
//!   [`InstrumentFileError::Record`] naming its index: a partial master would silently lose tradable
//!   contracts, and a broken record usually means the file's format changed. Two records with the same key
//!   fail with [`InstrumentFileError::Duplicate`].
//! - The file has no prices, so `reference_price` (the simulated market's anchor) is zero.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike as _, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::Deserialize;
use serde_json::{Number, Value};
use tradesense_domain::kernel::time::ist;
use tradesense_domain::market::expiry::future_symbol;
use tradesense_domain::market::instrument::{Exchange, Instrument, InstrumentKey, Segment};
use tradesense_domain::market::options::OptionType;

use super::market::json_decimal;

/// Tick size given to an index record without one.
const DEFAULT_INDEX_TICK_PAISE: i64 = 5;

/// The instruments read from an Upstox instruments file.
#[derive(Debug, Clone, Default)]
pub struct UpstoxInstruments {
    /// Supported instruments, in file order.
    pub instruments: Vec<Instrument>,
    /// Our key → Upstox's `instrument_key`, for every instrument in [`instruments`](Self::instruments).
    pub upstox_keys: HashMap<InstrumentKey, String>,
    /// Records skipped as unsupported, by Upstox segment (`MCX_FO`) or segment and type (`NSE_FO:FUTIDX`).
    pub skipped: BTreeMap<String, usize>,
}

impl UpstoxInstruments {
    /// How many records were skipped as unsupported.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// An Upstox instruments file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentFileError {
    /// The file is not a JSON array.
    #[error("Upstox instruments file is not a JSON array of records")]
    NotAnArray(#[source] serde_json::Error),
    /// A record of a supported segment lacks a required field or has a malformed one.
    #[error("Upstox instrument record {index}: {reason}")]
    Record {
        /// The record's position in the array, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// Two records map to the same key.
    #[error("Upstox instrument record {index}: key {key} is also record {first}'s")]
    Duplicate {
        /// The later record's position.
        index: usize,
        /// The key both map to.
        key: String,
        /// The earlier record's position.
        first: usize,
    },
}

/// The fields we read (Upstox sends more: `isin`, `exchange_token`, `short_name`, `minimum_lot`, …).
#[derive(Deserialize)]
struct Record {
    instrument_key: String,
    trading_symbol: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    lot_size: Option<Number>,
    #[serde(default)]
    tick_size: Option<Number>,
    #[serde(default)]
    freeze_quantity: Option<Number>,
    #[serde(default)]
    expiry: Option<Number>,
    #[serde(default)]
    strike_price: Option<Number>,
    #[serde(default)]
    underlying_key: Option<String>,
    #[serde(default)]
    underlying_symbol: Option<String>,
    #[serde(default)]
    weekly: Option<bool>,
}

/// What a supported record is.
#[derive(Clone, Copy)]
enum Kind {
    Equity(Exchange),
    Index,
    Future,
    Option(OptionType),
}

/// Reads an Upstox instruments file (the JSON text, already decompressed).
///
/// # Errors
/// [`InstrumentFileError`]; unsupported records are skipped, never errors.
pub fn parse_instruments(json: &[u8]) -> Result<UpstoxInstruments, InstrumentFileError> {
    let records: Vec<Value> = serde_json::from_slice(json).map_err(InstrumentFileError::NotAnArray)?;
    let mut out = UpstoxInstruments::default();
    // Underlying keys are resolved once every record's key is known.
    let mut pending_underlying: Vec<(usize, Option<String>, String)> = Vec::new();
    let mut by_upstox_key: HashMap<String, InstrumentKey> = HashMap::new();
    let mut first_index: HashMap<InstrumentKey, usize> = HashMap::new();
    for (index, value) in records.into_iter().enumerate() {
        let bad = |reason: String| InstrumentFileError::Record { index, reason };
        let segment = value
            .get("segment")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no segment".into()))?
            .to_owned();
        let instrument_type = value
            .get("instrument_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = match (segment.as_str(), instrument_type) {
            ("NSE_EQ", _) => Kind::Equity(Exchange::Nse),
            ("BSE_EQ", _) => Kind::Equity(Exchange::Bse),
            ("NSE_INDEX", _) => Kind::Index,
            ("NSE_FO", "FUT") => Kind::Future,
            ("NSE_FO", "CE") => Kind::Option(OptionType::Call),
            ("NSE_FO", "PE") => Kind::Option(OptionType::Put),
            ("NSE_FO", other) => {
                *out.skipped.entry(format!("NSE_FO:{other}")).or_default() += 1;
                continue;
            }
            (other, _) => {
                *out.skipped.entry(other.to_owned()).or_default() += 1;
                continue;
            }
        };
        let record: Record = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        let (instrument, underlying) = instrument(&record, kind).map_err(bad)?;
        if let Some(&first) = first_index.get(&instrument.key) {
            return Err(InstrumentFileError::Duplicate {
                index,
                key: instrument.key.to_string(),
                first,
            });
        }
        first_index.insert(instrument.key.clone(), index);
        by_upstox_key.insert(record.instrument_key.clone(), instrument.key.clone());
        out.upstox_keys
            .insert(instrument.key.clone(), record.instrument_key);
        if let Some(symbol) = underlying {
            pending_underlying.push((out.instruments.len(), record.underlying_key, symbol));
        }
        out.instruments.push(instrument);
    }
    for (position, upstox_key, symbol) in pending_underlying {
        let resolved = upstox_key
            .and_then(|k| by_upstox_key.get(&k).cloned())
            .unwrap_or_else(|| InstrumentKey::new(Exchange::Nse, &symbol));
        out.instruments[position].underlying = Some(resolved);
    }
    Ok(out)
}

/// One record as an instrument, with its underlying's symbol for derivatives (resolved later).
fn instrument(r: &Record, kind: Kind) -> Result<(Instrument, Option<String>), String> {
    if r.instrument_key.trim().is_empty() {
        return Err("empty instrument_key".into());
    }
    if r.trading_symbol.trim().is_empty() {
        return Err("empty trading_symbol".into());
    }
    let name = r.name.clone().filter(|n| !n.trim().is_empty());
    let tick_size = match (&r.tick_size, kind) {
        (None, Kind::Index) => Decimal::new(DEFAULT_INDEX_TICK_PAISE, 2),
        (None, _) => return Err("no tick_size".into()),
        (Some(paise), _) => {
            let paise = json_decimal(paise)
                .filter(|p| *p > Decimal::ZERO)
                .ok_or_else(|| format!("tick_size {paise} is not a positive number of paise"))?;
            (paise / Decimal::ONE_HUNDRED).normalize()
        }
    };
    let lot_size = match (&r.lot_size, kind) {
        (_, Kind::Index) | (None, Kind::Equity(_)) => 1,
        (None, _) => return Err("no lot_size".into()),
        (Some(n), _) => whole(n).ok_or_else(|| format!("lot_size {n} is not a positive whole number"))?,
    };
    let base = |exchange, segment, symbol: String, name: Option<String>| Instrument {
        key: InstrumentKey::new(exchange, &symbol),
        name: name.unwrap_or_else(|| symbol.clone()),
        symbol,
        exchange,
        segment,
        lot_size,
        tick_size,
        freeze_quantity: None,
        underlying: None,
        expiry: None,
        strike: None,
        option_type: None,
        reference_price: Decimal::ZERO,
    };
    let (exchange, segment) = match kind {
        Kind::Equity(exchange) => (exchange, Segment::Equity),
        Kind::Index => (Exchange::Nse, Segment::Index),
        Kind::Future | Kind::Option(_) => (Exchange::Nfo, Segment::Future),
    };
    if matches!(kind, Kind::Equity(_) | Kind::Index) {
        let symbol = r.trading_symbol.trim().to_owned();
        return Ok((base(exchange, segment, symbol, name), None));
    }
    let underlying = r
        .underlying_symbol
        .clone()
        .or_else(|| name.clone())
        .filter(|u| !u.trim().is_empty())
        .ok_or("no underlying_symbol")?;
    let expiry = r
        .expiry
        .as_ref()
        .ok_or("no expiry")
        .and_then(|n| ist_date(n).ok_or("expiry is not epoch milliseconds"))?;
    let freeze_quantity = r
        .freeze_quantity
        .as_ref()
        .map(|n| whole(n).ok_or_else(|| format!("freeze_quantity {n} is not a positive whole number")))
        .transpose()?;
    let display = Some(r.trading_symbol.trim().to_owned());
    let mut instrument = match kind {
        Kind::Option(option_type) => {
            let strike = r
                .strike_price
                .as_ref()
                .and_then(json_decimal)
                .filter(|s| *s > Decimal::ZERO)
                .ok_or("no positive strike_price")?
                .normalize();
            let symbol = option_symbol(
                &underlying,
                expiry,
                strike,
                option_type,
                r.weekly.unwrap_or(false),
            );
            let mut option = base(exchange, Segment::Option, symbol, display);
            option.strike = Some(strike);
            option.option_type = Some(option_type);
            option
        }
        _ => base(
            exchange,
            Segment::Future,
            future_symbol(&underlying, expiry),
            display,
        ),
    };
    instrument.expiry = Some(expiry);
    instrument.freeze_quantity = freeze_quantity;
    Ok((instrument, Some(underlying)))
}

/// A positive whole number that fits a `u32` (Upstox writes some counts as `1800.0`).
fn whole(n: &Number) -> Option<u32> {
    json_decimal(n)
        .filter(|d| d.fract().is_zero() && *d > Decimal::ZERO)
        .and_then(|d| d.to_u32())
}

fn ist_date(millis: &Number) -> Option<NaiveDate> {
    let millis = millis
        .as_i64()
        .or_else(|| json_decimal(millis).and_then(|d| d.to_i64()))?;
    Some(
        DateTime::from_timestamp_millis(millis)?
            .with_timezone(&ist())
            .date_naive(),
    )
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// NSE's option symbol: monthly `NIFTY26DEC26000CE`; weekly `NIFTY26D0126000PE` (year, month as 1–9/O/N/D,
/// day), as [`tradesense_domain::market::expiry::option_symbol`] writes them, but with weekly-or-monthly taken
/// from Upstox's `weekly` flag rather than from our calendar.
fn option_symbol(
    underlying: &str,
    expiry: NaiveDate,
    strike: Decimal,
    option_type: OptionType,
    weekly: bool,
) -> String {
    let kind = match option_type {
        OptionType::Call => "CE",
        OptionType::Put => "PE",
    };
    let yy = expiry.year() % 100;
    if weekly {
        let month = match expiry.month() {
            10 => 'O',
            11 => 'N',
            12 => 'D',
            m => char::from_digit(m, 10).unwrap_or('?'),
        };
        format!("{underlying}{yy:02}{month}{:02}{strike}{kind}", expiry.day())
    } else {
        let month = MONTHS[expiry.month0() as usize];
        format!("{underlying}{yy:02}{month}{strike}{kind}")
    }
}
