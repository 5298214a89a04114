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

/// Lets `?` turn a [`RepoError`] into each use-case error listed, through its `From<anyhow::Error>` (its
/// `Unexpected` case): a storage failure, or a conflict the use case does not handle itself, is unexpected.
/// The one way storage failures enter use-case errors.
#[macro_export]
macro_rules! storage_failures_are_unexpected {
    ($($error:ty),+ $(,)?) => {
        $(
            impl From<$crate::kernel::error::RepoError> for $error {
                fn from(e: $crate::kernel::error::RepoError) -> Self {
                    anyhow::Error::from(e).into()
                }
            }
        )+
    };
}
