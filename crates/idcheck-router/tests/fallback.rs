//! Each routing rule proved with httpmock hit counts on several real vendor crates.

use std::sync::Arc;
use std::time::Duration;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient};
use httpmock::prelude::*;
use idcheck_core::{IdNumber, Mobile, Name};
use idcheck_ledger::{ClaimPolicy, Ledger, LedgerKey};
use idcheck_router::{CacheKey, Fallback};
use provider_checkone::CheckOne;
use provider_idcardcert::IdCardCert;
use provider_idenauthen::IdenAuthen;
use provider_trait::{
    Billing, Error, NotSent, Price, Provider, Request, UnverifiableReason, Verdict,
};

const APPCODE: &str = "0123456789abcdef0123456789abcdef";

fn client(timeout: Duration) -> GatewayClient {
    GatewayClient::builder(Auth::app_code(APPCODE).unwrap())
        .with_timeout(timeout)
        .build()
        .unwrap()
}

fn base(server: &MockServer) -> BaseUrl {
    BaseUrl::parse(&server.base_url()).unwrap()
}

fn person(name: &str) -> Request {
    Request::identity(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse(name).unwrap(),
    )
}

/// Three identity vendors, each on its own mock server, answering as told.
struct Vendors {
    idcardcert: (MockServer, usize),
    idenauthen: (MockServer, usize),
    checkone: (MockServer, usize),
}

/// What a mock vendor answers: a status and body, possibly after a delay.
#[derive(Clone, Copy)]
struct Answer {
    status: u16,
    body: &'static str,
    gateway_message: Option<&'static str>,
    delay: Option<Duration>,
}

const fn ok(body: &'static str) -> Answer {
    Answer {
        status: 200,
        body,
        gateway_message: None,
        delay: None,
    }
}

const fn refused(status: u16, message: &'static str) -> Answer {
    Answer {
        status,
        body: "",
        gateway_message: Some(message),
        delay: None,
    }
}

async fn serve(path: &'static str, answer: Answer) -> (MockServer, usize) {
    let server = MockServer::start_async().await;
    let id = server
        .mock_async(|when, then| {
            when.path(path);
            let mut then = then.status(answer.status).body(answer.body);
            if let Some(message) = answer.gateway_message {
                then = then.header("X-Ca-Error-Message", message);
            }
            if let Some(delay) = answer.delay {
                then.delay(delay);
            }
        })
        .await
        .id;
    (server, id)
}

impl Vendors {
    async fn answering(first: Answer, second: Answer, third: Answer) -> Self {
        Self {
            idcardcert: serve("/idCardCert", first).await,
            idenauthen: serve("/idenAuthentication", second).await,
            checkone: serve("/chinadatapay/1882", third).await,
        }
    }

    /// The providers in the order idcardcert, idenauthen, checkone, priced 0.20, 0.10, 0.05.
    fn providers(&self, timeout: Duration) -> Vec<Arc<dyn Provider>> {
        vec![
            Arc::new(
                IdCardCert::new(client(timeout))
                    .with_base_url(base(&self.idcardcert.0))
                    .with_unit_price(Price::from_milli_yuan(200)),
            ),
            Arc::new(
                IdenAuthen::new(client(timeout))
                    .with_base_url(base(&self.idenauthen.0))
                    .with_unit_price(Price::from_milli_yuan(100)),
            ),
            Arc::new(
                CheckOne::new(client(timeout))
                    .with_base_url(base(&self.checkone.0))
                    .with_unit_price(Price::from_milli_yuan(50)),
            ),
        ]
    }

    fn hits(&self) -> [usize; 3] {
        let calls = |(server, id): &(MockServer, usize)| httpmock::Mock::new(*id, server).calls();
        [
            calls(&self.idcardcert),
            calls(&self.idenauthen),
            calls(&self.checkone),
        ]
    }
}

