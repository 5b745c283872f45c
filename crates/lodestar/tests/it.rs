//! End-to-end tests of the real `lodestar` binary: a server process on a
//! loopback port with its own data folder, driven over HTTP like a user
//! would, including `kill -9` in the middle of ingest.

mod it {
    mod alerting;
    mod browser;
    mod cli;
    mod dashboard;
    mod decisions;
    mod durability;
    mod exemplars;
    mod gauges;
    pub mod harness;
    mod otlp_grpc;
    mod otlp_http;
    mod otlp_metrics;
    mod promql;
    mod remote_write;
    mod server_api;
}
