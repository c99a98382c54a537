//! Errors, which are not verdicts: each says whether retrying can help and at what risk.

use idcheck_core::{FaceImageError, IdError, MobileError, NameError};

use crate::Check;

/// What retrying a failed call means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Retrying cannot help (bad input, bad credentials, a vendor's definite refusal).
    Never,
    /// The request never reached a billed backend: retrying costs nothing (maybe after a wait).
    Safe,
    /// The request may have reached the vendor and been billed: retrying may charge again.
    MayChargeAgain,
}

/// Which input the vendor refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The ID number.
    Id,
    /// The name.
    Name,
    /// The mobile number.
    Mobile,
    /// The photo.
    Photo,
    /// The vendor did not say which.
    Unspecified,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Id => "ID number",
            Self::Name => "name",
            Self::Mobile => "mobile number",
            Self::Photo => "photo",
            Self::Unspecified => "input",
        })
    }
}

/// Input found invalid offline (before any call) or by the vendor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// The ID number did not parse.
    #[error("invalid ID number: {0}")]
    Id(#[from] IdError),
    /// The name did not parse.
    #[error("invalid name: {0}")]
    Name(#[from] NameError),
    /// The mobile did not parse.
    #[error("invalid mobile number: {0}")]
    Mobile(#[from] MobileError),
    /// The photo was refused.
    #[error("invalid photo: {0}")]
    Photo(#[from] FaceImageError),
    /// The vendor refused an input that passed offline validation (billed).
    #[error("the vendor refused the {field}: code {code}")]
    RejectedByVendor {
        /// Which input.
        field: Field,
        /// The vendor's code, verbatim.
        code: String,
    },
}

/// How a transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportFailure {
    /// No connection was made (DNS, refused, TLS handshake): the request was never sent.
    Connect,
    /// The call took longer than its timeout after the request was sent.
    Timeout,
    /// The connection broke while sending or reading.
    Interrupted,
}

impl std::fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out",
            Self::Interrupted => "connection interrupted",
        })
    }
}

/// Why a ledger stopped a call before it was sent (see the `idcheck-ledger` crate). Nothing
/// was sent and nothing billed now; what to do depends on the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotSent {
    /// An earlier call for the same inputs and target may have been billed and has no
    /// recorded answer (killed in flight, timed out after sending): sending again could pay
    /// twice. Resolve it, or re-send it on purpose.
    #[error(
        "an earlier call (ledger call {call}) may have been billed and has no answer: resolve it or re-send it on purpose"
    )]
    Unresolved {
        /// The ledger's call id.
        call: i64,
    },
    /// Another process holds the same request and did not finish within the wait.
    #[error("the same request is in flight elsewhere (ledger call {call}); run again later")]
    InFlightElsewhere {
        /// The ledger's call id.
        call: i64,
    },
    /// The same request was answered earlier with a billed error; it is not paid for again
    /// unless fresh answers are asked for.
    #[error("answered earlier with a billed error (ledger call {call}): {outcome}")]
    FailedEarlier {
        /// The ledger's call id.
        call: i64,
        /// The recorded error, scrubbed of personal data.
        outcome: String,
    },
    /// The ledger could not be read or written: nothing is sent without it.
    #[error("ledger: {detail}")]
    Ledger {
        /// What failed (never personal data).
        detail: String,
    },
    /// The client's daily budget has no room for this call: nothing was sent.
    #[error(
        "the daily budget of client {client} has no room for this call (spent, or held by calls in flight or of unknown billing); it resets at the next day's start"
    )]
    BudgetSpent {
        /// The client whose budget it is.
        client: String,
        /// When the budget's day ends (milliseconds since the Unix epoch, by the ledger's
        /// clock).
        resets_at_ms: i64,
    },
    /// This holder's claim on the call lapsed before it was sent (the process was paused or
    /// starved longer than its lease): another holder may send it now, so this one does not.
    #[error("the claim on ledger call {call} lapsed before it was sent (was the process paused?)")]
    LeaseLapsed {
        /// The ledger's call id.
        call: i64,
    },
    /// The shared calls-per-second limit has more calls queued than can start in time.
    #[error("the calls-per-second limit is queued beyond {wait_ms} ms")]
    RateQueueFull {
        /// The longest wait accepted, in milliseconds.
        wait_ms: u64,
    },
}

