//! The store's one integration-test binary: it drives the public API only,
//! against real files in temporary directories.

mod it {
    pub mod buckets;
    mod concurrency;
    mod crash;
    mod model;
    pub mod wal_file;
}
