//! Running a scheduled job as EventBridge would: the scheduler's Lambda handler, fed a checked-in schedule
//! event, against the binary's stack with the scheduler's clock standing at a chosen instant. For the test
//! binaries that drive the scheduler themselves (a job acts on every account, so they run their own stack).

/// The clock standing still at one instant.
struct At(chrono::DateTime<chrono::Utc>);

impl tradesense_domain::kernel::time::Clock for At {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

/// Runs the scheduler's job named by the schedule `event` (a checked-in `events/scheduler-*.json`) as
/// EventBridge would invoke the Lambda handler, against the binary's stack, with the scheduler's clock at
/// `at`.
/// Order changes go to the stack's stream queue, as the deployed scheduler's do.
pub async fn run_scheduled(event: &str, at: chrono::DateTime<chrono::Utc>) {
    let stack = crate::helpers::stack();
    let aws = stack.aws().await;
    // The template's `${AWS::StackName}-stream`, under the tests' stack name.
    let stream_queue = aws
        .sqs
        .get_queue_url()
        .queue_name("e2e-stream")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let paper = tradesense_adapters::paper::PaperConfig {
        table_name: stack.table.clone(),
        market_seed: tradesense_adapters::config::market_seed(&|_| None).unwrap(),
        clock: std::sync::Arc::new(At(at)),
        limits: Default::default(),
        order_events_queue_url: None,
        stream_queue_url: Some(stream_queue),
    };
    let scheduler = scheduler::Scheduler::from_trading(paper.table(&aws), paper.context(&aws).unwrap());
    let event: aws_lambda_events::event::eventbridge::EventBridgeEvent<
        tradesense_domain::ops::jobs::JobRequest,
    > = serde_json::from_str(event).unwrap();
    scheduler.handle(event).await.unwrap();
}
