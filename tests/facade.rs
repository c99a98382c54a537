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
