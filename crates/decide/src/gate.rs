//! Release verdicts: given, for each SLO a change affects, its budget-policy
//! verdict, the canary and baseline arms since the change and the budget
//! the new version burned, say pass, warn, fail or inconclusive, with every
//! reason.
//!
//! The checks per objective:
//! - **Policy**: frozen fails and approval warns, unless the release carries
//!   a tag the rule still allows (`fix`, `security`).
//! - **Samples**: either arm with fewer than `min_samples` raw events makes
//!   the comparison inconclusive; no statistic is run on too little data.
//! - **Latency** (when both arms have a sketch): Mann-Whitney U of canary
//!   against baseline, as Kayenta does. Fails when `p < alpha` and the
//!   rank-biserial effect (`P(canary slower) - P(canary faster)`) is at
//!   least `latency_effect`: with thousands of events tiny shifts are
//!   "significant", the effect size says whether users would notice. 0.1
//!   means a random canary request is slower than a random baseline request
//!   55 % of the time instead of 50 %.
//! - **Errors**: a one-sided two-proportion z test on bad ratios; fails when
//!   `p < alpha` and the canary's ratio exceeds the baseline's by more than
//!   `error_ratio_margin` (absolute).
//! - **Budget**: the new version's bad weight over the window's budget;
//!   warns from `max_budget_burn_warn`, fails from `max_budget_burn_fail`.
//!
//! The overall verdict is the most severe reason, in the order pass <
//! inconclusive < warn < fail (a warning is a finding; inconclusive is the
//! absence of one). Exit codes: pass 0, fail 1, warn and inconclusive 3, or
//! 1 with `fail_closed`. Pure: arms come in tallied; no IO, no clock.

use serde::{Deserialize, Serialize};
use slo::Sketch;

use crate::DecideError;
use crate::policy::{PolicyVerdict, Releases};
use crate::stats::{MannWhitney, Proportions, mann_whitney, two_proportion};
use crate::wording::{minutes, number, p_value, percent, signed_percent, window};

/// Thresholds of the release gate.
///
/// JSON (every field optional, defaults shown): `{"alpha": 0.05,
/// "min_samples": 200, "latency_effect": 0.1, "latency_quantile": 0.95,
/// "error_ratio_margin": 0.001, "max_budget_burn_warn": 0.05,
/// "max_budget_burn_fail": 0.2, "fail_closed": false}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Significance level of both tests.
    pub alpha: f64,
    /// Raw events each arm needs before it is compared.
    pub min_samples: u64,
    /// Rank-biserial effect from which a significant slowdown fails.
    pub latency_effect: f64,
    /// Quantile quoted in latency messages (the test uses the whole
    /// distribution).
    pub latency_quantile: f64,
    /// Absolute increase of the bad ratio from which a significant one fails.
    pub error_ratio_margin: f64,
    /// Share of the window's budget the new version may burn before a warning.
    pub max_budget_burn_warn: f64,
    /// Share of the window's budget the new version may burn before failing.
    pub max_budget_burn_fail: f64,
    /// Turns warn and inconclusive into exit code 1.
    pub fail_closed: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_samples: 200,
            latency_effect: 0.1,
            latency_quantile: 0.95,
            error_ratio_margin: 0.001,
            max_budget_burn_warn: 0.05,
            max_budget_burn_fail: 0.2,
            fail_closed: false,
        }
    }
}

