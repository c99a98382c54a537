//! The ledger's promises under production faults, proved with the sandbox's own billed counts
//! per person (the sandbox bills a call when its vendor answers, even when the caller hung up,
//! as the real gateway does), on SQLite and on the real PostgreSQL:
//!
//! - a full disk under the SQLite ledger never lets a call go out whose claim was not
//!   committed;
//! - a process whose clock is a minute or a month off (libfaketime) neither re-sends another's
//!   live calls nor misses the answers it should reuse: times come from the store;
//! - a paused process (SIGSTOP) is waited for and its late answers kept, and once it is
//!   paused past its calls' whole life it never sends the claims that lapsed meanwhile, nor
//!   spends its stale rate slots at once (on PostgreSQL: see `mod paused`);
//! - a budget is a cap even when calls time out, and across a replica a day ahead;
//! - a burst at `--qps` equal to the gateway's limit (counted in any one-second window) is
//!   never throttled, across replicas;
//! - `serve` through a PostgreSQL restart never reports a paid call as "not sent".

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fleet::{
    LEDGER_KEY, Replica, Store, billed, clients, csv, ledger_at, people, postgres_url,
    shifted_clock, signal, verify, workdir,
};
use idcheck::gateway::reqwest;
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0").await.unwrap()
}

fn with_latency(ms: u64) -> SandboxConfig {
    SandboxConfig {
        latency: Duration::from_millis(ms),
        ..SandboxConfig::default()
    }
}

