//! The client against httpmock on loopback: the exact request the gateway receives, the
//! signature as the gateway would verify it, timeouts, the body cap, and retries counted with
//! `hits()`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliyun_gateway::{
    Auth, BaseUrl, Call, ConfigError, GatewayClient, Method, RetryPolicy, SigningInput, sign_string,
};
use httpmock::prelude::*;
use httpmock::{HttpMockRequest, HttpMockResponse};
use provider_testkit::LogCapture;
use provider_trait::{Billing, Error, Retry, TransportFailure};
use secrecy::SecretString;

const APPCODE: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";
const ID: &str = "110101199003070011";
const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";

fn app_code_client() -> GatewayClient {
    GatewayClient::new(Auth::app_code(APPCODE).unwrap()).unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::unbilled_failures()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .with_deadline(Duration::from_secs(5))
}

fn client_with(retry: RetryPolicy) -> GatewayClient {
    GatewayClient::builder(Auth::app_code(APPCODE).unwrap())
        .with_retry(retry)
        .build()
        .unwrap()
}

fn base(server: &MockServer) -> BaseUrl {
    BaseUrl::parse(&server.base_url()).unwrap()
}

async fn get(client: &GatewayClient, base: &BaseUrl, name: &str) -> Result<Vec<u8>, Error> {
    let params = [("idCard", ID), ("name", name)];
    let call = Call::new("test", base, Method::Get, "/idCardCert", &params);
    client.send(&call).await.map(|r| r.body().to_vec())
}

#[tokio::test]
async fn app_code_get_sends_one_space_json_accept_and_percent_encoded_utf8() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/idCardCert")
                .header("authorization", format!("APPCODE {APPCODE}"))
                .header("accept", "application/json")
                .header_missing("x-ca-signature")
                .header_missing("content-type")
                .is_true(|req: &HttpMockRequest| {
                    req.uri().query()
                        == Some("idCard=110101199003070011&name=%E9%98%BF%E5%8D%9C%E6%9D%9C%C2%B7%E4%B9%B0%E4%B9%B0%E6%8F%90")
                });
            then.status(200)
                .header("X-Ca-Request-Id", "5F2C0A3B-0000")
                .body(r#"{"status":"01"}"#);
        })
        .await;
    let client = app_code_client();
    let base = base(&server);
    let params = [("idCard", ID), ("name", "阿卜杜·买买提")];
    let answer = client
        .send(&Call::new(
            "test",
            &base,
            Method::Get,
            "/idCardCert",
            &params,
        ))
        .await
        .unwrap();
    assert_eq!(answer.body(), br#"{"status":"01"}"#);
    assert_eq!(answer.request_id(), Some("5F2C0A3B-0000"));
    assert_eq!(answer.attempts(), 1);
    let trace = answer.trace();
    assert_eq!(trace.provider, "test");
    assert_eq!(trace.billing, Billing::Billed);
    assert_eq!(trace.gateway_request_id.as_deref(), Some("5F2C0A3B-0000"));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn post_form_sends_the_encoded_body_with_charset_and_no_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/idenAuthentication")
                .header("content-type", FORM)
                .header("authorization", format!("APPCODE {APPCODE}"))
                .body("idNo=110101199003070011&name=%E5%BC%A0%E4%B8%89")
                .is_true(|req: &HttpMockRequest| req.uri().query().is_none());
            then.status(200).body(r#"{"respCode":"0000"}"#);
        })
        .await;
    let base = base(&server);
    let params = [("idNo", ID), ("name", "张三")];
    let call = Call::new(
        "test",
        &base,
        Method::PostForm,
        "/idenAuthentication",
        &params,
    );
    let answer = app_code_client().send(&call).await.unwrap();
    assert_eq!(answer.body(), br#"{"respCode":"0000"}"#);
    assert_eq!(answer.request_id(), None);
    mock.assert_calls_async(1).await;
}

