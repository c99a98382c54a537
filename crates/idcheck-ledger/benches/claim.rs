//! Claim + record of one vendor call, on each backend: p50 and p99 over many calls, each a
//! new person (the path every paid call takes). `cargo bench -p idcheck-ledger --bench claim`;
//! under `cargo test` it makes a small run. PostgreSQL from `IDCHECK_TEST_POSTGRES` (default
//! the local server), in a schema of its own, dropped afterwards.

use std::time::{Duration, Instant};

use idcheck_core::{IdNumber, Name};
use idcheck_ledger::{Claim, ClaimPolicy, Ledger, LedgerKey};
use provider_trait::{Billing, Report, Request, Target, Trace, Verdict};
use sqlx::Connection as _;

fn people(n: usize) -> Vec<Request> {
    let name = Name::parse("张三").unwrap();
    (0..n)
        .map(|i| {
            let day = 1 + (i / 1000) % 28;
            let id = provider_testkit::with_check_character(&format!(
                "1101051980{:02}{:02}{:03}",
                1 + (i / 28_000) % 12,
                day,
                i % 1000
            ));
            Request::identity(IdNumber::parse(&id).unwrap(), name.clone())
        })
        .collect()
}

async fn measure(ledger: &Ledger, requests: &[Request]) -> (Vec<Duration>, Vec<Duration>) {
    let target = Target::new("bench", "http://127.0.0.1:1", [1; 32]);
    let policy = ClaimPolicy::default();
    let mut times = Vec::with_capacity(requests.len());
    let mut claims = Vec::with_capacity(requests.len());
    for request in requests {
        let started = Instant::now();
        let Claim::Send(call) = ledger.claim(request, &target, &policy).await.unwrap() else {
            panic!("every person is new")
        };
        claims.push(started.elapsed());
        let report = Report::new(Verdict::Match, Trace::new("bench", Billing::Billed));
        ledger
            .record(call, request, &Ok(report), None)
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    (times, claims)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn report(name: &str, (mut times, mut claims): (Vec<Duration>, Vec<Duration>)) {
    times.sort();
    claims.sort();
    println!(
        "{name:<12} claim+record: p50 {:>7.1} µs   p99 {:>7.1} µs   (claim alone: p50 {:>7.1} µs; {} calls)",
        percentile(&times, 50).as_secs_f64() * 1e6,
        percentile(&times, 99).as_secs_f64() * 1e6,
        percentile(&claims, 50).as_secs_f64() * 1e6,
        times.len()
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 5_000 } else { 50 };
    let requests = people(n);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let key = || LedgerKey::random().unwrap();
        let memory = Ledger::open("memory", key()).await.unwrap();
        report("memory", measure(&memory, &requests).await);

        let dir = std::env::temp_dir().join(format!("idcheck-ledger-bench-{}", std::process::id()));
        let path = dir.join("ledger.sqlite");
        let sqlite = Ledger::open(&path.display().to_string(), key())
            .await
            .unwrap();
        report("sqlite", measure(&sqlite, &requests).await);
        drop(sqlite);
        let _ = std::fs::remove_dir_all(&dir);

        let url = std::env::var("IDCHECK_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let schema = format!("ledger_bench_{}", std::process::id());
        let sep = if url.contains('?') { '&' } else { '?' };
        let postgres = Ledger::open(&format!("{url}{sep}schema={schema}"), key())
            .await
            .unwrap();
        report("postgres", measure(&postgres, &requests).await);
        drop(postgres);
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await
            .unwrap();
    });
}