/// `idcheck batch FILE --provider idcardcert` against `sandbox` on `ledger`, with its home in
/// `dir` (nothing written to the user's), more flags and environment.
fn batch(
    dir: &Path,
    sandbox: &str,
    ledger: &str,
    file: &str,
    extra: &[&str],
    env: &[(&str, String)],
) -> Command {
    let mut command = common::idcheck_command();
    command
        .current_dir(dir)
        .args([
            "batch",
            file,
            "--provider",
            "idcardcert",
            "--base-url",
            sandbox,
            "--ledger",
            ledger,
            "--format",
            "jsonl",
            "--rate",
            "0",
        ])
        .args(extra)
        .env("HOME", dir)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn lease(seconds: &str) -> (&'static str, String) {
    ("IDCHECK_LEDGER_LEASE", seconds.to_owned())
}

async fn finish(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// Runs `command` to its end off the runtime's workers: a worker blocked on a child could
/// hold up the sandbox's tasks, which are served on the same workers.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Polls `done` (a counter of the sandbox) until it holds, for at most `within`.
async fn until(within: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < within, "not reached within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn rows(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------
// A full disk.

/// Whether a tmpfs can be mounted in a private mount namespace (`unshare -rm`, which needs
/// no privilege where user namespaces are allowed); required under CI.
fn can_mount_tmpfs() -> bool {
    let ok = Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs \"$d\"",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "cannot mount a tmpfs with `unshare -rm` (util-linux, user namespaces)"
    );
    if !ok {
        eprintln!("skipped: no private tmpfs (unshare -rm)");
    }
    ok
}

/// Free space left on the full disk in each round, KiB: the write that finds the disk full is
/// sometimes a claim, sometimes an answer being recorded.
const FREE_KIB: [u32; 8] = [40, 48, 56, 64, 72, 80, 96, 128];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_sqlite_ledger_never_pays_twice() {
    if !can_mount_tmpfs() {
        return;
    }
    let sandbox = sandbox(with_latency(5)).await;
    let people = people(1, 40 * FREE_KIB.len());
    let dir = workdir("faults", "disk");
    for (round, chunk) in people.chunks(40).enumerate() {
        std::fs::write(dir.join(format!("round{round}.csv")), csv(chunk)).unwrap();
    }
    std::fs::write(dir.join("first.csv"), csv(&people[..1])).unwrap();
    std::fs::create_dir_all(dir.join("small")).unwrap();
    // In a private mount namespace: a 32 MiB disk holding the ledger. Each round fills it
    // to the last few KiB, runs a batch of its own 40 people until the ledger cannot write,
    // frees the space, and runs the same batch again without --resend-unresolved.
    let free: Vec<String> = FREE_KIB.iter().map(ToString::to_string).collect();
    let script = format!(
        r#"
        set -u
        mount -t tmpfs -o size=32m tmpfs small || exit 90
        run() {{ "$IDCHECK" batch "$1" --provider idcardcert --base-url "$BASE" \
            --ledger small/ledger.sqlite --format jsonl --rate 0 --concurrency 4 --output "$2"; }}
        run first.csv first.jsonl 2>first.log || exit 91
        round=0
        for free in {free}; do
            dd if=/dev/zero of=small/fill bs=4k 2>/dev/null
            truncate -s -${{free}}K small/fill
            run round$round.csv full$round.jsonl 2>full$round.log; echo $? >full$round.code
            rm small/fill
            run round$round.csv freed$round.jsonl 2>freed$round.log; echo $? >freed$round.code
            round=$((round + 1))
        done
        "$IDCHECK" ledger unresolved --ledger small/ledger.sqlite --json >unresolved.jsonl 2>/dev/null
        exit 0
    "#,
        free = free.join(" ")
    );
    let mut script_run = Command::new("unshare");
    script_run
        .args(["-rm", "sh", "-c", &script])
        .current_dir(&dir)
        .env("IDCHECK", env!("CARGO_BIN_EXE_idcheck"))
        .env("BASE", sandbox.base_url())
        .env("HOME", &dir)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        // Claims left behind by a run that stopped lapse quickly for the next run.
        .env("IDCHECK_LEDGER_LEASE", "0.5");
    let ran = run(script_run).await;
    assert!(ran.status.success(), "the script failed: {}", stderr(&ran));
    let read = |name: String| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let mut claims_refused = 0;
    for round in 0..FREE_KIB.len() {
        // The disk filled mid-run: the run stopped, nothing more sent.
        let log = read(format!("full{round}.log"));
        assert_eq!(read(format!("full{round}.code")).trim(), "2", "{log}");
        assert!(log.contains("disk is full"), "{log}");
        // A claim that could not be committed stopped the run before its call was sent.
        if log.contains("stopped: the ledger failed") {
            claims_refused += 1;
        }
        let code = read(format!("freed{round}.code"));
        assert!(
            ["0", "1"].contains(&code.trim()),
            "{code} {}",
            read(format!("freed{round}.log"))
        );
    }
    assert!(claims_refused > 0, "no round ran out of space at a claim");
    // Whatever went out, nobody was paid for twice.
    let counts = billed(&sandbox, &people);
    assert!(counts.iter().all(|&n| n <= 1), "{counts:?}");
    // Everyone was answered but the calls left unresolved when the disk filled.
    let unresolved = read("unresolved.jsonl".to_owned()).lines().count();
    let unpaid = counts.iter().filter(|&&n| n == 0).count();
    assert!(
        unpaid <= unresolved,
        "{unpaid} unpaid, {unresolved} unresolved"
    );
}

// ---------------------------------------------------------------------------------------
// Clocks that are off.

async fn a_clock_a_minute_ahead_does_not_resend_live_calls(store: Store) {
    let Some(ahead) = shifted_clock("+60s") else {
        return;
    };
    let sandbox = sandbox(with_latency(1000)).await;
    let series = if store == Store::Sqlite { 2 } else { 3 };
    let people = people(series, 20);
    let dir = workdir("faults", &format!("minute-{store:?}"));
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let (ledger, _schema) = ledger_at(&dir, store, "faults_minute");
    let base = sandbox.base_url();
    let one = batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &["--concurrency", "20", "--output", "one.jsonl"],
        &[lease("2")],
    )
    .spawn()
    .unwrap();
    // Every call is in flight at the vendor when the other batch starts.
    until(Duration::from_secs(20), || sandbox.started() >= 20).await;
    let mut env = ahead;
    env.push(lease("2"));
    let two = batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &[
            "--concurrency",
            "20",
            "--resend-unresolved",
            "--output",
            "two.jsonl",
        ],
        &env,
    )
    .spawn()
    .unwrap();
    let (one, two) = (finish(one).await, finish(two).await);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert_eq!(two.status.code(), Some(0), "{}", stderr(&two));
    for output in [&one, &two] {
        assert!(!stderr(output).contains("purged"), "{}", stderr(output));
    }
    assert_eq!(billed(&sandbox, &people), vec![1; 20]);
}

