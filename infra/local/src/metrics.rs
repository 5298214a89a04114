//! The local stack's request metrics. Deployed, a function prints one EMF document per request and CloudWatch
//! Logs extracts the metrics from it; here the same documents go to [`EmulatorSink`], which extracts them the
//! same way ([`extract`]) and puts them into the emulator with `PutMetricData`, so the admin metrics route reads
//! them with the same code as in AWS. It works off the request path: a request only hands its document to a
//! channel; a background task sums what arrived per metric, dimensions and minute (statistic sets, what
//! CloudWatch itself keeps) and puts it every [`FLUSH_EVERY`] or as soon as [`FLUSH_AT`] sets are waiting.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tradesense_adapters::metrics::MetricSink;

/// How long a document waits at most before it is put.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How many statistic sets are put at once (and one `PutMetricData` call's size).
pub const FLUSH_AT: usize = 20;

/// Documents waiting for the background task; more are dropped (and logged) rather than slow a request.
const QUEUE: usize = 10_000;

/// One metric value set an EMF document declares, as CloudWatch Logs extracts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its unit, if declared.
    pub unit: Option<String>,
    /// Its dimensions: each name with the document's value for it.
    pub dimensions: Vec<(String, String)>,
    /// The document's time, epoch milliseconds.
    pub at_millis: i64,
    /// Its values (one, or the document's array).
    pub values: Vec<f64>,
}

