//! One front door for the paid path: credentials read once, vendors by id, one base URL for
//! all of them, prices, order, the ledger, timeouts and retries, one error type.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aliyun_gateway::{Auth, BaseUrl, ConfigError, GatewayClient, RetryPolicy};
use idcheck_ledger::{ClaimPolicy, KeyError, KeySource, Ledger, LedgerError, LedgerKey};
use idcheck_router::{Fallback, Routed};
use provider_trait::{Capabilities, Error, Price, Provider, Report, Request, Target};

/// Every vendor id this crate knows, whether or not its feature is enabled.
pub const VENDOR_IDS: [&str; 5] = [
    "idcardcert",
    "checkphone",
    "facever",
    "idenauthen",
    "checkone",
];

/// Setting up a [`Verifier`] failed. Nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No credentials, or malformed ones (`IDCHECK_APPCODE`, or `IDCHECK_APP_KEY` and
    /// `IDCHECK_APP_SECRET`, when none were given).
    #[error("credentials: {0}")]
    Credentials(#[source] ConfigError),
    /// No vendor was named.
    #[error("no vendor: name at least one with `vendor`, e.g. \"idcardcert\"")]
    NoVendor,
    /// A vendor id this crate does not know.
    #[error("unknown vendor {id:?}; one of: idcardcert, checkphone, facever, idenauthen, checkone")]
    UnknownVendor {
        /// The id as given.
        id: String,
    },
    /// A known vendor whose cargo feature is not enabled.
    #[error("vendor {id} is not compiled in: enable the `{id}` feature of idcheck")]
    VendorNotEnabled {
        /// The vendor's id, which is also the feature's name.
        id: &'static str,
    },
    /// The same vendor was named twice.
    #[error("vendor {id} is named twice")]
    DuplicateVendor {
        /// The vendor's id.
        id: &'static str,
    },
    /// A price was set for a vendor that is not among the vendors.
    #[error("a price is set for {id:?}, which is not among the vendors")]
    PriceWithoutVendor {
        /// The id the price was set for.
        id: String,
    },
    /// The base URL is not an `http(s)://host[:port][/prefix]` URL.
    #[error("base URL: {0}")]
    BaseUrl(#[source] ConfigError),
    /// The HTTP client could not be built (TLS backend).
    #[error("{0}")]
    HttpClient(#[source] ConfigError),
    /// The ledger key could not be read or created.
    #[error("ledger key: {0}")]
    LedgerKey(#[source] KeyError),
    /// The ledger could not be opened (location, store, wrong key).
    #[error("{0}")]
    Ledger(#[source] LedgerError),
}

enum LedgerChoice {
    InMemory,
    Open(Arc<Ledger>),
    At(String),
}

/// Builds a [`Verifier`]; from [`Verifier::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct VerifierBuilder {
    auth: Option<Auth>,
    vendors: Vec<String>,
    prices: Vec<(String, Price)>,
    base_url: Option<String>,
    by_price: bool,
    ledger: LedgerChoice,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    policy: ClaimPolicy,
    after_billed_errors: bool,
}

impl fmt::Debug for VerifierBuilder {
    // Credentials are left out on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("vendors", &self.vendors)
            .field("prices", &self.prices)
            .field("base_url", &self.base_url)
            .field("by_price", &self.by_price)
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    /// The credentials. Without this, `build` reads `IDCHECK_APPCODE`, or `IDCHECK_APP_KEY`
    /// and `IDCHECK_APP_SECRET`, once.
    pub fn credentials(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Adds a vendor by id (`idcardcert`, `checkphone`, `facever`, `idenauthen`,
    /// `checkone`). Vendors are asked in the order added, unless [`Self::by_price`].
    pub fn vendor(mut self, id: impl Into<String>) -> Self {
        self.vendors.push(id.into());
        self
    }

    /// The price of one call to vendor `id`: reports then carry what a route cost.
    pub fn price(mut self, id: impl Into<String>, price: Price) -> Self {
        self.prices.push((id.into(), price));
        self
    }

    /// Ask the cheapest vendor first; vendors without a price come last, in the order added.
    pub fn by_price(mut self) -> Self {
        self.by_price = true;
        self
    }

    /// One base URL for every vendor instead of each vendor's own host: a proxy, or the
    /// sandbox (`idcheck sandbox`) while trying things out. Checked by `build`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The ledger of paid calls, already open (shared with other verifiers or a batch).
    ///
    /// Without a ledger, calls are recorded in memory: answers are reused within this
    /// verifier only, and a crash forgets which calls were in flight.
    pub fn ledger(mut self, ledger: Arc<Ledger>) -> Self {
        self.ledger = LedgerChoice::Open(ledger);
        self
    }

    /// The ledger at `location` (a SQLite file, `postgres://…`, or `memory`), opened by
    /// `build` with the key from `IDCHECK_LEDGER_KEY` or the user's key file (created on
    /// first use: see [`Verifier::created_ledger_key`]).
    pub fn ledger_at(mut self, location: impl Into<String>) -> Self {
        self.ledger = LedgerChoice::At(location.into());
        self
    }

    /// Whole-call timeout (default 20 s). A call that times out may have been billed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Timeout for making the connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Retries of failures that were certainly not billed (default: none).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Pay for fresh answers instead of reusing those in the ledger.
    pub fn fresh(mut self, yes: bool) -> Self {
        self.policy = self.policy.fresh(yes);
        self
    }

    /// Also move to the next vendor after an error that was or may have been billed. Off by
    /// default: it can pay twice for one person.
    pub fn continue_after_billed_errors(mut self, yes: bool) -> Self {
        self.after_billed_errors = yes;
        self
    }

    /// Reads the credentials (once), checks every setting and opens the ledger.
    ///
    /// # Errors
    ///
    /// [`SetupError`]: the first setting that is wrong. Nothing is sent either way.
    pub async fn build(self) -> Result<Verifier, SetupError> {
        if self.vendors.is_empty() {
            return Err(SetupError::NoVendor);
        }
        let mut ids: Vec<&'static str> = Vec::with_capacity(self.vendors.len());
        for id in &self.vendors {
            let known = known_vendor(id)?;
            if ids.contains(&known) {
                return Err(SetupError::DuplicateVendor { id: known });
            }
            ids.push(known);
        }
        if let Some((id, _)) = self
            .prices
            .iter()
            .find(|(id, _)| !ids.contains(&id.as_str()))
        {
            return Err(SetupError::PriceWithoutVendor { id: id.clone() });
        }
        let base_url = self
            .base_url
            .as_deref()
            .map(BaseUrl::parse)
            .transpose()
            .map_err(SetupError::BaseUrl)?;
        let auth = match self.auth {
            Some(auth) => auth,
            None => Auth::from_env().map_err(SetupError::Credentials)?,
        };
        let mut client = GatewayClient::builder(auth).with_retry(self.retry);
        if let Some(timeout) = self.timeout {
            client = client.with_timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            client = client.with_connect_timeout(timeout);
        }
        let client = client.build().map_err(SetupError::HttpClient)?;
        let providers = ids
            .iter()
            .map(|id| {
                // The last price set for a vendor wins.
                let price = self
                    .prices
                    .iter()
                    .rev()
                    .find(|(p, _)| p == id)
                    .map(|(_, price)| *price);
                vendor_by_id(id, &client, base_url.as_ref(), price)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut created_key = None;
        let ledger = match self.ledger {
            LedgerChoice::InMemory => None,
            LedgerChoice::Open(ledger) => Some(ledger),
            LedgerChoice::At(location) => {
                // A location that cannot be a ledger is refused before a key file is made.
                Ledger::check_location(&location).map_err(SetupError::Ledger)?;
                let (key, source) = LedgerKey::from_env_or_file().map_err(SetupError::LedgerKey)?;
                if let KeySource::Created(path) = source {
                    created_key = Some(path);
                }
                // Others re-send an unresolved call of ours only once it surely ended.
                let max_call = self
                    .timeout
                    .unwrap_or(aliyun_gateway::DEFAULT_TIMEOUT)
                    .saturating_add(Duration::from_secs(5));
                let ledger = Ledger::open(&location, key)
                    .await
                    .map_err(SetupError::Ledger)?
                    .with_max_call(max_call);
                Some(Arc::new(ledger))
            }
        };
        let mut router = if self.by_price {
            Fallback::by_price(providers)
        } else {
            Fallback::new(providers)
        };
        if let Some(ledger) = ledger {
            router = router.with_ledger(ledger);
        }
        let router = router
            .with_policy(self.policy)
            .continue_after_billed_errors(self.after_billed_errors);
        Ok(Verifier {
            router,
            created_key,
        })
    }
}

/// The vendor id as this crate spells it, if it is known and compiled in.
fn known_vendor(id: &str) -> Result<&'static str, SetupError> {
    let Some(known) = VENDOR_IDS.iter().copied().find(|known| *known == id.trim()) else {
        return Err(SetupError::UnknownVendor { id: id.to_owned() });
    };
    let enabled = match known {
        "idcardcert" => cfg!(feature = "idcardcert"),
        "checkphone" => cfg!(feature = "checkphone"),
        "facever" => cfg!(feature = "facever"),
        "idenauthen" => cfg!(feature = "idenauthen"),
        _ => cfg!(feature = "checkone"),
    };
    if enabled {
        Ok(known)
    } else {
        Err(SetupError::VendorNotEnabled { id: known })
    }
}

/// Vendor `id` over `client`, at `base_url` if given (else the vendor's own host), with
/// `price` if given: one vendor alone, for programs that wrap or route vendors themselves.
/// [`Verifier::builder`] does this for each vendor it is given.
///
/// # Errors
///
/// [`SetupError::UnknownVendor`] or [`SetupError::VendorNotEnabled`].
#[allow(unused_variables, unused_macros)] // with only some vendor features, some arms are gone
pub fn vendor_by_id(
    id: &str,
    client: &GatewayClient,
    base_url: Option<&BaseUrl>,
    price: Option<Price>,
) -> Result<Arc<dyn Provider>, SetupError> {
    macro_rules! configured {
        ($provider:expr) => {{
            let mut provider = $provider;
            if let Some(url) = base_url {
                provider = provider.with_base_url(url.clone());
            }
            if let Some(price) = price {
                provider = provider.with_unit_price(price);
            }
            Ok(Arc::new(provider) as Arc<dyn Provider>)
        }};
    }
    match id {
        #[cfg(feature = "idcardcert")]
        "idcardcert" => configured!(provider_idcardcert::IdCardCert::new(client.clone())),
        #[cfg(feature = "checkphone")]
        "checkphone" => configured!(provider_checkphone::CheckPhone::new(client.clone())),
        #[cfg(feature = "facever")]
        "facever" => configured!(provider_facever::FaceVer::new(client.clone())),
        #[cfg(feature = "idenauthen")]
        "idenauthen" => configured!(provider_idenauthen::IdenAuthen::new(client.clone())),
        #[cfg(feature = "checkone")]
        "checkone" => configured!(provider_checkone::CheckOne::new(client.clone())),
        other => Err(known_vendor(other)
            .err()
            .unwrap_or(SetupError::UnknownVendor {
                id: other.to_owned(),
            })),
    }
}

/// Verifies people through one or more vendors, in order, every call claimed in the ledger
/// before it is sent and recorded when it ends: an answer the ledger holds is reused (cost
/// zero), identical requests in flight are joined, and a call that may have been billed is
/// never sent again on its own.
///
/// Made by [`Verifier::builder`]; it is a [`Provider`] itself (its id is `fallback`).
#[derive(Debug)]
pub struct Verifier {
    router: Fallback,
    created_key: Option<PathBuf>,
}

impl Verifier {
    /// A builder: add vendors, then `build().await`.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            auth: None,
            vendors: Vec::new(),
            prices: Vec::new(),
            base_url: None,
            by_price: false,
            ledger: LedgerChoice::InMemory,
            timeout: None,
            connect_timeout: None,
            retry: RetryPolicy::never(),
            policy: ClaimPolicy::default(),
            after_billed_errors: false,
        }
    }

    /// Verifies `request`, returning the answer or the error that ended the route, and the
    /// route either way: vendors asked, billed calls, cost.
    pub async fn route(&self, request: &Request) -> Routed {
        self.router.route(request).await
    }

    /// The vendors, in the order they are asked.
    #[must_use]
    pub fn vendors(&self) -> &[Arc<dyn Provider>] {
        self.router.providers()
    }

    /// The ledger every call goes through.
    #[must_use]
    pub fn ledger(&self) -> &Arc<Ledger> {
        self.router.ledger()
    }

    /// The ledger key file `build` created, if it did: keep it with the ledger, or every
    /// entry is lost.
    #[must_use]
    pub fn created_ledger_key(&self) -> Option<&Path> {
        self.created_key.as_deref()
    }

    /// The router underneath.
    #[must_use]
    pub fn router(&self) -> &Fallback {
        &self.router
    }

    /// The router underneath, owned.
    #[must_use]
    pub fn into_router(self) -> Fallback {
        self.router
    }
}

#[async_trait::async_trait]
impl Provider for Verifier {
    fn id(&self) -> &'static str {
        self.router.id()
    }

    fn capabilities(&self) -> Capabilities {
        self.router.capabilities()
    }

    fn target(&self) -> Target {
        self.router.target()
    }

    /// The report carries its [`provider_trait::Route`] (`report.route`).
    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        self.router.verify(request).await
    }
}
