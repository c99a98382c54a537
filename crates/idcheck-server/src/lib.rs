//! Real-name verification as an HTTP service, for callers in any language: `idcheck serve`.
//!
//! - `POST /v1/validate`: the offline checks, free (no ledger, no vendor);
//! - `POST /v1/verify`: one paid verification through the fallback router, every vendor call
//!   claimed and recorded in the shared ledger (answers reused, identical requests at once
//!   make one call, across replicas on one PostgreSQL ledger);
//! - `GET /healthz`, `/readyz` (the ledger answers), `/metrics` (Prometheus), `/openapi.json`.
//!
//! Every `/v1` call needs `Authorization: Bearer <token>` of a [`Clients`] entry; a client's
//! daily budget is kept in the ledger, so it holds across replicas. The AppCode stays in the
//! service. Bodies are capped, headers must arrive within a timeout, connections are capped,
//! each request has a deadline, and shutting down lets the calls in flight end and be
//! recorded. Logs carry routes, statuses, client names and latencies: never an input.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use idcheck_ledger::{Ledger, LedgerKey};
//! use idcheck_router::Fallback;
//! use idcheck_server::{Clients, Service};
//! let ledger = Arc::new(Ledger::open("memory", LedgerKey::random()?).await?);
//! let router = Fallback::new(vec![/* providers */]).with_ledger(Arc::clone(&ledger));
//! let clients = Clients::from_toml(&std::fs::read_to_string("clients.toml")?)?;
//! let service = Arc::new(Service::new(router, ledger, clients));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8800").await?;
//! idcheck_server::serve(service, listener, std::future::pending()).await?;
//! # Ok(()) }
//! ```

mod admission;
mod api;
mod clients;
mod metrics;
mod openapi;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use idcheck_ledger::Ledger;
use idcheck_router::{Fallback, Routed};
use provider_trait::{Billing, Price};

pub use clients::{Client, Clients, ClientsError, new_client};
pub use idcheck_router::{SharedQps, with_shared_qps};

/// Limits that keep slow or hostile clients from holding the service.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body: a photo of 102,400 base64 characters plus its JSON fits.
    /// With [`Limits::fit_photos`], `/v1/verify` takes up to [`FIT_PHOTO_BODY_BYTES`].
    pub body_bytes: usize,
    /// A request's headers must arrive within this.
    pub header_timeout: Duration,
    /// A request, body included, must be answered within this (a paid call past it still
    /// ends and is recorded).
    pub request_deadline: Duration,
    /// A request's body (after its headers) must arrive whole within this.
    pub body_timeout: Duration,
    /// Connections open at once; more are closed as they arrive.
    pub max_connections: usize,
    /// Connections open at once from one client address (0: no such cap). Behind a reverse
    /// proxy every client has the proxy's address: raise it, or cap per client at the proxy.
    pub max_connections_per_address: usize,
    /// Daily budgets reset at midnight this far east of UTC (default UTC+8, the vendors'
    /// day), by the ledger's clock.
    pub budget_day_offset_secs: i32,
    /// `/v1/verify` fits a photo over the vendor's limit when asked (`fit_photo: true`)
    /// instead of refusing it: its bodies may be up to [`FIT_PHOTO_BODY_BYTES`] (the other
    /// routes keep `body_bytes`), fitted on blocking threads, as many at once as the
    /// machine has cores.
    pub fit_photos: bool,
}

/// The largest `/v1/verify` body when photos are fitted: a 9 MB phone photo in base64 and its
/// JSON.
pub const FIT_PHOTO_BODY_BYTES: usize = 12 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 128 * 1024,
            header_timeout: Duration::from_secs(10),
            request_deadline: api::DEFAULT_DEADLINE,
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_connections_per_address: 64,
            budget_day_offset_secs: idcheck_ledger::VENDOR_DAY_OFFSET_SECS,
            fit_photos: false,
        }
    }
}

impl Limits {
    /// These limits with photos fitted on request (`fit_photo: true`), and `/v1/verify`
    /// bodies up to [`FIT_PHOTO_BODY_BYTES`] to carry them.
    #[must_use]
    pub const fn with_fit_photos(mut self, yes: bool) -> Self {
        self.fit_photos = yes;
        self
    }

