//! `idcheck verify`: one paid verification through one vendor. Every input is checked offline
//! first, and the credentials are read, before anything is sent.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use idcheck::gateway::{Auth, BaseUrl, GatewayClient};
use idcheck::provider::{Check, Error, InvalidInput, Price, Provider, Report, Request, Verdict};
use idcheck::{FaceImageParser, IdNumber, Mobile, Name};
use serde::Serialize;

/// The vendors, by provider id.
pub(crate) const PROVIDERS: [&str; 5] = [
    idcheck::idcardcert::PROVIDER_ID,
    idcheck::checkphone::PROVIDER_ID,
    idcheck::facever::PROVIDER_ID,
    idcheck::idenauthen::PROVIDER_ID,
    idcheck::checkone::PROVIDER_ID,
];

/// What `idcheck verify` was asked.
pub(crate) struct Args {
    pub(crate) provider: String,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) mobile: Option<String>,
    pub(crate) photo: Option<String>,
    pub(crate) credentials: Credentials,
    pub(crate) json: bool,
}

/// Where the AppCode and the vendor come from, shared by `verify` and `batch`.
pub(crate) struct Credentials {
    pub(crate) appcode_file: Option<PathBuf>,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout_secs: u64,
}

impl Credentials {
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
    let prepared = prepare(args).and_then(|(request, auth)| {
        let (client, base_url) = args.credentials.client(auth)?;
        let provider = provider(&args.provider, &client, base_url.as_ref(), None)?;
        Ok((request, provider))
    });
    let (request, provider) = match prepared {
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
    let result = runtime.block_on(provider.verify(&request));
    let code = exit_code(&result);
    let mut out = io::stdout().lock();
    let written = if args.json {
        write_json(&mut out, provider.id(), &request, &result)
    } else {
        write_human(&mut out, provider.id(), &request, &result)
    };
    if written.is_err() {
        return ExitCode::from(EXIT_SERVICE);
    }
    ExitCode::from(code)
}

/// The request, parsed offline, and the credentials: nothing is sent unless both are good.
fn prepare(args: &Args) -> Result<(Request, Auth), String> {
    if !PROVIDERS.contains(&args.provider.as_str()) {
        return Err(format!(
            "unknown provider {:?}; one of: {}",
            args.provider,
            PROVIDERS.join(", ")
        ));
    }
    let id = IdNumber::parse(&args.id).map_err(|e| format!("invalid ID number: {e}"))?;
    let name = Name::parse(&args.name).map_err(|e| format!("invalid name: {e}"))?;
    let request = match args.provider.as_str() {
        idcheck::checkphone::PROVIDER_ID => {
            let text = args
                .mobile
                .as_deref()
                .ok_or("checkphone verifies a mobile number: pass --mobile")?;
            let mobile = Mobile::parse(text).map_err(|e| format!("invalid mobile number: {e}"))?;
            Request::mobile(id, name, mobile)
        }
        idcheck::facever::PROVIDER_ID => {
            let source = args
                .photo
                .as_deref()
                .ok_or("facever compares a face photo: pass --photo FILE|URL")?;
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
    macro_rules! vendor {
        ($provider:expr) => {{
            let mut provider = $provider;
            if let Some(url) = base_url {
                provider = provider.with_base_url(url.clone());
            }
            if let Some(price) = price {
                provider = provider.with_unit_price(price);
            }
            Arc::new(provider) as Arc<dyn Provider>
        }};
    }
    let client = client.clone();
    Ok(match id {
        idcheck::idcardcert::PROVIDER_ID => vendor!(idcheck::idcardcert::IdCardCert::new(client)),
        idcheck::checkphone::PROVIDER_ID => vendor!(idcheck::checkphone::CheckPhone::new(client)),
        idcheck::facever::PROVIDER_ID => vendor!(idcheck::facever::FaceVer::new(client)),
        idcheck::idenauthen::PROVIDER_ID => vendor!(idcheck::idenauthen::IdenAuthen::new(client)),
        idcheck::checkone::PROVIDER_ID => vendor!(idcheck::checkone::CheckOne::new(client)),
        other => {
            return Err(format!(
                "unknown provider {other:?}; one of: {}",
                PROVIDERS.join(", ")
            ));
        }
    })
}

fn exit_code(result: &Result<Report, Error>) -> u8 {
    match result {
        Ok(report) if report.verdict == Verdict::Match => EXIT_MATCH,
        Ok(_) => EXIT_NO_MATCH,
        Err(Error::InvalidInput(_) | Error::UnsupportedCheck { .. }) => EXIT_INPUT,
        Err(_) => EXIT_SERVICE,
    }
}

/// The inputs, masked, so a printed answer can be matched to its row.
#[derive(Serialize)]
pub(crate) struct Inputs {
    check: Check,
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mobile: Option<String>,
}

impl Inputs {
    pub(crate) fn of(request: &Request) -> Self {
        Self {
            check: request.check(),
            id: request.id().to_string(),
            name: request.name().to_string(),
            mobile: match request {
                Request::Mobile(r) => Some(r.mobile.to_string()),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct JsonAnswer<'a> {
    provider: &'static str,
    input: Inputs,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<&'a Report>,
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

fn write_json(
    out: &mut impl Write,
    provider: &'static str,
    request: &Request,
    result: &Result<Report, Error>,
) -> io::Result<()> {
    let answer = JsonAnswer {
        provider,
        input: Inputs::of(request),
        report: result.as_ref().ok(),
        error: result.as_ref().err().map(|e| JsonError {
            message: e.to_string(),
            retry: retry_label(e),
            billing: e.billing(),
            gateway_request_id: e.request_id().map(str::to_owned),
        }),
    };
    crate::each_input::write_json_line(out, &answer)
}

fn write_human(
    out: &mut impl Write,
    provider: &'static str,
    request: &Request,
    result: &Result<Report, Error>,
) -> io::Result<()> {
    let inputs = Inputs::of(request);
    write!(out, "{provider}: {} {}", inputs.id, inputs.name)?;
    if let Some(mobile) = &inputs.mobile {
        write!(out, " {mobile}")?;
    }
    writeln!(out)?;
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            writeln!(out, "    error     {error}")?;
            if let Error::InvalidInput(InvalidInput::RejectedByVendor { .. }) = error {
                writeln!(out, "    billed    yes (the vendor answered)")?;
            }
            writeln!(out, "    retry     {}", retry_label(error))?;
            if let Some(id) = error.request_id() {
                writeln!(out, "    gateway   {id}")?;
            }
            return Ok(());
        }
    };
    writeln!(out, "    verdict   {}", report.verdict)?;
    if let Some(face) = report.face {
        writeln!(out, "    face      {face:?}")?;
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
    writeln!(out, "    billed    {:?}", t.billing)?;
    for note in &t.notes {
        writeln!(out, "    note      {note}")?;
    }
    Ok(())
}
