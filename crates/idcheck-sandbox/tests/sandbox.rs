//! The five vendor crates end to end against the sandbox, and the gateway imitation's
//! refusals through the real gateway client.

use std::sync::Arc;
use std::time::Duration;

use aliyun_gateway::{Auth, BaseUrl, GatewayClient};
use idcheck_core::{Carrier, FaceImage, IdNumber, Mobile, Name, Sex};
use idcheck_sandbox::{DEFAULT_APPCODE, Registry, Sandbox, SandboxConfig};
use provider_trait::{
    Billing, Error, FaceOutcome, Provider, Report, Request, UnverifiableReason, Verdict,
};
use secrecy::SecretString;

const ZHANG_SAN: (&str, &str) = ("张三", "11010519491231002X");
/// On record as 赵大六.
const ZHAO_LIU: (&str, &str) = ("赵六", "510107197801010041");
/// Not on record.
const SUN_QI: (&str, &str) = ("孙七", "330106199909090054");

fn identity((name, id): (&str, &str)) -> Request {
    Request::identity(IdNumber::parse(id).unwrap(), Name::parse(name).unwrap())
}

fn client(auth: Auth, timeout: Duration) -> GatewayClient {
    GatewayClient::builder(auth)
        .with_timeout(timeout)
        .build()
        .unwrap()
}

fn app_code() -> Auth {
    Auth::app_code(DEFAULT_APPCODE).unwrap()
}

fn base(sandbox: &Sandbox) -> BaseUrl {
    BaseUrl::parse(&sandbox.base_url()).unwrap()
}

/// The three identity vendors over `sandbox`.
fn identity_vendors(sandbox: &Sandbox) -> Vec<Arc<dyn Provider>> {
    let c = client(app_code(), Duration::from_secs(5));
    vec![
        Arc::new(provider_idcardcert::IdCardCert::new(c.clone()).with_base_url(base(sandbox))),
        Arc::new(provider_idenauthen::IdenAuthen::new(c.clone()).with_base_url(base(sandbox))),
        Arc::new(provider_checkone::CheckOne::new(c).with_base_url(base(sandbox))),
    ]
}

#[test]
fn the_builtin_registry_loads() {
    assert_eq!(Registry::builtin().len(), 10);
}

#[tokio::test]
async fn identity_vendors_answer_match_mismatch_and_no_record_from_the_registry() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    for provider in identity_vendors(&sandbox) {
        let report = provider.verify(&identity(ZHANG_SAN)).await.unwrap();
        assert_eq!(report.verdict, Verdict::Match, "{}", provider.id());
        assert_eq!(report.trace.billing, Billing::Billed);
        assert!(report.trace.gateway_request_id.is_some());
        assert!(report.trace.notes.is_empty(), "{:?}", report.trace.notes);
        assert_eq!(
            provider.verify(&identity(ZHAO_LIU)).await.unwrap().verdict,
            Verdict::Mismatch,
            "{}",
            provider.id()
        );
        let none = provider.verify(&identity(SUN_QI)).await.unwrap().verdict;
        assert!(
            matches!(none, Verdict::Unverifiable(_)),
            "{}",
            provider.id()
        );
    }
    let billed = sandbox.billed();
    for vendor in ["idcardcert", "idenauthen", "checkone"] {
        assert_eq!(billed[vendor], 3, "{vendor}");
    }
    assert_eq!(sandbox.billed_total(), 9);
}

#[tokio::test]
async fn details_agree_with_the_id_number() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let providers = identity_vendors(&sandbox);
    let idcardcert: Report = providers[0].verify(&identity(ZHANG_SAN)).await.unwrap();
    assert_eq!(idcardcert.details.sex, Some(Sex::Female));
    assert_eq!(idcardcert.details.address_code, Some(110_105));
    assert_eq!(idcardcert.details.region.as_deref(), Some("北京市朝阳区"));
    let idenauthen = providers[1].verify(&identity(ZHANG_SAN)).await.unwrap();
    assert_eq!(
        idenauthen.details.birthday,
        chrono::NaiveDate::from_ymd_opt(1949, 12, 31)
    );
    assert!(idenauthen.details.age.is_some_and(|age| age >= 76));
}

