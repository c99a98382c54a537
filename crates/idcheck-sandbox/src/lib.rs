//! A local stand-in for the five idcheck vendors and the Alibaba Cloud API Gateway in front of
//! them, because the vendors have no sandbox and every real call costs money.
//!
//! It serves the vendors' paths, methods, parameter names, JSON shapes and codes (seeds
//! 000–004), decided by a [`Registry`] of synthetic people, behind an imitation of the gateway:
//! `Authorization: APPCODE` checked, the AppKey/AppSecret signature verified when configured
//! (a wrong one answers `Invalid Signature` with the server's string-to-sign, as the gateway
//! does), `X-Ca-Request-Id` on every answer, a call quota, a QPS limit, and faults on request.
//! It counts billed calls (HTTP 200 answers) per vendor.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use idcheck_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0").await?;
//! println!("vendors at {}", sandbox.base_url()); // AppCode "sandbox"
//! let billed = sandbox.billed();                  // per vendor
//! # let _ = billed; Ok(()) }
//! ```

mod gateway;
mod registry;
mod vendors;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;

pub use registry::{Person, Registry};
pub use vendors::Vendor;

/// The AppCode the sandbox accepts unless configured otherwise.
pub const DEFAULT_APPCODE: &str = "sandbox";

/// How the sandbox behaves.
#[derive(Debug)]
pub struct SandboxConfig {
    /// The AppCode accepted in `Authorization: APPCODE …`.
    pub app_code: SecretString,
    /// AppKey and AppSecret; when set, signed requests are verified.
    pub app_key: Option<(String, SecretString)>,
    /// Billed calls allowed in all; then `Quota Exhausted`.
    pub quota: Option<u64>,
    /// Requests per second; more are `Throttled by APP Flow Control`.
    pub qps: Option<u32>,
    /// Added to every answer.
    pub latency: Duration,
    /// Share of requests (0.0–1.0) the gateway answers `503 Service Unavailable` (unbilled).
    pub failure_rate: f64,
    /// Every vendor answers its maintenance / exceptional-situation code (billed).
    pub maintenance: bool,
    /// Bodies are cut in half (billed: the status is 200).
    pub truncate: bool,
    /// The people on record.
    pub registry: Registry,
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
        }
    }
}

/// Billed calls per vendor.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    billed: [AtomicU64; 5],
}

impl Counters {
    fn bill(&self, vendor: Vendor) {
        self.billed[index(vendor)].fetch_add(1, Ordering::SeqCst);
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

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    counters: Arc<Counters>,
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
        let app = gateway::router(config, Arc::clone(&counters));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            let _ = served.await;
        });
        Ok(Self {
            addr,
            counters,
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
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
