//! The gateway's refusals (`GATEWAY.md` part A3) and the error each must become.

use provider_trait::Error;

/// A refusal the gateway answers before any vendor code runs.
#[derive(Clone, Copy, Debug)]
pub struct GatewayRefusal {
    /// HTTP status as the gateway sends it.
    pub status: u16,
    /// `X-Ca-Error-Message`.
    pub message: &'static str,
    /// Whether an error is the right mapping.
    pub expected: fn(&Error) -> bool,
    /// The right mapping, for failure messages.
    pub expected_name: &'static str,
}

const fn refusal(
    status: u16,
    message: &'static str,
    expected: fn(&Error) -> bool,
    expected_name: &'static str,
) -> GatewayRefusal {
    GatewayRefusal {
        status,
        message,
        expected,
        expected_name,
    }
}

fn unauthenticated(e: &Error) -> bool {
    matches!(e, Error::Unauthenticated { .. })
}

fn quota(e: &Error) -> bool {
    matches!(e, Error::QuotaExhausted { .. })
}

fn throttled(e: &Error) -> bool {
    matches!(e, Error::Throttled { .. })
}

fn unavailable(e: &Error) -> bool {
    matches!(e, Error::VendorUnavailable { billed: false, .. })
}

fn protocol(e: &Error) -> bool {
    matches!(e, Error::Protocol { billed: false, .. })
}

/// Every row of the gateway's error table, plus the two ways a bad AppCode arrives (400 as
/// documented, 401 as sample code says) and a signature refusal that quotes the server's
/// string-to-sign (which holds the ID number and name: it must not reach any output).
pub const GATEWAY_REFUSALS: &[GatewayRefusal] = &[
    refusal(
        403,
        "Throttled by USER Flow Control",
        throttled,
        "Throttled",
    ),
    refusal(403, "Throttled by APP Flow Control", throttled, "Throttled"),
    refusal(403, "Throttled by API Flow Control", throttled, "Throttled"),
    refusal(
        403,
        "Throttled by DOMAIN Flow Control",
        throttled,
        "Throttled",
    ),
    refusal(403, "Quota Exhausted", quota, "QuotaExhausted"),
    refusal(403, "Quota Expired", quota, "QuotaExhausted"),
    refusal(403, "Expiry of Authorization", quota, "QuotaExhausted"),
    refusal(403, "User Arrears", quota, "QuotaExhausted"),
    refusal(403, "Unauthorized", unauthenticated, "Unauthenticated"),
    refusal(
        400,
        "Invalid AppCode `not exists`",
        unauthenticated,
        "Unauthenticated",
    ),
    refusal(401, "Invalid AppCode", unauthenticated, "Unauthenticated"),
    refusal(400, "Invalid AppKey", unauthenticated, "Unauthenticated"),
    refusal(400, "Invalid AppSecret", unauthenticated, "Unauthenticated"),
    refusal(400, "Timestamp Expired", unauthenticated, "Unauthenticated"),
    refusal(400, "Invalid Timestamp", unauthenticated, "Unauthenticated"),
    refusal(401, "Empty Signature", unauthenticated, "Unauthenticated"),
    refusal(
        400,
        // The gateway writes the string-to-sign with its line feeds as `#`.
        "Invalid Signature, Server StringToSign:`GET#application/json####X-Ca-Key:203000001#/idCardCert?idCard=11010519491231002X&name=测试人`",
        unauthenticated,
        "Unauthenticated",
    ),
    refusal(400, "Invalid Url", protocol, "Protocol (unbilled)"),
    refusal(
        400,
        "Invalid Param Location",
        protocol,
        "Protocol (unbilled)",
    ),
    refusal(400, "Invalid Domain", protocol, "Protocol (unbilled)"),
    refusal(400, "Invalid HttpMethod", protocol, "Protocol (unbilled)"),
    refusal(400, "Empty Request Body", protocol, "Protocol (unbilled)"),
    refusal(400, "Invalid Request Body", protocol, "Protocol (unbilled)"),
    refusal(
        400,
        "Unsupported Multipart",
        protocol,
        "Protocol (unbilled)",
    ),
    refusal(
        413,
        "Request body too Large",
        protocol,
        "Protocol (unbilled)",
    ),
    refusal(
        500,
        "Internal Error",
        unavailable,
        "VendorUnavailable (unbilled)",
    ),
    refusal(
        500,
        "Failed To Call Backend Service",
        unavailable,
        "VendorUnavailable (unbilled)",
    ),
    refusal(
        503,
        "Service Unavailable",
        unavailable,
        "VendorUnavailable (unbilled)",
    ),
    refusal(
        504,
        "Async Service",
        unavailable,
        "VendorUnavailable (unbilled)",
    ),
];
