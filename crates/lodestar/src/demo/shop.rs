//! The demo shop as data: its regions, endpoints, customer mix, release and
//! flag cohorts, and the two incidents in its history. Every number that
//! shapes the demo's traffic lives here, so tuning the story (which budgets
//! end healthy, at risk or nearly exhausted) means editing this file only.
//! It holds no logic that draws random numbers and must not read the clock;
//! `traffic` turns these parameters into events.

/// A deployment region: where requests are served and at what pace.
#[derive(Debug)]
pub(super) struct Region {
    /// Value of `attributes["region"]`.
    pub name: &'static str,
    /// IANA zone of the region's customers: traffic peaks in their afternoon.
    pub time_zone: &'static str,
    /// Offset used only if the bundled time zone database lacks the zone.
    pub fallback_offset_s: i32,
    /// True (unsampled) requests per second at the diurnal peak of a Tuesday.
    pub peak_rps: f64,
    /// Scales server-side latency: the smaller ap-south fleet runs hotter.
    pub server_latency: f64,
    /// Scales browser-side timings: distance to the nearest CDN edge.
    pub client_latency: f64,
}

pub(super) const REGIONS: [Region; 3] = [
    Region {
        name: "eu-west",
        time_zone: "Europe/Dublin",
        fallback_offset_s: 0,
        peak_rps: 33.0,
        server_latency: 1.0,
        client_latency: 1.0,
    },
    Region {
        name: "us-east",
        time_zone: "America/New_York",
        fallback_offset_s: -5 * 3600,
        peak_rps: 28.0,
        server_latency: 1.04,
        client_latency: 1.06,
    },
    Region {
        name: "ap-south",
        time_zone: "Asia/Kolkata",
        fallback_offset_s: 19_800,
        peak_rps: 12.5,
        server_latency: 1.12,
        client_latency: 1.15,
    },
];

/// The region the payments outage hit.
pub(super) const OUTAGE_REGION: usize = 0;

/// What an endpoint is, for the behaviour that differs between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Home,
    Product,
    Search,
    AddToCart,
    ViewCart,
    Checkout,
    /// The checkout service's client call to the payments provider.
    Charge,
    /// Browser timing from page load to the first click that does something.
    FirstAction,
}

/// One kind of event the shop emits, with its traffic and health model.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub kind: Kind,
    /// Value of the event's `name`.
    pub name: &'static str,
    /// Value of `attributes["http.route"]`; browser timings pick their page instead.
    pub route: &'static str,
    /// Value of `attributes["service.name"]`.
    pub service: &'static str,
    /// Requests of this endpoint per request to the shop.
    pub share: f64,
    /// Log-normal latency: median and shape (p95 = median·e^(1.645·sigma)).
    pub median_ms: f64,
    pub sigma: f64,
    /// Share of requests that miss a cache or wait on a pause, and how much slower they are.
    pub tail_probability: f64,
    pub tail_factor: f64,
    /// Background failure probability of the endpoint's own code.
    pub error_probability: f64,
    /// Head sampling of successful requests, live and in the backfilled history.
    pub live_sample_rate: u32,
    pub history_sample_rate: u32,
}

/// Failed requests are always kept, as a tail-based sampler would: errors
/// are rare and are what people drill into, and keeping them all makes the
/// error counts exact while successes stay sampled.
pub(super) const ERROR_SAMPLE_RATE: u32 = 1;

pub(super) const ENDPOINTS: [Endpoint; 8] = [
    Endpoint {
        kind: Kind::Home,
        name: "GET /",
        route: "/",
        service: "storefront",
        share: 0.14,
        median_ms: 42.0,
        sigma: 0.45,
        tail_probability: 0.004,
        tail_factor: 6.0,
        error_probability: 0.000_15,
        live_sample_rate: 2,
        history_sample_rate: 40,
    },
    Endpoint {
        kind: Kind::Product,
        name: "GET /product/{id}",
        route: "/product/{id}",
        service: "storefront",
        share: 0.34,
        median_ms: 62.0,
        sigma: 0.5,
        tail_probability: 0.005,
        tail_factor: 8.0,
        error_probability: 0.000_25,
        live_sample_rate: 2,
        history_sample_rate: 40,
    },
    Endpoint {
        kind: Kind::Search,
        name: "GET /search",
        route: "/search",
        service: "search",
        share: 0.20,
        median_ms: 96.0,
        sigma: 0.42,
        tail_probability: 0.002,
        tail_factor: 4.0,
        error_probability: 0.000_35,
        live_sample_rate: 1,
        history_sample_rate: 20,
    },
    Endpoint {
        kind: Kind::AddToCart,
        name: "POST /cart/items",
        route: "/cart/items",
        service: "cart",
        share: 0.07,
        median_ms: 68.0,
        sigma: 0.4,
        tail_probability: 0.003,
        tail_factor: 5.0,
        error_probability: 0.000_5,
        live_sample_rate: 1,
        history_sample_rate: 20,
    },
    Endpoint {
        kind: Kind::ViewCart,
        name: "GET /cart",
        route: "/cart",
        service: "cart",
        share: 0.10,
        median_ms: 38.0,
        sigma: 0.4,
        tail_probability: 0.003,
        tail_factor: 5.0,
        error_probability: 0.000_4,
        live_sample_rate: 1,
        history_sample_rate: 20,
    },
    Endpoint {
        kind: Kind::Checkout,
        name: "POST /checkout",
        route: "/checkout",
        service: "checkout",
        share: 0.025,
        median_ms: 470.0,
        sigma: 0.33,
        tail_probability: 0.005,
        tail_factor: 3.5,
        error_probability: 0.000_08,
        live_sample_rate: 1,
        history_sample_rate: 10,
    },
    Endpoint {
        kind: Kind::Charge,
        name: "payments.charge",
        route: "/checkout",
        service: "checkout",
        // Checkouts that are not abandoned before payment.
        share: 0.0245,
        median_ms: 310.0,
        sigma: 0.35,
        tail_probability: 0.004,
        tail_factor: 3.0,
        // Its failures are the provider's: see PROVIDER_FAILURE_PROBABILITY.
        error_probability: 0.0,
        live_sample_rate: 1,
        history_sample_rate: 10,
    },
    Endpoint {
        kind: Kind::FirstAction,
        name: "first_meaningful_action",
        route: "/",
        service: "storefront-web",
        // About one page load in twelve starts a visit.
        share: 0.08,
        median_ms: 800.0,
        sigma: 0.42,
        tail_probability: 0.01,
        tail_factor: 2.5,
        error_probability: 0.0,
        live_sample_rate: 1,
        history_sample_rate: 20,
    },
];

