//! One conformance suite, run on every backend: memory, SQLite (a temporary file) and
//! PostgreSQL (a schema of its own per test on `IDCHECK_TEST_POSTGRES`, default the local
//! server; these tests fail rather than skip when it is unreachable).

use std::sync::Arc;
use std::time::Duration;

use idcheck_core::{IdNumber, Name};
use idcheck_ledger::{Budget, CallState, Claim, ClaimPolicy, Ledger, LedgerError, LedgerKey};
use provider_trait::{
    Billing, Error, Report, Request, Target, Trace, TransportFailure, UnverifiableReason, Verdict,
};

const KEY: &str = "6b6579206f6620746865206c6564676572207465737473206f6e6c7920212121";

/// Where a test's ledger lives; a second [`Ledger`] on the same store stands for another
/// process.
struct Backend {
    location: String,
    shared: bool,
    _cleanup: Option<Cleanup>,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema(String),
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Self::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Self::Schema(schema) => {
                let url = postgres_url();
                let schema = schema.clone();
                // Dropping runs outside the test's runtime.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        use sqlx::Connection as _;
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                .execute(&mut conn)
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

fn postgres_url() -> String {
    std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn unique() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().fold(String::new(), |mut text, b| {
        use std::fmt::Write as _;
        let _ = write!(text, "{b:02x}");
        text
    })
}

impl Backend {
    fn memory() -> Self {
        Self {
            location: "memory".to_owned(),
            shared: false,
            _cleanup: None,
        }
    }

    fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("idcheck-ledger-test-{}", unique()));
        Self {
            location: dir.join("ledger.sqlite").display().to_string(),
            shared: true,
            _cleanup: Some(Cleanup::File(dir)),
        }
    }

    fn postgres() -> Self {
        let schema = format!("ledger_test_{}", unique());
        let url = postgres_url();
        let sep = if url.contains('?') { '&' } else { '?' };
        Self {
            location: format!("{url}{sep}schema={schema}"),
            shared: true,
            _cleanup: Some(Cleanup::Schema(schema)),
        }
    }

    async fn open(&self) -> Ledger {
        self.open_with(LedgerKey::from_hex(KEY).unwrap())
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.location))
    }

    async fn open_with(&self, key: LedgerKey) -> Result<Ledger, LedgerError> {
        Ledger::open(&self.location, key).await
    }
}

fn person(id: &str) -> Request {
    Request::identity(IdNumber::parse(id).unwrap(), Name::parse("张三").unwrap())
}

fn target() -> Target {
    Target::new("demo", "http://vendor.test", [7; 32])
}

#[allow(clippy::unnecessary_wraps)] // what `record` takes
fn answer(verdict: Verdict) -> Result<Report, Error> {
    let mut trace = Trace::new("demo", Billing::Billed);
    trace.raw_code = Some("01".to_owned());
    trace.raw_message = Some("11010519491231002X 张三 一致".to_owned());
    trace.gateway_request_id = Some("gw-1".to_owned());
    trace.vendor_request_id = Some("20240101000000000001".to_owned());
    Ok(Report::new(verdict, trace))
}

async fn send(ledger: &Ledger, request: &Request) -> idcheck_ledger::Call {
    match ledger
        .claim(request, &target(), &ClaimPolicy::default())
        .await
        .unwrap()
    {
        Claim::Send(call) => call,
        other => panic!("expected to send, got {other:?}"),
    }
}

const ID: &str = "11010519491231002X";
const OTHER_ID: &str = "110105198003150012";

