//! `idcheck batch`: verify a CSV of people without ever paying twice. The engine is the
//! `idcheck-batch` library; this module parses flags, builds the router and the ledger, prints
//! progress and summaries, and maps Ctrl-C to stopping the run.
//!
//! Phase 1 (always, offline) parses every row and rejects the invalid ones for free;
//! `--dry-run` stops there. Phase 2 sends each distinct valid request once through the
//! fallback router on the ledger of paid calls, with bounded concurrency and a rate limit:
//! every vendor call is claimed in the ledger before it is sent and recorded when it ends, so
//! re-running the command (or another file, or another process on the same ledger) reuses
//! answers instead of paying again, and a call left unresolved is never re-sent silently.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use idcheck::FaceImageParser;
use idcheck::ledger::{ClaimPolicy, KeySource, Ledger, LedgerKey};
use idcheck::provider::{Check, Price, Provider};
use idcheck::router::Fallback;
use idcheck_batch::{
    Answer, ColumnNames, Counts, Delimiter, Outcome, OutputFile, PeopleFile, Plan, Rows,
    RunSummary, Settings, SheetChoice, Stop, TextEncoding,
};

use crate::verify_command::{self, Credentials};

/// Output format.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Csv,
    Jsonl,
}

impl From<Format> for idcheck_batch::Format {
    fn from(format: Format) -> Self {
        match format {
            Format::Csv => Self::Csv,
            Format::Jsonl => Self::Jsonl,
        }
    }
}

/// What `idcheck batch` was asked.
// Command-line switches, one bool each.
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Args {
    pub(crate) file: PathBuf,
    pub(crate) check: Check,
    pub(crate) providers: Vec<String>,
    pub(crate) by_price: bool,
    pub(crate) unit_price: Option<Price>,
    pub(crate) prices: Vec<(String, Price)>,
    pub(crate) dry_run: bool,
    pub(crate) output: Option<PathBuf>,
    pub(crate) format: Format,
    pub(crate) unmasked: bool,
    pub(crate) ledger: Option<String>,
    pub(crate) fresh: bool,
    pub(crate) concurrency: usize,
    pub(crate) rate: f64,
    pub(crate) qps: Option<u32>,
    pub(crate) columns: ColumnNames,
    pub(crate) credentials: Credentials,
    pub(crate) resend_unresolved: bool,
    pub(crate) progress_every: usize,
    pub(crate) fit_photos: bool,
    pub(crate) sheet: Option<SheetChoice>,
}

const EXIT_DONE: u8 = 0;
const EXIT_UNFINISHED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INTERRUPTED: u8 = 130;

