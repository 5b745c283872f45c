//! Multi-window, multi-burn-rate alert conditions (Google SRE Workbook,
//! chapter 5), scaled to the objective's window.
//!
//! A rule fires when both its long and its short window burn at least
//! `factor`, where `factor = budget_share * window / long_window`: the burn
//! rate at which `budget_share` of the whole budget goes in `long_window`.
//! For a 30-day window that gives the Workbook's 14.4, 6, 3 and 1. This
//! module only decides; it keeps no alert state and sends nothing.

/// One alert condition: "`budget_share` of the budget spent in
/// `long_minutes`, and still burning over `short_minutes`".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurnAlertRule {
    /// Stable name for logs, rules and the API.
    pub name: &'static str,
    /// Pages when true, opens a ticket otherwise.
    pub page: bool,
    pub long_minutes: i64,
    pub short_minutes: i64,
    /// Fraction of the window's budget the long window may spend before firing.
    pub budget_share: f64,
}

/// Page: 2 % of the budget in 1 h (14.4x over 30 days), confirmed over 5 m.
pub const PAGE_FAST: BurnAlertRule = BurnAlertRule {
    name: "page_1h_5m",
    page: true,
    long_minutes: 60,
    short_minutes: 5,
    budget_share: 0.02,
};
/// Page: 5 % of the budget in 6 h (6x over 30 days), confirmed over 30 m.
pub const PAGE_SLOW: BurnAlertRule = BurnAlertRule {
    name: "page_6h_30m",
    page: true,
    long_minutes: 360,
    short_minutes: 30,
    budget_share: 0.05,
};
/// Ticket: 10 % of the budget in 1 d (3x over 30 days), confirmed over 2 h.
pub const TICKET_FAST: BurnAlertRule = BurnAlertRule {
    name: "ticket_1d_2h",
    page: false,
    long_minutes: 1440,
    short_minutes: 120,
    budget_share: 0.10,
};
/// Ticket: 10 % of the budget in 3 d (1x over 30 days), confirmed over 6 h.
pub const TICKET_SLOW: BurnAlertRule = BurnAlertRule {
    name: "ticket_3d_6h",
    page: false,
    long_minutes: 4320,
    short_minutes: 360,
    budget_share: 0.10,
};

/// The Workbook's four conditions, pages first.
pub const STANDARD_RULES: [BurnAlertRule; 4] = [PAGE_FAST, PAGE_SLOW, TICKET_FAST, TICKET_SLOW];

impl BurnAlertRule {
    /// Burn-rate threshold for a window of `window_minutes`.
    pub fn factor(&self, window_minutes: i64) -> f64 {
        self.budget_share * window_minutes as f64 / self.long_minutes.max(1) as f64
    }

    /// True when both windows burn at least the scaled factor; a window
    /// without events never fires.
    pub fn fires(&self, long: Option<f64>, short: Option<f64>, window_minutes: i64) -> bool {
        let f = self.factor(window_minutes);
        matches!((long, short), (Some(l), Some(s)) if l >= f && s >= f)
    }
}

#[cfg(test)]
mod tests;