impl GateConfig {
    /// Refuses thresholds outside their ranges.
    pub fn validate(&self) -> Result<(), DecideError> {
        const PLACE: &str = "gate config";
        let fraction = |field, value: f64, expected| {
            if value > 0.0 && value < 1.0 {
                Ok(())
            } else {
                Err(DecideError::Config {
                    field,
                    value,
                    place: PLACE,
                    expected,
                })
            }
        };
        fraction(
            "alpha",
            self.alpha,
            "a probability strictly between 0 and 1",
        )?;
        fraction(
            "latency_quantile",
            self.latency_quantile,
            "a quantile strictly between 0 and 1",
        )?;
        if !(0.0..=1.0).contains(&self.latency_effect) {
            return Err(DecideError::Config {
                field: "latency_effect",
                value: self.latency_effect,
                place: PLACE,
                expected: "a rank-biserial effect in [0, 1]",
            });
        }
        if !(0.0..1.0).contains(&self.error_ratio_margin) {
            return Err(DecideError::Config {
                field: "error_ratio_margin",
                value: self.error_ratio_margin,
                place: PLACE,
                expected: "an absolute ratio difference in [0, 1)",
            });
        }
        if !(self.max_budget_burn_warn > 0.0
            && self.max_budget_burn_warn <= self.max_budget_burn_fail)
        {
            return Err(DecideError::Config {
                field: "max_budget_burn_warn",
                value: self.max_budget_burn_warn,
                place: PLACE,
                expected: "a positive budget share no larger than max_budget_burn_fail",
            });
        }
        Ok(())
    }
}

/// What one arm (canary or baseline) saw since the change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Arm {
    /// Weighted good events.
    pub good: f64,
    /// Weighted events.
    pub total: f64,
    /// Raw events behind `total`; the sample-size check reads this.
    pub raw_total: u64,
    /// Distribution of the SLI's value (threshold SLIs).
    pub latency: Option<Sketch>,
}

/// The evidence about one affected SLO objective.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveEvidence {
    /// The SLO's name.
    pub slo: String,
    /// Its budget-policy verdict now.
    pub policy: PolicyVerdict,
    /// The new version's arm; `None` when it is not segmented out.
    pub canary: Option<Arm>,
    /// The old version's arm over the same time.
    pub baseline: Option<Arm>,
    /// Unit of the latency values, for messages (`ms`).
    pub latency_unit: String,
    /// Bad weight of the new version's segment over the window's budget.
    pub budget_burned: Option<f64>,
    /// Minutes since the change.
    pub elapsed_minutes: i64,
    /// The SLO window's length in minutes (for "of the 28-day budget").
    pub window_minutes: i64,
}

/// A verdict, ordered by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing against the release.
    Pass,
    /// Not enough evidence either way.
    Inconclusive,
    /// A finding a person should look at.
    Warn,
    /// The release should not proceed.
    Fail,
}

/// Which check a reason comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    /// The budget policy's state.
    Policy,
    /// The sample-size check.
    Samples,
    /// The Mann-Whitney latency comparison.
    Latency,
    /// The two-proportion error comparison.
    Errors,
    /// The budget the new version burned.
    Budget,
}

/// One reason of a gate report.
///
/// JSON: `{"slo": str, "kind": "policy"|"samples"|"latency"|"errors"|"budget",
/// "verdict": "pass"|"inconclusive"|"warn"|"fail", "message": str,
/// "mann_whitney"?: MannWhitney, "proportions"?: Proportions}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// The SLO it concerns.
    pub slo: String,
    /// The check.
    pub kind: ReasonKind,
    /// What this check concluded.
    pub verdict: Verdict,
    /// The figures, worded.
    pub message: String,
    /// The latency test, for latency reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mann_whitney: Option<MannWhitney>,
    /// The error test, for error reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proportions: Option<Proportions>,
}

/// The outcome of a release gate.
///
/// JSON: `{"verdict": "pass"|"inconclusive"|"warn"|"fail", "exit_code": 0|1|3,
/// "fail_closed": bool, "reasons": [Reason]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateReport {
    /// The most severe reason's verdict.
    pub verdict: Verdict,
    /// What `lodestar gate` exits with.
    pub exit_code: i32,
    /// Whether warn and inconclusive exit 1.
    pub fail_closed: bool,
    /// Every reason, per SLO in input order.
    pub reasons: Vec<Reason>,
}

impl GateReport {
    /// 0 pass, 1 fail, 3 warn or inconclusive (1 when failing closed).
    pub fn exit_code(&self) -> i32 {
        exit_code(self.verdict, self.fail_closed)
    }
}

fn exit_code(verdict: Verdict, fail_closed: bool) -> i32 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Fail => 1,
        Verdict::Warn | Verdict::Inconclusive if fail_closed => 1,
        Verdict::Warn | Verdict::Inconclusive => 3,
    }
}

