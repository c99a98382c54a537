//! Running the `idcheck` binary, shared by the CLI test files.
// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

pub(crate) mod fleet;

use std::io::{BufRead as _, BufReader, Write};
use std::process::{Command, Output, Stdio};

/// The `idcheck` binary as a command whose home is an empty directory of this test process
/// (the real one is never touched: no ledger, no key file there), with no XDG overrides.
pub(crate) fn idcheck_command() -> Command {
    let home = std::env::temp_dir().join(format!("idcheck-test-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    let mut command = Command::new(env!("CARGO_BIN_EXE_idcheck"));
    command
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("IDCHECK_LEDGER")
        .env_remove("IDCHECK_LEDGER_KEY");
    command
}

/// Runs `idcheck` with `args`, feeding `stdin` if given.
pub(crate) fn idcheck(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = idcheck_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// The standard output as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The standard output as JSON Lines.
pub(crate) fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Spawns `command` (a batch with `--progress-every 1`), reads its progress lines until
/// `answers` answers are recorded in the ledger, then kills it (SIGKILL: nothing runs after). Returns the
/// lines read.
pub(crate) fn kill_after_answers(command: &mut Command, answers: usize) -> Vec<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let needle = format!("answered {answers}/");
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains(&needle);
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}
