//! Value rendering against known texts (base64 from RFC 4648's vectors).

use super::*;

fn with(f: impl FnOnce(&mut String)) -> String {
    let mut s = String::from(">");
    f(&mut s);
    s
}

#[test]
fn integers() {
    for (v, text) in [
        (0, "0"),
        (7, "7"),
        (-1, "-1"),
        (503, "503"),
        (i64::MAX, "9223372036854775807"),
        (i64::MIN, "-9223372036854775808"),
    ] {
        assert_eq!(with(|s| write_i64(s, v)), format!(">{text}"));
    }
}

#[test]
fn doubles_as_text_and_as_json() {
    for (v, text, json) in [
        (1.5, "1.5", "1.5"),
        (1.0, "1", "1"),
        (-0.25, "-0.25", "-0.25"),
        (1e21, "1000000000000000000000", "1000000000000000000000"),
        (f64::NAN, "NaN", "\"NaN\""),
        (f64::INFINITY, "Infinity", "\"Infinity\""),
        (f64::NEG_INFINITY, "-Infinity", "\"-Infinity\""),
    ] {
        assert_eq!(with(|s| write_f64(s, v)), format!(">{text}"));
        assert_eq!(with(|s| write_json_f64(s, v)), format!(">{json}"));
    }
}

#[test]
fn json_strings_escape_what_json_requires() {
    let tricky = "a\"b\\c\nd\re\tf\u{1}g\u{7f}h\u{e9}\u{8}\u{c}";
    let written = with(|s| write_json_str(s, tricky));
    assert_eq!(
        written,
        ">\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\u{7f}h\u{e9}\\b\\f\""
    );
    // The same escapes as serde_json, so either can be the reference.
    assert_eq!(&written[1..], serde_json::to_string(tricky).unwrap());
    let parsed: String = serde_json::from_str(&written[1..]).unwrap();
    assert_eq!(parsed, tricky);
}

#[test]
fn base64_rfc4648_vectors() {
    for (input, out) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(
            with(|s| write_base64(s, input.as_bytes())),
            format!(">{out}")
        );
    }
    assert_eq!(with(|s| write_base64(s, &[0xfb, 0xff])), ">+/8=");
}

#[test]
fn hex_is_lowercase() {
    assert_eq!(
        with(|s| write_hex(s, &[0x00, 0xab, 0x5f, 0xff])),
        ">00ab5fff"
    );
}

#[test]
fn long_hex_is_written_in_chunks() {
    let bytes: Vec<u8> = (0..=255).collect();
    let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(with(|s| write_hex(s, &bytes)), format!(">{expected}"));
}
