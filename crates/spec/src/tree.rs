//! YAML (and JSON) text to a tree in which every node and every mapping key
//! carries its 1-based line and column.
//!
//! Built on `yaml_rust2`'s event parser so positions survive; the tree keeps
//! how each scalar was written (plain, quoted, block) because YAML's meaning
//! depends on it (`"true"` is a string, `true` a boolean) and the formatter
//! must not change meaning. Aliases are expanded (with a budget so a few
//! lines cannot expand into gigabytes); duplicate keys and non-string keys
//! are errors. This module knows nothing about OpenSLO.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[cfg(test)]
mod tests;

/// At most this many nodes may be produced by alias expansion in one file.
const ALIAS_NODE_BUDGET: usize = 100_000;

/// A 1-based line and column (column in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) col: u32,
}

/// How a scalar was written; decides how it is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted: typed by the YAML 1.2 core schema (null, bool, number, string).
    Plain,
    /// Single or double quoted, or tagged `!!str`: always a string.
    Quoted,
    /// A `|` or `>` block: always a string.
    Block,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Scalar { text: String, style: Style },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    /// Where the node starts; for a null written as nothing (`key:`), the key.
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_pos: Pos,
    pub(crate) key_style: Style,
    pub(crate) value: Node,
}

/// A problem that makes the text unreadable as YAML.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

/// A plain scalar typed by the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Types a plain scalar the way the YAML 1.2 core schema does.
pub(crate) fn classify(text: &str) -> Plain {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return i64::from_str_radix(hex, 16).map_or(Plain::Str, Plain::Int);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(oct, 8).map_or(Plain::Str, Plain::Int);
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => Plain::Int(i),
            Err(_) => text.parse::<f64>().map_or(Plain::Str, Plain::Float),
        };
    }
    if is_core_float(unsigned) {
        return text.parse::<f64>().map_or(Plain::Str, Plain::Float);
    }
    Plain::Str
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without the sign.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_digits = digits(&mut i);
        if int_digits == 0 && frac_digits == 0 {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

impl Node {
    pub(crate) fn scalar(&self) -> Option<(&str, Style)> {
        match &self.value {
            Value::Scalar { text, style } => Some((text, *style)),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, style: Style::Plain } if classify(text) == Plain::Null)
    }

    /// What the node is, for messages like `expected a string, got a list`.
    pub(crate) fn describe(&self) -> String {
        match &self.value {
            Value::Seq(items) if items.is_empty() => "an empty list".into(),
            Value::Map(entries) if entries.is_empty() => "an empty object".into(),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "an object".into(),
            Value::Scalar {
                text,
                style: Style::Plain,
            } => match classify(text) {
                Plain::Null => "null".into(),
                Plain::Bool(_) => format!("boolean {text}"),
                Plain::Int(_) | Plain::Float(_) => format!("number {text}"),
                Plain::Str => format!("string {text:?}"),
            },
            Value::Scalar { text, .. } => format!("string {text:?}"),
        }
    }

    /// Number of nodes in this subtree, keys not counted.
    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Scalar { .. } => 0,
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.size()).sum(),
        }
    }
}

/// Parses every document of `text`. A document that is empty (or only
/// comments) yields a null scalar node, which callers skip.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, Vec<SyntaxError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        builder.errors.push(SyntaxError {
            pos: pos_of(e.marker()),
            message: format!("invalid YAML: {}", e.info()),
        });
    }
    if builder.errors.is_empty() {
        Ok(builder.docs)
    } else {
        Err(builder.errors)
    }
}

