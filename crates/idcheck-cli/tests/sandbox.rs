//! The CLI end to end against the sandbox started in-process on port 0: `verify` answers from
//! its registry, and a killed and resumed `batch` leaves exactly one billed call per distinct
//! valid row.

mod common;

use std::process::Stdio;

use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

fn idcheck(args: &[&str], appcode: &str) -> std::process::Output {
    common::idcheck_command()
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
