//! Tests of the demo: reproducibility, the NDJSON event contract, volumes,
//! the planted incidents, the tuned budget story and the spec files.

use std::collections::{BTreeSet, HashMap};

use super::random::{SplitMix64, stream_seed};
use super::shop::{ENDPOINTS, Kind, REGIONS};
use super::traffic::Event;
use super::*;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// 2026-11-27T18:45:12.345Z, a Friday evening in Europe: deliberately not
/// aligned to a minute, so the anchor's own minute is exercised.
const ANCHOR_MS: i64 = 1_795_027_512_345;

fn events(d: &Demo, from_ms: i64, to_ms: i64) -> Vec<Event> {
    let mut out = Vec::new();
    d.for_each_minute(from_ms, to_ms, |_, es| out.extend_from_slice(es));
    out
}

fn kind(e: &Event) -> Kind {
    ENDPOINTS[e.endpoint].kind
}

fn weight(e: &Event) -> f64 {
    f64::from(e.sample_rate)
}

/// Sample-weighted share of failed events among `es`.
fn error_rate<'a>(es: impl Iterator<Item = &'a Event>) -> f64 {
    let (mut bad, mut total) = (0.0, 0.0);
    for e in es {
        total += weight(e);
        if e.failed {
            bad += weight(e);
        }
    }
    assert!(total > 0.0, "no events to compute an error rate from");
    bad / total
}

/// Sample-weighted quantile of durations.
fn weighted_quantile<'a>(es: impl Iterator<Item = &'a Event>, q: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = es.map(|e| (e.duration_ms, weight(e))).collect();
    assert!(!v.is_empty(), "no events to compute a quantile from");
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut seen = 0.0;
    for (x, w) in &v {
        seen += w;
        if seen >= q * total {
            return *x;
        }
    }
    v[v.len() - 1].0
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let from = ANCHOR_MS - 2 * HOUR_MS;
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let na = Demo::new(ANCHOR_MS, 42).ndjson(from, ANCHOR_MS + MINUTE_MS, &mut a);
    let nb = Demo::new(ANCHOR_MS, 42).ndjson(from, ANCHOR_MS + MINUTE_MS, &mut b);
    Demo::new(ANCHOR_MS, 43).ndjson(from, ANCHOR_MS + MINUTE_MS, &mut c);
    assert!(na > 100, "two hours should hold events, got {na}");
    assert_eq!(na, nb);
    assert!(a == b, "same seed, same range: the bytes differ");
    assert!(a != c, "another seed produced identical traffic");
}

#[test]
fn adjacent_ranges_concatenate_to_the_whole_range() {
    let d = Demo::new(ANCHOR_MS, 9);
    let mut rng = SplitMix64::new(1);
    // Ranges around the anchor, where the sampling regime switches, and in the past.
    for from in [ANCHOR_MS - 5 * MINUTE_MS, ANCHOR_MS - 10 * DAY_MS + 17_003] {
        let to = from + 9 * MINUTE_MS + 123;
        let mut whole = Vec::new();
        let n_whole = d.ndjson(from, to, &mut whole);
        for _ in 0..8 {
            let cut = from + rng.below((to - from) as u64) as i64;
            let mut parts = Vec::new();
            let n = d.ndjson(from, cut, &mut parts) + d.ndjson(cut, to, &mut parts);
            assert_eq!(n, n_whole, "event counts differ when cut at {cut}");
            assert!(
                parts == whole,
                "bytes differ when [{from}, {to}) is cut at {cut}"
            );
        }
    }
}

