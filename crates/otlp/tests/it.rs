//! The crate's one integration-test binary: OTLP requests built by a tiny
//! independent encoder (`it/encode.rs`) or by hand, decoded through the
//! public API, and checked against the mapping rules, an oracle model,
//! and a real `ingest::Pipeline`.

mod it {
    pub mod alloc;
    pub mod encode;
    pub mod errors;
    pub mod events;
    pub mod json;
    pub mod logs;
    pub mod mapping;
    pub mod model;
    pub mod pipeline;
    pub mod protobuf;
    pub mod roundtrip;
}
