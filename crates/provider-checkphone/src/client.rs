//! The provider: request mapping (GET query `idCard`, `mobile`, `name`), and the offline
//! refusal of virtual-operator numbers.

use aliyun_gateway::{Auth, BaseUrl, ConfigError, Endpoint, GatewayClient, Method};
use idcheck_core::{MobileError, MobileKind};
use provider_trait::{
    Capabilities, Check, Checks, Error, InvalidInput, MobileRequest, Price, Provider, Report,
    Request, Target,
};

use crate::{DEFAULT_BASE_URL, PATH, PROVIDER_ID};

/// The `checkphone` provider. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct CheckPhone {
    endpoint: Endpoint,
}

impl CheckPhone {
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

    async fn verify_mobile(
        &self,
        mobile: &MobileRequest,
        request: &Request,
    ) -> Result<Report, Error> {
        // The vendor answers 203 for virtual operators ("手机号段不支持为虚拟运营商"), billed.
        if mobile.mobile.kind() == MobileKind::Virtual {
            let segment = mobile.mobile.segment();
            return Err(Error::InvalidInput(InvalidInput::Mobile(
                MobileError::Unverifiable {
                    segment: segment.prefix().parse().unwrap_or_default(),
                    kind: segment.kind(),
                },
            )));
        }
        let params = [
            ("idCard", mobile.id.as_str()),
            ("mobile", mobile.mobile.as_str()),
            ("name", mobile.name.as_str()),
        ];
        let response = self
            .endpoint
            .send(Method::Get, PATH, &params, request)
            .await?;
        crate::map_response(&response, &mobile.mobile)
    }
}

#[async_trait::async_trait]
impl Provider for CheckPhone {
    fn id(&self) -> &'static str {
        PROVIDER_ID
    }

    fn capabilities(&self) -> Capabilities {
        self.endpoint.capabilities(Checks::only(Check::Mobile))
    }

    fn target(&self) -> Target {
        self.endpoint.target()
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        match request {
            Request::Mobile(inner) => self.verify_mobile(inner, request).await,
            _ => Err(Error::UnsupportedCheck {
                provider: PROVIDER_ID,
                check: request.check(),
            }),
        }
    }
}
