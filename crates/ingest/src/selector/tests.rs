//! Selector parsing (what each text compiles to, or its error and column)
//! and matching, including the shared evaluation of a `SelectorSet`
//! against selector-by-selector matching.

use proptest::prelude::*;

use super::*;

/// `src` parses into matchers rendered as `label op value` (value
/// debug-quoted), or fails with `column: message`.
#[track_caller]
fn check(src: &str, expect: &str) {
    let actual = match Selector::parse(src) {
        Ok(s) => s
            .matchers()
            .iter()
            .map(|m| format!("{}{}{:?}", m.label, m.op.as_str(), m.value))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("error {e}"),
    };
    assert_eq!(actual, expect, "selector {src:?}");
}

#[test]
fn valid_selectors_compile_to_their_matchers() {
    check("up", r#"__name__="up""#);
    check(
        "  http_requests_total  ",
        r#"__name__="http_requests_total""#,
    );
    check("job:rate5m:sum", r#"__name__="job:rate5m:sum""#);
    check(
        r#"http_requests_total{job="api",code!~"5.."}"#,
        r#"__name__="http_requests_total" job="api" code!~"5..""#,
    );
    check(
        r#"x { a = "1" , b != '2' , c =~ `3|4`, } "#,
        r#"__name__="x" a="1" b!="2" c=~"3|4""#,
    );
    check(r#"{job="api"}"#, r#"job="api""#);
    check(
        r#"{__name__=~"http_.*",job="api"}"#,
        r#"__name__=~"http_.*" job="api""#,
    );
    check("x{}", r#"__name__="x""#);
    check(
        r#"{"my.metric", env="prod"}"#,
        r#"__name__="my.metric" env="prod""#,
    );
    check(
        r#"{env="prod", "my.metric"}"#,
        r#"__name__="my.metric" env="prod""#,
    );
    check(
        r#"http_request_duration_seconds_bucket{le="0.3"}"#,
        r#"__name__="http_request_duration_seconds_bucket" le="0.3""#,
    );
}

#[test]
fn strings_take_go_escapes_and_raw_backquotes() {
    check(r#"x{a="\\d+\"q\"\n"}"#, r#"__name__="x" a="\\d+\"q\"\n""#);
    check(r#"x{a='it\'s'}"#, r#"__name__="x" a="it's""#);
    check(r#"x{a=`\d+`}"#, r#"__name__="x" a="\\d+""#);
    check(
        r#"x{a="\x41\u00e9\U0001F600\101"}"#,
        "__name__=\"x\" a=\"Aé😀A\"",
    );
    check(
        r#"x{a="\q"}"#,
        r#"error column 6: unknown escape sequence \q; expected one of \a \b \f \n \r \t \v \\ \" \' \xHH \uHHHH \UHHHHHHHH \ooo"#,
    );
    check(
        r#"x{a="\xff"}"#,
        r#"error column 6: invalid escape sequence \xff: expected 2 hex digits naming a character up to 0x7f"#,
    );
    check(
        r#"x{a="\u12"}"#,
        r#"error column 6: invalid escape sequence \u12"}: expected 4 hex digits naming a valid code point"#,
    );
    check(
        r#"x{a="abc}"#,
        "error column 5: unterminated string; expected a closing \"",
    );
    check(
        "x{a=\"a\nb\"}",
        "error column 7: newline in a quoted string; expected the closing quote first",
    );
}

#[test]
fn malformed_selectors_say_where_and_what_was_expected() {
    check(
        "",
        "error column 1: selector is empty; expected a metric name such as http_requests_total or {label=\"value\"}",
    );
    check(
        "   ",
        "error column 1: selector is empty; expected a metric name such as http_requests_total or {label=\"value\"}",
    );
    check(
        "9lives",
        "error column 1: unexpected '9'; expected a metric name (letters, digits, _ and :, not starting with a digit) or {",
    );
    check(
        "x[5m]",
        "error column 2: range selectors ([5m]) are not accepted: a metric source names counters and Lodestar computes their increases itself; remove the range",
    );
    check(
        "x offset 5m",
        "error column 3: offset and @ modifiers are not accepted in a series selector; remove them",
    );
    check(
        "sum(x)",
        "error column 4: functions and aggregations are not accepted: a metric source is a series selector such as http_requests_total{code!~\"5..\"}",
    );
    check(
        r#"x{job="api"} y"#,
        "error column 14: unexpected 'y' after the selector; expected the end of the selector",
    );
    check(
        r#"x{job="api""#,
        "error column 12: unterminated {; expected , or }",
    );
    check(
        "x{",
        "error column 3: unterminated {; expected a label matcher or }",
    );
    check(
        r#"x{job=="api"}"#,
        "error column 6: == is not a matcher; expected =, !=, =~ or !~",
    );
    check(
        r#"x{job~"api"}"#,
        "error column 6: found '~' after label \"job\"; expected =, !=, =~ or !~",
    );
    check(
        "x{job=api}",
        "error column 7: expected a quoted value after =, such as \"api\"",
    );
    check(
        r#"x{1job="api"}"#,
        "error column 3: unexpected '1'; expected a label name (letters, digits and _, not starting with a digit) or }",
    );
    check(
        r#"x{a="1" b="2"}"#,
        "error column 9: unexpected 'b'; expected , or }",
    );
    check(
        r#"x{__name__="y"}"#,
        "error column 3: the metric name is given twice; give it once",
    );
    check(
        r#"{"a", "b"}"#,
        "error column 7: the metric name is given twice; give it once",
    );
    check(
        r#"x{code=~"5(.."}"#,
        "error column 9: invalid regular expression \"5(..\": error: unclosed group",
    );
    check(
        r#"x{code=~"a)|(b"}"#,
        "error column 9: invalid regular expression \"a)|(b\": error: unopened group",
    );
    check(
        "{}",
        "error column 1: selector has no matchers; expected a metric name or at least one label matcher",
    );
    check(
        r#"{code=~".*", job=""}"#,
        "error column 1: selector matches the empty label set (every matcher accepts an empty value); expected a metric name or a matcher such as job=\"api\"",
    );
}

fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> &'a [(&'a str, &'a str)] {
    pairs
}

#[test]
fn matching_follows_prometheus() {
    let series = labels(&[
        ("__name__", "http_requests_total"),
        ("code", "503"),
        ("job", "api"),
        ("path", "/pay"),
    ]);
    let m = |src: &str| Selector::parse(src).unwrap().matches(series);
    assert!(m("http_requests_total"));
    assert!(!m("http_requests"));
    assert!(m(r#"http_requests_total{code=~"5.."}"#));
    // Regexes are anchored at both ends.
    assert!(!m(r#"http_requests_total{code=~"5."}"#));
    assert!(!m(r#"http_requests_total{code=~"0"}"#));
    assert!(m(r#"{code!~"2..|3..", job="api"}"#));
    assert!(!m(r#"{code!~"5..", job="api"}"#));
    // A missing label is the empty string.
    assert!(m(r#"http_requests_total{region!="eu"}"#));
    assert!(m(r#"http_requests_total{region=""}"#));
    assert!(!m(r#"http_requests_total{region=~".+"}"#));
    assert!(m(r#"http_requests_total{region=~".*"}"#));
    assert!(!m(r#"http_requests_total{path="/PAY"}"#));
    assert!(m(r#"http_requests_total{path=~"(?i)/PAY"}"#));
    // The first occurrence of a repeated label counts.
    let repeated = labels(&[("__name__", "x"), ("a", "1"), ("a", "2")]);
    assert!(Selector::parse(r#"x{a="1"}"#).unwrap().matches(repeated));
    assert!(!Selector::parse(r#"x{a="2"}"#).unwrap().matches(repeated));
}

const SELECTORS: [&str; 10] = [
    "m_total",
    r#"m_total{code=~"5.."}"#,
    r#"m_total{code!~"5..",route="/a"}"#,
    r#"m_total{route="/a"}"#,
    r#"m_total{route="/b"}"#,
    r#"{route=~"/(a|b)", region!="eu"}"#,
    r#"other_total{route="/a"}"#,
    r#"{__name__=~"m_.*", region="eu"}"#,
    r#"m_total{region=""}"#,
    r#"m_total{code="200",route="/a"}"#,
];

fn series_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop::sample::select(vec!["m_total", "other_total", "m_bucket"]);
    let code = prop::option::of(prop::sample::select(vec![
        "200", "404", "500", "503", "5000",
    ]));
    let route = prop::option::of(prop::sample::select(vec!["/a", "/b", "/c", ""]));
    let region = prop::option::of(prop::sample::select(vec!["eu", "us", ""]));
    (name, code, route, region, any::<bool>()).prop_map(|(n, c, r, g, name_last)| {
        let mut v: Vec<(String, String)> = Vec::new();
        for (k, val) in [("code", c), ("route", r), ("region", g)] {
            if let Some(val) = val {
                v.push((k.to_owned(), val.to_owned()));
            }
        }
        let name = ("__name__".to_owned(), n.to_owned());
        if name_last {
            v.push(name);
        } else {
            v.insert(0, name);
        }
        v
    })
}

proptest! {
    #[test]
    fn a_selector_set_agrees_with_each_selector_alone(series in series_strategy()) {
        let mut set = SelectorSet::default();
        let ids: Vec<usize> = SELECTORS.iter().map(|s| set.add(s).unwrap()).collect();
        // Re-adding finds the same selector.
        prop_assert_eq!(set.add(SELECTORS[3]).unwrap(), ids[3]);
        let mut buf = Vec::new();
        let mut ranges = Vec::new();
        for (n, v) in &series {
            let n0 = buf.len();
            buf.extend_from_slice(n.as_bytes());
            let v0 = buf.len();
            buf.extend_from_slice(v.as_bytes());
            ranges.push((n0..v0, v0..buf.len()));
        }
        let mut scratch = SelectorScratch::default();
        let mut out = Vec::new();
        set.evaluate(&buf, &ranges, &mut scratch, &mut out);
        for (src, id) in SELECTORS.iter().zip(&ids) {
            let alone = Selector::parse(src).unwrap().matches(&series);
            prop_assert_eq!(out[*id], alone, "selector {} on {:?}", src, series);
        }
    }
}
