use jiff::Timestamp;

use super::*;

fn now() -> Timestamp {
    "2026-11-28T09:00:00Z".parse().unwrap()
}

fn input(slo: &str, journey: Option<(&str, f64)>, remaining: f64, burn_1h: f64) -> PriorityInput {
    PriorityInput {
        journey: journey.map(|(n, w)| (n.to_owned(), w)),
        slo: slo.to_owned(),
        service: Some("shop".to_owned()),
        owner: Some("team-checkout".to_owned()),
        budget_remaining: remaining,
        burn_rate_1h: Some(burn_1h),
        burn_rate_window: Some(1.0 - remaining),
        // The slo crate's forecast: remaining · window / burn (28 days).
        time_to_exhaustion_s: (burn_1h > 0.0 && remaining > 0.0)
            .then(|| remaining * 28.0 * 86_400.0 / burn_1h),
        policy_state: State::Healthy,
        top_contributors: Vec::new(),
    }
}

#[test]
fn score_is_weighted_pressure() {
    // checkout: weight 3, 40 % consumed → 1.2; search: weight 1, 70 %
    // consumed → 0.7; a lone SLO 90 % consumed → 0.9.
    let items = [
        input("search-latency", Some(("browse", 1.0)), 0.3, 0.5),
        input("checkout-availability", Some(("buy", 3.0)), 0.6, 0.5),
        input("batch-export", None, 0.1, 0.2),
    ];
    let r = rank(&items, now());
    let order: Vec<&str> = r.items.iter().map(|i| i.slo.as_str()).collect();
    assert_eq!(
        order,
        ["checkout-availability", "batch-export", "search-latency"]
    );
    assert!((r.items[0].score - 1.2).abs() < 1e-12);
    assert!((r.items[1].score - 0.9).abs() < 1e-12);
    assert_eq!(r.items[1].weight, 1.0);
    assert_eq!(
        r.items.iter().map(|i| i.rank).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let journeys: Vec<&str> = r.journeys.iter().map(|j| j.journey.as_str()).collect();
    assert_eq!(journeys, ["buy", "browse"]);
    assert_eq!(r.generated_at, "2026-11-28T09:00:00Z");
}

#[test]
fn recommendations_and_reasons() {
    let mut exhausted = input("a", None, -0.1, 2.0);
    exhausted.top_contributors = vec![TopContributor {
        dimension: "version".to_owned(),
        value: "v2".to_owned(),
        share_of_burn: 0.8,
    }];
    let soon = input("b", None, 0.1, 2.0); // 0.1·28 d/2 = 1.4 days
    let watch = input("c", None, 0.9, 1.5); // 16.8 days
    let calm = input("d", None, 0.8, 0.4);
    let mut at_risk = input("e", None, 0.5, 0.5);
    at_risk.policy_state = State::AtRisk;
    let r = rank(&[exhausted, soon, watch, calm, at_risk], now());
    let by = |slo: &str| r.items.iter().find(|i| i.slo == slo).unwrap();

    assert_eq!(by("a").recommendation, Recommendation::Reliability);
    assert_eq!(
        by("a").reason,
        "budget exhausted (-10 % left): reliability work before features; 80 % of the burn from version v2"
    );
    assert_eq!(by("a").exhaustion_at, None);

    assert_eq!(by("b").recommendation, Recommendation::Reliability);
    assert_eq!(
        by("b").exhaustion_at.as_deref(),
        Some("2026-11-29T18:36:00Z")
    );
    assert_eq!(
        by("b").reason,
        "at 2× the sustainable rate the budget runs out on 2026-11-29 18:36 UTC (10 % left)"
    );

    assert_eq!(by("c").recommendation, Recommendation::Watch);
    assert_eq!(
        by("c").reason,
        "burning 1.5× the sustainable rate over the last hour (0.1× over the window), 90 % left"
    );
    assert_eq!(by("d").recommendation, Recommendation::Features);
    assert_eq!(
        by("d").reason,
        "80 % of the budget left, burning 0.4×: room to ship features"
    );
    assert_eq!(by("e").recommendation, Recommendation::Reliability);
}

#[test]
fn journey_takes_its_worst_slo() {
    let mut bad = input("pay", Some(("buy", 2.0)), -0.2, 3.0);
    bad.policy_state = State::Exhausted;
    let good = input("cart", Some(("buy", 2.0)), 0.9, 0.1);
    let r = rank(&[good, bad], now());
    assert_eq!(r.journeys.len(), 1);
    let j = &r.journeys[0];
    assert_eq!(j.worst_slo, "pay");
    assert_eq!(j.worst_state, State::Exhausted);
    assert_eq!(j.recommendation, Recommendation::Reliability);
    assert_eq!(j.slos, ["pay", "cart"]);
    assert!((j.score - 2.4).abs() < 1e-12);
}

#[test]
fn markdown_table() {
    let mut item = input("checkout|v2", Some(("buy", 3.0)), 0.6, 0.5);
    item.top_contributors = vec![TopContributor {
        dimension: "region".to_owned(),
        value: "eu".to_owned(),
        share_of_burn: 0.55,
    }];
    // Exhausts 0.6 · 28 d / 0.5 = 33.6 days after 2026-11-28 09:00,
    // on 2026-12-31 at 23:24.
    let md = render_markdown(&rank(&[item], now()));
    let expected = "\
# Reliability priorities

Figures as of 2026-11-28T09:00:00Z.

## Journeys

| # | Journey | Weight | Score | Worst SLO | State | Work |
|---|---|---|---|---|---|---|
| 1 | buy | 3 | 1.2 | checkout\\|v2 | healthy | features |

## SLOs

| # | SLO | Journey | Owner | Budget left | Burn 1h | Exhausts | State | Work | Why | Top contributors |
|---|---|---|---|---|---|---|---|---|---|---|
| 1 | checkout\\|v2 | buy | team-checkout | 60 % | 0.5× | 2026-12-31 | healthy | features | 60 % of the budget left, burning 0.5×: room to ship features | region=eu (55 %) |
";
    assert_eq!(md, expected);
}

#[test]
fn report_json_shape() {
    let r = rank(&[input("a", Some(("buy", 2.0)), 0.5, 1.0)], now());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["items"][0]["recommendation"], "features");
    assert_eq!(json["items"][0]["policy_state"], "healthy");
    assert_eq!(json["journeys"][0]["journey"], "buy");
    assert!(json["items"][0]["exhaustion_at"].is_string());
}
