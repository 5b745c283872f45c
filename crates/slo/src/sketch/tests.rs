use proptest::prelude::*;

use super::*;

/// Exact nearest-rank quantile over weighted values, the model the sketch
/// approximates: the first value (ascending) whose cumulative weight reaches
/// `q * total`.
fn exact_quantile(values: &[(f64, f64)], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = sorted.iter().map(|(_, w)| w).sum();
    let rank = q * total;
    let mut seen = 0.0;
    for (v, w) in &sorted {
        seen += w;
        if seen >= rank {
            return *v;
        }
    }
    sorted.last().unwrap().0
}

fn weight_where(values: &[(f64, f64)], keep: impl Fn(f64) -> bool) -> f64 {
    values
        .iter()
        .filter(|(v, _)| keep(*v))
        .map(|(_, w)| w)
        .sum()
}

fn sketch_of(values: &[(f64, f64)]) -> Sketch {
    let mut s = Sketch::new();
    for (v, w) in values {
        s.add(*v, *w);
    }
    s
}

/// Values spanning several decades, with integer or half weights so that
/// weight sums are exact whatever the order of addition.
fn values() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec(
        (
            0.01f64..100_000.0,
            (1u32..20).prop_map(|w| f64::from(w) / 2.0),
        ),
        1..300,
    )
}

// Slack over the 1 % contract for floating-point rounding in bin indices.
const TOL: f64 = RELATIVE_ACCURACY * 1.0001;

proptest! {
    #[test]
    fn quantiles_are_within_one_percent_of_the_exact_rank(vs in values(), q in 0.0f64..=1.0) {
        let s = sketch_of(&vs);
        let got = s.quantile(q).unwrap();
        let want = exact_quantile(&vs, q);
        prop_assert!((got - want).abs() <= TOL * want, "q={q} got {got} want {want}");
    }

    #[test]
    fn merge_equals_adding_everything(a in values(), b in values()) {
        let mut merged = sketch_of(&a);
        merged.merge(&sketch_of(&b));
        let all: Vec<_> = a.iter().chain(&b).copied().collect();
        let direct = sketch_of(&all);
        prop_assert_eq!(merged.bins().collect::<Vec<_>>(), direct.bins().collect::<Vec<_>>());
        prop_assert_eq!(merged.count(), direct.count());
        prop_assert_eq!(merged.zero_count(), direct.zero_count());
        prop_assert_eq!(merged.min(), direct.min());
        prop_assert_eq!(merged.max(), direct.max());
        prop_assert!((merged.sum() - direct.sum()).abs() <= 1e-9 * direct.sum().abs());
    }

    #[test]
    fn weight_at_most_is_exact_outside_the_one_percent_band(vs in values(), t in 0.01f64..100_000.0) {
        let s = sketch_of(&vs);
        let surely = weight_where(&vs, |v| v <= t * (1.0 - TOL));
        let maybe = weight_where(&vs, |v| v <= t / (1.0 - TOL));
        let got = s.weight_at_most(t);
        prop_assert!(surely <= got && got <= maybe, "t={t}: {surely} <= {got} <= {maybe}");
        let got = s.weight_below(t);
        prop_assert!(surely <= got && got <= maybe, "t={t}: {surely} <= {got} <= {maybe} (below)");
    }

    #[test]
    fn weight_at_most_counts_exactly_the_bins_whose_representative_holds(
        vs in values(),
        t in 0.01f64..100_000.0,
        on_bin in any::<bool>(),
    ) {
        let s = sketch_of(&vs);
        // Half the cases put the threshold exactly on a representative, where
        // `<=` and `<` differ.
        let t = if on_bin { bin_value(bin_index(t)) } else { t };
        let bins: Vec<(i32, f64)> = s.bins().collect();
        let by_bins = |keep: &dyn Fn(f64) -> bool| -> f64 {
            if keep(s.max().unwrap()) {
                return s.count();
            }
            bins.iter().filter(|(i, _)| keep(bin_value(*i))).map(|(_, w)| w).sum()
        };
        prop_assert_eq!(s.weight_at_most(t), by_bins(&|v| v <= t));
        prop_assert_eq!(s.weight_below(t), by_bins(&|v| v < t));
    }

    #[test]
    fn clear_then_refill_equals_a_fresh_sketch(a in values(), b in values()) {
        let mut s = sketch_of(&a);
        s.clear();
        for (v, w) in &b {
            s.add(*v, *w);
        }
        prop_assert_eq!(s, sketch_of(&b));
    }
}

#[test]
fn empty_sketch_answers_none_and_zero() {
    let s = Sketch::new();
    assert_eq!(s.quantile(0.5), None);
    assert_eq!((s.min(), s.max(), s.mean()), (None, None, None));
    assert_eq!(s.weight_at_most(10.0), 0.0);
    assert_eq!(s.weight_below(10.0), 0.0);
}

#[test]
fn zero_and_negative_values_land_in_the_zero_bin() {
    let mut s = Sketch::new();
    s.add(0.0, 2.0);
    s.add(-5.0, 1.0);
    s.add(10.0, 1.0);
    assert_eq!(s.zero_count(), 3.0);
    assert_eq!(s.quantile(0.5), Some(0.0));
    assert_eq!(s.weight_at_most(0.0), 3.0);
    assert_eq!(s.weight_below(0.0), 0.0);
    assert_eq!(s.weight_at_most(20.0), 4.0);
}

#[test]
fn nan_values_and_non_positive_weights_are_ignored() {
    let mut s = Sketch::new();
    s.add(f64::NAN, 1.0);
    s.add(5.0, 0.0);
    s.add(5.0, -1.0);
    s.add(5.0, f64::NAN);
    assert_eq!(s, Sketch::new());
}

#[test]
fn extremes_and_mean_are_exact() {
    let s = sketch_of(&[(1.5, 1.0), (300.0, 3.0), (42.0, 2.0)]);
    assert_eq!(s.min(), Some(1.5));
    assert_eq!(s.max(), Some(300.0));
    assert_eq!(s.mean(), Some((1.5 + 900.0 + 84.0) / 6.0));
    let p100 = s.quantile(1.0).unwrap();
    assert!(
        (300.0 * (1.0 - RELATIVE_ACCURACY)..=300.0).contains(&p100),
        "p100 = {p100}"
    );
}

#[test]
fn from_parts_round_trips() {
    let s = sketch_of(&[(0.0, 1.0), (3.0, 2.0), (3000.0, 0.5)]);
    let back = Sketch::from_parts(
        s.bins(),
        s.zero_count(),
        s.count(),
        s.sum(),
        s.min().unwrap(),
        s.max().unwrap(),
    );
    assert_eq!(back, s);
}

/// Regression: one `duration_ms: 1e300` used to stretch a dense sketch to
/// tens of thousands of bins.
#[test]
fn absurd_values_keep_the_sketch_small_and_the_max_exact() {
    let mut s = Sketch::new();
    s.add(0.5, 1.0);
    s.add(1e300, 1.0);
    assert!(s.bins().count() <= 2);
    let (lo, hi) = (s.bins().next().unwrap().0, s.bins().last().unwrap().0);
    assert!(hi - lo < 2_500, "bins span {lo}..{hi}");
    assert_eq!(s.max(), Some(1e300));
    // Quantiles above MAX_BINNED read as the top bin: the 1 % contract stops there.
    assert!(s.quantile(1.0).unwrap() >= MAX_BINNED * 0.99);
}
