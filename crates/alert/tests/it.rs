//! The alert crate's one integration-test binary: the Workbook scenario
//! suite, driven through the public replay path.

mod it {
    mod scenarios;
}
