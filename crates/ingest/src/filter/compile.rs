//! From a CEL syntax tree to typed matcher nodes.
//!
//! The variables have static types (`name`, `status`: string; `duration_ms`,
//! `sample_rate`: double; `attributes`: map of string to string), so every
//! operator and function is resolved here, once, and anything unsupported or
//! ill-typed is an error naming the construct and its column. Constant
//! subtrees are folded. This module must not evaluate anything against real
//! events and must not accept a construct that `node` cannot evaluate.

use cel::common::ast::{CallExpr, Expr, IdedExpr, LiteralValue, SourceInfo};
use cel::parser::ParseErrors;

use super::node::{AnyNode, BoolNode, CmpOp, Num, NumNode, StrNode, Tri};
use super::{KeyTable, Scope};
use crate::error::FilterError;
use crate::event::Event;

const VARIABLES: &str = "name, status, duration_ms, sample_rate, attributes";
const FUNCTIONS: &str = "has, size, int, double, string, startsWith, endsWith, contains, matches";
const OPERATORS: &str = "==, !=, <, <=, >, >=, &&, ||, !, ?:, in, [], unary -";

/// Compiles `src` into a boolean matcher.
pub(crate) fn compile(src: &str, keys: &mut KeyTable) -> Result<BoolNode, FilterError> {
    if src.trim().is_empty() {
        return Err(FilterError::at(
            src,
            0,
            "the filter is empty; expected a boolean expression such as status == \"ok\"",
        ));
    }
    let env = cel::Env::default().with_optional_support(false);
    let (expr, info) = env
        .parser()
        .parse_with_source_info(src)
        .map_err(|e| parse_error(src, e))?;
    let mut c = Compiler {
        src,
        info: &info,
        keys,
    };
    match c.expr(&expr)? {
        Typed::Bool(b) => Ok(b),
        other => Err(c.err_operand(
            &expr,
            format!(
                "the filter is {}; expected a boolean expression",
                other.describe()
            ),
        )),
    }
}

fn parse_error(src: &str, errors: ParseErrors) -> FilterError {
    let Some(first) = errors.errors.into_iter().next() else {
        return FilterError::at(src, 0, "the filter does not parse");
    };
    let (line, column) = first.pos;
    let offset = src
        .split_inclusive('\n')
        .take((line.max(1) - 1) as usize)
        .map(str::len)
        .sum::<usize>()
        + (column.max(1) - 1) as usize;
    FilterError::at(src, offset, lowercase_first(&first.msg))
}

fn lowercase_first(msg: &str) -> String {
    let mut chars = msg.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A compiled subexpression with its static type.
enum Typed {
    Bool(BoolNode),
    Num(NumNode),
    Str(StrNode),
    Null,
    List(Vec<(u64, Typed)>),
    Attributes,
}

impl Typed {
    fn describe(&self) -> &'static str {
        match self {
            Typed::Bool(_) => "a boolean",
            Typed::Num(_) => "a number",
            Typed::Str(_) => "a string",
            Typed::Null => "null",
            Typed::List(_) => "a list",
            Typed::Attributes => "the attributes map",
        }
    }

    fn into_any(self) -> Option<AnyNode> {
        match self {
            Typed::Bool(b) => Some(AnyNode::Bool(b)),
            Typed::Num(n) => Some(AnyNode::Num(n)),
            Typed::Str(s) => Some(AnyNode::Str(s)),
            Typed::Null => Some(AnyNode::Null),
            Typed::List(_) | Typed::Attributes => None,
        }
    }

    /// Same scalar kind, for `in` lists and ternary branches.
    fn same_kind(&self, other: &Typed) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

struct Compiler<'a> {
    src: &'a str,
    info: &'a SourceInfo,
    keys: &'a mut KeyTable,
}

type Res<T> = Result<T, FilterError>;

