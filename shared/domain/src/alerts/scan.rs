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

/// The last evaluated price of every instrument the previous scan looked at: the "previous price" of the
/// next scan's crossings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanState {
    /// When the previous scan evaluated.
    pub evaluated_at: Option<DateTime<Utc>>,
    /// Its last price of each instrument.
    pub prices: HashMap<InstrumentKey, Decimal>,
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
