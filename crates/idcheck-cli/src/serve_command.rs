//! `idcheck serve`: the verification service (the `idcheck-server` library) on a port, with
//! the router, the ledger, the clients file and the limits set from flags or a TOML config.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use idcheck::provider::{Price, Provider};
use idcheck::router::Fallback;
use idcheck_server::{Clients, Limits, Service};
use serde::Deserialize;

use crate::verify_command::{self, Credentials};

/// What `idcheck serve` was asked (flags; `None` where the config file may say).
pub(crate) struct Args {
    pub(crate) config: Option<PathBuf>,
    pub(crate) listen: Option<String>,
    pub(crate) providers: Vec<String>,
    pub(crate) by_price: bool,
    pub(crate) prices: Vec<(String, Price)>,
    pub(crate) ledger: Option<String>,
    pub(crate) clients: Option<PathBuf>,
    pub(crate) qps: Option<u32>,
    pub(crate) budget_day_offset: Option<i32>,
    pub(crate) header_timeout: Option<u64>,
    pub(crate) body_timeout: Option<u64>,
    pub(crate) deadline: Option<u64>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_connections_per_address: Option<usize>,
    pub(crate) fit_photos: bool,
    pub(crate) new_client: Option<String>,
    pub(crate) credentials: Credentials,
}

/// The same settings in TOML (`--config`); flags win.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    listen: Option<String>,
    provider: Option<Vec<String>>,
    by_price: Option<bool>,
    price: Option<BTreeMap<String, f64>>,
    base_url: Option<String>,
    ledger: Option<String>,
    clients: Option<PathBuf>,
    qps: Option<u32>,
    /// A UTC offset such as "+08:00".
    budget_day_offset: Option<String>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    fit_photos: Option<bool>,
    deadline_secs: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    if let Some(name) = &args.new_client {
        return match idcheck_server::new_client(name) {
            Ok((token, entry)) => {
                println!("{token}");
                eprintln!(
                    "idcheck serve: the token above is shown once and stored nowhere; give it to the client. Add this entry to the clients file:\n\n{entry}"
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("idcheck serve: {e}");
                ExitCode::from(2)
            }
        };
    }
    match start(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("idcheck serve: {message}");
            ExitCode::from(2)
        }
    }
}

// Flags, then the config file, then the defaults, in one place.
#[allow(clippy::too_many_lines)]
fn start(mut args: Args) -> Result<(), String> {
    let config: Config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
            toml::from_str(&text)
                .map_err(|e| format!("--config {}: {}", path.display(), e.message()))?
        }
        None => Config::default(),
    };
    let listen = args
        .listen
        .take()
        .or(config.listen)
        .unwrap_or_else(|| "127.0.0.1:8800".to_owned());
    let providers = if args.providers.is_empty() {
        config.provider.unwrap_or_default()
    } else {
        std::mem::take(&mut args.providers)
    };
    if providers.is_empty() {
        return Err(
            "pass --provider (one or more, comma-separated) or `provider` in --config".into(),
        );
    }
    let mut prices: BTreeMap<String, Price> = BTreeMap::new();
    for (id, yuan) in config.price.unwrap_or_default() {
        let price = crate::parse_yuan(&yuan.to_string()).map_err(|e| format!("price.{id}: {e}"))?;
        prices.insert(id, price);
    }
    prices.extend(args.prices.iter().cloned());
    if args.credentials.base_url.is_none() {
        args.credentials.base_url = config.base_url;
    }
    let clients_path = args
        .clients
        .take()
        .or(config.clients)
        .ok_or("pass --clients FILE (create entries with --new-client NAME)")?;
    let clients_text = std::fs::read_to_string(&clients_path)
        .map_err(|e| format!("cannot read --clients {}: {e}", clients_path.display()))?;
    let clients = Clients::from_toml(&clients_text)
        .map_err(|e| format!("--clients {}: {e}", clients_path.display()))?;
    let has_budgets = clients.iter().any(|c| c.daily_budget_milli_yuan.is_some());
    let limits = Limits::default()
        .with_header_timeout(Duration::from_secs(
            args.header_timeout
                .or(config.header_timeout_secs)
                .unwrap_or(10)
                .max(1),
        ))
        .with_request_deadline(Duration::from_secs(
            args.deadline.or(config.deadline_secs).unwrap_or(30).max(1),
        ))
        .with_body_timeout(Duration::from_secs(
            args.body_timeout
                .or(config.body_timeout_secs)
                .unwrap_or(10)
                .max(1),
        ))
        .with_max_connections(
            args.max_connections
                .or(config.max_connections)
                .unwrap_or(4096)
                .max(1),
        )
        .with_max_connections_per_address(
            args.max_connections_per_address
                .or(config.max_connections_per_address)
                .unwrap_or(64),
        )
        .with_fit_photos(args.fit_photos || config.fit_photos.unwrap_or(false));
    let qps = args.qps.or(config.qps);
    let budget_day_offset = match (args.budget_day_offset, &config.budget_day_offset) {
        (Some(offset), _) => offset,
        (None, Some(text)) => {
            crate::parse_utc_offset(text).map_err(|e| format!("budget_day_offset: {e}"))?
        }
        (None, None) => idcheck::ledger::VENDOR_DAY_OFFSET_SECS,
    };
    let limits = limits.with_budget_day_offset(budget_day_offset);
    let by_price = args.by_price || config.by_price.unwrap_or(false);

    // The credentials, before anything else starts.
    let (client, base_url) = args.credentials.client(args.credentials.auth()?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let ledger = Arc::new(
            crate::batch_command::open_ledger(args.ledger.as_deref().or(config.ledger.as_deref()))
                .await?
                .with_max_call(args.credentials.max_call()),
        );
        let mut vendors: Vec<Arc<dyn Provider>> = Vec::new();
        for id in &providers {
            let price = prices.get(id).copied();
            vendors.push(verify_command::provider(
                id,
                &client,
                base_url.as_ref(),
                price,
            )?);
        }
        if let Some(qps) = qps {
            // A call that cannot start before its request's deadline is not queued.
            vendors =
                idcheck_server::with_shared_qps(vendors, &ledger, qps, limits.request_deadline);
        }
        let router = if by_price {
            Fallback::by_price(vendors)
        } else {
            Fallback::new(vendors)
        }
        .with_ledger(Arc::clone(&ledger));
        let service = Service::new(router, Arc::clone(&ledger), clients).with_limits(limits);
        let unpriced = service.unpriced_providers();
        if !unpriced.is_empty() && has_budgets {
            return Err(format!(
                "clients with a daily budget need a price for every provider: add --price for {}",
                unpriced.join(", ")
            ));
        }
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        eprintln!(
            "idcheck serve: listening on http://{addr} (providers {}; ledger {})",
            providers.join(","),
            ledger.location()
        );
        tracing::info!(target: "idcheck::serve", %addr, "listening");
        idcheck_server::serve(Arc::new(service), listener, shutdown_signal())
            .await
            .map_err(|e| format!("serving: {e}"))?;
        let _ = ledger.close().await;
        eprintln!("idcheck serve: stopped; every call in flight was recorded");
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!(
        "idcheck serve: stopping: no new connections; calls in flight finish and are recorded"
    );
}
