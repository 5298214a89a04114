//! Every key format of the single table, and nothing else. No other module builds a `pk`, `sk`, `gsi1pk` or
//! `gsi1sk` string.
//!
//! | entity      | pk                 | sk                          | gsi1pk                 | gsi1sk              |
//! |-------------|--------------------|-----------------------------|------------------------|---------------------|
//! | audit event | `USER#<user_id>` or `SYSTEM` | `AUDIT#<occurred_at>#<id>` | `AUDIT#<yyyy-mm-dd>` (UTC day) | `<occurred_at>#<id>` |
//! | job run     | `SYSTEM`           | `JOB#<job>`                 |                        |                     |
//! | user        | `USER#<user_id>`   | `PROFILE`                   | `USERS`                | `<email>#<user_id>` |
//! | email claim | `EMAIL#<email>`    | `EMAIL`                     |                        |                     |
//! | paper acct  | `USER#<user_id>`   | `PAPER_ACCOUNT`             |                        |                     |
//! | funding     | `USER#<user_id>`   | `FUNDING#<at>` (a paper reset) |                    |                     |
//! | snapshot    | `USER#<user_id>`   | `SNAPSHOT#<yyyy-mm-dd>` (end of day) |              |                     |
//! | trading mode | `USER#<user_id>`  | `TRADING_MODE`              |                        |                     |
//! | session     | `USER#<user_id>`   | `SESSION#<session_id>`      |                        |                     |
//! | rate window | `RATE#<key>`       | `<window start, epoch s>`   |                        |                     |
//! | kill switch | `SYSTEM`           | `KILL_SWITCH`               |                        |                     |
//! | warm-up (never written) | `SYSTEM` | `WARM_UP`             |                        |                     |
//! | order       | `USER#<user_id>`   | `ORDER#<order_id>`          | `WORKING_ORDERS` while working | `<instrument>#<user_id>#<order_id>` |
//! | trade       | `USER#<user_id>`   | `TRADE#<trade_id>`          |                        |                     |
//! | position    | `USER#<user_id>`   | `POSITION#<product>#<instrument>` |                  |                     |
//! | order claim | `USER#<user_id>`   | `CLAIM#<idem:key or coid:id>` |                      |                     |
//! | alert       | `USER#<user_id>`   | `ALERT#<alert_id>`          | `ACTIVE_ALERTS` while active | `<instrument>#<user_id>#<alert_id>` |
//! | alert count | `USER#<user_id>`   | `ALERT_COUNT`               |                        |                     |
//! | trigger     | `USER#<user_id>`   | `ALERTTRIG#<alert_id>#<minute>` |                    |                     |
//! | scan state  | `SYSTEM`           | `ALERT_SCAN`                |                        |                     |
//! | webhook     | `USER#<user_id>`   | `WEBHOOK#<webhook_id>`      |                        |                     |
//! | webhook count | `USER#<user_id>` | `WEBHOOK_COUNT`             |                        |                     |
//! | notification | `USER#<user_id>`  | `NOTIF#<notification_id>` (TTL 90 days) |            |                     |
//! | inbox read-all | `USER#<user_id>` | `NOTIF_READ_ALL`           |                        |                     |
//! | strategy    | `USER#<user_id>`   | `STRATEGY#<strategy_id>`    |                        |                     |
//! | strategy count | `USER#<user_id>` | `STRATEGY_COUNT`           |                        |                     |
//! | basket claim | `USER#<user_id>`  | `CLAIM#basket:<key>`        |                        |                     |
//! | connect ticket | `TICKET#<sha-256 hex>` | `TICKET` (TTL 30 s)   |                        |                     |
//! | push connection | `CONNECTION#<connection id>` | `CONNECTION` (TTL 2 h) | `CONNECTIONS#<user_id>` | `<connected_at>#<connection id>` |
//! | quote subscriber | `QUOTE_SUBSCRIBERS` | `<instrument>#<connection id>` (TTL 2 h) |         |                     |
//! | reconnect due | `RECONNECT_DUE`    | `<reconnect_at>#<connection id>` (TTL 2 h) |       |                     |
//!
//! Every user-owned item lives under `USER#<user_id>`, and the user id always comes from the authorizer
//! context, so one account cannot name another's items.
//!
//! The audit search reads a time range of `AUDIT#` sort keys: in one user's partition, or in GSI1's day
//! partitions from the newest day back ([`audit_search_range`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use tradesense_domain::audit::AuditEvent;
use tradesense_domain::audit::search::AuditPosition;
use tradesense_domain::broker::link::Broker;
use tradesense_domain::identity::user::Email;
use tradesense_domain::kernel::ids::{
    AlertId, BacktestId, EventId, NotificationId, OrderId, SessionId, StrategyId, TradeId, UserId, WebhookId,
};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::ops::jobs::ScheduledJob;
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::ticket::TicketHash;
use tradesense_domain::trading::request::Product;

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// The sparse global secondary index.
pub const GSI1: &str = "gsi1";
/// GSI1 partition key attribute.
pub const GSI1PK: &str = "gsi1pk";
/// GSI1 sort key attribute.
pub const GSI1SK: &str = "gsi1sk";
/// Expiry attribute (epoch seconds) DynamoDB's TTL deletes by.
pub const TTL: &str = "ttl";

