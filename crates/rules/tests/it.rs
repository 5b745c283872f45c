//! The crate's one integration-test binary: rule files generated from the
//! specs under `tests/data/rules/` compared with golden files and checked
//! by the real `promtool` (syntax, and the `*.test.yaml` unit tests on
//! synthetic series), the rules loaded into a real Prometheus, Sloth and
//! OpenSLO v1alpha conversions, and the Grafana dashboards.
//!
//! `promtool` and `prometheus` come from the Debian package `prometheus`;
//! tests that need them fail (never skip) when they are missing. Refresh
//! the golden files with `UPDATE_EXPECT=1 cargo test -p lodestar-rules
//! --test it` and review the diff.

mod it {
    mod convert;
    mod golden;
    mod grafana;
    mod prometheus_server;
    mod promtool;
    mod support;
}
