//! `Mobile::parse`: what people type, what the vendors can verify, and what is refused.
#![allow(clippy::too_many_lines)] // table-driven tests: one row per case

use idcheck_core::{Carrier, Mobile, MobileError, MobileKind, MobileParser, Segment};
use proptest::prelude::*;

#[test]
fn accepts_what_people_type() {
    for input in [
        "13800138000",
        " 13800138000 ",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "+8613800138000",
        "0086 13800138000",
        "008613800138000",
        "86 13800138000",
        "8613800138000",
        "１３８００１３８０００",
        "＋８６　１３８－００１３－８０００",
    ] {
        let mobile = Mobile::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(mobile.as_str(), "13800138000", "{input:?}");
    }
}

#[test]
fn segment_gives_the_original_carrier_and_kind() {
    let cases = [
        (
            "13800138000",
            Carrier::ChinaMobile,
            MobileKind::Mobile,
            "138",
        ),
        (
            "13012345678",
            Carrier::ChinaUnicom,
            MobileKind::Mobile,
            "130",
        ),
        (
            "13312345678",
            Carrier::ChinaTelecom,
            MobileKind::Mobile,
            "133",
        ),
        (
            "13481234567",
            Carrier::ChinaMobile,
            MobileKind::Mobile,
            "1348",
        ),
        (
            "13491234567",
            Carrier::ChinaTelecom,
            MobileKind::Satellite,
            "1349",
        ),
        (
            "17001234567",
            Carrier::ChinaTelecom,
            MobileKind::Virtual,
            "1700",
        ),
        (
            "17031234567",
            Carrier::ChinaMobile,
            MobileKind::Virtual,
            "1703",
        ),
        (
            "17041234567",
            Carrier::ChinaUnicom,
            MobileKind::Virtual,
            "1704",
        ),
        (
            "17112345678",
            Carrier::ChinaUnicom,
            MobileKind::Virtual,
            "171",
        ),
        (
            "16212345678",
            Carrier::ChinaTelecom,
            MobileKind::Virtual,
            "162",
        ),
        (
            "16512345678",
            Carrier::ChinaMobile,
            MobileKind::Virtual,
            "165",
        ),
        (
            "17400123456",
            Carrier::ChinaTelecom,
            MobileKind::Satellite,
            "17400",
        ),
        (
            "17405123456",
            Carrier::ChinaTelecom,
            MobileKind::Satellite,
            "17405",
        ),
        (
            "17491234567",
            Carrier::BeijingMarineCommunication,
            MobileKind::Satellite,
            "1749",
        ),
        (
            "19212345678",
            Carrier::ChinaBroadnet,
            MobileKind::Mobile,
            "192",
        ),
        (
            "16101234567",
            Carrier::ChinaBroadnet,
            MobileKind::Mobile,
            "1610",
        ),
        (
            "19912345678",
            Carrier::ChinaTelecom,
            MobileKind::Mobile,
            "199",
        ),
    ];
    for (input, carrier, kind, prefix) in cases {
        let mobile = Mobile::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(mobile.original_carrier(), carrier, "{input}");
        assert_eq!(mobile.kind(), kind, "{input}");
        assert_eq!(mobile.segment().prefix(), prefix, "{input}");
    }
}

