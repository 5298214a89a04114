//! What travels on the socket: client messages parsed into [`ClientMessage`] with a precise
//! [`MessageError`] for every bad one (the connection survives it), and the server's [`ServerFrame`]s.
//!
//! Client → server:
//! `{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY"],"mode":"ltp"|"quote"}` (mode defaults
//! to `ltp`), `{"action":"unsubscribe","channel":"quotes","instruments":[…]}`,
//! `{"action":"subscribe"|"unsubscribe","channel":"orders"}`, `{"action":"ping"}`. Unknown fields are
//! refused, as everywhere in the API.
//!
//! Server → client: every frame is one JSON object of at most [`MAX_FRAME_BYTES`] with a `type`. Quotes come
//! in batches built by [`fanout`](crate::stream::fanout) (`{"type":"quote","quotes":[…]}`); the rest are
//! [`ServerFrame`]s.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::market::instrument::InstrumentKey;
use crate::stream::connection::{MAX_INSTRUMENTS_PER_CONNECTION, QuoteMode, TooManyInstruments};

/// The largest frame either way (API Gateway's WebSocket frame limit): a larger client message is refused,
/// and the server splits its batches to stay within it.
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// The longest unknown name echoed back in an error.
const ECHO_CHARS: usize = 40;

/// A channel a connection subscribes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Quotes of chosen instruments.
    Quotes,
    /// The user's own orders, positions and notifications.
    Orders,
}

/// A client message, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// Watch `instruments` (distinct, in the order given) in `mode`.
    SubscribeQuotes {
        /// 1 to [`MAX_INSTRUMENTS_PER_CONNECTION`] instruments.
        instruments: Vec<InstrumentKey>,
        /// How much of each quote.
        mode: QuoteMode,
    },
    /// Stop watching `instruments`.
    UnsubscribeQuotes {
        /// 1 to [`MAX_INSTRUMENTS_PER_CONNECTION`] instruments.
        instruments: Vec<InstrumentKey>,
    },
    /// Get the user's updates.
    SubscribeOrders,
    /// Stop getting them.
    UnsubscribeOrders,
    /// Keep the connection from idling out.
    Ping,
}

/// Why a client message was refused. Each names the problem; the `code` is stable for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Over [`MAX_FRAME_BYTES`].
    #[error("message of {bytes} bytes: at most {limit} are read")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON at all.
    #[error("message is not JSON")]
    NotJson,
    /// JSON, but not an object.
    #[error("message must be a JSON object")]
    NotAnObject,
    /// A required field is absent.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field this message does not take.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A field of the wrong shape.
    #[error("field `{field}` must be {expected}")]
    InvalidField {
        /// Which.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// An action we do not know.
    #[error("unknown action `{0}`: expected subscribe, unsubscribe or ping")]
    UnknownAction(String),
    /// A channel we do not know.
    #[error("unknown channel `{0}`: expected quotes or orders")]
    UnknownChannel(String),
    /// An instrument key that is not `EXCHANGE:SYMBOL`.
    #[error("`{0}` is not an instrument key (EXCHANGE:SYMBOL, e.g. NSE:INFY)")]
    BadInstrument(String),
    /// More instruments in one message than a connection may watch.
    #[error("at most {limit} instruments per message")]
    TooManyInstruments {
        /// The limit.
        limit: usize,
    },
}

impl MessageError {
    /// The stable code of the error frame.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::TooLarge { .. } => "message_too_large",
            MessageError::NotJson => "not_json",
            MessageError::NotAnObject => "not_an_object",
            MessageError::MissingField(_) => "missing_field",
            MessageError::UnknownField(_) => "unknown_field",
            MessageError::InvalidField { .. } => "invalid_field",
            MessageError::UnknownAction(_) => "unknown_action",
            MessageError::UnknownChannel(_) => "unknown_channel",
            MessageError::BadInstrument(_) => "bad_instrument",
            MessageError::TooManyInstruments { .. } => "too_many_instruments",
        }
    }
}

