//! `idcheck batch`: verify a CSV of people without ever paying twice.
//!
//! Phase 1 (always, offline) parses every row and rejects the invalid ones for free;
//! `--dry-run` stops there. Phase 2 sends each distinct valid request once through the
//! fallback router, with bounded concurrency and a rate limit, journaling every call and
//! answer as it happens so that re-running the same command resumes without repeating a call.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use idcheck::FaceImageParser;
use idcheck::provider::{Check, Price, Provider, Request, Verdict};
use idcheck::router::{Fallback, Routed};
use serde::Serialize;

use crate::batch_input::{ColumnNames, Phase1, Row, phase1, read_utf8};
use crate::batch_journal::{Answer, Journal};
use crate::verify_command::{self, Credentials};

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
    pub(crate) journal: Option<PathBuf>,
    pub(crate) concurrency: usize,
    pub(crate) rate: f64,
    pub(crate) columns: ColumnNames,
    pub(crate) credentials: Credentials,
    pub(crate) resend_interrupted: bool,
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
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".journal");
        PathBuf::from(name)
    });
    // The dry run writes nothing to disk but its output: a throwaway salt will do.
    let mut journal = if args.dry_run {
        None
    } else {
        Some(Journal::open(&journal_path)?)
    };
    let salt = journal.as_ref().map_or([0; 32], |j| j.salt);
    let phase = phase1(
        &text,
        args.check,
        &args.columns,
        &FaceImageParser::new(),
        base_dir,
        &salt,
    )?;
    summarise_phase1(&phase, args.unit_price);
    let Some(journal) = journal.take() else {
        eprintln!("idcheck batch: dry run: nothing was sent");
        write_output(args, &phase, &HashMap::new(), true)?;
        return Ok(EXIT_DONE);
    };
    let router = router(args)?;
    let outcome = phase2(args, &phase, journal, router)?;
    write_output(args, &phase, &outcome.answers, false)?;
    summarise_phase2(&outcome);
    Ok(if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.unfinished > 0 {
        EXIT_UNFINISHED
    } else {
        EXIT_DONE
    })
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
    interrupted: bool,
    billed_calls: u32,
    cost: Option<Price>,
}

/// What every call task shares.
struct Shared {
    journal: Mutex<Journal>,
    journal_error: Mutex<Option<String>>,
    router: Fallback,
    limit: RateLimit,
    progress: Progress,
    stop: AtomicBool,
}

