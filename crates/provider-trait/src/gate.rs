//! The last word before a call is sent. A ledger that holds a claim on a call runs the call
//! inside a [`SendGate`]; whatever sends the request (the gateway client) asks
//! [`check_send_gate`] right before the bytes go out, so a holder whose claim lapsed while it
//! was paused never sends a call that another holder may send too.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::NotSent;

tokio::task_local! {
    static GATE: SendGate;
}

/// Says whether a call may still be sent; set by whoever holds the call's claim.
#[derive(Clone)]
pub struct SendGate {
    open: Arc<dyn Fn() -> Result<(), NotSent> + Send + Sync>,
}

impl fmt::Debug for SendGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGate").finish_non_exhaustive()
    }
}

impl SendGate {
    /// A gate that asks `open` each time a request is about to be sent.
    #[must_use]
    pub fn new(open: impl Fn() -> Result<(), NotSent> + Send + Sync + 'static) -> Self {
        Self {
            open: Arc::new(open),
        }
    }

    /// Whether a call may be sent now.
    ///
    /// # Errors
    ///
    /// Why it may not (e.g. [`NotSent::LeaseLapsed`]).
    pub fn check(&self) -> Result<(), NotSent> {
        (self.open)()
    }

    /// Runs `call` with this gate in force for every request it sends.
    pub async fn run<F: Future>(self, call: F) -> F::Output {
        GATE.scope(self, call).await
    }
}

/// Asked right before a request leaves: `Ok` outside any gate, else the gate's answer.
///
/// # Errors
///
/// The gate in force says the call may no longer be sent.
pub fn check_send_gate() -> Result<(), NotSent> {
    GATE.try_with(SendGate::check).unwrap_or(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_gate_in_force_answers_and_none_means_open() {
        assert_eq!(check_send_gate(), Ok(()));
        let closed = SendGate::new(|| Err(NotSent::LeaseLapsed { call: 7 }));
        let inside = closed.run(async { check_send_gate() }).await;
        assert_eq!(inside, Err(NotSent::LeaseLapsed { call: 7 }));
        assert_eq!(check_send_gate(), Ok(()));
    }
}
