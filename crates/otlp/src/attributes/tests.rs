//! The attribute stack: levels pop back cleanly and buffers survive reuse.

use super::*;

#[test]
fn recycling_keeps_the_allocation() {
    let mut v: Vec<(&'static str, Val<'static>)> = Vec::with_capacity(64);
    v.push(("k", Val::Text("v")));
    let ptr = v.as_ptr() as usize;
    let back: Vec<(&str, Val<'_>)> = recycle(v);
    assert!(back.is_empty());
    assert_eq!(back.capacity(), 64);
    assert_eq!(back.as_ptr() as usize, ptr);
}

#[test]
fn levels_pop_back_pairs_and_scratch_together() {
    let mut attrs = Attrs::new(Vec::new(), String::from("stale"));
    attrs.push_text("service.name", "shop");
    let start = attrs.scratch().len();
    attrs.scratch().push_str("42");
    attrs.push_rendered("replicas", start);
    let resource = attrs.mark();
    attrs.push_text("http.route", "/pay");
    let start = attrs.scratch().len();
    attrs.scratch().push_str("503");
    attrs.push_rendered("http.response.status_code", start);

    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    assert_eq!(
        view,
        [
            ("service.name", "shop"),
            ("replicas", "42"),
            ("http.route", "/pay"),
            ("http.response.status_code", "503")
        ]
    );
    drop(view);

    attrs.reset(resource);
    let start = attrs.scratch().len();
    attrs.scratch().push_str("200");
    attrs.push_rendered("http.response.status_code", start);
    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    assert_eq!(
        view,
        [
            ("service.name", "shop"),
            ("replicas", "42"),
            ("http.response.status_code", "200")
        ]
    );
}

#[test]
fn last_value_finds_the_last_duplicate_from_a_level() {
    let mut attrs = Attrs::new(Vec::new(), String::new());
    attrs.push_text("a", "1");
    attrs.push_text("b", "2");
    attrs.push_text("a", "3");
    assert_eq!(attrs.last_value("a", 0), Some(Val::Text("3")));
    assert_eq!(attrs.last_value("b", 2), None);
    assert_eq!(attrs.last_value("a", 9), None);
    assert_eq!(attrs.len(), 3);
}
