//! `idcheck.batch`: the batch engine (`idcheck-batch`) on a file of people, as `idcheck
//! batch` runs it: phase 1 offline (rejects are free), then each distinct request once
//! through the router on the ledger. The GIL is released throughout; a progress callback is
//! called as answers come; a first Ctrl-C lets the calls in flight finish and be recorded, a
//! second stops at once (those calls stay unresolved in the ledger).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use idcheck::FaceImageParser;
use idcheck::ledger::ClaimPolicy;
use idcheck::provider::Check;
use idcheck_batch::{
    Answer, ColumnNames, Counts, Delimiter, Format, PeopleFile, Plan, Settings, Stop,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;
use crate::runtime::runtime;
use crate::verifier::{Setup, auth_of, duration_of, price_list, vendor_list};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_batch, m)?)?;
    Ok(())
}

/// How often the wait for phase 2 looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

fn check_of(text: &str) -> PyResult<Check> {
    match text {
        "identity" => Ok(Check::Identity),
        "mobile" => Ok(Check::Mobile),
        "face" => Ok(Check::Face),
        _ => Err(PyValueError::new_err(
            "check: one of 'identity', 'mobile', 'face'",
        )),
    }
}

fn format_of(text: &str) -> PyResult<Format> {
    match text {
        "csv" => Ok(Format::Csv),
        "jsonl" => Ok(Format::Jsonl),
        _ => Err(PyValueError::new_err("format: 'csv' or 'jsonl'")),
    }
}

/// Tells the Python callback of each answer; the first exception it raises stops the run.
struct Progress {
    callback: Option<Py<PyAny>>,
    total: usize,
    done: AtomicUsize,
    billed: AtomicU64,
    failed: Mutex<Option<PyErr>>,
    stop: Arc<Stop>,
}

impl idcheck_batch::Observer for Progress {
    fn answered(&self, answer: &Answer) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let billed = self
            .billed
            .fetch_add(u64::from(answer.billed_calls), Ordering::SeqCst)
            + u64::from(answer.billed_calls);
        let Some(callback) = &self.callback else {
            return;
        };
        let outcome = Python::attach(|py| callback.call1(py, (done, self.total, billed)).map(drop));
        if let Err(e) = outcome {
            self.failed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(e);
            self.stop.finish_in_flight();
        }
    }
}

/// The output: a file, or the JSON Lines text returned.
enum Sink {
    File(PathBuf),
    Returned,
}

fn write_to<T>(
    sink: &Sink,
    format: Format,
    write: impl FnOnce(Format, &mut dyn std::io::Write) -> Result<T, String>,
) -> Result<(T, Option<String>), String> {
    match sink {
        Sink::File(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| format!("cannot write the output {}: {e}", path.display()))?,
            );
            let value = write(format, &mut file)?;
            std::io::Write::flush(&mut file).map_err(|e| e.to_string())?;
            Ok((value, None))
        }
        Sink::Returned => {
            let mut bytes = Vec::new();
            let value = write(Format::Jsonl, &mut bytes)?;
            Ok((value, Some(String::from_utf8_lossy(&bytes).into_owned())))
        }
    }
}

fn counts_into(dict: &Bound<'_, PyDict>, counts: Counts) -> PyResult<()> {
    dict.set_item("rows", counts.rows)?;
    dict.set_item("valid", counts.valid)?;
    dict.set_item("distinct", counts.distinct)?;
    dict.set_item("rejected", counts.rejected)?;
    dict.set_item("duplicates", counts.duplicates())?;
    Ok(())
}

