//! The local stand-in for API Gateway's WebSocket API, at `/v1/stream` on the API's port. Each upgrade runs
//! the `stream` function's `$connect` (a refusal answers the upgrade with its status, and no socket opens),
//! each frame from the client its `$default` (whose answer goes back on the socket, as API Gateway sends a
//! route response), and the end of the socket its `$disconnect`. [`LocalSockets`] is the in-process
//! `@connections`: posting to an open socket sends the frame, posting to one that has gone answers `Gone`,
//! as API Gateway's `410` does, and closing one ends it. The same is served over HTTP at
//! `/v1/stream/@connections/{id}` (`POST` a frame, `DELETE`), as API Gateway's management API answers it
//! (`410` with a `GoneException` for a socket that has gone), so a function run outside the stack, or the
//! deployed `@connections` adapter, can push to these sockets. API Gateway's 10-minute idle and 2-hour
//! limits are not imposed here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::ports::{ConnectionPusher, PostOutcome};
use tradesense_http::ApiError;

/// Runs one WebSocket route invocation (the `stream` function's handler).
pub type WebSocketHandler =
    Arc<dyn Fn(ApiGatewayWebsocketProxyRequest) -> BoxFuture<'static, ApiGatewayProxyResponse> + Send + Sync>;

/// The path the local WebSocket API answers on.
pub const SOCKET_PATH: &str = "/v1/stream";

/// What the pusher asks of an open socket.
enum Outbound {
    Frame(String),
    Close,
}

/// The open sockets, by connection id: the local `@connections`.
#[derive(Default)]
pub struct LocalSockets {
    open: Mutex<HashMap<ConnectionId, mpsc::UnboundedSender<Outbound>>>,
}

impl LocalSockets {
    fn sender(&self, id: &ConnectionId) -> Option<mpsc::UnboundedSender<Outbound>> {
        self.open.lock().ok()?.get(id).cloned()
    }

    fn insert(&self, id: ConnectionId, sender: mpsc::UnboundedSender<Outbound>) {
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, sender);
        }
    }

    fn remove(&self, id: &ConnectionId) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(id);
        }
    }

    /// How many sockets are open.
    pub fn open_count(&self) -> usize {
        self.open.lock().map(|o| o.len()).unwrap_or_default()
    }
}

#[async_trait]
impl ConnectionPusher for LocalSockets {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> anyhow::Result<PostOutcome> {
        let sent = self
            .sender(connection)
            .is_some_and(|s| s.send(Outbound::Frame(frame.to_owned())).is_ok());
        Ok(if sent {
            PostOutcome::Sent
        } else {
            PostOutcome::Gone
        })
    }

    async fn close(&self, connection: &ConnectionId) -> anyhow::Result<()> {
        if let Some(sender) = self.sender(connection) {
            let _ = sender.send(Outbound::Close);
        }
        Ok(())
    }
}

#[derive(Clone)]
struct SocketState {
    handler: WebSocketHandler,
    sockets: Arc<LocalSockets>,
}

/// The WebSocket route (`GET /v1/stream?ticket=…` upgraded) and the local `@connections`.
pub fn router(handler: WebSocketHandler, sockets: Arc<LocalSockets>) -> Router {
    Router::new()
        .route(SOCKET_PATH, get(upgrade))
        .route(
            &format!("{SOCKET_PATH}/@connections/{{id}}"),
            post(post_to_connection).delete(delete_connection),
        )
        .with_state(SocketState { handler, sockets })
}

/// API Gateway's answer for a connection that has gone.
fn gone() -> Response {
    (
        StatusCode::GONE,
        [("x-amzn-errortype", "GoneException")],
        axum::Json(serde_json::json!({"message": null})),
    )
        .into_response()
}

/// `POST @connections/{id}`: the body as one text frame.
async fn post_to_connection(
    State(state): State<SocketState>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let Ok(id) = id.parse::<ConnectionId>() else {
        return gone();
    };
    match state.sockets.post(&id, &body).await {
        Ok(PostOutcome::Sent) => StatusCode::OK.into_response(),
        _ => gone(),
    }
}

/// `DELETE @connections/{id}`: closes the socket.
async fn delete_connection(State(state): State<SocketState>, Path(id): Path<String>) -> Response {
    match id.parse::<ConnectionId>() {
        Ok(id) if state.sockets.sender(&id).is_some() => {
            let _ = state.sockets.close(&id).await;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => gone(),
    }
}

/// An event for `route` on `connection`, shaped as API Gateway sends it.
fn event(route: &str, connection: &ConnectionId) -> ApiGatewayWebsocketProxyRequest {
    let mut event = ApiGatewayWebsocketProxyRequest::default();
    let ctx = &mut event.request_context;
    ctx.route_key = Some(route.to_owned());
    ctx.event_type = Some(
        match route {
            "$connect" => "CONNECT",
            "$disconnect" => "DISCONNECT",
            _ => "MESSAGE",
        }
        .to_owned(),
    );
    ctx.connection_id = Some(connection.as_str().to_owned());
    ctx.request_id = Some(ulid::Ulid::new().to_string());
    ctx.stage = Some("local".to_owned());
    ctx.connected_at = chrono::Utc::now().timestamp_millis();
    event
}

async fn upgrade(
    State(state): State<SocketState>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let id: ConnectionId = match ulid::Ulid::new().to_string().parse() {
        Ok(id) => id,
        Err(_) => return ApiError::internal(anyhow::anyhow!("connection id")).into_response(),
    };
    let mut connect = event("$connect", &id);
    let params: HashMap<String, String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    connect.query_string_parameters = params.into();
    let answer = (state.handler)(connect).await;
    if answer.status_code != 200 {
        return match answer.status_code {
            401 => ApiError::unauthorized().into_response(),
            code => StatusCode::from_u16(u16::try_from(code).unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response(),
        };
    }
    // Registered before the upgrade completes, so a frame pushed meanwhile waits rather than finding it gone.
    let (sender, outbound) = mpsc::unbounded_channel();
    state.sockets.insert(id.clone(), sender);
    let failed = (state.clone(), id.clone());
    ws.on_failed_upgrade(move |_| {
        let (state, id) = failed;
        tokio::spawn(async move { disconnected(&state, &id).await });
    })
    .on_upgrade(move |socket| serve(socket, state, id, outbound))
}

/// Carries frames both ways until either side closes, then runs `$disconnect`.
async fn serve(
    mut socket: WebSocket,
    state: SocketState,
    id: ConnectionId,
    mut outbound: mpsc::UnboundedReceiver<Outbound>,
) {
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let mut message = event("$default", &id);
                match incoming {
                    Some(Ok(Message::Text(text))) => message.body = Some(text.to_string()),
                    // Handed on as API Gateway does (base64), for the function to refuse.
                    Some(Ok(Message::Binary(_))) => message.is_base64_encoded = true,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                }
                let answer = (state.handler)(message).await;
                if let Some(Body::Text(frame)) = answer.body
                    && socket.send(Message::Text(frame.into())).await.is_err()
                {
                    break;
                }
            }
            pushed = outbound.recv() => match pushed {
                Some(Outbound::Frame(frame)) => {
                    if socket.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    disconnected(&state, &id).await;
}

/// Forgets the socket and runs `$disconnect`.
async fn disconnected(state: &SocketState, id: &ConnectionId) {
    state.sockets.remove(id);
    (state.handler)(event("$disconnect", id)).await;
}