async fn an_answer_is_reused_for_the_same_target_only(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    let Claim::Reused(reused) = claim else {
        panic!("expected reuse, got {claim:?}")
    };
    assert_eq!(reused.answer.verdict, Some(Verdict::Match));
    assert_eq!(reused.answer.raw_code.as_deref(), Some("01"));
    assert_eq!(
        reused.answer.vendor_request_id.as_deref(),
        Some("20240101000000000001")
    );
    // Vendor text is scrubbed before it is stored.
    assert_eq!(
        reused.answer.raw_message.as_deref(),
        Some("[number] [name] 一致")
    );
    let report = reused.answer.to_report("demo").unwrap();
    assert_eq!(report.trace.billing, Billing::NotBilled);
    // Another base URL, another account, another vendor: not the same target.
    for other in [
        Target::new("demo", "http://127.0.0.1:8801", [7; 32]),
        Target::new("demo", "http://vendor.test", [8; 32]),
        Target::new("other", "http://vendor.test", [7; 32]),
    ] {
        let claim = ledger
            .claim(&request, &other, &ClaimPolicy::default())
            .await
            .unwrap();
        assert!(matches!(claim, Claim::Send(_)), "{other:?}: {claim:?}");
    }
    // Another person: not reused either.
    let claim = ledger
        .claim(&person(OTHER_ID), &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
}

async fn fresh_and_max_age_bypass_reuse(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    let unverifiable = Verdict::Unverifiable(UnverifiableReason::NoRecord);
    ledger
        .record(call, &request, &answer(unverifiable), None)
        .await
        .unwrap();
    let fresh = ledger
        .claim(&request, &target(), &ClaimPolicy::default().fresh(true))
        .await
        .unwrap();
    let Claim::Send(call) = fresh else {
        panic!("fresh must send: {fresh:?}")
    };
    ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    // The newest answer is the one reused.
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(
        matches!(&claim, Claim::Reused(r) if r.answer.verdict == Some(Verdict::Match)),
        "{claim:?}"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let old = backend.open().await.with_max_age(Duration::from_millis(1));
    let claim = old
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
}

async fn unbilled_failures_release_and_unknown_ones_stay_unresolved(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    let throttled = Err(Error::Throttled {
        message: "Throttled by APP Flow Control".to_owned(),
        request_id: Some("gw-2".to_owned()),
    });
    ledger
        .record(call, &request, &throttled, None)
        .await
        .unwrap();
    // Released: sent again.
    let call = send(&ledger, &request).await;
    let timeout = Err(Error::Transport {
        failure: TransportFailure::Timeout,
        endpoint: None,
    });
    let id = call.id();
    ledger.record(call, &request, &timeout, None).await.unwrap();
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(
        matches!(claim, Claim::Unresolved(c) if c == id),
        "{claim:?}"
    );
    let listed = ledger.unresolved().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].vendor, "demo");
    // Re-sent only when asked: the old call stays, marked re-sent.
    let claim = ledger
        .claim(
            &request,
            &target(),
            &ClaimPolicy::default().resend_unresolved(true),
        )
        .await
        .unwrap();
    let Claim::Send(call) = claim else {
        panic!("{claim:?}")
    };
    assert_ne!(call.id(), id);
    ledger
        .record(call, &request, &answer(Verdict::Mismatch), None)
        .await
        .unwrap();
    let stats = ledger.stats().await.unwrap();
    assert_eq!(
        (
            stats.released,
            stats.resent,
            stats.answered,
            stats.unresolved
        ),
        (1, 1, 1, 0),
        "{stats:?}"
    );
    assert_eq!(stats.billed, 1);
}

async fn resolving_by_hand_frees_the_request(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    let id = call.id();
    let broken = Err(Error::Transport {
        failure: TransportFailure::Interrupted,
        endpoint: None,
    });
    ledger.record(call, &request, &broken, None).await.unwrap();
    assert!(
        !ledger
            .resolve(idcheck_ledger::CallId(id.0 + 1000), true)
            .await
            .unwrap()
    );
    assert!(ledger.resolve(id, true).await.unwrap());
    assert!(!ledger.resolve(id, false).await.unwrap(), "only once");
    // Settled as billed: paid for, so not sent again (as after a billed error) ...
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    let Claim::Reused(reused) = claim else {
        panic!("{claim:?}")
    };
    assert_eq!(reused.answer.verdict, None);
    assert!(
        reused
            .answer
            .error
            .unwrap()
            .contains("resolved by hand as billed")
    );
    // ... unless fresh answers are asked for.
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default().fresh(true))
        .await
        .unwrap();
    let Claim::Send(call) = claim else {
        panic!("{claim:?}")
    };
    ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let stats = ledger.stats().await.unwrap();
    assert_eq!(stats.billed, 2, "the hand-resolved call counts as billed");
    // Settled as not billed: sent again.
    let other = person(OTHER_ID);
    let call = send(&ledger, &other).await;
    let id = call.id();
    ledger.record(call, &other, &broken, None).await.unwrap();
    assert!(ledger.resolve(id, false).await.unwrap());
    let claim = ledger
        .claim(&other, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
}

