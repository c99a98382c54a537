//! Reading a marketplace vendor's JSON answer the lenient way the vendors need: codes are
//! strings (`"01"`) but sometimes numbers, failed lookups leave detail fields as empty strings,
//! any field may be missing, and a nested object may arrive JSON-encoded in a string or as the
//! string `"null"`.

use chrono::NaiveDate;
use idcheck_core::IdNumber;
use idcheck_core::Sex;
use provider_trait::{Details, Error, FaceOutcome, Field, InvalidInput, Report, Trace, Verdict};
use serde_json::{Map, Value};

use crate::GatewayResponse;

/// A vendor's JSON object. `Debug` shows the keys only: the values echo personal data.
pub struct VendorAnswer {
    fields: Map<String, Value>,
}

impl std::fmt::Debug for VendorAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorAnswer")
            .field("keys", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A detail field: absent (missing, `null` or empty, as on every failed lookup), a value, or
/// present but malformed (dropped with a trace note, never fatal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail<T> {
    /// Missing, `null`, or an empty string.
    Absent,
    /// A well-formed value.
    Value(T),
    /// Present but not in any format the vendor uses.
    Malformed,
}

impl<T> Detail<T> {
    /// The value, noting in `trace` when a malformed one is dropped.
    pub fn keep(self, trace: &mut Trace, field: &str) -> Option<T> {
        match self {
            Self::Absent => None,
            Self::Value(value) => Some(value),
            Self::Malformed => {
                trace
                    .notes
                    .push(format!("dropped the vendor's malformed {field}"));
                None
            }
        }
    }
}

impl GatewayResponse {
    /// The body as a JSON object.
    ///
    /// # Errors
    ///
    /// A billed [`Error::Protocol`] for an empty, HTML, truncated or non-object body.
    pub fn json(&self) -> Result<VendorAnswer, Error> {
        let body = self.body();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(
                self.protocol_error(None, "the vendor answered HTTP 200 with an empty body")
            );
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => Ok(VendorAnswer { fields }),
            Ok(_) => {
                Err(self.protocol_error(None, "the vendor's answer is JSON but not an object"))
            }
            Err(_) if body.trim_ascii_start().starts_with(b"<") => {
                Err(self.protocol_error(None, "the vendor answered HTTP 200 with HTML, not JSON"))
            }
            Err(_) => Err(self.protocol_error(None, "the vendor's answer is not valid JSON")),
        }
    }
}

impl VendorAnswer {
    /// Parses a body outside a call; `None` when it is not a JSON object.
    #[must_use]
    pub fn from_slice(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice(body) {
            Ok(Value::Object(fields)) => Some(Self { fields }),
            _ => None,
        }
    }

    /// A result code: a string (trimmed, verbatim otherwise) or a number (its decimal text).
    /// `None` when missing, `null`, empty or of another type.
    #[must_use]
    pub fn code(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(text) => Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// A non-empty text field, trimmed. Numbers are not text here.
    #[must_use]
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.fields.get(key)? {
            Value::String(text) => Some(text.trim()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }

    /// A nested object that may also arrive JSON-encoded in a string. Absent for a missing
    /// field, `null`, `""` or the string `"null"`.
    #[must_use]
    pub fn object(&self, key: &str) -> Detail<VendorAnswer> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Detail::Absent,
            Some(Value::Object(fields)) => Detail::Value(Self {
                fields: fields.clone(),
            }),
            Some(Value::String(text)) => match text.trim() {
                "" | "null" => Detail::Absent,
                encoded => {
                    Self::from_slice(encoded.as_bytes()).map_or(Detail::Malformed, Detail::Value)
                }
            },
            Some(_) => Detail::Malformed,
        }
    }

    /// Sex as vendors write it: `男` / `女`, `M` / `F` (any case), `男性` / `女性`.
    #[must_use]
    pub fn sex(&self, key: &str) -> Detail<Sex> {
        self.detail(key, |text| match text {
            "男" | "男性" | "M" | "m" | "male" | "Male" => Some(Sex::Male),
            "女" | "女性" | "F" | "f" | "female" | "Female" => Some(Sex::Female),
            _ => None,
        })
    }

    /// A date as `1995-11-11`, `19951111`, `1995/11/11` or `1995年11月11日`.
    #[must_use]
    pub fn date(&self, key: &str) -> Detail<NaiveDate> {
        self.detail(key, |text| {
            ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y年%m月%d日"]
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        })
    }

    /// A whole number written as a string (`"111"`) or a number.
    #[must_use]
    pub fn whole_number(&self, key: &str) -> Detail<u32> {
        match self.fields.get(key) {
            Some(Value::Number(number)) => number
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map_or(Detail::Malformed, Detail::Value),
            _ => self.detail(key, |text| text.parse().ok()),
        }
    }

    /// A six-digit address code (`"511126"`).
    #[must_use]
    pub fn address_code(&self, key: &str) -> Detail<u32> {
        match self.whole_number(key) {
            Detail::Value(code) if (110_000..=999_999).contains(&code) => Detail::Value(code),
            Detail::Absent => Detail::Absent,
            _ => Detail::Malformed,
        }
    }

    fn detail<T>(&self, key: &str, parse: impl Fn(&str) -> Option<T>) -> Detail<T> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Detail::Absent,
            Some(Value::String(text)) if text.trim().is_empty() => Detail::Absent,
            Some(Value::String(text)) => {
                parse(text.trim()).map_or(Detail::Malformed, Detail::Value)
            }
            Some(_) => Detail::Malformed,
        }
    }
}

