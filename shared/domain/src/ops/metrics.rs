//! Request and queue metrics: what every HTTP function records about each request it answers (one request,
//! whether it was a 4xx or a 5xx, and its latency as a count in one of fixed buckets), the windows an operator
//! reads them over, the percentiles read back from the buckets' summed counts, and the report of functions,
//! queues and the kill switch.
//!
//! Latency is a fixed-bucket histogram, not raw values, so that one read serves deployments and the local
//! emulator alike: CloudWatch's percentile statistics exist only in AWS (moto answers Sum, Average, Minimum,
//! Maximum and SampleCount), while a sum of per-bucket counts is the same everywhere. A percentile read so is
//! exact to within the bucket that holds it (docs/decisions.md, "Request and queue metrics").

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use serde::Deserialize;

use crate::ops::dead_letters::RedrivableQueue;
use crate::ops::kill_switch::KillSwitch;

/// The namespace every function's request metrics are recorded under.
pub const NAMESPACE: &str = "TradeSense";

/// The dimension naming the function a figure belongs to; its value is the function's binary name
/// (`orders-api`).
pub const FUNCTION_DIMENSION: &str = "Function";

/// Requests answered: 1 per request.
pub const REQUESTS: &str = "Requests";

/// Requests answered with a 4xx status: 1 or 0 per request.
pub const ERRORS_4XX: &str = "Errors4xx";

/// Requests answered with a 5xx status: 1 or 0 per request.
pub const ERRORS_5XX: &str = "Errors5xx";

/// Upper bounds of the latency buckets, in milliseconds (Prometheus's default buckets, 5 ms to 10 s). A
/// request counts in the first bucket whose bound its latency does not exceed, else in the open bucket above
/// the last bound.
pub const LATENCY_BOUNDS_MS: [u32; 11] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// How many latency buckets there are: one per bound, and the open one above the last.
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// Each latency bucket's metric, in bucket order (`LatencyLe<bound>ms`, then `LatencyOver10000ms`).
pub const LATENCY_METRICS: [&str; LATENCY_BUCKETS] = [
    "LatencyLe5ms",
    "LatencyLe10ms",
    "LatencyLe25ms",
    "LatencyLe50ms",
    "LatencyLe100ms",
    "LatencyLe250ms",
    "LatencyLe500ms",
    "LatencyLe1000ms",
    "LatencyLe2500ms",
    "LatencyLe5000ms",
    "LatencyLe10000ms",
    "LatencyOver10000ms",
];

/// The bucket `latency` counts in (an index into [`LATENCY_METRICS`]).
pub fn latency_bucket(latency: Duration) -> usize {
    let micros = latency.as_micros();
    LATENCY_BOUNDS_MS
        .iter()
        .position(|&bound| micros <= u128::from(bound) * 1_000)
        .unwrap_or(LATENCY_BOUNDS_MS.len())
}

/// One request as its function records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSample<'a> {
    /// The function that answered (its binary name).
    pub function: &'a str,
    /// The HTTP status it answered with.
    pub status: u16,
    /// How long it took to answer.
    pub latency: Duration,
    /// When it was answered.
    pub at: DateTime<Utc>,
}

impl RequestSample<'_> {
    /// Each metric the request adds to, and by how much: [`REQUESTS`] 1, [`ERRORS_4XX`] and [`ERRORS_5XX`] 1
    /// or 0, and its latency bucket's metric 1 (the other buckets are not recorded at all).
    pub fn counts(&self) -> [(&'static str, u64); 4] {
        [
            (REQUESTS, 1),
            (ERRORS_4XX, u64::from((400..500).contains(&self.status))),
            (ERRORS_5XX, u64::from((500..600).contains(&self.status))),
            (LATENCY_METRICS[latency_bucket(self.latency)], 1),
        ]
    }
}

/// The span of time the admin metrics route sums over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum MetricsWindow {
    /// The last 5 minutes.
    #[serde(rename = "5m")]
    FiveMinutes,
    /// The last 15 minutes.
    #[serde(rename = "15m")]
    FifteenMinutes,
    /// The last hour (the default).
    #[default]
    #[serde(rename = "1h")]
    OneHour,
    /// The last 6 hours.
    #[serde(rename = "6h")]
    SixHours,
    /// The last 24 hours.
    #[serde(rename = "24h")]
    OneDay,
}

impl MetricsWindow {
    /// Every window, shortest first.
    pub const ALL: [MetricsWindow; 5] = [
        MetricsWindow::FiveMinutes,
        MetricsWindow::FifteenMinutes,
        MetricsWindow::OneHour,
        MetricsWindow::SixHours,
        MetricsWindow::OneDay,
    ];

