//! Live orders: an account switched to live trades at the user's linked broker (Upstox) instead of the paper
//! broker, through the same orders API. These are the rules of a live order's life in our book; the use cases
//! that call the broker are [`crate::trading::service`]'s live venue.
//!
//! A live order is kept in our book like a paper order (same ids, idempotency claims, rate limit, lists,
//! isolation), marked with its broker ([`BrokerOrderRef`]), blocking none of the paper account's funds and
//! never seen by the paper exchange. Funds, margin and the exchange's rules beyond ours are the broker's
//! to check. Placing is safe for real money:
//! 1. the order and its claims are committed first, so a repeated or concurrent request finds the claim and
//!    never reaches the broker a second time;
//! 2. the broker gets one call, tagged with our order id;
//! 3. its answer is stored: the broker's id ([`confirmed`]), or a rejection with the broker's words
//!    ([`rejected_at_broker`]); when the call failed without an answer, the order book is searched for the
//!    tag, and if the order is not there the order waits, unconfirmed, for the next read.
//!
//! Reads bring working live orders up to date from the broker's order book ([`reconcile`]): found by id (or,
//! before confirmation, by tag), they take the broker's status and fills; an order the broker still has no
//! record of [`CONFIRMATION_GRACE`] after it was placed was never received, and is rejected.

use chrono::{DateTime, Duration, Utc};

use crate::broker::link::{Broker, BrokerOrderRef};
use crate::broker::live::{BrokerKeyMap, LiveOrder};
use crate::kernel::ids::{OrderId, UserId};
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::trading::order::Order;
use crate::trading::request::OrderRequest;
use crate::trading::status::{InvalidTransition, OrderEvent, OrderStatus};

/// The broker live mode trades at.
pub const LIVE_BROKER: Broker = Broker::Upstox;

/// How long a placed live order may stay unknown to its broker's order book before we conclude the broker
/// never received it. Far longer than one broker call may take.
pub const CONFIRMATION_GRACE: Duration = Duration::seconds(60);

/// A live order as first stored: accepted (OPEN, or TRIGGER_PENDING for a stop, as the broker will hold it),
/// not yet confirmed by `broker`.
pub fn new_live_order(
    (user, id): (UserId, OrderId),
    instrument: &Instrument,
    request: &OrderRequest,
    is_amo: bool,
    broker: Broker,
    now: DateTime<Utc>,
) -> Order {
    let status = if request.is_stop() {
        OrderStatus::TriggerPending
    } else {
        OrderStatus::Open
    };
    Order {
        live: Some(BrokerOrderRef {
            broker,
            broker_order_id: None,
        }),
        ..Order::accepted(
            (user, id),
            instrument.key.clone(),
            request.clone(),
            is_amo,
            (status, Some(awaiting_message(broker))),
            now,
        )
    }
}

fn awaiting_message(broker: Broker) -> String {
    format!("sent to {}; awaiting its confirmation", broker_name(broker))
}

/// The broker's name, as users know it.
pub fn broker_name(broker: Broker) -> &'static str {
    match broker {
        Broker::Upstox => "Upstox",
    }
}

/// `order` with the broker's id for it, as the broker confirmed it at `now`.
pub fn confirmed(order: &Order, broker_order_id: String, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    if let Some(live) = &mut next.live {
        let message = format!("placed at {} as {broker_order_id}", broker_name(live.broker));
        live.broker_order_id = Some(broker_order_id);
        next.note(now, Some(message));
    }
    next.version += 1;
    next
}

/// `order` rejected by its broker at `now`, for `reason` (the broker's words).
///
/// # Errors
/// [`InvalidTransition`] when the order can no longer be rejected (it filled or was cancelled meanwhile).
pub fn rejected_at_broker(
    order: &Order,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Order, InvalidTransition> {
    let mut next = order.clone();
    next.apply(OrderEvent::Rejected, now, Some(reason.to_owned()))?;
    next.version += 1;
    Ok(next)
}

/// The broker's record of `order` in its order `book`: by the broker's id once known, else by our tag.
pub fn find_in_book<'a>(order: &Order, book: &'a [LiveOrder]) -> Option<&'a LiveOrder> {
    let live = order.live.as_ref()?;
    let ours = order.id.to_string();
    book.iter().find(|at_broker| match &live.broker_order_id {
        Some(id) => &at_broker.broker_order_id == id,
        None => at_broker.tag.as_deref() == Some(ours.as_str()),
    })
}

