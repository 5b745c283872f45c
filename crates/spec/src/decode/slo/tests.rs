//! Exact percentage-to-fraction conversion and objective-name slugs.

use proptest::prelude::*;

use super::*;

#[test]
fn percentages_become_the_nearest_fraction() {
    assert_eq!(percent_to_fraction("99.9", 99.9), 0.999);
    assert_eq!(percent_to_fraction("99.95", 99.95), 0.9995);
    assert_eq!(percent_to_fraction("5", 5.0), 0.05);
    assert_eq!(percent_to_fraction(".5", 0.5), 0.005);
    assert_eq!(percent_to_fraction("0", 0.0), 0.0);
    assert_eq!(percent_to_fraction("+99.5", 99.5), 0.995);
    assert_eq!(percent_to_fraction("100", 100.0), 1.0);
    // Not a plain decimal: plain division.
    assert_eq!(percent_to_fraction("9.5e1", 95.0), 0.95);
}

#[test]
fn slugs_of_display_names() {
    assert_eq!(slug("p95 < 300 ms"), "p95-300-ms");
    assert_eq!(slug("  Checkout: Availability!! "), "checkout-availability");
    assert_eq!(slug("!!!"), "");
    assert_eq!(slug("Ünïcode"), "n-code");
    assert_eq!(slug(&"ab ".repeat(40)).len(), 62);
}

proptest! {
    #[test]
    fn percent_to_fraction_matches_the_decimal_it_denotes(whole in 0u32..100, frac in 0u32..10_000) {
        let text = format!("{whole}.{frac:04}");
        let x: f64 = text.parse().unwrap();
        let expected: f64 = format!("0.{whole:02}{frac:04}").parse().unwrap();
        prop_assert_eq!(percent_to_fraction(&text, x), expected);
    }

    #[test]
    fn slugs_are_valid_names_or_empty(s in "\\PC{0,80}") {
        let out = slug(&s);
        prop_assert!(out.is_empty() || crate::decode::names::is_rfc1123(&out), "{:?} -> {:?}", s, out);
    }
}
