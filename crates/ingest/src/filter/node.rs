//! The compiled form of a filter and its evaluation.
//!
//! Nodes are typed by what they produce (boolean, number, string), so the
//! evaluator never checks types: the compiler already did. Evaluation follows
//! CEL's error semantics: a missing attribute or a failed conversion is an
//! error value, comparisons propagate it, and `&&` / `||` absorb it when the
//! other side decides (`false && err` is false, `true || err` is true, in
//! either order). A filter whose result is an error does not match.
//!
//! Nothing here allocates except `string(number)`, and nothing may panic on
//! any event.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{KeyId, Scope};
use crate::event::same_text;

/// A three-valued boolean: CEL's true, false, or error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    True,
    Err,
}

impl Tri {
    #[inline]
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// A CEL number: ints and doubles compare with each other by value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Double(f64),
}

impl Num {
    /// Numeric order; `None` when a NaN is involved.
    pub(crate) fn compare(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (Num::Double(a), Num::Double(b)) => a.partial_cmp(&b),
            (Num::Int(a), Num::Double(b)) => compare_int_double(a, b),
            (Num::Double(a), Num::Int(b)) => compare_int_double(b, a).map(Ordering::reverse),
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Double(d) => d,
        }
    }
}

/// Exact comparison of an int with a double: converting the int to f64
/// would round above 2^53 and call unequal numbers equal.
fn compare_int_double(i: i64, d: f64) -> Option<Ordering> {
    if d.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every i64 is below it.
    if d >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if d < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let t = d.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => (t).partial_cmp(&d),
        other => Some(other),
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// Applies the operator to an ordering; unordered (NaN) is only `!=`.
    #[inline]
    pub(crate) fn holds(self, ord: Option<Ordering>) -> bool {
        match ord {
            None => self == CmpOp::Ne,
            Some(o) => match self {
                CmpOp::Eq => o == Ordering::Equal,
                CmpOp::Ne => o != Ordering::Equal,
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Gt => o == Ordering::Greater,
                CmpOp::Ge => o != Ordering::Less,
            },
        }
    }
}

/// Boolean-valued nodes: the filter's root is one.
#[derive(Debug)]
pub(crate) enum BoolNode {
    Const(bool),
    Not(Box<BoolNode>),
    And(Box<[BoolNode]>),
    Or(Box<[BoolNode]>),
    Cond(Box<(BoolNode, BoolNode, BoolNode)>),
    /// `status == "error"` (true) or `status == "ok"` (false).
    StatusIs(bool),
    /// `attributes["k"] == "v"` (or `!=`), the most common filter shape,
    /// evaluated without going through `StrNode`.
    AttrEqConst {
        key: KeyId,
        name: Box<str>,
        value: Box<str>,
        negate: bool,
    },
    /// String (in)equality with a constant.
    StrEqConst {
        lhs: StrNode,
        rhs: Box<str>,
        negate: bool,
    },
    StrCmp {
        lhs: StrNode,
        op: CmpOp,
        rhs: StrNode,
    },
    NumCmp {
        lhs: NumNode,
        op: CmpOp,
        rhs: NumNode,
    },
    BoolCmp {
        lhs: Box<BoolNode>,
        op: CmpOp,
        rhs: Box<BoolNode>,
    },
    /// `x in ["a", "b"]` with constant strings.
    StrInSet {
        needle: StrNode,
        set: Box<[Box<str>]>,
    },
    /// `x in [1, 2.5]` with constant numbers.
    NumInSet {
        needle: NumNode,
        set: Box<[Num]>,
    },
    /// `x in [...]` in general: every element is evaluated, an error in any
    /// is the result's error (the list could not be built).
    InList {
        needle: Box<AnyNode>,
        items: Box<[AnyNode]>,
    },
    HasAttr {
        key: KeyId,
        name: Box<str>,
    },
    HasAttrDyn(StrNode),
    HasDuration,
    /// `x == null` (negate: `x != null`) for an `x` that is never null: an
    /// error when `x` fails, otherwise `negate`.
    NullEq {
        operand: Box<AnyNode>,
        negate: bool,
    },
    StartsWith(StrNode, StrNode),
    EndsWith(StrNode, StrNode),
    Contains(StrNode, StrNode),
    Matches(StrNode, Box<regex::Regex>),
}

