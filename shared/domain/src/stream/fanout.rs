//! The ticker's fan-out, pure: every subscribed instrument's quote (read once) to every subscriber, batched
//! per connection into frames of at most [`MAX_FRAME_BYTES`].
//!
//! Each instrument's quote is rendered once per mode someone wants, however many subscribe to it; a
//! connection's frames are then those renderings joined, so the work per tick is one rendering per
//! instrument and one copy per subscription. A frame is `{"type":"quote","quotes":[item, …]}`, an item
//! `{"instrument":"NSE:INFY","last_price":"1550.10","ts":"…"}` in `ltp` mode, and in `quote` mode also the
//! best bid and ask with their sizes, the session's open, high and low, the previous close (`close`, as the
//! REST quote names it), the volume and the open interest.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::market::instrument::InstrumentKey;
use crate::market::quote::Quote;
use crate::stream::connection::{ConnectionId, QuoteMode};
use crate::stream::messages::MAX_FRAME_BYTES;

/// The text before a batch's items.
const QUOTE_FRAME_HEAD: &str = r#"{"type":"quote","quotes":["#;
/// The text after them.
const QUOTE_FRAME_TAIL: &str = "]}";

/// One connection watching an instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The connection.
    pub connection: ConnectionId,
    /// How much of the quote it wants.
    pub mode: QuoteMode,
}

/// Every subscribed instrument with its subscribers: what the ticker reads once per tick.
pub type SubscriberIndex = BTreeMap<InstrumentKey, Vec<Subscriber>>;

/// An `ltp` item.
#[derive(Serialize)]
struct LtpItem<'a> {
    instrument: &'a InstrumentKey,
    last_price: Decimal,
    ts: DateTime<Utc>,
}

/// A `quote` item.
#[derive(Serialize)]
struct QuoteItem<'a> {
    instrument: &'a InstrumentKey,
    last_price: Decimal,
    bid: Decimal,
    ask: Decimal,
    bid_quantity: Option<u64>,
    ask_quantity: Option<u64>,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: u64,
    open_interest: Option<u64>,
    ts: DateTime<Utc>,
}

/// `quote` of `instrument` as a batch item in `mode`.
fn render_item(instrument: &InstrumentKey, quote: &Quote, mode: QuoteMode) -> String {
    let rendered = match mode {
        QuoteMode::Ltp => serde_json::to_string(&LtpItem {
            instrument,
            last_price: quote.last_price,
            ts: quote.timestamp,
        }),
        QuoteMode::Quote => serde_json::to_string(&QuoteItem {
            instrument,
            last_price: quote.last_price,
            bid: quote.bid,
            ask: quote.ask,
            bid_quantity: quote.bid_quantity,
            ask_quantity: quote.ask_quantity,
            open: quote.day.open,
            high: quote.day.high,
            low: quote.day.low,
            close: quote.previous_close,
            volume: quote.day.volume,
            open_interest: quote.open_interest,
            ts: quote.timestamp,
        }),
    };
    // Strings, decimals, integers and a time cannot fail to serialize.
    rendered.unwrap_or_default()
}

/// `items` packed in order into as few quote frames as keep each within [`MAX_FRAME_BYTES`]. An item too
/// large for any frame (none is: an item is a few hundred bytes) is left out rather than break the limit.
pub fn pack_quote_frames<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    let room = MAX_FRAME_BYTES - QUOTE_FRAME_HEAD.len() - QUOTE_FRAME_TAIL.len();
    let mut frames = Vec::new();
    let mut body = String::new();
    for item in items.iter().map(AsRef::as_ref).filter(|i| i.len() <= room) {
        let separator = usize::from(!body.is_empty());
        if body.len() + separator + item.len() > room {
            frames.push(close_frame(&body));
            body.clear();
        }
        if !body.is_empty() {
            body.push(',');
        }
        body.push_str(item);
    }
    if !body.is_empty() {
        frames.push(close_frame(&body));
    }
    frames
}

fn close_frame(body: &str) -> String {
    let mut frame = String::with_capacity(QUOTE_FRAME_HEAD.len() + body.len() + QUOTE_FRAME_TAIL.len());
    frame.push_str(QUOTE_FRAME_HEAD);
    frame.push_str(body);
    frame.push_str(QUOTE_FRAME_TAIL);
    frame
}

