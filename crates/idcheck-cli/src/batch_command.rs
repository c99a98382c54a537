//! `idcheck batch`: verify a CSV of people without ever paying twice.
//!
//! Phase 1 (always, offline) parses every row and rejects the invalid ones for free;
//! `--dry-run` stops there. Phase 2 sends each distinct valid request once through the
//! fallback router on the ledger of paid calls, with bounded concurrency and a rate limit:
//! every vendor call is claimed in the ledger before it is sent and recorded when it ends, so
//! re-running the command (or another file, or another process on the same ledger) reuses
//! answers instead of paying again, and a call left unresolved is never re-sent silently.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use idcheck::FaceImageParser;
use idcheck::ledger::{ClaimPolicy, KeySource, Ledger, LedgerKey};
use idcheck::provider::{Check, Error, NotSent, Price, Provider, Request, Verdict};
use idcheck::router::{Fallback, Routed};
use serde::Serialize;

use crate::batch_input::{ColumnNames, Phase1, Row, phase1, read_utf8};
use crate::verify_command::{self, Credentials};

/// One distinct request's outcome, for the output.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) key: String,
    /// `match`, `mismatch`, `unverifiable`, `error`, `unresolved` or `in_flight_elsewhere`.
    pub(crate) status: String,
    pub(crate) provider: Option<String>,
    pub(crate) face: Option<String>,
    pub(crate) raw_code: Option<String>,
    pub(crate) vendor_request_id: Option<String>,
    pub(crate) gateway_request_id: Option<String>,
    pub(crate) billed_calls: u32,
    pub(crate) maybe_billed_calls: u32,
    pub(crate) cost_milli_yuan: Option<u32>,
    pub(crate) from_ledger: bool,
    /// The unverifiable reason, the error, notes: never personal data.
    pub(crate) detail: String,
}

/// Output format.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Csv,
    Jsonl,
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
    pub(crate) columns: ColumnNames,
    pub(crate) credentials: Credentials,
    pub(crate) resend_unresolved: bool,
    pub(crate) progress_every: usize,
}

const EXIT_DONE: u8 = 0;
const EXIT_UNFINISHED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INTERRUPTED: u8 = 130;

