//! The scan's pure evaluation: every active alert against its instrument's observation, in one pass. The
//! scan's use case gathers the observations (one quote per instrument) and queues what this finds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alerts::alert::{Alert, AlertStatus};
use crate::alerts::condition::Observation;
use crate::alerts::trigger::AlertTriggered;
use crate::market::instrument::InstrumentKey;

/// One instrument at one evaluation: its observation and the SMAs its alerts ask for, by period.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentView {
    /// Prices now and at the previous evaluation.
    pub observation: Observation,
    /// SMA of daily closes by period (periods with too little history absent).
    pub smas: HashMap<u16, Decimal>,
}

/// One instrument's last evaluation: when, and its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluated {
    /// When.
    pub at: DateTime<Utc>,
    /// The last price then.
    pub price: Decimal,
}

/// How long an instrument nobody watches any more keeps its last evaluation in the scan's state.
pub const FORGET_AFTER_DAYS: i64 = 7;

/// The last evaluation of every instrument a scan looked at: the "previous price" of the next scan's
/// crossings (yesterday's last, for the first scan of a session).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanState {
    /// Each instrument's last evaluation.
    pub prices: HashMap<InstrumentKey, Evaluated>,
}

impl ScanState {
    /// The state after a scan at `now` observed `views`: their prices replace the ones before, the others
    /// stay (an exchange that was closed) unless older than [`FORGET_AFTER_DAYS`].
    pub fn after(&self, views: &HashMap<InstrumentKey, InstrumentView>, now: DateTime<Utc>) -> Self {
        let horizon = now - chrono::Duration::days(FORGET_AFTER_DAYS);
        let mut prices: HashMap<InstrumentKey, Evaluated> = self
            .prices
            .iter()
            .filter(|(_, e)| e.at >= horizon)
            .map(|(k, e)| (k.clone(), *e))
            .collect();
        for (key, view) in views {
            prices.insert(
                key.clone(),
                Evaluated {
                    at: now,
                    price: view.observation.price,
                },
            );
        }
        Self { prices }
    }
}

/// What one pass finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Alerts whose condition held and that may fire this minute, with the price.
    pub triggered: Vec<AlertTriggered>,
    /// Open alerts whose expiry has passed (the scan records them `EXPIRED`).
    pub expired: Vec<Alert>,
}

/// Evaluates `alerts` at evaluation `minute` against `views` (an alert whose instrument has no view, e.g.
/// no quote, is skipped this minute).
pub fn evaluate(
    alerts: &[Alert],
    views: &HashMap<InstrumentKey, InstrumentView>,
    minute: DateTime<Utc>,
) -> Evaluation {
    let mut out = Evaluation::default();
    for alert in alerts {
        if alert.status_at(minute) == AlertStatus::Expired {
            out.expired.push(alert.clone());
            continue;
        }
        if !alert.may_trigger_at(minute) {
            continue;
        }
        let Some(view) = views.get(&alert.instrument) else {
            continue;
        };
        let sma = alert.condition.period.and_then(|p| view.smas.get(&p).copied());
        if alert.condition.is_met(&view.observation, alert.armed_at, sma) {
            out.triggered.push(AlertTriggered {
                alert_id: alert.id,
                user_id: alert.user_id,
                minute,
                price: view.observation.price,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    #[test]
    fn a_scan_keeps_the_instruments_it_did_not_see_for_a_week() {
        let t = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let key = |s: &str| InstrumentKey::parse(s).unwrap();
        let view = |price| InstrumentView {
            observation: Observation {
                price,
                previous_close: price,
                previous: None,
            },
            smas: HashMap::new(),
        };
        let before = ScanState {
            prices: HashMap::from([
                (
                    key("NSE:INFY"),
                    Evaluated {
                        at: t(24, 9),
                        price: dec!(1500),
                    },
                ),
                (
                    key("MCX:GOLD"),
                    Evaluated {
                        at: t(24, 17),
                        price: dec!(70000),
                    },
                ),
                (
                    key("NSE:OLD"),
                    Evaluated {
                        at: t(10, 9),
                        price: dec!(1),
                    },
                ),
            ]),
        };
        let after = before.after(&HashMap::from([(key("NSE:INFY"), view(dec!(1510)))]), t(25, 4));
        assert_eq!(
            after.prices[&key("NSE:INFY")],
            Evaluated {
                at: t(25, 4),
                price: dec!(1510)
            }
        );
        assert_eq!(
            after.prices[&key("MCX:GOLD")].price,
            dec!(70000),
            "not seen this time: kept"
        );
        assert!(
            !after.prices.contains_key(&key("NSE:OLD")),
            "a fortnight old: forgotten"
        );
    }
}
