//! The decision engine: what Lodestar concludes from SLO figures. It turns
//! budgets, burn rates and segment tallies into executable error-budget
//! policy verdicts, release-gate verdicts with every reason, attribution of
//! burn to segments and dependencies, and a ranked priorities report.
//!
//! It is pure: no IO, no clock, no async. Figures come in already computed
//! (by `slo` over a store or a Prometheus engine) and time is a parameter
//! (`jiff::Timestamp`, or [`slo::Minute`]). Every output is a plain value
//! that serialises to the JSON documented on its type, so the server, the
//! CLI and the dashboard show the same verdict.
//!
//! Modules, bottom up: [`stats`] (normal distribution, Mann-Whitney U,
//! two-proportion test), [`incident`] (runs of high burn and the budget
//! each consumed), [`attribution`] (budget burn by segment), [`policy`]
//! (`BudgetPolicy` evaluation), [`gate`] (release verdicts) and
//! [`priorities`] (the planning report).

pub mod attribution;
pub mod error;
pub mod gate;
pub mod incident;
pub mod policy;
pub mod priorities;
pub mod stats;
mod wording;

pub use error::DecideError;
