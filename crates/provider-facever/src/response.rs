//! Response mapping: `status` through the seed's code table, details when the vendor has them.

use aliyun_gateway::{AnswerKeys, CodeMeaning, DetailKeys, GatewayResponse};
use idcheck_core::IdNumber;
use provider_trait::{Error, FaceOutcome, Field, Report, UnverifiableReason, Verdict};

/// Seed 002's status codes ("错误码定义"). The verdict covers all three inputs: a different
/// face is a mismatch even though ID and name agree.
const CODES: &[(&str, CodeMeaning)] = &[
    (
        "1",
        CodeMeaning::Answer(Verdict::Match, Some(FaceOutcome::Same)),
    ),
    // "人像过度PS或者过度整容": the same person, probably, on a retouched photo.
    (
        "2",
        CodeMeaning::Answer(Verdict::Match, Some(FaceOutcome::ProbablySame)),
    ),
    (
        "3",
        CodeMeaning::Answer(Verdict::Mismatch, Some(FaceOutcome::Different)),
    ),
    // ID and name do not match: no face comparison was made.
    ("-1", CodeMeaning::Answer(Verdict::Mismatch, None)),
    (
        "-2",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    (
        "-3",
        CodeMeaning::Answer(
            Verdict::Unverifiable(UnverifiableReason::NoPhotoOnFile),
            None,
        ),
    ),
    // Photo quality: covered eyes, nose, ears or mouth, or not a human face.
    ("-4", CodeMeaning::Rejected(Field::Photo)),
    // Too large: refused offline first, so only a stricter reading on the vendor's side sends it.
    ("-5", CodeMeaning::Rejected(Field::Photo)),
    (
        "203",
        CodeMeaning::Unavailable("异常情况 (the image could not be fetched, or maintenance)"),
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
/// the codes that are errors (-4/-5 photo refused, 203 unavailable, 204/205 input refused).
pub fn map_response(response: &GatewayResponse, id: &IdNumber) -> Result<Report, Error> {
    let answer = response.json()?;
    let mut report = answer.report(response, &KEYS, CODES)?;
    report.details = answer.details(&DETAILS, id, &mut report.trace);
    Ok(report)
}
