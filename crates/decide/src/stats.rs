//! The statistics behind canary verdicts: the normal distribution (its own
//! erf/erfc, so the crate needs no numeric library), the Mann-Whitney U test
//! on latency distributions and the two-proportion z test on error ratios.
//!
//! Mann-Whitney is computed straight from two DDSketches. Both use the same
//! logarithmic bin mapping, so walking their bins in ascending order ranks
//! every value: a bin is a group of ties (the sketch cannot tell its values
//! apart), the values of a bin get the group's mid-rank, and the variance
//! carries the usual tie correction. The result is exactly the test on the
//! bin-representative values, which [`mann_whitney_samples`] computes from
//! raw samples so the two can be checked against each other. Weights are
//! counts: a sampled event of rate N counts N times, as everywhere in
//! Lodestar; callers check minimum sample sizes on raw counts.
//!
//! This module is arithmetic only: no IO, no clock, no verdicts (the gate
//! decides what a p-value means).

use serde::Serialize;
use slo::Sketch;

/// `2 / sqrt(pi)`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// Below this the series of erf is summed; above it the continued fraction
/// of erfc is, which keeps relative accuracy far into the tail (p-values of
/// 1e-30 stay meaningful instead of rounding to 0).
const SERIES_LIMIT: f64 = 2.5;

/// The error function.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() < SERIES_LIMIT {
        erf_series(x)
    } else {
        x.signum() * (1.0 - erfc_fraction(x.abs()))
    }
}

/// The complementary error function `1 - erf(x)`, accurate in the tails.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x >= SERIES_LIMIT {
        erfc_fraction(x)
    } else if x <= -SERIES_LIMIT {
        2.0 - erfc_fraction(-x)
    } else {
        1.0 - erf_series(x)
    }
}

/// `erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1·3·…·(2n+1))`: every
/// term is positive, so the sum has no cancellation (the alternating Taylor
/// series loses digits near 2.5).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() && n < 200.0 {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    TWO_OVER_SQRT_PI * (-x2).exp() * sum
}

/// `erfc(x) = e^(-x^2)/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`
/// for `x >= SERIES_LIMIT`, evaluated from a fixed depth backwards; 80
/// levels are far more than double precision needs at x = 2.5.
fn erfc_fraction(x: f64) -> f64 {
    let mut f = x;
    for k in (1..=80).rev() {
        f = x + (f64::from(k) / 2.0) / f;
    }
    (-x * x).exp() / (std::f64::consts::PI.sqrt() * f)
}

/// `P(Z <= z)` for a standard normal `Z`.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// `P(Z > z)`, accurate when tiny.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// A Mann-Whitney U test of sample `a` against sample `b`.
///
/// JSON: `{"u": f64, "z": f64, "p_two_sided": f64, "effect": f64,
/// "superiority": f64, "n_a": f64, "n_b": f64}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannWhitney {
    /// `U` of `a`: pairs where `a`'s value is larger, plus half the ties.
    pub u: f64,
    /// `(u - n_a n_b / 2) / sigma` with the tie-corrected sigma, no
    /// continuity correction (the samples a gate sees are large); positive
    /// when `a` tends to be larger. 0 when every value ties.
    pub z: f64,
    /// Two-sided p-value of `z`.
    pub p_two_sided: f64,
    /// Rank-biserial correlation `2u/(n_a n_b) - 1` in [-1, 1]:
    /// `P(a > b) - P(a < b)`; 0.41 means a random `a` exceeds a random `b`
    /// 41 points more often than the reverse.
    pub effect: f64,
    /// Probability of superiority `u / (n_a n_b)` = `P(a > b) + P(a = b)/2`.
    pub superiority: f64,
    /// Weight of `a`.
    pub n_a: f64,
    /// Weight of `b`.
    pub n_b: f64,
}

/// Running sums over tie groups walked in ascending order.
#[derive(Default)]
struct RankWalk {
    /// `b` weight already walked (all of it is smaller than the group).
    b_below: f64,
    u: f64,
    /// `sum (t^3 - t)` over tie groups.
    ties: f64,
    n_a: f64,
    n_b: f64,
}

impl RankWalk {
    fn group(&mut self, wa: f64, wb: f64) {
        let t = wa + wb;
        if t <= 0.0 {
            return;
        }
        self.u += wa * (self.b_below + wb / 2.0);
        self.b_below += wb;
        self.ties += t * t * t - t;
        self.n_a += wa;
        self.n_b += wb;
    }

