//! The crate's one integration-test binary: golden spec files under
//! `tests/data/` (diagnostics and a summary of what loaded), `fmt` round
//! trips over the same files, `load_paths` on real folders, and the
//! repository's `examples/`.
//!
//! Regenerate the `.expected` files with `UPDATE_EXPECT=1 cargo test -p
//! lodestar-spec --test it` and review the diff.

mod it {
    mod cases;
    mod examples;
    mod format;
    mod golden;
    mod paths;
    mod readme;
    mod summary;
}
