//! Response parse + mapping per vendor, on each vendor document's own success sample: JSON
//! parse, code lookup, details typed and checked against the ID number.
//!
//! `cargo bench --bench vendors`

use std::hint::black_box;

use aliyun_gateway::GatewayResponse;
use criterion::{Criterion, criterion_main};
use idcheck_core::{IdNumber, Mobile};

fn vendors(c: &mut Criterion) {
    let id = IdNumber::parse("511126199511111118").unwrap();
    let mobile = Mobile::parse("18612345000").unwrap();
    let response = |provider, body: &str| {
        GatewayResponse::from_parts(provider, body.as_bytes().to_vec(), Some("REQ".into()))
    };
    let idcardcert = response(
        "idcardcert",
        include_str!("../crates/provider-idcardcert/fixtures/success.json"),
    );
    let checkphone = response(
        "checkphone",
        include_str!("../crates/provider-checkphone/fixtures/success.json"),
    );
    let facever = response(
        "facever",
        include_str!("../crates/provider-facever/fixtures/success.json"),
    );
    let idenauthen = response(
        "idenauthen",
        include_str!("../crates/provider-idenauthen/fixtures/success.json"),
    );
    let checkone = response(
        "checkone",
        include_str!("../crates/provider-checkone/fixtures/success.json"),
    );

    let mut group = c.benchmark_group("vendor_response");
    group.bench_function("idcardcert", |b| {
        b.iter(|| provider_idcardcert::map_response(black_box(&idcardcert), &id).unwrap());
    });
    group.bench_function("checkphone", |b| {
        b.iter(|| provider_checkphone::map_response(black_box(&checkphone), &mobile).unwrap());
    });
    group.bench_function("facever", |b| {
        b.iter(|| provider_facever::map_response(black_box(&facever), &id).unwrap());
    });
    group.bench_function("idenauthen", |b| {
        b.iter(|| provider_idenauthen::map_response(black_box(&idenauthen), &id).unwrap());
    });
    group.bench_function("checkone", |b| {
        b.iter(|| provider_checkone::map_response(black_box(&checkone)).unwrap());
    });
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::vendors);
}
criterion_main!(group::benches);
