//! The validated, reference-resolved spec objects handed to the rest of
//! Lodestar.
//!
//! Values of these types only come out of a load that produced no errors,
//! so consumers can rely on the documented invariants (names are unique per
//! kind, references resolved, defaults filled in, targets are fractions).
//! This module holds data and tiny pure helpers only: no parsing, no
//! validation, no IO.

use std::collections::BTreeMap;

use crate::diagnostic::Location;
use crate::duration::DurationShorthand;

/// Every object of every file loaded together, in file order, then position.
///
/// Only top-level objects are listed; objects written inline (an SLI inside
/// an SLO, an AlertCondition inside an AlertPolicy) live inside their parent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpecSet {
    /// Services (`kind: Service`).
    pub services: Vec<Service>,
    /// SLOs, with indicators and alert policies resolved.
    pub slos: Vec<Slo>,
    /// Standalone SLIs (`kind: SLI`); inline ones live in their SLO.
    pub slis: Vec<Sli>,
    /// DataSources.
    pub data_sources: Vec<DataSource>,
    /// Standalone AlertPolicies, conditions and targets resolved.
    pub alert_policies: Vec<AlertPolicy>,
    /// Standalone AlertConditions.
    pub alert_conditions: Vec<AlertCondition>,
    /// Standalone AlertNotificationTargets.
    pub alert_notification_targets: Vec<AlertNotificationTarget>,
    /// Journeys (`lodestar.dev/v1`), SLO names resolved.
    pub journeys: Vec<Journey>,
    /// Corrections (`lodestar.dev/v1`): excluded periods, names resolved.
    pub corrections: Vec<Correction>,
    /// Budget policies (`lodestar.dev/v1`), scope names resolved.
    pub budget_policies: Vec<BudgetPolicy>,
}

impl SpecSet {
    /// The SLO called `name`.
    pub fn slo(&self, name: &str) -> Option<&Slo> {
        self.slos.iter().find(|s| s.metadata.name == name)
    }

    /// The corrections that apply to `slo`, in file order.
    pub fn corrections_for<'a>(&'a self, slo: &'a Slo) -> impl Iterator<Item = &'a Correction> {
        self.corrections.iter().filter(move |c| c.applies_to(slo))
    }

    /// The budget policies that apply to `slo`, in file order.
    pub fn budget_policies_for<'a>(
        &'a self,
        slo: &'a Slo,
    ) -> impl Iterator<Item = &'a BudgetPolicy> {
        self.budget_policies
            .iter()
            .filter(move |p| p.applies_to(slo, &self.journeys))
    }
}

/// The metadata every object carries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    /// RFC 1123 name, unique per kind across all loaded files.
    pub name: String,
    /// Human-readable name, at most 63 characters.
    pub display_name: Option<String>,
    /// Labels; a single string value becomes a one-element list.
    pub labels: BTreeMap<String, Vec<String>>,
    /// All annotations, including the `lodestar.dev/*` ones (also parsed
    /// into [`Ownership`] and [`SliDocumentation`]).
    pub annotations: BTreeMap<String, String>,
}

/// `kind: Service`.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// `kind: DataSource`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// `spec.type`, e.g. `Prometheus` or `lodestar`.
    pub source_type: String,
    /// Free-form connection settings, as JSON.
    pub connection_details: serde_json::Value,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// `kind: SLO`.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// The service this SLO belongs to (`spec.service`).
    pub service: String,
    /// The SLI, from `indicator` or resolved from `indicatorRef`; `None`
    /// only for composite SLOs, whose objectives carry their own.
    pub indicator: Option<Sli>,
    /// How the error budget is counted.
    pub budgeting_method: BudgetingMethod,
    /// The one time window.
    pub time_window: TimeWindow,
    /// At least one.
    pub objectives: Vec<Objective>,
    /// Inline policies and resolved `alertPolicyRef`s, in spec order.
    pub alert_policies: Vec<AlertPolicy>,
    /// From the `lodestar.dev/*` annotations.
    pub ownership: Ownership,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