const MATCH_01: Answer = ok(r#"{"status":"01"}"#);
const NO_RECORD_202: Answer = ok(r#"{"status":"202"}"#);
const MISMATCH_0008: Answer = ok(r#"{"respCode":"0008"}"#);
const UNVERIFIABLE_0007: Answer = ok(r#"{"respCode":"0007"}"#);
const MATCH_10000: Answer = ok(r#"{"code":"10000","data":{"result":"1"}}"#);

#[tokio::test]
async fn a_match_stops_the_route() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let fallback = Fallback::new(vendors.providers(Duration::from_secs(5)));
    let routed = fallback.route(&person("张三")).await;
    let report = routed.result.unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.trace.provider, "idcardcert");
    assert_eq!(routed.route.tried.len(), 1);
    assert_eq!(routed.route.billed_calls, 1);
    assert_eq!(routed.route.cost, Some(Price::from_milli_yuan(200)));
    assert_eq!(vendors.hits(), [1, 0, 0]);
}

#[tokio::test]
async fn unverifiable_answers_move_on_and_each_billed_call_is_counted_and_priced() {
    let vendors = Vendors::answering(NO_RECORD_202, UNVERIFIABLE_0007, MATCH_10000).await;
    let fallback = Fallback::new(vendors.providers(Duration::from_secs(5)));
    let report = fallback.verify(&person("张三")).await.unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.trace.provider, "checkone");
    let route = report.route.unwrap();
    let asked: Vec<_> = route.tried.iter().map(|s| s.provider).collect();
    assert_eq!(asked, ["idcardcert", "idenauthen", "checkone"]);
    assert_eq!(route.billed_calls, 3);
    assert_eq!(route.cost, Some(Price::from_milli_yuan(350)));
    assert_eq!(vendors.hits(), [1, 1, 1]);
}

#[tokio::test]
async fn unbilled_gateway_refusals_move_on() {
    let vendors = Vendors::answering(
        refused(403, "Throttled by APP Flow Control"),
        refused(403, "Quota Exhausted"),
        MATCH_10000,
    )
    .await;
    let routed = Fallback::new(vendors.providers(Duration::from_secs(5)))
        .route(&person("张三"))
        .await;
    assert_eq!(routed.result.unwrap().verdict, Verdict::Match);
    assert_eq!(routed.route.billed_calls, 1);
    assert_eq!(routed.route.cost, Some(Price::from_milli_yuan(50)));
    assert_eq!(routed.route.tried[0].billing, Billing::NotBilled);
    assert!(routed.route.tried[0].outcome.starts_with("throttled"));
    assert_eq!(vendors.hits(), [1, 1, 1]);
}

#[tokio::test]
async fn a_billed_error_stops_the_route_unless_the_caller_opted_in() {
    // 203 is the vendor's own "exceptional situation": HTTP 200, billed.
    let unavailable = ok(r#"{"status":"203"}"#);
    let vendors = Vendors::answering(unavailable, MISMATCH_0008, MATCH_10000).await;
    let routed = Fallback::new(vendors.providers(Duration::from_secs(5)))
        .route(&person("张三"))
        .await;
    assert!(matches!(
        routed.result,
        Err(Error::VendorUnavailable { billed: true, .. })
    ));
    assert_eq!(routed.route.billed_calls, 1);
    assert_eq!(vendors.hits(), [1, 0, 0]);

    let opted_in = Fallback::new(vendors.providers(Duration::from_secs(5)))
        .continue_after_billed_errors(true)
        .route(&person("张三"))
        .await;
    assert_eq!(opted_in.result.unwrap().verdict, Verdict::Mismatch);
    assert_eq!(opted_in.route.billed_calls, 2);
    assert_eq!(vendors.hits(), [2, 1, 0]);
}

#[tokio::test]
async fn a_timeout_may_have_been_billed_so_the_route_stops() {
    let slow = Answer {
        delay: Some(Duration::from_secs(3)),
        ..MATCH_01
    };
    let vendors = Vendors::answering(slow, MISMATCH_0008, MATCH_10000).await;
    let routed = Fallback::new(vendors.providers(Duration::from_millis(150)))
        .route(&person("张三"))
        .await;
    assert!(matches!(routed.result, Err(Error::Transport { .. })));
    assert_eq!(routed.route.maybe_billed_calls, 1);
    assert_eq!(routed.route.billed_calls, 0);
    assert_eq!(vendors.hits(), [1, 0, 0]);
}

#[tokio::test]
async fn by_price_asks_the_cheapest_first() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let fallback = Fallback::by_price(vendors.providers(Duration::from_secs(5)));
    let order: Vec<_> = fallback.providers().iter().map(|p| p.id()).collect();
    assert_eq!(order, ["checkone", "idenauthen", "idcardcert"]);
    let report = fallback.verify(&person("张三")).await.unwrap();
    assert_eq!(report.trace.provider, "checkone");
    assert_eq!(vendors.hits(), [0, 0, 1]);
}

#[tokio::test]
async fn an_unverifiable_answer_is_kept_over_a_later_unbilled_refusal() {
    let vendors = Vendors::answering(
        NO_RECORD_202,
        refused(403, "Throttled by API Flow Control"),
        refused(503, "Service Unavailable"),
    )
    .await;
    let report = Fallback::new(vendors.providers(Duration::from_secs(5)))
        .verify(&person("张三"))
        .await
        .unwrap();
    assert_eq!(
        report.verdict,
        Verdict::Unverifiable(UnverifiableReason::NoRecord)
    );
    assert_eq!(report.route.unwrap().tried.len(), 3);
    assert_eq!(vendors.hits(), [1, 1, 1]);
}

#[tokio::test]
async fn the_ledger_answers_the_same_person_without_a_call() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let fallback = Fallback::new(vendors.providers(Duration::from_secs(5)));
    let first = fallback.route(&person("张三")).await;
    assert!(!first.route.cached);
    let again = fallback.route(&person("张三")).await;
    assert!(again.route.cached);
    assert_eq!(again.route.billed_calls, 0);
    assert_eq!(again.route.cost, Some(Price::from_milli_yuan(0)));
    let report = again.result.unwrap();
    assert_eq!(report.verdict, Verdict::Match);
    assert_eq!(report.trace.billing, Billing::NotBilled);
    assert_eq!(vendors.hits(), [1, 0, 0]);
    fallback.route(&person("李四")).await.result.unwrap();
    assert_eq!(vendors.hits(), [2, 0, 0]);
    // Fresh answers only: sent again.
    let fresh = fallback
        .route_with(&person("张三"), &ClaimPolicy::default().fresh(true))
        .await;
    assert!(!fresh.route.cached);
    assert_eq!(vendors.hits(), [3, 0, 0]);
}

#[tokio::test]
async fn routers_sharing_a_ledger_share_answers_but_not_across_targets() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let ledger = Arc::new(Ledger::in_memory(LedgerKey::random().unwrap()));
    let one = Fallback::new(vendors.providers(Duration::from_secs(5))).with_ledger(ledger.clone());
    let two = Fallback::new(vendors.providers(Duration::from_secs(5))).with_ledger(ledger.clone());
    one.route(&person("张三")).await.result.unwrap();
    assert!(two.route(&person("张三")).await.route.cached);
    assert_eq!(vendors.hits(), [1, 0, 0]);
    // The same vendor at another base URL is another target: called.
    let elsewhere = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let three =
        Fallback::new(elsewhere.providers(Duration::from_secs(5))).with_ledger(ledger.clone());
    assert!(!three.route(&person("张三")).await.route.cached);
    assert_eq!(elsewhere.hits(), [1, 0, 0]);
}

