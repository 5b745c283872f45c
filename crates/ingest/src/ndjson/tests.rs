//! Line decoding: accepted shapes, borrowed decoding, and every rejection.

use std::borrow::Cow;

use super::*;

const NOW_MS: i64 = 1_738_324_800_000; // 2025-01-31T12:00:00Z

fn bounds() -> TimeBounds {
    TimeBounds {
        oldest_ms: NOW_MS - 86_400_000,
        now_ms: NOW_MS,
        max_future_secs: 300,
    }
}

/// Decodes as the pipeline does: borrowed first, owned when escapes need it.
fn decode(line: &str) -> Result<(DecodedLine<'_>, Vec<(String, String)>), LineRejection> {
    let mut borrowed: Vec<(&str, &str)> = Vec::new();
    match decode_line(line.as_bytes(), &mut borrowed, &bounds()) {
        Ok(d) => Ok((
            d,
            borrowed
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )),
        Err(Failure::Rejected(r)) => Err(r),
        Err(Failure::NeedsOwnedAttributes) => {
            let mut owned: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
            match decode_line(line.as_bytes(), &mut owned, &bounds()) {
                Ok(d) => Ok((
                    d,
                    owned
                        .into_iter()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect(),
                )),
                Err(Failure::Rejected(r)) => Err(r),
                Err(Failure::NeedsOwnedAttributes) => panic!("the owning sink refused {line}"),
            }
        }
    }
}

/// `line` is rejected with a message containing `expected`.
fn check_rejected(line: &str, expected: &str) {
    let err = decode(line).expect_err(line);
    let message = err.to_string();
    assert!(
        message.contains(expected),
        "{line}\n  got: {message}\n  expected to contain: {expected}"
    );
}

