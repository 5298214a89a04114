//! Scheduled jobs: what EventBridge schedules ask the scheduler function to run. Each schedule's input names
//! one job (`{"job": "heartbeat"}`).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::{JobRunLog, RepoError};

/// A job the scheduler can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduledJob {
    /// Records that the schedule fired; the deep health check reports its age, which shows the scheduling
    /// path (EventBridge → scheduler → DynamoDB) works end to end.
    Heartbeat,
}

impl ScheduledJob {
    /// The job's stable name (`heartbeat`), used in schedule inputs and storage keys.
    pub fn name(self) -> &'static str {
        match self {
            ScheduledJob::Heartbeat => "heartbeat",
        }
    }
}

impl fmt::Display for ScheduledJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The input an EventBridge schedule passes to the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The job to run.
    pub job: ScheduledJob,
}

/// Runs one scheduled job at `now`.
///
/// # Errors
/// Whatever storage failure stopped the job.
pub async fn run_job(job: ScheduledJob, now: DateTime<Utc>, runs: &dyn JobRunLog) -> Result<(), RepoError> {
    match job {
        ScheduledJob::Heartbeat => runs.record_run(job, now).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::InMemoryJobRunLog;
    use chrono::TimeZone;

    #[test]
    fn parses_a_schedule_input_and_rejects_unknown_jobs() {
        let req: JobRequest = serde_json::from_str(r#"{"job":"heartbeat"}"#).unwrap();
        assert_eq!(req.job, ScheduledJob::Heartbeat);
        assert!(serde_json::from_str::<JobRequest>(r#"{"job":"rm-rf"}"#).is_err());
    }

    #[tokio::test]
    async fn heartbeat_records_its_run_time() {
        let runs = InMemoryJobRunLog::default();
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        run_job(ScheduledJob::Heartbeat, at, &runs).await.unwrap();
        assert_eq!(runs.last_run(ScheduledJob::Heartbeat).await.unwrap(), Some(at));
    }
}