#[test]
fn every_line_is_a_complete_event_inside_the_requested_range() {
    let d = Demo::new(ANCHOR_MS, 5);
    let outage = &d.incidents()[0];
    // An hour that holds the outage's failures, and the live start.
    let ranges = [
        (
            outage.start_ms - 5 * MINUTE_MS,
            outage.start_ms + 55 * MINUTE_MS,
        ),
        (ANCHOR_MS - 2 * MINUTE_MS, ANCHOR_MS + 3 * MINUTE_MS),
    ];
    let names: BTreeSet<&str> = ENDPOINTS.iter().map(|e| e.name).collect();
    let regions: BTreeSet<&str> = REGIONS.iter().map(|r| r.name).collect();
    let mut seen_error = false;
    for (from, to) in ranges {
        let mut out = Vec::new();
        let n = d.ndjson(from, to, &mut out);
        let text = String::from_utf8(out).expect("ndjson is utf-8");
        assert!(text.ends_with('\n'), "the last line must be terminated");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len() as u64,
            n,
            "returned count and line count differ"
        );
        let mut previous = i64::MIN;
        for line in lines {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let ts = v["timestamp"]
                .as_str()
                .unwrap_or_else(|| panic!("no timestamp: {line}"));
            assert_eq!(
                ts.len(),
                24,
                "timestamp is not RFC 3339 with ms and Z: {ts}"
            );
            let at: jiff::Timestamp = ts
                .parse()
                .unwrap_or_else(|e| panic!("bad timestamp {ts}: {e}"));
            let at = at.as_millisecond();
            assert!(from <= at && at < to, "{ts} outside [{from}, {to})");
            assert!(at >= previous, "events are not in time order at {ts}");
            previous = at;
            assert!(
                names.contains(v["name"].as_str().unwrap_or("")),
                "unknown name: {line}"
            );
            let duration = v["duration_ms"].as_f64().unwrap_or(-1.0);
            assert!(
                duration > 0.0 && duration < 60_000.0,
                "duration_ms out of range: {line}"
            );
            let status = v["status"].as_str().unwrap_or("");
            assert!(status == "ok" || status == "error", "bad status: {line}");
            seen_error |= status == "error";
            let rate = v["sample_rate"].as_u64().unwrap_or(0);
            assert!((1..=50).contains(&rate), "sample_rate out of range: {line}");
            let a = v["attributes"]
                .as_object()
                .unwrap_or_else(|| panic!("no attributes: {line}"));
            let attr = |k: &str| {
                a.get(k)
                    .and_then(|x| x.as_str())
                    .unwrap_or_else(|| panic!("no {k}: {line}"))
            };
            assert!(attr("http.route").starts_with('/'));
            assert!(regions.contains(attr("region")), "bad region: {line}");
            assert!(
                ["v1.41.0", "v1.42.0"].contains(&attr("version")),
                "bad version: {line}"
            );
            assert!(
                ["on", "off"].contains(&attr("feature.new_checkout")),
                "bad flag: {line}"
            );
            assert!(
                ["free", "pro", "enterprise"].contains(&attr("customer.tier")),
                "bad tier: {line}"
            );
            let hex = |s: &str, len: usize| {
                s.len() == len
                    && s.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            };
            assert!(hex(attr("trace_id"), 32), "bad trace_id: {line}");
            assert!(hex(attr("span_id"), 16), "bad span_id: {line}");
            match v["name"].as_str() {
                Some("POST /checkout") => {
                    let outcome = attr("outcome");
                    assert!(
                        ["completed", "abandoned", "failed"].contains(&outcome),
                        "{line}"
                    );
                    assert_eq!(
                        outcome == "failed",
                        status == "error",
                        "outcome and status disagree: {line}"
                    );
                }
                Some("payments.charge") => assert_eq!(attr("peer.service"), "payments-provider"),
                _ => assert!(
                    !a.contains_key("outcome"),
                    "outcome outside checkout: {line}"
                ),
            }
        }
    }
    assert!(seen_error, "the outage hour produced no error event");
}

#[test]
fn history_volume_fits_three_to_four_million_events_in_28_days() {
    let d = Demo::new(ANCHOR_MS, 3);
    let start = ANCHOR_MS - 28 * DAY_MS;
    // One day of each weekday, spread over the four weeks: four times their
    // sum estimates the whole 28 days without generating them all.
    let mut sampled = 0u64;
    for day in [0, 8, 16, 24, 4, 12, 20] {
        let from = start + day * DAY_MS;
        d.for_each_minute(from, from + DAY_MS, |_, es| sampled += es.len() as u64);
    }
    let estimate = sampled * 4;
    assert!(
        (3_000_000..=4_000_000).contains(&estimate),
        "28 days would hold {estimate} events"
    );
}

