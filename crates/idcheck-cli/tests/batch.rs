//! `idcheck batch` end to end against an httpmock vendor: free offline rejects, one call per
//! distinct person, and a killed run resumed without a repeated call or a lost row.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use httpmock::prelude::*;

const APPCODE: &str = "0123456789abcdef0123456789abcdef";
const LEDGER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const PEOPLE: &str = include_str!("../../../examples/people.csv");
/// The distinct valid people of `examples/people.csv` (identity check).
const DISTINCT: [&str; 11] = [
    "张三",
    "李四",
    "王五",
    "赵六",
    "孙七",
    "周八",
    "吴九",
    "郑十",
    "欧阳测试",
    "阿卜杜·测试",
    "钱六",
];

/// A fresh directory with a copy of the example file.
fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idcheck-batch-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("people.csv"), PEOPLE).unwrap();
    dir
}

fn batch_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = common::idcheck_command();
    command
        .current_dir(dir)
        .arg("batch")
        .arg("people.csv")
        .args(args)
        .env("IDCHECK_APPCODE", APPCODE)
        .env("IDCHECK_LEDGER", dir.join("ledger.sqlite"))
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        // A killed run's claims turn unresolved half a second later, not fifteen.
        .env("IDCHECK_LEDGER_LEASE", "0.5")
        .stdin(Stdio::null());
    command
}

