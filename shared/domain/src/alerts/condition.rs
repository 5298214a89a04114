//! What an alert watches: a condition on an instrument's price, and the pure rule that says whether one
//! evaluation meets it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The kind of condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionKind {
    /// The last price is at or above the target price.
    Above,
    /// The last price is at or below the target price.
    Below,
    /// The previous evaluated price was below the target and the last price is at or above it.
    CrossesUp,
    /// The previous evaluated price was above the target and the last price is at or below it.
    CrossesDown,
    /// The last price is up at least `target` percent on the previous close.
    PctChangeUp,
    /// The last price is down at least `target` percent on the previous close.
    PctChangeDown,
    /// The previous evaluated price was below the SMA of `period` daily closes and the last price is at or
    /// above it.
    CrossesSmaUp,
    /// The previous evaluated price was above the SMA of `period` daily closes and the last price is at or
    /// below it.
    CrossesSmaDown,
}

impl ConditionKind {
    /// The wire name (`CROSSES_UP`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Above => "ABOVE",
            Self::Below => "BELOW",
            Self::CrossesUp => "CROSSES_UP",
            Self::CrossesDown => "CROSSES_DOWN",
            Self::PctChangeUp => "PCT_CHANGE_UP",
            Self::PctChangeDown => "PCT_CHANGE_DOWN",
            Self::CrossesSmaUp => "CROSSES_SMA_UP",
            Self::CrossesSmaDown => "CROSSES_SMA_DOWN",
        }
    }

    /// Whether the condition compares against a price the trader gives (tick-checked).
    pub fn takes_target_price(self) -> bool {
        matches!(
            self,
            Self::Above | Self::Below | Self::CrossesUp | Self::CrossesDown
        )
    }

    /// Whether the condition's target is a percentage.
    pub fn takes_percent(self) -> bool {
        matches!(self, Self::PctChangeUp | Self::PctChangeDown)
    }

    /// Whether the condition needs the SMA of daily closes.
    pub fn needs_sma(self) -> bool {
        matches!(self, Self::CrossesSmaUp | Self::CrossesSmaDown)
    }
}

/// A validated condition: its kind with the target price, the percentage or the SMA period it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The kind.
    pub kind: ConditionKind,
    /// The target price (price conditions) or percentage (percent-change conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Decimal>,
    /// Daily closes in the SMA (SMA conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u16>,
}

/// The most daily closes an SMA condition may average.
pub const MAX_SMA_PERIOD: u16 = 200;

/// One instrument's prices at one evaluation: what every condition is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The last traded price now.
    pub price: Decimal,
    /// The previous session's close.
    pub previous_close: Decimal,
    /// The previous evaluation of the instrument: when, and its price.
    pub previous: Option<(DateTime<Utc>, Decimal)>,
}

impl Condition {
    /// Whether `obs` meets the condition, for an alert armed at `armed_at`: a crossing counts only when the
    /// previous evaluation happened after the alert was armed (created, edited or resumed), so a price that
    /// was already past the line when the trader set it never "crosses". `sma` is the SMA of the condition's
    /// period (`None`: too little history, never met).
    pub fn is_met(&self, obs: &Observation, armed_at: DateTime<Utc>, sma: Option<Decimal>) -> bool {
        let previous = obs
            .previous
            .filter(|(at, _)| *at >= armed_at)
            .map(|(_, price)| price);
        let crosses_up = |line: Decimal| previous.is_some_and(|p| p < line) && obs.price >= line;
        let crosses_down = |line: Decimal| previous.is_some_and(|p| p > line) && obs.price <= line;
        match (self.kind, self.target) {
            (ConditionKind::Above, Some(t)) => obs.price >= t,
            (ConditionKind::Below, Some(t)) => obs.price <= t,
            (ConditionKind::CrossesUp, Some(t)) => crosses_up(t),
            (ConditionKind::CrossesDown, Some(t)) => crosses_down(t),
            (ConditionKind::PctChangeUp, Some(pct)) => {
                obs.previous_close > Decimal::ZERO
                    && (obs.price - obs.previous_close) * Decimal::ONE_HUNDRED >= pct * obs.previous_close
            }
            (ConditionKind::PctChangeDown, Some(pct)) => {
                obs.previous_close > Decimal::ZERO
                    && (obs.previous_close - obs.price) * Decimal::ONE_HUNDRED >= pct * obs.previous_close
            }
            (ConditionKind::CrossesSmaUp, _) => sma.is_some_and(crosses_up),
            (ConditionKind::CrossesSmaDown, _) => sma.is_some_and(crosses_down),
            // A price or percent condition without its target is never stored (validation); never met.
            _ => false,
        }
    }
}

