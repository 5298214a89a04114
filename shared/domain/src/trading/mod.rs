//! Trading rules: order validation and the order state machine, charges on fills, margins, positions with
//! their P&L, the paper account and the paper broker, risk limits, and the order use cases.

pub mod account;
pub mod charges;
pub mod end_of_day;
pub mod live_desk;
pub mod margin;
pub mod order;
pub mod paper;
pub mod portfolio;
pub mod ports;
pub mod position;
pub mod risk;
pub mod service;