async fn a_billed_error_is_not_paid_again(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    let maintenance = Err(Error::VendorUnavailable {
        message: "0010 系统维护 11010519491231002X".to_owned(),
        billed: true,
        request_id: Some("gw-3".to_owned()),
    });
    ledger
        .record(
            call,
            &request,
            &maintenance,
            Some(provider_trait::Price::from_milli_yuan(150)),
        )
        .await
        .unwrap();
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    let Claim::Reused(reused) = claim else {
        panic!("{claim:?}")
    };
    assert_eq!(reused.answer.verdict, None);
    let error = reused.answer.error.unwrap();
    assert!(!error.contains("11010519491231002X"), "{error}");
    assert!(error.contains("[number]"), "{error}");
    let stats = ledger.stats().await.unwrap();
    assert_eq!((stats.billed, stats.cost_milli_yuan), (1, 150));
    let usage = ledger.usage(0, false).await.unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!((usage[0].billed_calls, usage[0].cost_milli_yuan), (1, 150));
}

async fn a_claim_elsewhere_is_awaited_then_expires_unresolved(backend: Backend) {
    if !backend.shared {
        return;
    }
    let holder = backend.open().await.with_lease(Duration::from_millis(300));
    let other = backend.open().await.with_wait(Duration::from_millis(50));
    let request = person(ID);
    let call = send(&holder, &request).await;
    let claim = other
        .claim_waiting(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::InFlight { .. }), "{claim:?}");
    // The holder "dies": never records, never renews. After the lease the call is
    // unresolved, and never silently sent again.
    let patient = backend.open().await.with_wait(Duration::from_secs(5));
    let claim = patient
        .claim_waiting(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(
        matches!(claim, Claim::Unresolved(c) if c == call.id()),
        "{claim:?}"
    );
    // A holder that comes back late still records what it got.
    holder
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let claim = patient
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Reused(_)), "{claim:?}");
}

async fn a_waiter_gets_the_holders_answer(backend: Backend) {
    if !backend.shared {
        return;
    }
    let holder = Arc::new(backend.open().await.with_lease(Duration::from_millis(200)));
    let waiter = backend.open().await;
    let request = person(ID);
    let call = send(&holder, &request).await;
    let recorder = {
        let holder = Arc::clone(&holder);
        let request = request.clone();
        tokio::spawn(async move {
            // Longer than the lease: renewing keeps the waiter waiting.
            holder
                .hold(&call, "demo", async {
                    tokio::time::sleep(Duration::from_millis(600)).await;
                    // The gate is open while the lease is renewed.
                    provider_trait::check_send_gate().map_err(|reason| Error::NotSent {
                        provider: "demo",
                        reason,
                    })
                })
                .await
                .unwrap();
            holder
                .record(call, &request, &answer(Verdict::Mismatch), None)
                .await
                .unwrap();
        })
    };
    let claim = waiter
        .claim_waiting(&request, &target(), &ClaimPolicy::default().fresh(true))
        .await
        .unwrap();
    recorder.await.unwrap();
    assert!(
        matches!(&claim, Claim::Reused(r) if r.answer.verdict == Some(Verdict::Mismatch)),
        "{claim:?}"
    );
}

async fn concurrent_claims_send_once(backend: Backend) {
    let ledgers = if backend.shared {
        vec![
            Arc::new(backend.open().await),
            Arc::new(backend.open().await),
            Arc::new(backend.open().await),
        ]
    } else {
        vec![Arc::new(backend.open().await)]
    };
    let request = person(ID);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let ledger = Arc::clone(&ledgers[i % ledgers.len()]);
        let request = request.clone();
        tasks.spawn(async move {
            match ledger
                .claim_waiting(&request, &target(), &ClaimPolicy::default())
                .await
                .unwrap()
            {
                Claim::Send(call) => {
                    ledger
                        .hold(&call, "demo", async {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, Error>(())
                        })
                        .await
                        .unwrap();
                    ledger
                        .record(call, &request, &answer(Verdict::Match), None)
                        .await
                        .unwrap();
                    1
                }
                Claim::Reused(_) => 0,
                other => panic!("{other:?}"),
            }
        });
    }
    let mut sent = 0;
    while let Some(n) = tasks.join_next().await {
        sent += n.unwrap();
    }
    assert_eq!(sent, 1);
    assert_eq!(ledgers[0].stats().await.unwrap().answered, 1);
}

