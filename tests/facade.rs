//! The facade re-exports the offline core under its own names and as `idcheck::core`.

#[test]
fn facade_reexports_the_core() {
    let id: idcheck::IdNumber = "11010519491231002X".parse().unwrap();
    assert_eq!(id.kind(), idcheck::IdKind::Resident);
    assert_eq!(id.sex(), idcheck::Sex::Female);
    let same = idcheck::core::IdNumber::parse("11010519491231002x").unwrap();
    assert_eq!(id, same);
    assert_eq!(
        idcheck::IdParser::new()
            .strict(true)
            .parse("110199199001010010")
            .unwrap_err(),
        idcheck::IdError::UnknownRegion { code: 110_199 }
    );
}

#[test]
fn facade_reexports_mobiles_names_and_photos() {
    let mobile = idcheck::Mobile::parse("+86 192 1234 5678").unwrap();
    assert_eq!(mobile.original_carrier(), idcheck::Carrier::ChinaBroadnet);
    let name = idcheck::Name::parse("欧阳娜娜").unwrap();
    assert_eq!(name.masked().to_string(), "欧阳**");
    assert_eq!(
        idcheck::FaceImage::from_bytes(b"GIF89a"),
        Err(idcheck::FaceImageError::UnsupportedFormat {
            format: idcheck::UnsupportedFormat::Gif
        })
    );
}

/// In workspace test runs the CLI turns on `full`, so the vendor modules are here too.
#[cfg(feature = "full")]
#[test]
fn facade_reexports_the_contract_gateway_router_and_vendors() {
    use idcheck::provider::Provider;
    let client = idcheck::gateway::GatewayClient::new(
        idcheck::gateway::Auth::app_code("0123456789abcdef0123456789abcdef").unwrap(),
    )
    .unwrap();
    let providers: Vec<std::sync::Arc<dyn Provider>> = vec![
        std::sync::Arc::new(idcheck::idcardcert::IdCardCert::new(client.clone())),
        std::sync::Arc::new(idcheck::checkphone::CheckPhone::new(client.clone())),
        std::sync::Arc::new(idcheck::facever::FaceVer::new(client.clone())),
        std::sync::Arc::new(idcheck::idenauthen::IdenAuthen::new(client.clone())),
        std::sync::Arc::new(idcheck::checkone::CheckOne::new(client)),
    ];
    let ids: Vec<_> = providers.iter().map(|p| p.id()).collect();
    assert_eq!(
        ids,
        [
            "idcardcert",
            "checkphone",
            "facever",
            "idenauthen",
            "checkone"
        ]
    );
    let router = idcheck::router::Fallback::new(providers);
    assert!(
        router
            .capabilities()
            .supports(idcheck::provider::Check::Face)
    );
}
