//! `idcheck.Verifier`: `idcheck::Verifier::builder()` for Python. Every call is claimed in the
//! ledger of paid calls before it is sent and recorded when it ends (SQLite by default,
//! PostgreSQL by URL), so Python callers never pay twice either. Blocking calls release the
//! GIL and honour Ctrl-C; the `_async` variants are asyncio awaitables.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use idcheck::gateway::{Auth, RetryPolicy};
use idcheck::ledger::scrub;
use idcheck::provider::{FaceOutcome, Price, Report, Request, Route, Verdict};
use idcheck::router::Routed;
use idcheck::{FaceImageParser, IdNumber, IdParser, Mobile, MobileParser, Name};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyType};

use crate::core_types::{self, photo_of, text_of, type_name};
use crate::errors;
use crate::runtime::block_on;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Verifier>()?;
    m.add_class::<VerifyResult>()?;
    Ok(())
}

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Thousandths of a yuan as a `decimal.Decimal` with three places, e.g. `Decimal('0.070')`.
pub(crate) fn decimal_yuan(py: Python<'_>, milli_yuan: u32) -> PyResult<Bound<'_, PyAny>> {
    let decimal = DECIMAL.import(py, "decimal", "Decimal")?;
    decimal.call1((format!("{}.{:03}", milli_yuan / 1000, milli_yuan % 1000),))
}

/// A price in yuan (`Decimal`, `str`, `int` or `float`, at most three decimal places) as
/// thousandths of a yuan.
pub(crate) fn price_of(vendor: &str, value: &Bound<'_, PyAny>) -> PyResult<Price> {
    let invalid = || {
        PyValueError::new_err(format!(
            "price of {vendor}: expected yuan with at most three decimal places, e.g. Decimal('0.07')"
        ))
    };
    if value.is_instance_of::<PyBool>() {
        return Err(invalid());
    }
    let text = if value.is_instance_of::<PyFloat>() {
        value.repr()?.to_string()
    } else {
        value.str()?.to_string()
    };
    parse_yuan(&text)
        .map(Price::from_milli_yuan)
        .ok_or_else(invalid)
}

/// `0.07`, `1`, `.5`, `2.125` (yuan, at most three decimal places) as thousandths of a yuan.
fn parse_yuan(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 3
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u32 = format!("{fraction:0<3}").parse().ok()?;
    whole.checked_mul(1000)?.checked_add(fraction)
}

/// The ledger location: as given, else `IDCHECK_LEDGER`, else the user's default file.
pub(crate) fn ledger_location(ledger: Option<&str>) -> PyResult<String> {
    if let Some(location) = ledger {
        return Ok(location.to_owned());
    }
    match std::env::var(idcheck::ledger::ENV_LEDGER) {
        Ok(location) if !location.trim().is_empty() => Ok(location),
        _ => idcheck::ledger::default_location()
            .map(|path| path.display().to_string())
            .ok_or_else(|| {
                errors::setup_error(
                    "no data directory for the ledger: pass ledger=PATH or set IDCHECK_LEDGER",
                )
            }),
    }
}

/// The credentials given, or None for the environment (`IDCHECK_APPCODE`, or
/// `IDCHECK_APP_KEY` and `IDCHECK_APP_SECRET`).
pub(crate) fn auth_of(
    appcode: Option<&str>,
    app_key: Option<&str>,
    app_secret: Option<&str>,
) -> PyResult<Option<Auth>> {
    let auth = match (appcode, app_key, app_secret) {
        (Some(code), None, None) => Auth::app_code(code),
        (None, Some(key), Some(secret)) => Auth::app_key(key, secret),
        (None, None, None) => return Ok(None),
        _ => {
            return Err(errors::setup_error(
                "credentials: give appcode, or app_key with app_secret, or neither (then the environment is read)",
            ));
        }
    };
    auth.map(Some)
        .map_err(|e| errors::setup_error(format!("credentials: {e}")))
}

pub(crate) fn duration_of(what: &str, seconds: f64) -> PyResult<Duration> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(PyValueError::new_err(format!(
            "{what}: seconds, more than 0 and at most 86400"
        )))
    }
}