impl Slo {
    /// True when the objectives carry the indicators.
    pub fn is_composite(&self) -> bool {
        self.indicator.is_none()
    }
}

/// One objective of an SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// `name` if given, else a slug of `displayName`, else `objective-{i}`;
    /// unique within the SLO.
    pub name: String,
    /// `displayName`, if given.
    pub display_name: Option<String>,
    /// Set for threshold indicators, `None` for ratio indicators.
    pub op: Option<Op>,
    /// Set for threshold indicators, `None` for ratio indicators.
    pub value: Option<f64>,
    /// Target as a fraction in [0, 1) (`targetPercent` divided by 100).
    pub target: f64,
    /// In (0, 1]; set iff the budgeting method is Timeslices.
    pub time_slice_target: Option<f64>,
    /// Set iff the budgeting method is Timeslices or RatioTimeslices; always
    /// a fixed-length duration (m, h, d, w).
    pub time_slice_window: Option<DurationShorthand>,
    /// The objective's own SLI; composite SLOs only.
    pub indicator: Option<Sli>,
    /// Weight in a composite SLO, > 0, default 1.
    pub composite_weight: f64,
}

/// `kind: SLI`, or an SLI written inline in an SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Sli {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// What the SLI measures.
    pub spec: SliSpec,
    /// Why / how / acceptable variation; inside an SLO, fields missing on
    /// the SLI are taken from the SLO's annotations.
    pub documentation: SliDocumentation,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// What an SLI measures.
// Boxing would change the public shape others match on; these are built
// once per load, so the size difference costs nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SliSpec {
    /// `ratioMetric` with `total` and exactly one of `good` / `bad`.
    Ratio {
        counter: bool,
        good: Option<MetricSource>,
        bad: Option<MetricSource>,
        total: MetricSource,
    },
    /// `ratioMetric` with a precomputed `raw` ratio.
    RatioRaw {
        counter: bool,
        raw_type: RawType,
        raw: MetricSource,
    },
    /// `thresholdMetric`.
    Threshold { metric_source: MetricSource },
}

/// What a raw ratio counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawType {
    /// good / total
    Success,
    /// bad / total
    Failure,
}

/// A `metricSource`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSource {
    /// The DataSource it refers to, if any.
    pub metric_source_ref: Option<String>,
    /// `type`, or the referenced DataSource's type when only a ref is given.
    pub source_type: String,
    /// The free-form `spec`, as JSON.
    pub spec: serde_json::Value,
    /// The validated query when `source_type` is `lodestar`.
    pub lodestar: Option<LodestarQuery>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// The `spec` of a `type: lodestar` metric source: which of Lodestar's own
/// events (or metric series: counters, gauges) count, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct LodestarQuery {
    /// A CEL expression over the event; checked by the ingest crate. Empty
    /// when `metric` is set.
    pub filter: String,
    /// A Prometheus series selector of metric series (remote write, OTLP
    /// metrics), e.g. `http_requests_total{code!~"5.."}`; checked by the
    /// ingest crate. `None` for event sources. In a ratio it selects
    /// counters, and good/bad and total all use `filter` or all use
    /// `metric`; in a threshold SLI every sample of a selected series is one
    /// observed value (gauges), and `field` is not allowed.
    pub metric: Option<String>,
    /// Where the filter's (or metric's) value starts, for error messages.
    pub filter_location: Location,
    /// The measured field of threshold SLIs: `duration_ms` (default) or an
    /// attribute name. Ratio and `metric` sources keep the default.
    pub field: String,
    /// How threshold values are summarised (default p95). Ratio sources
    /// count events and carry [`Aggregate::Count`].
    pub aggregate: Aggregate,
    /// Attribute keys (label names for `metric` sources) to break the SLI
    /// down by; only on threshold sources and on a ratio's `total`.
    pub segments: Vec<String>,
    /// Values kept per segment dimension before folding into `other`
    /// (default 50).
    pub max_segments: u32,
}

