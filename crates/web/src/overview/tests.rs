use super::*;
use crate::fixtures;
use crate::html_check::{field_values, well_formed};

fn docs() -> (Value, Value) {
    let a = fixtures::slo("pay", "payments", "pay-team", 0.8, 2.0);
    let b = fixtures::slo("cart", "cart", "shop-team", 0.1, 0.5);
    let c = fixtures::slo("lonely", "misc", "pay-team", 0.5, 0.0);
    let j = fixtures::journeys(vec![b.clone()], vec![a.clone()]);
    (fixtures::slos(vec![a, b, c]), j)
}

fn render(q: &OverviewQuery, alerts: Option<&Value>) -> String {
    let (slos, journeys) = docs();
    overview_page(&OverviewInputs {
        slos: &slos,
        journeys: &journeys,
        alerts,
        query: q,
    })
}

#[test]
fn rows_show_the_api_figures_grouped_by_journey() {
    let html = render(&OverviewQuery::default(), None);
    well_formed(&html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    // Journey group in step order, then the SLO no journey uses.
    let cart = html.find("data-slo=\"cart\"").unwrap();
    let pay = html.find("data-slo=\"pay\"").unwrap();
    let lonely = html.find("data-slo=\"lonely\"").unwrap();
    assert!(cart < pay && pay < lonely);
    assert!(html.contains("Checkout &lt;journey&gt;"));
    assert!(html.contains("Not in a journey"));
    let remaining: Vec<String> = field_values(&html, "budget_remaining")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(remaining, ["0.1", "0.8", "0.5"]);
    let burns = field_values(&html, "burn_fastest");
    assert_eq!(burns[1], ("2.0".to_string(), "2.00×".to_string()));
    assert_eq!(
        field_values(&html, "sli")[0],
        ("0.9991".into(), "99.910 %".into())
    );
    assert_eq!(
        field_values(&html, "target")[0],
        ("0.999".into(), "99.900 %".into())
    );
    assert_eq!(field_values(&html, "count_at_risk")[0].0, "1.0");
    // Names and display names are escaped.
    assert!(html.contains("pay &lt;b&gt;display&lt;/b&gt;"));
    assert!(!html.contains("<b>display"));
    assert!(html.contains("left out for a pinned instant"));
}

#[test]
fn filters_hide_rows_and_sorting_orders_them() {
    let q = OverviewQuery {
        owner: "pay-team".into(),
        sort: Sort::Budget,
        ..Default::default()
    };
    let html = render(&q, None);
    well_formed(&html).unwrap();
    let row = |name: &str| {
        let i = html.find(&format!("<tr data-slo=\"{name}\"")).unwrap();
        html[i..i + html[i..].find('>').unwrap()].to_string()
    };
    assert!(row("cart").contains(" hidden"));
    assert!(!row("pay").contains(" hidden"));
    assert!(!row("lonely").contains(" hidden"));
    assert!(html.contains("2 of 3 SLOs match."));
    assert!(html.contains("<option value=\"pay-team\" selected>"));

    let q = OverviewQuery {
        q: "CART".into(),
        ..Default::default()
    };
    let html = render(&q, None);
    assert!(html.contains("1 of 3 SLOs match."));
    // The group with no matching row is hidden as a whole.
    assert!(html.contains("data-group=\"other\" hidden"));

    let (slos, journeys) = docs();
    let mut with_two = journeys.clone();
    with_two["journeys"][0]["steps"][0]["slos"] = json_list(&slos, &["pay", "cart"]);
    let html = overview_page(&OverviewInputs {
        slos: &slos,
        journeys: &with_two,
        alerts: None,
        query: &OverviewQuery {
            sort: Sort::Budget,
            ..Default::default()
        },
    });
    assert!(html.find("data-slo=\"cart\"").unwrap() < html.find("data-slo=\"pay\"").unwrap());
    let html = overview_page(&OverviewInputs {
        slos: &slos,
        journeys: &with_two,
        alerts: None,
        query: &OverviewQuery {
            sort: Sort::Burn,
            ..Default::default()
        },
    });
    assert!(html.find("data-slo=\"pay\"").unwrap() < html.find("data-slo=\"cart\"").unwrap());
}

fn json_list(slos: &Value, names: &[&str]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|n| {
                slos["slos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| s["name"] == *n)
                    .unwrap()
                    .clone()
            })
            .collect(),
    )
}

#[test]
fn alert_badges_count_active_alerts_of_each_slo() {
    let alerts = serde_json::json!({ "alerts": [
        { "slo": "pay", "objective": "obj", "severity": "page", "kind": "burn", "state": "firing", "since": "2026-11-27T11:00:00Z", "summary": "fast burn" },
        { "slo": "pay", "objective": "obj", "severity": "ticket", "kind": "burn", "state": "resolved", "since": "2026-11-26T11:00:00Z", "summary": "old" },
        { "slo": "cart", "objective": "obj", "severity": "ticket", "kind": "burn", "state": "pending", "since": "2026-11-27T11:30:00Z", "summary": "slow burn" }
    ]});
    let html = render(&OverviewQuery::default(), Some(&alerts));
    let counts: Vec<(String, String)> = field_values(&html, "alerts");
    assert_eq!(counts[0], ("1.0".into(), "1 pending".into()));
    assert_eq!(counts[1], ("1.0".into(), "1 firing".into()));
    assert_eq!(counts[2], ("0.0".into(), "none".into()));
    assert!(!html.contains("Alert state is not available"));
}

#[test]
fn links_keep_the_pinned_instant() {
    let q = OverviewQuery {
        at: Some("2026-11-27T12:00:00Z".into()),
        ..Default::default()
    };
    let html = render(&q, None);
    assert!(html.contains("href=\"/slos/pay?at=2026-11-27T12%3A00%3A00Z\""));
    assert!(html.contains("href=\"/journeys/checkout?at=2026-11-27T12%3A00%3A00Z\""));
    assert!(html.contains("name=\"at\" value=\"2026-11-27T12:00:00Z\""));
}

#[test]
fn the_headline_is_the_composite_or_the_objective_with_least_budget() {
    let mut s = fixtures::slo("x", "s", "o", 0.9, 0.0);
    s["objectives"] = serde_json::json!([
        fixtures::objective("a", 0.99, 0.9, 0.7, 0.0),
        { "name": "broken", "status": "error", "error": "engine down" },
        fixtures::objective("b", 0.99, 0.9, 0.2, 0.0),
    ]);
    assert_eq!(headline(&s).unwrap()["name"], "b");
    s["composite"] = serde_json::json!({ "error_budget": { "remaining": 0.5 } });
    assert_eq!(remaining(headline(&s).unwrap()), Some(0.5));
    assert_eq!(headline(&serde_json::json!({})), None);
}

#[test]
fn an_empty_document_renders_an_empty_page() {
    let empty = serde_json::json!({});
    let html = overview_page(&OverviewInputs {
        slos: &empty,
        journeys: &empty,
        alerts: None,
        query: &OverviewQuery::default(),
    });
    well_formed(&html).unwrap();
    assert!(html.contains("0 of 0 SLOs match."));
}
