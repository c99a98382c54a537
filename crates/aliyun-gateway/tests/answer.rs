//! Lenient reading of vendor answers, and the code-table resolution every vendor crate uses.

use aliyun_gateway::{CodeMeaning, Detail, GatewayResponse, VendorAnswer};
use chrono::NaiveDate;
use idcheck_core::Sex;
use proptest::prelude::*;
use provider_trait::{
    Billing, Error, FaceOutcome, Field, InvalidInput, UnverifiableReason, Verdict,
};

fn answer(json: &str) -> VendorAnswer {
    VendorAnswer::from_slice(json.as_bytes()).unwrap()
}

#[test]
fn codes_are_strings_or_numbers_and_empty_is_absent() {
    let a = answer(r#"{"s":"01","n":1,"neg":-5,"pad":" 0000 ","e":"","z":null,"b":true}"#);
    assert_eq!(a.code("s").as_deref(), Some("01"));
    assert_eq!(a.code("n").as_deref(), Some("1"));
    assert_eq!(a.code("neg").as_deref(), Some("-5"));
    assert_eq!(a.code("pad").as_deref(), Some("0000"));
    for absent in ["e", "z", "b", "missing"] {
        assert_eq!(a.code(absent), None, "{absent}");
    }
}

#[test]
fn nested_objects_may_be_objects_encoded_strings_or_null_strings() {
    let a = answer(
        r#"{"o":{"result":"1"},"s":"{\"result\":\"2\"}","null_text":"null","null":null,"empty":"","bad":"{not json","num":3}"#,
    );
    let result = |d: Detail<VendorAnswer>| match d {
        Detail::Value(inner) => Detail::Value(inner.code("result")),
        Detail::Absent => Detail::Absent,
        Detail::Malformed => Detail::Malformed,
    };
    assert_eq!(result(a.object("o")), Detail::Value(Some("1".to_owned())));
    assert_eq!(result(a.object("s")), Detail::Value(Some("2".to_owned())));
    for absent in ["null_text", "null", "empty", "missing"] {
        assert_eq!(result(a.object(absent)), Detail::Absent, "{absent}");
    }
    for malformed in ["bad", "num"] {
        assert_eq!(
            result(a.object(malformed)),
            Detail::Malformed,
            "{malformed}"
        );
    }
}

#[test]
fn details_in_every_format_the_vendors_use() {
    let a = answer(
        r#"{"sex1":"男","sex2":"F","sex3":"女性","sex4":"?","d1":"1995-11-11","d2":"19071014","d3":"1995年11月11日","d4":"1995-13-45","age":"111","age2":42,"age3":"abc","code":"511126","code2":"12345","empty":""}"#,
    );
    assert_eq!(a.sex("sex1"), Detail::Value(Sex::Male));
    assert_eq!(a.sex("sex2"), Detail::Value(Sex::Female));
    assert_eq!(a.sex("sex3"), Detail::Value(Sex::Female));
    assert_eq!(a.sex("sex4"), Detail::Malformed);
    assert_eq!(a.sex("empty"), Detail::Absent);
    let day = |y, m, d| Detail::Value(NaiveDate::from_ymd_opt(y, m, d).unwrap());
    assert_eq!(a.date("d1"), day(1995, 11, 11));
    assert_eq!(a.date("d2"), day(1907, 10, 14));
    assert_eq!(a.date("d3"), day(1995, 11, 11));
    assert_eq!(a.date("d4"), Detail::Malformed);
    assert_eq!(a.date("missing"), Detail::Absent);
    assert_eq!(a.whole_number("age"), Detail::Value(111));
    assert_eq!(a.whole_number("age2"), Detail::Value(42));
    assert_eq!(a.whole_number("age3"), Detail::Malformed);
    assert_eq!(a.address_code("code"), Detail::Value(511_126));
    assert_eq!(a.address_code("code2"), Detail::Malformed);
    assert_eq!(a.address_code("empty"), Detail::Absent);
}

#[test]
fn a_malformed_detail_is_dropped_with_a_note() {
    let response = GatewayResponse::from_parts("t", Vec::new(), None);
    let mut trace = response.trace();
    assert_eq!(Detail::<u32>::Malformed.keep(&mut trace, "age"), None);
    assert_eq!(Detail::Value(3).keep(&mut trace, "age"), Some(3));
    assert_eq!(Detail::<u32>::Absent.keep(&mut trace, "age"), None);
    assert_eq!(trace.notes, ["dropped the vendor's malformed age"]);
}

#[test]
fn bodies_that_are_not_json_objects_are_billed_protocol_errors() {
    for (body, detail) in [
        ("", "empty body"),
        ("  \r\n", "empty body"),
        ("<html><body>502</body></html>", "HTML"),
        ("{\"status\":", "not valid JSON"),
        ("[1,2]", "not an object"),
        ("\"null\"", "not an object"),
    ] {
        let response = GatewayResponse::from_parts("t", body.into(), Some("REQ".into()));
        match response.json().unwrap_err() {
            Error::Protocol {
                status: 200,
                billed: true,
                detail: d,
                request_id,
                ..
            } => {
                assert!(d.contains(detail), "{body:?}: {d}");
                assert_eq!(request_id.as_deref(), Some("REQ"));
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

const TABLE: &[(&str, CodeMeaning)] = &[
    (
        "1",
        CodeMeaning::Answer(Verdict::Match, Some(FaceOutcome::Same)),
    ),
    (
        "202",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    ("204", CodeMeaning::Rejected(Field::Name)),
    ("203", CodeMeaning::Unavailable("maintenance")),
    ("10005", CodeMeaning::Refused("account refused")),
];

#[test]
fn codes_resolve_through_the_table_and_unknown_codes_are_never_verdicts() {
    let response = GatewayResponse::from_parts("t", Vec::new(), Some("REQ".into()));
    let resolve =
        |code: Option<&str>| response.resolve(code.map(str::to_owned), TABLE, response.trace());

    let report = resolve(Some("1")).unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.face, Some(FaceOutcome::Same));
    assert_eq!(report.trace.raw_code.as_deref(), Some("1"));
    assert_eq!(report.trace.billing, Billing::Billed);
    assert_eq!(report.trace.gateway_request_id.as_deref(), Some("REQ"));

    let report = resolve(Some("202")).unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Unverifiable(UnverifiableReason::NoRecord)
    );
    assert_eq!(report.face, None);

    assert_eq!(
        resolve(Some("204")).unwrap_err(),
        Error::InvalidInput(InvalidInput::RejectedByVendor {
            field: Field::Name,
            code: "204".into()
        })
    );
    let unavailable = resolve(Some("203")).unwrap_err();
    assert!(matches!(
        &unavailable,
        Error::VendorUnavailable { billed: true, request_id: Some(r), message } if r == "REQ" && message.contains("203")
    ));
    assert_eq!(unavailable.billing(), Billing::Billed);
    assert!(matches!(
        resolve(Some("10005")).unwrap_err(),
        Error::Protocol { raw_code: Some(c), billed: true, .. } if c == "10005"
    ));
    for unknown in [Some("01"), Some("999"), None] {
        let error = resolve(unknown).unwrap_err();
        assert!(
            matches!(&error, Error::Protocol { raw_code, billed: true, .. } if raw_code.as_deref() == unknown),
            "{unknown:?}: {error:?}"
        );
    }
}

#[test]
fn debug_shows_keys_not_values() {
    let a = answer(r#"{"idCard":"11010519491231002X","name":"张三"}"#);
    let debug = format!("{a:?}");
    assert!(debug.contains("idCard") && !debug.contains("002X") && !debug.contains("张三"));
}

proptest! {
    #[test]
    fn reading_any_bytes_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let response = GatewayResponse::from_parts("t", body, None);
        if let Ok(a) = response.json() {
            let _ = (a.code("status"), a.text("msg"), a.sex("sex"), a.date("birthday"));
        }
    }

    #[test]
    fn reading_any_field_value_never_panics(value in "\\PC{0,24}", number in any::<i64>(), float in any::<f64>()) {
        let json = serde_json::json!({
            "s": value, "n": number, "f": if float.is_finite() { serde_json::json!(float) } else { serde_json::Value::Null },
            "o": { "result": value }, "e": value.clone(),
        });
        let a = VendorAnswer::from_slice(json.to_string().as_bytes()).unwrap();
        for key in ["s", "n", "f", "o", "e", "missing"] {
            let _ = (a.code(key), a.text(key), a.object(key), a.sex(key), a.date(key), a.whole_number(key), a.address_code(key));
        }
    }
}