pub(crate) fn run(args: &Args) -> ExitCode {
    match run_checked(args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            stderr_line!("idcheck batch: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_checked(args: &Args) -> Result<u8, String> {
    let settings = Settings::new(args.concurrency, args.rate)?;
    if xlsx_output(args) && args.format == Format::Jsonl {
        return Err("an .xlsx output holds the CSV columns: leave out --format jsonl".to_owned());
    }
    refuse_other_spreadsheet_output(args)?;
    let mut rows = read_people(args)?;
    // The output is prepared (and refused: the input itself, a file in use) before anything
    // is read or sent; it replaces the file only at the end.
    let mut output = args
        .output
        .as_deref()
        .map(|path| OutputFile::create(path, Some(&args.file)))
        .transpose()
        .map_err(|e| e.to_string())?;
    if args.dry_run {
        return dry_run(args, rows, output);
    }
    // Keys the distinct requests within this run only; the ledger's keys are HMACs.
    let mut salt = [0; 32];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let plan = Plan::build(&mut rows, &salt, args.unmasked)?;
    drop(rows);
    summarise_phase1(plan.counts(), args.unit_price);
    if xlsx_output(args) && plan.counts().rows > idcheck_batch::XLSX_MAX_ROWS {
        // Known before anything is paid for.
        return Err(format!(
            "an .xlsx sheet holds {} rows below its header and the file has {}: nothing was sent; write the results as CSV",
            idcheck_batch::XLSX_MAX_ROWS,
            plan.counts().rows
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (ledger, router) = ledger_and_router(args, &runtime)?;
    if ledger.location() == "memory" {
        stderr_line!(
            "idcheck batch: warning: --ledger memory forgets every answer at exit: running again pays again"
        );
    }
    let router = router.with_ledger(Arc::clone(&ledger)).with_policy(
        ClaimPolicy::default()
            .fresh(args.fresh)
            .resend_unresolved(args.resend_unresolved),
    );
    let progress = Arc::new(Progress::new(plan.distinct().len(), args.progress_every));
    let stop = Arc::new(Stop::default());
    let outcome = runtime.block_on(async {
        // First Ctrl-C or SIGTERM: calls in flight finish and are recorded; nothing more
        // starts. Second: stop at once; the calls in flight stay claimed and turn unresolved.
        let on_signal = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                stop_signal().await;
                stderr_line!(
                    "idcheck batch: stopping after the calls in flight (Ctrl-C again to stop now)"
                );
                stop.finish_in_flight();
                stop_signal().await;
                stderr_line!(
                    "idcheck batch: stopping now; calls in flight stay unresolved in the ledger"
                );
                stop.now();
            })
        };
        let outcome = idcheck_batch::run(
            plan.distinct(),
            router,
            settings,
            Arc::clone(&progress) as Arc<dyn idcheck_batch::Observer>,
            Arc::clone(&stop),
        )
        .await;
        on_signal.abort();
        // The file alone then holds the ledger (SQLite folds its log in).
        let _ = ledger.close().await;
        outcome
    });
    progress.finish();
    let summary = RunSummary::paid(outcome.billed_calls, outcome.cost, args.unit_price);
    write_output(args, &plan, &outcome.answers, output.take(), &summary)?;
    summarise_phase2(&outcome);
    if let Some(fatal) = &outcome.fatal {
        stderr_line!("idcheck batch: {fatal}");
    }
    Ok(if outcome.fatal.is_some() {
        // The ledger failed, or the credentials were refused: fix that first.
        EXIT_USAGE
    } else if outcome.stopped {
        EXIT_INTERRUPTED
    } else if outcome.unfinished > 0 {
        EXIT_UNFINISHED
    } else {
        EXIT_DONE
    })
}

/// The rows of `args.file` (its sheet, for a workbook), saying how it is read when that is
/// not plain UTF-8 CSV, and what Excel did to its ID column.
fn read_people(args: &Args) -> Result<Rows<std::fs::File>, String> {
    // The whole file is checked to be in one encoding before a row is read; then the rows
    // are streamed.
    let mut file = PeopleFile::open(&args.file, args.columns.delimiter)?;
    if let Some(sheet) = &args.sheet {
        file = file.with_sheet(sheet.clone())?;
    }
    let delimiter = file.delimiter();
    if file.encoding() != TextEncoding::Utf8 || delimiter != Delimiter::Comma {
        let mut line = format!(
            "idcheck batch: read {} as {}",
            args.file.display(),
            file.encoding()
        );
        if delimiter != Delimiter::Comma {
            let _ = write!(line, " with {delimiter} separators");
        }
        stderr_line!("{line}");
    }
    let mut rows = file.rows(
        args.check,
        &args.columns,
        &FaceImageParser::new().fit_oversized(args.fit_photos),
    )?;
    // A spinner only where it cannot mix with the rows' lines on the screen.
    let spinner =
        io::stderr().is_terminal() && (args.output.is_some() || !io::stdout().is_terminal());
    if args.check == Check::Face {
        rows.on_face_row(face_progress(args.progress_every, spinner));
    }
    if let Some((name, number, of)) = rows.sheet() {
        stderr_line!(
            "idcheck batch: reading sheet {name:?} ({number} of {of}) of {}",
            args.file.display()
        );
    }
    if rows.id_column_rounded() {
        stderr_line!(
            "idcheck batch: the ID column was rounded by Excel (its numbers end in 000 and fail their check): none of its rows is sent; format the column as Text and re-enter the numbers, or export from the source system"
        );
    }
    Ok(rows)
}

/// Phase 1's progress on a face check, where reading (and fitting) photos is most of its
/// time: a spinner on a terminal (`spinner`), cleared when phase 1 ends; plain lines every
/// `every` rows when standard error is not a terminal.
fn face_progress(every: usize, spinner: bool) -> impl FnMut(Counts) + Send + 'static {
    /// Clears its spinner when dropped (with the rows, at the end of phase 1).
    struct Spinner(indicatif::ProgressBar);
    impl Drop for Spinner {
        fn drop(&mut self) {
            self.0.finish_and_clear();
        }
    }
    let bar = spinner.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {pos} rows read, {msg} [{elapsed_precise}]",
        ) {
            bar.set_style(style);
        }
        Spinner(bar)
    });
    let lines = !io::stderr().is_terminal();
    let every = every.max(1) as u64;
    move |counts: Counts| match &bar {
        Some(Spinner(bar)) => {
            // The rows first: a frame drawn between the two never shows more photos than rows.
            bar.set_position(counts.rows);
            bar.set_message(format!(
                "{} photos read, {} rows rejected",
                counts.photos, counts.rejected
            ));
        }
        None if lines && counts.rows % every == 0 => stderr_line!(
            "idcheck batch: rows read {}, photos read {} ({} rows rejected)",
            counts.rows,
            counts.photos,
            counts.rejected
        ),
        None => {}
    }
}