/// What the gateway does with a signed request: rebuild the string-to-sign from the headers
/// named in `X-Ca-Signature-Headers`, the decoded query and form, and compare signatures.
fn gateway_accepts_signature(req: &HttpMockRequest, secret: &str) -> bool {
    let headers = req.headers_vec();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let Some(names) = header("x-ca-signature-headers") else {
        return false;
    };
    let signed: Vec<(String, String)> = names
        .split(',')
        .map(|n| (n.to_owned(), header(n).unwrap_or_default()))
        .collect();
    let signed: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let form: Vec<(String, String)> = form_urlencoded::parse(req.body_ref())
        .into_owned()
        .collect();
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (&**k, &**v)).collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (&**k, &**v)).collect();
    let accept = header("accept");
    let content_type = header("content-type");
    let method = req.method_str().to_owned();
    let path = req.uri().path().to_owned();
    let input = SigningInput {
        method: &method,
        accept: accept.as_deref(),
        content_type: content_type.as_deref(),
        headers: &signed,
        path: &path,
        query: &query,
        form: &form,
        ..SigningInput::default()
    };
    let expected = sign_string(&SecretString::from(secret), &input.string_to_sign());
    header("x-ca-signature").as_deref() == Some(expected.as_str())
}

fn signed_headers_are_fresh(req: &HttpMockRequest) -> bool {
    let headers = req.headers();
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let fresh = value("x-ca-timestamp")
        .and_then(|t| t.parse::<u128>().ok())
        .is_some_and(|t| t.abs_diff(now) < 60_000);
    let nonce = value("x-ca-nonce").unwrap_or("");
    let uuid_shaped = nonce.len() == 36
        && nonce.as_bytes()[14] == b'4'
        && nonce.split('-').map(str::len).eq([8, 4, 4, 4, 12]);
    fresh
        && uuid_shaped
        && value("x-ca-key") == Some("203000001")
        && value("x-ca-signature-method") == Some("HmacSHA256")
        && value("x-ca-signature-headers")
            == Some("X-Ca-Key,X-Ca-Nonce,X-Ca-Signature-Method,X-Ca-Timestamp")
        && value("authorization").is_none()
}

