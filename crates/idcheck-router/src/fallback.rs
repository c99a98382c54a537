//! Several providers in order: ask the first; move on only when no billed answer came. Every
//! vendor call goes through the ledger: claimed before it is sent, recorded when it ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use idcheck_ledger::{Claim, ClaimPolicy, EntryKey, Ledger, LedgerKey};
use provider_trait::{
    Billing, Capabilities, Checks, Error, NotSent, Price, Provider, Report, Request, Route,
    RouteStep, Verdict,
};

/// The provider id of a [`Fallback`].
pub const FALLBACK_ID: &str = "fallback";

type Flight = tokio::sync::watch::Receiver<Option<Routed>>;

/// A provider made of providers. It asks them in order and
/// - stops at `Match` or `Mismatch`;
/// - moves to the next on `Unverifiable`, or on an error that was not billed (gateway
///   throttling, quota exhausted, vendor down before billing, connect failure);
/// - stops at an error that was or may have been billed (a timeout after sending, a vendor's
///   billed refusal), unless [`Fallback::continue_after_billed_errors`] says otherwise;
/// - stops when the ledger says not to send (an unresolved earlier call, a call in flight
///   elsewhere past the wait, the ledger unreachable).
///
/// Every call is claimed in its [`Ledger`] first and recorded when it ends, so an answer
/// within the ledger's maximum age is reused instead of paid for again, and identical
/// requests in flight in this process share one route (single-flight).
///
/// The report's [`Route`] names every provider asked, the billed calls and, where every billed
/// provider has a unit price, the cost.
#[derive(Debug)]
pub struct Fallback {
    providers: Vec<Arc<dyn Provider>>,
    ledger: Arc<Ledger>,
    policy: ClaimPolicy,
    after_billed_errors: bool,
    flights: Mutex<HashMap<EntryKey, Flight>>,
    coalesced: AtomicU64,
}

/// The full outcome of routing a request: the answer or the last error, and the route either
/// way (an error cannot carry it).
#[derive(Clone, Debug)]
pub struct Routed {
    /// The answer, or the error that ended the route.
    pub result: Result<Report, Error>,
    /// What was tried.
    pub route: Route,
}

