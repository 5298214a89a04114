//! Scheduled jobs: what EventBridge schedules ask the scheduler function to run. Each schedule's input names
//! one job (`{"job": "heartbeat"}`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A job the scheduler can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduledJob {
    /// Records that the schedule fired; the deep health check reports its age, which shows the scheduling
    /// path (EventBridge → scheduler → DynamoDB) works end to end.
    Heartbeat,
    /// Rebuilds the instrument master for today's expiries and publishes it as the current snapshot.
    InstrumentRefresh,
    /// One tick of the paper exchange: working orders trigger, fill or expire against the market, and the
    /// end of the day (square-off, roll-over to holdings) is applied once due.
    PaperMatch,
    /// Evaluates every active alert against the market and queues what triggered (market hours only).
    AlertScan,
    /// Writes every paper account's end-of-day snapshot of each closed session it lacks (missed days too).
    EodSnapshots,
}

impl ScheduledJob {
    /// The job's stable name (`heartbeat`), used in schedule inputs and storage keys.
    pub fn name(self) -> &'static str {
        match self {
            ScheduledJob::Heartbeat => "heartbeat",
            ScheduledJob::InstrumentRefresh => "instrument-refresh",
            ScheduledJob::PaperMatch => "paper-match",
            ScheduledJob::AlertScan => "alert-scan",
            ScheduledJob::EodSnapshots => "eod-snapshots",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_schedule_input_and_rejects_unknown_jobs() {
        let req: JobRequest = serde_json::from_str(r#"{"job":"heartbeat"}"#).unwrap();
        assert_eq!(req.job, ScheduledJob::Heartbeat);
        assert!(serde_json::from_str::<JobRequest>(r#"{"job":"rm-rf"}"#).is_err());
    }
}
