//! Response mapping: `status` through the seed's code table, details on a match.

use aliyun_gateway::{AnswerKeys, CodeMeaning, DetailKeys, GatewayResponse};
use idcheck_core::IdNumber;
use provider_trait::{Error, Field, Report, UnverifiableReason, Verdict};

/// Seed 000's status codes ("外部状态码"). `1` / `2` are the same codes sent as JSON numbers.
const CODES: &[(&str, CodeMeaning)] = &[
    ("01", CodeMeaning::Answer(Verdict::Match, None)),
    ("1", CodeMeaning::Answer(Verdict::Match, None)),
    ("02", CodeMeaning::Answer(Verdict::Mismatch, None)),
    ("2", CodeMeaning::Answer(Verdict::Mismatch, None)),
    (
        "202",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    (
        "203",
        CodeMeaning::Unavailable("异常情况 (exceptional situation)"),
    ),
    ("204", CodeMeaning::Rejected(Field::Name)),
    ("205", CodeMeaning::Rejected(Field::Id)),
];

const KEYS: AnswerKeys = AnswerKeys {
    code: "status",
    message: "msg",
    vendor_request_id: None,
};

const DETAILS: DetailKeys = DetailKeys {
    sex: Some("sex"),
    birthday: Some("birthday"),
    age: None,
    address_code: Some("addrCode"),
    region: &["province", "city", "prefecture"],
};

/// Maps the vendor's HTTP 200 answer for `id` to a report or an error.
///
/// # Errors
///
/// A body that is not a JSON object, an unknown code (protocol errors carrying the code), and
/// the codes that are errors (203 unavailable, 204/205 input refused).
pub fn map_response(response: &GatewayResponse, id: &IdNumber) -> Result<Report, Error> {
    let answer = response.json()?;
    let mut report = answer.report(response, &KEYS, CODES)?;
    report.details = answer.details(&DETAILS, id, &mut report.trace);
    Ok(report)
}
