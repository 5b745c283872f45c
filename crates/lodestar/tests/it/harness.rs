//! A `lodestar serve` child process on an ephemeral loopback port, and a
//! small HTTP client for it. Every wait is bounded; the process is killed
//! when the handle drops.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lodestar")
}

pub fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/specs")
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// The OTLP/gRPC address (`127.0.0.1:PORT`), unless started with `--no-otlp-grpc`.
    pub grpc: Option<String>,
    pub agent: ureq::Agent,
    pub token: Option<String>,
}

impl Server {
    /// Starts `lodestar serve` and waits (≤ 60 s) until it listens.
    pub fn start(data: &Path, config: &Path, extra: &[&str]) -> Server {
        std::fs::create_dir_all(data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .unwrap();
        let mut child = Command::new(bin())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .arg("--data")
            .arg(data.join("store"))
            .args(["--listen", "127.0.0.1:0"])
            .args(["--otlp-grpc-listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawning lodestar");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("lodestar listening on ") {
                    let _ = tx.send((false, url.to_string()));
                } else if let Some(addr) = line.strip_prefix("lodestar OTLP/gRPC listening on ") {
                    let _ = tx.send((true, addr.to_string()));
                }
            }
        });
        // The gRPC line comes before the HTTP one when gRPC is on.
        let mut grpc = None;
        let base = loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok((true, addr)) => grpc = Some(addr),
                Ok((false, url)) => break url,
                Err(_) => {
                    let _ = child.kill();
                    let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
                    panic!("server did not start within 60 s; log:\n{log}");
                }
            }
        };
        Server {
            child,
            base,
            grpc,
            agent: agent(),
            token: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn with_auth<B>(&self, req: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut resp = self
            .with_auth(self.agent.get(format!("{}{}", self.base, path)))
            .call()
            .expect("GET");
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get_text(&self, path: &str) -> String {
        let mut resp = self
            .with_auth(self.agent.get(format!("{}{}", self.base, path)))
            .call()
            .expect("GET");
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        resp.body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap()
    }

    pub fn post(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let mut resp = self
            .with_auth(self.agent.post(format!("{}{}", self.base, path)))
            .send(body)
            .expect("POST");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// SIGKILL, no chance to flush or snapshot.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait (≤ 30 s) for a clean exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An NDJSON event line.
pub fn event(
    ts_ms: i64,
    name: &str,
    route: &str,
    status: &str,
    duration_ms: f64,
    region: &str,
) -> String {
    format!(
        r#"{{"timestamp":{ts_ms},"name":"{name}","duration_ms":{duration_ms},"status":"{status}","attributes":{{"http.route":"{route}","region":"{region}"}}}}"#
    )
}

/// Now in epoch milliseconds, rounded down to a minute boundary minus
/// `minutes_ago` minutes.
pub fn minute_ms(minutes_ago: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    (now / 60_000 - minutes_ago) * 60_000
}

/// A binary the test needs; CI installs it, so a missing one is a failure.
pub fn required(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("{name} is not on PATH; install the Debian package {package} (apt-get install {package})")
    })
}

/// A loopback port that was free a moment ago (for engines that cannot
/// report the port they bound).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
