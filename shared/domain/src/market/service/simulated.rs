//! The simulated market: deterministic prices from (instrument, time, seed), so demos look alive and tests
//! are reproducible. Every trading day has a close (a random walk from the instrument's reference price,
//! anchored on [`ANCHOR_DATE`], each day's move clamped to the circuit band), an opening gap, and a minute
//! path through the normal session pinned to that open and close (a Brownian bridge). Futures and options are
//! priced coherently from their underlying: futures at the carried forward, options with Black-76 on that
//! forward at a volatility smile, so a chain is arbitrage-consistent by construction. Every price is rounded
//! to the instrument's tick.
//!
//! Depth: every tradable instrument offers [`touch_quantity`] units at the best bid and at the best ask, the
//! same at every tick (the touch refills each minute), so a paper limit order larger than that fills in parts.
//!
//! Randomness is a SplitMix64 hash of (instrument, day, minute, seed) turned into normals with `libm`, so the
//! same inputs give the same prices on every platform.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};

use crate::market::calendar::MarketCalendar;
use crate::market::candles::{Candle, Interval, aggregate};
use crate::market::quote::{Bar, Quote};
use std::collections::HashMap;

use crate::kernel::time::{ist, ist_instant};
use crate::market::instrument::{Exchange, Instrument, InstrumentKey, Segment, round_to_tick};
use crate::market::master::{InstrumentMaster, REFERENCE_RATE};
use crate::market::options::{DAYS_PER_YEAR, Model, OptionSpec};
use crate::market::ports::{MarketData, MarketDataError};

/// The date whose close is each instrument's reference price.
pub const ANCHOR_DATE: (i32, u32, u32) = (2026, 11, 20);
/// Minutes in the normal session (09:15–15:30).
pub const SESSION_MINUTES: u32 = 375;
/// Annual volatility of simulated equities.
const EQUITY_VOLATILITY: f64 = 0.25;
/// Annual volatility of simulated indices.
const INDEX_VOLATILITY: f64 = 0.14;
/// Trading days per year, for scaling volatility.
const TRADING_DAYS: f64 = 252.0;
/// The value offered at each side of a simulated equity's touch: about ₹25 lakh.
const EQUITY_TOUCH_VALUE: Decimal = Decimal::from_parts(2_500_000, 0, 0, false, 0);
/// The lots offered at each side of a simulated future's or option's touch.
const DERIVATIVE_TOUCH_LOTS: u64 = 20;

/// Units the simulated market offers at the best bid and at the best ask of `instrument` (`None` for an
/// index, which does not trade): an equity about ₹25 lakh at its reference price (at least one share), a
/// future or option 20 lots.
pub fn touch_quantity(instrument: &Instrument) -> Option<u64> {
    match instrument.segment {
        Segment::Index => None,
        Segment::Equity if instrument.reference_price > Decimal::ZERO => Some(
            (EQUITY_TOUCH_VALUE / instrument.reference_price)
                .floor()
                .to_u64()
                .unwrap_or(1)
                .max(1),
        ),
        _ => Some(u64::from(instrument.lot_size.max(1)) * DERIVATIVE_TOUCH_LOTS),
    }
}

/// The largest daily move of a simulated equity (its circuit band).
const EQUITY_CIRCUIT: f64 = 0.10;
/// The largest daily move of a simulated index.
const INDEX_CIRCUIT: f64 = 0.08;

/// One session of an underlying, as its derivatives' quotes need it.
struct UnderlyingDay {
    date: NaiveDate,
    minutes: u32,
    at: DateTime<Utc>,
    path: Vec<f64>,
    previous: NaiveDate,
    previous_close: f64,
}

/// The simulated market over a master and a calendar.
#[derive(Debug, Clone)]
pub struct SimulatedMarket {
    calendar: MarketCalendar,
    seed: u64,
}

/// Calendar years from `t` to a derivative's expiry (15:30 IST on expiry day), at least a minute.
fn years_to_expiry(instrument: &Instrument, t: DateTime<Utc>) -> f64 {
    let expiry_close = instrument
        .expiry
        .map(|e| session_start(e) + chrono::Duration::minutes(i64::from(SESSION_MINUTES)))
        .unwrap_or(t);
    ((expiry_close - t).num_seconds().max(60) as f64) / (DAYS_PER_YEAR * 86_400.0)
}

/// Deterministic open interest in units: whole lots, highest near the money (futures count as at the money).
fn open_interest(instrument: &Instrument, forward: f64) -> u64 {
    let strike = instrument.strike.and_then(|k| k.to_f64()).unwrap_or(forward);
    let distance = ((strike - forward) / forward).abs();
    let lots = (5_000.0 * libm::exp(-distance * 40.0)).round();
    (lots.max(1.0) as u64) * u64::from(instrument.lot_size)
}

