//! The imitation of the API Gateway: routing, authentication (APPCODE or signature), QPS,
//! quota, injected faults, `X-Ca-Request-Id`, then the vendor's answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aliyun_gateway::{SigningInput, random_uuid, sign_string};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use crate::nonces::{Admission, Nonces, TIMESTAMP_WINDOW_MS};
use crate::{Counters, MAX_NONCE_LEN, SandboxConfig, Vendor};

/// The largest request body read (a face photo of 100k base64 characters fits many times).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

struct Shared {
    config: SandboxConfig,
    counters: Arc<Counters>,
    /// Calls admitted against the quota.
    admitted: AtomicU64,
    /// When each request admitted in the last second arrived (oldest first): the limit holds
    /// in every one-second window, wherever it starts, as a gateway's flow control may count.
    window: Mutex<std::collections::VecDeque<Instant>>,
    /// Nonces of correctly signed requests inside the timestamp window.
    nonces: Arc<Nonces>,
}

pub(crate) fn router(
    config: SandboxConfig,
    counters: Arc<Counters>,
    nonces: Arc<Nonces>,
) -> axum::Router {
    let shared = Arc::new(Shared {
        config,
        counters,
        admitted: AtomicU64::new(0),
        window: Mutex::new(std::collections::VecDeque::new()),
        nonces,
    });
    axum::Router::new()
        .route("/_sandbox/billed", axum::routing::get(billed))
        .fallback(handle)
        .with_state(shared)
}

/// `GET /_sandbox/billed`: `{"<vendor id>": n, …, "total": n, "by_person": {"<ID number>": n,
/// …}, "by_person_unattributed": n, "throttled": n}`, as `Sandbox::billed`, `billed_total`,
/// `billed_by_person`, `billed_unattributed` and `throttled`.
async fn billed(State(shared): State<Arc<Shared>>) -> Response {
    let mut counts = serde_json::Map::new();
    for (vendor, n) in shared.counters.snapshot() {
        counts.insert(vendor.to_owned(), n.into());
    }
    counts.insert("total".to_owned(), shared.counters.total().into());
    let by_person: serde_json::Map<String, serde_json::Value> = shared
        .counters
        .by_person()
        .into_iter()
        .map(|(id, n)| (id, n.into()))
        .collect();
    counts.insert("by_person".to_owned(), by_person.into());
    counts.insert(
        "by_person_unattributed".to_owned(),
        shared.counters.unattributed().into(),
    );
    counts.insert(
        "throttled".to_owned(),
        shared.counters.throttled.load(Ordering::SeqCst).into(),
    );
    json_response(
        StatusCode::OK,
        &serde_json::Value::Object(counts).to_string(),
        None,
    )
}

fn json_response(status: StatusCode, body: &str, error: Option<&str>) -> Response {
    let mut response = (status, body.to_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Ok(id) = HeaderValue::from_str(&random_uuid().to_ascii_uppercase()) {
        headers.insert("x-ca-request-id", id);
    }
    if let Some(message) = error.and_then(|m| HeaderValue::from_bytes(m.as_bytes()).ok()) {
        headers.insert("x-ca-error-message", message);
    }
    response
}

/// A refusal by the gateway: the status, `X-Ca-Error-Message`, an empty body.
fn refuse(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, "", Some(message))
}

enum BodyError {
    /// Longer than [`MAX_BODY_BYTES`].
    TooLarge,
    /// Cut off or malformed (a broken chunked encoding).
    Invalid,
}

/// The whole body, at most [`MAX_BODY_BYTES`].
async fn read_body(mut body: Body) -> Result<Vec<u8>, BodyError> {
    use hyper::body::Body as _;
    let mut bytes = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let Ok(data) = frame.map_err(|_| BodyError::Invalid)?.into_data() else {
            continue; // trailers
        };
        if bytes.len() + data.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&data);
    }
    Ok(bytes)
}

