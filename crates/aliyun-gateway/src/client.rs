//! The HTTP client: one per application, shared by every vendor.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use provider_trait::{Billing, Error, Request, Trace, TransportFailure};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument as _;

use crate::auth::Auth;
use crate::retry::RetryPolicy;
use crate::{ConfigError, SigningInput, gateway_error, sign_string};

/// Connect timeout unless configured: long enough for a cross-region TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-call timeout unless configured. Identity backends answer in well under a second
/// normally but take several when the authority is slow; 1 s (the Java demo's) is too short.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest response body read, unless configured. Vendor answers are under 2 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";
const ACCEPT: &str = "application/json";

/// A vendor's base URL: `http(s)://host[:port][/prefix]`, no query, no credentials.
/// Vendor crates default to `https://`; tests and proxies override it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(Arc<str>);

impl BaseUrl {
    /// Parses and normalises (no trailing `/`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidBaseUrl`] for anything but an `http`/`https` URL with a host and
    /// without user info, query or fragment.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidBaseUrl { reason };
        if !url.contains("://") {
            return Err(invalid(
                "it has no scheme: write http:// or https:// in front, e.g. http://127.0.0.1:8787",
            ));
        }
        let parsed = reqwest::Url::parse(url.trim()).map_err(|_| invalid("not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("it must not hold credentials"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        Ok(Self(parsed.as_str().trim_end_matches('/').into()))
    }

    /// The URL, without trailing `/`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", &*self.0)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Name-value pairs, raw.
type Params<'a> = &'a [(&'a str, &'a str)];

/// How the parameters travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET` with the parameters in the query string.
    Get,
    /// `POST` with the parameters as an `application/x-www-form-urlencoded; charset=UTF-8` body.
    PostForm,
}

impl Method {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::PostForm => "POST",
        }
    }
}

/// One call a vendor crate makes. Parameter values are raw (not percent-encoded): the client
/// encodes them (UTF-8, form encoding) and signs the raw values, as the gateway does.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    provider: &'static str,
    base_url: &'a BaseUrl,
    method: Method,
    path: &'a str,
    params: &'a [(&'a str, &'a str)],
    request: Option<&'a Request>,
}

impl<'a> Call<'a> {
    /// A call of `method` to `base_url` + `path` (which starts with `/`) for `provider`.
    #[must_use]
    pub const fn new(
        provider: &'static str,
        base_url: &'a BaseUrl,
        method: Method,
        path: &'a str,
        params: &'a [(&'a str, &'a str)],
    ) -> Self {
        Self {
            provider,
            base_url,
            method,
            path,
            params,
            request: None,
        }
    }

    /// The request the parameters came from, so the call's tracing span can name its inputs
    /// (masked).
    #[must_use]
    pub const fn for_request(mut self, request: &'a Request) -> Self {
        self.request = Some(request);
        self
    }
}

impl fmt::Debug for Call<'_> {
    /// Parameter names only: the values are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("provider", &self.provider)
            .field("base_url", self.base_url)
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "params",
                &self.params.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A vendor's HTTP 200 answer (billed), with its body read under the cap.
pub struct GatewayResponse {
    provider: &'static str,
    body: Vec<u8>,
    request_id: Option<String>,
    attempts: u32,
}

impl GatewayResponse {
    /// A response as if the gateway had answered HTTP 200 with `body`: for fixtures and
    /// benchmarks of a vendor crate's mapping.
    #[must_use]
    pub fn from_parts(provider: &'static str, body: Vec<u8>, request_id: Option<String>) -> Self {
        Self {
            provider,
            body,
            request_id,
            attempts: 1,
        }
    }

    /// The body, for the vendor crate to parse.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The gateway's `X-Ca-Request-Id`.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Attempts made, the answered one included (more than 1 only with a [`RetryPolicy`]).
    #[must_use]
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// A billed trace for this answer, with the gateway request id set.
    #[must_use]
    pub fn trace(&self) -> Trace {
        let mut trace = Trace::new(self.provider, Billing::Billed);
        trace.gateway_request_id.clone_from(&self.request_id);
        trace
    }

