//! The web dashboard end to end: known events posted to a real server,
//! then every page (`/`, `/slos/NAME`, `/journeys/NAME`) fetched at the
//! same `at` as the JSON API, and every figure the page marks with
//! `data-field` compared with the API's number (exactly, through
//! `data-value`, and as formatted text). Pages must be self-contained (no
//! external URLs) and well formed (every opened element closed).

use serde_json::Value;

use super::harness::{Server, event, minute_ms, specs_dir};

const JOURNEY: &str = r#"
apiVersion: lodestar.dev/v1
kind: Journey
metadata:
  name: buy
  displayName: Buy <something>
spec:
  owner: payments-team
  steps:
    - name: find
      displayName: Find it
      slos: [search-latency]
    - name: pay
      displayName: Pay for it
      slos: [pay-availability]
  completionSlo: pay-availability
"#;

/// Elements HTML never closes.
const VOID: [&str; 6] = ["meta", "link", "input", "br", "hr", "img"];

/// Every opened element is closed, in order, and attribute quotes balance.
fn assert_well_formed(html: &str, page: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        let gt = after
            .find('>')
            .unwrap_or_else(|| panic!("{page}: unclosed tag"));
        let tag = &after[..gt];
        assert!(
            tag.matches('"').count().is_multiple_of(2),
            "{page}: quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name),
                "{page}: </{name}> out of order"
            );
        } else if !tag.starts_with('!') {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(!name.is_empty(), "{page}: stray '<' before {tag:?}");
            if !VOID.contains(&name.as_str()) {
                stack.push(name);
            }
        }
        rest = &after[gt + 1..];
    }
    assert!(stack.is_empty(), "{page}: never closed: {stack:?}");
}

/// `(data-value, text)` of each `data-field="name"` element inside `scope`.
fn fields(scope: &str, name: &str) -> Vec<(String, String)> {
    let needle = format!("data-field=\"{name}\"");
    scope
        .match_indices(&needle)
        .map(|(i, _)| {
            let rest = &scope[i + needle.len()..];
            let end = rest.find('>').unwrap();
            let value = rest[..end]
                .split_once("data-value=\"")
                .map(|(_, v)| v.split('"').next().unwrap().to_string())
                .unwrap_or_default();
            let text = rest[end + 1..].split('<').next().unwrap().to_string();
            (value, text)
        })
        .collect()
}

/// A `data-value`, read by the JSON parser that reads the API's answers:
/// the page writes the API's own number text, so both sides parse the same
/// text the same way and compare bit for bit.
fn number(v: &str) -> Option<f64> {
    serde_json::from_str(v).ok()
}

/// The one `(value, text)` of `name` inside `scope`, as a number and text.
fn one(scope: &str, name: &str) -> (Option<f64>, String) {
    let f = fields(scope, name);
    assert_eq!(f.len(), 1, "expected one {name} field, got {f:?}");
    let (v, t) = f.into_iter().next().unwrap();
    (number(&v), t)
}

/// The element opened at the first occurrence of `start` up to the next
/// occurrence of `end` (a row, a section).
fn slice<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let j = html[i..].find(end).map_or(html.len(), |j| i + j);
    &html[i..j]
}

fn sli_text(v: f64) -> String {
    format!("{:.3} %", v * 100.0)
}

fn budget_text(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

fn burn_text(v: f64) -> String {
    format!("{v:.2}×")
}

fn assert_self_contained(html: &str, page: &str) {
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{page} links outside"
    );
    assert!(html.contains("href=\"/static/lodestar.css\""), "{page}");
}

