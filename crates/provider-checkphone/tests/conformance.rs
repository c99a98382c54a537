//! The conformance kit every vendor crate runs.

use std::sync::Arc;

use aliyun_gateway::Method;
use idcheck_core::Mobile;
use provider_checkphone::{CheckPhone, PATH};
use provider_testkit::{Vendor, assert_conforms, sample_id, sample_mobile, sample_name};
use provider_trait::Request;

#[tokio::test]
async fn conforms() {
    // 1701: a China Mobile virtual-operator segment, which the vendor refuses (203, billed).
    let virtual_operator = Mobile::parse("17012345678").unwrap();
    assert_conforms(
        &Vendor::new(
            |client, base| Arc::new(CheckPhone::new(client).with_base_url(base)),
            Method::Get,
            PATH,
            include_str!("../fixtures/success.json"),
        )
        .with_request(Request::mobile(sample_id(), sample_name(), sample_mobile()))
        .refusing_offline(Request::mobile(
            sample_id(),
            sample_name(),
            virtual_operator,
        )),
    )
    .await;
}
