//! Composite objectives: several evaluated objectives combined with weights.
//!
//! The combination is on normalised figures, not on raw counts, because the
//! parts may count different things (events of one SLI, slices of another):
//! the SLI, the consumed budget fraction and each burn rate are weighted
//! means over the parts that have data. A part without data neither helps nor
//! hurts. This module only combines evaluations; it reads no data.

use crate::evaluation::{BurnRate, ErrorBudget, Evaluation, classify, time_to_exhaustion};

/// Combines `(weight, evaluation)` parts into one evaluation for a composite
/// objective with `target`.
///
/// - `sli = Σ w·sli / Σ w` over parts with data (and a positive weight);
/// - `budget.consumed_fraction = Σ w·consumed_fraction / Σ w`, likewise;
///   `remaining = 1 - consumed_fraction`; `budget.total` is
///   `(1 - target) * total` and `consumed = consumed_fraction * budget.total`
///   so the absolute figures stay consistent with the fractions;
/// - each burn rate is the weighted mean over parts with a value there;
/// - `good`/`total` are the weighted sums of the parts' (so `good / total`
///   is not `sli` when parts differ in volume); raw counts are plain sums;
/// - the window spans all parts, paced over the longest part's window.
pub fn composite(parts: &[(f64, &Evaluation)], target: f64) -> Evaluation {
    let with_data = || parts.iter().filter(|(w, e)| *w > 0.0 && e.sli.is_some());
    let weight: f64 = with_data().map(|(w, _)| w).sum();
    let has_data = weight > 0.0;
    let mean =
        |f: &dyn Fn(&Evaluation) -> f64| with_data().map(|(w, e)| w * f(e)).sum::<f64>() / weight;

    let sli = has_data.then(|| mean(&|e| e.sli.unwrap_or(0.0)));
    let consumed_fraction = if has_data {
        mean(&|e| e.budget.consumed_fraction)
    } else {
        0.0
    };
    let good: f64 = with_data().map(|(w, e)| w * e.good).sum();
    let total: f64 = with_data().map(|(w, e)| w * e.total).sum();
    let budget_total = (1.0 - target) * total;
    let consumed = consumed_fraction * budget_total;
    let budget = ErrorBudget {
        total: budget_total,
        consumed,
        remaining: 1.0 - consumed_fraction,
        consumed_fraction,
        remaining_absolute: budget_total - consumed,
    };

    let mut burn_rates: Vec<BurnRate> = Vec::new();
    for (_, e) in parts {
        for b in &e.burn_rates {
            if !burn_rates.iter().any(|x| x.minutes == b.minutes) {
                burn_rates.push(BurnRate {
                    label: b.label,
                    minutes: b.minutes,
                    value: None,
                });
            }
        }
    }
    for b in &mut burn_rates {
        let (mut num, mut den) = (0.0, 0.0);
        for (w, e) in parts.iter().filter(|(w, _)| *w > 0.0) {
            if let Some(v) = e.burn_rate(b.minutes) {
                num += w * v;
                den += w;
            }
        }
        b.value = (den > 0.0).then(|| num / den);
    }

    let window_minutes = parts
        .iter()
        .map(|(_, e)| e.window_minutes)
        .max()
        .unwrap_or(1);
    let burn = |m: i64| {
        burn_rates
            .iter()
            .find(|b| b.minutes == m)
            .and_then(|b| b.value)
    };
    let time_to_exhaustion_s = if has_data {
        time_to_exhaustion(budget.remaining, burn(60), window_minutes)
    } else {
        None
    };
    let status = classify(has_data, &budget, burn, window_minutes);
    Evaluation {
        window_from: parts.iter().map(|(_, e)| e.window_from).min().unwrap_or(0),
        window_to: parts.iter().map(|(_, e)| e.window_to).max().unwrap_or(0),
        window_minutes,
        good,
        total,
        raw_good: parts.iter().map(|(_, e)| e.raw_good).sum(),
        raw_total: parts.iter().map(|(_, e)| e.raw_total).sum(),
        sli,
        budget,
        burn_rates,
        time_to_exhaustion_s,
        status,
    }
}

#[cfg(test)]
mod tests;