#[test]
fn live_traffic_runs_at_20_to_50_events_per_second() {
    let d = Demo::new(ANCHOR_MS, 3);
    let mut per_hour = Vec::new();
    for h in 0..24 {
        let from = ANCHOR_MS + h * HOUR_MS;
        per_hour.push(events(&d, from, from + 2 * MINUTE_MS).len() as f64 / 120.0);
    }
    let mean = per_hour.iter().sum::<f64>() / 24.0;
    assert!(
        (20.0..=50.0).contains(&mean),
        "live mean {mean:.1} events/s"
    );
    for (h, r) in per_hour.iter().enumerate() {
        assert!(
            (10.0..=60.0).contains(r),
            "{r:.1} events/s {h} h after the anchor"
        );
    }
}

#[test]
fn weighted_live_and_history_traffic_describe_the_same_shop() {
    let d = Demo::new(ANCHOR_MS, 11);
    // The same hour of day and weekday, one week apart across the anchor.
    let live_from = ANCHOR_MS + 2 * DAY_MS;
    let history_from = live_from - 7 * DAY_MS;
    let weighted = |from: i64| {
        events(&d, from, from + HOUR_MS)
            .iter()
            .map(weight)
            .sum::<f64>()
    };
    let (live, history) = (weighted(live_from), weighted(history_from));
    let ratio = live / history;
    assert!(
        (0.93..=1.07).contains(&ratio),
        "weighted live/history = {ratio:.3}"
    );
}

#[test]
fn traffic_peaks_in_each_regions_afternoon() {
    let d = Demo::new(ANCHOR_MS, 13);
    let day = (ANCHOR_MS - 6 * DAY_MS).div_euclid(DAY_MS) * DAY_MS;
    let es = events(&d, day, day + DAY_MS);
    for (r, region) in REGIONS.iter().enumerate() {
        let mut by_hour = [0.0; 24];
        for e in es.iter().filter(|e| e.region == r) {
            by_hour[((e.at_ms - day) / HOUR_MS) as usize] += weight(e);
        }
        let peak_utc = (0..24)
            .max_by(|a, b| by_hour[*a].total_cmp(&by_hour[*b]))
            .unwrap_or(0);
        let tz = jiff::tz::TimeZone::get(region.time_zone).expect("bundled tz");
        let at = jiff::Timestamp::from_millisecond(day + peak_utc as i64 * HOUR_MS + HOUR_MS / 2)
            .expect("in range");
        let local_hour = at.to_zoned_datetime(tz).hour();
        assert!(
            (12..=18).contains(&local_hour),
            "{} peaks at {local_hour}:30 local",
            region.name
        );
        let trough = by_hour.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            by_hour[peak_utc] > 2.5 * trough,
            "{}: no diurnal swing",
            region.name
        );
    }
}

#[test]
fn incidents_sit_inside_the_history_in_order() {
    for anchor in [
        ANCHOR_MS,
        ANCHOR_MS + 7 * HOUR_MS,
        ANCHOR_MS + 13 * HOUR_MS + 1,
    ] {
        let incidents = Demo::new(anchor, 1).incidents();
        assert_eq!(incidents.len(), 2);
        let (outage, regression) = (&incidents[0], &incidents[1]);
        assert_eq!(outage.end_ms - outage.start_ms, 50 * MINUTE_MS);
        assert_eq!(regression.end_ms - regression.start_ms, 3 * HOUR_MS);
        let days_before = |ms: i64| (anchor - ms) as f64 / DAY_MS as f64;
        assert!(
            (8.0..10.0).contains(&days_before(outage.start_ms)),
            "outage {:.2} days before",
            days_before(outage.start_ms)
        );
        assert!(
            (1.0..3.0).contains(&days_before(regression.start_ms)),
            "regression {:.2} days before",
            days_before(regression.start_ms)
        );
        assert!(regression.end_ms < anchor);
        for i in &incidents {
            assert!(
                !i.title.is_empty() && i.description.len() > 100,
                "incident text too thin: {i:?}"
            );
        }
    }
}

