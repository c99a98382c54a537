//! The provider: request mapping (POST form `idcard`, `name`, and `key` when set).

use aliyun_gateway::{Auth, BaseUrl, ConfigError, Endpoint, GatewayClient, Method};
use provider_trait::{
    Capabilities, Check, Checks, Error, IdentityRequest, Price, Provider, Report, Request, Target,
};
use secrecy::{ExposeSecret, SecretString};

use crate::{DEFAULT_BASE_URL, PATH, PROVIDER_ID};

/// The `checkone` provider. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct CheckOne {
    endpoint: Endpoint,
    key: Option<SecretString>,
}

impl CheckOne {
    /// Over a shared gateway client, at [`DEFAULT_BASE_URL`].
    #[must_use]
    pub fn new(client: GatewayClient) -> Self {
        Self {
            endpoint: Endpoint::new(PROVIDER_ID, client, DEFAULT_BASE_URL),
            key: None,
        }
    }

    /// With its own gateway client (default timeouts, no retries).
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built.
    pub fn from_auth(auth: Auth) -> Result<Self, ConfigError> {
        Ok(Self::new(GatewayClient::new(auth)?))
    }

    /// Another base URL (a proxy, a test server).
    #[must_use]
    pub fn with_base_url(mut self, base_url: BaseUrl) -> Self {
        self.endpoint = self.endpoint.with_base_url(base_url);
        self
    }

    /// The price of one call, as reported by [`Provider::capabilities`].
    #[must_use]
    pub fn with_unit_price(mut self, price: Price) -> Self {
        self.endpoint = self.endpoint.with_unit_price(price);
        self
    }

    /// The vendor's own API `key`, sent in the form. Not needed with APPCODE auth. Held as a
    /// secret: `Debug` does not show it.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(SecretString::from(key.into()));
        self
    }

    async fn verify_identity(
        &self,
        identity: &IdentityRequest,
        request: &Request,
    ) -> Result<Report, Error> {
        let mut params = vec![
            ("idcard", identity.id.as_str()),
            ("name", identity.name.as_str()),
        ];
        // The one place the key is exposed: it travels in the form body.
        if let Some(key) = &self.key {
            params.push(("key", key.expose_secret()));
        }
        let response = self
            .endpoint
            .send(Method::PostForm, PATH, &params, request)
            .await?;
        crate::map_response(&response)
    }
}

#[async_trait::async_trait]
impl Provider for CheckOne {
    fn id(&self) -> &'static str {
        PROVIDER_ID
    }

    fn capabilities(&self) -> Capabilities {
        self.endpoint.capabilities(Checks::only(Check::Identity))
    }

    fn target(&self) -> Target {
        self.endpoint.target()
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        match request {
            Request::Identity(inner) => self.verify_identity(inner, request).await,
            _ => Err(Error::UnsupportedCheck {
                provider: PROVIDER_ID,
                check: request.check(),
            }),
        }
    }
}
