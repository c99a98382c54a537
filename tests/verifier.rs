//! `Verifier::builder()`: the front door, end to end against the sandbox; billed calls are
//! counted by the sandbox, per person.

use std::sync::Arc;

use idcheck::gateway::Auth;
use idcheck::ledger::{Ledger, LedgerKey};
use idcheck::provider::{Price, Request, Verdict};
use idcheck::{IdNumber, Name, SetupError, Verifier};
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};

const ZHANG_SAN: (&str, &str) = ("张三", "11010519491231002X");
/// Not on record: every vendor answers "no record" (billed).
const SUN_QI: (&str, &str) = ("孙七", "330106199909090054");

fn identity((name, id): (&str, &str)) -> Request {
    Request::identity(IdNumber::parse(id).unwrap(), Name::parse(name).unwrap())
}

fn sandbox_auth() -> Auth {
    Auth::app_code(DEFAULT_APPCODE).unwrap()
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap()
}

fn two_vendors(sandbox: &Sandbox) -> idcheck::VerifierBuilder {
    Verifier::builder()
        .credentials(sandbox_auth())
        .base_url(sandbox.base_url())
        .vendor("idcardcert")
        .vendor("checkone")
        .price("idcardcert", Price::from_milli_yuan(70))
        .price("checkone", Price::from_milli_yuan(50))
}

#[tokio::test]
async fn falls_back_prices_the_route_and_reuses_answers_at_zero_cost() {
    let sandbox = sandbox().await;
    let verifier = two_vendors(&sandbox).build().await.unwrap();
    assert_eq!(
        verifier
            .vendors()
            .iter()
            .map(|v| v.id())
            .collect::<Vec<_>>(),
        ["idcardcert", "checkone"]
    );

    let routed = verifier.route(&identity(SUN_QI)).await;
    assert!(matches!(
        routed.result.unwrap().verdict,
        Verdict::Unverifiable(_)
    ));
    let asked: Vec<_> = routed.route.tried.iter().map(|s| s.provider).collect();
    assert_eq!(asked, ["idcardcert", "checkone"]);
    assert_eq!(routed.route.billed_calls, 2);
    assert_eq!(routed.route.cost, Some(Price::from_milli_yuan(120)));

    let routed = verifier.route(&identity(ZHANG_SAN)).await;
    assert_eq!(routed.result.unwrap().verdict, Verdict::Match);
    assert_eq!(routed.route.cost, Some(Price::from_milli_yuan(70)));

    // Asked again: the ledger answers, nothing is paid, and the cost says so.
    let again = verifier.route(&identity(ZHANG_SAN)).await;
    assert_eq!(again.result.unwrap().verdict, Verdict::Match);
    assert!(again.route.cached);
    assert_eq!(again.route.billed_calls, 0);
    assert_eq!(again.route.cost, Some(Price::from_milli_yuan(0)));

    let by_person = sandbox.billed_by_person();
    assert_eq!(by_person[ZHANG_SAN.1], 1);
    assert_eq!(by_person[SUN_QI.1], 2); // one per vendor: both said "no record"
}

#[tokio::test]
async fn by_price_asks_the_cheapest_first() {
    let sandbox = sandbox().await;
    let verifier = two_vendors(&sandbox).by_price().build().await.unwrap();
    let routed = verifier.route(&identity(ZHANG_SAN)).await;
    let asked: Vec<_> = routed.route.tried.iter().map(|s| s.provider).collect();
    assert_eq!(asked, ["checkone"]);
    assert_eq!(routed.route.cost, Some(Price::from_milli_yuan(50)));
    assert_eq!(sandbox.billed()["idcardcert"], 0);
}

#[tokio::test]
async fn two_verifiers_on_one_ledger_file_pay_once() {
    let sandbox = sandbox().await;
    let dir = std::env::temp_dir().join(format!("idcheck-verifier-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.sqlite");
    let _ = std::fs::remove_file(&path);
    let key = "5a".repeat(32);
    let location = path.display().to_string();
    for _ in 0..2 {
        let ledger = Ledger::open(&location, LedgerKey::from_hex(&key).unwrap())
            .await
            .unwrap();
        let verifier = two_vendors(&sandbox)
            .ledger(Arc::new(ledger))
            .build()
            .await
            .unwrap();
        let routed = verifier.route(&identity(ZHANG_SAN)).await;
        assert_eq!(routed.result.unwrap().verdict, Verdict::Match);
        verifier.ledger().close().await.unwrap();
    }
    assert_eq!(sandbox.billed_by_person()[ZHANG_SAN.1], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn fresh_pays_again() {
    let sandbox = sandbox().await;
    let verifier = two_vendors(&sandbox).build().await.unwrap();
    verifier.route(&identity(ZHANG_SAN)).await.result.unwrap();
    let fresh = two_vendors(&sandbox)
        .ledger(Arc::clone(verifier.ledger()))
        .fresh(true)
        .build()
        .await
        .unwrap();
    let routed = fresh.route(&identity(ZHANG_SAN)).await;
    assert!(!routed.route.cached);
    assert_eq!(sandbox.billed_by_person()[ZHANG_SAN.1], 2);
}

#[tokio::test]
async fn setup_errors_say_what_is_wrong_before_anything_is_sent() {
    let sandbox = sandbox().await;
    let base = sandbox.base_url();
    let builder = || Verifier::builder().credentials(sandbox_auth());
    let cases: Vec<(idcheck::VerifierBuilder, &str)> = vec![
        (builder(), "no vendor"),
        (builder().vendor("alipay"), "unknown vendor \"alipay\""),
        (
            builder().vendor("checkone").vendor("checkone"),
            "vendor checkone is named twice",
        ),
        (
            builder()
                .vendor("checkone")
                .price("idcardcert", Price::from_milli_yuan(70)),
            "a price is set for \"idcardcert\", which is not among the vendors",
        ),
        (
            builder()
                .vendor("checkone")
                .base_url(base.trim_start_matches("http://")),
            "base URL: invalid base URL: it has no scheme: write http:// or https:// in front",
        ),
        (
            builder()
                .vendor("checkone")
                .ledger_at("mysql://localhost/x"),
            "ledger location",
        ),
    ];
    for (builder, expected) in cases {
        let error = builder.build().await.unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    assert!(matches!(
        Verifier::builder()
            .credentials(sandbox_auth())
            .vendor("nobody")
            .build()
            .await,
        Err(SetupError::UnknownVendor { .. })
    ));
    assert_eq!(sandbox.billed_total(), 0);
}

#[test]
fn debug_of_a_builder_holds_no_credentials() {
    let builder = Verifier::builder()
        .credentials(Auth::app_code("0123456789abcdef0123456789abcdef").unwrap())
        .vendor("idcardcert");
    let debug = format!("{builder:?}");
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
    assert!(debug.contains("idcardcert"), "{debug}");
}
