//! The value walk on hand-encoded `AnyValue`s: every member, nesting, the
//! depth limit and its error path. Whole requests are tested through the
//! public API in `tests/it`.

use super::*;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn len_field(field: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3 | 2, &mut out);
    varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

fn varint_field(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3, &mut out);
    varint(v, &mut out);
    out
}

fn double_field(field: u64, v: f64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3 | 1, &mut out);
    out.extend_from_slice(&v.to_bits().to_le_bytes());
    out
}

fn string(s: &str) -> Vec<u8> {
    len_field(1, s.as_bytes())
}

fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let values: Vec<u8> = items.iter().flat_map(|v| len_field(1, v)).collect();
    len_field(5, &values)
}

fn kvlist(pairs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let values: Vec<u8> = pairs
        .iter()
        .flat_map(|(k, v)| {
            let mut kv = len_field(1, k.as_bytes());
            kv.extend(len_field(2, v));
            len_field(1, &kv)
        })
        .collect();
    len_field(6, &values)
}

/// The attribute text of an encoded `AnyValue`.
fn rendered(value: &[u8]) -> Result<String, WireError> {
    let mut attrs = Attrs::new(Vec::new(), String::new());
    let v = any_value(Msg::whole(value))?;
    push_value(&mut attrs, "k", v)?;
    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    Ok(view[0].1.to_owned())
}

#[test]
fn every_member_as_text() {
    assert_eq!(rendered(&string("GET")).unwrap(), "GET");
    assert_eq!(rendered(&varint_field(2, 1)).unwrap(), "true");
    assert_eq!(rendered(&varint_field(2, 0)).unwrap(), "false");
    assert_eq!(rendered(&varint_field(3, 503)).unwrap(), "503");
    assert_eq!(rendered(&varint_field(3, -42i64 as u64)).unwrap(), "-42");
    assert_eq!(rendered(&double_field(4, 12.5)).unwrap(), "12.5");
    assert_eq!(rendered(&len_field(7, b"foo")).unwrap(), "Zm9v");
    assert_eq!(rendered(&[]).unwrap(), "");
}

#[test]
fn the_last_member_wins_and_unknown_members_are_skipped() {
    let mut v = string("first");
    v.extend(varint_field(3, 7));
    v.extend(varint_field(15, 1));
    assert_eq!(rendered(&v).unwrap(), "7");
}

#[test]
fn arrays_and_lists_as_compact_json() {
    let v = array(&[
        string("a\"b"),
        varint_field(3, 1),
        double_field(4, f64::NAN),
        varint_field(2, 1),
        vec![],
        len_field(7, b"\xff"),
        kvlist(&[("x", varint_field(3, 2)), ("y", array(&[]))]),
    ]);
    assert_eq!(
        rendered(&v).unwrap(),
        r#"["a\"b",1,"NaN",true,null,"/w==",{"x":2,"y":[]}]"#
    );
    assert_eq!(rendered(&kvlist(&[])).unwrap(), "{}");
}

#[test]
fn nesting_is_limited_and_the_error_names_the_path() {
    let mut v = string("leaf");
    for _ in 0..MAX_DEPTH {
        v = array(&[v]);
    }
    assert!(rendered(&v).is_ok());
    let v = array(&[v]);
    let e = rendered(&v).unwrap_err();
    assert_eq!(e.problem, WireProblem::TooDeep(MAX_DEPTH));
    assert_eq!(e.inner_first.len(), 2 * MAX_DEPTH + 2);
    assert_eq!(e.inner_first.last(), Some(&Field("value")));
    assert_eq!(e.inner_first[0], Field("array_value"));
}

#[test]
fn a_bad_string_deep_inside_names_its_path() {
    let v = kvlist(&[
        ("ok", string("fine")),
        ("bad", array(&[string("x"), len_field(1, b"\xc3")])),
    ]);
    let e = rendered(&v).unwrap_err();
    assert_eq!(e.problem, WireProblem::InvalidUtf8);
    let mut path = e.inner_first.clone();
    path.reverse();
    assert_eq!(
        path,
        [
            Field("value"),
            Field("kvlist_value"),
            Element("values", 1),
            Field("value"),
            Field("array_value"),
            Element("values", 1),
            Field("string_value"),
        ]
    );
}

/// The general walk's reading of one `KeyValue`, for comparison.
fn general(kv: &[u8]) -> Option<Vec<(String, String)>> {
    let mut attrs = Attrs::new(Vec::new(), String::new());
    let (k, v) = key_value(Msg::whole(kv)).ok()?;
    push_value(&mut attrs, k, v).ok()?;
    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    Some(
        view.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn plain(kv: &[u8]) -> Option<Vec<(String, String)>> {
    let mut attrs = Attrs::new(Vec::new(), String::new());
    if !push_plain_attribute(&mut attrs, kv) {
        return None;
    }
    let mut view = Vec::new();
    attrs.fill_view(&mut view);
    Some(
        view.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// An encoded `AnyValue`, and whether it is one scalar member (the shape
/// the one-step reading must take).
fn scalar() -> impl Strategy<Value = (Vec<u8>, bool)> {
    prop_oneof![
        ".{0,140}".prop_map(|s| string(&s)),
        any::<bool>().prop_map(|b| varint_field(2, u64::from(b))),
        any::<i64>().prop_map(|i| varint_field(3, i as u64)),
        any::<f64>().prop_map(|d| double_field(4, d)),
    ]
    .prop_map(|v| (v, true))
    .boxed()
    .prop_union(
        prop::collection::vec(any::<u8>(), 0..12)
            .prop_map(|v| (v, false))
            .boxed(),
    )
}

use proptest::prelude::*;

proptest! {
    /// Whenever the one-step reading takes an attribute, it reads what the
    /// general walk reads; it declines everything it is not sure of,
    /// including malformed bytes.
    #[test]
    fn the_plain_shape_reads_like_the_general_walk(
        key in prop_oneof![".{0,140}".prop_map(String::into_bytes), prop::collection::vec(any::<u8>(), 0..6)],
        (value, is_scalar) in scalar(),
        cut in any::<prop::sample::Index>(),
        garble in any::<bool>(),
    ) {
        let mut kv = len_field(1, &key);
        kv.extend(len_field(2, &value));
        if garble {
            kv.truncate(cut.index(kv.len() + 1));
        }
        if let Some(fast) = plain(&kv) {
            prop_assert_eq!(Some(fast), general(&kv));
        }
        let short = !key.is_empty() && key.len() < 128 && value.len() < 128;
        if !garble && is_scalar && short && std::str::from_utf8(&key).is_ok() {
            prop_assert!(plain(&kv).is_some(), "{kv:?}");
        }
    }
}
