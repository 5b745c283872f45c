use proptest::prelude::*;

use super::{CountQuery, check_selector};

fn selector(q: &str) -> CountQuery {
    CountQuery::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn selectors_of_every_shape_are_accepted() {
    for q in [
        "http_requests_total",
        "job:http_requests:total",
        r#"http_requests_total{job="api",code!~"5.."}"#,
        r#"{__name__="http_requests_total"}"#,
        r#"x{ a = 'b' , }"#,
        "x{a=`raw \\ value`}",
        r#"x{a="quote \" inside",b=~"a|b"}"#,
        "  padded  ",
    ] {
        assert!(matches!(selector(q), CountQuery::Selector(_)), "{q}");
    }
}

#[test]
fn malformed_selectors_say_what_and_where() {
    for (q, problem) in [
        ("x{", "expected a label name or } at character 3"),
        ("x{a}", "expected one of =, !=, =~, !~ at character 4"),
        ("x{a=b}", "expected a quoted label value at character 5"),
        (
            r#"x{a="b"} offset 5m"#,
            "unexpected text after the selector at character 10",
        ),
        (
            "{}",
            "expected a metric name or label matchers at character 3",
        ),
        (r#"x{a="b"#, "unterminated label value at character 5"),
        ("sum", "\"sum\" is a PromQL keyword, not a metric name"),
    ] {
        assert_eq!(check_selector(q), Err(problem.to_string()), "{q}");
    }
}

#[test]
fn expressions_without_the_window_placeholder_are_refused_with_the_fix() {
    let e = CountQuery::parse("sum(rate(http_requests_total[5m]))").expect_err("no window");
    assert!(e.contains("is an expression without {{.window}}"), "{e}");
    assert!(
        e.contains("sum(increase(http_requests_total[{{.window}}]))"),
        "{e}"
    );
    let e = CountQuery::parse("   ").expect_err("empty");
    assert!(e.contains("got an empty query"), "{e}");
}

#[test]
fn window_placeholder_is_normalised_and_other_templates_kept() {
    assert_eq!(
        CountQuery::parse("sum(increase(x{a=\"{{b}}\"}[{{ .window }}]))"),
        Ok(CountQuery::Template(
            "sum(increase(x{a=\"{{b}}\"}[{{.window}}]))".into()
        ))
    );
    assert!(CountQuery::parse("sum(x[{{.other}}])").is_err());
}

#[test]
fn counts_over_a_window() {
    assert_eq!(
        selector(r#"x{job="a"}"#).count_over("5m"),
        r#"sum(increase(x{job="a"}[5m]))"#
    );
    assert_eq!(
        selector("sum(increase(x[{{.window}}])) - sum(increase(y[{{.window}}]))").count_over("1h"),
        "sum(sum(increase(x[1h])) - sum(increase(y[1h])))"
    );
    assert_eq!(selector("r").mean_over("1d"), "avg(avg_over_time(r[1d]))");
}

fn label_value() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[ -~]{0,12}"#).expect("regex")
}

proptest! {
    /// Any metric name with any matchers, values escaped as PromQL
    /// strings, is a selector and is counted as written.
    #[test]
    fn generated_selectors_are_accepted(
        name in "[a-zA-Z_:][a-zA-Z0-9_:]{0,20}",
        matchers in proptest::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,10}", 0usize..4, label_value()), 0..4),
    ) {
        prop_assume!(!super::KEYWORDS.contains(&name.to_ascii_lowercase().as_str()));
        let ops = ["=", "!=", "=~", "!~"];
        let body: Vec<String> = matchers
            .iter()
            .map(|(l, op, v)| format!("{l}{}\"{}\"", ops[*op], v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let q = if body.is_empty() { name.clone() } else { format!("{name}{{{}}}", body.join(",")) };
        prop_assert_eq!(check_selector(&q), Ok(()));
        prop_assert_eq!(selector(&q).count_over("5m"), format!("sum(increase({q}[5m]))"));
    }

    /// Checking never panics, whatever the text.
    #[test]
    fn arbitrary_text_never_panics(q in "\\PC{0,40}") {
        let _ = CountQuery::parse(&q);
    }
}
