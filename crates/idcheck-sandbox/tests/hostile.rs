//! What a hostile or broken client can do to the sandbox: connections that trickle, stay
//! silent or idle, or crowd it; signed requests with wrong signatures, replayed or huge nonces.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aliyun_gateway::{SigningInput, random_uuid, sign_string};
use idcheck_sandbox::{DEFAULT_APPCODE, MAX_NONCE_LEN, Sandbox, SandboxConfig};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Slack on top of a timeout for a loaded two-core machine.
const MARGIN: Duration = Duration::from_secs(2);

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config, "127.0.0.1:0").await.unwrap()
}

fn with_header_timeout(timeout: Duration) -> SandboxConfig {
    SandboxConfig {
        header_timeout: timeout,
        ..SandboxConfig::default()
    }
}

/// Reads until the server closes the connection (end of stream or reset), at most `limit`:
/// how long that took, or `None` if it stayed open.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0_u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {} // an error answer before closing
            Err(_) => return None,
        }
    }
}

/// One answer read off `stream`: the status, the head, the body (by `Content-Length`).
async fn read_answer(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut data = Vec::new();
    let mut buf = [0_u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before an answer");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed inside an answer");
        data.extend_from_slice(&buf[..n]);
    }
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, data[head_end..].to_vec())
}

/// `GET /_sandbox/billed` on a new connection, within `limit`: the status.
async fn billed_status(sandbox: &Sandbox, limit: Duration) -> Option<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect(sandbox.addr()).await.ok()?;
        stream
            .write_all(
                b"GET /_sandbox/billed HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n",
            )
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.split(' ').nth(1)?.parse().ok()
    };
    tokio::time::timeout(limit, exchange).await.ok().flatten()
}

#[tokio::test]
async fn a_client_sending_its_headers_a_byte_at_a_time_is_cut_off() {
    let timeout = Duration::from_secs(1);
    let sandbox = start(with_header_timeout(timeout)).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let request = format!(
        "GET /idCardCert?idCard=11010519491231002X HTTP/1.1\r\nHost: sandbox\r\nAuthorization: APPCODE {DEFAULT_APPCODE}\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(100)
    );
    let started = Instant::now();
    let mut closed = None;
    for byte in request.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            closed = Some(started.elapsed());
            break;
        }
        // Waits 300 ms for the server to close, then sends the next byte.
        let mut buf = [0_u8; 1024];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = Some(started.elapsed());
                break;
            }
            Ok(Ok(_)) => {
                // An error answer: the connection closes right after it.
                closed = closed_within(&mut stream, MARGIN)
                    .await
                    .map(|_| started.elapsed());
                break;
            }
            Err(_) => {}
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never cut off");
    }
    let closed = closed.expect("the whole request went through, one byte every 300 ms");
    assert!(closed < timeout + MARGIN, "cut off only after {closed:?}");
    assert!(closed >= timeout * 9 / 10, "{closed:?}");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let timeout = Duration::from_secs(1);
    let sandbox = start(with_header_timeout(timeout)).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let closed = closed_within(&mut stream, timeout + MARGIN)
        .await
        .expect("a silent connection stayed open");
    assert!(closed >= timeout * 9 / 10, "{closed:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let timeout = Duration::from_secs(1);
    let sandbox = start(with_header_timeout(timeout)).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let request = b"GET /_sandbox/billed HTTP/1.1\r\nHost: sandbox\r\n\r\n";
    // Kept alive between requests less than the timeout apart…
    for _ in 0..3 {
        stream.write_all(request).await.unwrap();
        let (status, head, _) = read_answer(&mut stream).await;
        assert_eq!(status, 200, "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "{head}"
        );
        tokio::time::sleep(timeout / 2).await;
    }
    // …and closed once idle for the timeout after an answer, though it never sent a byte more.
    stream.write_all(request).await.unwrap();
    read_answer(&mut stream).await;
    let closed = closed_within(&mut stream, timeout + MARGIN)
        .await
        .expect("an idle keep-alive connection stayed open");
    assert!(closed >= timeout * 9 / 10, "{closed:?}");
}

