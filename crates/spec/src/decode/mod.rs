//! Decoding: one YAML object tree into a draft of one spec object, checking
//! every rule that can be checked inside that object alone.
//!
//! Rules that need other objects (references, duplicate names, whether an
//! objective's `op` is allowed, which depends on the SLI it points at) are
//! left to `resolve`; the drafts keep the locations those checks report at.
//! Decoders keep going after a problem so one run reports them all; a
//! decoder returns `None` only when it cannot build its value. Nothing here
//! reads files or looks across objects.

mod alert;
mod annotations;
mod correction;
mod journey;
mod leaf_kinds;
pub(crate) mod lodestar;
mod names;
mod policy;
mod sli;
mod slo;

use crate::diagnostic::{self, Location, Sink, key_path};
use crate::duration::DurationShorthand;
use crate::model::{
    AlertCondition, AlertNotificationTarget, BudgetPolicy, Correction, DataSource, Journey,
    Metadata, Op, Service,
};
use crate::tree::{Entry, Node, Plain, Pos, Style, Value, classify};

pub(crate) use annotations::Scope;
pub(crate) use sli::{IndicatorDraft, MetricSourceDraft, Role, SliDraft, SliSpecDraft};
pub(crate) use slo::{ObjectiveDraft, SloDraft};

/// The kinds of object a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Service,
    Slo,
    Sli,
    DataSource,
    AlertPolicy,
    AlertCondition,
    AlertNotificationTarget,
    Journey,
    Correction,
    BudgetPolicy,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::Slo => "SLO",
            Kind::Sli => "SLI",
            Kind::DataSource => "DataSource",
            Kind::AlertPolicy => "AlertPolicy",
            Kind::AlertCondition => "AlertCondition",
            Kind::AlertNotificationTarget => "AlertNotificationTarget",
            Kind::Journey => "Journey",
            Kind::Correction => "Correction",
            Kind::BudgetPolicy => "BudgetPolicy",
        }
    }
}

pub(crate) const OPENSLO_V1: &str = "openslo/v1";
pub(crate) const LODESTAR_V1: &str = "lodestar.dev/v1";
const OPENSLO_KINDS: &[Kind] = &[
    Kind::Service,
    Kind::Slo,
    Kind::Sli,
    Kind::DataSource,
    Kind::AlertPolicy,
    Kind::AlertCondition,
    Kind::AlertNotificationTarget,
];
const LODESTAR_KINDS: &[Kind] = &[Kind::Journey, Kind::Correction, Kind::BudgetPolicy];

/// A reference by name to another object, and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefDraft {
    pub(crate) name: String,
    pub(crate) loc: Location,
}

