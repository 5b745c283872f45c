//! What the tests share: paths of the test data, loading specs strictly,
//! golden-file comparison, and finding the Prometheus binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `crates/rules/tests/data`.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Loads spec files strictly; panics with every diagnostic on failure.
pub fn load(paths: &[PathBuf]) -> spec::SpecSet {
    let loaded = spec::load_paths(paths, spec::Mode::Strict).expect("spec files are readable");
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(
        errors.is_empty(),
        "specs do not load:\n{}",
        errors.join("\n")
    );
    loaded.set.expect("no errors, so a set")
}

/// Loads `(file, text)` sources strictly; panics with every diagnostic.
pub fn load_text(file: &str, text: &str) -> spec::SpecSet {
    let loaded = spec::load_sources(&[(file.to_string(), text.to_string())], spec::Mode::Strict);
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{file} does not load strictly:\n{}\n--- text ---\n{text}",
        errors.join("\n")
    );
    loaded.set.expect("no errors, so a set")
}

/// Compares `actual` with the file at `path`, or rewrites the file when
/// `UPDATE_EXPECT=1`.
pub fn check_golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(path, actual).expect("golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the generated text at line {} (run with UPDATE_EXPECT=1 and review the diff)\nexpected: {:?}\nactual:   {:?}",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

/// The path of a Debian `prometheus` binary; panics (failing the test)
/// when it is not installed.
pub fn binary(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("{name} is not installed; install the Debian package `prometheus` (apt-get install prometheus), which CI always has")
    })
}

/// Runs `promtool ARGS`, returning (success, stdout + stderr).
pub fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(binary("promtool"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
