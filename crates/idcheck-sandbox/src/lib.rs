//! A local stand-in for the five idcheck vendors and the Alibaba Cloud API Gateway in front of
//! them, because the vendors have no sandbox and every real call costs money.
//!
//! It serves the vendors' paths, methods, parameter names, JSON shapes and codes (seeds
//! 000–004), decided by a [`Registry`] of synthetic people, behind an imitation of the gateway:
//! `Authorization: APPCODE` checked, the AppKey/AppSecret signature verified when configured
//! (a wrong one answers `Invalid Signature` with the server's string-to-sign, as the gateway
//! does), `X-Ca-Request-Id` on every answer, a call quota, a QPS limit, and faults on request.
//! It counts billed calls (HTTP 200 answers) per vendor, and per person (the ID number as the
//! vendor received it) so that tests can prove a caller never paid twice for one person — a
//! call whose caller hung up before the answer (a timeout) is billed all the same, as the
//! real gateway bills it — and requests refused by its QPS limit, which holds in any
//! one-second window.
//! `GET /_sandbox/billed` answers the same counts as JSON, for a test in another process.
//!
//! Hostile or broken clients cannot hold it: a request's headers, then its body, must each
//! arrive within [`SandboxConfig::header_timeout`], a keep-alive connection idle for as long is
//! closed, open connections are capped at [`SandboxConfig::max_connections`], and the nonces
//! of signed requests are kept only once the signature verified, only for the gateway's
//! 15-minute timestamp window, at most [`NONCE_LIMIT`] of them and [`MAX_NONCE_LEN`] bytes
//! each.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use idcheck_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0").await?;
//! println!("vendors at {}", sandbox.base_url()); // AppCode "sandbox"
//! let billed = sandbox.billed();                  // per vendor
//! let by_person = sandbox.billed_by_person();      // per ID number, all vendors
//! # let _ = (billed, by_person); Ok(()) }
//! ```

mod gateway;
mod nonces;
mod registry;
mod vendors;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use secrecy::SecretString;

use crate::nonces::Nonces;

pub use registry::{Person, Registry};
pub use vendors::Vendor;

/// The AppCode the sandbox accepts unless configured otherwise.
pub const DEFAULT_APPCODE: &str = "sandbox";

/// The most nonces of signed requests remembered at once (those inside the 15-minute
/// timestamp window); with this many, further signed requests that carry a nonce are answered
/// `403 Throttled by APP Flow Control` until older ones leave the window.
pub const NONCE_LIMIT: usize = 100_000;

/// The longest `X-Ca-Nonce` accepted, in bytes (the gateway's clients send 36-character
/// UUIDs); longer ones are answered `400 Invalid Nonce`.
pub const MAX_NONCE_LEN: usize = 64;

