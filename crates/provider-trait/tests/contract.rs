//! The contract: object safety, masked requests, the retry meaning of every error, and the
//! serialised report.

use std::sync::Arc;

use idcheck_core::{Carrier, FaceImage, IdNumber, Mobile, Name, Sex};
use provider_trait::{
    Billing, Capabilities, Check, Checks, Details, Error, FaceOutcome, Field, InvalidInput, Price,
    Provider, Report, Request, Retry, Trace, TransportFailure, UnverifiableReason, Verdict,
};

/// A provider answering from its id alone, to prove a heterogeneous list works.
#[derive(Debug)]
struct Fixed {
    id: &'static str,
    checks: Checks,
    verdict: Verdict,
}

#[async_trait::async_trait]
impl Provider for Fixed {
    fn id(&self) -> &'static str {
        self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(self.checks).with_unit_price(Price::from_milli_yuan(70))
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        if !self.checks.contains(request.check()) {
            return Err(Error::UnsupportedCheck {
                provider: self.id,
                check: request.check(),
            });
        }
        Ok(Report::new(
            self.verdict,
            Trace::new(self.id, Billing::Billed),
        ))
    }
}

fn identity() -> Request {
    Request::identity(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse("张三").unwrap(),
    )
}

#[tokio::test]
async fn a_heterogeneous_list_of_providers() {
    let providers: Vec<Arc<dyn Provider>> = vec![
        Arc::new(Fixed {
            id: "two",
            checks: Checks::only(Check::Identity),
            verdict: Verdict::Match,
        }),
        Arc::new(Fixed {
            id: "three",
            checks: Checks::only(Check::Mobile),
            verdict: Verdict::Mismatch,
        }),
    ];
    let request = identity();
    let first = providers[0].verify(&request).await.unwrap();
    assert_eq!(first.verdict, Verdict::Match);
    assert_eq!(first.trace.provider, "two");
    let second = providers[1].verify(&request).await.unwrap_err();
    assert_eq!(
        second,
        Error::UnsupportedCheck {
            provider: "three",
            check: Check::Identity
        }
    );
    assert_eq!(second.retry(), Retry::Never);
    assert_eq!(
        providers[1]
            .capabilities()
            .unit_price()
            .unwrap()
            .to_string(),
        "0.070 yuan"
    );
    assert!(providers[1].capabilities().supports(Check::Mobile));
    assert_eq!(
        format!("{:?}", Checks::only(Check::Face).with(Check::Identity)),
        "{Identity, Face}"
    );
}

#[test]
fn requests_are_masked_in_debug() {
    let mobile = Request::mobile(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse("欧阳娜娜").unwrap(),
        Mobile::parse("13800138000").unwrap(),
    );
    let face = Request::face(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse("张三").unwrap(),
        FaceImage::from_url("https://oss.example.com/11010519491231002X.jpg").unwrap(),
    );
    for request in [identity(), mobile, face] {
        let shown = format!("{request:?}");
        for secret in ["11010519491231002X", "19491231", "13800138000", "娜", "三"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert_eq!(request.id().masked().as_str(), "110105********002X");
    }
}

#[test]
fn every_error_says_what_retrying_means() {
    let cases = [
        (
            Error::InvalidInput(InvalidInput::Name(idcheck_core::NameError::Empty)),
            Retry::Never,
            Billing::NotBilled,
        ),
        (
            Error::InvalidInput(InvalidInput::RejectedByVendor {
                field: Field::Name,
                code: "204".into(),
            }),
            Retry::Never,
            Billing::Billed,
        ),
        (
            Error::Unauthenticated {
                message: "Invalid AppCode".into(),
                request_id: None,
            },
            Retry::Never,
            Billing::NotBilled,
        ),
        (
            Error::QuotaExhausted {
                message: "Quota Exhausted".into(),
                request_id: None,
            },
            Retry::Never,
            Billing::NotBilled,
        ),
        (
            Error::Throttled {
                message: "Throttled by APP Flow Control".into(),
                request_id: None,
            },
            Retry::Safe,
            Billing::NotBilled,
        ),
        (
            Error::VendorUnavailable {
                message: "Service Unavailable".into(),
                billed: false,
                request_id: None,
            },
            Retry::Safe,
            Billing::NotBilled,
        ),
        (
            Error::VendorUnavailable {
                message: "0010".into(),
                billed: true,
                request_id: None,
            },
            Retry::MayChargeAgain,
            Billing::Billed,
        ),
        (
            Error::Transport {
                failure: TransportFailure::Connect,
                endpoint: None,
            },
            Retry::Safe,
            Billing::NotBilled,
        ),
        (
            Error::Transport {
                failure: TransportFailure::Timeout,
                endpoint: None,
            },
            Retry::MayChargeAgain,
            Billing::Unknown,
        ),
        (
            Error::Protocol {
                status: 200,
                raw_code: Some("99".into()),
                detail: "unknown code".into(),
                billed: true,
                request_id: None,
            },
            Retry::MayChargeAgain,
            Billing::Billed,
        ),
    ];
    for (error, retry, billing) in cases {
        assert_eq!(error.retry(), retry, "{error}");
        assert_eq!(error.billing(), billing, "{error}");
        assert!(!error.to_string().ends_with('.'), "{error}");
    }
}

#[test]
fn reports_serialise_without_personal_data() {
    let mut trace = Trace::new("checkphone", Billing::Billed);
    trace.raw_code = Some("01".into());
    trace.gateway_request_id = Some("6B3D1F0A-0000".into());
    trace
        .notes
        .push("mobile ported: allocated to China Mobile, now China Unicom".into());
    let mut report = Report::new(Verdict::Match, trace);
    report.details = Details::default();
    report.details.sex = Some(Sex::Female);
    report.details.carrier = Some(Carrier::ChinaUnicom);
    report.face = Some(FaceOutcome::ProbablySame);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "match");
    assert_eq!(json["face"], "probably_same");
    assert_eq!(json["details"]["sex"], "female");
    assert_eq!(json["details"]["carrier"], "China Unicom");
    assert!(json["details"].get("birthday").is_none());
    assert_eq!(json["trace"]["billing"], "billed");
    assert_eq!(json["trace"]["raw_code"], "01");

    let unverifiable = Report::new(
        Verdict::Unverifiable(UnverifiableReason::NoRecord),
        Trace::new("idcardcert", Billing::Billed),
    );
    let json = serde_json::to_value(&unverifiable).unwrap();
    assert_eq!(json["verdict"], "unverifiable");
    assert_eq!(json["reason"], "no_record");
}