    /// Its name in the API (`5m`, `15m`, `1h`, `6h`, `24h`).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricsWindow::FiveMinutes => "5m",
            MetricsWindow::FifteenMinutes => "15m",
            MetricsWindow::OneHour => "1h",
            MetricsWindow::SixHours => "6h",
            MetricsWindow::OneDay => "24h",
        }
    }

    /// Its length.
    pub fn length(self) -> TimeDelta {
        match self {
            MetricsWindow::FiveMinutes => TimeDelta::minutes(5),
            MetricsWindow::FifteenMinutes => TimeDelta::minutes(15),
            MetricsWindow::OneHour => TimeDelta::hours(1),
            MetricsWindow::SixHours => TimeDelta::hours(6),
            MetricsWindow::OneDay => TimeDelta::hours(24),
        }
    }

    /// The window that ends with the minute `now` falls in, on whole minutes (CloudWatch rounds a recent start
    /// time down to the minute, so the range read is the range reported): `to` is the start of the next minute
    /// and `from` one window earlier.
    pub fn ending_at(self, now: DateTime<Utc>) -> MetricsRange {
        let minute = now
            .with_nanosecond(0)
            .and_then(|t| t.with_second(0))
            .unwrap_or(now);
        let to = minute + TimeDelta::minutes(1);
        MetricsRange {
            from: to - self.length(),
            to,
        }
    }
}

/// A span of time, `from` inclusive to `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsRange {
    /// The first instant counted.
    pub from: DateTime<Utc>,
    /// The first instant not counted.
    pub to: DateTime<Utc>,
}

impl MetricsRange {
    /// Its length in whole seconds.
    pub fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }
}

/// Request counts per latency bucket, in bucket order ([`LATENCY_METRICS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u64; LATENCY_BUCKETS],
}

impl LatencyHistogram {
    /// A histogram of `counts`, one per bucket.
    pub fn from_counts(counts: [u64; LATENCY_BUCKETS]) -> Self {
        Self { counts }
    }

    /// The requests counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The latency under which a share `q` (0 < q ≤ 1) of the requests were answered, in milliseconds to
    /// 0.01 ms; `None` without requests. The request of rank `q × total` is found in its bucket and placed by
    /// linear interpolation between the bucket's bounds (the first bucket starts at 0 ms), as if the bucket's
    /// requests were spread evenly across it. A rank in the open bucket above 10 s reads as 10,000 ms (at
    /// least that long).
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut below = 0u64;
        let mut lower = 0.0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            let Some(&bound) = LATENCY_BOUNDS_MS.get(bucket) else {
                // The open bucket: no upper bound to interpolate towards.
                return Some(lower);
            };
            let upper = f64::from(bound);
            if count > 0 && rank <= (below + count) as f64 {
                let within = (rank - below as f64) / count as f64;
                let ms = lower + (upper - lower) * within;
                return Some((ms * 100.0).round() / 100.0);
            }
            below += count;
            lower = upper;
        }
        Some(lower)
    }
}

/// One function's figures over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionMetrics {
    /// The function (its binary name).
    pub function: String,
    /// Requests answered.
    pub requests: u64,
    /// Of which with a 4xx status.
    pub errors_4xx: u64,
    /// Of which with a 5xx status.
    pub errors_5xx: u64,
    /// Their latencies.
    pub latency: LatencyHistogram,
}

impl FunctionMetrics {
    /// A function that recorded nothing.
    pub fn idle(function: &str) -> Self {
        Self {
            function: function.to_owned(),
            requests: 0,
            errors_4xx: 0,
            errors_5xx: 0,
            latency: LatencyHistogram::default(),
        }
    }
}

/// What the metric store holds for a range: each function's figures and each queue's oldest message age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMetrics {
    /// One per function asked for, in the order asked.
    pub functions: Vec<FunctionMetrics>,
    /// The oldest message age in seconds of each queue asked for, in the order asked; `None` where nothing was
    /// published for the range.
    pub oldest_message_ages: Vec<(RedrivableQueue, Option<u64>)>,
}

/// A worker queue's messages now, and its dead-letter queue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    /// The queue.
    pub queue: RedrivableQueue,
    /// Messages waiting to be received.
    pub depth: u64,
    /// Messages received and not yet deleted or returned (in flight).
    pub in_flight: u64,
    /// Messages waiting in its dead-letter queue.
    pub dlq_depth: u64,
}

/// A worker queue as the metrics report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueMetrics {
    /// Its depths now.
    pub depth: QueueDepth,
    /// The age of its oldest message over the range, in seconds (`None` where the store has no figure).
    pub oldest_age_seconds: Option<u64>,
}