#[tokio::test]
async fn app_key_signature_is_what_the_gateway_recomputes_for_get_and_post() {
    let server = MockServer::start_async().await;
    let signed_mock = |method: httpmock::Method, path: &'static str| {
        server.mock_async(move |when, then| {
            when.method(method)
                .path(path)
                .is_true(signed_headers_are_fresh)
                .is_true(|req: &HttpMockRequest| gateway_accepts_signature(req, "TestAppSecret"));
            then.status(200).body("{}");
        })
    };
    let get_mock = signed_mock(GET, "/idCardCert").await;
    let post_mock = signed_mock(POST, "/chinadatapay/1882").await;
    let client = GatewayClient::new(Auth::app_key("203000001", "TestAppSecret").unwrap()).unwrap();
    let base = base(&server);
    // A value "0" is a value, not an absent one (nodejs-sdk #21).
    let params = [("idCard", ID), ("name", "张三"), ("flag", "0")];
    for _ in 0..2 {
        client
            .send(&Call::new("t", &base, Method::Get, "/idCardCert", &params))
            .await
            .unwrap();
    }
    let form = [("name", "李四"), ("idcard", ID), ("key", "")];
    client
        .send(&Call::new(
            "t",
            &base,
            Method::PostForm,
            "/chinadatapay/1882",
            &form,
        ))
        .await
        .unwrap();
    get_mock.assert_calls_async(2).await;
    post_mock.assert_calls_async(1).await;

    // Control: a client with another secret is refused by the same check (httpmock answers
    // 404 when nothing matches), so the check above can fail.
    let wrong = GatewayClient::new(Auth::app_key("203000001", "WrongSecret").unwrap()).unwrap();
    let error = get(&wrong, &base, "张三").await.unwrap_err();
    assert!(
        matches!(error, Error::Protocol { status: 404, .. }),
        "{error:?}"
    );
    get_mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_timeout_after_sending_is_never_retried_even_with_a_retry_policy() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(200)
                .delay(Duration::from_secs(3))
                .body(r#"{"status":"01"}"#);
        })
        .await;
    let base = base(&server);
    for retry in [RetryPolicy::never(), fast_retries()] {
        let client = GatewayClient::builder(Auth::app_code(APPCODE).unwrap())
            .with_timeout(Duration::from_millis(150))
            .with_retry(retry)
            .build()
            .unwrap();
        let error = get(&client, &base, "张三").await.unwrap_err();
        assert!(matches!(
            error,
            Error::Transport {
                failure: TransportFailure::Timeout,
                ..
            }
        ));
        assert_eq!(error.retry(), Retry::MayChargeAgain);
        assert_eq!(error.billing(), Billing::Unknown);
    }
    // One request per client: sent once, never again.
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn unbilled_gateway_failures_are_retried_only_when_asked() {
    let cases: [(u16, &str, usize); 5] = [
        (403, "Throttled by APP Flow Control", 3),
        (503, "Service Unavailable", 3),
        (500, "Internal Error", 3),
        (403, "Quota Exhausted", 1),
        (400, "Invalid AppCode `not exists`", 1),
    ];
    for (status, message, with_policy) in cases {
        for (retry, expected_hits) in [(RetryPolicy::never(), 1), (fast_retries(), with_policy)] {
            let server = MockServer::start_async().await;
            let mock = server
                .mock_async(|when, then| {
                    when.path("/idCardCert");
                    then.status(status)
                        .header("X-Ca-Error-Message", message)
                        .header("X-Ca-Request-Id", "REQ-1");
                })
                .await;
            let error = get(&client_with(retry), &base(&server), "张三")
                .await
                .unwrap_err();
            assert_eq!(error.request_id(), Some("REQ-1"), "{message}");
            assert_eq!(error.billing(), Billing::NotBilled, "{message}");
            assert_eq!(
                mock.calls_async().await,
                expected_hits,
                "{message} {retry:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_retry_that_gets_through_returns_the_answer() {
    let server = MockServer::start_async().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let mock = server
        .mock_async(move |when, then| {
            when.path("/idCardCert");
            then.respond_with(move |_: &HttpMockRequest| {
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    HttpMockResponse::builder()
                        .status(403)
                        .header("X-Ca-Error-Message", "Throttled by USER Flow Control")
                        .build()
                } else {
                    HttpMockResponse::builder()
                        .status(200)
                        .body(r#"{"status":"01"}"#)
                        .build()
                }
            });
        })
        .await;
    let client = client_with(fast_retries());
    let call_base = base(&server);
    let params = [("idCard", ID), ("name", "张三")];
    let answer = client
        .send(&Call::new(
            "t",
            &call_base,
            Method::Get,
            "/idCardCert",
            &params,
        ))
        .await
        .unwrap();
    assert_eq!(answer.attempts(), 3);
    assert_eq!(mock.calls_async().await, 3);
}

#[tokio::test]
async fn the_deadline_stops_retries_whose_wait_would_overrun_it() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(503)
                .header("X-Ca-Error-Message", "Service Unavailable");
        })
        .await;
    let policy = RetryPolicy::unbilled_failures()
        .with_max_attempts(5)
        .with_backoff(Duration::from_secs(2), Duration::from_secs(2))
        .with_deadline(Duration::from_millis(500));
    let error = get(&client_with(policy), &base(&server), "张三")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::VendorUnavailable { .. }),
        "{error:?}"
    );
    // A wait of at least 1 s (half the 2 s backoff is fixed) would end past the deadline.
    mock.assert_calls_async(1).await;
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn connect_failures_are_safe_and_retried_only_with_a_policy() {
    let port = closed_port();
    let base = BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    for (retry, attempts) in [(RetryPolicy::never(), 1), (fast_retries(), 3)] {
        let log = LogCapture::default();
        let _guard = log.install();
        let error = get(&client_with(retry), &base, "张三").await.unwrap_err();
        assert!(matches!(
            error,
            Error::Transport {
                failure: TransportFailure::Connect,
                ..
            }
        ));
        // The host and port say where; the path and query (the inputs) never appear.
        let message = error.to_string();
        assert_eq!(
            message,
            format!("transport: could not connect (127.0.0.1:{port})")
        );
        assert_eq!(error.retry(), Retry::Safe);
        let text = log.text();
        assert_eq!(
            text.matches("retrying an unbilled failure").count(),
            attempts - 1,
            "{text}"
        );
        assert!(text.contains("outcome=\"transport\""), "{text}");
    }
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_billed_protocol_error_and_one_at_the_cap_is_read() {
    let server = MockServer::start_async().await;
    let at_cap = "x".repeat(1024);
    let over_cap = "x".repeat(1025);
    server
        .mock_async(|when, then| {
            when.path("/at");
            then.status(200).body(at_cap.clone());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/over");
            then.status(200)
                .header("X-Ca-Request-Id", "REQ-BIG")
                .body(over_cap.clone());
        })
        .await;
    let client = GatewayClient::builder(Auth::app_code(APPCODE).unwrap())
        .with_max_body_bytes(1024)
        .build()
        .unwrap();
    let base = base(&server);
    let at = client
        .send(&Call::new("t", &base, Method::Get, "/at", &[]))
        .await
        .unwrap();
    assert_eq!(at.body().len(), 1024);
    let error = client
        .send(&Call::new("t", &base, Method::Get, "/over", &[]))
        .await
        .unwrap_err();
    match &error {
        Error::Protocol {
            status: 200,
            billed: true,
            detail,
            request_id,
            ..
        } => {
            assert!(detail.contains("1024-byte cap"), "{detail}");
            assert_eq!(request_id.as_deref(), Some("REQ-BIG"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.billing(), Billing::Billed);
}

/// A server that answers 200 with a chunked body that never ends (until the client hangs up or
/// 64 MiB were written): no Content-Length to refuse up front.
async fn endless_body_server() -> (BaseUrl, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = BaseUrl::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0_u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Ca-Request-Id: REQ-ENDLESS\r\n\r\n";
        socket.write_all(head).await.unwrap();
        let chunk = format!("4000\r\n{}\r\n", "y".repeat(0x4000));
        let mut written = 0;
        while written < 64 << 20 {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
            written += 0x4000;
        }
        written
    });
    (base, task)
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_cap() {
    let (base, server) = endless_body_server().await;
    let error = app_code_client()
        .send(&Call::new("t", &base, Method::Get, "/idCardCert", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Protocol { status: 200, billed: true, request_id: Some(id), .. } if id == "REQ-ENDLESS"
        ),
        "{error:?}"
    );
    let written = server.await.unwrap();
    assert!(
        written < 64 << 20,
        "the client kept reading: {written} bytes"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start_async().await;
    let redirect = server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(302).header("Location", "/elsewhere");
        })
        .await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200).body("{}");
        })
        .await;
    let error = get(&app_code_client(), &base(&server), "张三")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Protocol {
                status: 302,
                billed: false,
                ..
            }
        ),
        "{error:?}"
    );
    redirect.assert_calls_async(1).await;
    elsewhere.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_callers_own_http_client_is_used_and_the_timeout_still_applies() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/idCardCert")
                .header("user-agent", "their-app/1.0");
            then.status(200).delay(Duration::from_secs(3)).body("{}");
        })
        .await;
    let theirs = aliyun_gateway::reqwest::Client::builder()
        .user_agent("their-app/1.0")
        .build()
        .unwrap();
    let client = GatewayClient::builder(Auth::app_code(APPCODE).unwrap())
        .with_http_client(theirs)
        .with_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let error = get(&client, &base(&server), "张三").await.unwrap_err();
    assert!(matches!(
        error,
        Error::Transport {
            failure: TransportFailure::Timeout,
            ..
        }
    ));
    mock.assert_calls_async(1).await;
}