const SYSTEM: &str = "SYSTEM";

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Partition key value.
    pub pk: String,
    /// Sort key value.
    pub sk: String,
}

impl Key {
    /// The key as DynamoDB attributes.
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// A primary key plus the item's GSI1 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedKey {
    /// Primary key.
    pub key: Key,
    /// GSI1 partition key value.
    pub gsi1pk: String,
    /// GSI1 sort key value.
    pub gsi1sk: String,
}

/// The partition that holds everything a user owns.
pub fn user_partition(user: &UserId) -> String {
    format!("USER#{user}")
}

/// A user's profile item.
pub fn user_profile(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "PROFILE".to_owned(),
    }
}

/// A user's paper-trading account.
pub fn paper_account(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "PAPER_ACCOUNT".to_owned(),
    }
}

/// A paper account's funding (a reset) at `at`.
pub fn funding(user: &UserId, at: DateTime<Utc>) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{FUNDING_PREFIX}{}", sortable_time(at)),
    }
}

/// Sort-key prefix of a user's fundings.
pub const FUNDING_PREFIX: &str = "FUNDING#";

/// A user's end-of-day snapshot of `day`.
pub fn snapshot(user: &UserId, day: NaiveDate) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{SNAPSHOT_PREFIX}{}", day.format("%Y-%m-%d")),
    }
}

/// Sort-key prefix of a user's end-of-day snapshots.
pub const SNAPSHOT_PREFIX: &str = "SNAPSHOT#";

/// An issued connect ticket, by its hash.
pub fn ticket(hash: &TicketHash) -> Key {
    Key {
        pk: format!("TICKET#{}", hash.as_str()),
        sk: "TICKET".to_owned(),
    }
}

/// A push connection, by API Gateway's connection id (which API Gateway, not the client, names).
pub fn connection(id: &ConnectionId) -> Key {
    Key {
        pk: format!("CONNECTION#{id}"),
        sk: "CONNECTION".to_owned(),
    }
}

/// A connection's GSI1 key: its user's connections, oldest first.
pub fn user_connection(user: &UserId, connected_at: DateTime<Utc>, id: &ConnectionId) -> (String, String) {
    (
        user_connections(user),
        format!("{}#{id}", sortable_time(connected_at)),
    )
}

/// GSI1 partition of a user's connections.
pub fn user_connections(user: &UserId) -> String {
    format!("CONNECTIONS#{user}")
}

/// The partition of every quote subscription: what the ticker reads with one query.
pub const QUOTE_SUBSCRIBERS: &str = "QUOTE_SUBSCRIBERS";

/// One connection watching one instrument.
pub fn quote_subscriber(instrument: &InstrumentKey, id: &ConnectionId) -> Key {
    Key {
        pk: QUOTE_SUBSCRIBERS.to_owned(),
        sk: format!("{instrument}#{id}"),
    }
}

/// The partition of connections by when their reconnect is due.
pub const RECONNECT_DUE: &str = "RECONNECT_DUE";

/// A connection's entry in the reconnect schedule.
pub fn reconnect_due(at: DateTime<Utc>, id: &ConnectionId) -> Key {
    Key {
        pk: RECONNECT_DUE.to_owned(),
        sk: format!("{}#{id}", sortable_time(at)),
    }
}

/// A user's trading mode (paper or live).
pub fn trading_mode(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "TRADING_MODE".to_owned(),
    }
}