/// Judges a release that carries `release_tags` (e.g. `fix`) against every
/// affected objective. No evidence at all is inconclusive.
pub fn judge(
    config: &GateConfig,
    evidence: &[ObjectiveEvidence],
    release_tags: &[String],
) -> Result<GateReport, DecideError> {
    config.validate()?;
    let mut reasons = Vec::new();
    for e in evidence {
        policy_reason(e, release_tags, &mut reasons);
        comparison_reasons(config, e, &mut reasons);
        budget_reason(config, e, &mut reasons);
    }
    if reasons.is_empty() {
        reasons.push(Reason {
            slo: String::new(),
            kind: ReasonKind::Samples,
            verdict: Verdict::Inconclusive,
            message: "no affected SLO: nothing to judge".to_owned(),
            mann_whitney: None,
            proportions: None,
        });
    }
    let verdict = reasons
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Inconclusive);
    Ok(GateReport {
        verdict,
        exit_code: exit_code(verdict, config.fail_closed),
        fail_closed: config.fail_closed,
        reasons,
    })
}

fn reason(e: &ObjectiveEvidence, kind: ReasonKind, verdict: Verdict, message: String) -> Reason {
    Reason {
        slo: e.slo.clone(),
        kind,
        verdict,
        message,
        mann_whitney: None,
        proportions: None,
    }
}

fn policy_reason(e: &ObjectiveEvidence, tags: &[String], out: &mut Vec<Reason>) {
    let p = &e.policy;
    let Some(name) = &p.policy else {
        out.push(reason(
            e,
            ReasonKind::Policy,
            Verdict::Pass,
            "no budget policy applies".to_owned(),
        ));
        return;
    };
    let allowed_tag = tags.iter().find(|t| p.allow.contains(t));
    let state = p.state.as_str();
    let remaining = percent(p.effective_budget_remaining);
    let (verdict, message) = match (p.releases, allowed_tag) {
        (Releases::Allowed, _) => (
            Verdict::Pass,
            format!("policy {name}: {state} (budget remaining {remaining}), releases allowed"),
        ),
        (Releases::NeedsApproval | Releases::Frozen, Some(tag)) => (
            Verdict::Pass,
            format!(
                "policy {name}: {state}, releases {}, but {tag:?} changes are allowed",
                p.releases.as_str()
            ),
        ),
        (Releases::NeedsApproval, None) => (
            Verdict::Warn,
            format!(
                "policy {name}: {state} (budget remaining {remaining}), releases need approval"
            ),
        ),
        (Releases::Frozen, None) => {
            let except = if p.allow.is_empty() {
                String::new()
            } else {
                format!(" except {}", p.allow.join(", "))
            };
            (
                Verdict::Fail,
                format!(
                    "policy {name}: {state} (budget remaining {remaining}), releases frozen{except}"
                ),
            )
        }
    };
    out.push(reason(e, ReasonKind::Policy, verdict, message));
}

fn comparison_reasons(config: &GateConfig, e: &ObjectiveEvidence, out: &mut Vec<Reason>) {
    let (canary, baseline) = match (&e.canary, &e.baseline) {
        (None, None) => return,
        (Some(c), Some(b)) => (c, b),
        (Some(_), None) => {
            out.push(reason(
                e,
                ReasonKind::Samples,
                Verdict::Inconclusive,
                "no baseline to compare the canary with".to_owned(),
            ));
            return;
        }
        (None, Some(_)) => {
            out.push(reason(
                e,
                ReasonKind::Samples,
                Verdict::Inconclusive,
                "no canary traffic to compare with the baseline".to_owned(),
            ));
            return;
        }
    };
    if canary.raw_total < config.min_samples || baseline.raw_total < config.min_samples {
        out.push(reason(
            e,
            ReasonKind::Samples,
            Verdict::Inconclusive,
            format!(
                "canary has {} events and baseline {} since the change; at least {} per arm are needed to compare them",
                canary.raw_total, baseline.raw_total, config.min_samples
            ),
        ));
        return;
    }
    if let (Some(c), Some(b)) = (&canary.latency, &baseline.latency) {
        out.push(latency_reason(config, e, c, b));
    }
    out.push(error_reason(config, e, canary, baseline));
}

