//! A fallback router over idcheck providers, on the ledger of paid calls.
//!
//! [`Fallback`] is itself a [`provider_trait::Provider`]: it asks its providers in order (or
//! cheapest first, [`Fallback::by_price`]), moves to the next only when an answer is
//! `Unverifiable` or an error was not billed, and says in the report's `route` who was asked,
//! how many calls were billed and what they cost. Every call is claimed in an
//! [`idcheck_ledger::Ledger`] before it is sent and recorded when it ends: the same person
//! asked again within the ledger's maximum age is answered without a call, and identical
//! requests in flight at once make one call. [`SharedQps`] keeps calls under a gateway's
//! calls-per-second limit across every process on the ledger.
//!
//! ```
//! use std::sync::Arc;
//! use idcheck_ledger::{Ledger, LedgerKey};
//! use idcheck_router::Fallback;
//! let ledger = Arc::new(Ledger::in_memory(LedgerKey::random()?));
//! let router = Fallback::by_price(vec![/* Arc<dyn Provider>, … */]).with_ledger(ledger);
//! assert!(router.providers().is_empty());
//! # Ok::<(), idcheck_ledger::KeyError>(())
//! ```

mod cache;
mod fallback;
mod qps;

pub use cache::CacheKey;
pub use fallback::{FALLBACK_ID, Fallback, Routed};
pub use qps::{DEFAULT_MAX_SLOT_WAIT, SharedQps, with_shared_qps};