/// The vendor ids: a list (or one id as a str).
pub(crate) fn vendor_list(vendors: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if vendors.is_instance_of::<pyo3::types::PyString>() {
        return Ok(vec![text_of(vendors, "vendors")?]);
    }
    vendors.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "vendors: expected a list of vendor ids, got {}",
            type_name(vendors)
        ))
    })
}

/// The prices by vendor id.
pub(crate) fn price_list(
    prices: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<Vec<(String, Price)>> {
    let mut list = Vec::new();
    if let Some(prices) = prices {
        for (vendor, price) in prices.iter() {
            let vendor = text_of(&vendor, "prices")?;
            let price = price_of(&vendor, &price)?;
            list.push((vendor, price));
        }
    }
    Ok(list)
}

/// What a Verifier (or a batch's router) is built from.
#[allow(clippy::struct_excessive_bools)] // keyword arguments, one bool each
pub(crate) struct Setup {
    pub(crate) vendors: Vec<String>,
    pub(crate) prices: Vec<(String, Price)>,
    pub(crate) base_url: Option<String>,
    pub(crate) ledger: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) auth: Option<Auth>,
    pub(crate) by_price: bool,
    pub(crate) fresh: bool,
    pub(crate) retry_unbilled: bool,
    pub(crate) continue_after_billed_errors: bool,
}

impl Setup {
    /// `idcheck::Verifier::builder()` with these settings, built (the ledger opened) with the
    /// GIL released; a warning when the ledger key file was created.
    pub(crate) fn build(self, py: Python<'_>) -> PyResult<(idcheck::Verifier, Option<PathBuf>)> {
        let mut builder = idcheck::Verifier::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .fresh(self.fresh)
            .continue_after_billed_errors(self.continue_after_billed_errors);
        if self.retry_unbilled {
            builder = builder.retry(RetryPolicy::unbilled_failures());
        }
        for vendor in &self.vendors {
            builder = builder.vendor(vendor.as_str());
        }
        for (vendor, price) in self.prices {
            builder = builder.price(vendor, price);
        }
        if self.by_price {
            builder = builder.by_price();
        }
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.as_str());
        }
        if let Some(auth) = self.auth {
            builder = builder.credentials(auth);
        }
        builder = builder.ledger_at(ledger_location(self.ledger.as_deref())?);
        let verifier =
            block_on(py, builder.build())?.map_err(|e| errors::setup_error(e.to_string()))?;
        let created_key = verifier
            .created_ledger_key()
            .map(std::path::Path::to_path_buf);
        if let Some(path) = &created_key {
            py.import("warnings")?.call_method1(
                "warn",
                (format!(
                    "idcheck created the ledger key {} (mode 0600): keep it with the ledger; without it every entry is lost",
                    path.display()
                ),),
            )?;
        }
        Ok((verifier, created_key))
    }
}

/// Verifies people through one or more vendors in order, every call through the ledger.
///
/// `repr` shows the vendors, the base URL and the ledger's location: never a credential.
#[pyclass(frozen, module = "idcheck", name = "Verifier")]
pub(crate) struct Verifier {
    inner: Arc<idcheck::Verifier>,
    vendors: Vec<&'static str>,
    base_url: Option<String>,
    ledger: String,
    created_key: Option<PathBuf>,
    closed: AtomicBool,
}

/// What a result shows of the inputs: masked, plus the name to scrub vendor text of.
struct Inputs {
    id: String,
    name: String,
    mobile: Option<String>,
    plain_name: String,
}

impl Inputs {
    fn of(request: &Request) -> Self {
        Self {
            id: request.id().masked().to_string(),
            name: request.name().masked().to_string(),
            mobile: match request {
                Request::Mobile(r) => Some(r.mobile.masked().to_string()),
                _ => None,
            },
            plain_name: request.name().as_str().to_owned(),
        }
    }
}

