//! Executable error-budget policies: a `BudgetPolicy` from the spec and the
//! facts of one SLO (budget remaining, burn rates, the largest incident,
//! burn attributed to excepted causes) give a state (healthy, at risk,
//! exhausted), what releases may do, whether a postmortem is due, and every
//! reason, worded for people.
//!
//! Semantics:
//! - Exceptions first. The burn the policy excepts (its `dependency`
//!   exceptions, its `excludedTraffic` exceptions) is taken out of the
//!   consumed budget before any rule is matched: consumed `c = 1 - remaining`
//!   becomes `c·(1 - excepted share)`. Burn rates are not discounted: they
//!   are recent, while the shares are measured over the window, and a
//!   dependency outage still under way is still worth a rule's attention.
//! - Rules in order, the first with a holding condition wins; conditions of
//!   a rule are OR-ed. `budgetRemainingBelow: x` holds when the (excepted)
//!   remaining budget is below `x`, and for `x >= 0` also when it is
//!   exactly 0, because an empty budget is exhausted (as in `slo`).
//!   `burnRateAbove` needs the facts to carry that window's burn rate; a
//!   missing or no-data rate does not hold and the reasons say so.
//!   `incidentBurnAbove` reads the largest incident's share of the budget.
//! - No match: healthy, releases allowed.
//! - Postmortem when the largest incident burned more than the policy's
//!   `postmortem_share` (not discounted: a dependency outage that burned a
//!   fifth of the budget still deserves a review).
//!
//! Pure: facts come in computed; nothing here reads data or a clock.

use serde::Serialize;
use spec::{BudgetPolicy, PolicyCondition, PolicyException, PolicyState, ReleaseMode};

use crate::attribution::{Attribution, excepted_share};
use crate::wording::{number, percent};

/// A policy state, spelled as in spec files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// `healthy`
    Healthy,
    /// `at-risk`
    AtRisk,
    /// `exhausted`
    Exhausted,
}

impl State {
    /// The spelling in spec files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::AtRisk => "at-risk",
            State::Exhausted => "exhausted",
        }
    }
}

impl From<PolicyState> for State {
    fn from(s: PolicyState) -> Self {
        match s {
            PolicyState::Healthy => State::Healthy,
            PolicyState::AtRisk => State::AtRisk,
            PolicyState::Exhausted => State::Exhausted,
        }
    }
}

/// What releases may do, spelled as in spec files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Releases {
    /// `allowed`
    #[serde(rename = "allowed")]
    Allowed,
    /// `approval`: the owners must approve each release.
    #[serde(rename = "approval")]
    NeedsApproval,
    /// `frozen`: only the rule's `allow` kinds may ship.
    #[serde(rename = "frozen")]
    Frozen,
}

impl Releases {
    /// The spelling in spec files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Releases::Allowed => "allowed",
            Releases::NeedsApproval => "approval",
            Releases::Frozen => "frozen",
        }
    }
}

impl From<ReleaseMode> for Releases {
    fn from(m: ReleaseMode) -> Self {
        match m {
            ReleaseMode::Allowed => Releases::Allowed,
            ReleaseMode::NeedsApproval => Releases::NeedsApproval,
            ReleaseMode::Frozen => Releases::Frozen,
        }
    }
}

/// What is known about one SLO when its policy is evaluated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyFacts {
    /// The SLO's name.
    pub slo: String,
    /// Remaining fraction of the window's budget (1 untouched, ≤ 0 exhausted).
    pub budget_remaining: f64,
    /// Burn rates as `(window minutes, rate)`; `None` where the window had
    /// no events.
    pub burn_rates: Vec<(i64, Option<f64>)>,
    /// Largest share of the window's budget one incident consumed.
    pub largest_incident_share: f64,
    /// Share of the consumed budget attributed to the dependencies the
    /// policy excepts, in [0, 1].
    pub dependency_share: f64,
    /// The excepted dependencies that burned, largest first (for the
    /// reasons).
    pub dependency_names: Vec<String>,
    /// Share of the consumed budget from traffic the policy excludes, in
    /// [0, 1] (computed by whoever can run the exception's CEL filter).
    pub excluded_share: f64,
}

impl PolicyFacts {
    /// Fills `dependency_share` and `dependency_names` from an attribution
    /// over the policy's window, using the policy's dependency exceptions.
    pub fn with_dependencies(mut self, policy: &BudgetPolicy, attribution: &Attribution) -> Self {
        let mut share = 0.0;
        let mut names: Vec<(f64, String)> = Vec::new();
        for exception in &policy.exceptions {
            if let PolicyException::Dependency { attribute, values } = exception {
                share += excepted_share(attribution, attribute, values);
                for d in attribution
                    .by_dimension
                    .iter()
                    .filter(|d| d.dimension == *attribute)
                {
                    for c in &d.contributors {
                        if c.bad > 0.0 && (values.is_empty() || values.contains(&c.value)) {
                            names.push((c.share_of_burn, c.value.clone()));
                        }
                    }
                }
            }
        }
        names.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        names.dedup_by(|a, b| a.1 == b.1);
        self.dependency_share = share.min(1.0);
        self.dependency_names = names.into_iter().map(|(_, n)| n).collect();
        self
    }
}