/// How the sandbox behaves.
#[derive(Debug)]
pub struct SandboxConfig {
    /// The AppCode accepted in `Authorization: APPCODE …`.
    pub app_code: SecretString,
    /// AppKey and AppSecret; when set, signed requests are verified.
    pub app_key: Option<(String, SecretString)>,
    /// Billed calls allowed in all; then `Quota Exhausted`.
    pub quota: Option<u64>,
    /// Requests in any one-second window (sliding, not per clock second); more are
    /// `Throttled by APP Flow Control`.
    pub qps: Option<u32>,
    /// How long the vendor takes to answer an admitted request. The call is billed when it
    /// ends, even if the caller hung up meanwhile, as with the real gateway.
    pub latency: Duration,
    /// Share of requests (0.0–1.0) the gateway answers `503 Service Unavailable` (unbilled).
    pub failure_rate: f64,
    /// Every vendor answers its maintenance / exceptional-situation code (billed).
    pub maintenance: bool,
    /// Bodies are cut in half (billed: the status is 200).
    pub truncate: bool,
    /// The people on record.
    pub registry: Registry,
    /// A request's headers must arrive within this, and then its body within this again; a
    /// connection that sends nothing, or stays idle this long after an answer, is closed.
    /// More than a day counts as a day.
    pub header_timeout: Duration,
    /// The most connections open at once; further ones are closed as soon as accepted.
    pub max_connections: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            app_code: SecretString::from(DEFAULT_APPCODE),
            app_key: None,
            quota: None,
            qps: None,
            latency: Duration::ZERO,
            failure_rate: 0.0,
            maintenance: false,
            truncate: false,
            registry: Registry::builtin(),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// The most distinct (ID number, vendor) pairs the sandbox counts billed calls for, so that a
/// long-running sandbox fed millions of rows stays bounded (about 100 MB at this limit).
/// Billed calls for further pairs are counted only per vendor and in
/// [`Sandbox::billed_unattributed`].
pub const PER_PERSON_LIMIT: usize = 1 << 20;

/// Billed calls per vendor, and per (ID number, vendor).
pub(crate) struct Counters {
    billed: [AtomicU64; 5],
    /// Keyed by the ID number as the vendor received it, upper-cased, and the vendor.
    by_person: Mutex<HashMap<(String, Vendor), u64>>,
    /// Billed calls left out of `by_person` because it held `limit` pairs.
    unattributed: AtomicU64,
    /// Requests refused `Throttled by APP Flow Control` (the QPS limit).
    pub(crate) throttled: AtomicU64,
    /// Requests the vendors started answering (admitted by the gateway).
    pub(crate) started: AtomicU64,
    /// The most pairs `by_person` holds.
    limit: usize,
}

impl Default for Counters {
    fn default() -> Self {
        Self::with_limit(PER_PERSON_LIMIT)
    }
}

/// Counts only: the ID numbers are personal data and stay out of logs.
impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self
            .by_person
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Counters")
            .field("billed", &self.billed)
            .field("person_vendor_pairs", &pairs)
            .field("unattributed", &self.unattributed)
            .finish_non_exhaustive()
    }
}

impl Counters {
    fn with_limit(limit: usize) -> Self {
        Self {
            billed: Default::default(),
            by_person: Mutex::new(HashMap::new()),
            unattributed: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            started: AtomicU64::new(0),
            limit,
        }
    }

    /// Counts one billed call by `vendor` for the ID number `id` as the vendor received it
    /// (empty when the parameter was missing).
    fn bill(&self, vendor: Vendor, id: &str) {
        {
            let mut by_person = self
                .by_person
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let key = (id.to_uppercase(), vendor);
            if let Some(count) = by_person.get_mut(&key) {
                *count += 1;
            } else if by_person.len() < self.limit {
                by_person.insert(key, 1);
            } else {
                self.unattributed.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.billed[index(vendor)].fetch_add(1, Ordering::SeqCst);
    }

    fn by_person_and_vendor(&self) -> HashMap<(String, &'static str), u64> {
        self.by_person
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|((id, vendor), n)| ((id.clone(), vendor.id()), *n))
            .collect()
    }

    fn by_person(&self) -> HashMap<String, u64> {
        let by_person = self
            .by_person
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut summed = HashMap::with_capacity(by_person.len());
        for ((id, _), n) in by_person.iter() {
            *summed.entry(id.clone()).or_default() += *n;
        }
        summed
    }

    fn unattributed(&self) -> u64 {
        self.unattributed.load(Ordering::SeqCst)
    }

    fn total(&self) -> u64 {
        self.billed.iter().map(|c| c.load(Ordering::SeqCst)).sum()
    }

    fn snapshot(&self) -> HashMap<&'static str, u64> {
        Vendor::ALL
            .into_iter()
            .map(|v| (v.id(), self.billed[index(v)].load(Ordering::SeqCst)))
            .collect()
    }
}

fn index(vendor: Vendor) -> usize {
    Vendor::ALL.iter().position(|v| *v == vendor).unwrap_or(0)
}

