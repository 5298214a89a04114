//! Option strategies: multi-leg positions on an index's options (and its future), built from templates or
//! leg by leg, analysed (payoff at expiry and today, breakevens, net Greeks, probability of profit, margin),
//! saved with their entry prices once executed, and marked to market.
//!
//! Model: `leg` (a leg as asked for and as priced) · `template` (the catalogue and how each resolves on a
//! live chain by strike offsets and expiries) · `payoff` (the pure analysis) · `strategy` (a saved strategy,
//! its execution and mark to market). Then `ports` and `service`.

pub mod leg;
pub mod payoff;
pub mod ports;
pub mod service;
pub mod strategy;
pub mod template;
