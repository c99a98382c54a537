//! `idcheck verify` against httpmock vendors: exit codes, masked output, credentials from the
//! environment or a file only, and no request for anything found wrong offline.

mod common;

use std::process::{Output, Stdio};

use httpmock::prelude::*;

const APPCODE: &str = "0123456789abcdef0123456789abcdef";
const ID: &str = "11010519491231002X";
const LEDGER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Runs `idcheck verify` with `args`; the AppCode in the environment unless `env_appcode` is
/// `None`.
fn verify(args: &[&str], env_appcode: Option<&str>) -> Output {
    let mut command = common::idcheck_command();
    command
        .arg("verify")
        .args(args)
        .env_remove("IDCHECK_APPCODE")
        .env_remove("IDCHECK_APP_KEY")
        .env_remove("IDCHECK_APP_SECRET")
        .env("IDCHECK_LEDGER", "memory")
        .env("IDCHECK_LEDGER_KEY", LEDGER_KEY)
        .stdin(Stdio::null());
    if let Some(code) = env_appcode {
        command.env("IDCHECK_APPCODE", code);
    }
    command.output().unwrap()
}

fn texts(output: &Output) -> String {
    format!(
        "{}{}",
        common::stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn vendor(path: &str, status: u16, body: &str) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(path)
                .header("authorization", format!("APPCODE {APPCODE}"));
            then.status(status)
                .header("X-Ca-Request-Id", "REQ-CLI")
                .body(body);
        })
        .await;
    server
}

#[tokio::test]
async fn a_match_exits_0_and_prints_only_masked_inputs() {
    let server = vendor(
        "/idCardCert",
        200,
        r#"{"status":"01","msg":"实名认证通过!","sex":"女","birthday":"1949-12-31","addrCode":"110105"}"#,
    )
    .await;
    let base = server.base_url();
    let args = [
        "--provider",
        "idcardcert",
        "--id",
        ID,
        "--name",
        "张三",
        "--base-url",
        &base,
    ];
    let output = verify(&args, Some(APPCODE));
    let text = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("verdict   match"), "{text}");
    assert!(
        text.contains("110105********002X") && text.contains("张*"),
        "{text}"
    );
    assert!(
        text.contains("REQ-CLI") && text.contains("billed    yes"),
        "{text}"
    );
    // The vendor's birthday beside the masked number would rebuild it.
    assert!(
        !text.contains(ID)
            && !text.contains("张三")
            && !text.contains(APPCODE)
            && !text.contains("1949-12-31"),
        "{text}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let output = verify(&json_args, Some(APPCODE));
    assert_eq!(output.status.code(), Some(0));
    let json = &common::json_lines(&output)[0];
    assert_eq!(json["provider"], "idcardcert");
    assert_eq!(json["input"]["id"], "110105********002X");
    assert_eq!(json["report"]["verdict"], "match");
    assert!(
        json["report"]["details"].get("birthday").is_none(),
        "{json}"
    );
    assert!(json["report"]["details"].get("age").is_none(), "{json}");
    assert_eq!(json["report"]["details"]["sex"], "female");
    assert_eq!(json["report"]["trace"]["gateway_request_id"], "REQ-CLI");
    assert_eq!(json["route"]["billed_calls"], 1);
    let line = common::stdout(&output);
    assert!(!line.contains("1949-12-31") && !line.contains(ID), "{line}");

    // --unmasked: the caller asked for the inputs and what the vendor said about them.
    json_args.push("--unmasked");
    let output = verify(&json_args, Some(APPCODE));
    let json = &common::json_lines(&output)[0];
    assert_eq!(json["input"]["id"], ID);
    assert_eq!(json["input"]["name"], "张三");
    assert_eq!(json["report"]["details"]["birthday"], "1949-12-31");
}

#[tokio::test]
async fn mismatch_and_unverifiable_exit_1() {
    for (body, verdict) in [
        (r#"{"code":"10000","data":{"result":"2"}}"#, "mismatch"),
        (
            r#"{"code":"10001","data":"null"}"#,
            "unverifiable (no_record)",
        ),
    ] {
        let server = vendor("/chinadatapay/1882", 200, body).await;
        let base = server.base_url();
        let output = verify(
            &[
                "--provider",
                "checkone",
                "--id",
                ID,
                "--name",
                "张三",
                "--base-url",
                &base,
            ],
            Some(APPCODE),
        );
        let text = texts(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains(&format!("verdict   {verdict}")), "{text}");
    }
}

#[tokio::test]
async fn service_errors_exit_3_and_vendor_input_refusals_exit_2() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/idenAuthentication");
            then.status(403)
                .header("X-Ca-Error-Message", "Quota Exhausted")
                .header("X-Ca-Request-Id", "REQ-Q");
        })
        .await;
    let base = server.base_url();
    let args = [
        "--provider",
        "idenauthen",
        "--id",
        ID,
        "--name",
        "张三",
        "--base-url",
        &base,
    ];
    let output = verify(&args, Some(APPCODE));
    let text = texts(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("quota exhausted") && text.contains("REQ-Q"),
        "{text}"
    );

    let refused = vendor("/idenAuthentication", 200, r#"{"respCode":"0004"}"#).await;
    let base = refused.base_url();
    let args = [
        "--provider",
        "idenauthen",
        "--id",
        ID,
        "--name",
        "张三",
        "--base-url",
        &base,
    ];
    let output = verify(&args, Some(APPCODE));
    assert_eq!(output.status.code(), Some(2), "{}", texts(&output));
}

