//! The provider: request mapping (GET query `idCard`, `mobile`, `name`), and the offline
//! refusal of virtual-operator numbers.

use aliyun_gateway::{Auth, BaseUrl, Call, ConfigError, GatewayClient, Method};
use idcheck_core::{MobileError, MobileKind};
use provider_trait::{
    Capabilities, Check, Checks, Error, InvalidInput, MobileRequest, Price, Provider, Report,
    Request,
};

use crate::{DEFAULT_BASE_URL, PATH, PROVIDER_ID};

/// The `checkphone` provider. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct CheckPhone {
    client: GatewayClient,
    base_url: BaseUrl,
    unit_price: Option<Price>,
}

impl CheckPhone {
    /// Over a shared gateway client, at [`DEFAULT_BASE_URL`].
    #[must_use]
    pub fn new(client: GatewayClient) -> Self {
        Self {
            client,
            base_url: BaseUrl::parse(DEFAULT_BASE_URL)
                .unwrap_or_else(|_| unreachable!("a valid constant")),
            unit_price: None,
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
        self.base_url = base_url;
        self
    }

    /// The price of one call, as reported by [`Provider::capabilities`].
    #[must_use]
    pub fn with_unit_price(mut self, price: Price) -> Self {
        self.unit_price = Some(price);
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
        let call =
            Call::new(PROVIDER_ID, &self.base_url, Method::Get, PATH, &params).for_request(request);
        let response = self.client.send(&call).await?;
        crate::map_response(&response, &mobile.mobile)
    }
}

#[async_trait::async_trait]
impl Provider for CheckPhone {
    fn id(&self) -> &'static str {
        PROVIDER_ID
    }

    fn capabilities(&self) -> Capabilities {
        let capabilities = Capabilities::new(Checks::only(Check::Mobile));
        match self.unit_price {
            Some(price) => capabilities.with_unit_price(price),
            None => capabilities,
        }
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        match request {
            Request::Mobile(mobile) => self.verify_mobile(mobile, request).await,
            _ => Err(Error::UnsupportedCheck {
                provider: PROVIDER_ID,
                check: request.check(),
            }),
        }
    }
}