async fn a_wrong_key_is_refused(backend: Backend) {
    if !backend.shared {
        return;
    }
    drop(backend.open().await);
    let error = backend
        .open_with(LedgerKey::random().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::WrongKey { .. }), "{error}");
    assert!(error.to_string().contains("another key"), "{error}");
}

async fn purge_keeps_open_calls(backend: Backend) {
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let open = send(&ledger, &person(OTHER_ID)).await;
    ledger
        .record(
            open,
            &person(OTHER_ID),
            &Err(Error::Transport {
                failure: TransportFailure::Timeout,
                endpoint: None,
            }),
            None,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(ledger.purge_older_than(Duration::ZERO).await.unwrap(), 1);
    let stats = ledger.stats().await.unwrap();
    assert_eq!((stats.answered, stats.unresolved), (0, 1), "{stats:?}");
    assert_eq!(
        ledger.unresolved().await.unwrap()[0].state,
        CallState::Unresolved
    );
}

async fn a_late_answer_after_a_resend_is_kept(backend: Backend) {
    if !backend.shared {
        return;
    }
    let holder = backend
        .open()
        .await
        .with_lease(Duration::from_millis(30))
        .with_max_call(Duration::from_millis(30));
    let other = backend.open().await;
    let request = person(ID);
    let call = send(&holder, &request).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The holder stalled past its lease and its longest call; the user has the unresolved
    // call sent again.
    let claim = other
        .claim(
            &request,
            &target(),
            &ClaimPolicy::default().resend_unresolved(true),
        )
        .await
        .unwrap();
    let Claim::Send(resent) = claim else {
        panic!("{claim:?}")
    };
    // The first holder's answer arrives late: recorded (it was billed), not lost.
    holder
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    other
        .record(resent, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let stats = other.stats().await.unwrap();
    assert_eq!((stats.answered, stats.billed), (2, 2), "{stats:?}");
}

async fn an_unresolved_call_is_resent_only_after_its_whole_life(backend: Backend) {
    if !backend.shared {
        return;
    }
    let holder = backend
        .open()
        .await
        .with_lease(Duration::from_millis(40))
        .with_max_call(Duration::from_millis(600));
    let request = person(ID);
    let call = send(&holder, &request).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    // Lapsed, but a call sent just before the lapse could still be under way.
    let other = Arc::new(backend.open().await);
    let policy = ClaimPolicy::default().resend_unresolved(true);
    let claim = other.claim(&request, &target(), &policy).await.unwrap();
    let Claim::Settling { settles_in, .. } = claim else {
        panic!("{claim:?}")
    };
    assert!(settles_in <= Duration::from_millis(600), "{settles_in:?}");
    // A waiter waits for it; the holder answers late meanwhile: the waiter reuses it.
    let waiter = {
        let other = Arc::clone(&other);
        let request = request.clone();
        let policy = policy.clone();
        tokio::spawn(async move {
            other
                .claim_waiting(&request, &target(), &policy)
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    holder
        .record(call, &request, &answer(Verdict::Mismatch), None)
        .await
        .unwrap();
    let claim = waiter.await.unwrap();
    assert!(
        matches!(&claim, Claim::Reused(r) if r.answer.verdict == Some(Verdict::Mismatch)),
        "{claim:?}"
    );
    // Another person's holder never comes back: sent again once its whole life passed.
    let request = person(OTHER_ID);
    let call = send(&holder, &request).await;
    let started = std::time::Instant::now();
    let claim = other
        .claim_waiting(&request, &target(), &policy)
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    drop(call);
}

async fn a_lapsed_claim_is_never_sent_by_its_holder(backend: Backend) {
    let ledger = backend.open().await.with_lease(Duration::from_millis(40));
    let request = person(ID);
    let call = send(&ledger, &request).await;
    let id = call.id();
    // Paused (or starved) past its lease before sending.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = std::sync::atomic::AtomicBool::new(false);
    let result = ledger
        .hold(&call, "demo", async {
            sent.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, Error>(())
        })
        .await;
    assert!(!sent.load(std::sync::atomic::Ordering::SeqCst));
    let error = result.unwrap_err();
    assert_eq!(
        error,
        Error::NotSent {
            provider: "demo",
            reason: provider_trait::NotSent::LeaseLapsed { call: id.0 }
        }
    );
    // Recorded as not billed: the request is free to be sent again.
    ledger
        .record(call, &request, &Err(error), None)
        .await
        .unwrap();
    let claim = ledger
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_answer_is_reused_for_the_same_target_only() {
                super::an_answer_is_reused_for_the_same_target_only(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fresh_and_max_age_bypass_reuse() {
                super::fresh_and_max_age_bypass_reuse(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn unbilled_failures_release_and_unknown_ones_stay_unresolved() {
                super::unbilled_failures_release_and_unknown_ones_stay_unresolved(
                    Backend::$backend(),
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn resolving_by_hand_frees_the_request() {
                super::resolving_by_hand_frees_the_request(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_billed_error_is_not_paid_again() {
                super::a_billed_error_is_not_paid_again(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_claim_elsewhere_is_awaited_then_expires_unresolved() {
                super::a_claim_elsewhere_is_awaited_then_expires_unresolved(Backend::$backend())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_waiter_gets_the_holders_answer() {
                super::a_waiter_gets_the_holders_answer(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_claims_send_once() {
                super::concurrent_claims_send_once(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_wrong_key_is_refused() {
                super::a_wrong_key_is_refused(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn purge_keeps_open_calls() {
                super::purge_keeps_open_calls(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_late_answer_after_a_resend_is_kept() {
                super::a_late_answer_after_a_resend_is_kept(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_unresolved_call_is_resent_only_after_its_whole_life() {
                super::an_unresolved_call_is_resent_only_after_its_whole_life(Backend::$backend())
                    .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_lapsed_claim_is_never_sent_by_its_holder() {
                super::a_lapsed_claim_is_never_sent_by_its_holder(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_budget_is_spent_fully_never_beyond() {
                super::a_budget_is_spent_fully_never_beyond(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_maybe_billed_call_keeps_its_reservation_until_resolved() {
                super::a_maybe_billed_call_keeps_its_reservation_until_resolved(
                                                                            Backend::$backend(),
                                                                        )
                                                                        .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn budgets_hold_across_holders() {
                super::budgets_hold_across_holders(Backend::$backend()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_shared_rate_limit_holds_in_every_window() {
                super::a_shared_rate_limit_holds_in_every_window(Backend::$backend()).await;
            }
        }
    };
}

suite!(memory);
suite!(sqlite);
suite!(postgres);

#[tokio::test]
async fn a_sqlite_file_deleted_in_use_is_noticed() {
    let backend = Backend::sqlite();
    let ledger = backend.open().await;
    let request = person(ID);
    let call = send(&ledger, &request).await;
    std::fs::remove_file(&backend.location).unwrap();
    let error = ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::Lost(_)), "{error}");
    let error = ledger
        .claim(&person(OTHER_ID), &target(), &ClaimPolicy::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("deleted or replaced"), "{error}");
}

#[tokio::test]
async fn a_corrupt_sqlite_file_is_a_clear_error() {
    let backend = Backend::sqlite();
    let path = std::path::Path::new(&backend.location);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, vec![0x5a; 8192]).unwrap();
    let error = backend
        .open_with(LedgerKey::from_hex(KEY).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::Open { .. }), "{error:?}");
    assert!(
        error.to_string().contains("cannot open the ledger"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_clear_error_without_the_password() {
    // Port 9 (discard) on loopback: nothing listens there.
    let error = Ledger::open(
        "postgres://app:hunter2@127.0.0.1:9/ledger",
        LedgerKey::from_hex(KEY).unwrap(),
    )
    .await
    .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, LedgerError::Open { .. }), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn unknown_locations_are_refused() {
    for location in ["", "mysql://db/x", "redis://127.0.0.1"] {
        let error = Ledger::open(location, LedgerKey::from_hex(KEY).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(error, LedgerError::Location { .. }),
            "{location}: {error}"
        );
    }
}

fn budget(limit: i64) -> ClaimPolicy {
    ClaimPolicy::default().within(
        Budget::new("signup", limit).charging(Some(provider_trait::Price::from_milli_yuan(70))),
    )
}

/// Person number `i` (distinct for `i` below 1,000), with a valid check character.
fn nth_person(i: usize) -> Request {
    let body = format!(
        "4403011990{:02}{:02}{:03}",
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    person(&provider_testkit::with_check_character(&body))
}

async fn claim_or_panic(ledger: &Ledger, request: &Request, policy: &ClaimPolicy) -> Claim {
    ledger
        .claim(request, &target(), policy)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

const PRICE: Option<provider_trait::Price> = Some(provider_trait::Price::from_milli_yuan(70));

async fn a_budget_is_spent_fully_never_beyond(backend: Backend) {
    let ledger = backend.open().await;
    // 0.21 yuan at 0.07 a call: three calls, not two.
    let policy = budget(210);
    for i in 0..3 {
        let request = nth_person(i);
        let Claim::Send(call) = claim_or_panic(&ledger, &request, &policy).await else {
            panic!("call {i} should fit the budget")
        };
        ledger
            .record(call, &request, &answer(Verdict::Match), PRICE)
            .await
            .unwrap();
    }
    let claim = claim_or_panic(&ledger, &nth_person(3), &policy).await;
    let Claim::BudgetSpent { resets_at_ms } = claim else {
        panic!("{claim:?}")
    };
    // The vendors' day ends at midnight in China: 16:00 UTC.
    assert_eq!(resets_at_ms.rem_euclid(86_400_000), 16 * 3_600_000);
    let now = ledger.now_ms().await.unwrap();
    assert!(resets_at_ms > now && resets_at_ms - now <= 86_400_000);
    let (_, spent) = ledger.budget_today("signup", 8 * 3600).await.unwrap();
    assert_eq!(spent, 210);
    // An answer already paid for is free: reused even with the budget spent.
    let claim = claim_or_panic(&ledger, &nth_person(1), &policy).await;
    assert!(matches!(claim, Claim::Reused(_)), "{claim:?}");
    // Another client has its own budget.
    let other = ClaimPolicy::default().within(Budget::new("kyc", 70).charging(PRICE));
    let claim = claim_or_panic(&ledger, &nth_person(5), &other).await;
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
    // A budget without a price for the vendor admits nothing.
    let unpriced = ClaimPolicy::default().within(Budget::new("free", 1_000));
    assert!(
        ledger
            .claim(&nth_person(6), &target(), &unpriced)
            .await
            .is_err()
    );
}

fn throttled() -> Result<Report, Error> {
    Err(Error::Throttled {
        message: "Throttled by APP Flow Control".to_owned(),
        request_id: None,
    })
}

fn timed_out() -> Result<Report, Error> {
    Err(Error::Transport {
        failure: TransportFailure::Timeout,
        endpoint: None,
    })
}

async fn a_maybe_billed_call_keeps_its_reservation_until_resolved(backend: Backend) {
    let ledger = backend.open().await;
    let policy = budget(140);
    let spent = || async { ledger.budget_today("signup", 8 * 3600).await.unwrap().1 };
    // A timed-out call may have been billed: its reservation stays.
    let first = nth_person(0);
    let Claim::Send(call) = claim_or_panic(&ledger, &first, &policy).await else {
        panic!()
    };
    let unresolved = call.id();
    ledger
        .record(call, &first, &timed_out(), PRICE)
        .await
        .unwrap();
    // A throttled call was certainly not billed: its reservation comes back.
    let second = nth_person(1);
    let Claim::Send(call) = claim_or_panic(&ledger, &second, &policy).await else {
        panic!()
    };
    ledger
        .record(call, &second, &throttled(), PRICE)
        .await
        .unwrap();
    assert_eq!(spent().await, 70);
    let third = nth_person(2);
    let Claim::Send(call) = claim_or_panic(&ledger, &third, &policy).await else {
        panic!()
    };
    ledger
        .record(call, &third, &timed_out(), PRICE)
        .await
        .unwrap();
    let fourth = nth_person(3);
    let claim = claim_or_panic(&ledger, &fourth, &policy).await;
    assert!(matches!(claim, Claim::BudgetSpent { .. }), "{claim:?}");
    // Settled by hand as not billed: the reservation goes back, once.
    assert!(ledger.resolve(unresolved, false).await.unwrap());
    assert!(!ledger.resolve(unresolved, false).await.unwrap());
    assert_eq!(spent().await, 70);
    let Claim::Send(call) = claim_or_panic(&ledger, &fourth, &policy).await else {
        panic!()
    };
    ledger
        .record(call, &fourth, &throttled(), PRICE)
        .await
        .unwrap();
    assert_eq!(spent().await, 70);
}

async fn budgets_hold_across_holders(backend: Backend) {
    let ledgers = if backend.shared {
        vec![
            Arc::new(backend.open().await),
            Arc::new(backend.open().await),
        ]
    } else {
        vec![Arc::new(backend.open().await)]
    };
    // 40 people at 70 each against a limit of 1,000, from two holders at once: 14 are sent.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let ledger = Arc::clone(&ledgers[i % ledgers.len()]);
        tasks.spawn(async move {
            let request = nth_person(i);
            match claim_or_panic(&ledger, &request, &budget(1_000)).await {
                Claim::Send(call) => {
                    ledger
                        .record(call, &request, &answer(Verdict::Match), PRICE)
                        .await
                        .unwrap();
                    1
                }
                Claim::BudgetSpent { .. } => 0,
                other => panic!("{other:?}"),
            }
        });
    }
    let mut sent = 0;
    while let Some(n) = tasks.join_next().await {
        sent += n.unwrap();
    }
    assert_eq!(sent, 14);
    assert_eq!(
        ledgers[0].budget_today("signup", 8 * 3600).await.unwrap().1,
        980
    );
    let stats = ledgers[0].stats().await.unwrap();
    assert_eq!((stats.billed, stats.cost_milli_yuan), (14, 980));
}

async fn a_shared_rate_limit_holds_in_every_window(backend: Backend) {
    let ledgers = if backend.shared {
        vec![
            Arc::new(backend.open().await),
            Arc::new(backend.open().await),
        ]
    } else {
        vec![Arc::new(backend.open().await)]
    };
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..11 {
        let ledger = Arc::clone(&ledgers[i % ledgers.len()]);
        tasks.spawn(async move {
            assert!(
                ledger
                    .take_rate_slot("gateway", 5, Duration::from_secs(10))
                    .await
                    .unwrap()
            );
            started.elapsed()
        });
    }
    let mut starts = Vec::new();
    while let Some(at) = tasks.join_next().await {
        starts.push(at.unwrap());
    }
    starts.sort();
    // Any six consecutive starts span at least a second: no window holds more than five.
    for six in starts.windows(6) {
        assert!(
            six[5].saturating_sub(six[0]) >= Duration::from_secs(1),
            "{starts:?}"
        );
    }
    // Eleven starts at five a second take two seconds and a little, not much more.
    assert!(starts[10] < Duration::from_secs(4), "{starts:?}");
    // A slot further away than the caller will wait is not taken.
    let mut refused = 0;
    for _ in 0..20 {
        if !ledgers[0]
            .take_rate_slot("gateway", 5, Duration::ZERO)
            .await
            .unwrap()
        {
            refused += 1;
        }
    }
    assert!(refused >= 19, "{refused}");
}

async fn a_dead_holders_claims_are_listed_unresolved(backend: Backend) {
    if !backend.shared {
        return;
    }
    let dead = backend.open().await.with_lease(Duration::from_millis(20));
    let call = send(&dead, &person(ID)).await;
    let id = call.id();
    drop(call);
    drop(dead);
    tokio::time::sleep(Duration::from_millis(40)).await;
    // Nobody asked for the request again: the listing alone says it is unresolved.
    let operator = backend.open().await;
    let listed = operator.unresolved().await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [id]);
    assert_eq!(operator.stats().await.unwrap().claimed, 0);
    assert!(operator.resolve(id, false).await.unwrap());
    operator.close().await.unwrap();
}

mod expiry {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_holders_claims_are_listed_unresolved_sqlite() {
        super::a_dead_holders_claims_are_listed_unresolved(Backend::sqlite()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_holders_claims_are_listed_unresolved_postgres() {
        super::a_dead_holders_claims_are_listed_unresolved(Backend::postgres()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_a_sqlite_ledger_leaves_everything_in_the_file() {
        let backend = Backend::sqlite();
        let ledger = backend.open().await;
        let request = person(ID);
        let call = send(&ledger, &request).await;
        ledger
            .record(call, &request, &answer(Verdict::Match), None)
            .await
            .unwrap();
        ledger.close().await.unwrap();
        drop(ledger);
        // The file alone, copied elsewhere, is the ledger.
        let copy = format!("{}.copy", backend.location);
        std::fs::copy(&backend.location, &copy).unwrap();
        let copied = Ledger::open(&copy, LedgerKey::from_hex(KEY).unwrap())
            .await
            .unwrap();
        let claim = copied
            .claim(&request, &target(), &ClaimPolicy::default())
            .await
            .unwrap();
        assert!(matches!(claim, Claim::Reused(_)), "{claim:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_processes_opening_one_new_sqlite_ledger_at_once_all_succeed() {
        let backend = Backend::sqlite();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let location = backend.location.clone();
            tasks.spawn(async move {
                Ledger::open(&location, LedgerKey::from_hex(KEY).unwrap())
                    .await
                    .map(|_| ())
            });
        }
        while let Some(opened) = tasks.join_next().await {
            opened.unwrap().unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_is_grouped_by_vendor_day_and_client() {
    for backend in [Backend::memory(), Backend::sqlite(), Backend::postgres()] {
        let ledger = backend.open().await;
        for (i, client) in ["signup", "signup", "kyc"].into_iter().enumerate() {
            let request = person(if i == 0 { ID } else { OTHER_ID });
            let target = Target::new("demo", format!("http://vendor-{i}.test"), [7; 32]);
            let claim = ledger
                .claim(
                    &request,
                    &target,
                    &ClaimPolicy::default().for_client(client),
                )
                .await
                .unwrap();
            let Claim::Send(call) = claim else {
                panic!("{claim:?}")
            };
            ledger
                .record(
                    call,
                    &request,
                    &answer(Verdict::Match),
                    Some(provider_trait::Price::from_milli_yuan(70)),
                )
                .await
                .unwrap();
        }
        let by_client = ledger.usage(0, true).await.unwrap();
        let mut seen: Vec<(Option<String>, u64, i64)> = by_client
            .iter()
            .map(|u| (u.client.clone(), u.billed_calls, u.cost_milli_yuan))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                (Some("kyc".to_owned()), 1, 70),
                (Some("signup".to_owned()), 2, 140)
            ]
        );
        let total = ledger.usage(0, false).await.unwrap();
        assert_eq!(total.len(), 1);
        assert_eq!((total[0].billed_calls, total[0].cost_milli_yuan), (3, 210));
    }
}

/// A ledger written by schema version 1 (before calls kept their longest life and budget
/// reservation) is migrated in place when opened, its answers still reused.
async fn a_version_1_ledger_is_migrated(backend: Backend, downgrade: &[&str]) {
    let request = person(ID);
    {
        let ledger = backend.open().await;
        let call = send(&ledger, &request).await;
        ledger
            .record(call, &request, &answer(Verdict::Match), None)
            .await
            .unwrap();
        ledger.close().await.unwrap();
    }
    // Back to version 1: without the new columns.
    {
        use sqlx::Executor as _;
        let mut statements: Vec<String> = downgrade.iter().map(|s| (*s).to_owned()).collect();
        statements.push("UPDATE idcheck_meta SET value = '1' WHERE name = 'schema_version'".into());
        if backend.location.starts_with("postgres") {
            let (url, schema) = backend.location.split_once("?schema=").unwrap();
            let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(url)
                .await
                .unwrap();
            connection
                .execute(format!("SET search_path TO {schema}").as_str())
                .await
                .unwrap();
            for statement in &statements {
                connection.execute(statement.as_str()).await.unwrap();
            }
        } else {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&backend.location);
            let mut connection =
                <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
                    .await
                    .unwrap();
            for statement in &statements {
                connection.execute(statement.as_str()).await.unwrap();
            }
        }
    }
    // Two processes opening it at once both succeed.
    let (one, two) = tokio::join!(backend.open(), backend.open());
    let claim = one
        .claim(&request, &target(), &ClaimPolicy::default())
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Reused(_)), "{claim:?}");
    let other = person(OTHER_ID);
    let Claim::Send(call) = claim_or_panic(&two, &other, &budget(1_000)).await else {
        panic!("a migrated ledger takes budgets")
    };
    two.record(call, &other, &answer(Verdict::Match), PRICE)
        .await
        .unwrap();
    assert_eq!(two.stats().await.unwrap().answered, 2);
}

mod migration {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_1_sqlite_ledger_is_migrated() {
        super::a_version_1_ledger_is_migrated(
            Backend::sqlite(),
            &[
                "ALTER TABLE idcheck_calls DROP COLUMN max_call_ms",
                "ALTER TABLE idcheck_calls DROP COLUMN budget_day",
                "ALTER TABLE idcheck_calls DROP COLUMN reserved_milli",
            ],
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_1_postgres_ledger_is_migrated() {
        super::a_version_1_ledger_is_migrated(
            Backend::postgres(),
            &["ALTER TABLE idcheck_calls DROP COLUMN max_call_ms, DROP COLUMN budget_day, DROP COLUMN reserved_milli"],
        )
        .await;
    }
}
