//! `idcheck batch` throughput, as a bench binary (one long run each, not criterion samples):
//!
//! 1. phase 1 (`--dry-run`) on generated files of 1,000,000 and 5,000,000 rows
//!    (`id,name,mobile`: 5% wrong check characters, 0.5% impossible dates, 10% exact
//!    duplicates), identity and mobile checks: rows per second and peak RSS of the `idcheck`
//!    process, against a floor loop in the same run (this binary run again as a child:
//!    csv `ByteRecord` reader, the core's parsers, an exact key packed into integers in a
//!    foldhash map, one buffered write per row, the same output, checked byte for byte);
//! 2. phase 2 against a local httpmock vendor, 10,000 distinct people at concurrency 32, on
//!    each ledger (memory, SQLite, PostgreSQL from `IDCHECK_TEST_POSTGRES`), vs a bare
//!    reqwest loop sending the same 10,000 requests 32 at a time, in the same run.
//!
//! Peak RSS is the kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`) of the child,
//! read every 2 ms until it exits: a peak reached in its last 2 ms would be missed (the
//! engine's peak is its index of distinct requests, reached before the last rows are
//! written). Times are wall clock from spawn to exit and CPU time (user + system, from
//! `/proc/<pid>/stat` after the exit), each the best of interleaved rounds (five for 1M
//! rows, three for 5M).
//!
//! 3. `-- workbook`: phase 1 on a 200,000-row `.xlsx` (the same rows as text cells) against
//!    pandas merely reading it, `read_excel(engine="calamine", dtype=str)`, timed inside
//!    Python after its imports (the Python with pandas and python-calamine from
//!    `IDCHECK_BENCH_PYTHON`, default `python3`), best of five each, peak RSS of both.
//!
//! `cargo bench -p idcheck-cli --bench batch` (`-- phase2` for the paid phase alone, which
//! also runs the same file again, every answer reused from the ledger; `-- workbook` for the
//! workbook alone)

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Read as _, Write as _};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use httpmock::MockServer;
use idcheck::{IdNumber, Mobile, Name};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const SURNAMES: [&str; 10] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰"];

/// A valid ID number for person `i`: a birthday walking forward from 1950, a sequence number.
fn id_number(i: usize) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
        + chrono::Days::new(u64::try_from(i % 20_000).unwrap());
    let mut id = format!("110105{}{:03}", day.format("%Y%m%d"), i / 20_000 % 1000);
    id.push(check_character(&id));
    id
}

fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    char::from(CHECK[usize::try_from(sum % 11).unwrap()])
}

fn name(i: usize) -> String {
    format!(
        "{}{}{}",
        SURNAMES[i % 10],
        GIVEN[i / 10 % 10],
        GIVEN[i / 100 % 10]
    )
}

/// `rows` people (`name,id`) for phase 2; every 20th row has a typo in its check character.
fn people(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 40);
    csv.push_str("name,id\n");
    for i in 0..rows {
        let mut id = id_number(i);
        if i % 20 == 19 {
            let last = if id.ends_with('0') { '1' } else { '0' };
            id.pop();
            id.push(last);
        }
        let _ = writeln!(csv, "{},{id}", name(i));
    }
    csv
}

/// Region codes of the generated people (all current codes).
const REGIONS: [&str; 12] = [
    "110105", "310104", "440305", "510107", "330106", "420102", "370521", "210102", "650102",
    "110103", "320102", "440106",
];
const MORE_GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华", "玉", "兰", "军",
];
const MORE_SURNAMES: [&str; 24] = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "欧阳", "司马", "诸葛", "上官",
];
const SEGMENTS: [&str; 10] = [
    "138", "139", "186", "158", "177", "136", "189", "192", "135", "131",
];

