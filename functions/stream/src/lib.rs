//! The `stream` function: API Gateway's WebSocket routes. `$connect` accepts a connection for a valid,
//! unused ticket of a live session (`?ticket=…`) and refuses anything else before the connection exists;
//! `$default` answers each client message with one frame (the route's response); `$disconnect` forgets the
//! connection and its subscriptions. The local stack runs this same handler behind its WebSocket port.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::messages::ServerFrame;
use tradesense_domain::stream::service::{ConnectError, StreamService};

/// Handles one WebSocket route invocation.
pub async fn handle(
    stream: &StreamService,
    event: ApiGatewayWebsocketProxyRequest,
) -> ApiGatewayProxyResponse {
    let route = event.request_context.route_key.as_deref().unwrap_or_default();
    let Some(connection) = event
        .request_context
        .connection_id
        .as_deref()
        .and_then(|id| id.parse::<ConnectionId>().ok())
    else {
        tracing::error!(route, "a WebSocket event without a valid connection id");
        return response(400, None);
    };
    match route {
        "$connect" => connect(stream, &event, connection).await,
        "$disconnect" => match stream.disconnect(&connection).await {
            Ok(()) => response(200, None),
            Err(e) => {
                // The connection's items expire with it (TTL); the next push to it finds it gone.
                tracing::warn!(%connection, error = ?e, "a disconnected connection was not forgotten");
                response(200, None)
            }
        },
        _ => {
            let frame = match text_of(&event) {
                Some(text) => match stream.receive(&connection, text).await {
                    Ok(frame) => frame,
                    Err(e) => {
                        tracing::error!(%connection, error = ?e, "a client message could not be handled");
                        ServerFrame::error(
                            "unavailable",
                            "the message could not be handled now; send it again",
                        )
                    }
                },
                None => ServerFrame::error("not_json", "messages are JSON text frames"),
            };
            response(200, Some(frame.to_text()))
        }
    }
}

/// `$connect`: 200 accepts; 401 refuses a missing, unknown, used or expired ticket or an ended session;
/// 503 when storage failed (ask for a new ticket and try again).
async fn connect(
    stream: &StreamService,
    event: &ApiGatewayWebsocketProxyRequest,
    connection: ConnectionId,
) -> ApiGatewayProxyResponse {
    let ticket = event.query_string_parameters.first("ticket");
    match stream.connect(ticket, connection.clone()).await {
        Ok(_) => response(200, None),
        Err(ConnectError::Unexpected(e)) => {
            tracing::error!(%connection, error = ?e, "a connection could not be accepted");
            response(503, None)
        }
        Err(refusal) => {
            tracing::info!(%connection, reason = %refusal, "connection refused");
            response(401, None)
        }
    }
}

/// The message's text; `None` for a binary frame.
fn text_of(event: &ApiGatewayWebsocketProxyRequest) -> Option<&str> {
    if event.is_base64_encoded {
        return None;
    }
    Some(event.body.as_deref().unwrap_or_default())
}

fn response(status: i64, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = body.map(Body::Text);
    response
}
