//! The JSON API: `/v1/validate` (free), `/v1/verify` (paid, through the router and its
//! ledger), health, readiness, metrics and the OpenAPI document.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use idcheck_core::{
    FaceImage, FaceImageParser, IdKind, IdNumber, Mobile, Name, PhotoPayload, RegionStatus,
};
use idcheck_ledger::{Budget, ClaimPolicy, scrub};
use provider_trait::{Billing, Check, Error, NotSent, Request, Verdict};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Service;
use crate::clients::Client;

/// A JSON answer with a status.
fn reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    reply(status, &json!({ "error": message }))
}

/// `GET /healthz`: alive.
pub(crate) async fn healthz() -> Response {
    reply(StatusCode::OK, &json!({ "status": "alive" }))
}

/// `GET /readyz`: the ledger answers.
pub(crate) async fn readyz(State(service): State<Arc<Service>>) -> Response {
    match service.ledger.ping().await {
        Ok(()) => reply(StatusCode::OK, &json!({ "status": "ready" })),
        Err(e) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "not ready", "error": e.to_string() }),
        ),
    }
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(service): State<Arc<Service>>) -> Response {
    #[allow(clippy::cast_precision_loss)] // a counter far below 2^52
    let coalesced = service.router.coalesced() as f64;
    let text =
        service
            .metrics
            .render(&[("idcheck_coalesced_requests_total", "counter", coalesced)]);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        text,
    )
        .into_response()
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    reply(StatusCode::OK, &crate::openapi::document())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    id: Option<String>,
    name: Option<String>,
    mobile: Option<String>,
    photo: Option<String>,
}

/// `POST /v1/validate`: what each field says, or why it is invalid. Free: no ledger, no
/// vendor. The answer tells the caller what a number encodes and is never logged.
pub(crate) async fn validate(body: Bytes) -> Response {
    let body: ValidateBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return bad_json(&e),
    };
    if body.id.is_none() && body.name.is_none() && body.mobile.is_none() && body.photo.is_none() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give at least one of id, name, mobile, photo",
        );
    }
    let mut out = serde_json::Map::new();
    if let Some(id) = &body.id {
        out.insert("id".into(), id_fields(IdNumber::parse(id)));
    }
    if let Some(name) = &body.name {
        out.insert(
            "name".into(),
            match Name::parse(name) {
                Ok(name) => json!({
                    "valid": true,
                    "masked": name.masked().to_string(),
                    "characters": name.char_count(),
                    "transliterated": name.is_transliterated(),
                }),
                Err(e) => json!({ "valid": false, "reason": e.to_string() }),
            },
        );
    }
    if let Some(mobile) = &body.mobile {
        out.insert(
            "mobile".into(),
            match Mobile::parse(mobile) {
                Ok(mobile) => json!({
                    "valid": true,
                    "masked": mobile.masked().to_string(),
                    "segment": mobile.segment().prefix(),
                    "original_carrier": mobile.original_carrier().name_en(),
                    "kind": mobile.kind().label(),
                }),
                Err(e) => json!({ "valid": false, "reason": e.to_string() }),
            },
        );
    }
    if let Some(photo) = &body.photo {
        out.insert("photo".into(), photo_fields(&parse_photo(photo)));
    }
    reply(StatusCode::OK, &Value::Object(out))
}

fn bad_json(error: &serde_json::Error) -> Response {
    // serde_json's messages name fields and positions, not values.
    problem(
        StatusCode::BAD_REQUEST,
        &format!("the body is not the expected JSON: {error}"),
    )
}

fn id_fields(result: Result<IdNumber, idcheck_core::IdError>) -> Value {
    let id = match result {
        Ok(id) => id,
        Err(e) => return json!({ "valid": false, "reason": e.to_string() }),
    };
    let kind = match id.kind() {
        IdKind::Resident => "resident",
        IdKind::HongKongPermit => "hong_kong_permit",
        IdKind::MacauPermit => "macau_permit",
        IdKind::TaiwanPermit => "taiwan_permit",
        IdKind::ForeignPermanentResident => "foreign_permanent_resident",
        _ => "other",
    };
    let region = id.region().map(|r| {
        let (status, abolished_in) = match r.status() {
            RegionStatus::Current => ("current", None),
            RegionStatus::Abolished { year } => ("abolished", Some(year)),
            _ => ("unknown", None),
        };
        json!({
            "code": format!("{:06}", r.code()),
            "province": r.province(),
            "prefecture": r.prefecture(),
            "county": r.county(),
            "current_name": r.current_name(),
            "status": status,
            "abolished_in": abolished_in,
        })
    });
    json!({
        "valid": true,
        "masked": id.masked().to_string(),
        "kind": kind,
        "digits": if id.is_15_digit() { 15 } else { 18 },
        "birthday": id.birthday().to_string(),
        "age": id.age_on(idcheck_core::today_in_china()),
        "sex": id.sex().to_string(),
        "region": region,
    })
}

