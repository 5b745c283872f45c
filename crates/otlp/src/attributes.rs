//! The attribute list of the events being built, shared by both formats.
//!
//! Keys and string values are borrowed from the request; every other value
//! (ints, doubles, bools, bytes, arrays, key-value lists) is rendered into
//! one scratch `String` and referred to by range, because the scratch grows
//! while a span's attributes are collected and so cannot be borrowed yet.
//! Only once a span is complete is the list turned into the `(&str, &str)`
//! slice an [`ingest::Event`] borrows ([`Attrs::fill_view`]).
//!
//! The list is a stack: resource attributes at the bottom, then the scope's,
//! then the span's; [`Attrs::mark`] and [`Attrs::reset`] pop back to the
//! scope level between spans, so a request costs no allocation once the
//! buffers have grown. This module must not know about OTLP messages.

#[cfg(test)]
mod tests;

use std::ops::Range;

/// An attribute value: borrowed text, or a range of the scratch buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val<'a> {
    Text(&'a str),
    Scratch(Range<usize>),
}

/// A level of the stack to come back to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    pairs: usize,
    scratch: usize,
}

/// Attribute pairs under construction.
#[derive(Debug)]
pub(crate) struct Attrs<'a> {
    pairs: Vec<(&'a str, Val<'a>)>,
    scratch: String,
}

/// The pair vector with its borrows forgotten, so that a decoder can keep
/// its capacity between requests.
pub(crate) type StoredPairs = Vec<(&'static str, Val<'static>)>;

/// An empty vector of another lifetime on the same allocation: collecting
/// an emptied `into_iter` in place keeps the buffer (the element layouts are
/// the same), so the decoders reuse their vectors without `unsafe`.
pub(crate) fn recycle<'x, 'y, T: 'x, U: 'y>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl<'a> Attrs<'a> {
    /// A list over recycled buffers (both are cleared).
    pub(crate) fn new(pairs: StoredPairs, mut scratch: String) -> Self {
        scratch.clear();
        Attrs {
            pairs: recycle(pairs),
            scratch,
        }
    }

    /// The buffers back, for the next request.
    pub(crate) fn into_parts(self) -> (StoredPairs, String) {
        (recycle(self.pairs), self.scratch)
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            pairs: self.pairs.len(),
            scratch: self.scratch.len(),
        }
    }

    pub(crate) fn reset(&mut self, to: Mark) {
        self.pairs.truncate(to.pairs);
        self.scratch.truncate(to.scratch);
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    #[inline]
    pub(crate) fn push(&mut self, key: &'a str, value: Val<'a>) {
        self.pairs.push((key, value));
    }

    #[inline]
    pub(crate) fn push_text(&mut self, key: &'a str, value: &'a str) {
        self.pairs.push((key, Val::Text(value)));
    }

    /// Where the next rendered value starts; render into
    /// [`scratch`](Self::scratch), then call [`push_rendered`](Self::push_rendered).
    #[inline]
    pub(crate) fn scratch(&mut self) -> &mut String {
        &mut self.scratch
    }

    /// Pushes `key` with everything rendered into the scratch since `start`.
    #[inline]
    pub(crate) fn push_rendered(&mut self, key: &'a str, start: usize) {
        let end = self.scratch.len();
        self.pairs.push((key, Val::Scratch(start..end)));
    }

    /// The text of a value pushed earlier.
    #[inline]
    pub(crate) fn text<'s>(&'s self, value: &'s Val<'a>) -> &'s str {
        match value {
            Val::Text(s) => s,
            // Ranges come from `push_rendered` and the scratch is truncated
            // only together with the pairs that point into it.
            Val::Scratch(r) => self.scratch.get(r.clone()).unwrap_or(""),
        }
    }

    /// The value of the last pair with this key among pairs `from..`.
    pub(crate) fn last_value(&self, key: &str, from: usize) -> Option<Val<'a>> {
        self.pairs
            .get(from..)?
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    /// The pairs from index `from` on, as text.
    pub(crate) fn pairs_from(&self, from: usize) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (*k, self.text(v)))
    }

    /// The event's attribute slice: `out` is cleared and refilled.
    #[inline]
    pub(crate) fn fill_view<'v>(&'v self, out: &mut Vec<(&'v str, &'v str)>) {
        out.clear();
        out.extend(self.pairs.iter().map(|(k, v)| (*k, self.text(v))));
    }
}
