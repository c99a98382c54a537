//! Response mapping: `respCode` through the seed's code table; details whenever present.

use aliyun_gateway::{AnswerKeys, CodeMeaning, DetailKeys, GatewayResponse};
use idcheck_core::IdNumber;
use provider_trait::{Error, Field, Report, UnverifiableReason, Verdict};

/// Seed 003's codes ("错误码定义"). `0`, `8` … are the same codes sent as JSON numbers.
const CODES: &[(&str, CodeMeaning)] = &[
    ("0000", CodeMeaning::Answer(Verdict::Match, None)),
    ("0", CodeMeaning::Answer(Verdict::Match, None)),
    ("0008", CodeMeaning::Answer(Verdict::Mismatch, None)),
    ("8", CodeMeaning::Answer(Verdict::Mismatch, None)),
    (
        "0007",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    (
        "7",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    // 开户名不能为空 / 开户名不能包含特殊字符.
    ("0001", CodeMeaning::Rejected(Field::Name)),
    ("1", CodeMeaning::Rejected(Field::Name)),
    ("0002", CodeMeaning::Rejected(Field::Name)),
    ("2", CodeMeaning::Rejected(Field::Name)),
    // 身份证号不能为空 / 身份证号格式错误.
    ("0003", CodeMeaning::Rejected(Field::Id)),
    ("3", CodeMeaning::Rejected(Field::Id)),
    ("0004", CodeMeaning::Rejected(Field::Id)),
    ("4", CodeMeaning::Rejected(Field::Id)),
    (
        "0010",
        CodeMeaning::Unavailable("系统维护，请稍后再试 (maintenance)"),
    ),
    (
        "10",
        CodeMeaning::Unavailable("系统维护，请稍后再试 (maintenance)"),
    ),
];

const KEYS: AnswerKeys = AnswerKeys {
    code: "respCode",
    message: "respMessage",
    vendor_request_id: None,
};

const DETAILS: DetailKeys = DetailKeys {
    sex: Some("sex"),
    birthday: Some("birthday"),
    age: Some("age"),
    address_code: None,
    region: &["province", "city", "county"],
};

/// Maps the vendor's HTTP 200 answer for `id` to a report or an error.
///
/// # Errors
///
/// A body that is not a JSON object, an unknown code (protocol errors carrying the code), and
/// the codes that are errors (0001..0004 input refused, 0010 maintenance).
pub fn map_response(response: &GatewayResponse, id: &IdNumber) -> Result<Report, Error> {
    let answer = response.json()?;
    let mut report = answer.report(response, &KEYS, CODES)?;
    report.details = answer.details(&DETAILS, id, &mut report.trace);
    Ok(report)
}
