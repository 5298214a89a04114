//! MFA handlers: the public login challenge and the authenticated setup, enable, disable and backup-code
//! routes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tradesense_http::rate_limit::RateLimitHeaders;
use tradesense_http::{ApiError, AppJson, AuthContext, SourceIp};

use crate::dto::{
    BackupCodesResponse, MfaChallengeRequest, MfaCodeRequest, MfaDisableRequest, MfaSetupResponse,
    TokenResponse,
};
use crate::errors::AuthError;
use crate::handlers::limit_per_ip;
use crate::session_response::{Delivery, deliver};
use crate::{AuthState, qr};

type Body = tradesense_http::error::ErrorBody;

/// Finishes a login that answered `mfa_required`: the `mfa_token` plus a TOTP or backup code. Limited per
/// source IP like login, and to 5 code attempts per account in 5 minutes.
#[utoipa::path(post, path = "/v1/auth/mfa/challenge", tag = "auth", security(()), request_body = MfaChallengeRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Body), (status = 429, body = Body)))]
pub async fn challenge(
    State(state): State<AuthState>,
    SourceIp(ip): SourceIp,
    headers: HeaderMap,
    AppJson(req): AppJson<MfaChallengeRequest>,
) -> Result<(RateLimitHeaders, Response), AuthError> {
    let limit = limit_per_ip(&state, ip.as_deref()).await?;
    let (signer, verifier, sealer) = (
        state.keys.signer().await?,
        state.keys.verifier().await?,
        state.keys.sealer().await?,
    );
    let tokens = state
        .accounts
        .complete_mfa_login(
            &signer,
            &verifier,
            &sealer,
            &req.mfa_token,
            &req.code,
            ip.as_deref(),
        )
        .await?;
    tracing::info!(user_id = %tokens.user.id, "logged in with a second factor");
    Ok((limit, deliver(&tokens, Delivery::requested(&headers))))
}

/// Starts enrolment: a new secret, its `otpauth://` URI and QR code. Nothing changes for logins until
/// `enable` confirms a code.
#[utoipa::path(post, path = "/v1/auth/mfa/setup", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MfaSetupResponse), (status = 401, body = Body), (status = 409, body = Body)))]
pub async fn setup(
    auth: AuthContext,
    State(state): State<AuthState>,
) -> Result<AppJson<MfaSetupResponse>, AuthError> {
    let sealer = state.keys.sealer().await?;
    let enrolment = state.accounts.setup_mfa(&sealer, &auth.0).await?;
    let png = qr::png(&enrolment.otpauth_uri).map_err(ApiError::internal)?;
    Ok(AppJson(MfaSetupResponse {
        secret: enrolment.secret.base32(),
        otpauth_uri: enrolment.otpauth_uri,
        qr_png_base64: STANDARD.encode(png),
    }))
}

/// Turns MFA on with a first valid code; returns 10 single-use backup codes, shown only now.
#[utoipa::path(post, path = "/v1/auth/mfa/enable", tag = "auth", security(("bearer" = [])), request_body = MfaCodeRequest,
    responses((status = 200, body = BackupCodesResponse), (status = 422, body = Body), (status = 409, body = Body),
        (status = 429, body = Body)))]
pub async fn enable(
    auth: AuthContext,
    State(state): State<AuthState>,
    AppJson(req): AppJson<MfaCodeRequest>,
) -> Result<AppJson<BackupCodesResponse>, AuthError> {
    let sealer = state.keys.sealer().await?;
    let backup_codes = state.accounts.enable_mfa(&sealer, &auth.0, &req.code).await?;
    tracing::info!(user_id = %auth.0.user_id, "MFA enabled");
    Ok(AppJson(BackupCodesResponse { backup_codes }))
}

/// Turns MFA off; needs the password and a code.
#[utoipa::path(post, path = "/v1/auth/mfa/disable", tag = "auth", security(("bearer" = [])), request_body = MfaDisableRequest,
    responses((status = 204), (status = 422, body = Body), (status = 409, body = Body), (status = 429, body = Body)))]
pub async fn disable(
    auth: AuthContext,
    State(state): State<AuthState>,
    AppJson(req): AppJson<MfaDisableRequest>,
) -> Result<StatusCode, AuthError> {
    let sealer = state.keys.sealer().await?;
    state
        .accounts
        .disable_mfa(&sealer, &auth.0, &req.password, &req.code)
        .await?;
    tracing::info!(user_id = %auth.0.user_id, "MFA disabled");
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the backup codes (the old ones die); needs a code.
#[utoipa::path(post, path = "/v1/auth/mfa/backup-codes", tag = "auth", security(("bearer" = [])), request_body = MfaCodeRequest,
    responses((status = 200, body = BackupCodesResponse), (status = 422, body = Body), (status = 409, body = Body),
        (status = 429, body = Body)))]
pub async fn backup_codes(
    auth: AuthContext,
    State(state): State<AuthState>,
    AppJson(req): AppJson<MfaCodeRequest>,
) -> Result<AppJson<BackupCodesResponse>, AuthError> {
    let sealer = state.keys.sealer().await?;
    let backup_codes = state
        .accounts
        .regenerate_backup_codes(&sealer, &auth.0, &req.code)
        .await?;
    Ok(AppJson(BackupCodesResponse { backup_codes }))
}
