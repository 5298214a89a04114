//! `hello-lambda`: the baseline of `make bench-lambda` (infra/bench/lambda.py).
//!
//! A Lambda function that does nothing but answer `{"hello": "world"}`, on the same runtime (`lambda_runtime`,
//! a multi-threaded tokio runtime) and release profile as the real functions, so its cold start is the floor
//! theirs are compared with: whatever a function spends above it is its own initialisation.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// Answers every event, whatever it holds, with `{"hello": "world"}`.
///
/// # Errors
/// Never; the signature is the one `lambda_runtime` expects of a handler.
pub async fn hello(_event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({ "hello": "world" }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(hello)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    #[tokio::test]
    async fn answers_hello_world_whatever_the_event() {
        let event = LambdaEvent::new(json!({ "anything": [1, 2, 3] }), Context::default());
        let answer = hello(event).await.unwrap();
        assert_eq!(answer, json!({ "hello": "world" }));
    }
}
