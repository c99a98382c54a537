//! One conformance suite, run on every backend: memory, SQLite (a temporary file) and
//! PostgreSQL (a schema of its own per test on `IDCHECK_TEST_POSTGRES`, default the local
//! server; these tests fail rather than skip when it is unreachable).

use std::sync::Arc;
use std::time::Duration;

use idcheck_core::{IdNumber, Name};
use idcheck_ledger::{CallState, Claim, ClaimPolicy, Ledger, LedgerError, LedgerKey};
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
    let call = send(&ledger, &request).await;
    ledger
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap();
    let stats = ledger.stats().await.unwrap();
    assert_eq!(stats.billed, 2, "the hand-resolved call counts as billed");
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
                .hold(&call, tokio::time::sleep(Duration::from_millis(600)))
                .await;
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
                        .hold(&call, tokio::time::sleep(Duration::from_millis(20)))
                        .await;
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

async fn a_call_taken_from_its_holder_is_lost_not_forgotten(backend: Backend) {
    if !backend.shared {
        return;
    }
    let holder = backend.open().await.with_lease(Duration::from_millis(30));
    let other = backend.open().await;
    let request = person(ID);
    let call = send(&holder, &request).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    // The holder stopped renewing; the user has the unresolved call sent again.
    let claim = other
        .claim(
            &request,
            &target(),
            &ClaimPolicy::default().resend_unresolved(true),
        )
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Send(_)), "{claim:?}");
    let error = holder
        .record(call, &request, &answer(Verdict::Match), None)
        .await
        .unwrap_err();
    assert!(matches!(error, LedgerError::Lost(_)), "{error}");
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
            async fn a_call_taken_from_its_holder_is_lost_not_forgotten() {
                super::a_call_taken_from_its_holder_is_lost_not_forgotten(Backend::$backend())
                    .await;
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

async fn budgets_hold_across_holders(backend: Backend) {
    let ledgers = if backend.shared {
        vec![
            Arc::new(backend.open().await),
            Arc::new(backend.open().await),
        ]
    } else {
        vec![Arc::new(backend.open().await)]
    };
    // 40 reservations of 70 against a limit of 1,000, from two holders at once: 14 fit.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let ledger = Arc::clone(&ledgers[i % ledgers.len()]);
        tasks.spawn(async move {
            ledger
                .reserve_budget("signup", 20_000, 70, 1_000)
                .await
                .unwrap()
        });
    }
    let mut granted = 0;
    while let Some(ok) = tasks.join_next().await {
        granted += usize::from(ok.unwrap());
    }
    assert_eq!(granted, 14);
    assert_eq!(
        ledgers[0].budget_spent("signup", 20_000).await.unwrap(),
        980
    );
    ledgers[0]
        .refund_budget("signup", 20_000, 70)
        .await
        .unwrap();
    assert_eq!(
        ledgers[0].budget_spent("signup", 20_000).await.unwrap(),
        910
    );
    // Another client, another day: their own counters.
    assert!(
        ledgers[0]
            .reserve_budget("other", 20_000, 1_000, 1_000)
            .await
            .unwrap()
    );
    assert!(
        ledgers[0]
            .reserve_budget("signup", 20_001, 1_000, 1_000)
            .await
            .unwrap()
    );
    assert!(
        !ledgers[0]
            .reserve_budget("signup", 20_001, 1, 1_000)
            .await
            .unwrap()
    );
}

async fn a_shared_rate_limit_spreads_calls_over_seconds(backend: Backend) {
    let ledger = Arc::new(backend.open().await);
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..9 {
        let ledger = Arc::clone(&ledger);
        tasks.spawn(async move {
            ledger.take_rate_slot("gateway", 4).await.unwrap();
            chrono::Utc::now().timestamp()
        });
    }
    let mut seconds = std::collections::HashMap::new();
    while let Some(second) = tasks.join_next().await {
        *seconds.entry(second.unwrap()).or_insert(0) += 1;
    }
    assert!(seconds.values().all(|&n| n <= 4), "{seconds:?}");
    assert!(seconds.len() >= 3, "{seconds:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

mod counters {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budgets_hold_across_holders_memory() {
        super::budgets_hold_across_holders(Backend::memory()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budgets_hold_across_holders_sqlite() {
        super::budgets_hold_across_holders(Backend::sqlite()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn budgets_hold_across_holders_postgres() {
        super::budgets_hold_across_holders(Backend::postgres()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_rate_limit_spreads_calls_over_seconds_sqlite() {
        super::a_shared_rate_limit_spreads_calls_over_seconds(Backend::sqlite()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_rate_limit_spreads_calls_over_seconds_postgres() {
        super::a_shared_rate_limit_spreads_calls_over_seconds(Backend::postgres()).await;
    }
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