async fn a_clock_a_month_ahead_still_reuses_answers(store: Store) {
    let Some(month) = shifted_clock("+31d") else {
        return;
    };
    let sandbox = sandbox(with_latency(0)).await;
    let series = if store == Store::Sqlite { 4 } else { 5 };
    let people = people(series, 30);
    let dir = workdir("faults", &format!("month-{store:?}"));
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let (ledger, _schema) = ledger_at(&dir, store, "faults_month");
    let base = sandbox.base_url();
    let first = run(batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &["--output", "a.jsonl"],
        &[],
    ))
    .await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let again = run(batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &["--output", "b.jsonl"],
        &month,
    ))
    .await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(billed(&sandbox, &people), vec![1; 30]);
    let reused = rows(&dir.join("b.jsonl"))
        .iter()
        .filter(|r| {
            r["detail"]
                .as_str()
                .unwrap_or("")
                .contains("from the ledger")
        })
        .count();
    assert_eq!(reused, 30);
}

// ---------------------------------------------------------------------------------------
// A paused process.

async fn a_paused_batch_is_waited_for_and_its_late_answers_kept(store: Store) {
    let sandbox = sandbox(with_latency(600)).await;
    let series = if store == Store::Sqlite { 6 } else { 7 };
    let people = people(series, 12);
    let dir = workdir("faults", &format!("pause-{store:?}"));
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let (ledger, _schema) = ledger_at(&dir, store, "faults_pause");
    let base = sandbox.base_url();
    let flags = ["--concurrency", "12", "--timeout", "5"];
    let paused = batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &[&flags[..], &["--output", "paused.jsonl"]].concat(),
        &[lease("1")],
    )
    .spawn()
    .unwrap();
    until(Duration::from_secs(20), || sandbox.started() >= 12).await;
    signal(&paused, "STOP");
    // Paused past its lease (1 s), within its calls' whole life (1 s + 10 s): the other batch,
    // asked to re-send unresolved calls, waits instead of paying again.
    let other = batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &[
            &flags[..],
            &["--resend-unresolved", "--output", "other.jsonl"],
        ]
        .concat(),
        &[lease("1")],
    )
    .spawn()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    signal(&paused, "CONT");
    let (paused, other) = (finish(paused).await, finish(other).await);
    // The late answers were recorded, not reported as lost claims.
    assert_eq!(paused.status.code(), Some(0), "{}", stderr(&paused));
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    assert_eq!(billed(&sandbox, &people), vec![1; 12]);
}

async fn a_paused_batch_never_sends_claims_that_lapsed(store: Store) {
    let sandbox = sandbox(with_latency(0)).await;
    let series = if store == Store::Sqlite { 8 } else { 9 };
    let people = people(series, 16);
    let dir = workdir("faults", &format!("lapse-{store:?}"));
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let (ledger, _schema) = ledger_at(&dir, store, "faults_lapse");
    let base = sandbox.base_url();
    // Two calls a second, eight claimed at once: most claims wait for their start slot.
    let paused = batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &[
            "--qps",
            "2",
            "--concurrency",
            "8",
            "--timeout",
            "1",
            "--output",
            "paused.jsonl",
        ],
        &[lease("0.5")],
    )
    .spawn()
    .unwrap();
    until(Duration::from_secs(20), || sandbox.started() >= 2).await;
    signal(&paused, "STOP");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = billed(&sandbox, &people);
    // Past the lease and the longest call (0.5 s + 6 s), the unresolved claims are re-sent.
    let other = run(batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &[
            "--resend-unresolved",
            "--timeout",
            "1",
            "--output",
            "other.jsonl",
        ],
        &[lease("0.5")],
    ))
    .await;
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    let after_other = billed(&sandbox, &people);
    signal(&paused, "CONT");
    let paused = finish(paused).await;
    // Resumed, the paused batch sent none of the claims that lapsed while it slept: it took
    // the other batch's answers.
    assert_eq!(billed(&sandbox, &people), after_other);
    assert_eq!(paused.status.code(), Some(0), "{}", stderr(&paused));
    for (i, (was, now)) in before.iter().zip(&after_other).enumerate() {
        // Re-sending may pay again only for a call the paused batch had sent.
        assert!(*now >= 1 && *now <= was + 1, "person {i}: {was} then {now}");
    }
}