fn pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text).into_owned().collect()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let config = &shared.config;
    // A body trickling in is cut off after the same time as the headers were allowed.
    let body = match tokio::time::timeout(config.header_timeout, read_body(body)).await {
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge)) => return refuse(413, "Request body too Large"),
        Ok(Err(BodyError::Invalid)) | Err(_) => return refuse(400, "Invalid Request Body"),
    };
    let Some(vendor) = Vendor::at(uri.path()) else {
        return refuse(400, "Invalid Url");
    };
    let expected = if vendor.is_form() {
        Method::POST
    } else {
        Method::GET
    };
    if method != expected {
        return refuse(400, "Invalid Url");
    }
    let query = pairs(uri.query().unwrap_or_default().as_bytes());
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form = if is_form { pairs(&body) } else { Vec::new() };
    if let Some(refusal) = shared.authenticate(&method, &uri, &headers, &query, &form) {
        return refusal;
    }
    if shared.throttled() {
        shared.counters.throttled.fetch_add(1, Ordering::SeqCst);
        return refuse(403, "Throttled by APP Flow Control");
    }
    if let Some(quota) = config.quota {
        if shared.admitted.fetch_add(1, Ordering::SeqCst) >= quota {
            shared.admitted.fetch_sub(1, Ordering::SeqCst);
            return refuse(403, "Quota Exhausted");
        }
    }
    if config.failure_rate > 0.0 && fastrand::f64() < config.failure_rate {
        return refuse(503, "Service Unavailable");
    }
    let (params, elsewhere) = if vendor.is_form() {
        (&form, &query)
    } else {
        (&query, &form)
    };
    for name in vendor.required() {
        if !params.iter().any(|(k, _)| k == name) {
            return if elsewhere.iter().any(|(k, _)| k == name) {
                refuse(400, "Invalid Param Location")
            } else {
                refuse(400, &format!("Invalid Parameter Required `{name}`"))
            };
        }
    }
    // The vendor's part runs to the end and is billed whether or not the caller waits for
    // it: a caller that hangs up (its timeout) has still paid, as with the real gateway.
    let params = params.clone();
    shared.counters.started.fetch_add(1, Ordering::SeqCst);
    let backend = Arc::clone(&shared);
    let answered = tokio::spawn(async move {
        let config = &backend.config;
        if !config.latency.is_zero() {
            tokio::time::sleep(config.latency).await;
        }
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let answer = if config.maintenance {
            vendor.maintenance()
        } else {
            vendor.answer(&param, &config.registry)
        };
        let mut text = answer.to_string();
        if config.truncate {
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        backend.counters.bill(vendor, &param(vendor.id_param()));
        text
    });
    match answered.await {
        Ok(text) => json_response(StatusCode::OK, &text, None),
        Err(_) => refuse(500, "Internal Error"),
    }
}

impl Shared {
    /// `None` when the request may pass; the gateway's refusal otherwise.
    fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        query: &[(String, String)],
        form: &[(String, String)],
    ) -> Option<Response> {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        if let Some(signature) = header("x-ca-signature") {
            return self.verify_signature(&signature, &header, method, uri, query, form);
        }
        match header("authorization") {
            Some(value) => {
                let expected = format!("APPCODE {}", self.config.app_code.expose_secret());
                (value != expected).then(|| refuse(400, "Invalid AppCode `not exists`"))
            }
            None => Some(refuse(401, "Unauthorized")),
        }
    }

    fn verify_signature(
        &self,
        signature: &str,
        header: &dyn Fn(&str) -> Option<String>,
        method: &Method,
        uri: &Uri,
        query: &[(String, String)],
        form: &[(String, String)],
    ) -> Option<Response> {
        let Some((key, secret)) = &self.config.app_key else {
            return Some(refuse(400, "Invalid AppKey"));
        };
        if header("x-ca-key").as_deref() != Some(key.as_str()) {
            return Some(refuse(400, "Invalid AppKey"));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        // The request's time: its `X-Ca-Timestamp`, else its arrival.
        let mut timestamp = now;
        if let Some(text) = header("x-ca-timestamp") {
            let Ok(ms) = text.parse::<u128>() else {
                return Some(refuse(400, "Invalid Timestamp"));
            };
            if now.abs_diff(ms) > TIMESTAMP_WINDOW_MS {
                return Some(refuse(400, "Timestamp Expired"));
            }
            timestamp = ms;
        }
        let nonce = header("x-ca-nonce");
        if nonce.as_ref().is_some_and(|n| n.len() > MAX_NONCE_LEN) {
            return Some(refuse(400, "Invalid Nonce"));
        }
        let names = header("x-ca-signature-headers").unwrap_or_default();
        let signed: Vec<(String, String)> = names
            .split(',')
            .filter(|n| !n.is_empty())
            .map(|n| (n.to_owned(), header(n).unwrap_or_default()))
            .collect();
        let signed: Vec<(&str, &str)> = signed.iter().map(|(k, v)| (&**k, &**v)).collect();
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (&**k, &**v)).collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (&**k, &**v)).collect();
        let (accept, md5, content_type, date) = (
            header("accept"),
            header("content-md5"),
            header("content-type"),
            header("date"),
        );
        let input = SigningInput {
            method: method.as_str(),
            accept: accept.as_deref(),
            content_md5: md5.as_deref(),
            content_type: content_type.as_deref(),
            date: date.as_deref(),
            headers: &signed,
            path: uri.path(),
            query: &query,
            form: &form,
        };
        let string_to_sign = input.string_to_sign();
        if sign_string(secret, &string_to_sign) == signature {
            // Only a correctly signed request's nonce is kept: anyone can send wrong ones.
            return match nonce.map(|n| self.nonces.admit(&n, timestamp, now)) {
                None | Some(Admission::Fresh) => None,
                Some(Admission::Used) => Some(refuse(400, "Nonce Used")),
                // As many signed requests within the window as the sandbox remembers.
                Some(Admission::Full) => Some(refuse(403, "Throttled by APP Flow Control")),
            };
        }
        // As the real gateway: the server's string-to-sign, line feeds written as `#`.
        Some(refuse(
            400,
            &format!(
                "Invalid Signature, Server StringToSign:`{}`",
                string_to_sign.replace('\n', "#")
            ),
        ))
    }

    /// Whether this request would be one too many in the one-second window ending now: the
    /// limit holds in every window, not only per clock second. Refused requests do not count.
    fn throttled(&self) -> bool {
        let Some(qps) = self.config.qps else {
            return false;
        };
        let now = Instant::now();
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= std::time::Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= qps as usize {
            return true;
        }
        window.push_back(now);
        false
    }
}