#[test]
fn v1_42_0_serves_half_the_traffic_only_after_its_rollout() {
    let d = Demo::new(ANCHOR_MS, 17);
    let new_share = |from: i64| {
        let es = events(&d, from, from + HOUR_MS);
        es.iter()
            .filter(|e| e.version == 1)
            .map(weight)
            .sum::<f64>()
            / es.iter().map(weight).sum::<f64>()
    };
    assert_eq!(new_share(ANCHOR_MS - 4 * DAY_MS), 0.0);
    let after = new_share(ANCHOR_MS - DAY_MS);
    assert!(
        (0.45..=0.55).contains(&after),
        "v1.42.0 share after rollout {after:.3}"
    );
}

#[test]
fn payments_outage_fails_40_percent_of_eu_west_charges_and_checkouts() {
    let d = Demo::new(ANCHOR_MS, 21);
    let outage = d.incidents()[0].clone();
    let during = events(&d, outage.start_ms, outage.end_ms);
    let day_before = events(&d, outage.start_ms - DAY_MS, outage.end_ms - DAY_MS);
    let of = |es: &[Event], k: Kind, region: usize| -> Vec<Event> {
        es.iter()
            .filter(|e| kind(e) == k && e.region == region)
            .copied()
            .collect()
    };
    let charges = error_rate(of(&during, Kind::Charge, 0).iter());
    assert!(
        (0.34..=0.46).contains(&charges),
        "eu-west charge error rate {charges:.3}"
    );
    let checkouts = of(&during, Kind::Checkout, 0);
    let failed = error_rate(checkouts.iter());
    assert!(
        (0.33..=0.47).contains(&failed),
        "eu-west checkout failure rate {failed:.3}"
    );
    assert!(
        checkouts
            .iter()
            .filter(|e| e.failed)
            .all(|e| e.outcome == Some("failed"))
    );
    let elsewhere = error_rate(of(&during, Kind::Charge, 1).iter());
    assert!(elsewhere < 0.01, "us-east charges failed at {elsewhere:.4}");
    let before = error_rate(of(&day_before, Kind::Charge, 0).iter());
    assert!(
        before < 0.01,
        "eu-west charges failed at {before:.4} a day earlier"
    );
}

#[test]
fn release_regression_triples_search_p95_and_fails_2_percent_of_checkouts() {
    let d = Demo::new(ANCHOR_MS, 23);
    let regression = d.incidents()[1].clone();
    let during = events(&d, regression.start_ms, regression.end_ms);
    let day_after = events(&d, regression.start_ms + DAY_MS, regression.end_ms + DAY_MS);
    let affected = |e: &&Event| e.version == 1 && e.new_checkout;
    let search_p95 = |es: &[Event], hit: bool| {
        weighted_quantile(
            es.iter()
                .filter(|e| kind(e) == Kind::Search && !e.failed && affected(e) == hit),
            0.95,
        )
    };
    let slowdown = search_p95(&during, true) / search_p95(&day_after, true);
    assert!(
        (2.4..=3.6).contains(&slowdown),
        "affected search p95 grew {slowdown:.2}x"
    );
    let others = search_p95(&during, false) / search_p95(&day_after, false);
    assert!(
        (0.8..=1.25).contains(&others),
        "unaffected search p95 changed {others:.2}x"
    );
    let checkout_errors = |hit: bool| {
        error_rate(
            during
                .iter()
                .filter(|e| kind(e) == Kind::Checkout && affected(e) == hit),
        )
    };
    let hit = checkout_errors(true);
    assert!(
        (0.012..=0.03).contains(&hit),
        "affected checkout error rate {hit:.4}"
    );
    let spared = checkout_errors(false);
    assert!(spared < 0.005, "unaffected checkout error rate {spared:.4}");
}

