//! Trading: what an order asks for ([`request`]), where it stands ([`status`]), the order, its fills and the
//! positions they make ([`order`], [`trade`], [`position`]), baskets of orders ([`basket`]), why an order use
//! case changed nothing ([`errors`]), the paper account, charges, margins, risk limits
//! and the end of the day's rules, the paper broker's rules ([`paper`]) and a live order's ([`live`]), the
//! portfolio's valuation, the book's port ([`ports`]) and the order use cases ([`service`]).

pub mod account;
pub mod basket;
pub mod charges;
pub mod end_of_day;
pub mod errors;
pub mod events;
pub mod live;
pub mod margin;
pub mod order;
pub mod paper;
pub mod portfolio;
pub mod ports;
pub mod position;
pub mod request;
pub mod risk;
pub mod service;
pub mod status;
pub mod trade;
