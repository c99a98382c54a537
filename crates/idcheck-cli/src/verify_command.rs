//! `idcheck verify`: one paid verification through one or more vendors in order, on the
//! ledger of paid calls. Every input is checked offline first, and the credentials are read,
//! before anything is sent.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use idcheck::gateway::{Auth, BaseUrl, GatewayClient};
use idcheck::ledger::scrub;
use idcheck::provider::{
    Billing, Check, Error, FaceOutcome, Price, Provider, Report, Request, Route, Verdict,
};
use idcheck::router::Routed;
use idcheck::{FaceImageParser, IdNumber, Mobile, Name, Verifier};
use serde::Serialize;

/// The vendors, by provider id.
pub(crate) const PROVIDERS: [&str; 5] = [
    idcheck::idcardcert::PROVIDER_ID,
    idcheck::checkphone::PROVIDER_ID,
    idcheck::facever::PROVIDER_ID,
    idcheck::idenauthen::PROVIDER_ID,
    idcheck::checkone::PROVIDER_ID,
];

/// What `idcheck verify` was asked (each flag its own bool, as clap gives them).
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Args {
    pub(crate) providers: Vec<String>,
    pub(crate) by_price: bool,
    pub(crate) prices: Vec<(String, Price)>,
    pub(crate) check: Option<Check>,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) mobile: Option<String>,
    pub(crate) photo: Option<String>,
    pub(crate) credentials: Credentials,
    pub(crate) ledger: Option<String>,
    pub(crate) fresh: bool,
    pub(crate) unmasked: bool,
    pub(crate) json: bool,
}

/// Where the AppCode and the vendor come from, shared by `verify` and `batch`.
pub(crate) struct Credentials {
    pub(crate) appcode_file: Option<PathBuf>,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout_secs: u64,
}

impl Credentials {
    /// The longest a call can last once sent: the timeout, with a margin. The ledger records
    /// it with each claim, so an unresolved call is re-sent only after it surely ended.
    pub(crate) const fn max_call(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.saturating_add(5))
    }

    /// The credentials, from the file or the environment.
    pub(crate) fn auth(&self) -> Result<Auth, String> {
        match &self.appcode_file {
            Some(path) => read_appcode(path),
            None => Auth::from_env().map_err(|e| {
                format!(
                    "no credentials: {e}; set IDCHECK_APPCODE or pass --appcode-file (never the code itself: it would land in shell history)"
                )
            }),
        }
    }

    /// One gateway client for every provider, and the base URL override.
    pub(crate) fn client(&self, auth: Auth) -> Result<(GatewayClient, Option<BaseUrl>), String> {
        let client = GatewayClient::builder(auth)
            .with_timeout(Duration::from_secs(self.timeout_secs))
            .build()
            .map_err(|e| e.to_string())?;
        let base_url = self
            .base_url
            .as_deref()
            .map(BaseUrl::parse)
            .transpose()
            .map_err(|e| format!("--base-url: {e}"))?;
        Ok((client, base_url))
    }
}

const EXIT_MATCH: u8 = 0;
const EXIT_NO_MATCH: u8 = 1;
const EXIT_INPUT: u8 = 2;
const EXIT_SERVICE: u8 = 3;

