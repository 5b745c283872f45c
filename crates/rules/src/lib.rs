//! Lodestar's outputs for the Prometheus ecosystem: rule files that let a
//! Prometheus-compatible engine evaluate SLOs itself ([`prometheus`]), and
//! Grafana dashboards over the SLO series ([`grafana`]).
//!
//! Both are pure functions of a loaded [`spec::SpecSet`]: no IO, no clock,
//! no network. The CLI writes what they return; the integration tests feed
//! it to the real `promtool` and `prometheus`.

pub mod grafana;
pub mod prometheus;