/// The metrics `document` declares, per the EMF specification: for each directive of `_aws.CloudWatchMetrics`,
/// each of its dimension sets and each of its metrics, the metric's value (a number or an array of numbers)
/// under the values of the set's dimensions, at `_aws.Timestamp`.
///
/// # Errors
/// When the document is not valid EMF (a missing member, a dimension or metric without a value).
pub fn extract(document: &Value) -> anyhow::Result<Vec<Extracted>> {
    let aws = document.get("_aws").context("no _aws member")?;
    let at_millis = aws["Timestamp"].as_i64().context("no _aws.Timestamp")?;
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .context("no _aws.CloudWatchMetrics")?;
    let mut extracted = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"].as_str().context("no Namespace")?;
        let metrics = directive["Metrics"].as_array().context("no Metrics")?;
        let sets = directive["Dimensions"].as_array().context("no Dimensions")?;
        for set in sets {
            let dimensions = set
                .as_array()
                .context("a dimension set is not an array")?
                .iter()
                .map(|name| {
                    let name = name.as_str().context("a dimension name is not a string")?;
                    let value = document[name]
                        .as_str()
                        .with_context(|| format!("no value for dimension {name}"))?;
                    Ok((name.to_owned(), value.to_owned()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            for metric in metrics {
                let name = metric["Name"].as_str().context("a metric has no Name")?;
                let values = match &document[name] {
                    Value::Number(n) => vec![n.as_f64().context("not a finite number")?],
                    Value::Array(items) => items.iter().filter_map(Value::as_f64).collect(),
                    _ => bail!("no value for metric {name}"),
                };
                extracted.push(Extracted {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    unit: metric["Unit"].as_str().map(str::to_owned),
                    dimensions: dimensions.clone(),
                    at_millis,
                    values,
                });
            }
        }
    }
    Ok(extracted)
}

/// What a statistic set is summed under: namespace, metric, unit, dimensions and the minute (epoch seconds).
type SetKey = (String, String, Option<String>, Vec<(String, String)>, i64);

/// Sample count, sum, minimum and maximum.
#[derive(Debug, Clone, Copy)]
struct Stats {
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

/// Values waiting to be put, summed into one statistic set per [`SetKey`].
#[derive(Debug, Default)]
struct Batch {
    sets: BTreeMap<SetKey, Stats>,
}

impl Batch {
    fn add(&mut self, e: Extracted) {
        let minute = e.at_millis.div_euclid(60_000) * 60;
        let key = (e.namespace, e.name, e.unit, e.dimensions, minute);
        for value in e.values {
            self.sets
                .entry(key.clone())
                .and_modify(|s| {
                    s.count += 1.0;
                    s.sum += value;
                    s.min = s.min.min(value);
                    s.max = s.max.max(value);
                })
                .or_insert(Stats {
                    count: 1.0,
                    sum: value,
                    min: value,
                    max: value,
                });
        }
    }

    /// The waiting sets as `PutMetricData` calls: a namespace and at most [`FLUSH_AT`] datums each.
    fn take(&mut self) -> Vec<(String, Vec<MetricDatum>)> {
        let mut by_namespace: BTreeMap<String, Vec<MetricDatum>> = BTreeMap::new();
        for ((namespace, name, unit, dimensions, minute), s) in std::mem::take(&mut self.sets) {
            let stats = StatisticSet::builder()
                .sample_count(s.count)
                .sum(s.sum)
                .minimum(s.min)
                .maximum(s.max)
                .build();
            let dimensions = dimensions
                .into_iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build());
            let datum = MetricDatum::builder()
                .metric_name(name)
                .set_dimensions(Some(dimensions.collect()))
                .statistic_values(stats)
                .set_unit(unit.map(|u| StandardUnit::from(u.as_str())))
                .timestamp(DateTime::from_secs(minute))
                .build();
            by_namespace.entry(namespace).or_default().push(datum);
        }
        by_namespace
            .into_iter()
            .flat_map(|(namespace, datums)| {
                datums
                    .chunks(FLUSH_AT)
                    .map(|chunk| (namespace.clone(), chunk.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// [`MetricSink`] for the local stack: hands each document to the background task [`EmulatorSink::start`]
/// runs.
#[derive(Debug, Clone)]
pub struct EmulatorSink {
    documents: mpsc::Sender<Value>,
}

impl MetricSink for EmulatorSink {
    fn emit(&self, document: Value) {
        if let Err(e) = self.documents.try_send(document) {
            tracing::warn!(error = %e, "request metrics dropped");
        }
    }
}

impl EmulatorSink {
    /// The sink, and its task: it puts what arrives into the emulator through `client` until every copy of the
    /// sink is dropped (the stack's gateway stopped), then puts what is left and ends.
    pub fn start(client: aws_sdk_cloudwatch::Client) -> (Self, JoinHandle<()>) {
        let (documents, mut arrived) = mpsc::channel::<Value>(QUEUE);
        let task = tokio::spawn(async move {
            let mut batch = Batch::default();
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            loop {
                tokio::select! {
                    document = arrived.recv() => {
                        let Some(document) = document else { break };
                        match extract(&document) {
                            Ok(extracted) => extracted.into_iter().for_each(|e| batch.add(e)),
                            Err(e) => tracing::warn!(error = ?e, "not an EMF document"),
                        }
                        if batch.sets.len() >= FLUSH_AT {
                            put(&client, &mut batch).await;
                        }
                    }
                    _ = tick.tick() => put(&client, &mut batch).await,
                }
            }
            put(&client, &mut batch).await;
        });
        (Self { documents }, task)
    }
}

/// Puts what `batch` holds; a failed call is logged and its datums dropped (metrics never stop the stack).
async fn put(client: &aws_sdk_cloudwatch::Client, batch: &mut Batch) {
    for (namespace, datums) in batch.take() {
        let sent = client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(datums))
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = ?e, "request metrics not put into the emulator");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tradesense_adapters::metrics::emf_document;
    use tradesense_domain::ops::metrics::RequestSample;

    use super::*;

    #[test]
    fn a_requests_document_extracts_to_its_four_metrics_under_its_function() {
        let sample = RequestSample {
            function: "market-api",
            status: 503,
            latency: Duration::from_millis(700),
            at: "2026-11-23T04:30:59.900Z".parse().unwrap(),
        };
        let extracted = extract(&emf_document(&sample)).unwrap();
        let named: Vec<_> = extracted
            .iter()
            .map(|e| (e.name.as_str(), e.values.clone()))
            .collect();
        assert_eq!(
            named,
            [
                ("Requests", vec![1.0]),
                ("Errors4xx", vec![0.0]),
                ("Errors5xx", vec![1.0]),
                ("LatencyLe1000ms", vec![1.0]),
            ]
        );
        for e in &extracted {
            assert_eq!(e.namespace, "TradeSense");
            assert_eq!(e.unit.as_deref(), Some("Count"));
            assert_eq!(e.dimensions, [("Function".to_owned(), "market-api".to_owned())]);
            assert_eq!(e.at_millis, 1_795_408_259_900);
        }
        assert!(extract(&serde_json::json!({"Requests": 1})).is_err(), "not EMF");
    }

    #[test]
    fn a_batch_sums_per_metric_and_minute_and_puts_at_most_twenty_datums_a_call() {
        let mut batch = Batch::default();
        let at = |second: i64| 1_795_408_200_000 + second * 1_000;
        for (function, second) in [("a", 0), ("a", 30), ("a", 61), ("b", 5)] {
            let sample = RequestSample {
                function,
                status: 200,
                latency: Duration::from_millis(3),
                at: chrono::DateTime::from_timestamp_millis(at(second)).unwrap(),
            };
            extract(&emf_document(&sample))
                .unwrap()
                .into_iter()
                .for_each(|e| batch.add(e));
        }
        // a's first minute (2 requests), a's second minute and b's: three sets of 4 metrics.
        assert_eq!(batch.sets.len(), 12);
        let calls = batch.take();
        assert!(batch.sets.is_empty());
        let sizes: Vec<_> = calls.iter().map(|(ns, d)| (ns.as_str(), d.len())).collect();
        assert_eq!(sizes, [("TradeSense", 12)]);
        let requests_of_a = calls[0]
            .1
            .iter()
            .find(|d| {
                d.metric_name() == Some("Requests")
                    && d.timestamp() == Some(&DateTime::from_secs(1_795_408_200))
                    && d.dimensions()[0].value() == Some("a")
            })
            .unwrap();
        let stats = requests_of_a.statistic_values().unwrap();
        assert_eq!((stats.sample_count(), stats.sum()), (Some(2.0), Some(2.0)));

        for second in 0..30 {
            let sample = RequestSample {
                function: "c",
                status: 200,
                latency: Duration::from_millis(3),
                at: chrono::DateTime::from_timestamp_millis(at(120 * second)).unwrap(),
            };
            extract(&emf_document(&sample))
                .unwrap()
                .into_iter()
                .for_each(|e| batch.add(e));
        }
        let sizes: Vec<_> = batch.take().iter().map(|(_, d)| d.len()).collect();
        assert_eq!(sizes, [20, 20, 20, 20, 20, 20], "120 sets, 20 a call");
    }
}
