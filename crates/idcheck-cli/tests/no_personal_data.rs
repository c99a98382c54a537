//! For generated people, no output of `verify` or `batch` — human text, `--json`, CSV and
//! JSON Lines files, errors, logs at trace level — nor the ledger's own file holds an ID
//! number, the birthday it encodes, a mobile or a name unmasked, unless `--unmasked` was
//! given (and then it does: the check can see a leak).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use idcheck_sandbox::{DEFAULT_APPCODE, Registry, Sandbox, SandboxConfig};
use proptest::prelude::*;

const LEDGER_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const REGIONS: [&str; 6] = ["110105", "310104", "440305", "510107", "330106", "320102"];
const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "欧阳", "黄", "司马"];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "杰", "娟",
];
const SEGMENTS: [&str; 5] = ["138", "139", "186", "150", "189"];

#[derive(Clone, Debug)]
struct Person {
    id: String,
    /// `YYYYMMDD`, as in the number.
    birthday: String,
    name: String,
    mobile: String,
}

impl Person {
    /// What must never be printed or stored unmasked.
    fn secrets(&self) -> Vec<String> {
        let b = &self.birthday;
        vec![
            self.id.clone(),
            b.clone(),
            format!("{}-{}-{}", &b[..4], &b[4..6], &b[6..]),
            format!("{}年{}月{}日", &b[..4], &b[4..6], &b[6..]),
            self.name.clone(),
            self.mobile.clone(),
        ]
    }
}

fn person() -> impl Strategy<Value = Person> {
    (
        0..REGIONS.len(),
        1950i32..2006,
        1u32..13,
        1u32..29,
        0u32..1000,
        0..SURNAMES.len(),
        proptest::collection::vec(0..GIVEN.len(), 1..3),
        0..SEGMENTS.len(),
        0u32..100_000_000,
    )
        .prop_map(
            |(region, year, month, day, sequence, surname, given, segment, line)| {
                let birthday = format!("{year}{month:02}{day:02}");
                let mut id = format!("{}{birthday}{sequence:03}", REGIONS[region]);
                let sum: u32 = id
                    .bytes()
                    .zip(WEIGHTS)
                    .map(|(b, w)| u32::from(b - b'0') * w)
                    .sum();
                id.push(char::from(CHECK[(sum % 11) as usize]));
                let mut name = SURNAMES[surname].to_owned();
                for g in given {
                    name.push_str(GIVEN[g]);
                }
                Person {
                    id,
                    birthday,
                    name,
                    mobile: format!("{}{line:08}", SEGMENTS[segment]),
                }
            },
        )
}

/// Three people, distinct by ID number.
fn people() -> impl Strategy<Value = Vec<Person>> {
    proptest::collection::vec(person(), 3).prop_filter("distinct ID numbers", |p| {
        p[0].id != p[1].id && p[1].id != p[2].id && p[0].id != p[2].id
    })
}

struct Case {
    dir: PathBuf,
    base_url: String,
}

