//! What the ledger records of each vendor call.

use std::fmt;

use idcheck_core::Carrier;
use provider_trait::{Billing, Details, Error, FaceOutcome, Report, Trace, Verdict};
use serde::{Deserialize, Serialize};

use crate::scrub::scrub;

/// A vendor call's id in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CallId(pub i64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a vendor call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallState {
    /// Claimed by a live holder: about to be sent, or in flight.
    Claimed,
    /// Ended with an answer (a verdict, or an error after which the billing is known).
    Answered,
    /// Ended certainly not billed (gateway refusal, connect failure): may be sent again.
    Released,
    /// May have been billed and has no answer: killed in flight, timed out after sending,
    /// connection broken after sending. Never re-sent unless the user says so.
    Unresolved,
    /// Was unresolved; the user had it sent again (its billing stays unknown).
    Resent,
}

impl CallState {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Answered => "answered",
            Self::Released => "released",
            Self::Unresolved => "unresolved",
            Self::Resent => "resent",
        }
    }

    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn parse(text: &str) -> Result<Self, crate::LedgerError> {
        Ok(match text {
            "claimed" => Self::Claimed,
            "answered" => Self::Answered,
            "released" => Self::Released,
            "unresolved" => Self::Unresolved,
            "resent" => Self::Resent,
            other => {
                return Err(crate::LedgerError::Store(format!(
                    "unknown call state {other:?}"
                )));
            }
        })
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) const fn billing_str(billing: Billing) -> &'static str {
    match billing {
        Billing::Billed => "billed",
        Billing::NotBilled => "not_billed",
        Billing::Unknown => "unknown",
    }
}

pub(crate) fn parse_billing(text: Option<&str>) -> Option<Billing> {
    match text? {
        "billed" => Some(Billing::Billed),
        "not_billed" => Some(Billing::NotBilled),
        "unknown" => Some(Billing::Unknown),
        _ => None,
    }
}

/// An answer kept for reuse: what a vendor said, without personal data. Details that would
/// tell about the person (birthday, sex, age, region) are not kept; the carrier is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    /// The verdict, or `None` for a billed error.
    pub verdict: Option<Verdict>,
    /// The face outcome, for face checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<FaceOutcome>,
    /// The mobile's carrier (English name), when the vendor said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// The vendor's code, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_code: Option<String>,
    /// The vendor's message, scrubbed of digit runs and the request's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_message: Option<String>,
    /// The vendor's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_request_id: Option<String>,
    /// The gateway's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_request_id: Option<String>,
    /// Notes made while mapping the answer (never personal data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For a billed error: the error, scrubbed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl StoredAnswer {
    /// What to keep of `report`; `name` is scrubbed from the vendor's message.
    #[must_use]
    pub fn of_report(report: &Report, name: &str) -> Self {
        let trace = &report.trace;
        Self {
            verdict: Some(report.verdict),
            face: report.face,
            carrier: report.details.carrier.map(|c| c.name_en().to_owned()),
            raw_code: trace.raw_code.clone(),
            raw_message: trace.raw_message.as_deref().map(|m| scrub(m, name)),
            // Kept verbatim: a disputed charge is traced by it.
            vendor_request_id: trace.vendor_request_id.clone(),
            gateway_request_id: trace.gateway_request_id.clone(),
            notes: trace.notes.clone(),
            error: None,
        }
    }

    /// What to keep of a billed error.
    #[must_use]
    pub fn of_error(error: &Error, name: &str) -> Self {
        let raw_code = match error {
            Error::Protocol { raw_code, .. } => raw_code.clone(),
            Error::InvalidInput(provider_trait::InvalidInput::RejectedByVendor {
                code, ..
            }) => Some(code.clone()),
            _ => None,
        };
        Self {
            verdict: None,
            face: None,
            carrier: None,
            raw_code,
            raw_message: None,
            vendor_request_id: None,
            gateway_request_id: error.request_id().map(str::to_owned),
            notes: Vec::new(),
            error: Some(scrub(&error.to_string(), name)),
        }
    }

    /// The report this answer stands for, as `provider` gave it (not billed again: the
    /// trace says `NotBilled`, and a note says it came from the ledger). `None` for a billed
    /// error.
    #[must_use]
    pub fn to_report(&self, provider: &'static str) -> Option<Report> {
        let verdict = self.verdict?;
        let mut trace = Trace::new(provider, Billing::NotBilled);
        trace.raw_code.clone_from(&self.raw_code);
        trace.raw_message.clone_from(&self.raw_message);
        trace.vendor_request_id.clone_from(&self.vendor_request_id);
        trace
            .gateway_request_id
            .clone_from(&self.gateway_request_id);
        trace.notes.clone_from(&self.notes);
        trace
            .notes
            .push("answered from the ledger: paid for by an earlier call".to_owned());
        let mut report = Report::new(verdict, trace);
        report.face = self.face;
        let mut details = Details::default();
        details.carrier = self.carrier.as_deref().and_then(carrier_named);
        report.details = details;
        Some(report)
    }
}