impl Compiler<'_> {
    fn offset(&self, e: &IdedExpr) -> usize {
        self.info
            .offset_for(e.id)
            .map_or(0, |(start, _)| start as usize)
    }

    fn err(&self, e: &IdedExpr, msg: impl Into<String>) -> FilterError {
        FilterError::at(self.src, self.offset(e), msg)
    }

    /// Where the text of `e` begins: the parser places selections at their
    /// `.` and operators at their symbol, but an error about a whole operand
    /// reads best pointing at its first character.
    fn start(&self, e: &IdedExpr) -> usize {
        let inner = match &e.expr {
            Expr::Select(sel) => Some(&*sel.operand),
            Expr::Call(c) => match (&c.target, c.func_name.as_str()) {
                (Some(t), _) => Some(&**t),
                (None, name) if name.starts_with('_') && !c.args.is_empty() => Some(&c.args[0]),
                _ => None,
            },
            _ => None,
        };
        let own = self.offset(e);
        inner.map_or(own, |i| self.start(i).min(own))
    }

    /// An error about a whole operand, pointing at its start.
    fn err_operand(&self, e: &IdedExpr, msg: impl Into<String>) -> FilterError {
        FilterError::at(self.src, self.start(e), msg)
    }

    /// An error pointing at a call's function name: the parser places calls
    /// at their `(`, so step back over the name when it is right there.
    fn err_at_name(&self, e: &IdedExpr, name: &str, msg: impl Into<String>) -> FilterError {
        let at = self.offset(e);
        let at = match at.checked_sub(name.len()) {
            Some(start) if self.src.get(start..at) == Some(name) => start,
            _ => at,
        };
        FilterError::at(self.src, at, msg)
    }

    fn expr(&mut self, e: &IdedExpr) -> Res<Typed> {
        match &e.expr {
            Expr::Literal(lit) => self.literal(e, lit),
            Expr::Ident(name) => self.ident(e, name),
            Expr::Select(sel) => {
                let operand = self.expr(&sel.operand)?;
                match operand {
                    Typed::Attributes => Ok(Typed::Str(self.attr(&sel.field))),
                    other => Err(self.err(
                        e,
                        format!(
                            "field selection .{} applies only to attributes; {} has no fields",
                            sel.field,
                            other.describe()
                        ),
                    )),
                }
            }
            Expr::Call(call) => self.call(e, call),
            Expr::List(list) => {
                let mut items = Vec::with_capacity(list.elements.len());
                for item in &list.elements {
                    items.push((item.id, self.expr(item)?));
                }
                Ok(Typed::List(items))
            }
            Expr::Map(_) => {
                Err(self.err(e, "map literals are not supported; only list literals are"))
            }
            Expr::Struct(_) => Err(self.err(e, "message literals are not supported")),
            Expr::Comprehension(_) => Err(self.err(e, "comprehensions are not supported")),
            Expr::Unspecified => Err(self.err(e, "incomplete expression")),
        }
    }

    fn literal(&self, e: &IdedExpr, lit: &LiteralValue) -> Res<Typed> {
        Ok(match lit {
            LiteralValue::Boolean(b) => Typed::Bool(BoolNode::Const(*b.inner())),
            LiteralValue::Int(i) => Typed::Num(NumNode::Const(Num::Int(*i.inner()))),
            LiteralValue::UInt(u) => match i64::try_from(*u.inner()) {
                Ok(i) => Typed::Num(NumNode::Const(Num::Int(i))),
                Err(_) => {
                    return Err(self.err(
                        e,
                        format!(
                            "unsigned literal {} is too large; expected at most {}",
                            u.inner(),
                            i64::MAX
                        ),
                    ));
                }
            },
            LiteralValue::Double(d) => Typed::Num(NumNode::Const(Num::Double(*d.inner()))),
            LiteralValue::String(s) => Typed::Str(StrNode::Const(s.inner().into())),
            LiteralValue::Null => Typed::Null,
            LiteralValue::Bytes(_) => {
                return Err(self.err(e, "bytes literals are not supported; use a string"));
            }
        })
    }

    fn ident(&self, e: &IdedExpr, name: &str) -> Res<Typed> {
        Ok(match name {
            "name" => Typed::Str(StrNode::Name),
            "status" => Typed::Str(StrNode::Status),
            "duration_ms" => Typed::Num(NumNode::DurationMs),
            "sample_rate" => Typed::Num(NumNode::SampleRate),
            "attributes" => Typed::Attributes,
            other => {
                return Err(self.err(
                    e,
                    format!("unknown variable \"{other}\"; expected one of {VARIABLES}"),
                ));
            }
        })
    }

    fn attr(&mut self, key: &str) -> StrNode {
        StrNode::Attr {
            key: self.keys.intern(key),
            name: key.into(),
        }
    }

    fn call(&mut self, e: &IdedExpr, call: &CallExpr) -> Res<Typed> {
        let args = &call.args;
        let target = call.target.as_deref();
        match (call.func_name.as_str(), target, args.len()) {
            ("_&&_", None, 2) | ("_||_", None, 2) => {
                let is_and = call.func_name == "_&&_";
                let op = if is_and { "&&" } else { "||" };
                let a = self.boolean(&args[0], op)?;
                let b = self.boolean(&args[1], op)?;
                Ok(Typed::Bool(if is_and { and(a, b) } else { or(a, b) }))
            }
            ("!_", None, 1) => Ok(Typed::Bool(not(self.boolean(&args[0], "!")?))),
            ("_?_:_", None, 3) => self.conditional(e, args),
            ("_==_", None, 2) => self.compare(e, CmpOp::Eq, "==", args),
            ("_!=_", None, 2) => self.compare(e, CmpOp::Ne, "!=", args),
            ("_<_", None, 2) => self.compare(e, CmpOp::Lt, "<", args),
            ("_<=_", None, 2) => self.compare(e, CmpOp::Le, "<=", args),
            ("_>_", None, 2) => self.compare(e, CmpOp::Gt, ">", args),
            ("_>=_", None, 2) => self.compare(e, CmpOp::Ge, ">=", args),
            ("@in", None, 2) => self.membership(e, args),
            ("_[_]", None, 2) => self.index(e, args),
            ("-_", None, 1) => match self.expr(&args[0])? {
                Typed::Num(n) => self
                    .fold_num(e, "", NumNode::Neg(Box::new(n)), "negation overflows")
                    .map(Typed::Num),
                other => Err(self.err(
                    e,
                    format!("unary - needs a number, found {}", other.describe()),
                )),
            },
            ("has", None, 1) => self.has(e, &args[0]),
            ("size", None, 1) => self.size(e, &args[0]),
            ("size", Some(t), 0) => self.size(e, t),
            ("int", None, 1) => self.int_conversion(e, &args[0]),
            ("double", None, 1) => self.double_conversion(e, &args[0]),
            ("string", None, 1) => self.string_conversion(e, &args[0]),
            ("startsWith" | "endsWith" | "contains" | "matches", Some(t), 1) => {
                self.string_method(e, &call.func_name, t, &args[0])
            }
            ("matches", None, 2) => self.string_method(e, "matches", &args[0], &args[1]),
            (name, _, _) if is_operator(name) => Err(self.err(
                e,
                format!(
                    "operator \"{}\" is not supported; expected one of {OPERATORS}",
                    operator_symbol(name)
                ),
            )),
            (
                name @ ("has" | "size" | "int" | "double" | "string" | "startsWith" | "endsWith"
                | "contains" | "matches"),
                _,
                _,
            ) => Err(self.err_at_name(
                e,
                name,
                format!(
                    "function \"{name}\" is called with the wrong arguments; expected {}",
                    usage(name)
                ),
            )),
            (name, _, _) => Err(self.err_at_name(
                e,
                name,
                format!("function \"{name}\" is not supported; expected one of {FUNCTIONS}"),
            )),
        }
    }

    fn boolean(&mut self, e: &IdedExpr, op: &str) -> Res<BoolNode> {
        match self.expr(e)? {
            Typed::Bool(b) => Ok(b),
            other => Err(self.err_operand(
                e,
                format!(
                    "operator \"{op}\" needs booleans, found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn conditional(&mut self, e: &IdedExpr, args: &[IdedExpr]) -> Res<Typed> {
        let cond = self.boolean(&args[0], "?:")?;
        let yes = self.expr(&args[1])?;
        let no = self.expr(&args[2])?;
        if let BoolNode::Const(c) = cond {
            return Ok(if c { yes } else { no });
        }
        Ok(match (yes, no) {
            (Typed::Bool(a), Typed::Bool(b)) => Typed::Bool(BoolNode::Cond(Box::new((cond, a, b)))),
            (Typed::Num(a), Typed::Num(b)) => Typed::Num(NumNode::Cond(Box::new((cond, a, b)))),
            (Typed::Str(a), Typed::Str(b)) => Typed::Str(StrNode::Cond(Box::new((cond, a, b)))),
            (Typed::Null, Typed::Null) => Typed::Null,
            (a, b) => {
                return Err(self.err(
                    e,
                    format!(
                        "the branches of ?: are {} and {}; expected the same type",
                        a.describe(),
                        b.describe()
                    ),
                ));
            }
        })
    }

    fn compare(&mut self, e: &IdedExpr, op: CmpOp, sym: &str, args: &[IdedExpr]) -> Res<Typed> {
        let lhs = self.expr(&args[0])?;
        let rhs = self.expr(&args[1])?;
        let equality = matches!(op, CmpOp::Eq | CmpOp::Ne);
        let negate = op == CmpOp::Ne;
        let node = match (lhs, rhs) {
            (Typed::Str(a), Typed::Str(b)) => match (a, b) {
                (StrNode::Status, StrNode::Const(c)) | (StrNode::Const(c), StrNode::Status)
                    if equality =>
                {
                    match &*c {
                        "ok" => BoolNode::StatusIs(negate),
                        "error" => BoolNode::StatusIs(!negate),
                        _ => BoolNode::Const(negate),
                    }
                }
                (StrNode::Attr { key, name }, StrNode::Const(value))
                | (StrNode::Const(value), StrNode::Attr { key, name })
                    if equality =>
                {
                    BoolNode::AttrEqConst {
                        key,
                        name,
                        value,
                        negate,
                    }
                }
                (lhs, StrNode::Const(c)) | (StrNode::Const(c), lhs)
                    if equality && !lhs.is_const() =>
                {
                    BoolNode::StrEqConst {
                        lhs,
                        rhs: c,
                        negate,
                    }
                }
                (lhs, rhs) => BoolNode::StrCmp { lhs, op, rhs },
            },
            (Typed::Num(lhs), Typed::Num(rhs)) => BoolNode::NumCmp { lhs, op, rhs },
            (Typed::Bool(lhs), Typed::Bool(rhs)) => BoolNode::BoolCmp {
                lhs: Box::new(lhs),
                op,
                rhs: Box::new(rhs),
            },
            (Typed::Null, Typed::Null) if equality => BoolNode::Const(!negate),
            (Typed::Null, Typed::Num(NumNode::DurationMs))
            | (Typed::Num(NumNode::DurationMs), Typed::Null)
                if equality =>
            {
                // A missing duration is null, so `duration_ms == null` is how
                // CEL users ask for events without one.
                if negate {
                    BoolNode::HasDuration
                } else {
                    BoolNode::Not(Box::new(BoolNode::HasDuration))
                }
            }
            (Typed::Null, other) | (other, Typed::Null) if equality => match other.into_any() {
                Some(operand) => BoolNode::NullEq {
                    operand: Box::new(operand),
                    negate,
                },
                None => {
                    return Err(self.err(
                        e,
                        format!("operator \"{sym}\" cannot compare a list or map with null"),
                    ));
                }
            },
            (a, b) => {
                let hint = match (&a, &b) {
                    (Typed::Str(StrNode::Attr { .. }), Typed::Num(_))
                    | (Typed::Num(_), Typed::Str(StrNode::Attr { .. })) => {
                        "; attribute values are strings: convert with int(...) or double(...)"
                    }
                    _ => "",
                };
                return Err(self.err(
                    e,
                    format!(
                        "operator \"{sym}\" cannot compare {} with {}{hint}",
                        a.describe(),
                        b.describe()
                    ),
                ));
            }
        };
        Ok(Typed::Bool(fold_bool(node)))
    }

    fn membership(&mut self, e: &IdedExpr, args: &[IdedExpr]) -> Res<Typed> {
        let needle = self.expr(&args[0])?;
        let haystack = self.expr(&args[1])?;
        let node = match haystack {
            Typed::Attributes => match needle {
                Typed::Str(StrNode::Const(k)) => BoolNode::HasAttr {
                    key: self.keys.intern(&k),
                    name: k,
                },
                Typed::Str(k) => BoolNode::HasAttrDyn(k),
                other => {
                    return Err(self.err(
                        e,
                        format!(
                            "\"in attributes\" needs a string key, found {}",
                            other.describe()
                        ),
                    ));
                }
            },
            Typed::List(items) => self.in_list(e, needle, items)?,
            other => {
                return Err(self.err(
                    e,
                    format!(
                        "\"in\" needs a list literal or attributes on its right, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        Ok(Typed::Bool(fold_bool(node)))
    }

    fn in_list(&mut self, e: &IdedExpr, needle: Typed, items: Vec<(u64, Typed)>) -> Res<BoolNode> {
        for (id, item) in &items {
            if !item.same_kind(&needle) {
                let at = IdedExpr {
                    id: *id,
                    expr: Expr::Unspecified,
                };
                return Err(self.err(
                    &at,
                    format!(
                        "list element is {}; expected {} like the left side of \"in\"",
                        item.describe(),
                        needle.describe()
                    ),
                ));
            }
        }
        let all_const = items.iter().all(|(_, t)| {
            matches!(
                t,
                Typed::Str(StrNode::Const(_)) | Typed::Num(NumNode::Const(_))
            )
        });
        if all_const && !items.is_empty() {
            match needle {
                Typed::Str(needle) => {
                    let set = items
                        .into_iter()
                        .filter_map(|(_, t)| match t {
                            Typed::Str(StrNode::Const(c)) => Some(c),
                            _ => None,
                        })
                        .collect();
                    return Ok(BoolNode::StrInSet { needle, set });
                }
                Typed::Num(needle) => {
                    let set = items
                        .into_iter()
                        .filter_map(|(_, t)| match t {
                            Typed::Num(NumNode::Const(n)) => Some(n),
                            _ => None,
                        })
                        .collect();
                    return Ok(BoolNode::NumInSet { needle, set });
                }
                _ => unreachable!("constant items share the needle's kind"),
            }
        }
        let Some(needle) = needle.into_any() else {
            return Err(self.err(e, "\"in\" cannot look for a list or map"));
        };
        let items = items
            .into_iter()
            .filter_map(|(_, t)| t.into_any())
            .collect();
        Ok(BoolNode::InList {
            needle: Box::new(needle),
            items,
        })
    }

    fn index(&mut self, e: &IdedExpr, args: &[IdedExpr]) -> Res<Typed> {
        let target = self.expr(&args[0])?;
        let key = self.expr(&args[1])?;
        match (target, key) {
            (Typed::Attributes, Typed::Str(StrNode::Const(k))) => Ok(Typed::Str(self.attr(&k))),
            (Typed::Attributes, Typed::Str(k)) => Ok(Typed::Str(StrNode::AttrDyn(Box::new(k)))),
            (Typed::Attributes, other) => Err(self.err(
                e,
                format!(
                    "attributes[...] needs a string key, found {}",
                    other.describe()
                ),
            )),
            (other, _) => Err(self.err(
                e,
                format!(
                    "indexing applies only to attributes[...]; found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn has(&mut self, e: &IdedExpr, arg: &IdedExpr) -> Res<Typed> {
        let usage = "has() applies to attributes.<key>, attributes[\"<key>\"] or duration_ms";
        match &arg.expr {
            Expr::Ident(name) if name == "duration_ms" => Ok(Typed::Bool(BoolNode::HasDuration)),
            Expr::Select(sel) if matches!(&sel.operand.expr, Expr::Ident(n) if n == "attributes") => {
                Ok(Typed::Bool(BoolNode::HasAttr {
                    key: self.keys.intern(&sel.field),
                    name: sel.field.as_str().into(),
                }))
            }
            Expr::Call(c) if c.func_name == "_[_]" && c.target.is_none() && c.args.len() == 2 => {
                match self.index(arg, &c.args)? {
                    Typed::Str(StrNode::Attr { key, name }) => {
                        Ok(Typed::Bool(BoolNode::HasAttr { key, name }))
                    }
                    Typed::Str(StrNode::AttrDyn(k)) => Ok(Typed::Bool(BoolNode::HasAttrDyn(*k))),
                    _ => Err(self.err_at_name(e, "has", usage)),
                }
            }
            _ => Err(self.err_at_name(e, "has", usage)),
        }
    }

    fn size(&mut self, e: &IdedExpr, arg: &IdedExpr) -> Res<Typed> {
        match self.expr(arg)? {
            Typed::Str(s) => self
                .fold_num(e, "size", NumNode::SizeStr(Box::new(s)), "size fails")
                .map(Typed::Num),
            Typed::List(items) => Ok(Typed::Num(NumNode::Const(Num::Int(items.len() as i64)))),
            Typed::Attributes => Ok(Typed::Num(NumNode::SizeAttributes)),
            other => Err(self.err_at_name(
                e,
                "size",
                format!(
                    "size() applies to a string, a list or attributes, found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn int_conversion(&mut self, e: &IdedExpr, arg: &IdedExpr) -> Res<Typed> {
        let node = match self.expr(arg)? {
            Typed::Num(n) => NumNode::ToInt(Box::new(n)),
            Typed::Str(s) => NumNode::IntOfStr(Box::new(s)),
            other => {
                return Err(self.err_at_name(
                    e,
                    "int",
                    format!(
                        "int() converts a string or a number, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        self.fold_num(
            e,
            "int",
            node,
            "int() of this constant fails: it is not an integer in range",
        )
        .map(Typed::Num)
    }

    fn double_conversion(&mut self, e: &IdedExpr, arg: &IdedExpr) -> Res<Typed> {
        let node = match self.expr(arg)? {
            Typed::Num(n) => NumNode::ToDouble(Box::new(n)),
            Typed::Str(s) => NumNode::DoubleOfStr(Box::new(s)),
            other => {
                return Err(self.err_at_name(
                    e,
                    "double",
                    format!(
                        "double() converts a string or a number, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        self.fold_num(
            e,
            "double",
            node,
            "double() of this constant fails: it is not a number",
        )
        .map(Typed::Num)
    }

    fn string_conversion(&mut self, e: &IdedExpr, arg: &IdedExpr) -> Res<Typed> {
        let node = match self.expr(arg)? {
            Typed::Str(s) => s,
            Typed::Num(n) => StrNode::OfNum(Box::new(n)),
            Typed::Bool(b) => StrNode::OfBool(Box::new(b)),
            other => {
                return Err(self.err_at_name(
                    e,
                    "string",
                    format!(
                        "string() converts a number, a boolean or a string, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        Ok(Typed::Str(fold_str(node)))
    }

    fn string_method(
        &mut self,
        e: &IdedExpr,
        name: &str,
        target: &IdedExpr,
        arg: &IdedExpr,
    ) -> Res<Typed> {
        let Typed::Str(subject) = self.expr(target)? else {
            return Err(self.err_at_name(
                e,
                name,
                format!("{name}() applies to a string; {}", usage(name)),
            ));
        };
        let Typed::Str(operand) = self.expr(arg)? else {
            return Err(self.err_at_name(
                e,
                name,
                format!("{name}() takes a string argument; {}", usage(name)),
            ));
        };
        let node = match name {
            "startsWith" => BoolNode::StartsWith(subject, operand),
            "endsWith" => BoolNode::EndsWith(subject, operand),
            "contains" => BoolNode::Contains(subject, operand),
            _ => {
                let StrNode::Const(pattern) = operand else {
                    return Err(self.err_operand(
                        arg,
                        "matches() needs a string literal pattern, compiled once",
                    ));
                };
                let re = regex::RegexBuilder::new(&pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|err| {
                        self.err_operand(
                            arg,
                            format!(
                                "invalid regular expression {pattern:?}: {}",
                                regex_reason(&err)
                            ),
                        )
                    })?;
                BoolNode::Matches(subject, Box::new(re))
            }
        };
        Ok(Typed::Bool(fold_bool(node)))
    }

    /// Folds a constant number node, turning a constant failure into a
    /// compile error (it would fail on every event).
    fn fold_num(&self, e: &IdedExpr, name: &str, node: NumNode, failure: &str) -> Res<NumNode> {
        if !node.is_const() {
            return Ok(node);
        }
        match node.eval(&const_scope()) {
            Some(n) => Ok(NumNode::Const(n)),
            None => Err(self.err_at_name(e, name, failure)),
        }
    }
}

fn usage(name: &str) -> &'static str {
    match name {
        "has" => "has(attributes.<key>), has(attributes[\"<key>\"]) or has(duration_ms)",
        "size" => "size(x) or x.size() for a string, a list or attributes",
        "int" => "int(x) with one string or number",
        "double" => "double(x) with one string or number",
        "string" => "string(x) with one number, boolean or string",
        "startsWith" => "name.startsWith(\"GET \")",
        "endsWith" => "name.endsWith(\"/health\")",
        "contains" => "name.contains(\"search\")",
        _ => "name.matches(\"^GET /api/v[0-9]+/\")",
    }
}

fn is_operator(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('@') || name.ends_with('_')
}

fn operator_symbol(name: &str) -> &str {
    match name {
        "_[?_]" => "[?]",
        "_?._" => ".?",
        other => other.trim_matches('_').trim_start_matches('@'),
    }
}

fn regex_reason(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or(""))
        .to_owned()
}

static NO_ATTRIBUTES: [(&str, &str); 0] = [];
static CONST_EVENT: Event<'static> = Event {
    timestamp_ms: 0,
    name: "",
    duration_ms: None,
    status_error: false,
    sample_rate: 1.0,
    attributes: &NO_ATTRIBUTES,
};

/// A scope for evaluating constant nodes, which never read the event.
fn const_scope() -> Scope<'static> {
    Scope::new(&CONST_EVENT, &[], 1)
}

fn fold_bool(node: BoolNode) -> BoolNode {
    if !node.is_const() {
        return node;
    }
    match node.eval(&const_scope()) {
        Tri::True => BoolNode::Const(true),
        Tri::False => BoolNode::Const(false),
        // Left in place: it fails on every event, as CEL would.
        Tri::Err => node,
    }
}

fn fold_str(node: StrNode) -> StrNode {
    if !node.is_const() {
        return node;
    }
    let folded = node
        .eval(&const_scope())
        .map(|s| StrNode::Const(s.into_owned().into()));
    folded.unwrap_or(node)
}

/// `a && b`, folded and flattened. CEL's `&&` is commutative over errors, so
/// a constant `false` on either side decides regardless of the other.
fn and(a: BoolNode, b: BoolNode) -> BoolNode {
    match (a, b) {
        (BoolNode::Const(false), _) | (_, BoolNode::Const(false)) => BoolNode::Const(false),
        (BoolNode::Const(true), x) | (x, BoolNode::Const(true)) => x,
        (a, b) => BoolNode::And(flatten(a, b, |n| matches!(n, BoolNode::And(_)))),
    }
}

fn or(a: BoolNode, b: BoolNode) -> BoolNode {
    match (a, b) {
        (BoolNode::Const(true), _) | (_, BoolNode::Const(true)) => BoolNode::Const(true),
        (BoolNode::Const(false), x) | (x, BoolNode::Const(false)) => x,
        (a, b) => BoolNode::Or(flatten(a, b, |n| matches!(n, BoolNode::Or(_)))),
    }
}

fn flatten(a: BoolNode, b: BoolNode, same: fn(&BoolNode) -> bool) -> Box<[BoolNode]> {
    let mut items = Vec::new();
    for n in [a, b] {
        if same(&n) {
            if let BoolNode::And(inner) | BoolNode::Or(inner) = n {
                items.extend(inner.into_vec());
            }
        } else {
            items.push(n);
        }
    }
    items.into_boxed_slice()
}

fn not(a: BoolNode) -> BoolNode {
    match a {
        BoolNode::Const(b) => BoolNode::Const(!b),
        BoolNode::Not(inner) => *inner,
        BoolNode::StatusIs(e) => BoolNode::StatusIs(!e),
        BoolNode::StrEqConst { lhs, rhs, negate } => BoolNode::StrEqConst {
            lhs,
            rhs,
            negate: !negate,
        },
        BoolNode::AttrEqConst {
            key,
            name,
            value,
            negate,
        } => BoolNode::AttrEqConst {
            key,
            name,
            value,
            negate: !negate,
        },
        other => BoolNode::Not(Box::new(other)),
    }
}