#[tokio::test]
async fn nothing_is_sent_for_bad_input_missing_inputs_or_missing_credentials() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(r#"{"status":"01"}"#);
        })
        .await;
    let base = server.base_url();
    let cases: [(&[&str], Option<&str>, &str); 6] = [
        (
            &[
                "--provider",
                "idcardcert",
                "--id",
                "110105194912310021",
                "--name",
                "张三",
            ],
            Some(APPCODE),
            "invalid ID number: check character",
        ),
        (
            &["--provider", "idcardcert", "--id", ID, "--name", "张 三"],
            Some(APPCODE),
            "invalid name",
        ),
        (
            &["--provider", "checkphone", "--id", ID, "--name", "张三"],
            Some(APPCODE),
            "pass --mobile",
        ),
        (
            &[
                "--provider",
                "checkphone",
                "--id",
                ID,
                "--name",
                "张三",
                "--mobile",
                "17012345678",
            ],
            Some(APPCODE),
            "virtual-operator",
        ),
        (
            &[
                "--provider",
                "facever",
                "--id",
                ID,
                "--name",
                "张三",
                "--photo",
                "ftp://x/y.jpg",
            ],
            Some(APPCODE),
            "cannot read the photo file",
        ),
        (
            &["--provider", "idcardcert", "--id", ID, "--name", "张三"],
            None,
            "set IDCHECK_APPCODE or pass --appcode-file",
        ),
    ];
    for (args, appcode, expected) in cases {
        let mut args = args.to_vec();
        args.extend(["--base-url", &base]);
        let output = verify(&args, appcode);
        let text = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(expected), "{args:?}: {text}");
        assert!(
            !text.contains("110105194912310021") && !text.contains("17012345678"),
            "{text}"
        );
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_appcode_file_is_read_and_trimmed() {
    let server = vendor(
        "/carrieroperator",
        200,
        r#"{"status":"01","mobileType":"联通","traceId":"T-1"}"#,
    )
    .await;
    let dir = std::env::temp_dir().join(format!("idcheck-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("appcode");
    std::fs::write(&file, format!("{APPCODE}\n")).unwrap();
    let base = server.base_url();
    let output = verify(
        &[
            "--provider",
            "checkphone",
            "--id",
            ID,
            "--name",
            "张三",
            "--mobile",
            "13800138000",
            "--appcode-file",
            file.to_str().unwrap(),
            "--base-url",
            &base,
        ],
        None,
    );
    let text = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("138****8000") && text.contains("China Unicom"),
        "{text}"
    );
    assert!(
        text.contains("probably ported") && text.contains("T-1"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn falls_back_to_the_next_vendor_prices_the_route_and_reuses_it_from_the_ledger() {
    let server = MockServer::start_async().await;
    let no_record = server
        .mock_async(|when, then| {
            when.path("/chinadatapay/1882");
            then.status(200).body(r#"{"code":"10001","data":"null"}"#);
        })
        .await;
    let matched = server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(200)
                .body(r#"{"status":"01","msg":"实名认证通过!"}"#);
        })
        .await;
    let dir = std::env::temp_dir().join(format!("idcheck-verify-fb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.sqlite");
    let base = server.base_url();
    let args = [
        "--provider",
        "checkone,idcardcert",
        "--price",
        "checkone=0.05",
        "--price",
        "idcardcert=0.07",
        "--id",
        ID,
        "--name",
        "张三",
        "--base-url",
        &base,
        "--ledger",
        ledger.to_str().unwrap(),
    ];
    let output = verify(&args, Some(APPCODE));
    let text = texts(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("idcardcert: 110105********002X 张*"),
        "{text}"
    );
    assert!(
        text.contains("asked     checkone unverifiable (no_record) (billed: yes)"),
        "{text}"
    );
    assert!(
        text.contains("then      idcardcert match (billed: yes)"),
        "{text}"
    );
    assert!(text.contains("cost      0.120 yuan"), "{text}");

    // Again, on the same ledger: the answer is reused, nothing is sent or paid.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let output = verify(&json_args, Some(APPCODE));
    assert_eq!(output.status.code(), Some(0), "{}", texts(&output));
    let json = &common::json_lines(&output)[0];
    assert_eq!(json["report"]["verdict"], "match");
    assert_eq!(json["route"]["cached"], true);
    assert_eq!(json["route"]["billed_calls"], 0);
    assert_eq!(json["route"]["cost"], 0);
    no_record.assert_calls_async(1).await;
    matched.assert_calls_async(1).await;

    // --fresh pays again, and a vendor that cannot do the check is refused offline.
    let mut fresh = args.to_vec();
    fresh.push("--fresh");
    assert_eq!(verify(&fresh, Some(APPCODE)).status.code(), Some(0));
    matched.assert_calls_async(2).await;
    let mut mixed = args.to_vec();
    mixed[1] = "checkone,checkphone";
    mixed[5] = "checkphone=0.07";
    let output = verify(&mixed, Some(APPCODE));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        texts(&output).contains("provider checkphone does not perform identity checks"),
        "{}",
        texts(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn vendor_text_echoing_the_inputs_is_scrubbed() {
    let echo = format!(r#"{{"status":"02","msg":"{ID} 张三 与库中不一致 13800138000"}}"#);
    let server = vendor("/idCardCert", 200, &echo).await;
    let base = server.base_url();
    for json in [false, true] {
        let mut args = vec![
            "--provider",
            "idcardcert",
            "--id",
            ID,
            "--name",
            "张三",
            "--base-url",
            &base,
        ];
        if json {
            args.push("--json");
        }
        let output = verify(&args, Some(APPCODE));
        let text = texts(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains("[number] [name]"), "{text}");
        for secret in [ID, "张三", "13800138000", "194912"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