/// Either an object written in place or a reference to one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InlineOrRef<T> {
    Inline(T),
    Ref(RefDraft),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertPolicyDraft {
    pub(crate) metadata: Metadata,
    pub(crate) description: Option<String>,
    pub(crate) alert_when_no_data: bool,
    pub(crate) alert_when_resolved: bool,
    pub(crate) alert_when_breaching: bool,
    pub(crate) conditions: Vec<InlineOrRef<AlertCondition>>,
    pub(crate) notification_targets: Vec<InlineOrRef<AlertNotificationTarget>>,
    pub(crate) location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JourneyDraft {
    pub(crate) journey: Journey,
    /// Every SLO name the journey mentions, where it is written.
    pub(crate) slo_refs: Vec<RefDraft>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CorrectionDraft {
    pub(crate) correction: Correction,
    /// Every SLO name it mentions (also in `Doc::refs`).
    pub(crate) slo_refs: Vec<RefDraft>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BudgetPolicyDraft {
    pub(crate) policy: BudgetPolicy,
    /// Every SLO and journey name in `appliesTo` (also in `Doc::refs`).
    pub(crate) object_refs: Vec<(Kind, RefDraft)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Draft {
    Service(Service),
    DataSource(DataSource),
    Sli(Box<SliDraft>),
    Slo(Box<SloDraft>),
    AlertPolicy(AlertPolicyDraft),
    AlertCondition(AlertCondition),
    AlertNotificationTarget(AlertNotificationTarget),
    Journey(JourneyDraft),
    Correction(Box<CorrectionDraft>),
    BudgetPolicy(Box<BudgetPolicyDraft>),
}

/// One top-level object: its identity even when the rest failed to decode,
/// so references to it do not also report "not found".
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Object {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) name_loc: Location,
    pub(crate) draft: Option<Draft>,
}

/// Decoding state for one file: its name, the shared sink, and every
/// reference written so far (checked for existence by `resolve`, even in
/// objects that failed to decode).
pub(crate) struct Doc<'a> {
    pub(crate) file: &'a str,
    pub(crate) sink: &'a mut Sink,
    pub(crate) refs: &'a mut Vec<(Kind, RefDraft)>,
}

impl Doc<'_> {
    pub(crate) fn loc(&self, pos: Pos, path: &str) -> Location {
        Location {
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
        }
    }

    pub(crate) fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        let at = self.loc(pos, path);
        self.sink.error(&at, message);
    }

    pub(crate) fn warning(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        let at = self.loc(pos, path);
        self.sink.warning(&at, message);
    }

    pub(crate) fn strict_error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        let at = self.loc(pos, path);
        self.sink.strict_error(&at, message);
    }

    pub(crate) fn lenient(&self) -> bool {
        self.sink.lenient()
    }

    /// A string: quoted, a block, or plain text that YAML does not read as
    /// null, a boolean or a number (as the go-sdk, which decodes through
    /// JSON, would reject those too).
    pub(crate) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, style }
                if *style != Style::Plain || classify(text) == Plain::Str =>
            {
                Some(text.clone())
            }
            Value::Scalar { text, .. } if !node.is_null() => {
                self.error(
                    node.pos,
                    path,
                    format!(
                        "expected a string, got {} (quote it: \"{text}\")",
                        node.describe()
                    ),
                );
                None
            }
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected a string, got {}", node.describe()),
                );
                None
            }
        }
    }

    /// The text of any scalar but null, for values with their own syntax
    /// (durations) whose parse error says more than "expected a string".
    fn scalar_text(&mut self, node: &Node, path: &str, expected: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } if !node.is_null() => Some(text.clone()),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected {expected}, got {}", node.describe()),
                );
                None
            }
        }
    }

    /// A string that must not be empty or blank.
    pub(crate) fn non_empty_string(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.error(node.pos, path, "expected a non-empty string");
            return None;
        }
        Some(s)
    }

    /// A description: a string of at most 1050 characters (go-sdk limit).
    pub(crate) fn description(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        let n = s.chars().count();
        if n > 1050 {
            self.error(
                node.pos,
                path,
                format!("expected at most 1050 characters, got {n}"),
            );
        }
        Some(s)
    }

    pub(crate) fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        if let Value::Scalar {
            text,
            style: Style::Plain,
        } = &node.value
            && let Plain::Bool(b) = classify(text)
        {
            return Some(b);
        }
        self.error(
            node.pos,
            path,
            format!("expected true or false, got {}", node.describe()),
        );
        None
    }

    /// A finite number, with the text it was written as.
    pub(crate) fn number(&mut self, node: &Node, path: &str) -> Option<(f64, String)> {
        if let Value::Scalar {
            text,
            style: Style::Plain,
        } = &node.value
        {
            match classify(text) {
                Plain::Int(i) => return Some((i as f64, text.clone())),
                Plain::Float(f) if f.is_finite() => return Some((f, text.clone())),
                _ => {}
            }
        }
        self.error(
            node.pos,
            path,
            format!("expected a number, got {}", node.describe()),
        );
        None
    }

    pub(crate) fn positive_int(&mut self, node: &Node, path: &str) -> Option<u32> {
        if let Value::Scalar {
            text,
            style: Style::Plain,
        } = &node.value
            && let Plain::Int(i) = classify(text)
            && let Ok(v) = u32::try_from(i)
            && v > 0
        {
            return Some(v);
        }
        self.error(
            node.pos,
            path,
            format!("expected a positive integer, got {}", node.describe()),
        );
        None
    }

    pub(crate) fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected a list, got {}", node.describe()),
                );
                None
            }
        }
    }

    pub(crate) fn duration(&mut self, node: &Node, path: &str) -> Option<DurationShorthand> {
        let s = self.scalar_text(node, path, "a duration like 5m, 1h, 28d, 4w, 1M, 1Q or 1Y")?;
        match DurationShorthand::parse(&s) {
            Ok(d) => Some(d),
            Err(message) => {
                self.error(node.pos, path, message);
                None
            }
        }
    }

    /// A duration of fixed length (m, h, d, w): burn-rate windows and time
    /// slices are computed in minutes.
    pub(crate) fn fixed_duration(&mut self, node: &Node, path: &str) -> Option<DurationShorthand> {
        let d = self.duration(node, path)?;
        if d.minutes().is_none() {
            self.error(
                node.pos,
                path,
                format!("expected a fixed-length duration (unit m, h, d or w), got \"{d}\""),
            );
            return None;
        }
        Some(d)
    }

    pub(crate) fn op(&mut self, node: &Node, path: &str) -> Option<Op> {
        let s = self.string(node, path)?;
        let op = match s.as_str() {
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            _ => {
                self.error(
                    node.pos,
                    path,
                    format!("expected one of lt, lte, gt, gte, got {s:?}"),
                );
                return None;
            }
        };
        Some(op)
    }

    /// An RFC 1123 object name (see `names`), upper case forgiven in
    /// lenient mode. An invalid name is reported but still returned, so
    /// checking goes on (the error alone keeps the set from loading).
    pub(crate) fn name(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        names::check_name(self, node.pos, path, &s);
        Some(s)
    }

    /// A reference by name to an object of `kind`.
    pub(crate) fn reference(&mut self, node: &Node, path: &str, kind: Kind) -> Option<RefDraft> {
        let name = self.name(node, path)?;
        let r = RefDraft {
            name,
            loc: self.loc(node.pos, path),
        };
        self.refs.push((kind, r.clone()));
        Some(r)
    }

    /// A list of names, each checked as a name and recorded as a
    /// reference to an object of `kind`. Every item is checked before
    /// `None`; a name listed twice is a warning.
    pub(crate) fn name_list(
        &mut self,
        node: &Node,
        path: &str,
        kind: Kind,
    ) -> Option<Vec<RefDraft>> {
        let items = self.list(node, path)?;
        let mut out: Vec<RefDraft> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = diagnostic::index_path(path, i);
            match self.reference(item, &p, kind) {
                Some(r) if out.iter().any(|o| o.name == r.name) => {
                    self.warning(item.pos, &p, format!("{:?} is listed twice", r.name));
                }
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A wall-clock date and time written `YYYY-MM-DD hh:mm:ss`.
    pub(crate) fn civil_date_time(
        &mut self,
        node: &Node,
        path: &str,
    ) -> Option<jiff::civil::DateTime> {
        let text = self.string(node, path)?;
        let parsed = slo::parse_date_time(&text);
        if parsed.is_none() {
            self.error(
                node.pos,
                path,
                format!("expected a date and time as \"YYYY-MM-DD hh:mm:ss\", got {text:?}"),
            );
        }
        parsed
    }

    /// An IANA time zone name, returned in canonical form.
    pub(crate) fn time_zone(&mut self, node: &Node, path: &str) -> Option<String> {
        let name = self.string(node, path)?;
        let canonical = slo::time_zone(&name);
        if canonical.is_none() {
            self.error(
                node.pos,
                path,
                format!(
                    "unknown time zone {name:?}; expected an IANA time zone name like \"Europe/Berlin\""
                ),
            );
        }
        canonical
    }

    /// A number `x` with `accept(x)`; otherwise reports `expected` and the
    /// text as written.
    pub(crate) fn number_where(
        &mut self,
        node: &Node,
        path: &str,
        accept: impl Fn(f64) -> bool,
        expected: &str,
    ) -> Option<f64> {
        let (x, text) = self.number(node, path)?;
        if !accept(x) {
            self.error(node.pos, path, format!("expected {expected}, got {text}"));
            return None;
        }
        Some(x)
    }
}

/// The entries of one mapping, read field by field. Fields read are
/// "known"; whatever is left at [`Fields::finish`] is an unknown property.
pub(crate) struct Fields<'n> {
    entries: &'n [Entry],
    used: Vec<bool>,
    known: Vec<&'static str>,
    /// Where problems about missing properties point.
    pub(crate) pos: Pos,
    /// Path of the mapping itself.
    pub(crate) path: String,
}

