//! The provider: request mapping (POST form `idCard`, `image`, `name`), and the offline
//! refusal of photos over the vendor's size limit.

use aliyun_gateway::{Auth, BaseUrl, ConfigError, Endpoint, GatewayClient, Method};
use idcheck_core::{FaceImageError, PhotoPayload};
use provider_trait::{
    Capabilities, Check, Checks, Error, FaceRequest, InvalidInput, Price, Provider, Report,
    Request, Target,
};

use crate::{DEFAULT_BASE_URL, MAX_BASE64_LEN, PATH, PROVIDER_ID};

/// The `facever` provider. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct FaceVer {
    endpoint: Endpoint,
}

impl FaceVer {
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

    async fn verify_face(&self, face: &FaceRequest, request: &Request) -> Result<Report, Error> {
        let image = match face.photo.payload() {
            // A photo parsed with a larger limit than the vendor's would cost a -5 answer.
            PhotoPayload::Base64(text) if text.len() > MAX_BASE64_LEN => {
                let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
                return Err(Error::InvalidInput(InvalidInput::Photo(
                    FaceImageError::TooLarge {
                        base64_len: text.len(),
                        raw_len: text.len() / 4 * 3 - padding,
                        limit: MAX_BASE64_LEN,
                    },
                )));
            }
            PhotoPayload::Base64(text) | PhotoPayload::Url(text) => text,
        };
        let params = [
            ("idCard", face.id.as_str()),
            ("image", image),
            ("name", face.name.as_str()),
        ];
        let response = self
            .endpoint
            .send(Method::PostForm, PATH, &params, request)
            .await?;
        crate::map_response(&response, &face.id)
    }
}

#[async_trait::async_trait]
impl Provider for FaceVer {
    fn id(&self) -> &'static str {
        PROVIDER_ID
    }

    fn capabilities(&self) -> Capabilities {
        self.endpoint.capabilities(Checks::only(Check::Face))
    }

    fn target(&self) -> Target {
        self.endpoint.target()
    }

    async fn verify(&self, request: &Request) -> Result<Report, Error> {
        match request {
            Request::Face(inner) => self.verify_face(inner, request).await,
            _ => Err(Error::UnsupportedCheck {
                provider: PROVIDER_ID,
                check: request.check(),
            }),
        }
    }
}
