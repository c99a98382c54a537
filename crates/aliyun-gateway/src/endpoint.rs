//! What every vendor provider holds: the shared client, the vendor's base URL and the price
//! the user set, so a vendor crate is only its request and response mapping.

use provider_trait::{Capabilities, Checks, Error, Price, Request, Target};

use crate::{BaseUrl, Call, GatewayClient, GatewayResponse, Method};

/// One vendor endpoint behind the gateway. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct Endpoint {
    provider: &'static str,
    client: GatewayClient,
    base_url: BaseUrl,
    unit_price: Option<Price>,
}

impl Endpoint {
    /// `provider`'s endpoint at `default_base_url` (a vendor crate's constant).
    ///
    /// # Panics
    ///
    /// When `default_base_url` is not a valid base URL: a bug in the vendor crate's constant,
    /// caught by its first test.
    #[must_use]
    pub fn new(provider: &'static str, client: GatewayClient, default_base_url: &str) -> Self {
        let base_url = BaseUrl::parse(default_base_url)
            .unwrap_or_else(|e| panic!("{provider}'s default base URL: {e}"));
        Self {
            provider,
            client,
            base_url,
            unit_price: None,
        }
    }

    /// Another base URL (a proxy, a test server).
    #[must_use]
    pub fn with_base_url(mut self, base_url: BaseUrl) -> Self {
        self.base_url = base_url;
        self
    }

    /// The price of one call.
    #[must_use]
    pub fn with_unit_price(mut self, price: Price) -> Self {
        self.unit_price = Some(price);
        self
    }

    /// `checks`, with the price if one was set.
    #[must_use]
    pub fn capabilities(&self, checks: Checks) -> Capabilities {
        let capabilities = Capabilities::new(checks);
        match self.unit_price {
            Some(price) => capabilities.with_unit_price(price),
            None => capabilities,
        }
    }

    /// Where calls go: the provider, the base URL and the account's fingerprint.
    #[must_use]
    pub fn target(&self) -> Target {
        Target::new(
            self.provider,
            self.base_url.as_str(),
            self.client.account_fingerprint(),
        )
    }

    /// Sends `params` for `request` to `path`.
    ///
    /// # Errors
    ///
    /// As [`GatewayClient::send`].
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        request: &Request,
    ) -> Result<GatewayResponse, Error> {
        let call =
            Call::new(self.provider, &self.base_url, method, path, params).for_request(request);
        self.client.send(&call).await
    }
}