/// Whether a photo field is a URL for the vendor to fetch (else base64).
fn is_url(text: &str) -> bool {
    let trimmed = text.trim();
    let lower = trimmed.get(..8).unwrap_or(trimmed).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn parse_photo(text: &str) -> Result<FaceImage, idcheck_core::FaceImageError> {
    let parser = FaceImageParser::new();
    if is_url(text) {
        parser.from_url(text.trim())
    } else {
        parser.from_base64(text.trim())
    }
}

fn photo_fields(result: &Result<FaceImage, idcheck_core::FaceImageError>) -> Value {
    match result {
        Ok(photo) => match photo.payload() {
            PhotoPayload::Url(_) => json!({ "valid": true, "source": "url" }),
            PhotoPayload::Base64(text) => json!({
                "valid": true,
                "source": "base64",
                "base64_length": text.len(),
                "warnings": photo.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        },
        Err(e) => json!({ "valid": false, "reason": e.to_string() }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    check: String,
    id: String,
    name: String,
    mobile: Option<String>,
    photo: Option<String>,
    #[serde(default)]
    fresh: bool,
    /// Fit a photo over the vendor's limit instead of refusing it (`serve --fit-photos`).
    #[serde(default)]
    fit_photo: bool,
}

/// The request, or each invalid field's reason.
fn parse_request(body: &VerifyBody) -> Result<Request, Value> {
    let mut reasons = serde_json::Map::new();
    let check = Check::ALL.into_iter().find(|c| c.label() == body.check);
    if check.is_none() {
        reasons.insert("check".into(), "identity, mobile or face".into());
    }
    let id =
        IdNumber::parse(&body.id).map_err(|e| reasons.insert("id".into(), e.to_string().into()));
    let name =
        Name::parse(&body.name).map_err(|e| reasons.insert("name".into(), e.to_string().into()));
    let mobile = match (check, &body.mobile) {
        (Some(Check::Mobile), Some(text)) => Mobile::parse(text)
            .map(Some)
            .map_err(|e| reasons.insert("mobile".into(), e.to_string().into())),
        (Some(Check::Mobile), None) => {
            reasons.insert("mobile".into(), "required for a mobile check".into());
            Err(None)
        }
        _ => Ok(None),
    };
    let photo = match (check, &body.photo) {
        (Some(Check::Face), Some(text)) => parse_photo(text)
            .map(Some)
            .map_err(|e| reasons.insert("photo".into(), e.to_string().into())),
        (Some(Check::Face), None) => {
            reasons.insert("photo".into(), "required for a face check".into());
            Err(None)
        }
        _ => Ok(None),
    };
    match (check, id, name, mobile, photo) {
        (Some(Check::Identity), Ok(id), Ok(name), _, _) => Ok(Request::identity(id, name)),
        (Some(Check::Mobile), Ok(id), Ok(name), Ok(Some(mobile)), _) => {
            Ok(Request::mobile(id, name, mobile))
        }
        (Some(Check::Face), Ok(id), Ok(name), _, Ok(Some(photo))) => {
            Ok(Request::face(id, name, photo))
        }
        _ => Err(Value::Object(reasons)),
    }
}

/// Masked inputs: what a stored answer may show (never the birthday beside the mask).
fn masked_inputs(request: &Request) -> Value {
    let mut inputs = json!({
        "id": request.id().to_string(),
        "name": request.name().to_string(),
    });
    if let Request::Mobile(m) = request {
        inputs["mobile"] = m.mobile.to_string().into();
    }
    inputs
}

/// `POST /v1/verify`: one paid verification through the router, every vendor call claimed
/// and recorded in the ledger; invalid input is 422 with the reasons and no vendor call.
pub(crate) async fn verify(
    State(service): State<Arc<Service>>,
    Extension(client): Extension<Client>,
    body: Bytes,
) -> Response {
    let mut body: VerifyBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return bad_json(&e),
    };
    let fitted = match fit_photo(&service, &mut body).await {
        Ok(fitted) => fitted,
        Err(reasons) => {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "error": "invalid input: nothing was sent", "fields": reasons }),
            );
        }
    };
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(reasons) => {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "error": "invalid input: nothing was sent", "fields": reasons }),
            );
        }
    };
    let check = request.check();
    if !client.checks.contains(check) {
        return problem(
            StatusCode::FORBIDDEN,
            &format!("client {} may not ask for {check} checks", client.name),
        );
    }
    let mut policy = ClaimPolicy::default()
        .fresh(body.fresh)
        .for_client(client.name.clone());
    if let Some(limit) = client.daily_budget_milli_yuan {
        // Each vendor call reserves its price before it is claimed, on the ledger's
        // clock and day; a call that may have been billed keeps its reservation.
        policy = policy.within(
            Budget::new(client.name.clone(), limit)
                .with_day_offset(service.limits.budget_day_offset_secs),
        );
    }
    // The route runs on its own task: past the deadline the caller gets 504, and the call
    // still ends and is recorded.
    let routing = {
        let service = Arc::clone(&service);
        let request = request.clone();
        service.in_flight.clone().spawn(async move {
            let routed = service.router.route_with(&request, &policy).await;
            service.count(&routed);
            routed
        })
    };
    let routed = match tokio::time::timeout(service.limits.request_deadline, routing).await {
        Ok(Ok(routed)) => routed,
        Ok(Err(_)) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "the route failed"),
        Err(_) => {
            return problem(
                StatusCode::GATEWAY_TIMEOUT,
                "past the request deadline; the call goes on and is recorded in the ledger",
            );
        }
    };
    answer(&request, &routed, fitted)
}

