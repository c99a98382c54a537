//! A provider whose calls wait for a start slot of a calls-per-second limit kept in the
//! ledger's store, shared by every process and machine on it.

use std::sync::Arc;
use std::time::Duration;

use idcheck_ledger::Ledger;
use provider_trait::{Capabilities, Error, NotSent, Provider, Report, Request, Target};

/// The longest a call waits for its slot unless set: past it, it is not sent (and says so).
pub const DEFAULT_MAX_SLOT_WAIT: Duration = Duration::from_secs(30);

/// `inner`, its calls started at most `per_second` a second across every process on the
/// ledger's store — in any one-second window, wherever it starts, not only per clock second —
/// so a gateway that counts calls per AppCode in any window never throttles them. It keeps
/// `inner`'s id and target, so ledger entries are the same as without it.
#[derive(Debug)]
pub struct SharedQps {
    inner: Arc<dyn Provider>,
    ledger: Arc<Ledger>,
    per_second: u32,
    max_wait: Duration,
}

impl SharedQps {
    /// Limits `inner` to `per_second` call starts a second, shared through `ledger`.
    #[must_use]
    pub fn new(inner: Arc<dyn Provider>, ledger: Arc<Ledger>, per_second: u32) -> Self {
        Self {
            inner,
            ledger,
            per_second: per_second.max(1),
            max_wait: DEFAULT_MAX_SLOT_WAIT,
        }
    }

    /// A call whose slot is more than `max_wait` away is not sent
    /// ([`NotSent::RateQueueFull`]) instead of waiting.
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

/// Wraps each provider in a [`SharedQps`] limit on `ledger`: one limit for all of them, as the
/// gateway counts calls per AppCode, whatever the API.
#[must_use]
pub fn with_shared_qps(
    providers: Vec<Arc<dyn Provider>>,
    ledger: &Arc<Ledger>,
    per_second: u32,
    max_wait: Duration,
) -> Vec<Arc<dyn Provider>> {
    providers
        .into_iter()
        .map(|p| {
            Arc::new(SharedQps::new(p, Arc::clone(ledger), per_second).with_max_wait(max_wait))
                as Arc<dyn Provider>
        })
        .collect()
}

#[async_trait::async_trait]
impl Provider for SharedQps {
    fn id(&self) -> &'static str {
        self.inner.id()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn target(&self) -> Target {
        self.inner.target()
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        let not_sent = |reason| Error::NotSent {
            provider: self.inner.id(),
            reason,
        };
        match self
            .ledger
            .take_rate_slot("gateway", self.per_second, self.max_wait)
            .await
        {
            Ok(true) => self.inner.verify(request).await,
            Ok(false) => Err(not_sent(NotSent::RateQueueFull {
                wait_ms: u64::try_from(self.max_wait.as_millis()).unwrap_or(u64::MAX),
            })),
            Err(e) => Err(not_sent(NotSent::Ledger {
                detail: e.to_string(),
            })),
        }
    }
}
