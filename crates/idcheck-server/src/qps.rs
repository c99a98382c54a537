//! A provider whose calls wait for a slot of a calls-per-second limit kept in the ledger.

use std::sync::Arc;

use idcheck_ledger::Ledger;
use provider_trait::{Capabilities, Error, NotSent, Provider, Report, Request, Target};

/// `inner`, its calls limited to `per_second` across every process on the ledger's store.
/// It keeps `inner`'s id and target, so ledger entries are the same as without it.
#[derive(Debug)]
pub struct SharedQps {
    inner: Arc<dyn Provider>,
    ledger: Arc<Ledger>,
    per_second: u32,
}

impl SharedQps {
    /// Limits `inner` to `per_second` calls a second, shared through `ledger`.
    #[must_use]
    pub fn new(inner: Arc<dyn Provider>, ledger: Arc<Ledger>, per_second: u32) -> Self {
        Self {
            inner,
            ledger,
            per_second: per_second.max(1),
        }
    }
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
        // One limit per AppCode: the gateway counts calls per app, whatever the API.
        if let Err(e) = self.ledger.take_rate_slot("gateway", self.per_second).await {
            return Err(Error::NotSent {
                provider: self.inner.id(),
                reason: NotSent::Ledger {
                    detail: e.to_string(),
                },
            });
        }
        self.inner.verify(request).await
    }
}