/// The outcome of a budget policy for one SLO.
///
/// JSON: `{"policy": str|null, "slo": str, "state": "healthy"|"at-risk"|"exhausted",
/// "releases": "allowed"|"approval"|"frozen", "allow": [str],
/// "postmortem_required": bool, "budget_remaining": f64,
/// "effective_budget_remaining": f64, "matched_rule": usize|null,
/// "reasons": [str], "escalation_owner": str|null, "escalate_after": str|null}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyVerdict {
    /// The policy's name; `None` when no policy applies.
    pub policy: Option<String>,
    /// The SLO judged.
    pub slo: String,
    /// The state the policy puts the SLO in.
    pub state: State,
    /// What releases may do.
    pub releases: Releases,
    /// Change kinds still allowed when releases are frozen or need approval.
    pub allow: Vec<String>,
    /// One incident burned more than the policy's postmortem share.
    pub postmortem_required: bool,
    /// The remaining budget as measured.
    pub budget_remaining: f64,
    /// The remaining budget with excepted burn taken out, which the rules saw.
    pub effective_budget_remaining: f64,
    /// Index (0-based) of the rule that decided, `None` when none matched.
    pub matched_rule: Option<usize>,
    /// Every reason, in the order they were found.
    pub reasons: Vec<String>,
    /// Who decides disputes.
    pub escalation_owner: Option<String>,
    /// How long a dispute may last before it goes to the owner (`2d`).
    pub escalate_after: Option<String>,
}

/// The verdict for an SLO no policy governs: healthy, releases allowed.
pub fn no_policy(slo: &str, budget_remaining: f64) -> PolicyVerdict {
    PolicyVerdict {
        policy: None,
        slo: slo.to_owned(),
        state: State::Healthy,
        releases: Releases::Allowed,
        allow: Vec::new(),
        postmortem_required: false,
        budget_remaining,
        effective_budget_remaining: budget_remaining,
        matched_rule: None,
        reasons: vec!["no budget policy applies".to_owned()],
        escalation_owner: None,
        escalate_after: None,
    }
}

/// Evaluates `policy` for the SLO described by `facts`.
pub fn evaluate(policy: &BudgetPolicy, facts: &PolicyFacts) -> PolicyVerdict {
    let name = policy.metadata.name.as_str();
    let mut reasons = Vec::new();
    let remaining = facts.budget_remaining;
    let consumed = 1.0 - remaining;

    let excepts_dependencies = policy
        .exceptions
        .iter()
        .any(|e| matches!(e, PolicyException::Dependency { .. }));
    let excepts_traffic = policy
        .exceptions
        .iter()
        .any(|e| matches!(e, PolicyException::ExcludedTraffic { .. }));
    let mut excepted = 0.0;
    let mut excepted_what = Vec::new();
    let dependency_share = facts.dependency_share.clamp(0.0, 1.0);
    if dependency_share > 0.0 {
        let who = if facts.dependency_names.is_empty() {
            "excepted dependencies".to_owned()
        } else {
            format!("dependency {}", facts.dependency_names.join(", "))
        };
        if excepts_dependencies {
            excepted += dependency_share;
            excepted_what.push(format!(
                "{} of the burn came from {who} (exception)",
                percent(dependency_share)
            ));
        } else {
            reasons.push(format!(
                "{} of the burn came from {who}, but policy {name} has no dependency exception",
                percent(dependency_share)
            ));
        }
    }
    let excluded_share = facts.excluded_share.clamp(0.0, 1.0);
    if excluded_share > 0.0 && excepts_traffic {
        excepted += excluded_share;
        excepted_what.push(format!(
            "{} of the burn came from excluded traffic (exception)",
            percent(excluded_share)
        ));
    }
    let excepted = excepted.min(1.0);
    let effective = if consumed > 0.0 && excepted > 0.0 {
        1.0 - consumed * (1.0 - excepted)
    } else {
        remaining
    };
    if !excepted_what.is_empty() && consumed > 0.0 {
        reasons.push(format!(
            "{}: budget remaining counted as {} instead of {}",
            excepted_what.join(", "),
            percent(effective),
            percent(remaining)
        ));
    }

    let mut matched = None;
    for (index, rule) in policy.rules.iter().enumerate() {
        let mut holding = Vec::new();
        for condition in &rule.when {
            match check(condition, effective, facts) {
                Check::Holds(why) => holding.push(why),
                Check::Unknown(why) => reasons.push(why),
                Check::Fails => {}
            }
        }
        if !holding.is_empty() {
            matched = Some((index, rule, holding));
            break;
        }
    }

    let (state, releases, allow, matched_rule) = match matched {
        Some((index, rule, holding)) => {
            let state = State::from(rule.state);
            let releases = Releases::from(rule.releases);
            let allowed = if rule.allow.is_empty() || releases == Releases::Allowed {
                String::new()
            } else {
                format!(" except {}", rule.allow.join(", "))
            };
            reasons.push(format!(
                "policy {name}: {} (rule {}) because {}; releases {}{allowed}",
                state.as_str(),
                index + 1,
                holding.join(" and "),
                releases_wording(releases),
            ));
            (state, releases, rule.allow.clone(), Some(index))
        }
        None => {
            reasons.push(format!(
                "policy {name}: healthy, no rule matched (budget remaining {})",
                percent(effective)
            ));
            (State::Healthy, Releases::Allowed, Vec::new(), None)
        }
    };

    let postmortem_required = facts.largest_incident_share > policy.postmortem_share;
    if postmortem_required {
        reasons.push(format!(
            "one incident burned {} of the budget (more than {}): postmortem required",
            percent(facts.largest_incident_share),
            percent(policy.postmortem_share)
        ));
    }

    PolicyVerdict {
        policy: Some(name.to_owned()),
        slo: facts.slo.clone(),
        state,
        releases,
        allow,
        postmortem_required,
        budget_remaining: remaining,
        effective_budget_remaining: effective,
        matched_rule,
        reasons,
        escalation_owner: policy.escalation_owner.clone(),
        escalate_after: policy.escalation_after.map(|d| d.to_string()),
    }
}