/// `order` as the broker reports it (`at_broker`), or `None` when nothing changed. Status, quantities and
/// prices are the broker's; a change of status is the event that leads there in the transition table, and a
/// new message from the broker a step of the history.
///
/// # Errors
/// [`InvalidTransition`] when the broker reports a status no event leads to (the order is left as stored).
pub fn synced(
    order: &Order,
    at_broker: &LiveOrder,
    now: DateTime<Utc>,
) -> Result<Option<Order>, InvalidTransition> {
    let mut next = order.clone();
    if let Some(live) = &mut next.live {
        live.broker_order_id = Some(at_broker.broker_order_id.clone());
    }
    next.request.quantity = at_broker.quantity;
    next.request.price = at_broker.price;
    next.request.trigger_price = at_broker.trigger_price;
    next.request.order_type = at_broker.order_type;
    next.filled_quantity = at_broker.filled_quantity;
    next.average_price = at_broker.average_price.filter(|_| at_broker.filled_quantity > 0);
    match order.status.event_to(at_broker.status)? {
        Some(event) => next.apply(event, now, at_broker.status_message.clone())?,
        None if at_broker.status_message != order.status_message => {
            next.note(now, at_broker.status_message.clone());
        }
        None => {}
    }
    if next == *order {
        return Ok(None);
    }
    next.updated_at = now;
    next.version += 1;
    Ok(Some(next))
}

/// A working live `order` brought up to date from its broker's order `book` at `now`, or `None` when nothing
/// changed: [`synced`] when the book has it; rejected when it is still unconfirmed and the book has no record
/// of it [`CONFIRMATION_GRACE`] after placing (the broker never received it).
///
/// # Errors
/// [`InvalidTransition`] when the broker reports a status the order cannot reach from its own.
pub fn reconcile(
    order: &Order,
    book: &[LiveOrder],
    now: DateTime<Utc>,
) -> Result<Option<Order>, InvalidTransition> {
    let Some(live) = order.live.as_ref().filter(|_| !order.status.is_final()) else {
        return Ok(None);
    };
    match find_in_book(order, book) {
        Some(at_broker) => synced(order, at_broker, now),
        None if live.broker_order_id.is_none() && now - order.placed_at > CONFIRMATION_GRACE => {
            let reason = format!(
                "{} has no record of the order: it was not placed",
                broker_name(live.broker)
            );
            rejected_at_broker(order, &reason, now).map(Some)
        }
        None => Ok(None),
    }
}

/// `order` after its broker accepted a modification to `request` at `now`: the new request, the same status,
/// a step of the history.
pub fn modified_at_broker(order: &Order, request: &OrderRequest, now: DateTime<Utc>) -> Order {
    let mut next = order.clone();
    next.request = OrderRequest {
        quantity: request.quantity,
        order_type: request.order_type,
        price: request.price,
        trigger_price: request.trigger_price,
        ..next.request
    };
    next.note(now, Some("modified".into()));
    next.version += 1;
    next
}