fn id_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<IdNumber> {
    if let Ok(id) = value.cast::<core_types::IdNumber>() {
        return Ok(id.get().id);
    }
    let text = text_of(value, "id")?;
    IdParser::new()
        .parse(&text)
        .map_err(|e| errors::id_error(py, &e))
}

fn name_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Name> {
    if let Ok(name) = value.cast::<core_types::Name>() {
        return Ok(name.get().name.clone());
    }
    let text = text_of(value, "name")?;
    Name::parse(&text).map_err(|e| errors::name_error(py, &e))
}

fn mobile_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Mobile> {
    if let Ok(mobile) = value.cast::<core_types::Mobile>() {
        return Ok(mobile.get().mobile);
    }
    let text = text_of(value, "mobile")?;
    MobileParser::new()
        .parse(&text)
        .map_err(|e| errors::mobile_error(py, &e))
}

fn face_of(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<idcheck::FaceImage> {
    if let Ok(photo) = value.cast::<core_types::Photo>() {
        return Ok(photo.get().photo.clone());
    }
    photo_of(&FaceImageParser::new(), value)?.map_err(|e| errors::photo_error(py, &e))
}

#[pymethods]
impl Verifier {
    /// Sets up the vendors (asked in order, or cheapest first with `by_price`), their prices
    /// (yuan a call), one base URL for all of them (a proxy, or the sandbox), the ledger (a
    /// SQLite path, `postgres://…`, or `memory`; default `IDCHECK_LEDGER` or the user's file),
    /// timeouts (seconds) and credentials (default: the environment). Nothing is sent.
    #[new]
    #[pyo3(signature = (
        vendors, *, prices = None, base_url = None, ledger = None, timeout = 20.0,
        connect_timeout = 5.0, appcode = None, app_key = None, app_secret = None,
        by_price = false, fresh = false, retry_unbilled = false,
        continue_after_billed_errors = false
    ))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)] // keyword arguments
    fn new(
        py: Python<'_>,
        vendors: &Bound<'_, PyAny>,
        prices: Option<&Bound<'_, pyo3::types::PyDict>>,
        base_url: Option<String>,
        ledger: Option<String>,
        timeout: f64,
        connect_timeout: f64,
        appcode: Option<String>,
        app_key: Option<String>,
        app_secret: Option<String>,
        by_price: bool,
        fresh: bool,
        retry_unbilled: bool,
        continue_after_billed_errors: bool,
    ) -> PyResult<Self> {
        let setup = Setup {
            vendors: vendor_list(vendors)?,
            prices: price_list(prices)?,
            base_url,
            ledger,
            timeout: duration_of("timeout", timeout)?,
            connect_timeout: duration_of("connect_timeout", connect_timeout)?,
            auth: auth_of(
                appcode.as_deref(),
                app_key.as_deref(),
                app_secret.as_deref(),
            )?,
            by_price,
            fresh,
            retry_unbilled,
            continue_after_billed_errors,
        };
        let (verifier, created_key) = setup.build(py)?;
        Ok(Self {
            vendors: verifier.vendors().iter().map(|v| v.id()).collect(),
            base_url: verifier
                .vendors()
                .first()
                .map(|v| v.target().base_url().to_owned()),
            ledger: verifier.ledger().location().to_owned(),
            created_key,
            inner: Arc::new(verifier),
            closed: AtomicBool::new(false),
        })
    }

    /// The vendors, in the order they are asked.
    #[getter]
    fn vendors(&self) -> Vec<&'static str> {
        self.vendors.clone()
    }

    /// Where the ledger is (a PostgreSQL URL without its password).
    #[getter]
    fn ledger(&self) -> &str {
        &self.ledger
    }

    /// The ledger key file this Verifier created, if it did: keep it with the ledger.
    #[getter]
    fn created_ledger_key(&self) -> Option<String> {
        self.created_key.as_ref().map(|p| p.display().to_string())
    }

    /// ID number + name. Invalid input raises IdError/PersonNameError before anything is
    /// sent; a call without a verdict raises a `VerifyError` subclass.
    fn verify_identity(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
    ) -> PyResult<VerifyResult> {
        let request = Request::identity(id_of(py, id)?, name_of(py, name)?);
        self.verify_blocking(py, request)
    }

    /// ID number + name + mobile (the carrier check).
    fn verify_mobile(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        mobile: &Bound<'_, PyAny>,
    ) -> PyResult<VerifyResult> {
        let request = Request::mobile(id_of(py, id)?, name_of(py, name)?, mobile_of(py, mobile)?);
        self.verify_blocking(py, request)
    }

    /// ID number + name + face photo (image bytes, base64 text, an https URL, or a Photo).
    fn verify_face(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        photo: &Bound<'_, PyAny>,
    ) -> PyResult<VerifyResult> {
        let request = Request::face(id_of(py, id)?, name_of(py, name)?, face_of(py, photo)?);
        self.verify_blocking(py, request)
    }

    /// `verify_identity` for asyncio: `await verifier.verify_identity_async(id, name)`.
    fn verify_identity_async<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = id_of(py, id).and_then(|id| Ok(Request::identity(id, name_of(py, name)?)));
        self.verify_awaitable(py, request)
    }

    /// `verify_mobile` for asyncio.
    fn verify_mobile_async<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
        mobile: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = id_of(py, id).and_then(|id| {
            Ok(Request::mobile(
                id,
                name_of(py, name)?,
                mobile_of(py, mobile)?,
            ))
        });
        self.verify_awaitable(py, request)
    }

    /// `verify_face` for asyncio.
    fn verify_face_async<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
        photo: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = id_of(py, id)
            .and_then(|id| Ok(Request::face(id, name_of(py, name)?, face_of(py, photo)?)));
        self.verify_awaitable(py, request)
    }

    /// Closes the ledger (SQLite folds its log into the file). Further calls raise.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let inner = Arc::clone(&self.inner);
        block_on(py, async move { inner.ledger().close().await })?
            .map_err(|e| PyRuntimeError::new_err(format!("closing the ledger: {e}")))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let vendors: Vec<String> = self.vendors.iter().map(|v| format!("'{v}'")).collect();
        let mut repr = format!("Verifier(vendors=[{}]", vendors.join(", "));
        if let Some(url) = self.base_url.as_deref().filter(|u| !u.is_empty()) {
            let _ = write!(repr, ", base_url='{url}'");
        }
        let _ = write!(repr, ", ledger='{}')", self.ledger);
        repr
    }
}