/// String-valued nodes.
#[derive(Debug)]
pub(crate) enum StrNode {
    Const(Box<str>),
    Name,
    Status,
    /// `attributes["k"]` / `attributes.k`; an error when absent.
    Attr {
        key: KeyId,
        name: Box<str>,
    },
    /// `attributes[expr]` with a computed key.
    AttrDyn(Box<StrNode>),
    OfNum(Box<NumNode>),
    OfBool(Box<BoolNode>),
    Cond(Box<(BoolNode, StrNode, StrNode)>),
}

/// Number-valued nodes.
#[derive(Debug)]
pub(crate) enum NumNode {
    Const(Num),
    /// An error when the event has no duration.
    DurationMs,
    SampleRate,
    /// Length in Unicode code points.
    SizeStr(Box<StrNode>),
    SizeAttributes,
    ToInt(Box<NumNode>),
    IntOfStr(Box<StrNode>),
    ToDouble(Box<NumNode>),
    DoubleOfStr(Box<StrNode>),
    Neg(Box<NumNode>),
    Cond(Box<(BoolNode, NumNode, NumNode)>),
}

/// A node of any scalar type, where CEL compares values of any type.
#[derive(Debug)]
pub(crate) enum AnyNode {
    Bool(BoolNode),
    Num(NumNode),
    Str(StrNode),
    Null,
}

/// A value of any scalar type.
#[derive(Debug, PartialEq)]
pub(crate) enum Val<'e> {
    Bool(bool),
    Num(Num),
    Str(Cow<'e, str>),
    Null,
}

impl Val<'_> {
    /// CEL equality: values of different types are unequal, numbers compare
    /// by value across int and double.
    fn equals(&self, other: &Val<'_>) -> bool {
        match (self, other) {
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Num(a), Val::Num(b)) => a.compare(*b) == Some(Ordering::Equal),
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Null, Val::Null) => true,
            _ => false,
        }
    }
}

