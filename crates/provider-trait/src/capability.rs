//! What a provider does and what it costs.

use crate::{Check, Checks};

/// A price per call, in thousandths of a yuan (厘), so 0.07 yuan is `Price::from_milli_yuan(70)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Price(u32);

impl Price {
    /// A price in thousandths of a yuan.
    #[must_use]
    pub const fn from_milli_yuan(milli_yuan: u32) -> Self {
        Self(milli_yuan)
    }

    /// The sum of two prices (saturating: no tariff reaches 4 million yuan a call).
    #[must_use]
    pub const fn plus(self, other: Price) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// The price in thousandths of a yuan.
    #[must_use]
    pub const fn milli_yuan(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03} yuan", self.0 / 1000, self.0 % 1000)
    }
}

/// Which checks a provider performs, and the unit price the user configured (vendors publish
/// package prices, not a machine-readable tariff, so the price is the user's to set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities {
    checks: Checks,
    unit_price: Option<Price>,
}

impl Capabilities {
    /// A provider performing `checks`, with no price set.
    #[must_use]
    pub const fn new(checks: Checks) -> Self {
        Self {
            checks,
            unit_price: None,
        }
    }

    /// With the price of one call.
    #[must_use]
    pub const fn with_unit_price(mut self, price: Price) -> Self {
        self.unit_price = Some(price);
        self
    }

    /// The checks performed.
    #[must_use]
    pub const fn checks(&self) -> Checks {
        self.checks
    }

    /// Whether `check` is performed.
    #[must_use]
    pub const fn supports(&self, check: Check) -> bool {
        self.checks.contains(check)
    }

    /// The price of one call, if configured.
    #[must_use]
    pub const fn unit_price(&self) -> Option<Price> {
        self.unit_price
    }
}
