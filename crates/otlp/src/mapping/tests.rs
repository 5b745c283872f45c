//! The mapping's small decisions in isolation; the rules end to end are in
//! the integration tests.

use super::*;

#[test]
fn default_selection_is_server_consumer_and_roots() {
    let s = SpanSelection::default();
    use SpanKind::*;
    for (kind, root, selected) in [
        (Some(Server), false, true),
        (Some(Consumer), false, true),
        (Some(Client), false, false),
        (Some(Internal), false, false),
        (Some(Producer), false, false),
        (Some(Unspecified), false, false),
        (None, false, false),
        (Some(Internal), true, true),
        (None, true, true),
    ] {
        assert_eq!(s.selects(kind, root), selected, "{kind:?} root={root}");
    }
    let no_roots = SpanSelection {
        include_roots: false,
        ..s
    };
    assert!(!no_roots.selects(Some(Internal), true));
    assert!(no_roots.selects(Some(Server), true));
    assert!(SpanSelection::all().selects(Some(Producer), false));
    assert!(!SpanSelection::all().selects(None, false));
}

#[test]
fn kinds_by_number() {
    let names: Vec<_> = (0..=5)
        .map(|n| SpanKind::from_number(n).unwrap().as_str())
        .collect();
    assert_eq!(
        names,
        [
            "unspecified",
            "internal",
            "server",
            "client",
            "producer",
            "consumer"
        ]
    );
    assert_eq!(SpanKind::from_number(6), None);
    assert_eq!(SpanKind::from_number(-1), None);
}

#[test]
fn known_keys_take_the_last_duplicate() {
    let view = [
        ("sample_rate", "5"),
        ("http.status_code", "200"),
        ("SampleRate", "7"),
        ("http.response.status_code", "503"),
        ("event.name", "a"),
        ("duration_ms", "3"),
        ("event.name", "b"),
    ];
    let k = known(&view);
    assert_eq!(k.rate, Some("7"));
    assert_eq!(k.http_status, Some("503"));
    assert_eq!(k.http_status_old, Some("200"));
    assert_eq!(k.event_name, Some("b"));
    assert_eq!(k.duration_ms, Some("3"));
}

#[test]
fn five_hundreds() {
    for (text, is) in [
        ("500", true),
        ("599", true),
        (" 503 ", true),
        ("499", false),
        ("600", false),
        ("5xx", false),
        ("", false),
    ] {
        assert_eq!(is_5xx(Some(text)), is, "{text:?}");
    }
    assert!(!is_5xx(None));
}

#[test]
fn attribute_rates() {
    let mut invalid = false;
    assert_eq!(attribute_rate(None, &mut invalid), 1.0);
    assert_eq!(attribute_rate(Some("20"), &mut invalid), 20.0);
    assert!(!invalid);
    assert_eq!(attribute_rate(Some("0"), &mut invalid), 1.0);
    assert!(invalid);
}

#[test]
fn the_error_message_lists_the_first_rejections() {
    let mut s = DecodeSummary::new(Signal::Traces);
    assert_eq!(s.error_message(), None);
    s.received = 30;
    for i in 0..12 {
        let at = Position {
            resource: 0,
            scope: 1,
            item: i,
        };
        s.reject(|| at.path(Signal::Traces), Rejection::MissingStartTime);
    }
    assert_eq!(s.rejected, 12);
    assert_eq!(s.rejected_reasons.len(), MAX_LISTED_REJECTIONS);
    let msg = s.error_message().unwrap();
    assert!(
        msg.starts_with(
            "12 of 30 spans rejected: resource_spans[0].scope_spans[1].spans[0]: \
             start_time_unix_nano is 0; expected the span's start time; "
        ),
        "{msg}"
    );
    assert!(msg.ends_with("; ..."), "{msg}");

    let mut logs = DecodeSummary::new(Signal::Logs);
    logs.received = 1;
    let at = Position::default();
    logs.reject(|| at.path(Signal::Logs), Rejection::MissingTimestamp);
    assert_eq!(
        logs.error_message().unwrap(),
        "1 of 1 log records rejected: resource_logs[0].scope_logs[0].log_records[0]: \
         time_unix_nano and observed_time_unix_nano are both 0; expected a timestamp"
    );
}

#[test]
fn ids_in_hex() {
    let mut attrs = Attrs::new(Vec::new(), String::new());
    push_id(&mut attrs, "trace_id", Id::Bytes(&[0xab, 0x01]));
    push_id(&mut attrs, "span_id", Id::Bytes(&[]));
    push_id(&mut attrs, "a", Id::Hex("ab01"));
    push_id(&mut attrs, "b", Id::Hex("AB01"));
    push_id(&mut attrs, "c", Id::Hex(""));
    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    assert_eq!(view, [("trace_id", "ab01"), ("a", "ab01"), ("b", "ab01")]);
    assert!(Id::Bytes(&[0, 0]).is_unset());
    assert!(Id::Hex("0000").is_unset());
    assert!(!Id::Hex("0001").is_unset());
}