pub(crate) fn run(args: &Args) -> ExitCode {
    match run_checked(args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("idcheck batch: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_checked(args: &Args) -> Result<u8, String> {
    let text = read_utf8(&args.file)?;
    let base_dir = args.file.parent().unwrap_or(Path::new("."));
    // Groups identical rows within this run only; the ledger's keys are HMACs.
    let mut salt = [0; 32];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let phase = phase1(
        &text,
        args.check,
        &args.columns,
        &FaceImageParser::new(),
        base_dir,
        &salt,
    )?;
    summarise_phase1(&phase, args.unit_price);
    if args.dry_run {
        eprintln!("idcheck batch: dry run: nothing was sent");
        write_output(args, &phase, &HashMap::new(), true)?;
        return Ok(EXIT_DONE);
    }
    // Everything that can be refused is refused before the first paid call.
    if let Some(path) = &args.output {
        std::fs::File::create(path)
            .map_err(|e| format!("cannot write the output {}: {e}", path.display()))?;
    }
    let router = router(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let ledger = runtime.block_on(open_ledger(args.ledger.as_deref()))?;
    let router = router.with_ledger(Arc::new(ledger)).with_policy(
        ClaimPolicy::default()
            .fresh(args.fresh)
            .resend_unresolved(args.resend_unresolved),
    );
    let outcome = phase2(args, &phase, router, &runtime);
    write_output(args, &phase, &outcome.answers, false)?;
    summarise_phase2(&outcome);
    if let Some(fatal) = &outcome.fatal {
        eprintln!("idcheck batch: {fatal}");
    }
    Ok(if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.unfinished > 0 || outcome.fatal.is_some() {
        EXIT_UNFINISHED
    } else {
        EXIT_DONE
    })
}

/// Environment variable: the lease of this process's claims, in seconds (default 15). A
/// process killed mid-call leaves its calls unresolved this long after.
pub(crate) const ENV_LEDGER_LEASE: &str = "IDCHECK_LEDGER_LEASE";

/// The ledger at `--ledger`, `IDCHECK_LEDGER`, or the user's default file, with the key from
/// `IDCHECK_LEDGER_KEY` or the key file (created on first use, and said so).
pub(crate) async fn open_ledger(location: Option<&str>) -> Result<Ledger, String> {
    let location = match location {
        Some(location) => location.to_owned(),
        None => match std::env::var(idcheck::ledger::ENV_LEDGER) {
            Ok(location) if !location.trim().is_empty() => location,
            _ => idcheck::ledger::default_location()
                .ok_or("no data directory for the ledger: pass --ledger or set IDCHECK_LEDGER")?
                .display()
                .to_string(),
        },
    };
    let (key, source) = LedgerKey::from_env_or_file().map_err(|e| e.to_string())?;
    if let KeySource::Created(path) = &source {
        eprintln!(
            "idcheck: created the ledger key {} (mode 0600): keep it with the ledger; without it every entry is lost",
            path.display()
        );
    }
    let mut ledger = Ledger::open(&location, key)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(lease) = std::env::var(ENV_LEDGER_LEASE)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
    {
        let lease = Duration::from_secs_f64(lease);
        ledger = ledger.with_lease(lease).with_wait(lease + lease / 2);
    }
    Ok(ledger)
}

fn summarise_phase1(phase: &Phase1, unit_price: Option<Price>) {
    let rows = phase.rows.len();
    let rejected = phase.rejected();
    let duplicates = phase.valid() - phase.distinct.len();
    let mut line = format!(
        "idcheck batch: {rows} rows: {} valid ({} distinct, {duplicates} duplicate rows answered once), {rejected} rejected offline for free",
        phase.valid(),
        phase.distinct.len()
    );
    if let Some(price) = unit_price {
        let saved = Price::from_milli_yuan(
            price
                .milli_yuan()
                .saturating_mul(u32::try_from(rejected).unwrap_or(u32::MAX)),
        );
        let _ = write!(line, " (saved {saved} at {price} a call)");
    }
    eprintln!("{line}");
}

fn router(args: &Args) -> Result<Fallback, String> {
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
    Ok(if args.by_price {
        Fallback::by_price(providers)
    } else {
        Fallback::new(providers)
    })
}

struct Phase2 {
    answers: HashMap<String, Answer>,
    already: usize,
    sent: usize,
    unfinished: usize,
    unresolved: usize,
    interrupted: bool,
    fatal: Option<String>,
    billed_calls: u32,
    cost: Option<Price>,
}

/// What every call task shares.
struct Shared {
    fatal: Mutex<Option<String>>,
    router: Fallback,
    limit: RateLimit,
    progress: Progress,
    stop: AtomicBool,
}

impl Shared {
    /// Stops the run: nothing more is started.
    fn halt(&self, why: String) {
        self.stop.store(true, Ordering::SeqCst);
        self.fatal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(why);
    }
}

/// One distinct request: wait for the rate limit, route it (the ledger claims and records
/// each vendor call), report progress. A ledger failure or refused credentials stop the run.
async fn call_one(request: Request, key: String, shared: &Shared) -> Option<Answer> {
    shared.limit.wait().await;
    if shared.stop.load(Ordering::SeqCst) {
        return None;
    }
    let outcome = shared.router.route(&request).await;
    match &outcome.result {
        Err(Error::NotSent {
            reason: NotSent::Ledger { detail },
            ..
        }) => shared.halt(format!(
            "stopped: the ledger failed ({detail}); nothing more was sent"
        )),
        Err(error @ Error::Unauthenticated { .. }) => shared.halt(format!(
            "stopped: the gateway refused the credentials ({error}); check IDCHECK_APPCODE or --appcode-file"
        )),
        _ => {}
    }
    let answer = to_answer(key, &outcome);
    shared.progress.answered(answer.billed_calls);
    Some(answer)
}

/// Billed calls and, when every billed answer was priced, their cost.
fn tally(answers: &[Answer]) -> (u32, Option<Price>) {
    let mut billed_calls = 0;
    let mut cost = Some(Price::from_milli_yuan(0));
    for answer in answers {
        billed_calls += answer.billed_calls;
        if answer.billed_calls > 0 {
            cost = cost
                .zip(answer.cost_milli_yuan)
                .map(|(sum, c)| sum.plus(Price::from_milli_yuan(c)));
        }
    }
    (billed_calls, cost)
}

/// One call at a time per permit, and no more than `rate` calls a second overall.
struct RateLimit {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl RateLimit {
    async fn wait(&self) {
        if self.interval.is_zero() {
            return;
        }
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = (*next).max(now);
        *next = at + self.interval;
        drop(next);
        tokio::time::sleep(at - now).await;
    }
}

fn phase2(
    args: &Args,
    phase: &Phase1,
    router: Fallback,
    runtime: &tokio::runtime::Runtime,
) -> Phase2 {
    let todo: Vec<(Request, String)> = phase.distinct.clone();
    let total = todo.len();
    let progress = Progress::new(total, args.progress_every);
    let shared = Arc::new(Shared {
        fatal: Mutex::new(None),
        router,
        limit: RateLimit {
            interval: if args.rate > 0.0 {
                Duration::from_secs_f64(1.0 / args.rate)
            } else {
                Duration::ZERO
            },
            next: tokio::sync::Mutex::new(Instant::now()),
        },
        progress: progress.clone(),
        stop: AtomicBool::new(false),
    });
    let stop = &shared.stop;
    let mut interrupted = false;
    let new_answers: Vec<Answer> = runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let mut ctrl_c_count = 0;
        for (request, key) in todo {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit,
                _ = tokio::signal::ctrl_c() => {
                    ctrl_c_count += 1;
                    interrupted = true;
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
            };
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(permit) = permit else { break };
            let shared = Arc::clone(&shared);
            tasks.spawn(async move {
                let _permit = permit;
                call_one(request, key, &shared).await
            });
        }
        let mut collected = Vec::new();
        loop {
            tokio::select! {
                joined = tasks.join_next() => match joined {
                    Some(Ok(Some(answer))) => collected.push(answer),
                    Some(_) => {}
                    None => break,
                },
                // First Ctrl-C: calls in flight finish and are recorded; nothing more starts.
                // Second: stop at once; the calls in flight stay claimed and turn unresolved.
                _ = tokio::signal::ctrl_c() => {
                    ctrl_c_count += 1;
                    interrupted = true;
                    stop.store(true, Ordering::SeqCst);
                    if ctrl_c_count >= 2 {
                        eprintln!("idcheck batch: stopping now; calls in flight stay unresolved in the ledger");
                        tasks.abort_all();
                        break;
                    }
                    eprintln!("idcheck batch: stopping after the calls in flight (Ctrl-C again to stop now)");
                }
            }
        }
        collected
    });
    progress.finish();
    let fatal = shared
        .fatal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let already = new_answers.iter().filter(|a| a.from_ledger).count();
    let sent = new_answers.len() - already;
    let (billed_calls, cost) = tally(&new_answers);
    let answers: HashMap<String, Answer> = new_answers
        .into_iter()
        .map(|answer| (answer.key.clone(), answer))
        .collect();
    let unfinished = phase
        .distinct
        .iter()
        .filter(|(_, key)| answers.get(key).is_none_or(|a| !is_final(a)))
        .count();
    let unresolved = answers
        .values()
        .filter(|a| a.status == "unresolved" || a.maybe_billed_calls > 0)
        .count();
    Phase2 {
        answers,
        already,
        sent,
        unfinished,
        unresolved,
        interrupted,
        fatal,
        billed_calls,
        cost: cost.filter(|_| billed_calls > 0),
    }
}

/// A verdict: nothing left to do for this request.
fn is_final(answer: &Answer) -> bool {
    matches!(
        answer.status.as_str(),
        "match" | "mismatch" | "unverifiable"
    )
}

fn to_answer(key: String, routed: &Routed) -> Answer {
    let route = &routed.route;
    let mut answer = Answer {
        key,
        status: String::new(),
        provider: None,
        face: None,
        raw_code: None,
        vendor_request_id: None,
        gateway_request_id: None,
        billed_calls: route.billed_calls,
        maybe_billed_calls: route.maybe_billed_calls,
        cost_milli_yuan: route.cost.map(Price::milli_yuan),
        from_ledger: route.cached && route.billed_calls == 0 && route.maybe_billed_calls == 0,
        detail: String::new(),
    };
    match &routed.result {
        Ok(report) => {
            let (status, reason) = match report.verdict {
                Verdict::Match => ("match", None),
                Verdict::Mismatch => ("mismatch", None),
                Verdict::Unverifiable(reason) => ("unverifiable", Some(reason.label().to_owned())),
                _ => ("unverifiable", None),
            };
            status.clone_into(&mut answer.status);
            answer.provider = Some(report.trace.provider.to_owned());
            answer.face = report.face.map(|f| format!("{f:?}"));
            answer.raw_code.clone_from(&report.trace.raw_code);
            answer
                .vendor_request_id
                .clone_from(&report.trace.vendor_request_id);
            answer
                .gateway_request_id
                .clone_from(&report.trace.gateway_request_id);
            let notes = reason.into_iter().chain(
                report
                    .trace
                    .notes
                    .iter()
                    .filter(|n| !n.starts_with("answered from the ledger"))
                    .cloned(),
            );
            answer.detail = notes.collect::<Vec<_>>().join("; ");
            if answer.from_ledger {
                if !answer.detail.is_empty() {
                    answer.detail.push_str("; ");
                }
                answer
                    .detail
                    .push_str("answered from the ledger (paid for earlier)");
            }
        }
        Err(error) => {
            let status = match error {
                Error::NotSent {
                    reason: NotSent::Unresolved { .. },
                    ..
                } => "unresolved",
                Error::NotSent {
                    reason: NotSent::InFlightElsewhere { .. },
                    ..
                } => "in_flight_elsewhere",
                _ if route.maybe_billed_calls > 0 => "unresolved",
                _ => "error",
            };
            status.clone_into(&mut answer.status);
            answer.provider = route.tried.last().map(|s| s.provider.to_owned());
            answer.gateway_request_id = error.request_id().map(str::to_owned);
            answer.detail = error.to_string();
        }
    }
    answer
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

    fn answered(&self, billed_calls: u32) {
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
                eprintln!(
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

fn summarise_phase2(outcome: &Phase2) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for answer in outcome.answers.values() {
        *counts.entry(answer.status.as_str()).or_default() += 1;
    }
    let count = |s| counts.get(s).copied().unwrap_or(0);
    let mut line = format!(
        "idcheck batch: routed {} this run ({} answered from the ledger); match {}, mismatch {}, unverifiable {}, error {}, unresolved {}, in flight elsewhere {}; billed calls this run {}",
        outcome.sent,
        outcome.already,
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
    eprintln!("{line}");
    if outcome.unresolved > 0 {
        eprintln!(
            "idcheck batch: {} requests have a call that may have been billed without an answer: `idcheck ledger unresolved` lists them; --resend-unresolved sends them again to the same vendor, or `idcheck ledger resolve`",
            outcome.unresolved
        );
    }
    if outcome.interrupted {
        eprintln!(
            "idcheck batch: stopped; every answer so far is in the ledger: run the same command again to continue"
        );
    } else if outcome.unfinished > 0 {
        eprintln!(
            "idcheck batch: {} requests have no verdict: unbilled errors are sent again on the next run; billed errors are not (--fresh to pay again)",
            outcome.unfinished
        );
    }
}

/// One output line.
#[derive(Serialize)]
struct OutputRow<'a> {
    row: usize,
    status: &'a str,
    provider: &'a str,
    face: &'a str,
    raw_code: &'a str,
    vendor_request_id: &'a str,
    gateway_request_id: &'a str,
    billed_calls: u32,
    same_as_row: String,
    detail: &'a str,
    id: String,
    name: String,
    mobile: String,
}

fn write_output(
    args: &Args,
    phase: &Phase1,
    answers: &HashMap<String, Answer>,
    dry_run: bool,
) -> Result<(), String> {
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let out = io::BufWriter::new(sink);
    let mut sink = match args.format {
        Format::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
        Format::Jsonl => Sink::Jsonl(out),
    };
    let mut first_row_of: HashMap<usize, usize> = HashMap::new();
    let write_error = |e: &dyn std::fmt::Display| format!("cannot write the output: {e}");
    for row in &phase.rows {
        let (status, answer, same_as) = match &row.parsed {
            Err(_) => ("rejected", None, None),
            Ok(parsed) => {
                let first = *first_row_of.entry(parsed.distinct).or_insert(row.number);
                let same_as = (first != row.number).then_some(first);
                if dry_run {
                    ("valid", None, same_as)
                } else {
                    let key = &phase.distinct[parsed.distinct].1;
                    match answers.get(key) {
                        Some(answer) => (answer.status.as_str(), Some(answer), same_as),
                        None => ("not_sent", None, same_as),
                    }
                }
            }
        };
        let detail = match (&row.parsed, answer) {
            (Err(reason), _) => reason.as_str(),
            (_, Some(answer)) => answer.detail.as_str(),
            _ if status == "not_sent" => {
                "not sent: the run stopped, or an unbilled error; run again"
            }
            _ => "",
        };
        let (id, name, mobile) = shown_inputs(row, args.unmasked);
        let line = OutputRow {
            row: row.number,
            status,
            provider: text(answer.and_then(|a| a.provider.as_ref())),
            face: text(answer.and_then(|a| a.face.as_ref())),
            raw_code: text(answer.and_then(|a| a.raw_code.as_ref())),
            vendor_request_id: text(answer.and_then(|a| a.vendor_request_id.as_ref())),
            gateway_request_id: text(answer.and_then(|a| a.gateway_request_id.as_ref())),
            // A duplicate row shares its first row's call; it does not add one.
            billed_calls: if same_as.is_some() {
                0
            } else {
                answer.map_or(0, |a| a.billed_calls)
            },
            same_as_row: same_as.map(|n| n.to_string()).unwrap_or_default(),
            detail,
            id,
            name,
            mobile,
        };
        match &mut sink {
            Sink::Csv(writer) => writer.serialize(&line).map_err(|e| write_error(&e))?,
            Sink::Jsonl(out) => {
                crate::each_input::write_json_line(out, &line).map_err(|e| write_error(&e))?;
            }
        }
    }
    match &mut sink {
        Sink::Csv(writer) => writer.flush(),
        Sink::Jsonl(out) => out.flush(),
    }
    .map_err(|e| write_error(&e))
}

/// Where output rows go, written as they are produced.
enum Sink {
    Csv(Box<csv::Writer<io::BufWriter<Box<dyn Write>>>>),
    Jsonl(io::BufWriter<Box<dyn Write>>),
}

fn text(value: Option<&String>) -> &str {
    value.map_or("", String::as_str)
}

/// The inputs as given (`--unmasked`), or masked; an invalid cell is not shown masked (there
/// is no safe mask for text that did not parse), only its length.
fn shown_inputs(row: &Row, unmasked: bool) -> (String, String, String) {
    if unmasked {
        return (
            row.raw.id.clone(),
            row.raw.name.clone(),
            row.raw.mobile.clone(),
        );
    }
    let Ok(parsed) = &row.parsed else {
        let hidden = |cell: &str| {
            if cell.is_empty() {
                String::new()
            } else {
                format!("({} characters)", cell.chars().count())
            }
        };
        return (
            hidden(&row.raw.id),
            hidden(&row.raw.name),
            hidden(&row.raw.mobile),
        );
    };
    let inputs = verify_command::Inputs::of(&parsed.request);
    (inputs.id, inputs.name, inputs.mobile.unwrap_or_default())
}
