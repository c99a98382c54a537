//! `idcheck serve` as a process: replicas on one PostgreSQL ledger paying once per person and
//! sharing a budget, a graceful SIGTERM, slow and idle clients, and refusals to start. Billed
//! calls are counted by the sandbox, per person.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::fleet::{LEDGER_KEY, Replica, clients, postgres, verify};
use idcheck::gateway::reqwest;
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

fn id_number(i: usize) -> String {
    provider_testkit::with_check_character(&format!(
        "3201021985{:02}{:02}{:03}",
        1 + i % 12,
        1 + i % 28,
        i
    ))
}

fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-serve-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn sandbox(latency: Duration) -> Sandbox {
    Sandbox::start(
        SandboxConfig {
            latency,
            ..SandboxConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_ledger_bill_each_person_once() {
    let sandbox = sandbox(Duration::from_millis(20)).await;
    let dir = workdir("replicas");
    let (clients, token) = clients(&dir, "");
    let schema = postgres("serve_replicas");
    let ledger = schema.location();
    let one = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let two = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let http = reqwest::Client::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    // 200 people, each sent to both replicas at the same time: 400 requests.
    for i in 0..200 {
        for base in [one.base.clone(), two.base.clone()] {
            let (http, token, permits) = (http.clone(), token.clone(), Arc::clone(&permits));
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                verify(&http, &base, &token, &id_number(i)).await
            });
        }
    }
    let mut statuses = std::collections::HashMap::new();
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 200, "{body}");
        *statuses.entry(status).or_insert(0) += 1;
    }
    let billed = sandbox.billed_by_person();
    for i in 0..200 {
        assert_eq!(billed.get(&id_number(i)).copied(), Some(1), "person {i}");
    }
    assert_eq!(sandbox.billed_total(), 200);
    assert_eq!(statuses[&200], 400);
    let logs = format!("{}\n{}", one.log(), two.log());
    assert!(logs.contains("\"route\":\"/v1/verify\""), "{logs}");
    for i in 0..200 {
        let id = id_number(i);
        assert!(!logs.contains(&id), "an ID number in the logs");
        // The birthday, as digits or as a date (random request ids may hold "1985" alone).
        let birthday = &id[6..14];
        let dashed = format!("{}-{}-{}", &birthday[..4], &birthday[4..6], &birthday[6..]);
        assert!(
            !logs.contains(birthday) && !logs.contains(&dashed),
            "a birthday in the logs"
        );
    }
    assert!(!logs.contains("测试"), "a name in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_shared_by_two_replicas_is_never_exceeded() {
    let sandbox = sandbox(Duration::from_millis(10)).await;
    let dir = workdir("budget");
    // 1.00 yuan a day at 0.07 a call: 14 calls.
    let (clients, token) = clients(&dir, "daily_budget_yuan = 1.0\n");
    let schema = postgres("serve_budget");
    let ledger = schema.location();
    let one = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let two = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = if i % 2 == 0 {
            one.base.clone()
        } else {
            two.base.clone()
        };
        let (http, token) = (http.clone(), token.clone());
        tasks.spawn(async move { verify(&http, &base, &token, &id_number(500 + i)).await });
    }
    let (mut paid, mut refused) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (200, _) => paid += 1,
            (429, body) => {
                assert!(body.contains("resets_at"), "{body}");
                refused += 1;
            }
            (status, body) => panic!("{status} {body}"),
        }
    }
    assert_eq!(paid, 14, "{refused} refused");
    assert_eq!(sandbox.billed_total(), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_call_lets_it_finish_and_be_recorded() {
    let sandbox = sandbox(Duration::from_millis(1500)).await;
    let dir = workdir("sigterm");
    let (clients, token) = clients(&dir, "");
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let mut replica = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let http = reqwest::Client::new();
    let base = replica.base.clone();
    let call = tokio::spawn(async move { verify(&http, &base, &token, &id_number(900)).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (exit, replica) = tokio::task::spawn_blocking(move || {
        let exit = replica.terminate();
        (exit, replica)
    })
    .await
    .unwrap();
    let (code, body) = call.await.unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(exit.code(), Some(0), "{}", replica.log());
    assert!(replica.log().contains("every call in flight was recorded"));
    assert_eq!(sandbox.billed_total(), 1);
    let printed = common::idcheck_command()
        .args(["ledger", "stats", "--json", "--ledger", &ledger])
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(stats["answered"], 1, "{stats}");
    assert_eq!(stats["billed"], 1, "{stats}");
    assert_eq!(stats["claimed"], 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_idle_connections_do_not_stop_service() {
    let sandbox = sandbox(Duration::ZERO).await;
    let dir = workdir("slow");
    let (clients, token) = clients(&dir, "");
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let replica = Replica::start(
        &sandbox.base_url(),
        &ledger,
        &clients,
        &["--header-timeout", "1"],
    );
    let addr = replica.base.trim_start_matches("http://").to_owned();
    // One byte a second: cut off once the header timeout passes.
    let slow = {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let started = Instant::now();
            for byte in b"POST /v1/validate HTTP/1.1\r\nHost: x\r\n".iter().cycle() {
                if stream.write_all(&[*byte]).is_err() {
                    return started.elapsed();
                }
                let mut buf = [0; 256];
                if let Ok(0) = stream.read(&mut buf) {
                    return started.elapsed();
                }
                std::thread::sleep(Duration::from_millis(300));
                assert!(started.elapsed() < Duration::from_secs(15), "never cut off");
            }
            unreachable!()
        })
    };
    // A complete header block without a token, then a body trickling in: answered 401 at
    // once and closed, not held while the body arrives.
    let tokenless = {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .write_all(
                    b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{",
                )
                .unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let started = Instant::now();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            (
                started.elapsed(),
                String::from_utf8_lossy(&answer).into_owned(),
            )
        })
    };
    // 1,000 idle connections from one address ...
    let idle: Vec<tokio::net::TcpStream> = {
        let mut idle = Vec::new();
        for _ in 0..1000 {
            if let Ok(stream) = tokio::net::TcpStream::connect(&addr).await {
                idle.push(stream);
            }
        }
        idle
    };
    // ... and a client from another address is served at once.
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let response = http
        .post(format!("{}/v1/validate", replica.base))
        .header("authorization", format!("Bearer {token}"))
        .body(r#"{"name":"张三"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    let cut_after = slow.await.unwrap();
    assert!(cut_after < Duration::from_secs(5), "{cut_after:?}");
    let (answered_after, answer) = tokenless.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answered_after < Duration::from_secs(1),
        "{answered_after:?}"
    );
    drop(idle);
}

/// Under a slow-client attack from one address — 4,200 connections trickling their headers,
/// and connections sending a header block without a token then a body a byte every 2 s — a
/// client at another address is answered within 2 s at least 95% of the time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_attack_from_one_address_does_not_starve_another() {
    let sandbox = sandbox(Duration::ZERO).await;
    let dir = workdir("attack");
    let (clients, token) = clients(&dir, "");
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let replica = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let addr = replica.base.trim_start_matches("http://").to_owned();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut attackers = tokio::task::JoinSet::new();
    for i in 0..4200 {
        let (addr, stop) = (addr.clone(), Arc::clone(&stop));
        attackers.spawn(async move {
            use tokio::io::AsyncWriteExt as _;
            let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
                return;
            };
            let message: &[u8] = if i % 10 == 0 {
                b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
            } else {
                b"POST /v1/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n"
            };
            let pause = if i % 10 == 0 { 2000 } else { 500 };
            let mut bytes = message.iter().chain(std::iter::repeat(&b'x'));
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Some(byte) = bytes.next() else { return };
                if stream.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut answered = 0;
    for _ in 0..40 {
        let started = Instant::now();
        let response = http
            .post(format!("{}/v1/validate", replica.base))
            .header("authorization", format!("Bearer {token}"))
            .body(r#"{"name":"张三"}"#)
            .send()
            .await;
        if response.is_ok_and(|r| r.status().as_u16() == 200)
            && started.elapsed() < Duration::from_secs(2)
        {
            answered += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    attackers.abort_all();
    assert!(answered >= 38, "answered {answered} of 40 within 2 s");
}

#[test]
fn it_refuses_to_start_without_credentials_ledger_or_clients() {
    let dir = workdir("refusals");
    let (clients, _) = clients(&dir, "");
    let malformed = dir.join("malformed.toml");
    std::fs::write(&malformed, "[[client]]\nname = 'a'\n").unwrap();
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let run = |args: &[&str], appcode: bool| {
        let mut command = common::idcheck_command();
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--provider",
                "idcardcert",
            ])
            .args(args)
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .env_remove("IDCHECK_APP_KEY")
            .env_remove("IDCHECK_APP_SECRET");
        if appcode {
            command.env("IDCHECK_APPCODE", DEFAULT_APPCODE);
        } else {
            command.env_remove("IDCHECK_APPCODE");
        }
        let output = command.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let clients = clients.display().to_string();
    let malformed = malformed.display().to_string();
    let (code, text) = run(&["--ledger", &ledger, "--clients", &clients], false);
    assert_eq!(code, Some(2));
    assert!(text.contains("no credentials"), "{text}");
    let (code, text) = run(
        &[
            "--ledger",
            "postgres://idcheck@127.0.0.1:9/x",
            "--clients",
            &clients,
        ],
        true,
    );
    assert_eq!(code, Some(2));
    assert!(text.contains("cannot open the ledger"), "{text}");
    let (code, text) = run(&["--ledger", &ledger, "--clients", &malformed], true);
    assert_eq!(code, Some(2));
    assert!(text.contains("malformed"), "{text}");
    let mut budget = String::new();
    let (_, entry) = idcheck_server::new_client("b").unwrap();
    let _ = writeln!(budget, "{entry}daily_budget_yuan = 1.0");
    let budgeted = dir.join("budget.toml");
    std::fs::write(&budgeted, budget).unwrap();
    let (code, text) = run(
        &[
            "--ledger",
            &ledger,
            "--clients",
            &budgeted.display().to_string(),
        ],
        true,
    );
    assert_eq!(code, Some(2));
    assert!(text.contains("need a price"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qps_limit_shared_by_two_replicas_keeps_the_gateway_from_throttling() {
    // The gateway allows 4 calls a second; each replica is told 2 a second, shared: whatever
    // second the gateway counts, it sees at most 4.
    let sandbox = Sandbox::start(
        SandboxConfig {
            qps: Some(4),
            ..SandboxConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let dir = workdir("qps");
    let (clients, token) = clients(&dir, "");
    let schema = postgres("serve_qps");
    let ledger = schema.location();
    let one = Replica::start(&sandbox.base_url(), &ledger, &clients, &["--qps", "2"]);
    let two = Replica::start(&sandbox.base_url(), &ledger, &clients, &["--qps", "2"]);
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let base = if i % 2 == 0 {
            one.base.clone()
        } else {
            two.base.clone()
        };
        let (http, token) = (http.clone(), token.clone());
        tasks.spawn(async move { verify(&http, &base, &token, &id_number(700 + i)).await });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(sandbox.billed_total(), 8);
    // 8 calls at 2 a second: the first second is partly gone, three more are needed.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn settings_come_from_a_config_file_and_flags_win() {
    let dir = workdir("config");
    let (clients, _) = clients(&dir, "");
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:1\"\nprovider = [\"idcardcert\", \"checkone\"]\nby_price = true\nbase_url = \"http://127.0.0.1:9\"\nclients = \"{}\"\nledger = \"{}\"\n[price]\nidcardcert = 0.07\ncheckone = 0.05\n",
            clients.display(),
            dir.join("ledger.sqlite").display()
        ),
    )
    .unwrap();
    // The flag's address wins over the file's (port 1 would need root).
    let mut child = common::idcheck_command()
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    assert!(first.contains("providers idcardcert,checkone"), "{first}");
    // Unknown keys are refused, not ignored.
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nproviders = [\"idcardcert\"]\n",
    )
    .unwrap();
    let output = common::idcheck_command()
        .args(["serve", "--config"])
        .arg(&config)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown field"));
}