/// Person `p`'s line, the same every time: 5% have a wrong check character, 0.5% an
/// impossible birthday (with a right check character).
fn person(p: u64, line: &mut String) {
    let mut rng = fastrand::Rng::with_seed(p.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let kind = rng.u32(0..1000);
    let (year, month, day) = if (50..55).contains(&kind) {
        let (month, day) = [(2, 30), (2, 31), (4, 31), (13, 1), (0, 10), (6, 31)][rng.usize(0..6)];
        (rng.u32(1950..2005), month, day)
    } else {
        (rng.u32(1940..2010), rng.u32(1..13), rng.u32(1..29))
    };
    let first17 = format!(
        "{}{year:04}{month:02}{day:02}{:03}",
        REGIONS[rng.usize(0..REGIONS.len())],
        rng.u32(0..1000)
    );
    let mut check = check_character(&first17);
    if kind < 50 {
        let right = check;
        while check == right {
            check = char::from(CHECK[rng.usize(0..11)]);
        }
    }
    line.clear();
    let _ = write!(line, "{first17}{check},{}", MORE_SURNAMES[rng.usize(0..24)]);
    for _ in 0..rng.usize(1..3) {
        line.push_str(MORE_GIVEN[rng.usize(0..24)]);
    }
    let _ = writeln!(
        line,
        ",{}{:08}",
        SEGMENTS[rng.usize(0..SEGMENTS.len())],
        rng.u32(0..100_000_000)
    );
}

/// Writes the issue's file of `rows` rows: `id,name,mobile`, 10% of the rows an exact copy of
/// an earlier person's row.
fn write_mix(path: &Path, rows: usize) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    out.write_all(b"id,name,mobile\n").unwrap();
    let mut rng = fastrand::Rng::with_seed(14);
    let mut people = 0_u64;
    let mut line = String::new();
    for _ in 0..rows {
        if people > 0 && rng.u32(0..10) == 0 {
            person(rng.u64(0..people), &mut line);
        } else {
            person(people, &mut line);
            people += 1;
        }
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

/// The CSV header row `idcheck batch` writes before the first line.
const HEADER: &[u8] = b"row,status,provider,face,raw_code,vendor_request_id,gateway_request_id,billed_calls,same_as_row,detail,id,name,mobile\n";

/// The floor: what phase 1 must do at the least, written plainly for this file (UTF-8, comma,
/// `id,name,mobile`, names of at most 16 bytes), with the same output as `idcheck batch
/// FILE --dry-run [--check mobile]`.
fn floor(mobile_check: bool, input: &Path, output: &Path) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(File::open(input).unwrap());
    let headers = reader.byte_headers().unwrap().clone();
    let column = |name: &[u8]| headers.iter().position(|h| h == name).unwrap();
    let (id_column, name_column, mobile_column) =
        (column(b"id"), column(b"name"), column(b"mobile"));
    let mut out = BufWriter::with_capacity(64 * 1024, File::create(output).unwrap());
    let mut seen: HashMap<(u64, u64, u128), u32, idcheck_batch::FoldHashState> = HashMap::default();
    let mut record = csv::ByteRecord::new();
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut text = String::new();
    let mut number = 0_u32;
    while reader.read_byte_record(&mut record).unwrap() {
        number += 1;
        line.clear();
        if number == 1 {
            line.extend_from_slice(HEADER);
        }
        let cell = |c: usize| std::str::from_utf8(&record[c]).unwrap().trim();
        let (id_cell, name_cell) = (cell(id_column), cell(name_column));
        // An identity check does not send the mobile, but shows it, masked, when valid.
        let mobile_cell = cell(mobile_column);
        text.clear();
        let parsed = IdNumber::parse(id_cell)
            .map_err(|e| write!(text, "ID number: {e}"))
            .and_then(|id| {
                Name::parse(name_cell)
                    .map(|name| (id, name))
                    .map_err(|e| write!(text, "name: {e}"))
            })
            .and_then(|(id, name)| {
                if mobile_check {
                    Mobile::parse(mobile_cell)
                        .map(|mobile| (id, name, Some(mobile)))
                        .map_err(|e| write!(text, "mobile: {e}"))
                } else {
                    Ok((id, name, None))
                }
            });
        let shown_mobile = match &parsed {
            Ok((_, _, Some(mobile))) => Some(*mobile),
            Ok(_) => Mobile::parse(mobile_cell).ok(),
            Err(_) => None,
        };
        push_number(&mut line, number);
        line.push(b',');
        if let Ok((id, name, mobile)) = parsed {
            let key = (
                packed_digits(id.as_str()),
                mobile.map_or(0, |m| packed_digits(m.as_str())),
                packed_bytes(name.as_str()),
            );
            let first = *seen.entry(key).or_insert(number);
            line.extend_from_slice(b"valid,,,,,,0,");
            if first != number {
                push_number(&mut line, first);
            }
            line.extend_from_slice(b",,");
            line.extend_from_slice(id.masked().as_str().as_bytes());
            let _ = write!(line, ",{},", name.masked());
            if let Some(mobile) = shown_mobile {
                line.extend_from_slice(mobile.masked().as_str().as_bytes());
            }
        } else {
            line.extend_from_slice(b"rejected,,,,,,0,,");
            if text.contains([',', '"']) {
                let _ = write!(line, "\"{}\"", text.replace('"', "\"\""));
            } else {
                line.extend_from_slice(text.as_bytes());
            }
            for cell in [id_cell, name_cell, mobile_cell] {
                line.push(b',');
                if !cell.is_empty() {
                    let _ = write!(line, "({} characters)", cell.chars().count());
                }
            }
        }
        line.push(b'\n');
        out.write_all(&line).unwrap();
    }
    out.flush().unwrap();
}

/// A decimal number, without `core::fmt`.
fn push_number(line: &mut Vec<u8>, mut value: u32) {
    let mut digits = [0_u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + u8::try_from(value % 10).unwrap();
        value /= 10;
        if value == 0 {
            break;
        }
    }
    line.extend_from_slice(&digits[at..]);
}

/// ASCII digits (and an ID number's X) as one integer: exact for 18 characters.
fn packed_digits(text: &str) -> u64 {
    text.bytes().fold(0, |value, b| {
        value * 11 + if b == b'X' { 10 } else { u64::from(b - b'0') }
    })
}

/// Up to 16 bytes as one integer.
fn packed_bytes(text: &str) -> u128 {
    assert!(text.len() <= 16, "names of the generated file fit");
    text.bytes().fold(0, |value, b| value << 8 | u128::from(b))
}

/// The peak RSS (KiB) in a `/proc/<pid>/status` text.
fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One run of a child process.
#[derive(Clone, Copy)]
struct Run {
    /// From spawn to exit.
    wall: Duration,
    /// User + system CPU time (less disturbed than wall time by other work on the machine).
    cpu: Duration,
    /// Peak RSS, KiB.
    peak: u64,
}

impl Run {
    /// The best times and the highest peak of two runs.
    fn best(self, other: Self) -> Self {
        Self {
            wall: self.wall.min(other.wall),
            cpu: self.cpu.min(other.cpu),
            peak: self.peak.max(other.peak),
        }
    }
}

/// The state and user + system CPU time (clock ticks of 1/100 s, Linux's `USER_HZ`) in a
/// `/proc/<pid>/stat` text.
fn state_and_ticks(stat: &str) -> Option<(char, u64)> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((fields.first()?.chars().next()?, ticks(11)? + ticks(12)?))
}

