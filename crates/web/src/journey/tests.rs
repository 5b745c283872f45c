use serde_json::json;

use super::*;
use crate::fixtures;
use crate::html_check::{field_values, well_formed};

#[test]
fn steps_outcomes_and_the_weak_link_are_shown() {
    let a = fixtures::slo("pay", "payments", "pay-team", 0.8, 2.0);
    let b = fixtures::slo("cart", "cart", "shop-team", 0.3, 0.5);
    let done = fixtures::slo("done", "checkout", "pay-team", 0.9, 0.1);
    let doc = fixtures::journeys(vec![a.clone()], vec![b.clone(), a.clone()]);
    let q = DetailQuery {
        at: Some("2026-11-27T12:00:00Z".into()),
        ..Default::default()
    };
    let html = journey_page(&JourneyInputs {
        journey: &doc["journeys"][0],
        at: "2026-11-27T12:00:00Z",
        completion: Some(&done),
        first_action: None,
        query: &q,
    });
    well_formed(&html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("Checkout &lt;journey&gt;"));
    assert_eq!(
        field_values(&html, "completion_rate"),
        [("0.9991".to_string(), "99.910 %".to_string())]
    );
    assert!(html.contains("not defined for this journey"));
    assert!(html.contains("data-field=\"weak_link\" data-step=\"pay\">Pay</span>"));
    assert_eq!(
        field_values(&html, "weak_link_budget_remaining")[0].0,
        "0.3"
    );
    assert!(html.contains("<li data-step=\"pay\" class=\"weak\">"));
    let rem: Vec<String> = field_values(&html, "budget_remaining")
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(rem, ["0.8", "0.3", "0.8"]);
    assert!(html.contains("href=\"/slos/cart?at=2026-11-27T12%3A00%3A00Z\""));
}

#[test]
fn a_journey_without_figures_has_no_weak_link() {
    let j = json!({ "name": "j", "steps": [{ "name": "s", "slos": [{ "name": "x", "status": "no_data", "objectives": [] }] }], "completion_slo": "gone" });
    assert!(weak_link(&j).is_none());
    let html = journey_page(&JourneyInputs {
        journey: &j,
        at: "",
        completion: None,
        first_action: None,
        query: &DetailQuery::default(),
    });
    well_formed(&html).unwrap();
    assert!(html.contains("no figures yet"));
    assert!(html.contains("SLO gone is not loaded"));
}

#[test]
fn ties_go_to_the_earlier_step() {
    let a = fixtures::slo("a", "s", "o", 0.5, 0.0);
    let doc = fixtures::journeys(vec![a.clone()], vec![a]);
    assert_eq!(weak_link(&doc["journeys"][0]).unwrap().0["name"], "cart");
}
