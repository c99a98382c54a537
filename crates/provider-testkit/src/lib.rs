//! The conformance kit: checks every idcheck vendor crate runs, against an httpmock server on
//! loopback standing in for the Alibaba Cloud API Gateway and the vendor behind it.
//!
//! A vendor crate describes itself in a [`Vendor`] and calls [`assert_conforms`] from one
//! `#[tokio::test]`. The kit checks that
//! - the seed's success answer is a billed report carrying the gateway's `X-Ca-Request-Id`,
//!   sent with `Authorization: APPCODE <code>` to the vendor's method and path;
//! - every gateway refusal in `GATEWAY.md`'s table maps to the right error, unbilled, with the
//!   request id kept; a 200 with an empty or HTML body is a billed protocol error;
//! - a slow server hits the timeout and is asked once; an oversized body is refused;
//! - unsupported checks and the vendor's own offline refusals make zero requests;
//! - `Debug` of the provider, `Debug`/`Display` of every error and report, and everything
//!   logged through `tracing` contain no AppCode, ID number, name or mobile.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use aliyun_gateway::{BaseUrl, GatewayClient};
//! # use provider_trait::Provider;
//! # fn make(client: GatewayClient, base: BaseUrl) -> Arc<dyn Provider> { unimplemented!() }
//! use aliyun_gateway::Method;
//! use provider_testkit::{Vendor, assert_conforms};
//! # async fn conformance() {
//! assert_conforms(&Vendor::new(make, Method::Get, "/idCardCert", r#"{"status":"01"}"#)).await;
//! # }
//! ```

mod gateway_cases;
mod log_capture;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, Method};
use httpmock::MockServer;
use idcheck_core::{FaceImage, IdNumber, Mobile, Name};
use provider_trait::{Billing, Check, Error, Provider, Request, TransportFailure};

pub use gateway_cases::{GATEWAY_REFUSALS, GatewayRefusal};
pub use log_capture::{CaptureWriter, LogCapture};

/// The AppCode every check's client uses; it must never appear in any output.
pub const TEST_APPCODE: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e7aa";

/// The gateway request id every mocked answer carries.
pub const TEST_REQUEST_ID: &str = "8F3B5D2C-TESTKIT-0001";

/// Builds the provider under test from a gateway client and the mock server's base URL.
pub type MakeProvider = fn(GatewayClient, BaseUrl) -> Arc<dyn Provider>;

/// A vendor crate, as the kit needs to know it.
#[derive(Debug)]
pub struct Vendor {
    make: MakeProvider,
    method: Method,
    path: &'static str,
    success_body: &'static str,
    request: Request,
    refused_offline: Vec<Request>,
}

impl Vendor {
    /// A vendor answering `method` `path` with `success_body` (the seed's sample, verbatim)
    /// for an identity request of a fixed synthetic person.
    #[must_use]
    pub fn new(
        make: MakeProvider,
        method: Method,
        path: &'static str,
        success_body: &'static str,
    ) -> Self {
        Self {
            make,
            method,
            path,
            success_body,
            request: Request::identity(sample_id(), sample_name()),
            refused_offline: Vec::new(),
        }
    }

    /// The request to send (one the vendor performs), instead of the identity default.
    #[must_use]
    pub fn with_request(mut self, request: Request) -> Self {
        self.request = request;
        self
    }

    /// A request this vendor must refuse before any call (e.g. a virtual-operator mobile).
    #[must_use]
    pub fn refusing_offline(mut self, request: Request) -> Self {
        self.refused_offline.push(request);
        self
    }
}

/// `body` (the first 17 digits of an ID number) with its GB 11643 check character: synthetic
/// people for tests and benchmarks.
///
/// # Panics
///
/// When `body` is not 17 ASCII digits.
#[must_use]
pub fn with_check_character(body: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    assert!(
        body.len() == 17 && body.bytes().all(|b| b.is_ascii_digit()),
        "17 digits expected"
    );
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = CHECK[usize::try_from(sum % 11).unwrap_or(0)];
    format!("{body}{}", char::from(check))
}

/// A synthetic ID number (valid check digit, no real person).
#[must_use]
pub fn sample_id() -> IdNumber {
    IdNumber::parse("11010519491231002X").unwrap_or_else(|_| unreachable!("a valid sample"))
}

/// A synthetic name.
#[must_use]
pub fn sample_name() -> Name {
    Name::parse("测试人").unwrap_or_else(|_| unreachable!("a valid sample"))
}

/// A synthetic mobile number.
#[must_use]
pub fn sample_mobile() -> Mobile {
    Mobile::parse("13800138000").unwrap_or_else(|_| unreachable!("a valid sample"))
}

