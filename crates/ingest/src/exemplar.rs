//! Exemplars: a few of an SLI's bad events kept whole (trace and span id,
//! time, the attributes that matter) so that a dashboard can go from a
//! burning budget to the traces behind it.
//!
//! The pipeline offers a candidate only for an event that counts against an
//! SLI: a ratio SLI's bad event, or a threshold SLI's value on the wrong side
//! of its per-event objective ([`crate::SliPlan::exemplar_threshold`]). Good
//! events never reach this module. Per SLI and batch at most
//! [`EXEMPLARS_PER_BATCH`] candidates are kept, chosen uniformly among that
//! SLI's bad events in the batch by reservoir sampling (Li's Algorithm L,
//! with a deterministic generator): it draws how many candidates to skip
//! before the next replacement, so a skipped bad event costs a counter
//! comparison, a batch of `n` failures fills about `K·(1 + ln(n/K))`
//! exemplars rather than `n` (a replacement reuses the buffers of the
//! exemplar it overwrites, so only the first `K` allocate), and a long
//! batch (a backfill hour) is sampled across its whole span, not just its
//! first failures.
//!
//! What an exemplar keeps is bounded: at most [`MAX_EXEMPLAR_ATTRIBUTES`]
//! attributes (the SLI's segment dimensions, then a fixed drill-down set),
//! each text cut to [`MAX_EXEMPLAR_TEXT_BYTES`]. This module keeps nothing
//! beyond the current batch (the server owns the long-lived sample) and
//! reads no clock.

use std::sync::Arc;

use crate::event::Event;

/// Exemplars kept per SLI per batch, at most.
pub const EXEMPLARS_PER_BATCH: usize = 8;
/// Attributes kept per exemplar, at most.
pub const MAX_EXEMPLAR_ATTRIBUTES: usize = 16;
/// Longest text kept (attribute values, name, ids), in bytes; longer values
/// are cut at a character boundary and longer attribute keys are skipped.
pub const MAX_EXEMPLAR_TEXT_BYTES: usize = 256;

/// Attributes worth showing beside a failing trace whatever the SLI: where
/// the request went, which build and region served it, which dependency
/// and which customers it touched.
const DRILL_DOWN_KEYS: [&str; 7] = [
    "http.route",
    "service.name",
    "service.version",
    "version",
    "region",
    "peer.service",
    "customer.tier",
];
/// Key prefixes of feature-flag attributes, kept too: flags are a common
/// cause of a burst of failures.
const DRILL_DOWN_PREFIXES: [&str; 2] = ["feature.", "feature_flag."];

/// One bad event of one SLI, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// The SLI it counted against.
    pub sli: Arc<str>,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The event's `trace_id` attribute (lowercase hex from OTLP), if any.
    pub trace_id: Option<String>,
    /// The event's `span_id` attribute, if any.
    pub span_id: Option<String>,
    /// The operation name (`""` when the source had none).
    pub name: String,
    pub duration_ms: Option<f64>,
    /// Threshold SLIs: the field value that missed the objective.
    pub value: Option<f64>,
    /// `status == "error"`.
    pub status_error: bool,
    /// How many events this one stood for.
    pub sample_rate: f64,
    /// The SLI's segment dimensions, then the drill-down keys
    /// (`http.route`, `service.name`, `service.version`, `version`,
    /// `region`, `peer.service`, `customer.tier`, `feature.*`,
    /// `feature_flag.*`) the event carries, each once, in that order.
    pub attributes: Vec<(String, String)>,
}

impl Exemplar {
    /// An exemplar of `sli` with nothing in it yet (allocates nothing).
    fn empty(sli: &Arc<str>) -> Exemplar {
        Exemplar {
            sli: Arc::clone(sli),
            timestamp_ms: 0,
            trace_id: None,
            span_id: None,
            name: String::new(),
            duration_ms: None,
            value: None,
            status_error: false,
            sample_rate: 1.0,
            attributes: Vec::new(),
        }
    }

    /// Overwrites this exemplar with what matters of `ev` (`segment_keys`
    /// are the SLI's dimensions), reusing its buffers: a reservoir
    /// replacement then rarely allocates.
    pub(crate) fn fill<'k>(
        &mut self,
        ev: &Event<'_>,
        value: Option<f64>,
        segment_keys: impl Iterator<Item = &'k str>,
    ) {
        self.timestamp_ms = ev.timestamp_ms;
        set_id(&mut self.trace_id, ev.attribute("trace_id"));
        set_id(&mut self.span_id, ev.attribute("span_id"));
        set_text(&mut self.name, ev.name);
        self.duration_ms = ev.duration_ms;
        self.value = value;
        self.status_error = ev.status_error;
        self.sample_rate = ev.sample_rate;
        let mut kept = 0;
        for key in segment_keys.chain(DRILL_DOWN_KEYS) {
            if let Some(v) = ev.attribute(key) {
                keep_attribute(&mut self.attributes, &mut kept, key, v);
            }
        }
        for (key, _) in ev.attributes {
            if DRILL_DOWN_PREFIXES.iter().any(|p| key.starts_with(p))
                && let Some(v) = ev.attribute(key)
            {
                keep_attribute(&mut self.attributes, &mut kept, key, v);
            }
        }
        self.attributes.truncate(kept);
    }
}

