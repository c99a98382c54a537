//! `idcheck.testing.Sandbox`: the five vendors and the gateway on loopback (the
//! `idcheck-sandbox` crate, what `idcheck sandbox` serves), on the package's runtime. For
//! tests and trials: its answers come from synthetic people, and it counts billed calls per
//! person so a test can prove that nobody was paid for twice.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use idcheck_sandbox::{DEFAULT_APPCODE, Registry, Sandbox as RustSandbox, SandboxConfig};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::runtime::{block_on, runtime};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Sandbox>()?;
    Ok(())
}

/// A running sandbox on `127.0.0.1` (a free port). Test-only API: not for production use.
#[pyclass(module = "idcheck.testing", name = "Sandbox")]
pub(crate) struct Sandbox {
    inner: Mutex<Option<RustSandbox>>,
    base_url: String,
}

impl Sandbox {
    fn with<T>(&self, f: impl FnOnce(&RustSandbox) -> T) -> PyResult<T> {
        let inner = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("sandbox state poisoned"))?;
        inner
            .as_ref()
            .map(f)
            .ok_or_else(|| PyRuntimeError::new_err("the sandbox is closed"))
    }
}

#[pymethods]
impl Sandbox {
    /// Starts the sandbox. `registry`: CSV text `name,id,mobile,carrier,photo` of the people on
    /// record (default: the built-in people of `examples/people.csv`); `latency` (seconds)
    /// added to every answer; `quota` billed calls before "Quota Exhausted"; `fail_rate` share
    /// of requests answered 503 (unbilled); `maintenance`: every vendor answers its
    /// maintenance code (billed).
    #[new]
    #[pyo3(signature = (*, registry = None, latency = 0.0, quota = None, fail_rate = 0.0, maintenance = false))]
    fn new(
        py: Python<'_>,
        registry: Option<&str>,
        latency: f64,
        quota: Option<u64>,
        fail_rate: f64,
        maintenance: bool,
    ) -> PyResult<Self> {
        let registry = match registry {
            Some(text) => Registry::from_csv(text, std::path::Path::new("."))
                .map_err(PyValueError::new_err)?,
            None => Registry::builtin(),
        };
        if !(0.0..=1.0).contains(&fail_rate) {
            return Err(PyValueError::new_err(
                "fail_rate is a share between 0 and 1",
            ));
        }
        if !(0.0..=3600.0).contains(&latency) {
            return Err(PyValueError::new_err("latency is 0 to 3600 seconds"));
        }
        let config = SandboxConfig {
            latency: Duration::from_secs_f64(latency),
            quota,
            failure_rate: fail_rate,
            maintenance,
            registry,
            ..SandboxConfig::default()
        };
        // Bound inside the runtime, so its server task lives there.
        let sandbox = block_on(py, async move {
            RustSandbox::start(config, "127.0.0.1:0").await
        })?
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the sandbox: {e}")))?;
        let base_url = sandbox.base_url();
        Ok(Self {
            inner: Mutex::new(Some(sandbox)),
            base_url,
        })
    }

    /// `http://127.0.0.1:PORT`: the base URL for every vendor.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The AppCode the sandbox accepts (a sandbox code, not a secret).
    #[getter]
    fn appcode(&self) -> &'static str {
        DEFAULT_APPCODE
    }

    /// Billed calls (HTTP 200 answers) per vendor id.
    fn billed(&self) -> PyResult<HashMap<&'static str, u64>> {
        self.with(RustSandbox::billed)
    }

    /// Billed calls in all.
    fn billed_total(&self) -> PyResult<u64> {
        self.with(RustSandbox::billed_total)
    }

    /// Billed calls per person (the ID number as the vendors received it, upper case), all
    /// vendors summed. Synthetic people only: this is a test's view of the sandbox.
    fn billed_by_person(&self) -> PyResult<HashMap<String, u64>> {
        self.with(RustSandbox::billed_by_person)
    }

    /// Stops the server (also on garbage collection).
    fn close(&self) -> PyResult<()> {
        let sandbox = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("sandbox state poisoned"))?
            .take();
        if let Some(sandbox) = sandbox {
            // Dropped inside the runtime: its shutdown signal reaches the server task there.
            let _guard = runtime().enter();
            drop(sandbox);
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Sandbox(base_url='{}')", self.base_url)
    }
}
