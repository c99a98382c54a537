//! The exact request the vendor receives, and every code of seed 003 mapped.

use std::sync::Arc;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, GatewayResponse};
use chrono::NaiveDate;
use httpmock::prelude::*;
use idcheck_core::{IdNumber, Name, Sex};
use provider_idenauthen::{IdenAuthen, PROVIDER_ID, map_response};
use provider_trait::{
    Error, Field, InvalidInput, Provider, Report, Request, UnverifiableReason, Verdict,
};

const SUCCESS: &str = include_str!("../fixtures/success.json");
const FAILURE: &str = include_str!("../fixtures/failure.json");
/// The seed sample's number with its check digit corrected: a man born 1907-10-14 in 340421.
const SAMPLE_ID: &str = "340421190710145418";

fn map(body: &str, id: &str) -> Result<Report, Error> {
    let response = GatewayResponse::from_parts(PROVIDER_ID, body.into(), Some("REQ-1".into()));
    map_response(&response, &IdNumber::parse(id).unwrap())
}

#[tokio::test]
async fn the_vendor_receives_a_post_form_with_id_no_and_an_encoded_name() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/idenAuthentication")
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .header("authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                .body("idNo=340421190710145418&name=%E5%BC%A0%E4%B8%89");
            then.status(200).body(SUCCESS);
        })
        .await;
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    let provider: Arc<dyn Provider> = Arc::new(
        IdenAuthen::new(client).with_base_url(BaseUrl::parse(&server.base_url()).unwrap()),
    );
    let request = Request::identity(
        IdNumber::parse(SAMPLE_ID).unwrap(),
        Name::parse("张三").unwrap(),
    );
    assert_eq!(
        provider.verify(&request).await.unwrap().verdict,
        Verdict::Match
    );
    mock.assert_calls_async(1).await;
}

#[test]
fn the_seed_samples_map_with_details_in_the_vendors_formats() {
    let report = map(SUCCESS, SAMPLE_ID).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    let d = &report.details;
    assert_eq!(d.sex, Some(Sex::Male));
    assert_eq!(d.birthday, NaiveDate::from_ymd_opt(1907, 10, 14));
    assert_eq!(d.age, Some(111));
    assert_eq!(d.region.as_deref(), Some("安徽省淮南市凤台县"));
    assert_eq!(d.address_code, None);
    assert_eq!(report.trace.raw_code.as_deref(), Some("0000"));
    assert_eq!(report.trace.raw_message.as_deref(), Some("身份证信息匹配"));
    assert!(report.trace.notes.is_empty(), "{:?}", report.trace.notes);

    let failure = map(FAILURE, SAMPLE_ID).unwrap();
    assert_eq!(failure.verdict, Verdict::Mismatch);
    assert_eq!(failure.details.age, Some(111));
}

#[test]
fn details_contradicting_the_id_number_are_reported() {
    // A woman born 1990-03-07: the sample's sex and birthday disagree.
    let report = map(SUCCESS, "110105199003070025").unwrap();
    assert_eq!(
        report.trace.notes,
        [
            "the vendor's sex differs from the one the ID number encodes",
            "the vendor's birthday differs from the one the ID number encodes",
        ]
    );
}

#[test]
fn every_code_in_the_seed_maps_to_one_outcome() {
    let body = |code: &str| {
        format!(r#"{{"respCode":"{code}","respMessage":"m","sex":"","birthday":"","age":""}}"#)
    };
    assert_eq!(
        map(&body("0007"), SAMPLE_ID).unwrap().verdict,
        Verdict::Unverifiable(UnverifiableReason::NoRecord)
    );
    for (code, field) in [
        ("0001", Field::Name),
        ("0002", Field::Name),
        ("0003", Field::Id),
        ("0004", Field::Id),
    ] {
        assert_eq!(
            map(&body(code), SAMPLE_ID).unwrap_err(),
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field,
                code: code.into()
            }),
            "{code}"
        );
    }
    assert!(matches!(
        map(&body("0010"), SAMPLE_ID).unwrap_err(),
        Error::VendorUnavailable { billed: true, .. }
    ));
    // Numbers tolerated (0 for 0000, 8 for 0008); unknown codes never guessed.
    assert_eq!(
        map(r#"{"respCode":0}"#, SAMPLE_ID).unwrap().verdict,
        Verdict::Match
    );
    assert_eq!(
        map(r#"{"respCode":8}"#, SAMPLE_ID).unwrap().verdict,
        Verdict::Mismatch
    );
    for body in [
        r#"{"respCode":"0005"}"#,
        r#"{"respCode":"0009"}"#,
        r#"{"status":"01"}"#,
    ] {
        assert!(
            matches!(
                map(body, SAMPLE_ID).unwrap_err(),
                Error::Protocol { billed: true, .. }
            ),
            "{body}"
        );
    }
}