fn latency_reason(config: &GateConfig, e: &ObjectiveEvidence, c: &Sketch, b: &Sketch) -> Reason {
    let Some(test) = mann_whitney(c, b) else {
        return reason(
            e,
            ReasonKind::Latency,
            Verdict::Inconclusive,
            "no latency values in one of the arms".to_owned(),
        );
    };
    let q = config.latency_quantile;
    let label = format!("p{}", number(q * 100.0, 1));
    let unit = &e.latency_unit;
    let (qc, qb) = (
        c.quantile(q).unwrap_or(f64::NAN),
        b.quantile(q).unwrap_or(f64::NAN),
    );
    let shift = if qb > 0.0 {
        format!(" ({})", signed_percent(qc / qb - 1.0))
    } else {
        String::new()
    };
    let figures = format!(
        "{label} latency {} {unit} vs {} {unit}{shift}, Mann-Whitney {}, effect {}",
        number(qc, 1),
        number(qb, 1),
        p_value(test.p_two_sided),
        number(test.effect, 2),
    );
    let significant = test.p_two_sided < config.alpha;
    let threshold = number(config.latency_effect, 2);
    let (verdict, message) = if significant && test.effect >= config.latency_effect {
        (
            Verdict::Fail,
            format!("{figures} ≥ {threshold}: canary is slower"),
        )
    } else if significant && test.effect <= -config.latency_effect {
        (Verdict::Pass, format!("{figures}: canary is faster"))
    } else if significant {
        (
            Verdict::Pass,
            format!("{figures}, below {threshold}: difference too small to matter"),
        )
    } else {
        (
            Verdict::Pass,
            format!("{figures}: no significant difference"),
        )
    };
    Reason {
        mann_whitney: Some(test),
        ..reason(e, ReasonKind::Latency, verdict, message)
    }
}

fn error_reason(config: &GateConfig, e: &ObjectiveEvidence, c: &Arm, b: &Arm) -> Reason {
    let bad = |a: &Arm| (a.total - a.good).max(0.0);
    let Some(test) = two_proportion(bad(c), c.total, bad(b), b.total) else {
        return reason(
            e,
            ReasonKind::Errors,
            Verdict::Inconclusive,
            "no weighted events in one of the arms".to_owned(),
        );
    };
    let points = number(test.diff * 100.0, 2);
    let points = if test.diff > 0.0 {
        format!("+{points}")
    } else {
        points
    };
    let figures = format!(
        "bad-event ratio {} vs {} ({points} points), two-proportion z={}, {}",
        percent(test.ratio_a),
        percent(test.ratio_b),
        number(test.z, 2),
        p_value(test.p_one_sided),
    );
    let (verdict, message) =
        if test.p_one_sided < config.alpha && test.diff > config.error_ratio_margin {
            (
                Verdict::Fail,
                format!(
                    "{figures} < {}: canary fails more often",
                    number(config.alpha, 3)
                ),
            )
        } else {
            (Verdict::Pass, format!("{figures}: no significant increase"))
        };
    Reason {
        proportions: Some(test),
        ..reason(e, ReasonKind::Errors, verdict, message)
    }
}

fn budget_reason(config: &GateConfig, e: &ObjectiveEvidence, out: &mut Vec<Reason>) {
    let Some(burned) = e.budget_burned else {
        return;
    };
    let figures = format!(
        "the new version burned {} of the {} budget in {}",
        percent(burned),
        window(e.window_minutes),
        minutes(e.elapsed_minutes)
    );
    let (verdict, message) = if burned >= config.max_budget_burn_fail {
        (
            Verdict::Fail,
            format!(
                "{figures} (fails from {})",
                percent(config.max_budget_burn_fail)
            ),
        )
    } else if burned >= config.max_budget_burn_warn {
        (
            Verdict::Warn,
            format!(
                "{figures} (warns from {})",
                percent(config.max_budget_burn_warn)
            ),
        )
    } else {
        (Verdict::Pass, figures)
    };
    out.push(reason(e, ReasonKind::Budget, verdict, message));
}

#[cfg(test)]
mod tests;
