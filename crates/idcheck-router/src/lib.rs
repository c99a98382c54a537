//! A fallback router over idcheck providers, and an answer cache that never holds personal
//! data in plain text.
//!
//! [`Fallback`] is itself a [`provider_trait::Provider`]: it asks its providers in order (or
//! cheapest first, [`Fallback::by_price`]), moves to the next only when an answer is
//! `Unverifiable` or an error was not billed, and says in the report's `route` who was asked,
//! how many calls were billed and what they cost. With a [`MemoryCache`], the same person
//! asked again within the TTL is answered without a call.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use idcheck_router::{Fallback, MemoryCache};
//! let router = Fallback::by_price(vec![/* Arc<dyn Provider>, … */])
//!     .with_cache(Arc::new(MemoryCache::new(Duration::from_secs(24 * 3600))));
//! assert!(router.providers().is_empty());
//! ```

mod cache;
mod fallback;

pub use cache::{AnswerCache, CacheKey, MemoryCache};
pub use fallback::{FALLBACK_ID, Fallback, Routed};
