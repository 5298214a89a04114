//! The local stack: TradeSense on one machine with no AWS account. Not deployed.
//!
//! It starts the moto emulator ([`emulator`]), provisions what template.yaml declares ([`template`],
//! [`provision`]), seeds demo users ([`seed`]), wires every function's real code ([`functions`]) behind a local API Gateway
//! ([`gateway`]), and runs the queue and schedule triggers ([`pollers`]); the WebSocket API runs in process ([`sockets`]). The gateway reports each request's AWS round trips
//! ([`round_trips`]); each function's request metrics go into the emulator's CloudWatch ([`metrics`]). [`import`] loads daily price history; [`openapi`] composes the API's committed OpenAPI document. [`LocalStack`] ties it together for
//! `make run` and the end-to-end tests; [`testing`] gives adapter tests a private, provisioned emulator.

pub mod emulator;
pub mod functions;
pub mod gateway;
pub mod import;
pub mod metrics;
pub mod openapi;
pub mod pollers;
pub mod provision;
pub mod round_trips;
pub mod seed;
pub mod sockets;
pub mod stack;
pub mod template;
pub mod testing;

pub use stack::{LocalOptions, LocalStack};
