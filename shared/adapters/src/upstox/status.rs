//! Upstox's order statuses (its appendix of order statuses) read into ours, by one table that cannot fail:
//! a status it does not know leaves the order working, with Upstox's word kept in the message.

use tradesense_domain::trading::status::OrderStatus;

/// An Upstox order status read into ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStatus {
    /// Our status.
    pub status: OrderStatus,
    /// The message to show: Upstox's own (blank is none), or for a status we do not recognise, that status
    /// followed by Upstox's message.
    pub message: Option<String>,
}

/// Reads Upstox's order `status` (its appendix of order statuses, compared trimmed and ignoring case) for an
/// order of `quantity` units with `filled_quantity` filled, with Upstox's `status_message`.
///
/// | Upstox status | ours |
/// |---|---|
/// | `complete` | `Complete` |
/// | `rejected` | `Rejected` |
/// | `cancelled`, `cancelled after market order` | `Cancelled` |
/// | `trigger pending` | `TriggerPending` |
/// | `open`, `put order req received`, `validation pending`, `open pending`, `modify pending`, `modify validation pending`, `modified`, `not modified`, `cancel pending`, `not cancelled`, `after market order req received`, `modify after market order req received` | working |
/// | anything else | working, with the status in the message |
///
/// Working is `PartiallyFilled` when `0 < filled_quantity < quantity`, else `Open`. A status we do not know
/// never reads as final (complete, cancelled, rejected): the order stays watched, and the raw status is kept
/// in the message. The in-flight request statuses (`modify pending`, `cancel pending`, …) do not say whether
/// a stop order has triggered; they read as working.
pub fn read_upstox_status(
    status: &str,
    quantity: i64,
    filled_quantity: i64,
    status_message: Option<&str>,
) -> LiveStatus {
    let working = if 0 < filled_quantity && filled_quantity < quantity {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::Open
    };
    let broker_message = status_message
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let known = match status.trim().to_ascii_lowercase().as_str() {
        "complete" => Some(OrderStatus::Complete),
        "rejected" => Some(OrderStatus::Rejected),
        "cancelled" | "cancelled after market order" => Some(OrderStatus::Cancelled),
        "trigger pending" => Some(OrderStatus::TriggerPending),
        "open"
        | "put order req received"
        | "validation pending"
        | "open pending"
        | "modify pending"
        | "modify validation pending"
        | "modified"
        | "not modified"
        | "cancel pending"
        | "not cancelled"
        | "after market order req received"
        | "modify after market order req received" => Some(working),
        _ => None,
    };
    match known {
        Some(status) => LiveStatus {
            status,
            message: broker_message,
        },
        None => LiveStatus {
            status: working,
            message: Some(match broker_message {
                Some(m) => format!("unrecognised Upstox status \"{status}\": {m}"),
                None => format!("unrecognised Upstox status \"{status}\""),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    use OrderStatus as S;

    #[rstest]
    #[case::complete("complete", S::Complete)]
    #[case::rejected("rejected", S::Rejected)]
    #[case::cancelled("cancelled", S::Cancelled)]
    #[case::cancelled_amo("cancelled after market order", S::Cancelled)]
    #[case::trigger_pending("trigger pending", S::TriggerPending)]
    #[case::open("open", S::Open)]
    #[case::put_order_req_received("put order req received", S::Open)]
    #[case::validation_pending("validation pending", S::Open)]
    #[case::open_pending("open pending", S::Open)]
    #[case::modify_pending("modify pending", S::Open)]
    #[case::modify_validation_pending("modify validation pending", S::Open)]
    #[case::modified("modified", S::Open)]
    #[case::not_modified("not modified", S::Open)]
    #[case::cancel_pending("cancel pending", S::Open)]
    #[case::not_cancelled("not cancelled", S::Open)]
    #[case::amo_received("after market order req received", S::Open)]
    #[case::modify_amo_received("modify after market order req received", S::Open)]
    fn every_documented_upstox_status_has_its_meaning(#[case] upstox: &str, #[case] ours: OrderStatus) {
        let read = read_upstox_status(upstox, 10, 0, None);
        assert_eq!(
            read,
            LiveStatus {
                status: ours,
                message: None
            },
            "{upstox}"
        );
        let shouting = format!("  {}  ", upstox.to_uppercase());
        assert_eq!(
            read_upstox_status(&shouting, 10, 0, None).status,
            ours,
            "{shouting}"
        );
    }

    #[rstest]
    #[case::open("open")]
    #[case::modified("modified")]
    #[case::not_modified("not modified")]
    #[case::cancel_pending("cancel pending")]
    #[case::not_cancelled("not cancelled")]
    #[case::modify_pending("modify pending")]
    fn a_working_order_with_some_filled_is_partially_filled(#[case] upstox: &str) {
        assert_eq!(read_upstox_status(upstox, 10, 4, None).status, S::PartiallyFilled);
        assert_eq!(read_upstox_status(upstox, 10, 0, None).status, S::Open);
        assert_eq!(
            read_upstox_status(upstox, 10, 10, None).status,
            S::Open,
            "all filled but not yet complete: still working"
        );
    }

    #[test]
    fn final_statuses_stay_final_whatever_filled() {
        assert_eq!(read_upstox_status("cancelled", 10, 4, None).status, S::Cancelled);
        assert_eq!(read_upstox_status("complete", 10, 10, None).status, S::Complete);
        assert_eq!(read_upstox_status("rejected", 10, 0, None).status, S::Rejected);
        assert_eq!(
            read_upstox_status("trigger pending", 10, 0, None).status,
            S::TriggerPending
        );
    }

    #[test]
    fn upstox_messages_are_kept_and_blank_ones_dropped() {
        let margin = "You need to add Rs. 138385.27 in your account to place this trade.";
        assert_eq!(
            read_upstox_status("rejected", 1500, 0, Some(margin)),
            LiveStatus {
                status: S::Rejected,
                message: Some(margin.to_owned())
            }
        );
        assert_eq!(read_upstox_status("open", 1, 0, Some("  ")).message, None);
    }

    #[test]
    fn an_unknown_status_is_working_with_the_status_in_the_message() {
        assert_eq!(
            read_upstox_status("odd new state", 10, 0, None),
            LiveStatus {
                status: S::Open,
                message: Some("unrecognised Upstox status \"odd new state\"".into())
            }
        );
        assert_eq!(
            read_upstox_status("odd new state", 10, 3, Some("RMS: held")),
            LiveStatus {
                status: S::PartiallyFilled,
                message: Some("unrecognised Upstox status \"odd new state\": RMS: held".into())
            }
        );
        assert_eq!(read_upstox_status("", 0, 0, None).status, S::Open);
    }

    proptest! {
        /// Whatever Upstox sends, the read never panics, and only the documented final statuses read as final.
        #[test]
        fn no_status_text_panics_or_invents_a_final_state(
            status in ".{0,40}",
            quantity in any::<i64>(),
            filled in any::<i64>(),
            message in proptest::option::of(".{0,40}"),
        ) {
            let read = read_upstox_status(&status, quantity, filled, message.as_deref());
            let documented_final = matches!(
                status.trim().to_ascii_lowercase().as_str(),
                "complete" | "rejected" | "cancelled" | "cancelled after market order"
            );
            prop_assert_eq!(read.status.is_final(), documented_final);
        }
    }
}
