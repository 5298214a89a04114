//! Brokers: linking a user's broker account (Upstox), and the live broker's model and ports that live-mode
//! trading goes through.

pub mod link;
pub mod live;
pub mod ports;
pub mod service;
