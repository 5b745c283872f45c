//! The reader on hand-made bytes: every wire type, every way a field can
//! be cut short, and offsets that stay absolute inside nested messages.

use super::*;

fn reader(bytes: &[u8], at: usize) -> Reader<'_> {
    Reader::new(Msg { bytes, at })
}

fn problem(e: WireError) -> (usize, WireProblem, Vec<Segment>) {
    (e.offset, e.problem, e.inner_first.clone())
}

#[test]
fn varints_of_one_to_ten_bytes() {
    for (bytes, value) in [
        (&[0x00][..], 0u64),
        (&[0x7f], 127),
        (&[0x80, 0x01], 128),
        (&[0xac, 0x02], 300),
        (
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            u64::MAX,
        ),
    ] {
        let mut field = vec![0x08];
        field.extend_from_slice(bytes);
        let mut r = reader(&field, 0);
        let tag = r.tag().unwrap();
        assert_eq!(
            r.uint(tag, Segment::Field("v")).unwrap(),
            value,
            "{bytes:?}"
        );
        assert!(r.done());
    }
}

#[test]
fn a_varint_over_64_bits_is_refused_at_its_start() {
    let body = [
        0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
    ];
    let mut r = reader(&body, 100);
    let tag = r.tag().unwrap();
    let e = r.uint(tag, Segment::Field("v")).unwrap_err();
    assert_eq!(
        problem(e),
        (101, WireProblem::VarintTooLong, vec![Segment::Field("v")])
    );
    let eleven = [
        0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    ];
    let mut r = reader(&eleven, 0);
    let tag = r.tag().unwrap();
    assert_eq!(
        r.uint(tag, Segment::Field("v")).unwrap_err().problem,
        WireProblem::VarintTooLong
    );
}

#[test]
fn a_truncated_varint_names_where_it_starts() {
    let mut r = reader(&[0x08, 0x80, 0x80], 10);
    let tag = r.tag().unwrap();
    assert_eq!(
        problem(r.uint(tag, Segment::Field("kind")).unwrap_err()),
        (
            11,
            WireProblem::TruncatedVarint,
            vec![Segment::Field("kind")]
        )
    );
    // A tag cut short.
    let mut r = reader(&[0x88], 3);
    assert_eq!(
        problem(r.tag().unwrap_err()),
        (3, WireProblem::TruncatedVarint, vec![])
    );
}

#[test]
fn field_number_zero_is_refused() {
    let mut r = reader(&[0x00, 0x01], 0);
    assert_eq!(r.tag().unwrap_err().problem, WireProblem::FieldNumberZero);
}

#[test]
fn fixed64_and_length_delimited_fields() {
    let mut body = vec![0x39];
    body.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    body.extend_from_slice(&[0x2a, 0x03, b'a', b'b', b'c']);
    let mut r = reader(&body, 50);
    let tag = r.tag().unwrap();
    assert_eq!((tag.field, tag.wire, tag.at), (7, I64, 50));
    assert_eq!(
        r.fixed64(tag, Segment::Field("t")).unwrap(),
        0x0102_0304_0506_0708
    );
    let tag = r.tag().unwrap();
    assert_eq!((tag.field, tag.wire, tag.at), (5, LEN, 59));
    let m = r.bytes(tag, Segment::Field("name")).unwrap();
    assert_eq!((m.bytes, m.at), (&b"abc"[..], 61));
    assert_eq!(m.text(Segment::Field("name")).unwrap(), "abc");
    assert_eq!(r.offset(), 64);
    assert!(r.done());
}

#[test]
fn a_length_past_the_end_is_truncation() {
    let mut r = reader(&[0x2a, 0x05, b'a'], 0);
    let tag = r.tag().unwrap();
    assert_eq!(
        problem(r.bytes(tag, Segment::Field("name")).unwrap_err()),
        (
            2,
            WireProblem::Truncated {
                what: "a length-delimited field",
                needed: 5,
                left: 1
            },
            vec![Segment::Field("name")]
        )
    );
    let mut r = reader(&[0x39, 1, 2, 3], 0);
    let tag = r.tag().unwrap();
    assert!(matches!(
        r.fixed64(tag, Segment::Field("t")).unwrap_err().problem,
        WireProblem::Truncated {
            needed: 8,
            left: 3,
            ..
        }
    ));
    // A length that does not fit usize on any machine.
    let mut r = reader(
        &[
            0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ],
        0,
    );
    let tag = r.tag().unwrap();
    assert!(matches!(
        r.bytes(tag, Segment::Field("name")).unwrap_err().problem,
        WireProblem::Truncated {
            needed: u64::MAX,
            ..
        }
    ));
}

#[test]
fn a_known_field_with_another_wire_type_is_an_error_at_its_tag() {
    // Field 6 (an enum) sent length-delimited, as a packed field would be.
    let mut r = reader(&[0x32, 0x01, 0x02], 7);
    let tag = r.tag().unwrap();
    assert_eq!(
        problem(r.uint(tag, Segment::Field("kind")).unwrap_err()),
        (
            7,
            WireProblem::WrongWireType {
                found: LEN,
                expected: VARINT
            },
            vec![Segment::Field("kind")]
        )
    );
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let mut body = vec![0xa0, 0x06, 0x96, 0x01]; // field 100, varint 150
    body.extend_from_slice(&[0xa9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]); // field 101, 64-bit
    body.extend_from_slice(&[0xb2, 0x06, 0x02, 0xff, 0xfe]); // field 102, 2 bytes
    body.extend_from_slice(&[0xbd, 0x06, 1, 2, 3, 4]); // field 103, 32-bit
    let mut r = reader(&body, 0);
    let mut fields = vec![];
    while !r.done() {
        let tag = r.tag().unwrap();
        fields.push(tag.field);
        r.skip(tag).unwrap();
    }
    assert_eq!(fields, [100, 101, 102, 103]);
}

#[test]
fn groups_and_invalid_wire_types_cannot_be_skipped() {
    for (byte, expected) in [
        (0x0b, WireProblem::Group(3)),
        (0x0c, WireProblem::Group(4)),
        (0x0e, WireProblem::InvalidWireType(6)),
        (0x0f, WireProblem::InvalidWireType(7)),
    ] {
        let body = [byte, 0];
        let mut r = reader(&body, 40);
        let tag = r.tag().unwrap();
        assert_eq!(
            problem(r.skip(tag).unwrap_err()),
            (40, expected, vec![Segment::Unknown(1)])
        );
    }
}

#[test]
fn invalid_utf8_is_reported_at_the_first_bad_byte() {
    let m = Msg {
        bytes: b"ab\xffc",
        at: 20,
    };
    assert_eq!(
        problem(m.text(Segment::Field("key")).unwrap_err()),
        (22, WireProblem::InvalidUtf8, vec![Segment::Field("key")])
    );
}