/// The key a function reads while it initialises, to open its connection ([`crate::AwsClients::load`]).
/// Nothing is ever stored under it.
pub fn warm_up() -> Key {
    Key {
        pk: SYSTEM.to_owned(),
        sk: "WARM_UP".to_owned(),
    }
}

/// The platform kill switch.
pub fn kill_switch() -> Key {
    Key {
        pk: SYSTEM.to_owned(),
        sk: "KILL_SWITCH".to_owned(),
    }
}

/// An order.
pub fn order(user: &UserId, id: &OrderId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{ORDER_PREFIX}{id}"),
    }
}

/// GSI1 partition of every working order, whoever owns it (the paper matcher's worklist).
pub const WORKING_ORDERS: &str = "WORKING_ORDERS";

/// An order's GSI1 key while it works (open, trigger pending, partly filled); a final order has none. The
/// owner comes first, so one user's working orders are a prefix ([`working_orders_of`]).
pub fn working_order(order_user: &UserId, id: &OrderId, instrument: &InstrumentKey) -> (String, String) {
    (
        WORKING_ORDERS.to_owned(),
        format!("{}{instrument}#{id}", working_orders_of(order_user)),
    )
}

/// The GSI1 sort-key prefix of `user`'s working orders.
pub fn working_orders_of(user: &UserId) -> String {
    format!("{user}#")
}

/// Sort-key prefix of a user's orders (ULIDs: oldest first).
pub const ORDER_PREFIX: &str = "ORDER#";

/// A fill.
pub fn trade(user: &UserId, id: &TradeId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{TRADE_PREFIX}{id}"),
    }
}

/// Sort-key prefix of a user's fills.
pub const TRADE_PREFIX: &str = "TRADE#";

/// A position, per instrument and product.
pub fn position(user: &UserId, instrument: &InstrumentKey, product: Product) -> Key {
    let product = match product {
        Product::Intraday => "INTRADAY",
        Product::Delivery => "DELIVERY",
    };
    Key {
        pk: user_partition(user),
        sk: format!("{POSITION_PREFIX}{product}#{instrument}"),
    }
}

/// GSI1 partition of every position with fills not yet rolled over (the end-of-day worklist).
pub const DAY_POSITIONS: &str = "DAY_POSITIONS";

/// A position's GSI1 key while it has fills of the day: the owner first, so the owner can be read back.
pub fn day_position(user: &UserId, instrument: &InstrumentKey, product: Product) -> (String, String) {
    (
        DAY_POSITIONS.to_owned(),
        format!("{user}#{}", position(user, instrument, product).sk),
    )
}

/// Sort-key prefix of a user's positions.
pub const POSITION_PREFIX: &str = "POSITION#";

/// An idempotency claim (`Idempotency-Key` or `client_order_id`) on an order.
pub fn order_claim(user: &UserId, claim: &str) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("CLAIM#{claim}"),
    }
}

/// A login session's item.
pub fn session(user: &UserId, id: &SessionId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("SESSION#{id}"),
    }
}

/// A user's link to a broker account.
pub fn broker_link(user: &UserId, broker: Broker) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("BROKER#{}", broker.as_str()),
    }
}

/// The item naming the current instrument snapshot.
pub fn instrument_pointer() -> Key {
    Key {
        pk: "INSTRUMENTS".to_owned(),
        sk: "CURRENT".to_owned(),
    }
}

/// Part `index` of instrument snapshot `snapshot_id`.
pub fn instrument_part(snapshot_id: &str, index: usize) -> Key {
    Key {
        pk: format!("INSTRUMENTS#{snapshot_id}"),
        sk: format!("PART#{index:04}"),
    }
}

/// The cached quote of one instrument.
pub fn cached_quote(instrument: &InstrumentKey) -> Key {
    Key {
        pk: format!("QUOTE#{instrument}"),
        sk: "QUOTE".to_owned(),
    }
}

/// The partition of an instrument's imported daily history (sort key: the date, `YYYY-MM-DD`).
pub fn daily_history_partition(instrument: &InstrumentKey) -> String {
    format!("HIST#{instrument}#1d")
}

/// One imported daily bar.
pub fn daily_bar(instrument: &InstrumentKey, date: chrono::NaiveDate) -> Key {
    Key {
        pk: daily_history_partition(instrument),
        sk: date.format("%Y-%m-%d").to_string(),
    }
}