/// Summary of threshold values.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// A quantile as a fraction: `p95` is `Quantile(0.95)`.
    Quantile(f64),
    Mean,
    Min,
    Max,
    Count,
    Rate,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Op {
    /// `lhs op rhs`.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Op::Lt => lhs < rhs,
            Op::Lte => lhs <= rhs,
            Op::Gt => lhs > rhs,
            Op::Gte => lhs >= rhs,
        }
    }

    /// The spelling in spec files.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
        }
    }
}

/// How the error budget is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetingMethod {
    Occurrences,
    Timeslices,
    RatioTimeslices,
}

/// The SLO's window.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindow {
    /// Rolling windows use m, h, d or w; calendar windows d, w, M, Q or Y.
    pub duration: DurationShorthand,
    /// `isRolling`; false means calendar-aligned.
    pub is_rolling: bool,
    /// Set iff the window is not rolling.
    pub calendar: Option<Calendar>,
}

/// Where a calendar-aligned window starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// `startTime`, a wall-clock time in `time_zone`.
    pub start_time: jiff::civil::DateTime,
    /// Canonical IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

/// Who owns an SLO, from its `lodestar.dev/*` annotations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ownership {
    /// `lodestar.dev/owner`: the owning team.
    pub owner: Option<String>,
    /// `lodestar.dev/champion`: the reliability champion.
    pub champion: Option<String>,
    /// `lodestar.dev/escalation`: `a -> b -> c`, in order.
    pub escalation: Vec<String>,
    /// `lodestar.dev/review-cadence`, e.g. `4w`.
    pub review_cadence: Option<DurationShorthand>,
    /// `lodestar.dev/last-reviewed`.
    pub last_reviewed: Option<jiff::civil::Date>,
}

/// Why an SLI matters, how it is collected and what variation is fine.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SliDocumentation {
    /// `lodestar.dev/why`
    pub why: Option<String>,
    /// `lodestar.dev/how`
    pub how: Option<String>,
    /// `lodestar.dev/acceptable-variation`
    pub acceptable_variation: Option<String>,
}

/// `kind: AlertPolicy`, or one written inline in an SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPolicy {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Alert when the SLI has no data.
    pub alert_when_no_data: bool,
    /// Notify when the alert resolves.
    pub alert_when_resolved: bool,
    /// Alert when the condition breaches.
    pub alert_when_breaching: bool,
    /// Exactly one (OpenSLO keeps a list for the future); refs resolved.
    pub conditions: Vec<AlertCondition>,
    /// At least one; refs resolved.
    pub notification_targets: Vec<AlertNotificationTarget>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// `kind: AlertCondition` (burn rate), or one written inline.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCondition {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Free text such as `page` or `ticket`.
    pub severity: String,
    /// How the burn rate is compared with the threshold.
    pub op: Op,
    /// Burn-rate threshold.
    pub threshold: f64,
    /// Fixed-length (m, h, d, w).
    pub lookback_window: DurationShorthand,
    /// Fixed-length (m, h, d, w), if given.
    pub alert_after: Option<DurationShorthand>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// `kind: AlertNotificationTarget`, or one written inline.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertNotificationTarget {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Free text such as `slack` or an address.
    pub target: String,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// `lodestar.dev/v1` `kind: Journey`: a critical user journey.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Business weight, > 0, default 1.
    pub weight: f64,
    /// `spec.owner`: the team owning the journey.
    pub owner: Option<String>,
    /// Ordered, at least one.
    pub steps: Vec<JourneyStep>,
    /// Name of an SLO (resolved) measuring journey completion.
    pub completion_slo: Option<String>,
    /// Name of an SLO (resolved) measuring time to first meaningful action.
    pub time_to_first_action_slo: Option<String>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

