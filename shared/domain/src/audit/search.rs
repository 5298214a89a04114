//! Searching the audit log: what an operator asks for ([`AuditFilter`]), places in the log's newest-first
//! order ([`AuditPosition`]) and where a search continues ([`AuditResume`]).
//!
//! The log is read newest first: by time, then by event id (ids are ULIDs, so two events of one millisecond
//! keep a fixed order).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::ids::{EventId, UserId};

/// What an operator asks the audit log for; an absent bound takes its default when the search runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditFilter {
    /// Only events concerning this user (their target).
    pub user: Option<UserId>,
    /// Only events of this kind.
    pub kind: Option<AuditKind>,
    /// Only events at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this.
    pub to: Option<DateTime<Utc>>,
}

/// A place in the newest-first order: the events beyond it are those older than it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPosition {
    /// Events before this instant lie beyond.
    pub at: DateTime<Utc>,
    /// Also the events at `at` whose id is below this one's (the position is just after that event); `None`:
    /// no event at `at` lies beyond.
    pub after: Option<EventId>,
}

impl AuditPosition {
    /// Before every event at `at` or later: the exclusive end of a time range.
    pub fn before(at: DateTime<Utc>) -> Self {
        Self { at, after: None }
    }

    /// Just after `event`, in newest-first order.
    pub fn after(event: &AuditEvent) -> Self {
        Self {
            at: event.occurred_at,
            after: Some(event.id),
        }
    }

    /// Whether `event` lies beyond this position (is older than it).
    pub fn precedes(&self, event: &AuditEvent) -> bool {
        event.occurred_at < self.at
            || (event.occurred_at == self.at && self.after.is_some_and(|id| event.id < id))
    }

    /// The UTC day of the newest events that can lie beyond this position.
    pub fn newest_day(&self) -> NaiveDate {
        match self.after {
            Some(_) => self.at.date_naive(),
            None => (self.at - Duration::nanoseconds(1)).date_naive(),
        }
    }
}

/// Where a search continues: its range's start, and the position the next page begins after. Carried in the
/// search's cursor, so every page of one search covers the range the first page resolved, whatever the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditResume {
    /// The range's start (inclusive).
    pub from: DateTime<Utc>,
    /// The next page holds only events beyond this.
    pub before: AuditPosition,
}

/// A resume position that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an audit search position")]
pub struct BadAuditResume;

impl fmt::Display for AuditResume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        write!(f, "{}|{}|", time(self.from), time(self.before.at))?;
        match self.before.after {
            Some(id) => write!(f, "{id}"),
            None => Ok(()),
        }
    }
}

impl FromStr for AuditResume {
    type Err = BadAuditResume;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let time = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| BadAuditResume)
        };
        let mut parts = s.split('|');
        let (Some(from), Some(at), Some(after), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BadAuditResume);
        };
        let after = match after {
            "" => None,
            id => Some(id.parse().map_err(|_| BadAuditResume)?),
        };
        Ok(Self {
            from: time(from)?,
            before: AuditPosition { at: time(at)?, after },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(id: u128, at: DateTime<Utc>) -> AuditEvent {
        AuditEvent {
            id: EventId::from_ulid(ulid::Ulid(id)),
            kind: AuditKind::LoginSucceeded,
            user_id: None,
            occurred_at: at,
            detail: serde_json::Value::Null,
            actor: None,
            request_id: None,
            source_ip: None,
        }
    }

    #[test]
    fn a_position_lets_through_older_events_and_those_of_its_instant_below_its_event() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        let earlier = event(9, t - Duration::milliseconds(1));
        let (low, mid, high) = (event(1, t), event(2, t), event(3, t));
        let before = AuditPosition::before(t);
        assert!(before.precedes(&earlier));
        assert!(!before.precedes(&low));
        let after_mid = AuditPosition::after(&mid);
        assert!(after_mid.precedes(&earlier) && after_mid.precedes(&low));
        assert!(!after_mid.precedes(&mid) && !after_mid.precedes(&high));
        // Before midnight, the newest day is the previous one; just after an event at midnight, its own.
        assert_eq!(
            before.newest_day(),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        assert_eq!(
            after_mid.newest_day(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
    }

    #[test]
    fn a_resume_position_round_trips_through_its_text_and_nothing_else_parses() {
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 5, 6).unwrap() + Duration::nanoseconds(123_456_789);
        for before in [AuditPosition::before(at), AuditPosition::after(&event(7, at))] {
            let resume = AuditResume { from, before };
            assert_eq!(resume.to_string().parse::<AuditResume>(), Ok(resume));
        }
        for bad in [
            "",
            "2026-11-01T00:00:00Z|2026-11-23T00:00:00Z",
            "2026-11-01T00:00:00Z|2026-11-23T00:00:00Z|x",
            "2026-11-01T00:00:00Z|yesterday|",
            "2026-11-01T00:00:00Z|2026-11-23T00:00:00Z||",
        ] {
            assert_eq!(bad.parse::<AuditResume>(), Err(BadAuditResume), "{bad}");
        }
    }
}
