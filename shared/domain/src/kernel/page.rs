//! One page of a listing, newest first, and where the next one starts.

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts (after this item), when more may follow.
    pub resume_after: Option<K>,
}
