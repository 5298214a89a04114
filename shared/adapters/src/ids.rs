//! The production [`IdGen`]: ULIDs from the wall clock and randomness, increasing within a process.

use std::sync::Mutex;

use tradesense_domain::kernel::ids::IdGen;
use ulid::{Generator, Ulid};

/// ULIDs as `Ulid::new` makes them, but strictly increasing within one process (two ids minted in the same
/// millisecond still sort in the order they were made).
#[derive(Default)]
pub struct UlidIds {
    generator: Mutex<Generator>,
}

impl IdGen for UlidIds {
    fn next_ulid(&self) -> Ulid {
        match self.generator.lock().ok().and_then(|mut g| g.generate().ok()) {
            Some(ulid) => ulid,
            // A poisoned lock or an exhausted millisecond (2^80 ids): a fresh random ULID (not the default,
            // which is the nil ULID).
            None => Ulid::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_never_repeat() {
        let ids = UlidIds::default();
        let minted: Vec<Ulid> = (0..1000).map(|_| ids.next_ulid()).collect();
        assert!(minted.windows(2).all(|w| w[0] < w[1]));
    }
}