/// A photo by URL (not fetched offline).
#[must_use]
pub fn sample_photo() -> FaceImage {
    FaceImage::from_url("https://photos.example.com/face.jpg")
        .unwrap_or_else(|_| unreachable!("a valid sample"))
}

/// A 200×200 PNG (signature and IHDR; the sniffer reads no further) padded to `raw_len` bytes
/// with bytes whose base64 is `+/+/…`, so a form encoder must escape them. Parsed with a
/// base64 limit of `max_base64_len`.
///
/// # Panics
///
/// When `raw_len` is below the 33-byte header or the photo exceeds `max_base64_len`.
#[must_use]
pub fn sample_png_photo(raw_len: usize, max_base64_len: usize) -> FaceImage {
    idcheck_core::FaceImageParser::new()
        .max_base64_len(max_base64_len)
        .from_bytes(&sample_png_bytes(raw_len))
        .unwrap_or_else(|e| panic!("sample photo: {e}"))
}

/// The bytes of [`sample_png_photo`].
///
/// # Panics
///
/// When `raw_len` is below the 33-byte header.
#[must_use]
pub fn sample_png_bytes(raw_len: usize) -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&200u32.to_be_bytes());
    png.extend_from_slice(&200u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    assert!(raw_len >= png.len(), "a PNG header is {} bytes", png.len());
    // Aligned to base64's 3-byte groups from the start of the padding.
    let filler = [0xFB, 0xFF, 0xBF];
    png.extend((0..raw_len - png.len()).map(|i| filler[i % 3]));
    png
}

/// A 24-bit BMP of `width`×`height` noisy pixels (which compress badly, as photos do): a
/// photo file over the vendors' limit at a modest size. Each `seed` gives its own pixels.
///
/// # Panics
///
/// When a side is 0 or the file would be over 4 GiB.
#[must_use]
pub fn noisy_bmp(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let row = (width * 3).next_multiple_of(4);
    let size = 54 + row * height;
    let mut out = b"BM".to_vec();
    for field in [size, 0, 54, 40, width, height] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&[1, 0, 24, 0]); // planes, bits per pixel
    out.extend_from_slice(&[0; 24]); // no compression, sizes and palette left to defaults
    let mut state = 0x2545_f491_u32 ^ seed.wrapping_mul(0x9E37_79B9);
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = state % 64;
            for base in [x * 150 / width, y * 150 / height, 90 + seed % 90] {
                out.push(u8::try_from(base + noise).unwrap_or(u8::MAX));
            }
        }
        out.resize(out.len() + (row - width * 3) as usize, 0);
    }
    out
}

/// Runs every check and panics listing each failure.
///
/// # Panics
///
/// When the vendor does not conform; the message lists every failure (without repeating any
/// leaked secret).
pub async fn assert_conforms(vendor: &Vendor) {
    let failures = check(vendor).await;
    assert!(
        failures.is_empty(),
        "{} conformance failure(s):\n- {}",
        failures.len(),
        failures.join("\n- ")
    );
}

/// Runs every check and returns the failures (empty when the vendor conforms).
pub async fn check(vendor: &Vendor) -> Vec<String> {
    let log = LogCapture::default();
    let _guard = log.install();
    let mut run = Run {
        vendor,
        failures: Vec::new(),
        outputs: Vec::new(),
    };
    run.success_is_billed_and_traced().await;
    run.gateway_refusals_map_right().await;
    run.bodies_that_are_not_answers().await;
    run.slow_server_times_out().await;
    run.oversized_body_is_refused().await;
    run.invalid_input_makes_no_request().await;
    run.outputs.push(log.text());
    run.no_secret_or_personal_data_in_outputs();
    run.failures
}

struct Run<'a> {
    vendor: &'a Vendor,
    failures: Vec<String>,
    /// Every `Debug`/`Display` text produced, to search for leaks at the end.
    outputs: Vec<String>,
}