/// Why a verification produced no verdict. Messages never contain personal data, secrets or a
/// URL with a query string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid input, found offline or by the vendor.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The provider does not perform this check.
    #[error("provider {provider} does not perform {check} checks")]
    UnsupportedCheck {
        /// The provider's id.
        provider: &'static str,
        /// The check asked for.
        check: Check,
    },
    /// Bad AppCode, AppKey/AppSecret or signature, or the app is not authorised for the API.
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// The gateway's `X-Ca-Error-Message`.
        message: String,
        /// The gateway's `X-Ca-Request-Id`.
        request_id: Option<String>,
    },
    /// The purchased calls are used up, the package expired, or the account is in arrears.
    #[error("quota exhausted or expired: {message}")]
    QuotaExhausted {
        /// The gateway's `X-Ca-Error-Message`.
        message: String,
        /// The gateway's `X-Ca-Request-Id`.
        request_id: Option<String>,
    },
    /// The gateway throttled the call (not billed).
    #[error("throttled: {message}")]
    Throttled {
        /// The gateway's `X-Ca-Error-Message`.
        message: String,
        /// The gateway's `X-Ca-Request-Id`.
        request_id: Option<String>,
    },
    /// The vendor or the gateway is down or in maintenance.
    #[error("vendor unavailable: {message}")]
    VendorUnavailable {
        /// The vendor's code or the gateway's message.
        message: String,
        /// Whether this answer was billed (a vendor's HTTP 200 "maintenance" code is).
        billed: bool,
        /// The gateway's `X-Ca-Request-Id`.
        request_id: Option<String>,
    },
    /// The network failed.
    #[error("transport: {failure}{}", endpoint.as_deref().map(|e| format!(" ({e})")).unwrap_or_default())]
    Transport {
        /// How.
        failure: TransportFailure,
        /// `host:port` of the server, when known (never a path or query: they hold inputs).
        endpoint: Option<String>,
    },
    /// The ledger stopped the call before it was sent.
    #[error("not sent to {provider}: {reason}")]
    NotSent {
        /// The provider that was not called.
        provider: &'static str,
        /// Why.
        reason: NotSent,
    },
    /// An answer we cannot interpret: an unexpected status, body or vendor code, or a body over
    /// the size cap (the status is known by then, so is the billing).
    #[error("protocol: {detail}")]
    Protocol {
        /// The HTTP status.
        status: u16,
        /// The vendor's code, verbatim, when there was one.
        raw_code: Option<String>,
        /// What was unexpected.
        detail: String,
        /// Whether the answer was billed (HTTP 200).
        billed: bool,
        /// The gateway's `X-Ca-Request-Id`.
        request_id: Option<String>,
    },
}

impl Error {
    /// What retrying means for this error.
    #[must_use]
    pub fn retry(&self) -> Retry {
        match self {
            // Quota exhausted: a human must buy more calls; retrying is free but useless.
            Self::InvalidInput(_)
            | Self::UnsupportedCheck { .. }
            | Self::Unauthenticated { .. }
            | Self::QuotaExhausted { .. } => Retry::Never,
            Self::Throttled { .. } => Retry::Safe,
            Self::NotSent { reason, .. } => match reason {
                NotSent::InFlightElsewhere { .. }
                | NotSent::Ledger { .. }
                | NotSent::BudgetSpent { .. }
                | NotSent::LeaseLapsed { .. }
                | NotSent::RateQueueFull { .. } => Retry::Safe,
                NotSent::Unresolved { .. } | NotSent::FailedEarlier { .. } => Retry::Never,
            },
            Self::VendorUnavailable { billed, .. } | Self::Protocol { billed, .. } => {
                if *billed {
                    Retry::MayChargeAgain
                } else {
                    Retry::Safe
                }
            }
            Self::Transport { failure, .. } => match failure {
                TransportFailure::Connect => Retry::Safe,
                TransportFailure::Timeout | TransportFailure::Interrupted => Retry::MayChargeAgain,
            },
        }
    }

    /// Whether the failed call was (or may have been) billed.
    #[must_use]
    pub fn billing(&self) -> crate::Billing {
        match self.retry() {
            Retry::Never | Retry::Safe => match self {
                Self::InvalidInput(InvalidInput::RejectedByVendor { .. }) => crate::Billing::Billed,
                _ => crate::Billing::NotBilled,
            },
            Retry::MayChargeAgain => match self {
                Self::Transport { .. } => crate::Billing::Unknown,
                _ => crate::Billing::Billed,
            },
        }
    }

    /// The gateway's `X-Ca-Request-Id`, when the call reached the gateway.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Unauthenticated { request_id, .. }
            | Self::QuotaExhausted { request_id, .. }
            | Self::Throttled { request_id, .. }
            | Self::VendorUnavailable { request_id, .. }
            | Self::Protocol { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}