/// The admin metrics report.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsReport {
    /// The window asked for.
    pub window: MetricsWindow,
    /// The range it covers.
    pub range: MetricsRange,
    /// Each function's figures.
    pub functions: Vec<FunctionMetrics>,
    /// Each worker queue's figures.
    pub queues: Vec<QueueMetrics>,
    /// The kill switch, if it was ever flipped (never flipped: off).
    pub kill_switch: Option<KillSwitch>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn each_bucket_has_its_metric_and_latencies_fall_in_the_first_bucket_that_holds_them() {
        for (bound, name) in LATENCY_BOUNDS_MS.iter().zip(LATENCY_METRICS) {
            assert_eq!(name, format!("LatencyLe{bound}ms"));
        }
        assert_eq!(LATENCY_METRICS[LATENCY_BUCKETS - 1], "LatencyOver10000ms");
        let ms = Duration::from_millis;
        assert_eq!(latency_bucket(Duration::ZERO), 0);
        assert_eq!(latency_bucket(ms(5)), 0, "a bound is inside its bucket");
        assert_eq!(latency_bucket(ms(5) + Duration::from_micros(1)), 1);
        assert_eq!(latency_bucket(ms(99)), 4);
        assert_eq!(latency_bucket(ms(10_000)), 10);
        assert_eq!(latency_bucket(ms(10_001)), 11);
        assert_eq!(latency_bucket(Duration::from_secs(3_600)), 11);
    }

    #[rstest]
    #[case(200, [1, 0, 0])]
    #[case(302, [1, 0, 0])]
    #[case(404, [1, 1, 0])]
    #[case(429, [1, 1, 0])]
    #[case(503, [1, 0, 1])]
    fn a_request_counts_once_with_its_error_class_and_its_bucket(
        #[case] status: u16,
        #[case] want: [u64; 3],
    ) {
        let sample = RequestSample {
            function: "orders-api",
            status,
            latency: Duration::from_millis(30),
            at: Utc::now(),
        };
        assert_eq!(
            sample.counts(),
            [
                (REQUESTS, want[0]),
                (ERRORS_4XX, want[1]),
                (ERRORS_5XX, want[2]),
                ("LatencyLe50ms", 1),
            ]
        );
    }

    #[test]
    fn percentiles_of_a_hundred_requests_by_hand() {
        // Buckets ≤5: 10, ≤10: 30, ≤25: 40, ≤50: 12, ≤100: 8 (100 requests).
        let h = LatencyHistogram::from_counts([10, 30, 40, 12, 8, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(h.total(), 100);
        // p50: rank 50; 40 requests lie below 10 ms, so the 10th of the 40 in (10, 25]:
        // 10 + 15 × 10/40 = 13.75.
        assert_eq!(h.quantile_ms(0.50), Some(13.75));
        // p95: rank 95; 92 below 50 ms, so the 3rd of the 8 in (50, 100]: 50 + 50 × 3/8 = 68.75.
        assert_eq!(h.quantile_ms(0.95), Some(68.75));
        // p10: rank 10, the last of the 10 in [0, 5]: 5.
        assert_eq!(h.quantile_ms(0.10), Some(5.0));
        // p100: the slowest bucket's upper bound.
        assert_eq!(h.quantile_ms(1.0), Some(100.0));
    }

    #[test]
    fn empty_buckets_are_stepped_over_and_the_open_bucket_reads_as_its_lower_bound() {
        // 4 requests: 1 in (100, 250], 3 over 10 s.
        let h = LatencyHistogram::from_counts([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3]);
        // p20: rank 0.8 of the 1 request in (100, 250]: 100 + 150 × 0.8 = 220.
        assert_eq!(h.quantile_ms(0.20), Some(220.0));
        // p50: rank 2, in the open bucket: at least 10 s.
        assert_eq!(h.quantile_ms(0.50), Some(10_000.0));
        assert_eq!(LatencyHistogram::default().quantile_ms(0.5), None);
        // One request at 1 ms still reads as somewhere in [0, 5]: p50 2.5 ms.
        let one = LatencyHistogram::from_counts([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(one.quantile_ms(0.5), Some(2.5));
    }

    #[test]
    fn windows_parse_from_their_names_and_nothing_else() {
        for window in MetricsWindow::ALL {
            let parsed: MetricsWindow = serde_json::from_value(window.as_str().into()).unwrap();
            assert_eq!(parsed, window);
        }
        for bad in ["1d", "60m", "1H", "", "2h"] {
            assert!(
                serde_json::from_value::<MetricsWindow>(bad.into()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(MetricsWindow::default(), MetricsWindow::OneHour);
    }

    #[test]
    fn a_window_ends_with_the_current_minute_on_whole_minutes() {
        let now: DateTime<Utc> = "2026-12-04T10:17:42.5Z".parse().unwrap();
        let range = MetricsWindow::OneHour.ending_at(now);
        assert_eq!(range.to, "2026-12-04T10:18:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(
            range.from,
            "2026-12-04T09:18:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(range.seconds(), 3_600);
        let lengths: Vec<i64> = MetricsWindow::ALL
            .iter()
            .map(|w| w.ending_at(now).seconds())
            .collect();
        assert_eq!(lengths, [300, 900, 3_600, 21_600, 86_400]);
    }
}
