//! Series identity: the public `SeriesKey` (SLI, dimension, value) and the
//! internal `SeriesId` it is interned to. Keys are what callers speak; ids
//! are what the WAL and the in-memory tables use, so a key's strings are
//! stored once. Nothing here knows about tiers or files.

use std::fmt;

/// Names one stored series: an SLI as a whole (`dimension` and `value`
/// empty) or one segment of it (e.g. dimension `region`, value `eu-west`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesKey {
    pub sli: String,
    pub dimension: String,
    pub value: String,
}

impl SeriesKey {
    /// The whole-SLI series of `sli`.
    pub fn whole(sli: impl Into<String>) -> Self {
        SeriesKey {
            sli: sli.into(),
            dimension: String::new(),
            value: String::new(),
        }
    }

    /// The series of `sli` restricted to `dimension = value`.
    pub fn segment(
        sli: impl Into<String>,
        dimension: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        SeriesKey {
            sli: sli.into(),
            dimension: dimension.into(),
            value: value.into(),
        }
    }

    /// True for the whole-SLI series (no dimension).
    pub fn is_whole(&self) -> bool {
        self.dimension.is_empty()
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_whole() {
            write!(f, "{:?}", self.sli)
        } else {
            write!(f, "{:?}{{{}={:?}}}", self.sli, self.dimension, self.value)
        }
    }
}

/// Index of a live series in the store's table. Ids of removed series are
/// reused; the WAL carries the key with an id's first use after that.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SeriesId(pub(crate) u32);
