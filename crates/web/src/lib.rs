//! The web dashboard's pages, rendered on the server: HTML with inline SVG
//! charts drawn by our own code, plus one stylesheet and one small script
//! (embedded here, served by the server) so the dashboard works with no
//! internet access and no build step.
//!
//! Every page is a pure function of the JSON documents the HTTP API serves
//! (`serde_json::Value` in, `String` out), so a figure on a page is the
//! figure the API gives for the same `at`. Figures sit in elements with a
//! `data-field` attribute (and the exact number in `data-value`) so tests
//! and browsers can read them back. This crate must not do IO, read the
//! clock, or compute SLO figures of its own: it formats and draws what it
//! is given. Every interpolated string goes through [`escape()`].

pub mod chart;
pub mod detail;
pub mod escape;
#[cfg(test)]
mod fixtures;
pub mod format;
#[cfg(test)]
mod html_check;
pub mod journey;
pub mod overview;
pub mod page;
pub mod query;

pub use detail::{DetailInputs, detail_page};
pub use escape::escape;
pub use journey::{JourneyInputs, journey_page};
pub use overview::{OverviewInputs, overview_page};
pub use page::error_page;
pub use query::{DetailQuery, OverviewQuery, RangeError, Sort, TimeRange};

/// The dashboard's stylesheet (light and dark via `prefers-color-scheme`).
pub const STYLESHEET: &str = include_str!("../assets/lodestar.css");
/// The dashboard's script: client-side filtering and sorting of the
/// overview; every page also works without it.
pub const SCRIPT: &str = include_str!("../assets/lodestar.js");
/// Where the server serves [`STYLESHEET`] and [`SCRIPT`]; pages link here.
pub const STYLESHEET_PATH: &str = "/static/lodestar.css";
pub const SCRIPT_PATH: &str = "/static/lodestar.js";