impl Run<'_> {
    fn client(timeout: Duration) -> GatewayClient {
        let auth = Auth::app_code(TEST_APPCODE).unwrap_or_else(|_| unreachable!("valid"));
        GatewayClient::builder(auth)
            .with_timeout(timeout)
            .build()
            .unwrap_or_else(|e| panic!("gateway client: {e}"))
    }

    fn provider(&mut self, server: &MockServer, timeout: Duration) -> Arc<dyn Provider> {
        let base = BaseUrl::parse(&server.base_url()).unwrap_or_else(|e| panic!("{e}"));
        let provider = (self.vendor.make)(Self::client(timeout), base);
        self.outputs.push(format!("{provider:?}"));
        provider
    }

    fn fail(&mut self, check: &str, what: impl std::fmt::Display) {
        self.failures.push(format!("{check}: {what}"));
    }

    fn record(&mut self, result: &Result<provider_trait::Report, Error>) {
        match result {
            Ok(report) => self.outputs.push(format!("{report:?}")),
            Err(error) => self.outputs.push(format!("{error:?} / {error}")),
        }
    }

    /// Sends the vendor's request to a server answering `status` with `headers` and `body`;
    /// returns the result and how many requests the server saw.
    async fn exchange(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
        delay: Option<Duration>,
        timeout: Duration,
    ) -> (Result<provider_trait::Report, Error>, usize) {
        let server = MockServer::start_async().await;
        let vendor = self.vendor;
        let mock = server
            .mock_async(|when, then| {
                let when = when
                    .path(vendor.path)
                    .header("authorization", format!("APPCODE {TEST_APPCODE}"));
                match vendor.method {
                    Method::Get => {
                        when.method(httpmock::Method::GET);
                    }
                    _ => {
                        when.method(httpmock::Method::POST).header(
                            "content-type",
                            "application/x-www-form-urlencoded; charset=UTF-8",
                        );
                    }
                }
                let mut then = then.status(status).body(body);
                for (name, value) in headers {
                    then = then.header(*name, *value);
                }
                if let Some(delay) = delay {
                    then.delay(delay);
                }
            })
            .await;
        let provider = self.provider(&server, timeout);
        let result = provider.verify(&self.vendor.request).await;
        self.record(&result);
        (result, mock.calls_async().await)
    }

    /// An HTTP 200 with `body` and the test request id, answered at once.
    async fn answer_200(&mut self, body: &str) -> (Result<provider_trait::Report, Error>, usize) {
        let request_id = [("X-Ca-Request-Id", TEST_REQUEST_ID)];
        self.exchange(200, &request_id, body, None, Duration::from_secs(10))
            .await
    }

    async fn success_is_billed_and_traced(&mut self) {
        const CHECK: &str = "success";
        let (result, calls) = self.answer_200(self.vendor.success_body).await;
        if calls != 1 {
            self.fail(
                CHECK,
                format_args!(
                    "expected 1 request with the APPCODE header to {:?} {}, the server matched {calls}",
                    self.vendor.method, self.vendor.path
                ),
            );
        }
        match result {
            Ok(report) => {
                if report.trace.billing != Billing::Billed {
                    self.fail(CHECK, "an HTTP 200 answer must be billed");
                }
                if report.trace.gateway_request_id.as_deref() != Some(TEST_REQUEST_ID) {
                    self.fail(CHECK, "the trace must keep X-Ca-Request-Id");
                }
                if report.trace.raw_code.is_none() {
                    self.fail(CHECK, "the trace must keep the vendor's raw code");
                }
            }
            Err(error) => self.fail(
                CHECK,
                format_args!("the seed's success body failed: {error}"),
            ),
        }
    }

    async fn gateway_refusals_map_right(&mut self) {
        for case in GATEWAY_REFUSALS {
            let headers = [
                ("X-Ca-Error-Message", case.message),
                ("X-Ca-Request-Id", TEST_REQUEST_ID),
            ];
            let (result, calls) = self
                .exchange(case.status, &headers, "", None, Duration::from_secs(10))
                .await;
            // Up to the first comma: the signature refusal quotes personal data after it.
            let label = case.message.split(',').next().unwrap_or_default();
            let check = format!("gateway {} {label:?}", case.status);
            match result {
                Ok(report) => self.fail(
                    &check,
                    format_args!("a refusal became a verdict: {:?}", report.verdict),
                ),
                Err(error) => {
                    if !(case.expected)(&error) {
                        self.fail(
                            &check,
                            format_args!("mapped to {error:?}, expected {}", case.expected_name),
                        );
                    }
                    if error.billing() != Billing::NotBilled {
                        self.fail(&check, "a gateway refusal is not billed");
                    }
                    if error.request_id() != Some(TEST_REQUEST_ID) {
                        self.fail(&check, "X-Ca-Request-Id must be kept");
                    }
                }
            }
            if calls != 1 {
                self.fail(
                    &check,
                    format_args!("expected 1 request (no retry by default), saw {calls}"),
                );
            }
        }
    }

    async fn bodies_that_are_not_answers(&mut self) {
        let bodies = [
            ("empty body", ""),
            (
                "HTML body",
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
            ("truncated JSON", "{\"status\":"),
        ];
        for (what, body) in bodies {
            let check = format!("200 with {what}");
            let (result, _) = self.answer_200(body).await;
            match result {
                Err(Error::Protocol {
                    status: 200,
                    billed: true,
                    request_id,
                    ..
                }) => {
                    if request_id.as_deref() != Some(TEST_REQUEST_ID) {
                        self.fail(&check, "X-Ca-Request-Id must be kept");
                    }
                }
                other => self.fail(
                    &check,
                    format_args!("expected a billed protocol error, got {other:?}"),
                ),
            }
        }
    }

    async fn slow_server_times_out(&mut self) {
        const CHECK: &str = "slow server";
        let (result, calls) = self
            .exchange(
                200,
                &[],
                self.vendor.success_body,
                Some(Duration::from_secs(5)),
                Duration::from_millis(200),
            )
            .await;
        let timed_out = matches!(
            result,
            Err(Error::Transport {
                failure: TransportFailure::Timeout,
                ..
            })
        );
        if !timed_out {
            self.fail(CHECK, format_args!("expected a timeout, got {result:?}"));
        }
        if calls != 1 {
            self.fail(
                CHECK,
                format_args!("a timeout after sending must not be retried: {calls} requests"),
            );
        }
    }

    async fn oversized_body_is_refused(&mut self) {
        const CHECK: &str = "oversized body";
        let mut body = String::with_capacity(aliyun_gateway::DEFAULT_MAX_BODY_BYTES + 64);
        body.push_str(r#"{"padding":""#);
        while body.len() <= aliyun_gateway::DEFAULT_MAX_BODY_BYTES {
            body.push_str("xxxxxxxxxxxxxxxx");
        }
        body.push_str(r#""}"#);
        let (result, _) = self
            .exchange(200, &[], &body, None, Duration::from_secs(10))
            .await;
        if !matches!(
            result,
            Err(Error::Protocol {
                status: 200,
                billed: true,
                ..
            })
        ) {
            self.fail(
                CHECK,
                format_args!("expected a billed protocol error, got {result:?}"),
            );
        }
    }

    async fn invalid_input_makes_no_request(&mut self) {
        const CHECK: &str = "offline refusal";
        let server = MockServer::start_async().await;
        let any = server
            .mock_async(|when, then| {
                when.any_request();
                then.status(200).body(self.vendor.success_body);
            })
            .await;
        let provider = self.provider(&server, Duration::from_secs(10));
        let supported = provider.capabilities();
        let (id, name) = (
            *self.vendor.request.id(),
            self.vendor.request.name().clone(),
        );
        let mut requests: Vec<Request> = Check::ALL
            .iter()
            .filter(|check| !supported.supports(**check))
            .map(|check| match check {
                Check::Identity => Request::identity(id, name.clone()),
                Check::Mobile => Request::mobile(id, name.clone(), sample_mobile()),
                _ => Request::face(id, name.clone(), sample_photo()),
            })
            .collect();
        requests.extend(self.vendor.refused_offline.iter().cloned());
        for request in &requests {
            let result = provider.verify(request).await;
            self.record(&result);
            match &result {
                Err(Error::UnsupportedCheck { provider: p, check }) => {
                    if *p != provider.id() || *check != request.check() {
                        self.fail(CHECK, format_args!("wrong refusal {result:?}"));
                    }
                }
                Err(Error::InvalidInput(_)) => {}
                other => self.fail(
                    CHECK,
                    format_args!(
                        "{:?} request must be refused offline, got {other:?}",
                        request.check()
                    ),
                ),
            }
        }
        let calls = any.calls_async().await;
        if calls != 0 {
            self.fail(
                CHECK,
                format_args!("refused requests made {calls} HTTP request(s)"),
            );
        }
    }

    fn no_secret_or_personal_data_in_outputs(&mut self) {
        let mut secrets = vec![("the AppCode", TEST_APPCODE.to_owned())];
        for request in std::iter::once(&self.vendor.request).chain(&self.vendor.refused_offline) {
            secrets.push(("an ID number", request.id().as_str().to_owned()));
            secrets.push(("a name", request.name().as_str().to_owned()));
            if let Request::Mobile(mobile) = request {
                secrets.push(("a mobile number", mobile.mobile.as_str().to_owned()));
            }
        }
        let mut leaks = String::new();
        for output in &self.outputs {
            for (what, secret) in &secrets {
                if output.contains(secret.as_str()) {
                    let _ = write!(leaks, "\n  {what} in: {}", redact(output, secret));
                }
            }
        }
        if !leaks.is_empty() {
            self.fail("no secrets or personal data", leaks);
        }
    }
}

/// The leaking text with the secret itself replaced, so the failure message does not repeat it.
fn redact(output: &str, secret: &str) -> String {
    let shown: String = output
        .replace(secret, "<LEAKED>")
        .chars()
        .take(300)
        .collect();
    shown
}
