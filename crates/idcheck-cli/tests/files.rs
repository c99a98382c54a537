//! The user's files under hostile use: an output that is the input (by name, link or hard
//! link) is refused and the input kept whole; an existing output survives a run that fails;
//! two runs writing one output cannot both succeed; files holding personal data or ledger
//! state are created 0600 whatever the umask.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::fleet::{LEDGER_KEY, clients, csv, people};
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-files-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    common::idcheck_command()
        .current_dir(dir)
        .args(args)
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = workdir("input");
    let text = csv(&people(20, 500));
    std::fs::write(dir.join("in.csv"), &text).unwrap();
    let mut names = vec!["in.csv".to_owned(), "./in.csv".to_owned()];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("in.csv"), dir.join("link.csv")).unwrap();
        std::fs::hard_link(dir.join("in.csv"), dir.join("hard.csv")).unwrap();
        names.extend(["link.csv".to_owned(), "hard.csv".to_owned()]);
    }
    for output in &names {
        let ran = run_in(&dir, &["batch", "in.csv", "--dry-run", "--output", output]);
        assert_eq!(ran.status.code(), Some(2), "{output}: {}", stderr(&ran));
        assert!(
            stderr(&ran).contains("is the input file"),
            "{}",
            stderr(&ran)
        );
        assert_eq!(std::fs::read_to_string(dir.join("in.csv")).unwrap(), text);
    }
    // The input given through a link is still the input.
    #[cfg(unix)]
    {
        let ran = run_in(
            &dir,
            &["batch", "link.csv", "--dry-run", "--output", "in.csv"],
        );
        assert_eq!(ran.status.code(), Some(2), "{}", stderr(&ran));
        assert_eq!(std::fs::read_to_string(dir.join("in.csv")).unwrap(), text);
    }
}

#[test]
fn an_existing_output_survives_a_run_that_fails() {
    let dir = workdir("survives");
    std::fs::write(dir.join("in.csv"), csv(&people(20, 5))).unwrap();
    std::fs::write(dir.join("out.csv"), "last week's results\n").unwrap();
    // No credentials; then a ledger that cannot be opened.
    for extra in [&[][..], &["--ledger", "."][..]] {
        let mut args = vec![
            "batch",
            "in.csv",
            "--provider",
            "idcardcert",
            "--output",
            "out.csv",
        ];
        args.extend_from_slice(extra);
        let mut command = common::idcheck_command();
        command
            .current_dir(&dir)
            .args(&args)
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .stdin(Stdio::null());
        if !extra.is_empty() {
            command.env("IDCHECK_APPCODE", DEFAULT_APPCODE);
        }
        let ran = command.output().unwrap();
        assert_eq!(ran.status.code(), Some(2), "{}", stderr(&ran));
        assert_eq!(
            std::fs::read_to_string(dir.join("out.csv")).unwrap(),
            "last week's results\n"
        );
    }
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_writing_one_output_cannot_both_succeed() {
    let sandbox = Sandbox::start(
        SandboxConfig {
            latency: std::time::Duration::from_millis(20),
            ..SandboxConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let dir = workdir("two");
    std::fs::write(dir.join("a.csv"), csv(&people(21, 300))).unwrap();
    std::fs::write(dir.join("b.csv"), csv(&people(22, 300))).unwrap();
    let base = sandbox.base_url();
    let spawn = |file: &str| {
        common::idcheck_command()
            .current_dir(&dir)
            .args([
                "batch",
                file,
                "--provider",
                "idcardcert",
                "--base-url",
                &base,
                "--ledger",
                "ledger.sqlite",
                "--rate",
                "0",
                "--output",
                "out.csv",
            ])
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("a.csv"), spawn("b.csv"));
    let (a, b) = tokio::task::spawn_blocking(move || {
        (a.wait_with_output().unwrap(), b.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    let codes = [a.status.code(), b.status.code()];
    // One wrote the file; the other was refused before it read a row or sent a call.
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(2)),
        "{codes:?} {} {}",
        stderr(&a),
        stderr(&b)
    );
    let refused = if a.status.code() == Some(2) { &a } else { &b };
    assert!(
        stderr(refused).contains("another run is writing"),
        "{}",
        stderr(refused)
    );
    let rows = std::fs::read_to_string(dir.join("out.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 301, "the whole output of the run that wrote it");
    assert_eq!(sandbox.billed_total(), 300);
}

/// `idcheck ARGS` in `dir` under `umask 000` (the most permissive), with a home of its own.
#[cfg(unix)]
fn under_open_umask(dir: &Path, args: &str) -> std::process::Command {
    let mut command = std::process::Command::new("sh");
    command
        .current_dir(dir)
        .args([
            "-c",
            &format!("umask 000; exec '{}' {args}", env!("CARGO_BIN_EXE_idcheck")),
        ])
        .env("HOME", dir)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
        .stdin(Stdio::null());
    command
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_and_output_files_are_private_whatever_the_umask() {
    use std::io::{BufRead as _, BufReader};
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let dir = workdir("modes");
    std::fs::write(dir.join("in.csv"), csv(&people(23, 3))).unwrap();
    let (clients, token) = clients(&dir, "");
    let base = sandbox.base_url();
    // A batch's output and its new ledger.
    let mut batch = under_open_umask(
        &dir,
        &format!(
            "batch in.csv --provider idcardcert --base-url {base} --ledger data/batch.sqlite --output out.csv"
        ),
    );
    let ran = tokio::task::spawn_blocking(move || batch.output().unwrap())
        .await
        .unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", stderr(&ran));
    assert_eq!(mode(&dir.join("out.csv")), 0o600);
    assert_eq!(mode(&dir.join("data/batch.sqlite")), 0o600);
    assert_eq!(mode(&dir.join("data")), 0o700);
    // A running service's ledger, with its write-ahead log and shared memory.
    let mut serve = under_open_umask(
        &dir,
        &format!(
            "serve --listen 127.0.0.1:0 --provider idcardcert --base-url {base} --ledger served.sqlite --clients '{}'",
            clients.display()
        ),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let service = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("listening on ")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .unwrap();
    let http = idcheck::gateway::reqwest::Client::new();
    let answer = http
        .post(format!("{service}/v1/verify"))
        .header("authorization", format!("Bearer {token}"))
        .body(r#"{"check":"identity","id":"11010519491231002X","name":"张三"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    for file in ["served.sqlite", "served.sqlite-wal", "served.sqlite-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    let _ = serve.kill();
    let _ = serve.wait();
}
