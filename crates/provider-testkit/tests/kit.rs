//! The kit passes a well-behaved vendor and catches each kind of misbehaviour, so a vendor
//! crate that passes it has really been checked.

use std::sync::Arc;

use aliyun_gateway::{BaseUrl, Call, GatewayClient, Method};
use provider_testkit::{TEST_APPCODE, Vendor, assert_conforms, check, sample_mobile};
use provider_trait::{Capabilities, Check, Checks, Error, Provider, Report, Request, Verdict};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flaw {
    None,
    AppCodeInDebug,
    RawIdInLogs,
    CallsForUnsupportedChecks,
    EmptyBodyIsAMatch,
    RetriesTimeouts,
    GatewayRefusalIsAMismatch,
}

/// A small idcardcert-like vendor: GET `/idCardCert`, `status` "01" / "02".
#[derive(Debug)]
struct Demo {
    client: GatewayClient,
    base: BaseUrl,
    flaw: Flaw,
    // Only read by the derived `Debug`: the flaw the kit must catch.
    #[allow(dead_code)]
    leaked: Option<&'static str>,
}

fn build(client: GatewayClient, base: BaseUrl, flaw: Flaw) -> Arc<dyn Provider> {
    let leaked = (flaw == Flaw::AppCodeInDebug).then_some(TEST_APPCODE);
    Arc::new(Demo {
        client,
        base,
        flaw,
        leaked,
    })
}

impl Demo {
    async fn call(&self, request: &Request) -> Result<Report, Error> {
        let params = [
            ("idCard", request.id().as_str()),
            ("name", request.name().as_str()),
        ];
        let call =
            Call::new("demo", &self.base, Method::Get, "/idCardCert", &params).for_request(request);
        if self.flaw == Flaw::RawIdInLogs {
            tracing::info!(id = request.id().as_str(), "calling");
        }
        let response = self.client.send(&call).await?;
        let mut trace = response.trace();
        let json: serde_json::Value = match serde_json::from_slice(response.body()) {
            Ok(json) => json,
            Err(_) if self.flaw == Flaw::EmptyBodyIsAMatch => {
                trace.raw_code = Some(String::new());
                return Ok(Report::new(Verdict::Match, trace));
            }
            Err(_) => return Err(response.protocol_error(None, "the body is not JSON")),
        };
        let code = json["status"].as_str().unwrap_or_default().to_owned();
        trace.raw_code = Some(code.clone());
        match code.as_str() {
            "01" => Ok(Report::new(Verdict::Match, trace)),
            "02" => Ok(Report::new(Verdict::Mismatch, trace)),
            _ => Err(response.protocol_error(Some(code), "unknown status")),
        }
    }
}

#[async_trait::async_trait]
impl Provider for Demo {
    fn id(&self) -> &'static str {
        "demo"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Checks::only(Check::Identity))
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        if request.check() != Check::Identity && self.flaw != Flaw::CallsForUnsupportedChecks {
            return Err(Error::UnsupportedCheck {
                provider: "demo",
                check: request.check(),
            });
        }
        let result = self.call(request).await;
        match result {
            Err(Error::Transport { .. }) if self.flaw == Flaw::RetriesTimeouts => {
                self.call(request).await
            }
            Err(Error::QuotaExhausted { .. }) if self.flaw == Flaw::GatewayRefusalIsAMismatch => {
                Ok(Report::new(
                    Verdict::Mismatch,
                    provider_trait::Trace::new("demo", provider_trait::Billing::NotBilled),
                ))
            }
            other => other,
        }
    }
}

fn vendor(make: provider_testkit::MakeProvider) -> Vendor {
    Vendor::new(
        make,
        Method::Get,
        "/idCardCert",
        r#"{"status":"01","msg":"一致"}"#,
    )
}

#[tokio::test]
async fn a_well_behaved_vendor_conforms() {
    assert_conforms(&vendor(|c, b| build(c, b, Flaw::None))).await;
}

