//! A deliberately naive CEL evaluator over the parsed syntax tree, the model
//! the compiled matchers are checked against.
//!
//! It interprets the tree directly with dynamic values, re-resolves every
//! attribute and recompiles every regex on each call, and folds nothing: the
//! point is to be obviously right, not fast. Errors are `Err(())`; a filter
//! matches only when it evaluates to `Ok(Bool(true))`.

use cel::common::ast::{Expr, IdedExpr, LiteralValue};

use crate::event::Event;

/// An event that owns its strings, for property tests.
#[derive(Clone, Debug)]
pub(super) struct OwnedEvent {
    pub(super) name: String,
    pub(super) error: bool,
    pub(super) duration_ms: Option<f64>,
    pub(super) sample_rate: f64,
    pub(super) attributes: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
enum V {
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    Null,
    List(Vec<V>),
    Attributes,
}

type R = Result<V, ()>;

/// True when `src` evaluates to true on `ev`.
pub(super) fn matches(src: &str, ev: &Event<'_>) -> bool {
    let env = cel::Env::default().with_optional_support(false);
    let expr = env.parser().parse(src).expect("reference filters parse");
    eval(&expr, ev) == Ok(V::Bool(true))
}

fn attribute(ev: &Event<'_>, key: &str) -> R {
    let mut found = Err(());
    for (k, v) in ev.attributes {
        if *k == key {
            found = Ok(V::Str(v.to_string()));
        }
    }
    found
}

fn eval(e: &IdedExpr, ev: &Event<'_>) -> R {
    match &e.expr {
        Expr::Literal(l) => Ok(match l {
            LiteralValue::Boolean(b) => V::Bool(*b.inner()),
            LiteralValue::Int(i) => V::Int(*i.inner()),
            LiteralValue::UInt(u) => V::Int(*u.inner() as i64),
            LiteralValue::Double(d) => V::Double(*d.inner()),
            LiteralValue::String(s) => V::Str(s.inner().to_string()),
            LiteralValue::Null => V::Null,
            LiteralValue::Bytes(_) => return Err(()),
        }),
        Expr::Ident(name) => match name.as_str() {
            "name" => Ok(V::Str(ev.name.to_string())),
            "status" => Ok(V::Str(
                if ev.status_error { "error" } else { "ok" }.to_string(),
            )),
            "duration_ms" => ev.duration_ms.map(V::Double).ok_or(()),
            "sample_rate" => Ok(V::Double(ev.sample_rate)),
            "attributes" => Ok(V::Attributes),
            _ => Err(()),
        },
        Expr::Select(sel) => match eval(&sel.operand, ev)? {
            V::Attributes => attribute(ev, &sel.field),
            _ => Err(()),
        },
        Expr::List(list) => {
            let mut items = Vec::new();
            for item in &list.elements {
                items.push(eval(item, ev)?);
            }
            Ok(V::List(items))
        }
        Expr::Call(call) => {
            let args = &call.args;
            match (call.func_name.as_str(), &call.target) {
                ("_&&_", None) => {
                    let a = eval(&args[0], ev);
                    let b = eval(&args[1], ev);
                    match (a, b) {
                        (Ok(V::Bool(false)), _) | (_, Ok(V::Bool(false))) => Ok(V::Bool(false)),
                        (Ok(V::Bool(true)), Ok(V::Bool(true))) => Ok(V::Bool(true)),
                        _ => Err(()),
                    }
                }
                ("_||_", None) => {
                    let a = eval(&args[0], ev);
                    let b = eval(&args[1], ev);
                    match (a, b) {
                        (Ok(V::Bool(true)), _) | (_, Ok(V::Bool(true))) => Ok(V::Bool(true)),
                        (Ok(V::Bool(false)), Ok(V::Bool(false))) => Ok(V::Bool(false)),
                        _ => Err(()),
                    }
                }
                ("!_", None) => match eval(&args[0], ev)? {
                    V::Bool(b) => Ok(V::Bool(!b)),
                    _ => Err(()),
                },
                ("-_", None) => match eval(&args[0], ev)? {
                    V::Int(i) => i.checked_neg().map(V::Int).ok_or(()),
                    V::Double(d) => Ok(V::Double(-d)),
                    _ => Err(()),
                },
                ("_?_:_", None) => match eval(&args[0], ev)? {
                    V::Bool(true) => eval(&args[1], ev),
                    V::Bool(false) => eval(&args[2], ev),
                    _ => Err(()),
                },
                ("_==_" | "_!=_", None) => {
                    let ne = call.func_name == "_!=_";
                    // A missing duration is null when compared with null.
                    let is_null =
                        |x: &IdedExpr| matches!(x.expr, Expr::Literal(LiteralValue::Null));
                    let is_duration =
                        |x: &IdedExpr| matches!(&x.expr, Expr::Ident(n) if n == "duration_ms");
                    if (is_null(&args[0]) && is_duration(&args[1]))
                        || (is_null(&args[1]) && is_duration(&args[0]))
                    {
                        return Ok(V::Bool(ev.duration_ms.is_none() != ne));
                    }
                    let a = eval(&args[0], ev)?;
                    let b = eval(&args[1], ev)?;
                    Ok(V::Bool(equal(&a, &b) != ne))
                }
                (op @ ("_<_" | "_<=_" | "_>_" | "_>=_"), None) => {
                    let a = eval(&args[0], ev)?;
                    let b = eval(&args[1], ev)?;
                    let ord = match (&a, &b) {
                        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
                        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
                        _ => match (number(&a), number(&b)) {
                            (Some(x), Some(y)) => x.partial_cmp(&y),
                            _ => return Err(()),
                        },
                    };
                    let Some(ord) = ord else {
                        return Ok(V::Bool(false));
                    };
                    Ok(V::Bool(match op {
                        "_<_" => ord.is_lt(),
                        "_<=_" => ord.is_le(),
                        "_>_" => ord.is_gt(),
                        _ => ord.is_ge(),
                    }))
                }
                ("@in", None) => {
                    let needle = eval(&args[0], ev)?;
                    match eval(&args[1], ev)? {
                        V::List(items) => Ok(V::Bool(items.iter().any(|i| equal(&needle, i)))),
                        V::Attributes => match needle {
                            V::Str(k) => Ok(V::Bool(attribute(ev, &k).is_ok())),
                            _ => Err(()),
                        },
                        _ => Err(()),
                    }
                }
                ("_[_]", None) => match (eval(&args[0], ev)?, eval(&args[1], ev)?) {
                    (V::Attributes, V::Str(k)) => attribute(ev, &k),
                    _ => Err(()),
                },
                ("has", None) => match &args[0].expr {
                    Expr::Ident(n) if n == "duration_ms" => Ok(V::Bool(ev.duration_ms.is_some())),
                    Expr::Select(sel) => Ok(V::Bool(attribute(ev, &sel.field).is_ok())),
                    Expr::Call(c) => match eval(&c.args[1], ev)? {
                        V::Str(k) => Ok(V::Bool(attribute(ev, &k).is_ok())),
                        _ => Err(()),
                    },
                    _ => Err(()),
                },
                ("size", target) => {
                    let x = match target {
                        Some(t) => eval(t, ev)?,
                        None => eval(&args[0], ev)?,
                    };
                    match x {
                        V::Str(s) => Ok(V::Int(s.chars().count() as i64)),
                        V::List(l) => Ok(V::Int(l.len() as i64)),
                        V::Attributes => Ok(V::Int(ev.attributes.len() as i64)),
                        _ => Err(()),
                    }
                }
                ("int", None) => match eval(&args[0], ev)? {
                    V::Int(i) => Ok(V::Int(i)),
                    V::Double(d) if d.is_finite() && d.abs() < 9.2e18 => {
                        Ok(V::Int(d.trunc() as i64))
                    }
                    V::Str(s) => s.parse().map(V::Int).map_err(|_| ()),
                    _ => Err(()),
                },
                ("double", None) => match eval(&args[0], ev)? {
                    V::Int(i) => Ok(V::Double(i as f64)),
                    V::Double(d) => Ok(V::Double(d)),
                    V::Str(s) => s.parse().map(V::Double).map_err(|_| ()),
                    _ => Err(()),
                },
                ("string", None) => match eval(&args[0], ev)? {
                    V::Int(i) => Ok(V::Str(i.to_string())),
                    V::Double(d) => Ok(V::Str(d.to_string())),
                    V::Bool(b) => Ok(V::Str(b.to_string())),
                    V::Str(s) => Ok(V::Str(s)),
                    _ => Err(()),
                },
                (f @ ("startsWith" | "endsWith" | "contains" | "matches"), Some(t)) => {
                    string_method(f, eval(t, ev)?, eval(&args[0], ev)?)
                }
                ("matches", None) => {
                    string_method("matches", eval(&args[0], ev)?, eval(&args[1], ev)?)
                }
                _ => Err(()),
            }
        }
        _ => Err(()),
    }
}

fn string_method(f: &str, subject: V, arg: V) -> R {
    let (V::Str(s), V::Str(a)) = (subject, arg) else {
        return Err(());
    };
    Ok(V::Bool(match f {
        "startsWith" => s.starts_with(&a),
        "endsWith" => s.ends_with(&a),
        "contains" => s.contains(&a),
        _ => regex::Regex::new(&a).map_err(|_| ())?.is_match(&s),
    }))
}

fn number(v: &V) -> Option<f64> {
    match v {
        V::Int(i) => Some(*i as f64),
        V::Double(d) => Some(*d),
        _ => None,
    }
}

fn equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Str(x), V::Str(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Null, V::Null) => true,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}