/// Writes `key` as the `*kept`-th attribute unless it is there already or
/// a bound says no.
fn keep_attribute(out: &mut Vec<(String, String)>, kept: &mut usize, key: &str, value: &str) {
    if *kept >= MAX_EXEMPLAR_ATTRIBUTES
        || key.len() > MAX_EXEMPLAR_TEXT_BYTES
        || out[..*kept].iter().any(|(k, _)| k == key)
    {
        return;
    }
    match out.get_mut(*kept) {
        Some((k, v)) => {
            set_text(k, key);
            set_text(v, value);
        }
        None => out.push((key.to_owned(), bounded(value).to_owned())),
    }
    *kept += 1;
}

/// A trace or span id: trimmed, empty meaning none.
fn set_id(out: &mut Option<String>, value: Option<&str>) {
    match (out.as_mut(), value.map(str::trim).filter(|v| !v.is_empty())) {
        (Some(o), Some(v)) => set_text(o, v),
        (None, Some(v)) => *out = Some(bounded(v).to_owned()),
        (_, None) => *out = None,
    }
}

fn set_text(out: &mut String, value: &str) {
    out.clear();
    out.push_str(bounded(value));
}

/// `s` cut to at most `MAX_EXEMPLAR_TEXT_BYTES` at a character boundary.
fn bounded(s: &str) -> &str {
    let mut end = s.len().min(MAX_EXEMPLAR_TEXT_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The exemplars of one batch, sampled per SLI.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSample {
    /// Kept exemplars, in no particular order.
    kept: Vec<Exemplar>,
    /// Per SLI of the bound pipeline: its reservoir's state.
    per_sli: Vec<SliReservoir>,
    /// splitmix64 state: deterministic, so a batch's sample depends only
    /// on its input (and the batches before it).
    rng: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct SliReservoir {
    /// Bad events offered in this batch.
    seen: u64,
    /// The (1-based) offer that replaces a kept exemplar next, once the
    /// reservoir is full.
    next: u64,
    /// Algorithm L's running weight: the largest of K uniform draws.
    w: f64,
    /// Indices into `kept` of this SLI's exemplars (the first
    /// `min(seen, K)` are in use).
    slots: [u32; EXEMPLARS_PER_BATCH],
}

impl ExemplarSample {
    /// Sizes the per-SLI state for a pipeline of `n_slis` SLIs; exemplars
    /// already kept (under another pipeline) stay.
    pub(crate) fn bind(&mut self, n_slis: usize) {
        self.per_sli.clear();
        self.per_sli.resize(n_slis, SliReservoir::default());
    }

    /// Forgets the kept exemplars and restarts every SLI's reservoir.
    pub(crate) fn clear(&mut self) {
        self.kept.clear();
        self.per_sli.fill(SliReservoir::default());
    }

    pub(crate) fn kept(&self) -> &[Exemplar] {
        &self.kept
    }

    /// Takes the kept exemplars; later offers start new reservoirs.
    pub(crate) fn take(&mut self) -> Vec<Exemplar> {
        self.per_sli.fill(SliReservoir::default());
        std::mem::take(&mut self.kept)
    }

    /// Offers the next bad event of the `sli`-th SLI (called `name`): the
    /// exemplar to overwrite with it (see [`Exemplar::fill`]) when it is
    /// kept, `None` when it is passed over.
    pub(crate) fn slot(&mut self, sli: usize, name: &Arc<str>) -> Option<&mut Exemplar> {
        const K: u64 = EXEMPLARS_PER_BATCH as u64;
        let r = self.per_sli.get_mut(sli)?;
        r.seen += 1;
        if r.seen <= K {
            r.slots[r.seen as usize - 1] = self.kept.len() as u32;
            if r.seen == K {
                r.w = (unit(&mut self.rng).ln() / K as f64).exp();
                r.next = K.saturating_add(gap(r.w, &mut self.rng));
            }
            self.kept.push(Exemplar::empty(name));
            return self.kept.last_mut();
        }
        if r.seen != r.next {
            return None;
        }
        let j = (u128::from(splitmix64(&mut self.rng)) * u128::from(K)) >> 64;
        let slot = r.slots[j as usize] as usize;
        r.w *= (unit(&mut self.rng).ln() / K as f64).exp();
        r.next = r.next.saturating_add(gap(r.w, &mut self.rng));
        self.kept.get_mut(slot)
    }
}

/// How far Algorithm L moves to the next replacement: one plus a
/// geometric number of skipped candidates (success probability `w`).
/// Saturates when `w` underflows to 0.
fn gap(w: f64, rng: &mut u64) -> u64 {
    ((unit(rng).ln() / (-w).ln_1p()).floor() as u64).saturating_add(1)
}

/// Uniform in (0, 1), never 0 (whose logarithm is infinite) nor 1.
fn unit(rng: &mut u64) -> f64 {
    ((splitmix64(rng) >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
