//! When the paper exchange's day ends, per exchange, in IST: intraday positions are squared off from 10
//! minutes before the normal close (15:20 on NSE, NFO and BSE; 23:20 on MCX); a DAY order still working when
//! a normal session of its exchange closes after it was placed expires; a position's day is rolled over
//! (delivery equity settling into holdings, T+1) once the session of its last fill has closed.
//!
//! The rules are stated as "is it due at `now`", not "run at 15:20", so the scheduler's minute tick applies
//! them whenever it runs: a missed or failed tick is made good by the next one.

use chrono::{DateTime, Duration, Utc};

use crate::market::calendar::MarketCalendar;
use crate::market::instrument::Exchange;
use crate::trading::order::Order;
use crate::trading::position::PositionRecord;
use crate::trading::request::{Product, Validity};

/// How long before the normal close intraday positions are squared off.
pub fn square_off_lead() -> Duration {
    Duration::minutes(10)
}

/// Whether intraday positions on `exchange` are squared off at `now`: from [`square_off_lead`] before the
/// normal close until the next open.
pub fn square_off_due(calendar: &MarketCalendar, exchange: Exchange, now: DateTime<Utc>) -> bool {
    let status = calendar.status(exchange, now);
    !status.open || now >= status.next_close - square_off_lead()
}

/// Whether `order`, on `exchange`, has expired at `now`: a DAY order that a normal session's close passed
/// since it was placed (an after-market order placed after today's close lives until tomorrow's).
pub fn day_order_expired(
    calendar: &MarketCalendar,
    exchange: Exchange,
    order: &Order,
    now: DateTime<Utc>,
) -> bool {
    !order.status.is_final()
        && order.request.validity == Validity::Day
        && order.placed_at < calendar.last_close(exchange, now)
}

/// Whether `record`, on `exchange`, is due to be squared off at `now`: an open intraday position at or after
/// the square-off time.
pub fn square_off_needed(
    calendar: &MarketCalendar,
    exchange: Exchange,
    record: &PositionRecord,
    now: DateTime<Utc>,
) -> bool {
    record.product == Product::Intraday
        && record.position.quantity != 0
        && square_off_due(calendar, exchange, now)
}

/// Whether `record`, on `exchange`, is due to roll over at `now`: the session of its last fill has closed.
pub fn roll_over_due(
    calendar: &MarketCalendar,
    exchange: Exchange,
    record: &PositionRecord,
    now: DateTime<Utc>,
) -> bool {
    record
        .trading_day
        .is_some_and(|day| now >= calendar.close_on(exchange, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::{OrderId, UserId};
    use crate::market::instrument::InstrumentKey;
    use crate::trading::position::Position;
    use crate::trading::request::OrderType;
    use crate::trading::request::{OrderRequest, Side};
    use crate::trading::status::OrderStatus;
    use rust_decimal::Decimal;
    use ulid::Ulid;

    fn ist(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn order(placed_at: &str, validity: Validity, status: OrderStatus) -> Order {
        let at = ist(placed_at);
        let request = OrderRequest {
            side: Side::Buy,
            quantity: 1,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(Decimal::ONE),
            trigger_price: None,
            validity,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        };
        Order {
            status,
            ..Order::accepted(
                (UserId::from_ulid(Ulid::new()), OrderId::from_ulid(Ulid::new())),
                InstrumentKey::new(Exchange::Nse, "INFY"),
                request,
                false,
                (OrderStatus::Open, None),
                at,
            )
        }
    }

    #[test]
    fn intraday_square_off_is_due_from_1520_until_the_next_open() {
        let c = MarketCalendar::default();
        assert!(!square_off_due(&c, Exchange::Nse, ist("2026-11-25T15:19:59")));
        assert!(square_off_due(&c, Exchange::Nse, ist("2026-11-25T15:20:00")));
        assert!(square_off_due(&c, Exchange::Nse, ist("2026-11-25T18:00:00")));
        assert!(square_off_due(&c, Exchange::Nse, ist("2026-11-26T09:14:00")));
        assert!(!square_off_due(&c, Exchange::Nse, ist("2026-11-26T09:15:00")));
        assert!(!square_off_due(&c, Exchange::Mcx, ist("2026-11-25T23:19:00")));
        assert!(square_off_due(&c, Exchange::Mcx, ist("2026-11-25T23:20:00")));
    }

    #[test]
    fn day_orders_expire_at_the_first_close_after_placement() {
        let c = MarketCalendar::default();
        let expired = |o: &Order, at: &str| day_order_expired(&c, Exchange::Nse, o, ist(at));
        let morning = order("2026-11-25T11:00:00", Validity::Day, OrderStatus::Open);
        assert!(!expired(&morning, "2026-11-25T15:29:00"));
        assert!(expired(&morning, "2026-11-25T15:30:00"));
        // An after-market order placed this evening waits for tomorrow's session, then expires at its close.
        let amo = order("2026-11-25T18:00:00", Validity::Day, OrderStatus::Open);
        assert!(!expired(&amo, "2026-11-26T10:00:00"));
        assert!(expired(&amo, "2026-11-26T15:30:00"));
        // Final orders and IOC orders are never "expired".
        let done = order("2026-11-25T11:00:00", Validity::Day, OrderStatus::Complete);
        assert!(!expired(&done, "2026-11-26T15:30:00"));
        let ioc = order("2026-11-25T11:00:00", Validity::Ioc, OrderStatus::Open);
        assert!(!expired(&ioc, "2026-11-26T15:30:00"));
    }

    #[test]
    fn a_position_rolls_once_the_session_of_its_last_fill_closed() {
        let c = MarketCalendar::default();
        let rolls = |r: &PositionRecord, at: &str| roll_over_due(&c, Exchange::Nse, r, ist(at));
        let squares = |r: &PositionRecord, at: &str| square_off_needed(&c, Exchange::Nse, r, ist(at));
        let key = InstrumentKey::new(Exchange::Nse, "INFY");
        let mut record = PositionRecord {
            position: Position::default().apply(Side::Buy, 10, Decimal::ONE_HUNDRED, Decimal::ZERO),
            trading_day: Some("2026-11-25".parse().unwrap()),
            ..PositionRecord::flat(key, Product::Intraday)
        };
        assert!(!rolls(&record, "2026-11-25T15:29:00"));
        assert!(rolls(&record, "2026-11-25T15:30:00"));
        assert!(squares(&record, "2026-11-25T15:20:00"));
        record.product = Product::Delivery;
        assert!(!squares(&record, "2026-11-25T15:20:00"));
        record.trading_day = None;
        assert!(!rolls(&record, "2026-11-27T15:30:00"));
    }
}