impl<'n> Fields<'n> {
    /// Starts reading `node`, which must be a mapping. `anchor` is where a
    /// missing property is reported (the key holding the mapping, if any).
    pub(crate) fn of(
        doc: &mut Doc<'_>,
        node: &'n Node,
        path: &str,
        anchor: Pos,
    ) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => Some(Fields {
                entries,
                used: vec![false; entries.len()],
                known: Vec::new(),
                pos: anchor,
                path: path.to_string(),
            }),
            _ => {
                doc.error(
                    node.pos,
                    path,
                    format!("expected an object, got {}", node.describe()),
                );
                None
            }
        }
    }

    /// Reads mapping entry `e` (the anchor is its key).
    pub(crate) fn of_entry(doc: &mut Doc<'_>, e: &'n Entry, path: &str) -> Option<Fields<'n>> {
        Fields::of(doc, &e.value, path, e.key_pos)
    }

    /// The entry for `key`, if present and not null; marks it known.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'n Entry> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        let e = &self.entries[i];
        (!e.value.is_null()).then_some(e)
    }

    /// Like [`Fields::get`] but reports a missing (or null) property.
    pub(crate) fn required(&mut self, doc: &mut Doc<'_>, key: &'static str) -> Option<&'n Entry> {
        let e = self.get(key);
        if e.is_none() {
            self.missing(doc, key, "property is required");
        }
        e
    }

    /// Reports `message` about the absent property `key`.
    pub(crate) fn missing(&self, doc: &mut Doc<'_>, key: &str, message: &str) {
        doc.error(self.pos, &self.child(key), message);
    }

    pub(crate) fn child(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// Where `key` is written, if present and not null.
    pub(crate) fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries
            .iter()
            .find(|e| e.key == key && !e.value.is_null())
            .map(|e| e.key_pos)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.key == key && !e.value.is_null())
    }

    /// Reports every entry no reader asked for.
    pub(crate) fn finish(self, doc: &mut Doc<'_>) {
        let expected = self.known.join(", ");
        for (e, used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let path = key_path(&self.path, &e.key);
            if doc.lenient() {
                doc.warning(
                    e.key_pos,
                    &path,
                    format!("unknown property ignored; expected one of {expected}"),
                );
            } else {
                doc.error(
                    e.key_pos,
                    &path,
                    format!("unknown property; expected one of {expected}"),
                );
            }
        }
    }
}

