//! Every vendor's response mapping, on any body: never a panic, and an HTTP 200 answer is
//! always billed, whether it maps to a report or an error.

use aliyun_gateway::GatewayResponse;
use idcheck_core::{IdNumber, Mobile};
use proptest::prelude::*;
use provider_trait::{Billing, Error, Report};

fn map_all(body: &[u8]) -> Vec<Result<Report, Error>> {
    let id = IdNumber::parse("511126199511111118").unwrap();
    let mobile = Mobile::parse("13800138000").unwrap();
    let response = |provider| GatewayResponse::from_parts(provider, body.to_vec(), None);
    vec![
        provider_idcardcert::map_response(&response("idcardcert"), &id),
        provider_checkphone::map_response(&response("checkphone"), &mobile),
        provider_facever::map_response(&response("facever"), &id),
        provider_idenauthen::map_response(&response("idenauthen"), &id),
        provider_checkone::map_response(&response("checkone")),
    ]
}

fn assert_billed(results: &[Result<Report, Error>]) {
    for result in results {
        let billing = match result {
            Ok(report) => report.trace.billing,
            Err(error) => error.billing(),
        };
        assert_eq!(billing, Billing::Billed, "{result:?}");
    }
}

/// A JSON value of the kinds vendors send in a field.
fn field_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("01"),
            Just("02"),
            Just("1"),
            Just("-3"),
            Just("0000"),
            Just("10000"),
            Just("null"),
            Just("{\"result\":\"1\"}"),
            Just("男"),
            Just("M"),
            Just("19951111"),
            Just("1995-11-11"),
            Just("511126"),
            Just("联通"),
        ]
        .prop_map(serde_json::Value::from),
        "\\PC{0,6}".prop_map(|r| serde_json::json!({ "result": r })),
    ]
}

proptest! {
    #[test]
    fn any_bytes_map_without_panic(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        assert_billed(&map_all(&body));
    }

    #[test]
    fn any_object_with_the_vendors_keys_maps_without_panic(
        values in proptest::collection::vec(field_value(), 16),
    ) {
        let keys = [
            "status", "msg", "sex", "birthday", "addrCode", "province", "city", "prefecture",
            "mobileType", "traceId", "respCode", "age", "county", "code", "data", "seqNo",
        ];
        let object: serde_json::Map<String, serde_json::Value> =
            keys.iter().map(|k| (*k).to_owned()).zip(values).collect();
        let body = serde_json::Value::Object(object).to_string();
        assert_billed(&map_all(body.as_bytes()));
    }
}
