//! The priorities report for a planning meeting: journeys and SLOs ranked
//! by how much budget they burn times how much the business cares, each
//! with its forecast exhaustion date, policy state, top contributors and
//! the work it recommends (reliability, watch, or features) with the
//! reason, as JSON and as a Markdown table.
//!
//! Score: `weight × pressure`, where `weight` is the journey's business
//! weight (1 outside any journey) and `pressure = max(budget consumed,
//! burn rate over the window)`, both in "budgets": 1.0 is a whole budget
//! gone, or spent at exactly the sustainable pace. For a rolling window the
//! two are equal; for a calendar window early in its period the burn rate
//! shows the pace that consumption alone hides. Ties go to the faster 1 h
//! burn, then to the name, so the order is stable.
//!
//! Recommendation:
//! - **reliability** when the policy state is exhausted or at risk, the
//!   budget is gone, or it is forecast to run out within
//!   [`RELIABILITY_HORIZON_S`];
//! - **watch** when it burns faster than sustainable (1 h or window burn
//!   above 1) but none of the above holds;
//! - **features** otherwise: budget left and spent slowly.
//!
//! Pure: `now` is a parameter; nothing is read from a store or a clock.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::attribution::Contributor;
use crate::policy::State;
use crate::wording::{number, percent};

/// A forecast exhaustion closer than this (7 days) calls for reliability work.
pub const RELIABILITY_HORIZON_S: f64 = 7.0 * 86_400.0;

/// A segment behind an SLO's burn, as the report lists it.
///
/// JSON: `{"dimension": str, "value": str, "share_of_burn": f64}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopContributor {
    /// The segment dimension.
    pub dimension: String,
    /// The segment value.
    pub value: String,
    /// Its share of the SLO's burn.
    pub share_of_burn: f64,
}

impl From<&Contributor> for TopContributor {
    fn from(c: &Contributor) -> Self {
        Self {
            dimension: c.dimension.clone(),
            value: c.value.clone(),
            share_of_burn: c.share_of_burn,
        }
    }
}

/// What is known about one SLO (in one journey) for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct PriorityInput {
    /// The journey and its business weight; `None` outside any journey.
    pub journey: Option<(String, f64)>,
    /// The SLO's name.
    pub slo: String,
    /// Its service.
    pub service: Option<String>,
    /// The owning team.
    pub owner: Option<String>,
    /// Remaining fraction of the window's budget.
    pub budget_remaining: f64,
    /// Burn rate over the last hour.
    pub burn_rate_1h: Option<f64>,
    /// Burn rate over the whole window so far.
    pub burn_rate_window: Option<f64>,
    /// Seconds until the budget runs out at the 1 h burn rate.
    pub time_to_exhaustion_s: Option<f64>,
    /// Its budget-policy state.
    pub policy_state: State,
    /// The segments burning most, largest first.
    pub top_contributors: Vec<TopContributor>,
}

/// The work an item calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recommendation {
    /// Budget left and spent slowly: ship features.
    Features,
    /// Spending faster than sustainable: keep an eye on it.
    Watch,
    /// Put reliability work first.
    Reliability,
}

impl Recommendation {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Features => "features",
            Recommendation::Watch => "watch",
            Recommendation::Reliability => "reliability",
        }
    }
}

/// One ranked SLO.
///
/// JSON: `{"rank": usize, "journey": str|null, "weight": f64, "slo": str,
/// "service": str|null, "owner": str|null, "score": f64,
/// "budget_remaining": f64, "burn_rate_1h": f64|null,
/// "burn_rate_window": f64|null, "exhaustion_at": str|null (RFC 3339),
/// "policy_state": State, "recommendation": "reliability"|"watch"|"features",
/// "reason": str, "top_contributors": [TopContributor]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriorityItem {
    /// 1-based position.
    pub rank: usize,
    /// The journey, if any.
    pub journey: Option<String>,
    /// The journey's weight (1 outside any journey).
    pub weight: f64,
    /// The SLO.
    pub slo: String,
    /// Its service.
    pub service: Option<String>,
    /// The owning team.
    pub owner: Option<String>,
    /// `weight × pressure` (see the module docs).
    pub score: f64,
    /// Remaining fraction of the budget.
    pub budget_remaining: f64,
    /// Burn rate over the last hour.
    pub burn_rate_1h: Option<f64>,
    /// Burn rate over the window so far.
    pub burn_rate_window: Option<f64>,
    /// When the budget runs out at the 1 h burn rate (RFC 3339, to the
    /// minute); `None` when it does not burn or already ran out.
    pub exhaustion_at: Option<String>,
    /// Its budget-policy state.
    pub policy_state: State,
    /// The work recommended.
    pub recommendation: Recommendation,
    /// Why, in one sentence.
    pub reason: String,
    /// The segments burning most.
    pub top_contributors: Vec<TopContributor>,
}

