//! The signature reproduces the test vectors of `GATEWAY.md` (checked there against the official
//! Python and Java demo signers) byte for byte: string-to-sign, signed-header list, signature.

use aliyun_gateway::{SigningInput, content_md5, gateway_error};
use provider_trait::{Error, Retry};
use secrecy::SecretString;

fn secret() -> SecretString {
    SecretString::from("TestAppSecret0123456789abcdef")
}

const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";

#[test]
fn tv1_get_query() {
    let headers = [
        ("X-Ca-Timestamp", "1700000000000"),
        ("X-Ca-Key", "203000001"),
        ("X-Ca-Signature-Method", "HmacSHA256"),
        ("X-Ca-Nonce", "b7d4a2f0-3c1e-4f5a-9d2b-000000000001"),
        ("Accept", "application/json"),
    ];
    let input = SigningInput {
        method: "GET",
        accept: Some("application/json"),
        headers: &headers,
        path: "/idCardCert",
        query: &[("name", "张三"), ("idCard", "110101199003070011")],
        ..SigningInput::default()
    };
    assert_eq!(
        input.string_to_sign(),
        "GET\napplication/json\n\n\n\nX-Ca-Key:203000001\nX-Ca-Nonce:b7d4a2f0-3c1e-4f5a-9d2b-000000000001\nX-Ca-Signature-Method:HmacSHA256\nX-Ca-Timestamp:1700000000000\n/idCardCert?idCard=110101199003070011&name=张三"
    );
    assert_eq!(
        input.signature_headers(),
        "X-Ca-Key,X-Ca-Nonce,X-Ca-Signature-Method,X-Ca-Timestamp"
    );
    assert_eq!(
        input.sign(&secret()),
        "TqQ2ZzNP/GIUmhU7OiWW4MKBBEe11lo/6y+SVSoawr0="
    );
}

#[test]
fn tv2_post_form() {
    let headers = [
        ("X-Ca-Key", "203000001"),
        ("X-Ca-Nonce", "b7d4a2f0-3c1e-4f5a-9d2b-000000000002"),
        ("X-Ca-Signature-Method", "HmacSHA256"),
        ("X-Ca-Timestamp", "1700000000000"),
        ("Content-Type", FORM),
    ];
    let input = SigningInput {
        method: "post",
        accept: Some("application/json"),
        content_type: Some(FORM),
        headers: &headers,
        path: "/idenAuthentication",
        form: &[("idNo", "110101199003070011"), ("name", "张三")],
        ..SigningInput::default()
    };
    assert_eq!(
        input.string_to_sign(),
        "POST\napplication/json\n\napplication/x-www-form-urlencoded; charset=UTF-8\n\nX-Ca-Key:203000001\nX-Ca-Nonce:b7d4a2f0-3c1e-4f5a-9d2b-000000000002\nX-Ca-Signature-Method:HmacSHA256\nX-Ca-Timestamp:1700000000000\n/idenAuthentication?idNo=110101199003070011&name=张三"
    );
    assert_eq!(
        input.sign(&secret()),
        "b+GXcjxmXlWXMeRi7Nsm0uDlcRKt9c5rAM0r/7teMpU="
    );
}

#[test]
fn tv3_query_and_form_merged_empty_values_bare() {
    let headers = [
        ("X-Ca-Key", "203000001"),
        ("X-Ca-Timestamp", "1700000000000"),
    ];
    let input = SigningInput {
        method: "POST",
        content_type: Some(FORM),
        headers: &headers,
        path: "/chinadatapay/1882",
        query: &[("b", "2"), ("a", "")],
        form: &[
            ("name", "李四"),
            ("idcard", "110101199003070011"),
            ("key", ""),
        ],
        ..SigningInput::default()
    };
    assert_eq!(
        input.string_to_sign(),
        "POST\n\n\napplication/x-www-form-urlencoded; charset=UTF-8\n\nX-Ca-Key:203000001\nX-Ca-Timestamp:1700000000000\n/chinadatapay/1882?a&b=2&idcard=110101199003070011&key&name=李四"
    );
    assert_eq!(input.signature_headers(), "X-Ca-Key,X-Ca-Timestamp");
    assert_eq!(
        input.sign(&secret()),
        "QqEn/8rey9hIkZBsPTcgEYNawQ8QtAbSxU6GG6D5J70="
    );
}

#[test]
fn tv4_json_body_with_content_md5() {
    let body = r#"{"idCard":"110101199003070011","name":"张三"}"#;
    let md5 = content_md5(body.as_bytes());
    assert_eq!(md5, "7OadqGl0w+6SK+SFe3n44Q==");
    let headers = [
        ("X-Ca-Key", "203000001"),
        ("X-Ca-Nonce", "b7d4a2f0-3c1e-4f5a-9d2b-000000000004"),
        ("X-Ca-Signature-Method", "HmacSHA256"),
        ("X-Ca-Timestamp", "1700000000000"),
    ];
    let input = SigningInput {
        method: "POST",
        accept: Some("application/json"),
        content_md5: Some(&md5),
        content_type: Some("application/json; charset=UTF-8"),
        headers: &headers,
        path: "/face",
        ..SigningInput::default()
    };
    assert_eq!(
        input.string_to_sign(),
        "POST\napplication/json\n7OadqGl0w+6SK+SFe3n44Q==\napplication/json; charset=UTF-8\n\nX-Ca-Key:203000001\nX-Ca-Nonce:b7d4a2f0-3c1e-4f5a-9d2b-000000000004\nX-Ca-Signature-Method:HmacSHA256\nX-Ca-Timestamp:1700000000000\n/face"
    );
    assert_eq!(
        input.sign(&secret()),
        "CgyrB9lCxBJycU5AbRNFUPz2q88dYSFur0A6y6xaNN8="
    );
}

