//! Counter state bookkeeping: bounds, idle pruning, and shard addressing.

use super::*;

fn series(last_ms: i64) -> CounterSeries {
    CounterSeries {
        last_value: 1.0,
        last_ms,
        start_ms: 0,
        pipeline: 0,
        targets: Box::default(),
    }
}

#[test]
fn idle_series_are_pruned_once_a_quarter_of_the_idle_time_has_passed() {
    let state = CounterState::with_limits(1000, Duration::from_secs(3600));
    let hour = 3_600_000;
    let now = 10 * hour;
    {
        let mut s = state.shard(1, now);
        s.map.insert(1, series(now - 2 * hour));
        s.map.insert(2, series(now - hour / 2));
        s.map.insert(3, series(NO_SAMPLE));
    }
    assert_eq!(state.len(), 3);
    // The first access already pruned (before the inserts); the next pass
    // is due a quarter hour later.
    drop(state.shard(1, now + hour / 8));
    assert_eq!(state.len(), 3);
    drop(state.shard(1, now + hour / 4));
    // Only series 2 (newest sample 45 minutes before this `now`) stays.
    assert_eq!(state.len(), 1);
    assert!(state.shard(1, now + hour / 4).map.contains_key(&2));
}

#[test]
fn the_bound_is_spread_over_shards_and_never_zero() {
    assert_eq!(
        CounterState::with_limits(0, DEFAULT_IDLE).max_per_shard(),
        1
    );
    let s = CounterState::with_limits(1000, DEFAULT_IDLE);
    assert_eq!(s.max_per_shard(), 16);
    assert_eq!(s.max_series(), 1024);
    assert!(CounterState::new().max_series() >= DEFAULT_MAX_SERIES);
}

#[test]
fn keys_spread_over_shards_by_their_high_bits() {
    let state = CounterState::new();
    for i in 0..SHARDS as u64 {
        state.shard(i << 58, 0).map.insert(i << 58, series(0));
    }
    assert!(
        state
            .shards
            .iter()
            .all(|s| s.lock().unwrap().map.len() == 1)
    );
}

#[test]
fn different_states_hash_with_different_seeds() {
    // Seeds come from the process's random hash keys, so two states (and
    // two processes) do not share weak inputs.
    let seeds: std::collections::HashSet<u64> =
        (0..8).map(|_| CounterState::new().seed()).collect();
    assert!(seeds.len() > 1);
}