fn carrier_named(name: &str) -> Option<Carrier> {
    [
        Carrier::ChinaMobile,
        Carrier::ChinaUnicom,
        Carrier::ChinaTelecom,
        Carrier::ChinaBroadnet,
        Carrier::EmergencyCommunication,
        Carrier::BeijingMarineCommunication,
    ]
    .into_iter()
    .find(|c| c.name_en() == name)
}

/// A recorded answer found for reuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reused {
    /// The call that paid for it.
    pub call: CallId,
    /// When it was answered (milliseconds since the Unix epoch).
    pub answered_at_ms: i64,
    /// The answer.
    pub answer: StoredAnswer,
}

/// One vendor call as the ledger holds it, for listings and audits. No personal data: the
/// entry is an HMAC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallRecord {
    /// The call's id.
    pub id: CallId,
    /// The entry's key (hex HMAC of the inputs).
    pub entry: String,
    /// The provider id.
    pub vendor: String,
    /// The base URL called.
    pub base_url: String,
    /// Where it stands.
    pub state: CallState,
    /// When it was claimed (ms since the epoch).
    pub claimed_at_ms: i64,
    /// When it ended (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<i64>,
    /// Whether it was billed, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    /// What it cost, when billed and priced (thousandths of a yuan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_milli_yuan: Option<i64>,
    /// `match`, `mismatch`, `unverifiable (…)` or the error, scrubbed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The gateway's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_request_id: Option<String>,
    /// The vendor's request id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_request_id: Option<String>,
    /// The client that asked (a service's client name), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Counts over the whole ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Distinct entries (requests).
    pub entries: u64,
    /// Calls claimed and not ended.
    pub claimed: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls released (not billed).
    pub released: u64,
    /// Calls unresolved (may have been billed).
    pub unresolved: u64,
    /// Unresolved calls re-sent on the user's word.
    pub resent: u64,
    /// Calls billed.
    pub billed: u64,
    /// Cost of the priced billed calls, in thousandths of a yuan.
    pub cost_milli_yuan: i64,
}

/// Billed calls and cost for one vendor (and client) on one day (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DailyUsage {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The provider id.
    pub vendor: String,
    /// The client, when grouping by client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Billed calls.
    pub billed_calls: u64,
    /// Calls whose billing is unknown (unresolved, re-sent).
    pub maybe_billed_calls: u64,
    /// Cost of the priced billed calls, thousandths of a yuan.
    pub cost_milli_yuan: i64,
}

/// How a call ended, as written to the store.
#[derive(Clone, Debug)]
pub(crate) struct CallEnd {
    pub(crate) state: CallState,
    pub(crate) billing: Billing,
    pub(crate) cost_milli_yuan: Option<i64>,
    pub(crate) outcome: String,
    pub(crate) answer: Option<String>,
    pub(crate) gateway_request_id: Option<String>,
    pub(crate) vendor_request_id: Option<String>,
}

/// A claim about to be inserted. Times are durations: the store stamps them with its clock.
#[derive(Clone, Debug)]
pub(crate) struct NewClaim {
    pub(crate) entry: String,
    pub(crate) target: String,
    pub(crate) vendor: String,
    pub(crate) base_url: String,
    pub(crate) holder: String,
    pub(crate) client: Option<String>,
    /// The lease, from the store's now.
    pub(crate) lease_ms: i64,
    /// The longest the call can last once sent: re-sendable only after lease + this.
    pub(crate) max_call_ms: i64,
    /// The budget reservation held for the call, if any.
    pub(crate) reservation: Option<Reservation>,
}

/// A client's budget reservation for one call: counted on `day`, `amount` thousandths of a
/// yuan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reservation {
    pub(crate) client: String,
    pub(crate) day: i64,
    pub(crate) amount: i64,
}

/// The open (claimed or unresolved) call of an entry and target, as the store's clock sees
/// it.
#[derive(Clone, Debug)]
pub(crate) struct OpenCall {
    pub(crate) id: i64,
    pub(crate) state: CallState,
    /// Whose claim it is (a claim's own token).
    pub(crate) holder: String,
    pub(crate) lease_until_ms: i64,
    /// When its whole possible life is over (lease, then its longest call).
    pub(crate) settle_at_ms: i64,
    /// Its holder recorded how it ended (unresolved: it gave up on it).
    pub(crate) ended: bool,
    /// The store's now.
    pub(crate) now_ms: i64,
}

impl OpenCall {
    /// Its holder stopped renewing it: dead, paused or cut off.
    pub(crate) const fn lapsed(&self) -> bool {
        self.lease_until_ms < self.now_ms
    }

    /// Nothing its holder sent can still be under way: the holder gave up on it, or its
    /// lease and then its longest call have passed.
    pub(crate) const fn settled(&self) -> bool {
        self.ended || self.settle_at_ms < self.now_ms
    }
}
