//! Filter behaviour, one table per area: what matches, what fails to
//! compile (with the exact message), and agreement with a naive reference
//! evaluator over random events.

mod reference;

use proptest::prelude::*;

use super::*;

/// A test event: the attributes are listed as written on the wire.
struct Ev {
    name: &'static str,
    error: bool,
    duration_ms: Option<f64>,
    sample_rate: f64,
    attributes: Vec<(&'static str, &'static str)>,
}

fn ev() -> Ev {
    Ev {
        name: "GET /pay",
        error: false,
        duration_ms: Some(120.0),
        sample_rate: 1.0,
        attributes: vec![
            ("http.route", "/pay"),
            ("region", "eu-west"),
            ("http.response.status_code", "503"),
            ("ratio", "0.25"),
            ("tier", "gold"),
        ],
    }
}

impl Ev {
    fn event(&self) -> Event<'_> {
        Event {
            timestamp_ms: 0,
            name: self.name,
            duration_ms: self.duration_ms,
            status_error: self.error,
            sample_rate: self.sample_rate,
            attributes: &self.attributes,
        }
    }
    fn error(mut self) -> Self {
        self.error = true;
        self
    }
    fn no_duration(mut self) -> Self {
        self.duration_ms = None;
        self
    }
    fn attr(mut self, k: &'static str, v: &'static str) -> Self {
        self.attributes.push((k, v));
        self
    }
}