/// A client's text, parsed.
///
/// # Errors
/// [`MessageError`] naming what is wrong.
pub fn parse(text: &str) -> Result<ClientMessage, MessageError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(MessageError::TooLarge {
            bytes: text.len(),
            limit: MAX_FRAME_BYTES,
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|_| MessageError::NotJson)?;
    let Value::Object(fields) = value else {
        return Err(MessageError::NotAnObject);
    };
    let fields = Fields(fields);
    let action = fields.string("action")?;
    let subscribing = match action {
        "ping" => {
            fields.only(&["action"])?;
            return Ok(ClientMessage::Ping);
        }
        "subscribe" => true,
        "unsubscribe" => false,
        other => return Err(MessageError::UnknownAction(echo(other))),
    };
    match fields.string("channel")? {
        "orders" => {
            fields.only(&["action", "channel"])?;
            Ok(if subscribing {
                ClientMessage::SubscribeOrders
            } else {
                ClientMessage::UnsubscribeOrders
            })
        }
        "quotes" if subscribing => {
            fields.only(&["action", "channel", "instruments", "mode"])?;
            Ok(ClientMessage::SubscribeQuotes {
                instruments: fields.instruments()?,
                mode: fields.mode()?,
            })
        }
        "quotes" => {
            fields.only(&["action", "channel", "instruments"])?;
            Ok(ClientMessage::UnsubscribeQuotes {
                instruments: fields.instruments()?,
            })
        }
        other => Err(MessageError::UnknownChannel(echo(other))),
    }
}

/// A client's name, cut short for an error message.
fn echo(name: &str) -> String {
    name.chars().take(ECHO_CHARS).collect()
}

/// A message's fields, read one by one with a precise error each.
struct Fields(Map<String, Value>);

impl Fields {
    fn only(&self, allowed: &[&str]) -> Result<(), MessageError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(unknown) => Err(MessageError::UnknownField(echo(unknown))),
            None => Ok(()),
        }
    }

    fn string(&self, field: &'static str) -> Result<&str, MessageError> {
        match self.0.get(field) {
            None => Err(MessageError::MissingField(field)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(MessageError::InvalidField {
                field,
                expected: "a string",
            }),
        }
    }

    fn mode(&self) -> Result<QuoteMode, MessageError> {
        match self.0.get("mode") {
            None => Ok(QuoteMode::Ltp),
            Some(v) if v == "ltp" => Ok(QuoteMode::Ltp),
            Some(v) if v == "quote" => Ok(QuoteMode::Quote),
            Some(_) => Err(MessageError::InvalidField {
                field: "mode",
                expected: "\"ltp\" or \"quote\"",
            }),
        }
    }

    /// The distinct instruments, in the order given.
    fn instruments(&self) -> Result<Vec<InstrumentKey>, MessageError> {
        let not_a_list = MessageError::InvalidField {
            field: "instruments",
            expected: "a non-empty array of instrument keys",
        };
        let list = match self.0.get("instruments") {
            None => return Err(MessageError::MissingField("instruments")),
            Some(Value::Array(list)) if !list.is_empty() => list,
            Some(_) => return Err(not_a_list),
        };
        if list.len() > MAX_INSTRUMENTS_PER_CONNECTION {
            return Err(MessageError::TooManyInstruments {
                limit: MAX_INSTRUMENTS_PER_CONNECTION,
            });
        }
        let mut keys: Vec<InstrumentKey> = Vec::with_capacity(list.len());
        for item in list {
            let Value::String(raw) = item else {
                return Err(not_a_list);
            };
            let key = InstrumentKey::parse(raw).ok_or_else(|| MessageError::BadInstrument(echo(raw)))?;
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        Ok(keys)
    }
}

/// One of the user's own updates on the `orders` channel, rendered by the caller exactly as the REST API
/// shows it (the domain cannot name the HTTP crate's DTOs, and one shape serves both).
#[derive(Debug, Clone, PartialEq)]
pub enum AccountUpdate {
    /// An order, as `GET /v1/orders/{id}` shows it.
    Order(Value),
    /// A position, as `GET /v1/portfolio/positions` shows one.
    Position(Value),
    /// An in-app notification, as the inbox shows one.
    Notification(Value),
}

/// A frame the server sends (quote batches aside: see the module's doc).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// A subscription took effect: `{"type":"subscribed","channel":"quotes","instruments":[…],"mode":"ltp"}`.
    Subscribed {
        /// Which channel.
        channel: Channel,
        /// The instruments subscribed by the message (quotes only).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        instruments: Vec<InstrumentKey>,
        /// Their mode (quotes only).
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<QuoteMode>,
    },
    /// An unsubscription took effect.
    Unsubscribed {
        /// Which channel.
        channel: Channel,
        /// The instruments named (quotes only).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        instruments: Vec<InstrumentKey>,
    },
    /// `{"type":"order","order":{…}}`: every status change of one of the user's orders.
    Order {
        /// The order, as the REST API shows it.
        order: Value,
    },
    /// `{"type":"position","position":{…}}`.
    Position {
        /// The position, as the REST API shows it.
        position: Value,
    },
    /// `{"type":"notification","notification":{…}}`.
    Notification {
        /// The notification, as the inbox shows it.
        notification: Value,
    },
    /// The answer to `ping`.
    Pong,
    /// Open a new connection (with a new ticket) and close this one: the platform closes it soon.
    Reconnect,
    /// A message was refused; the connection stays open.
    Error {
        /// Stable, for clients: `missing_field`, `bad_instrument`, `too_many_instruments`, ….
        code: &'static str,
        /// What is wrong, for people.
        message: String,
    },
}

