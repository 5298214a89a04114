//! The ticker: an EventBridge schedule invokes it every minute, and for that minute it runs the push
//! channel's tick ([`StreamService::tick`]) about once a second: every subscribed instrument quoted with one
//! read, fanned out to every subscriber, `reconnect` to connections near their 2 hours, gone connections
//! deleted. A tick that fails is logged and the next one tries again; the run ends before the next
//! invocation begins.

use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tradesense_domain::stream::service::StreamService;

/// How often the ticker ticks.
pub const TICK_EVERY: Duration = Duration::from_secs(1);

/// How long one invocation ticks: just under the schedule's minute, so runs do not overlap.
pub const RUN_FOR: Duration = Duration::from_secs(58);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Ticks run.
    pub ticks: usize,
    /// Ticks that failed (logged).
    pub failed: usize,
    /// Frames delivered over all ticks.
    pub sent: usize,
}

/// Ticks every `every` until `run_for` has passed (a tick running late is not made up).
pub async fn run(stream: &StreamService, run_for: Duration, every: Duration) -> RunReport {
    let end = Instant::now() + run_for;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut report = RunReport::default();
    loop {
        ticks.tick().await;
        if Instant::now() >= end {
            break;
        }
        report.ticks += 1;
        match stream.tick().await {
            Ok(tick) => report.sent += tick.push.sent,
            Err(e) => {
                report.failed += 1;
                tracing::warn!(error = ?e, "stream tick failed; the next tick tries again");
            }
        }
    }
    tracing::info!(?report, "ticker run done");
    report
}
