//! The conformance kit every vendor crate runs.

use std::sync::Arc;

use aliyun_gateway::Method;
use provider_checkone::{CheckOne, PATH};
use provider_testkit::{Vendor, assert_conforms};

#[tokio::test]
async fn conforms() {
    assert_conforms(&Vendor::new(
        |client, base| Arc::new(CheckOne::new(client).with_base_url(base)),
        Method::PostForm,
        PATH,
        include_str!("../fixtures/success.json"),
    ))
    .await;
}
