//! The exceptions, and the core's errors turned into them: the message is the core's reason
//! (which never carries the input), `code` a stable label of the variant.

use idcheck::provider::{Billing, Error, InvalidInput, NotSent, Retry, TransportFailure};
use idcheck::{FaceImageError, IdError as CoreIdError, MobileError as CoreMobileError, NameError};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    idcheck,
    InvalidInputError,
    PyValueError,
    "An input is invalid, found offline before anything was sent. The message is the core's reason and never holds the input."
);
create_exception!(
    idcheck,
    IdError,
    InvalidInputError,
    "An ID number is invalid: the core's reason, without any digit of the number."
);
create_exception!(
    idcheck,
    MobileError,
    InvalidInputError,
    "A mobile number is invalid or cannot be verified by the vendors."
);
create_exception!(
    idcheck,
    PersonNameError,
    InvalidInputError,
    "A person's name is not one the vendors accept (named so as not to shadow the built-in NameError)."
);
create_exception!(
    idcheck,
    PhotoError,
    InvalidInputError,
    "A face photo would be refused (format, size, URL)."
);
create_exception!(
    idcheck,
    SetupError,
    PyException,
    "A Verifier or a batch could not be set up (vendors, prices, credentials, base URL, ledger). Nothing was sent."
);
create_exception!(
    idcheck,
    VerifyError,
    PyException,
    "A verification ended without a verdict. `retry` says what retrying means: 'never', 'safe' (nothing was billed) or 'may_charge_again'."
);
create_exception!(
    idcheck,
    RetryableError,
    VerifyError,
    "Nothing was billed and retrying may help (throttled, vendor down before billing, no connection, in flight elsewhere)."
);
create_exception!(
    idcheck,
    MayChargeAgainError,
    VerifyError,
    "The call was or may have been billed without a verdict (timeout after sending, a billed vendor error): retrying may pay again."
);
create_exception!(
    idcheck,
    NotRetryableError,
    VerifyError,
    "Retrying cannot help (bad credentials, quota exhausted, input refused by the vendor, an unresolved earlier call)."
);

pub(crate) fn register(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("IdError", py.get_type::<IdError>())?;
    m.add("MobileError", py.get_type::<MobileError>())?;
    m.add("PersonNameError", py.get_type::<PersonNameError>())?;
    m.add("PhotoError", py.get_type::<PhotoError>())?;
    m.add("SetupError", py.get_type::<SetupError>())?;
    m.add("VerifyError", py.get_type::<VerifyError>())?;
    m.add("RetryableError", py.get_type::<RetryableError>())?;
    m.add("MayChargeAgainError", py.get_type::<MayChargeAgainError>())?;
    m.add("NotRetryableError", py.get_type::<NotRetryableError>())?;
    Ok(())
}

/// An exception of type `T` with `message`, and `code` set on it.
fn with_code<T: pyo3::PyTypeInfo>(py: Python<'_>, message: String, code: &'static str) -> PyErr {
    let err = PyErr::from_type(py.get_type::<T>(), (message,));
    // Setting an attribute on a fresh exception instance cannot fail but for lack of memory,
    // and then the exception without it is still the right one.
    let _ = err.value(py).setattr("code", code);
    err
}

/// The stable label of an ID error, e.g. `check_character`.
pub(crate) fn id_code(error: &CoreIdError) -> &'static str {
    match error {
        CoreIdError::Empty => "empty",
        CoreIdError::WrongLength { .. } => "wrong_length",
        CoreIdError::NonDigit { .. } => "non_digit",
        CoreIdError::CheckCharacter { .. } => "check_character",
        CoreIdError::ImpossibleDate { .. } => "impossible_date",
        CoreIdError::BirthdayInFuture => "birthday_in_future",
        CoreIdError::BirthdayTooEarly { .. } => "birthday_too_early",
        CoreIdError::UnknownProvince { .. } => "unknown_province",
        CoreIdError::UnknownIssuingProvince { .. } => "unknown_issuing_province",
        CoreIdError::UnknownNationality { .. } => "unknown_nationality",
        CoreIdError::ChineseNationality => "chinese_nationality",
        CoreIdError::UnknownRegion { .. } => "unknown_region",
        CoreIdError::BornAfterRegionAbolished { .. } => "born_after_region_abolished",
        _ => "other",
    }
}

