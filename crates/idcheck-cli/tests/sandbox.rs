//! The CLI end to end against the sandbox started in-process on port 0: `verify` answers from
//! its registry, and a killed and resumed `batch` leaves exactly one billed call per distinct
//! valid row.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

fn idcheck(args: &[&str], appcode: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_idcheck"))
        .args(args)
        .env("IDCHECK_APPCODE", appcode)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

// The sandbox serves from this runtime's workers while the test thread waits on the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_answers_from_the_sandbox_registry() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let base = sandbox.base_url();
    let verify = |name: &str, id: &str, appcode: &str| {
        idcheck(
            &[
                "verify",
                "--provider",
                "idenauthen",
                "--id",
                id,
                "--name",
                name,
                "--base-url",
                &base,
            ],
            appcode,
        )
    };
    let matched = verify("张三", "11010519491231002X", DEFAULT_APPCODE);
    assert_eq!(
        matched.status.code(),
        Some(0),
        "{}",
        common::stdout(&matched)
    );
    let mismatched = verify("赵六", "510107197801010041", DEFAULT_APPCODE);
    assert_eq!(mismatched.status.code(), Some(1));
    let unknown = verify("孙七", "330106199909090054", DEFAULT_APPCODE);
    assert!(common::stdout(&unknown).contains("unverifiable (no_record)"));
    let refused = verify("张三", "11010519491231002X", "wrong-code");
    assert_eq!(refused.status.code(), Some(3));
    assert!(common::stdout(&refused).contains("unauthenticated"));
    assert_eq!(sandbox.billed_total(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_resumed_batch_bills_each_distinct_valid_row_once() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("idcheck-sandbox-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("people.csv"),
        include_str!("../../../examples/people.csv"),
    )
    .unwrap();
    let base = sandbox.base_url();
    let args = [
        "batch",
        "people.csv",
        "--provider",
        "idcardcert",
        "--base-url",
        &base,
        "--format",
        "jsonl",
        "--output",
        "out.jsonl",
        "--concurrency",
        "1",
        "--rate",
        "5",
        "--progress-every",
        "1",
    ];
    let mut first = Command::new(env!("CARGO_BIN_EXE_idcheck"));
    first
        .current_dir(&dir)
        .args(args)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE);
    common::kill_after_answers(&mut first, 4);
    let before = sandbox.billed_total();
    assert!((4..11).contains(&before), "{before}");

    let resumed = Command::new(env!("CARGO_BIN_EXE_idcheck"))
        .current_dir(&dir)
        .args(args)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&resumed.stderr).into_owned();
    assert_eq!(resumed.status.code(), Some(0), "{log}");
    // 14 valid rows, 11 distinct: 11 billed calls across both runs, none repeated.
    assert_eq!(sandbox.billed_total(), 11, "{:?} {log}", sandbox.billed());
    let out: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("out.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |status: &str| out.iter().filter(|r| r["status"] == status).count();
    assert_eq!(out.len(), 21);
    assert_eq!(count("rejected"), 7);
    assert_eq!(count("mismatch"), 1, "{out:?}");
    assert_eq!(count("unverifiable"), 1, "{out:?}");
    assert_eq!(count("match"), 12, "{out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