/// One rate-limit window's counter.
pub fn rate_window(key: &str, window_start: DateTime<Utc>) -> Key {
    Key {
        pk: format!("RATE#{key}"),
        sk: window_start.timestamp().to_string(),
    }
}

/// The item that claims an email for one user (uniqueness by conditional write).
pub fn email_claim(email: &Email) -> Key {
    Key {
        pk: format!("EMAIL#{email}"),
        sk: "EMAIL".to_owned(),
    }
}

/// A timestamp in the one sortable form keys use (UTC, millisecond precision, `Z`).
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where an audit event is stored: under its user (or `SYSTEM`), and in GSI1 by day for the admin feed.
pub fn audit_event(event: &AuditEvent) -> IndexedKey {
    let at = audit_sort(event.occurred_at, Some(&event.id));
    let pk = event
        .user_id
        .as_ref()
        .map_or_else(|| SYSTEM.to_owned(), user_partition);
    IndexedKey {
        key: Key {
            pk,
            sk: format!("{AUDIT_PREFIX}{at}"),
        },
        gsi1pk: audit_day_partition(event.occurred_at.date_naive()),
        gsi1sk: at,
    }
}

/// An audit event's place in time order: `<occurred_at>#<id>`, or `<at>` alone, which sorts before every
/// event at `at` (timestamps to the millisecond).
fn audit_sort(at: DateTime<Utc>, id: Option<&EventId>) -> String {
    let at = sortable_time(at);
    match id {
        Some(id) => format!("{at}#{id}"),
        None => at,
    }
}

/// The sort keys bounding a search of audit events (both inclusive, for `BETWEEN`): from the first event at
/// `from` up to the end of `before`, which is the event the position follows when it names one (that event
/// is the upper bound itself, and the reader drops it). In a user's partition when `in_user_partition`,
/// else in a day's GSI1 partition.
pub fn audit_search_range(
    from: DateTime<Utc>,
    before: &AuditPosition,
    in_user_partition: bool,
) -> (String, String) {
    let prefix = if in_user_partition { AUDIT_PREFIX } else { "" };
    (
        format!("{prefix}{}", audit_sort(from, None)),
        format!("{prefix}{}", audit_sort(before.at, before.after.as_ref())),
    )
}

/// The GSI1 partition holding one UTC day's audit events.
pub fn audit_day_partition(day: NaiveDate) -> String {
    format!("AUDIT#{}", day.format("%Y-%m-%d"))
}

/// The sort-key prefix of a user's audit events.
pub const AUDIT_PREFIX: &str = "AUDIT#";

/// Where a scheduled job's last run time is stored.
pub fn job_run(job: ScheduledJob) -> Key {
    Key {
        pk: SYSTEM.to_owned(),
        sk: format!("JOB#{}", job.name()),
    }
}

/// The GSI1 partition listing every user by email (the operators' directory).
pub const USER_DIRECTORY: &str = "USERS";

/// A user profile's GSI1 sort key in [`USER_DIRECTORY`]: email order, the id breaking ties.
pub fn user_directory_sort(email: &Email, user: &UserId) -> String {
    format!("{email}#{user}")
}

/// The user id a [`user_directory_sort`] key ends with.
pub fn user_in_directory_sort(sort: &str) -> Option<UserId> {
    sort.rsplit_once('#')?.1.parse().ok()
}

/// A backtest run's item.
pub fn backtest(user: &UserId, id: &BacktestId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{BACKTEST_PREFIX}{id}"),
    }
}

/// The sort-key prefix of a user's backtest runs.
pub const BACKTEST_PREFIX: &str = "BACKTEST#";

/// Part `index` of a backtest's stored result (outside [`BACKTEST_PREFIX`], so run listings never read
/// results).
pub fn backtest_result_part(user: &UserId, id: &BacktestId, index: u32) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("BTRESULT#{id}#{index:04}"),
    }
}

/// A backtest's idempotency claim.
pub fn backtest_claim(user: &UserId, key: &str) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("CLAIM#backtest:{key}"),
    }
}

/// A saved strategy's item.
pub fn strategy(user: &UserId, id: &StrategyId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{STRATEGY_PREFIX}{id}"),
    }
}

/// The sort-key prefix of a user's saved strategies.
pub const STRATEGY_PREFIX: &str = "STRATEGY#";

