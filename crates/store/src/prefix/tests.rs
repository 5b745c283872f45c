use proptest::prelude::*;

use super::*;

/// Prefix sums of `xs` (entry i covers `xs[..i]`).
fn prefixes(xs: &[f64]) -> Vec<Compensated> {
    let mut p = Compensated::default();
    let mut out = vec![p];
    for x in xs {
        p.add(*x);
        out.push(p);
    }
    out
}

#[test]
fn integral_windows_stay_exact_when_the_running_total_passes_2_pow_53() {
    // After 2^62 a plain f64 prefix has a resolution of 1024: the small
    // weights that follow would vanish from it.
    let xs = [2f64.powi(62), 3.0, 5.0, 7.0, 1.0, 2f64.powi(60), 9.0];
    let p = prefixes(&xs);
    assert_eq!(p[5].since(p[1]), 16.0);
    assert_eq!(p[3].since(p[2]), 5.0);
    assert_eq!(p[7].since(p[6]), 9.0);
    assert_eq!(p[7].since(p[4]), 2f64.powi(60) + 10.0);
}

#[test]
fn raw_counts_subtract_exactly_across_wrap_around() {
    let mut a = PrefixCounts::default();
    a.add(Counts {
        raw_good: u64::MAX - 1,
        raw_total: u64::MAX,
        ..Counts::default()
    });
    let before = a;
    a.add(Counts {
        good: 1.0,
        total: 2.0,
        raw_good: 5,
        raw_total: 7,
    });
    assert_eq!(
        a.since(before),
        Counts {
            good: 1.0,
            total: 2.0,
            raw_good: 5,
            raw_total: 7,
        }
    );
}

#[test]
fn a_non_finite_weight_makes_every_later_prefix_non_finite() {
    let mut p = PrefixCounts::default();
    p.add(Counts {
        total: 1.0,
        ..Counts::default()
    });
    assert!(p.is_finite());
    p.add(Counts {
        total: f64::INFINITY,
        ..Counts::default()
    });
    assert!(!p.is_finite());
    p.add(Counts {
        total: -f64::INFINITY,
        ..Counts::default()
    });
    assert!(!p.is_finite());
    p.add(Counts {
        total: 2.0,
        ..Counts::default()
    });
    assert!(!p.is_finite());
    let mut q = PrefixCounts::default();
    q.add(Counts {
        good: f64::MAX,
        ..Counts::default()
    });
    q.add(Counts {
        good: f64::MAX,
        ..Counts::default()
    });
    assert!(!q.is_finite(), "overflow counts as non-finite");
}

/// `x` in units of 2^-92, exactly (for `x` in `[2^-40, 2^20)`).
fn units(x: f64) -> i128 {
    (x * 2f64.powi(92)) as i128
}

proptest! {
    #[test]
    fn integral_window_sums_equal_exact_sums(
        xs in prop::collection::vec(
            prop_oneof![0u64..1000, 0u64..(1 << 52), Just(1u64 << 52)],
            1..60,
        ),
        windows in prop::collection::vec((0usize..60, 0usize..60), 1..20),
    ) {
        let fs: Vec<f64> = xs.iter().map(|x| *x as f64).collect();
        let p = prefixes(&fs);
        for (a, b) in windows {
            let (a, b) = (a.min(xs.len()), b.min(xs.len()));
            let (a, b) = (a.min(b), a.max(b));
            let exact: u128 = xs[a..b].iter().map(|x| u128::from(*x)).sum();
            let got = p[b].since(p[a]);
            if exact < 1 << 53 {
                prop_assert_eq!(got, exact as f64, "window [{}, {})", a, b);
            } else {
                prop_assert!((got - exact as f64).abs() <= got * f64::EPSILON);
            }
        }
    }

    #[test]
    fn fractional_window_sums_are_within_an_ulp_of_exact(
        xs in prop::collection::vec(1e-9f64..1e6, 1..200),
        windows in prop::collection::vec((0usize..200, 0usize..200), 1..20),
    ) {
        let p = prefixes(&xs);
        for (a, b) in windows {
            let (a, b) = (a.min(xs.len()), b.min(xs.len()));
            let (a, b) = (a.min(b), a.max(b));
            let exact: i128 = xs[a..b].iter().map(|x| units(*x)).sum();
            // One rounding (i128 to f64), then an exact scaling.
            let want = exact as f64 / 2f64.powi(92);
            let got = p[b].since(p[a]);
            let ulp = if want == 0.0 { 0.0 } else { want * f64::EPSILON };
            prop_assert!(
                (got - want).abs() <= ulp,
                "window [{}, {}): {} vs exact {}", a, b, got, want
            );
        }
    }
}