/// SplitMix64: a fast, well-mixed 64-bit hash step.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a of a string, to seed per instrument.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A standard normal from four hashed integers (Box–Muller).
fn normal(a: u64, b: u64, c: u64, seed: u64) -> f64 {
    let h = splitmix(a ^ splitmix(b ^ splitmix(c ^ splitmix(seed))));
    let u1 = ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = ((splitmix(h) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

fn to_decimal(x: f64, tick: Decimal) -> Decimal {
    let raw = Decimal::from_f64(x).unwrap_or(Decimal::ZERO);
    round_to_tick(raw, tick).max(tick)
}

/// A derivative's model price on its tick: a future's to the nearest tick, an option's rounded up, so an
/// option never quotes below its model value (and so never at or below the no-arbitrage bound, where no
/// volatility fits).
fn derivative_to_decimal(instrument: &Instrument, x: f64) -> Decimal {
    let tick = instrument.tick_size;
    if instrument.segment != Segment::Option || tick <= Decimal::ZERO {
        return to_decimal(x, tick);
    }
    let raw = Decimal::from_f64(x).unwrap_or(Decimal::ZERO);
    ((raw / tick).ceil() * tick).normalize().max(tick)
}

fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(ANCHOR_DATE.0, ANCHOR_DATE.1, ANCHOR_DATE.2).unwrap_or_default()
}

fn session_start(date: NaiveDate) -> DateTime<Utc> {
    ist_instant(date, NaiveTime::from_hms_opt(9, 15, 0).unwrap_or_default())
}

/// A smile around the forward: 14% at the money, richer for low strikes (put skew) and the wings.
pub fn smile(strike: f64, forward: f64) -> f64 {
    let m = libm::log(strike / forward);
    (0.14 - 0.20 * m + 0.80 * m * m).clamp(0.05, 1.5)
}

impl SimulatedMarket {
    /// A market with `seed` (change it for a different but equally reproducible history).
    pub fn new(calendar: MarketCalendar, seed: u64) -> Self {
        Self { calendar, seed }
    }

    /// The calendar the market trades on.
    pub fn calendar(&self) -> &MarketCalendar {
        &self.calendar
    }

    /// Daily log-return volatility and circuit band of a spot instrument.
    fn spot_params(instrument: &Instrument) -> (f64, f64) {
        match instrument.segment {
            Segment::Index => (INDEX_VOLATILITY / TRADING_DAYS.sqrt(), INDEX_CIRCUIT),
            _ => (EQUITY_VOLATILITY / TRADING_DAYS.sqrt(), EQUITY_CIRCUIT),
        }
    }

    /// The log-return of `instrument`'s close on trading day `d` over the trading day before.
    fn close_step(&self, instrument: &Instrument, d: NaiveDate) -> f64 {
        let (daily_vol, band) = Self::spot_params(instrument);
        let z = normal(
            fnv(instrument.key.as_str()),
            d.num_days_from_ce() as u64,
            u64::MAX,
            self.seed,
        );
        (daily_vol * z).clamp(libm::log(1.0 - band), libm::log(1.0 + band))
    }

    /// The (unrounded) close of a spot instrument on trading day `date`, walking from the anchor.
    fn close_f(&self, instrument: &Instrument, date: NaiveDate) -> f64 {
        let mut log_price = libm::log(instrument.reference_price.to_f64().unwrap_or(1.0));
        let anchor = anchor();
        let mut d = anchor;
        if date > anchor {
            while d < date {
                d = d.checked_add_days(Days::new(1)).unwrap_or(date);
                if self.calendar.is_trading_day(instrument.exchange, d) {
                    log_price += self.close_step(instrument, d);
                }
            }
        } else {
            while d > date {
                if self.calendar.is_trading_day(instrument.exchange, d) {
                    log_price -= self.close_step(instrument, d);
                }
                d = d.pred_opt().unwrap_or(date);
            }
        }
        libm::exp(log_price)
    }

    /// The closes of `instrument` on the trading day before `first` and on every trading day through `last`,
    /// from one walk out of the anchor that records each day on the way: the same sums in the same order as
    /// [`close_f`](Self::close_f) does per day, so the same floats, at the cost of one walk instead of one
    /// per day.
    fn closes_through(
        &self,
        instrument: &Instrument,
        first: NaiveDate,
        last: NaiveDate,
    ) -> HashMap<NaiveDate, f64> {
        let exchange = instrument.exchange;
        let first = self
            .calendar
            .trading_day_at_or_before(exchange, first.pred_opt().unwrap_or(first));
        let wanted = |d: NaiveDate| d >= first && d <= last && self.calendar.is_trading_day(exchange, d);
        let mut closes = HashMap::new();
        let start = libm::log(instrument.reference_price.to_f64().unwrap_or(1.0));
        let anchor = anchor();
        if wanted(anchor) {
            closes.insert(anchor, libm::exp(start));
        }
        // Up from the anchor, as close_f walks to a later day.
        let (mut d, mut log_price) = (anchor, start);
        while d < last {
            d = d.checked_add_days(Days::new(1)).unwrap_or(last);
            if self.calendar.is_trading_day(exchange, d) {
                log_price += self.close_step(instrument, d);
            }
            if wanted(d) {
                closes.insert(d, libm::exp(log_price));
            }
        }
        // Down from the anchor, as close_f walks to an earlier day.
        let (mut d, mut log_price) = (anchor, start);
        while d > first {
            if self.calendar.is_trading_day(exchange, d) {
                log_price -= self.close_step(instrument, d);
            }
            d = d.pred_opt().unwrap_or(first);
            if wanted(d) {
                closes.insert(d, libm::exp(log_price));
            }
        }
        closes
    }

    /// The (unrounded) minute path of a spot instrument's session on trading day `date`: `SESSION_MINUTES +
    /// 1` prices from the open to the close.
    fn path_f(&self, instrument: &Instrument, date: NaiveDate) -> Vec<f64> {
        let previous = self
            .calendar
            .trading_day_at_or_before(instrument.exchange, date.pred_opt().unwrap_or(date));
        let closes = (self.close_f(instrument, previous), self.close_f(instrument, date));
        self.path_between(instrument, date, closes)
    }

    /// The minute path of `date`'s session from the day before's close to the day's, `(prev_close, close)`.
    fn path_between(
        &self,
        instrument: &Instrument,
        date: NaiveDate,
        (prev_close, close): (f64, f64),
    ) -> Vec<f64> {
        let (daily_vol, _) = Self::spot_params(instrument);
        let key = fnv(instrument.key.as_str());
        let day = date.num_days_from_ce() as u64;
        let open = prev_close * libm::exp(0.25 * daily_vol * normal(key, day, u64::MAX - 1, self.seed));
        let n = f64::from(SESSION_MINUTES);
        let minute_vol = daily_vol / n.sqrt();
        let mut walk = Vec::with_capacity(SESSION_MINUTES as usize + 1);
        let mut sum = 0.0;
        walk.push(0.0);
        for m in 1..=SESSION_MINUTES {
            sum += normal(key, day, u64::from(m), self.seed);
            walk.push(sum);
        }
        let total = libm::log(close / open);
        walk.iter()
            .enumerate()
            .map(|(m, w)| {
                let frac = m as f64 / n;
                let bridge = w - frac * sum;
                open * libm::exp(frac * total + minute_vol * bridge)
            })
            .collect()
    }

    /// Where a spot instrument's session stands at `now`: the trading day shown and how many minutes of it
    /// have happened (all of them after the close, none before the open).
    fn session_progress(
        &self,
        instrument: &Instrument,
        now: DateTime<Utc>,
    ) -> (NaiveDate, u32, DateTime<Utc>) {
        let exchange = instrument.exchange;
        let today = now.with_timezone(&ist()).date_naive();
        let start = session_start(today);
        if self.calendar.is_trading_day(exchange, today) && now >= start {
            let minutes = u32::try_from((now - start).num_minutes())
                .unwrap_or(0)
                .min(SESSION_MINUTES);
            let at = start + chrono::Duration::minutes(i64::from(minutes));
            return (today, minutes, at.min(now));
        }
        // Before the open or on a closed day: the last full session.
        let last = self
            .calendar
            .trading_day_at_or_before(exchange, today.pred_opt().unwrap_or(today));
        let at = session_start(last) + chrono::Duration::minutes(i64::from(SESSION_MINUTES));
        (last, SESSION_MINUTES, at)
    }

    /// Simulated minute volume.
    fn volume(instrument: &Instrument, date: NaiveDate, minute: u32, seed: u64) -> u64 {
        let h = splitmix(
            fnv(instrument.key.as_str())
                ^ splitmix(date.num_days_from_ce() as u64 ^ u64::from(minute) << 20 ^ seed),
        );
        let base = match instrument.segment {
            Segment::Index => 0,
            Segment::Option | Segment::Future => u64::from(instrument.lot_size) * 40,
            Segment::Equity => 2_000,
        };
        base / 2 + h % (base + 1)
    }

    /// The day bar of a spot instrument's session `date` up to `minutes` minutes.
    fn spot_day(&self, instrument: &Instrument, date: NaiveDate, minutes: u32) -> Bar {
        let path = self.path_f(instrument, date);
        let seen = &path[..=minutes as usize];
        let tick = instrument.tick_size;
        let high = seen.iter().copied().fold(f64::MIN, f64::max);
        let low = seen.iter().copied().fold(f64::MAX, f64::min);
        Bar {
            open: to_decimal(seen[0], tick),
            high: to_decimal(high, tick),
            low: to_decimal(low, tick),
            close: to_decimal(seen[minutes as usize], tick),
            volume: (1..=minutes)
                .map(|m| Self::volume(instrument, date, m, self.seed))
                .sum(),
        }
    }

    /// The quote of `instrument` at `now`; derivatives need their underlying from `master`.
    pub fn quote(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        now: DateTime<Utc>,
    ) -> Option<Quote> {
        match instrument.segment {
            Segment::Equity | Segment::Index => Some(self.spot_quote(instrument, now)),
            Segment::Future | Segment::Option => {
                let underlying = master.get(instrument.underlying.as_ref()?.as_str())?;
                Some(self.derivative_quote(instrument, &self.underlying_day(underlying, now)))
            }
        }
    }

    fn spot_quote(&self, instrument: &Instrument, now: DateTime<Utc>) -> Quote {
        let (date, minutes, at) = self.session_progress(instrument, now);
        let day = self.spot_day(instrument, date, minutes);
        let previous = self
            .calendar
            .trading_day_at_or_before(instrument.exchange, date.pred_opt().unwrap_or(date));
        let previous_close = to_decimal(self.close_f(instrument, previous), instrument.tick_size);
        self.with_spread(instrument, day, previous_close, at)
    }

    fn with_spread(
        &self,
        instrument: &Instrument,
        day: Bar,
        previous_close: Decimal,
        at: DateTime<Utc>,
    ) -> Quote {
        let tick = instrument.tick_size;
        let (bid, ask) = if instrument.segment == Segment::Index {
            (day.close, day.close)
        } else {
            ((day.close - tick).max(tick), day.close + tick)
        };
        Quote {
            last_price: day.close,
            bid,
            ask,
            day,
            previous_close,
            timestamp: at,
            open_interest: None,
            bid_quantity: touch_quantity(instrument),
            ask_quantity: touch_quantity(instrument),
        }
    }

    /// The (unrounded) price of a derivative given its underlying's spot at a time `years` before expiry.
    fn derivative_price(instrument: &Instrument, spot: f64, years: f64) -> f64 {
        let forward = spot * libm::exp(REFERENCE_RATE * years);
        match (
            instrument.segment,
            instrument.option_type,
            instrument.strike.and_then(|k| k.to_f64()),
        ) {
            (Segment::Option, Some(option_type), Some(strike)) => OptionSpec {
                model: Model::Black76,
                option_type,
                underlying: forward,
                strike,
                time_years: years,
                rate: REFERENCE_RATE,
                dividend_yield: 0.0,
            }
            .price(smile(strike, forward)),
            _ => forward,
        }
    }

    /// Everything about an underlying's session that its derivatives' quotes share.
    fn underlying_day(&self, underlying: &Instrument, now: DateTime<Utc>) -> UnderlyingDay {
        let (date, minutes, at) = self.session_progress(underlying, now);
        let previous = self
            .calendar
            .trading_day_at_or_before(underlying.exchange, date.pred_opt().unwrap_or(date));
        UnderlyingDay {
            date,
            minutes,
            at,
            path: self.path_f(underlying, date),
            previous,
            previous_close: self.close_f(underlying, previous),
        }
    }

    /// A derivative's quote from its underlying's day. The day's high and low are priced at the underlying's
    /// extremes (an option's price is monotonic in its underlying over a day), so a quote costs four model
    /// evaluations, not one per minute.
    fn derivative_quote(&self, instrument: &Instrument, day: &UnderlyingDay) -> Quote {
        let years_at = |t: DateTime<Utc>| years_to_expiry(instrument, t);
        let start = session_start(day.date);
        let seen = &day.path[..=day.minutes as usize];
        let extreme = |better: fn(f64, f64) -> bool| {
            seen.iter()
                .enumerate()
                .fold(0, |best, (i, p)| if better(*p, seen[best]) { i } else { best })
        };
        let price_at = |m: usize| {
            let t = start + chrono::Duration::minutes(m as i64);
            Self::derivative_price(instrument, seen[m], years_at(t))
        };
        let candidates = [
            0,
            extreme(|a, b| a > b),
            extreme(|a, b| a < b),
            day.minutes as usize,
        ]
        .map(price_at);
        let bar = Bar {
            open: derivative_to_decimal(instrument, candidates[0]),
            high: derivative_to_decimal(instrument, candidates.iter().copied().fold(f64::MIN, f64::max)),
            low: derivative_to_decimal(instrument, candidates.iter().copied().fold(f64::MAX, f64::min)),
            close: derivative_to_decimal(instrument, candidates[3]),
            volume: (1..=day.minutes)
                .map(|m| Self::volume(instrument, day.date, m, self.seed))
                .sum(),
        };
        let previous_close_time =
            session_start(day.previous) + chrono::Duration::minutes(i64::from(SESSION_MINUTES));
        let previous_close = derivative_to_decimal(
            instrument,
            Self::derivative_price(instrument, day.previous_close, years_at(previous_close_time)),
        );
        let spot_now = seen[day.minutes as usize];
        let forward = spot_now * libm::exp(REFERENCE_RATE * years_at(day.at));
        Quote {
            open_interest: Some(open_interest(instrument, forward)),
            ..self.with_spread(instrument, bar, previous_close, day.at)
        }
    }

    /// One-minute bars of a spot instrument's session on `date` (empty on a closed day), each stamped with its
    /// start, up to `until`.
    pub fn minute_bars(
        &self,
        instrument: &Instrument,
        date: NaiveDate,
        until: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, Bar)> {
        if !self.calendar.is_trading_day(instrument.exchange, date) || instrument.exchange == Exchange::Mcx {
            return Vec::new();
        }
        self.minute_bars_on(instrument, date, &self.path_f(instrument, date), until)
    }

    /// One-minute bars of `date` along its minute `path`, up to `until`.
    /// A little intra-minute range beyond minute `m`'s two endpoints (the first being `a`), deterministic.
    fn wiggle(&self, instrument: &Instrument, date: NaiveDate, m: u32, a: f64) -> f64 {
        0.0002
            * a
            * normal(
                fnv(instrument.key.as_str()),
                date.num_days_from_ce() as u64,
                u64::from(m) << 32,
                self.seed,
            )
            .abs()
    }

    /// The daily candle of a whole session on `path`: exactly the minute bars of
    /// [`minute_bars_on`](Self::minute_bars_on) aggregated (rounding to the tick is monotonic, so the
    /// rounded extreme is the extreme of the rounded), without making them.
    fn whole_day_candle(&self, instrument: &Instrument, date: NaiveDate, path: &[f64]) -> Candle {
        let tick = instrument.tick_size;
        let (mut high, mut low, mut volume) = (f64::MIN, f64::MAX, 0);
        for m in 0..SESSION_MINUTES {
            let (a, b) = (path[m as usize], path[m as usize + 1]);
            let wiggle = self.wiggle(instrument, date, m, a);
            high = high.max(a.max(b) + wiggle);
            low = low.min(a.min(b) - wiggle);
            volume += Self::volume(instrument, date, m + 1, self.seed);
        }
        Candle {
            start: session_start(date),
            open: to_decimal(path[0], tick),
            high: to_decimal(high, tick),
            low: to_decimal(low, tick),
            close: to_decimal(path[SESSION_MINUTES as usize], tick),
            volume,
        }
    }

    fn minute_bars_on(
        &self,
        instrument: &Instrument,
        date: NaiveDate,
        path: &[f64],
        until: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, Bar)> {
        let start = session_start(date);
        let tick = instrument.tick_size;
        (0..SESSION_MINUTES)
            .map(|m| {
                let (a, b) = (path[m as usize], path[m as usize + 1]);
                let wiggle = self.wiggle(instrument, date, m, a);
                let bar = Bar {
                    open: to_decimal(a, tick),
                    high: to_decimal(a.max(b) + wiggle, tick),
                    low: to_decimal(a.min(b) - wiggle, tick),
                    close: to_decimal(b, tick),
                    volume: Self::volume(instrument, date, m + 1, self.seed),
                };
                (start + chrono::Duration::minutes(i64::from(m)), bar)
            })
            .take_while(|(t, _)| *t + chrono::Duration::minutes(1) <= until)
            .collect()
    }

    /// One-minute bars of a derivative on `date`, from its underlying's: each bar holds the contract's prices
    /// at the underlying's open, high, low and close of that minute (a future or option moves monotonically
    /// with its underlying, so the extremes land on extremes). Nothing after the contract's expiry.
    fn derivative_minute_bars(
        &self,
        instrument: &Instrument,
        underlying: &Instrument,
        date: NaiveDate,
        until: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, Bar)> {
        if instrument.expiry.is_some_and(|expiry| date > expiry) {
            return Vec::new();
        }
        self.minute_bars(underlying, date, until)
            .into_iter()
            .enumerate()
            .map(|(m, (start, bar))| {
                let years = years_to_expiry(instrument, start);
                let priced = [bar.open, bar.high, bar.low, bar.close]
                    .map(|spot| Self::derivative_price(instrument, spot.to_f64().unwrap_or_default(), years));
                let bar = Bar {
                    open: derivative_to_decimal(instrument, priced[0]),
                    high: derivative_to_decimal(instrument, priced.iter().copied().fold(f64::MIN, f64::max)),
                    low: derivative_to_decimal(instrument, priced.iter().copied().fold(f64::MAX, f64::min)),
                    close: derivative_to_decimal(instrument, priced[3]),
                    volume: Self::volume(instrument, date, m as u32 + 1, self.seed),
                };
                (start, bar)
            })
            .collect()
    }

    /// The close of the trading day before `day`, from `closes`.
    fn previous_close(
        &self,
        instrument: &Instrument,
        day: NaiveDate,
        closes: &HashMap<NaiveDate, f64>,
    ) -> Option<f64> {
        let previous = self
            .calendar
            .trading_day_at_or_before(instrument.exchange, day.pred_opt()?);
        closes.get(&previous).copied()
    }

    /// The bar of a whole trading day (daily candles).
    pub fn day_bar(&self, instrument: &Instrument, date: NaiveDate) -> Bar {
        self.spot_day(instrument, date, SESSION_MINUTES)
    }

    /// Candles of `instrument` starting in `[from, to)`, built from the minute bars of every session in range
    /// that has happened by `now`. A derivative's come from its `underlying`'s (`None` for a spot instrument).
    pub fn candles(
        &self,
        instrument: &Instrument,
        underlying: Option<&Instrument>,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<Candle> {
        let until = to.min(now);
        let mut out = Vec::new();
        let mut day = from.with_timezone(&ist()).date_naive();
        let last_day = until.with_timezone(&ist()).date_naive();
        let spot_closes = match underlying {
            None if day <= last_day => self.closes_through(instrument, day, last_day),
            _ => HashMap::new(),
        };
        let session = chrono::Duration::minutes(i64::from(SESSION_MINUTES));
        while day <= last_day {
            let candles = match underlying {
                Some(underlying) => aggregate(
                    &self.derivative_minute_bars(instrument, underlying, day, until),
                    interval,
                ),
                None if instrument.exchange == Exchange::Mcx => Vec::new(),
                None => match (
                    self.previous_close(instrument, day, &spot_closes),
                    spot_closes.get(&day),
                ) {
                    (Some(previous), Some(close)) => {
                        let path = self.path_between(instrument, day, (previous, *close));
                        if interval == Interval::D1 && session_start(day) + session <= until {
                            vec![self.whole_day_candle(instrument, day, &path)]
                        } else {
                            aggregate(&self.minute_bars_on(instrument, day, &path, until), interval)
                        }
                    }
                    _ => Vec::new(),
                },
            };
            out.extend(candles.into_iter().filter(|c| c.start >= from && c.start < to));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }
}

#[async_trait::async_trait]
impl MarketData for SimulatedMarket {
    fn prices_in_process(&self) -> bool {
        true
    }

    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        // A chain asks for hundreds of contracts on one underlying: compute its day once.
        let unlisted =
            |i: &Instrument| MarketDataError::Unsupported(format!("no underlying listed for {}", i.key));
        let mut days: HashMap<InstrumentKey, UnderlyingDay> = HashMap::new();
        let mut out = HashMap::with_capacity(instruments.len());
        for instrument in instruments {
            let quote = match (instrument.segment, &instrument.underlying) {
                (Segment::Future | Segment::Option, Some(underlying_key)) => {
                    let underlying = master
                        .get(underlying_key.as_str())
                        .ok_or_else(|| unlisted(instrument))?;
                    let day = days
                        .entry(underlying_key.clone())
                        .or_insert_with(|| self.underlying_day(underlying, now));
                    self.derivative_quote(instrument, day)
                }
                _ => self
                    .quote(master, instrument, now)
                    .ok_or_else(|| unlisted(instrument))?,
            };
            out.insert(instrument.key.clone(), quote);
        }
        Ok(out)
    }

    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let underlying = match (instrument.segment, &instrument.underlying) {
            (Segment::Future | Segment::Option, Some(key)) => {
                Some(master.get(key.as_str()).ok_or_else(|| {
                    MarketDataError::Unsupported(format!("no underlying listed for {}", instrument.key))
                })?)
            }
            _ => None,
        };
        Ok(SimulatedMarket::candles(
            self, instrument, underlying, interval, from, to, now,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::instrument::is_tick_multiple;
    use std::cmp::Ordering;

    fn world() -> (InstrumentMaster, SimulatedMarket) {
        let calendar = MarketCalendar::default();
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        (master, SimulatedMarket::new(calendar, 7))
    }

    fn ist_at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_long_range_walks_once_to_the_same_closes_as_each_day_alone() {
        let (master, market) = world();
        let infy = master.get("NSE:INFY").unwrap();
        let (first, last) = ("2026-09-01".parse().unwrap(), "2026-12-31".parse().unwrap());
        let closes = market.closes_through(infy, first, last);
        assert!(closes.len() > 80);
        for (day, close) in &closes {
            assert_eq!(close.to_bits(), market.close_f(infy, *day).to_bits(), "{day}");
        }
    }

    #[test]
    fn a_whole_days_candle_is_its_minute_bars_aggregated() {
        let (master, market) = world();
        for key in ["NSE:INFY", "NSE:NIFTY", "NSE:MARUTI"] {
            let instrument = master.get(key).unwrap();
            let (first, last) = ("2026-10-01".parse().unwrap(), "2026-10-31".parse().unwrap());
            let closes = market.closes_through(instrument, first, last);
            let mut days = 0;
            for day in first.iter_days().take_while(|d| *d <= last) {
                let (Some(previous), Some(close)) =
                    (market.previous_close(instrument, day, &closes), closes.get(&day))
                else {
                    continue;
                };
                let path = market.path_between(instrument, day, (previous, *close));
                let minutes = market.minute_bars_on(instrument, day, &path, ist_at("2027-01-01T00:00:00"));
                assert_eq!(
                    vec![market.whole_day_candle(instrument, day, &path)],
                    aggregate(&minutes, Interval::D1),
                    "{key} {day}"
                );
                days += 1;
            }
            assert!(days > 15, "{key}: {days} sessions");
        }
    }

    #[test]
    fn the_anchor_close_is_the_reference_price() {
        let (master, market) = world();
        let reliance = master.get("NSE:RELIANCE").unwrap();
        let after_anchor_close = ist_at("2026-11-20T18:00:00");
        let quote = market.quote(&master, reliance, after_anchor_close).unwrap();
        assert_eq!(quote.last_price, reliance.reference_price);
    }

    #[test]
    fn the_same_inputs_give_the_same_prices_and_another_seed_does_not() {
        let (master, market) = world();
        let infy = master.get("NSE:INFY").unwrap();
        let t = ist_at("2026-11-24T11:07:00");
        assert_eq!(market.quote(&master, infy, t), market.quote(&master, infy, t));
        let other = SimulatedMarket::new(MarketCalendar::default(), 8);
        assert_ne!(
            market.quote(&master, infy, t).unwrap().last_price,
            other.quote(&master, infy, t).unwrap().last_price
        );
    }

    #[tokio::test]
    async fn derivative_candles_follow_their_underlying_and_end_at_the_quote() {
        let (master, market) = world();
        let now = ist_at("2026-11-25T12:00:00");
        let from = ist_at("2026-11-25T09:15:00");
        let expiry: NaiveDate = "2026-12-29".parse().unwrap();
        let nifty = master.get("NSE:NIFTY").unwrap();
        let spot = market.quote(&master, nifty, now).unwrap().last_price;
        let atm_call = master
            .option_contracts("NSE:NIFTY", expiry)
            .into_iter()
            .filter(|c| c.option_type == Some(crate::market::options::OptionType::Call))
            .min_by_key(|c| (c.strike.unwrap() - spot).abs())
            .unwrap();
        let future = master.get("NFO:NIFTY26DECFUT").unwrap();
        let spot_candles = MarketData::candles(&market, &master, nifty, Interval::M15, from, now, now)
            .await
            .unwrap();
        for contract in [atm_call, future] {
            let candles = MarketData::candles(&market, &master, contract, Interval::M15, from, now, now)
                .await
                .unwrap();
            assert_eq!(candles.len(), spot_candles.len(), "{}", contract.key);
            for (c, s) in candles.iter().zip(&spot_candles) {
                assert_eq!(c.start, s.start);
                assert!(c.low <= c.open.min(c.close) && c.open.max(c.close) <= c.high);
                for p in [c.open, c.high, c.low, c.close] {
                    assert_eq!(p % contract.tick_size, Decimal::ZERO, "{p} on {}", contract.key);
                }
                // Both rise and fall with the underlying (or stay within a tick's rounding).
                let direction = (s.close.cmp(&s.open), c.close.cmp(&c.open));
                assert!(
                    !matches!(
                        direction,
                        (Ordering::Greater, Ordering::Less) | (Ordering::Less, Ordering::Greater)
                    ),
                    "{} at {}",
                    contract.key,
                    c.start
                );
            }
            let quote = market.quote(&master, contract, now).unwrap();
            let last = candles.last().unwrap().close;
            assert!(
                (last - quote.last_price).abs() <= Decimal::new(10, 2),
                "{last} vs {}",
                quote.last_price
            );
        }
        let after_expiry = ist_at("2026-12-30T10:00:00");
        let candles = MarketData::candles(
            &market,
            &master,
            atm_call,
            Interval::M1,
            ist_at("2026-12-30T09:15:00"),
            after_expiry,
            after_expiry,
        )
        .await
        .unwrap();
        assert!(candles.is_empty(), "an expired contract has no new candles");
    }

    #[test]
    fn the_touch_offers_about_25_lakh_of_a_share_and_20_lots_of_a_contract() {
        let (master, market) = world();
        let at = ist_at("2026-11-24T13:30:00");
        let infy = master.get("NSE:INFY").unwrap();
        let size = touch_quantity(infy).unwrap();
        let value = |units: u64| Decimal::from(units) * infy.reference_price;
        assert!(
            value(size) <= EQUITY_TOUCH_VALUE && value(size + 1) > EQUITY_TOUCH_VALUE,
            "{size}"
        );
        let q = market.quote(&master, infy, at).unwrap();
        assert_eq!((q.bid_quantity, q.ask_quantity), (Some(size), Some(size)));
        let future = master.get("NFO:NIFTY26DECFUT").unwrap();
        assert_eq!(touch_quantity(future), Some(u64::from(future.lot_size) * 20));
        let index = master.get("NSE:NIFTY").unwrap();
        assert_eq!(touch_quantity(index), None);
        assert_eq!(market.quote(&master, index, at).unwrap().ask_quantity, None);
    }

    #[test]
    fn quotes_respect_ticks_spreads_and_the_days_range() {
        let (master, market) = world();
        for key in [
            "NSE:RELIANCE",
            "NSE:MARUTI",
            "NSE:TATASTEEL",
            "NFO:NIFTY26DECFUT",
            "NFO:NIFTY26D0126000CE",
        ] {
            let instrument = master.get(key).unwrap();
            let q = market
                .quote(&master, instrument, ist_at("2026-11-24T13:30:00"))
                .unwrap();
            for price in [q.last_price, q.bid, q.ask, q.day.open, q.day.high, q.day.low] {
                assert!(is_tick_multiple(price, instrument.tick_size), "{key} {price}");
            }
            assert!(q.bid < q.ask, "{key}");
            assert!(q.day.low <= q.last_price && q.last_price <= q.day.high, "{key}");
            assert!(q.volume_positive(), "{key}");
        }
    }

    #[test]
    fn daily_moves_stay_inside_the_circuit_band() {
        let (master, market) = world();
        let tata = master.get("NSE:TATASTEEL").unwrap();
        let mut previous = market.day_bar(tata, "2026-06-01".parse().unwrap()).close;
        let mut day: NaiveDate = "2026-06-02".parse().unwrap();
        while day < "2026-12-31".parse().unwrap() {
            if market.calendar().is_trading_day(Exchange::Nse, day) {
                let close = market.day_bar(tata, day).close;
                let change = ((close - previous) / previous).abs();
                assert!(change <= Decimal::new(1005, 4), "{day}: {previous} → {close}");
                previous = close;
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn before_the_open_the_quote_is_the_last_close_and_the_session_fills_minute_by_minute() {
        let (master, market) = world();
        let infy = master.get("NSE:INFY").unwrap();
        let pre = market
            .quote(&master, infy, ist_at("2026-11-24T09:00:00"))
            .unwrap();
        let monday_close = market.day_bar(infy, "2026-11-23".parse().unwrap()).close;
        assert_eq!(pre.last_price, monday_close);
        let bars = market.minute_bars(infy, "2026-11-24".parse().unwrap(), ist_at("2026-11-24T10:15:00"));
        assert_eq!(bars.len(), 60);
        assert_eq!(bars[0].0, ist_at("2026-11-24T09:15:00"));
        let full = market.minute_bars(infy, "2026-11-24".parse().unwrap(), ist_at("2026-11-25T00:00:00"));
        assert_eq!(full.len(), SESSION_MINUTES as usize);
        assert_eq!(
            full.last().unwrap().1.close,
            market.day_bar(infy, "2026-11-24".parse().unwrap()).close
        );
        assert!(
            market
                .minute_bars(infy, "2026-11-28".parse().unwrap(), ist_at("2026-11-29T00:00:00"))
                .is_empty()
        );
    }

    impl Quote {
        fn volume_positive(&self) -> bool {
            self.day.volume > 0 || self.bid == self.ask
        }
    }
}
