//! `idcheck sandbox`: the five vendors and the gateway on loopback, for trying integrations and
//! batches without paying. Prints the billed calls per vendor when stopped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use idcheck_sandbox::{Registry, Sandbox, SandboxConfig};
use secrecy::SecretString;

/// What `idcheck sandbox` was asked.
#[derive(clap::Args)]
// Command-line switches, one bool each.
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Args {
    /// Port on 127.0.0.1 (0 for any free one).
    #[arg(long, default_value_t = 8787)]
    pub(crate) port: u16,
    /// People on record: a CSV `name,id,mobile,carrier,photo` (default: a built-in set
    /// matching examples/people.csv).
    #[arg(long, value_name = "FILE")]
    pub(crate) registry: Option<PathBuf>,
    /// The AppCode the sandbox accepts (a sandbox code, not a secret).
    #[arg(long, default_value = idcheck_sandbox::DEFAULT_APPCODE)]
    pub(crate) appcode: String,
    /// Also accept requests signed with this AppKey …
    #[arg(long, requires = "app_secret")]
    pub(crate) app_key: Option<String>,
    /// … and this AppSecret.
    #[arg(long, requires = "app_key")]
    pub(crate) app_secret: Option<String>,
    /// Billed calls allowed before "Quota Exhausted".
    #[arg(long)]
    pub(crate) quota: Option<u64>,
    /// Requests a second before "Throttled by APP Flow Control".
    #[arg(long)]
    pub(crate) qps: Option<u32>,
    /// Added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) latency_ms: u64,
    /// Share of requests answered "503 Service Unavailable" (0 to 1).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub(crate) fail_rate: f64,
    /// Every vendor answers its maintenance code (billed).
    #[arg(long)]
    pub(crate) maintenance: bool,
    /// Answer bodies cut in half (billed).
    #[arg(long)]
    pub(crate) truncate: bool,
}

pub(crate) fn run(args: Args) -> ExitCode {
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idcheck sandbox: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: Args) -> Result<(), String> {
    let registry = match &args.registry {
        Some(path) => {
            let text = idcheck_batch::read_text(path)?.text;
            Registry::from_csv(&text, path.parent().unwrap_or(std::path::Path::new(".")))?
        }
        None => Registry::builtin(),
    };
    let app_key = match (args.app_key, args.app_secret) {
        (Some(key), Some(secret)) => Some((key, SecretString::from(secret))),
        (None, None) => None,
        _ => return Err("--app-key and --app-secret go together".to_owned()),
    };
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err("--fail-rate is a share between 0 and 1".to_owned());
    }
    let people = registry.len();
    let config = SandboxConfig {
        app_code: SecretString::from(args.appcode.clone()),
        app_key,
        quota: args.quota,
        qps: args.qps,
        latency: Duration::from_millis(args.latency_ms),
        failure_rate: args.fail_rate,
        maintenance: args.maintenance,
        truncate: args.truncate,
        registry,
        ..SandboxConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(config, &format!("127.0.0.1:{}", args.port))
            .await
            .map_err(|e| format!("cannot listen on port {}: {e}", args.port))?;
        eprintln!(
            "idcheck sandbox: the five vendors at {} ({people} people on record); AppCode {:?}; billed calls so far at {}/_sandbox/billed; Ctrl-C to stop",
            sandbox.base_url(),
            args.appcode,
            sandbox.base_url()
        );
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        let mut billed: Vec<_> = sandbox.billed().into_iter().collect();
        billed.sort_unstable();
        let counts: Vec<String> = billed.iter().map(|(v, n)| format!("{v} {n}")).collect();
        println!(
            "idcheck sandbox: billed calls: {} (total {})",
            counts.join(", "),
            sandbox.billed_total()
        );
        Ok(())
    })
}
