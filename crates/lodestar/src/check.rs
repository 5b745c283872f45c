//! `lodestar check` and `lodestar fmt`: the spec crate's diagnostics plus
//! what only the server knows (CEL filters compile, SLI names are
//! consistent), printed one per line as `FILE:LINE:COL: PATH: message`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{CheckArgs, FmtArgs};

pub fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let mode = if a.lenient {
        spec::Mode::Lenient
    } else {
        spec::Mode::Strict
    };
    let loaded = match spec::load_paths(&a.paths, mode) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let n_files = count_files(&a.paths);
    match server::Catalog::from_loaded(loaded) {
        Ok(catalog) => {
            for w in &catalog.warnings {
                println!("{w}");
            }
            let extras = [
                (catalog.specs.budget_policies.len(), "budget policies"),
                (catalog.specs.corrections.len(), "corrections"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!(", {n} {what}"))
            .collect::<String>();
            println!(
                "ok: {} SLOs, {} journeys{extras} in {} file(s){}",
                catalog.slos.len(),
                catalog.specs.journeys.len(),
                n_files,
                if catalog.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", catalog.warnings.len())
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => {
            for d in &diags {
                println!("{d}");
            }
            let errors = diags.iter().filter(|d| !d.contains(": warning: ")).count();
            println!("invalid: {errors} error(s)");
            Ok(ExitCode::from(1))
        }
    }
}

fn count_files(paths: &[PathBuf]) -> usize {
    spec_files(paths).map(|v| v.len()).unwrap_or(0)
}

/// Spec files under `paths` (folders recursively), sorted.
fn spec_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .collect::<Result<_, _>>()
                .with_context(|| format!("reading folder {}", p.display()))?;
            entries.sort_by_key(|e| e.path());
            for e in entries {
                walk(&e.path(), out)?;
            }
        } else if p.exists() {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "yaml" | "yml" | "json") {
                out.push(p.to_path_buf());
            }
        } else {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    Ok(out)
}

pub fn fmt(a: FmtArgs) -> anyhow::Result<ExitCode> {
    let files = match spec_files(&a.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut changed = 0;
    let mut invalid = 0;
    for f in &files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let name = f.display().to_string();
        match spec::format_source(&name, &text) {
            Ok(out) if out != text => {
                changed += 1;
                if a.check {
                    println!("would reformat {name}");
                } else {
                    std::fs::write(f, out).with_context(|| format!("writing {name}"))?;
                    println!("reformatted {name}");
                }
            }
            Ok(_) => {}
            Err(diags) => {
                invalid += 1;
                for d in diags {
                    println!("{d}");
                }
            }
        }
    }
    if invalid > 0 {
        return Ok(ExitCode::from(1));
    }
    if a.check && changed > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
