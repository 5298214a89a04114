//! Identity's use cases: accounts (register, log in, refresh, log out, MFA) and access administration.

pub mod account;
pub mod administration;
