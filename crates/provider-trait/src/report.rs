//! What a vendor answered, in one model for all vendors.

use chrono::NaiveDate;
use idcheck_core::{Carrier, IdKind, IdNumber, Sex};
use serde::{Deserialize, Serialize};

/// The authority's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "reason")]
#[non_exhaustive]
pub enum Verdict {
    /// The inputs belong together (ID and name, plus mobile or face).
    Match,
    /// They do not.
    Mismatch,
    /// The authority has no usable record; the person may be real, and another vendor or a
    /// manual check may help.
    Unverifiable(UnverifiableReason),
}

impl std::fmt::Display for Verdict {
    /// `match`, `mismatch`, or `unverifiable (no_record)` …: the words the JSON uses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Match => f.write_str("match"),
            Self::Mismatch => f.write_str("mismatch"),
            Self::Unverifiable(reason) => write!(f, "unverifiable ({})", reason.label()),
        }
    }
}

impl UnverifiableReason {
    /// The word the JSON uses, e.g. `no_record`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::NoRecord => "no_record",
            Self::NoPhotoOnFile => "no_photo_on_file",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// Why the authority could not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnverifiableReason {
    /// No record of this ID number (202, 0007, -2, 10001).
    NoRecord,
    /// A record, but no photo to compare against (-3).
    NoPhotoOnFile,
    /// The vendor says it cannot decide (checkone result 3).
    Inconclusive,
}

/// The face comparison's answer, for face checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaceOutcome {
    /// The same person.
    Same,
    /// Probably the same person; the photo may be retouched.
    ProbablySame,
    /// Different people.
    Different,
}

/// Typed details the vendor returned. Every field is optional: vendors return different
/// subsets, and malformed values are dropped (with a [`Trace::notes`] entry), not fatal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Details {
    /// Sex on record.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_sex"
    )]
    pub sex: Option<Sex>,
    /// Birthday on record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<NaiveDate>,
    /// Age the vendor computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    /// Six-digit address code on record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_code: Option<u32>,
    /// Region names on record, as the vendor wrote them (province, city, county …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The mobile's current carrier according to the vendor (which follows number porting).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_carrier"
    )]
    pub carrier: Option<Carrier>,
}

impl Details {
    /// Where the vendor's sex, birthday or address code contradict what the ID number itself
    /// says: a data problem somewhere (the vendor's record, or a re-issued number). The notes
    /// name the field only, never a value.
    #[must_use]
    pub fn disagreements_with(&self, id: &IdNumber) -> Vec<&'static str> {
        let mut notes = Vec::new();
        if self.sex.is_some_and(|sex| sex != id.sex()) {
            notes.push("the vendor's sex differs from the one the ID number encodes");
        }
        if self.birthday.is_some_and(|day| day != id.birthday()) {
            notes.push("the vendor's birthday differs from the one the ID number encodes");
        }
        // Permits and foreigners' IDs carry no place of household registration.
        let has_address = matches!(id.kind(), IdKind::Resident);
        if has_address
            && self
                .address_code
                .is_some_and(|code| code != id.address_code())
        {
            notes.push("the vendor's address code differs from the ID number's first six digits");
        }
        notes
    }
}

// `Option<T>` fields are only serialised when `Some` (skip_serializing_if above).
#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
fn serialize_sex<S: serde::Serializer>(sex: &Option<Sex>, s: S) -> Result<S::Ok, S::Error> {
    match sex {
        Some(Sex::Male) => s.serialize_str("male"),
        Some(Sex::Female) => s.serialize_str("female"),
        None => s.serialize_none(),
    }
}

#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
fn serialize_carrier<S: serde::Serializer>(c: &Option<Carrier>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(carrier) => s.serialize_str(carrier.name_en()),
        None => s.serialize_none(),
    }
}

/// Whether the call was billed. The gateway bills HTTP 200 answers only, so business failures
/// (mismatch, no record) are billed, and gateway refusals are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// The vendor answered with HTTP 200: one call charged.
    Billed,
    /// Refused before the billed backend (gateway error, offline rejection).
    NotBilled,
    /// The request may have reached the backend but no answer came (timeout after sending).
    Unknown,
}

/// Where an answer came from, to trace a disputed charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Trace {
    /// The provider's stable id (e.g. `idcardcert`).
    pub provider: &'static str,
    /// The vendor's own result code, verbatim (`"01"`, `"0000"`, `"10000"` …).
    pub raw_code: Option<String>,
    /// The vendor's message, verbatim.
    pub raw_message: Option<String>,
    /// The vendor's request id (`traceId`, `seqNo` …).
    pub vendor_request_id: Option<String>,
    /// The gateway's `X-Ca-Request-Id`.
    pub gateway_request_id: Option<String>,
    /// Whether the call was billed.
    pub billing: Billing,
    /// Things noticed while mapping the answer: a malformed detail dropped, the vendor's
    /// details disagreeing with the ID number, a ported mobile. Never personal data.
    pub notes: Vec<String>,
}

impl Trace {
    /// A trace with only the provider set.
    #[must_use]
    pub fn new(provider: &'static str, billing: Billing) -> Self {
        Self {
            provider,
            raw_code: None,
            raw_message: None,
            vendor_request_id: None,
            gateway_request_id: None,
            billing,
            notes: Vec::new(),
        }
    }
}

/// How a router (several providers in order) reached an answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Route {
    /// The providers asked, in order, and what each answered.
    pub tried: Vec<RouteStep>,
    /// Calls that were billed (HTTP 200 answers).
    pub billed_calls: u32,
    /// Calls that may have been billed (sent, but no answer came).
    pub maybe_billed_calls: u32,
    /// What the billed calls cost, when every billed provider has a unit price set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::Price>,
    /// Answered from the ledger (an earlier paid answer for the same inputs and target): no
    /// call was made.
    pub cached: bool,
    /// A call was made but the ledger could not record how it ended (the store failed, even
    /// when tried again): the answer stands and was paid for, and the ledger keeps the call
    /// as claimed until its lease ends, then unresolved. Never personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unrecorded: Option<String>,
}

/// One provider asked by a router.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RouteStep {
    /// The provider's id.
    pub provider: &'static str,
    /// `match`, `mismatch`, `unverifiable`, or the error's message (never personal data).
    pub outcome: String,
    /// Whether the call was billed.
    pub billing: Billing,
    /// Answered from the ledger: no call was made to this provider.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
}

impl RouteStep {
    /// A step.
    #[must_use]
    pub fn new(provider: &'static str, outcome: String, billing: Billing) -> Self {
        Self {
            provider,
            outcome,
            billing,
            reused: false,
        }
    }

    /// This step, answered from the ledger (no call made).
    #[must_use]
    pub const fn from_ledger(mut self, yes: bool) -> Self {
        self.reused = yes;
        self
    }
}

/// A vendor's answer: the verdict, the face outcome for face checks, typed details and a trace.
///
/// Contains no ID number, name, mobile or photo, so `Debug` and `Serialize` are safe to log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The authority's answer.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The face comparison, for face checks that got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face: Option<FaceOutcome>,
    /// Details the vendor returned.
    pub details: Details,
    /// Where the answer came from.
    pub trace: Trace,
    /// Set by a router: every provider it asked, billed calls and cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
}

impl Report {
    /// A report with no face outcome and no details.
    #[must_use]
    pub fn new(verdict: Verdict, trace: Trace) -> Self {
        Self {
            verdict,
            face: None,
            details: Details::default(),
            trace,
            route: None,
        }
    }
}
