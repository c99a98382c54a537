//! The contract every idcheck verification vendor implements.
//!
//! A [`Provider`] takes a [`Request`] — built only from `idcheck-core` parsed types, so invalid
//! input cannot reach a vendor — and answers with a [`Report`] (one verdict model for every
//! vendor) or an [`Error`] that says what retrying would mean. Providers are object safe, so an
//! application can hold `Vec<Arc<dyn Provider>>` of different vendors.
//!
//! ```
//! use idcheck_core::{IdNumber, Name};
//! use provider_trait::{Check, Request};
//! let request = Request::identity(IdNumber::parse("11010519491231002X")?, Name::parse("张三").unwrap());
//! assert_eq!(request.check(), Check::Identity);
//! assert_eq!(format!("{request:?}"), r#"Identity(IdentityRequest { id: IdNumber(110105********002X), name: Name("张*") })"#);
//! # Ok::<(), idcheck_core::IdError>(())
//! ```

mod capability;
mod error;
mod gate;
mod report;
mod request;
mod target;

use std::fmt;

pub use capability::{Capabilities, Price};
pub use error::{Error, Field, InvalidInput, NotSent, Retry, TransportFailure};
pub use gate::{SendGate, check_send_gate};
pub use report::{
    Billing, Details, FaceOutcome, Report, Route, RouteStep, Trace, UnverifiableReason, Verdict,
};
pub use request::{Check, Checks, FaceRequest, IdentityRequest, MobileRequest, Request};
pub use target::Target;

/// A verification vendor. Object safe: hold providers as `Arc<dyn Provider>`.
///
/// `Debug` must not print credentials or personal data.
#[async_trait::async_trait]
pub trait Provider: fmt::Debug + Send + Sync {
    /// A stable id, e.g. `idcardcert`, used in reports, logs and configuration.
    fn id(&self) -> &'static str;

    /// Which checks it performs and what a call costs.
    fn capabilities(&self) -> Capabilities;

    /// Where its calls go (id, base URL, account fingerprint): answers recorded in a ledger
    /// are bound to it. The default binds by id alone; providers that call a gateway say more.
    fn target(&self) -> Target {
        Target::unbound(self.id())
    }

    /// Runs one verification. A request for a check the provider does not perform fails with
    /// [`Error::UnsupportedCheck`] without any call.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::retry`] tells what retrying means.
    async fn verify(&self, request: &Request) -> Result<Report, Error>;
}
