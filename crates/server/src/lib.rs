//! The API boundary of Lodestar: HTTP routes, authentication, request
//! limits, reloads, and the wiring of specs, ingest, store and SLO math.
//!
//! The entry point is [`run`], which takes an already bound listener and a
//! shutdown future, so tests bind port 0 and stop cleanly. This is the only
//! layer below the binary that reads the clock (`Clock`), and every read
//! endpoint also takes `at=` so answers are reproducible.

pub mod alert_routes;
pub mod alerting;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod corrections;
mod dashboard;
pub mod decisions;
pub mod error;
pub mod exemplars;
pub mod metrics;
pub mod otlp_grpc;
pub mod otlp_http;
pub mod promql;
pub mod state;
pub mod view;

pub use api::{router, run};
pub use auth::{Grant, Scope, Tokens};
pub use catalog::Catalog;
pub use error::{ApiError, ConfigError};
pub use state::{AppState, Clock, Limits, ServerOptions, SystemClock};
