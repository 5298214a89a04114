//! Dead-letter queues an operator can redrive: the queues whose messages a worker gave up on, each with the
//! queue it feeds back into. The scheduler's dead-letter queue holds failed schedule events, which have no
//! queue to go back to, so it is not one of them.

/// The most messages one redrive moves (the rest wait for the next).
pub const MAX_REDRIVE: usize = 1_000;

/// A queue with a dead-letter queue to redrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedrivableQueue {
    /// The audit queue (audit worker).
    Audit,
    /// The backtest queue (backtest worker).
    Backtest,
    /// The alert queue (alert worker).
    Alert,
}

impl RedrivableQueue {
    /// Every such queue.
    pub const ALL: [RedrivableQueue; 3] = [
        RedrivableQueue::Audit,
        RedrivableQueue::Backtest,
        RedrivableQueue::Alert,
    ];

    /// Its name in the API (`audit`, `backtest`, `alert`).
    pub fn name(self) -> &'static str {
        match self {
            RedrivableQueue::Audit => "audit",
            RedrivableQueue::Backtest => "backtest",
            RedrivableQueue::Alert => "alert",
        }
    }

    /// The queue named `name`.
    pub fn from_name(name: &str) -> Option<RedrivableQueue> {
        RedrivableQueue::ALL.into_iter().find(|q| q.name() == name)
    }
}