#[tokio::test]
async fn checkphone_answers_the_carrier_of_record_and_mismatches_a_wrong_mobile() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let provider = provider_checkphone::CheckPhone::new(client(app_code(), Duration::from_secs(5)))
        .with_base_url(base(&sandbox));
    let request = |name: &str, id: &str, mobile: &str| {
        Request::mobile(
            IdNumber::parse(id).unwrap(),
            Name::parse(name).unwrap(),
            Mobile::parse(mobile).unwrap(),
        )
    };
    let wang = provider
        .verify(&request("王五", "44030519920229001X", "18612345000"))
        .await
        .unwrap();
    assert_eq!(wang.verdict, Verdict::Match);
    assert_eq!(wang.details.carrier, Some(Carrier::ChinaUnicom));
    assert!(wang.trace.vendor_request_id.is_some());
    let zhang = provider
        .verify(&request("张三", "11010519491231002X", "13800138000"))
        .await
        .unwrap();
    assert_eq!(zhang.details.carrier, Some(Carrier::ChinaMobile));
    let wrong_mobile = provider
        .verify(&request("张三", "11010519491231002X", "13912345678"))
        .await
        .unwrap();
    assert_eq!(wrong_mobile.verdict, Verdict::Mismatch);
    assert_eq!(sandbox.billed()["checkphone"], 3);
}

