//! Who burned the budget: for one SLO over one time range, the bad weight
//! broken down by segment (version, flag, region, dependency, customer
//! tier…), each contributor's share of the burn, of the traffic and of the
//! window's budget, the top contributors, and the burn caused by
//! dependencies reported apart, which is what policy exceptions discount.
//!
//! Segments are one dimension at a time (the store keeps a series per value
//! of each dimension, not the cross product), so the values of one
//! dimension partition that dimension's events, and shares compare a
//! segment with the whole SLI's tally over the same range. A dependency
//! dimension covers only the events that touched a dependency, so its
//! shares need the whole tally too.
//!
//! [`dominant_cause`] names a single segment that explains the burn while
//! carrying far less of the traffic: the evidence the rollback and
//! flag-off hooks act on. Pure: tallies come in, nothing is read or fired
//! here.

use serde::Serialize;
use slo::Tally;

use crate::DecideError;

/// How many contributors [`Attribution::top`] lists.
pub const TOP_CONTRIBUTORS: usize = 5;

/// One segment value's part in the burn.
///
/// JSON: `{"dimension": str, "value": str, "bad": f64, "total": f64,
/// "share_of_burn": f64, "share_of_traffic": f64, "share_of_budget": f64,
/// "burn_rate": f64|null}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contributor {
    /// The segment dimension (`version`, `flag`, `peer.service`…).
    pub dimension: String,
    /// The segment value (`v2.3.1`, `new-checkout`…).
    pub value: String,
    /// Bad weight of the segment.
    pub bad: f64,
    /// Total weight of the segment.
    pub total: f64,
    /// `bad / whole bad`, in [0, 1].
    pub share_of_burn: f64,
    /// `total / whole total`, in [0, 1].
    pub share_of_traffic: f64,
    /// `bad / window budget`: the part of the window's budget it consumed.
    pub share_of_budget: f64,
    /// The segment's own burn rate `(bad/total)/(1 - target)`; `None`
    /// without traffic.
    pub burn_rate: Option<f64>,
}

/// The contributors of one dimension, largest burn first.
///
/// JSON: `{"dimension": str, "dependency": bool, "bad": f64,
/// "contributors": [Contributor]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DimensionBreakdown {
    /// The dimension.
    pub dimension: String,
    /// True for a dependency dimension (reported apart, excepted by policy).
    pub dependency: bool,
    /// Bad weight over all of the dimension's values.
    pub bad: f64,
    /// Its values, largest bad weight first (then by name).
    pub contributors: Vec<Contributor>,
}

/// Budget burn broken down by segment.
///
/// JSON: `{"total_bad": f64, "total": f64, "window_budget": f64,
/// "share_of_budget": f64, "by_dimension": [DimensionBreakdown],
/// "dependency": [Contributor], "dependency_share": f64, "top": [Contributor]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attribution {
    /// Bad weight of the whole SLI over the range.
    pub total_bad: f64,
    /// Total weight of the whole SLI over the range.
    pub total: f64,
    /// Bad weight the window allows.
    pub window_budget: f64,
    /// `total_bad / window_budget`.
    pub share_of_budget: f64,
    /// Every dimension, in input order of first appearance.
    pub by_dimension: Vec<DimensionBreakdown>,
    /// Contributors of the dependency dimensions, largest first.
    pub dependency: Vec<Contributor>,
    /// Share of the burn attributed to any dependency, in [0, 1] (summed
    /// over dependency contributors, capped at 1).
    pub dependency_share: f64,
    /// The largest non-dependency contributors across dimensions, at most
    /// [`TOP_CONTRIBUTORS`], each with some burn.
    pub top: Vec<Contributor>,
}

