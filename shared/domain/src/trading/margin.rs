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
}
