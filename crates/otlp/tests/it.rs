//! The crate's one integration-test binary: OTLP requests built by a tiny
//! independent encoder (`it/encode.rs`) or by hand, decoded through the
//! public API, and checked against the mapping rules, an oracle model,
//! and a real `ingest::Pipeline`.

mod encode;
mod errors;
mod events;
mod json;
mod logs;
mod mapping;
mod model;
mod pipeline;
mod protobuf;
mod roundtrip;
