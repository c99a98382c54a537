//! `idcheck batch` throughput, as a bench binary (one long run each, not criterion samples):
//!
//! 1. phase 1 (`--dry-run`) on a generated 1,000,000-row file: rows per second;
//! 2. phase 2 against a local httpmock vendor, 10,000 distinct people at concurrency 32, on
//!    each ledger (memory, SQLite, PostgreSQL from `IDCHECK_TEST_POSTGRES`), vs a bare
//!    reqwest loop sending the same 10,000 requests 32 at a time, in the same run.
//!
//! `cargo bench -p idcheck-cli --bench batch`

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use httpmock::MockServer;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const SURNAMES: [&str; 10] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰"];

/// A valid ID number for person `i`: a birthday walking forward from 1950, a sequence number.
fn id_number(i: usize) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
        + chrono::Days::new(u64::try_from(i % 20_000).unwrap());
    let mut id = format!("110105{}{:03}", day.format("%Y%m%d"), i / 20_000 % 1000);
    let sum: u32 = id
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    id.push(char::from(CHECK[usize::try_from(sum % 11).unwrap()]));
    id
}

fn name(i: usize) -> String {
    format!(
        "{}{}{}",
        SURNAMES[i % 10],
        GIVEN[i / 10 % 10],
        GIVEN[i / 100 % 10]
    )
}

/// `rows` people; every 20th row has a typo in its check character.
fn people(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 40);
    csv.push_str("name,id\n");
    for i in 0..rows {
        let mut id = id_number(i);
        if i % 20 == 19 {
            let last = if id.ends_with('0') { '1' } else { '0' };
            id.pop();
            id.push(last);
        }
        let _ = writeln!(csv, "{},{id}", name(i));
    }
    csv
}

fn idcheck(dir: &Path, ledger: &str, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_idcheck"))
        .current_dir(dir)
        .args(args)
        .env("IDCHECK_APPCODE", "0123456789abcdef0123456789abcdef")
        .env("IDCHECK_LEDGER", ledger)
        .env(
            "IDCHECK_LEDGER_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// The same GET requests, 32 at a time, with nothing but reqwest.
fn bare_reqwest_loop(runtime: &tokio::runtime::Runtime, base: &str, csv: &str) -> Duration {
    let people: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (name, id) = l.split_once(',').unwrap();
            (name.to_owned(), id.to_owned())
        })
        .collect();
    let client = idcheck::gateway::reqwest::Client::new();
    runtime.block_on(async {
        let started = Instant::now();
        let permits = Arc::new(tokio::sync::Semaphore::new(32));
        let mut tasks = tokio::task::JoinSet::new();
        for (name, id) in people {
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let client = client.clone();
            let base = base.to_owned();
            tasks.spawn(async move {
                let _permit = permit;
                let query = format!(
                    "idCard={id}&name={}",
                    name.bytes().fold(String::new(), |mut s, b| {
                        let _ = write!(s, "%{b:02X}");
                        s
                    })
                );
                let response = client
                    .get(format!("{base}/idCardCert?{query}"))
                    .header("Authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                    .send()
                    .await
                    .unwrap();
                response.bytes().await.unwrap().len()
            });
        }
        while tasks.join_next().await.is_some() {}
        started.elapsed()
    })
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, without it:
    // then a small run checks the harness works, quickly.
    let full = std::env::args().any(|a| a == "--bench");
    let (rows, calls) = if full {
        (1_000_000, 10_000)
    } else {
        (2_000, 50)
    };
    let dir = std::env::temp_dir().join(format!("idcheck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    std::fs::write(dir.join("million.csv"), people(rows)).unwrap();
    let output = dir.join("million.out.csv");
    let output = output.to_str().unwrap();
    let elapsed = idcheck(
        &dir,
        "memory",
        &["batch", "million.csv", "--dry-run", "--output", output],
    );
    println!(
        "phase 1, {rows} rows (5% typos), parse + dedupe + masked CSV out: {:.2} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        f64::from(u32::try_from(rows).unwrap()) / elapsed.as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start_async());
    let mock = runtime.block_on(server.mock_async(|when, then| {
        when.path("/idCardCert");
        then.status(200)
            .header("X-Ca-Request-Id", "REQ")
            .body(r#"{"status":"01","msg":"实名认证通过!","sex":"男","birthday":"1950-01-01","addrCode":"110105"}"#);
    }));
    let csv: String = people(calls * 20 / 19 + 1)
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 20 != 0)
        .take(calls + 1)
        .fold(String::new(), |mut all, (_, line)| {
            all.push_str(line);
            all.push('\n');
            all
        });
    std::fs::write(dir.join("calls.csv"), &csv).unwrap();
    let base = server.base_url();
    let postgres = std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("batch_bench_{}", std::process::id());
    let sep = if postgres.contains('?') { '&' } else { '?' };
    let ledgers = [
        ("memory", "memory".to_owned()),
        ("sqlite", dir.join("ledger.sqlite").display().to_string()),
        ("postgres", format!("{postgres}{sep}schema={schema}")),
    ];
    let mut sent = 0;
    for (name, ledger) in &ledgers {
        let batch = idcheck(
            &dir,
            ledger,
            &[
                "batch",
                "calls.csv",
                "--provider",
                "idcardcert",
                "--base-url",
                &base,
                "--concurrency",
                "32",
                "--rate",
                "0",
                "--output",
                output,
            ],
        );
        sent += calls;
        assert_eq!(mock.calls(), sent, "one call per distinct person");
        let bare_loop = bare_reqwest_loop(&runtime, &base, &csv);
        sent += calls;
        assert_eq!(mock.calls(), sent);
        println!(
            "phase 2, {calls} calls at concurrency 32 against httpmock, {name} ledger: idcheck batch {:.2} s = {:.0} calls/s (process start, phase 1, ledger, router, output included), bare reqwest loop {:.2} s = {:.0} calls/s, ratio {:.2}",
            batch.as_secs_f64(),
            f64::from(u32::try_from(calls).unwrap()) / batch.as_secs_f64(),
            bare_loop.as_secs_f64(),
            f64::from(u32::try_from(calls).unwrap()) / bare_loop.as_secs_f64(),
            batch.as_secs_f64() / bare_loop.as_secs_f64()
        );
    }
    let _ = Command::new("psql")
        .args([
            postgres.as_str(),
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
    let _ = std::fs::remove_dir_all(&dir);
}
