//! Emitting request metrics: each request's figures as one CloudWatch embedded-metric-format (EMF) document,
//! and where the documents go ([`MetricSink`]): a line on stdout in Lambda, from which CloudWatch Logs extracts
//! the metrics with no API call on the request path ([`StdoutEmf`]); locally, the emulator's `PutMetricData`,
//! off the request path (infra/local). Reading them back is [`crate::cloudwatch`].

use std::io::Write as _;

use serde_json::{Map, Value, json};
use tradesense_domain::ops::metrics::{FUNCTION_DIMENSION, NAMESPACE, RequestSample};

/// Takes each request's EMF document.
///
/// Implementations MUST NOT wait on the network or block the request (a line on stdout, or a hand-off to a
/// background task), and MUST NOT fail the request: a document that cannot be taken is dropped and logged.
pub trait MetricSink: Send + Sync {
    /// Takes one document.
    fn emit(&self, document: Value);
}

/// The EMF document of one request (the one format both sinks take): under `_aws`, the time in epoch
/// milliseconds and one directive declaring namespace [`NAMESPACE`], dimension [`FUNCTION_DIMENSION`] and the
/// request's metrics ([`RequestSample::counts`], unit `Count`); at the top level, the dimension's value and each
/// metric's value.
pub fn emf_document(sample: &RequestSample<'_>) -> Value {
    let counts = sample.counts();
    let mut document = Map::new();
    document.insert(
        "_aws".into(),
        json!({
            "Timestamp": sample.at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[FUNCTION_DIMENSION]],
                "Metrics": counts
                    .iter()
                    .map(|(name, _)| json!({"Name": name, "Unit": "Count"}))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    document.insert(FUNCTION_DIMENSION.into(), sample.function.into());
    for (name, value) in counts {
        document.insert(name.into(), value.into());
    }
    Value::Object(document)
}

/// [`MetricSink`] writing each document as one line on stdout, where Lambda sends it to CloudWatch Logs, which
/// extracts the metrics (a JSON line is passed through as it is under the template's JSON log format).
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutEmf;

impl MetricSink for StdoutEmf {
    fn emit(&self, document: Value) {
        if let Err(e) = writeln!(std::io::stdout().lock(), "{document}") {
            tracing::warn!(error = ?e, "request metrics not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn one_request_is_one_emf_document_with_its_function_counts_and_bucket() {
        let sample = RequestSample {
            function: "orders-api",
            status: 404,
            latency: Duration::from_micros(12_500),
            at: "2026-11-23T04:30:00.250Z".parse().unwrap(),
        };
        assert_eq!(
            emf_document(&sample),
            json!({
                "_aws": {
                    "Timestamp": 1_795_408_200_250_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "TradeSense",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "Requests", "Unit": "Count"},
                            {"Name": "Errors4xx", "Unit": "Count"},
                            {"Name": "Errors5xx", "Unit": "Count"},
                            {"Name": "LatencyLe25ms", "Unit": "Count"},
                        ],
                    }],
                },
                "Function": "orders-api",
                "Requests": 1,
                "Errors4xx": 1,
                "Errors5xx": 0,
                "LatencyLe25ms": 1,
            })
        );
        assert_eq!(
            emf_document(&sample).to_string(),
            r#"{"Errors4xx":1,"Errors5xx":0,"Function":"orders-api","LatencyLe25ms":1,"Requests":1,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Function"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Errors4xx","Unit":"Count"},{"Name":"Errors5xx","Unit":"Count"},{"Name":"LatencyLe25ms","Unit":"Count"}],"Namespace":"TradeSense"}],"Timestamp":1795408200250}}"#,
            "the line on stdout"
        );
    }
}
