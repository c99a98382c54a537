//! What the gateway client adds to a call: the same GET against one local httpmock endpoint,
//! sent with bare `reqwest` (URL encoding, APPCODE header, body read) and through
//! [`GatewayClient`] (plus timeouts, error mapping, body cap, span), and signed with an
//! AppKey/AppSecret. Target: gateway / bare <= 1.10.
//!
//! `cargo bench -p aliyun-gateway --bench gateway_overhead`

use std::hint::black_box;
use std::time::Duration;

use aliyun_gateway::{Auth, BaseUrl, Call, GatewayClient, Method};
use criterion::{Criterion, criterion_main};
use httpmock::MockServer;

const APPCODE: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";
const BODY: &str = r#"{"status":"01","msg":"实名认证通过！","idCard":"110101********0011","name":"张*","sex":"男","area":"北京市东城区","province":"北京市","city":"东城区","prefecture":"","birthday":"1990-03-07","addrCode":"110101","lastCode":"1"}"#;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start_async());
    runtime.block_on(server.mock_async(|when, then| {
        when.path("/idCardCert");
        then.status(200)
            .header("Content-Type", "application/json;charset=UTF-8")
            .header("X-Ca-Request-Id", "5F2C0A3B-1A2B-4C3D-8E9F-000000000000")
            .body(BODY);
    }));
    let base = BaseUrl::parse(&server.base_url()).unwrap();
    let params = [("idCard", "110101199003070011"), ("name", "张三")];

    let bare_client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let app_code = GatewayClient::new(Auth::app_code(APPCODE).unwrap()).unwrap();
    let signed = GatewayClient::new(Auth::app_key("203000001", "TestAppSecret").unwrap()).unwrap();

    let mut group = c.benchmark_group("gateway_overhead");
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&runtime).iter(|| async {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            let response = bare_client
                .get(format!("{base}/idCardCert?{query}"))
                .header("Authorization", format!("APPCODE {APPCODE}"))
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            black_box(response.bytes().await.unwrap());
        });
    });
    for (name, client) in [
        ("gateway_client", &app_code),
        ("gateway_client_signed", &signed),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let call = Call::new("bench", &base, Method::Get, "/idCardCert", &params);
                let answer = client.send(&call).await.unwrap();
                black_box(answer.body().len());
            });
        });
    }
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