// ---------------------------------------------------------------------------------------
// Budgets.

/// Sends an identity check for each of `ids`, all at once, round-robin over `bases`.
async fn verify_all(bases: &[String], token: &str, ids: &[String]) -> Vec<(u16, String)> {
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let (http, token, id) = (http.clone(), token.to_owned(), id.clone());
        let base = bases[i % bases.len()].clone();
        tasks.spawn(async move { (i, verify(&http, &base, &token, &id).await) });
    }
    let mut answers = vec![(0, String::new()); ids.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, answer) = done.unwrap();
        answers[i] = answer;
    }
    answers
}

async fn a_budget_is_a_cap_when_calls_time_out(store: Store) {
    // The vendor answers after 1.5 s; the service gives up after 1 s. The sandbox bills
    // every call all the same.
    let sandbox = sandbox(with_latency(1500)).await;
    let series = if store == Store::Sqlite { 10 } else { 11 };
    let everyone: Vec<String> = people(series, 14).into_iter().map(|(id, _)| id).collect();
    let (ids, later) = everyone.split_at(12);
    let dir = workdir("faults", &format!("budget-{store:?}"));
    // 0.35 yuan a day at 0.07 a call.
    let (clients, token) = clients(&dir, "daily_budget_yuan = 0.35\n");
    let (ledger, _schema) = ledger_at(&dir, store, "faults_budget");
    let replica = Replica::start(&sandbox.base_url(), &ledger, &clients, &["--timeout", "1"]);
    let answers = verify_all(std::slice::from_ref(&replica.base), &token, ids).await;
    let timed_out = answers.iter().filter(|(s, _)| *s == 502).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!((timed_out, refused), (5, 7), "{answers:?}");
    for (status, body) in &answers {
        if *status == 502 {
            assert!(body.contains("\"billing\":\"unknown\""), "{body}");
        }
    }
    // The calls that timed out end at the vendor and are billed: 0.35 yuan, not a fen more.
    until(Duration::from_secs(10), || sandbox.billed_total() >= 5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sandbox.billed_total(), 5);
    // Settled by hand as not billed, a call gives its reservation back: one more fits.
    let ledger_command = |args: &[&str]| {
        let mut command = common::idcheck_command();
        command
            .arg("ledger")
            .args(args)
            .args(["--ledger", &ledger])
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .env("HOME", &dir);
        command
    };
    let listed = run(ledger_command(&["unresolved", "--json"])).await;
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let call = first["id"].to_string();
    let resolved = run(ledger_command(&["resolve", &call, "--not-billed"])).await;
    assert!(resolved.status.success(), "{}", stderr(&resolved));
    // Two people never asked before: one fits.
    let more = verify_all(std::slice::from_ref(&replica.base), &token, later).await;
    let mut statuses: Vec<u16> = more.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [429, 502], "{more:?}");
}