/// `filter` compiles and decides `expected` on `event`, and agrees with the
/// reference evaluator.
#[track_caller]
fn check(filter: &str, event: &Ev, expected: bool) {
    let compiled = Filter::compile(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let e = event.event();
    assert_eq!(compiled.matches(&e), expected, "{filter}");
    assert_eq!(
        reference::matches(filter, &e),
        expected,
        "reference disagrees on {filter}"
    );
}

/// `filter` does not compile, with exactly `expected` as the message.
#[track_caller]
fn check_error(filter: &str, expected: &str) {
    match Filter::compile(filter) {
        Ok(_) => panic!("{filter} compiled"),
        Err(e) => assert_eq!(e.to_string(), expected, "{filter}"),
    }
}

#[test]
fn literals_and_constants() {
    let e = ev();
    check("true", &e, true);
    check("false", &e, false);
    check("1 == 1", &e, true);
    check("1 == 1.0", &e, true);
    check("1u == 1", &e, true);
    check("2 > 1.5", &e, true);
    check("'a' < 'b'", &e, true);
    check("null == null", &e, true);
    check("false < true", &e, true);
    check("[1, 2].size() == 2", &e, true);
    check("size('héllo') == 5", &e, true);
    check("-(3) == -3", &e, true);
    check(r#""x" in ["x", "y"]"#, &e, true);
}

#[test]
fn variables() {
    let e = ev();
    check(r#"name == "GET /pay""#, &e, true);
    check(r#"name != "GET /pay""#, &e, false);
    check(r#"status == "ok""#, &e, true);
    check(r#"status == "error""#, &e, false);
    check(r#"status == "error""#, &ev().error(), true);
    check(r#""ok" == status"#, &e, true);
    check(r#"status != "ok""#, &ev().error(), true);
    check(r#"status == "OK""#, &e, false);
    check("duration_ms <= 300", &e, true);
    check("duration_ms > 300", &e, false);
    check("duration_ms == 120", &e, true);
    check("sample_rate == 1", &e, true);
    check("sample_rate >= 1.0 && sample_rate < 2", &e, true);
}

#[test]
fn missing_duration() {
    let e = ev().no_duration();
    check("duration_ms <= 300", &e, false);
    check("duration_ms > 300", &e, false);
    check("duration_ms != 5", &e, false);
    check("!(duration_ms > 300)", &e, false);
    check("has(duration_ms)", &e, false);
    check("has(duration_ms)", &ev(), true);
    check("duration_ms == null", &e, true);
    check("duration_ms == null", &ev(), false);
    check("duration_ms != null", &ev(), true);
    check("!has(duration_ms) || duration_ms < 10", &e, true);
}

#[test]
fn attributes() {
    let e = ev();
    check(r#"attributes["http.route"] == "/pay""#, &e, true);
    check(r#"attributes.region == "eu-west""#, &e, true);
    check(r#"attributes.region.startsWith("eu-")"#, &e, true);
    check(r#"has(attributes.region)"#, &e, true);
    check(r#"has(attributes.zone)"#, &e, false);
    check(r#"has(attributes["http.route"])"#, &e, true);
    check(r#""tier" in attributes"#, &e, true);
    check(r#""zone" in attributes"#, &e, false);
    check(r#"size(attributes) == 5"#, &e, true);
    check(
        r#"attributes[name] == "x""#,
        &ev().attr("GET /pay", "x"),
        true,
    );
    check(r#"name in attributes"#, &e, false);
    // The last duplicate wins, as in a JSON object.
    check(
        r#"attributes.tier == "silver""#,
        &ev().attr("tier", "silver"),
        true,
    );
}

#[test]
fn missing_attributes_are_errors_that_never_match() {
    let e = ev();
    check(r#"attributes.zone == "a""#, &e, false);
    check(r#"attributes.zone != "a""#, &e, false);
    check(r#"!(attributes.zone == "a")"#, &e, false);
    check(r#"attributes.zone == null"#, &e, false);
    check(r#"attributes.zone != null"#, &e, false);
    check(r#"attributes.region != null"#, &e, true);
    check(r#"attributes.zone in ["a"]"#, &e, false);
    check(r#"attributes.zone.startsWith("a")"#, &e, false);
    check(r#"size(attributes.zone) > 0"#, &e, false);
}

#[test]
fn logic_absorbs_errors_like_cel() {
    let e = ev();
    check(r#"attributes.zone == "a" || status == "ok""#, &e, true);
    check(r#"status == "ok" || attributes.zone == "a""#, &e, true);
    check(r#"attributes.zone == "a" && status == "error""#, &e, false);
    check(r#"status == "error" && attributes.zone == "a""#, &e, false);
    check(r#"attributes.zone == "a" && status == "ok""#, &e, false);
    check(
        r#"!(attributes.zone == "a" && status == "error")"#,
        &e,
        true,
    );
    check(
        r#"!(attributes.zone == "a" || status == "error")"#,
        &e,
        false,
    );
    check(r#"attributes.zone == "a" && false"#, &e, false);
    check(r#"attributes.zone == "a" || true"#, &e, true);
    check(r#"attributes.zone == "a" ? true : true"#, &e, false);
    check(r#"!!(status == "ok")"#, &e, true);
}

#[test]
fn ternary() {
    let e = ev();
    check(r#"(status == "ok" ? duration_ms : 0.0) > 100"#, &e, true);
    check(r#"(status == "ok" ? "a" : "b") == "a""#, &e, true);
    check(r#"status == "ok" ? name == "GET /pay" : false"#, &e, true);
    check(
        r#"status == "error" ? name == "GET /pay" : false"#,
        &e,
        false,
    );
    check(
        r#"true ? status == "ok" : attributes.zone == "x""#,
        &e,
        true,
    );
}

#[test]
fn membership() {
    let e = ev();
    check(r#"attributes.region in ["eu-west", "us-east"]"#, &e, true);
    check(r#"attributes.region in ["us-east"]"#, &e, false);
    check(r#"name in []"#, &e, false);
    check(r#"duration_ms in [120, 300]"#, &e, true);
    check(
        r#"int(attributes["http.response.status_code"]) in [500, 502, 503]"#,
        &e,
        true,
    );
    check(r#"name in [attributes.region, "GET /pay"]"#, &e, true);
    check(r#"name in ["GET /pay", attributes.zone]"#, &e, false);
    check(r#"(status == "ok") in [true]"#, &e, true);
}

#[test]
fn string_functions() {
    let e = ev();
    check(r#"name.startsWith("GET ")"#, &e, true);
    check(r#"name.endsWith("/pay")"#, &e, true);
    check(r#"name.contains("T /p")"#, &e, true);
    check(r#"name.contains("")"#, &e, true);
    check(r#"name.matches("^(GET|POST) /pa")"#, &e, true);
    check(r#"name.matches("^POST")"#, &e, false);
    check(r#"matches(name, "pay$")"#, &e, true);
    check(r#"attributes.region.matches("^eu-")"#, &e, true);
    check(r#"name.size() == 8"#, &e, true);
    check(r#"size(name) > 3"#, &e, true);
    check(r#"name.startsWith(attributes["http.route"])"#, &e, false);
    check(r#"name.endsWith(attributes["http.route"])"#, &e, true);
}

#[test]
fn conversions() {
    let e = ev();
    check(
        r#"int(attributes["http.response.status_code"]) >= 500"#,
        &e,
        true,
    );
    check(
        r#"int(attributes["http.response.status_code"]) >= 504"#,
        &e,
        false,
    );
    check(r#"double(attributes.ratio) < 0.5"#, &e, true);
    check(r#"int(attributes.ratio) == 0"#, &e, false); // "0.25" is not an int: error
    check(r#"int(attributes.region) > 0 || true"#, &e, true);
    check(r#"int(duration_ms) == 120"#, &e, true);
    check(r#"int(2.9) == 2 && int(-2.9) == -2"#, &e, true);
    check(r#"double(2) == 2.0"#, &e, true);
    check(r#"string(duration_ms) == "120""#, &e, true);
    check(r#"string(1.5) == "1.5""#, &e, true);
    check(r#"string(status == "ok") == "true""#, &e, true);
    check(r#"string(name) == name"#, &e, true);
    check(r#"int("12") == 12"#, &e, true);
    check(
        r#"double(attributes.http_code) > 1.0"#,
        &ev().attr("http_code", "1e3"),
        true,
    );
}

#[test]
fn numbers_compare_across_int_and_double() {
    let e = ev();
    check("duration_ms == 120", &e, true);
    check("120 == duration_ms", &e, true);
    check("duration_ms < 120.5", &e, true);
    check("-9223372036854775808 == -9223372036854775808.0", &e, true);
    // Exact beyond 2^53, where the naive reference (int as f64) rounds.
    let exact = |src: &str| Filter::compile(src).unwrap().matches(&e.event());
    assert!(exact("9007199254740993 > 9007199254740992.0"));
    assert!(exact("9007199254740993 != 9007199254740992.0"));
    assert!(exact("9223372036854775807 < 9223372036854775808.0"));
}

#[test]
fn constant_folding() {
    for (src, folded) in [
        ("1 < 2", Some(true)),
        ("'a' + 'b' == 'ab'", None),
        ("false && name == 'x'", Some(false)),
        ("name == 'x' && false", Some(false)),
        ("name == 'x' || true", Some(true)),
        ("true ? true : name == 'x'", Some(true)),
        ("int('7') == 7", Some(true)),
        ("size('abc') == 3", Some(true)),
        ("name == 'x'", None),
    ] {
        match Filter::compile(src) {
            Ok(f) => assert_eq!(
                match f.root {
                    BoolNode::Const(b) => Some(b),
                    _ => None,
                },
                folded,
                "{src}"
            ),
            Err(_) => assert_eq!(folded, None, "{src}"),
        }
    }
    assert!(
        Filter::compile("true || name == 'x'")
            .unwrap()
            .is_always_true()
    );
}

#[test]
fn unsupported_constructs_name_the_construct_and_column() {
    check_error(
        r#"status == "ok" && foo(name)"#,
        "column 19: function \"foo\" is not supported; expected one of has, size, int, double, string, startsWith, endsWith, contains, matches",
    );
    check_error(
        r#"name.lowerAscii() == "x""#,
        "column 6: function \"lowerAscii\" is not supported; expected one of has, size, int, double, string, startsWith, endsWith, contains, matches",
    );
    check_error(
        "duration_ms + 1 > 2",
        "column 13: operator \"+\" is not supported; expected one of ==, !=, <, <=, >, >=, &&, ||, !, ?:, in, [], unary -",
    );
    check_error(
        "duration_ms % 2 == 0",
        "column 13: operator \"%\" is not supported; expected one of ==, !=, <, <=, >, >=, &&, ||, !, ?:, in, [], unary -",
    );
    check_error(
        "user == 'x'",
        "column 1: unknown variable \"user\"; expected one of name, status, duration_ms, sample_rate, attributes",
    );
    check_error(
        r#"attributes["http.response.status_code"] >= 500"#,
        "column 41: operator \">=\" cannot compare a string with a number; attribute values are strings: convert with int(...) or double(...)",
    );
    check_error(
        "name == 1",
        "column 6: operator \"==\" cannot compare a string with a number",
    );
    check_error(
        "name",
        "column 1: the filter is a string; expected a boolean expression",
    );
    check_error(
        "",
        "column 1: the filter is empty; expected a boolean expression such as status == \"ok\"",
    );
    check_error(
        "name == 'x' &&",
        "column 15: syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
    );
    check_error(
        "{'a': 1}['a'] == 1",
        "column 1: map literals are not supported; only list literals are",
    );
    check_error(
        "[1].exists(x, x > 0)",
        "column 5: function \"exists\" is not supported; expected one of has, size, int, double, string, startsWith, endsWith, contains, matches",
    );
    check_error(
        "has(name)",
        "column 1: has() applies to attributes.<key>, attributes[\"<key>\"] or duration_ms",
    );
    check_error(
        "name.foo == 'x'",
        "column 5: field selection .foo applies only to attributes; a string has no fields",
    );
    check_error(
        "name.matches(attributes.re)",
        "column 14: matches() needs a string literal pattern, compiled once",
    );
    check_error(
        "name.matches('(')",
        "column 14: invalid regular expression \"(\": unclosed group",
    );
    check_error(
        "int('abc') == 1",
        "column 1: int() of this constant fails: it is not an integer in range",
    );
    check_error(
        "name in ['a', 1]",
        "column 15: list element is a number; expected a string like the left side of \"in\"",
    );
    check_error(
        "1 in name",
        "column 3: \"in\" needs a list literal or attributes on its right, found a string",
    );
    check_error(
        "b'abc' == b'abc'",
        "column 1: bytes literals are not supported; use a string",
    );
    check_error(
        "name.startsWith(1)",
        "column 6: startsWith() takes a string argument; name.startsWith(\"GET \")",
    );
    check_error(
        "size(name, 1) == 1",
        "column 1: function \"size\" is called with the wrong arguments; expected size(x) or x.size() for a string, a list or attributes",
    );
    check_error(
        "status == 'ok' ? 1 : 'a'",
        "column 16: the branches of ?: are a number and a string; expected the same type",
    );
    check_error(
        "name == 'a' &&\n  bar(1)",
        "line 2, column 3: function \"bar\" is not supported; expected one of has, size, int, double, string, startsWith, endsWith, contains, matches",
    );
}

#[test]
fn check_filter_reports_offset_and_column() {
    let err = check_filter("name == 'é' && nope").unwrap_err();
    assert_eq!((err.offset, err.line, err.column), (16, 1, 16));
    assert!(check_filter(r#"attributes["http.route"] == "/pay" && status == "ok""#).is_ok());
}

/// Filters the property test compares against the reference evaluator.
const PROPERTY_FILTERS: &[&str] = &[
    r#"attributes["http.route"] == "/pay" && status == "ok""#,
    r#"name == "GET /search""#,
    "duration_ms <= 300",
    "!(duration_ms <= 300)",
    "duration_ms == null",
    "has(duration_ms) && duration_ms > 12.5",
    r#"attributes.region != "eu""#,
    r#"!(attributes.region == "eu")"#,
    r#"attributes.region in ["eu", "us"] || status == "error""#,
    r#"status == "error" || attributes.region in ["eu", "us"]"#,
    r#"int(attributes.code) >= 500"#,
    r#"!(int(attributes.code) >= 500) && has(attributes.code)"#,
    r#"double(attributes.code) > 100.5 || attributes.tier == "gold""#,
    r#"has(attributes.tier) ? attributes.tier.startsWith("g") : name.endsWith("pay")"#,
    r#"name.matches("^(GET|POST) /pa") != (status == "ok")"#,
    r#"size(attributes) > 2 && "region" in attributes"#,
    r#"attributes[attributes.tier] == "x" || sample_rate > 1"#,
    r#"(attributes.region == "eu" || attributes.code == "500") && !(attributes.tier == "free")"#,
    r#"string(int(duration_ms)) == attributes.code"#,
    r#"attributes.code != null && attributes.code.contains("0")"#,
    r#"int(attributes.code) in [200, 500, 404] && duration_ms < 1000.0"#,
    r#"(duration_ms > 100 ? "slow" : "fast") == attributes.speed"#,
    r#"attributes.region < attributes.tier"#,
    r#"-duration_ms < -12.5 || size(name) == 0"#,
];

fn arb_event() -> impl Strategy<Value = reference::OwnedEvent> {
    let name = prop::sample::select(vec!["GET /pay", "GET /search", "POST /pay", ""]);
    let duration = prop::option::of(prop::sample::select(vec![
        0.0, 12.5, 120.0, 300.0, 300.5, 1000.0,
    ]));
    let rate = prop::sample::select(vec![1.0, 0.5, 10.0]);
    let key = prop::sample::select(vec![
        "http.route",
        "region",
        "code",
        "tier",
        "speed",
        "gold",
        "x",
    ]);
    let value = prop::sample::select(vec![
        "/pay", "eu", "us", "500", "200", "404", "12.5", "abc", "gold", "free", "x", "slow", "",
    ]);
    let attrs = prop::collection::vec((key, value), 0..7);
    (name, any::<bool>(), duration, rate, attrs).prop_map(
        |(name, error, duration_ms, sample_rate, attributes)| reference::OwnedEvent {
            name: name.to_owned(),
            error,
            duration_ms,
            sample_rate,
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        },
    )
}

proptest! {
    #[test]
    fn compiled_filters_agree_with_the_reference(ev in arb_event()) {
        let attrs: Vec<(&str, &str)> = ev.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let event = Event {
            timestamp_ms: 0,
            name: &ev.name,
            duration_ms: ev.duration_ms,
            status_error: ev.error,
            sample_rate: ev.sample_rate,
            attributes: &attrs,
        };
        for src in PROPERTY_FILTERS {
            let compiled = Filter::compile(src).unwrap();
            prop_assert_eq!(compiled.matches(&event), reference::matches(src, &event), "{}", src);
        }
    }
}