impl ServerFrame {
    /// The frame as sent. The frames built here are small (the caller checks rendered updates against
    /// [`MAX_FRAME_BYTES`]).
    pub fn to_text(&self) -> String {
        // A map of strings and JSON values cannot fail to serialize.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The error frame of a refused message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        ServerFrame::Error {
            code,
            message: message.into(),
        }
    }
}

impl From<AccountUpdate> for ServerFrame {
    fn from(update: AccountUpdate) -> Self {
        match update {
            AccountUpdate::Order(order) => ServerFrame::Order { order },
            AccountUpdate::Position(position) => ServerFrame::Position { position },
            AccountUpdate::Notification(notification) => ServerFrame::Notification { notification },
        }
    }
}

impl From<&MessageError> for ServerFrame {
    fn from(e: &MessageError) -> Self {
        ServerFrame::error(e.code(), e.to_string())
    }
}

impl From<&TooManyInstruments> for ServerFrame {
    fn from(e: &TooManyInstruments) -> Self {
        ServerFrame::error("subscription_limit", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn key(s: &str) -> InstrumentKey {
        InstrumentKey::parse(s).unwrap()
    }

    #[test]
    fn parses_every_message_the_contract_lists() {
        assert_eq!(
            parse(
                r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY","NSE:TCS","NSE:INFY"],"mode":"quote"}"#
            ),
            Ok(ClientMessage::SubscribeQuotes {
                instruments: vec![key("NSE:INFY"), key("NSE:TCS")],
                mode: QuoteMode::Quote
            })
        );
        assert_eq!(
            parse(r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY"]}"#),
            Ok(ClientMessage::SubscribeQuotes {
                instruments: vec![key("NSE:INFY")],
                mode: QuoteMode::Ltp
            })
        );
        assert_eq!(
            parse(r#"{"action":"unsubscribe","channel":"quotes","instruments":["NSE:INFY"]}"#),
            Ok(ClientMessage::UnsubscribeQuotes {
                instruments: vec![key("NSE:INFY")]
            })
        );
        assert_eq!(
            parse(r#"{"action":"subscribe","channel":"orders"}"#),
            Ok(ClientMessage::SubscribeOrders)
        );
        assert_eq!(
            parse(r#"{"action":"unsubscribe","channel":"orders"}"#),
            Ok(ClientMessage::UnsubscribeOrders)
        );
        assert_eq!(parse(r#"{"action":"ping"}"#), Ok(ClientMessage::Ping));
    }

    #[rstest]
    #[case("{not json", "not_json", "not JSON")]
    #[case("[1,2]", "not_an_object", "JSON object")]
    #[case(r#"{"channel":"quotes"}"#, "missing_field", "`action`")]
    #[case(r#"{"action":7}"#, "invalid_field", "`action` must be a string")]
    #[case(r#"{"action":"subscrib"}"#, "unknown_action", "`subscrib`")]
    #[case(r#"{"action":"subscribe"}"#, "missing_field", "`channel`")]
    #[case(r#"{"action":"subscribe","channel":"news"}"#, "unknown_channel", "`news`")]
    #[case(
        r#"{"action":"subscribe","channel":"quotes"}"#,
        "missing_field",
        "`instruments`"
    )]
    #[case(
        r#"{"action":"subscribe","channel":"quotes","instruments":[]}"#,
        "invalid_field",
        "non-empty array"
    )]
    #[case(
        r#"{"action":"subscribe","channel":"quotes","instruments":"NSE:INFY"}"#,
        "invalid_field",
        "array"
    )]
    #[case(
        r#"{"action":"subscribe","channel":"quotes","instruments":[7]}"#,
        "invalid_field",
        "array"
    )]
    #[case(
        r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY","XXX:FOO"]}"#,
        "bad_instrument",
        "`XXX:FOO` is not an instrument key"
    )]
    #[case(
        r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY"],"mode":"full"}"#,
        "invalid_field",
        "`mode`"
    )]
    #[case(r#"{"action":"ping","extra":1}"#, "unknown_field", "`extra`")]
    #[case(
        r#"{"action":"subscribe","channel":"orders","mode":"ltp"}"#,
        "unknown_field",
        "`mode`"
    )]
    #[case(
        r#"{"action":"unsubscribe","channel":"quotes","instruments":["NSE:INFY"],"mode":"ltp"}"#,
        "unknown_field",
        "`mode`"
    )]
    fn names_the_problem_of_every_bad_message(#[case] text: &str, #[case] code: &str, #[case] says: &str) {
        let e = parse(text).unwrap_err();
        assert_eq!(e.code(), code, "{text}");
        assert!(e.to_string().contains(says), "{e} should say {says}");
    }

    #[test]
    fn refuses_more_instruments_than_a_connection_may_watch() {
        let many: Vec<String> = (0..=200).map(|i| format!("NSE:S{i}")).collect();
        let text = json!({"action": "subscribe", "channel": "quotes", "instruments": many}).to_string();
        assert_eq!(parse(&text), Err(MessageError::TooManyInstruments { limit: 200 }));
    }

    #[test]
    fn refuses_a_message_over_32_kib_unread_and_echoes_no_long_names() {
        let text = format!(r#"{{"action":"ping","pad":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert_eq!(parse(&text).unwrap_err().code(), "message_too_large");
        let long = format!(r#"{{"action":"{}"}}"#, "y".repeat(1_000));
        assert!(parse(&long).unwrap_err().to_string().len() < 120);
    }

    #[test]
    fn frames_are_json_objects_with_a_type() {
        let frames = [
            (ServerFrame::Pong, json!({"type": "pong"})),
            (ServerFrame::Reconnect, json!({"type": "reconnect"})),
            (
                ServerFrame::Subscribed {
                    channel: Channel::Quotes,
                    instruments: vec![key("NSE:INFY")],
                    mode: Some(QuoteMode::Ltp),
                },
                json!({"type": "subscribed", "channel": "quotes", "instruments": ["NSE:INFY"], "mode": "ltp"}),
            ),
            (
                ServerFrame::Subscribed {
                    channel: Channel::Orders,
                    instruments: vec![],
                    mode: None,
                },
                json!({"type": "subscribed", "channel": "orders"}),
            ),
            (
                AccountUpdate::Order(json!({"id": "x"})).into(),
                json!({"type": "order", "order": {"id": "x"}}),
            ),
            (
                AccountUpdate::Position(json!({"quantity": 1})).into(),
                json!({"type": "position", "position": {"quantity": 1}}),
            ),
            (
                AccountUpdate::Notification(json!({"title": "t"})).into(),
                json!({"type": "notification", "notification": {"title": "t"}}),
            ),
            (
                (&MessageError::MissingField("channel")).into(),
                json!({"type": "error", "code": "missing_field", "message": "missing field `channel`"}),
            ),
        ];
        for (frame, expected) in frames {
            assert_eq!(serde_json::from_str::<Value>(&frame.to_text()).unwrap(), expected);
        }
    }
}
