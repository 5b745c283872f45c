//! `lodestar rules prometheus` and `lodestar convert`: spec translation in
//! both directions. The translations themselves live in the `rules` and
//! `spec::convert` libraries; this module reads files, prints diagnostics
//! and writes the output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{ConvertArgs, ConvertFrom, ConvertTo, PromRulesArgs};

/// Loads specs strictly (or leniently), printing diagnostics; `None` when invalid.
fn load(paths: &[PathBuf], lenient: bool) -> anyhow::Result<Option<spec::SpecSet>> {
    let mode = if lenient {
        spec::Mode::Lenient
    } else {
        spec::Mode::Strict
    };
    let loaded = spec::load_paths(paths, mode)?;
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    Ok(loaded.set)
}

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

pub fn prometheus_rules(a: PromRulesArgs) -> anyhow::Result<ExitCode> {
    let Some(set) = load(&a.paths, a.lenient)? else {
        return Ok(ExitCode::from(1));
    };
    let opts = rules::prometheus::RuleOptions {
        min_events: a.min_events,
    };
    match rules::prometheus::generate(&set, &opts) {
        Ok(text) => {
            write_out(a.output.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

pub fn convert(a: ConvertArgs) -> anyhow::Result<ExitCode> {
    if let Some(ConvertTo::Grafana) = a.to {
        let Some(set) = load(&a.paths, false)? else {
            return Ok(ExitCode::from(1));
        };
        let dashboards = rules::grafana::dashboards(&set);
        match &a.output {
            // One file per dashboard (overview and detail) in the folder.
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                for d in &dashboards {
                    let path = dir.join(&d.file_name);
                    std::fs::write(&path, serde_json::to_string_pretty(&d.json)? + "\n")
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
            }
            None => {
                let all: Vec<&serde_json::Value> = dashboards.iter().map(|d| &d.json).collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let from = a
        .from
        .context("pass --from sloth|openslo-v1alpha or --to grafana")?;
    let mut out = String::new();
    let mut failed = false;
    for p in &a.paths {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let name = p.display().to_string();
        let converted = match from {
            ConvertFrom::Sloth => spec::convert::from_sloth(&name, &text),
            ConvertFrom::OpensloV1alpha => spec::convert::from_v1alpha(&name, &text),
        };
        match converted {
            Ok(yaml) => {
                if !out.is_empty() {
                    out.push_str("---\n");
                }
                out.push_str(&yaml);
            }
            Err(diags) => {
                failed = true;
                for d in diags {
                    eprintln!("{d}");
                }
            }
        }
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    write_out(a.output.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
}