/// The budgets the demo is tuned to show after its 28-day backfill, in
/// fractions of the error budget consumed; bounds leave room for seeds and
/// anchors. Ratio SLOs only: slice SLOs depend on the server's sketches.
#[test]
fn backfilled_budgets_tell_the_intended_story() {
    let d = Demo::new(ANCHOR_MS, 42);
    let mut sums: HashMap<&str, (f64, f64)> = HashMap::new();
    let mut add = |slo: &'static str, e: &Event, good: bool| {
        let s = sums.entry(slo).or_default();
        s.0 += weight(e);
        if !good {
            s.1 += weight(e);
        }
    };
    d.for_each_minute(ANCHOR_MS - 28 * DAY_MS, ANCHOR_MS, |_, es| {
        for e in es {
            match kind(e) {
                Kind::Home | Kind::Product => add("browse-availability", e, !e.failed),
                Kind::Checkout => add("checkout-availability", e, !e.failed),
                Kind::Charge => add("payments-provider-availability", e, !e.failed),
                _ => {}
            }
            if kind(e) == Kind::Product && !e.failed {
                add("product-page-latency", e, e.duration_ms <= 400.0);
            }
            if kind(e) == Kind::Checkout {
                add("checkout-completion", e, e.outcome == Some("completed"));
            }
        }
    });
    let consumed = |slo: &str, target: f64| {
        let (total, bad) = sums[slo];
        bad / (total * (1.0 - target))
    };
    let checks = [
        ("checkout-availability", 0.999, 0.80, 0.99),
        ("payments-provider-availability", 0.999, 0.70, 0.95),
        ("browse-availability", 0.999, 0.05, 0.50),
        ("product-page-latency", 0.99, 0.10, 0.60),
        ("checkout-completion", 0.95, 0.20, 0.60),
    ];
    for (slo, target, low, high) in checks {
        let c = consumed(slo, target);
        assert!(
            (low..=high).contains(&c),
            "{slo}: {:.1} % of the budget consumed",
            c * 100.0
        );
    }
}

#[test]
fn random_source_has_the_expected_moments() {
    let mut rng = SplitMix64::new(stream_seed(99, 0));
    for lambda in [0.3, 4.0, 80.0] {
        let n = 40_000;
        let draws: Vec<f64> = (0..n).map(|_| rng.poisson(lambda) as f64).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (mean - lambda).abs() < 0.05 * lambda + 0.01,
            "poisson({lambda}) mean {mean}"
        );
        assert!(
            (var - lambda).abs() < 0.1 * lambda + 0.02,
            "poisson({lambda}) variance {var}"
        );
    }
    assert_eq!(rng.poisson(0.0), 0);
    let z: Vec<f64> = (0..40_000).map(|_| rng.standard_normal()).collect();
    let mean = z.iter().sum::<f64>() / z.len() as f64;
    let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / z.len() as f64;
    assert!(
        mean.abs() < 0.02 && (var - 1.0).abs() < 0.03,
        "normal mean {mean} variance {var}"
    );
    assert!((0..10_000).all(|_| rng.below(7) < 7));
    assert!(
        (0..10_000)
            .map(|_| rng.unit())
            .all(|u| (0.0..1.0).contains(&u))
    );
    assert_ne!(stream_seed(1, 0), stream_seed(1, 1));
    assert_ne!(stream_seed(1, 0), stream_seed(2, 0));
}

/// The documents of all spec files, split at `---` lines.
fn spec_documents() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for (file, text) in Demo::specs() {
        for doc in text.split("\n---\n") {
            docs.push((file.clone(), doc.to_string()));
        }
    }
    docs
}

/// The value of the first line of `doc` that starts with `prefix`.
fn field<'a>(doc: &'a str, prefix: &str) -> Option<&'a str> {
    doc.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .map(|v| v.trim().trim_matches('"'))
}

