//! The service end to end over HTTP against the sandbox: every route, every status, and every
//! answer's fields checked against the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use aliyun_gateway::reqwest;
use aliyun_gateway::{Auth, BaseUrl, GatewayClient};
use idcheck_ledger::{Ledger, LedgerKey};
use idcheck_router::Fallback;
use idcheck_sandbox::{DEFAULT_APPCODE, Sandbox, SandboxConfig};
use idcheck_server::{Clients, Limits, Service, new_client};
use provider_trait::{Price, Provider};
use serde_json::{Value, json};

struct Running {
    base: String,
    http: reqwest::Client,
    tokens: Vec<String>,
    sandbox: Sandbox,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    async fn post(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.done.take().unwrap().await.unwrap().unwrap();
    }
}

/// Clients: 0 all checks, no budget; 1 identity only; 2 a budget of 0.20 yuan.
async fn start(ledger: Arc<Ledger>, latency: Duration) -> Running {
    start_with(
        ledger,
        latency,
        Limits::default().with_request_deadline(Duration::from_secs(5)),
    )
    .await
}

async fn start_with(ledger: Arc<Ledger>, latency: Duration, limits: Limits) -> Running {
    let sandbox = Sandbox::start(
        SandboxConfig {
            latency,
            ..SandboxConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let client = GatewayClient::new(Auth::app_code(DEFAULT_APPCODE).unwrap()).unwrap();
    let base = BaseUrl::parse(&sandbox.base_url()).unwrap();
    let providers: Vec<Arc<dyn Provider>> = vec![
        Arc::new(
            provider_idcardcert::IdCardCert::new(client.clone())
                .with_base_url(base.clone())
                .with_unit_price(Price::from_milli_yuan(70)),
        ),
        Arc::new(
            provider_idenauthen::IdenAuthen::new(client.clone())
                .with_base_url(base.clone())
                .with_unit_price(Price::from_milli_yuan(100)),
        ),
        Arc::new(
            provider_checkphone::CheckPhone::new(client.clone())
                .with_base_url(base.clone())
                .with_unit_price(Price::from_milli_yuan(300)),
        ),
        Arc::new(
            provider_facever::FaceVer::new(client)
                .with_base_url(base)
                .with_unit_price(Price::from_milli_yuan(500)),
        ),
    ];
    let mut text = String::new();
    let mut tokens = Vec::new();
    for (name, extra) in [
        ("everything", ""),
        ("identity-only", "checks = [\"identity\"]\n"),
        ("budgeted", "daily_budget_yuan = 0.5\n"),
    ] {
        let (token, entry) = new_client(name).unwrap();
        text.push_str(&entry);
        text.push_str(extra);
        tokens.push(token);
    }
    let router = Fallback::new(providers).with_ledger(Arc::clone(&ledger));
    let service =
        Service::new(router, ledger, Clients::from_toml(&text).unwrap()).with_limits(limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(idcheck_server::serve(Arc::new(service), listener, async {
        let _ = stopped.await;
    }));
    Running {
        base,
        http: reqwest::Client::new(),
        tokens,
        sandbox,
        stop: Some(stop),
        done: Some(done),
    }
}

fn memory_ledger() -> Arc<Ledger> {
    Arc::new(Ledger::in_memory(LedgerKey::random().unwrap()))
}

/// Every key of `value` (recursively) is declared in `schema` (a `$ref` resolved in `doc`).
fn assert_declared(doc: &Value, schema: &Value, value: &Value, path: &str) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    };
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let declared = schema
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| schema.get("additionalProperties"))
                    .unwrap_or_else(|| panic!("{path}.{key} is not in the OpenAPI document"));
                assert_declared(doc, declared, inner, &format!("{path}.{key}"));
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for inner in items {
                    assert_declared(doc, item, inner, &format!("{path}[]"));
                }
            }
        }
        _ => {}
    }
}

async fn openapi(running: &Running) -> Value {
    let (status, text) = running.get("/openapi.json").await;
    assert_eq!(status, 200);
    serde_json::from_str(&text).unwrap()
}