/// Pages a visit's first meaningful action happens on, with their odds.
pub(super) const FIRST_ACTION_PAGES: [(&str, f64); 3] =
    [("/", 0.55), ("/product/{id}", 0.35), ("/search", 0.10)];

/// Release versions: the old one, and the one rolled out 3 days before the anchor.
pub(super) const VERSIONS: [&str; 2] = ["v1.41.0", "v1.42.0"];
/// Index of v1.42.0 in [`VERSIONS`].
pub(super) const NEW_VERSION: usize = 1;
/// Share of traffic on the new version once it is rolled out (a 50/50 split).
pub(super) const NEW_VERSION_SHARE: f64 = 0.5;
/// The rollout happened this many days before the anchor's day, at 09:00 UTC.
pub(super) const ROLLOUT_DAYS_BEFORE: i64 = 3;
pub(super) const ROLLOUT_MINUTE_OF_DAY: i64 = 9 * 60;

/// Share of visits with `feature.new_checkout=on` (a running experiment).
pub(super) const NEW_CHECKOUT_SHARE: f64 = 0.4;

/// Customer tiers and their share of requests.
pub(super) const TIERS: [(&str, f64); 3] = [("free", 0.70), ("pro", 0.24), ("enterprise", 0.06)];
/// Checkouts abandoned at the payment step, per tier (same order as [`TIERS`]).
pub(super) const ABANDON_PROBABILITY: [f64; 3] = [0.026, 0.016, 0.008];
/// The new checkout shortens the payment step, so fewer visitors give up there.
pub(super) const NEW_CHECKOUT_ABANDON_FACTOR: f64 = 0.7;

/// Background share of charges the payments provider fails. A failed charge
/// fails its checkout: the provider's API has no idempotency keys, so the
/// checkout service does not retry.
pub(super) const PROVIDER_FAILURE_PROBABILITY: f64 = 0.000_4;

/// A failed dependency call either times out at the client's deadline or
/// fails fast with a 5xx; this is the timeout share.
pub(super) const TIMEOUT_SHARE: f64 = 0.6;
/// The checkout service's deadline for a charge call.
pub(super) const CHARGE_TIMEOUT_MS: f64 = 3000.0;

/// Incident 1: the payments provider degrades in eu-west.
pub(super) const OUTAGE_DAYS_BEFORE: i64 = 9;
pub(super) const OUTAGE_MINUTE_OF_DAY: i64 = 13 * 60 + 10;
pub(super) const OUTAGE_MINUTES: i64 = 50;
/// Share of charges that fail during the outage.
pub(super) const OUTAGE_CHARGE_FAILURE: f64 = 0.40;

/// Incident 2: v1.42.0 with the new checkout is slow and error-prone.
pub(super) const REGRESSION_DAYS_BEFORE: i64 = 2;
pub(super) const REGRESSION_MINUTE_OF_DAY: i64 = 14 * 60;
pub(super) const REGRESSION_MINUTES: i64 = 180;
/// Search latency multiplier for the affected cohort.
pub(super) const REGRESSION_SEARCH_SLOWDOWN: f64 = 3.0;
/// Checkout failure probability of the affected cohort's own code.
pub(super) const REGRESSION_CHECKOUT_ERRORS: f64 = 0.02;

/// Traffic over the local day, relative to the afternoon peak: a trough at
/// 03:30, a peak at 15:30, and a floor because some people shop at night.
pub(super) fn diurnal_factor(local_hour: f64) -> f64 {
    let phase = std::f64::consts::TAU * (local_hour - 3.5) / 24.0;
    let wave = (1.0 - phase.cos()) / 2.0;
    0.2 + 0.8 * wave.powf(1.3)
}

/// Traffic by local weekday (Monday first), relative to a Tuesday: Sunday
/// evening and Monday are busy for shops, Friday and Saturday quiet.
pub(super) const WEEKDAY_FACTOR: [f64; 7] = [1.04, 1.0, 0.99, 0.97, 0.92, 0.82, 0.96];
