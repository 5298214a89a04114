//! Lambda entry point of the orders API.

use orders_api::{OrdersConfig, router};
use tradesense_adapters::{config::process_env, telemetry};
use tradesense_http::{serve, with_conventions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = OrdersConfig::from_vars(&process_env)?;
    serve(with_conventions(router(), &cfg.http)).await
}
