//! A price alert: what it watches, how often it may fire, its lifecycle, and the rules that validate a new
//! alert, apply an edit and record a trigger. Every rule of an alert's life is here.

use chrono::{DateTime, Duration, DurationRound, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alerts::condition::{Condition, ConditionKind, MAX_SMA_PERIOD};
use crate::kernel::ids::{AlertId, UserId, WebhookId};
use crate::kernel::validation::Violation;
use crate::market::instrument::{Instrument, InstrumentKey, is_tick_multiple};

/// Most alerts an account may have `ACTIVE` at once.
pub const MAX_ACTIVE_ALERTS: u32 = 200;
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 200;
/// Longest cooldown: one day.
pub const MAX_COOLDOWN_MINUTES: u32 = 1440;
/// Most triggers an alert may be capped at.
pub const MAX_TRIGGERS: u32 = 1000;
/// Furthest an expiry may be set: a year ahead.
pub const MAX_EXPIRY_DAYS: i64 = 365;
/// Largest percent-change target.
pub const MAX_PERCENT: Decimal = Decimal::ONE_THOUSAND;

/// Where a trigger is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The trader's in-app inbox.
    InApp,
    /// One of the trader's webhook endpoints, signed.
    Webhook,
}

/// How often an alert may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerMode {
    /// Fires once, then is `TRIGGERED`.
    Once,
    /// Fires, then stays quiet for `cooldown_minutes`.
    Cooldown,
    /// Fires at every evaluation (each minute) the condition holds.
    EveryTime,
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertStatus {
    /// Evaluated every minute of the market.
    Active,
    /// Kept, not evaluated.
    Paused,
    /// Fired its last time (a `once` alert, or one that reached `max_triggers`).
    Triggered,
    /// Its `expires_at` passed.
    Expired,
    /// Cancelled by its owner.
    Cancelled,
}

impl AlertStatus {
    /// The wire name (`ACTIVE`).
    pub fn name(self) -> &'static str {
        match self {
            AlertStatus::Active => "ACTIVE",
            AlertStatus::Paused => "PAUSED",
            AlertStatus::Triggered => "TRIGGERED",
            AlertStatus::Expired => "EXPIRED",
            AlertStatus::Cancelled => "CANCELLED",
        }
    }

    /// Whether the owner may still edit, pause or resume the alert.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Active | Self::Paused)
    }
}

/// An alert as a trader asks for it, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDraft {
    /// The instrument watched (checked against the master by the caller).
    pub instrument: InstrumentKey,
    /// The condition.
    pub kind: ConditionKind,
    /// Target price or percentage.
    pub target: Option<Decimal>,
    /// SMA period.
    pub period: Option<u16>,
    /// Delivery channels.
    pub channels: Vec<Channel>,
    /// The webhook endpoint, with the webhook channel.
    pub webhook_id: Option<WebhookId>,
    /// How often it may fire.
    pub trigger_mode: TriggerMode,
    /// Quiet time after a trigger (cooldown mode).
    pub cooldown_minutes: Option<u32>,
    /// Most triggers.
    pub max_triggers: Option<u32>,
    /// When it stops.
    pub expires_at: Option<DateTime<Utc>>,
    /// The trader's note.
    pub note: Option<String>,
}

/// An edit of an open alert (`PATCH`): every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertEdit {
    /// `ACTIVE` (resume) or `PAUSED` (pause).
    pub status: Option<AlertStatus>,
    /// A new target price or percentage.
    pub target: Option<Decimal>,
    /// A new note (`Some(None)` clears it).
    pub note: Option<Option<String>>,
    /// A new expiry (`Some(None)` clears it).
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Its id.
    pub id: AlertId,
    /// Its owner.
    pub user_id: UserId,
    /// The instrument watched.
    pub instrument: InstrumentKey,
    /// The condition.
    pub condition: Condition,
    /// Delivery channels (at least one, no repeats).
    pub channels: Vec<Channel>,
    /// The webhook endpoint, when `channels` has `webhook`.
    pub webhook_id: Option<WebhookId>,
    /// How often it may fire.
    pub trigger_mode: TriggerMode,
    /// Quiet time after a trigger, in cooldown mode.
    pub cooldown_minutes: Option<u32>,
    /// Most triggers, if capped.
    pub max_triggers: Option<u32>,
    /// When it stops, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The trader's note.
    pub note: Option<String>,
    /// Stored status (see [`Alert::status_at`] for expiry).
    pub status: AlertStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Since when an evaluation counts as "previous" for crossings (creation, an edited target, a resume).
    pub armed_at: DateTime<Utc>,
    /// How many times it has fired.
    pub trigger_count: u32,
    /// The evaluation minute of its last trigger.
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// The price of its last trigger.
    pub last_triggered_price: Option<Decimal>,
    /// Optimistic-concurrency version (1 when created).
    pub version: u64,
}

/// The evaluation minute `at` falls in (triggers are keyed by it: one per alert and minute).
pub fn evaluation_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(1)).unwrap_or(at)
}