    /// The error for an answer the vendor crate cannot interpret (billed: it was HTTP 200).
    #[must_use]
    pub fn protocol_error(&self, raw_code: Option<String>, detail: impl Into<String>) -> Error {
        Error::Protocol {
            status: 200,
            raw_code,
            detail: detail.into(),
            billed: true,
            request_id: self.request_id.clone(),
        }
    }
}

impl fmt::Debug for GatewayResponse {
    /// The body's length only: vendors echo names and ID numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayResponse")
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// Builds a [`GatewayClient`].
#[derive(Debug)]
#[must_use]
pub struct GatewayClientBuilder {
    auth: Auth,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
}

impl GatewayClientBuilder {
    /// Time allowed to open a connection (TCP and TLS). Ignored with
    /// [`GatewayClientBuilder::with_http_client`]: configure it on that client.
    pub const fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole call, connecting and reading the body included. Applied to
    /// every request, also with a caller's own HTTP client.
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest response body read; a longer one is an error, never an allocation.
    pub const fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Retries of unbilled failures; off unless set.
    pub const fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses the caller's `reqwest` client (proxy, TLS roots, pool settings) instead of building
    /// one. Keep its redirects off: a redirect would resend the credentials.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ConfigError::HttpClient`] when the TLS backend cannot be initialised.
    pub fn build(self) -> Result<GatewayClient, ConfigError> {
        let http = match self.http {
            Some(http) => http,
            // The whole call's timeout is the client's own (`send`), not reqwest's: past it, an
            // answer already received is still read.
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("idcheck/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| ConfigError::HttpClient {
                    reason: e.without_url().to_string(),
                })?,
        };
        Ok(GatewayClient {
            inner: Arc::new(Inner {
                http,
                auth: self.auth,
                timeout: self.timeout,
                max_body_bytes: self.max_body_bytes,
                retry: self.retry,
            }),
        })
    }
}

/// The client for Alibaba Cloud API Gateway: build one per application and share it (it is a
/// cheap `Clone` around one connection pool). `Debug` shows no credential.
#[derive(Clone)]
pub struct GatewayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    auth: Auth,
    timeout: Duration,
    max_body_bytes: usize,
    retry: RetryPolicy,
}

