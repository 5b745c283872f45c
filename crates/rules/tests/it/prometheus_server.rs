//! The generated rules loaded into a real Prometheus that scrapes itself:
//! every rule group loads, every rule evaluates healthy, the SLO on
//! Prometheus' own HTTP counters gets live figures, and every query of the
//! Grafana dashboards is valid PromQL there.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::{binary, data_dir, load};

/// A Prometheus child process, killed when dropped.
struct Prometheus {
    child: Child,
    base: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(dir: &Path) -> Prometheus {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            l.local_addr().expect("local addr").port()
        };
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}/*.rules.yaml\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n",
            dir.display()
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write config");
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
        let child = Command::new(binary("prometheus"))
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        p.wait_for(Duration::from_secs(60), "ready", || {
            ureq::get(format!("{}/-/ready", p.base)).call().is_ok()
        });
        p
    }

    fn get(&self, path_and_query: &str) -> Value {
        let mut resp = ureq::get(format!("{}{path_and_query}", self.base))
            .call()
            .unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"));
        resp.body_mut().read_json().expect("JSON answer")
    }

    fn query(&self, expr: &str) -> Value {
        let mut resp = ureq::get(format!("{}/api/v1/query", self.base))
            .query("query", expr)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap_or_else(|e| panic!("query {expr}: {e}"));
        resp.body_mut().read_json().expect("JSON answer")
    }

    fn wait_for(&self, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < limit,
                "prometheus: {what} not reached within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

#[test]
fn rules_load_into_prometheus_and_evaluate_healthy() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = data_dir().join("rules");
    let mut expected_groups = Vec::new();
    for case in [
        "api",
        "checkout",
        "templates",
        "promtool-slos",
        "self-scrape",
    ] {
        let set = load(&[dir.join(format!("{case}.yaml"))]);
        let text = rules::prometheus::generate(&set, &rules::prometheus::RuleOptions::default())
            .unwrap_or_else(|e| panic!("{case}: {e:?}"));
        std::fs::write(tmp.path().join(format!("{case}.rules.yaml")), text).expect("write rules");
        expected_groups.extend(
            set.slos
                .iter()
                .filter(|s| s.metadata.name != "events-only")
                .map(|s| format!("lodestar-slo-{}", s.metadata.name)),
        );
    }
    let prom = Prometheus::start(tmp.path());

    // Every group listed, every rule evaluated at least once and healthy.
    let mut groups = Value::Null;
    prom.wait_for(Duration::from_secs(60), "every rule evaluated", || {
        groups = prom.get("/api/v1/rules")["data"]["groups"].clone();
        let rules: Vec<&Value> = groups
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        !rules.is_empty()
            && rules.iter().all(|r| {
                !r["lastEvaluation"]
                    .as_str()
                    .unwrap_or("0001")
                    .starts_with("0001")
            })
    });
    let names: Vec<&str> = groups
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for g in &expected_groups {
        assert!(
            names.contains(&g.as_str()),
            "group {g} not loaded; got {names:?}"
        );
    }
    for g in groups.as_array().expect("groups") {
        for r in g["rules"].as_array().expect("rules") {
            assert_eq!(
                r["health"], "ok",
                "rule {} of {} is not healthy: {}",
                r["name"], g["name"], r["lastError"]
            );
        }
    }

    // Prometheus scraping itself gives the self-scrape SLO real traffic
    // and no 5xx: a 5-minute error ratio of 0. (Windows chained from
    // hourly blocks fill at the next hour boundary, so the test does not
    // wait for the SLO window.) Exactly one status holds at any time.
    prom.wait_for(Duration::from_secs(90), "live SLO figures", || {
        let v = prom.query(r#"lodestar:slo_error:ratio5m{slo="prometheus-http"}"#);
        v["data"]["result"].as_array().is_some_and(|r| r.len() == 1)
    });
    let ratio = prom.query(r#"lodestar:slo_error:ratio5m{slo="prometheus-http"}"#);
    assert_eq!(ratio["data"]["result"][0]["value"][1], "0", "{ratio}");
    let statuses = prom.query(r#"sum(lodestar_slo_status{slo="prometheus-http"})"#);
    assert_eq!(statuses["data"]["result"][0]["value"][1], "1", "{statuses}");

    // Every dashboard query is valid PromQL for this Prometheus.
    let set = load(&[dir.join("self-scrape.yaml")]);
    for dashboard in rules::grafana::dashboards(&set) {
        for expr in super::grafana::queries(&dashboard.json) {
            let concrete = expr
                .replace("$slo", "prometheus-http")
                .replace("$service", "prometheus")
                .replace("$objective", ".*")
                .replace("$__rate_interval", "1m")
                .replace("$__interval", "1m");
            let answer = prom.query(&concrete);
            assert_eq!(
                answer["status"], "success",
                "dashboard {} query {concrete} fails: {answer}",
                dashboard.file_name
            );
        }
    }
}
