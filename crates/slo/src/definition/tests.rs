use super::*;
use crate::sketch::Sketch;

fn def(target: f64, method: Method, indicator: Indicator, window: Window) -> ObjectiveDef {
    ObjectiveDef {
        target,
        indicator,
        method,
        window,
    }
}

fn ok() -> ObjectiveDef {
    def(
        0.99,
        Method::Occurrences,
        Indicator::Ratio,
        Window::Rolling { minutes: 40320 },
    )
}

#[test]
fn op_holds_by_its_comparison() {
    assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
    assert!(Op::Lte.holds(2.0, 2.0) && !Op::Lte.holds(2.1, 2.0));
    assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
    assert!(Op::Gte.holds(2.0, 2.0) && !Op::Gte.holds(1.9, 2.0));
}

#[test]
fn weight_holding_complements_by_op() {
    let mut s = Sketch::new();
    for (v, w) in [(10.0, 1.0), (100.0, 2.0), (1000.0, 4.0)] {
        s.add(v, w);
    }
    // Thresholds away from the values: within 1 % of a value either side
    // may be read (see `Sketch::weight_at_most`).
    assert_eq!(Op::Lte.weight_holding(&s, 150.0), 3.0);
    assert_eq!(Op::Gt.weight_holding(&s, 150.0), 4.0);
    assert_eq!(Op::Lte.weight_holding(&s, 5.0), 0.0);
    assert_eq!(Op::Gte.weight_holding(&s, 5.0), 7.0);
    assert_eq!(Op::Lt.weight_holding(&s, 500.0), 3.0);
    assert_eq!(Op::Gte.weight_holding(&s, 500.0), 4.0);
}

#[test]
fn validate_names_the_offending_number() {
    assert_eq!(ok().validate(), Ok(()));
    let bad = |d: ObjectiveDef| d.validate().unwrap_err().to_string();
    assert_eq!(
        bad(ObjectiveDef {
            target: 1.0,
            ..ok()
        }),
        "objective target 1 is out of range: expected a fraction strictly between 0 and 1"
    );
    assert!(
        bad(ObjectiveDef {
            window: Window::Rolling { minutes: 0 },
            ..ok()
        })
        .contains("rolling window of 0")
    );
    let cal = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 0,
        start: jiff::civil::date(2024, 1, 1).at(0, 0, 0, 0),
        tz: jiff::tz::TimeZone::UTC,
    };
    assert!(
        bad(ObjectiveDef {
            window: cal,
            ..ok()
        })
        .contains("expected at least 1 month")
    );
    let slices = Method::Timeslices {
        slice_minutes: 0,
        slice_target: 0.9,
    };
    assert!(
        bad(ObjectiveDef {
            method: slices,
            ..ok()
        })
        .contains("timeslice length of 0")
    );
    let slices = Method::Timeslices {
        slice_minutes: 5,
        slice_target: 1.5,
    };
    assert!(
        bad(ObjectiveDef {
            method: slices,
            ..ok()
        })
        .contains("timeslice target 1.5")
    );
    let q = Indicator::Threshold {
        op: Op::Lte,
        value: 300.0,
        aggregate: Aggregate::Quantile(95.0),
    };
    assert!(
        bad(ObjectiveDef {
            indicator: q,
            ..ok()
        })
        .contains("aggregate quantile 95")
    );
    let nan = Indicator::Threshold {
        op: Op::Lte,
        value: f64::NAN,
        aggregate: Aggregate::Mean,
    };
    assert!(
        bad(ObjectiveDef {
            indicator: nan,
            ..ok()
        })
        .contains("threshold value NaN")
    );
    assert_eq!(
        def(
            0.5,
            Method::RatioTimeslices { slice_minutes: 1 },
            Indicator::Ratio,
            Window::Rolling { minutes: 1 }
        )
        .validate(),
        Ok(())
    );
}