#[test]
fn falsy_values_are_values_and_the_form_wins_a_clash() {
    let input = SigningInput {
        method: "POST",
        path: "/p",
        query: &[("flag", "false"), ("n", "0"), ("k", "query")],
        form: &[("k", "form")],
        ..SigningInput::default()
    };
    assert!(input.string_to_sign().ends_with("/p?flag=false&k=form&n=0"));
}

/// Status, `X-Ca-Error-Message`, the expected error, what retrying means.
type GatewayCase = (u16, &'static str, fn(&Error) -> bool, Retry);

#[test]
fn gateway_messages_win_over_status() {
    let cases: [GatewayCase; 12] = [
        (
            403,
            "Throttled by APP Flow Control",
            |e| matches!(e, Error::Throttled { .. }),
            Retry::Safe,
        ),
        (
            403,
            "Throttled by DOMAIN Flow Control",
            |e| matches!(e, Error::Throttled { .. }),
            Retry::Safe,
        ),
        (
            403,
            "Quota Exhausted",
            |e| matches!(e, Error::QuotaExhausted { .. }),
            Retry::Never,
        ),
        (
            403,
            "Quota Expired",
            |e| matches!(e, Error::QuotaExhausted { .. }),
            Retry::Never,
        ),
        (
            403,
            "User Arrears",
            |e| matches!(e, Error::QuotaExhausted { .. }),
            Retry::Never,
        ),
        (
            403,
            "Unauthorized",
            |e| matches!(e, Error::Unauthenticated { .. }),
            Retry::Never,
        ),
        (
            400,
            "Invalid AppCode `not exists`",
            |e| matches!(e, Error::Unauthenticated { .. }),
            Retry::Never,
        ),
        // Sample code reports a bad AppCode as 401: the message decides, not the status.
        (
            401,
            "Invalid AppCode",
            |e| matches!(e, Error::Unauthenticated { .. }),
            Retry::Never,
        ),
        (
            400,
            "Invalid Url",
            |e| matches!(e, Error::Protocol { billed: false, .. }),
            Retry::Safe,
        ),
        (
            500,
            "Failed To Call Backend Service",
            |e| matches!(e, Error::VendorUnavailable { billed: false, .. }),
            Retry::Safe,
        ),
        (
            503,
            "Service Unavailable",
            |e| matches!(e, Error::VendorUnavailable { .. }),
            Retry::Safe,
        ),
        (
            504,
            "Async Service",
            |e| matches!(e, Error::VendorUnavailable { .. }),
            Retry::Safe,
        ),
    ];
    for (status, message, is_expected, retry) in cases {
        let error = gateway_error(status, Some(message), Some("REQ-1")).unwrap();
        assert!(is_expected(&error), "{status} {message}: {error:?}");
        assert_eq!(error.retry(), retry, "{message}");
        assert_eq!(error.request_id(), Some("REQ-1"));
    }
    assert!(
        gateway_error(200, None, Some("REQ-2")).is_none(),
        "a vendor answer"
    );
    assert!(gateway_error(200, Some("  "), None).is_none());
    assert!(matches!(
        gateway_error(502, None, None),
        Some(Error::VendorUnavailable { .. })
    ));
    assert!(matches!(
        gateway_error(418, None, None),
        Some(Error::Protocol {
            status: 418,
            billed: false,
            ..
        })
    ));
}

#[test]
fn the_servers_string_to_sign_is_not_repeated() {
    let message = "Invalid Signature, Server StringToSign:`GET\n\n\n\n\n/idCardCert?idCard=110101199003070011&name=张三`";
    let error = gateway_error(400, Some(message), None).unwrap();
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("110101199003070011") && !shown.contains("张三"),
        "{shown}"
    );
    assert!(matches!(error, Error::Unauthenticated { .. }));
}

#[test]
fn debug_shows_names_but_never_values() {
    let input = SigningInput {
        method: "POST",
        headers: &[("X-Ca-Key", "203753117")],
        path: "/idCardCert",
        query: &[("mobile", "13800138000")],
        form: &[("idCard", "11010519491231002X"), ("name", "张三")],
        ..SigningInput::default()
    };
    let debug = format!("{input:?}");
    for value in ["203753117", "13800138000", "11010519491231002X", "张三"] {
        assert!(!debug.contains(value), "{value} in {debug}");
    }
    for name in ["X-Ca-Key", "mobile", "idCard", "name", "/idCardCert"] {
        assert!(debug.contains(name), "{name} missing from {debug}");
    }
}
