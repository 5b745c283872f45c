//! The synthetic web shop the NDJSON and OTLP load tools describe: a
//! seeded generator and the routes, regions, versions and tiers its
//! requests carry (matching `bench/specs`), shared by the load tools
//! (included with `#[path]`; not a binary of its own).

/// A small deterministic generator, so runs are comparable.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub const ROUTES: [&str; 10] = [
    "/",
    "/product/{id}",
    "/search",
    "/cart",
    "/cart/items",
    "/checkout",
    "/pay",
    "/account",
    "/orders",
    "/recommendations",
];
pub const REGIONS: [&str; 3] = ["eu-west", "us-east", "ap-south"];
pub const VERSIONS: [&str; 2] = ["v1.41.0", "v1.42.0"];
pub const TIERS: [&str; 3] = ["free", "pro", "enterprise"];