/// Ctrl-C, or SIGTERM (what `timeout`, systemd and `kill` send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// An output named like a spreadsheet idcheck does not write (`.xls`, `.xlsm`, `.ods`) would
/// get CSV text under that name.
fn refuse_other_spreadsheet_output(args: &Args) -> Result<(), String> {
    match args
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .filter(|e| ["xls", "xlsm", "xlsb", "ods"].contains(&e.to_ascii_lowercase().as_str()))
    {
        Some(extension) => Err(format!(
            "idcheck writes results as .xlsx or as CSV, not as .{extension}: name the output .xlsx or .csv"
        )),
        None => Ok(()),
    }
}

/// Whether the results are written as an `.xlsx` workbook (`--output *.xlsx`).
fn xlsx_output(args: &Args) -> bool {
    args.output.as_deref().is_some_and(|path| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    })
}

/// Phase 1 alone, then its summary.
fn dry_run(
    args: &Args,
    mut rows: Rows<std::fs::File>,
    output: Option<OutputFile>,
) -> Result<u8, String> {
    // Each row's line is written as it is read: no keyed hash, nothing held but the exact
    // keys of the distinct requests.
    let counts = write_dry_run(args, &mut rows, output)?;
    let (rounded_further_down, from_sheet) = (
        rows.id_column_rounded_further_down(),
        rows.sheet().is_some(),
    );
    // Its progress spinner goes with it, before the summary is written.
    drop(rows);
    if rounded_further_down {
        stderr_line!(
            "idcheck batch: warning: the ID column was rounded by Excel further down the file (its numbers end in 000 and fail their check): a paid run would stop before sending anything"
        );
    }
    summarise_phase1(counts, args.unit_price);
    if from_sheet {
        stderr_line!("idcheck batch: {} rows read from the sheet", counts.rows);
    }
    stderr_line!("idcheck batch: dry run: nothing was sent");
    Ok(EXIT_DONE)
}

/// Phase 1 alone: every row's line written as it is read (to standard output, or to the
/// output file, which then holds the complete lines before a row that could not be read).
fn write_dry_run(
    args: &Args,
    rows: &mut Rows<std::fs::File>,
    output: Option<OutputFile>,
) -> Result<Counts, String> {
    let format = args.format.into();
    match output {
        None => idcheck_batch::dry_run(rows, format, args.unmasked, &mut io::stdout().lock()),
        Some(mut output) if xlsx_output(args) => {
            let mut csv = Vec::new();
            let counts = idcheck_batch::dry_run(rows, format, args.unmasked, &mut csv);
            idcheck_batch::csv_to_xlsx(
                &csv,
                &RunSummary::dry_run(args.unit_price),
                output.writer(),
            )?;
            output.commit().map_err(|e| e.to_string())?;
            counts
        }
        Some(mut output) => {
            let counts = idcheck_batch::dry_run(rows, format, args.unmasked, output.writer());
            output.commit().map_err(|e| e.to_string())?;
            counts
        }
    }
}

