//! Lambda entry point of the authorizer.

use authorizer::{Authorizer, AuthorizerConfig};
use aws_lambda_events::event::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::{AwsClients, config::process_env, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = AuthorizerConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let authorizer = Authorizer::from_aws(&aws, &cfg);
    authorizer.warm_up().await;
    let authorizer = &authorizer;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async move {
            Ok::<_, Error>(authorizer.handle(&event.payload).await)
        },
    ))
    .await
}