impl fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClient")
            .field("auth", &self.inner.auth)
            .field("timeout", &self.inner.timeout)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl GatewayClient {
    /// A client with the default timeouts, body cap and no retries.
    ///
    /// # Errors
    ///
    /// As [`GatewayClientBuilder::build`].
    pub fn new(auth: Auth) -> Result<Self, ConfigError> {
        Self::builder(auth).build()
    }

    /// A builder starting from the defaults.
    pub fn builder(auth: Auth) -> GatewayClientBuilder {
        GatewayClientBuilder {
            auth,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            retry: RetryPolicy::never(),
            http: None,
        }
    }

    /// The fingerprint of the account this client bills ([`Auth::account_fingerprint`]).
    #[must_use]
    pub fn account_fingerprint(&self) -> [u8; 32] {
        self.inner.auth.account_fingerprint()
    }

    /// The retry policy in force.
    #[must_use]
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// Sends `call`, retrying per the [`RetryPolicy`]. `Ok` only for HTTP 200 without a gateway
    /// error: the vendor's own answer, billed.
    ///
    /// # Errors
    ///
    /// Gateway refusals mapped by [`gateway_error`]; transport failures; a body over the cap
    /// ([`Error::Protocol`], billed).
    pub async fn send(&self, call: &Call<'_>) -> Result<GatewayResponse, Error> {
        let span = call_span(call);
        self.send_with_retries(call).instrument(span).await
    }

    async fn send_with_retries(&self, call: &Call<'_>) -> Result<GatewayResponse, Error> {
        let started = Instant::now();
        let policy = self.inner.retry;
        let mut attempt = 1;
        loop {
            let result = self.attempt(call, attempt).await;
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("latency_ms", elapsed_ms(started));
            let error = match result {
                Ok(response) => {
                    span.record("outcome", "answered");
                    tracing::info!("gateway call answered");
                    return Ok(response);
                }
                Err(error) => error,
            };
            let wait = policy.backoff(attempt);
            let retry = attempt < policy.max_attempts()
                && RetryPolicy::is_retryable(&error)
                && started.elapsed() + wait < policy.deadline();
            span.record("outcome", outcome(&error));
            if !retry {
                tracing::info!(error = %error, billing = ?error.billing(), "gateway call failed");
                return Err(error);
            }
            tracing::warn!(error = %error, wait_ms = millis(wait), "retrying an unbilled failure");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call<'_>, attempt: u32) -> Result<GatewayResponse, Error> {
        let inner = &*self.inner;
        let encoded = encode_params(call.params);
        let mut url = String::with_capacity(
            call.base_url.as_str().len() + call.path.len() + encoded.len() + 1,
        );
        url.push_str(call.base_url.as_str());
        url.push_str(call.path);
        let (query, form): (Params<'_>, Params<'_>) = match call.method {
            Method::Get => {
                if !encoded.is_empty() {
                    url.push('?');
                    url.push_str(&encoded);
                }
                (call.params, &[])
            }
            Method::PostForm => (&[], call.params),
        };
        let headers = self.headers(call, query, form)?;
        let builder = match call.method {
            Method::Get => inner.http.get(url),
            Method::PostForm => inner.http.post(url).body(encoded),
        };
        // The last moment before the request leaves: a ledger holding this call's claim says
        // whether the claim is still this process's (it lapses while a process is paused).
        provider_trait::check_send_gate().map_err(|reason| Error::NotSent {
            provider: call.provider,
            reason,
        })?;
        let exchange = async {
            let sent = Instant::now();
            let response = builder
                .headers(headers)
                .send()
                .await
                .map_err(|e| transport_error(&e))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            let request_id = header("x-ca-request-id");
            let message = header("x-ca-error-message").or_else(|| header("x-ca-error-code"));
            let span = tracing::Span::current();
            span.record("status", status);
            if let Some(id) = &request_id {
                span.record("request_id", id.as_str());
            }
            tracing::debug!(
                attempt,
                status,
                elapsed_ms = elapsed_ms(sent),
                "gateway answered"
            );
            if let Some(error) = gateway_error(status, message.as_deref(), request_id.as_deref()) {
                return Err(error);
            }
            let body = read_capped(response, inner.max_body_bytes, request_id.as_deref()).await?;
            Ok(GatewayResponse {
                provider: call.provider,
                body,
                request_id,
                attempts: attempt,
            })
        };
        tokio::pin!(exchange);
        tokio::select! {
            biased;
            answered = &mut exchange => answered,
            () = tokio::time::sleep(inner.timeout) => {
                // Past the timeout, an answer that is already here (it arrived while this
                // process could not run: paused, starved) is read, not thrown away.
                tokio::time::timeout(TIMEOUT_GRACE, &mut exchange)
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::Transport {
                            failure: TransportFailure::Timeout,
                            endpoint: endpoint_of(call.base_url),
                        })
                    })
            }
        }
    }

    fn headers(
        &self,
        call: &Call<'_>,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
    ) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::with_capacity(8);
        let mut put = |name: &'static str, value: &str| {
            // Credentials were checked to be visible ASCII; nothing else here is user input.
            let value = HeaderValue::from_str(value).map_err(|_| header_error(name))?;
            headers.insert(HeaderName::from_static(name), value);
            Ok::<(), Error>(())
        };
        put("accept", ACCEPT)?;
        let content_type = (call.method == Method::PostForm).then_some(FORM_CONTENT_TYPE);
        if let Some(content_type) = content_type {
            put("content-type", content_type)?;
        }
        match &self.inner.auth {
            Auth::AppCode(code) => {
                let mut value = HeaderValue::try_from(Auth::app_code_header(code))
                    .map_err(|_| header_error("authorization"))?;
                value.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, value);
            }
            Auth::AppKey { key, secret } => {
                let timestamp = unix_millis().to_string();
                let nonce = random_uuid();
                let signed = [
                    ("X-Ca-Key", key.as_str()),
                    ("X-Ca-Nonce", nonce.as_str()),
                    ("X-Ca-Signature-Method", "HmacSHA256"),
                    ("X-Ca-Timestamp", timestamp.as_str()),
                ];
                let input = SigningInput {
                    method: call.method.as_str(),
                    accept: Some(ACCEPT),
                    content_type,
                    headers: &signed,
                    path: call.path,
                    query,
                    form,
                    ..SigningInput::default()
                };
                let signature = sign_string(secret, &input.string_to_sign());
                put("x-ca-key", key)?;
                put("x-ca-nonce", &nonce)?;
                put("x-ca-signature-method", "HmacSHA256")?;
                put("x-ca-timestamp", &timestamp)?;
                put("x-ca-signature-headers", &input.signature_headers())?;
                put("x-ca-signature", &signature)?;
            }
        }
        Ok(headers)
    }
}