/// One distinct request: wait for the rate limit, journal the send, route, journal the
/// answer (or the release of an unbilled failure), report progress.
async fn call_one(request: Request, key: String, shared: &Shared) -> Option<Answer> {
    shared.limit.wait().await;
    if shared.stop.load(Ordering::SeqCst) {
        return None;
    }
    let record = |result: io::Result<()>| {
        if let Err(e) = result {
            shared.stop.store(true, Ordering::SeqCst);
            *shared
                .journal_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) =
                Some(format!("cannot write the journal: {e}"));
            false
        } else {
            true
        }
    };
    let journal = || {
        shared
            .journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    };
    // Written and flushed before the call: a kill after this line leaves a request that may
    // have been billed, which a re-run will not repeat.
    if !record(journal().sent(&key)) {
        return None;
    }
    let outcome = shared.router.route(&request).await;
    let answer = to_answer(key, &outcome);
    let written = if is_final(&answer) {
        journal().answered(&answer)
    } else {
        journal().released(&answer.key)
    };
    if !record(written) {
        return None;
    }
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
    journal: Journal,
    router: Fallback,
) -> Result<Phase2, String> {
    let (mut answers, todo, already) = plan(phase, &journal, args.resend_interrupted);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let total = todo.len();
    let progress = Progress::new(total, args.progress_every);
    let shared = Arc::new(Shared {
        journal: Mutex::new(journal),
        journal_error: Mutex::new(None),
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
    let new_answers: Vec<Answer> = runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        for (request, key) in todo {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit,
                _ = &mut ctrl_c => {
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
                // Ctrl-C while in-flight calls finish: they are journaled as they end;
                // nothing more is started.
                _ = &mut ctrl_c, if !stop.load(Ordering::SeqCst) => {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
        collected
    });
    progress.finish();
    if let Some(error) = shared
        .journal_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(error);
    }
    let sent = new_answers.len();
    let (billed_calls, cost) = tally(&new_answers);
    for answer in new_answers {
        answers.insert(answer.key.clone(), answer);
    }
    let unfinished = phase
        .distinct
        .iter()
        .filter(|(_, key)| answers.get(key).is_none_or(|a| !is_final(a)))
        .count();
    Ok(Phase2 {
        answers,
        already,
        sent,
        unfinished,
        interrupted: shared.stop.load(Ordering::SeqCst),
        billed_calls,
        cost: cost.filter(|_| billed_calls > 0),
    })
}

/// What the journal already answered, what an earlier run left in flight (not resent unless
/// asked), and what is left to send.
fn plan(
    phase: &Phase1,
    journal: &Journal,
    resend_interrupted: bool,
) -> (HashMap<String, Answer>, Vec<(Request, String)>, usize) {
    let mut answers: HashMap<String, Answer> = HashMap::new();
    let mut todo: Vec<(Request, String)> = Vec::new();
    let mut already = 0;
    for (request, key) in &phase.distinct {
        if let Some(answer) = journal.answers.get(key) {
            answers.insert(key.clone(), answer.clone());
            already += 1;
        } else if journal.in_flight.contains(key) && !resend_interrupted {
            answers.insert(key.clone(), interrupted_answer(key));
        } else {
            todo.push((request.clone(), key.clone()));
        }
    }
    if already > 0 {
        eprintln!(
            "idcheck batch: {already} distinct requests already answered in the journal: not sent again"
        );
    }
    (answers, todo, already)
}

fn interrupted_answer(key: &str) -> Answer {
    Answer {
        key: key.to_owned(),
        status: "interrupted".to_owned(),
        provider: None,
        face: None,
        raw_code: None,
        vendor_request_id: None,
        gateway_request_id: None,
        billed_calls: 0,
        maybe_billed_calls: 1,
        cost_milli_yuan: None,
        tried: Vec::new(),
        detail: "sent by an earlier run that stopped before the answer came: it may have been billed; --resend-interrupted sends it again".to_owned(),
    }
}

/// An answer, or an error after which calling again could pay twice.
fn is_final(answer: &Answer) -> bool {
    answer.status != "error" && answer.status != "interrupted"
        || answer.billed_calls + answer.maybe_billed_calls > 0
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
        tried: route.tried.iter().map(|s| s.provider.to_owned()).collect(),
        detail: String::new(),
    };
    match &routed.result {
        Ok(report) => {
            let (status, reason) = match report.verdict {
                Verdict::Match => ("match", None),
                Verdict::Mismatch => ("mismatch", None),
                Verdict::Unverifiable(reason) => ("unverifiable", Some(format!("{reason:?}"))),
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
            let notes = reason.into_iter().chain(report.trace.notes.iter().cloned());
            answer.detail = notes.collect::<Vec<_>>().join("; ");
            if route.cached {
                answer.detail.push_str("; answered from the cache");
            }
        }
        Err(error) => {
            "error".clone_into(&mut answer.status);
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
        "idcheck batch: sent {} this run ({} answered earlier); match {}, mismatch {}, unverifiable {}, error {}, interrupted {}; billed calls this run {}",
        outcome.sent,
        outcome.already,
        count("match"),
        count("mismatch"),
        count("unverifiable"),
        count("error"),
        count("interrupted"),
        outcome.billed_calls,
    );
    if let Some(cost) = outcome.cost {
        let _ = write!(line, ", cost {cost}");
    }
    eprintln!("{line}");
    if outcome.interrupted {
        eprintln!(
            "idcheck batch: stopped; every answer so far is in the journal: run the same command again to continue"
        );
    } else if outcome.unfinished > 0 {
        eprintln!(
            "idcheck batch: {} requests have no answer (unbilled errors are retried, interrupted ones are not, on the next run)",
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