impl Case {
    fn idcheck(&self, args: &[&str]) -> Output {
        common::idcheck_command()
            .args(args)
            .env("IDCHECK_APPCODE", DEFAULT_APPCODE)
            .env_remove("IDCHECK_APP_KEY")
            .env_remove("IDCHECK_APP_SECRET")
            .env("IDCHECK_LEDGER", self.dir.join("ledger.sqlite"))
            .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
            .env("RUST_LOG", "trace")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn everything(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_clean(what: &str, text: &str, people: &[Person]) {
    for person in people {
        for secret in person.secrets() {
            assert!(
                !text.contains(&secret),
                "{what} holds {secret:?} unmasked:\n{text}"
            );
        }
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "idcheck-no-pd-{}-{}",
        std::process::id(),
        fastrand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The sandbox knows the first person, the second under another name (a mismatch), not the
/// third (no record).
fn registry(people: &[Person]) -> Registry {
    let mut csv = String::from("name,id,mobile,carrier,photo\n");
    let _ = writeln!(
        csv,
        "{},{},{},,",
        people[0].name, people[0].id, people[0].mobile
    );
    let _ = writeln!(
        csv,
        "{}某,{},{},,",
        people[1].name, people[1].id, people[1].mobile
    );
    Registry::from_csv(&csv, Path::new(".")).unwrap()
}

#[allow(clippy::too_many_lines)] // one scenario, step by step
fn check_outputs(people: &[Person]) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = SandboxConfig {
        registry: registry(people),
        ..SandboxConfig::default()
    };
    let sandbox = runtime
        .block_on(Sandbox::start(config, "127.0.0.1:0"))
        .unwrap();
    let case = Case {
        dir: scratch_dir(),
        base_url: sandbox.base_url(),
    };
    let base = case.base_url.as_str();
    let [first, second, third] = [&people[0], &people[1], &people[2]];

    // verify: a match (human), a mismatch (--json), a mobile check, an error (no vendor there).
    let identity = |p: &Person, extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--provider",
            "idcardcert,checkone",
            "--id",
            &p.id,
            "--name",
            &p.name,
            "--base-url",
            base,
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        case.idcheck(&args)
    };
    for (what, output) in [
        ("verify (match)", run(identity(first, &[]))),
        (
            "verify --json (mismatch)",
            run(identity(second, &["--json"])),
        ),
        ("verify (no record)", run(identity(third, &[]))),
        (
            "verify --check mobile",
            case.idcheck(&[
                "verify",
                "--provider",
                "checkphone",
                "--id",
                &first.id,
                "--name",
                &first.name,
                "--mobile",
                &first.mobile,
                "--base-url",
                base,
            ]),
        ),
        (
            "verify (unreachable vendor)",
            case.idcheck(&[
                "verify",
                "--provider",
                "idcardcert",
                "--id",
                &third.id,
                "--name",
                &third.name,
                "--base-url",
                "http://127.0.0.1:9",
                "--fresh",
            ]),
        ),
    ] {
        assert!(
            output.status.code().is_some_and(|c| c <= 3),
            "{what}: {}",
            everything(&output)
        );
        assert_clean(what, &everything(&output), people);
    }

    // batch: the three, a duplicate, a typo in a check character; CSV to a file, JSONL out.
    let mut csv = String::from("id,name,mobile\n");
    for p in [first, second, third, first] {
        let _ = writeln!(csv, "{},{},{}", p.id, p.name, p.mobile);
    }
    let mut typo = third.id.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let _ = writeln!(csv, "{typo},{},{}", third.name, third.mobile);
    let input = case.dir.join("people.csv");
    std::fs::write(&input, csv).unwrap();
    let out_csv = case.dir.join("out.csv");
    let batch = |extra: &[&str]| {
        let mut args = vec![
            "batch",
            input.to_str().unwrap(),
            "--provider",
            "idcardcert,checkone",
            "--base-url",
            base,
            "--rate",
            "0",
        ];
        args.extend_from_slice(extra);
        case.idcheck(&args)
    };
    let output = batch(&["--output", out_csv.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", everything(&output));
    assert_clean("batch (CSV) terminal", &everything(&output), people);
    assert_clean(
        "batch CSV file",
        &std::fs::read_to_string(&out_csv).unwrap(),
        people,
    );
    let output = batch(&[
        "--format",
        "jsonl",
        "--check",
        "mobile",
        "--provider",
        "checkphone",
    ]);
    assert_clean("batch --format jsonl", &everything(&output), people);
    let output = batch(&["--dry-run"]);
    assert_clean("batch --dry-run", &everything(&output), people);

    for args in [
        &["ledger", "stats"][..],
        &["ledger", "stats", "--json"],
        &["ledger", "unresolved", "--json"],
        &["ledger", "report", "--since", "2000-01-01"],
    ] {
        let output = case.idcheck(args);
        assert_clean(&args.join(" "), &everything(&output), people);
    }
    let ledger = std::fs::read(case.dir.join("ledger.sqlite")).unwrap();
    assert_clean("the ledger file", &String::from_utf8_lossy(&ledger), people);

    // The control: asked for, the inputs are there, so the checks above can see them.
    let output = batch(&["--unmasked"]);
    let text = everything(&output);
    assert!(
        text.contains(&first.id) && text.contains(&first.name),
        "{text}"
    );

    drop(sandbox);
    let _ = std::fs::remove_dir_all(&case.dir);
}

proptest! {
    // Each case runs a dozen processes.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn no_output_holds_personal_data_unmasked(people in people()) {
        check_outputs(&people);
    }
}