/// One step of a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyStep {
    /// RFC 1123, unique within the journey.
    pub name: String,
    /// `displayName`, if given.
    pub display_name: Option<String>,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Names of SLOs (all resolved), at least one.
    pub slos: Vec<String>,
}

impl Journey {
    /// True when `slo` is named by a step, or is the completion or
    /// time-to-first-action SLO.
    pub fn mentions(&self, slo: &str) -> bool {
        self.steps.iter().any(|s| s.slos.iter().any(|n| n == slo))
            || self.completion_slo.as_deref() == Some(slo)
            || self.time_to_first_action_slo.as_deref() == Some(slo)
    }
}

/// `lodestar.dev/v1` `kind: Correction`: a maintenance window or another
/// period whose events do not count against the budget (and whose alerts
/// may be silenced), one-off or recurring.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// SLO names (resolved). With `services`, the SLOs it applies to; both
    /// empty means every SLO.
    pub slos: Vec<String>,
    /// Service names (resolved against `kind: Service` objects and the
    /// `spec.service` of loaded SLOs).
    pub services: Vec<String>,
    /// Canonical IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Wall-clock start of the first occurrence, in `time_zone`.
    pub start: jiff::civil::DateTime,
    /// Length of each occurrence; fixed-length (m, h, d, w).
    pub duration: DurationShorthand,
    /// Recurrence period, fixed-length (m, h, d, w); `d` and `w` repeat at
    /// the same wall-clock time across DST, `m` and `h` in elapsed time.
    /// When set, `duration` is shorter than it.
    pub repeat: Option<DurationShorthand>,
    /// Weekdays a daily repeat is kept on (empty: every day); only set with
    /// a repeat in days. Unique.
    pub days_of_week: Vec<jiff::civil::Weekday>,
    /// No occurrence starts at or after this wall-clock time; only set
    /// with a repeat, and later than `start`.
    pub until: Option<jiff::civil::DateTime>,
    /// Alerts are not sent during an occurrence (default true).
    pub silence_alerts: bool,
    /// Events during an occurrence do not count against the budget
    /// (default true).
    pub exclude_from_budget: bool,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

impl Correction {
    /// True when the correction covers `slo`: it names the SLO or its
    /// service, or names neither SLOs nor services.
    pub fn applies_to(&self, slo: &Slo) -> bool {
        (self.slos.is_empty() && self.services.is_empty())
            || self.slos.contains(&slo.metadata.name)
            || self.services.contains(&slo.service)
    }
}

/// `lodestar.dev/v1` `kind: BudgetPolicy`: an executable error-budget
/// policy in the style of the SRE Workbook: budget and burn thresholds
/// give a state, the state says what releases may do.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetPolicy {
    /// Name, display name, labels and annotations.
    pub metadata: Metadata,
    /// `spec.description`, at most 1050 characters.
    pub description: Option<String>,
    /// Which SLOs the policy governs.
    pub applies_to: PolicyScope,
    /// `spec.escalation.owner`: who decides disputes.
    pub escalation_owner: Option<String>,
    /// `spec.escalation.after`: how long a dispute may last before it goes
    /// to the owner; fixed-length (m, h, d, w).
    pub escalation_after: Option<DurationShorthand>,
    /// `spec.states`, at least one; the first rule with a matching
    /// condition decides the state. No match means healthy, releases
    /// allowed.
    pub rules: Vec<PolicyRule>,
    /// `spec.postmortem.incidentBudgetShare`, in (0, 1], default 0.2: one
    /// incident burning more than this share of the window's budget needs
    /// a postmortem.
    pub postmortem_share: f64,
    /// Burn that does not count against the policy state.
    pub exceptions: Vec<PolicyException>,
    /// Where the object starts (file, line, column, path).
    pub location: Location,
}