/// The engine behind `idcheck.batch` (see there): returns a summary dict, with the JSON Lines
/// output under `lines` when no `output` file is given.
#[pyfunction]
#[pyo3(signature = (
    path, *, vendors = None, check = "identity", prices = None, base_url = None, ledger = None,
    timeout = 20.0, appcode = None, app_key = None, app_secret = None, by_price = false,
    fresh = false, resend_unresolved = false, concurrency = 8, rate = 20.0, output = None,
    format = "csv", unmasked = false, id_column = None, name_column = None,
    mobile_column = None, photo_column = None, delimiter = None, fit_photos = false,
    progress = None, sheet = None
))]
#[allow(
    clippy::too_many_arguments,
    clippy::fn_params_excessive_bools,
    clippy::too_many_lines
)]
fn run_batch<'py>(
    py: Python<'py>,
    path: PathBuf,
    vendors: Option<&Bound<'py, PyAny>>,
    check: &str,
    prices: Option<&Bound<'py, PyDict>>,
    base_url: Option<String>,
    ledger: Option<String>,
    timeout: f64,
    appcode: Option<String>,
    app_key: Option<String>,
    app_secret: Option<String>,
    by_price: bool,
    fresh: bool,
    resend_unresolved: bool,
    concurrency: usize,
    rate: f64,
    output: Option<PathBuf>,
    format: &str,
    unmasked: bool,
    id_column: Option<String>,
    name_column: Option<String>,
    mobile_column: Option<String>,
    photo_column: Option<String>,
    delimiter: Option<String>,
    fit_photos: bool,
    progress: Option<Py<PyAny>>,
    sheet: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let check = check_of(check)?;
    let format = format_of(format)?;
    let settings = Settings::new(concurrency, rate).map_err(PyValueError::new_err)?;
    let delimiter = delimiter
        .map(|d| d.parse::<Delimiter>())
        .transpose()
        .map_err(PyValueError::new_err)?;
    let columns = ColumnNames {
        id: id_column,
        name: name_column,
        mobile: mobile_column,
        photo: photo_column,
        delimiter,
    };
    let sink = output.map_or(Sink::Returned, Sink::File);
    let vendors = vendors.map(vendor_list).transpose()?;
    let summary = PyDict::new(py);
    let parser = FaceImageParser::new().fit_oversized(fit_photos);

    // Phase 1, offline, with the GIL released.
    let file = py
        .detach(|| {
            let file = PeopleFile::open(&path, columns.delimiter)?;
            match sheet.as_deref().map(str::parse) {
                Some(Ok(choice)) => file.with_sheet(choice),
                Some(Err(never)) => match never {},
                None => Ok(file),
            }
        })
        .map_err(errors::setup_error)?;
    summary.set_item("encoding", file.encoding().name())?;
    summary.set_item("delimiter", file.delimiter().name())?;
    let Some(vendors) = vendors else {
        // A dry run: each row's line written as it is read.
        let (counts, lines) = py
            .detach(|| {
                let mut rows = file.rows(check, &columns, &parser)?;
                write_to(&sink, format, |format, out| {
                    idcheck_batch::dry_run(&mut rows, format, unmasked, out)
                })
            })
            .map_err(errors::setup_error)?;
        counts_into(&summary, counts)?;
        summary.set_item("dry_run", true)?;
        summary.set_item("lines", lines)?;
        return Ok(summary);
    };
    let plan = py
        .detach(|| {
            let mut rows = file.rows(check, &columns, &parser)?;
            let mut salt = [0u8; 32];
            getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
            Plan::build(&mut rows, &salt, unmasked)
        })
        .map_err(errors::setup_error)?;
    counts_into(&summary, plan.counts())?;
    summary.set_item("dry_run", false)?;

    // Everything that can be refused is refused before the first paid call.
    if let Sink::File(path) = &sink {
        std::fs::File::create(path).map_err(|e| {
            errors::setup_error(format!("cannot write the output {}: {e}", path.display()))
        })?;
    }
    let setup = Setup {
        vendors,
        prices: price_list(prices)?,
        base_url,
        ledger,
        timeout: duration_of("timeout", timeout)?,
        connect_timeout: Duration::from_secs(5),
        auth: auth_of(
            appcode.as_deref(),
            app_key.as_deref(),
            app_secret.as_deref(),
        )?,
        by_price,
        fresh,
        retry_unbilled: false,
        continue_after_billed_errors: false,
    };
    let (verifier, _) = setup.build(py)?;
    if let Some(vendor) = verifier
        .vendors()
        .iter()
        .find(|v| !v.capabilities().supports(check))
    {
        return Err(errors::setup_error(format!(
            "vendor {} does not perform {check} checks",
            vendor.id()
        )));
    }
    let ledger = Arc::clone(verifier.ledger());
    let router = verifier.into_router().with_policy(
        ClaimPolicy::default()
            .fresh(fresh)
            .resend_unresolved(resend_unresolved),
    );
    let stop = Arc::new(Stop::default());
    let observer = Arc::new(Progress {
        callback: progress,
        total: plan.distinct().len(),
        done: AtomicUsize::new(0),
        billed: AtomicU64::new(0),
        failed: Mutex::new(None),
        stop: Arc::clone(&stop),
    });

    // Phase 2: each distinct request once, on the runtime; this thread waits with the GIL
    // released and looks for Ctrl-C.
    let plan = Arc::new(plan);
    let mut task = {
        let plan = Arc::clone(&plan);
        let observer = Arc::clone(&observer) as Arc<dyn idcheck_batch::Observer>;
        let stop = Arc::clone(&stop);
        let ledger = Arc::clone(&ledger);
        runtime().spawn(async move {
            let outcome =
                idcheck_batch::run(plan.distinct(), router, settings, observer, stop).await;
            // The file alone then holds the ledger (SQLite folds its log in).
            let _ = ledger.close().await;
            outcome
        })
    };
    let mut interrupted: Option<PyErr> = None;
    let outcome = loop {
        let waited = py.detach(|| {
            runtime().block_on(async { tokio::time::timeout(SIGNAL_POLL, &mut task).await })
        });
        match waited {
            Ok(Ok(outcome)) => break outcome,
            Ok(Err(_)) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the batch task failed",
                ));
            }
            Err(_) => {
                if let Err(e) = py.check_signals() {
                    if interrupted.is_none() {
                        // First: start nothing more; the calls in flight end and are recorded.
                        stop.finish_in_flight();
                        interrupted = Some(e);
                    } else {
                        // Second: stop now; the calls in flight stay unresolved.
                        stop.now();
                    }
                }
            }
        }
    };

    let ((), lines) = py
        .detach(|| {
            write_to(&sink, format, |format, out| {
                plan.write(format, &outcome.answers, out)
            })
        })
        .map_err(errors::setup_error)?;
    summary.set_item("lines", lines)?;
    summary.set_item("routed", outcome.routed)?;
    summary.set_item("from_ledger", outcome.from_ledger)?;
    summary.set_item("unfinished", outcome.unfinished)?;
    summary.set_item("unresolved", outcome.unresolved)?;
    summary.set_item("stopped", outcome.stopped)?;
    summary.set_item("fatal", outcome.fatal.as_deref())?;
    summary.set_item("billed_calls", outcome.billed_calls)?;
    summary.set_item(
        "cost_yuan",
        outcome
            .cost
            .map(|c| crate::verifier::decimal_yuan(py, c.milli_yuan()))
            .transpose()?,
    )?;
    let failed = observer
        .failed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(e) = interrupted.or(failed) {
        // What was answered is written and recorded; then the interruption or the callback's
        // exception goes on.
        return Err(e);
    }
    Ok(summary)
}
