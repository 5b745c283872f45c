use proptest::prelude::*;
use slo::Sketch;
use slo::sketch::bin_value;

use super::*;

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} differs from {expected} by more than {tol}"
    );
}

fn rel_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        ((actual - expected) / expected).abs() <= tol,
        "{actual} differs from {expected} by more than {tol} relative"
    );
}

#[test]
fn erf_matches_reference_values() {
    // Reference values from tables of erf (Abramowitz & Stegun 7.1) to 16 digits.
    close(erf(0.0), 0.0, 1e-15);
    close(erf(0.5), 0.520_499_877_813_046_5, 1e-12);
    close(erf(-0.5), -0.520_499_877_813_046_5, 1e-12);
    close(erf(1.0), 0.842_700_792_949_714_9, 1e-12);
    close(erf(3.0), 0.999_977_909_503_001_4, 1e-12);
    rel_close(erfc(2.5), 4.069_520_174_449_589e-4, 1e-9);
    rel_close(erfc(3.0), 2.209_049_699_858_544e-5, 1e-9);
    rel_close(erfc(6.0), 2.151_973_671_249_891_6e-17, 1e-9);
    close(erfc(-3.0), 2.0 - 2.209_049_699_858_544e-5, 1e-12);
}

#[test]
fn normal_cdf_matches_table_to_1e7() {
    close(normal_cdf(0.0), 0.5, 1e-12);
    close(normal_cdf(1.0), 0.841_344_746_068_542_9, 1e-9);
    close(normal_cdf(1.96), 0.975_002_104_851_779_6, 1e-9);
    close(normal_cdf(-3.0), 0.001_349_898_031_630_103_5, 1e-9);
    // The sf keeps relative precision where 1 - cdf would round to 0:
    // P(Z > 8) = erfc(8/sqrt 2)/2 = 6.22096e-16.
    rel_close(normal_sf(8.0), 6.220_960_574_271_784e-16, 1e-7);
}

