//! A small deterministic random source for the demo traffic: SplitMix64 and
//! the few distributions the traffic model draws from (uniform, normal,
//! Poisson). The same seed gives the same stream on every run of a build;
//! `ln`, `exp` and `cos` come from the platform's math library, so another
//! platform may differ in the last bits of a latency, never in the
//! statistics. This module must never read the clock, the OS entropy pool or
//! any global state.

/// SplitMix64 (Steele, Lea and Flood): one 64-bit word of state, passes
/// BigCrush, and any seed (zero included) gives a full-period stream, so
/// seeds derived by [`stream_seed`] need no care.
#[derive(Clone, Debug)]
pub(super) struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The SplitMix64 output function, also used to derive independent seeds.
fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for the sub-stream `index` of `seed`; nearby indices give
/// unrelated streams because both words go through the finaliser.
pub(super) fn stream_seed(seed: u64, index: u64) -> u64 {
    finalize(finalize(seed ^ GOLDEN_GAMMA).wrapping_add(index.wrapping_mul(GOLDEN_GAMMA)))
}

impl SplitMix64 {
    pub(super) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        finalize(self.state)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, n)`; the modulo bias is below 2^-40 for the small `n` used here.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal by Box-Muller; one of the pair is dropped because a
    /// cached spare would make the stream depend on call history.
    pub(super) fn standard_normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln stays finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson with mean `lambda` (≥ 0). Knuth's product method below 30,
    /// where it is exact and cheap; above, the normal approximation with a
    /// continuity correction, whose error is far below the demo's noise.
    pub(super) fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 || lambda.is_nan() {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0;
            let mut product = self.unit();
            while product > limit {
                k += 1;
                product *= self.unit();
            }
            return k;
        }
        let x = lambda + lambda.sqrt() * self.standard_normal() + 0.5;
        if x < 0.0 { 0 } else { x as u64 }
    }
}
