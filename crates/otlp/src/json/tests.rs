//! The JSON value types one by one: what each accepts, what it refuses, and
//! that strings stay borrowed from the body when they can.

use super::*;

fn any(json: &str) -> AnyValue<'_> {
    serde_json::from_str(json).unwrap()
}

#[test]
fn any_value_members() {
    assert_eq!(any(r#"{"stringValue":"x"}"#), AnyValue::Str("x".into()));
    assert_eq!(any(r#"{"string_value":"x"}"#), AnyValue::Str("x".into()));
    assert_eq!(any(r#"{"boolValue":true}"#), AnyValue::Bool(true));
    assert_eq!(any(r#"{"intValue":"-7"}"#), AnyValue::Int(-7));
    assert_eq!(any(r#"{"intValue":12}"#), AnyValue::Int(12));
    assert_eq!(any(r#"{"doubleValue":1.5}"#), AnyValue::Double(1.5));
    assert_eq!(any(r#"{"doubleValue":3}"#), AnyValue::Double(3.0));
    assert_eq!(
        any(r#"{"doubleValue":"-Infinity"}"#),
        AnyValue::Double(f64::NEG_INFINITY)
    );
    assert_eq!(
        any(r#"{"bytesValue":"Zm9v"}"#),
        AnyValue::Bytes("Zm9v".into())
    );
    assert_eq!(any(r#"{}"#), AnyValue::Empty);
    assert_eq!(any(r#"{"stringValue":null}"#), AnyValue::Empty);
    assert_eq!(
        any(r#"{"unknown":[1,{"a":2}],"intValue":1}"#),
        AnyValue::Int(1)
    );
    assert_eq!(
        any(r#"{"arrayValue":{"values":[{"intValue":1},{}]}}"#),
        AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Empty])
    );
    assert_eq!(any(r#"{"arrayValue":{}}"#), AnyValue::Array(vec![]));
    assert_eq!(
        any(r#"{"kvlistValue":{"values":[{"key":"k","value":{"boolValue":false}}]}}"#),
        AnyValue::KvList(vec![KeyValue {
            key: Some(Str("k".into())),
            value: Some(AnyValue::Bool(false)),
        }])
    );
    assert!(matches!(any(r#"{"doubleValue":"NaN"}"#), AnyValue::Double(d) if d.is_nan()));
}

#[test]
fn strings_are_borrowed_unless_escaped() {
    let AnyValue::Str(s) = any(r#"{"stringValue":"plain"}"#) else {
        panic!()
    };
    assert!(matches!(s, Cow::Borrowed("plain")));
    let AnyValue::Str(s) = any(r#"{"stringValue":"a\nb"}"#) else {
        panic!()
    };
    assert!(matches!(s, Cow::Owned(ref o) if o == "a\nb"));
}

#[test]
fn numbers_from_strings_and_numbers() {
    let n: Nanos = serde_json::from_str(r#""1700000000123456789""#).unwrap();
    assert_eq!(n, Nanos(1_700_000_000_123_456_789));
    let n: Nanos = serde_json::from_str("1700000000123456789").unwrap();
    assert_eq!(n, Nanos(1_700_000_000_123_456_789));
    let n: Nanos = serde_json::from_str("18446744073709551615").unwrap();
    assert_eq!(n, Nanos(u64::MAX));
    let n: Nanos = serde_json::from_str("1.7e18").unwrap();
    assert_eq!(n, Nanos(1_700_000_000_000_000_000));
    for bad in ["-1", "\"-1\"", "1.5", "\"x\"", "true"] {
        assert!(serde_json::from_str::<Nanos>(bad).is_err(), "{bad}");
    }
    for bad in [
        "\"9223372036854775808\"",
        "9223372036854775808",
        "0.5",
        "\"1e3\"",
    ] {
        assert!(serde_json::from_str::<Int>(bad).is_err(), "{bad}");
    }
}

#[test]
fn enums_by_number_or_name() {
    let e: EnumNumber = serde_json::from_str("2").unwrap();
    assert_eq!(e, EnumNumber(2));
    let e: EnumNumber = serde_json::from_str(r#""SPAN_KIND_CONSUMER""#).unwrap();
    assert_eq!(e, EnumNumber(5));
    let e: EnumNumber = serde_json::from_str(r#""SEVERITY_NUMBER_ERROR""#).unwrap();
    assert_eq!(e, EnumNumber(17));
    assert!(serde_json::from_str::<EnumNumber>(r#""SERVER""#).is_err());
    assert!(serde_json::from_str::<EnumNumber>("4294967298").is_err());
}

#[test]
fn ids_must_be_hex() {
    let id: HexId = serde_json::from_str(r#""5B8EFFF798038103D269B633813FC60C""#).unwrap();
    assert_eq!(id.0, "5B8EFFF798038103D269B633813FC60C");
    for bad in [r#""xyz0""#, r#""abc""#, r#""W4/3+A==""#, "12"] {
        assert!(serde_json::from_str::<HexId>(bad).is_err(), "{bad}");
    }
}

#[test]
fn errors_name_the_json_path_line_and_column() {
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"name":"a"},
        {"name":"b","attributes":[{"key":"k","value":{"intValue":"12x"}}]}
    ]}]}]}"#;
    let e = parse::<TracesRequest>(body, Signal::Traces).unwrap_err();
    let OtlpError::Json {
        path,
        line,
        column,
        message,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        path,
        "resourceSpans[0].scopeSpans[0].spans[1].attributes[0].value.intValue"
    );
    assert_eq!(*line, 3);
    assert!(*column > 50, "{column}");
    assert!(message.contains("12x"), "{message}");
    assert!(!message.contains("line"), "{message}");

    let e = parse::<LogsRequest>(b"{\"resourceLogs\": [", Signal::Logs).unwrap_err();
    let OtlpError::Json { path, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(path.starts_with("resourceLogs"), "{path}");
    let e = parse::<LogsRequest>(b"\"logs\"", Signal::Logs).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("otlp logs json body: request: invalid type: string"),
        "{e}"
    );
}

#[test]
fn doubles_read_back_exactly() {
    let third = 1.0 / 3.0;
    for v in [
        third,
        0.1 + 0.2,
        2f64.powi(150) * third,
        -1e-139 * third,
        1e-310,
        f64::MAX,
    ] {
        let text = serde_json::to_string(&v).unwrap();
        let body = format!(r#"{{"doubleValue":{text}}}"#);
        assert_eq!(any(&body), AnyValue::Double(v), "{text}");
    }
    assert_eq!(any(r#"{"doubleValue":"1E+2"}"#), AnyValue::Double(100.0));
    for bad in [
        r#"{"doubleValue":true}"#,
        r#"{"doubleValue":"inf"}"#,
        r#"{"doubleValue":[1]}"#,
    ] {
        assert!(serde_json::from_str::<AnyValue>(bad).is_err(), "{bad}");
    }
}
