use serde_json::json;

use super::*;
use crate::fixtures;
use crate::html_check::{field_values, well_formed};

fn render(alerts: Option<&Value>, changes: Option<&Value>, policy: Option<&Value>) -> String {
    let slo = fixtures::slo("pay", "payments", "pay-team", 0.6, 2.0);
    let (series, segments, exemplars) = (
        fixtures::series(),
        fixtures::segments(),
        fixtures::exemplars(),
    );
    let query = DetailQuery {
        at: Some("2026-11-27T12:00:00Z".into()),
        range: TimeRange::parse("1d").unwrap(),
    };
    detail_page(&DetailInputs {
        slo: &slo,
        series: &series,
        segments: &segments,
        exemplars: &exemplars,
        alerts,
        changes,
        policy,
        query: &query,
    })
}

#[test]
fn the_page_shows_every_api_figure_of_the_objective() {
    let html = render(None, None, None);
    well_formed(&html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(
        field_values(&html, "sli"),
        [("0.9991".to_string(), "99.910 %".to_string())]
    );
    assert_eq!(field_values(&html, "target")[0].0, "0.999");
    assert_eq!(
        field_values(&html, "budget_remaining")[0],
        ("0.6".into(), "60.0 %".into())
    );
    assert_eq!(
        field_values(&html, "budget_total")[0],
        ("100.0".into(), "100".into())
    );
    let tte = 0.6 * 28.0 * 86400.0 / 2.0;
    assert_eq!(
        field_values(&html, "time_to_exhaustion_s")[0],
        (format::exact(Some(tte)), "8 d 9 h".into())
    );
    // Burn-rate windows in order of length, each with its label.
    let burns = field_values(&html, "burn_rate");
    assert_eq!(burns.len(), 7);
    assert_eq!(burns[2], ("2.0".into(), "2.00×".into()));
    let windows: Vec<&str> = html
        .match_indices("data-window=\"")
        .map(|(i, _)| html[i + 13..].split('"').next().unwrap())
        .collect();
    assert_eq!(windows, ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
    assert!(
        html.contains("forecast: exhausted 2026-12-05 21:36 UTC"),
        "at + tte"
    );
}

#[test]
fn charts_draw_the_target_thresholds_and_forecast() {
    let html = render(None, None, None);
    assert_eq!(
        html.matches("<svg class=\"line-chart\" role=\"img\"")
            .count(),
        3
    );
    assert!(html.contains("target 99.900 %"));
    assert!(html.contains("page 1h 13.44×"));
    assert!(html.contains("ticket 3d 0.93×"));
    assert!(html.contains("series forecast dashed"));
    // The SLI gap (a step without data) breaks the line instead of dropping to zero.
    assert!(html.contains("The numbers behind these charts"));
    assert_eq!(html.matches("<tr><th scope=\"row\">2026-11-2").count(), 4);
}

#[test]
fn segments_and_exemplars_are_tabled_and_escaped() {
    let html = render(None, None, None);
    let shares = field_values(&html, "segment_share");
    assert_eq!(
        shares,
        [
            ("0.75".to_string(), "75.0 %".to_string()),
            ("0.25".into(), "25.0 %".into())
        ]
    );
    assert!(html.contains("data-segment=\"eu-west &lt;1&gt;\""));
    assert!(html.contains("<svg class=\"bars\""));
    assert_eq!(
        field_values(&html, "trace_id"),
        [(String::new(), "c9e7&lt;script&gt;".into())]
    );
    assert!(html.contains("user=&quot;quoted&quot;"));
    assert!(!html.contains("<script>"));
}

#[test]
fn documentation_owners_and_escalation_are_shown() {
    let html = render(None, None, None);
    assert!(html.contains("Because &lt;money&gt;."));
    assert!(html.contains("<ol class=\"escalation\"><li>oncall</li><li>lead &amp; co</li></ol>"));
    assert!(html.contains("Ann &lt;ann@example.invalid&gt;"));
    assert!(html.contains("Alert state is not available"));
    assert!(html.contains("Change events are not available"));
    assert!(!html.contains("Budget policy"));
}

#[test]
fn optional_documents_become_annotations_and_sections() {
    let alerts = json!({ "alerts": [
        { "slo": "pay", "objective": "obj", "severity": "page", "kind": "burn", "state": "firing", "since": "2026-11-27T06:00:00Z", "summary": "burning <fast>" },
        { "slo": "other", "objective": "obj", "severity": "page", "kind": "burn", "state": "firing", "since": "2026-11-27T06:00:00Z", "summary": "not ours" }
    ]});
    let changes = json!({ "changes": [
        { "id": "1", "kind": "deploy", "service": "payments", "version": "v1.42.0", "time": "2026-11-27T00:00:00Z", "link": "https://ci.example.invalid/1", "description": "ship", "author": "bo" },
        { "id": "2", "kind": "flag", "service": "payments", "flag": "new_checkout", "time": "2026-11-26T20:00:00Z", "description": "40 %" },
        { "id": "3", "kind": "deploy", "service": "search", "version": "v9", "time": "2026-11-27T01:00:00Z", "description": "other service" }
    ]});
    let policy = json!({ "policy": { "name": "default", "state": "at_risk", "releases": "approval", "postmortem_required": true, "reasons": ["burned 30 % <in> one incident"], "escalation_owner": "vp" } });
    let html = render(Some(&alerts), Some(&changes), Some(&policy));
    well_formed(&html).unwrap();
    assert_eq!(field_values(&html, "alerts")[0].0, "1");
    assert!(html.contains("burning &lt;fast&gt;"));
    assert!(!html.contains("not ours"));
    // Markers on all three charts: the deploy, the flag, the alert.
    assert_eq!(
        html.matches("<g class=\"marker deploy\"><title>deploy payments v1.42.0</title>")
            .count(),
        3
    );
    assert_eq!(html.matches("<g class=\"marker flag\">").count(), 3);
    assert_eq!(html.matches("<g class=\"marker alert\">").count(), 3);
    assert!(!html.contains("v9</title>"));
    // A link from user data is the only external URL.
    assert!(html.contains("href=\"https://ci.example.invalid/1\""));
    assert!(html.contains("data-field=\"policy_state\">at_risk"));
    assert!(html.contains("burned 30 % &lt;in&gt; one incident"));
    assert!(html.contains("required"));
}

#[test]
fn the_time_picker_keeps_the_url_state() {
    let html = render(None, None, None);
    assert!(html.contains("name=\"at\" value=\"2026-11-27T12:00:00Z\""));
    assert!(html.contains("<option value=\"1d\" selected>1d</option>"));
    assert!(html.contains("href=\"/slos/pay?range=7d&amp;at=2026-11-27T12%3A00%3A00Z\""));
    assert!(html.contains("href=\"/?at=2026-11-27T12%3A00%3A00Z\""));
}

#[test]
fn objectives_without_figures_show_their_error_and_empty_documents_render() {
    let mut slo = fixtures::slo("pay", "payments", "pay-team", 0.6, 2.0);
    slo["objectives"] = json!([{ "name": "obj", "status": "error", "error": "engine <down>" }]);
    let empty = json!({});
    let q = DetailQuery::default();
    let html = detail_page(&DetailInputs {
        slo: &slo,
        series: &empty,
        segments: &empty,
        exemplars: &empty,
        alerts: None,
        changes: None,
        policy: None,
        query: &q,
    });
    well_formed(&html).unwrap();
    assert!(html.contains("engine &lt;down&gt;"));
    assert!(html.contains("No bad events were sampled"));
    assert!(html.contains("No segments"));
    let html = detail_page(&DetailInputs {
        slo: &empty,
        series: &empty,
        segments: &empty,
        exemplars: &empty,
        alerts: None,
        changes: None,
        policy: None,
        query: &q,
    });
    well_formed(&html).unwrap();
}

#[test]
fn window_labels_order_by_length() {
    assert!(label_minutes("5m") < label_minutes("30m"));
    assert!(label_minutes("2h") < label_minutes("1d"));
    assert_eq!(label_minutes("3d"), 4320);
    assert_eq!(label_minutes("x"), i64::MAX);
    assert_eq!(label_minutes(""), i64::MAX);
}
