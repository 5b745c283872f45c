//! CEL filters over events, compiled once into typed matchers.
//!
//! A filter is parsed by the `cel` crate (its parser only; macros off, so
//! `has(...)` reaches us as a plain call) and compiled by `compile` into the
//! node tree of `node`, which is evaluated against a borrowed [`Event`]. The
//! cel interpreter is never used on the hot path: it allocates values per
//! evaluation, and our variables have static types, so type errors are
//! reported at compile time with their position instead of at run time.
//!
//! Attribute keys are interned into a [`KeyTable`] shared by all filters of a
//! pipeline; a lookup scans the event's attributes once per key and caches the
//! result in the evaluation [`Scope`], so N filters reading `http.route` cost
//! one scan, with no hashing.
//!
//! This module must not read clocks, allocate on the evaluation path (except
//! the rare `string(number)` conversion), or panic on any event.

mod compile;
mod node;
#[cfg(test)]
mod tests;

use std::cell::Cell;

use crate::error::FilterError;
use crate::event::{Event, same_text};
pub(crate) use node::{BoolNode, Tri};

/// A compiled filter.
#[derive(Debug)]
pub struct Filter {
    /// The matcher; constant-folded, so a trivially true filter is `Const`.
    root: BoolNode,
    /// The expression as written, to dedupe identical filters and report.
    source: String,
    /// Size of the key table the filter was compiled against, so a
    /// standalone `matches` can size its lookup cache.
    n_keys: usize,
}

impl Filter {
    /// Compiles `src` on its own (outside a pipeline).
    pub fn compile(src: &str) -> Result<Filter, FilterError> {
        let mut keys = KeyTable::default();
        Filter::compile_in(src, &mut keys)
    }

    /// Compiles `src`, interning its attribute keys into `keys`.
    pub(crate) fn compile_in(src: &str, keys: &mut KeyTable) -> Result<Filter, FilterError> {
        let root = compile::compile(src, keys)?;
        Ok(Filter {
            root,
            source: src.to_owned(),
            n_keys: keys.len(),
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the filter selects `ev`; an evaluation error (a missing
    /// attribute under a comparison, a failed conversion) does not select.
    pub fn matches(&self, ev: &Event<'_>) -> bool {
        // Most filters read a handful of keys: keep the cache on the stack.
        const ON_STACK: usize = 16;
        if self.n_keys <= ON_STACK {
            let slots: [Slot; ON_STACK] = std::array::from_fn(|_| Slot::default());
            return self.root.eval(&Scope::new(ev, &slots, 1)) == Tri::True;
        }
        let slots: Vec<Slot> = (0..self.n_keys).map(|_| Slot::default()).collect();
        self.root.eval(&Scope::new(ev, &slots, 1)) == Tri::True
    }

    /// Three-valued result within a pipeline's scope. The commonest roots
    /// are answered here, inline, without entering the evaluator.
    #[inline]
    pub(crate) fn eval(&self, scope: &Scope<'_>) -> Tri {
        match &self.root {
            BoolNode::AttrEqConst {
                key,
                name,
                value,
                negate,
            } => match scope.attribute(*key, name) {
                Some(v) => Tri::from_bool(same_text(v, value) != *negate),
                None => Tri::Err,
            },
            BoolNode::StatusIs(error) => Tri::from_bool(scope.event().status_error == *error),
            BoolNode::Const(b) => Tri::from_bool(*b),
            root => root.eval(scope),
        }
    }

    /// `(key, key name, value)` when the filter is exactly
    /// `attributes[key] == value`, so a pipeline can test many such filters
    /// on one key with a single lookup.
    pub(crate) fn as_attribute_equality(&self) -> Option<(KeyId, &str, &str)> {
        match &self.root {
            BoolNode::AttrEqConst {
                key,
                name,
                value,
                negate: false,
            } => Some((*key, name, value)),
            _ => None,
        }
    }

    /// True when the filter selects every event (e.g. `true`).
    pub fn is_always_true(&self) -> bool {
        matches!(self.root, BoolNode::Const(true))
    }
}

/// Checks that `src` compiles, for `lodestar check`.
pub fn check_filter(src: &str) -> Result<(), FilterError> {
    Filter::compile(src).map(|_| ())
}

/// Index of an interned attribute key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyId(pub(crate) u32);

/// Attribute keys read by the filters, segments and fields of a pipeline.
#[derive(Debug, Default)]
pub(crate) struct KeyTable {
    keys: Vec<Box<str>>,
}

impl KeyTable {
    /// The id of `key`, adding it on first use. Linear: tables are small and
    /// this only runs at compile time.
    pub(crate) fn intern(&mut self, key: &str) -> KeyId {
        if let Some(i) = self.keys.iter().position(|k| &**k == key) {
            return KeyId(i as u32);
        }
        self.keys.push(key.into());
        KeyId((self.keys.len() - 1) as u32)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// Slot index: the event has no such attribute.
const MISSING: u32 = u32::MAX;

/// The cached lookup of one interned key: `(generation, index)`. A slot
/// whose generation is not the scope's is stale, which spares resetting
/// every slot for every event.
pub(crate) type Slot = Cell<(u32, u32)>;

/// One event under evaluation, with the per-event cache of attribute
/// lookups (one slot per interned key).
pub(crate) struct Scope<'e> {
    event: &'e Event<'e>,
    slots: &'e [Slot],
    generation: u32,
}

impl<'e> Scope<'e> {
    /// `slots` covers every key of the table the filters were compiled
    /// against; `generation` is non-zero and stored in none of them.
    pub(crate) fn new(event: &'e Event<'e>, slots: &'e [Slot], generation: u32) -> Self {
        Scope {
            event,
            slots,
            generation,
        }
    }

    pub(crate) fn event(&self) -> &'e Event<'e> {
        self.event
    }

    /// The value of interned attribute `key` (spelled `name`).
    #[inline]
    pub(crate) fn attribute(&self, key: KeyId, name: &str) -> Option<&'e str> {
        let slot = &self.slots[key.0 as usize];
        let (generation, mut idx) = slot.get();
        if generation != self.generation {
            idx = self
                .event
                .attribute_index(name)
                .map_or(MISSING, |i| i as u32);
            slot.set((self.generation, idx));
        }
        if idx == MISSING {
            None
        } else {
            Some(self.event.attributes[idx as usize].1)
        }
    }
}
