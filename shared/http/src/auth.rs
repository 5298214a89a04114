//! The caller's identity, as the Lambda authorizer established it. API Gateway passes the authorizer's
//! context to the function in `requestContext.authorizer.lambda`; the local gateway inserts the same context
//! after running the same verification. There is no other way in: no header, flag or feature bypasses it.

use axum::extract::FromRequestParts;
use http::Extensions;
use http::request::Parts;
use lambda_http::request::RequestContext;
use tradesense_domain::identity::rbac::{Permission, Principal};

use crate::error::ApiError;

/// The authenticated caller. Extracting it fails with 401 when the request carries no valid authorizer
/// context.
#[derive(Debug, Clone)]
pub struct AuthContext(pub Principal);

impl AuthContext {
    /// The guard every protected handler declares: the caller's principal if a role grants `permission`.
    ///
    /// # Errors
    /// `403 FORBIDDEN` otherwise.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if self.0.has(permission) {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The principal in the authorizer context among a request's `extensions`, if it holds a valid one.
pub(crate) fn principal(extensions: &Extensions) -> Option<Principal> {
    match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => Principal::from_context(&ctx.authorizer.as_ref()?.fields),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        principal(&parts.extensions)
            .map(AuthContext)
            .ok_or_else(ApiError::unauthorized)
    }
}
