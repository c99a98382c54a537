//! `/v1/verify` against the sandbox: the latency the service adds over calling the library
//! (the same router and ledger) directly, p50 and p99, on a SQLite and a PostgreSQL ledger.
//! Each request is a new person, so every call goes to the (in-process) sandbox.
//!
//! `cargo bench -p idcheck-server --bench verify`; under `cargo test` it makes a small run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aliyun_gateway::reqwest;
use aliyun_gateway::{Auth, BaseUrl, GatewayClient};
use idcheck_core::{IdNumber, Name};
use idcheck_ledger::{Ledger, LedgerKey};
use idcheck_router::Fallback;
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};
use idcheck_server::{Clients, Service, new_client};
use provider_trait::{Price, Provider, Request};

fn id_number(i: usize) -> String {
    let day = 1 + i % 28;
    provider_testkit::with_check_character(&format!(
        "5101071975{:02}{day:02}{:03}",
        1 + (i / 28) % 12,
        i % 1000
    ))
}

fn router(sandbox: &Sandbox, ledger: &Arc<Ledger>) -> Fallback {
    let client = GatewayClient::new(Auth::app_code(DEFAULT_APPCODE).unwrap()).unwrap();
    let provider: Arc<dyn Provider> = Arc::new(
        provider_idcardcert::IdCardCert::new(client)
            .with_base_url(BaseUrl::parse(&sandbox.base_url()).unwrap())
            .with_unit_price(Price::from_milli_yuan(70)),
    );
    Fallback::new(vec![provider]).with_ledger(Arc::clone(ledger))
}

fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)].as_secs_f64() * 1e3;
    (at(50), at(99))
}

async fn run(name: &str, location: &str, n: usize, offset: usize) {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let ledger = Arc::new(
        Ledger::open(location, LedgerKey::random().unwrap())
            .await
            .unwrap(),
    );
    // Directly: the router on the ledger.
    let direct_router = router(&sandbox, &ledger);
    let name_parsed = Name::parse("测试").unwrap();
    let mut direct = Vec::with_capacity(n);
    for i in 0..n {
        let request = Request::identity(
            IdNumber::parse(&id_number(offset + i)).unwrap(),
            name_parsed.clone(),
        );
        let started = Instant::now();
        direct_router.route(&request).await.result.unwrap();
        direct.push(started.elapsed());
    }
    // Through the service: the same router and ledger behind HTTP, other people.
    let (token, entry) = new_client("bench").unwrap();
    let service = Service::new(
        router(&sandbox, &ledger),
        Arc::clone(&ledger),
        Clients::from_toml(&entry).unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(idcheck_server::serve(
        Arc::new(service),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();
    let mut served = Vec::with_capacity(n);
    for i in 0..n {
        let body = format!(
            r#"{{"check":"identity","id":"{}","name":"测试"}}"#,
            id_number(offset + n + i)
        );
        let started = Instant::now();
        let response = http
            .post(format!("{base}/v1/verify"))
            .header("authorization", format!("Bearer {token}"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.bytes().await.unwrap();
        served.push(started.elapsed());
    }
    assert_eq!(sandbox.billed_total(), 2 * n as u64, "every call paid once");
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let (d50, d99) = percentiles(direct);
    let (s50, s99) = percentiles(served);
    println!(
        "{name:<9} {n} calls: library p50 {d50:.3} ms p99 {d99:.3} ms | /v1/verify p50 {s50:.3} ms p99 {s99:.3} ms | added p50 {:.3} ms p99 {:.3} ms",
        s50 - d50,
        s99 - d99
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 2000 } else { 30 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("idcheck-verify-bench-{}", std::process::id()));
    let url = std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("verify_bench_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    runtime.block_on(async {
        run(
            "sqlite",
            &dir.join("ledger.sqlite").display().to_string(),
            n,
            0,
        )
        .await;
        run("postgres", &format!("{url}{sep}schema={schema}"), n, 0).await;
    });
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::process::Command::new("psql")
        .args([
            url.as_str(),
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
}
