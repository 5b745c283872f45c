use super::{DETAIL_UID, OVERVIEW_UID, dashboards};

fn exprs(d: &serde_json::Value) -> Vec<String> {
    d["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn an_empty_set_still_gives_both_dashboards() {
    let all = dashboards(&spec::SpecSet::default());
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].uid, OVERVIEW_UID);
    assert_eq!(all[1].uid, DETAIL_UID);
}

#[test]
fn panel_ids_count_up_and_queries_are_balanced() {
    for d in dashboards(&spec::SpecSet::default()) {
        let ids: Vec<u64> = d.json["panels"]
            .as_array()
            .expect("panels")
            .iter()
            .map(|p| p["id"].as_u64().expect("id"))
            .collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
        for e in exprs(&d.json) {
            for (open, close) in [('(', ')'), ('{', '}'), ('[', ']')] {
                assert_eq!(e.matches(open).count(), e.matches(close).count(), "{e}");
            }
            assert!(e.contains("lodestar_slo_"), "{e}");
        }
    }
}

#[test]
fn detail_queries_select_the_chosen_slo() {
    let all = dashboards(&spec::SpecSet::default());
    for e in exprs(&all[1].json) {
        assert!(e.contains(r#"slo="$slo",objective=~"$objective""#), "{e}");
    }
}