/// The verdict when several policies govern one SLO: the strictest (by
/// releases, then state) decides; a postmortem is due if any says so; all
/// reasons are kept. No verdicts means [`no_policy`].
pub fn strictest(verdicts: Vec<PolicyVerdict>, slo: &str, budget_remaining: f64) -> PolicyVerdict {
    let Some(index) = verdicts
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| {
            (a.releases, a.state)
                .cmp(&(b.releases, b.state))
                .then_with(|| ib.cmp(ia))
        })
        .map(|(i, _)| i)
    else {
        return no_policy(slo, budget_remaining);
    };
    let postmortem = verdicts.iter().any(|v| v.postmortem_required);
    let reasons: Vec<String> = verdicts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .flat_map(|(_, v)| v.reasons.iter().cloned())
        .collect();
    let mut chosen = verdicts
        .into_iter()
        .nth(index)
        .expect("index from the same list");
    chosen.postmortem_required = postmortem;
    chosen.reasons.extend(reasons);
    chosen
}

fn releases_wording(r: Releases) -> &'static str {
    match r {
        Releases::Allowed => "allowed",
        Releases::NeedsApproval => "need approval",
        Releases::Frozen => "frozen",
    }
}

enum Check {
    Holds(String),
    Fails,
    Unknown(String),
}

fn check(condition: &PolicyCondition, remaining: f64, facts: &PolicyFacts) -> Check {
    match condition {
        PolicyCondition::BudgetRemainingBelow(x) => {
            if remaining < *x || (*x >= 0.0 && remaining <= 0.0) {
                let what = if remaining <= 0.0 && *x == 0.0 {
                    "budget exhausted".to_owned()
                } else {
                    format!("budget remaining {} < {}", percent(remaining), percent(*x))
                };
                Check::Holds(what)
            } else {
                Check::Fails
            }
        }
        PolicyCondition::BurnRateAbove { window, rate } => {
            let Some(minutes) = window.minutes() else {
                return Check::Unknown(format!(
                    "burn rate over {window} cannot be measured (calendar unit): condition skipped"
                ));
            };
            match facts.burn_rates.iter().find(|(w, _)| *w == minutes) {
                Some((_, Some(b))) if b > rate => Check::Holds(format!(
                    "burn rate over {window} is {}× > {}×",
                    number(*b, 2),
                    number(*rate, 2)
                )),
                Some((_, Some(_))) => Check::Fails,
                Some((_, None)) => Check::Fails,
                None => Check::Unknown(format!(
                    "burn rate over {window} was not computed: condition skipped"
                )),
            }
        }
        PolicyCondition::IncidentBurnAbove(x) => {
            if facts.largest_incident_share > *x {
                Check::Holds(format!(
                    "one incident burned {} of the budget > {}",
                    percent(facts.largest_incident_share),
                    percent(*x)
                ))
            } else {
                Check::Fails
            }
        }
    }
}

#[cfg(test)]
mod tests;