/// A server with the shop specs plus a journey over both SLOs, fed 30
/// minutes of `/pay` (3 % errors, eu-west worse than us-east) and search
/// events, and the instant every read uses.
fn fed_server(dir: &std::path::Path) -> (Server, String) {
    std::fs::create_dir_all(dir.join("extra")).unwrap();
    let journey = dir.join("extra/journey.yaml");
    std::fs::write(&journey, JOURNEY).unwrap();
    let s = Server::start(
        &dir.join("d"),
        &specs_dir(),
        &["--config", journey.to_str().unwrap()],
    );
    let mut body = String::new();
    for m in 1..=30 {
        let t = minute_ms(m);
        for k in 0..10 {
            let region = if k % 2 == 0 { "eu-west" } else { "us-east" };
            let status = if (m % 10 == 0 && k < 3) || (m == 7 && k == 4) {
                "error"
            } else {
                "ok"
            };
            body.push_str(&event(
                t + k * 1000,
                "POST /pay",
                "/pay",
                status,
                20.0,
                region,
            ));
            body.push('\n');
            let slow = if m % 6 == 0 { 900.0 } else { 80.0 + k as f64 };
            body.push_str(&event(
                t + k * 1000,
                "GET /search",
                "/search",
                "ok",
                slow,
                region,
            ));
            body.push('\n');
        }
    }
    let (status, doc) = s.post("/api/v1/events", body.as_bytes());
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["accepted"], 600, "{doc}");
    // Seconds into the current minute: every read sees the same window.
    let at = format!("{}", minute_ms(0) / 1000 + 30);
    (s, at)
}

fn api(s: &Server, path: &str) -> Value {
    let (status, doc) = s.get(path);
    assert_eq!(status, 200, "{path}: {doc}");
    doc
}

#[test]
fn the_overview_shows_the_api_figures_of_every_slo() {
    let dir = tempfile::tempdir().unwrap();
    let (s, at) = fed_server(dir.path());
    let html = s.get_text(&format!("/?at={at}"));
    let doc = api(&s, &format!("/api/v1/slos?at={at}&history=24"));
    assert_well_formed(&html, "/");
    assert_self_contained(&html, "/");
    assert!(html.contains("Buy &lt;something&gt;"));
    let slos = doc["slos"].as_array().unwrap();
    assert_eq!(slos.len(), 2);
    for slo in slos {
        let name = slo["name"].as_str().unwrap();
        let o = &slo["objectives"][0];
        // The SLO's row inside the journey group.
        let row = slice(&html, &format!("<tr data-slo=\"{name}\""), "</tr>");
        assert!(row.contains(&format!(
            "data-status=\"{}\"",
            slo["status"].as_str().unwrap()
        )));
        let sli = o["sli"]["value"].as_f64().unwrap();
        assert_eq!(one(row, "sli"), (Some(sli), sli_text(sli)), "{name}");
        let target = o["target"].as_f64().unwrap();
        assert_eq!(
            one(row, "target"),
            (Some(target), sli_text(target)),
            "{name}"
        );
        let rem = o["error_budget"]["remaining"].as_f64().unwrap();
        assert_eq!(
            one(row, "budget_remaining"),
            (Some(rem), budget_text(rem)),
            "{name}"
        );
        let fastest = o["burn_rates"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_f64)
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            one(row, "burn_fastest"),
            (Some(fastest), burn_text(fastest)),
            "{name}"
        );
        assert!(row.contains("class=\"sparkline\""), "{name}");
    }
    // Filters work without the script: hidden rows stay in the page.
    let filtered = s.get_text(&format!("/?at={at}&owner=search-team"));
    assert!(slice(&filtered, "<tr data-slo=\"pay-availability\"", ">").contains(" hidden"));
    assert!(!slice(&filtered, "<tr data-slo=\"search-latency\"", ">").contains(" hidden"));
}

