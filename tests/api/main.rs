//! End-to-end tests: the whole API over HTTP against the local stack (moto, provisioning from template.yaml,
//! the gateway with the real authorizer, queue pollers, schedules).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod administration;
mod alerts;
mod analytics;
mod async_paths;
mod audit;
mod auth;
mod backtests;
mod broker;
mod clock;
mod contention;
mod cookies;
mod demo;
mod health;
mod helpers;
mod live;
mod market;
mod metrics;
mod mfa;
mod orders;
mod portfolio;
mod round_trips;
mod security;
mod strategies;