    /// The largest body a request to `path` may have.
    #[must_use]
    pub fn body_bytes_for(&self, path: &str) -> usize {
        if self.fit_photos && path == "/v1/verify" {
            self.body_bytes.max(FIT_PHOTO_BODY_BYTES)
        } else {
            self.body_bytes
        }
    }

    /// These limits with headers due within `timeout`.
    #[must_use]
    pub const fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// These limits with requests answered within `deadline`.
    #[must_use]
    pub const fn with_request_deadline(mut self, deadline: Duration) -> Self {
        self.request_deadline = deadline;
        self
    }

    /// These limits with budget days starting at midnight `offset_secs` east of UTC.
    #[must_use]
    pub const fn with_budget_day_offset(mut self, offset_secs: i32) -> Self {
        self.budget_day_offset_secs = offset_secs;
        self
    }

    /// These limits with bodies due within `timeout` after the headers.
    #[must_use]
    pub const fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// These limits with at most `connections` open at once from one address (0: no cap).
    #[must_use]
    pub const fn with_max_connections_per_address(mut self, connections: usize) -> Self {
        self.max_connections_per_address = connections;
        self
    }

    /// These limits with at most `connections` open at once.
    #[must_use]
    pub const fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }
}

/// Route tasks still running: shutting down waits for them, so every paid call is recorded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tracker {
    running: Arc<(AtomicUsize, tokio::sync::Notify)>,
}

struct Running(Arc<(AtomicUsize, tokio::sync::Notify)>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.0.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.1.notify_waiters();
        }
    }
}

impl Tracker {
    pub(crate) fn spawn<F>(self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.running.0.fetch_add(1, Ordering::SeqCst);
        let running = Running(Arc::clone(&self.running));
        tokio::spawn(async move {
            let _running = running;
            task.await
        })
    }

    async fn idle(&self) {
        loop {
            let notified = self.running.1.notified();
            if self.running.0.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// The service: the router (with its ledger), the clients, limits and metrics.
pub struct Service {
    router: Fallback,
    ledger: Arc<Ledger>,
    clients: Clients,
    limits: Limits,
    prices: HashMap<&'static str, Option<Price>>,
    metrics: metrics::Metrics,
    in_flight: Tracker,
    free_route_log: std::sync::Mutex<admission::FreeRouteLog>,
    /// Photos fitted at once (`fit_photo`): one per core, so memory stays bounded.
    fitting: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("router", &self.router)
            .field("clients", &self.clients)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A service routing through `router`, whose ledger should be `ledger` (budgets are kept
    /// there too).
    #[must_use]
    pub fn new(router: Fallback, ledger: Arc<Ledger>, clients: Clients) -> Self {
        let prices = router
            .providers()
            .iter()
            .map(|p| (p.id(), p.capabilities().unit_price()))
            .collect();
        Self {
            router,
            ledger,
            clients,
            limits: Limits::default(),
            prices,
            metrics: metrics::Metrics::default(),
            in_flight: Tracker::default(),
            free_route_log: std::sync::Mutex::default(),
            fitting: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            )),
        }
    }

    /// Other limits.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The providers that would have to be priced for budgets to hold: those without a
    /// unit price. A client with a budget needs this empty.
    #[must_use]
    pub fn unpriced_providers(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self
            .prices
            .iter()
            .filter(|(_, p)| p.is_none())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Counts a route in the metrics.
    fn count(&self, routed: &Routed) {
        let m = &self.metrics;
        match &routed.result {
            Ok(report) => {
                let verdict = match report.verdict {
                    provider_trait::Verdict::Match => "match",
                    provider_trait::Verdict::Mismatch => "mismatch",
                    _ => "unverifiable",
                };
                m.add(
                    "idcheck_verdicts_total",
                    format!("verdict=\"{verdict}\""),
                    1.0,
                );
            }
            Err(provider_trait::Error::NotSent {
                reason: provider_trait::NotSent::BudgetSpent { client, .. },
                ..
            }) => m.add(
                "idcheck_budget_refusals_total",
                format!("client=\"{client}\""),
                1.0,
            ),
            Err(_) => m.add("idcheck_verify_errors_total", String::new(), 1.0),
        }
        if routed.route.cached && routed.route.billed_calls == 0 {
            m.add("idcheck_ledger_reused_total", String::new(), 1.0);
        }
        // Answers from the ledger were no vendor call.
        for step in routed.route.tried.iter().filter(|s| !s.reused) {
            let billing = match step.billing {
                Billing::Billed => "billed",
                Billing::NotBilled => "not_billed",
                Billing::Unknown => "unknown",
            };
            m.add(
                "idcheck_vendor_calls_total",
                format!("vendor=\"{}\",billing=\"{billing}\"", step.provider),
                1.0,
            );
            if step.billing == Billing::Billed {
                m.add(
                    "idcheck_billed_calls_total",
                    format!("vendor=\"{}\"", step.provider),
                    1.0,
                );
                if let Some(Some(price)) = self.prices.get(step.provider) {
                    m.add(
                        "idcheck_billed_cost_yuan_total",
                        format!("vendor=\"{}\"", step.provider),
                        f64::from(price.milli_yuan()) / 1000.0,
                    );
                }
            }
        }
    }
}

/// The HTTP routes of `service`, with the body cap and the request deadline.
pub fn app(service: Arc<Service>) -> axum::Router {
    let limits = service.limits;
    // The token is checked before the body is read, and the body read against a deadline.
    let v1 = axum::Router::new()
        .route("/v1/validate", post(api::validate))
        .route("/v1/verify", post(api::verify))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&service),
            admission::admit,
        ));
    axum::Router::new()
        .merge(v1)
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/openapi.json", get(api::openapi))
        // The admission reads each route's body under its own cap; this only has to let the
        // largest through to the extractors.
        .layer(DefaultBodyLimit::max(limits.body_bytes_for("/v1/verify")))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                // Covers a body trickling in: past the deadline the request is dropped.
                match tokio::time::timeout(
                    limits.request_deadline + Duration::from_secs(1),
                    next.run(request),
                )
                .await
                {
                    Ok(response) => response,
                    Err(_) => {
                        (StatusCode::REQUEST_TIMEOUT, "request deadline passed").into_response()
                    }
                }
            },
        ))
        .with_state(service)
}

