//! The conformance kit every vendor crate runs.

use std::sync::Arc;

use aliyun_gateway::Method;
use provider_facever::{FaceVer, PATH};
use provider_testkit::{
    Vendor, assert_conforms, sample_id, sample_name, sample_photo, sample_png_photo,
};
use provider_trait::Request;

#[tokio::test]
async fn conforms() {
    // Parsed with a larger limit than the vendor's 100k: refused offline, never sent.
    let too_large = sample_png_photo(80_000, 1_000_000);
    assert_conforms(
        &Vendor::new(
            |client, base| Arc::new(FaceVer::new(client).with_base_url(base)),
            Method::PostForm,
            PATH,
            include_str!("../fixtures/success.json"),
        )
        .with_request(Request::face(sample_id(), sample_name(), sample_photo()))
        .refusing_offline(Request::face(sample_id(), sample_name(), too_large)),
    )
    .await;
}
