//! [`ConnectionPusher`] over API Gateway's management API (`@connections`): a frame is a
//! `PostToConnection`, a close a `DeleteConnection`, both to the WebSocket API's callback endpoint
//! (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). API Gateway answers `410 Gone` for a
//! connection that has closed: a post reports it as [`PostOutcome::Gone`] (the caller deletes the
//! connection), and a close takes it as done.

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::ports::{ConnectionPusher, PostOutcome};

use crate::AwsClients;
use crate::aws::sdk_error;

/// Posts frames through `@connections`.
#[derive(Clone, Debug)]
pub struct ApiGatewayPusher {
    client: aws_sdk_apigatewaymanagement::Client,
}

impl ApiGatewayPusher {
    /// A pusher to the WebSocket API at `callback_url`, with the process's shared AWS configuration
    /// (credentials, region, retries and timeouts).
    pub fn new(aws: &AwsClients, callback_url: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(&aws.sdk)
            .endpoint_url(callback_url)
            .build();
        Self {
            client: aws_sdk_apigatewaymanagement::Client::from_conf(config),
        }
    }
}

#[async_trait]
impl ConnectionPusher for ApiGatewayPusher {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> anyhow::Result<PostOutcome> {
        let posted = self
            .client
            .post_to_connection()
            .connection_id(connection.as_str())
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await;
        match posted {
            Ok(_) => Ok(PostOutcome::Sent),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_gone_exception()) => Ok(PostOutcome::Gone),
            Err(e) => {
                Err(sdk_error(e, "post to a connection")).with_context(|| format!("connection {connection}"))
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> anyhow::Result<()> {
        let deleted = self
            .client
            .delete_connection()
            .connection_id(connection.as_str())
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_gone_exception()) => Ok(()),
            Err(e) => {
                Err(sdk_error(e, "close a connection")).with_context(|| format!("connection {connection}"))
            }
        }
    }
}