/// Every file of the ledger (the database, its WAL), as bytes.
fn ledger_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ledger")
        {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn batch(dir: &Path, args: &[&str]) -> Output {
    batch_command(dir, args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One mock per person, answering `status`, so calls can be counted per person.
async fn vendor(status: &str) -> (MockServer, Vec<usize>) {
    let server = MockServer::start_async().await;
    let mut ids = Vec::new();
    for name in DISTINCT {
        let body = format!(r#"{{"status":"{status}","msg":"m"}}"#);
        let mock = server
            .mock_async(|when, then| {
                when.path("/idCardCert")
                    .query_param("name", name)
                    .header("authorization", format!("APPCODE {APPCODE}"));
                then.status(200)
                    .header("X-Ca-Request-Id", "REQ-B")
                    .body(body);
            })
            .await;
        ids.push(mock.id);
    }
    (server, ids)
}

fn calls(server: &MockServer, ids: &[usize]) -> Vec<usize> {
    ids.iter()
        .map(|id| httpmock::Mock::new(*id, server).calls())
        .collect()
}

fn rows(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_dry_run_rejects_typos_for_free_and_needs_no_credentials() {
    let dir = workdir("dry");
    let output = common::idcheck_command()
        .current_dir(&dir)
        .args([
            "batch",
            "people.csv",
            "--dry-run",
            "--unit-price",
            "0.07",
            "--format",
            "jsonl",
        ])
        .env_remove("IDCHECK_APPCODE")
        .env("IDCHECK_LEDGER", dir.join("ledger.sqlite"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("21 rows: 14 valid (11 distinct, 3 duplicate rows answered once), 7 rejected offline for free (saved 0.490 yuan at 0.070 yuan a call)"),
        "{}",
        stderr(&output)
    );
    let lines = common::json_lines(&output);
    assert_eq!(lines.len(), 21);
    let rejected: Vec<_> = lines.iter().filter(|l| l["status"] == "rejected").collect();
    assert_eq!(rejected.len(), 7);
    assert_eq!(
        rejected[0]["detail"],
        "ID number: check character expected X, found 1"
    );
    assert_eq!(lines[0]["id"], "110105********002X");
    assert_eq!(lines[18]["same_as_row"], "1");
    let text = common::stdout(&output);
    assert!(
        !text.contains("11010519491231002X") && !text.contains("张三"),
        "{text}"
    );
    assert!(
        !dir.join("ledger.sqlite").exists(),
        "a dry run opens no ledger"
    );
}

#[tokio::test]
async fn each_distinct_person_is_called_once_and_a_rerun_calls_nobody() {
    let (server, ids) = vendor("01").await;
    let dir = workdir("once");
    let base = server.base_url();
    let args = [
        "--provider",
        "idcardcert",
        "--base-url",
        &base,
        "--format",
        "jsonl",
        "--output",
        "out.jsonl",
        "--unit-price",
        "0.07",
        "--rate",
        "0",
    ];
    let first = batch(&dir, &args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(calls(&server, &ids), vec![1; 11]);
    assert!(
        stderr(&first).contains("billed calls this run 11, cost 0.770 yuan"),
        "{}",
        stderr(&first)
    );
    let out = rows(&dir.join("out.jsonl"));
    assert_eq!(out.len(), 21);
    assert_eq!(out.iter().filter(|r| r["status"] == "match").count(), 14);
    assert_eq!(out.iter().filter(|r| r["status"] == "rejected").count(), 7);
    assert_eq!(out[0]["gateway_request_id"], "REQ-B");
    assert_eq!(out[18]["billed_calls"], 0, "a duplicate adds no call");
    // An identity check sends no mobile, but shows the file's, masked.
    assert_eq!(out[0]["mobile"], "138****8000");
    assert_eq!(out[1]["mobile"], "139****5678");
    let (_, dry) = dry_run_lines(&dir, &[]);
    for (paid, dry) in out.iter().zip(&dry) {
        assert_eq!(paid["mobile"], dry["mobile"], "{dry}");
    }

    let second = batch(&dir, &args);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("(11 answered from the ledger)"),
        "{}",
        stderr(&second)
    );
    assert_eq!(calls(&server, &ids), vec![1; 11]);
    // The same verdicts, codes and request ids, from the ledger: nothing billed this time.
    let again = rows(&dir.join("out.jsonl"));
    assert_eq!(again.len(), out.len());
    for (before, now) in out.iter().zip(&again) {
        for field in [
            "row",
            "status",
            "raw_code",
            "gateway_request_id",
            "id",
            "name",
        ] {
            assert_eq!(before[field], now[field], "{field}");
        }
        assert_eq!(now["billed_calls"], 0);
    }
    assert!(
        again[0]["detail"]
            .as_str()
            .unwrap()
            .contains("answered from the ledger")
    );

    // The ledger holds HMACs and scrubbed answers, never the people.
    let ledger = ledger_bytes(&dir);
    assert!(ledger.len() > 4096);
    for secret in ["11010519491231002X", "张三", "19491231"] {
        assert!(!contains(&ledger, secret), "{secret} in the ledger");
    }
}

/// A paid run whose standard error is closed (`2>&1 | head -1` after its reader left, a log
/// collector gone) goes on: progress and summary lines are dropped, not a reason to stop with
/// calls in flight.
#[tokio::test]
async fn a_closed_standard_error_does_not_stop_a_paid_run() {
    let (server, ids) = vendor("01").await;
    let dir = workdir("closed-stderr");
    let base = server.base_url();
    let mut child = batch_command(&dir, &["--provider", "idcardcert", "--base-url", &base])
        .args([
            "--output",
            "out.csv",
            "--rate",
            "0",
            "--progress-every",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(calls(&server, &ids), vec![1; 11]);
    let out = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(
        out.lines().filter(|l| l.contains(",match,")).count(),
        14,
        "{out}"
    );
}

#[tokio::test]
async fn a_killed_batch_resumes_without_a_repeated_call_or_a_lost_row() {
    let (server, ids) = vendor("02").await;
    let dir = workdir("kill");
    let base = server.base_url();
    let args = [
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
        "10",
        "--progress-every",
        "1",
    ];
    // Progress lines are printed after each answer is recorded: kill after the third.
    let seen = common::kill_after_answers(&mut batch_command(&dir, &args), 3);
    assert!(seen.iter().any(|l| l.contains("answered 3/11")), "{seen:?}");
    let before: usize = calls(&server, &ids).iter().sum();
    assert!((3..11).contains(&before), "killed after {before} calls");
    // Killed before the end: no output, and no half of one (it replaces the file at the end).
    assert!(!dir.join("out.jsonl").exists());

    let resumed = batch(&dir, &args);
    let log = stderr(&resumed);
    let per_person = calls(&server, &ids);
    // Never twice; and a request in flight at the kill is not sent again: it is unresolved.
    assert!(per_person.iter().all(|&n| n <= 1), "{per_person:?}");
    let out = rows(&dir.join("out.jsonl"));
    assert_eq!(out.len(), 21, "no row lost");
    let answered = out.iter().filter(|r| r["status"] == "mismatch").count();
    let unresolved = out.iter().filter(|r| r["status"] == "unresolved").count();
    assert_eq!(answered + unresolved + 7, 21, "{out:?}");
    assert!(unresolved <= 1, "only the call in flight at the kill");
    let sent: usize = per_person.iter().sum();
    assert!(sent <= 11 && sent + unresolved >= 11, "{sent} sent: {log}");
    if unresolved == 1 {
        assert_eq!(resumed.status.code(), Some(1), "{log}");
        // Re-sent only on the user's word, to the same vendor: then every row is final.
        let resent = batch(&dir, &[&args[..], &["--resend-unresolved"]].concat());
        assert_eq!(resent.status.code(), Some(0), "{}", stderr(&resent));
        assert!(calls(&server, &ids).iter().all(|&n| n <= 2));
    } else {
        assert_eq!(resumed.status.code(), Some(0), "{log}");
    }
}

#[tokio::test]
async fn unbilled_errors_are_retried_on_the_next_run_and_billed_ones_are_not() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.path("/idCardCert").query_param("name", "张三");
            then.status(403)
                .header("X-Ca-Error-Message", "Throttled by APP Flow Control");
        })
        .await;
    let maintenance = server
        .mock_async(|when, then| {
            when.path("/idCardCert").query_param("name", "李四");
            then.status(200).body(r#"{"status":"203"}"#);
        })
        .await;
    let others = server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(200).body(r#"{"status":"01"}"#);
        })
        .await;
    let dir = workdir("errors");
    let base = server.base_url();
    let args = [
        "--provider",
        "idcardcert",
        "--base-url",
        &base,
        "--format",
        "jsonl",
        "--output",
        "out.jsonl",
        "--rate",
        "0",
    ];
    let first = batch(&dir, &args);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let out = rows(&dir.join("out.jsonl"));
    assert_eq!(out[0]["status"], "error");
    assert!(out[0]["detail"].as_str().unwrap().starts_with("throttled"));
    assert_eq!(out[1]["status"], "error");
    assert_eq!(throttled.calls_async().await, 1);
    assert_eq!(maintenance.calls_async().await, 1);
    assert_eq!(others.calls_async().await, 9);

    let second = batch(&dir, &args);
    assert_eq!(
        throttled.calls_async().await,
        2,
        "the unbilled error is tried again"
    );
    assert_eq!(maintenance.calls_async().await, 1, "the billed one is not");
    assert_eq!(others.calls_async().await, 9);
    assert_eq!(second.status.code(), Some(1));
}

#[test]
fn gbk_files_are_read_and_missing_columns_are_refused_with_the_way_out() {
    let dir = workdir("gbk");
    // "姓名,身份证\n张三,…\n李四,…\n" in GBK (Excel's "CSV" on Chinese Windows).
    let mut gbk = vec![0xD0, 0xD5, 0xC3, 0xFB, b','];
    gbk.extend_from_slice(&[0xC9, 0xED, 0xB7, 0xDD, 0xD6, 0xA4, b'\n']);
    gbk.extend_from_slice(&[0xD5, 0xC5, 0xC8, 0xFD, b',']);
    gbk.extend_from_slice(b"11010519491231002X\n");
    gbk.extend_from_slice(&[0xC0, 0xEE, 0xCB, 0xC4, b',']);
    gbk.extend_from_slice(b"310104198506120035\n");
    std::fs::write(dir.join("people.csv"), gbk).unwrap();
    let output = batch(&dir, &["--dry-run", "--format", "jsonl", "--unmasked"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("idcheck batch: read people.csv as GB18030\n"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("2 rows: 2 valid (2 distinct"));
    let lines = common::json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (&lines[0]["name"], &lines[0]["status"]),
        (&"张三".into(), &"valid".into())
    );
    assert_eq!(lines[1]["name"], "李四");

    // A stray byte in the middle of a UTF-8 file: refused, with where, not what.
    let mut damaged = PEOPLE.as_bytes().to_vec();
    damaged.insert(14, 0xFF);
    std::fs::write(dir.join("people.csv"), damaged).unwrap();
    let output = batch(&dir, &["--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("offset 14"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("张三"), "{}", stderr(&output));

    std::fs::write(
        dir.join("people.csv"),
        "\u{feff}姓名,证件\n张三,11010519491231002X\n",
    )
    .unwrap();
    let output = batch(&dir, &["--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no ID number column"),
        "{}",
        stderr(&output)
    );
    let output = batch(
        &dir,
        &["--dry-run", "--id-column", "证件", "--format", "jsonl"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(common::json_lines(&output)[0]["status"], "valid");
}

/// `people.csv` as written by the comma file's dry run, as JSON lines.
fn dry_run_lines(dir: &Path, args: &[&str]) -> (Output, Vec<serde_json::Value>) {
    let output = batch(dir, &[&["--dry-run", "--format", "jsonl"], args].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = common::json_lines(&output);
    (output, lines)
}

/// UTF-16LE with its byte-order mark, as Excel's "Unicode Text" writes.
fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[test]
fn unicode_text_and_semicolon_files_give_the_comma_files_rows() {
    let dir = workdir("separators");
    assert!(!PEOPLE.contains('"') && !PEOPLE.contains(';') && !PEOPLE.contains('\t'));
    let (output, expected) = dry_run_lines(&dir, &[]);
    assert_eq!(expected.len(), 21);
    assert!(
        !stderr(&output).contains("read people.csv"),
        "UTF-8 and commas go without saying: {}",
        stderr(&output)
    );
    for (bytes, said) in [
        (
            utf16le(&PEOPLE.replace(',', "\t")),
            "read people.csv as UTF-16LE with tab separators\n",
        ),
        (
            PEOPLE.replace(',', ";").into_bytes(),
            "read people.csv as UTF-8 with semicolon separators\n",
        ),
    ] {
        std::fs::write(dir.join("people.csv"), bytes).unwrap();
        let (output, lines) = dry_run_lines(&dir, &[]);
        assert!(stderr(&output).contains(said), "{}", stderr(&output));
        assert!(stderr(&output).contains("21 rows: 14 valid (11 distinct"));
        assert_eq!(lines, expected, "{said}");
    }
}

#[test]
fn the_delimiter_flag_overrides_detection() {
    let dir = workdir("delimiter");
    let (_, expected) = dry_run_lines(&dir, &[]);
    // Pipes are never guessed: without the flag, the header row is one column.
    std::fs::write(dir.join("people.csv"), PEOPLE.replace(',', "|")).unwrap();
    let output = batch(&dir, &["--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("1 column (text(14))") && stderr(&output).contains("--delimiter"),
        "{}",
        stderr(&output)
    );
    let (output, lines) = dry_run_lines(&dir, &["--delimiter", "|"]);
    assert_eq!(lines, expected);
    assert!(stderr(&output).contains("with pipe separators"));
    // A semicolon file read with the commas asked for: one column, whatever detection says.
    std::fs::write(dir.join("people.csv"), PEOPLE.replace(',', ";")).unwrap();
    let output = batch(&dir, &["--dry-run", "--delimiter", ","]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no ID number column: the header row has 1 column"),
        "{}",
        stderr(&output)
    );
    // Tabs by name or as themselves.
    std::fs::write(dir.join("people.csv"), PEOPLE.replace(',', "\t")).unwrap();
    for tab in ["tab", "\t"] {
        assert_eq!(dry_run_lines(&dir, &["--delimiter", tab]).1, expected);
    }
    let output = batch(&dir, &["--dry-run", "--delimiter", ":"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("\"tab\""), "{}", stderr(&output));
}

#[test]
fn a_file_without_a_header_row_is_refused_without_printing_its_first_row() {
    let dir = workdir("headerless");
    let headerless = PEOPLE.split_once('\n').unwrap().1;
    for text in [headerless.to_owned(), headerless.replace(',', ";")] {
        std::fs::write(dir.join("people.csv"), text).unwrap();
        let output = batch(&dir, &["--dry-run"]);
        assert_eq!(output.status.code(), Some(2));
        let log = stderr(&output);
        assert!(
            log.contains("no header row")
                && log.contains("3 columns (CJK(2), digits(18), digits(11))"),
            "{log}"
        );
        let longest_digit_run = log
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_digit_run < 11, "{log}");
        assert!(!log.contains("张三") && !log.contains("张"), "{log}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn hostile_files_stop_with_a_clear_error_and_print_nothing_of_them() {
    let dir = workdir("hostile");
    let people = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).unwrap();
        let output = common::idcheck_command()
            .current_dir(&dir)
            .args(["batch", name, "--dry-run", "--format", "jsonl"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!stderr(&output).contains("11010519491231002X"));
        assert!(!stderr(&output).contains("张三"));
        output
    };

    // A line of 3 MiB after a person: that person's line, then where and why it stopped.
    let mut long = b"id,name\n11010519491231002X,\xE5\xBC\xA0\xE4\xB8\x89\n".to_vec();
    long.extend(std::iter::repeat_n(b'x', 3 << 20));
    let output = people("long.csv", &long);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("row 2 is longer than 1 MiB"),
        "{}",
        stderr(&output)
    );
    assert_eq!(common::json_lines(&output)[0]["status"], "valid");
    // A header row of 3 MiB, and a quote never closed.
    let output = people("wide.csv", &b"a,".repeat(3 << 19));
    assert!(stderr(&output).contains("the header row is longer than 1 MiB"));
    let mut unclosed = b"id,name\n\"11010519491231002X,\xE5\xBC\xA0\xE4\xB8\x89\n".to_vec();
    unclosed.extend(b"310104198506120035,x\n".repeat(60_000));
    let output = people("unclosed.csv", &unclosed);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("a quote (\") is never closed"),
        "{}",
        stderr(&output)
    );

    // Only a header row: no rows, no output.
    let output = people("header.csv", b"id,name,mobile\r\n");
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("0 rows: 0 valid"));
    assert!(output.stdout.is_empty());

    // Binary garbage, a directory.
    let garbage: Vec<u8> = (0..100_000_u32)
        .map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap())
        .collect();
    let output = people("garbage.bin", &garbage);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not UTF-8"),
        "{}",
        stderr(&output)
    );
    std::fs::create_dir_all(dir.join("folder.csv")).unwrap();
    let output = common::idcheck_command()
        .current_dir(&dir)
        .args(["batch", "folder.csv", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("folder.csv is not a regular file"));

    // CRLF line ends: the LF file's lines.
    let (_, expected) = dry_run_lines(&dir, &[]);
    let output = people("crlf.csv", PEOPLE.replace('\n', "\r\n").as_bytes());
    assert_eq!(common::json_lines(&output), expected);

    // Quoted cells with the delimiter, a line break and quotes in them.
    let quoted = "id,name,note\n\"11010519491231002X\",\"张,三\",\"a\nb\"\n310104198506120035,\"李\"\"四\",\n11010519491231002X,\"张三\",\"x,y\"\n";
    let output = people("quoted.csv", quoted.as_bytes());
    let lines = common::json_lines(&output);
    assert_eq!(lines.len(), 3, "{}", stderr(&output));
    assert_eq!(lines[0]["status"], "rejected");
    assert_eq!(lines[0]["name"], "(3 characters)");
    assert_eq!(lines[1]["status"], "rejected");
    assert_eq!(lines[2]["status"], "valid");

    // A hundred thousand columns.
    let mut wide = format!(
        "id,name,{}\n",
        (0..100_000)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    wide.push_str("11010519491231002X,张三\n");
    let output = people("columns.csv", wide.as_bytes());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(common::json_lines(&output)[0]["status"], "valid");
}

#[test]
fn no_line_printed_holds_an_id_number_a_name_or_a_mobile_of_the_file() {
    let dir = workdir("personal");
    // The example's people, each also with a mobile in a mobile check.
    for (check, format) in [
        ("identity", "csv"),
        ("identity", "jsonl"),
        ("mobile", "csv"),
        ("mobile", "jsonl"),
    ] {
        let output = batch(
            &dir,
            &[
                "--dry-run",
                "--check",
                check,
                "--format",
                format,
                "--unit-price",
                "0.07",
            ],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let printed = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
        let printed = String::from_utf8(printed).unwrap();
        for line in PEOPLE.lines().skip(1) {
            for cell in line.split(',') {
                // Any cell of two or more characters: the masks show less.
                if cell.chars().count() >= 2 {
                    assert!(
                        !printed.contains(cell),
                        "{check} {format}: {cell:?} printed:\n{printed}"
                    );
                }
            }
        }
    }
}