/// A user's count of saved strategies (outside [`STRATEGY_PREFIX`], so listings never read it).
pub fn strategy_count(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "STRATEGY_COUNT".to_owned(),
    }
}

/// An alert's item.
pub fn alert(user: &UserId, id: &AlertId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{ALERT_PREFIX}{id}"),
    }
}

/// The sort-key prefix of a user's alerts.
pub const ALERT_PREFIX: &str = "ALERT#";

/// GSI1 partition of every active alert, whoever owns it (the scan's worklist).
pub const ACTIVE_ALERTS: &str = "ACTIVE_ALERTS";

/// An alert's GSI1 key while it is active: grouped by instrument.
pub fn active_alert(user: &UserId, id: &AlertId, instrument: &InstrumentKey) -> (String, String) {
    (ACTIVE_ALERTS.to_owned(), format!("{instrument}#{user}#{id}"))
}

/// The counter of a user's active alerts.
pub fn alert_count(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "ALERT_COUNT".to_owned(),
    }
}

/// The sort-key prefix of one alert's triggers (minutes sort in time order).
pub fn alert_triggers_prefix(alert: &AlertId) -> String {
    format!("ALERTTRIG#{alert}#")
}

/// One trigger of an alert, at its evaluation minute: at most one item per alert and minute.
pub fn alert_trigger(user: &UserId, alert: &AlertId, minute: DateTime<Utc>) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{}{}", alert_triggers_prefix(alert), sortable_time(minute)),
    }
}

/// The alert scan's state (the previous evaluation's prices).
pub fn alert_scan_state() -> Key {
    Key {
        pk: SYSTEM.to_owned(),
        sk: "ALERT_SCAN".to_owned(),
    }
}

/// A webhook endpoint.
pub fn webhook(user: &UserId, id: &WebhookId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{WEBHOOK_PREFIX}{id}"),
    }
}

/// The sort-key prefix of a user's webhook endpoints.
pub const WEBHOOK_PREFIX: &str = "WEBHOOK#";

/// The counter of a user's webhook endpoints.
pub fn webhook_count(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "WEBHOOK_COUNT".to_owned(),
    }
}

/// An in-app notification.
pub fn notification(user: &UserId, id: &NotificationId) -> Key {
    Key {
        pk: user_partition(user),
        sk: format!("{NOTIFICATION_PREFIX}{id}"),
    }
}

/// The sort-key prefix of a user's notifications (ULIDs: oldest first).
pub const NOTIFICATION_PREFIX: &str = "NOTIF#";

/// When the user last read all their notifications.
pub fn notifications_read_all(user: &UserId) -> Key {
    Key {
        pk: user_partition(user),
        sk: "NOTIF_READ_ALL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tradesense_domain::audit::AuditKind;

    #[test]
    fn audit_keys_sort_by_time_and_bucket_by_day() {
        let event = AuditEvent {
            id: "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap(),
            kind: AuditKind::LoginSucceeded,
            user_id: Some("01JDQ8ZK3M4N5P6Q7R8S9T0V1X".parse().unwrap()),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 5, 6).unwrap(),
            detail: serde_json::Value::Null,
            actor: None,
            request_id: None,
            source_ip: None,
        };
        let k = audit_event(&event);
        assert_eq!(k.key.pk, "USER#01JDQ8ZK3M4N5P6Q7R8S9T0V1X");
        assert_eq!(
            k.key.sk,
            "AUDIT#2026-11-23T04:05:06.000Z#01JDQ8ZK3M4N5P6Q7R8S9T0V1W"
        );
        assert_eq!(k.gsi1pk, "AUDIT#2026-11-23");
        let system = audit_event(&AuditEvent {
            user_id: None,
            ..event.clone()
        });
        assert_eq!(system.key.pk, "SYSTEM");

        // A search from 04:00 up to just after this event: in its user's partition, and in a day's.
        let from = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        let after = AuditPosition::after(&event);
        assert_eq!(
            audit_search_range(from, &after, true),
            ("AUDIT#2026-11-23T04:00:00.000Z".to_owned(), k.key.sk.clone())
        );
        let (low, high) = audit_search_range(from, &AuditPosition::before(event.occurred_at), false);
        assert_eq!(low, "2026-11-23T04:00:00.000Z");
        assert!(
            high.as_str() < k.gsi1sk.as_str(),
            "before every event of its instant"
        );
    }
}