fn pos_of(mark: &Marker) -> Pos {
    // yaml_rust2 lines are 1-based but columns 0-based.
    Pos {
        line: u32::try_from(mark.line()).unwrap_or(u32::MAX),
        col: u32::try_from(mark.col() + 1).unwrap_or(u32::MAX),
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        /// Byte offset of the mapping-start event; for block mappings the
        /// parser reports it after the first key, so the first key's
        /// position wins when it comes earlier.
        index: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos, Style)>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    docs: Vec<Node>,
    anchors: HashMap<usize, Node>,
    errors: Vec<SyntaxError>,
    alias_nodes: usize,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = pos_of(&mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    TScalarStyle::Plain if tag.as_ref().is_some_and(tag_makes_string) => {
                        Style::Quoted
                    }
                    TScalarStyle::Plain => Style::Plain,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => Style::Quoted,
                    TScalarStyle::Literal | TScalarStyle::Folded => Style::Block,
                };
                self.complete(
                    Node {
                        value: Value::Scalar { text, style },
                        pos,
                    },
                    anchor,
                    mark.index(),
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                pos,
                index: mark.index(),
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => self.complete(
                    Node {
                        value: Value::Seq(items),
                        pos,
                    },
                    anchor,
                    usize::MAX,
                ),
                Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) => self.complete(
                    Node {
                        value: Value::Map(entries),
                        pos,
                    },
                    anchor,
                    usize::MAX,
                ),
                None => {}
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    self.alias_nodes += node.size();
                    if self.alias_nodes > ALIAS_NODE_BUDGET {
                        if self.alias_nodes - node.size() <= ALIAS_NODE_BUDGET {
                            self.errors.push(SyntaxError {
                                pos,
                                message: format!(
                                    "aliases expand to more than {ALIAS_NODE_BUDGET} nodes; expected a file without alias bombs"
                                ),
                            });
                        }
                        let null = Node {
                            value: Value::Scalar {
                                text: String::new(),
                                style: Style::Plain,
                            },
                            pos,
                        };
                        self.complete(null, 0, mark.index());
                    } else {
                        let node = node.clone();
                        self.complete(node, 0, mark.index());
                    }
                }
                None => {
                    self.errors.push(SyntaxError {
                        pos,
                        message: "alias refers to an anchor that is not defined before it (or contains it)".into(),
                    });
                    let null = Node {
                        value: Value::Scalar {
                            text: String::new(),
                            style: Style::Plain,
                        },
                        pos,
                    };
                    self.complete(null, 0, mark.index());
                }
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
}

/// Only the core schema's own tags keep a plain scalar typed; `!!str` and
/// unknown tags make it a string.
fn tag_makes_string(tag: &Tag) -> bool {
    !(tag.handle == "tag:yaml.org,2002:"
        && matches!(tag.suffix.as_str(), "bool" | "int" | "float" | "null"))
}

impl Builder {
    /// Attaches a finished node to its parent. `index` is the byte offset of
    /// a scalar's event (for the first-key position rule), `usize::MAX` for
    /// collections.
    fn complete(&mut self, mut node: Node, anchor: usize, index: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                pos,
                index: map_index,
                entries,
                key,
                ..
            }) => match key.take() {
                Some((k, key_pos, key_style)) => {
                    if node.is_null() && node.scalar().is_some_and(|(t, _)| t.is_empty()) {
                        node.pos = key_pos;
                    }
                    entries.push(Entry {
                        key: k,
                        key_pos,
                        key_style,
                        value: node,
                    });
                }
                None => {
                    let text = match node.value {
                        Value::Scalar { text, style } => {
                            if entries.is_empty() && index < *map_index {
                                *pos = node.pos;
                            }
                            if let Some(first) = entries.iter().find(|e| e.key == text) {
                                self.errors.push(SyntaxError {
                                    pos: node.pos,
                                    message: format!(
                                        "duplicate key {text:?}; it is already set at line {}",
                                        first.key_pos.line
                                    ),
                                });
                            }
                            *key = Some((text, node.pos, style));
                            return;
                        }
                        _ => String::new(),
                    };
                    self.errors.push(SyntaxError {
                        pos: node.pos,
                        message: "mapping keys must be strings, got a list or an object".into(),
                    });
                    *key = Some((text, node.pos, Style::Plain));
                }
            },
        }
    }
}
