//! The kernel every area builds on: identifiers, time (the [`time::Clock`] port and India Standard Time),
//! repository errors, money helpers, fixed-window rate limits, list pages, field-level violations, the event envelope and random
//! secrets with their stored hash. It imports nothing from any area.

pub mod error;
pub mod events;
pub mod ids;
pub mod money;
pub mod page;
pub mod rate_limit;
pub mod secret;
pub mod time;
pub mod validation;
