//! The scheduler: EventBridge schedules invoke it with `detail: {"job": "<name>"}` and it runs that job.
//! A failed job returns an error, so Lambda's asynchronous retries apply.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use tradesense_domain::jobs::{JobRequest, run_job};
use tradesense_domain::ports::{Clock, JobRunLog, RepoError};

/// Runs the job one schedule invocation names.
///
/// # Errors
/// The job's storage failure.
pub async fn handle(
    runs: &dyn JobRunLog,
    clock: &dyn Clock,
    event: EventBridgeEvent<JobRequest>,
) -> Result<(), RepoError> {
    let job = event.detail.job;
    run_job(job, clock.now(), runs).await?;
    tracing::info!(%job, "scheduled job done");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tradesense_domain::jobs::ScheduledJob;
    use tradesense_domain::testing::{FixedClock, InMemoryJobRunLog};

    #[tokio::test]
    async fn runs_the_job_the_checked_in_schedule_event_names() {
        let event: EventBridgeEvent<JobRequest> =
            serde_json::from_str(include_str!("../../../events/scheduler-heartbeat.json")).unwrap();
        let runs = InMemoryJobRunLog::default();
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        handle(&runs, &FixedClock(now), event).await.unwrap();
        assert_eq!(runs.last_run(ScheduledJob::Heartbeat).await.unwrap(), Some(now));
    }
}