async fn a_replica_a_day_ahead_shares_the_budget_day(store: Store) {
    let Some(tomorrow) = shifted_clock("+1d") else {
        return;
    };
    let sandbox = sandbox(with_latency(0)).await;
    let series = if store == Store::Sqlite { 12 } else { 13 };
    let ids: Vec<String> = people(series, 20).into_iter().map(|(id, _)| id).collect();
    let dir = workdir("faults", &format!("day-{store:?}"));
    let (clients, token) = clients(&dir, "daily_budget_yuan = 0.35\n");
    let (ledger, _schema) = ledger_at(&dir, store, "faults_day");
    let today = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    let ahead = Replica::start_with(&sandbox.base_url(), &ledger, &clients, &[], &tomorrow);
    let answers = verify_all(&[today.base.clone(), ahead.base.clone()], &token, &ids).await;
    let paid = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    // One budget day for both: five calls, the cap spent fully and never twice.
    assert_eq!((paid, refused), (5, 15), "{answers:?}");
    assert_eq!(sandbox.billed_total(), 5);
}

// ---------------------------------------------------------------------------------------
// The gateway's calls-per-second limit.

async fn a_burst_at_the_gateway_qps_is_never_throttled(store: Store) {
    let sandbox = sandbox(SandboxConfig {
        qps: Some(5),
        ..SandboxConfig::default()
    })
    .await;
    let series = if store == Store::Sqlite { 14 } else { 15 };
    let ids: Vec<String> = people(series, 30).into_iter().map(|(id, _)| id).collect();
    let dir = workdir("faults", &format!("qps-{store:?}"));
    let (clients, token) = clients(&dir, "");
    let (ledger, _schema) = ledger_at(&dir, store, "faults_qps");
    let one = Replica::start(&sandbox.base_url(), &ledger, &clients, &["--qps", "5"]);
    let two = Replica::start(&sandbox.base_url(), &ledger, &clients, &["--qps", "5"]);
    let started = Instant::now();
    let answers = verify_all(&[one.base.clone(), two.base.clone()], &token, &ids).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(sandbox.throttled(), 0);
    assert_eq!(sandbox.billed_total(), 30);
    // Thirty calls at five a second (with the spacing margin) take about six seconds.
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn a_paused_batch_does_not_burst_past_the_qps_when_it_resumes(store: Store) {
    let sandbox = sandbox(SandboxConfig {
        qps: Some(5),
        ..SandboxConfig::default()
    })
    .await;
    let series = if store == Store::Sqlite { 24 } else { 25 };
    let everyone = people(series, 45);
    let dir = workdir("faults", &format!("qps-pause-{store:?}"));
    std::fs::write(dir.join("a.csv"), csv(&everyone[..30])).unwrap();
    std::fs::write(dir.join("b.csv"), csv(&everyone[30..])).unwrap();
    let (ledger, _schema) = ledger_at(&dir, store, "faults_qps_pause");
    let base = sandbox.base_url();
    let flags = ["--qps", "5", "--concurrency", "16"];
    // The first batch holds start slots for its claims, then sleeps through them.
    let paused = batch(
        &dir,
        &base,
        &ledger,
        "a.csv",
        &[&flags[..], &["--output", "a.jsonl"]].concat(),
        &[],
    )
    .spawn()
    .unwrap();
    until(Duration::from_secs(20), || sandbox.started() >= 5).await;
    signal(&paused, "STOP");
    let other = run(batch(
        &dir,
        &base,
        &ledger,
        "b.csv",
        &[&flags[..], &["--output", "b.jsonl"]].concat(),
        &[],
    ))
    .await;
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    signal(&paused, "CONT");
    let paused = finish(paused).await;
    assert_eq!(paused.status.code(), Some(0), "{}", stderr(&paused));
    // Resumed, its stale slots were not used all at once.
    assert_eq!(sandbox.throttled(), 0);
    assert_eq!(billed(&sandbox, &everyone), vec![1; 45]);
}

// ---------------------------------------------------------------------------------------
// A call settled by hand.

/// `idcheck ledger ARGS --ledger LEDGER`.
fn ledger_command(ledger: &str, args: &[&str]) -> Command {
    let mut command = common::idcheck_command();
    command
        .arg("ledger")
        .args(args)
        .args(["--ledger", ledger])
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_settled_as_billed_is_not_paid_for_again() {
    let sandbox = sandbox(with_latency(1500)).await;
    let people = people(26, 3);
    let dir = workdir("faults", "settled");
    std::fs::write(dir.join("people.csv"), csv(&people)).unwrap();
    let ledger = dir.join("ledger.sqlite").display().to_string();
    let base = sandbox.base_url();
    // Timed out after sending: unresolved (the vendor bills them all the same).
    let first = run(batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &["--timeout", "1", "--output", "a.jsonl"],
        &[],
    ))
    .await;
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    until(Duration::from_secs(10), || sandbox.billed_total() >= 3).await;
    let listed = run(ledger_command(&ledger, &["unresolved", "--json"])).await;
    let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 3, "{}", stderr(&listed));
    // The user checks the bill: all three were paid for.
    for id in &ids {
        let resolved = run(ledger_command(&ledger, &["resolve", id, "--billed"])).await;
        assert!(resolved.status.success(), "{}", stderr(&resolved));
    }
    // A plain run does not pay for them again.
    let again = run(batch(
        &dir,
        &base,
        &ledger,
        "people.csv",
        &["--timeout", "5", "--output", "b.jsonl"],
        &[],
    ))
    .await;
    assert_eq!(billed(&sandbox, &people), vec![1; 3], "{}", stderr(&again));
}