pub(crate) fn run(args: &Args) -> ExitCode {
    let (request, auth) = match prepare(args) {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("idcheck verify: {message}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("idcheck verify: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_SERVICE);
        }
    };
    let routed = runtime.block_on(async {
        let verifier = verifier(args, auth).await?;
        let routed = verifier.route(&request).await;
        // Fold the WAL into the file: the ledger file alone is the ledger.
        let _ = verifier.ledger().close().await;
        Ok::<_, String>(routed)
    });
    let routed = match routed {
        Ok(routed) => routed,
        Err(message) => {
            eprintln!("idcheck verify: {message}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let code = exit_code(&routed.result);
    let mut out = io::stdout().lock();
    let written = if args.json {
        write_json(&mut out, &request, &routed, args.unmasked)
    } else {
        write_human(&mut out, &request, &routed, args.unmasked)
    };
    if written.is_err() {
        return ExitCode::from(EXIT_SERVICE);
    }
    ExitCode::from(code)
}

/// The vendors, over the ledger, through the facade's one front door.
async fn verifier(args: &Args, auth: Auth) -> Result<Verifier, String> {
    let ledger = crate::batch_command::open_ledger(args.ledger.as_deref())
        .await?
        .with_max_call(args.credentials.max_call());
    let mut builder = Verifier::builder()
        .credentials(auth)
        .timeout(Duration::from_secs(args.credentials.timeout_secs))
        .ledger(Arc::new(ledger))
        .fresh(args.fresh);
    for id in &args.providers {
        builder = builder.vendor(id);
    }
    for (id, price) in &args.prices {
        builder = builder.price(id, *price);
    }
    if args.by_price {
        builder = builder.by_price();
    }
    if let Some(url) = &args.credentials.base_url {
        builder = builder.base_url(url);
    }
    builder.build().await.map_err(|e| e.to_string())
}

/// What a vendor verifies.
fn check_of(provider: &str) -> Check {
    match provider {
        idcheck::checkphone::PROVIDER_ID => Check::Mobile,
        idcheck::facever::PROVIDER_ID => Check::Face,
        _ => Check::Identity,
    }
}

/// The request, parsed offline, and the credentials: nothing is sent unless both are good.
fn prepare(args: &Args) -> Result<(Request, Auth), String> {
    let Some(first) = args.providers.first() else {
        return Err("pass --provider (one or more, comma-separated)".to_owned());
    };
    for id in &args.providers {
        if !PROVIDERS.contains(&id.as_str()) {
            return Err(format!(
                "unknown provider {id:?}; one of: {}",
                PROVIDERS.join(", ")
            ));
        }
    }
    if let Some((id, _)) = args
        .prices
        .iter()
        .find(|(id, _)| !args.providers.contains(id))
    {
        return Err(format!("--price {id}=…: {id} is not among --provider"));
    }
    let check = args.check.unwrap_or_else(|| check_of(first));
    if let Some(id) = args.providers.iter().find(|id| check_of(id) != check) {
        return Err(format!("provider {id} does not perform {check} checks"));
    }
    let id = IdNumber::parse(&args.id).map_err(|e| format!("invalid ID number: {e}"))?;
    let name = Name::parse(&args.name).map_err(|e| format!("invalid name: {e}"))?;
    let request = match check {
        Check::Mobile => {
            let text = args
                .mobile
                .as_deref()
                .ok_or("a mobile check verifies a mobile number: pass --mobile")?;
            let mobile = Mobile::parse(text).map_err(|e| format!("invalid mobile number: {e}"))?;
            Request::mobile(id, name, mobile)
        }
        Check::Face => {
            let source = args
                .photo
                .as_deref()
                .ok_or("a face check compares a face photo: pass --photo FILE|URL")?;
            let (_, photo) = idcheck_batch::load_photo(&FaceImageParser::new(), source)
                .map_err(|e| format!("cannot read the photo file: {e}"))?;
            let photo = photo.map_err(|e| format!("invalid photo: {e}"))?;
            Request::face(id, name, photo)
        }
        _ => Request::identity(id, name),
    };
    Ok((request, args.credentials.auth()?))
}

fn read_appcode(path: &Path) -> Result<Auth, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the AppCode file: {e}"))?;
    Auth::app_code(text).map_err(|e| format!("the AppCode file: {e}"))
}

/// The provider `id` over `client`, at `base_url` if given, with `price` if given.
pub(crate) fn provider(
    id: &str,
    client: &GatewayClient,
    base_url: Option<&BaseUrl>,
    price: Option<Price>,
) -> Result<Arc<dyn Provider>, String> {
    idcheck::vendor_by_id(id, client, base_url, price).map_err(|e| e.to_string())
}

fn exit_code(result: &Result<Report, Error>) -> u8 {
    match result {
        Ok(report) if report.verdict == Verdict::Match => EXIT_MATCH,
        Ok(_) => EXIT_NO_MATCH,
        Err(Error::InvalidInput(_) | Error::UnsupportedCheck { .. }) => EXIT_INPUT,
        Err(_) => EXIT_SERVICE,
    }
}

/// The inputs, masked unless asked otherwise, so a printed answer can be matched to its row.
#[derive(Serialize)]
pub(crate) struct Inputs {
    check: Check,
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mobile: Option<String>,
}

impl Inputs {
    fn shown(request: &Request, unmasked: bool) -> Self {
        let mobile = match request {
            Request::Mobile(r) => Some(if unmasked {
                r.mobile.as_str().to_owned()
            } else {
                r.mobile.to_string()
            }),
            _ => None,
        };
        Self {
            check: request.check(),
            id: if unmasked {
                request.id().as_str().to_owned()
            } else {
                request.id().to_string()
            },
            name: if unmasked {
                request.name().as_str().to_owned()
            } else {
                request.name().to_string()
            },
            mobile,
        }
    }
}

/// The report as it may be shown and stored: vendor text scrubbed of numbers and the name;
/// without `--unmasked`, no birthday or age beside the masked number (together they rebuild
/// it).
fn shown_report(report: &Report, request: &Request, unmasked: bool) -> Report {
    let name = request.name().as_str();
    let mut shown = report.clone();
    if !unmasked {
        shown.details.birthday = None;
        shown.details.age = None;
    }
    shown.details.region = shown.details.region.map(|r| scrub(&r, name));
    shown.trace.raw_message = shown.trace.raw_message.map(|m| scrub(&m, name));
    for note in &mut shown.trace.notes {
        *note = scrub(note, name);
    }
    if let Some(route) = &mut shown.route {
        scrub_route(route, name);
    }
    shown
}

fn scrub_route(route: &mut Route, name: &str) {
    for step in &mut route.tried {
        step.outcome = scrub(&step.outcome, name);
    }
}

#[derive(Serialize)]
struct JsonAnswer {
    /// The vendor that answered, or the last one asked.
    provider: Option<&'static str>,
    input: Inputs,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
    route: Route,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError>,
}

#[derive(Serialize)]
struct JsonError {
    message: String,
    retry: &'static str,
    billing: idcheck::provider::Billing,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_request_id: Option<String>,
}

fn retry_label(error: &Error) -> &'static str {
    match error.retry() {
        idcheck::provider::Retry::Never => "never",
        idcheck::provider::Retry::Safe => "safe",
        idcheck::provider::Retry::MayChargeAgain => "may_charge_again",
    }
}