/// Decodes every object of one document: a mapping is one object, a list
/// holds several, an empty document none.
pub(crate) fn decode_document(doc: &mut Doc<'_>, root: &Node, out: &mut Vec<Object>) {
    match &root.value {
        Value::Map(_) => out.extend(decode_object(doc, root)),
        Value::Seq(items) => {
            for item in items {
                match &item.value {
                    Value::Map(_) => out.extend(decode_object(doc, item)),
                    _ => doc.error(
                        item.pos,
                        "",
                        format!(
                            "expected an object with apiVersion and kind, got {}",
                            item.describe()
                        ),
                    ),
                }
            }
        }
        Value::Scalar { .. } if root.is_null() => {}
        Value::Scalar { .. } => doc.error(
            root.pos,
            "",
            format!(
                "expected an object with apiVersion and kind (or a list of them), got {}",
                root.describe()
            ),
        ),
    }
}

fn accepted() -> String {
    let list = |kinds: &[Kind]| {
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{OPENSLO_V1} (kinds {}) or {LODESTAR_V1} (kinds {})",
        list(OPENSLO_KINDS),
        list(LODESTAR_KINDS)
    )
}

fn decode_object(doc: &mut Doc<'_>, node: &Node) -> Option<Object> {
    let mut f = Fields::of(doc, node, "", node.pos)?;
    let api = f.get("apiVersion");
    let kind = f.get("kind");
    let (Some(api), Some(kind_entry)) = (api, kind) else {
        if api.is_none() {
            f.missing(
                doc,
                "apiVersion",
                &format!("property is required; expected {}", accepted()),
            );
        }
        if kind.is_none() {
            f.missing(
                doc,
                "kind",
                &format!("property is required; expected {}", accepted()),
            );
        }
        return None;
    };
    let api_version = doc.string(&api.value, "apiVersion")?;
    let kind_name = doc.string(&kind_entry.value, "kind")?;
    let kinds = match api_version.as_str() {
        OPENSLO_V1 => OPENSLO_KINDS,
        LODESTAR_V1 => LODESTAR_KINDS,
        _ => {
            doc.error(
                api.value.pos,
                "apiVersion",
                format!(
                    "unsupported apiVersion {api_version:?}; expected {}",
                    accepted()
                ),
            );
            return None;
        }
    };
    let Some(kind) = kinds.iter().copied().find(|k| k.as_str() == kind_name) else {
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        doc.error(
            kind_entry.value.pos,
            "kind",
            format!(
                "unsupported kind {kind_name:?} for apiVersion {api_version}; expected one of {}",
                names.join(", ")
            ),
        );
        return None;
    };
    decode_kind(doc, kind, f, node.pos)
}

