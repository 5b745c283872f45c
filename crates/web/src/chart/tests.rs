use super::*;
use crate::html_check::well_formed;

fn chart(lines: Vec<Line>, markers: Vec<Marker>) -> LineChart {
    LineChart {
        id: "c1".into(),
        title: "SLI <of> pay".into(),
        description: "what & why".into(),
        x: (0, 600),
        y: (0.0, 1.0),
        lines,
        levels: vec![Level {
            y: 0.5,
            label: "target \"50\"".into(),
            class: "target",
        }],
        markers,
        y_label: |v| format!("{v:.1}"),
    }
}

#[test]
fn coordinates_map_the_domain_onto_the_plot() {
    assert_eq!(x_of((0, 600), 0), LEFT);
    assert_eq!(x_of((0, 600), 600), WIDTH - RIGHT);
    assert_eq!(x_of((0, 600), 300), LEFT + (WIDTH - LEFT - RIGHT) / 2.0);
    assert_eq!(y_of((0.0, 1.0), 1.0), TOP);
    assert_eq!(y_of((0.0, 1.0), 0.0), HEIGHT - BOTTOM);
    // Outside the domain: clamped to the edges.
    assert_eq!(y_of((0.0, 1.0), 7.0), TOP);
    assert_eq!(y_of((0.0, 1.0), -7.0), HEIGHT - BOTTOM);
    // A degenerate domain puts values in the middle instead of dividing by zero.
    assert_eq!(y_of((1.0, 1.0), 1.0), TOP + (HEIGHT - TOP - BOTTOM) / 2.0);
    assert_eq!(x_of((5, 5), 5), LEFT);
}

#[test]
fn paths_break_at_missing_and_non_finite_values() {
    let d = path(
        (0, 300),
        (0.0, 1.0),
        &[
            (0, Some(1.0)),
            (100, None),
            (200, Some(0.0)),
            (250, Some(f64::NAN)),
            (300, Some(0.5)),
        ],
    );
    assert_eq!(d, "M60.0 16.0M438.7 176.0M628.0 96.0");
    assert!(path((0, 1), (0.0, 1.0), &[]).is_empty());
    assert!(path((0, 1), (0.0, 1.0), &[(0, None), (1, Some(f64::INFINITY))]).is_empty());
}

#[test]
fn domains_hold_every_value_and_survive_empty_or_flat_data() {
    let (lo, hi) = domain([0.2, 0.8, f64::NAN], &[0.9]);
    assert!(lo < 0.2 && hi > 0.9, "{lo} {hi}");
    assert_eq!(domain([], &[]), (0.0, 1.0));
    assert_eq!(domain([f64::NAN, f64::INFINITY], &[]), (0.0, 1.0));
    let (lo, hi) = domain([0.5, 0.5], &[]);
    assert!(lo < 0.5 && hi > 0.5);
}

#[test]
fn a_chart_has_a_text_alternative_and_escapes_every_label() {
    let svg = line_chart(&chart(
        vec![Line {
            label: "SLI <per> step".into(),
            class: "series-1",
            points: vec![(0, Some(0.9)), (600, Some(0.95))],
            dashed: true,
        }],
        vec![
            Marker {
                t: 300,
                label: "deploy <v1.42>".into(),
                class: "deploy",
            },
            Marker {
                t: 9999,
                label: "outside".into(),
                class: "flag",
            },
        ],
    ));
    well_formed(&svg).unwrap();
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-labelledby=\"c1-t c1-d\""));
    assert!(svg.contains("<title id=\"c1-t\">SLI &lt;of&gt; pay</title>"));
    assert!(svg.contains("<desc id=\"c1-d\">what &amp; why</desc>"));
    assert!(svg.contains("target &quot;50&quot;"));
    assert!(svg.contains("<title>deploy &lt;v1.42&gt;</title>"));
    assert!(
        !svg.contains("outside"),
        "markers outside the range are not drawn"
    );
    assert!(svg.contains("class=\"series series-1 dashed\" d=\"M60.0"));
    assert!(svg.contains("SLI &lt;per&gt; step"));
    assert!(!svg.contains("NaN"));
}

#[test]
fn an_empty_chart_still_renders_its_frame_and_text() {
    let svg = line_chart(&chart(
        vec![Line {
            label: "none".into(),
            class: "series-1",
            points: vec![],
            dashed: false,
        }],
        vec![],
    ));
    well_formed(&svg).unwrap();
    assert!(!svg.contains("<path"));
    assert!(svg.contains("<title"));
}

#[test]
fn sparklines_meters_and_bars_are_nan_safe_and_labelled() {
    let s = sparkline(
        &[Some(1.0), None, Some(f64::NAN), Some(-0.5), Some(0.2)],
        "from <a> to b",
    );
    well_formed(&s).unwrap();
    assert!(s.contains("aria-label=\"from &lt;a&gt; to b\""));
    assert!(
        s.contains("class=\"zero\""),
        "a negative budget draws the zero line"
    );
    assert!(!s.contains("NaN"));
    assert!(!sparkline(&[Some(0.0), Some(1.0)], "x").contains("zero"));
    assert!(sparkline(&[], "empty").ends_with("></svg>"));
    assert!(sparkline(&[Some(0.5)], "one").contains("M50.0"));

    assert!(meter(Some(0.6), "x").contains("fill good\" x=\"0\" y=\"0\" width=\"60.0\""));
    assert!(meter(Some(0.3), "x").contains("fill warn"));
    assert!(meter(Some(-2.0), "x").contains("fill bad\" x=\"0\" y=\"0\" width=\"0.0\""));
    assert!(meter(Some(f64::NAN), "x").contains("fill none"));
    assert!(meter(Some(3.0), "x").contains("width=\"100.0\""));

    let b = bars(
        &[
            ("eu <w>".into(), Some(0.75)),
            ("us".into(), Some(0.25)),
            ("nan".into(), Some(f64::NAN)),
        ],
        0.0,
        "share",
    );
    well_formed(&b).unwrap();
    assert!(b.contains("eu &lt;w&gt;"));
    assert!(
        b.contains("width=\"150.0\""),
        "the largest bar spans the plot: {b}"
    );
    assert!(b.contains("width=\"50.0\""));
    assert!(b.contains("width=\"0.0\""));
}