fn response_schema<'a>(doc: &'a Value, path: &str, status: u16) -> &'a Value {
    let method = if path.starts_with("/v1/") {
        "post"
    } else {
        "get"
    };
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{path} {status} is not in the OpenAPI document"
    );
    &response["content"]["application/json"]["schema"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one walk through every route and status
async fn every_route_and_status_against_the_openapi_document() {
    let running = start(memory_ledger(), Duration::ZERO).await;
    let doc = openapi(&running).await;
    let [everything, identity_only, budgeted] = [0, 1, 2].map(|i| running.tokens[i].clone());
    for path in [
        "/v1/validate",
        "/v1/verify",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(!doc["paths"][path].is_null(), "{path} missing");
    }
    let check = |path: &str, status: u16, body: &Value| {
        let schema = response_schema(&doc, path, status);
        if !schema.is_null() {
            assert_declared(&doc, schema, body, path);
        }
    };

    assert_eq!(running.get("/healthz").await.0, 200);
    assert_eq!(running.get("/readyz").await.0, 200);

    // validate: free, precise, and every field is documented.
    let (status, body) = running
        .post(
            "/v1/validate",
            Some(&everything),
            r#"{"id":"11010519491231002X","name":"张三","mobile":"13800138000","photo":"https://example.com/a.jpg"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    check("/v1/validate", 200, &body);
    assert_eq!(body["id"]["birthday"], "1949-12-31");
    assert_eq!(body["id"]["region"]["county"], "朝阳区");
    assert_eq!(body["mobile"]["original_carrier"], "China Mobile");
    let (status, body) = running
        .post(
            "/v1/validate",
            Some(&everything),
            r#"{"id":"110105194912310021"}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"]["valid"], false);
    assert_eq!(body["id"]["reason"], "check character expected X, found 1");
    let (status, body) = running.post("/v1/validate", Some(&everything), "{}").await;
    assert_eq!(status, 422);
    check("/v1/validate", 422, &body);
    let (status, body) = running
        .post("/v1/validate", Some(&everything), "{nope")
        .await;
    assert_eq!(status, 400);
    check("/v1/validate", 400, &body);
    let (status, body) = running
        .post("/v1/validate", None, r#"{"name":"张三"}"#)
        .await;
    assert_eq!(status, 401);
    check("/v1/validate", 401, &body);
    let (status, _) = running
        .post(
            "/v1/validate",
            Some("idck_not_a_token"),
            r#"{"name":"张三"}"#,
        )
        .await;
    assert_eq!(status, 401);
    // A photo of 102,400 base64 characters fits; much more does not.
    let big = format!(r#"{{"photo":"{}"}}"#, "A".repeat(102_400));
    assert_eq!(
        running
            .post("/v1/validate", Some(&everything), &big)
            .await
            .0,
        200
    );
    let huge = format!(r#"{{"photo":"{}"}}"#, "A".repeat(400_000));
    assert_eq!(
        running
            .post("/v1/validate", Some(&everything), &huge)
            .await
            .0,
        413
    );
    assert_eq!(
        running.sandbox.billed_total(),
        0,
        "validate never calls a vendor"
    );

    // verify: 422 with reasons and nothing sent.
    let (status, body) = running
        .post(
            "/v1/verify",
            Some(&everything),
            r#"{"check":"identity","id":"110105194912310021","name":"张 三"}"#,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    check("/v1/verify", 422, &body);
    assert!(body["fields"]["id"].is_string() && body["fields"]["name"].is_string());
    assert_eq!(running.sandbox.billed_total(), 0);

    // 200: a match, paid once; the same again is reused from the ledger.
    let person = r#"{"check":"identity","id":"11010519491231002X","name":"张三"}"#;
    let (status, body) = running.post("/v1/verify", Some(&everything), person).await;
    assert_eq!(status, 200, "{body}");
    check("/v1/verify", 200, &body);
    assert_eq!(body["verdict"], "match");
    assert_eq!(body["provider"], "idcardcert");
    assert_eq!(body["billed_calls"], 1);
    assert_eq!(body["cost_yuan"], "0.070");
    assert_eq!(body["reused"], false);
    assert_eq!(body["input"]["id"], "110105********002X");
    assert!(
        !body.to_string().contains("1949-12-31"),
        "no birthday beside the mask"
    );
    let (status, again) = running.post("/v1/verify", Some(&everything), person).await;
    assert_eq!(status, 200);
    assert_eq!(again["reused"], true);
    assert_eq!(again["cost_yuan"], "0.000");
    assert_eq!(running.sandbox.billed_total(), 1);

    // 403: a check the client may not ask for.
    let mobile =
        r#"{"check":"mobile","id":"11010519491231002X","name":"张三","mobile":"13800138000"}"#;
    let (status, body) = running
        .post("/v1/verify", Some(&identity_only), mobile)
        .await;
    assert_eq!(status, 403);
    check("/v1/verify", 403, &body);

    // 429: the budget (0.50) reserves each vendor's price before its call and keeps what
    // was billed: the call that would not fit is refused, nothing sent.
    let mut statuses = Vec::new();
    let mut spent = 0;
    let mut billed = 0;
    for i in 0..8 {
        let id = sandbox_id(i);
        let (status, body) = running
            .post(
                "/v1/verify",
                Some(&budgeted),
                &json!({"check": "identity", "id": id, "name": "测试"}).to_string(),
            )
            .await;
        if status == 429 {
            check("/v1/verify", 429, &body);
            assert!(body["resets_at"].as_str().unwrap().ends_with("+00:00"));
        } else {
            let yuan = body["cost_yuan"].as_str().unwrap().replace('.', "");
            spent += yuan.parse::<i64>().unwrap();
            billed += body["billed_calls"].as_u64().unwrap();
        }
        statuses.push(status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(spent <= 500 && spent + 170 > 500, "{spent} {statuses:?}");
    // The refused ones sent nothing: the sandbox billed exactly what was answered (plus the
    // match above).
    assert_eq!(running.sandbox.billed_total(), 1 + billed);

    let (status, text) = running.get("/metrics").await;
    assert_eq!(status, 200);
    for needle in [
        "idcheck_requests_total{route=\"/v1/verify\",status=\"200\"}",
        "idcheck_billed_calls_total{vendor=\"idcardcert\"}",
        "idcheck_ledger_reused_total 1",
        "idcheck_budget_refusals_total{client=\"budgeted\"}",
        "idcheck_request_duration_seconds_bucket{route=\"/v1/validate\",le=\"+Inf\"}",
        "idcheck_coalesced_requests_total",
    ] {
        assert!(text.contains(needle), "{needle} not in\n{text}");
    }
    assert!(!text.contains("11010519491231002X") && !text.contains("张三"));
    running.stop().await;
}

/// Valid ID numbers of people the sandbox does not know (answered "no record", billed).
fn sandbox_id(i: usize) -> String {
    provider_testkit::with_check_character(&format!("44030119900101{:03}", 100 + i))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_that_goes_away_is_503_and_nothing_is_sent() {
    let dir = std::env::temp_dir().join(format!("idcheck-server-503-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("ledger.sqlite");
    let ledger = Ledger::open(&path.display().to_string(), LedgerKey::random().unwrap())
        .await
        .unwrap();
    let running = start(Arc::new(ledger), Duration::ZERO).await;
    let token = running.tokens[0].clone();
    assert_eq!(running.get("/readyz").await.0, 200);
    std::fs::remove_dir_all(&dir).unwrap();
    let (status, body) = running.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    let (status, body) = running
        .post(
            "/v1/verify",
            Some(&token),
            r#"{"check":"identity","id":"11010519491231002X","name":"张三"}"#,
        )
        .await;
    assert_eq!(status, 503, "{body}");
    let doc = openapi(&running).await;
    assert_declared(&doc, response_schema(&doc, "/v1/verify", 503), &body, "503");
    assert_eq!(running.sandbox.billed_total(), 0);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_at_once_make_one_call() {
    let running = Arc::new(start(memory_ledger(), Duration::from_millis(200)).await);
    let token = running.tokens[0].clone();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let running = Arc::clone(&running);
        let token = token.clone();
        tasks.spawn(async move {
            running
                .post(
                    "/v1/verify",
                    Some(&token),
                    r#"{"check":"identity","id":"11010519491231002X","name":"张三"}"#,
                )
                .await
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["verdict"], "match");
    }
    assert_eq!(running.sandbox.billed_total(), 1);
}

/// A noisy photo far over the vendor's 100 KB of base64, as base64.
fn large_photo() -> String {
    use base64::Engine as _;
    let pixels = image::RgbImage::from_fn(1200, 900, |x, y| {
        let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 64;
        image::Rgb([
            u8::try_from((x / 5 + noise) % 256).unwrap(),
            u8::try_from((y / 4 + noise) % 256).unwrap(),
            u8::try_from((x + y) / 9 % 256).unwrap(),
        ])
    });
    let mut png = Vec::new();
    pixels
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(png)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_over_the_limit_is_fitted_when_asked_and_refused_otherwise() {
    let photo = large_photo();
    assert!(photo.len() > 500_000, "{}", photo.len());
    let running = start_with(
        memory_ledger(),
        Duration::ZERO,
        Limits::default()
            .with_request_deadline(Duration::from_secs(30))
            .with_fit_photos(true),
    )
    .await;
    let token = running.tokens[0].clone();
    let id = sandbox_id(40);
    let body = |fit: bool| {
        json!({ "check": "face", "id": id, "name": "张三", "photo": photo, "fit_photo": fit })
            .to_string()
    };
    // Not asked: refused as before, nothing sent.
    let (status, refused) = running.post("/v1/verify", Some(&token), &body(false)).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["fields"]["photo"].is_string(), "{refused}");
    assert_eq!(running.sandbox.billed_total(), 0);

    // Asked: fitted, sent once, and the answer says what was sent.
    let (status, fitted) = running.post("/v1/verify", Some(&token), &body(true)).await;
    assert_eq!(status, 200, "{fitted}");
    let summary = &fitted["photo_fitted"];
    assert_eq!(summary["from"]["format"], "PNG", "{fitted}");
    assert_eq!(summary["from"]["width"], 1200);
    assert_eq!(summary["to"]["format"], "JPEG");
    let sent = summary["to"]["base64_length"].as_u64().unwrap();
    assert!(sent <= 102_400, "{sent}");
    let (w, h) = (
        summary["to"]["width"].as_u64().unwrap(),
        summary["to"]["height"].as_u64().unwrap(),
    );
    assert!(
        w * 3 / 4 == h || (w * 3).abs_diff(h * 4) <= 4,
        "aspect kept: {w}×{h}"
    );
    assert_eq!(running.sandbox.billed_total(), 1);
    let doc = openapi(&running).await;
    assert_declared(&doc, response_schema(&doc, "/v1/verify", 200), &fitted, "");
    // Only /v1/verify takes the large bodies: /v1/validate keeps its cap. (Just over it: a
    // body megabytes over would still be being written when the refusal closes the
    // connection.)
    let over = "A".repeat(Limits::default().body_bytes + 4096);
    let validate = json!({ "id": id, "name": "张三", "photo": over }).to_string();
    let (status, too_large) = running.post("/v1/validate", Some(&token), &validate).await;
    assert_eq!(status, 413, "{too_large}");
    assert!(
        too_large["error"]
            .as_str()
            .unwrap()
            .contains(&Limits::default().body_bytes.to_string()),
        "{too_large}"
    );
    running.stop().await;

    // A service not started to fit photos says so, and sends nothing.
    let running = start(memory_ledger(), Duration::ZERO).await;
    let token = running.tokens[0].clone();
    let (status, off) = running
        .post(
            "/v1/verify",
            Some(&token),
            &json!({ "check": "face", "id": sandbox_id(41), "name": "张三", "photo": "aGVsbG8=", "fit_photo": true })
                .to_string(),
        )
        .await;
    assert_eq!(status, 422, "{off}");
    assert!(
        off["fields"]["fit_photo"]
            .as_str()
            .unwrap()
            .contains("--fit-photos"),
        "{off}"
    );
    assert_eq!(running.sandbox.billed_total(), 0);
    running.stop().await;
}
