//! Replay cost: three days at one-minute steps (4,320 observations) of a
//! 30-day rolling 99.9 % SLO under the Workbook policy, over minute data
//! with running totals (`PrefixSums`), plus the cost of building those
//! totals. Traffic comes from a fixed-seed generator with a few incidents so
//! alerts do open and close.
//!
//! Figures go to BENCHMARKS.md; this file measures and asserts nothing.

use std::collections::BTreeMap;
use std::hint::black_box;

use alert::{AlertSubject, EmbeddedCounts, Policy, PrefixSums, replay, rolling_window};
use criterion::{Criterion, criterion_group, criterion_main};
use slo::{Bucket, Indicator, Method, Minute, ObjectiveDef, Window};

const WINDOW: i64 = 30 * 1440;
const RANGE: i64 = 3 * 1440;
const FROM: Minute = 28_487_520;

/// xorshift64*: enough randomness for traffic shapes, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 30 days of history and the 3 replayed days: ~1,000 requests a minute,
/// 0.05 % errors, and a 20-minute 20 % incident every 17 hours.
fn data() -> BTreeMap<Minute, Bucket> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (FROM - WINDOW - 1440..FROM + RANGE)
        .map(|m| {
            let total = 900 + (rng.next() * 200.0) as u64;
            let ratio = if m.rem_euclid(17 * 60) < 20 {
                0.2
            } else {
                0.0005
            };
            let bad = (total as f64 * ratio + rng.next()).floor() as u64;
            let b = Bucket {
                good: (total - bad) as f64,
                total: total as f64,
                raw_good: total - bad,
                raw_total: total,
                values: None,
            };
            (m, b)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = data();
    let span = (FROM - WINDOW - 1440, FROM + RANGE);
    let def = ObjectiveDef {
        target: 0.999,
        indicator: Indicator::Ratio,
        method: Method::Occurrences,
        window: Window::Rolling { minutes: WINDOW },
    };
    let policy = Policy::workbook(WINDOW);
    let window = rolling_window(WINDOW);

    c.bench_function("prefix_sums_34d", |b| {
        b.iter(|| PrefixSums::new(black_box(&data), span.0, span.1))
    });

    let sums = PrefixSums::new(&data, span.0, span.1);
    let counts = EmbeddedCounts {
        def: &def,
        data: &sums,
    };
    let subject = AlertSubject {
        slo: "checkout",
        objective: "availability",
        policy: &policy,
        target: def.target,
        counts: &counts,
        window_of: &window,
    };
    c.bench_function("replay_3d_1m_steps_30d_window", |b| {
        b.iter(|| replay(black_box(&subject), FROM, FROM + RANGE, 1, &[]))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