#[test]
fn precise_errors() {
    use MobileError::*;
    let cases = [
        ("", Empty),
        (" - ", Empty),
        ("1380013800", WrongLength { found: 10 }),
        ("138001380001", WrongLength { found: 12 }),
        ("+86", WrongLength { found: 0 }),
        ("+86 1380013800", WrongLength { found: 10 }),
        ("23800138000", NotMobile { found: 2 }),
        ("010-12345678", NotMobile { found: 0 }),
        ("0755 1234 5678", NotMobile { found: 0 }),
        ("+852 9123 4567", ForeignNumber),
        ("+1 415 555 0100", ForeignNumber),
        (
            "138a0013800",
            InvalidCharacter {
                position: 4,
                found: 'a',
            },
        ),
        (
            "(138)00138000",
            InvalidCharacter {
                position: 1,
                found: '(',
            },
        ),
        (
            "138+00138000",
            InvalidCharacter {
                position: 4,
                found: '+',
            },
        ),
        ("15400138000", UnallocatedSegment { segment: 154 }),
        ("12000000000", UnallocatedSegment { segment: 120 }),
        ("10000000000", UnallocatedSegment { segment: 100 }),
        ("16112345678", UnallocatedSegment { segment: 1611 }),
        ("17413123456", UnallocatedSegment { segment: 17413 }),
        ("14212345678", UnallocatedSegment { segment: 142 }),
        (
            "1440123456789",
            Unverifiable {
                segment: 1440,
                kind: MobileKind::Iot,
            },
        ),
        (
            "1410123456789",
            Unverifiable {
                segment: 1410,
                kind: MobileKind::Iot,
            },
        ),
        (
            "1461234567890",
            Unverifiable {
                segment: 146,
                kind: MobileKind::Iot,
            },
        ),
        (
            "14812345678",
            Unverifiable {
                segment: 148,
                kind: MobileKind::Iot,
            },
        ),
        (
            "14512345678",
            Unverifiable {
                segment: 145,
                kind: MobileKind::DataCard,
            },
        ),
        (
            "14712345678",
            Unverifiable {
                segment: 147,
                kind: MobileKind::DataCard,
            },
        ),
        (
            "14912345678",
            Unverifiable {
                segment: 149,
                kind: MobileKind::DataCard,
            },
        ),
        (
            "17406123456",
            Unverifiable {
                segment: 17406,
                kind: MobileKind::Emergency,
            },
        ),
        (
            "17412123456",
            Unverifiable {
                segment: 17412,
                kind: MobileKind::Emergency,
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(Mobile::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn data_cards_on_request_but_never_iot_or_emergency() {
    let lenient = MobileParser::new().accept_data_cards(true);
    let card = lenient.parse("14712345678").unwrap();
    assert_eq!(card.kind(), MobileKind::DataCard);
    assert_eq!(card.original_carrier(), Carrier::ChinaMobile);
    assert!(matches!(
        lenient.parse("1440123456789"),
        Err(MobileError::Unverifiable {
            kind: MobileKind::Iot,
            ..
        })
    ));
    assert!(matches!(
        lenient.parse("17408123456"),
        Err(MobileError::Unverifiable {
            kind: MobileKind::Emergency,
            ..
        })
    ));
}

#[test]
fn masked_everywhere() {
    let mobile = Mobile::parse("+86 138 0013 8000").unwrap();
    assert_eq!(mobile.masked().as_str(), "138****8000");
    assert_eq!(mobile.to_string(), "138****8000");
    assert_eq!(format!("{mobile:?}"), r#"Mobile("138****8000")"#);
    assert_eq!(format!("{:>12}", mobile.masked()), " 138****8000");
}

#[test]
fn error_messages_name_the_problem_not_the_number() {
    let messages = [
        Mobile::parse("1440123456789").unwrap_err().to_string(),
        Mobile::parse("15400138000").unwrap_err().to_string(),
        Mobile::parse("138001380001").unwrap_err().to_string(),
    ];
    assert_eq!(
        messages[0],
        "segment 1440 is a 13-digit IoT number, which the verification vendors cannot check"
    );
    assert_eq!(messages[1], "segment 154 is not allocated to any carrier");
    assert_eq!(messages[2], "wrong length: expected 11 digits, found 12");
    for message in &messages {
        assert!(!message.contains("0013"), "{message}");
    }
}

#[test]
fn segment_table_facts() {
    let all = Segment::all();
    assert_eq!(all.len(), 91);
    let of = |number: &str| Segment::of(number).map(Segment::prefix);
    assert_eq!(of("13800"), Some("138"));
    assert_eq!(of("17049"), Some("1704"));
    assert_eq!(of("15400"), None);
    assert_eq!(of("138"), None, "too short to decide");
    assert_eq!(of("abcde"), None);
    let iot = Segment::of("1440000000000").unwrap();
    assert_eq!((iot.kind(), iot.number_length()), (MobileKind::Iot, 13));
    // Every kind and carrier the issue names is present.
    for kind in [
        MobileKind::Mobile,
        MobileKind::Virtual,
        MobileKind::DataCard,
        MobileKind::Iot,
        MobileKind::Satellite,
    ] {
        assert!(all.iter().any(|s| s.kind() == kind), "{kind}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let mobile = Mobile::parse("13800138000").unwrap();
    let json = serde_json::to_string(&mobile).unwrap();
    assert_eq!(json, r#""13800138000""#);
    assert_eq!(serde_json::from_str::<Mobile>(&json).unwrap(), mobile);
    assert!(serde_json::from_str::<Mobile>(r#""15400138000""#).is_err());
}

/// A number in an allocated, verifiable 11-digit segment.
fn valid_number() -> impl Strategy<Value = String> {
    let segments: Vec<&'static Segment> = Segment::all()
        .iter()
        .filter(|s| {
            matches!(
                s.kind(),
                MobileKind::Mobile | MobileKind::Virtual | MobileKind::Satellite
            )
        })
        .collect();
    (proptest::sample::select(segments), "[0-9]{8}").prop_map(|(segment, tail)| {
        let mut number = segment.prefix().to_owned();
        number.push_str(&tail[..11 - number.len()]);
        number
    })
}

/// How a person might type `number`.
fn typed(number: String) -> impl Strategy<Value = (String, String)> {
    let prefix = prop_oneof![
        Just(""),
        Just("+86 "),
        Just("+86"),
        Just("0086"),
        Just("86"),
        Just("＋86-")
    ];
    let separators =
        proptest::collection::vec(prop_oneof![Just(""), Just(" "), Just("-"), Just("　")], 11);
    let full_width = proptest::collection::vec(any::<bool>(), 11);
    (prefix, separators, full_width).prop_map(move |(prefix, separators, full_width)| {
        let mut typed = prefix.to_owned();
        for ((c, sep), wide) in number.chars().zip(separators).zip(full_width) {
            typed.push_str(sep);
            typed.push(if wide {
                char::from_u32(u32::from(c) - u32::from('0') + u32::from('０')).unwrap()
            } else {
                c
            });
        }
        (number.clone(), typed)
    })
}

proptest! {
    #[test]
    fn never_panics(input in "\\PC{0,40}") {
        let _ = Mobile::parse(&input);
    }

    #[test]
    fn never_panics_on_digit_soup(input in "[+０-９0-9 -]{0,24}") {
        if let Ok(mobile) = Mobile::parse(&input) {
            prop_assert_eq!(mobile.as_str().len(), 11);
            prop_assert!(mobile.as_str().starts_with('1'));
        }
    }

    #[test]
    fn typed_forms_round_trip((number, typed) in valid_number().prop_flat_map(typed)) {
        let mobile = Mobile::parse(&typed).map_err(|e| TestCaseError::fail(format!("{typed:?}: {e}")))?;
        prop_assert_eq!(mobile.as_str(), number.as_str());
        prop_assert_eq!(Mobile::parse(mobile.as_str()), Ok(mobile));
        let segment = Segment::of(&number).unwrap();
        prop_assert_eq!(mobile.original_carrier(), segment.original_carrier());
        prop_assert_eq!(mobile.masked().to_string(), format!("{}****{}", &number[..3], &number[7..]));
    }
}