/// One ranked journey: its worst SLO decides.
///
/// JSON: `{"rank": usize, "journey": str, "weight": f64, "score": f64,
/// "worst_slo": str, "worst_state": State,
/// "recommendation": Recommendation, "slos": [str]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JourneyPriority {
    /// 1-based position.
    pub rank: usize,
    /// The journey.
    pub journey: String,
    /// Its business weight.
    pub weight: f64,
    /// The highest score of its SLOs.
    pub score: f64,
    /// The SLO with that score.
    pub worst_slo: String,
    /// The most severe policy state among its SLOs.
    pub worst_state: State,
    /// The strongest recommendation among its SLOs.
    pub recommendation: Recommendation,
    /// Its SLOs, in rank order.
    pub slos: Vec<String>,
}

/// The whole report.
///
/// JSON: `{"generated_at": str (RFC 3339), "journeys": [JourneyPriority],
/// "items": [PriorityItem]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrioritiesReport {
    /// The instant the figures are for.
    pub generated_at: String,
    /// Journeys, highest score first.
    pub journeys: Vec<JourneyPriority>,
    /// SLOs (per journey), highest score first.
    pub items: Vec<PriorityItem>,
}

/// Ranks `items` as of `now`.
pub fn rank(items: &[PriorityInput], now: Timestamp) -> PrioritiesReport {
    let mut ranked: Vec<PriorityItem> = items.iter().map(|i| item(i, now)).collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| {
                b.burn_rate_1h
                    .unwrap_or(0.0)
                    .total_cmp(&a.burn_rate_1h.unwrap_or(0.0))
            })
            .then_with(|| a.slo.cmp(&b.slo))
            .then_with(|| a.journey.cmp(&b.journey))
    });
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }

    let mut journeys: Vec<JourneyPriority> = Vec::new();
    for r in &ranked {
        let Some(name) = &r.journey else { continue };
        match journeys.iter_mut().find(|j| j.journey == *name) {
            // Items are in rank order, so the first seen is the worst.
            Some(j) => {
                j.worst_state = j.worst_state.max(r.policy_state);
                j.recommendation = j.recommendation.max(r.recommendation);
                j.slos.push(r.slo.clone());
            }
            None => journeys.push(JourneyPriority {
                rank: 0,
                journey: name.clone(),
                weight: r.weight,
                score: r.score,
                worst_slo: r.slo.clone(),
                worst_state: r.policy_state,
                recommendation: r.recommendation,
                slos: vec![r.slo.clone()],
            }),
        }
    }
    for (i, j) in journeys.iter_mut().enumerate() {
        j.rank = i + 1;
    }
    PrioritiesReport {
        generated_at: now.to_string(),
        journeys,
        items: ranked,
    }
}

fn item(input: &PriorityInput, now: Timestamp) -> PriorityItem {
    let weight = input
        .journey
        .as_ref()
        .map_or(1.0, |(_, w)| if *w > 0.0 { *w } else { 1.0 });
    let consumed = (1.0 - input.budget_remaining).max(0.0);
    let pressure = consumed.max(input.burn_rate_window.unwrap_or(0.0).max(0.0));
    let exhausted = input.budget_remaining <= 0.0;
    let exhaustion_at = if exhausted {
        None
    } else {
        input
            .time_to_exhaustion_s
            .filter(|s| s.is_finite() && *s >= 0.0)
            .and_then(|s| SignedDuration::try_from_secs_f64(s).ok())
            .and_then(|d| now.checked_add(d).ok())
            .and_then(|t| t.round(jiff::Unit::Minute).ok())
    };
    let (recommendation, reason) = recommend(input, exhaustion_at);
    PriorityItem {
        rank: 0,
        journey: input.journey.as_ref().map(|(n, _)| n.clone()),
        weight,
        slo: input.slo.clone(),
        service: input.service.clone(),
        owner: input.owner.clone(),
        score: weight * pressure,
        budget_remaining: input.budget_remaining,
        burn_rate_1h: input.burn_rate_1h,
        burn_rate_window: input.burn_rate_window,
        exhaustion_at: exhaustion_at.map(|t| t.to_string()),
        policy_state: input.policy_state,
        recommendation,
        reason,
        top_contributors: input.top_contributors.clone(),
    }
}