impl BudgetPolicy {
    /// True when the policy governs `slo`: its scope is empty, or names the
    /// SLO, its service, or a journey (among `journeys`) that mentions it.
    pub fn applies_to(&self, slo: &Slo, journeys: &[Journey]) -> bool {
        let scope = &self.applies_to;
        let name = slo.metadata.name.as_str();
        scope.is_everything()
            || scope.slos.iter().any(|n| n == name)
            || scope.services.contains(&slo.service)
            || journeys
                .iter()
                .filter(|j| scope.journeys.contains(&j.metadata.name))
                .any(|j| j.mentions(name))
    }
}

/// `spec.appliesTo` of a budget policy: names, all resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyScope {
    /// SLO names.
    pub slos: Vec<String>,
    /// Service names (a `kind: Service` or the service of a loaded SLO).
    pub services: Vec<String>,
    /// Journey names; the policy covers every SLO the journey mentions.
    pub journeys: Vec<String>,
}

impl PolicyScope {
    /// True when nothing is named: the policy covers every SLO.
    pub fn is_everything(&self) -> bool {
        self.slos.is_empty() && self.services.is_empty() && self.journeys.is_empty()
    }
}

/// One entry of `spec.states`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRule {
    /// The state this rule puts the SLO in.
    pub state: PolicyState,
    /// At least one; the rule matches when any condition holds.
    pub when: Vec<PolicyCondition>,
    /// What releases may do in this state; defaults by state (healthy:
    /// allowed, at-risk: approval, exhausted: frozen).
    pub releases: ReleaseMode,
    /// Change kinds or labels still allowed when releases are frozen or
    /// need approval (e.g. `fix`, `security`).
    pub allow: Vec<String>,
}

/// A budget policy state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyState {
    /// `healthy`
    Healthy,
    /// `at-risk`
    AtRisk,
    /// `exhausted`
    Exhausted,
}

impl PolicyState {
    /// The spelling in spec files.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyState::Healthy => "healthy",
            PolicyState::AtRisk => "at-risk",
            PolicyState::Exhausted => "exhausted",
        }
    }

    /// What releases may do in this state when a rule does not say.
    pub fn default_releases(self) -> ReleaseMode {
        match self {
            PolicyState::Healthy => ReleaseMode::Allowed,
            PolicyState::AtRisk => ReleaseMode::NeedsApproval,
            PolicyState::Exhausted => ReleaseMode::Frozen,
        }
    }
}

/// What releases may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReleaseMode {
    /// `allowed`
    Allowed,
    /// `approval`: a release needs the owners' approval.
    NeedsApproval,
    /// `frozen`: only the rule's `allow` kinds may ship.
    Frozen,
}

impl ReleaseMode {
    /// The spelling in spec files.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseMode::Allowed => "allowed",
            ReleaseMode::NeedsApproval => "approval",
            ReleaseMode::Frozen => "frozen",
        }
    }
}

/// One condition of a policy rule.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyCondition {
    /// `budgetRemainingBelow: x`: the remaining fraction of the window's
    /// budget is below `x`, in [-1, 1] (0: exhausted).
    BudgetRemainingBelow(f64),
    /// `burnRateAbove: {window, rate}`: the burn rate over `window`
    /// (fixed-length) is above `rate` (> 0).
    BurnRateAbove {
        window: DurationShorthand,
        rate: f64,
    },
    /// `incidentBurnAbove: x`: one incident burned more than the share `x`
    /// of the window's budget, in (0, 1].
    IncidentBurnAbove(f64),
}

/// Burn that does not count against a policy's state.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyException {
    /// `dependency: {attribute, values}`: burn attributed to a dependency,
    /// the events whose `attribute` (default `peer.service`) is one of
    /// `values` (empty: any value).
    Dependency {
        attribute: String,
        values: Vec<String>,
    },
    /// `excludedTraffic: {filter}`: events matching a CEL filter (stored
    /// as written; compiled by the ingest crate).
    ExcludedTraffic { filter: String },
}
