//! Phase 2 over requests that cannot all be read back: the one whose photo is lost is not
//! sent, answers `error` (sent again next run), and is counted as unfinished, not as routed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use idcheck_batch::{Answer, DistinctRequests, Observer, Settings, Stop, run};
use idcheck_core::{IdNumber, Name};
use idcheck_router::Fallback;
use provider_trait::{
    Billing, Capabilities, Check, Checks, Error, Provider, Report, Request, Trace, Verdict,
};

/// Answers every identity request `match`, counting them.
#[derive(Debug, Default)]
struct Counting {
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl Provider for Counting {
    fn id(&self) -> &'static str {
        "counting"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(Checks::only(Check::Identity))
    }

    async fn verify(&self, _request: &Request) -> Result<Report, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Report::new(
            Verdict::Match,
            Trace::new("counting", Billing::Billed),
        ))
    }
}

/// Three people; the second one's request cannot be read back.
struct OneLost {
    keys: [String; 3],
}

impl DistinctRequests for OneLost {
    fn len(&self) -> usize {
        3
    }

    fn key(&self, index: usize) -> &str {
        &self.keys[index]
    }

    fn request(&self, index: usize) -> Result<Request, String> {
        if index == 1 {
            return Err("the photo could not be read back from its temporary file (gone)".into());
        }
        let id = provider_testkit::with_check_character(
            ["11010519491231002", "", "44030119900101200"][index],
        );
        Ok(Request::identity(
            IdNumber::parse(&id).unwrap(),
            Name::parse("张三").unwrap(),
        ))
    }
}

#[derive(Default)]
struct Told(Mutex<Vec<String>>);

impl Observer for Told {
    fn answered(&self, answer: &Answer) {
        self.0.lock().unwrap().push(answer.key.clone());
    }
}

#[tokio::test]
async fn a_request_that_cannot_be_read_back_is_not_sent_and_stays_unfinished() {
    let provider = Arc::new(Counting::default());
    let router = Fallback::new(vec![Arc::clone(&provider) as Arc<dyn Provider>]);
    let told = Arc::new(Told::default());
    let distinct = OneLost {
        keys: ["k0".into(), "k1".into(), "k2".into()],
    };
    let outcome = run(
        &distinct,
        router,
        Settings::new(2, 0.0).unwrap(),
        Arc::clone(&told) as Arc<dyn Observer>,
        Arc::new(Stop::default()),
    )
    .await;
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
    assert_eq!(outcome.routed, 2);
    assert_eq!(outcome.unfinished, 1);
    assert_eq!(outcome.billed_calls, 2);
    let lost = &outcome.answers["k1"];
    assert_eq!(lost.status, "error");
    assert_eq!((lost.billed_calls, lost.maybe_billed_calls), (0, 0));
    assert!(
        lost.detail.starts_with("not sent: the photo could not"),
        "{}",
        lost.detail
    );
    for key in ["k0", "k2"] {
        assert_eq!(outcome.answers[key].status, "match");
    }
    let mut told = told.0.lock().unwrap().clone();
    told.sort();
    assert_eq!(told, ["k0", "k1", "k2"]);
}
