//! One tokio runtime for the process (the one `pyo3-async-runtimes` drives asyncio futures
//! on), and a blocking wait that releases the GIL and still honours Ctrl-C.

use std::future::Future;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often a blocking wait looks for a signal (Ctrl-C) to handle.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs `future` as a task of the runtime and waits for it with the GIL released. Every
/// `SIGNAL_POLL` the wait takes the GIL to run Python's signal handlers: on Ctrl-C it raises
/// `KeyboardInterrupt` at once while the task goes on to its end (a verification in flight is
/// then recorded in the ledger, never left half done by us).
pub(crate) fn block_on<T, F>(py: Python<'_>, future: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a blocking idcheck call from inside the idcheck runtime (a progress callback?): use the async variant",
        ));
    }
    let runtime = runtime();
    let mut task = runtime.spawn(future);
    loop {
        let waited = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_POLL, &mut task).await })
        });
        match waited {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => {
                return Err(PyRuntimeError::new_err(format!(
                    "an idcheck task failed: {}",
                    if e.is_panic() {
                        "it panicked"
                    } else {
                        "it was cancelled"
                    }
                )));
            }
            Err(_) => py.check_signals()?,
        }
    }
}