    fn finish(self) -> Option<MannWhitney> {
        let (na, nb) = (self.n_a, self.n_b);
        if na <= 0.0 || nb <= 0.0 {
            return None;
        }
        let n = na + nb;
        let pairs = na * nb;
        let tie_term = if n > 1.0 {
            self.ties / (n * (n - 1.0))
        } else {
            0.0
        };
        let variance = pairs / 12.0 * ((n + 1.0) - tie_term);
        let z = if variance > 0.0 {
            (self.u - pairs / 2.0) / variance.sqrt()
        } else {
            0.0
        };
        let superiority = (self.u / pairs).clamp(0.0, 1.0);
        Some(MannWhitney {
            u: self.u,
            z,
            p_two_sided: (2.0 * normal_sf(z.abs())).min(1.0),
            effect: 2.0 * superiority - 1.0,
            superiority,
            n_a: na,
            n_b: nb,
        })
    }
}

/// Mann-Whitney U of `a` against `b` from their sketches; `None` when either
/// is empty. Values in the same bin are ties; the zero bin ranks first.
pub fn mann_whitney(a: &Sketch, b: &Sketch) -> Option<MannWhitney> {
    let mut walk = RankWalk::default();
    walk.group(a.zero_count(), b.zero_count());
    let mut ia = a.bins().peekable();
    let mut ib = b.bins().peekable();
    loop {
        let (wa, wb) = match (ia.peek().copied(), ib.peek().copied()) {
            (None, None) => break,
            (Some((_, wa)), None) => {
                ia.next();
                (wa, 0.0)
            }
            (None, Some((_, wb))) => {
                ib.next();
                (0.0, wb)
            }
            (Some((ka, wa)), Some((kb, wb))) => match ka.cmp(&kb) {
                std::cmp::Ordering::Less => {
                    ia.next();
                    (wa, 0.0)
                }
                std::cmp::Ordering::Greater => {
                    ib.next();
                    (0.0, wb)
                }
                std::cmp::Ordering::Equal => {
                    ia.next();
                    ib.next();
                    (wa, wb)
                }
            },
        };
        walk.group(wa, wb);
    }
    walk.finish()
}

/// Mann-Whitney U of raw samples `a` against `b` (each value weight 1,
/// exact ties grouped); NaNs are ignored. `None` when either is empty.
pub fn mann_whitney_samples(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .filter(|(v, _)| !v.is_nan())
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut walk = RankWalk::default();
    let mut i = 0;
    while i < all.len() {
        let value = all[i].0;
        let (mut wa, mut wb) = (0.0, 0.0);
        while i < all.len() && all[i].0 == value {
            if all[i].1 {
                wa += 1.0;
            } else {
                wb += 1.0;
            }
            i += 1;
        }
        walk.group(wa, wb);
    }
    walk.finish()
}

/// A two-proportion z test: is `a`'s bad ratio higher than `b`'s?
///
/// JSON: `{"z": f64, "p_one_sided": f64, "diff": f64, "ratio_a": f64, "ratio_b": f64}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Proportions {
    /// `diff / se` with the pooled standard error; 0 when the pooled ratio
    /// is 0 or 1 (no variation to test).
    pub z: f64,
    /// `P(Z >= z)`: the chance of a difference this large in `a`'s
    /// disfavour if both arms failed equally often.
    pub p_one_sided: f64,
    /// `ratio_a - ratio_b`.
    pub diff: f64,
    /// `bad_a / n_a`.
    pub ratio_a: f64,
    /// `bad_b / n_b`.
    pub ratio_b: f64,
}

/// Two-proportion z test of `bad_a / n_a` against `bad_b / n_b`; `None`
/// when either arm has no weight or a count is negative or not finite.
pub fn two_proportion(bad_a: f64, n_a: f64, bad_b: f64, n_b: f64) -> Option<Proportions> {
    let valid = |bad: f64, n: f64| n > 0.0 && n.is_finite() && bad >= 0.0 && bad.is_finite();
    if !valid(bad_a, n_a) || !valid(bad_b, n_b) {
        return None;
    }
    let ratio_a = (bad_a / n_a).min(1.0);
    let ratio_b = (bad_b / n_b).min(1.0);
    let pooled = ((bad_a + bad_b) / (n_a + n_b)).min(1.0);
    let se = (pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)).sqrt();
    let diff = ratio_a - ratio_b;
    let z = if se > 0.0 { diff / se } else { 0.0 };
    Some(Proportions {
        z,
        p_one_sided: normal_sf(z),
        diff,
        ratio_a,
        ratio_b,
    })
}

#[cfg(test)]
mod tests;