/// Decodes `metadata` and `spec` of an object whose kind is known; also
/// used for objects written inline (without `apiVersion`).
pub(crate) fn decode_kind(
    doc: &mut Doc<'_>,
    kind: Kind,
    mut f: Fields<'_>,
    pos: Pos,
) -> Option<Object> {
    let location = doc.loc(pos, &f.path);
    let scope = match kind {
        Kind::Slo => Scope::Slo,
        Kind::Sli => Scope::Sli,
        _ => Scope::None,
    };
    let meta = f
        .required(doc, "metadata")
        .and_then(|e| decode_metadata(doc, e, &f.child("metadata"), scope));
    let spec_entry = if kind == Kind::Service {
        f.get("spec")
    } else {
        f.required(doc, "spec")
    };
    let spec_path = f.child("spec");
    let draft = match kind {
        Kind::Service => {
            let description = match spec_entry {
                Some(e) => leaf_kinds::service_spec(doc, e, &spec_path),
                None => Some(None),
            };
            meta.as_ref().zip(description).map(|(m, description)| {
                Draft::Service(Service {
                    metadata: m.metadata.clone(),
                    description,
                    location: location.clone(),
                })
            })
        }
        Kind::DataSource => {
            let spec = spec_entry.and_then(|e| leaf_kinds::data_source_spec(doc, e, &spec_path));
            meta.as_ref()
                .zip(spec)
                .map(|(m, (description, source_type, connection_details))| {
                    Draft::DataSource(DataSource {
                        metadata: m.metadata.clone(),
                        description,
                        source_type,
                        connection_details,
                        location: location.clone(),
                    })
                })
        }
        Kind::Sli => {
            let spec = spec_entry.and_then(|e| sli::sli_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, (description, spec))| {
                Draft::Sli(Box::new(SliDraft {
                    metadata: m.metadata.clone(),
                    description,
                    spec,
                    documentation: m.documentation.clone(),
                    location: location.clone(),
                }))
            })
        }
        Kind::Slo => {
            let spec = spec_entry.and_then(|e| slo::slo_spec(doc, e, &spec_path));
            meta.as_ref()
                .zip(spec)
                .map(|(m, spec)| Draft::Slo(Box::new(spec.into_draft(m, location.clone()))))
        }
        Kind::AlertPolicy => {
            let spec = spec_entry.and_then(|e| alert::alert_policy_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, spec)| {
                Draft::AlertPolicy(spec.into_draft(m.metadata.clone(), location.clone()))
            })
        }
        Kind::AlertCondition => {
            let spec = spec_entry.and_then(|e| alert::alert_condition_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, spec)| {
                Draft::AlertCondition(spec.into_condition(m.metadata.clone(), location.clone()))
            })
        }
        Kind::AlertNotificationTarget => {
            let spec = spec_entry.and_then(|e| alert::notification_target_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, (description, target))| {
                Draft::AlertNotificationTarget(AlertNotificationTarget {
                    metadata: m.metadata.clone(),
                    description,
                    target,
                    location: location.clone(),
                })
            })
        }
        Kind::Journey => {
            let spec = spec_entry.and_then(|e| journey::journey_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, spec)| {
                Draft::Journey(spec.into_draft(m.metadata.clone(), location.clone()))
            })
        }
        Kind::Correction => {
            let spec = spec_entry.and_then(|e| correction::correction_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, spec)| {
                Draft::Correction(Box::new(
                    spec.into_draft(m.metadata.clone(), location.clone()),
                ))
            })
        }
        Kind::BudgetPolicy => {
            let spec = spec_entry.and_then(|e| policy::budget_policy_spec(doc, e, &spec_path));
            meta.as_ref().zip(spec).map(|(m, spec)| {
                Draft::BudgetPolicy(Box::new(
                    spec.into_draft(m.metadata.clone(), location.clone()),
                ))
            })
        }
    };
    let owner_path = key_path(
        &key_path(&f.child("metadata"), "annotations"),
        annotations::OWNER,
    );
    f.finish(doc);
    let meta = meta?;
    if kind == Kind::Slo && !meta.owner_given {
        doc.warning(
            meta.pos,
            &owner_path,
            "SLO has no owner; set this annotation to the owning team",
        );
    }
    Some(Object {
        kind,
        name: meta.metadata.name.clone(),
        name_loc: meta.name_loc,
        draft,
    })
}

