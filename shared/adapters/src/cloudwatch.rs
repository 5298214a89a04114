//! [`MetricStore`] over CloudWatch's `GetMetricData`: every function's request counters and latency buckets
//! (Stat `Sum`) and every queue's `AWS/SQS ApproximateAgeOfOldestMessage` (Stat `Maximum`), one period as
//! long as the range, all in one call (a call takes up to 500 queries; more are split into calls made at once).
//! The same code reads CloudWatch in deployments and the emulator locally.

use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat};
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::metrics::{
    ERRORS_4XX, ERRORS_5XX, FUNCTION_DIMENSION, FunctionMetrics, LATENCY_BUCKETS, LATENCY_METRICS,
    LatencyHistogram, MetricsRange, NAMESPACE, REQUESTS, StoredMetrics,
};
use tradesense_domain::ops::ports::MetricStore;

use crate::aws::sdk_error;

/// The most queries one `GetMetricData` call takes.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// The metrics read per function, in query order: the three counters, then each latency bucket.
const COUNTERS: [&str; 3] = [REQUESTS, ERRORS_4XX, ERRORS_5XX];

/// Queries per function.
const PER_FUNCTION: usize = COUNTERS.len() + LATENCY_BUCKETS;

/// [`MetricStore`] reading CloudWatch.
#[derive(Clone, Debug)]
pub struct CloudWatchMetrics {
    client: aws_sdk_cloudwatch::Client,
    queue_names: HashMap<RedrivableQueue, String>,
}

impl CloudWatchMetrics {
    /// A reader whose queues are `queues`: each with its URL (SQS's metrics name a queue by the URL's last
    /// segment).
    pub fn new(
        client: aws_sdk_cloudwatch::Client,
        queues: impl IntoIterator<Item = (RedrivableQueue, String)>,
    ) -> Self {
        Self {
            client,
            queue_names: queues
                .into_iter()
                .map(|(queue, url)| {
                    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
                    (queue, name)
                })
                .collect(),
        }
    }

    /// Every query's values, by id: the queries split into calls of at most [`MAX_QUERIES_PER_CALL`], made at
    /// once, each followed through its pages.
    async fn values(
        &self,
        range: &MetricsRange,
        queries: Vec<MetricDataQuery>,
    ) -> anyhow::Result<HashMap<String, Vec<f64>>> {
        let calls = queries
            .chunks(MAX_QUERIES_PER_CALL)
            .map(|chunk| self.call(range, chunk.to_vec()));
        let results = futures::future::try_join_all(calls).await?;
        Ok(results
            .into_iter()
            .flatten()
            .filter_map(|r| Some((r.id?, r.values.unwrap_or_default())))
            .fold(HashMap::new(), |mut values, (id, more)| {
                values.entry(id).or_insert_with(Vec::new).extend(more);
                values
            }))
    }

    /// One `GetMetricData` call of `queries`, and its further pages if any.
    async fn call(
        &self,
        range: &MetricsRange,
        queries: Vec<MetricDataQuery>,
    ) -> anyhow::Result<Vec<MetricDataResult>> {
        let mut results = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_secs(range.from.timestamp()))
                .end_time(DateTime::from_secs(range.to.timestamp()))
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| sdk_error(e, "get metric data"))?;
            results.extend(page.metric_data_results.unwrap_or_default());
            next_token = page.next_token;
            if next_token.is_none() {
                return Ok(results);
            }
        }
    }
}

/// A query of `metric` in `namespace` with one dimension, summarised by `stat` over one period of `seconds`.
fn query(
    id: String,
    namespace: &str,
    metric: &str,
    dimension: (&str, &str),
    stat: &str,
    seconds: i32,
) -> MetricDataQuery {
    let dimension = Dimension::builder().name(dimension.0).value(dimension.1).build();
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(metric)
        .dimensions(dimension)
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(seconds)
        .stat(stat)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(true)
        .build()
}

/// Values (sums of whole counts) as a count.
fn count(values: Option<&Vec<f64>>) -> u64 {
    values.map_or(0, |v| v.iter().sum::<f64>().round() as u64)
}

#[async_trait]
impl MetricStore for CloudWatchMetrics {
    async fn read(
        &self,
        range: &MetricsRange,
        functions: &[String],
        queues: &[RedrivableQueue],
    ) -> anyhow::Result<StoredMetrics> {
        let seconds = i32::try_from(range.seconds()).context("metrics range too long")?;
        let mut queries = Vec::with_capacity(functions.len() * PER_FUNCTION + queues.len());
        for (f, function) in functions.iter().enumerate() {
            for (m, metric) in COUNTERS.iter().chain(&LATENCY_METRICS).enumerate() {
                let dimension = (FUNCTION_DIMENSION, function.as_str());
                queries.push(query(
                    format!("f{f}m{m}"),
                    NAMESPACE,
                    metric,
                    dimension,
                    "Sum",
                    seconds,
                ));
            }
        }
        for (q, queue) in queues.iter().enumerate() {
            let name = self
                .queue_names
                .get(queue)
                .with_context(|| format!("no queue configured for {}", queue.name()))?;
            let (metric, dimension) = ("ApproximateAgeOfOldestMessage", ("QueueName", name.as_str()));
            queries.push(query(
                format!("q{q}"),
                "AWS/SQS",
                metric,
                dimension,
                "Maximum",
                seconds,
            ));
        }
        let values = self.values(range, queries).await?;
        let metric = |f: usize, m: usize| count(values.get(&format!("f{f}m{m}")));
        let functions = functions
            .iter()
            .enumerate()
            .map(|(f, function)| FunctionMetrics {
                function: function.clone(),
                requests: metric(f, 0),
                errors_4xx: metric(f, 1),
                errors_5xx: metric(f, 2),
                latency: LatencyHistogram::from_counts(std::array::from_fn(|b| {
                    metric(f, COUNTERS.len() + b)
                })),
            })
            .collect();
        let oldest_message_ages = queues
            .iter()
            .enumerate()
            .map(|(q, queue)| {
                let oldest = values
                    .get(&format!("q{q}"))
                    .and_then(|v| v.iter().copied().reduce(f64::max));
                (*queue, oldest.map(|seconds| seconds.round() as u64))
            })
            .collect();
        Ok(StoredMetrics {
            functions,
            oldest_message_ages,
        })
    }
}