#[tokio::test]
async fn offline_refusals_listed_by_the_vendor_are_checked_too() {
    // The demo performs identity checks only, so a mobile request is refused offline.
    let request = Request::mobile(
        provider_testkit::sample_id(),
        provider_testkit::sample_name(),
        sample_mobile(),
    );
    assert_conforms(&vendor(|c, b| build(c, b, Flaw::None)).refusing_offline(request)).await;
}

async fn failures_of(flaw: Flaw) -> Vec<String> {
    let make: provider_testkit::MakeProvider = match flaw {
        Flaw::None => |c, b| build(c, b, Flaw::None),
        Flaw::AppCodeInDebug => |c, b| build(c, b, Flaw::AppCodeInDebug),
        Flaw::RawIdInLogs => |c, b| build(c, b, Flaw::RawIdInLogs),
        Flaw::CallsForUnsupportedChecks => |c, b| build(c, b, Flaw::CallsForUnsupportedChecks),
        Flaw::EmptyBodyIsAMatch => |c, b| build(c, b, Flaw::EmptyBodyIsAMatch),
        Flaw::RetriesTimeouts => |c, b| build(c, b, Flaw::RetriesTimeouts),
        Flaw::GatewayRefusalIsAMismatch => |c, b| build(c, b, Flaw::GatewayRefusalIsAMismatch),
    };
    check(&vendor(make)).await
}

#[tokio::test]
async fn each_flaw_is_caught_by_the_right_check() {
    let cases = [
        (Flaw::AppCodeInDebug, "the AppCode in"),
        (Flaw::RawIdInLogs, "an ID number in"),
        (
            Flaw::CallsForUnsupportedChecks,
            "offline refusal: refused requests made",
        ),
        (Flaw::EmptyBodyIsAMatch, "200 with empty body"),
        (
            Flaw::RetriesTimeouts,
            "slow server: a timeout after sending",
        ),
        (
            Flaw::GatewayRefusalIsAMismatch,
            "gateway 403 \"Quota Exhausted\": a refusal became a verdict",
        ),
    ];
    for (flaw, expected) in cases {
        let failures = failures_of(flaw).await;
        assert!(
            failures.iter().any(|f| f.contains(expected)),
            "{flaw:?} should fail with {expected:?}, got {failures:#?}"
        );
        // The report of a leak never repeats the secret it found.
        for failure in &failures {
            assert!(!failure.contains(TEST_APPCODE), "{failure}");
            assert!(!failure.contains("11010519491231002X"), "{failure}");
        }
    }
    assert!(failures_of(Flaw::None).await.is_empty());
}

#[tokio::test]
async fn the_gateway_span_names_provider_masked_inputs_status_and_latency() {
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/idCardCert");
            then.status(200)
                .header("X-Ca-Request-Id", "REQ-SPAN")
                .body(r#"{"status":"02"}"#);
        })
        .await;
    let log = provider_testkit::LogCapture::default();
    let _guard = log.install();
    let client = GatewayClient::new(aliyun_gateway::Auth::app_code(TEST_APPCODE).unwrap()).unwrap();
    let provider = build(
        client,
        BaseUrl::parse(&server.base_url()).unwrap(),
        Flaw::None,
    );
    let request = Request::mobile(
        provider_testkit::sample_id(),
        provider_testkit::sample_name(),
        sample_mobile(),
    );
    // The demo refuses mobile checks, so send the identity part.
    let identity = Request::identity(*request.id(), request.name().clone());
    let report = provider.verify(&identity).await.unwrap();
    assert_eq!(report.verdict, Verdict::Mismatch);
    let text = log.text();
    for expected in [
        "gateway_call",
        "provider=\"demo\"",
        "id=110105********002X",
        "name=测*",
        "status=200",
        "request_id=\"REQ-SPAN\"",
        "attempts=1",
        "latency_ms=",
        "outcome=\"answered\"",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        !text.contains("11010519491231002X") && !text.contains("测试人"),
        "{text}"
    );
}