#[tokio::test]
async fn facever_compares_the_photo_on_record() {
    let dir = std::env::temp_dir().join(format!("idcheck-sandbox-face-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let on_file = provider_testkit::sample_png_bytes(300);
    std::fs::write(dir.join("zhang.png"), &on_file).unwrap();
    let registry = Registry::from_csv(
        "name,id,mobile,carrier,photo\n张三,11010519491231002X,,,zhang.png\n李四,310104198506120035,,,\n",
        &dir,
    )
    .unwrap();
    let config = SandboxConfig {
        registry,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0").await.unwrap();
    let provider = provider_facever::FaceVer::new(client(app_code(), Duration::from_secs(5)))
        .with_base_url(base(&sandbox));
    let face = |name: &str, id: &str, photo: FaceImage| {
        Request::face(
            IdNumber::parse(id).unwrap(),
            Name::parse(name).unwrap(),
            photo,
        )
    };
    let same = provider
        .verify(&face(
            "张三",
            "11010519491231002X",
            FaceImage::from_bytes(&on_file).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        (same.verdict, same.face),
        (Verdict::Match, Some(FaceOutcome::Same))
    );
    let other = provider
        .verify(&face(
            "张三",
            "11010519491231002X",
            FaceImage::from_bytes(&provider_testkit::sample_png_bytes(400)).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        (other.verdict, other.face),
        (Verdict::Mismatch, Some(FaceOutcome::Different))
    );
    let no_photo = provider
        .verify(&face(
            "李四",
            "310104198506120035",
            FaceImage::from_bytes(&on_file).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        no_photo.verdict,
        Verdict::Unverifiable(UnverifiableReason::NoPhotoOnFile)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn first_identity_error(
    config: SandboxConfig,
    auth: Auth,
    timeout: Duration,
) -> (Error, Sandbox) {
    let sandbox = Sandbox::start(config, "127.0.0.1:0").await.unwrap();
    let provider =
        provider_idcardcert::IdCardCert::new(client(auth, timeout)).with_base_url(base(&sandbox));
    let error = provider.verify(&identity(ZHANG_SAN)).await.unwrap_err();
    (error, sandbox)
}

#[tokio::test]
async fn the_gateway_refuses_a_wrong_appcode_and_injected_faults_map_right() {
    let (error, sandbox) = first_identity_error(
        SandboxConfig::default(),
        Auth::app_code("not-the-code").unwrap(),
        Duration::from_secs(5),
    )
    .await;
    assert!(matches!(error, Error::Unauthenticated { .. }), "{error:?}");
    assert!(error.request_id().is_some());
    assert_eq!(sandbox.billed_total(), 0);

    let down = SandboxConfig {
        failure_rate: 1.0,
        ..SandboxConfig::default()
    };
    let (error, sandbox) = first_identity_error(down, app_code(), Duration::from_secs(5)).await;
    assert!(
        matches!(error, Error::VendorUnavailable { billed: false, .. }),
        "{error:?}"
    );
    assert_eq!(sandbox.billed_total(), 0);

    let maintenance = SandboxConfig {
        maintenance: true,
        ..SandboxConfig::default()
    };
    let (error, sandbox) =
        first_identity_error(maintenance, app_code(), Duration::from_secs(5)).await;
    assert!(
        matches!(error, Error::VendorUnavailable { billed: true, .. }),
        "{error:?}"
    );
    assert_eq!(sandbox.billed_total(), 1);

    let truncated = SandboxConfig {
        truncate: true,
        ..SandboxConfig::default()
    };
    let (error, _) = first_identity_error(truncated, app_code(), Duration::from_secs(5)).await;
    assert!(
        matches!(error, Error::Protocol { billed: true, .. }),
        "{error:?}"
    );

    let slow = SandboxConfig {
        latency: Duration::from_secs(3),
        ..SandboxConfig::default()
    };
    let (error, _) = first_identity_error(slow, app_code(), Duration::from_millis(200)).await;
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn quota_and_qps_limits_answer_like_the_gateway() {
    let config = SandboxConfig {
        quota: Some(2),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0").await.unwrap();
    let provider = &identity_vendors(&sandbox)[0];
    provider.verify(&identity(ZHANG_SAN)).await.unwrap();
    provider.verify(&identity(ZHAO_LIU)).await.unwrap();
    let error = provider.verify(&identity(SUN_QI)).await.unwrap_err();
    assert!(matches!(error, Error::QuotaExhausted { .. }), "{error:?}");
    assert_eq!(sandbox.billed_total(), 2);

    let config = SandboxConfig {
        qps: Some(1),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0").await.unwrap();
    let provider = &identity_vendors(&sandbox)[0];
    let results = [
        provider.verify(&identity(ZHANG_SAN)).await,
        provider.verify(&identity(ZHANG_SAN)).await,
    ];
    // Two calls within a second (or, on a very slow machine, across a window edge).
    let throttled = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Throttled { .. })))
        .count();
    assert!(throttled <= 1);
    assert_eq!(
        sandbox.billed_total(),
        u64::try_from(2 - throttled).unwrap()
    );
}

#[tokio::test]
async fn signed_requests_are_verified_and_a_wrong_secret_is_told_the_string_to_sign() {
    let config = SandboxConfig {
        app_key: Some(("203000001".to_owned(), SecretString::from("TestAppSecret"))),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0").await.unwrap();
    for provider in [
        Arc::new(
            provider_idcardcert::IdCardCert::new(client(
                Auth::app_key("203000001", "TestAppSecret").unwrap(),
                Duration::from_secs(5),
            ))
            .with_base_url(base(&sandbox)),
        ) as Arc<dyn Provider>,
        Arc::new(
            provider_checkone::CheckOne::new(client(
                Auth::app_key("203000001", "TestAppSecret").unwrap(),
                Duration::from_secs(5),
            ))
            .with_base_url(base(&sandbox)),
        ),
    ] {
        let report = provider.verify(&identity(ZHANG_SAN)).await.unwrap();
        assert_eq!(report.verdict, Verdict::Match, "{}", provider.id());
    }
    let wrong = provider_idcardcert::IdCardCert::new(client(
        Auth::app_key("203000001", "WrongSecret").unwrap(),
        Duration::from_secs(5),
    ))
    .with_base_url(base(&sandbox));
    let error = wrong.verify(&identity(ZHANG_SAN)).await.unwrap_err();
    match &error {
        Error::Unauthenticated { message, .. } => {
            assert!(message.starts_with("Invalid Signature"), "{message}");
            // The client redacts the server's string-to-sign: it holds the ID and name.
            assert!(!message.contains("11010519491231002X"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.billed_total(), 2);
}

mod props {
    use idcheck_sandbox::{Registry, Vendor};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_registry_text_loads_or_errs_without_panic(text in "\\PC{0,200}") {
            let _ = Registry::from_csv(&text, std::path::Path::new("/nonexistent"));
        }

        #[test]
        fn every_vendor_answers_any_parameters_with_a_json_object(
            id in "\\PC{0,20}", name in "\\PC{0,8}", mobile in "\\PC{0,14}", image in "\\PC{0,40}",
        ) {
            let registry = Registry::builtin();
            let param = |key: &str| match key {
                "idCard" | "idNo" | "idcard" => id.clone(),
                "name" => name.clone(),
                "mobile" => mobile.clone(),
                _ => image.clone(),
            };
            for vendor in Vendor::ALL {
                prop_assert!(vendor.answer(&param, &registry).is_object());
            }
        }
    }
}