/// The quote frames of every connection in `index`: each subscribed instrument that has a quote in `quotes`,
/// rendered once per mode wanted, batched per connection in instrument order. Instruments without a quote
/// are left out; a connection left with nothing gets no frame.
pub fn fan_out<'a>(
    index: &'a SubscriberIndex,
    quotes: &HashMap<InstrumentKey, Quote>,
) -> HashMap<&'a ConnectionId, Vec<String>> {
    let mut items: HashMap<&ConnectionId, Vec<&str>> = HashMap::new();
    let rendered: Vec<(&Vec<Subscriber>, [Option<String>; 2])> = index
        .iter()
        .filter_map(|(instrument, subscribers)| {
            let quote = quotes.get(instrument)?;
            let wants = |mode| subscribers.iter().any(|s| s.mode == mode);
            let render = |mode| wants(mode).then(|| render_item(instrument, quote, mode));
            Some((subscribers, [render(QuoteMode::Ltp), render(QuoteMode::Quote)]))
        })
        .collect();
    for (subscribers, [ltp, full]) in &rendered {
        for s in subscribers.iter() {
            let item = match s.mode {
                QuoteMode::Ltp => ltp,
                QuoteMode::Quote => full,
            };
            if let Some(item) = item {
                items.entry(&s.connection).or_default().push(item);
            }
        }
    }
    items
        .into_iter()
        .map(|(connection, items)| (connection, pack_quote_frames(&items)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::quote::Bar;
    use rust_decimal_macros::dec;
    use serde_json::{Value, json};

    fn key(s: &str) -> InstrumentKey {
        InstrumentKey::parse(s).unwrap()
    }

    fn id(s: &str) -> ConnectionId {
        s.parse().unwrap()
    }

    fn quote(last: Decimal) -> Quote {
        Quote {
            last_price: last,
            bid: last - dec!(0.05),
            ask: last + dec!(0.05),
            day: Bar {
                open: dec!(1500),
                high: dec!(1560),
                low: dec!(1490),
                close: last,
                volume: 12_345,
            },
            previous_close: dec!(1510.5),
            timestamp: DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap(),
            open_interest: None,
            bid_quantity: Some(40),
            ask_quantity: None,
        }
    }

    fn frame_items(frame: &str) -> Vec<Value> {
        let v: Value = serde_json::from_str(frame).unwrap();
        assert_eq!(v["type"], "quote");
        v["quotes"].as_array().unwrap().clone()
    }

    #[test]
    fn each_subscriber_gets_its_instruments_in_its_mode() {
        let index = SubscriberIndex::from([
            (
                key("NSE:INFY"),
                vec![
                    Subscriber {
                        connection: id("a"),
                        mode: QuoteMode::Ltp,
                    },
                    Subscriber {
                        connection: id("b"),
                        mode: QuoteMode::Quote,
                    },
                ],
            ),
            (
                key("NSE:TCS"),
                vec![Subscriber {
                    connection: id("a"),
                    mode: QuoteMode::Ltp,
                }],
            ),
            (
                key("NSE:WIPRO"),
                vec![Subscriber {
                    connection: id("c"),
                    mode: QuoteMode::Ltp,
                }],
            ),
        ]);
        let quotes = HashMap::from([
            (key("NSE:INFY"), quote(dec!(1550.10))),
            (key("NSE:TCS"), quote(dec!(4000))),
        ]);
        let frames = fan_out(&index, &quotes);
        assert_eq!(frames.len(), 2, "c's only instrument has no quote: no frame");
        let a = frame_items(&frames[&id("a")][0]);
        assert_eq!(
            a,
            vec![
                json!({"instrument": "NSE:INFY", "last_price": "1550.10", "ts": "2026-11-18T11:06:40Z"}),
                json!({"instrument": "NSE:TCS", "last_price": "4000", "ts": "2026-11-18T11:06:40Z"}),
            ]
        );
        let b = frame_items(&frames[&id("b")][0]);
        assert_eq!(
            b,
            vec![json!({
                "instrument": "NSE:INFY", "last_price": "1550.10", "bid": "1550.05", "ask": "1550.15",
                "bid_quantity": 40, "ask_quantity": null, "open": "1500", "high": "1560", "low": "1490",
                "close": "1510.5", "volume": 12345, "open_interest": null, "ts": "2026-11-18T11:06:40Z"
            })]
        );
    }

    /// An item of `len` bytes (a JSON string).
    fn item(len: usize) -> String {
        format!("\"{}\"", "a".repeat(len - 2))
    }

    #[test]
    fn a_batch_that_exactly_fills_a_frame_is_one_frame_and_one_byte_more_is_two() {
        let room = MAX_FRAME_BYTES - QUOTE_FRAME_HEAD.len() - QUOTE_FRAME_TAIL.len();
        // Four items and three commas fill the room exactly.
        let len = (room - 3) / 4;
        let mut exact = vec![item(len); 3];
        exact.push(item(room - 3 - 3 * len));
        let one = pack_quote_frames(&exact);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].len(), MAX_FRAME_BYTES);
        assert_eq!(frame_items(&one[0]).len(), 4);
        exact[3] = item(room - 3 - 3 * len + 1);
        let two = pack_quote_frames(&exact);
        assert_eq!(two.len(), 2);
        assert!(two.iter().all(|f| f.len() <= MAX_FRAME_BYTES));
        assert_eq!(
            frame_items(&two[1]).len(),
            1,
            "the item that did not fit opens the next frame"
        );
    }

    #[test]
    fn a_large_batch_splits_into_frames_under_the_limit_keeping_every_item_in_order() {
        let index: SubscriberIndex = (0..200)
            .map(|i| {
                (
                    key(&format!("NSE:SYM{i:03}")),
                    vec![Subscriber {
                        connection: id("a"),
                        mode: QuoteMode::Quote,
                    }],
                )
            })
            .collect();
        let quotes = index.keys().map(|k| (k.clone(), quote(dec!(1550.10)))).collect();
        let frames = &fan_out(&index, &quotes)[&id("a")];
        assert!(frames.len() > 1, "200 full quotes are more than 32 KiB");
        assert!(frames.iter().all(|f| f.len() <= MAX_FRAME_BYTES));
        let instruments: Vec<String> = frames
            .iter()
            .flat_map(|f| frame_items(f))
            .map(|i| i["instrument"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = index.keys().map(ToString::to_string).collect();
        assert_eq!(instruments, expected);
    }

    #[test]
    fn an_item_that_fits_no_frame_is_left_out() {
        assert!(pack_quote_frames(&[item(MAX_FRAME_BYTES)]).is_empty());
        assert!(pack_quote_frames::<String>(&[]).is_empty());
    }
}
