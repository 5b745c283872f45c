use super::*;
use crate::html_check::{field_values, well_formed};

#[test]
fn the_shell_is_well_formed_self_contained_and_escaped() {
    let html = shell(
        "A <title>",
        "2026-11-27T12:00:00Z",
        "?at=x%22",
        "<p>body</p>",
    );
    well_formed(&html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>A &lt;title&gt; · Lodestar</title>"));
    assert!(html.contains("href=\"/?at=x%22\""));
    assert!(html.contains("2026-11-27 12:00 UTC"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn fields_carry_the_exact_value_and_the_text() {
    let mut s = String::new();
    field(&mut s, "sli", Some(0.1 + 0.2), "30.000 %");
    field(&mut s, "sli", None, "—");
    assert_eq!(
        field_values(&s, "sli"),
        vec![
            ("0.30000000000000004".into(), "30.000 %".into()),
            (String::new(), "—".into())
        ]
    );
}

#[test]
fn badges_say_the_status_in_words_and_escape_unknown_ones() {
    let mut s = String::new();
    status_badge(&mut s, "at_risk");
    assert!(s.contains("status-at_risk") && s.contains("At risk"));
    let mut s = String::new();
    status_badge(&mut s, "<weird>");
    well_formed(&s).unwrap();
    assert!(s.contains("status-error") && s.contains("&lt;weird&gt;"));
}

#[test]
fn error_pages_escape_the_message() {
    let html = error_page("404 Not Found", "no SLO named \"<x>\"");
    well_formed(&html).unwrap();
    assert!(html.contains("no SLO named &quot;&lt;x&gt;&quot;"));
}
