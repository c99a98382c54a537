//! The five vendor crates end to end against the sandbox, and the gateway imitation's
//! refusals through the real gateway client.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
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

/// One raw HTTP/1.1 exchange with the sandbox, form body or none: the status and the body.
async fn raw(
    sandbox: &Sandbox,
    method: &str,
    target: &str,
    app_code: &str,
    form: Option<&str>,
) -> (u16, String) {
    let addr = sandbox.addr();
    let form_headers = form.map_or_else(String::new, |form| {
        format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        )
    });
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: APPCODE {app_code}\r\n{form_headers}\r\n{}",
        form.unwrap_or_default()
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_owned())
    })
    .await
    .unwrap()
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `GET /idCardCert` with `app_code`: the status.
async fn idcardcert(sandbox: &Sandbox, (name, id): (&str, &str), app_code: &str) -> u16 {
    let query = encode(&[("idCard", id), ("name", name)]);
    raw(
        sandbox,
        "GET",
        &format!("/idCardCert?{query}"),
        app_code,
        None,
    )
    .await
    .0
}

/// `GET /_sandbox/billed`, parsed.
async fn billed_route(sandbox: &Sandbox) -> serde_json::Value {
    let (status, body) = raw(sandbox, "GET", "/_sandbox/billed", "", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn counts<K: Eq + std::hash::Hash>(pairs: impl IntoIterator<Item = (K, u64)>) -> HashMap<K, u64> {
    pairs.into_iter().collect()
}

#[tokio::test]
async fn billed_calls_are_counted_per_person_and_vendor_and_refusals_are_not() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let zhang = ZHANG_SAN.1;
    assert!(sandbox.billed_by_person().is_empty());

    // Billed: counted under the ID number as received, upper-cased.
    let lower = (ZHANG_SAN.0, "11010519491231002x");
    assert_eq!(idcardcert(&sandbox, lower, DEFAULT_APPCODE).await, 200);
    assert_eq!(sandbox.billed_by_person(), counts([(zhang.to_owned(), 1)]));

    // Refused by the gateway, so unbilled: a wrong AppCode, a missing ID parameter.
    assert_eq!(idcardcert(&sandbox, ZHANG_SAN, "wrong").await, 400);
    assert_eq!(idcardcert(&sandbox, ZHAO_LIU, "wrong").await, 400);
    let (status, _) = raw(
        &sandbox,
        "GET",
        &format!("/idCardCert?{}", encode(&[("name", "张三")])),
        DEFAULT_APPCODE,
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(sandbox.billed_by_person(), counts([(zhang.to_owned(), 1)]));

    // The same person through the form vendors (`idNo`, `idcard`), another person apart.
    for provider in &identity_vendors(&sandbox)[1..] {
        provider.verify(&identity(ZHANG_SAN)).await.unwrap();
    }
    identity_vendors(&sandbox)[0]
        .verify(&identity(ZHAO_LIU))
        .await
        .unwrap();
    // An empty ID parameter is billed (the vendor answers its "bad ID" code), under "".
    let form = encode(&[("idcard", ""), ("name", "张三")]);
    let (status, _) = raw(
        &sandbox,
        "POST",
        "/chinadatapay/1882",
        DEFAULT_APPCODE,
        Some(&form),
    )
    .await;
    assert_eq!(status, 200);

    let by_person = counts([
        (zhang.to_owned(), 3),
        (ZHAO_LIU.1.to_owned(), 1),
        (String::new(), 1),
    ]);
    assert_eq!(sandbox.billed_by_person(), by_person);
    assert_eq!(
        sandbox.billed_by_person_and_vendor(),
        counts([
            ((zhang.to_owned(), "idcardcert"), 1),
            ((zhang.to_owned(), "idenauthen"), 1),
            ((zhang.to_owned(), "checkone"), 1),
            ((ZHAO_LIU.1.to_owned(), "idcardcert"), 1),
            ((String::new(), "checkone"), 1),
        ])
    );
    assert_eq!(sandbox.billed_total(), 5);
    assert_eq!(sandbox.billed_unattributed(), 0);

    // The route answers the same counts, its per-vendor keys unchanged.
    let route = billed_route(&sandbox).await;
    assert_eq!(
        route["by_person"],
        serde_json::json!({zhang: 3, ZHAO_LIU.1: 1, "": 1})
    );
    assert_eq!(route["by_person_unattributed"], 0);
    assert_eq!(route["total"], 5);
    assert_eq!(route["idcardcert"], 2);
    assert_eq!(route["checkone"], 2);
    assert_eq!(route["idenauthen"], 1);
    assert_eq!(route["checkphone"], 0);
    assert_eq!(route["facever"], 0);

    // Counts only in `Debug`: no ID number.
    let debug = format!("{sandbox:?}");
    assert!(
        !debug.contains(zhang) && !debug.contains(ZHAO_LIU.1),
        "{debug}"
    );
}

#[tokio::test]
async fn unbilled_faults_throttling_and_quota_count_no_person() {
    let down = SandboxConfig {
        failure_rate: 1.0,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(down, "127.0.0.1:0").await.unwrap();
    assert_eq!(idcardcert(&sandbox, ZHANG_SAN, DEFAULT_APPCODE).await, 503);
    assert!(sandbox.billed_by_person().is_empty());
    assert!(sandbox.billed_by_person_and_vendor().is_empty());
    let route = billed_route(&sandbox).await;
    assert_eq!(route["by_person"], serde_json::json!({}));
    assert_eq!(route["total"], 0);

    let throttled = SandboxConfig {
        qps: Some(1),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(throttled, "127.0.0.1:0").await.unwrap();
    let people = [ZHANG_SAN, ZHAO_LIU, SUN_QI];
    let mut expected = HashMap::new();
    for person in people {
        match idcardcert(&sandbox, person, DEFAULT_APPCODE).await {
            200 => {
                expected.insert(person.1.to_owned(), 1);
            }
            status => assert_eq!(status, 403, "{}", person.1),
        }
    }
    // Three calls span at most two one-second windows (unless the machine stalls for
    // seconds), each allowing one: at least one was throttled.
    assert!(expected.len() < people.len(), "none throttled");
    assert_eq!(sandbox.billed_by_person(), expected);
    let route = billed_route(&sandbox).await;
    let route: HashMap<String, u64> = serde_json::from_value(route["by_person"].clone()).unwrap();
    assert_eq!(route, expected);

    let quota = SandboxConfig {
        quota: Some(1),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(quota, "127.0.0.1:0").await.unwrap();
    assert_eq!(idcardcert(&sandbox, ZHANG_SAN, DEFAULT_APPCODE).await, 200);
    assert_eq!(idcardcert(&sandbox, ZHAO_LIU, DEFAULT_APPCODE).await, 403);
    assert_eq!(idcardcert(&sandbox, ZHANG_SAN, DEFAULT_APPCODE).await, 403);
    assert_eq!(
        sandbox.billed_by_person(),
        counts([(ZHANG_SAN.1.to_owned(), 1)])
    );
    assert_eq!(
        billed_route(&sandbox).await["by_person"],
        serde_json::json!({ZHANG_SAN.1: 1})
    );
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
