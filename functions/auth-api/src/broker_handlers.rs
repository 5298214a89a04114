//! Upstox linking handlers: the authorize URL, the public callback Upstox redirects to, and unlink.

use axum::extract::State;
use axum::http::StatusCode;
use tradesense_http::{AppJson, AppQuery, AuthContext};

use crate::AuthState;
use crate::dto::{AuthorizeUrlResponse, BrokerLinkedResponse, BrokerStatusDto, CallbackQuery};
use crate::errors::AuthError;

type Body = tradesense_http::error::ErrorBody;

/// The Upstox login URL for the caller, with a signed `state` valid for 10 minutes.
#[utoipa::path(get, path = "/v1/auth/broker/upstox/authorize", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = AuthorizeUrlResponse), (status = 401, body = Body), (status = 503, body = Body)))]
pub async fn authorize(
    auth: AuthContext,
    State(state): State<AuthState>,
) -> Result<AppJson<AuthorizeUrlResponse>, AuthError> {
    let signer = state.keys.signer().await?;
    let authorize_url = state.upstox.authorize_url(&signer, &auth.0).await?;
    Ok(AppJson(AuthorizeUrlResponse { authorize_url }))
}

/// Where Upstox sends the browser back: the `state` names the user, the `code` is exchanged for a token that
/// is stored encrypted.
#[utoipa::path(get, path = "/v1/auth/broker/upstox/callback", tag = "auth", security(()),
    params(("code" = String, Query, description = "Upstox authorization code"),
        ("state" = String, Query, description = "From the authorize URL")),
    responses((status = 200, body = BrokerLinkedResponse), (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn callback(
    State(state): State<AuthState>,
    AppQuery(query): AppQuery<CallbackQuery>,
) -> Result<AppJson<BrokerLinkedResponse>, AuthError> {
    let (verifier, sealer) = (state.keys.verifier().await?, state.keys.sealer().await?);
    let link = state
        .upstox
        .complete(&verifier, &sealer, &query.state, &query.code)
        .await?;
    tracing::info!(user_id = %link.user_id, "Upstox linked");
    Ok(AppJson(BrokerLinkedResponse {
        broker: BrokerStatusDto::of(&link, state.clock.now()),
    }))
}

/// Unlinks Upstox and deletes its token.
#[utoipa::path(delete, path = "/v1/auth/broker/upstox", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Body)))]
pub async fn unlink(auth: AuthContext, State(state): State<AuthState>) -> Result<StatusCode, AuthError> {
    state.upstox.unlink(&auth.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