fn write_output(
    args: &Args,
    plan: &Plan,
    answers: &HashMap<String, Answer>,
    output: Option<OutputFile>,
    summary: &RunSummary,
) -> Result<(), String> {
    let format = args.format.into();
    match output {
        None => plan.write(format, answers, &mut io::stdout().lock()),
        Some(mut output) if xlsx_output(args) => {
            let mut csv = Vec::new();
            plan.write(format, answers, &mut csv)?;
            idcheck_batch::csv_to_xlsx(&csv, summary, output.writer())?;
            output.commit().map_err(|e| e.to_string())
        }
        Some(mut output) => {
            plan.write(format, answers, output.writer())?;
            output.commit().map_err(|e| e.to_string())
        }
    }
}

/// Environment variable: the lease of this process's claims, in seconds (default 15). A
/// process killed mid-call leaves its calls unresolved this long after.
pub(crate) const ENV_LEDGER_LEASE: &str = "IDCHECK_LEDGER_LEASE";

/// `--ledger`, `IDCHECK_LEDGER`, or the user's default file.
fn ledger_location(location: Option<&str>) -> Result<String, String> {
    Ok(match location {
        Some(location) => location.to_owned(),
        None => match std::env::var(idcheck::ledger::ENV_LEDGER) {
            Ok(location) if !location.trim().is_empty() => location,
            _ => idcheck::ledger::default_location()
                .ok_or("no data directory for the ledger: pass --ledger or set IDCHECK_LEDGER")?
                .display()
                .to_string(),
        },
    })
}

/// The ledger at `--ledger`, `IDCHECK_LEDGER`, or the user's default file (created on first
/// use), with the key from `IDCHECK_LEDGER_KEY` or the key file (created on first use, and
/// said so).
pub(crate) async fn open_ledger(location: Option<&str>) -> Result<Ledger, String> {
    let location = ledger_location(location)?;
    let (key, source) = LedgerKey::from_env_or_file().map_err(|e| e.to_string())?;
    if let KeySource::Created(path) = &source {
        stderr_line!(
            "idcheck: created the ledger key {} (mode 0600): keep it with the ledger; without it every entry is lost",
            path.display()
        );
    }
    let ledger = Ledger::open(&location, key)
        .await
        .map_err(|e| e.to_string())?;
    with_lease_from_env(ledger)
}

/// The ledger at `--ledger`, `IDCHECK_LEDGER` or the default file, only if it exists: neither
/// a ledger nor a key is created (commands that look into a ledger).
pub(crate) async fn open_existing_ledger(location: Option<&str>) -> Result<Ledger, String> {
    let location = ledger_location(location)?;
    let (key, missing_key) = match LedgerKey::from_env_or_existing_file() {
        Ok((key, _)) => (key, None),
        // Without a key no ledger can be read; but a ledger that is not there is the news.
        Err(e @ idcheck::ledger::KeyError::NoKey { .. }) => {
            (LedgerKey::random().map_err(|e| e.to_string())?, Some(e))
        }
        Err(e) => return Err(e.to_string()),
    };
    let opened = Ledger::open_existing(&location, key).await;
    match (opened, missing_key) {
        (Ok(ledger), None) => with_lease_from_env(ledger),
        (Err(e @ idcheck::ledger::LedgerError::Missing { .. }), _) | (Err(e), None) => {
            Err(e.to_string())
        }
        (_, Some(no_key)) => Err(no_key.to_string()),
    }
}

/// [`ENV_LEDGER_LEASE`] applied, when set: seconds, 0.1 to 86,400.
fn with_lease_from_env(ledger: Ledger) -> Result<Ledger, String> {
    let Ok(text) = std::env::var(ENV_LEDGER_LEASE) else {
        return Ok(ledger);
    };
    let seconds = text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.1..=86_400.0).contains(s))
        .ok_or_else(|| {
            format!("{ENV_LEDGER_LEASE} must be a number of seconds from 0.1 to 86400")
        })?;
    let lease = Duration::from_secs_f64(seconds);
    Ok(ledger.with_lease(lease).with_wait(lease + lease / 2))
}

fn summarise_phase1(counts: Counts, unit_price: Option<Price>) {
    let mut line = format!(
        "idcheck batch: {} rows: {} valid ({} distinct, {} duplicate rows answered once), {} rejected offline for free",
        counts.rows,
        counts.valid,
        counts.distinct,
        counts.duplicates(),
        counts.rejected
    );
    if let Some(price) = unit_price {
        let saved = Price::from_milli_yuan(
            price
                .milli_yuan()
                .saturating_mul(u32::try_from(counts.rejected).unwrap_or(u32::MAX)),
        );
        let _ = write!(line, " (saved {saved} at {price} a call)");
    }
    stderr_line!("{line}");
}

