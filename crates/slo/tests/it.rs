//! The crate's one integration-test binary: property tests of the evaluator
//! against naive models that work event by event, and of calendar windows
//! against their tiling invariants. It uses only the public API.

mod it {
    mod calendar;
    mod model;
}