impl BoolNode {
    pub(crate) fn eval<'e>(&'e self, s: &Scope<'e>) -> Tri {
        match self {
            BoolNode::Const(b) => Tri::from_bool(*b),
            BoolNode::Not(inner) => match inner.eval(s) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Err => Tri::Err,
            },
            BoolNode::And(items) => {
                let mut failed = false;
                for item in items.iter() {
                    match item.eval(s) {
                        Tri::False => return Tri::False,
                        Tri::Err => failed = true,
                        Tri::True => {}
                    }
                }
                if failed { Tri::Err } else { Tri::True }
            }
            BoolNode::Or(items) => {
                let mut failed = false;
                for item in items.iter() {
                    match item.eval(s) {
                        Tri::True => return Tri::True,
                        Tri::Err => failed = true,
                        Tri::False => {}
                    }
                }
                if failed { Tri::Err } else { Tri::False }
            }
            BoolNode::Cond(parts) => match parts.0.eval(s) {
                Tri::True => parts.1.eval(s),
                Tri::False => parts.2.eval(s),
                Tri::Err => Tri::Err,
            },
            BoolNode::StatusIs(error) => Tri::from_bool(s.event().status_error == *error),
            BoolNode::AttrEqConst {
                key,
                name,
                value,
                negate,
            } => match s.attribute(*key, name) {
                Some(v) => Tri::from_bool(same_text(v, value) != *negate),
                None => Tri::Err,
            },
            BoolNode::StrEqConst { lhs, rhs, negate } => match lhs.eval(s) {
                Some(v) => Tri::from_bool(same_text(&v, rhs) != *negate),
                None => Tri::Err,
            },
            BoolNode::StrCmp { lhs, op, rhs } => match (lhs.eval(s), rhs.eval(s)) {
                (Some(a), Some(b)) => {
                    Tri::from_bool(op.holds(Some(a.as_bytes().cmp(b.as_bytes()))))
                }
                _ => Tri::Err,
            },
            BoolNode::NumCmp { lhs, op, rhs } => match (lhs.eval(s), rhs.eval(s)) {
                (Some(a), Some(b)) => Tri::from_bool(op.holds(a.compare(b))),
                _ => Tri::Err,
            },
            BoolNode::BoolCmp { lhs, op, rhs } => match (lhs.eval(s), rhs.eval(s)) {
                (Tri::Err, _) | (_, Tri::Err) => Tri::Err,
                (a, b) => Tri::from_bool(op.holds(Some((a == Tri::True).cmp(&(b == Tri::True))))),
            },
            BoolNode::StrInSet { needle, set } => match needle.eval(s) {
                Some(v) => Tri::from_bool(set.iter().any(|x| same_text(x, &v))),
                None => Tri::Err,
            },
            BoolNode::NumInSet { needle, set } => match needle.eval(s) {
                Some(v) => {
                    Tri::from_bool(set.iter().any(|x| v.compare(*x) == Some(Ordering::Equal)))
                }
                None => Tri::Err,
            },
            BoolNode::InList { needle, items } => {
                let Some(v) = needle.eval(s) else {
                    return Tri::Err;
                };
                let mut found = false;
                for item in items.iter() {
                    match item.eval(s) {
                        Some(x) => found |= v.equals(&x),
                        None => return Tri::Err,
                    }
                }
                Tri::from_bool(found)
            }
            BoolNode::HasAttr { key, name } => Tri::from_bool(s.attribute(*key, name).is_some()),
            BoolNode::HasAttrDyn(key) => match key.eval(s) {
                Some(k) => Tri::from_bool(s.event().attribute_index(&k).is_some()),
                None => Tri::Err,
            },
            BoolNode::HasDuration => Tri::from_bool(s.event().duration_ms.is_some()),
            BoolNode::NullEq { operand, negate } => match operand.eval(s) {
                Some(Val::Null) => Tri::from_bool(!*negate),
                Some(_) => Tri::from_bool(*negate),
                None => Tri::Err,
            },
            BoolNode::StartsWith(a, b) => str_test(s, a, b, |a, b| a.starts_with(b)),
            BoolNode::EndsWith(a, b) => str_test(s, a, b, |a, b| a.ends_with(b)),
            BoolNode::Contains(a, b) => str_test(s, a, b, |a, b| a.contains(b)),
            BoolNode::Matches(a, re) => match a.eval(s) {
                Some(v) => Tri::from_bool(re.is_match(&v)),
                None => Tri::Err,
            },
        }
    }

    /// True when the node reads nothing from the event.
    pub(crate) fn is_const(&self) -> bool {
        match self {
            BoolNode::Const(_) => true,
            BoolNode::Not(a) => a.is_const(),
            BoolNode::And(items) | BoolNode::Or(items) => items.iter().all(BoolNode::is_const),
            BoolNode::Cond(p) => p.0.is_const() && p.1.is_const() && p.2.is_const(),
            BoolNode::StatusIs(_)
            | BoolNode::AttrEqConst { .. }
            | BoolNode::HasAttr { .. }
            | BoolNode::HasDuration => false,
            BoolNode::StrEqConst { lhs, .. } => lhs.is_const(),
            BoolNode::StrCmp { lhs, rhs, .. }
            | BoolNode::StartsWith(lhs, rhs)
            | BoolNode::EndsWith(lhs, rhs)
            | BoolNode::Contains(lhs, rhs) => lhs.is_const() && rhs.is_const(),
            BoolNode::NumCmp { lhs, rhs, .. } => lhs.is_const() && rhs.is_const(),
            BoolNode::BoolCmp { lhs, rhs, .. } => lhs.is_const() && rhs.is_const(),
            BoolNode::StrInSet { needle, .. } => needle.is_const(),
            BoolNode::NumInSet { needle, .. } => needle.is_const(),
            BoolNode::InList { needle, items } => {
                needle.is_const() && items.iter().all(AnyNode::is_const)
            }
            BoolNode::HasAttrDyn(_) => false,
            BoolNode::NullEq { operand, .. } => operand.is_const(),
            BoolNode::Matches(a, _) => a.is_const(),
        }
    }
}

#[inline]
fn str_test<'e>(
    s: &Scope<'e>,
    a: &'e StrNode,
    b: &'e StrNode,
    test: fn(&str, &str) -> bool,
) -> Tri {
    match (a.eval(s), b.eval(s)) {
        (Some(a), Some(b)) => Tri::from_bool(test(&a, &b)),
        _ => Tri::Err,
    }
}

impl StrNode {
    /// The string, or `None` for an error.
    #[inline]
    pub(crate) fn eval<'e>(&'e self, s: &Scope<'e>) -> Option<Cow<'e, str>> {
        match self {
            StrNode::Const(c) => Some(Cow::Borrowed(c)),
            StrNode::Name => Some(Cow::Borrowed(s.event().name)),
            StrNode::Status => Some(Cow::Borrowed(s.event().status())),
            StrNode::Attr { key, name } => s.attribute(*key, name).map(Cow::Borrowed),
            StrNode::AttrDyn(key) => {
                let k = key.eval(s)?;
                s.event().attribute(&k).map(Cow::Borrowed)
            }
            StrNode::OfNum(n) => Some(Cow::Owned(match n.eval(s)? {
                Num::Int(i) => i.to_string(),
                Num::Double(d) => d.to_string(),
            })),
            StrNode::OfBool(b) => match b.eval(s) {
                Tri::True => Some(Cow::Borrowed("true")),
                Tri::False => Some(Cow::Borrowed("false")),
                Tri::Err => None,
            },
            StrNode::Cond(p) => match p.0.eval(s) {
                Tri::True => p.1.eval(s),
                Tri::False => p.2.eval(s),
                Tri::Err => None,
            },
        }
    }

