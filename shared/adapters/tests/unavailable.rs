//! A storage call that gets no answer (nothing listens where the table should be) is marked unavailable,
//! however many layers of domain errors wrap it, so the API answers 503 with Retry-After instead of 500; a
//! call the service answered with an error is not. The metrics reads (CloudWatch, SQS) are marked the same
//! way. The table warm-up at init is bounded the same way.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use tradesense_adapters::AwsClients;
use tradesense_adapters::aws::is_unavailable;
use tradesense_adapters::cloudwatch::CloudWatchMetrics;
use tradesense_adapters::config::AwsSettings;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::keys;
use tradesense_adapters::sqs::SqsDeadLetters;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::metrics::MetricsWindow;
use tradesense_domain::ops::ports::{MetricStore as _, QueueDepths as _};
use tradesense_local::testing::TestStack;

#[tokio::test]
async fn a_call_nobody_answers_is_unavailable_through_every_wrapper() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        warm_up_table: None,
    })
    .await;
    let table = Table::new(aws.dynamodb.clone(), "t");
    let err = table
        .get(&keys::user_profile(&UserId::from_ulid(ulid::Ulid::new())))
        .await
        .unwrap_err();
    assert!(is_unavailable(err.as_ref()), "{err:?}");
    let repo: RepoError = err.into();
    let wrapped = anyhow::Error::from(repo);
    assert!(is_unavailable(wrapped.as_ref()), "{wrapped:?}");
}

#[tokio::test]
async fn metrics_reads_nobody_answers_are_unavailable() {
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        warm_up_table: None,
    })
    .await;
    let queues = RedrivableQueue::ALL.map(|q| (q, format!("http://127.0.0.1:9/1/{}", q.name())));
    let range = MetricsWindow::FiveMinutes.ending_at(chrono::Utc::now());
    let err = CloudWatchMetrics::new(aws.cloudwatch.clone(), queues.clone())
        .read(&range, &["orders-api".to_owned()], &RedrivableQueue::ALL)
        .await
        .unwrap_err();
    assert!(is_unavailable(err.as_ref()), "{err:?}");
    let dead_letters = queues.map(|(q, url)| (q, format!("{url}-dlq"), url));
    let err = SqsDeadLetters::new(aws.sqs, dead_letters)
        .depths(&RedrivableQueue::ALL)
        .await
        .unwrap_err();
    assert!(is_unavailable(err.as_ref()), "{err:?}");
}

#[tokio::test]
async fn an_answered_error_is_not_unavailable() {
    let stack = TestStack::provision().await;
    let missing = Table::new(stack.aws.dynamodb.clone(), "no-such-table");
    let err = missing
        .get(&keys::user_profile(&UserId::from_ulid(ulid::Ulid::new())))
        .await
        .unwrap_err();
    assert!(!is_unavailable(err.as_ref()), "{err:?}");
}

#[tokio::test]
async fn a_table_warm_up_that_gets_no_answer_never_holds_init_past_its_limit() {
    let started = std::time::Instant::now();
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        warm_up_table: Some("t".into()),
    })
    .await;
    assert!(
        started.elapsed() < tradesense_adapters::aws::WARM_UP_LIMIT + std::time::Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // The clients are still built: a call answers (unavailable), it does not panic.
    let err = Table::new(aws.dynamodb, "t")
        .get(&keys::warm_up())
        .await
        .unwrap_err();
    assert!(is_unavailable(err.as_ref()), "{err:?}");
}

#[tokio::test]
async fn a_table_warm_up_reads_and_writes_nothing() {
    let stack = TestStack::provision().await;
    let table = stack.reference("Table");
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some(tradesense_local::testing::emulator_endpoint()),
        warm_up_table: Some(table.clone()),
    })
    .await;
    let warmed = Table::new(aws.dynamodb, table);
    assert_eq!(warmed.get(&keys::warm_up()).await.unwrap(), None);
}
