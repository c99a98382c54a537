//! The exact request the vendor receives, and every code of seed 000 mapped.

use std::sync::Arc;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, GatewayResponse};
use chrono::NaiveDate;
use httpmock::HttpMockRequest;
use httpmock::prelude::*;
use idcheck_core::{IdNumber, Name, Sex};
use provider_idcardcert::{IdCardCert, PROVIDER_ID, map_response};
use provider_trait::{
    Billing, Error, Field, InvalidInput, Provider, Request, UnverifiableReason, Verdict,
};

const SUCCESS: &str = include_str!("../fixtures/success.json");
const FAILURE: &str = include_str!("../fixtures/failure.json");
/// Consistent with the seed's success sample: 四川省乐山市夹江县, 1995-11-11, male.
const SAMPLE_ID: &str = "511126199511111118";

fn id(text: &str) -> IdNumber {
    IdNumber::parse(text).unwrap()
}

fn map(body: &str, id_text: &str) -> Result<provider_trait::Report, Error> {
    let response = GatewayResponse::from_parts(PROVIDER_ID, body.into(), Some("REQ-1".into()));
    map_response(&response, &id(id_text))
}

#[tokio::test]
async fn the_vendor_receives_get_id_card_cert_with_an_encoded_utf8_query() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/idCardCert")
                .header("authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                .is_true(|req: &HttpMockRequest| {
                    req.uri().query() == Some("idCard=511126199511111118&name=%E5%BC%A0%E4%B8%89")
                        && req.body_ref().is_empty()
                });
            then.status(200)
                .header("X-Ca-Request-Id", "REQ-OK")
                .body(SUCCESS);
        })
        .await;
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    let provider: Arc<dyn Provider> = Arc::new(
        IdCardCert::new(client).with_base_url(BaseUrl::parse(&server.base_url()).unwrap()),
    );
    let request = Request::identity(id(SAMPLE_ID), Name::parse("张三").unwrap());
    let report = provider.verify(&request).await.unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.trace.gateway_request_id.as_deref(), Some("REQ-OK"));
    mock.assert_calls_async(1).await;
}

#[test]
fn the_seed_success_sample_is_a_match_with_details_agreeing_with_the_id() {
    let report = map(SUCCESS, SAMPLE_ID).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.face, None);
    let d = &report.details;
    assert_eq!(d.sex, Some(Sex::Male));
    assert_eq!(d.birthday, NaiveDate::from_ymd_opt(1995, 11, 11));
    assert_eq!(d.address_code, Some(511_126));
    assert_eq!(d.region.as_deref(), Some("四川省乐山市夹江县"));
    assert_eq!(d.age, None);
    let t = &report.trace;
    assert_eq!(t.provider, "idcardcert");
    assert_eq!(t.raw_code.as_deref(), Some("01"));
    assert_eq!(t.raw_message.as_deref(), Some("实名认证通过!"));
    assert_eq!(t.gateway_request_id.as_deref(), Some("REQ-1"));
    assert_eq!(t.billing, Billing::Billed);
    assert!(t.notes.is_empty(), "{:?}", t.notes);
}

#[test]
fn details_contradicting_the_id_number_are_reported_by_field() {
    // A woman born 1990-03-07 in 110105: every detail of the sample disagrees.
    let report = map(SUCCESS, "110105199003070025").unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(
        report.trace.notes,
        [
            "the vendor's sex differs from the one the ID number encodes",
            "the vendor's birthday differs from the one the ID number encodes",
            "the vendor's address code differs from the ID number's first six digits",
        ]
    );
}

#[test]
fn the_seed_failure_sample_is_a_mismatch_with_empty_details_dropped() {
    let report = map(FAILURE, SAMPLE_ID).unwrap();
    assert_eq!(report.verdict, Verdict::Mismatch);
    assert_eq!(report.details, provider_trait::Details::default());
    assert_eq!(report.trace.raw_code.as_deref(), Some("02"));
    assert!(report.trace.notes.is_empty());
}

#[test]
fn every_code_in_the_seed_maps_to_one_outcome() {
    let body = |code: &str| format!(r#"{{"status":"{code}","msg":"m"}}"#);
    assert_eq!(
        map(&body("202"), SAMPLE_ID).unwrap().verdict,
        Verdict::Unverifiable(UnverifiableReason::NoRecord)
    );
    let unavailable = map(&body("203"), SAMPLE_ID).unwrap_err();
    assert!(
        matches!(&unavailable, Error::VendorUnavailable { billed: true, request_id: Some(r), .. } if r == "REQ-1"),
        "{unavailable:?}"
    );
    for (code, field) in [("204", Field::Name), ("205", Field::Id)] {
        assert_eq!(
            map(&body(code), SAMPLE_ID).unwrap_err(),
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field,
                code: code.into()
            })
        );
    }
}

#[test]
fn numeric_codes_are_tolerated_and_unknown_or_missing_codes_are_protocol_errors() {
    assert_eq!(
        map(r#"{"status":1}"#, SAMPLE_ID).unwrap().verdict,
        Verdict::Match
    );
    assert_eq!(
        map(r#"{"status":2}"#, SAMPLE_ID).unwrap().verdict,
        Verdict::Mismatch
    );
    for (body, raw) in [
        (r#"{"status":"03"}"#, Some("03")),
        (r#"{"status":"0000"}"#, Some("0000")),
        (r#"{"msg":"ok"}"#, None),
        (r#"{"status":""}"#, None),
    ] {
        let error = map(body, SAMPLE_ID).unwrap_err();
        assert!(
            matches!(&error, Error::Protocol { raw_code, billed: true, .. } if raw_code.as_deref() == raw),
            "{body}: {error:?}"
        );
    }
}

#[test]
fn a_malformed_detail_is_dropped_with_a_note_not_fatal() {
    let report = map(
        r#"{"status":"01","sex":"X","birthday":"1995-13-45","addrCode":"abc"}"#,
        SAMPLE_ID,
    )
    .unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.details, provider_trait::Details::default());
    assert_eq!(
        report.trace.notes,
        [
            "dropped the vendor's malformed sex",
            "dropped the vendor's malformed birthday",
            "dropped the vendor's malformed address code",
        ]
    );
}

#[test]
fn capabilities_are_identity_checks_at_the_price_the_user_set() {
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    let plain = IdCardCert::new(client.clone());
    assert!(
        plain
            .capabilities()
            .supports(provider_trait::Check::Identity)
    );
    assert!(!plain.capabilities().supports(provider_trait::Check::Mobile));
    assert_eq!(plain.capabilities().unit_price(), None);
    let priced =
        IdCardCert::new(client).with_unit_price(provider_trait::Price::from_milli_yuan(70));
    assert_eq!(
        priced.capabilities().unit_price(),
        Some(provider_trait::Price::from_milli_yuan(70))
    );
}
