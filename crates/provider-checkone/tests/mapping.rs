//! The exact request the vendor receives, every code of seed 004, and every shape of `data`.

use std::sync::Arc;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient, GatewayResponse};
use httpmock::prelude::*;
use idcheck_core::{IdNumber, Name};
use provider_checkone::{CheckOne, PROVIDER_ID, map_response};
use provider_trait::{
    Error, Field, InvalidInput, Provider, Report, Request, UnverifiableReason, Verdict,
};

const SUCCESS: &str = include_str!("../fixtures/success.json");
const FAILURE: &str = include_str!("../fixtures/failure.json");

fn map(body: &str) -> Result<Report, Error> {
    let response = GatewayResponse::from_parts(PROVIDER_ID, body.into(), Some("REQ-1".into()));
    map_response(&response)
}

fn request() -> Request {
    Request::identity(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse("李四").unwrap(),
    )
}

async fn sent_body(provider: impl FnOnce(GatewayClient, BaseUrl) -> CheckOne, expected: &str) {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/chinadatapay/1882")
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .header("authorization", "APPCODE 0123456789abcdef0123456789abcdef")
                .body(expected);
            then.status(200).body(SUCCESS);
        })
        .await;
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    let provider: Arc<dyn Provider> = Arc::new(provider(
        client,
        BaseUrl::parse(&server.base_url()).unwrap(),
    ));
    assert_eq!(
        provider.verify(&request()).await.unwrap().verdict,
        Verdict::Match
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_vendor_receives_idcard_and_name_and_the_key_only_when_set() {
    sent_body(
        |client, base| CheckOne::new(client).with_base_url(base),
        "idcard=11010519491231002X&name=%E6%9D%8E%E5%9B%9B",
    )
    .await;
    sent_body(
        |client, base| CheckOne::new(client).with_base_url(base).with_key("k+y/1"),
        "idcard=11010519491231002X&name=%E6%9D%8E%E5%9B%9B&key=k%2By%2F1",
    )
    .await;
}

#[test]
fn the_key_never_prints() {
    let client =
        GatewayClient::new(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap()).unwrap();
    let provider = CheckOne::new(client).with_key("vendor-key-secret");
    let debug = format!("{provider:?}");
    assert!(
        !debug.contains("vendor-key-secret") && !debug.contains("0123456789abcdef"),
        "{debug}"
    );
}

#[test]
fn the_seed_samples_map() {
    let report = map(SUCCESS).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.trace.raw_code.as_deref(), Some("10000/1"));
    assert_eq!(report.trace.raw_message.as_deref(), Some("成功"));
    assert_eq!(
        report.trace.vendor_request_id.as_deref(),
        Some("4XU29Z4D1704061618")
    );
    assert_eq!(report.trace.gateway_request_id.as_deref(), Some("REQ-1"));

    let failure = map(FAILURE).unwrap();
    assert_eq!(
        failure.verdict,
        Verdict::Unverifiable(UnverifiableReason::NoRecord)
    );
    assert_eq!(failure.trace.raw_code.as_deref(), Some("10001"));
    assert_eq!(
        failure.trace.vendor_request_id.as_deref(),
        Some("4XU29Z4D1704061618")
    );
}

#[test]
fn data_may_be_an_object_a_json_string_or_numbers() {
    for (body, verdict) in [
        (
            r#"{"code":"10000","data":{"result":"2"}}"#,
            Verdict::Mismatch,
        ),
        (
            r#"{"code":"10000","data":"{\"result\":\"1\"}"}"#,
            Verdict::Match,
        ),
        (r#"{"code":10000,"data":{"result":1}}"#, Verdict::Match),
        (
            r#"{"code":"10000","data":{"result":"3"}}"#,
            Verdict::Unverifiable(UnverifiableReason::Inconclusive),
        ),
    ] {
        assert_eq!(map(body).unwrap().verdict, verdict, "{body}");
    }
    for (body, raw) in [
        (r#"{"code":"10000","data":"null"}"#, "10000"),
        (r#"{"code":"10000","data":null}"#, "10000"),
        (r#"{"code":"10000"}"#, "10000"),
        (r#"{"code":"10000","data":"{broken"}"#, "10000"),
        (r#"{"code":"10000","data":{"result":""}}"#, "10000"),
        (r#"{"code":"10000","data":{"result":"4"}}"#, "10000/4"),
    ] {
        let error = map(body).unwrap_err();
        assert!(
            matches!(&error, Error::Protocol { raw_code: Some(r), billed: true, .. } if r == raw),
            "{body}: {error:?}"
        );
    }
}

#[test]
fn every_error_code_in_the_seed_maps_to_one_outcome() {
    let body = |code: u32| format!(r#"{{"code":"{code}","message":"m","data":"null"}}"#);
    for code in [
        10002, 10003, 10004, 10005, 10009, 10010, 10011, 10012, 10014, 10015,
    ] {
        let error = map(&body(code)).unwrap_err();
        assert!(
            matches!(&error, Error::Protocol { raw_code: Some(r), billed: true, .. } if *r == code.to_string()),
            "{code}: {error:?}"
        );
    }
    for code in [10006, 10018] {
        assert_eq!(
            map(&body(code)).unwrap_err(),
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field: Field::Unspecified,
                code: code.to_string()
            })
        );
    }
    for code in [10007, 10008, 10013, 10016, 10017, 10019, 10020] {
        assert!(
            matches!(
                map(&body(code)).unwrap_err(),
                Error::VendorUnavailable { billed: true, .. }
            ),
            "{code}"
        );
    }
    for unknown in [
        r#"{"code":"10021"}"#,
        r#"{"code":"0"}"#,
        r#"{"message":"成功"}"#,
    ] {
        assert!(
            matches!(
                map(unknown).unwrap_err(),
                Error::Protocol { billed: true, .. }
            ),
            "{unknown}"
        );
    }
}
