//! Upstox (<https://upstox.com/developer/api-documentation>): the login flow used to link accounts.

pub mod auth;

pub use auth::{DEFAULT_BASE_URL, SecretBackedUpstox, UpstoxApp, UpstoxAuthClient};
