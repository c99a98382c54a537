//! "Never pay twice", proved with the sandbox's own billed counts per person: batches killed
//! at random moments, two batches at once on one SQLite ledger and on one PostgreSQL ledger,
//! a sandbox ledger never answering another target, and every refusal before the first call.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

const LEDGER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// `n` synthetic people with valid ID numbers and distinct names, as CSV rows.
fn people(n: usize) -> Vec<(String, String)> {
    const SURNAMES: [&str; 4] = ["张", "王", "李", "赵"];
    const GIVEN: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    (0..n)
        .map(|i| {
            let id = provider_testkit::with_check_character(&format!(
                "4403011990{:02}{:02}{:03}",
                1 + i % 12,
                1 + i % 28,
                i
            ));
            let name = format!(
                "{}{}{}",
                SURNAMES[i % 4],
                GIVEN[(i / 4) % 10],
                GIVEN[(i / 40) % 10]
            );
            (id, name)
        })
        .collect()
}

fn csv(people: &[(String, String)]) -> String {
    let mut text = String::from("id,name\n");
    for (id, name) in people {
        let _ = writeln!(text, "{id},{name}");
    }
    text
}

fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-ledger-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn idcheck(dir: &Path, ledger: &str, args: &[&str]) -> Command {
    let mut command = common::idcheck_command();
    command
        .current_dir(dir)
        .args(args)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .env("IDCHECK_LEDGER", ledger)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .env("IDCHECK_LEDGER_LEASE", "0.5")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn batch_args<'a>(file: &'a str, base: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "batch",
        file,
        "--provider",
        "idcardcert",
        "--base-url",
        base,
        "--format",
        "jsonl",
        "--output",
        output,
        "--rate",
        "0",
        "--concurrency",
        "4",
    ]
}

