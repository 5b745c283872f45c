//! How non-string attribute values read as text, the same for both formats.
//!
//! Filters see attribute values as strings, so ints, doubles and bools are
//! written out: ints in decimal, doubles in the shortest decimal that reads
//! back to the same value (never with an exponent, as the collector's
//! `AsString` does) and `NaN`, `Infinity`, `-Infinity` for the others, bools
//! as `true`/`false`, bytes in standard base64 (what OTLP/JSON carries).
//! Arrays and key-value lists become compact JSON (`["a",1]`, `{"k":true}`),
//! with non-finite doubles as the strings above. These writers append to a
//! `String` and must not allocate beyond its growth.

#[cfg(test)]
mod tests;

use std::fmt::Write;

/// Appends `v` in decimal.
pub(crate) fn write_i64(out: &mut String, v: i64) {
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    // Short: pushing the chars beats a UTF-8 check and a copy.
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// Appends bytes known to be ASCII; one copy rather than a push per char.
#[inline]
fn push_ascii(out: &mut String, ascii: &[u8]) {
    if let Ok(s) = std::str::from_utf8(ascii) {
        out.push_str(s);
    }
}

/// Appends `v` as attribute text.
pub(crate) fn write_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Writing to a String cannot fail.
        let _ = write!(out, "{v}");
    }
}

/// Appends `v` as a JSON value: a number, or a string when not finite.
pub(crate) fn write_json_f64(out: &mut String, v: f64) {
    if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        out.push('"');
        write_f64(out, v);
        out.push('"');
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `bytes` in standard base64 with padding.
pub(crate) fn write_base64(out: &mut String, bytes: &[u8]) {
    let sym = |x: u32| char::from(BASE64[(x & 63) as usize]);
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        out.extend([sym(n >> 18), sym(n >> 12), sym(n >> 6), sym(n)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend([sym(n >> 18), sym(n >> 12), '=', '=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend([sym(n >> 18), sym(n >> 12), sym(n >> 6), '=']);
        }
        _ => {}
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `bytes` in lowercase hex (trace and span ids).
#[inline]
pub(crate) fn write_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        for (i, &b) in chunk.iter().enumerate() {
            buf[2 * i] = HEX[usize::from(b >> 4)];
            buf[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        push_ascii(out, &buf[..2 * chunk.len()]);
    }
}
