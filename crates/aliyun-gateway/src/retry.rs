//! Opt-in retries, only of failures that were certainly not billed.

use std::time::Duration;

use provider_trait::{Error, TransportFailure};

/// When to call again after a failure. The default, [`RetryPolicy::never`], makes one attempt.
///
/// Whatever the policy, only failures that never reached a billed backend are retried: a
/// connection that could not be made, gateway throttling and gateway 5xx refusals. A timeout or
/// a broken connection after the request was sent, and every HTTP 200 answer, may have been
/// billed and are never retried here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::never()
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    #[must_use]
    pub const fn never() -> Self {
        Self {
            max_attempts: 1,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
            deadline: Duration::ZERO,
        }
    }

    /// Up to 3 attempts, backoff from 200 ms doubling to at most 2 s (with jitter), all within
    /// 10 s: enough to ride out a throttling burst or a gateway restart.
    #[must_use]
    pub const fn unbilled_failures() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            deadline: Duration::from_secs(10),
        }
    }

    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub const fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// The wait before the second attempt; each later wait doubles, up to `max`.
    #[must_use]
    pub const fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// No attempt starts, and no wait is begun, that would end later than this after the first
    /// attempt started.
    #[must_use]
    pub const fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Attempts in all.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether this failure is one the policy may retry: it never reached a billed backend.
    #[must_use]
    pub fn is_retryable(error: &Error) -> bool {
        match error {
            Error::Transport { failure, .. } => *failure == TransportFailure::Connect,
            Error::Throttled { .. } => true,
            Error::VendorUnavailable { billed, .. } => !billed,
            Error::Protocol { status, billed, .. } => !billed && *status >= 500,
            _ => false,
        }
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential, with "equal
    /// jitter" (half fixed, half random) so that many clients throttled together spread out.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }

    pub(crate) const fn deadline(&self) -> Duration {
        self.deadline
    }
}
