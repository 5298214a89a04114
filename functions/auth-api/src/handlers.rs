//! Auth handlers: extract, call the account service, render.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use tradesense_domain::identity::limits::LOGIN_PER_IP;
use tradesense_domain::identity::service::account::{LoginAttempt, LoginOutcome, Register};
use tradesense_http::error::enforce;
use tradesense_http::json::parse_strict;
use tradesense_http::rate_limit::RateLimitHeaders;
use tradesense_http::{ApiError, AppJson, AuthContext, SourceIp};

use crate::AuthState;
use crate::dto::{
    BrokerStatusDto, LoginRequest, MfaRequiredResponse, RefreshRequest, RegisterRequest, RegisterResponse,
    TokenResponse, UserDto,
};
use crate::errors::AuthError;
use crate::session_response::{Delivery, cleared_cookies, deliver, refresh_token_of};

type Body = tradesense_http::error::ErrorBody;

/// Creates a `trader` account.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", security(()), request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 422, body = Body), (status = 409, body = Body)))]
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

/// Starts a session, or with MFA on answers with a challenge. Limited per source IP (20 a minute).
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 200, description = "MFA on", body = MfaRequiredResponse),
        (status = 401, body = Body), (status = 429, body = Body)))]
pub async fn login(
    State(state): State<AuthState>,
    SourceIp(ip): SourceIp,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> Result<(RateLimitHeaders, Response), AuthError> {
    let limit = limit_per_ip(&state, ip.as_deref()).await?;
    let signer = state.keys.signer().await?;
    let attempt = LoginAttempt {
        email: req.email,
        password: req.password,
        source_ip: ip,
    };
    let outcome = state
        .accounts
        .login(&signer, &attempt)
        .await
        .map_err(|e| AuthError(AuthError::from(e).0.with_rate_limit(limit.0)))?;
    let response = match outcome {
        LoginOutcome::Signed(tokens) => {
            tracing::info!(user_id = %tokens.user.id, "logged in");
            deliver(&tokens, Delivery::requested(&headers))
        }
        LoginOutcome::MfaRequired { mfa_token } => AppJson(MfaRequiredResponse {
            mfa_required: true,
            mfa_token,
        })
        .into_response(),
    };
    Ok((limit, response))
}

/// Counts one login or MFA challenge from `ip` against [`LOGIN_PER_IP`].
pub(crate) async fn limit_per_ip(state: &AuthState, ip: Option<&str>) -> Result<RateLimitHeaders, AuthError> {
    let now = state.clock.now();
    let key = format!("login-ip:{}", ip.unwrap_or("unknown"));
    Ok(enforce(state.limiter.hit(&key, LOGIN_PER_IP, now).await?)?)
}

/// Exchanges a refresh token for a new pair; a spent one ends its session.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", security(()), request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Body)))]
pub async fn refresh(
    State(state): State<AuthState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthError> {
    let body_token = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(parse_strict::<RefreshRequest>(&body)?.refresh_token)
    };
    let (token, delivery) = refresh_token_of(&headers, body_token)?;
    let signer = state.keys.signer().await?;
    let tokens = state.accounts.refresh(&signer, &token).await?;
    Ok(deliver(&tokens, delivery))
}

/// Ends the caller's session at once.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Body)))]
pub async fn logout(
    auth: AuthContext,
    State(state): State<AuthState>,
) -> Result<(StatusCode, HeaderMap), AuthError> {
    state.accounts.logout(&auth.0).await?;
    tracing::info!(user_id = %auth.0.user_id, session_id = %auth.0.session_id, "logged out");
    Ok((StatusCode::NO_CONTENT, cleared_cookies()))
}

/// The caller's account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = Body)))]
pub async fn me(auth: AuthContext, State(state): State<AuthState>) -> Result<AppJson<UserDto>, AuthError> {
    let (user, link) =
        futures::future::join(state.accounts.me(&auth.0), state.upstox.link_of(&auth.0.user_id)).await;
    let user = user?.ok_or_else(ApiError::unauthorized)?;
    let mut dto = UserDto::from(&user);
    dto.broker = link?.map(|link| BrokerStatusDto::of(&link, state.clock.now()));
    Ok(AppJson(dto))
}
