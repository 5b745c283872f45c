//! The Grafana dashboards' structure: what Grafana needs to import them and
//! what the issue asks them to show. Their PromQL is run against a real
//! Prometheus in `prometheus_server`.

use serde_json::Value;

use super::support::{data_dir, load};

/// Every PromQL expression of a dashboard's panels (not the variables'
/// `label_values` queries, which are Grafana syntax).
pub fn queries(dashboard: &Value) -> Vec<String> {
    dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect()
}

fn dashboards() -> Vec<rules::grafana::Dashboard> {
    let dir = data_dir().join("rules");
    let set = load(&[dir.join("api.yaml"), dir.join("checkout.yaml")]);
    rules::grafana::dashboards(&set)
}

#[test]
fn dashboards_are_importable_grafana_models() {
    let all = dashboards();
    assert_eq!(
        all.iter().map(|d| d.uid.as_str()).collect::<Vec<_>>(),
        [rules::grafana::OVERVIEW_UID, rules::grafana::DETAIL_UID]
    );
    for d in &all {
        let j = &d.json;
        assert_eq!(d.file_name, format!("{}.json", d.uid));
        assert_eq!(j["uid"], d.uid.as_str());
        assert!(
            j["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
            "{}",
            d.uid
        );
        assert!(j["title"].as_str().is_some_and(|t| !t.is_empty()));
        let vars = j["templating"]["list"].as_array().expect("variables");
        let ds = vars
            .iter()
            .find(|v| v["type"] == "datasource")
            .expect("a data source variable");
        assert_eq!(ds["query"], "prometheus");
        let panels = j["panels"].as_array().expect("panels");
        let mut ids: Vec<u64> = panels
            .iter()
            .map(|p| p["id"].as_u64().expect("id"))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), panels.len(), "{}: panel ids are unique", d.uid);
        for p in panels {
            let g = &p["gridPos"];
            let (x, w) = (g["x"].as_u64().expect("x"), g["w"].as_u64().expect("w"));
            assert!(
                x + w <= 24 && g["h"].as_u64().is_some_and(|h| h > 0),
                "{}: {p}",
                d.uid
            );
            for t in p["targets"].as_array().into_iter().flatten() {
                assert_eq!(t["datasource"]["uid"], "${datasource}", "{}: {t}", d.uid);
                let expr = t["expr"].as_str().expect("expr");
                assert!(expr.contains("lodestar_slo_"), "{}: {expr}", d.uid);
            }
        }
        // Round-trips as JSON text (what the CLI writes).
        let text = serde_json::to_string_pretty(j).expect("serialise");
        assert_eq!(&serde_json::from_str::<Value>(&text).expect("parse"), j);
    }
}

#[test]
fn detail_dashboard_has_the_panels_the_issue_asks_for() {
    let all = dashboards();
    let detail = &all[1].json;
    let vars: Vec<&str> = detail["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(vars, ["datasource", "slo", "objective"]);
    let panel = |title: &str| -> &Value {
        detail["panels"]
            .as_array()
            .expect("panels")
            .iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no panel {title:?}"))
    };
    let sli = panel("SLI against objective");
    let exprs = queries(&serde_json::json!({"panels": [sli]}));
    assert!(exprs.iter().any(|e| e.contains("lodestar_slo_sli_ratio")));
    assert!(
        exprs
            .iter()
            .any(|e| e.contains("lodestar_slo_objective_ratio"))
    );
    assert!(
        panel("Error budget remaining")["targets"][0]["expr"]
            .as_str()
            .expect("expr")
            .contains("lodestar_slo_error_budget_remaining_ratio")
    );
    // Burn rates with threshold lines at the Workbook factors (30d SLOs
    // and a 28d one: mixed, so the 30-day factors).
    let burn = panel("Burn rate by window");
    assert!(
        burn["targets"][0]["expr"]
            .as_str()
            .expect("expr")
            .contains("lodestar_slo_burn_rate")
    );
    assert_eq!(
        burn["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"],
        "line"
    );
    let steps: Vec<f64> = burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["value"].as_f64())
        .collect();
    assert_eq!(steps, [1.0, 3.0, 6.0, 14.4]);
    assert_eq!(panel("Objectives")["type"], "table");
    assert_eq!(panel("Status")["type"], "stat");
}

#[test]
fn burn_rate_lines_scale_to_a_shared_window() {
    let dir = data_dir().join("rules");
    // checkout.yaml alone: one 28-day window, so 2 % of the budget in 1h
    // is 0.02 x 672h = 13.44x, and so on.
    let set = load(&[dir.join("checkout.yaml")]);
    let detail = &rules::grafana::dashboards(&set)[1].json;
    let burn = detail["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .find(|p| p["title"] == "Burn rate by window")
        .expect("burn panel");
    let steps: Vec<f64> = burn["fieldConfig"]["defaults"]["thresholds"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["value"].as_f64())
        .collect();
    assert_eq!(steps, [0.933333333333, 2.8, 5.6, 13.44]);
}

#[test]
fn overview_lists_the_catalogue_from_the_specs() {
    let all = dashboards();
    let overview = &all[0].json;
    let text = overview["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .find(|p| p["type"] == "text")
        .expect("catalogue panel")["options"]["content"]
        .as_str()
        .expect("markdown")
        .to_string();
    assert!(
        text.contains("[API availability](/d/lodestar-slo-detail?var-slo=api-availability)"),
        "{text}"
    );
    assert!(
        text.contains(
            "| checkout | payments | 28d rolling | three-nines (99.9 %), two-nines (99 %) |"
        ),
        "{text}"
    );
    let table = overview["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .find(|p| p["type"] == "table")
        .expect("status table");
    assert_eq!(table["targets"].as_array().expect("targets").len(), 6);
    assert_eq!(table["transformations"][0]["id"], "merge");
}
