//! The `idcheck id` command end to end: output, exit codes, standard input, no unmasked numbers.

mod common;

use common::{idcheck, stdout};

#[test]
fn a_valid_number_prints_what_it_says_and_exits_0() {
    let out = idcheck(&["id", "11010519491231002X"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for expected in [
        "valid",
        "resident ID",
        "1949-12-31",
        "female",
        "110105 北京市 朝阳区",
        "110105********002X",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !text.contains("11010519491231002X"),
        "unmasked number in\n{text}"
    );
}

#[test]
fn abolished_and_renamed_regions_are_labelled() {
    let out = idcheck(&["id", "11010320050101001X", "130503670401001"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("崇文区 (abolished in 2010)"), "{text}");
    assert!(text.contains("桥西区 (now 信都区)"), "{text}");
    assert!(text.contains("130503********0016"), "{text}");
}

#[test]
fn any_invalid_number_gives_exit_1_and_the_precise_error() {
    let out = idcheck(&["id", "11010519491231002X", "110105194912310021"], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("[2] invalid: check character expected X, found 1"),
        "{text}"
    );
    assert!(!text.contains("110105194912310021"), "{text}");
}

#[test]
fn strict_rejects_what_lenient_accepts() {
    assert_eq!(
        idcheck(&["id", "342401200101010019"], None).status.code(),
        Some(0)
    );
    let out = idcheck(&["id", "--strict", "342401200101010019"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("abolished in 1999"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(idcheck(&["id"], None).status.code(), Some(2));
    assert_eq!(
        idcheck(&["id", "--bogus", "1"], None).status.code(),
        Some(2)
    );
    assert_eq!(idcheck(&[], None).status.code(), Some(2));
}

#[test]
fn numbers_from_standard_input_as_json_lines() {
    let out = idcheck(
        &["id", "--json", "-"],
        Some("11010519491231002X\n\n110105194912310021\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["masked"], "110105********002X");
    assert_eq!(lines[0]["sex"], "female");
    assert_eq!(lines[0]["region"]["county"], "朝阳区");
    assert_eq!(lines[0]["region"]["status"], "current");
    assert_eq!(lines[1]["input"], 2);
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["error"], "check character expected X, found 1");
    assert!(!stdout(&out).contains("11010519491231002X"));
}

#[test]
fn a_foreigners_permanent_residence_id_shows_province_and_nationality() {
    let out = idcheck(&["id", "911840199001010018", "911999199001010014"], None);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for expected in [
        "foreigners' permanent residence ID (2023 edition)",
        "issued in 110000 北京市",
        "nationality 美国 (USA, 840)",
        "nationality 999 (not an assigned ISO 3166-1 code)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("911840199001010018"), "{text}");

    // Strict: an unassigned nationality and China are rejected; a bad issuing province always.
    let out = idcheck(
        &["id", "--strict", "911999199001010014", "911156199001010010"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("[1] invalid: nationality code 999 is not an assigned ISO 3166-1 code"),
        "{text}"
    );
    assert!(
        text.contains("[2] invalid: nationality code 156 is China"),
        "{text}"
    );
    let out = idcheck(&["id", "920840199001010019"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("invalid: unknown issuing province code 20"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_foreigners_permanent_residence_id_as_json() {
    let out = idcheck(
        &["id", "--json", "91239219850615002X", "911156199001010010"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["kind"], "foreign_permanent_resident");
    assert_eq!(lines[0]["issuing_province"]["code"], "120000");
    assert_eq!(lines[0]["issuing_province"]["name"], "天津市");
    assert_eq!(lines[0]["nationality"]["numeric"], "392");
    assert_eq!(lines[0]["nationality"]["alpha3"], "JPN");
    assert_eq!(lines[0]["nationality"]["name_zh"], "日本");
    assert_eq!(lines[0]["nationality"]["status"], "foreign");
    assert_eq!(lines[0]["nationality_code"], 392);
    assert!(lines[0].get("region").is_none());
    assert_eq!(lines[1]["nationality"]["status"], "china");
    assert!(!stdout(&out).contains("91239219850615002X"));
}

/// Every command that neither pays nor is given a ledger to write leaves a home directory as
/// it found it: no key file, no ledger, no cache.
#[test]
fn commands_that_write_nothing_leave_an_empty_home_empty() {
    let home = std::env::temp_dir().join(format!("idcheck-empty-home-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/people.csv");
    let runs: [&[&str]; 8] = [
        &["id", "11010519491231002X"],
        &["mobile", "13800138000"],
        &["name", "张三"],
        &["batch", examples, "--dry-run"],
        &["ledger", "stats"],
        &["ledger", "unresolved", "--json"],
        &["ledger", "report", "--since", "2026-01-01"],
        &["--help"],
    ];
    for args in runs {
        let output = common::idcheck_command()
            .env("HOME", &home)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let left: Vec<_> = walk(&home);
        assert!(left.is_empty(), "{args:?} left {left:?}");
        if args[0] == "ledger" {
            // Looking into a ledger that is not there is an error, not an empty new ledger.
            assert_eq!(output.status.code(), Some(2), "{args:?}");
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("no ledger at"),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&home);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn completions_and_manual_pages_come_from_the_command_definitions() {
    for (shell, needle) in [
        ("bash", "_idcheck()"),
        ("zsh", "#compdef idcheck"),
        ("fish", "complete -c idcheck"),
    ] {
        let out = idcheck(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(needle), "{shell}: {script}");
        assert!(script.contains("resend-unresolved"), "{shell}");
    }
    let dir = std::env::temp_dir().join(format!("idcheck-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = idcheck(&["man", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    for page in [
        "idcheck.1",
        "idcheck-batch.1",
        "idcheck-serve.1",
        "idcheck-ledger-resolve.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let batch = std::fs::read_to_string(dir.join("idcheck-batch.1")).unwrap();
    assert!(batch.contains("qps"), "{batch}");
    let _ = std::fs::remove_dir_all(&dir);
}