#[tokio::test]
async fn an_expired_answer_is_asked_again() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let ledger = Ledger::in_memory(LedgerKey::random().unwrap()).with_max_age(Duration::ZERO);
    let fallback =
        Fallback::new(vendors.providers(Duration::from_secs(5))).with_ledger(Arc::new(ledger));
    fallback.route(&person("张三")).await.result.unwrap();
    tokio::time::sleep(Duration::from_millis(2)).await;
    let again = fallback.route(&person("张三")).await;
    assert!(!again.route.cached);
    assert_eq!(vendors.hits(), [2, 0, 0]);
}

#[tokio::test]
async fn a_timed_out_call_is_unresolved_and_not_sent_again_nor_to_the_next_vendor() {
    let slow = Answer {
        delay: Some(Duration::from_secs(3)),
        ..MATCH_01
    };
    let vendors = Vendors::answering(slow, MISMATCH_0008, MATCH_10000).await;
    let fallback = Fallback::new(vendors.providers(Duration::from_millis(150)))
        .continue_after_billed_errors(true);
    // Opted in to moving on after a maybe-billed error: the second vendor answers.
    let first = fallback.route(&person("张三")).await;
    assert_eq!(first.result.unwrap().verdict, Verdict::Mismatch);
    assert_eq!(first.route.maybe_billed_calls, 1);
    assert_eq!(vendors.hits(), [1, 1, 0]);
    let again = fallback.route(&person("张三")).await;
    assert!(
        matches!(
            again.result,
            Err(Error::NotSent {
                provider: "idcardcert",
                reason: NotSent::Unresolved { .. }
            })
        ),
        "{:?}",
        again.result
    );
    assert_eq!(vendors.hits(), [1, 1, 0], "only the first route moved on");
    assert_eq!(fallback.ledger().unresolved().await.unwrap().len(), 1);
    // On the user's word it is sent again, to the same vendor.
    let resent = fallback
        .route_with(
            &person("张三"),
            &ClaimPolicy::default().resend_unresolved(true),
        )
        .await;
    assert_eq!(resent.result.unwrap().verdict, Verdict::Mismatch);
    assert_eq!(resent.route.tried[1].outcome, "mismatch (from the ledger)");
    assert_eq!(vendors.hits(), [2, 1, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_identical_requests_at_once_make_one_call() {
    let slow_match = Answer {
        delay: Some(Duration::from_millis(200)),
        ..MATCH_01
    };
    let vendors = Vendors::answering(slow_match, MISMATCH_0008, MATCH_10000).await;
    let fallback = Arc::new(Fallback::new(vendors.providers(Duration::from_secs(5))));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let fallback = Arc::clone(&fallback);
        tasks.spawn(async move { fallback.route(&person("张三")).await });
    }
    let mut billed = 0;
    while let Some(routed) = tasks.join_next().await {
        let routed = routed.unwrap();
        assert_eq!(routed.result.unwrap().verdict, Verdict::Match);
        billed += routed.route.billed_calls;
    }
    assert_eq!(vendors.hits(), [1, 0, 0]);
    assert_eq!(billed, 1, "one route paid; the others joined or reused it");
    assert!(fallback.coalesced() > 0);
}

#[tokio::test]
async fn checks_no_provider_performs_make_no_request() {
    let vendors = Vendors::answering(MATCH_01, MISMATCH_0008, MATCH_10000).await;
    let request = Request::mobile(
        IdNumber::parse("11010519491231002X").unwrap(),
        Name::parse("张三").unwrap(),
        Mobile::parse("13800138000").unwrap(),
    );
    let error = Fallback::new(vendors.providers(Duration::from_secs(5)))
        .verify(&request)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::UnsupportedCheck {
            provider: "fallback",
            ..
        }
    ));
    assert_eq!(vendors.hits(), [0, 0, 0]);
}

#[test]
fn cache_keys_separate_checks_and_fields() {
    let salt = [7; 32];
    let id = IdNumber::parse("11010519491231002X").unwrap();
    let identity = Request::identity(id, Name::parse("张三").unwrap());
    let mobile = Request::mobile(
        id,
        Name::parse("张三").unwrap(),
        Mobile::parse("13800138000").unwrap(),
    );
    assert_ne!(CacheKey::of(&identity, &salt), CacheKey::of(&mobile, &salt));
    let photo = idcheck_core::FaceImage::from_url("https://example.com/a.jpg").unwrap();
    assert_eq!(
        CacheKey::of(
            &Request::face(id, Name::parse("张三").unwrap(), photo),
            &salt
        ),
        None
    );
}
