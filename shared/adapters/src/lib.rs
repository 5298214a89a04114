//! TradeSense adapters: everything that does I/O. DynamoDB repositories (single table), the SQS publisher,
//! the Secrets Manager provider, the `@connections` pusher, broker tokens unsealed per call, dependency probes, request metrics (EMF out,
//! CloudWatch in), the push channel's wiring, configuration, telemetry and Lambda worker helpers.

pub mod alerts;
pub mod analytics;
pub mod aws;
pub mod backtest;
pub mod broker_tokens;
pub mod clock;
pub mod cloudwatch;
pub mod config;
pub mod connections;
pub mod dynamo;
pub mod health;
pub mod ids;
pub mod lambda;
pub mod live;
pub mod metrics;
pub mod paper;
pub mod secrets;
pub mod sqs;
pub mod strategies;
pub mod stream;
pub mod telemetry;
pub mod upstox;
pub mod webhooks;

pub use aws::AwsClients;