fn validate_target(
    kind: ConditionKind,
    target: Option<Decimal>,
    instrument: &Instrument,
    out: &mut Vec<Violation>,
) {
    match target {
        _ if kind.needs_sma() => {
            if target.is_some() {
                out.push(Violation::new(
                    "target",
                    "an SMA condition takes a period, not a target",
                ));
            }
        }
        None => out.push(Violation::new(
            "target",
            format!("{} needs a target", kind.name()),
        )),
        Some(t) if kind.takes_target_price() => {
            if t <= Decimal::ZERO {
                out.push(Violation::new("target", "must be a price above zero"));
            } else if !is_tick_multiple(t, instrument.tick_size) {
                out.push(Violation::new(
                    "target",
                    format!(
                        "must be a multiple of the tick size {}",
                        instrument.tick_size.normalize()
                    ),
                ));
            }
        }
        Some(t) => {
            let max = if kind == ConditionKind::PctChangeDown {
                Decimal::ONE_HUNDRED
            } else {
                MAX_PERCENT
            };
            if t <= Decimal::ZERO || t > max || t.scale() > 2 {
                out.push(Violation::new(
                    "target",
                    format!("must be a percentage above 0 and at most {max}, with at most 2 decimals"),
                ));
            }
        }
    }
}

fn validate_expiry(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>, out: &mut Vec<Violation>) {
    if let Some(at) = expires_at {
        if at <= now {
            out.push(Violation::new("expires_at", "must be in the future"));
        } else if at > now + Duration::days(MAX_EXPIRY_DAYS) {
            out.push(Violation::new("expires_at", "must be within a year"));
        }
    }
}

fn validate_note(note: Option<&str>, out: &mut Vec<Violation>) {
    if let Some(note) = note
        && (note.chars().count() > MAX_NOTE_CHARS || note.chars().any(char::is_control))
    {
        out.push(Violation::new(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters, no control characters"),
        ));
    }
}

impl AlertDraft {
    /// The alert this draft makes for `user` on `instrument` (the draft's, as listed), created at `now`; or
    /// every rule it breaks. Whether `webhook_id` names one of the user's endpoints is the caller's check.
    ///
    /// # Errors
    /// One [`Violation`] per broken rule.
    pub fn into_alert(
        self,
        id: AlertId,
        user: UserId,
        instrument: &Instrument,
        now: DateTime<Utc>,
    ) -> Result<Alert, Vec<Violation>> {
        let mut out = Vec::new();
        validate_target(self.kind, self.target, instrument, &mut out);
        if self.kind.needs_sma() {
            match self.period {
                Some(p) if (2..=MAX_SMA_PERIOD).contains(&p) => {}
                _ => out.push(Violation::new(
                    "period",
                    format!("an SMA condition needs a period of 2 to {MAX_SMA_PERIOD} daily closes"),
                )),
            }
        } else if self.period.is_some() {
            out.push(Violation::new("period", "only SMA conditions take a period"));
        }
        let mut channels = self.channels.clone();
        channels.sort();
        channels.dedup();
        if channels.is_empty() || channels.len() != self.channels.len() {
            out.push(Violation::new(
                "channels",
                "name in_app and/or webhook, each at most once",
            ));
        }
        match (channels.contains(&Channel::Webhook), self.webhook_id) {
            (true, None) => out.push(Violation::new(
                "webhook_id",
                "the webhook channel needs a webhook_id",
            )),
            (false, Some(_)) => out.push(Violation::new("webhook_id", "given without the webhook channel")),
            _ => {}
        }
        match (self.trigger_mode, self.cooldown_minutes) {
            (TriggerMode::Cooldown, Some(m)) if (1..=MAX_COOLDOWN_MINUTES).contains(&m) => {}
            (TriggerMode::Cooldown, _) => out.push(Violation::new(
                "cooldown_minutes",
                format!("cooldown mode needs 1 to {MAX_COOLDOWN_MINUTES} minutes"),
            )),
            (_, Some(_)) => out.push(Violation::new(
                "cooldown_minutes",
                "only cooldown mode takes a cooldown",
            )),
            _ => {}
        }
        match (self.trigger_mode, self.max_triggers) {
            (_, None) => {}
            (TriggerMode::Once, Some(_)) => {
                out.push(Violation::new(
                    "max_triggers",
                    "a once alert fires once; leave max_triggers out",
                ));
            }
            (_, Some(m)) if (1..=MAX_TRIGGERS).contains(&m) => {}
            (_, Some(_)) => out.push(Violation::new("max_triggers", format!("1 to {MAX_TRIGGERS}"))),
        }
        validate_expiry(self.expires_at, now, &mut out);
        validate_note(self.note.as_deref(), &mut out);
        if !out.is_empty() {
            return Err(out);
        }
        Ok(Alert {
            id,
            user_id: user,
            instrument: instrument.key.clone(),
            condition: Condition {
                kind: self.kind,
                target: self.target.map(|t| t.normalize()),
                period: self.period,
            },
            channels,
            webhook_id: self.webhook_id,
            trigger_mode: self.trigger_mode,
            cooldown_minutes: self.cooldown_minutes,
            max_triggers: self.max_triggers,
            expires_at: self.expires_at,
            note: self.note,
            status: AlertStatus::Active,
            created_at: now,
            updated_at: now,
            armed_at: now,
            trigger_count: 0,
            last_triggered_at: None,
            last_triggered_price: None,
            version: 1,
        })
    }
}

