//! Phase 2: each distinct valid request routed once through the fallback router on the
//! ledger, with bounded concurrency and a rate limit, stoppable softly (calls in flight finish
//! and are recorded) or at once (calls in flight stay unresolved).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use idcheck_ledger::scrub;
use idcheck_router::{Fallback, Routed};
use provider_trait::{Error, NotSent, Price, Request, Verdict};

/// One distinct request's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// The request's key within this run (a salted hash).
    pub key: String,
    /// `match`, `mismatch`, `unverifiable`, `error`, `unresolved` or `in_flight_elsewhere`.
    pub status: String,
    /// The provider that answered (or failed last).
    pub provider: Option<String>,
    /// The face outcome, for face checks.
    pub face: Option<String>,
    /// The vendor's code.
    pub raw_code: Option<String>,
    /// The vendor's request id.
    pub vendor_request_id: Option<String>,
    /// The gateway's request id.
    pub gateway_request_id: Option<String>,
    /// Calls billed for this request in this run.
    pub billed_calls: u32,
    /// Calls that may have been billed in this run.
    pub maybe_billed_calls: u32,
    /// What the billed calls cost, when priced.
    pub cost_milli_yuan: Option<u32>,
    /// Answered from the ledger: nothing paid in this run.
    pub from_ledger: bool,
    /// The unverifiable reason, the error, notes: scrubbed of personal data.
    pub detail: String,
}

/// How fast phase 2 goes.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    concurrency: usize,
    interval: Duration,
}

impl Settings {
    /// `concurrency` calls in flight at once (at least 1) and at most `rate` calls started a
    /// second (0 for no limit, else 0.01 to 100,000).
    ///
    /// # Errors
    ///
    /// A concurrency of 0, or a rate that is negative, not finite, or out of range, with a
    /// message saying what is accepted.
    pub fn new(concurrency: usize, rate: f64) -> Result<Self, String> {
        if concurrency == 0 {
            return Err("concurrency must be at least 1".to_owned());
        }
        let interval = if rate == 0.0 {
            Duration::ZERO
        } else if (0.01..=100_000.0).contains(&rate) {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            return Err("rate: give 0 for no limit, or 0.01 to 100000 calls per second".to_owned());
        };
        Ok(Self {
            concurrency,
            interval,
        })
    }
}

/// Told of each answer as it comes (a progress bar, a log line).
pub trait Observer: Send + Sync {
    /// One distinct request has its outcome (recorded in the ledger already).
    fn answered(&self, answer: &Answer);
}

impl<F: Fn(&Answer) + Send + Sync> Observer for F {
    fn answered(&self, answer: &Answer) {
        self(answer);
    }
}

