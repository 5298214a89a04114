//! The kernel every area builds on: identifiers, time (the [`time::Clock`] port and India Standard Time),
//! repository errors, money helpers, fixed-window rate limits, list pages, field-level violations, the event
//! envelope, random secrets with their stored hash, and the origin of the request being handled. It imports
//! nothing from any area.

pub mod error;
pub mod events;
pub mod ids;
pub mod money;
pub mod origin;
pub mod page;
pub mod rate_limit;
pub mod secret;
pub mod time;
pub mod validation;