/// Not a transport failure: the request was never sent.
fn header_error(name: &str) -> Error {
    Error::Protocol {
        status: 0,
        raw_code: None,
        detail: format!("could not build the {name} header"),
        billed: false,
        request_id: None,
    }
}

fn call_span(call: &Call<'_>) -> tracing::Span {
    let span = tracing::info_span!(
        "gateway_call",
        provider = call.provider,
        method = call.method.as_str(),
        path = call.path,
        id = tracing::field::Empty,
        name = tracing::field::Empty,
        mobile = tracing::field::Empty,
        photo = tracing::field::Empty,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
        attempts = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    if let Some(request) = call.request {
        // Display of every parsed input is its masked form.
        span.record("id", tracing::field::display(request.id()));
        span.record("name", tracing::field::display(request.name()));
        match request {
            Request::Mobile(r) => {
                span.record("mobile", tracing::field::display(&r.mobile));
            }
            Request::Face(r) => {
                span.record("photo", tracing::field::debug(r.photo.payload()));
            }
            _ => {}
        }
    }
    span
}

fn outcome(error: &Error) -> &'static str {
    match error {
        Error::Unauthenticated { .. } => "unauthenticated",
        Error::QuotaExhausted { .. } => "quota_exhausted",
        Error::Throttled { .. } => "throttled",
        Error::VendorUnavailable { .. } => "vendor_unavailable",
        Error::Transport { .. } => "transport",
        _ => "protocol",
    }
}

/// `k=v&…`, UTF-8 percent-encoded the way HTML forms are (what the gateway decodes).
/// How long after its timeout a call may still finish reading an answer that had arrived.
const TIMEOUT_GRACE: Duration = Duration::from_millis(100);

/// `host:port` of a base URL (never its path or a query).
fn endpoint_of(base_url: &BaseUrl) -> Option<String> {
    let url = reqwest::Url::parse(base_url.as_str()).ok()?;
    let host = url.host_str()?;
    Some(match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn encode_params(params: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::with_capacity(64));
    serializer.extend_pairs(params);
    serializer.finish()
}

fn transport_error(error: &reqwest::Error) -> Error {
    // Connect first: a connect timeout is both, and a connect failure means nothing was sent.
    let failure = if error.is_connect() {
        TransportFailure::Connect
    } else if error.is_timeout() {
        TransportFailure::Timeout
    } else {
        TransportFailure::Interrupted
    };
    // Host and port only: the URL's query holds the inputs.
    let endpoint = error.url().and_then(|url| {
        url.host_str()
            .map(|host| match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
    });
    Error::Transport { failure, endpoint }
}

async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    request_id: Option<&str>,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::Protocol {
        status: 200,
        raw_code: None,
        detail: format!("response body over the {cap}-byte cap"),
        billed: true,
        request_id: request_id.map(str::to_owned),
    };
    let declared = response.content_length();
    if declared.is_some_and(|len| len > cap as u64) {
        return Err(too_large());
    }
    let expected = declared.map_or(1024, |len| usize::try_from(len).unwrap_or(cap));
    let mut body = Vec::with_capacity(expected.min(cap));
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A random UUID (version 4 layout), as the gateway's nonces and request ids look. Unique
/// enough for a nonce (the gateway's 15-minute window), not secret.
#[must_use]
pub fn random_uuid() -> String {
    let bits = fastrand::u128(..);
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn elapsed_ms(since: Instant) -> u64 {
    millis(since.elapsed())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
