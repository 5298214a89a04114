//! The errors every area shares: a repository's refusal or failure, and whether asynchronous work may be
//! retried.

/// A repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness or version condition did not hold; nothing was written.
    #[error("conflict")]
    Conflict,
    /// Anything else (network, throttling, malformed item). Retryable at the caller's discretion.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Errors of asynchronous work (queue messages, scheduled jobs) say whether trying again may help.
pub trait Retryable: std::fmt::Display + std::fmt::Debug {
    /// `true` for transient failures (throttling, network); `false` for work that can never succeed.
    fn is_retryable(&self) -> bool;
}
