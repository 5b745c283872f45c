//! Name, label-key and annotation-key rules, by example and by property.

use proptest::prelude::*;

use super::*;

#[test]
fn rfc1123_names() {
    for ok in [
        "a",
        "0",
        "checkout",
        "p95-latency",
        "a1-b2",
        &"x".repeat(63),
    ] {
        assert!(is_rfc1123(ok), "{ok:?}");
    }
    for bad in [
        "",
        "-a",
        "a-",
        "A",
        "a_b",
        "a.b",
        "a b",
        "é",
        &"x".repeat(64),
    ] {
        assert!(!is_rfc1123(bad), "{bad:?}");
    }
}

#[test]
fn label_keys_allow_dots_and_underscores() {
    for ok in ["team", "cost_centre", "app.kubernetes.io", "a"] {
        assert!(is_qualified_name(ok), "{ok:?}");
    }
    for bad in ["", "_a", "a.", "Team", "a/b", &"x".repeat(64)] {
        assert!(!is_qualified_name(bad), "{bad:?}");
    }
}

#[test]
fn annotation_keys_take_a_dns_prefix() {
    for ok in [
        "owner",
        "lodestar.dev/owner",
        "openslo.com/key1",
        "a.b.c/x_y",
        "example/x",
    ] {
        assert!(is_annotation_key(ok), "{ok:?}");
    }
    for bad in [
        "",
        "/x",
        "example.com/",
        "Example.com/x",
        "a..b/x",
        "-a.com/x",
        "a/b/c",
        &format!("{}/x", "a".repeat(254)),
    ] {
        assert!(!is_annotation_key(bad), "{bad:?}");
    }
}

proptest! {
    #[test]
    fn generated_rfc1123_names_pass(name in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") {
        prop_assert!(is_rfc1123(&name));
        prop_assert!(is_qualified_name(&name));
        prop_assert!(is_annotation_key(&name));
    }

    #[test]
    fn names_with_upper_case_fail_but_their_lowercase_passes(name in "[a-z][a-zA-Z0-9]{0,40}[A-Z]") {
        prop_assert!(!is_rfc1123(&name));
        prop_assert!(is_rfc1123(&name.to_ascii_lowercase()));
    }
}