impl Fallback {
    /// The providers, asked in this order, over a new in-memory ledger (answers reused
    /// within this process only; see [`Fallback::with_ledger`]).
    ///
    /// # Panics
    ///
    /// When the operating system has no randomness for the ledger key (it always has, on
    /// supported targets).
    #[must_use]
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        let key = LedgerKey::random().unwrap_or_else(|e| panic!("{e}"));
        Self {
            providers,
            ledger: Arc::new(Ledger::in_memory(key)),
            policy: ClaimPolicy::default(),
            after_billed_errors: false,
            flights: Mutex::new(HashMap::new()),
            coalesced: AtomicU64::new(0),
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

    /// Records every call in `ledger` and answers from it: shared with other routers,
    /// processes and machines that use the same store and key.
    #[must_use]
    pub fn with_ledger(mut self, ledger: Arc<Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    /// What every route asks of the ledger (fresh answers only, re-send unresolved calls,
    /// the client), unless [`Fallback::route_with`] says otherwise.
    #[must_use]
    pub fn with_policy(mut self, policy: ClaimPolicy) -> Self {
        self.policy = policy;
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

    /// The ledger every call goes through.
    #[must_use]
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Requests that were answered by joining an identical request already in flight.
    #[must_use]
    pub fn coalesced(&self) -> u64 {
        self.coalesced.load(Ordering::Relaxed)
    }

    /// Routes `request` under the router's policy, returning the route whatever the outcome.
    pub async fn route(&self, request: &Request) -> Routed {
        self.route_with(request, &self.policy).await
    }

    /// Routes `request` under `policy`. Identical requests already in flight in this router
    /// are joined, not sent again: the joiner gets the same answer, with nothing billed to it.
    pub async fn route_with(&self, request: &Request, policy: &ClaimPolicy) -> Routed {
        let key = self.ledger.entry_key(request);
        let joined = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(flight) = flights.get(&key) {
                Err(flight.clone())
            } else {
                let (sender, receiver) = tokio::sync::watch::channel(None);
                flights.insert(key, receiver);
                Ok(sender)
            }
        };
        match joined {
            Ok(sender) => {
                // Removed however this future ends (even dropped mid-call): the joiners then
                // see the sender gone and route themselves.
                let _leave = Leave {
                    flights: &self.flights,
                    key,
                };
                let routed = self.route_through_ledger(request, policy).await;
                let _ = sender.send(Some(routed.clone()));
                routed
            }
            Err(mut flight) => {
                let shared = flight
                    .wait_for(Option::is_some)
                    .await
                    .ok()
                    .and_then(|r| r.clone());
                match shared {
                    Some(routed) => {
                        self.coalesced.fetch_add(1, Ordering::Relaxed);
                        joined_copy(routed)
                    }
                    None => Box::pin(self.route_with(request, policy)).await,
                }
            }
        }
    }

    async fn route_through_ledger(&self, request: &Request, policy: &ClaimPolicy) -> Routed {
        let mut route = Route::default();
        let mut cost = Some(Price::from_milli_yuan(0));
        let mut last: Option<Result<Report, Error>> = None;
        let mut best: Option<Report> = None;
        for provider in &self.providers {
            if !provider.capabilities().supports(request.check()) {
                continue;
            }
            let asked = self.ask(provider.as_ref(), request, policy).await;
            let Asked {
                result,
                reused,
                sent,
                unrecorded,
            } = asked;
            // A call that was made keeps its billing even when the ledger then failed.
            let billing = match (&result, reused, sent) {
                (_, true, _) => Billing::NotBilled,
                (_, false, Some(billing)) => billing,
                (Ok(report), false, None) => report.trace.billing,
                (Err(error), false, None) => error.billing(),
            };
            let outcome = match &result {
                Ok(report) if reused => format!("{} (from the ledger)", report.verdict),
                Ok(report) => report.verdict.to_string(),
                Err(error) => error.to_string(),
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
            route.cached |= reused;
            route
                .tried
                .push(RouteStep::new(provider.id(), outcome, billing).from_ledger(reused));
            let next = match &result {
                // The ledger could not record this call: nothing more is sent for this
                // request while it cannot.
                _ if unrecorded.is_some() => false,
                Ok(report) => matches!(report.verdict, Verdict::Unverifiable(_)),
                // The ledger said not to send: the next vendor would pay for what this one
                // may already have answered (or the budget has no room for it).
                Err(Error::NotSent { .. }) => false,
                // Free to move on; a vendor's own offline refusal (e.g. of a virtual-operator
                // number) may not be another's.
                Err(_) if billing == Billing::NotBilled => true,
                Err(error) => self.after_billed_errors && !rejected_by_vendor(error),
            };
            if let Ok(report) = &result {
                best = Some(report.clone());
            }
            if unrecorded.is_some() {
                route.unrecorded = unrecorded;
            }
            last = Some(result);
            if !next {
                break;
            }
        }
        // An "unverifiable" answer says more than a later unbilled refusal, or than a later
        // vendor the budget had no room for.
        if let (Some(Err(error)), Some(report)) = (&last, best) {
            let keeps_error = matches!(error, Error::NotSent { reason, .. }
                if !matches!(reason, NotSent::BudgetSpent { .. }));
            if !keeps_error {
                last = Some(Ok(report));
            }
        }
        route.cost = if route.billed_calls > 0 {
            cost
        } else if route.cached && route.maybe_billed_calls == 0 {
            // Reused answers cost nothing now.
            Some(Price::from_milli_yuan(0))
        } else {
            None
        };
        let result = match last {
            Some(Ok(mut report)) => {
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

    /// One provider, through the ledger.
    async fn ask(&self, provider: &dyn Provider, request: &Request, policy: &ClaimPolicy) -> Asked {
        let not_sent = |reason| Asked::not_sent(provider.id(), reason);
        let ledger_error = |e: idcheck_ledger::LedgerError| NotSent::Ledger {
            detail: e.to_string(),
        };
        let price = provider.capabilities().unit_price();
        let charged;
        let policy = match &policy.budget {
            Some(budget) => {
                // Reserved per vendor asked, at that vendor's price.
                charged = policy.clone().within(budget.clone().charging(price));
                &charged
            }
            None => policy,
        };
        let claim = match self
            .ledger
            .claim_waiting(request, &provider.target(), policy)
            .await
        {
            Ok(claim) => claim,
            Err(e) => return not_sent(ledger_error(e)),
        };
        match claim {
            Claim::Send(call) => {
                let result = self
                    .ledger
                    .hold(&call, provider.id(), provider.verify(request))
                    .await;
                let sent = match &result {
                    Ok(report) => report.trace.billing,
                    Err(error) => error.billing(),
                };
                // Recording is tried again (a fresh connection) for a while; if the ledger
                // stays down, the answer that was paid for still goes to the caller, and the
                // route says it was not recorded.
                let unrecorded = self
                    .ledger
                    .record(call, request, &result, price)
                    .await
                    .err()
                    .map(|e| e.to_string());
                Asked {
                    result,
                    reused: false,
                    sent: Some(sent),
                    unrecorded,
                }
            }
            Claim::Reused(reused) => match reused.answer.to_report(provider.id()) {
                Some(report) => Asked {
                    result: Ok(report),
                    reused: true,
                    sent: None,
                    unrecorded: None,
                },
                None => Asked {
                    reused: true,
                    ..not_sent(NotSent::FailedEarlier {
                        call: reused.call.0,
                        outcome: reused.answer.error.unwrap_or_default(),
                    })
                },
            },
            Claim::InFlight { call, .. } | Claim::Settling { call, .. } => {
                not_sent(NotSent::InFlightElsewhere { call: call.0 })
            }
            Claim::Unresolved(call) => not_sent(NotSent::Unresolved { call: call.0 }),
            Claim::BudgetSpent { resets_at_ms } => not_sent(NotSent::BudgetSpent {
                client: policy
                    .budget
                    .as_ref()
                    .map(|b| b.client.clone())
                    .unwrap_or_default(),
                resets_at_ms,
            }),
            // `Claim` may grow; anything new is not a reason to send.
            _ => not_sent(NotSent::Ledger {
                detail: "unknown claim outcome".to_owned(),
            }),
        }
    }
}

/// What asking one provider through the ledger gave.
struct Asked {
    /// The answer or error.
    result: Result<Report, Error>,
    /// Answered from the ledger.
    reused: bool,
    /// The billing of the call made, when one was.
    sent: Option<Billing>,
    /// The ledger could not record the call that was made (why).
    unrecorded: Option<String>,
}

impl Asked {
    fn not_sent(provider: &'static str, reason: NotSent) -> Self {
        Self {
            result: Err(Error::NotSent { provider, reason }),
            reused: false,
            sent: None,
            unrecorded: None,
        }
    }
}

/// The joiner's copy of a shared route: same answer, nothing billed to it.
fn joined_copy(mut routed: Routed) -> Routed {
    let mut route = Route::default();
    route.cached = true;
    route.cost = Some(Price::from_milli_yuan(0));
    if let Ok(report) = &mut routed.result {
        report.route = Some(route.clone());
    }
    routed.route = route;
    routed
}

/// Takes a flight out of the map when its leader ends.
struct Leave<'a> {
    flights: &'a Mutex<HashMap<EntryKey, Flight>>,
    key: EntryKey,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
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