/// With `fit_photo: true` on a face check, a base64 photo over the vendor's limit is
/// replaced by one fitted to it (on a blocking thread, one per core at once): what was done,
/// or the photo's reason it could not be.
async fn fit_photo(service: &Service, body: &mut VerifyBody) -> Result<Option<Value>, Value> {
    if !body.fit_photo {
        return Ok(None);
    }
    if !service.limits.fit_photos {
        return Err(json!({
            "fit_photo": "this service does not fit photos: start it with idcheck serve --fit-photos"
        }));
    }
    let Some(text) = body.photo.as_deref() else {
        return Ok(None);
    };
    if body.check != "face" || is_url(text) {
        return Ok(None); // a URL is the vendor's to fetch; parse_request judges the rest
    }
    let Ok(_permit) = Arc::clone(&service.fitting).acquire_owned().await else {
        return Ok(None);
    };
    let text = text.to_owned();
    let fitted = tokio::task::spawn_blocking(move || FaceImageParser::new().fit_base64(&text))
        .await
        .map_err(|_| json!({ "photo": "the photo could not be fitted" }))?
        .map_err(|e| json!({ "photo": e.to_string() }))?;
    if fitted.is_unchanged() {
        return Ok(None);
    }
    let shape = |info: idcheck_core::ImageInfo, base64_length: usize| {
        json!({
            "format": info.format().to_string(),
            "width": info.width(),
            "height": info.height(),
            "base64_length": base64_length,
        })
    };
    let mut to = shape(fitted.info(), fitted.base64_len());
    to["quality"] = json!(fitted.quality());
    let summary = json!({
        "from": shape(fitted.original(), fitted.original_base64_len()),
        "to": to,
    });
    if let PhotoPayload::Base64(fitted) = fitted.photo().payload() {
        body.photo = Some(fitted.to_owned());
    }
    Ok(Some(summary))
}

fn billing_word(billing: Billing) -> &'static str {
    match billing {
        Billing::Billed => "billed",
        Billing::NotBilled => "not_billed",
        Billing::Unknown => "unknown",
    }
}