/// Breaks the burn of `whole` (the SLI's tally over the range) down by
/// `segments` `(dimension, value, tally)` over the same range. Dimensions
/// named in `dependency_dimensions` are dependencies. `target` is the
/// objective's target, `window_budget` the bad weight its window allows.
///
/// When the segments of a dimension add up to more than `whole` (data
/// written between two reads), the larger figure is the whole, so shares
/// stay in [0, 1].
pub fn attribute<D: AsRef<str>, V: AsRef<str>>(
    target: f64,
    window_budget: f64,
    whole: &Tally,
    segments: &[(D, V, Tally)],
    dependency_dimensions: &[&str],
) -> Result<Attribution, DecideError> {
    const PLACE: &str = "attribution";
    if !(target > 0.0 && target < 1.0) {
        return Err(DecideError::Target {
            target,
            place: PLACE,
        });
    }
    if !(window_budget > 0.0 && window_budget.is_finite()) {
        return Err(DecideError::Budget {
            budget: window_budget,
            place: PLACE,
        });
    }
    // (dimension, [(value, tally)]) in order of first appearance.
    let mut dims: Vec<(&str, Vec<(&str, Tally)>)> = Vec::new();
    for (d, v, t) in segments {
        let (d, v) = (d.as_ref(), v.as_ref());
        let idx = match dims.iter().position(|(name, _)| *name == d) {
            Some(i) => i,
            None => {
                dims.push((d, Vec::new()));
                dims.len() - 1
            }
        };
        match dims[idx].1.iter_mut().find(|(name, _)| *name == v) {
            Some((_, acc)) => acc.add(t),
            None => dims[idx].1.push((v, *t)),
        }
    }
    let mut total_bad = whole.bad();
    let mut total = whole.total;
    for (_, values) in &dims {
        total_bad = total_bad.max(values.iter().map(|(_, t)| t.bad()).sum());
        total = total.max(values.iter().map(|(_, t)| t.total).sum());
    }
    let share = |part: f64, of: f64| if of > 0.0 { (part / of).min(1.0) } else { 0.0 };
    let allowed = 1.0 - target;

    let mut by_dimension = Vec::with_capacity(dims.len());
    for (dimension, values) in dims {
        let mut contributors: Vec<Contributor> = values
            .into_iter()
            .map(|(value, t)| Contributor {
                dimension: dimension.to_owned(),
                value: value.to_owned(),
                bad: t.bad(),
                total: t.total,
                share_of_burn: share(t.bad(), total_bad),
                share_of_traffic: share(t.total, total),
                share_of_budget: t.bad() / window_budget,
                burn_rate: t.sli().map(|sli| (1.0 - sli) / allowed),
            })
            .collect();
        contributors.sort_by(by_burn);
        by_dimension.push(DimensionBreakdown {
            dimension: dimension.to_owned(),
            dependency: dependency_dimensions.contains(&dimension),
            bad: contributors.iter().map(|c| c.bad).sum(),
            contributors,
        });
    }
    let mut dependency: Vec<Contributor> = by_dimension
        .iter()
        .filter(|d| d.dependency)
        .flat_map(|d| d.contributors.iter().cloned())
        .collect();
    dependency.sort_by(by_burn);
    let dependency_share = dependency
        .iter()
        .map(|c| c.share_of_burn)
        .sum::<f64>()
        .min(1.0);
    let mut top: Vec<Contributor> = by_dimension
        .iter()
        .filter(|d| !d.dependency)
        .flat_map(|d| d.contributors.iter())
        .filter(|c| c.bad > 0.0)
        .cloned()
        .collect();
    top.sort_by(by_burn);
    top.truncate(TOP_CONTRIBUTORS);
    Ok(Attribution {
        total_bad,
        total,
        window_budget,
        share_of_budget: total_bad / window_budget,
        by_dimension,
        dependency,
        dependency_share,
        top,
    })
}

/// Largest bad weight first, then by dimension and value so the order is
/// stable whatever the input order.
fn by_burn(a: &Contributor, b: &Contributor) -> std::cmp::Ordering {
    b.bad
        .total_cmp(&a.bad)
        .then_with(|| a.dimension.cmp(&b.dimension))
        .then_with(|| a.value.cmp(&b.value))
}

/// A single segment that explains the burn.
///
/// JSON: `{"dimension": str, "value": str, "share_of_burn": f64,
/// "share_of_traffic": f64}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DominantCause {
    /// The dimension (`version`, `flag`…).
    pub dimension: String,
    /// The value the burn is attributed to.
    pub value: String,
    /// Its share of the burn.
    pub share_of_burn: f64,
    /// Its share of the traffic.
    pub share_of_traffic: f64,
}

impl DominantCause {
    /// `attributed to flag new-checkout (85 % of the burn, 10 % of the traffic)`.
    pub fn describe(&self) -> String {
        format!(
            "attributed to {} {} ({} of the burn, {} of the traffic)",
            self.dimension,
            self.value,
            crate::wording::percent(self.share_of_burn),
            crate::wording::percent(self.share_of_traffic)
        )
    }
}

/// The non-dependency segment with the largest share of the burn, if that
/// share is at least `min_share` (e.g. 0.6) and the segment carries at most
/// half as large a share of the traffic: a segment that burns in proportion
/// to its traffic (the only version deployed, an even region split) is not
/// a cause, it is just where the traffic is.
pub fn dominant_cause(attribution: &Attribution, min_share: f64) -> Option<DominantCause> {
    attribution
        .by_dimension
        .iter()
        .filter(|d| !d.dependency)
        .flat_map(|d| d.contributors.iter())
        .filter(|c| {
            c.bad > 0.0
                && c.share_of_burn >= min_share
                && c.share_of_traffic * 2.0 <= c.share_of_burn
        })
        .max_by(|a, b| {
            a.share_of_burn
                .total_cmp(&b.share_of_burn)
                .then_with(|| b.share_of_traffic.total_cmp(&a.share_of_traffic))
        })
        .map(|c| DominantCause {
            dimension: c.dimension.clone(),
            value: c.value.clone(),
            share_of_burn: c.share_of_burn,
            share_of_traffic: c.share_of_traffic,
        })
}

/// Share of the burn (in [0, 1]) attributed to `dimension` values in
/// `values`, or to any of its values when `values` is empty: what a policy's
/// dependency exception discounts.
pub fn excepted_share(attribution: &Attribution, dimension: &str, values: &[String]) -> f64 {
    attribution
        .by_dimension
        .iter()
        .filter(|d| d.dimension == dimension)
        .flat_map(|d| d.contributors.iter())
        .filter(|c| values.is_empty() || values.contains(&c.value))
        .map(|c| c.share_of_burn)
        .sum::<f64>()
        .min(1.0)
}

#[cfg(test)]
mod tests;
