//! Integration tests of the notify crate over real sockets: local HTTP
//! receivers that record what Lodestar sends (webhook, Slack, PagerDuty,
//! retries) and a real Prometheus Alertmanager started on loopback.

mod it {
    mod alertmanager;
    mod deliveries;
    pub mod receiver;
}