/// The ledger, then the router over the vendors on it (credentials checked first, before
/// the ledger is opened).
fn ledger_and_router(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
) -> Result<(Arc<Ledger>, Fallback), String> {
    let providers = providers(args)?;
    let ledger = Arc::new(
        runtime
            .block_on(open_ledger(args.ledger.as_deref()))?
            .with_max_call(args.credentials.max_call()),
    );
    let providers = match args.qps {
        // Slots may be far off in a long batch: it waits for them rather than skipping rows.
        Some(qps) => idcheck::router::with_shared_qps(
            providers,
            &ledger,
            qps,
            Duration::from_secs(24 * 3600),
        ),
        None => providers,
    };
    let router = if args.by_price {
        Fallback::by_price(providers)
    } else {
        Fallback::new(providers)
    };
    Ok((ledger, router))
}

/// The vendors asked, in order (credentials checked before anything is opened).
fn providers(args: &Args) -> Result<Vec<Arc<dyn Provider>>, String> {
    if args.providers.is_empty() {
        return Err("pass --provider (one or more, comma-separated), or --dry-run".to_owned());
    }
    let (client, base_url) = args.credentials.client(args.credentials.auth()?)?;
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    for id in &args.providers {
        let price = args
            .prices
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, price)| *price)
            .or(args.unit_price);
        let provider = verify_command::provider(id, &client, base_url.as_ref(), price)?;
        if !provider.capabilities().supports(args.check) {
            return Err(format!(
                "provider {id} does not perform {} checks (--check)",
                args.check
            ));
        }
        providers.push(provider);
    }
    Ok(providers)
}

/// A bar on a terminal; plain lines every `every` answers otherwise.
#[derive(Clone)]
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    every: usize,
    done: Arc<AtomicUsize>,
    billed: Arc<AtomicUsize>,
}

impl Progress {
    fn new(total: usize, every: usize) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} answered, {msg} [{elapsed_precise}, eta {eta}]",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            total,
            every: every.max(1),
            done: Arc::default(),
            billed: Arc::default(),
        }
    }

    fn tick(&self, billed_calls: u32) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let billed = self
            .billed
            .fetch_add(billed_calls as usize, Ordering::SeqCst)
            + billed_calls as usize;
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{billed} billed"));
                bar.inc(1);
            }
            None if done % self.every == 0 || done == self.total => {
                stderr_line!(
                    "idcheck batch: answered {done}/{}, billed calls {billed}",
                    self.total
                );
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl idcheck_batch::Observer for Progress {
    fn answered(&self, answer: &Answer) {
        self.tick(answer.billed_calls);
    }
}

fn summarise_phase2(outcome: &Outcome) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for answer in outcome.answers.values() {
        *counts.entry(answer.status.as_str()).or_default() += 1;
    }
    let count = |s| counts.get(s).copied().unwrap_or(0);
    let mut line = format!(
        "idcheck batch: routed {} this run ({} answered from the ledger); match {}, mismatch {}, unverifiable {}, error {}, unresolved {}, in flight elsewhere {}; billed calls this run {}",
        outcome.routed,
        outcome.from_ledger,
        count("match"),
        count("mismatch"),
        count("unverifiable"),
        count("error"),
        count("unresolved"),
        count("in_flight_elsewhere"),
        outcome.billed_calls,
    );
    if let Some(cost) = outcome.cost {
        let _ = write!(line, ", cost {cost}");
    }
    stderr_line!("{line}");
    if outcome.unresolved > 0 {
        stderr_line!(
            "idcheck batch: {} requests have a call that may have been billed without an answer: `idcheck ledger unresolved` lists them; --resend-unresolved sends them again to the same vendor, or `idcheck ledger resolve`",
            outcome.unresolved
        );
    }
    if outcome.stopped {
        stderr_line!(
            "idcheck batch: stopped; every answer so far is in the ledger: run the same command again to continue"
        );
    } else if outcome.unfinished > 0 {
        stderr_line!(
            "idcheck batch: {} requests have no verdict: unbilled errors are sent again on the next run; billed errors are not (--fresh to pay again)",
            outcome.unfinished
        );
    }
}
