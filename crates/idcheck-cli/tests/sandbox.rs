//! The CLI end to end against the sandbox started in-process on port 0: `verify` answers from
//! its registry, and a killed and resumed `batch` leaves exactly one billed call per distinct
//! valid row.

mod common;

use std::fmt::Write as _;
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

/// A paid face run with `--fit-photos`: each person's oversized photo is fitted on every core,
/// kept in a spill file until it is sent, sent once; a rerun pays nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_batch_fits_each_photo_and_pays_once_per_person() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("idcheck-sandbox-faces-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ids: Vec<String> = (0..6)
        .map(|i| provider_testkit::with_check_character(&format!("44030119900101{:03}", 200 + i)))
        .collect();
    let mut csv = "id,name,photo\n".to_owned();
    for (i, id) in ids.iter().enumerate() {
        // 300×400 noisy pixels: 360 KB as a BMP, over the vendor's 100 KB of base64.
        std::fs::write(
            dir.join(format!("p{i}.bmp")),
            provider_testkit::noisy_bmp(300, 400, 0),
        )
        .unwrap();
        writeln!(csv, "{id},张三,p{i}.bmp").unwrap();
    }
    // Two rows repeated: answered once.
    writeln!(csv, "{},张三,p0.bmp\n{},张三,p3.bmp", ids[0], ids[3]).unwrap();
    std::fs::write(dir.join("faces.csv"), csv).unwrap();
    let base = sandbox.base_url();
    let run = || {
        let mut command = common::idcheck_command();
        command
            .current_dir(&dir)
            .args(["batch", "faces.csv", "--check", "face", "--fit-photos"])
            .args(["--provider", "facever", "--base-url", &base, "--rate", "0"])
            .args(["--output", "out.csv"])
            .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
            .env("IDCHECK_LEDGER", dir.join("ledger.sqlite"))
            .env("IDCHECK_LEDGER_KEY", "00".repeat(32))
            .stdin(Stdio::null());
        command
    };
    // No room for the photos to wait in (a temporary directory that is not there): nothing
    // is sent.
    let refused = run()
        .env("TMPDIR", dir.join("no-such-dir"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("cannot keep the photos for phase 2"),
        "{said}"
    );
    assert_eq!(sandbox.billed_total(), 0);

    let first = run().output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let billed = sandbox.billed_by_person();
    for id in &ids {
        assert_eq!(billed.get(id.as_str()), Some(&1), "{id}: {billed:?}");
    }
    assert_eq!(sandbox.billed_total(), 6);
    let out = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(out.lines().count(), 1 + 8, "{out}");
    for line in out.lines().skip(1) {
        let status = line.split(',').nth(1).unwrap();
        assert!(
            !["error", "rejected", "unresolved"].contains(&status),
            "{line}"
        );
    }

    let again = run().output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(sandbox.billed_total(), 6, "a rerun pays nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}
