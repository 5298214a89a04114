//! A storage call that gets no answer (nothing listens where the table should be) is marked unavailable,
//! however many layers of domain errors wrap it, so the API answers 503 with Retry-After instead of 500; a
//! call the service answered with an error is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use tradesense_adapters::AwsClients;
use tradesense_adapters::aws::is_unavailable;
use tradesense_adapters::config::AwsSettings;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::keys;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;
use tradesense_local::testing::TestStack;

#[tokio::test]
async fn a_call_nobody_answers_is_unavailable_through_every_wrapper() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
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
async fn an_answered_error_is_not_unavailable() {
    let stack = TestStack::provision().await;
    let missing = Table::new(stack.aws.dynamodb.clone(), "no-such-table");
    let err = missing
        .get(&keys::user_profile(&UserId::from_ulid(ulid::Ulid::new())))
        .await
        .unwrap_err();
    assert!(!is_unavailable(err.as_ref()), "{err:?}");
}
