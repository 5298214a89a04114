//! Funds an order blocks before it is accepted:
//! - equity delivery: 100% of the order value;
//! - equity intraday: 20% of the value (5× leverage);
//! - option buys: the premium;
//! - futures and option sells: a SPAN-like estimate, documented here because it is ours, not the exchange's:
//!   futures block 12% of contract value (≈ 9% SPAN + 3% exposure on index futures); option sells block the
//!   larger of (12% of the underlying's notional − half the out-of-the-money amount) and 3% of the notional,
//!   without crediting the premium received.
//!
//! Order value is quantity × price, with the last price for market orders.
//!
//! A basket of option legs on one underlying and one expiry whose loss at expiry is bounded (a spread, a
//! condor, a butterfly) blocks that maximum loss instead of each short leg's margin ([`basket_margin`]): never
//! less than the premiums its long legs pay, never more than the legs would block one by one. Strategies
//! estimate a basket's margin with it and the paper broker blocks it when the basket executes.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::market::instrument::{Instrument, Segment};
use crate::market::options::OptionType;
use crate::trading::request::{Product, Side};

/// Equity intraday margin: 20% (5× leverage).
pub const INTRADAY_MARGIN: Decimal = dec!(0.20);
/// SPAN-like futures margin, fraction of contract value.
pub const FUTURES_MARGIN: Decimal = dec!(0.12);
/// Floor of an option sell's margin, fraction of the underlying's notional.
pub const SHORT_OPTION_FLOOR: Decimal = dec!(0.03);

/// The funds an order of `quantity` at `price` blocks. `underlying_price` is the spot for derivatives.
pub fn required_margin(
    instrument: &Instrument,
    side: Side,
    product: Product,
    quantity: i64,
    price: Decimal,
    underlying_price: Decimal,
) -> Decimal {
    let q = Decimal::from(quantity);
    let value = q * price;
    let required = match (instrument.segment, side) {
        (Segment::Equity | Segment::Index, _) => match product {
            Product::Delivery => value,
            Product::Intraday => value * INTRADAY_MARGIN,
        },
        (Segment::Future, _) => value * FUTURES_MARGIN,
        (Segment::Option, Side::Buy) => value,
        (Segment::Option, Side::Sell) => {
            let notional = q * underlying_price;
            let strike = instrument.strike.unwrap_or(underlying_price);
            let out_of_the_money = match instrument.option_type {
                Some(OptionType::Call) => (strike - underlying_price).max(Decimal::ZERO),
                _ => (underlying_price - strike).max(Decimal::ZERO),
            } * q;
            (notional * FUTURES_MARGIN - out_of_the_money / dec!(2)).max(notional * SHORT_OPTION_FLOOR)
        }
    };
    required.round_dp(2)
}

/// One leg of a basket, as [`basket_margin`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct BasketLeg<'a> {
    /// The contract.
    pub instrument: &'a Instrument,
    /// Buy or sell.
    pub side: Side,
    /// Product.
    pub product: Product,
    /// Units.
    pub quantity: i64,
    /// Price per unit (the fill's, or the estimate's).
    pub price: Decimal,
    /// The underlying's last price.
    pub underlying_price: Decimal,
}

impl BasketLeg<'_> {
    /// What this leg blocks placed alone ([`required_margin`]).
    pub fn alone(&self) -> Decimal {
        required_margin(
            self.instrument,
            self.side,
            self.product,
            self.quantity,
            self.price,
            self.underlying_price,
        )
    }
}

/// What a basket blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasketMargin {
    /// Each leg's [`required_margin`], summed: what the legs would block placed one by one.
    pub naked: Decimal,
    /// What the basket blocks.
    pub total: Decimal,
}

impl BasketMargin {
    /// How much less the basket blocks than its legs one by one.
    pub fn hedge_benefit(&self) -> Decimal {
        self.naked - self.total
    }
}

