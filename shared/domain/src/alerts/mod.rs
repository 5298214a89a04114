//! Alerts and notifications: price alerts a minute scan evaluates, the triggers an alert worker records once
//! and delivers (in-app inbox, signed webhooks with retries), and order events turned into notifications.
//!
//! Model: `condition` (what is watched, the pure rule) · `alert` (lifecycle, trigger modes, validation) ·
//! `trigger` (the scan's message, the once-per-minute record, delivery logs, retry backoff) · `webhook`
//! (endpoints, address policy, Standard Webhooks signing) · `notification` · `scan` (the pure pass over
//! every active alert). Then `ports` and `service`.

pub mod alert;
pub mod condition;
pub mod notification;
pub mod ports;
pub mod scan;
pub mod service;
pub mod trigger;
pub mod webhook;
