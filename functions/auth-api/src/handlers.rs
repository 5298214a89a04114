//! Auth handlers: extract, call the account service, render.

use axum::extract::State;
use axum::http::StatusCode;
use tradesense_domain::account::Register;
use tradesense_http::{ApiError, AppJson, AuthContext};

use crate::AuthState;
use crate::dto::{LoginRequest, RefreshRequest, RegisterRequest, RegisterResponse, TokenResponse, UserDto};
use crate::errors::AuthError;

type Body = tradesense_http::error::ErrorBody;

/// Creates a `trader` account.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", security(()), request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 400, body = Body), (status = 409, body = Body)))]
pub async fn register(
    State(state): State<AuthState>,
    AppJson(req): AppJson<RegisterRequest>,
) -> Result<(StatusCode, AppJson<RegisterResponse>), AuthError> {
    let cmd = Register {
        email: req.email,
        password: req.password,
        display_name: req.display_name,
    };
    let user = state.accounts.register(cmd).await?;
    tracing::info!(user_id = %user.id, "registered");
    Ok((
        StatusCode::CREATED,
        AppJson(RegisterResponse {
            user: UserDto::from(&user),
        }),
    ))
}

/// Starts a session.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Body)))]
pub async fn login(
    State(state): State<AuthState>,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<AppJson<TokenResponse>, AuthError> {
    let signer = state.keys.signer().await?;
    let tokens = state.accounts.login(&signer, &req.email, &req.password).await?;
    tracing::info!(user_id = %tokens.user.id, "logged in");
    Ok(AppJson(TokenResponse::from(&tokens)))
}

/// Exchanges a refresh token for a new pair; a spent one ends its session.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", security(()), request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Body)))]
pub async fn refresh(
    State(state): State<AuthState>,
    AppJson(req): AppJson<RefreshRequest>,
) -> Result<AppJson<TokenResponse>, AuthError> {
    let signer = state.keys.signer().await?;
    let tokens = state.accounts.refresh(&signer, &req.refresh_token).await?;
    Ok(AppJson(TokenResponse::from(&tokens)))
}

/// Ends the caller's session at once.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Body)))]
pub async fn logout(auth: AuthContext, State(state): State<AuthState>) -> Result<StatusCode, AuthError> {
    state.accounts.logout(&auth.0).await?;
    tracing::info!(user_id = %auth.0.user_id, session_id = %auth.0.session_id, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = Body)))]
pub async fn me(auth: AuthContext, State(state): State<AuthState>) -> Result<AppJson<UserDto>, AuthError> {
    let user = state
        .accounts
        .me(&auth.0)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(AppJson(UserDto::from(&user)))
}
