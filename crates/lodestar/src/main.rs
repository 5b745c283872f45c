//! The `lodestar` binary: command-line parsing, wiring of the server, and
//! the client commands (`status`, `replay`) that talk to a running server.
//! Errors become `anyhow` here and nowhere below.

mod alerts;
mod check;
mod cli;
mod client;
mod convert;
mod demo;
mod gate;
mod report;
mod serve;
mod status;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
