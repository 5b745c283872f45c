//! Attribute lookup and the short-string equality it relies on.

use proptest::prelude::*;

use super::*;

#[test]
fn last_duplicate_attribute_wins() {
    let attrs = [("a", "1"), ("b", "2"), ("a", "3")];
    let ev = Event {
        timestamp_ms: 0,
        name: "",
        duration_ms: None,
        status_error: false,
        sample_rate: 1.0,
        attributes: &attrs,
    };
    assert_eq!(ev.attribute("a"), Some("3"));
    assert_eq!(ev.attribute("b"), Some("2"));
    assert_eq!(ev.attribute("c"), None);
    assert_eq!(ev.status(), "ok");
}

proptest! {
    #[test]
    fn same_text_is_string_equality(a in "[ab/é]{0,20}", b in "[ab/é]{0,20}") {
        prop_assert_eq!(same_text(&a, &b), a == b);
        prop_assert!(same_text(&a, &a.clone()));
    }
}