#[test]
fn credentials_are_validated_and_never_printed() {
    let client = GatewayClient::new(Auth::app_code(format!(" {APPCODE}\n")).unwrap()).unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains(APPCODE), "{debug}");
    assert!(debug.contains("REDACTED"), "{debug}");
    let signed = Auth::app_key("203000001", "TestAppSecret").unwrap();
    let debug = format!("{signed:?}");
    assert!(
        debug.contains("203000001") && !debug.contains("TestAppSecret"),
        "{debug}"
    );

    for bad in ["", "   ", "abc def", "abc\u{7f}", "码码码"] {
        let error = Auth::app_code(bad).unwrap_err();
        assert!(
            matches!(
                error,
                ConfigError::InvalidCredential {
                    what: "AppCode",
                    ..
                }
            ),
            "{bad:?}: {error:?}"
        );
        assert!(!error.to_string().contains(bad.trim()) || bad.trim().is_empty());
    }
    assert!(matches!(
        Auth::app_key("203000001", " ").unwrap_err(),
        ConfigError::InvalidCredential {
            what: "AppSecret",
            ..
        }
    ));
}

#[test]
fn from_env_reads_only_the_named_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert!(matches!(
        Auth::from_lookup(vars(&[("IDCHECK_APPCODE", "abc")])).unwrap(),
        Auth::AppCode(_)
    ));
    assert!(matches!(
        Auth::from_lookup(vars(&[("IDCHECK_APP_KEY", "k"), ("IDCHECK_APP_SECRET", "s")])).unwrap(),
        Auth::AppKey { key, .. } if key == "k"
    ));
    assert_eq!(
        Auth::from_lookup(vars(&[])).unwrap_err(),
        ConfigError::MissingEnv {
            name: "IDCHECK_APPCODE"
        }
    );
    assert_eq!(
        Auth::from_lookup(vars(&[("IDCHECK_APP_KEY", "k")])).unwrap_err(),
        ConfigError::MissingEnv {
            name: "IDCHECK_APP_SECRET"
        }
    );
    assert_eq!(
        Auth::from_lookup(vars(&[("IDCHECK_APPCODE", "  ")])).unwrap_err(),
        ConfigError::MissingEnv {
            name: "IDCHECK_APPCODE"
        }
    );
}

