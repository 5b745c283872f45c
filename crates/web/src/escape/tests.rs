use proptest::prelude::*;

use super::*;

#[test]
fn every_special_character_becomes_an_entity() {
    assert_eq!(
        escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    assert_eq!(escape(""), "");
}

#[test]
fn url_components_keep_only_unreserved_bytes() {
    assert_eq!(url_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    assert_eq!(
        url_component("checkout-latency_2.x~"),
        "checkout-latency_2.x~"
    );
}

proptest! {
    #[test]
    fn escaped_text_has_no_markup_characters(s in ".*") {
        let e = escape(&s);
        prop_assert!(!e.contains(['<', '>', '"', '\'']));
        // Every ampersand starts one of our entities.
        for (i, _) in e.match_indices('&') {
            let rest = &e[i..];
            prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|p| rest.starts_with(p)));
        }
        let back = e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
        prop_assert_eq!(back, s);
    }
}
