//! Several providers in order: ask the first; move on only when no billed answer came.

use std::sync::Arc;

use provider_trait::{
    Billing, Capabilities, Checks, Error, Price, Provider, Report, Request, Route, RouteStep,
    Verdict,
};

use crate::AnswerCache;

/// The provider id of a [`Fallback`].
pub const FALLBACK_ID: &str = "fallback";

/// A provider made of providers. It asks them in order and
/// - stops at `Match` or `Mismatch`;
/// - moves to the next on `Unverifiable`, or on an error that was not billed (gateway
///   throttling, quota exhausted, vendor down before billing, connect failure);
/// - stops at an error that was or may have been billed (a timeout after sending, a vendor's
///   billed refusal), unless [`Fallback::continue_after_billed_errors`] says otherwise.
///
/// The report's [`Route`] names every provider asked, the billed calls and, where every billed
/// provider has a unit price, the cost.
#[derive(Debug)]
pub struct Fallback {
    providers: Vec<Arc<dyn Provider>>,
    cache: Option<Arc<dyn AnswerCache>>,
    after_billed_errors: bool,
}

/// The full outcome of routing a request: the answer or the last error, and the route either
/// way (an error cannot carry it).
#[derive(Debug)]
pub struct Routed {
    /// The answer, or the error that ended the route.
    pub result: Result<Report, Error>,
    /// What was tried.
    pub route: Route,
}

impl Fallback {
    /// The providers, asked in this order.
    #[must_use]
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Self {
            providers,
            cache: None,
            after_billed_errors: false,
        }
    }

    /// The providers ordered by the unit price the user set, cheapest first; providers without
    /// a price keep their order after the priced ones.
    #[must_use]
    pub fn by_price(mut providers: Vec<Arc<dyn Provider>>) -> Self {
        providers.sort_by_key(|p| {
            p.capabilities()
                .unit_price()
                .map_or((1, 0), |price| (0, price.milli_yuan()))
        });
        Self::new(providers)
    }

    /// Answers the same request within the cache's lifetime without a call.
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<dyn AnswerCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Also move to the next provider after an error that was or may have been billed (a
    /// timeout, a vendor's maintenance code). Off by default: it can pay twice for one person.
    #[must_use]
    pub const fn continue_after_billed_errors(mut self, yes: bool) -> Self {
        self.after_billed_errors = yes;
        self
    }

    /// The providers in the order they are asked.
    #[must_use]
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// Routes `request`, returning the route whatever the outcome.
    pub async fn route(&self, request: &Request) -> Routed {
        let mut route = Route::default();
        let key = self.cache.as_ref().and_then(|cache| cache.key(request));
        if let (Some(cache), Some(key)) = (&self.cache, &key) {
            if let Some(mut report) = cache.get(key) {
                route.cached = true;
                report.route = Some(route.clone());
                return Routed {
                    result: Ok(report),
                    route,
                };
            }
        }
        let mut cost = Some(Price::from_milli_yuan(0));
        let mut last: Option<Result<Report, Error>> = None;
        let mut best: Option<Report> = None;
        for provider in &self.providers {
            if !provider.capabilities().supports(request.check()) {
                continue;
            }
            let result = provider.verify(request).await;
            let (outcome, billing) = match &result {
                Ok(report) => (report.verdict.to_string(), report.trace.billing),
                Err(error) => (error.to_string(), error.billing()),
            };
            match billing {
                Billing::Billed => {
                    route.billed_calls += 1;
                    cost = cost
                        .zip(provider.capabilities().unit_price())
                        .map(|(sum, price)| sum.plus(price));
                }
                Billing::Unknown => route.maybe_billed_calls += 1,
                Billing::NotBilled => {}
            }
            route
                .tried
                .push(RouteStep::new(provider.id(), outcome, billing));
            let next = match &result {
                Ok(report) => matches!(report.verdict, Verdict::Unverifiable(_)),
                // Free to move on; a vendor's own offline refusal (e.g. of a virtual-operator
                // number) may not be another's.
                Err(_) if billing == Billing::NotBilled => true,
                Err(error) => self.after_billed_errors && !rejected_by_vendor(error),
            };
            if let Ok(report) = &result {
                best = Some(report.clone());
            }
            last = Some(result);
            if !next {
                break;
            }
        }
        // An "unverifiable" answer says more than a later unbilled refusal.
        if let (Some(Err(_)), Some(report)) = (&last, best) {
            last = Some(Ok(report));
        }
        route.cost = cost.filter(|_| route.billed_calls > 0);
        let result = match last {
            Some(Ok(mut report)) => {
                if let (Some(cache), Some(key)) = (&self.cache, key) {
                    cache.put(key, report.clone());
                }
                report.route = Some(route.clone());
                Ok(report)
            }
            Some(Err(error)) => Err(error),
            None => Err(Error::UnsupportedCheck {
                provider: FALLBACK_ID,
                check: request.check(),
            }),
        };
        Routed { result, route }
    }
}

/// A vendor refused the input itself: the next vendor would be paid to refuse it too.
fn rejected_by_vendor(error: &Error) -> bool {
    matches!(
        error,
        Error::InvalidInput(provider_trait::InvalidInput::RejectedByVendor { .. })
    )
}

#[async_trait::async_trait]
impl Provider for Fallback {
    fn id(&self) -> &'static str {
        FALLBACK_ID
    }

    fn capabilities(&self) -> Capabilities {
        let checks = self
            .providers
            .iter()
            .flat_map(|p| p.capabilities().checks().iter())
            .fold(Checks::NONE, Checks::with);
        Capabilities::new(checks)
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        self.route(request).await.result
    }
}