pub(crate) fn mobile_code(error: &CoreMobileError) -> &'static str {
    match error {
        CoreMobileError::Empty => "empty",
        CoreMobileError::InvalidCharacter { .. } => "invalid_character",
        CoreMobileError::ForeignNumber => "foreign_number",
        CoreMobileError::WrongLength { .. } => "wrong_length",
        CoreMobileError::NotMobile { .. } => "not_mobile",
        CoreMobileError::UnallocatedSegment { .. } => "unallocated_segment",
        CoreMobileError::Unverifiable { .. } => "unverifiable",
        _ => "other",
    }
}

pub(crate) fn name_code(error: &NameError) -> &'static str {
    match error {
        NameError::Empty => "empty",
        NameError::InvalidCharacter { .. } => "invalid_character",
        NameError::LeadingDot { .. } => "leading_dot",
        NameError::TrailingDot { .. } => "trailing_dot",
        NameError::DoubledDot { .. } => "doubled_dot",
        NameError::TooShort { .. } => "too_short",
        NameError::TooLong { .. } => "too_long",
        _ => "other",
    }
}

pub(crate) fn photo_code(error: &FaceImageError) -> &'static str {
    match error {
        FaceImageError::Empty => "empty",
        FaceImageError::UnsupportedFormat { .. } => "unsupported_format",
        FaceImageError::UnrecognizedFormat => "unrecognized_format",
        FaceImageError::Truncated { .. } => "truncated",
        FaceImageError::Corrupt { .. } => "corrupt",
        FaceImageError::InvalidBase64 { .. } => "invalid_base64",
        FaceImageError::TooLarge { .. } | FaceImageError::TooLargeImage { .. } => "too_large",
        FaceImageError::CannotFit { .. } => "cannot_fit",
        FaceImageError::CannotReencode { .. } => "cannot_reencode",
        FaceImageError::InvalidUrl { .. } => "invalid_url",
        _ => "other",
    }
}

pub(crate) fn id_error(py: Python<'_>, error: &CoreIdError) -> PyErr {
    with_code::<IdError>(py, error.to_string(), id_code(error))
}

pub(crate) fn mobile_error(py: Python<'_>, error: &CoreMobileError) -> PyErr {
    with_code::<MobileError>(py, error.to_string(), mobile_code(error))
}

pub(crate) fn name_error(py: Python<'_>, error: &NameError) -> PyErr {
    with_code::<PersonNameError>(py, error.to_string(), name_code(error))
}

pub(crate) fn photo_error(py: Python<'_>, error: &FaceImageError) -> PyErr {
    with_code::<PhotoError>(py, error.to_string(), photo_code(error))
}

pub(crate) fn setup_error(message: impl Into<String>) -> PyErr {
    SetupError::new_err(message.into())
}

/// The label of what retrying means, as the CLI's JSON says it.
pub(crate) fn retry_label(retry: Retry) -> &'static str {
    match retry {
        Retry::Never => "never",
        Retry::Safe => "safe",
        Retry::MayChargeAgain => "may_charge_again",
    }
}

pub(crate) fn billing_label(billing: Billing) -> &'static str {
    match billing {
        Billing::Billed => "billed",
        Billing::NotBilled => "not_billed",
        Billing::Unknown => "unknown",
    }
}

/// The kind of a verification error, e.g. `throttled`.
pub(crate) fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput(InvalidInput::RejectedByVendor { .. }) => "rejected_by_vendor",
        Error::InvalidInput(_) => "invalid_input",
        Error::UnsupportedCheck { .. } => "unsupported_check",
        Error::Unauthenticated { .. } => "unauthenticated",
        Error::QuotaExhausted { .. } => "quota_exhausted",
        Error::Throttled { .. } => "throttled",
        Error::VendorUnavailable { .. } => "vendor_unavailable",
        Error::Transport { failure, .. } => match failure {
            TransportFailure::Connect => "transport_connect",
            TransportFailure::Timeout => "transport_timeout",
            _ => "transport_interrupted",
        },
        Error::NotSent { reason, .. } => match reason {
            NotSent::Unresolved { .. } => "unresolved",
            NotSent::InFlightElsewhere { .. } => "in_flight_elsewhere",
            NotSent::FailedEarlier { .. } => "failed_earlier",
            _ => "ledger",
        },
        Error::Protocol { .. } => "protocol",
        _ => "other",
    }
}

/// The exception for a verification error: its class says what retrying means.
pub(crate) fn verify_error(py: Python<'_>, error: &Error, message: String) -> PyErr {
    let ty = match error.retry() {
        Retry::Safe => py.get_type::<RetryableError>(),
        Retry::MayChargeAgain => py.get_type::<MayChargeAgainError>(),
        Retry::Never => py.get_type::<NotRetryableError>(),
    };
    PyErr::from_type(ty, (message,))
}
