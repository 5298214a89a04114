//! The ticket handler: check the caller may read the market (every role may), issue, answer.

use axum::extract::State;
use axum::http::StatusCode;
use tradesense_domain::identity::rbac::Permission;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{AppJson, AuthContext};

use crate::StreamApiState;
use crate::dto::StreamTicketResponse;
use crate::errors::StreamApiError;

/// A ticket to open the push channel's WebSocket with.
///
/// Single use, valid for 30 seconds, bound to the caller's session: connect to `url?ticket=…`. The socket
/// then carries live quotes of the instruments subscribed and the caller's own order updates (docs/stream.md
/// describes its messages). A ticket reused, expired, or of a session that has signed out since is refused
/// on connect (the upgrade is answered 401).
#[utoipa::path(post, path = "/v1/stream/ticket", tag = "stream", security(("bearer" = [])),
    responses((status = 201, body = StreamTicketResponse), (status = 401, body = Body), (status = 403, body = Body),
        (status = 503, body = Body)))]
pub async fn stream_ticket(
    auth: AuthContext,
    State(state): State<StreamApiState>,
) -> Result<(StatusCode, AppJson<StreamTicketResponse>), StreamApiError> {
    let principal = auth.require(Permission::MarketRead)?;
    let issued = state.stream.issue_ticket(principal).await?;
    Ok((StatusCode::CREATED, AppJson(issued.into())))
}