#[tokio::test]
async fn a_body_trickling_in_is_cut_off() {
    let timeout = Duration::from_secs(1);
    let sandbox = start(with_header_timeout(timeout)).await;
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    let head = format!(
        "POST /idenAuthentication HTTP/1.1\r\nHost: sandbox\r\nAuthorization: APPCODE {DEFAULT_APPCODE}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0_u8; 1024];
    while started.elapsed() < Duration::from_secs(10) {
        let _ = stream.write_all(b"a").await;
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let closed = started.elapsed();
    assert!(closed < timeout + MARGIN, "cut off only after {closed:?}");
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(
        answer.contains("x-ca-error-message: invalid request body"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_goes_on_while_500_idle_connections_are_open() {
    let sandbox = start(SandboxConfig::default()).await;
    let mut idle = Vec::with_capacity(500);
    for _ in 0..500 {
        idle.push(TcpStream::connect(sandbox.addr()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..20 {
        assert_eq!(billed_status(&sandbox, MARGIN).await, Some(200));
    }
    // They are all still open (the default header timeout is 10 s), none was refused.
    let mut buf = [0_u8; 1];
    for stream in &idle {
        assert!(matches!(
            stream.try_read(&mut buf),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        ));
    }
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once_until_a_slot_frees() {
    let timeout = Duration::from_secs(2);
    let sandbox = start(SandboxConfig {
        max_connections: 4,
        ..with_header_timeout(timeout)
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(sandbox.addr()).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = TcpStream::connect(sandbox.addr()).await.unwrap();
    let closed = closed_within(&mut over, Duration::from_millis(500)).await;
    assert!(closed.is_some(), "a fifth connection was kept");
    assert_eq!(
        billed_status(&sandbox, Duration::from_millis(500)).await,
        None
    );
    // The four are closed by the header timeout; then there is room again.
    for stream in &mut idle {
        assert!(closed_within(stream, timeout + MARGIN).await.is_some());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(billed_status(&sandbox, MARGIN).await, Some(200));
}

#[tokio::test]
async fn dropping_the_sandbox_answers_the_request_in_flight_then_refuses_connections() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(500),
        ..SandboxConfig::default()
    })
    .await;
    let addr = sandbox.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let target = format!(
        "/idCardCert?idCard=11010519491231002X&name={}",
        form_urlencoded::byte_serialize("张三".as_bytes()).collect::<String>()
    );
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: sandbox\r\nAuthorization: APPCODE {DEFAULT_APPCODE}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(sandbox);
    let (status, head, _) = read_answer(&mut stream).await;
    assert_eq!(status, 200, "{head}");
    assert!(closed_within(&mut stream, MARGIN).await.is_some());
    let started = Instant::now();
    while TcpStream::connect(addr).await.is_ok() {
        assert!(started.elapsed() < MARGIN, "still accepting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const APP_KEY: &str = "203000001";
const APP_SECRET: &str = "TestAppSecret";

fn signed_sandbox() -> SandboxConfig {
    SandboxConfig {
        app_key: Some((APP_KEY.to_owned(), SecretString::from(APP_SECRET))),
        ..SandboxConfig::default()
    }
}

/// A signed `GET /idCardCert` with `nonce`, signed with `secret`, on a new connection: the
/// status and `X-Ca-Error-Message`.
async fn signed(sandbox: &Sandbox, secret: &str, nonce: &str) -> (u16, String) {
    let (id, name) = ("11010519491231002X", "张三");
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let headers = [
        ("X-Ca-Key", APP_KEY),
        ("X-Ca-Nonce", nonce),
        ("X-Ca-Timestamp", timestamp.as_str()),
    ];
    let input = SigningInput {
        method: "GET",
        accept: Some("application/json"),
        headers: &headers,
        path: "/idCardCert",
        query: &[("idCard", id), ("name", name)],
        ..SigningInput::default()
    };
    let signature = sign_string(&SecretString::from(secret), &input.string_to_sign());
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("idCard", id), ("name", name)])
        .finish();
    let request = format!(
        "GET /idCardCert?{query} HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\nAccept: application/json\r\nX-Ca-Key: {APP_KEY}\r\nX-Ca-Nonce: {nonce}\r\nX-Ca-Timestamp: {timestamp}\r\nX-Ca-Signature-Headers: {}\r\nX-Ca-Signature: {signature}\r\n\r\n",
        input.signature_headers()
    );
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, head, _) = read_answer(&mut stream).await;
    let message = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-ca-error-message")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrongly_signed_requests_store_no_nonce_even_huge_ones() {
    let sandbox = start(signed_sandbox()).await;
    let huge = "n".repeat(16 * 1024);
    for i in 0..2000 {
        let nonce = format!("{i:05}{huge}");
        let (status, message) = signed(&sandbox, "WrongSecret", &nonce).await;
        assert_eq!((status, message.as_str()), (400, "Invalid Nonce"));
    }
    assert_eq!(sandbox.stored_nonces(), 0);
    // Nonces of a sane length, wrongly signed: refused for the signature, not stored.
    for _ in 0..200 {
        let (status, message) = signed(&sandbox, "WrongSecret", &random_uuid()).await;
        assert_eq!(status, 400);
        assert!(message.starts_with("Invalid Signature"), "{message}");
    }
    assert_eq!(sandbox.stored_nonces(), 0);
    assert_eq!(sandbox.billed_total(), 0);
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_and_an_over_long_one_is_invalid() {
    let sandbox = start(signed_sandbox()).await;
    let nonce = random_uuid();
    assert_eq!(signed(&sandbox, APP_SECRET, &nonce).await.0, 200);
    assert_eq!(sandbox.stored_nonces(), 1);
    assert_eq!(
        signed(&sandbox, APP_SECRET, &nonce).await,
        (400, "Nonce Used".to_owned())
    );
    // A wrongly signed request is not told whether a nonce was used, and burns none.
    let (status, message) = signed(&sandbox, "WrongSecret", &nonce).await;
    assert!(
        status == 400 && message.starts_with("Invalid Signature"),
        "{message}"
    );
    let other = random_uuid();
    let (status, message) = signed(&sandbox, "WrongSecret", &other).await;
    assert!(
        status == 400 && message.starts_with("Invalid Signature"),
        "{message}"
    );
    assert_eq!(signed(&sandbox, APP_SECRET, &other).await.0, 200);
    assert_eq!(sandbox.stored_nonces(), 2);
    // The longest nonce accepted, then one byte more.
    let longest = "n".repeat(MAX_NONCE_LEN);
    assert_eq!(signed(&sandbox, APP_SECRET, &longest).await.0, 200);
    let over = "n".repeat(MAX_NONCE_LEN + 1);
    assert_eq!(
        signed(&sandbox, APP_SECRET, &over).await,
        (400, "Invalid Nonce".to_owned())
    );
    assert_eq!(sandbox.stored_nonces(), 3);
    assert_eq!(sandbox.billed_total(), 3);
}