    pub(crate) fn is_const(&self) -> bool {
        match self {
            StrNode::Const(_) => true,
            StrNode::Name | StrNode::Status | StrNode::Attr { .. } | StrNode::AttrDyn(_) => false,
            StrNode::OfNum(n) => n.is_const(),
            StrNode::OfBool(b) => b.is_const(),
            StrNode::Cond(p) => p.0.is_const() && p.1.is_const() && p.2.is_const(),
        }
    }
}

impl NumNode {
    /// The number, or `None` for an error.
    #[inline]
    pub(crate) fn eval<'e>(&'e self, s: &Scope<'e>) -> Option<Num> {
        match self {
            NumNode::Const(n) => Some(*n),
            NumNode::DurationMs => s.event().duration_ms.map(Num::Double),
            NumNode::SampleRate => Some(Num::Double(s.event().sample_rate)),
            NumNode::SizeStr(x) => Some(Num::Int(x.eval(s)?.chars().count() as i64)),
            NumNode::SizeAttributes => Some(Num::Int(s.event().attributes.len() as i64)),
            NumNode::ToInt(x) => int_of_num(x.eval(s)?),
            NumNode::IntOfStr(x) => int_of_str(&x.eval(s)?),
            NumNode::ToDouble(x) => Some(Num::Double(x.eval(s)?.as_f64())),
            NumNode::DoubleOfStr(x) => double_of_str(&x.eval(s)?),
            NumNode::Neg(x) => match x.eval(s)? {
                Num::Int(i) => i.checked_neg().map(Num::Int),
                Num::Double(d) => Some(Num::Double(-d)),
            },
            NumNode::Cond(p) => match p.0.eval(s) {
                Tri::True => p.1.eval(s),
                Tri::False => p.2.eval(s),
                Tri::Err => None,
            },
        }
    }

    pub(crate) fn is_const(&self) -> bool {
        match self {
            NumNode::Const(_) => true,
            NumNode::DurationMs | NumNode::SampleRate | NumNode::SizeAttributes => false,
            NumNode::SizeStr(x) | NumNode::IntOfStr(x) | NumNode::DoubleOfStr(x) => x.is_const(),
            NumNode::ToInt(x) | NumNode::ToDouble(x) | NumNode::Neg(x) => x.is_const(),
            NumNode::Cond(p) => p.0.is_const() && p.1.is_const() && p.2.is_const(),
        }
    }
}

impl AnyNode {
    pub(crate) fn eval<'e>(&'e self, s: &Scope<'e>) -> Option<Val<'e>> {
        match self {
            AnyNode::Bool(b) => match b.eval(s) {
                Tri::True => Some(Val::Bool(true)),
                Tri::False => Some(Val::Bool(false)),
                Tri::Err => None,
            },
            AnyNode::Num(n) => n.eval(s).map(Val::Num),
            AnyNode::Str(x) => x.eval(s).map(Val::Str),
            AnyNode::Null => Some(Val::Null),
        }
    }

    pub(crate) fn is_const(&self) -> bool {
        match self {
            AnyNode::Bool(b) => b.is_const(),
            AnyNode::Num(n) => n.is_const(),
            AnyNode::Str(x) => x.is_const(),
            AnyNode::Null => true,
        }
    }
}

/// CEL `int(double)`: truncates toward zero; out of range or NaN fails.
fn int_of_num(n: Num) -> Option<Num> {
    match n {
        Num::Int(i) => Some(Num::Int(i)),
        Num::Double(d) => {
            let t = d.trunc();
            // The open upper bound: 2^63 itself does not fit.
            (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
                .contains(&t)
                .then_some(Num::Int(t as i64))
        }
    }
}

/// CEL `int(string)`: a base-10 integer, nothing else.
fn int_of_str(s: &str) -> Option<Num> {
    s.parse::<i64>().ok().map(Num::Int)
}

/// CEL `double(string)`.
fn double_of_str(s: &str) -> Option<Num> {
    s.parse::<f64>().ok().map(Num::Double)
}
