//! The dashboard in a real browser: `lodestar demo` on loopback ports,
//! then `tests/browser/dashboard.mjs` (playwright-core driving headless
//! Chromium) against it. The script compares every page's figures with the
//! JSON API at one pinned instant, walks from the overview to an SLO with
//! the keyboard and to a journey with the mouse, checks accessible chart
//! names and the console, and saves screenshots; this test fails with its
//! output when any of that fails.
//!
//! Chromium, Node and the script's `node_modules` are installed by
//! `.ci/run`; a missing one fails the test with the command that installs
//! it, never skips it. The screenshots go to `LODESTAR_SCREENSHOTS` when
//! set, else a temporary folder. (`docs/screenshots/` holds two of them,
//! taken by the same script against a full 28-day `lodestar demo`.)

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::harness::{bin, free_port, required};

/// Generous: a debug build backfills three days of demo history in about
/// 15 s on an idle machine, and CI shares two cores with compilation.
const DEMO_START_LIMIT: Duration = Duration::from_secs(300);
const SCRIPT_LIMIT: Duration = Duration::from_secs(240);
const SCREENSHOTS: [&str; 5] = [
    "overview.png",
    "overview-dark.png",
    "slo.png",
    "journey.png",
    "overview-now.png",
];

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The Chromium to drive: `LODESTAR_CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    let path = std::env::var_os("LODESTAR_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "no Chromium at {}: install Debian's package (apt-get install chromium) or set \
         LODESTAR_CHROMIUM to a Chromium binary",
        path.display()
    );
    path
}

fn assert_node_modules() {
    let pkg = script_dir().join("node_modules/playwright-core/package.json");
    assert!(
        pkg.is_file(),
        "{} is missing: run `npm ci --no-audit --no-fund` in {}",
        pkg.display(),
        script_dir().display()
    );
}

/// A `lodestar demo` child, killed when dropped.
struct Demo {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Demo {
    fn start(data: &Path) -> Demo {
        let log = data.with_extension("log");
        let stderr = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(bin())
            .arg("demo")
            .args(["--days", "3"])
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--otlp-grpc-listen")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--data")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawning lodestar demo");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Keeps draining stdout after the line we wait for, so the demo
        // never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("lodestar listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let mut demo = Demo {
            child,
            base: String::new(),
            log,
        };
        match rx.recv_timeout(DEMO_START_LIMIT) {
            Ok(url) => demo.base = url,
            Err(_) => panic!(
                "lodestar demo did not listen within {} s; log:\n{}",
                DEMO_START_LIMIT.as_secs(),
                std::fs::read_to_string(&demo.log).unwrap_or_default()
            ),
        }
        demo
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the script to completion or the time limit; returns whether it
/// exited 0 and everything it printed.
fn run_script(base: &str, out: &Path, work: &Path, chromium: &Path) -> (bool, String) {
    let stdout = work.join("script.out");
    let stderr = work.join("script.err");
    let mut child = Command::new(required("node", "nodejs"))
        .arg("dashboard.mjs")
        .arg(base)
        .arg(out)
        .current_dir(script_dir())
        .env("LODESTAR_CHROMIUM", chromium)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("spawning node");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let printed = format!(
        "{}{}{}",
        std::fs::read_to_string(&stdout).unwrap_or_default(),
        std::fs::read_to_string(&stderr).unwrap_or_default(),
        match status {
            Some(s) => format!("(exit: {s})"),
            None => format!("(killed after {} s)", SCRIPT_LIMIT.as_secs()),
        }
    );
    (status.is_some_and(|s| s.success()), printed)
}

#[test]
fn the_dashboard_in_chromium_shows_the_api_figures_without_console_errors() {
    let chromium = chromium();
    assert_node_modules();
    let dir = tempfile::tempdir().unwrap();
    let out = std::env::var_os("LODESTAR_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("screenshots"));
    for name in SCREENSHOTS {
        let _ = std::fs::remove_file(out.join(name));
    }
    let demo = Demo::start(&dir.path().join("data"));
    let (ok, printed) = run_script(&demo.base, &out, dir.path(), &chromium);
    println!("{printed}");
    assert!(
        ok,
        "the browser test failed:\n{printed}\ndemo log:\n{}",
        std::fs::read_to_string(&demo.log).unwrap_or_default()
    );
    assert!(
        printed.contains(" passed, 0 failed"),
        "no closing count:\n{printed}"
    );
    for name in SCREENSHOTS {
        let png = std::fs::read(out.join(name))
            .unwrap_or_else(|e| panic!("screenshot {name} in {}: {e}", out.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "{name} is not a PNG of a rendered page ({} bytes)",
            png.len()
        );
    }
}