/// Runs `command` to its end: wall time, CPU time (read from `/proc/<pid>/stat` once it has
/// exited and before it is reaped: exact), and its peak RSS (its `VmHWM`, read every 2 ms
/// while it runs: a peak in its last 2 ms would be missed).
fn measured(command: &mut Command) -> Run {
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let stat = format!("/proc/{}/stat", child.id());
    let mut peak = 0;
    // Not reaped until its CPU time is read: a zombie keeps it.
    let ticks = loop {
        if let Some(('Z', ticks)) = std::fs::read_to_string(&stat)
            .ok()
            .as_deref()
            .and_then(state_and_ticks)
        {
            break ticks;
        }
        if let Some(kib) = std::fs::read_to_string(&status)
            .ok()
            .as_deref()
            .and_then(vm_hwm)
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{command:?}: {exit}");
    Run {
        wall,
        cpu: Duration::from_millis(ticks * 10),
        peak,
    }
}

/// Whether two files hold the same bytes.
fn same_bytes(left: &Path, right: &Path) -> bool {
    let mut files = (File::open(left).unwrap(), File::open(right).unwrap());
    let mut buffers = (vec![0; 1 << 20], vec![0; 1 << 20]);
    loop {
        let read = files.0.read(&mut buffers.0).unwrap();
        let mut filled = 0;
        while filled < read {
            let more = files.1.read(&mut buffers.1[filled..read]).unwrap();
            if more == 0 {
                return false;
            }
            filled += more;
        }
        if buffers.0[..read] != buffers.1[..read] {
            return false;
        }
        if read == 0 {
            return files.1.read(&mut buffers.1).unwrap() == 0;
        }
    }
}

/// Phase 1 on `rows` rows: `idcheck batch --dry-run` and the floor, interleaved, best of
/// `rounds`; prints rows/s, peak RSS and the ratio. Returns, for each check, the distinct
/// requests and idcheck's peak RSS (KiB).
fn phase1_against_floor(dir: &Path, rows: usize, rounds: usize) -> Vec<(u64, u64)> {
    let mut found = Vec::new();
    let input = dir.join(format!("mix-{rows}.csv"));
    write_mix(&input, rows);
    let size = std::fs::metadata(&input).unwrap().len();
    for check in ["identity", "mobile"] {
        let engine_out = dir.join(format!("engine-{check}.csv"));
        let floor_out = dir.join(format!("floor-{check}.csv"));
        let worst = Run {
            wall: Duration::MAX,
            cpu: Duration::MAX,
            peak: 0,
        };
        let (mut engine, mut floor) = (worst, worst);
        for _ in 0..rounds {
            engine = engine.best(measured(
                Command::new(env!("CARGO_BIN_EXE_idcheck"))
                    .args(["batch", "--dry-run", "--check", check, "--output"])
                    .arg(&engine_out)
                    .arg(&input)
                    .stderr(File::create(dir.join("engine.err")).unwrap()),
            ));
            floor = floor.best(measured(
                Command::new(std::env::current_exe().unwrap())
                    .args(["floor", check])
                    .arg(&input)
                    .arg(&floor_out),
            ));
        }
        assert!(
            same_bytes(&engine_out, &floor_out),
            "the floor writes what idcheck batch writes"
        );
        let per_second = |d: Duration| f64::from(u32::try_from(rows).unwrap()) / d.as_secs_f64();
        let mib = |kib: u64| f64::from(u32::try_from(kib).unwrap()) / 1024.0;
        println!(
            "phase 1, {rows} rows ({:.0} MB), --check {check}: idcheck batch --dry-run {:.2} s = {:.0} rows/s ({:.2} s CPU), peak RSS {:.1} MiB; floor {:.2} s = {:.0} rows/s ({:.2} s CPU), peak RSS {:.1} MiB; ratio {:.2} (CPU {:.2})",
            f64::from(u32::try_from(size).unwrap()) / 1e6,
            engine.wall.as_secs_f64(),
            per_second(engine.wall),
            engine.cpu.as_secs_f64(),
            mib(engine.peak),
            floor.wall.as_secs_f64(),
            per_second(floor.wall),
            floor.cpu.as_secs_f64(),
            mib(floor.peak),
            engine.wall.as_secs_f64() / floor.wall.as_secs_f64(),
            engine.cpu.as_secs_f64() / floor.cpu.as_secs_f64()
        );
        // "… 1000000 rows: 944726 valid (850062 distinct, …"
        let summary = std::fs::read_to_string(dir.join("engine.err")).unwrap();
        let distinct: u64 = summary
            .split_once(" valid (")
            .and_then(|(_, rest)| rest.split_once(' '))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap();
        found.push((distinct, engine.peak));
        let _ = std::fs::remove_file(engine_out);
        let _ = std::fs::remove_file(floor_out);
    }
    let _ = std::fs::remove_file(input);
    found
}

fn idcheck(dir: &Path, ledger: &str, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_idcheck"))
        .current_dir(dir)
        .args(args)
        .env("IDCHECK_APPCODE", "0123456789abcdef0123456789abcdef")
        .env("IDCHECK_LEDGER", ledger)
        .env(
            "IDCHECK_LEDGER_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// The same GET requests, 32 at a time, with nothing but reqwest.
fn bare_reqwest_loop(runtime: &tokio::runtime::Runtime, base: &str, csv: &str) -> Duration {
    let people: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (name, id) = l.split_once(',').unwrap();
            (name.to_owned(), id.to_owned())
        })
        .collect();
    let client = idcheck::gateway::reqwest::Client::new();
    runtime.block_on(async {
        let started = Instant::now();
        let permits = Arc::new(tokio::sync::Semaphore::new(32));
        let mut tasks = tokio::task::JoinSet::new();
        for (name, id) in people {
            let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
            let client = client.clone();
            let base = base.to_owned();
            tasks.spawn(async move {
                let _permit = permit;
                let query = format!(
                    "idCard={id}&name={}",
                    name.bytes().fold(String::new(), |mut s, b| {
                        let _ = write!(s, "%{b:02X}");
                        s
                    })
                );
                let response = client
                    .get(format!("{base}/idCardCert?{query}"))
                    .header("Authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                    .send()
                    .await
                    .unwrap();
                response.bytes().await.unwrap().len()
            });
        }
        while tasks.join_next().await.is_some() {}
        started.elapsed()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Run again as a child by `phase1_against_floor`: `floor CHECK INPUT OUTPUT`.
    if args.get(1).map(String::as_str) == Some("floor") {
        floor(
            args[2] == "mobile",
            Path::new(&args[3]),
            Path::new(&args[4]),
        );
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, without it:
    // then a small run checks the harness works, quickly.
    let full = args.iter().any(|a| a == "--bench");
    let calls = if full { 10_000 } else { 50 };
    let dir = std::env::temp_dir().join(format!("idcheck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // `cargo bench -p idcheck-cli --bench batch -- workbook`: a workbook against pandas.
    if args.iter().any(|a| a == "workbook") {
        workbook_against_pandas(
            &dir,
            if full { 200_000 } else { 2_000 },
            if full { 5 } else { 1 },
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // `cargo bench -p idcheck-cli --bench batch -- phase2`: the paid phase alone.
    if args.iter().any(|a| a == "phase2") {
        phase2_against_reqwest(&dir, calls);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let (small, large) = if full {
        (
            phase1_against_floor(&dir, 1_000_000, 5),
            phase1_against_floor(&dir, 5_000_000, 3),
        )
    } else {
        (
            phase1_against_floor(&dir, 2_000, 1),
            phase1_against_floor(&dir, 20_000, 1),
        )
    };
    for (check, (small, large)) in ["identity", "mobile"].iter().zip(small.iter().zip(&large)) {
        let more = large.0.saturating_sub(small.0).max(1);
        println!(
            "phase 1, --check {check}: {} then {} distinct requests, peak RSS grows {:.1} bytes a distinct request",
            small.0,
            large.0,
            f64::from(u32::try_from(large.1.saturating_sub(small.1) * 1024).unwrap())
                / f64::from(u32::try_from(more).unwrap())
        );
    }
    phase2_against_reqwest(&dir, calls);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Phase 2: `calls` distinct people through idcheck batch on each ledger, against a bare
/// reqwest loop sending the same requests, against one httpmock vendor.
fn phase2_against_reqwest(dir: &Path, calls: usize) {
    let output = dir.join("out.csv");
    let output = output.to_str().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start_async());
    let mock = runtime.block_on(server.mock_async(|when, then| {
        when.path("/idCardCert");
        then.status(200)
            .header("X-Ca-Request-Id", "REQ")
            .body(r#"{"status":"01","msg":"实名认证通过!","sex":"男","birthday":"1950-01-01","addrCode":"110105"}"#);
    }));
    let csv: String = people(calls * 20 / 19 + 1)
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 20 != 0)
        .take(calls + 1)
        .fold(String::new(), |mut all, (_, line)| {
            all.push_str(line);
            all.push('\n');
            all
        });
    std::fs::write(dir.join("calls.csv"), &csv).unwrap();
    let base = server.base_url();
    let postgres = std::env::var("IDCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("batch_bench_{}", std::process::id());
    let sep = if postgres.contains('?') { '&' } else { '?' };
    let ledgers = [
        ("memory", "memory".to_owned()),
        ("sqlite", dir.join("ledger.sqlite").display().to_string()),
        ("postgres", format!("{postgres}{sep}schema={schema}")),
    ];
    let batch_args = [
        "batch",
        "calls.csv",
        "--provider",
        "idcardcert",
        "--base-url",
        &base,
        "--concurrency",
        "32",
        "--rate",
        "0",
        "--output",
        output,
    ];
    let mut sent = 0;
    for (name, ledger) in &ledgers {
        let batch = idcheck(dir, ledger, &batch_args);
        sent += calls;
        assert_eq!(mock.calls(), sent, "one call per distinct person");
        // The same file again: every answer reused from the ledger, nothing sent (a memory
        // ledger ends with its process: nothing to reuse).
        if *name == "memory" {
            let bare_loop = bare_reqwest_loop(&runtime, &base, &csv);
            sent += calls;
            assert_eq!(mock.calls(), sent);
            println!(
                "phase 2, {calls} calls at concurrency 32 against httpmock, memory ledger: idcheck batch {:.2} s, bare reqwest loop {:.2} s, ratio {:.2}",
                batch.as_secs_f64(),
                bare_loop.as_secs_f64(),
                batch.as_secs_f64() / bare_loop.as_secs_f64()
            );
            continue;
        }
        let reuse = idcheck(dir, ledger, &batch_args);
        assert_eq!(mock.calls(), sent, "a re-run reuses every answer");
        let bare_loop = bare_reqwest_loop(&runtime, &base, &csv);
        sent += calls;
        assert_eq!(mock.calls(), sent);
        let per_second =
            |took: Duration| f64::from(u32::try_from(calls).unwrap()) / took.as_secs_f64();
        println!(
            "phase 2, {calls} calls at concurrency 32 against httpmock, {name} ledger: idcheck batch {:.2} s = {:.0} calls/s (process start, phase 1, ledger, router, output included), bare reqwest loop {:.2} s = {:.0} calls/s, ratio {:.2}; the same file again (every answer reused) {:.2} s = {:.0} answers/s ({:.1}x the paid run)",
            batch.as_secs_f64(),
            per_second(batch),
            bare_loop.as_secs_f64(),
            per_second(bare_loop),
            batch.as_secs_f64() / bare_loop.as_secs_f64(),
            reuse.as_secs_f64(),
            per_second(reuse),
            batch.as_secs_f64() / reuse.as_secs_f64()
        );
    }
    let _ = Command::new("psql")
        .args([
            postgres.as_str(),
            "-c",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
}

/// Phase 1 on a workbook of `rows` people against pandas reading it (see the module's doc).
fn workbook_against_pandas(dir: &Path, rows: usize, rounds: usize) {
    let csv = dir.join("mix.csv");
    write_mix(&csv, rows);
    let input = dir.join("mix.xlsx");
    {
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory();
        for (r, line) in text.lines().enumerate() {
            for (c, cell) in line.split(',').enumerate() {
                sheet
                    .write_string(u32::try_from(r).unwrap(), u16::try_from(c).unwrap(), cell)
                    .unwrap();
            }
        }
        workbook.save(&input).unwrap();
    }
    let size = std::fs::metadata(&input).unwrap().len();
    let output = dir.join("out.csv");
    let worst = Run {
        wall: Duration::MAX,
        cpu: Duration::MAX,
        peak: 0,
    };
    let python = std::env::var("IDCHECK_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = "import sys, time, pandas\n\
                  t = time.perf_counter()\n\
                  frame = pandas.read_excel(sys.argv[1], engine='calamine', dtype=str)\n\
                  print(time.perf_counter() - t, len(frame))";
    let (mut engine, mut pandas, mut pandas_read) = (worst, worst, f64::MAX);
    for _ in 0..rounds {
        engine = engine.best(measured(
            Command::new(env!("CARGO_BIN_EXE_idcheck"))
                .args(["batch", "--dry-run", "--output"])
                .arg(&output)
                .arg(&input)
                .stderr(File::create(dir.join("engine.err")).unwrap()),
        ));
        let printed = dir.join("pandas.out");
        let run = measured(
            Command::new(&python)
                .args(["-c", script])
                .arg(&input)
                .stdout(File::create(&printed).unwrap())
                .stderr(std::process::Stdio::null()),
        );
        let printed = std::fs::read_to_string(&printed).unwrap_or_default();
        if let Some((seconds, frame_rows)) = printed.trim().split_once(' ') {
            assert_eq!(frame_rows, rows.to_string(), "pandas read every row");
            pandas_read = pandas_read.min(seconds.parse().unwrap());
            pandas = pandas.best(run);
        }
    }
    let written = std::fs::read_to_string(&output).unwrap().lines().count();
    assert_eq!(written, rows + 1, "idcheck wrote every row");
    let mib = |kib: u64| f64::from(u32::try_from(kib).unwrap()) / 1024.0;
    print!(
        "workbook, {rows} rows ({:.1} MB .xlsx): idcheck batch --dry-run (whole process: read, check, write) {:.2} s ({:.2} s CPU), peak RSS {:.1} MiB",
        f64::from(u32::try_from(size).unwrap()) / 1e6,
        engine.wall.as_secs_f64(),
        engine.cpu.as_secs_f64(),
        mib(engine.peak)
    );
    if pandas_read < f64::MAX {
        println!(
            "; pandas read_excel(engine=\"calamine\", dtype=str) alone {pandas_read:.2} s (its process {:.2} s with imports), peak RSS {:.1} MiB; ratio idcheck / pandas read {:.2}",
            pandas.wall.as_secs_f64(),
            mib(pandas.peak),
            engine.wall.as_secs_f64() / pandas_read
        );
    } else {
        println!(
            "; no pandas with python-calamine in {python} (IDCHECK_BENCH_PYTHON): not compared"
        );
    }
}