impl Verifier {
    fn check_open(&self) -> PyResult<()> {
        if self.closed.load(Ordering::SeqCst) {
            Err(PyRuntimeError::new_err("this Verifier is closed"))
        } else {
            Ok(())
        }
    }

    fn verify_blocking(&self, py: Python<'_>, request: Request) -> PyResult<VerifyResult> {
        self.check_open()?;
        let inputs = Inputs::of(&request);
        let inner = Arc::clone(&self.inner);
        let routed = block_on(py, async move { inner.route(&request).await })?;
        finish(py, &routed, &inputs)
    }

    fn verify_awaitable<'py>(
        &self,
        py: Python<'py>,
        request: PyResult<Request>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let prepared = self.check_open().and(request);
        let inner = Arc::clone(&self.inner);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let request = prepared?;
            let inputs = Inputs::of(&request);
            // A task of its own: if the awaiting task is cancelled, the call still ends and
            // is recorded in the ledger.
            let routed = tokio::spawn(async move { inner.route(&request).await })
                .await
                .map_err(|_| PyRuntimeError::new_err("an idcheck task failed"))?;
            tokio::task::spawn_blocking(move || Python::attach(|py| finish(py, &routed, &inputs)))
                .await
                .map_err(|_| PyRuntimeError::new_err("an idcheck task failed"))?
        })
    }
}

fn verdict_parts(verdict: Verdict) -> (&'static str, Option<&'static str>) {
    match verdict {
        Verdict::Match => ("match", None),
        Verdict::Mismatch => ("mismatch", None),
        Verdict::Unverifiable(reason) => ("unverifiable", Some(reason.label())),
        _ => ("other", None),
    }
}

