//! Processes under test and the faults around them: `idcheck serve` replicas, PostgreSQL
//! ledgers in schemas of their own, a shifted clock (libfaketime), synthetic people.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use idcheck::gateway::reqwest;
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox};

pub(crate) const LEDGER_KEY: &str =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Person `i` of a test's own series (`series` keeps tests sharing a ledger apart): a valid ID
/// number and a name.
pub(crate) fn person(series: u32, i: usize) -> (String, String) {
    const SURNAMES: [&str; 4] = ["张", "王", "李", "赵"];
    const GIVEN: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let id = provider_testkit::with_check_character(&format!(
        "{:06}19{:02}{:02}{:02}{:03}",
        320_102 + series,
        50 + i / 336 % 50,
        1 + i % 12,
        1 + i / 12 % 28,
        i % 1000
    ));
    let name = format!(
        "{}{}{}",
        SURNAMES[i % 4],
        GIVEN[(i / 4) % 10],
        GIVEN[(i / 40) % 10]
    );
    (id, name)
}

pub(crate) fn people(series: u32, n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| person(series, i)).collect()
}

pub(crate) fn csv(people: &[(String, String)]) -> String {
    let mut text = String::from("id,name\n");
    for (id, name) in people {
        let _ = writeln!(text, "{id},{name}");
    }
    text
}

/// Each person's billed calls at the sandbox (0 for those never billed).
pub(crate) fn billed(sandbox: &Sandbox, people: &[(String, String)]) -> Vec<u64> {
    let counts = sandbox.billed_by_person();
    people
        .iter()
        .map(|(id, _)| counts.get(id).copied().unwrap_or(0))
        .collect()
}

pub(crate) fn workdir(prefix: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-{prefix}-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A PostgreSQL ledger in a schema of its own, dropped when the guard goes.
pub(crate) struct Schema {
    pub(crate) url: String,
    pub(crate) name: String,
}

impl Schema {
    pub(crate) fn location(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}", self.url, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // psql only cleans up; the tests do not depend on it.
        let _ = Command::new("psql")
            .args([
                self.url.as_str(),
                "-c",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            ])
            .output();
    }
}

pub(crate) fn postgres_url() -> String {
    std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub(crate) fn postgres(schema: &str) -> Schema {
    Schema {
        url: postgres_url(),
        name: format!("{schema}_{}_{}", std::process::id(), fastrand::u32(..)),
    }
}

/// Where a ledger lives for a test: a SQLite file in `dir`, or a PostgreSQL schema (kept
/// alive by the returned guard).
pub(crate) fn ledger_at(dir: &Path, store: Store, name: &str) -> (String, Option<Schema>) {
    match store {
        Store::Sqlite => (dir.join("ledger.sqlite").display().to_string(), None),
        Store::Postgres => {
            let schema = postgres(name);
            (schema.location(), Some(schema))
        }
    }
}

/// The two stores shared by processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Store {
    Sqlite,
    Postgres,
}

/// Environment that shifts a process's clock by `offset` (libfaketime's syntax: `+60s`,
/// `+31d`, `-1d`) while leaving its monotonic clock alone. `None` when Debian's libfaketime is
/// not installed (`.ci/run` installs it): the caller skips, except under CI, where a missing
/// tool is a failure.
pub(crate) fn shifted_clock(offset: &str) -> Option<Vec<(&'static str, String)>> {
    let library = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let Some(library) = library else {
        assert!(
            std::env::var_os("CI").is_none(),
            "libfaketime is missing: .ci/run installs Debian's faketime package"
        );
        eprintln!("skipped: libfaketime is not installed (apt-get install faketime)");
        return None;
    };
    let env = vec![
        ("LD_PRELOAD", library.to_owned()),
        ("FAKETIME", offset.to_owned()),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_owned()),
    ];
    // The shift must really apply, or the test proves nothing.
    let shown = Command::new("date")
        .arg("+%s")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let shifted: i64 = String::from_utf8_lossy(&shown.stdout)
        .trim()
        .parse()
        .unwrap();
    let real = chrono::Utc::now().timestamp();
    assert!(
        (shifted - real).abs() > 30,
        "libfaketime did not shift the clock ({offset}): {shifted} vs {real}"
    );
    Some(env)
}

/// A clients file with one client (`extra` lines added to its entry) and its token.
pub(crate) fn clients(dir: &Path, extra: &str) -> (PathBuf, String) {
    let (token, entry) = idcheck_server::new_client("app").unwrap();
    let path = dir.join("clients.toml");
    std::fs::write(&path, format!("{entry}{extra}")).unwrap();
    (path, token)
}

/// An `idcheck serve` process on a free port.
pub(crate) struct Replica {
    pub(crate) child: Child,
    pub(crate) base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Replica {
    pub(crate) fn start(sandbox: &str, ledger: &str, clients: &Path, extra: &[&str]) -> Self {
        Self::start_with(sandbox, ledger, clients, extra, &[])
    }

    /// With more environment (a shifted clock, a lease).
    pub(crate) fn start_with(
        sandbox: &str,
        ledger: &str,
        clients: &Path,
        extra: &[&str],
        env: &[(&str, String)],
    ) -> Self {
        let mut child = crate::common::idcheck_command()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--provider",
                "idcardcert",
                "--price",
                "idcardcert=0.07",
                "--base-url",
                sandbox,
                "--ledger",
                ledger,
                "--clients",
            ])
            .arg(clients)
            .args(extra)
            .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut base = None;
        let log = Arc::new(Mutex::new(Vec::new()));
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                base = Some(rest.split_whitespace().next().unwrap().to_owned());
            }
            log.lock().unwrap().push(line);
            if base.is_some() {
                break;
            }
        }
        let base = base.unwrap_or_else(|| panic!("no listening line: {:?}", log.lock().unwrap()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, base, log }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /v1/verify` of an identity check: the status and the body.
pub(crate) async fn verify(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> (u16, String) {
    let response = http
        .post(format!("{base}/v1/verify"))
        .header("authorization", format!("Bearer {token}"))
        .body(format!(
            r#"{{"check":"identity","id":"{id}","name":"测试"}}"#
        ))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Sends a signal (`STOP`, `CONT`, `TERM`, `KILL`) to a process.
pub(crate) fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}