/// The simple moving average of the last `period` of `closes` (oldest first), exact; `None` with fewer.
pub fn sma(closes: &[Decimal], period: u16) -> Option<Decimal> {
    let period = usize::from(period);
    if period == 0 || closes.len() < period {
        return None;
    }
    let sum: Decimal = closes[closes.len() - period..].iter().sum();
    Some(sum / Decimal::from(period))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 5, minute, 0).unwrap()
    }

    fn cond(kind: ConditionKind, target: Decimal) -> Condition {
        Condition {
            kind,
            target: Some(target),
            period: None,
        }
    }

    fn obs(price: Decimal, previous: Option<Decimal>) -> Observation {
        Observation {
            price,
            previous_close: dec!(1000),
            previous: previous.map(|p| (at(10), p)),
        }
    }

    #[test]
    fn above_and_below_compare_the_last_price_with_the_target_inclusively() {
        let armed = at(0);
        assert!(cond(ConditionKind::Above, dec!(1500)).is_met(&obs(dec!(1500), None), armed, None));
        assert!(!cond(ConditionKind::Above, dec!(1500)).is_met(&obs(dec!(1499.95), None), armed, None));
        assert!(cond(ConditionKind::Below, dec!(1500)).is_met(&obs(dec!(1499.95), None), armed, None));
        assert!(!cond(ConditionKind::Below, dec!(1500)).is_met(&obs(dec!(1500.05), None), armed, None));
    }

    #[test]
    fn a_cross_needs_the_previous_price_on_the_other_side() {
        let armed = at(0);
        let up = cond(ConditionKind::CrossesUp, dec!(1500));
        assert!(up.is_met(&obs(dec!(1500.10), Some(dec!(1499.90))), armed, None));
        assert!(
            up.is_met(&obs(dec!(1500), Some(dec!(1499.90))), armed, None),
            "touching the line crosses it"
        );
        // Already above: it stays above, it does not cross.
        assert!(!up.is_met(&obs(dec!(1510), Some(dec!(1505))), armed, None));
        // Sitting exactly on the line before is not "below" it.
        assert!(!up.is_met(&obs(dec!(1510), Some(dec!(1500))), armed, None));
        // No previous evaluation: nothing to cross from.
        assert!(!up.is_met(&obs(dec!(1510), None), armed, None));
        let down = cond(ConditionKind::CrossesDown, dec!(1500));
        assert!(down.is_met(&obs(dec!(1499.95), Some(dec!(1500.05))), armed, None));
        assert!(!down.is_met(&obs(dec!(1490), Some(dec!(1495))), armed, None));
    }

    #[test]
    fn a_previous_price_seen_before_the_alert_was_armed_does_not_count() {
        let up = cond(ConditionKind::CrossesUp, dec!(1500));
        let o = obs(dec!(1501), Some(dec!(1499)));
        // The previous evaluation ran at minute 10; the alert was set at minute 10:30.
        let armed_after = Utc.with_ymd_and_hms(2026, 11, 25, 5, 10, 30).unwrap();
        assert!(!up.is_met(&o, armed_after, None));
        assert!(
            up.is_met(&o, at(10), None),
            "armed at the previous evaluation's minute counts"
        );
    }

    #[test]
    fn percent_change_is_measured_on_the_previous_close_exactly() {
        let armed = at(0);
        // Previous close 1000: +2% is 1020.00 exactly; 1019.95 is +1.995%.
        let up = cond(ConditionKind::PctChangeUp, dec!(2));
        assert!(up.is_met(&obs(dec!(1020), None), armed, None));
        assert!(!up.is_met(&obs(dec!(1019.95), None), armed, None));
        // -1.5% is 985.00.
        let down = cond(ConditionKind::PctChangeDown, dec!(1.5));
        assert!(down.is_met(&obs(dec!(985), None), armed, None));
        assert!(!down.is_met(&obs(dec!(985.05), None), armed, None));
        let no_close = Observation {
            previous_close: Decimal::ZERO,
            ..obs(dec!(2000), None)
        };
        assert!(!up.is_met(&no_close, armed, None));
    }

    #[test]
    fn sma_crossings_use_the_sma_of_daily_closes() {
        let closes = [dec!(100), dec!(102), dec!(104), dec!(106)];
        // SMA(3) of 102, 104, 106 = 104.
        assert_eq!(sma(&closes, 3), Some(dec!(104)));
        assert_eq!(sma(&closes, 5), None);
        let up = Condition {
            kind: ConditionKind::CrossesSmaUp,
            target: None,
            period: Some(3),
        };
        let armed = at(0);
        assert!(up.is_met(&obs(dec!(104.05), Some(dec!(103.95))), armed, Some(dec!(104))));
        assert!(!up.is_met(&obs(dec!(105), Some(dec!(104.5))), armed, Some(dec!(104))));
        assert!(
            !up.is_met(&obs(dec!(105), Some(dec!(103))), armed, None),
            "no SMA: never met"
        );
        let down = Condition {
            kind: ConditionKind::CrossesSmaDown,
            ..up
        };
        assert!(down.is_met(&obs(dec!(103.90), Some(dec!(104.10))), armed, Some(dec!(104))));
    }
}