/// Decoded metadata plus what the `lodestar.dev/*` annotations said.
#[derive(Debug, Clone)]
pub(crate) struct MetaOut {
    pub(crate) metadata: Metadata,
    pub(crate) name_loc: Location,
    pub(crate) ownership: crate::model::Ownership,
    pub(crate) documentation: crate::model::SliDocumentation,
    /// An owner annotation was present (even if malformed), so "no owner"
    /// is not reported twice.
    pub(crate) owner_given: bool,
    /// The `metadata` key, where object-level annotation advice points.
    pub(crate) pos: Pos,
}

pub(crate) fn decode_metadata(
    doc: &mut Doc<'_>,
    e: &Entry,
    path: &str,
    scope: Scope,
) -> Option<MetaOut> {
    let mut f = Fields::of_entry(doc, e, path)?;
    let name_entry = f.required(doc, "name");
    let name = name_entry.and_then(|n| doc.name(&n.value, &f.child("name")));
    let display_name = f.get("displayName").and_then(|d| {
        let p = f.child("displayName");
        let s = doc.string(&d.value, &p)?;
        let n = s.chars().count();
        if n > 63 {
            doc.error(
                d.value.pos,
                &p,
                format!("expected at most 63 characters, got {n}"),
            );
        }
        Some(s)
    });
    let labels = match f.get("labels") {
        Some(l) => names::labels(doc, l, &f.child("labels")),
        None => Default::default(),
    };
    let (annotations, lodestar) = match f.get("annotations") {
        Some(a) => annotations::annotations(doc, a, &f.child("annotations"), scope),
        None => Default::default(),
    };
    f.finish(doc);
    let name = name?;
    let name_entry = name_entry?;
    Some(MetaOut {
        metadata: Metadata {
            name,
            display_name,
            labels,
            annotations,
        },
        name_loc: doc.loc(name_entry.value.pos, &key_path(path, "name")),
        ownership: lodestar.ownership,
        documentation: lodestar.documentation,
        owner_given: lodestar.owner_given,
        pos: e.key_pos,
    })
}

/// `node` as JSON, typing plain scalars by the YAML core schema; numbers
/// JSON cannot hold (NaN, infinities) stay strings.
pub(crate) fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Scalar {
            text,
            style: Style::Plain,
        } => match classify(text) {
            Plain::Null => J::Null,
            Plain::Bool(b) => J::Bool(b),
            Plain::Int(i) => J::from(i),
            Plain::Float(f) => {
                serde_json::Number::from_f64(f).map_or_else(|| J::String(text.clone()), J::Number)
            }
            Plain::Str => J::String(text.clone()),
        },
        Value::Scalar { text, .. } => J::String(text.clone()),
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}
