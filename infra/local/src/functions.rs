//! How each template function runs locally: its real router or handler, wired by its real `from_vars`
//! configuration from the environment the template gives it. A template function without an entry here
//! stops the local stack at start, so a new function cannot be forgotten.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::bail;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use axum::Router;
use futures::future::BoxFuture;
use tradesense_adapters::AwsClients;
use tradesense_adapters::config::TableConfig;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::audit::DynamoAuditLog;
use tradesense_adapters::stream::StreamConfig;
use tradesense_domain::ops::jobs::JobRequest;
use tradesense_domain::stream::ports::ConnectionPusher;
use tradesense_http::stream::RestRenderer;

use crate::sockets::WebSocketHandler;

/// Runs one SQS batch.
pub type SqsHandler = Arc<dyn Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync>;
/// Runs one scheduled invocation with the schedule's input.
pub type ScheduleHandler =
    Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// A function as the local stack runs it.
pub enum LocalFunction {
    /// An API function's router.
    Http(Router),
    /// The authorizer.
    Authorizer(Arc<authorizer::Authorizer>),
    /// An SQS worker.
    Sqs(SqsHandler),
    /// A scheduled function.
    Schedule(ScheduleHandler),
    /// The WebSocket API's routes.
    WebSocket(WebSocketHandler),
}

/// Wires the function built as `binary` with its resolved environment; the push channel's functions post
/// through `sockets` (the local `@connections`).
///
/// # Errors
/// When its configuration is invalid, or the binary has no local wiring.
pub fn wire(
    binary: &str,
    env: &HashMap<String, String>,
    aws: &AwsClients,
    sockets: &Arc<dyn ConnectionPusher>,
) -> anyhow::Result<LocalFunction> {
    let vars = |k: &str| env.get(k).cloned();
    let stream = || -> anyhow::Result<_> {
        let cfg = StreamConfig::from_vars(&vars)?;
        Ok(Arc::new(cfg.service(
            aws,
            sockets.clone(),
            Arc::new(RestRenderer),
        )?))
    };
    Ok(match binary {
        "admin-api" => {
            let cfg = admin_api::AdminConfig::from_vars(&vars)?;
            LocalFunction::Http(admin_api::router(admin_api::AdminState::from_aws(aws, &cfg)))
        }
        "auth-api" => {
            let cfg = auth_api::AuthConfig::from_vars(&vars)?;
            LocalFunction::Http(auth_api::router(auth_api::AuthState::from_aws(aws, &cfg)?))
        }
        "market-api" => {
            let cfg = market_api::MarketConfig::from_vars(&vars)?;
            let state = market_api::MarketState::from_aws(aws, &cfg)?;
            LocalFunction::Http(market_api::router(state))
        }
        "orders-api" => {
            let cfg = orders_api::OrdersConfig::from_vars(&vars)?;
            let state = orders_api::OrdersState::from_aws(aws, &cfg)?;
            LocalFunction::Http(orders_api::router(state))
        }
        "portfolio-api" => {
            let cfg = portfolio_api::PortfolioConfig::from_vars(&vars)?;
            let state = portfolio_api::PortfolioState::from_aws(aws, &cfg)?;
            LocalFunction::Http(portfolio_api::router(state))
        }
        "backtest-api" => {
            let cfg = backtest_api::BacktestApiConfig::from_vars(&vars)?;
            let state = backtest_api::BacktestState::from_aws(aws, &cfg)?;
            LocalFunction::Http(backtest_api::router(state))
        }
        "analytics-api" => {
            let cfg = analytics_api::AnalyticsConfig::from_vars(&vars)?;
            let state = analytics_api::AnalyticsState::from_aws(aws, &cfg)?;
            LocalFunction::Http(analytics_api::router(state))
        }
        "strategies-api" => {
            let cfg = strategies_api::StrategiesConfig::from_vars(&vars)?;
            let state = strategies_api::StrategiesState::from_aws(aws, &cfg)?;
            LocalFunction::Http(strategies_api::router(state))
        }
        "alerts-api" => {
            let cfg = alerts_api::AlertsApiConfig::from_vars(&vars)?;
            let state = alerts_api::AlertsState::from_aws(aws, &cfg)?;
            LocalFunction::Http(alerts_api::router(state))
        }
        "alert-worker" => {
            let cfg = tradesense_adapters::alerts::AlertsConfig::from_vars(&vars)?;
            let alerts = Arc::new(cfg.service(aws)?);
            LocalFunction::Sqs(Arc::new(move |event| {
                let alerts = alerts.clone();
                Box::pin(async move { alert_worker::handle(&alerts, event).await })
            }))
        }
        "authorizer" => {
            let cfg = authorizer::AuthorizerConfig::from_vars(&vars)?;
            LocalFunction::Authorizer(Arc::new(authorizer::Authorizer::from_aws(aws, &cfg)))
        }
        "audit-worker" => {
            let cfg = TableConfig::from_vars(&vars)?;
            let log = Arc::new(DynamoAuditLog::new(Table::new(
                aws.dynamodb.clone(),
                cfg.table_name,
            )));
            LocalFunction::Sqs(Arc::new(move |event| {
                let log = log.clone();
                Box::pin(async move { audit_worker::handle(log.as_ref(), event).await })
            }))
        }
        "backtest-worker" => {
            let cfg = tradesense_adapters::backtest::BacktestConfig::from_vars(&vars)?;
            let backtests = Arc::new(cfg.service(aws)?);
            LocalFunction::Sqs(Arc::new(move |event| {
                let backtests = backtests.clone();
                Box::pin(async move { backtest_worker::handle(&backtests, event).await })
            }))
        }
        "scheduler" => {
            let cfg = tradesense_adapters::paper::PaperConfig::from_vars(&vars)?;
            let alerts = tradesense_adapters::alerts::AlertsConfig::from_vars(&vars)?;
            let scheduler = Arc::new(scheduler::Scheduler::from_config(aws, &cfg, &alerts)?);
            LocalFunction::Schedule(Arc::new(move |input| {
                let scheduler = scheduler.clone();
                Box::pin(async move {
                    // Deserialized exactly as the Lambda runtime would deserialize the schedule's input.
                    let event: EventBridgeEvent<JobRequest> = serde_json::from_value(input)?;
                    Ok(scheduler.handle(event).await?)
                })
            }))
        }
        "stream-api" => LocalFunction::Http(stream_api::router(stream_api::StreamApiState {
            stream: stream()?,
        })),
        "stream" => {
            let stream = stream()?;
            LocalFunction::WebSocket(Arc::new(move |event| {
                let stream = stream.clone();
                Box::pin(async move { stream::handle(&stream, event).await })
            }))
        }
        "stream-pusher" => {
            let stream = stream()?;
            LocalFunction::Sqs(Arc::new(move |event| {
                let stream = stream.clone();
                Box::pin(async move { stream_pusher::handle(&stream, event).await })
            }))
        }
        "stream-ticker" => {
            let stream = stream()?;
            LocalFunction::Schedule(Arc::new(move |_input| {
                let stream = stream.clone();
                Box::pin(async move {
                    stream_ticker::run(&stream, stream_ticker::RUN_FOR, stream_ticker::TICK_EVERY).await;
                    Ok(())
                })
            }))
        }
        other => bail!("template function {other} has no local wiring in infra/local/src/functions.rs"),
    })
}
