//! The order state machine: where an order stands, what can happen to it, and the one exhaustive table of
//! which event takes which status where. Every status change of an order goes through it
//! ([`crate::trading::order::Order::apply`]).

use serde::{Deserialize, Serialize};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Working at the exchange (or waiting for the open, if AMO).
    Open,
    /// A stop order waiting for its trigger.
    TriggerPending,
    /// Some filled, the rest working.
    PartiallyFilled,
    /// Fully filled.
    Complete,
    /// Cancelled (by the user, IOC remainder, or expiry at the close).
    Cancelled,
    /// Refused (risk checks, the broker, the exchange).
    Rejected,
}

/// What can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderEvent {
    /// A stop order's trigger was reached.
    Triggered,
    /// Part of the remaining quantity filled.
    PartFilled,
    /// The remaining quantity filled.
    Filled,
    /// The user cancelled, an IOC remainder lapsed, or a DAY order expired at the close.
    Cancelled,
    /// The order was refused.
    Rejected,
    /// The user changed price, trigger or quantity.
    Modified,
    /// A modification turned a stop order into one that does not wait for a trigger, or the other way round.
    Retyped,
}

impl OrderEvent {
    /// Every event.
    pub const ALL: [OrderEvent; 7] = [
        OrderEvent::Triggered,
        OrderEvent::PartFilled,
        OrderEvent::Filled,
        OrderEvent::Cancelled,
        OrderEvent::Rejected,
        OrderEvent::Modified,
        OrderEvent::Retyped,
    ];
}

/// An event that cannot happen to an order in its status: the order is left as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {from:?} cannot be {event:?}")]
pub struct InvalidTransition {
    /// The order's status.
    pub from: OrderStatus,
    /// What was to happen.
    pub event: OrderEvent,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Open,
        OrderStatus::TriggerPending,
        OrderStatus::PartiallyFilled,
        OrderStatus::Complete,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
    ];

    /// Whether nothing more can happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Complete | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }

    /// The status after `event`. The whole table is this match.
    ///
    /// # Errors
    /// [`InvalidTransition`] when `event` cannot happen to an order in this status.
    pub fn after(self, event: OrderEvent) -> Result<OrderStatus, InvalidTransition> {
        use OrderEvent as E;
        use OrderStatus as S;
        match (self, event) {
            (S::TriggerPending, E::Triggered | E::Retyped) => Ok(S::Open),
            (S::TriggerPending, E::Modified) => Ok(S::TriggerPending),
            (S::TriggerPending, E::Cancelled) => Ok(S::Cancelled),
            (S::TriggerPending, E::Rejected) => Ok(S::Rejected),
            (S::Open | S::PartiallyFilled, E::PartFilled) => Ok(S::PartiallyFilled),
            (S::Open | S::PartiallyFilled, E::Filled) => Ok(S::Complete),
            (S::Open | S::PartiallyFilled, E::Cancelled) => Ok(S::Cancelled),
            (S::Open, E::Rejected) => Ok(S::Rejected),
            (S::Open, E::Modified) => Ok(S::Open),
            (S::Open, E::Retyped) => Ok(S::TriggerPending),
            (S::PartiallyFilled, E::Modified) => Ok(S::PartiallyFilled),
            (S::TriggerPending, E::PartFilled | E::Filled)
            | (S::Open | S::PartiallyFilled, E::Triggered)
            | (S::PartiallyFilled, E::Rejected | E::Retyped)
            | (S::Complete | S::Cancelled | S::Rejected, _) => Err(InvalidTransition { from: self, event }),
        }
    }

    /// The event that takes an order from this status to `to` (how a broker's report of a live order is read),
    /// or `None` for the same status.
    ///
    /// # Errors
    /// [`InvalidTransition`] when no event leads there.
    pub fn event_to(self, to: OrderStatus) -> Result<Option<OrderEvent>, InvalidTransition> {
        if self == to {
            return Ok(None);
        }
        OrderEvent::ALL
            .into_iter()
            .find(|event| self.after(*event) == Ok(to))
            .map(Some)
            .ok_or(InvalidTransition {
                from: self,
                event: OrderEvent::Modified,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table_is_exhaustive_and_final_states_are_final() {
        use OrderEvent as E;
        use OrderStatus as S;
        let events = OrderEvent::ALL;
        let allowed = [
            (S::TriggerPending, E::Triggered, S::Open),
            (S::TriggerPending, E::Modified, S::TriggerPending),
            (S::TriggerPending, E::Cancelled, S::Cancelled),
            (S::TriggerPending, E::Rejected, S::Rejected),
            (S::Open, E::PartFilled, S::PartiallyFilled),
            (S::Open, E::Filled, S::Complete),
            (S::Open, E::Cancelled, S::Cancelled),
            (S::Open, E::Rejected, S::Rejected),
            (S::Open, E::Modified, S::Open),
            (S::PartiallyFilled, E::PartFilled, S::PartiallyFilled),
            (S::PartiallyFilled, E::Filled, S::Complete),
            (S::PartiallyFilled, E::Cancelled, S::Cancelled),
            (S::PartiallyFilled, E::Modified, S::PartiallyFilled),
            (S::Open, E::Retyped, S::TriggerPending),
            (S::TriggerPending, E::Retyped, S::Open),
        ];
        for status in S::ALL {
            for event in events {
                let expected = allowed
                    .iter()
                    .find(|(s, e, _)| *s == status && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(status.after(event).ok(), expected, "{status:?} + {event:?}");
            }
            if status.is_final() {
                assert!(events.iter().all(|e| status.after(*e).is_err()));
            }
        }
    }

    #[test]
    fn a_brokers_report_is_read_as_the_event_that_leads_there() {
        use OrderEvent as E;
        use OrderStatus as S;
        assert_eq!(S::Open.event_to(S::Open), Ok(None));
        assert_eq!(S::Open.event_to(S::PartiallyFilled), Ok(Some(E::PartFilled)));
        assert_eq!(S::PartiallyFilled.event_to(S::Complete), Ok(Some(E::Filled)));
        assert_eq!(S::TriggerPending.event_to(S::Open), Ok(Some(E::Triggered)));
        assert_eq!(S::Open.event_to(S::TriggerPending), Ok(Some(E::Retyped)));
        assert!(S::PartiallyFilled.event_to(S::Rejected).is_err());
        assert!(S::Complete.event_to(S::Open).is_err());
    }
}