/// Why an edit cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditRefused {
    /// The alert is no longer open (triggered, expired or cancelled).
    #[error("the alert is {0:?} and can no longer change")]
    Closed(AlertStatus),
    /// The edit breaks a rule.
    #[error("invalid edit")]
    Invalid(Vec<Violation>),
}

impl Alert {
    /// The status at `now`: an open alert past its expiry is `EXPIRED` even before the scan records it.
    pub fn status_at(&self, now: DateTime<Utc>) -> AlertStatus {
        match self.expires_at {
            Some(at) if self.status.is_open() && at <= now => AlertStatus::Expired,
            _ => self.status,
        }
    }

    /// Whether the alert may fire at evaluation `minute`: active, not expired, under its cap, and outside its
    /// cooldown.
    pub fn may_trigger_at(&self, minute: DateTime<Utc>) -> bool {
        if self.status_at(minute) != AlertStatus::Active {
            return false;
        }
        if self.max_triggers.is_some_and(|max| self.trigger_count >= max) {
            return false;
        }
        match self.trigger_mode {
            TriggerMode::Once => self.trigger_count == 0,
            TriggerMode::EveryTime => self.last_triggered_at.is_none_or(|last| minute > last),
            TriggerMode::Cooldown => self.last_triggered_at.is_none_or(|last| {
                minute >= last + Duration::minutes(i64::from(self.cooldown_minutes.unwrap_or(0)))
            }),
        }
    }

    /// The alert after firing at evaluation `minute` at `price`, or `None` if it may not fire then. A `once`
    /// alert, or one reaching `max_triggers`, is `TRIGGERED` (final).
    pub fn fire(&self, minute: DateTime<Utc>, price: Decimal) -> Option<Alert> {
        if !self.may_trigger_at(minute) {
            return None;
        }
        let count = self.trigger_count + 1;
        let last = self.trigger_mode == TriggerMode::Once || self.max_triggers.is_some_and(|m| count >= m);
        Some(Alert {
            trigger_count: count,
            last_triggered_at: Some(minute),
            last_triggered_price: Some(price),
            status: if last { AlertStatus::Triggered } else { self.status },
            updated_at: minute,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The alert recorded as `EXPIRED` (by the scan, once its expiry passed).
    pub fn expire(&self, now: DateTime<Utc>) -> Alert {
        Alert {
            status: AlertStatus::Expired,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The alert cancelled by its owner at `now`; `None` if it is already cancelled.
    pub fn cancel(&self, now: DateTime<Utc>) -> Option<Alert> {
        (self.status != AlertStatus::Cancelled).then(|| Alert {
            status: AlertStatus::Cancelled,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The alert after `edit` at `now`, on `instrument` (for the tick check). A new target or a resume
    /// re-arms it: only evaluations from `now` on count as "previous" for a crossing.
    ///
    /// # Errors
    /// [`EditRefused`] if the alert is closed or the edit breaks a rule.
    pub fn edit(
        &self,
        edit: AlertEdit,
        instrument: &Instrument,
        now: DateTime<Utc>,
    ) -> Result<Alert, EditRefused> {
        let status = self.status_at(now);
        if !status.is_open() {
            return Err(EditRefused::Closed(status));
        }
        let mut out = Vec::new();
        if let Some(s) = edit.status
            && !s.is_open()
        {
            out.push(Violation::new(
                "status",
                "ACTIVE (resume) or PAUSED (pause); DELETE cancels",
            ));
        }
        if edit.target.is_some() {
            validate_target(self.condition.kind, edit.target, instrument, &mut out);
        }
        if let Some(expires_at) = edit.expires_at {
            validate_expiry(expires_at, now, &mut out);
        }
        if let Some(note) = &edit.note {
            validate_note(note.as_deref(), &mut out);
        }
        if !out.is_empty() {
            return Err(EditRefused::Invalid(out));
        }
        let new_status = edit.status.unwrap_or(self.status);
        let rearm = edit.target.is_some()
            || (new_status == AlertStatus::Active && self.status != AlertStatus::Active);
        Ok(Alert {
            status: new_status,
            condition: Condition {
                target: edit.target.map(|t| t.normalize()).or(self.condition.target),
                ..self.condition
            },
            note: edit.note.unwrap_or_else(|| self.note.clone()),
            expires_at: edit.expires_at.unwrap_or(self.expires_at),
            armed_at: if rearm { now } else { self.armed_at },
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests;