#[test]
fn the_slo_page_shows_the_api_figures_segments_and_exemplars() {
    let dir = tempfile::tempdir().unwrap();
    let (s, at) = fed_server(dir.path());
    let name = "pay-availability";
    let html = s.get_text(&format!("/slos/{name}?at={at}&range=1h"));
    assert_well_formed(&html, "/slos");
    assert_self_contained(&html, "/slos");
    let doc = api(&s, &format!("/api/v1/slos/{name}?at={at}"));
    let o = &doc["objectives"][0];
    let section = slice(&html, "<section class=\"objective\"", "</section>");
    for (field, pointer) in [
        ("sli", "/sli/value"),
        ("target", "/target"),
        ("budget_remaining", "/error_budget/remaining"),
        ("budget_consumed", "/error_budget/consumed"),
        ("budget_total", "/error_budget/total"),
        ("time_to_exhaustion_s", "/time_to_exhaustion_s"),
        ("good", "/sli/good"),
        ("total", "/sli/total"),
    ] {
        assert_eq!(
            one(section, field).0,
            o.pointer(pointer).unwrap().as_f64(),
            "{field}"
        );
    }
    let sli = o["sli"]["value"].as_f64().unwrap();
    assert_eq!(one(section, "sli").1, sli_text(sli));
    // Every burn-rate window, by its label.
    for (window, v) in o["burn_rates"].as_object().unwrap() {
        let cell = slice(section, &format!("data-window=\"{window}\""), "</td>");
        let v = v.as_f64();
        assert_eq!(one(cell, "burn_rate").0, v, "{window}");
        if let Some(v) = v {
            assert_eq!(one(cell, "burn_rate").1, burn_text(v));
        }
    }
    assert_eq!(
        html.matches("<svg class=\"line-chart\" role=\"img\"")
            .count(),
        3
    );
    assert!(html.contains("<title id=\"o0-sli-t\">"));

    // Segments: the same order and shares as the API.
    let segs = api(&s, &format!("/api/v1/slos/{name}/segments?at={at}"));
    let dim = &segs["objectives"][0]["dimensions"][0];
    assert_eq!(dim["dimension"], "region");
    let table = slice(&html, "data-dimension=\"region\"", "</table>");
    let shown: Vec<f64> = fields(table, "segment_share")
        .iter()
        .map(|f| number(&f.0).unwrap())
        .collect();
    let want: Vec<f64> = dim["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["share_of_consumed"].as_f64().unwrap())
        .collect();
    assert_eq!(shown, want);
    assert!(
        table.find("data-segment=\"eu-west\"").unwrap()
            < table.find("data-segment=\"us-east\"").unwrap()
    );

    // The series behind the charts ends at the evaluation.
    let series = api(&s, &format!("/api/v1/slos/{name}/series?at={at}&range=1h"));
    let burn_1h = series["objectives"][0]["burn_rates"]["1h"]
        .as_array()
        .unwrap();
    assert_eq!(burn_1h.last().unwrap()["value"], o["burn_rates"]["1h"]);

    // Documentation and owners.
    assert!(html.contains("data-field=\"owner_team\">payments-team"));
}

#[test]
fn the_journey_page_shows_steps_completion_and_the_weak_link() {
    let dir = tempfile::tempdir().unwrap();
    let (s, at) = fed_server(dir.path());
    let html = s.get_text(&format!("/journeys/buy?at={at}"));
    assert_well_formed(&html, "/journeys");
    assert_self_contained(&html, "/journeys");
    let doc = api(&s, &format!("/api/v1/journeys?at={at}"));
    let j = &doc["journeys"][0];
    assert_eq!(j["name"], "buy");
    let mut weakest: Option<(String, f64)> = None;
    for step in j["steps"].as_array().unwrap() {
        let sname = step["name"].as_str().unwrap();
        let li = slice(&html, &format!("<li data-step=\"{sname}\""), "</li>");
        for slo in step["slos"].as_array().unwrap() {
            let row = slice(
                li,
                &format!("<tr data-slo=\"{}\"", slo["name"].as_str().unwrap()),
                "</tr>",
            );
            let rem = slo["objectives"][0]["error_budget"]["remaining"]
                .as_f64()
                .unwrap();
            assert_eq!(one(row, "budget_remaining"), (Some(rem), budget_text(rem)));
            if weakest.as_ref().is_none_or(|w| rem < w.1) {
                weakest = Some((sname.to_string(), rem));
            }
        }
    }
    let (weak_step, weak_rem) = weakest.unwrap();
    assert!(html.contains(&format!(
        "data-field=\"weak_link\" data-step=\"{weak_step}\""
    )));
    assert_eq!(one(&html, "weak_link_budget_remaining").0, Some(weak_rem));
    let pay = api(&s, &format!("/api/v1/slos/pay-availability?at={at}"));
    let completion = pay["objectives"][0]["sli"]["value"].as_f64().unwrap();
    assert_eq!(
        one(&html, "completion_rate"),
        (Some(completion), sli_text(completion))
    );
}

#[test]
fn unknown_names_get_an_html_404() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("d"), &specs_dir(), &[]);
    for path in ["/slos/nope", "/journeys/nope"] {
        let (status, body) = s.get(path);
        assert_eq!(status, 404, "{path}");
        let text = body.as_str().unwrap();
        assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
        assert_well_formed(text, path);
    }
}
