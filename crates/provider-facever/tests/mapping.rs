//! The exact request the vendor receives, the offline photo check, and every code of seed 002.

use std::sync::Arc;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, GatewayResponse};
use chrono::NaiveDate;
use httpmock::prelude::*;
use idcheck_core::{FaceImage, FaceImageError, IdNumber, Name, PhotoPayload, Sex};
use provider_facever::{FaceVer, MAX_BASE64_LEN, PROVIDER_ID, map_response};
use provider_testkit::sample_png_photo;
use provider_trait::{
    Billing, Error, FaceOutcome, Field, InvalidInput, Provider, Report, Request,
    UnverifiableReason, Verdict,
};

const SUCCESS: &str = include_str!("../fixtures/success.json");
const FAILURE: &str = include_str!("../fixtures/failure.json");
const SAMPLE_ID: &str = "511126199511111118";

fn map(body: &str) -> Result<Report, Error> {
    let response = GatewayResponse::from_parts(PROVIDER_ID, body.into(), Some("REQ-1".into()));
    map_response(&response, &IdNumber::parse(SAMPLE_ID).unwrap())
}

fn provider(server: &MockServer) -> Arc<dyn Provider> {
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    Arc::new(FaceVer::new(client).with_base_url(BaseUrl::parse(&server.base_url()).unwrap()))
}

fn request(photo: FaceImage) -> Request {
    Request::face(
        IdNumber::parse(SAMPLE_ID).unwrap(),
        Name::parse("张三").unwrap(),
        photo,
    )
}

#[tokio::test]
async fn the_vendor_receives_a_post_form_with_the_base64_photo_escaped() {
    let photo = sample_png_photo(300, MAX_BASE64_LEN);
    let PhotoPayload::Base64(base64) = photo.payload() else {
        unreachable!()
    };
    assert!(base64.contains('+') && base64.contains('/'));
    let escaped = base64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let expected = format!("idCard={SAMPLE_ID}&image={escaped}&name=%E5%BC%A0%E4%B8%89");
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/face")
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .header("authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                .body(expected.as_str());
            then.status(200).body(SUCCESS);
        })
        .await;
    let report = provider(&server).verify(&request(photo)).await.unwrap();
    assert_eq!(report.face, Some(FaceOutcome::Same));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_url_photo_is_passed_through() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/face").body(format!(
                "idCard={SAMPLE_ID}&image=https%3A%2F%2Fphotos.example.com%2Fa%2Fface.jpg%3Fv%3D1&name=%E5%BC%A0%E4%B8%89"
            ));
            then.status(200).body(SUCCESS);
        })
        .await;
    let photo = FaceImage::from_url("https://photos.example.com/a/face.jpg?v=1").unwrap();
    provider(&server).verify(&request(photo)).await.unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_photo_over_the_vendors_limit_is_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).body(r#"{"status":"-5"}"#);
        })
        .await;
    // 76,803 raw bytes are 102,404 base64 characters: just over; 76,800 are exactly 102,400.
    let over = sample_png_photo(76_803, 1_000_000);
    let error = provider(&server).verify(&request(over)).await.unwrap_err();
    assert_eq!(
        error,
        Error::InvalidInput(InvalidInput::Photo(FaceImageError::TooLarge {
            base64_len: 102_404,
            raw_len: 76_803,
            limit: MAX_BASE64_LEN
        }))
    );
    assert_eq!(error.billing(), Billing::NotBilled);
    any.assert_calls_async(0).await;
    let at_limit = sample_png_photo(76_800, 1_000_000);
    assert!(matches!(
        provider(&server)
            .verify(&request(at_limit))
            .await
            .unwrap_err(),
        Error::InvalidInput(InvalidInput::RejectedByVendor {
            field: Field::Photo,
            ..
        })
    ));
    any.assert_calls_async(1).await;
}

#[test]
fn the_seed_success_sample_is_the_same_person_with_details() {
    let report = map(SUCCESS).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.face, Some(FaceOutcome::Same));
    assert_eq!(report.details.sex, Some(Sex::Male));
    assert_eq!(
        report.details.birthday,
        NaiveDate::from_ymd_opt(1995, 11, 11)
    );
    assert_eq!(report.details.address_code, Some(511_126));
    assert_eq!(report.trace.raw_code.as_deref(), Some("1"));
    assert_eq!(
        report.trace.raw_message.as_deref(),
        Some("系统分析为同一人")
    );
    assert!(report.trace.notes.is_empty(), "{:?}", report.trace.notes);
}

#[test]
fn the_seed_failure_sample_is_a_photo_refusal() {
    assert_eq!(
        map(FAILURE).unwrap_err(),
        Error::InvalidInput(InvalidInput::RejectedByVendor {
            field: Field::Photo,
            code: "-4".into()
        })
    );
}

#[test]
fn every_code_in_the_seed_maps_to_one_outcome() {
    let body = |code: &str| format!(r#"{{"status":"{code}","msg":"m","sex":""}}"#);
    for (code, verdict, face) in [
        ("1", Verdict::Match, Some(FaceOutcome::Same)),
        ("2", Verdict::Match, Some(FaceOutcome::ProbablySame)),
        ("3", Verdict::Mismatch, Some(FaceOutcome::Different)),
        ("-1", Verdict::Mismatch, None),
        (
            "-2",
            Verdict::Unverifiable(UnverifiableReason::NoRecord),
            None,
        ),
        (
            "-3",
            Verdict::Unverifiable(UnverifiableReason::NoPhotoOnFile),
            None,
        ),
    ] {
        let report = map(&body(code)).unwrap();
        assert_eq!((report.verdict, report.face), (verdict, face), "{code}");
        assert_eq!(report.trace.raw_code.as_deref(), Some(code));
    }
    for (code, field) in [
        ("-4", Field::Photo),
        ("-5", Field::Photo),
        ("204", Field::Name),
        ("205", Field::Id),
    ] {
        assert_eq!(
            map(&body(code)).unwrap_err(),
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field,
                code: code.into()
            }),
            "{code}"
        );
    }
    assert!(matches!(
        map(&body("203")).unwrap_err(),
        Error::VendorUnavailable { billed: true, .. }
    ));
    // Numbers tolerated; unknown codes never guessed.
    assert_eq!(map(r#"{"status":-1}"#).unwrap().verdict, Verdict::Mismatch);
    for body in [
        r#"{"status":"0"}"#,
        r#"{"status":"-6"}"#,
        r#"{"status":"01"}"#,
    ] {
        assert!(
            matches!(map(body).unwrap_err(), Error::Protocol { billed: true, .. }),
            "{body}"
        );
    }
}
