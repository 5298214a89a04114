//! Each request's origin (its id, the caller's IP, the authenticated user: `tradesense_domain::kernel::
//! origin`), scoped around the whole of its handling so the audit trail stamps every event it records with
//! it. The request-id layer scopes it from the API Gateway context the request arrives with (the Lambda); the
//! local gateway, which builds that context inside the layers, scopes it again once the context is there
//! ([`within_context`]).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tradesense_domain::kernel::origin::RequestOrigin;

use crate::{auth, client, request_id};

/// The origin of `req`, assigned `request_id`: the source IP and the authenticated user as its API Gateway
/// context states them (none without a context, or without an authorizer's principal).
pub fn of(req: &Request, request_id: String) -> RequestOrigin {
    RequestOrigin {
        request_id,
        source_ip: client::source_ip(req.extensions()),
        actor: auth::principal(req.extensions()).map(|p| p.user_id),
    }
}

/// Runs the rest of `req` in the origin its API Gateway context gives, under the request id already assigned:
/// for a gateway that inserts the context after the request-id layer ran (the local gateway).
pub async fn within_context(req: Request, next: Next) -> Response {
    let origin = of(&req, request_id::current().unwrap_or_default());
    origin.scope(next.run(req)).await
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::{HttpConfig, with_conventions};

    /// A router whose one route answers with the origin its handler sees, and the `X-Request-Id` sent.
    async fn seen(req: http::Request<Body>) -> (serde_json::Value, String) {
        async fn handler() -> axum::Json<serde_json::Value> {
            let origin = RequestOrigin::current();
            axum::Json(serde_json::json!({
                "request_id": origin.as_ref().map(|o| o.request_id.clone()),
                "source_ip": origin.as_ref().and_then(|o| o.source_ip.clone()),
                "actor": origin.and_then(|o| o.actor).map(|a| a.to_string()),
            }))
        }
        let app = with_conventions(
            Router::new().route("/v1/admin/health", get(handler)),
            &HttpConfig::default(),
        );
        let response = app.oneshot(req).await.unwrap();
        let header = response.headers()[request_id::HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (serde_json::from_slice(&body).unwrap(), header)
    }

    #[tokio::test]
    async fn a_handler_runs_in_the_origin_api_gateways_context_gives() {
        let req = lambda_http::request::from_str(include_str!("../../../events/admin-health.json"))
            .unwrap()
            .map(|b| Body::from(b.to_vec()));
        let (origin, header) = seen(req).await;
        assert_eq!(
            origin,
            serde_json::json!({"request_id": "Jt1Hh3pXBcwEJbQ=", "source_ip": "203.0.113.7",
                "actor": "01JDQ8ZK3M4N5P6Q7R8S9T0AD1"})
        );
        assert_eq!(header, "Jt1Hh3pXBcwEJbQ=");

        let public =
            lambda_http::request::from_str(include_str!("../../../events/admin-health-no-context.json"))
                .unwrap()
                .map(|b| Body::from(b.to_vec()));
        let (origin, _) = seen(public).await;
        assert_eq!(origin["source_ip"], "203.0.113.7");
        assert_eq!(
            origin["actor"],
            serde_json::Value::Null,
            "no principal: nobody acted"
        );
    }

    #[tokio::test]
    async fn without_a_gateway_context_the_origin_is_only_the_assigned_request_id() {
        let req = http::Request::get("/v1/admin/health")
            .header("x-request-id", "spoofed")
            .body(Body::empty())
            .unwrap();
        let (origin, header) = seen(req).await;
        assert_eq!(origin["request_id"], header.as_str());
        assert_ne!(header, "spoofed");
        assert_eq!(
            (&origin["source_ip"], &origin["actor"]),
            (&serde_json::Value::Null, &serde_json::Value::Null)
        );
    }
}