#[test]
fn mann_whitney_separated_samples() {
    // a = {1,2,3} entirely below b = {4,5,6}: U_a = 0, n_a n_b = 9,
    // sigma^2 = 9/12 · 7 = 5.25, z = (0 - 4.5)/2.2913 = -1.96396,
    // p = 2·Phi(-1.96396) = 0.049535; effect = -1.
    let m = mann_whitney_samples(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    close(m.u, 0.0, 1e-12);
    close(m.z, -1.963_961_012_123_931_5, 1e-9);
    close(m.p_two_sided, 0.049_534_613_435_626_7, 1e-9);
    close(m.effect, -1.0, 1e-12);
    close(m.superiority, 0.0, 1e-12);
}

#[test]
fn mann_whitney_with_ties() {
    // a = {1,2,2}, b = {2,3,3}: U_a = 0 + 0.5 + 0.5 = 1. Tie groups of
    // sizes 1, 3, 2: sum(t^3 - t) = 0 + 24 + 6 = 30, N = 6, so
    // sigma^2 = 9/12 · (7 - 30/30) = 4.5; z = (1 - 4.5)/2.12132 = -1.64992,
    // p = 0.098960.
    let m = mann_whitney_samples(&[1.0, 2.0, 2.0], &[2.0, 3.0, 3.0]).unwrap();
    close(m.u, 1.0, 1e-12);
    close(m.z, -1.649_915_822_768_611, 1e-9);
    close(m.p_two_sided, 0.098_960_154_019_405_8, 1e-9);
    close(m.effect, 2.0 / 9.0 - 1.0, 1e-12);
}

#[test]
fn mann_whitney_all_ties_is_no_evidence() {
    let m = mann_whitney_samples(&[5.0, 5.0], &[5.0]).unwrap();
    assert_eq!(m.z, 0.0);
    assert_eq!(m.p_two_sided, 1.0);
    assert_eq!(m.effect, 0.0);
}

#[test]
fn mann_whitney_needs_both_samples() {
    assert!(mann_whitney_samples(&[], &[1.0]).is_none());
    let mut s = Sketch::new();
    s.add(3.0, 1.0);
    assert!(mann_whitney(&s, &Sketch::new()).is_none());
    assert!(mann_whitney(&Sketch::new(), &s).is_none());
}

#[test]
fn sketch_and_samples_agree_on_bin_values() {
    // Values that sit on bin representatives are exactly what the sketch
    // keeps, so both computations must give the same statistic.
    let a: Vec<f64> = [100, 100, 120, 150, 160, 0]
        .iter()
        .map(|i| value(*i))
        .collect();
    let b: Vec<f64> = [90, 100, 110, 0, 0].iter().map(|i| value(*i)).collect();
    check_agree(&a, &b);
}

#[test]
fn zero_values_rank_first() {
    let mut a = Sketch::new();
    let mut b = Sketch::new();
    a.add(0.0, 2.0);
    b.add(10.0, 3.0);
    let m = mann_whitney(&a, &b).unwrap();
    assert_eq!(m.u, 0.0);
    assert_eq!(m.n_a, 2.0);
    assert_eq!(m.n_b, 3.0);
}

#[test]
fn weights_count_as_repeated_values() {
    let mut a = Sketch::new();
    let mut b = Sketch::new();
    a.add(value(50), 3.0);
    a.add(value(60), 1.0);
    b.add(value(55), 2.0);
    let m = mann_whitney(&a, &b).unwrap();
    let r = mann_whitney_samples(
        &[value(50), value(50), value(50), value(60)],
        &[value(55), value(55)],
    )
    .unwrap();
    close(m.u, r.u, 1e-9);
    close(m.z, r.z, 1e-9);
}

#[test]
fn two_proportion_textbook() {
    // 30/200 vs 15/200: pooled 45/400 = 0.1125,
    // se = sqrt(0.1125 · 0.8875 · (1/200 + 1/200)) = 0.0315981,
    // z = 0.075 / 0.0315981 = 2.37356, one-sided p = 0.0088087.
    let p = two_proportion(30.0, 200.0, 15.0, 200.0).unwrap();
    close(p.diff, 0.075, 1e-12);
    close(p.z, 2.373_563_316_387_706_6, 1e-9);
    close(p.p_one_sided, 0.008_808_686_117_259_38, 1e-9);
}

#[test]
fn two_proportion_without_variation_or_data() {
    let p = two_proportion(0.0, 100.0, 0.0, 50.0).unwrap();
    assert_eq!(p.z, 0.0);
    assert_eq!(p.p_one_sided, 0.5);
    assert!(two_proportion(1.0, 0.0, 0.0, 10.0).is_none());
    assert!(two_proportion(f64::NAN, 10.0, 0.0, 10.0).is_none());
    assert!(two_proportion(-1.0, 10.0, 0.0, 10.0).is_none());
}

/// The bin representative of bin `i`, or 0 for `i == 0` (the zero bin).
fn value(i: i32) -> f64 {
    if i == 0 { 0.0 } else { bin_value(i) }
}

fn sketch_of(values: &[f64]) -> Sketch {
    let mut s = Sketch::new();
    for v in values {
        s.add(*v, 1.0);
    }
    s
}

fn check_agree(a: &[f64], b: &[f64]) {
    let from_sketch = mann_whitney(&sketch_of(a), &sketch_of(b)).unwrap();
    let from_samples = mann_whitney_samples(a, b).unwrap();
    close(from_sketch.u, from_samples.u, 1e-9);
    close(from_sketch.z, from_samples.z, 1e-9);
    close(from_sketch.p_two_sided, from_samples.p_two_sided, 1e-9);
    close(from_sketch.effect, from_samples.effect, 1e-12);
}

proptest! {
    #[test]
    fn sketch_matches_samples(
        a in prop::collection::vec(0i32..40, 1..60),
        b in prop::collection::vec(0i32..40, 1..60),
    ) {
        let a: Vec<f64> = a.into_iter().map(|i| value(i * 7)).collect();
        let b: Vec<f64> = b.into_iter().map(|i| value(i * 7)).collect();
        check_agree(&a, &b);
    }

    #[test]
    fn mann_whitney_is_antisymmetric(
        a in prop::collection::vec(0.0f64..1000.0, 1..50),
        b in prop::collection::vec(0.0f64..1000.0, 1..50),
    ) {
        let ab = mann_whitney_samples(&a, &b).unwrap();
        let ba = mann_whitney_samples(&b, &a).unwrap();
        prop_assert!((ab.u + ba.u - ab.n_a * ab.n_b).abs() < 1e-6);
        prop_assert!((ab.z + ba.z).abs() < 1e-9);
        prop_assert!((ab.effect + ba.effect).abs() < 1e-9);
        prop_assert!((ab.p_two_sided - ba.p_two_sided).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&ab.p_two_sided));
        prop_assert!((-1.0..=1.0).contains(&ab.effect));
    }

    #[test]
    fn two_proportion_is_antisymmetric(
        bad_a in 0u32..500, extra_a in 1u32..500,
        bad_b in 0u32..500, extra_b in 1u32..500,
    ) {
        let (ba, na) = (f64::from(bad_a), f64::from(bad_a + extra_a));
        let (bb, nb) = (f64::from(bad_b), f64::from(bad_b + extra_b));
        let ab = two_proportion(ba, na, bb, nb).unwrap();
        let ba_ = two_proportion(bb, nb, ba, na).unwrap();
        prop_assert!((ab.z + ba_.z).abs() < 1e-9);
        prop_assert!((0.0..=1.0).contains(&ab.p_one_sided));
        prop_assert!((ab.p_one_sided + ba_.p_one_sided - 1.0).abs() < 1e-9);
    }

    #[test]
    fn cdf_is_monotone_and_bounded(x in -40.0f64..40.0, dx in 0.0f64..5.0) {
        let lo = normal_cdf(x);
        let hi = normal_cdf(x + dx);
        prop_assert!((0.0..=1.0).contains(&lo));
        prop_assert!(hi >= lo - 1e-15);
        prop_assert!((normal_cdf(x) + normal_sf(x) - 1.0).abs() < 1e-12);
    }
}