/// Connections open per client address, under a cap.
struct PerAddress {
    cap: usize,
    open: std::sync::Mutex<HashMap<std::net::IpAddr, usize>>,
}

/// One open connection of an address; counted out when dropped.
struct Share {
    of: Arc<PerAddress>,
    address: std::net::IpAddr,
}

impl PerAddress {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            open: std::sync::Mutex::default(),
        }
    }

    /// A share for `address`, unless it already holds the cap.
    fn enter(this: &Arc<Self>, address: std::net::IpAddr) -> Option<Share> {
        if this.cap == 0 {
            return Some(Share {
                of: Arc::clone(this),
                address,
            });
        }
        let mut open = this
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(address).or_default();
        if *count >= this.cap {
            return None;
        }
        *count += 1;
        Some(Share {
            of: Arc::clone(this),
            address,
        })
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        if self.of.cap == 0 {
            return;
        }
        let mut open = self
            .of
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Serves `service` on `listener` until `shutdown` completes; then stops accepting, lets the
/// requests and paid calls in flight end (and be recorded), and returns.
///
/// # Errors
///
/// Accepting connections failed for good.
pub async fn serve(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = service.limits;
    let in_flight = service.in_flight.clone();
    let app = app(service);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_address = Arc::new(PerAddress::new(limits.max_connections_per_address));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Out of file descriptors and the like: pause, do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                // One address holding many connections (slow or idle) does not starve the
                // others: past its share, its connections are closed at once.
                let Some(share) = PerAddress::enter(&per_address, peer.ip()) else {
                    drop(stream);
                    continue;
                };
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    // Over the connection cap: closed at once.
                    drop(stream);
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(permit);
                    drop(share);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Requests in flight finish (bounded by their deadline); then the route tasks they
    // started, so every paid call is recorded.
    let _ = tokio::time::timeout(
        limits.request_deadline + Duration::from_secs(5),
        graceful.shutdown(),
    )
    .await;
    in_flight.idle().await;
    Ok(())
}
