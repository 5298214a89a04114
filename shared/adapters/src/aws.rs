//! One `SdkConfig` per process and every client built from it once, at cold start.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::SdkError;

use crate::config::AwsSettings;

/// The AWS clients a function may use. Cheap to clone (each client is an `Arc` inside).
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// Secrets Manager.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// CloudWatch (the admin function's metrics reads; the local stack's metric sink).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// The shared configuration, for clients built per endpoint (`@connections`).
    pub sdk: aws_config::SdkConfig,
}

impl AwsClients {
    /// Loads the shared configuration (region, credentials, endpoint override) once and builds every client.
    /// Calls are bounded: 1 s to connect, 5 s per attempt, 10 s per operation, 3 attempts with backoff.
    ///
    /// With a [`warm_up_table`](AwsSettings::warm_up_table) it then opens the table connection
    /// ([`Self::warm_up`]).
    ///
    /// An endpoint override means an emulator: the client then uses the emulator's fixed test credentials and
    /// `us-east-1`, so a local run never reaches for real credentials (or the EC2 metadata address).
    pub async fn load(settings: &AwsSettings) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_attempt_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(10))
                    .build(),
            );
        if let Some(url) = &settings.endpoint_url {
            loader = loader
                .endpoint_url(url)
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("test", "test", None, None, "emulator"));
        }
        let sdk = loader.load().await;
        let clients = Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            secrets: aws_sdk_secretsmanager::Client::new(&sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
            sdk,
        };
        if let Some(table) = &settings.warm_up_table {
            clients.warm_up(table).await;
        }
        clients
    }

    /// Opens the DynamoDB connection during init with one read of a key nothing is stored under, best
    /// effort, for at most [`WARM_UP_LIMIT`]. A cold start's first AWS call pays the TLS library's entropy
    /// seeding, DNS, TCP and TLS and the SDK's first-call setup (24 ms against 2.5 ms warm, measured by `TLS=1
    /// make bench-lambda`); paid here it runs with init's full CPU, and the connection waits in the pool for
    /// the first request. Any answer, even a refusal (a function allowed only to write), means the
    /// connection is open; no answer is logged and init goes on.
    async fn warm_up(&self, table: &str) {
        let read = self
            .dynamodb
            .get_item()
            .table_name(table)
            .set_key(Some(crate::dynamo::keys::warm_up().to_attributes()))
            .send();
        match tokio::time::timeout(WARM_UP_LIMIT, read).await {
            Ok(Ok(_)) | Ok(Err(SdkError::ServiceError(_))) => {}
            Ok(Err(e)) => tracing::warn!(error = ?e, "table warm-up got no answer"),
            Err(_) => tracing::warn!("table warm-up timed out"),
        }
    }
}

/// The longest a function's init waits for its table warm-up.
pub const WARM_UP_LIMIT: Duration = Duration::from_secs(1);

/// A call to an AWS service that got no answer: it timed out, or could not be sent (connection refused or
/// reset). APIs answer it with 503 and Retry-After, never 500: trying again shortly may well work.
#[derive(Debug, thiserror::Error)]
#[error("no answer (timed out or not sent)")]
pub struct Unavailable {
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// An SDK failure of the call `what`, marked [`Unavailable`] when the service gave no answer.
pub fn sdk_error<E, R>(error: SdkError<E, R>, what: &str) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match error {
        // The marker sits under the call's context, so wrappers that show only what is beneath their own
        // error (a transparent `RepoError`) still carry it.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => anyhow::Error::new(Unavailable {
            source: Box::new(error),
        })
        .context(what.to_owned()),
        other => anyhow::Error::new(other).context(what.to_owned()),
    }
}

/// Whether `error` is, or was caused by, an [`Unavailable`] call.
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<Unavailable>() {
            return true;
        }
        next = e.source();
    }
    false
}