fn face_label(face: FaceOutcome) -> &'static str {
    match face {
        FaceOutcome::Same => "same",
        FaceOutcome::ProbablySame => "probably_same",
        FaceOutcome::Different => "different",
        _ => "other",
    }
}

fn route_steps(route: &Route, name: &str) -> Vec<(String, String, String)> {
    route
        .tried
        .iter()
        .map(|step| {
            (
                step.provider.to_owned(),
                scrub(&step.outcome, name),
                errors::billing_label(step.billing).to_owned(),
            )
        })
        .collect()
}

/// The result, or the exception, of a route.
fn finish(py: Python<'_>, routed: &Routed, inputs: &Inputs) -> PyResult<VerifyResult> {
    let route = &routed.route;
    match &routed.result {
        Ok(report) => Ok(VerifyResult::new(report, route, inputs)),
        Err(error) => {
            let message = scrub(&error.to_string(), &inputs.plain_name);
            let err = errors::verify_error(py, error, message);
            let value = err.value(py);
            value.setattr("kind", errors::error_kind(error))?;
            value.setattr("retry", errors::retry_label(error.retry()))?;
            value.setattr("billing", errors::billing_label(error.billing()))?;
            value.setattr("provider", route.tried.last().map(|s| s.provider))?;
            value.setattr("gateway_request_id", error.request_id())?;
            value.setattr("billed_calls", route.billed_calls)?;
            value.setattr("maybe_billed_calls", route.maybe_billed_calls)?;
            value.setattr(
                "cost_yuan",
                route
                    .cost
                    .map(|c| decimal_yuan(py, c.milli_yuan()))
                    .transpose()?,
            )?;
            value.setattr("route", route_steps(route, &inputs.plain_name))?;
            value.setattr("id", &inputs.id)?;
            value.setattr("name", &inputs.name)?;
            value.setattr("mobile", inputs.mobile.as_deref())?;
            Err(err)
        }
    }
}

/// A verdict: what the authority answered, who answered, what it cost. Inputs are masked; the
/// vendor's birthday and age are left out (beside the masked number they rebuild it), and
/// vendor text is scrubbed of numbers and the name.
#[pyclass(frozen, module = "idcheck", name = "VerifyResult")]
pub(crate) struct VerifyResult {
    verdict: &'static str,
    reason: Option<&'static str>,
    face: Option<&'static str>,
    provider: &'static str,
    raw_code: Option<String>,
    message: Option<String>,
    vendor_request_id: Option<String>,
    gateway_request_id: Option<String>,
    billed_calls: u32,
    maybe_billed_calls: u32,
    cost_milli_yuan: Option<u32>,
    reused: bool,
    route: Vec<(String, String, String)>,
    id: String,
    name: String,
    mobile: Option<String>,
    sex: Option<&'static str>,
    region: Option<String>,
    carrier: Option<&'static str>,
    notes: Vec<String>,
}

impl VerifyResult {
    fn new(report: &Report, route: &Route, inputs: &Inputs) -> Self {
        let name = inputs.plain_name.as_str();
        let (verdict, reason) = verdict_parts(report.verdict);
        Self {
            verdict,
            reason,
            face: report.face.map(face_label),
            provider: report.trace.provider,
            raw_code: report.trace.raw_code.clone(),
            message: report.trace.raw_message.as_deref().map(|m| scrub(m, name)),
            vendor_request_id: report.trace.vendor_request_id.clone(),
            gateway_request_id: report.trace.gateway_request_id.clone(),
            billed_calls: route.billed_calls,
            maybe_billed_calls: route.maybe_billed_calls,
            cost_milli_yuan: route.cost.map(Price::milli_yuan),
            reused: route.cached,
            route: route_steps(route, name),
            id: inputs.id.clone(),
            name: inputs.name.clone(),
            mobile: inputs.mobile.clone(),
            sex: report.details.sex.map(|sex| match sex {
                idcheck::Sex::Male => "male",
                idcheck::Sex::Female => "female",
            }),
            region: report.details.region.as_deref().map(|r| scrub(r, name)),
            carrier: report.details.carrier.map(idcheck::Carrier::name_en),
            notes: report.trace.notes.iter().map(|n| scrub(n, name)).collect(),
        }
    }
}

