//! The platform kill switch: while it is on, no new order is accepted (`423 KILL_SWITCH_ACTIVE`); replays of
//! orders placed before still answer, and cancellations still work. Only admins flip it, with a reason, and
//! every flip is audited.

use chrono::{DateTime, Utc};

use crate::kernel::ids::UserId;

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// The switch's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillSwitch {
    /// Whether new orders are refused.
    pub enabled: bool,
    /// Why it was last flipped.
    pub reason: String,
    /// Who flipped it.
    pub changed_by: UserId,
    /// When.
    pub changed_at: DateTime<Utc>,
}