/// `[a, b]` flow lists of lines that contain `key`.
fn flow_lists(doc: &str, key: &str) -> Vec<Vec<String>> {
    doc.lines()
        .filter_map(|l| l.trim().strip_prefix(key))
        .map(|v| {
            v.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn specs_hold_ten_documented_slos_and_three_journeys_that_resolve() {
    let docs = spec_documents();
    let of_kind = |k: &str| {
        docs.iter()
            .filter(|(_, d)| field(d, "kind: ") == Some(k))
            .collect::<Vec<_>>()
    };
    let services: BTreeSet<&str> = of_kind("Service")
        .iter()
        .filter_map(|(_, d)| field(d, "  name: "))
        .collect();
    let slos = of_kind("SLO");
    let journeys = of_kind("Journey");
    assert!(slos.len() >= 10, "{} SLOs", slos.len());
    assert_eq!(journeys.len(), 3);
    let mut slo_names = BTreeSet::new();
    let mut sli_names = BTreeSet::new();
    for (file, d) in &slos {
        let name = field(d, "  name: ").unwrap_or_else(|| panic!("{file}: SLO without a name"));
        assert!(slo_names.insert(name), "{file}: SLO {name} defined twice");
        let sli = field(d, "      name: ").unwrap_or_else(|| panic!("{name}: no indicator name"));
        assert!(
            sli_names.insert(sli),
            "{name}: SLI name {sli} reused; it identifies stored data"
        );
        let service = field(d, "  service: ").unwrap_or("");
        assert!(
            services.contains(service),
            "{name}: unknown service {service:?}"
        );
        for key in [
            "owner",
            "champion",
            "escalation",
            "review-cadence",
            "last-reviewed",
            "why",
            "how",
            "acceptable-variation",
        ] {
            assert!(
                d.contains(&format!("lodestar.dev/{key}:")),
                "{name}: no lodestar.dev/{key}"
            );
        }
    }
    for (file, j) in &journeys {
        let name = field(j, "  name: ").unwrap_or("?");
        let mut referenced: Vec<String> = flow_lists(j, "slos:").into_iter().flatten().collect();
        referenced.extend(field(j, "  completionSlo: ").map(str::to_string));
        referenced.extend(field(j, "  timeToFirstActionSlo: ").map(str::to_string));
        assert!(
            referenced.len() >= 2,
            "{file}: journey {name} references too little"
        );
        for r in referenced {
            assert!(
                slo_names.contains(r.as_str()),
                "journey {name} references unknown SLO {r:?}"
            );
        }
    }
    let all: String = docs
        .iter()
        .map(|(_, d)| d.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for required in [
        "budgetingMethod: Occurrences",
        "budgetingMethod: Timeslices",
        "budgetingMethod: RatioTimeslices",
        "duration: 1M",
        "timeZone: Europe/Berlin",
        "aggregate: p95",
        "aggregate: p90",
        "'duration_ms <= 400'",
        "attributes[\"outcome\"] == \"completed\"",
        "attributes[\"peer.service\"] == \"payments-provider\"",
        "name == \"first_meaningful_action\"",
    ] {
        assert!(all.contains(required), "no SLO uses {required}");
    }
}

#[test]
fn spec_filters_and_segments_name_what_the_traffic_emits() {
    let d = Demo::new(ANCHOR_MS, 2);
    let mut out = Vec::new();
    let outage = &d.incidents()[0];
    d.ndjson(outage.start_ms, outage.start_ms + 20 * MINUTE_MS, &mut out);
    let mut keys = BTreeSet::new();
    for line in String::from_utf8(out).expect("utf-8").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        keys.extend(
            v["attributes"]
                .as_object()
                .expect("attributes")
                .keys()
                .cloned(),
        );
    }
    let names: BTreeSet<&str> = ENDPOINTS.iter().map(|e| e.name).collect();
    for (file, doc) in spec_documents() {
        for list in flow_lists(&doc, "segments:") {
            for key in list {
                assert!(
                    keys.contains(&key),
                    "{file}: segment {key:?} is not an emitted attribute"
                );
            }
        }
        for part in doc.split("name == \"").skip(1) {
            let name = &part[..part.find('"').unwrap_or(0)];
            assert!(
                names.contains(name),
                "{file}: filter matches no emitted event name {name:?}"
            );
        }
    }
}

#[test]
fn spec_files_load_strictly_without_a_diagnostic() {
    let loaded = spec::load_sources(&Demo::specs(), spec::Mode::Strict);
    let diagnostics: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        diagnostics.is_empty(),
        "the demo specs have diagnostics:\n{}",
        diagnostics.join("\n")
    );
    let set = loaded.set.expect("a spec set when there are no errors");
    assert_eq!(set.slos.len(), 10);
    assert_eq!(set.journeys.len(), 3);
    for s in &set.slos {
        let name = &s.metadata.name;
        let o = &s.ownership;
        assert!(
            o.owner.is_some() && o.champion.is_some(),
            "{name}: owner or champion missing"
        );
        assert!(
            o.escalation.len() >= 3,
            "{name}: escalation path {:?}",
            o.escalation
        );
        assert!(
            o.review_cadence.is_some() && o.last_reviewed.is_some(),
            "{name}: review data missing"
        );
        let sli = s
            .indicator
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no indicator"));
        let doc = &sli.documentation;
        for (what, text) in [
            ("why", &doc.why),
            ("how", &doc.how),
            ("acceptable-variation", &doc.acceptable_variation),
        ] {
            let len = text.as_ref().map_or(0, |t| t.len());
            assert!(
                len > 80,
                "{name}: lodestar.dev/{what} is missing or too thin ({len} chars)"
            );
        }
    }
    let journey = |n: &str| {
        set.journeys
            .iter()
            .find(|j| j.metadata.name == n)
            .unwrap_or_else(|| panic!("no journey {n}"))
    };
    assert_eq!(
        journey("checkout").completion_slo.as_deref(),
        Some("checkout-completion")
    );
    assert_eq!(
        journey("browse").time_to_first_action_slo.as_deref(),
        Some("browse-first-action")
    );
    let methods: BTreeSet<String> = set
        .slos
        .iter()
        .map(|s| format!("{:?}", s.budgeting_method))
        .collect();
    assert_eq!(methods.len(), 3, "budgeting methods used: {methods:?}");
}

/// The demo's events through the server's own catalog and ingest pipeline:
/// every line is accepted, every SLI's filters select events, and the
/// outage shows up in the SLI the way the generator planted it.
#[test]
fn real_ingest_pipeline_accepts_the_traffic_and_sees_the_outage() {
    let catalog = server::Catalog::from_sources(&Demo::specs(), false)
        .unwrap_or_else(|d| panic!("the demo specs do not compile:\n{}", d.join("\n")));
    let d = Demo::new(ANCHOR_MS, 31);
    let outage = d.incidents()[0].clone();
    let mut body = Vec::new();
    let n = d.ndjson(outage.start_ms, outage.end_ms, &mut body);
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).expect("in range");
    let limits = ingest::Limits::with_oldest_allowed(at(outage.start_ms - DAY_MS));
    let mut batch = ingest::Batch::new();
    let report = catalog
        .pipeline
        .ingest_ndjson(&body, &limits, at(outage.end_ms), &mut batch);
    assert_eq!(report.rejected, 0, "rejected lines: {:?}", report.errors);
    assert_eq!(report.accepted, n);
    assert!(
        report.folded_segments.is_empty(),
        "segments over their cap: {:?}",
        report.folded_segments
    );
    let mut totals: HashMap<(String, String, String), (f64, f64)> = HashMap::new();
    for (key, _, bucket) in batch.deltas() {
        let t = totals
            .entry((key.sli, key.dimension, key.value))
            .or_default();
        t.0 += bucket.good;
        t.1 += bucket.total;
    }
    for sli in catalog.pipeline.sli_names() {
        let selected = totals
            .iter()
            .any(|((s, _, _), (_, total))| s == sli && *total > 0.0);
        assert!(selected, "SLI {sli} selected no demo event");
    }
    let key = (
        "payments-charge-calls".to_string(),
        "region".to_string(),
        "eu-west".to_string(),
    );
    let (good, total) = totals
        .get(&key)
        .copied()
        .unwrap_or_else(|| panic!("no series {key:?}"));
    let failed = 1.0 - good / total;
    assert!(
        (0.34..=0.46).contains(&failed),
        "pipeline sees {failed:.3} of eu-west charges failing"
    );
}

#[test]
fn degenerate_and_extreme_ranges_produce_nothing_or_valid_events() {
    let mut out = Vec::new();
    let d = Demo::new(ANCHOR_MS, 1);
    assert_eq!(d.ndjson(ANCHOR_MS, ANCHOR_MS, &mut out), 0);
    assert_eq!(d.ndjson(ANCHOR_MS, ANCHOR_MS - HOUR_MS, &mut out), 0);
    assert_eq!(d.ndjson(i64::MIN, i64::MIN + HOUR_MS, &mut out), 0);
    assert!(out.is_empty());
    for anchor in [i64::MIN, i64::MAX] {
        let d = Demo::new(anchor, 1);
        out.clear();
        let around = d.incidents()[1].end_ms;
        let n = d.ndjson(around, around + 2 * MINUTE_MS, &mut out);
        let text = String::from_utf8(out.clone()).expect("utf-8");
        assert_eq!(text.lines().count() as u64, n);
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            let ts = v["timestamp"].as_str().expect("timestamp");
            ts.parse::<jiff::Timestamp>()
                .unwrap_or_else(|e| panic!("{ts}: {e}"));
        }
    }
}