fn billing_label(billing: Billing) -> &'static str {
    match billing {
        Billing::Billed => "yes",
        Billing::NotBilled => "no",
        Billing::Unknown => "maybe (sent, no answer came)",
    }
}

/// The vendor that answered, or the last one asked.
fn answering_provider(routed: &Routed) -> Option<&'static str> {
    match &routed.result {
        Ok(report) => Some(report.trace.provider),
        Err(_) => routed.route.tried.last().map(|step| step.provider),
    }
}

fn write_json(
    out: &mut impl Write,
    request: &Request,
    routed: &Routed,
    unmasked: bool,
) -> io::Result<()> {
    let name = request.name().as_str();
    let mut route = routed.route.clone();
    scrub_route(&mut route, name);
    let answer = JsonAnswer {
        provider: answering_provider(routed),
        input: Inputs::shown(request, unmasked),
        report: routed.result.as_ref().ok().map(|report| {
            let mut shown = shown_report(report, request, unmasked);
            // The route is printed once, beside the report.
            shown.route = None;
            shown
        }),
        route,
        error: routed.result.as_ref().err().map(|e| JsonError {
            message: scrub(&e.to_string(), name),
            retry: retry_label(e),
            billing: e.billing(),
            gateway_request_id: e.request_id().map(str::to_owned),
        }),
    };
    crate::each_input::write_json_line(out, &answer)
}