fn answer(
    request: &Request,
    routed: &idcheck_router::Routed,
    photo_fitted: Option<Value>,
) -> Response {
    let name = request.name().as_str();
    let route = &routed.route;
    let tried: Vec<Value> = route
        .tried
        .iter()
        .map(|step| {
            json!({
                "provider": step.provider,
                "outcome": scrub(&step.outcome, name),
                "billing": billing_word(step.billing),
            })
        })
        .collect();
    let cost = route
        .cost
        .map(|c| format!("{}.{:03}", c.milli_yuan() / 1000, c.milli_yuan() % 1000));
    let common = json!({
        "route": tried,
        "billed_calls": route.billed_calls,
        "maybe_billed_calls": route.maybe_billed_calls,
        "cost_yuan": cost,
        "reused": route.cached && route.billed_calls == 0,
        "input": masked_inputs(request),
    });
    let mut common = common;
    if let Some(fitted) = photo_fitted {
        // What was sent is not what was given: the answer says so.
        common["photo_fitted"] = fitted;
    }
    if let Some(why) = &route.unrecorded {
        // Paid for and answered, but the ledger could not record it: the caller must know
        // that a retry elsewhere is not protected by it.
        common["ledger"] = json!({ "recorded": false, "error": scrub(why, name) });
    }
    match &routed.result {
        Ok(report) => {
            let (verdict, reason) = match report.verdict {
                Verdict::Match => ("match", None),
                Verdict::Mismatch => ("mismatch", None),
                Verdict::Unverifiable(reason) => ("unverifiable", Some(reason.label())),
                _ => ("unverifiable", None),
            };
            let details = &report.details;
            // No birthday or age beside the masked number: together they rebuild it.
            let mut body = json!({
                "verdict": verdict,
                "reason": reason,
                "face": report.face.map(|f| match f {
                    provider_trait::FaceOutcome::Same => "same",
                    provider_trait::FaceOutcome::ProbablySame => "probably_same",
                    _ => "different",
                }),
                "details": {
                    "sex": details.sex.map(|s| s.to_string()),
                    "region": details.region.as_deref().map(|r| scrub(r, name)),
                    "carrier": details.carrier.map(idcheck_core::Carrier::name_en),
                },
                "provider": report.trace.provider,
                "raw_code": report.trace.raw_code,
                "vendor_request_id": report.trace.vendor_request_id,
                "gateway_request_id": report.trace.gateway_request_id,
                "notes": report.trace.notes.iter().map(|n| scrub(n, name)).collect::<Vec<_>>(),
            });
            merge(&mut body, common);
            reply(StatusCode::OK, &body)
        }
        Err(error) => {
            let status = error_status(error);
            let retry = match error.retry() {
                provider_trait::Retry::Never => "never",
                provider_trait::Retry::Safe => "safe",
                provider_trait::Retry::MayChargeAgain => "may_charge_again",
            };
            let mut body = json!({
                "error": scrub(&error.to_string(), name),
                "retry": retry,
                "billing": billing_word(error.billing()),
                "provider": route.tried.last().map(|s| s.provider),
                "gateway_request_id": error.request_id(),
            });
            if let Error::UnsupportedCheck { check, .. } = error {
                body["error"] = format!(
                    "no vendor this service was started with performs {check} checks: start it with --provider {} as well",
                    vendors_performing(*check)
                )
                .into();
            }
            if let Error::NotSent {
                reason: NotSent::BudgetSpent { resets_at_ms, .. },
                ..
            } = error
            {
                body["error"] = "daily budget spent: nothing was sent".into();
                body["resets_at"] = chrono::DateTime::from_timestamp_millis(*resets_at_ms)
                    .map(|t| t.to_rfc3339())
                    .into();
            }
            merge(&mut body, common);
            reply(status, &body)
        }
    }
}

/// The vendors that perform `check` (seeds 000–004): what to tell an operator whose service
/// has none of them.
pub(crate) const fn vendors_performing(check: Check) -> &'static str {
    match check {
        Check::Identity => "idcardcert, idenauthen or checkone",
        Check::Mobile => "checkphone",
        Check::Face => "facever",
        _ => "a vendor that performs it",
    }
}

/// The HTTP status of a route that ended in `error`.
fn error_status(error: &Error) -> StatusCode {
    match error {
        Error::NotSent {
            reason: NotSent::BudgetSpent { .. } | NotSent::RateQueueFull { .. },
            ..
        } => StatusCode::TOO_MANY_REQUESTS,
        Error::NotSent {
            reason:
                NotSent::Ledger { .. } | NotSent::InFlightElsewhere { .. } | NotSent::LeaseLapsed { .. },
            ..
        } => StatusCode::SERVICE_UNAVAILABLE,
        Error::NotSent { .. } => StatusCode::CONFLICT,
        Error::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::UnsupportedCheck { .. } => StatusCode::NOT_IMPLEMENTED,
        _ => StatusCode::BAD_GATEWAY,
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

/// How long a request may take at most, end to end.
pub(crate) const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
