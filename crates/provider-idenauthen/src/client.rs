//! The provider: request mapping (POST form `idNo`, `name`).

use aliyun_gateway::{Auth, BaseUrl, ConfigError, Endpoint, GatewayClient, Method};
use provider_trait::{
    Capabilities, Check, Checks, Error, IdentityRequest, Price, Provider, Report, Request, Target,
};

use crate::{DEFAULT_BASE_URL, PATH, PROVIDER_ID};

/// The `idenauthen` provider. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct IdenAuthen {
    endpoint: Endpoint,
}

impl IdenAuthen {
    /// Over a shared gateway client, at [`DEFAULT_BASE_URL`].
    #[must_use]
    pub fn new(client: GatewayClient) -> Self {
        Self {
            endpoint: Endpoint::new(PROVIDER_ID, client, DEFAULT_BASE_URL),
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

    async fn verify_identity(
        &self,
        identity: &IdentityRequest,
        request: &Request,
    ) -> Result<Report, Error> {
        let params = [
            ("idNo", identity.id.as_str()),
            ("name", identity.name.as_str()),
        ];
        let response = self
            .endpoint
            .send(Method::PostForm, PATH, &params, request)
            .await?;
        crate::map_response(&response, &identity.id)
    }
}

#[async_trait::async_trait]
impl Provider for IdenAuthen {
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