fn write_route(out: &mut impl Write, route: &Route, name: &str) -> io::Result<()> {
    for (i, step) in route.tried.iter().enumerate() {
        let label = if i == 0 { "asked" } else { "then" };
        writeln!(
            out,
            "    {label:<9} {} {} (billed: {})",
            step.provider,
            scrub(&step.outcome, name),
            billing_label(step.billing)
        )?;
    }
    if route.cached && route.billed_calls == 0 {
        writeln!(
            out,
            "    reused    yes: the ledger had this answer, nothing was paid"
        )?;
    }
    match route.cost {
        Some(cost) => writeln!(out, "    cost      {cost}")?,
        None if route.billed_calls > 0 => {
            writeln!(out, "    cost      unknown (set --price ID=YUAN)")?;
        }
        None => {}
    }
    if route.maybe_billed_calls > 0 {
        writeln!(
            out,
            "    unresolved {} call(s) may have been billed: see `idcheck ledger unresolved`",
            route.maybe_billed_calls
        )?;
    }
    Ok(())
}

fn write_human(
    out: &mut impl Write,
    request: &Request,
    routed: &Routed,
    unmasked: bool,
) -> io::Result<()> {
    let name = request.name().as_str();
    let inputs = Inputs::shown(request, unmasked);
    write!(
        out,
        "{}: {} {}",
        answering_provider(routed).unwrap_or("verify"),
        inputs.id,
        inputs.name
    )?;
    if let Some(mobile) = &inputs.mobile {
        write!(out, " {mobile}")?;
    }
    writeln!(out)?;
    let report = match &routed.result {
        Ok(report) => shown_report(report, request, unmasked),
        Err(error) => {
            writeln!(out, "    error     {}", scrub(&error.to_string(), name))?;
            writeln!(out, "    billed    {}", billing_label(error.billing()))?;
            writeln!(out, "    retry     {}", retry_label(error))?;
            if let Some(id) = error.request_id() {
                writeln!(out, "    gateway   {id}")?;
            }
            return write_route(out, &routed.route, name);
        }
    };
    writeln!(out, "    verdict   {}", report.verdict)?;
    if let Some(face) = report.face {
        let face = match face {
            FaceOutcome::Same => "same person",
            FaceOutcome::ProbablySame => "probably the same person",
            _ => "different people",
        };
        writeln!(out, "    face      {face}")?;
    }
    let d = &report.details;
    if let Some(sex) = d.sex {
        writeln!(out, "    sex       {sex}")?;
    }
    if let Some(birthday) = d.birthday {
        writeln!(out, "    birthday  {birthday}")?;
    }
    if let Some(age) = d.age {
        writeln!(out, "    age       {age}")?;
    }
    if let Some(region) = &d.region {
        writeln!(out, "    region    {region}")?;
    }
    if let Some(carrier) = d.carrier {
        writeln!(out, "    carrier   {carrier}")?;
    }
    let t = &report.trace;
    writeln!(
        out,
        "    code      {} {}",
        t.raw_code.as_deref().unwrap_or("-"),
        t.raw_message.as_deref().unwrap_or("")
    )?;
    if let Some(id) = &t.vendor_request_id {
        writeln!(out, "    vendor id {id}")?;
    }
    if let Some(id) = &t.gateway_request_id {
        writeln!(out, "    gateway   {id}")?;
    }
    writeln!(out, "    billed    {}", billing_label(t.billing))?;
    for note in &t.notes {
        writeln!(out, "    note      {note}")?;
    }
    write_route(out, &routed.route, name)
}
