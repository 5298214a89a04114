//! Dependency probes for the deep health check: one cheap, read-only round trip each, bounded in time.

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use tradesense_domain::ops::ports::DependencyCheck;

use crate::dynamo::Table;

/// How long one probe may take before the dependency counts as down.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

async fn bounded<T>(what: &str, f: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::time::timeout(PROBE_TIMEOUT, f)
        .await
        .with_context(|| format!("{what} timed out"))?
}

/// Probes the table with `DescribeTable` and requires it to be `ACTIVE`.
#[derive(Debug, Clone)]
pub struct DynamoDbCheck(pub Table);

#[async_trait]
impl DependencyCheck for DynamoDbCheck {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    async fn check(&self) -> anyhow::Result<()> {
        let out = bounded("describe table", async {
            self.0
                .client()
                .describe_table()
                .table_name(self.0.name())
                .send()
                .await
                .context("describe table")
        })
        .await?;
        let status = out
            .table
            .and_then(|t| t.table_status)
            .context("table has no status")?;
        anyhow::ensure!(status.as_str() == "ACTIVE", "table status is {status}");
        Ok(())
    }
}

/// Probes a queue with `GetQueueAttributes`.
#[derive(Debug, Clone)]
pub struct SqsCheck {
    /// The client.
    pub client: aws_sdk_sqs::Client,
    /// The queue to probe.
    pub queue_url: String,
}

#[async_trait]
impl DependencyCheck for SqsCheck {
    fn name(&self) -> &'static str {
        "sqs"
    }

    async fn check(&self) -> anyhow::Result<()> {
        bounded("get queue attributes", async {
            self.client
                .get_queue_attributes()
                .queue_url(&self.queue_url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .send()
                .await
                .context("get queue attributes")
        })
        .await?;
        Ok(())
    }
}

/// Probes Secrets Manager with `DescribeSecret` (metadata only: no secret value is fetched).
#[derive(Debug, Clone)]
pub struct SecretsManagerCheck {
    /// The client.
    pub client: aws_sdk_secretsmanager::Client,
    /// A secret the function is allowed to describe.
    pub secret_id: String,
}

#[async_trait]
impl DependencyCheck for SecretsManagerCheck {
    fn name(&self) -> &'static str {
        "secretsmanager"
    }

    async fn check(&self) -> anyhow::Result<()> {
        bounded("describe secret", async {
            self.client
                .describe_secret()
                .secret_id(&self.secret_id)
                .send()
                .await
                .context("describe secret")
        })
        .await?;
        Ok(())
    }
}
