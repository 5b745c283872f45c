//! The decision engine end to end, from tallies and sketches with known
//! answers to policy and gate verdicts: the scenarios of the "Decision
//! engine" issue. One integration binary; modules live under `tests/it/`.

mod it {
    mod scenarios;
}