/// A running sandbox. Dropping it stops the server: it accepts no more connections, and
/// those open end after the request in flight, if any, is answered. Its `Debug` shows counts,
/// never ID numbers.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    counters: Arc<Counters>,
    nonces: Arc<Nonces>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Sandbox {
    /// Binds `addr` (port 0 for any free port) on the current tokio runtime and serves.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn start(config: SandboxConfig, addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let nonces = Arc::new(Nonces::with_limit(NONCE_LIMIT));
        let limits = (config.header_timeout, config.max_connections);
        let app = gateway::router(config, Arc::clone(&counters), Arc::clone(&nonces));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, limits, stopped));
        Ok(Self {
            addr,
            counters,
            nonces,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:PORT`: the base URL for every vendor.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Billed calls (HTTP 200 answers) per vendor id.
    #[must_use]
    pub fn billed(&self) -> HashMap<&'static str, u64> {
        self.counters.snapshot()
    }

    /// Billed calls in all.
    #[must_use]
    pub fn billed_total(&self) -> u64 {
        self.counters.total()
    }

    /// Billed calls per person, all vendors summed, keyed by the ID number as the vendor
    /// received it (its `idCard` / `idNo` / `idcard` parameter) in upper case; the empty string
    /// for calls without one. Only people with at least one billed call appear. The counts add
    /// up to [`billed_total`](Self::billed_total) less
    /// [`billed_unattributed`](Self::billed_unattributed).
    #[must_use]
    pub fn billed_by_person(&self) -> HashMap<String, u64> {
        self.counters.by_person()
    }

    /// Billed calls per person and vendor, keyed by (ID number as in
    /// [`billed_by_person`](Self::billed_by_person), vendor id as in [`billed`](Self::billed)).
    #[must_use]
    pub fn billed_by_person_and_vendor(&self) -> HashMap<(String, &'static str), u64> {
        self.counters.by_person_and_vendor()
    }

    /// Billed calls missing from the per-person counts because [`PER_PERSON_LIMIT`] distinct
    /// (ID number, vendor) pairs were already counted; 0 until then.
    #[must_use]
    pub fn billed_unattributed(&self) -> u64 {
        self.counters.unattributed()
    }

    /// Requests the vendors started answering: admitted by the gateway, billed when they end
    /// (whether or not the caller still waits).
    #[must_use]
    pub fn started(&self) -> u64 {
        self.counters.started.load(Ordering::SeqCst)
    }

    /// Requests refused as throttled (`403 Throttled by APP Flow Control`) because the
    /// [`SandboxConfig::qps`] limit was reached in the one-second window before them.
    #[must_use]
    pub fn throttled(&self) -> u64 {
        self.counters.throttled.load(Ordering::SeqCst)
    }

    /// Nonces of correctly signed requests remembered to refuse replays: those inside the
    /// timestamp window, at most [`NONCE_LIMIT`].
    #[must_use]
    pub fn stored_nonces(&self) -> usize {
        self.nonces.len()
    }
}

/// Serves `app` on `listener`, one hyper HTTP/1 connection per client, until `stopped`; then
/// stops accepting and lets the open connections finish their request in flight.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    (header_timeout, max_connections): (Duration, usize),
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    // hyper adds the timeout to the clock: keep the sum representable.
    let header_timeout = header_timeout.min(Duration::from_secs(24 * 60 * 60));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(
        max_connections.min(tokio::sync::Semaphore::MAX_PERMITS),
    ));
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: pause, do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    // Over the connection cap: closed at once.
                    drop(stream);
                    continue;
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                // The header timeout runs from the connection's start and again from each
                // answer, so it also closes connections that send nothing or sit idle.
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(permit);
                });
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Counters, Vendor};

    #[test]
    fn per_person_counts_stop_growing_at_the_limit_and_say_so() {
        let counters = Counters::with_limit(3);
        counters.bill(Vendor::IdCardCert, "11010519491231002x");
        counters.bill(Vendor::CheckOne, "11010519491231002X");
        counters.bill(Vendor::IdCardCert, "510107197801010041");
        // A new pair beyond the limit is counted per vendor only; a known pair still counts.
        counters.bill(Vendor::CheckOne, "510107197801010041");
        counters.bill(Vendor::IdCardCert, "11010519491231002X");
        assert_eq!(counters.total(), 5);
        assert_eq!(counters.unattributed(), 1);
        let by_person = counters.by_person();
        assert_eq!(by_person.len(), 2);
        assert_eq!(by_person["11010519491231002X"], 3);
        assert_eq!(by_person["510107197801010041"], 1);
        assert_eq!(counters.by_person_and_vendor().len(), 3);
        let debug = format!("{counters:?}");
        assert!(!debug.contains("1101051949"), "{debug}");
    }
}
