//! Positions, scalar typing, documents, aliases and syntax errors of the
//! YAML tree. Must not depend on anything OpenSLO.

use super::*;

fn one(text: &str) -> Node {
    let mut docs = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(docs.len(), 1, "{docs:?}");
    docs.remove(0)
}

fn entries(node: &Node) -> &[Entry] {
    match &node.value {
        Value::Map(e) => e,
        other => panic!("expected a map, got {other:?}"),
    }
}

fn at(line: u32, col: u32) -> Pos {
    Pos { line, col }
}

#[test]
fn block_mapping_keys_and_values_carry_one_based_positions() {
    let root = one("a: 1\nbb:\n  c: x\n");
    assert_eq!(
        root.pos,
        at(1, 1),
        "a block mapping starts at its first key"
    );
    let e = entries(&root);
    assert_eq!((e[0].key_pos, e[0].value.pos), (at(1, 1), at(1, 4)));
    assert_eq!(e[1].key_pos, at(2, 1));
    assert_eq!(e[1].value.pos, at(3, 3));
    assert_eq!(entries(&e[1].value)[0].value.pos, at(3, 6));
}

#[test]
fn flow_collections_start_at_their_bracket() {
    let root = one("m: {x: 1}\nl: [a, 'b']\n");
    let e = entries(&root);
    assert_eq!(e[0].value.pos, at(1, 4));
    assert_eq!(e[1].value.pos, at(2, 4));
    let Value::Seq(items) = &e[1].value.value else {
        panic!()
    };
    assert_eq!(items[1].pos, at(2, 8));
    assert_eq!(items[1].scalar(), Some(("b", Style::Quoted)));
}

#[test]
fn sequence_items_of_mappings_start_at_their_first_key() {
    let root = one("list:\n  - op: lt\n    value: 3\n");
    let Value::Seq(items) = &entries(&root)[0].value.value else {
        panic!()
    };
    assert_eq!(items[0].pos, at(2, 5));
    assert_eq!(entries(&items[0])[1].key_pos, at(3, 5));
}

#[test]
fn a_value_written_as_nothing_points_at_its_key() {
    let root = one("a:\nb: 2\n");
    let e = entries(&root);
    assert!(e[0].value.is_null());
    assert_eq!(e[0].value.pos, at(1, 1));
}

#[test]
fn columns_count_characters_not_bytes() {
    let root = one("név: x\nb: y\n");
    assert_eq!(entries(&root)[0].value.pos, at(1, 6));
}

#[test]
fn json_is_read_with_positions() {
    let root = one("{\"a\": [1, 2.5e3],\n \"b\": \"x\"}");
    let e = entries(&root);
    assert_eq!(e[0].key_pos, at(1, 2));
    assert_eq!(e[1].key_pos, at(2, 2));
    assert_eq!(e[1].value.scalar(), Some(("x", Style::Quoted)));
}

#[test]
fn scalar_styles_decide_typing() {
    let root = one("a: true\nb: 'true'\nc: !!str 12\nd: |\n  x\ne: !!int 12\n");
    let styles: Vec<Style> = entries(&root)
        .iter()
        .map(|e| e.value.scalar().unwrap().1)
        .collect();
    assert_eq!(
        styles,
        [
            Style::Plain,
            Style::Quoted,
            Style::Quoted,
            Style::Block,
            Style::Plain
        ]
    );
}

#[test]
fn plain_scalars_follow_the_core_schema() {
    let cases: &[(&str, Plain)] = &[
        ("", Plain::Null),
        ("~", Plain::Null),
        ("NULL", Plain::Null),
        ("True", Plain::Bool(true)),
        ("false", Plain::Bool(false)),
        ("yes", Plain::Str),
        ("42", Plain::Int(42)),
        ("-7", Plain::Int(-7)),
        ("+7", Plain::Int(7)),
        ("0x1F", Plain::Int(31)),
        ("0o17", Plain::Int(15)),
        ("0.5", Plain::Float(0.5)),
        (".5", Plain::Float(0.5)),
        ("1.", Plain::Float(1.0)),
        ("1e3", Plain::Float(1000.0)),
        ("-.5E-1", Plain::Float(-0.05)),
        ("-.inf", Plain::Float(f64::NEG_INFINITY)),
        ("1_000", Plain::Str),
        ("28d", Plain::Str),
        ("1e", Plain::Str),
        (".", Plain::Str),
        ("2024-01-01", Plain::Str),
        ("99999999999999999999", Plain::Float(1e20)),
    ];
    for (text, want) in cases {
        assert_eq!(classify(text), *want, "{text:?}");
    }
    assert!(matches!(classify(".nan"), Plain::Float(f) if f.is_nan()));
}

#[test]
fn documents_and_empty_documents() {
    let docs = parse("a: 1\n---\n---\n- x\n...\n").unwrap();
    assert_eq!(docs.len(), 3);
    assert!(docs[1].is_null());
    assert!(parse("").unwrap().is_empty());
    assert!(parse("# only a comment\n").unwrap().is_empty());
}

#[test]
fn a_byte_order_mark_is_ignored() {
    assert_eq!(entries(&one("\u{feff}a: 1\n"))[0].key_pos, at(1, 1));
}

#[test]
fn aliases_are_expanded() {
    let root = one("a: &x {k: v}\nb: *x\n");
    let e = entries(&root);
    assert_eq!(e[0].value.value, e[1].value.value);
}

#[test]
fn alias_bombs_are_cut_off() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g'] {
        let items = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("{name}: &{name} [{items}]\n"));
        prev = name;
    }
    let errors = parse(&text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].message.contains("more than 100000 nodes"),
        "{errors:?}"
    );
}

#[test]
fn duplicate_and_complex_keys_are_errors() {
    let errors = parse("a: 1\nb: 2\na: 3\n? [x]\n: 4\n").unwrap_err();
    let messages: Vec<(Pos, &str)> = errors.iter().map(|e| (e.pos, e.message.as_str())).collect();
    assert_eq!(
        messages,
        [
            (at(3, 1), "duplicate key \"a\"; it is already set at line 1"),
            (
                at(4, 3),
                "mapping keys must be strings, got a list or an object"
            ),
        ]
    );
}

#[test]
fn syntax_errors_have_one_based_positions() {
    let errors = parse("a: 1\n b: 2\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].pos, at(2, 3));
    assert!(
        errors[0].message.starts_with("invalid YAML: "),
        "{}",
        errors[0].message
    );
}

#[test]
fn describe_names_what_was_found() {
    let root = one("a: [1]\nb: {}\nc: x\nd: '1'\ne: 1.5\nf: ~\ng: true\nh: []\n");
    let d: Vec<String> = entries(&root).iter().map(|e| e.value.describe()).collect();
    assert_eq!(
        d,
        [
            "a list",
            "an empty object",
            "string \"x\"",
            "string \"1\"",
            "number 1.5",
            "null",
            "boolean true",
            "an empty list"
        ]
    );
}