#[pymethods]
impl VerifyResult {
    /// `match`, `mismatch` or `unverifiable`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.verdict
    }

    /// For `unverifiable`: `no_record`, `no_photo_on_file` or `inconclusive`.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.reason
    }

    /// Whether the verdict is `match`.
    #[getter]
    fn is_match(&self) -> bool {
        self.verdict == "match"
    }

    /// For face checks: `same`, `probably_same` or `different`.
    #[getter]
    fn face(&self) -> Option<&'static str> {
        self.face
    }

    /// The vendor that answered.
    #[getter]
    fn provider(&self) -> &'static str {
        self.provider
    }

    /// The vendor's own result code, verbatim.
    #[getter]
    fn raw_code(&self) -> Option<&str> {
        self.raw_code.as_deref()
    }

    /// The vendor's message, scrubbed of numbers and the name.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The vendor's request id.
    #[getter]
    fn vendor_request_id(&self) -> Option<&str> {
        self.vendor_request_id.as_deref()
    }

    /// The gateway's `X-Ca-Request-Id` (for a disputed charge).
    #[getter]
    fn gateway_request_id(&self) -> Option<&str> {
        self.gateway_request_id.as_deref()
    }

    /// Calls billed for this answer (0 when the ledger had it).
    #[getter]
    fn billed_calls(&self) -> u32 {
        self.billed_calls
    }

    /// Calls sent without an answer, which may have been billed.
    #[getter]
    fn maybe_billed_calls(&self) -> u32 {
        self.maybe_billed_calls
    }

    /// What the billed calls cost, when every billed vendor has a price.
    #[getter]
    fn cost_yuan<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.cost_milli_yuan
            .map(|milli| decimal_yuan(py, milli))
            .transpose()
    }

    /// Answered from the ledger: nothing was paid.
    #[getter]
    fn reused(&self) -> bool {
        self.reused
    }

    /// Every vendor asked: (vendor, outcome, billing).
    #[getter]
    fn route(&self) -> Vec<(String, String, String)> {
        self.route.clone()
    }

    /// The ID number, masked.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// The name, masked.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The mobile, masked, for mobile checks.
    #[getter]
    fn mobile(&self) -> Option<&str> {
        self.mobile.as_deref()
    }

    /// Sex on the vendor's record, when it said.
    #[getter]
    fn sex(&self) -> Option<&'static str> {
        self.sex
    }

    /// Region on the vendor's record, as it wrote it (scrubbed).
    #[getter]
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The mobile's current carrier according to the vendor.
    #[getter]
    fn carrier(&self) -> Option<&'static str> {
        self.carrier
    }

    /// What was noticed while reading the answer (never personal data).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn __repr__(&self) -> String {
        let mut repr = format!(
            "VerifyResult(verdict='{}', provider='{}', id='{}', name='{}'",
            self.verdict, self.provider, self.id, self.name
        );
        if let Some(mobile) = &self.mobile {
            let _ = write!(repr, ", mobile='{mobile}'");
        }
        if let Some(reason) = self.reason {
            let _ = write!(repr, ", reason='{reason}'");
        }
        let _ = write!(
            repr,
            ", billed_calls={}, reused={})",
            self.billed_calls,
            if self.reused { "True" } else { "False" }
        );
        repr
    }
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_to_thousandths() {
        for (text, milli) in [
            ("0.07", Some(70)),
            ("0.070", Some(70)),
            ("1", Some(1000)),
            (".5", Some(500)),
            (" 2.125 ", Some(2125)),
            ("0", Some(0)),
            ("0.0701", None),
            ("-1", None),
            ("1e-2", None),
            ("", None),
            (".", None),
            ("NaN", None),
            ("4294968", None),
        ] {
            assert_eq!(parse_yuan(text), milli, "{text:?}");
        }
    }
}