/// What `legs` block together: their maximum loss at expiry when they are options on one underlying and
/// one expiry, some sold, and that loss is bounded (no net short call beyond the highest strike), but at
/// least the premiums the long legs pay and at most the legs one by one; else the legs one by one.
pub fn basket_margin(legs: &[BasketLeg<'_>]) -> BasketMargin {
    let naked: Decimal = legs
        .iter()
        .map(|l| {
            required_margin(
                l.instrument,
                l.side,
                l.product,
                l.quantity,
                l.price,
                l.underlying_price,
            )
        })
        .sum();
    let unhedged = BasketMargin { naked, total: naked };
    let options: Option<Vec<(OptionType, Decimal)>> = legs
        .iter()
        .map(|l| Some((l.instrument.option_type?, l.instrument.strike?)))
        .collect();
    let Some(options) = options else {
        return unhedged;
    };
    let one_series = legs.windows(2).all(|w| {
        w[0].instrument.underlying == w[1].instrument.underlying
            && w[0].instrument.expiry == w[1].instrument.expiry
    });
    let sells = legs.iter().any(|l| l.side == Side::Sell);
    let signed = |l: &BasketLeg<'_>| match l.side {
        Side::Buy => Decimal::from(l.quantity),
        Side::Sell => -Decimal::from(l.quantity),
    };
    let calls_beyond: Decimal = legs
        .iter()
        .zip(&options)
        .filter(|(_, (kind, _))| *kind == OptionType::Call)
        .map(|(l, _)| signed(l))
        .sum();
    if !one_series || !sells || calls_beyond < Decimal::ZERO {
        return unhedged;
    }
    // The payoff at expiry is linear between strikes: its minimum is at zero or at a strike.
    let pnl_at = |level: Decimal| -> Decimal {
        legs.iter()
            .zip(&options)
            .map(|(l, (kind, strike))| {
                let intrinsic = match kind {
                    OptionType::Call => (level - strike).max(Decimal::ZERO),
                    OptionType::Put => (strike - level).max(Decimal::ZERO),
                };
                signed(l) * (intrinsic - l.price)
            })
            .sum()
    };
    let worst = std::iter::once(Decimal::ZERO)
        .chain(options.iter().map(|(_, strike)| *strike))
        .map(pnl_at)
        .min()
        .unwrap_or_default();
    let long_premiums: Decimal = legs
        .iter()
        .filter(|l| l.side == Side::Buy)
        .map(|l| Decimal::from(l.quantity) * l.price)
        .sum();
    let total = (-worst).max(long_premiums).min(naked).round_dp(2);
    BasketMargin { naked, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::master::InstrumentMaster;

    fn master() -> InstrumentMaster {
        InstrumentMaster::shipped(&MarketCalendar::default(), "2026-11-23".parse().unwrap()).unwrap()
    }

    #[test]
    fn equity_delivery_blocks_the_value_and_intraday_a_fifth() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap();
        // 100 × 1,550 = 1,55,000.
        assert_eq!(
            required_margin(infy, Side::Buy, Product::Delivery, 100, dec!(1550), dec!(0)),
            dec!(155000)
        );
        assert_eq!(
            required_margin(infy, Side::Sell, Product::Intraday, 100, dec!(1550), dec!(0)),
            dec!(31000)
        );
    }

    #[test]
    fn option_buys_block_the_premium_and_futures_twelve_percent() {
        let m = master();
        let call = m.get("NFO:NIFTY26D0126000CE").unwrap();
        // 65 × 120.05 = 7,803.25.
        assert_eq!(
            required_margin(call, Side::Buy, Product::Intraday, 65, dec!(120.05), dec!(26000)),
            dec!(7803.25)
        );
        let future = m.get("NFO:NIFTY26DECFUT").unwrap();
        // 65 × 26,100 = 16,96,500 × 12% = 2,03,580.
        assert_eq!(
            required_margin(
                future,
                Side::Sell,
                Product::Delivery,
                65,
                dec!(26100),
                dec!(26000)
            ),
            dec!(203580)
        );
    }

    #[test]
    fn option_sells_credit_half_the_out_of_the_money_amount_down_to_a_floor() {
        let m = master();
        // Notional 65 × 26,000 = 16,90,000; 12% = 2,02,800.
        let atm = m.get("NFO:NIFTY26D0126000CE").unwrap();
        assert_eq!(
            required_margin(atm, Side::Sell, Product::Delivery, 65, dec!(120), dec!(26000)),
            dec!(202800)
        );
        // 27,000 call: 1,000 OTM × 65 = 65,000; 2,02,800 − 32,500 = 1,70,300.
        let otm = m.get("NFO:NIFTY26D0127000CE").unwrap();
        assert_eq!(
            required_margin(otm, Side::Sell, Product::Delivery, 65, dec!(5), dec!(26000)),
            dec!(170300)
        );
        // 23,500 put: 2,500 OTM × 65 = 1,62,500; 2,02,800 − 81,250 = 1,21,550 (above the 3% floor of 50,700).
        let far_put = m.get("NFO:NIFTY26D0123500PE").unwrap();
        assert_eq!(
            required_margin(
                far_put,
                Side::Sell,
                Product::Delivery,
                65,
                dec!(0.05),
                dec!(26000)
            ),
            dec!(121550)
        );
        // Deep enough out of the money, the 3% floor holds: underlying 30,000, the 26,000 put is 4,000 OTM:
        // 12% × 19,50,000 = 2,34,000 − 1,30,000 = 1,04,000 > 3% floor 58,500.
        let put = m.get("NFO:NIFTY26D0126000PE").unwrap();
        assert_eq!(
            required_margin(put, Side::Sell, Product::Delivery, 65, dec!(1), dec!(30000)),
            dec!(104000)
        );
        // And at 40,000 (14,000 OTM): 3,12,000 − 4,55,000 < floor 78,000 → 78,000.
        assert_eq!(
            required_margin(put, Side::Sell, Product::Delivery, 65, dec!(1), dec!(40000)),
            dec!(78000)
        );
    }

    fn leg<'a>(m: &'a InstrumentMaster, key: &str, side: Side, price: Decimal) -> BasketLeg<'a> {
        BasketLeg {
            instrument: m.get(key).unwrap(),
            side,
            product: Product::Delivery,
            quantity: 65,
            price,
            underlying_price: dec!(26000),
        }
    }

    #[test]
    fn a_credit_spread_blocks_its_maximum_loss() {
        let m = master();
        // Bull put spread: sell the 26,000 put at 150, buy the 25,800 put at 80. Width 200, credit 70:
        // maximum loss (200 − 70) × 65 = 8,450. Naked: the short put 2,02,800 (at the money) + the long's
        // premium 80 × 65 = 5,200 = 2,08,000.
        let legs = [
            leg(&m, "NFO:NIFTY26D0125800PE", Side::Buy, dec!(80)),
            leg(&m, "NFO:NIFTY26D0126000PE", Side::Sell, dec!(150)),
        ];
        let margin = basket_margin(&legs);
        assert_eq!(margin.naked, dec!(208000));
        assert_eq!(margin.total, dec!(8450));
        assert_eq!(margin.hedge_benefit(), dec!(199550));
    }

    #[test]
    fn a_debit_spread_blocks_its_long_premium_and_an_iron_condor_its_wider_wing() {
        let m = master();
        // Bull call spread: buy 26,000 CE at 300, sell 26,200 CE at 200. The maximum loss is the net
        // debit 100 × 65 = 6,500, below the long premium 300 × 65 = 19,500, which is what is blocked.
        let spread = [
            leg(&m, "NFO:NIFTY26D0126000CE", Side::Buy, dec!(300)),
            leg(&m, "NFO:NIFTY26D0126200CE", Side::Sell, dec!(200)),
        ];
        assert_eq!(basket_margin(&spread).total, dec!(19500));
        // Iron condor: puts 25,600/25,800 and calls 26,200/26,400 (widths 200), credit
        // (120 − 60) + (110 − 50) = 120: maximum loss (200 − 120) × 65 = 5,200; longs pay
        // (60 + 50) × 65 = 7,150, so 7,150 is blocked.
        let condor = [
            leg(&m, "NFO:NIFTY26D0125600PE", Side::Buy, dec!(60)),
            leg(&m, "NFO:NIFTY26D0125800PE", Side::Sell, dec!(120)),
            leg(&m, "NFO:NIFTY26D0126200CE", Side::Sell, dec!(110)),
            leg(&m, "NFO:NIFTY26D0126400CE", Side::Buy, dec!(50)),
        ];
        assert_eq!(basket_margin(&condor).total, dec!(7150));
    }

    #[test]
    fn undefined_risk_or_mixed_series_block_every_leg() {
        let m = master();
        // A short straddle loses without bound above: no benefit.
        let straddle = [
            leg(&m, "NFO:NIFTY26D0126000CE", Side::Sell, dec!(300)),
            leg(&m, "NFO:NIFTY26D0126000PE", Side::Sell, dec!(280)),
        ];
        let margin = basket_margin(&straddle);
        assert_eq!(margin.total, margin.naked);
        assert_eq!(margin.naked, dec!(405600));
        // A future in the basket: no benefit either.
        let covered = [
            leg(&m, "NFO:NIFTY26DECFUT", Side::Buy, dec!(26100)),
            leg(&m, "NFO:NIFTY26D0126200CE", Side::Sell, dec!(200)),
        ];
        let margin = basket_margin(&covered);
        assert_eq!(margin.hedge_benefit(), Decimal::ZERO);
    }
}