#[test]
fn full_event() {
    let line = r#"{"timestamp":"2025-01-31T11:59:00.5Z","name":"GET /pay","duration_ms":12.5,"status":"error","sample_rate":10,"attributes":{"http.route":"/pay","code":503,"beta":true},"extra":[1,{"x":2}]}"#;
    let (d, attrs) = decode(line).unwrap();
    assert_eq!(
        d,
        DecodedLine {
            timestamp_ms: NOW_MS - 59_500,
            name: Cow::Borrowed("GET /pay"),
            duration_ms: Some(12.5),
            status_error: true,
            sample_rate: 10.0,
        }
    );
    let expected = [("http.route", "/pay"), ("code", "503"), ("beta", "true")];
    assert_eq!(attrs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
}

#[test]
fn defaults_for_optional_fields() {
    let text = format!(r#"{{"timestamp":{NOW_MS}}}"#);
    let (d, attrs) = decode(&text).unwrap();
    assert_eq!(d.name, "");
    assert_eq!(d.duration_ms, None);
    assert!(!d.status_error);
    assert_eq!(d.sample_rate, 1.0);
    assert!(attrs.is_empty());
    // null means "not set" everywhere except the timestamp.
    let text = format!(
        r#"{{"timestamp":{NOW_MS},"name":null,"status":null,"duration_ms":null,"sample_rate":null,"attributes":{{"a":null,"b":"x"}}}}"#
    );
    let (d, attrs) = decode(&text).unwrap();
    assert_eq!((d.name.as_ref(), d.sample_rate), ("", 1.0));
    assert_eq!(attrs, vec![("b".to_owned(), "x".to_owned())]);
}

#[test]
fn strings_borrow_unless_escaped() {
    let line = format!(
        r#"{{"timestamp":{NOW_MS},"name":"plain","attributes":{{"k":"v","e\u00e9":"a\"b"}}}}"#
    );
    // The borrowing sink refuses the escaped pair...
    let mut borrowed: Vec<(&str, &str)> = Vec::new();
    assert_eq!(
        decode_line(line.as_bytes(), &mut borrowed, &bounds()),
        Err(Failure::NeedsOwnedAttributes)
    );
    // ...and the owning one keeps the plain pair borrowed.
    let mut attrs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    let d = decode_line(line.as_bytes(), &mut attrs, &bounds()).unwrap();
    assert!(matches!(d.name, Cow::Borrowed("plain")));
    assert!(matches!(
        &attrs[0],
        (Cow::Borrowed("k"), Cow::Borrowed("v"))
    ));
    assert_eq!((&*attrs[1].0, &*attrs[1].1), ("eé", "a\"b"));
    // An escaped name needs no second pass: it is not an attribute.
    let line = format!(r#"{{"timestamp":{NOW_MS},"name":"a\tb","attributes":{{"k":"v"}}}}"#);
    let d = decode_line(line.as_bytes(), &mut borrowed, &bounds()).unwrap();
    assert_eq!(
        (d.name.as_ref(), borrowed.as_slice()),
        ("a\tb", &[("k", "v")][..])
    );
}

#[test]
fn numeric_attribute_values_keep_their_json_text() {
    let (_, attrs) = decode(&format!(
        r#"{{"timestamp":{NOW_MS},"attributes":{{"a":1.50,"b":-2e3,"c":false}}}}"#
    ))
    .unwrap();
    let values: Vec<&str> = attrs.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, ["1.50", "-2e3", "false"]);
}

#[test]
fn epoch_millis_and_fractional_millis() {
    let text = format!(r#"{{"timestamp":{}.75}}"#, NOW_MS - 10);
    let (d, _) = decode(&text).unwrap();
    assert_eq!(d.timestamp_ms, NOW_MS - 10);
}

#[test]
fn each_rejection_reason() {
    let ts = format!(r#""timestamp":{NOW_MS}"#);
    check_rejected(
        r#"{"timestamp": "#,
        "malformed json at column 14: EOF while parsing a value",
    );
    check_rejected(
        r#"{"timestamp":1} x"#,
        "malformed json at column 17: trailing characters",
    );
    check_rejected(
        r#"{timestamp:1}"#,
        "malformed json at column 2: key must be a string",
    );
    check_rejected(r#"[1,2]"#, "\"line\" is an array; expected a json object");
    check_rejected(r#"nope"#, "malformed json at column 2");
    check_rejected(r#"{"name":"x"}"#, "missing \"timestamp\"");
    check_rejected(r#"{"timestamp":"soon"}"#, "unparseable timestamp \"soon\"");
    check_rejected(
        r#"{"timestamp":true}"#,
        "\"timestamp\" is true; expected an rfc 3339 string or epoch milliseconds",
    );
    check_rejected(r#"{"timestamp":1e300}"#, "epoch milliseconds out of range");
    check_rejected(
        &format!(r#"{{"timestamp":{}}}"#, NOW_MS - 86_400_001),
        "timestamp 2025-01-30T11:59:59.999Z is older than the retention limit 2025-01-30T12:00:00Z",
    );
    check_rejected(
        &format!(r#"{{"timestamp":{}}}"#, NOW_MS + 300_001),
        "timestamp 2025-01-31T12:05:00.001Z is more than 300 s after the server time 2025-01-31T12:00:00Z",
    );
    check_rejected(
        &format!(r#"{{{ts},"sample_rate":0}}"#),
        "\"sample_rate\" is 0; expected a number greater than 0",
    );
    check_rejected(
        &format!(r#"{{{ts},"sample_rate":-2}}"#),
        "\"sample_rate\" is -2",
    );
    check_rejected(
        &format!(r#"{{{ts},"sample_rate":"10"}}"#),
        "\"sample_rate\" is the string \"10\"",
    );
    check_rejected(
        &format!(r#"{{{ts},"status":"failed"}}"#),
        "\"status\" is the string \"failed\"; expected \"ok\" or \"error\"",
    );
    check_rejected(&format!(r#"{{{ts},"status":1}}"#), "\"status\" is 1");
    check_rejected(
        &format!(r#"{{{ts},"duration_ms":"12"}}"#),
        "\"duration_ms\" is the string \"12\"; expected a non-negative number",
    );
    check_rejected(
        &format!(r#"{{{ts},"duration_ms":-1}}"#),
        "\"duration_ms\" is -1",
    );
    check_rejected(
        &format!(r#"{{{ts},"name":["a"]}}"#),
        "\"name\" is an array; expected a string",
    );
    check_rejected(
        &format!(r#"{{{ts},"attributes":["a"]}}"#),
        "\"attributes\" is an array; expected an object of string values",
    );
    check_rejected(
        &format!(r#"{{{ts},"attributes":"a"}}"#),
        "\"attributes\" is the string \"a\"",
    );
    check_rejected(
        &format!(r#"{{{ts},"attributes":{{"k":{{"x":1}}}}}}"#),
        "attribute \"k\" is an object; expected a string, number or boolean",
    );
    check_rejected(
        &format!(r#"{{{ts},"attributes":{{"k":[1]}}}}"#),
        "attribute \"k\" is an array",
    );
    check_rejected(
        "{\"timestamp\":\"\u{1}\"}",
        "malformed json at column 15: control character",
    );
}

#[test]
fn invalid_utf8_is_malformed() {
    let mut line = format!(r#"{{"timestamp":{NOW_MS},"name":"x"#).into_bytes();
    line.extend_from_slice(&[0xff, b'"', b'}']);
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    let err = decode_line(&line, &mut attrs, &bounds()).unwrap_err();
    assert!(
        matches!(
            err,
            Failure::Rejected(LineRejection::MalformedJson { column: 37, .. })
        ),
        "{err:?}"
    );
}

#[test]
fn lines_split_on_lf_and_crlf() {
    let body = b"a\r\n\nb\n  \nc";
    let got: Vec<(u64, &[u8])> = lines(body).collect();
    assert_eq!(
        got,
        vec![(1, &b"a"[..]), (2, b""), (3, b"b"), (4, b"  "), (5, b"c")]
    );
    assert!(is_blank(b"  \t") && is_blank(b"") && !is_blank(b" {}"));
    assert_eq!(lines(b"x\n").count(), 1);
}
