//! Response mapping: `status` through the seed's code table; `mobileType` as the carrier
//! today, compared with the segment's original carrier; `traceId` as the vendor request id.

use aliyun_gateway::{AnswerKeys, CodeMeaning, Detail, GatewayResponse};
use idcheck_core::{Carrier, Mobile};
use provider_trait::{Error, Field, Report, UnverifiableReason, Verdict};

/// Seed 001's status codes ("外部状态码"). `1` / `2` are the same codes sent as JSON numbers.
const CODES: &[(&str, CodeMeaning)] = &[
    ("01", CodeMeaning::Answer(Verdict::Match, None)),
    ("1", CodeMeaning::Answer(Verdict::Match, None)),
    ("02", CodeMeaning::Answer(Verdict::Mismatch, None)),
    ("2", CodeMeaning::Answer(Verdict::Mismatch, None)),
    // "无法验证", without saying why: not "no record".
    (
        "202",
        CodeMeaning::Answer(
            Verdict::Unverifiable(UnverifiableReason::Inconclusive),
            None,
        ),
    ),
    (
        "203",
        CodeMeaning::Unavailable(
            "异常情况 (a virtual-operator number, or one number checked too often in 24 hours)",
        ),
    ),
    ("204", CodeMeaning::Rejected(Field::Name)),
    ("205", CodeMeaning::Rejected(Field::Id)),
    ("206", CodeMeaning::Rejected(Field::Mobile)),
    // "不支持当前号段": the vendor cannot check this segment.
    ("207", CodeMeaning::Rejected(Field::Mobile)),
];

const KEYS: AnswerKeys = AnswerKeys {
    code: "status",
    message: "msg",
    vendor_request_id: Some("traceId"),
};

/// Maps the vendor's HTTP 200 answer for `mobile` to a report or an error.
///
/// # Errors
///
/// A body that is not a JSON object, an unknown code (protocol errors carrying the code), and
/// the codes that are errors (203 unavailable, 204..207 input refused).
pub fn map_response(response: &GatewayResponse, mobile: &Mobile) -> Result<Report, Error> {
    let answer = response.json()?;
    let mut report = answer.report(response, &KEYS, CODES)?;
    let carrier = match answer.text("mobileType") {
        None => Detail::Absent,
        Some(name) => carrier_named(name).map_or(Detail::Malformed, Detail::Value),
    };
    report.details.carrier = carrier.keep(&mut report.trace, "carrier (mobileType)");
    if let Some(today) = report.details.carrier {
        let original = mobile.original_carrier();
        if today != original {
            report.trace.notes.push(format!(
                "the number is served by {} today but its segment was allocated to {}: it was \
                 probably ported",
                today.name_en(),
                original.name_en()
            ));
        }
    }
    Ok(report)
}

/// `联通`, `中国联通`, `移动`, `电信`, `广电` …
fn carrier_named(name: &str) -> Option<Carrier> {
    [
        ("移动", Carrier::ChinaMobile),
        ("联通", Carrier::ChinaUnicom),
        ("电信", Carrier::ChinaTelecom),
        ("广电", Carrier::ChinaBroadnet),
    ]
    .into_iter()
    .find_map(|(word, carrier)| name.contains(word).then_some(carrier))
}
