//! The metrics adapters against the moto emulator: request metrics put for two functions read back through
//! CloudWatch in one call with the right sums, and the depths of a worker queue and its dead-letter queue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use chrono::{TimeDelta, Utc};
use tradesense_adapters::cloudwatch::CloudWatchMetrics;
use tradesense_adapters::sqs::SqsDeadLetters;
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::metrics::{
    FUNCTION_DIMENSION, LatencyHistogram, MetricsWindow, NAMESPACE, QueueDepth,
};
use tradesense_domain::ops::ports::{MetricStore, QueueDepths};
use tradesense_local::round_trips;
use tradesense_local::testing::TestStack;

/// `count` datums of `metric` for `function`, `ago` before now.
fn datums(function: &str, metric: &str, count: usize, ago: TimeDelta) -> Vec<MetricDatum> {
    let at = Utc::now() - ago;
    let datum = MetricDatum::builder()
        .metric_name(metric)
        .dimensions(
            Dimension::builder()
                .name(FUNCTION_DIMENSION)
                .value(function)
                .build(),
        )
        .value(1.0)
        .unit(StandardUnit::Count)
        .timestamp(DateTime::from_millis(at.timestamp_millis()))
        .build();
    vec![datum; count]
}

#[tokio::test]
async fn request_metrics_of_two_functions_are_read_back_summed_in_one_call() {
    let stack = TestStack::provision().await;
    // Names of this test's own, so other tests' metrics in the same emulator never count here.
    let orders = format!("orders-{}", ulid::Ulid::new());
    let market = format!("market-{}", ulid::Ulid::new());
    let now = TimeDelta::zero();
    let put = [
        datums(&orders, "Requests", 5, now),
        datums(&orders, "Errors4xx", 2, now),
        datums(&orders, "LatencyLe5ms", 3, now),
        datums(&orders, "LatencyLe50ms", 1, now),
        datums(&orders, "LatencyOver10000ms", 1, now),
        datums(&market, "Requests", 2, now),
        datums(&market, "Errors5xx", 1, now),
        datums(&market, "LatencyLe250ms", 2, now),
        // Two hours ago: outside the last hour.
        datums(&orders, "Requests", 7, TimeDelta::hours(2)),
    ]
    .concat();
    for chunk in put.chunks(20) {
        stack
            .aws
            .cloudwatch
            .put_metric_data()
            .namespace(NAMESPACE)
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
    }
    let queues = RedrivableQueue::ALL.map(|q| (q, stack.reference(queue_id(q))));
    let aws = round_trips::counted(stack.aws.clone());
    let reader = CloudWatchMetrics::new(aws.cloudwatch.clone(), queues);
    let range = MetricsWindow::OneHour.ending_at(Utc::now());
    let functions = [orders.clone(), market.clone(), "never-called".to_owned()];
    let (read, trips) = round_trips::record(reader.read(&range, &functions, &RedrivableQueue::ALL)).await;
    let read = read.unwrap();
    assert_eq!(
        trips.calls,
        ["CloudWatch.GetMetricData"],
        "one call for every function and queue"
    );

    let [o, m, idle] = &read.functions[..] else {
        panic!("{read:?}")
    };
    assert_eq!(
        (o.function.as_str(), o.requests, o.errors_4xx, o.errors_5xx),
        (orders.as_str(), 5, 2, 0)
    );
    assert_eq!(
        o.latency,
        LatencyHistogram::from_counts([3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    );
    // p50: rank 2.5 of 5, in [0, 5] holding 3: 5 × 2.5/3 = 4.17.
    assert_eq!(o.latency.quantile_ms(0.5), Some(4.17));
    assert_eq!((m.requests, m.errors_4xx, m.errors_5xx), (2, 0, 1));
    assert_eq!(m.latency.total(), 2);
    assert_eq!((idle.requests, idle.latency.total()), (0, 0));
    // moto never publishes AWS/SQS metrics: no oldest-message age locally.
    assert_eq!(
        read.oldest_message_ages,
        RedrivableQueue::ALL.map(|q| (q, None)).to_vec()
    );
}

fn queue_id(queue: RedrivableQueue) -> &'static str {
    match queue {
        RedrivableQueue::Audit => "AuditQueue",
        RedrivableQueue::Backtest => "BacktestQueue",
        RedrivableQueue::Alert => "AlertQueue",
    }
}

fn dead_letter_id(queue: RedrivableQueue) -> &'static str {
    match queue {
        RedrivableQueue::Audit => "AuditDeadLetterQueue",
        RedrivableQueue::Backtest => "BacktestDeadLetterQueue",
        RedrivableQueue::Alert => "AlertDeadLetterQueue",
    }
}

#[tokio::test]
async fn queue_depths_count_waiting_in_flight_and_dead_letters_all_at_once() {
    let stack = TestStack::provision().await;
    let sqs = &stack.aws.sqs;
    let (queue, dead) = (
        stack.reference("AlertQueue"),
        stack.reference("AlertDeadLetterQueue"),
    );
    for body in ["a", "b", "c"] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    for body in ["x", "y"] {
        sqs.send_message()
            .queue_url(&dead)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    // One received and not deleted: in flight for the queue's visibility timeout.
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(1)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages.unwrap_or_default().len(), 1);

    let aws = round_trips::counted(stack.aws.clone());
    let queues = SqsDeadLetters::new(
        aws.sqs.clone(),
        RedrivableQueue::ALL.map(|q| {
            (
                q,
                stack.reference(dead_letter_id(q)),
                stack.reference(queue_id(q)),
            )
        }),
    );
    let (depths, trips) = round_trips::record(queues.depths(&RedrivableQueue::ALL)).await;
    let depths = depths.unwrap();
    assert_eq!(
        depths[2],
        QueueDepth {
            queue: RedrivableQueue::Alert,
            depth: 2,
            in_flight: 1,
            dlq_depth: 2
        }
    );
    assert_eq!(
        (depths[0].queue, depths[0].depth, depths[0].dlq_depth),
        (RedrivableQueue::Audit, 0, 0)
    );
    assert_eq!(
        trips.calls.len(),
        6,
        "a queue and its dead-letter queue each: {:?}",
        trips.calls
    );
    assert_eq!(trips.sequential, 1, "all at once");
}
