//! Gateway refusals: `X-Ca-Error-Message` first, the HTTP status second, because the two
//! disagree in the wild (a bad AppCode is 400 in the official table and 401 in sample code).

use provider_trait::Error;

/// Maps a response the gateway refused (any status but 200 with a gateway error message, or a
/// non-200 status) to an error. Returns `None` for HTTP 200 without `X-Ca-Error-Message`: the
/// vendor's own answer, for the vendor crate to map.
///
/// Gateway refusals are not billed ("正常请求计费(其他均不计费)"): only HTTP 200 is.
#[must_use]
pub fn gateway_error(
    status: u16,
    error_message: Option<&str>,
    request_id: Option<&str>,
) -> Option<Error> {
    let message = error_message.map(str::trim).filter(|m| !m.is_empty());
    if status == 200 && message.is_none() {
        return None;
    }
    let request_id = request_id.map(str::to_owned);
    let owned = |m: &str| m.to_owned();
    if let Some(message) = message {
        let kind = classify(message);
        let text = redact_string_to_sign(message);
        return Some(match kind {
            Kind::Unauthenticated => Error::Unauthenticated {
                message: text,
                request_id,
            },
            Kind::Quota => Error::QuotaExhausted {
                message: text,
                request_id,
            },
            Kind::Throttled => Error::Throttled {
                message: text,
                request_id,
            },
            Kind::Unavailable => Error::VendorUnavailable {
                message: text,
                billed: false,
                request_id,
            },
            Kind::Request => Error::Protocol {
                status,
                raw_code: None,
                detail: format!("gateway refused the request: {text}"),
                billed: false,
                request_id,
            },
        });
    }
    // No gateway message: the backend answered with this status itself.
    Some(match status {
        401 => Error::Unauthenticated {
            message: owned("HTTP 401 without X-Ca-Error-Message"),
            request_id,
        },
        429 => Error::Throttled {
            message: owned("HTTP 429"),
            request_id,
        },
        502..=504 => Error::VendorUnavailable {
            message: format!("HTTP {status}"),
            billed: false,
            request_id,
        },
        _ => Error::Protocol {
            status,
            raw_code: None,
            detail: format!("unexpected HTTP status {status}"),
            billed: status == 200,
            request_id,
        },
    })
}

enum Kind {
    Unauthenticated,
    Quota,
    Throttled,
    Unavailable,
    /// The request itself was malformed (our bug, or a wrong base URL): never retry blindly.
    Request,
}

fn classify(message: &str) -> Kind {
    let starts = |prefix: &str| {
        message.len() >= prefix.len() && message[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if starts("Throttled by") {
        Kind::Throttled
    } else if starts("Quota Exhausted")
        || starts("Quota Expired")
        || starts("Expiry of Authorization")
        || starts("User Arrears")
    {
        Kind::Quota
    } else if starts("Invalid AppCode")
        || starts("Invalid AppKey")
        || starts("Invalid AppSecret")
        || starts("Invalid Signature")
        || starts("Empty Signature")
        || starts("Unauthorized")
        || starts("Timestamp Expired")
        || starts("Invalid Timestamp")
        || starts("Nonce Used")
    {
        Kind::Unauthenticated
    } else if starts("Internal Error")
        || starts("Failed To Call Backend Service")
        || starts("Service Unavailable")
        || starts("Async Service")
    {
        Kind::Unavailable
    } else {
        Kind::Request
    }
}

/// `Invalid Signature, Server StringToSign:…` carries the server's string-to-sign, which holds
/// the query and form values (ID number, name): keep the words, drop the string.
fn redact_string_to_sign(message: &str) -> String {
    match message.find("StringToSign") {
        Some(at) => format!("{}StringToSign:(redacted)", &message[..at]),
        None => message.to_owned(),
    }
}
