//! Real-time push: the WebSocket channel that brings prices, the user's order updates and notifications to
//! the browser, authenticated on connect by a single-use ticket.
//!
//! Model: `ticket` (single-use connect tickets, stored hashed) · `connection` (a connection, its
//! subscriptions, the limits: 200 instruments, 5 connections per user, reconnect before 2 hours) ·
//! `messages` (client messages parsed with a precise error each, server frames) · `fanout` (the pure tick:
//! quotes to subscribers, batched into frames of at most 32 KiB). Then `ports` and `service`.

pub mod connection;
pub mod fanout;
pub mod messages;
pub mod ports;
pub mod service;
pub mod ticket;