/// Where a vendor puts its result code, message and own request id.
#[derive(Clone, Copy, Debug)]
pub struct AnswerKeys {
    /// The result code (`status`, `respCode`, `code` …).
    pub code: &'static str,
    /// The message (`msg`, `respMessage`, `message` …).
    pub message: &'static str,
    /// The vendor's request id (`traceId`, `seqNo`), if it sends one.
    pub vendor_request_id: Option<&'static str>,
}

impl VendorAnswer {
    /// The report for this answer: its code resolved through `table`
    /// ([`GatewayResponse::resolve`]), with the message and vendor request id in the trace.
    ///
    /// # Errors
    ///
    /// As [`GatewayResponse::resolve`].
    pub fn report(
        &self,
        response: &GatewayResponse,
        keys: &AnswerKeys,
        table: &[(&str, CodeMeaning)],
    ) -> Result<Report, Error> {
        self.report_for_code(response, keys, self.code(keys.code), table)
    }

    /// [`VendorAnswer::report`] for a code the vendor crate composed itself (e.g. a code
    /// plus a nested result).
    ///
    /// # Errors
    ///
    /// As [`GatewayResponse::resolve`].
    pub fn report_for_code(
        &self,
        response: &GatewayResponse,
        keys: &AnswerKeys,
        code: Option<String>,
        table: &[(&str, CodeMeaning)],
    ) -> Result<Report, Error> {
        let mut trace = response.trace();
        trace.raw_message = self.text(keys.message).map(str::to_owned);
        trace.vendor_request_id = keys
            .vendor_request_id
            .and_then(|key| self.text(key))
            .map(str::to_owned);
        response.resolve(code, table, trace)
    }
}

/// Where a vendor puts the person's details in its answer (`None`: it does not return it).
#[derive(Clone, Copy, Debug)]
pub struct DetailKeys {
    /// Sex (`男`, `M` …).
    pub sex: Option<&'static str>,
    /// Birthday in any of the formats [`VendorAnswer::date`] reads.
    pub birthday: Option<&'static str>,
    /// Age.
    pub age: Option<&'static str>,
    /// Six-digit address code.
    pub address_code: Option<&'static str>,
    /// Region names, joined in this order (province, city, county).
    pub region: &'static [&'static str],
}

impl VendorAnswer {
    /// The typed details at `keys`; a malformed one is dropped with a note in `trace`, and
    /// where the details contradict the ID number itself, a note says which field.
    pub fn details(&self, keys: &DetailKeys, id: &IdNumber, trace: &mut Trace) -> Details {
        let mut details = Details::default();
        if let Some(key) = keys.sex {
            details.sex = self.sex(key).keep(trace, "sex");
        }
        if let Some(key) = keys.birthday {
            details.birthday = self.date(key).keep(trace, "birthday");
        }
        if let Some(key) = keys.age {
            details.age = self.whole_number(key).keep(trace, "age");
        }
        if let Some(key) = keys.address_code {
            details.address_code = self.address_code(key).keep(trace, "address code");
        }
        let region: String = keys
            .region
            .iter()
            .filter_map(|key| self.text(key))
            .collect();
        details.region = Some(region).filter(|r| !r.is_empty());
        trace.notes.extend(
            details
                .disagreements_with(id)
                .into_iter()
                .map(str::to_owned),
        );
        details
    }
}

/// What one vendor result code means, as a vendor crate's code table states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeMeaning {
    /// The authority answered (with the face outcome, for face checks that got that far).
    Answer(Verdict, Option<FaceOutcome>),
    /// The vendor refused this input (billed).
    Rejected(Field),
    /// The vendor could not serve the call now: maintenance, an internal failure (billed).
    Unavailable(&'static str),
    /// The vendor refused the request itself or the account (billed; our side or the
    /// purchase must change).
    Refused(&'static str),
}

impl GatewayResponse {
    /// The report or error for `code`, looked up in the vendor's `table`. An unknown or missing
    /// code is a billed protocol error carrying the raw code, never a guessed verdict.
    ///
    /// # Errors
    ///
    /// Every meaning but [`CodeMeaning::Answer`], and unknown codes.
    pub fn resolve(
        &self,
        code: Option<String>,
        table: &[(&str, CodeMeaning)],
        mut trace: Trace,
    ) -> Result<Report, Error> {
        let Some(code) = code else {
            return Err(self.protocol_error(None, "the answer has no result code"));
        };
        let meaning = table
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(_, m)| *m);
        let request_id = || self.request_id().map(str::to_owned);
        match meaning {
            Some(CodeMeaning::Answer(verdict, face)) => {
                trace.raw_code = Some(code);
                let mut report = Report::new(verdict, trace);
                report.face = face;
                Ok(report)
            }
            Some(CodeMeaning::Rejected(field)) => {
                Err(Error::InvalidInput(InvalidInput::RejectedByVendor {
                    field,
                    code,
                }))
            }
            Some(CodeMeaning::Unavailable(meaning)) => Err(Error::VendorUnavailable {
                message: format!("vendor code {code}: {meaning}"),
                billed: true,
                request_id: request_id(),
            }),
            Some(CodeMeaning::Refused(meaning)) => {
                Err(self
                    .protocol_error(Some(code.clone()), format!("vendor code {code}: {meaning}")))
            }
            None => {
                Err(self
                    .protocol_error(Some(code.clone()), format!("unknown vendor code {code:?}")))
            }
        }
    }
}
