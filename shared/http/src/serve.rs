//! Runs a router under the Lambda runtime when deployed (or under `cargo lambda watch`), and as a plain local
//! HTTP server otherwise. Nothing else differs between the two.

use axum::Router;

/// Serves `app`: under Lambda when `AWS_LAMBDA_RUNTIME_API` is set, else on `LOCAL_ADDR`
/// (default `127.0.0.1:3000`).
///
/// # Errors
/// When the runtime or the listener fails.
pub async fn serve(app: Router) -> Result<(), lambda_http::Error> {
    if std::env::var("AWS_LAMBDA_RUNTIME_API").is_ok() {
        return lambda_http::run(app).await;
    }
    let addr = std::env::var("LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "serving without Lambda (no authorizer in front: protected routes answer 401)");
    axum::serve(listener, app).await?;
    Ok(())
}
