//! The compiled module of the `idcheck` Python package, `idcheck._idcheck`: thin bindings over
//! the Rust crates, built by maturin (`pip install crates/idcheck-python`).
//!
//! - The offline core (`idcheck-core`): `parse_id`, `parse_mobile`, `parse_name`,
//!   `check_photo`, `fit_photo`, and the bulk `check_ids` / `check_mobiles` / `check_names`,
//!   which collect a column's strings once, release the GIL and run the core over all of them.
//! - The verifier (`idcheck::Verifier::builder()`), every call claimed and recorded in the
//!   ledger of paid calls, blocking (GIL released, Ctrl-C honoured) or awaitable under asyncio
//!   (`pyo3-async-runtimes` over one process-wide tokio runtime).
//! - The batch engine (`idcheck-batch`) over a CSV file, with a progress callback.
//! - `testing.Sandbox`: the vendors on loopback (`idcheck-sandbox`), for tests and trials.
//!
//! Every rule is the core's: nothing here validates anything itself. Personal data leaves as
//! the core masks it (`repr` and `str` of every object, every exception message); secrets
//! never leave.
//!
//! The Python side (`python/idcheck/`) re-exports these names with docstrings, typed stubs
//! (`_idcheck.pyi`) and `py.typed`; its tests are in `tests/` (pytest).

// PyO3's macros take arguments by value and expand to code clippy's pedantic set dislikes:
// the allowances below are for that generated shape, not for hand-written logic.
#![allow(clippy::needless_pass_by_value)]
#![allow(clippy::unused_self)]

mod batch;
mod bulk;
mod core_types;
mod errors;
mod runtime;
mod sandbox;
mod verifier;

use pyo3::prelude::*;

pub use errors::{
    IdError, InvalidInputError, MayChargeAgainError, MobileError, NotRetryableError,
    PersonNameError, PhotoError, RetryableError, SetupError, VerifyError,
};

#[pymodule]
fn _idcheck(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(py, m)?;
    core_types::register(m)?;
    bulk::register(m)?;
    verifier::register(m)?;
    batch::register(m)?;
    sandbox::register(m)?;
    Ok(())
}
