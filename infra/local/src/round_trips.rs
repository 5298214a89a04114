//! Counting a request's AWS round trips (DynamoDB, SQS and CloudWatch), local stack only.
//!
//! A request's latency on Lambda is set by how many calls it waits for one after another, so the gateway
//! records every SDK call a route makes while it serves one request ([`record`]) and answers with the
//! figures in two headers: [`SEQUENTIAL_HEADER`] (the longest chain of calls each started after the one
//! before it ended: calls made in parallel count once) and [`CALLS_HEADER`] (every call, in the order they
//! started). The authorizer runs before the recording starts, so its calls are not counted. Calls go on
//! being counted through the SDK's interceptor ([`RoundTripCounter`]) only inside a recording, so the
//! pollers and schedules that share the clients are never counted.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use tradesense_adapters::AwsClients;

/// Response header: the request's sequential round trips.
pub const SEQUENTIAL_HEADER: &str = "x-local-round-trips";
/// Response header: every call the request made (`Service.Operation`, space-separated, in start order).
pub const CALLS_HEADER: &str = "x-local-round-trip-calls";

tokio::task_local! {
    static RECORDING: Arc<Recording>;
}

/// One SDK call: what it was, when it started and (once answered) when it ended.
#[derive(Debug, Clone)]
struct Call {
    operation: String,
    started: Instant,
    ended: Option<Instant>,
}

/// The calls of one request.
#[derive(Debug, Default)]
struct Recording {
    calls: Mutex<Vec<Call>>,
}

/// What a request's calls came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTrips {
    /// The longest chain of calls each started after the previous one ended.
    pub sequential: usize,
    /// Every call, `Service.Operation`, in the order they started.
    pub calls: Vec<String>,
}

/// Runs `request` while recording its SDK calls.
pub async fn record<F: Future>(request: F) -> (F::Output, RoundTrips) {
    let recording = Arc::new(Recording::default());
    let output = RECORDING.scope(recording.clone(), request).await;
    let calls = recording
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    (output, RoundTrips::of(&calls))
}

impl RoundTrips {
    fn of(calls: &[Call]) -> Self {
        Self {
            sequential: longest_chain(calls),
            calls: calls.iter().map(|c| c.operation.clone()).collect(),
        }
    }
}

/// The most calls that ran one after another: interval scheduling, greedy by earliest end. A call that never
/// ended (its future was dropped) counts as ending when it started.
fn longest_chain(calls: &[Call]) -> usize {
    let mut spans: Vec<(Instant, Instant)> = calls
        .iter()
        .map(|c| (c.started, c.ended.unwrap_or(c.started)))
        .collect();
    spans.sort_by_key(|&(_, ended)| ended);
    let mut chain = 0;
    let mut free_from: Option<Instant> = None;
    for (started, ended) in spans {
        if free_from.is_none_or(|t| started >= t) {
            chain += 1;
            free_from = Some(ended);
        }
    }
    chain
}

/// Which call of the recording an SDK operation is (kept in the operation's config bag).
#[derive(Debug, Clone, Copy)]
struct CallIndex(usize);

impl Storable for CallIndex {
    type Storer = StoreReplace<Self>;
}

/// The SDK interceptor that reports each operation to the current request's recording, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundTripCounter;

impl Intercept for RoundTripCounter {
    fn name(&self) -> &'static str {
        "RoundTripCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_owned(),
            |m| format!("{}.{}", m.service(), m.name()),
        );
        let index = RECORDING.try_with(|recording| {
            let mut calls = recording.calls.lock().unwrap_or_else(PoisonError::into_inner);
            calls.push(Call {
                operation,
                started: Instant::now(),
                ended: None,
            });
            calls.len() - 1
        });
        if let Ok(index) = index {
            cfg.interceptor_state().store_put(CallIndex(index));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallIndex(index)) = cfg.load::<CallIndex>().copied() {
            let _ = RECORDING.try_with(|recording| {
                let mut calls = recording.calls.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(call) = calls.get_mut(index) {
                    call.ended = Some(Instant::now());
                }
            });
        }
        Ok(())
    }
}

/// `aws` with the DynamoDB, SQS and CloudWatch clients reporting to [`record`]ings.
pub fn counted(aws: AwsClients) -> AwsClients {
    AwsClients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws.dynamodb
                .config()
                .to_builder()
                .interceptor(RoundTripCounter)
                .build(),
        ),
        sqs: aws_sdk_sqs::Client::from_conf(
            aws.sqs
                .config()
                .to_builder()
                .interceptor(RoundTripCounter)
                .build(),
        ),
        secrets: aws.secrets,
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws.cloudwatch
                .config()
                .to_builder()
                .interceptor(RoundTripCounter)
                .build(),
        ),
        sdk: aws.sdk,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn call(start_ms: u64, end_ms: u64, base: Instant) -> Call {
        Call {
            operation: "DynamoDB.GetItem".into(),
            started: base + Duration::from_millis(start_ms),
            ended: Some(base + Duration::from_millis(end_ms)),
        }
    }

    #[test]
    fn parallel_calls_count_once_and_sequential_ones_each() {
        let t = Instant::now();
        // Three reads in parallel, then a transaction after they all ended.
        let parallel = [call(0, 5, t), call(1, 4, t), call(1, 6, t), call(7, 9, t)];
        assert_eq!(longest_chain(&parallel), 2);
        let sequential = [call(0, 1, t), call(2, 3, t), call(4, 5, t)];
        assert_eq!(longest_chain(&sequential), 3);
        // One long call beside two short ones in a row: the two in a row make the chain.
        let mixed = [call(0, 10, t), call(0, 2, t), call(3, 5, t)];
        assert_eq!(longest_chain(&mixed), 2);
        assert_eq!(longest_chain(&[]), 0);
    }

    #[tokio::test]
    async fn only_calls_inside_a_recording_are_counted() {
        let (value, trips) = record(async {
            let _ = RECORDING.try_with(|r| {
                r.calls.lock().unwrap().push(call(0, 1, Instant::now()));
            });
            7
        })
        .await;
        assert_eq!(value, 7);
        assert_eq!(trips.calls, ["DynamoDB.GetItem"]);
        assert_eq!(trips.sequential, 1);
        assert!(RECORDING.try_with(|_| ()).is_err());
    }
}