/// Our key for the broker's instrument: the broker's list's, else `EXCHANGE:SYMBOL` from the broker's own
/// names. `None` (logged, and left out of the answer) only for a symbol our keys cannot spell.
pub fn our_instrument(
    map: &BrokerKeyMap,
    broker_key: &str,
    exchange: &str,
    symbol: &str,
) -> Option<InstrumentKey> {
    let key = map
        .our_key(broker_key)
        .cloned()
        .or_else(|| InstrumentKey::parse(&format!("{exchange}:{symbol}")));
    if key.is_none() {
        tracing::error!(
            broker_key,
            exchange,
            symbol,
            "a broker instrument with no key of ours"
        );
    }
    key
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::trading::request::{OrderType, Product, Side, Validity};
    use rust_decimal::Decimal;
    use ulid::Ulid;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 5, 30, 0).unwrap() + Duration::seconds(secs)
    }

    fn placed() -> Order {
        let calendar = crate::market::calendar::MarketCalendar::nse().unwrap();
        let instrument = crate::market::master::InstrumentMaster::shipped(&calendar, at(0).date_naive())
            .unwrap()
            .get("NSE:RELIANCE")
            .unwrap()
            .clone();
        let request = OrderRequest {
            side: Side::Buy,
            quantity: 10,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(dec!(2450.05)),
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: Some("mine-1".into()),
        };
        new_live_order(
            (UserId::from_ulid(Ulid::nil()), OrderId::from_ulid(Ulid::nil())),
            &instrument,
            &request,
            false,
            Broker::Upstox,
            at(0),
        )
    }

    fn at_broker(order: &Order, status: OrderStatus, filled: i64) -> LiveOrder {
        LiveOrder {
            broker_order_id: "250101000000001".into(),
            tag: Some(order.id.to_string()),
            instrument_key: "NSE_EQ|INE002A01018".into(),
            trading_symbol: "RELIANCE".into(),
            exchange: "NSE".into(),
            side: Side::Buy,
            quantity: 10,
            filled_quantity: filled,
            average_price: Some(dec!(2449.90)),
            price: Some(dec!(2450.05)),
            trigger_price: None,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            validity: Validity::Day,
            is_amo: false,
            status,
            broker_status: "open".into(),
            status_message: None,
            placed_at: None,
        }
    }

    #[test]
    fn a_new_live_order_is_open_unconfirmed_and_blocks_nothing() {
        let order = placed();
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.blocked, Decimal::ZERO);
        assert_eq!(
            order.live,
            Some(BrokerOrderRef {
                broker: Broker::Upstox,
                broker_order_id: None
            })
        );
        assert_eq!(order.instrument, InstrumentKey::parse("NSE:RELIANCE").unwrap());
        assert_eq!(
            order.status_message.as_deref(),
            Some("sent to Upstox; awaiting its confirmation")
        );
    }

    #[test]
    fn confirmation_records_the_brokers_id_and_a_rejection_the_brokers_words() {
        let order = placed();
        let ok = confirmed(&order, "250101000000001".into(), at(1));
        assert_eq!(ok.status, OrderStatus::Open);
        assert_eq!(
            ok.live.as_ref().and_then(|l| l.broker_order_id.as_deref()),
            Some("250101000000001")
        );
        assert_eq!(ok.version, 2);
        let refused =
            rejected_at_broker(&order, "broker rejected the request: Insufficient funds", at(1)).unwrap();
        assert_eq!(refused.status, OrderStatus::Rejected);
        assert_eq!(
            refused.status_message.as_deref(),
            Some("broker rejected the request: Insufficient funds")
        );
        assert_eq!(
            refused.history.last().map(|h| h.status),
            Some(OrderStatus::Rejected)
        );
    }

    #[test]
    fn an_unconfirmed_order_is_found_by_its_tag_and_takes_the_brokers_fills() {
        let order = placed();
        let book = [at_broker(&order, OrderStatus::PartiallyFilled, 4)];
        let next = reconcile(&order, &book, at(2)).unwrap().unwrap();
        assert_eq!(next.status, OrderStatus::PartiallyFilled);
        assert_eq!(next.filled_quantity, 4);
        assert_eq!(next.average_price, Some(dec!(2449.90)));
        assert_eq!(
            next.live.as_ref().and_then(|l| l.broker_order_id.as_deref()),
            Some("250101000000001")
        );
        assert_eq!(
            reconcile(&next, &book, at(3)),
            Ok(None),
            "nothing new: nothing to write"
        );
    }

    #[test]
    fn an_order_the_broker_never_received_is_rejected_only_after_the_grace() {
        let order = placed();
        let someone_elses = LiveOrder {
            tag: Some("other".into()),
            broker_order_id: "9".into(),
            ..at_broker(&order, OrderStatus::Open, 0)
        };
        let book = [someone_elses];
        assert_eq!(reconcile(&order, &book, at(59)), Ok(None));
        let gone = reconcile(&order, &book, at(61)).unwrap().unwrap();
        assert_eq!(gone.status, OrderStatus::Rejected);
        assert_eq!(
            gone.status_message.as_deref(),
            Some("Upstox has no record of the order: it was not placed")
        );
        // A confirmed order missing from the book (yesterday's) is left as stored.
        let confirmed = confirmed(&order, "1".into(), at(1));
        assert_eq!(reconcile(&confirmed, &book, at(600)), Ok(None));
    }

    #[test]
    fn a_stop_waits_for_its_trigger_at_the_broker_and_an_impossible_report_changes_nothing() {
        let stop = OrderRequest {
            order_type: OrderType::StopLoss,
            trigger_price: Some(dec!(2440.00)),
            ..placed().request
        };
        let calendar = crate::market::calendar::MarketCalendar::nse().unwrap();
        let master = crate::market::master::InstrumentMaster::shipped(&calendar, at(0).date_naive()).unwrap();
        let ids = (UserId::from_ulid(Ulid::nil()), OrderId::from_ulid(Ulid::nil()));
        let order = new_live_order(
            ids,
            master.get("NSE:RELIANCE").unwrap(),
            &stop,
            false,
            Broker::Upstox,
            at(0),
        );
        assert_eq!(order.status, OrderStatus::TriggerPending);
        let triggered = reconcile(&order, &[at_broker(&order, OrderStatus::Open, 0)], at(5))
            .unwrap()
            .unwrap();
        assert_eq!(
            triggered.history.iter().map(|h| h.status).collect::<Vec<_>>(),
            [OrderStatus::TriggerPending, OrderStatus::Open]
        );
        let part = reconcile(
            &triggered,
            &[at_broker(&order, OrderStatus::PartiallyFilled, 4)],
            at(6),
        )
        .unwrap()
        .unwrap();
        assert!(
            reconcile(&part, &[at_broker(&order, OrderStatus::Rejected, 4)], at(7)).is_err(),
            "a partly filled order cannot be rejected"
        );
    }

    #[test]
    fn final_and_paper_orders_are_not_reconciled() {
        let order = placed();
        let book = [at_broker(&order, OrderStatus::Complete, 10)];
        let done = reconcile(&order, &book, at(1)).unwrap().unwrap();
        assert_eq!(done.status, OrderStatus::Complete);
        assert_eq!(reconcile(&done, &[], at(600)), Ok(None));
        let paper = Order { live: None, ..order };
        assert_eq!(reconcile(&paper, &book, at(1)), Ok(None));
    }
}
