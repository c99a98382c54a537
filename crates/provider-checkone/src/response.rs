//! Response mapping: `code`, then `data.result` for `10000`; `seqNo` as the vendor request id.

use aliyun_gateway::{AnswerKeys, CodeMeaning, Detail, GatewayResponse};
use provider_trait::{Error, Field, Report, UnverifiableReason, Verdict};

const MALFORMED_REQUEST: &str = "the vendor could not read the request";
const ACCOUNT_REFUSED: &str = "the vendor refused the account";
const VENDOR_FAILED: &str = "the vendor's query failed";

/// Seed 004's codes. `10000` is success and is looked up with its `data.result` as
/// `10000/<result>`, which is also the raw code the trace keeps.
const CODES: &[(&str, CodeMeaning)] = &[
    ("10000/1", CodeMeaning::Answer(Verdict::Match, None)),
    ("10000/2", CodeMeaning::Answer(Verdict::Mismatch, None)),
    // "统一异常为 result=3": the vendor will not say why (record moved, renamed, military …).
    (
        "10000/3",
        CodeMeaning::Answer(
            Verdict::Unverifiable(UnverifiableReason::Inconclusive),
            None,
        ),
    ),
    (
        "10001",
        CodeMeaning::Answer(Verdict::Unverifiable(UnverifiableReason::NoRecord), None),
    ),
    ("10002", CodeMeaning::Refused(MALFORMED_REQUEST)), // 请求报文解析错误
    ("10003", CodeMeaning::Refused(MALFORMED_REQUEST)), // 请求报文错误
    ("10004", CodeMeaning::Refused(MALFORMED_REQUEST)), // 请求报文格式有误
    ("10005", CodeMeaning::Refused(ACCOUNT_REFUSED)),   // 用户验证失败
    ("10006", CodeMeaning::Rejected(Field::Unspecified)), // 查询参数错误
    ("10007", CodeMeaning::Unavailable(VENDOR_FAILED)), // 调用接口失败
    ("10008", CodeMeaning::Unavailable(VENDOR_FAILED)), // 请求失败
    ("10009", CodeMeaning::Refused(MALFORMED_REQUEST)), // 请求报文格式错误
    ("10010", CodeMeaning::Refused(MALFORMED_REQUEST)), // 发送的报文不能为空
    ("10011", CodeMeaning::Refused(MALFORMED_REQUEST)), // 请求地址错误
    ("10012", CodeMeaning::Refused(MALFORMED_REQUEST)), // 报文错误
    ("10013", CodeMeaning::Unavailable(VENDOR_FAILED)), // 数据加密失败
    (
        "10014",
        CodeMeaning::Refused("the vendor has discontinued this API"),
    ), // 该接口已停用
    ("10015", CodeMeaning::Refused(ACCOUNT_REFUSED)),   // 该用户已停用
    ("10016", CodeMeaning::Unavailable(VENDOR_FAILED)), // 接口调用异常
    ("10017", CodeMeaning::Unavailable(VENDOR_FAILED)), // 查询失败
    ("10018", CodeMeaning::Rejected(Field::Unspecified)), // 参数错误
    ("10019", CodeMeaning::Unavailable(VENDOR_FAILED)), // 系统异常
    // 验证失败: a failure to verify, not a negative verdict.
    ("10020", CodeMeaning::Unavailable(VENDOR_FAILED)),
];

const KEYS: AnswerKeys = AnswerKeys {
    code: "code",
    message: "message",
    vendor_request_id: Some("seqNo"),
};

/// Maps the vendor's HTTP 200 answer to a report or an error.
///
/// # Errors
///
/// A body that is not a JSON object; an unknown code, or `10000` without a known
/// `data.result` (protocol errors carrying the code); the codes that are errors.
pub fn map_response(response: &GatewayResponse) -> Result<Report, Error> {
    let answer = response.json()?;
    let code = answer.code(KEYS.code);
    if code.as_deref() != Some("10000") {
        return answer.report(response, &KEYS, CODES);
    }
    let result = match answer.object("data") {
        Detail::Value(data) => data.code("result"),
        Detail::Absent | Detail::Malformed => None,
    };
    let Some(result) = result else {
        return Err(response.protocol_error(code, "code 10000 without a readable data.result"));
    };
    answer.report_for_code(response, &KEYS, Some(format!("10000/{result}")), CODES)
}