/// The milestones the demo sends as OTLP log records land in exactly the
/// buckets the same events make as NDJSON: logs are a full event source.
#[test]
fn milestones_sent_as_otlp_logs_count_like_their_ndjson_twins() {
    let catalog = server::Catalog::from_sources(&Demo::specs(), false)
        .unwrap_or_else(|d| panic!("the demo specs do not compile:\n{}", d.join("\n")));
    let d = Demo::new(ANCHOR_MS, 5);
    let (from, to) = (ANCHOR_MS - 3 * HOUR_MS, ANCHOR_MS + 2 * MINUTE_MS);
    let mut all = Vec::new();
    let n_all = d.ndjson(from, to, &mut all);
    let t = d.telemetry(from, to);
    assert!(t.log_records > 0, "the range holds no milestones");
    assert_eq!(t.ndjson_events + t.log_records, n_all);

    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).expect("in range");
    let limits = ingest::Limits::with_oldest_allowed(at(from - DAY_MS));
    let totals = |batch: &ingest::Batch| {
        let mut m: std::collections::BTreeMap<(String, String, String), (f64, f64, u64)> =
            std::collections::BTreeMap::new();
        for (key, _, b) in batch.deltas() {
            let e = m.entry((key.sli, key.dimension, key.value)).or_default();
            e.0 += b.good;
            e.1 += b.total;
            e.2 += b.raw_total;
        }
        m
    };
    let mut expected = ingest::Batch::new();
    let r = catalog
        .pipeline
        .ingest_ndjson(&all, &limits, at(to), &mut expected);
    assert_eq!(r.rejected, 0);

    let mut split = ingest::Batch::new();
    let r = catalog
        .pipeline
        .ingest_ndjson(&t.ndjson, &limits, at(to), &mut split);
    assert_eq!(r.rejected, 0);
    let summary = otlp::LogDecoder::new()
        .decode(
            &t.otlp_logs_json,
            otlp::Format::Json,
            &otlp::LogSelection::default(),
            &mut |ev| catalog.pipeline.ingest_event(ev, &mut split),
        )
        .expect("the demo's OTLP logs decode");
    assert_eq!(summary.counted, t.log_records);
    assert_eq!(summary.rejected, 0);
    let (a, b) = (totals(&expected), totals(&split));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, x) in &a {
        let y = &b[k];
        assert!(
            (x.0 - y.0).abs() < 1e-9 && (x.1 - y.1).abs() < 1e-9 && x.2 == y.2,
            "{k:?}: ndjson {x:?} vs ndjson+logs {y:?}"
        );
    }
    assert!(
        a.keys()
            .any(|(sli, _, _)| sli == "first-meaningful-action-time"),
        "no first-action series: {:?}",
        a.keys().collect::<Vec<_>>()
    );
}
