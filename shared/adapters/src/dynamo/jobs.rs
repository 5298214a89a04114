//! Scheduled-job run times in DynamoDB.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::ops::jobs::ScheduledJob;
use tradesense_domain::ops::ports::JobRunLog;

use super::keys;
use super::table::Table;

const LAST_RUN_AT: &str = "last_run_at";

/// [`JobRunLog`] over the single table: one item per job, only ever moved forward in time.
#[derive(Clone, Debug)]
pub struct DynamoJobRunLog {
    table: Table,
}

impl DynamoJobRunLog {
    /// A job-run log in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl JobRunLog for DynamoJobRunLog {
    async fn record_run(&self, job: ScheduledJob, at: DateTime<Utc>) -> Result<(), RepoError> {
        let at = keys::sortable_time(at);
        let mut item = keys::job_run(job).to_attributes();
        item.insert("entity".to_owned(), AttributeValue::S("job_run".to_owned()));
        item.insert(LAST_RUN_AT.to_owned(), AttributeValue::S(at.clone()));
        let values = HashMap::from([(":at".to_owned(), AttributeValue::S(at))]);
        match self
            .table
            .put_if(item, "attribute_not_exists(pk) OR last_run_at < :at", values)
            .await
        {
            // A later run is already recorded: keep it.
            Err(RepoError::Conflict) => Ok(()),
            other => other,
        }
    }

    async fn last_run(&self, job: ScheduledJob) -> Result<Option<DateTime<Utc>>, RepoError> {
        let Some(item) = self.table.get(&keys::job_run(job)).await? else {
            return Ok(None);
        };
        let at = item
            .get(LAST_RUN_AT)
            .and_then(|v| v.as_s().ok())
            .context("job run item without last_run_at")?;
        let at = DateTime::parse_from_rfc3339(at)
            .context("job run time")?
            .with_timezone(&Utc);
        Ok(Some(at))
    }
}
