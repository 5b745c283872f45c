//! Against a real Prometheus Alertmanager (Debian's
//! `prometheus-alertmanager`, 0.25 in CI): started on a free loopback port
//! with clustering off and a null receiver, it must show Lodestar's firing
//! alert with its labels and generatorURL, then drop it from the active
//! alerts once the resolve arrives. Alertmanager compares `endsAt` with its
//! own clock, so this test uses the real time.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use notify::{Notification, Outbox, Outcome, Status, Target, TargetName, TargetSet};

const BINARY: &str = "/usr/bin/prometheus-alertmanager";
const READY_WITHIN: Duration = Duration::from_secs(30);

/// Kills the Alertmanager when the test ends, however it ends.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn start(dir: &Path) -> Running {
    assert!(
        Path::new(BINARY).exists(),
        "{BINARY} is missing: install Debian's `prometheus-alertmanager` package \
         (apt-get install prometheus-alertmanager), as .ci/run does"
    );
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    let storage = dir.join("data");
    std::fs::create_dir_all(&storage).unwrap();
    let port = free_port();
    let child = Command::new(BINARY)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", storage.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus-alertmanager");
    let mut running = Running {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + READY_WITHIN;
    let agent = agent();
    loop {
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!("alertmanager exited before it was ready: {status}");
        }
        if let Ok(response) = agent.get(format!("{}/-/ready", running.base)).call()
            && response.status() == 200
        {
            return running;
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager not ready within {READY_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// Our alert among those Alertmanager lists at `path`, if present.
fn find_ours(base: &str, path: &str, slo: &str) -> Option<serde_json::Value> {
    let mut response = agent().get(format!("{base}{path}")).call().unwrap();
    assert_eq!(response.status(), 200);
    let alerts: serde_json::Value = response.body_mut().read_json().unwrap();
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["slo"] == slo)
        .cloned()
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn alerts_arrive_in_alertmanager_and_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let am = start(dir.path());
    let set = TargetSet::new([(
        TargetName::new("am"),
        Target::parse(&format!("alertmanager:{}", am.base)).unwrap(),
    )])
    .unwrap();
    let mut outbox = Outbox::open(dir.path().join("outbox")).unwrap();

    let now = Timestamp::now();
    let firing = Notification {
        key: "checkout-availability/default/page/burn".into(),
        status: Status::Firing,
        severity: "page".into(),
        slo: "checkout-availability".into(),
        objective: "default".into(),
        service: "checkout".into(),
        summary: "checkout availability burning 14.4x".into(),
        description: "2% of the 28-day budget in the last hour".into(),
        labels: [("team".to_string(), "payments".to_string())].into(),
        annotations: [(
            "runbook_url".to_string(),
            "https://runbooks.example/checkout".to_string(),
        )]
        .into(),
        starts_at: now,
        ends_at: None,
        generator_url: "http://127.0.0.1:8080/slos/checkout-availability".into(),
    };
    outbox
        .enqueue(&firing, &[TargetName::new("am")], now)
        .unwrap();
    let got = outbox.deliver_due(&set, now).unwrap();
    assert_eq!(got[0].outcome, Outcome::Sent, "{got:?}");

    let alert = wait_for("the firing alert", || {
        find_ours(&am.base, "/api/v2/alerts", "checkout-availability")
    });
    let labels = &alert["labels"];
    assert_eq!(labels["alertname"], "SLOBurnRatePage");
    assert_eq!(labels["objective"], "default");
    assert_eq!(labels["severity"], "page");
    assert_eq!(labels["service"], "checkout");
    assert_eq!(labels["team"], "payments");
    assert_eq!(
        alert["annotations"]["runbook_url"],
        "https://runbooks.example/checkout"
    );
    assert_eq!(
        alert["annotations"]["summary"],
        "checkout availability burning 14.4x"
    );
    assert_eq!(
        alert["generatorURL"],
        "http://127.0.0.1:8080/slos/checkout-availability"
    );
    assert_eq!(alert["status"]["state"], "active");

    let resolved_at = Timestamp::now();
    let resolved = Notification {
        status: Status::Resolved,
        ends_at: Some(resolved_at),
        ..firing
    };
    outbox
        .enqueue(&resolved, &[TargetName::new("am")], resolved_at)
        .unwrap();
    let got = outbox.deliver_due(&set, resolved_at).unwrap();
    assert_eq!(got[0].outcome, Outcome::Sent, "{got:?}");
    wait_for("the alert to leave the active alerts", || {
        match find_ours(
            &am.base,
            "/api/v2/alerts?active=true",
            "checkout-availability",
        ) {
            None => Some(()),
            Some(a) if a["status"]["state"] != "active" => Some(()),
            Some(_) => None,
        }
    });
    assert!(outbox.pending().is_empty());
    assert_eq!(outbox.stats()[0].sent, 2);
}
