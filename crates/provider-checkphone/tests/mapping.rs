//! The exact request the vendor receives, and every code of seed 001 mapped.

use std::sync::Arc;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, GatewayResponse};
use httpmock::HttpMockRequest;
use httpmock::prelude::*;
use idcheck_core::{Carrier, IdNumber, Mobile, MobileError, MobileKind, Name};
use provider_checkphone::{CheckPhone, PROVIDER_ID, map_response};
use provider_trait::{
    Billing, Error, Field, InvalidInput, Provider, Report, Request, UnverifiableReason, Verdict,
};

const SUCCESS: &str = include_str!("../fixtures/success.json");
const FAILURE: &str = include_str!("../fixtures/failure.json");
const UNICOM: &str = "18612345000";
const MOBILE: &str = "13800138000";

fn map(body: &str, mobile: &str) -> Result<Report, Error> {
    let response = GatewayResponse::from_parts(PROVIDER_ID, body.into(), Some("REQ-1".into()));
    map_response(&response, &Mobile::parse(mobile).unwrap())
}

fn provider(server: &MockServer) -> Arc<dyn Provider> {
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    Arc::new(CheckPhone::new(client).with_base_url(BaseUrl::parse(&server.base_url()).unwrap()))
}

fn request(mobile: &str) -> Request {
    Request::mobile(
        IdNumber::parse("511126199511111118").unwrap(),
        Name::parse("张三").unwrap(),
        Mobile::parse(mobile).unwrap(),
    )
}

#[tokio::test]
async fn the_vendor_receives_get_carrieroperator_with_an_encoded_utf8_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/carrieroperator")
                .header("authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                .is_true(|req: &HttpMockRequest| {
                    req.uri().query()
                        == Some(
                            "idCard=511126199511111118&mobile=18612345000&name=%E5%BC%A0%E4%B8%89",
                        )
                });
            then.status(200).body(SUCCESS);
        })
        .await;
    let report = provider(&server).verify(&request(UNICOM)).await.unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn virtual_operator_numbers_and_other_checks_make_no_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(SUCCESS);
        })
        .await;
    let provider = provider(&server);
    for virtual_number in ["17012345678", "17112345678", "16512345678"] {
        let error = provider.verify(&request(virtual_number)).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput(InvalidInput::Mobile(MobileError::Unverifiable {
                    kind: MobileKind::Virtual,
                    ..
                }))
            ),
            "{virtual_number}: {error:?}"
        );
        assert_eq!(error.billing(), Billing::NotBilled);
    }
    let identity = Request::identity(*request(MOBILE).id(), request(MOBILE).name().clone());
    assert!(matches!(
        provider.verify(&identity).await.unwrap_err(),
        Error::UnsupportedCheck {
            provider: "checkphone",
            ..
        }
    ));
    any.assert_calls_async(0).await;
}

#[test]
fn the_seed_success_sample_is_a_match_with_the_carrier_and_trace_id() {
    let report = map(SUCCESS, UNICOM).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.details.carrier, Some(Carrier::ChinaUnicom));
    let t = &report.trace;
    assert_eq!(t.raw_code.as_deref(), Some("01"));
    assert_eq!(t.raw_message.as_deref(), Some("实名认证通过"));
    assert_eq!(
        t.vendor_request_id.as_deref(),
        Some("20201208001535_9a45ph_5e392391")
    );
    assert_eq!(t.gateway_request_id.as_deref(), Some("REQ-1"));
    assert!(t.notes.is_empty(), "{:?}", t.notes);
}

#[test]
fn a_carrier_other_than_the_segments_original_one_is_noted_as_ported() {
    let report = map(SUCCESS, MOBILE).unwrap();
    assert_eq!(report.details.carrier, Some(Carrier::ChinaUnicom));
    assert_eq!(
        report.trace.notes,
        [
            "the number is served by China Unicom today but its segment was allocated to China Mobile: it was probably ported"
        ]
    );
    for (name, carrier) in [
        ("移动", Carrier::ChinaMobile),
        ("中国电信", Carrier::ChinaTelecom),
        ("广电", Carrier::ChinaBroadnet),
    ] {
        let body = format!(r#"{{"status":"01","mobileType":"{name}"}}"#);
        assert_eq!(map(&body, MOBILE).unwrap().details.carrier, Some(carrier));
    }
    let odd = map(r#"{"status":"01","mobileType":"火星通信"}"#, MOBILE).unwrap();
    assert_eq!(odd.details.carrier, None);
    assert_eq!(
        odd.trace.notes,
        ["dropped the vendor's malformed carrier (mobileType)"]
    );
}

#[test]
fn the_seed_failure_sample_is_a_mismatch_without_carrier() {
    let report = map(FAILURE, UNICOM).unwrap();
    assert_eq!(report.verdict, Verdict::Mismatch);
    assert_eq!(report.details.carrier, None);
    assert!(report.trace.notes.is_empty());
    assert_eq!(report.trace.billing, Billing::Billed);
}

#[test]
fn every_code_in_the_seed_maps_to_one_outcome() {
    let body = |code: &str| format!(r#"{{"status":"{code}","msg":"m","mobileType":""}}"#);
    assert_eq!(
        map(&body("202"), UNICOM).unwrap().verdict,
        Verdict::Unverifiable(UnverifiableReason::Inconclusive)
    );
    assert!(matches!(
        map(&body("203"), UNICOM).unwrap_err(),
        Error::VendorUnavailable { billed: true, .. }
    ));
    for (code, field) in [
        ("204", Field::Name),
        ("205", Field::Id),
        ("206", Field::Mobile),
        ("207", Field::Mobile),
    ] {
        assert_eq!(
            map(&body(code), UNICOM).unwrap_err(),
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field,
                code: code.into()
            })
        );
    }
    assert_eq!(
        map(r#"{"status":1}"#, UNICOM).unwrap().verdict,
        Verdict::Match
    );
    for body in [r#"{"status":"208"}"#, r#"{"traceId":"x"}"#] {
        assert!(
            matches!(
                map(body, UNICOM).unwrap_err(),
                Error::Protocol { billed: true, .. }
            ),
            "{body}"
        );
    }
}