#[test]
fn base_urls_are_http_or_https_without_query_or_credentials() {
    assert_eq!(
        BaseUrl::parse("https://idcardcert.market.alicloudapi.com/")
            .unwrap()
            .as_str(),
        "https://idcardcert.market.alicloudapi.com"
    );
    assert_eq!(
        BaseUrl::parse("http://127.0.0.1:8080/proxy/")
            .unwrap()
            .as_str(),
        "http://127.0.0.1:8080/proxy"
    );
    for (bad, reason) in [
        (
            "idcardcert.market.alicloudapi.com",
            "it has no scheme: write http:// or https:// in front, e.g. http://127.0.0.1:8787",
        ),
        (
            "127.0.0.1:8787",
            "it has no scheme: write http:// or https:// in front, e.g. http://127.0.0.1:8787",
        ),
        (
            "localhost:8801",
            "it has no scheme: write http:// or https:// in front, e.g. http://127.0.0.1:8787",
        ),
        ("http://", "not a URL"),
        ("ftp://example.com", "the scheme must be http or https"),
        (
            "https://user:pw@example.com",
            "it must not hold credentials",
        ),
        (
            "https://example.com/?idCard=110101199003070011",
            "it must not have a query or fragment",
        ),
    ] {
        let error = BaseUrl::parse(bad).unwrap_err();
        assert_eq!(error, ConfigError::InvalidBaseUrl { reason }, "{bad}");
        assert!(!error.to_string().contains("110101"), "{error}");
    }
}