fn recommend(input: &PriorityInput, exhaustion_at: Option<Timestamp>) -> (Recommendation, String) {
    let left = percent(input.budget_remaining);
    let burn_1h = input.burn_rate_1h.unwrap_or(0.0);
    let burn_window = input.burn_rate_window.unwrap_or(0.0);
    let cause = input
        .top_contributors
        .first()
        .filter(|c| c.share_of_burn > 0.0)
        .map(|c| {
            format!(
                "; {} of the burn from {} {}",
                percent(c.share_of_burn),
                c.dimension,
                c.value
            )
        })
        .unwrap_or_default();
    if input.budget_remaining <= 0.0 || input.policy_state == State::Exhausted {
        return (
            Recommendation::Reliability,
            format!("budget exhausted ({left} left): reliability work before features{cause}"),
        );
    }
    if input.policy_state == State::AtRisk {
        return (
            Recommendation::Reliability,
            format!("policy says at risk with {left} left: prioritise reliability{cause}"),
        );
    }
    if let (Some(ttx), Some(at)) = (input.time_to_exhaustion_s, exhaustion_at)
        && ttx < RELIABILITY_HORIZON_S
    {
        return (
            Recommendation::Reliability,
            format!(
                "at {}× the sustainable rate the budget runs out on {} ({left} left){cause}",
                number(burn_1h, 1),
                at.strftime("%Y-%m-%d %H:%M UTC")
            ),
        );
    }
    if burn_1h > 1.0 || burn_window > 1.0 {
        return (
            Recommendation::Watch,
            format!(
                "burning {}× the sustainable rate over the last hour ({}× over the window), {left} left{cause}",
                number(burn_1h, 1),
                number(burn_window, 1)
            ),
        );
    }
    (
        Recommendation::Features,
        format!(
            "{left} of the budget left, burning {}×: room to ship features",
            number(burn_1h.max(burn_window), 1)
        ),
    )
}

/// The report as Markdown: a journeys table, then an SLO table, for a
/// planning meeting.
pub fn render_markdown(report: &PrioritiesReport) -> String {
    let mut out = format!(
        "# Reliability priorities\n\nFigures as of {}.\n\n",
        report.generated_at
    );
    if !report.journeys.is_empty() {
        out.push_str("## Journeys\n\n| # | Journey | Weight | Score | Worst SLO | State | Work |\n|---|---|---|---|---|---|---|\n");
        for j in &report.journeys {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                j.rank,
                cell(&j.journey),
                number(j.weight, 2),
                number(j.score, 2),
                cell(&j.worst_slo),
                j.worst_state.as_str(),
                j.recommendation.as_str()
            ));
        }
        out.push('\n');
    }
    out.push_str("## SLOs\n\n| # | SLO | Journey | Owner | Budget left | Burn 1h | Exhausts | State | Work | Why | Top contributors |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for i in &report.items {
        let contributors: Vec<String> = i
            .top_contributors
            .iter()
            .map(|c| format!("{}={} ({})", c.dimension, c.value, percent(c.share_of_burn)))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            i.rank,
            cell(&i.slo),
            cell(i.journey.as_deref().unwrap_or("–")),
            cell(i.owner.as_deref().unwrap_or("–")),
            percent(i.budget_remaining),
            i.burn_rate_1h
                .map_or("–".to_owned(), |b| format!("{}×", number(b, 1))),
            i.exhaustion_at.as_deref().map_or_else(
                || if i.budget_remaining <= 0.0 {
                    "exhausted"
                } else {
                    "–"
                }
                .to_owned(),
                |t| t.get(..10).unwrap_or(t).to_owned()
            ),
            i.policy_state.as_str(),
            i.recommendation.as_str(),
            cell(&i.reason),
            cell(&if contributors.is_empty() {
                "–".to_owned()
            } else {
                contributors.join(", ")
            }),
        ));
    }
    out
}

/// Keeps a table cell on one line and its pipes literal.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests;
