//! Who gets in, and how fast their request must arrive: the bearer token is checked as soon as
//! the headers are in, before a byte of the body is read (an unknown caller is answered 401
//! and its connection closed, whatever body it was trickling); a known caller's body must
//! arrive whole within the body timeout. Every `/v1` request is then counted and logged here
//! — route, status, client name and latency, never an input — the free validations as a
//! summary line a minute rather than a line each.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Service;

/// How often the free route's requests are summed up in one log line.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// `/v1/validate` requests since the last summary line: count by status, latency sum.
#[derive(Debug)]
pub(crate) struct FreeRouteLog {
    since: Instant,
    by_status: BTreeMap<u16, u64>,
    total_ms: f64,
}

impl Default for FreeRouteLog {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            by_status: BTreeMap::new(),
            total_ms: 0.0,
        }
    }
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": message }).to_string(),
    )
        .into_response();
    // Nothing more is read from this connection: whatever it was still sending is dropped.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The `/v1` middleware: token, body deadline, then the route; counts and logs the outcome.
pub(crate) async fn admit(
    State(service): State<Arc<Service>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route: &'static str = match request.uri().path() {
        "/v1/validate" => "/v1/validate",
        "/v1/verify" => "/v1/verify",
        _ => "/v1",
    };
    let client = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| service.clients.find(token.trim()))
        .cloned();
    let (response, name) = match client {
        None => (
            refusal(
                StatusCode::UNAUTHORIZED,
                "missing or unknown bearer token (Authorization: Bearer <token>)",
            ),
            String::new(),
        ),
        Some(client) => {
            let name = client.name.clone();
            (read_then_run(&service, client, request, next).await, name)
        }
    };
    let took = started.elapsed();
    let status = response.status().as_u16();
    service.metrics.request(route, status, took);
    if route == "/v1/validate" {
        summarise_free_route(&service.free_route_log, status, took);
    } else {
        tracing::info!(
            target: "idcheck::request",
            route,
            status,
            client = name.as_str(),
            latency_ms = took.as_secs_f64() * 1000.0,
            "request"
        );
    }
    response
}

/// Reads the whole body within the body timeout and under the size cap, then runs the route
/// with the client known.
async fn read_then_run(
    service: &Service,
    client: crate::Client,
    request: Request,
    next: Next,
) -> Response {
    let limits = service.limits;
    let (mut parts, body) = request.into_parts();
    let body_bytes = limits.body_bytes_for(parts.uri.path());
    let read =
        tokio::time::timeout(limits.body_timeout, axum::body::to_bytes(body, body_bytes)).await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(<dyn std::error::Error>::is::<http_body_util::LengthLimitError>);
            return if too_large {
                refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the body is over {body_bytes} bytes"),
                )
            } else {
                refusal(StatusCode::BAD_REQUEST, "the body could not be read")
            };
        }
        Err(_) => {
            return refusal(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the body did not arrive within {} s",
                    limits.body_timeout.as_secs()
                ),
            );
        }
    };
    parts.extensions.insert(client);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Adds a free validation to the running summary, and writes the summary line once a minute.
fn summarise_free_route(log: &Mutex<FreeRouteLog>, status: u16, took: Duration) {
    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    *log.by_status.entry(status).or_default() += 1;
    log.total_ms += took.as_secs_f64() * 1000.0;
    if log.since.elapsed() < SUMMARY_EVERY {
        return;
    }
    let requests: u64 = log.by_status.values().sum();
    let statuses = log
        .by_status
        .iter()
        .map(|(status, n)| format!("{status}:{n}"))
        .collect::<Vec<_>>()
        .join(",");
    #[allow(clippy::cast_precision_loss)] // a count far below 2^52
    let mean_ms = log.total_ms / requests as f64;
    tracing::info!(
        target: "idcheck::request",
        route = "/v1/validate",
        requests,
        statuses = statuses.as_str(),
        mean_latency_ms = mean_ms,
        seconds = log.since.elapsed().as_secs(),
        "requests summed up"
    );
    *log = FreeRouteLog::default();
}