// ---------------------------------------------------------------------------------------
// A PostgreSQL restart under `serve`.

/// A TCP relay to PostgreSQL that can be "restarted": every connection through it is cut at
/// once, and new ones are refused for a while, as clients see a database restart.
struct Relay {
    port: u16,
    cut: Arc<tokio::sync::Notify>,
    down_until: Arc<std::sync::Mutex<Instant>>,
}

impl Relay {
    async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(tokio::sync::Notify::new());
        let down_until = Arc::new(std::sync::Mutex::new(Instant::now()));
        let (upstream, cut_all, down) = (
            upstream.to_owned(),
            Arc::clone(&cut),
            Arc::clone(&down_until),
        );
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if Instant::now() < *down.lock().unwrap() {
                    drop(client);
                    continue;
                }
                let (upstream, cut_all) = (upstream.clone(), Arc::clone(&cut_all));
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut_all.notified() => {}
                    }
                });
            }
        });
        Self {
            port,
            cut,
            down_until,
        }
    }

    /// Cuts every connection and refuses new ones for `down`.
    fn restart(&self, down: Duration) {
        *self.down_until.lock().unwrap() = Instant::now() + down;
        self.cut.notify_waiters();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_through_a_postgres_restart_never_calls_a_paid_call_not_sent() {
    let url = postgres_url();
    let host_port = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_owned();
    let relay = Relay::start(&host_port).await;
    let relayed = url.replacen(&host_port, &format!("127.0.0.1:{}", relay.port), 1);
    let schema = common::fleet::Schema {
        url: url.clone(),
        name: format!(
            "faults_restart_{}_{}",
            std::process::id(),
            fastrand::u32(..)
        ),
    };
    let sep = if relayed.contains('?') { '&' } else { '?' };
    let ledger = format!("{relayed}{sep}schema={}", schema.name);
    let sandbox = sandbox(with_latency(400)).await;
    let ids: Vec<String> = people(16, 10).into_iter().map(|(id, _)| id).collect();
    let dir = workdir("faults", "restart");
    let (clients, token) = clients(&dir, "");
    let replica = Replica::start(&sandbox.base_url(), &ledger, &clients, &[]);
    // Warm: the pool holds connections that the restart will break.
    let warm = verify_all(std::slice::from_ref(&replica.base), &token, &ids[..3]).await;
    assert!(warm.iter().all(|(s, _)| *s == 200), "{warm:?}");
    let requests = {
        let (base, token, ids) = (replica.base.clone(), token.clone(), ids[3..].to_vec());
        tokio::spawn(async move { verify_all(&[base], &token, &ids).await })
    };
    // The calls are at the vendor (claimed) when the database goes away for a second.
    until(Duration::from_secs(10), || sandbox.started() >= 10).await;
    relay.restart(Duration::from_secs(1));
    let answers = requests.await.unwrap();
    let counts = sandbox.billed_by_person();
    for ((status, body), id) in answers.iter().zip(&ids[3..]) {
        let paid = counts.get(id).copied().unwrap_or(0);
        assert!(paid <= 1, "{paid} {body}");
        if paid == 1 {
            // A call that was made and billed is answered as such.
            assert_eq!(*status, 200, "{body}");
            assert!(body.contains("\"billed_calls\":1"), "{body}");
        } else {
            assert!(
                body.contains("\"billing\":\"not_billed\""),
                "{status} {body}"
            );
        }
    }
    // Once it is back, the same people are answered from the ledger: nobody paid twice.
    let again = verify_all(std::slice::from_ref(&replica.base), &token, &ids).await;
    assert!(again.iter().all(|(s, _)| *s == 200), "{again:?}");
    let counts = sandbox.billed_by_person();
    assert!(
        ids.iter()
            .all(|id| counts.get(id).copied().unwrap_or(0) == 1),
        "{counts:?}"
    );

    // Down longer than recording is tried: the paid answers still go out, marked unrecorded,
    // and are recorded once the database is back; asked again, they are reused.
    let later: Vec<String> = people(27, 6).into_iter().map(|(id, _)| id).collect();
    let started_before = sandbox.started();
    let requests = {
        let (base, token, later) = (replica.base.clone(), token.clone(), later.clone());
        tokio::spawn(async move { verify_all(&[base], &token, &later).await })
    };
    until(Duration::from_secs(10), || {
        sandbox.started() >= started_before + 6
    })
    .await;
    relay.restart(Duration::from_secs(5));
    let answers = requests.await.unwrap();
    let counts = sandbox.billed_by_person();
    for ((status, body), id) in answers.iter().zip(&later) {
        if counts.get(id).copied().unwrap_or(0) == 1 {
            assert_eq!(*status, 200, "{body}");
            assert!(body.contains("\"billed_calls\":1"), "{body}");
        }
    }
    assert!(
        answers
            .iter()
            .any(|(_, body)| body.contains("\"recorded\":false")),
        "{answers:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = verify_all(std::slice::from_ref(&replica.base), &token, &later).await;
    assert!(again.iter().all(|(s, _)| *s == 200), "{again:?}");
    let counts = sandbox.billed_by_person();
    assert!(
        later
            .iter()
            .all(|id| counts.get(id).copied().unwrap_or(0) == 1),
        "{counts:?}"
    );
    drop(replica);
}

macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(Store::Sqlite).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(Store::Postgres).await;
                }
            )*
        }
    };
}

on_both_stores!(
    a_clock_a_minute_ahead_does_not_resend_live_calls,
    a_clock_a_month_ahead_still_reuses_answers,
    a_budget_is_a_cap_when_calls_time_out,
    a_replica_a_day_ahead_shares_the_budget_day,
    a_burst_at_the_gateway_qps_is_never_throttled,
);

// A process stopped (SIGSTOP) in the instant it writes holds a SQLite file's write lock, and
// every other process on the file waits for it (SQLite's design: one writer, file locks): so
// the pauses are proved where processes share a server, PostgreSQL. The lease and send-gate
// logic they prove is the same code for every store.
mod paused {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_paused_batch_is_waited_for_and_its_late_answers_kept() {
        super::a_paused_batch_is_waited_for_and_its_late_answers_kept(Store::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_paused_batch_never_sends_claims_that_lapsed() {
        super::a_paused_batch_never_sends_claims_that_lapsed(Store::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_paused_batch_does_not_burst_past_the_qps_when_it_resumes() {
        super::a_paused_batch_does_not_burst_past_the_qps_when_it_resumes(Store::Postgres).await;
    }
}
