//! Identity's use cases: accounts (register, log in, refresh, log out, MFA) and access administration; a
//! session's end is published for the push channel ([`PublishingSessions`]).

pub mod account;
pub mod administration;
mod publishing;

pub use publishing::PublishingSessions;
