//! Request and response bodies of the auth routes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tradesense_domain::broker::link::BrokerLink;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::service::account::Tokens;
use tradesense_domain::identity::user::User;
use utoipa::ToSchema;

/// `POST /v1/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Login email (an address that does not validate is a 422).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 12 to 128 characters; one that is common or contains the email is a 422.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    /// Name shown in the UI (default: the mailbox name).
    pub display_name: Option<String>,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /v1/auth/refresh`. In cookie mode the body may be empty: the refresh cookie is used.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// Login or refresh in cookie mode: the tokens are in `HttpOnly` cookies; the page keeps the CSRF token and
/// sends it as `X-CSRF-Token` on every state-changing request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CookieSessionResponse {
    /// Echo it in `X-CSRF-Token`.
    pub csrf_token: String,
    /// Access-token lifetime, seconds.
    pub expires_in: i64,
    /// The user.
    pub user: UserDto,
}

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: String,
    /// Login email (normalised).
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Roles.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// Whether MFA is on.
    pub mfa_enabled: bool,
    /// The linked broker, if any (`linked` is false once its token has expired).
    pub broker: Option<BrokerStatusDto>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A broker link as `me` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokerStatusDto {
    /// `upstox`.
    pub name: &'static str,
    /// Whether the broker token still works.
    pub linked: bool,
    /// When the broker token stops working (03:30 IST after linking).
    pub expires_at: DateTime<Utc>,
}

impl BrokerStatusDto {
    /// The status of `link` at `now`.
    pub fn of(link: &BrokerLink, now: DateTime<Utc>) -> Self {
        Self {
            name: link.broker.as_str(),
            linked: link.is_live(now),
            expires_at: link.expires_at,
        }
    }
}

/// `GET /v1/auth/broker/upstox/authorize` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorizeUrlResponse {
    /// Send the browser here; Upstox redirects back to the callback with `code` and `state`.
    pub authorize_url: String,
}

/// `GET /v1/auth/broker/upstox/callback` query, as Upstox sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    /// Upstox's single-use authorization code.
    pub code: String,
    /// The `state` from the authorize URL.
    pub state: String,
}

/// `GET /v1/auth/broker/upstox/callback` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokerLinkedResponse {
    /// The new link.
    pub broker: BrokerStatusDto,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.to_string(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            mfa_enabled: u.mfa.enabled,
            broker: None,
            created_at: u.created_at,
        }
    }
}

/// `POST /v1/auth/register` → 201.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    /// The new account.
    pub user: UserDto,
}

/// A token pair (login, refresh).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Access JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque refresh token; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access-token lifetime, seconds.
    pub expires_in: i64,
    /// The user.
    pub user: UserDto,
}

impl From<&Tokens> for TokenResponse {
    fn from(t: &Tokens) -> Self {
        Self {
            access_token: t.access_token.clone(),
            refresh_token: t.refresh_token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: t.expires_in,
            user: UserDto::from(&t.user),
        }
    }
}

/// `POST /v1/auth/login` → 200 when MFA is on: finish at `POST /v1/auth/mfa/challenge` within 5 minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequiredResponse {
    /// Always `true`.
    pub mfa_required: bool,
    /// Proof that the password was right; good only for the challenge.
    pub mfa_token: String,
}

/// `POST /v1/auth/mfa/challenge`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaChallengeRequest {
    /// From the login response.
    pub mfa_token: String,
    /// A 6-digit TOTP code or an unused backup code.
    pub code: String,
}

/// `POST /v1/auth/mfa/enable` and `POST /v1/auth/mfa/backup-codes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    /// A 6-digit TOTP code (or, for new backup codes, an unused backup code).
    pub code: String,
}

/// `POST /v1/auth/mfa/disable`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaDisableRequest {
    /// The account password.
    pub password: String,
    /// A 6-digit TOTP code or an unused backup code.
    pub code: String,
}

/// `POST /v1/auth/mfa/setup` → 200: enrol an authenticator app, then confirm with `enable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaSetupResponse {
    /// Base32 secret, for typing in.
    pub secret: String,
    /// `otpauth://totp/…` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code, PNG, standard base64.
    pub qr_png_base64: String,
}

/// Fresh backup codes: shown once, stored only as hashes, each usable once.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCodesResponse {
    /// Ten codes (`abcd-efgh-jkmn-pqrs`).
    pub backup_codes: Vec<String>,
}
