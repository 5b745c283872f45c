use std::collections::BTreeMap;

use super::*;
use crate::bucket::{Bucket, Minute};
use crate::definition::{Indicator, Method, ObjectiveDef, Window};
use crate::evaluation::{Status, evaluate};
use crate::window::minute_start;

const M: Minute = 28_619_520;

fn eval(target: f64, good: f64, total: f64, recent: bool) -> Evaluation {
    let mut d = BTreeMap::new();
    if total > 0.0 {
        let at = if recent { M } else { M - 10_000 };
        d.insert(
            at,
            Bucket {
                good,
                total,
                raw_good: good as u64,
                raw_total: total as u64,
                values: None,
            },
        );
    }
    let def = ObjectiveDef {
        target,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: 43200 },
    };
    evaluate(&def, &d, minute_start(M))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn weighted_means_over_parts_with_data() {
    let a = eval(0.99, 995.0, 1000.0, false); // sli 0.995, consumed 0.5
    let b = eval(0.9, 8.0, 10.0, false); // sli 0.8, consumed 2.0
    let none = eval(0.99, 0.0, 0.0, false);
    let c = composite(&[(3.0, &a), (1.0, &b), (5.0, &none)], 0.99);
    assert!(close(c.sli.unwrap(), (3.0 * 0.995 + 0.8) / 4.0));
    assert!(close(c.budget.consumed_fraction, (3.0 * 0.5 + 2.0) / 4.0));
    assert!(close(c.budget.remaining, 1.0 - (3.0 * 0.5 + 2.0) / 4.0));
    assert!(close(c.total, 3010.0));
    assert!(close(
        c.budget.consumed,
        c.budget.consumed_fraction * c.budget.total
    ));
    assert_eq!(c.raw_total, 1010);
    assert_eq!(c.status, Status::AtRisk); // remaining 0.125
}

#[test]
fn burn_rates_are_weighted_over_parts_that_have_them() {
    let a = eval(0.99, 98.0, 100.0, true); // burn 2 everywhere
    let b = eval(0.99, 100.0, 100.0, false); // no recent events
    let c = eval(0.9, 80.0, 100.0, true); // burn 2 everywhere
    let d = eval(0.99, 99.0, 100.0, true); // burn 1
    let x = composite(&[(1.0, &a), (4.0, &b), (3.0, &d)], 0.99);
    assert!(close(x.burn_rate(60).unwrap(), (2.0 + 3.0) / 4.0));
    let y = composite(&[(1.0, &a), (1.0, &c)], 0.99);
    assert!(close(y.burn_rate(5).unwrap(), 2.0));
    assert_eq!(x.burn_rates.len(), 7);
}

#[test]
fn no_parts_with_data_is_no_data() {
    let none = eval(0.99, 0.0, 0.0, false);
    let some = eval(0.99, 1.0, 1.0, false);
    for c in [
        composite(&[(1.0, &none)], 0.99),
        composite(&[], 0.99),
        composite(&[(0.0, &some)], 0.99),
    ] {
        assert_eq!(c.status, Status::NoData);
        assert_eq!(c.sli, None);
        assert_eq!(c.budget.remaining, 1.0);
    }
}