async fn wait(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn rows(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each person's billed calls at the sandbox (0 for those never billed).
fn billed(sandbox: &Sandbox, people: &[(String, String)]) -> Vec<u64> {
    let counts = sandbox.billed_by_person();
    people
        .iter()
        .map(|(id, _)| counts.get(id).copied().unwrap_or(0))
        .collect()
}

async fn sandbox(latency_ms: u64, failure_rate: f64) -> Sandbox {
    let config = SandboxConfig {
        latency: Duration::from_millis(latency_ms),
        failure_rate,
        ..SandboxConfig::default()
    };
    Sandbox::start(config, "127.0.0.1:0").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_nobody_is_paid_twice() {
    let sandbox = sandbox(40, 0.1).await;
    let people = people(300);
    let dir = workdir("kills");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let base = sandbox.base_url();
    let args = batch_args("people.csv", &base, "out.jsonl");
    // At least 8 SIGKILLs at random moments, mid-run.
    let mut kills = 0;
    for round in 0..30 {
        let mut child = idcheck(&dir, &ledger, &args).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(fastrand::u64(40..300))).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = wait(child).await;
        let counts = billed(&sandbox, &people);
        assert!(counts.iter().all(|&n| n <= 1), "round {round}: {counts:?}");
        if kills == 8 {
            break;
        }
    }
    assert_eq!(kills, 8, "the runs ended before they could be killed");
    // Runs to the end: unbilled 503s are retried on each run until none is left.
    let mut last = None;
    for _ in 0..6 {
        let output = wait(idcheck(&dir, &ledger, &args).spawn().unwrap()).await;
        let out = rows(&dir.join("out.jsonl"));
        let errors = out.iter().filter(|r| r["status"] == "error").count();
        last = Some((output, out));
        if errors == 0 {
            break;
        }
    }
    let (output, out) = last.unwrap();
    let log = stderr(&output);
    let counts = billed(&sandbox, &people);
    assert!(counts.iter().all(|&n| n <= 1), "{counts:?}");
    assert_eq!(out.len(), 300, "no row lost: {log}");
    let unresolved: Vec<_> = out
        .iter()
        .filter(|r| r["status"] == "unresolved")
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    for row in &out {
        let n = usize::try_from(row["row"].as_u64().unwrap()).unwrap() - 1;
        match row["status"].as_str().unwrap() {
            // A verdict was paid for exactly once.
            "match" | "mismatch" | "unverifiable" => assert_eq!(counts[n], 1, "{row}"),
            "unresolved" => {}
            other => panic!("row {n}: {other}: {row} {log}"),
        }
    }
    // The ledger's unresolved calls are exactly the rows left unresolved: the calls that
    // were in flight at a kill.
    let listed = common::idcheck_command()
        .args(["ledger", "unresolved", "--json"])
        .env("IDCHECK_LEDGER", &ledger)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listed.lines().count(), unresolved.len(), "{listed}");
    assert_eq!(
        output.status.code(),
        Some(u8::from(!unresolved.is_empty()).into()),
        "{log}"
    );
    for (id, name) in &people {
        assert!(
            !log.contains(id.as_str()) && !log.contains(name.as_str()),
            "{log}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn two_at_once(ledger: &str, other_ledger: &str, test: &str) {
    let sandbox = sandbox(20, 0.0).await;
    let people = people(80);
    let dir = workdir(test);
    std::fs::write(dir.join("all.csv"), csv(&people)).unwrap();
    // Two halves that share 20 people.
    std::fs::write(dir.join("a.csv"), csv(&people[..50])).unwrap();
    std::fs::write(dir.join("b.csv"), csv(&people[30..])).unwrap();
    let base = sandbox.base_url();
    let same_a = idcheck(&dir, ledger, &batch_args("all.csv", &base, "1.jsonl"))
        .spawn()
        .unwrap();
    let same_b = idcheck(&dir, ledger, &batch_args("all.csv", &base, "2.jsonl"))
        .spawn()
        .unwrap();
    let (one, two) = (wait(same_a).await, wait(same_b).await);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(two.status.code(), Some(0), "{}", stderr(&two));
    assert_eq!(
        billed(&sandbox, &people),
        vec![1; 80],
        "the same file twice at once"
    );
    assert_eq!(rows(&dir.join("1.jsonl")).len(), 80);

    // Two halves at once on a new ledger (nothing to reuse): the shared 20 go out once.
    let half = |file: &'static str, out: &'static str| {
        idcheck(&dir, other_ledger, &batch_args(file, &base, out))
            .spawn()
            .unwrap()
    };
    let (a, b) = (half("a.csv", "a.jsonl"), half("b.csv", "b.jsonl"));
    let (a, b) = (wait(a).await, wait(b).await);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(
        billed(&sandbox, &people),
        vec![2; 80],
        "halves sharing people"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_batches_at_once_on_one_sqlite_ledger_pay_once_per_person() {
    let dir = workdir("sqlite-shared");
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let other = dir.join("other.sqlite").display().to_string();
    two_at_once(&ledger, &other, "two-sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_batches_at_once_on_one_postgres_ledger_pay_once_per_person() {
    let url = std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("cli_ledger_{}_{}", std::process::id(), fastrand::u32(..));
    let sep = if url.contains('?') { '&' } else { '?' };
    two_at_once(
        &format!("{url}{sep}schema={schema}_a"),
        &format!("{url}{sep}schema={schema}_b"),
        "two-postgres",
    )
    .await;
    for suffix in ["a", "b"] {
        // psql only cleans up; the test does not depend on it.
        let _ = Command::new("psql")
            .args([
                url.as_str(),
                "-c",
                &format!("DROP SCHEMA IF EXISTS {schema}_{suffix} CASCADE"),
            ])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_answer_never_answers_another_target() {
    let first = sandbox(0, 0.0).await;
    let second = sandbox(0, 0.0).await;
    let people = people(10);
    let dir = workdir("targets");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let ledger = dir.join("ledger.sqlite").display().to_string();
    for sandbox in [&first, &second, &first] {
        let base = sandbox.base_url();
        let output = wait(
            idcheck(&dir, &ledger, &batch_args("people.csv", &base, "out.jsonl"))
                .spawn()
                .unwrap(),
        )
        .await;
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(
        billed(&first, &people),
        vec![1; 10],
        "reused on the same target"
    );
    assert_eq!(
        billed(&second, &people),
        vec![1; 10],
        "the other target was called"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ledgers_keys_and_flags_are_refused_before_any_call() {
    let sandbox = sandbox(0, 0.0).await;
    let people = people(5);
    let dir = workdir("refusals");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let good = dir.join("ledger.sqlite").display().to_string();
    let base = sandbox.base_url();
    let args = batch_args("people.csv", &base, "out.jsonl");
    // Make the ledger with one key (a batch of nobody valid: nothing is sent) ...
    std::fs::write(dir.join("nobody.csv"), "id,name\n123,张三\n").unwrap();
    let made = wait(
        idcheck(
            &dir,
            &good,
            &batch_args("nobody.csv", &base, "nobody.jsonl"),
        )
        .spawn()
        .unwrap(),
    )
    .await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(std::path::Path::new(&good).exists());
    // ... and open it with another.
    let mut wrong_key = idcheck(&dir, &good, &args);
    wrong_key.env("IDCHECK_LEDGER_KEY", "ff".repeat(32));
    let output = wait(wrong_key.spawn().unwrap()).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("made with another key"),
        "{}",
        stderr(&output)
    );

    let corrupt = dir.join("corrupt.sqlite");
    std::fs::write(&corrupt, vec![0x42; 10_000]).unwrap();
    let output = wait(
        idcheck(&dir, &corrupt.display().to_string(), &args)
            .spawn()
            .unwrap(),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot open the ledger"),
        "{}",
        stderr(&output)
    );

    let unreachable = "postgres://idcheck:pw@127.0.0.1:9/ledger";
    let output = wait(idcheck(&dir, unreachable, &args).spawn().unwrap()).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(":pw@"), "{}", stderr(&output));

    for (flag, value) in [
        ("--rate", "-1"),
        ("--rate", "NaN"),
        ("--rate", "inf"),
        ("--rate", "1e-300"),
        ("--concurrency", "0"),
        ("--output", "/nonexistent-dir/out.jsonl"),
    ] {
        let mut bad = args.clone();
        bad.extend([flag, value]);
        let output = wait(idcheck(&dir, &good, &bad).spawn().unwrap()).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&output)
        );
    }
    assert_eq!(sandbox.billed_total(), 0, "nothing was sent");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_appcode_stops_the_batch() {
    let sandbox = sandbox(0, 0.0).await;
    let people = people(30);
    let dir = workdir("appcode");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let base = sandbox.base_url();
    let mut args = batch_args("people.csv", &base, "out.jsonl");
    let last = args.len() - 1;
    args[last] = "1"; // --concurrency 1
    let mut command = idcheck(&dir, &ledger, &args);
    command.env("IDCHECK_APPCODE", "not-the-sandbox-code");
    let output = wait(command.spawn().unwrap()).await;
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{log}");
    assert!(log.contains("refused the credentials"), "{log}");
    let out = rows(&dir.join("out.jsonl"));
    let tried = out.iter().filter(|r| r["status"] == "error").count();
    assert_eq!(tried, 1, "stopped after the first refusal: {log}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_deleted_mid_run_stops_the_run() {
    use std::io::{BufRead as _, BufReader};
    let sandbox = sandbox(30, 0.0).await;
    let people = people(40);
    let dir = workdir("deleted");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let base = sandbox.base_url();
    let mut args = batch_args("people.csv", &base, "out.jsonl");
    let last = args.len() - 1;
    args[last] = "1"; // --concurrency 1
    args.extend(["--progress-every", "1"]);
    let mut child = idcheck(&dir, &ledger.display().to_string(), &args)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, log) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let mut log = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let third = line.contains("answered 3/");
            log.push(line);
            if third {
                break;
            }
        }
        (lines, log)
    })
    .await
    .unwrap();
    assert!(log.iter().any(|l| l.contains("answered 3/")), "{log:?}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ledger.display()));
    }
    let rest: Vec<String> =
        tokio::task::spawn_blocking(move || lines.map(Result::unwrap).collect())
            .await
            .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let rest = rest.join("\n");
    assert_eq!(status.code(), Some(2), "{rest}");
    assert!(rest.contains("deleted or replaced"), "{rest}");
    // It stopped at the next call: nothing like the whole file was sent.
    assert!(sandbox.billed_total() <= 6, "{}", sandbox.billed_total());
    assert!(billed(&sandbox, &people).iter().all(|&n| n <= 1));
    std::fs::remove_dir_all(&dir).unwrap();
}
