//! Market data's implementations over its ports: the deterministic simulated market, the quote cache in front
//! of any source, imported daily history over a source, and the current instrument master.

pub mod cached;
pub mod current;
pub mod imported;
pub mod simulated;