/// Stops a run: [`Stop::finish_in_flight`] starts nothing more and lets the calls in flight
/// end and be recorded; [`Stop::now`] drops them (they stay claimed and turn unresolved).
#[derive(Debug, Default)]
pub struct Stop {
    soft: AtomicBool,
    hard: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stop {
    /// Start nothing more; let the calls in flight finish.
    pub fn finish_in_flight(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Stop at once.
    pub fn now(&self) {
        self.soft.store(true, Ordering::SeqCst);
        self.hard.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether a stop was asked.
    #[must_use]
    pub fn is_stopping(&self) -> bool {
        self.soft.load(Ordering::SeqCst)
    }

    async fn stopped(&self, hard: bool) {
        loop {
            let notified = self.notify.notified();
            let flag = if hard { &self.hard } else { &self.soft };
            if flag.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// What phase 2 did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// Each routed request's answer, by key.
    pub answers: HashMap<String, Answer>,
    /// Requests answered from the ledger (nothing paid).
    pub from_ledger: usize,
    /// Requests routed to a vendor in this run.
    pub routed: usize,
    /// Distinct requests without a verdict (not routed, errors, unresolved).
    pub unfinished: usize,
    /// Requests with a call that may have been billed and has no answer.
    pub unresolved: usize,
    /// The run was stopped before the end.
    pub stopped: bool,
    /// Why the run stopped by itself (the ledger failed, the credentials were refused).
    pub fatal: Option<String>,
    /// Calls billed in this run.
    pub billed_calls: u32,
    /// Their cost, when every billed call was priced.
    pub cost: Option<Price>,
}

/// The distinct requests a run sends, each with its key within the run: a slice of them
/// ([`crate::Phase1::distinct`]), or a [`crate::Plan`]'s ([`crate::Plan::distinct`]), whose
/// face photos wait in a spill file until they are sent.
pub trait DistinctRequests: Sync {
    /// How many there are.
    #[must_use]
    fn len(&self) -> usize;

    /// Whether there are none.
    #[must_use]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key within the run of the request at `index` (below [`DistinctRequests::len`]).
    #[must_use]
    fn key(&self, index: usize) -> &str;

    /// The request at `index`, built on each call.
    ///
    /// # Errors
    ///
    /// Its photo could not be read back, with the reason (never the photo).
    fn request(&self, index: usize) -> Result<Request, String>;
}

impl DistinctRequests for [(Request, String)] {
    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn key(&self, index: usize) -> &str {
        &self[index].1
    }

    fn request(&self, index: usize) -> Result<Request, String> {
        Ok(self[index].0.clone())
    }
}

impl DistinctRequests for Vec<(Request, String)> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn key(&self, index: usize) -> &str {
        self.as_slice().key(index)
    }

    fn request(&self, index: usize) -> Result<Request, String> {
        self.as_slice().request(index)
    }
}

/// Routes each of the `distinct` requests (with its key within the run, as
/// [`crate::Plan::distinct`] and [`crate::Phase1::distinct`] hold them) once through `router`,
/// which records every call in its ledger. A ledger failure or refused credentials stop the
/// run by themselves. A request whose photo cannot be read back is not sent: its answer is an
/// `error`, sent again on the next run.
pub async fn run<D: DistinctRequests + ?Sized>(
    distinct: &D,
    router: Fallback,
    settings: Settings,
    observer: Arc<dyn Observer>,
    stop: Arc<Stop>,
) -> Outcome {
    let shared = Arc::new(Shared {
        fatal: Mutex::new(None),
        in_flight: Mutex::new(std::collections::HashSet::new()),
        router,
        limit: RateLimit {
            interval: settings.interval,
            next: tokio::sync::Mutex::new(Instant::now()),
        },
        observer,
        stop: Arc::clone(&stop),
    });
    let permits = Arc::new(tokio::sync::Semaphore::new(settings.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let mut collected = Vec::new();
    // Requests whose photo could not be read back: never routed.
    let mut unread = 0;
    for index in 0..distinct.len() {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit,
            () = stop.stopped(false) => break,
        };
        if stop.is_stopping() {
            break;
        }
        let Ok(permit) = permit else { break };
        let key = distinct.key(index).to_owned();
        // Read here, not in the task: a spilled photo is about 100 KB from a local file.
        let request = match distinct.request(index) {
            Ok(request) => request,
            Err(why) => {
                unread += 1;
                let answer = unanswered(key, "error", 0, format!("not sent: {why}"));
                shared.observer.answered(&answer);
                collected.push(answer);
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tasks.spawn(async move {
            let _permit = permit;
            call_one(request, key, &shared).await
        });
    }
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok(Some(answer))) => collected.push(answer),
                Some(_) => {}
                None => break,
            },
            () = stop.stopped(true) => {
                tasks.abort_all();
                break;
            }
        }
    }
    // Stopped at once: the calls that were in flight may have been billed.
    for key in shared
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain()
    {
        collected.push(unanswered(
            key,
            "unresolved",
            1,
            "in flight when the run was stopped at once: it may have been billed; the ledger holds it as unresolved".to_owned(),
        ));
    }
    let fatal = shared
        .fatal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let stopped = stop.is_stopping() && fatal.is_none();
    summed(collected, unread, distinct, fatal, stopped)
}

/// The run's outcome from its answers; `unread` of them are requests never sent.
fn summed<D: DistinctRequests + ?Sized>(
    collected: Vec<Answer>,
    unread: usize,
    distinct: &D,
    fatal: Option<String>,
    stopped: bool,
) -> Outcome {
    let from_ledger = collected.iter().filter(|a| a.from_ledger).count();
    let sent_to_vendors = collected.len() - from_ledger - unread;
    let (billed_calls, cost) = tally(&collected);
    let answers: HashMap<String, Answer> = collected
        .into_iter()
        .map(|answer| (answer.key.clone(), answer))
        .collect();
    let unfinished = (0..distinct.len())
        .filter(|&index| {
            answers
                .get(distinct.key(index))
                .is_none_or(|a| !is_final(a))
        })
        .count();
    let unresolved = answers
        .values()
        .filter(|a| a.status == "unresolved" || a.maybe_billed_calls > 0)
        .count();
    Outcome {
        answers,
        from_ledger,
        routed: sent_to_vendors,
        unfinished,
        unresolved,
        stopped,
        fatal,
        billed_calls,
        cost: cost.filter(|_| billed_calls > 0),
    }
}

/// What every call task shares.
struct Shared {
    fatal: Mutex<Option<String>>,
    /// Requests being routed: what a stop at once leaves unresolved.
    in_flight: Mutex<std::collections::HashSet<String>>,
    router: Fallback,
    limit: RateLimit,
    observer: Arc<dyn Observer>,
    stop: Arc<Stop>,
}

impl Shared {
    /// Stops the run: nothing more is started.
    fn halt(&self, why: String) {
        self.fatal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(why);
        self.stop.finish_in_flight();
    }
}

/// One distinct request: wait for the rate limit, route it (the ledger claims and records
/// each vendor call), tell the observer. A ledger failure or refused credentials stop the run.
async fn call_one(request: Request, key: String, shared: &Shared) -> Option<Answer> {
    shared.limit.wait().await;
    if shared.stop.is_stopping() {
        return None;
    }
    shared
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.clone());
    let mut outcome = shared.router.route(&request).await;
    if matches!(
        outcome.result,
        Err(Error::NotSent {
            reason: NotSent::LeaseLapsed { .. },
            ..
        })
    ) {
        // This process stalled past its claim's lease before sending (nothing was sent):
        // ask again — another holder may have answered it meanwhile.
        outcome = shared.router.route(&request).await;
    }
    shared
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&key);
    if let Some(why) = &outcome.route.unrecorded {
        // The answer stands (it was paid for); nothing more is sent while the ledger fails.
        shared.halt(format!(
            "stopped: the ledger could not record a call that was made ({}); nothing more was sent",
            scrub(why, request.name().as_str())
        ));
    }
    match &outcome.result {
        Err(Error::NotSent {
            reason: NotSent::Ledger { detail },
            ..
        }) => shared.halt(format!(
            "stopped: the ledger failed ({detail}); nothing more was sent"
        )),
        Err(error @ Error::Unauthenticated { .. }) => shared.halt(format!(
            "stopped: the gateway refused the credentials ({}); check IDCHECK_APPCODE or --appcode-file",
            scrub(&error.to_string(), request.name().as_str())
        )),
        Err(error @ Error::QuotaExhausted { .. }) => shared.halt(format!(
            "stopped: {}; buy more calls, then run again",
            scrub(&error.to_string(), request.name().as_str())
        )),
        _ => {}
    }
    let answer = to_answer(key, &outcome, request.name().as_str());
    shared.observer.answered(&answer);
    Some(answer)
}

/// An answer without a vendor's: nothing billed for sure, `maybe_billed_calls` perhaps.
fn unanswered(key: String, status: &str, maybe_billed_calls: u32, detail: String) -> Answer {
    Answer {
        key,
        status: status.to_owned(),
        provider: None,
        face: None,
        raw_code: None,
        vendor_request_id: None,
        gateway_request_id: None,
        billed_calls: 0,
        maybe_billed_calls,
        cost_milli_yuan: None,
        from_ledger: false,
        detail,
    }
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

/// No more than one call started per `interval`, shared by every task.
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

/// A verdict: nothing left to do for this request.
pub(crate) fn is_final(answer: &Answer) -> bool {
    matches!(
        answer.status.as_str(),
        "match" | "mismatch" | "unverifiable"
    )
}

fn to_answer(key: String, routed: &Routed, name: &str) -> Answer {
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
            answer.detail = scrub(&notes.collect::<Vec<_>>().join("; "), name);
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
                // Sent, but the ledger could not record how it ended: not final.
                Error::NotSent {
                    reason: NotSent::Ledger { .. },
                    ..
                } if route.maybe_billed_calls > 0 || route.billed_calls > 0 => "unresolved",
                _ if route.maybe_billed_calls > 0 => "unresolved",
                _ => "error",
            };
            status.clone_into(&mut answer.status);
            answer.provider = route.tried.last().map(|s| s.provider.to_owned());
            answer.gateway_request_id = error.request_id().map(str::to_owned);
            // Vendor and gateway text may echo the inputs.
            answer.detail = scrub(&error.to_string(), name);
        }
    }
    answer
}
