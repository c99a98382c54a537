//! `Name::parse`: the rules the vendors enforce (204 "姓名格式不正确", 0001/0002).
#![allow(clippy::too_many_lines)] // table-driven tests: one row per case

use idcheck_core::{CharClass, MIDDLE_DOT, Name, NameError};
use proptest::prelude::*;

#[test]
fn han_names_including_supplementary_planes() {
    for (input, expected, chars) in [
        ("张三", "张三", 2),
        (" 王小明\n", "王小明", 3),
        ("\u{FEFF}李四\u{200B}", "李四", 2),
        ("𠮷野家", "𠮷野家", 3),
        ("陈𡒄", "陈𡒄", 2),
        ("欧阳娜娜", "欧阳娜娜", 4),
        ("王〇", "王〇", 2),
    ] {
        let name = Name::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(name.as_str(), expected);
        assert_eq!(name.char_count(), chars);
        assert!(!name.is_transliterated());
    }
}

#[test]
fn every_typed_middle_dot_becomes_u00b7() {
    for dot in ['·', '•', '・', '･', '‧', '∙', '⋅', '·', '．', '.'] {
        let input = format!("阿卜杜{dot}热合曼");
        let name = Name::parse(&input).unwrap_or_else(|e| panic!("{dot:?}: {e}"));
        assert_eq!(name.as_str(), "阿卜杜·热合曼", "{dot:?}");
        assert!(name.is_transliterated());
    }
    assert_eq!(MIDDLE_DOT, '\u{B7}');
}

#[test]
fn precise_errors_with_positions() {
    use CharClass::*;
    use NameError::*;
    let cases = [
        ("", Empty),
        ("  \u{3000}", Empty),
        (
            "张 三",
            InvalidCharacter {
                position: 2,
                class: Whitespace,
            },
        ),
        (
            "张\u{3000}三",
            InvalidCharacter {
                position: 2,
                class: Whitespace,
            },
        ),
        (
            "  张3",
            InvalidCharacter {
                position: 4,
                class: Digit,
            },
        ),
        (
            "张３",
            InvalidCharacter {
                position: 2,
                class: Digit,
            },
        ),
        (
            "Zhang San",
            InvalidCharacter {
                position: 1,
                class: Latin,
            },
        ),
        (
            "张Ａ",
            InvalidCharacter {
                position: 2,
                class: Latin,
            },
        ),
        (
            "张é",
            InvalidCharacter {
                position: 2,
                class: Latin,
            },
        ),
        (
            "张三😀",
            InvalidCharacter {
                position: 3,
                class: Emoji,
            },
        ),
        (
            "张☺",
            InvalidCharacter {
                position: 2,
                class: Emoji,
            },
        ),
        (
            "张\u{200B}三",
            InvalidCharacter {
                position: 2,
                class: Control,
            },
        ),
        (
            "张\u{7}三",
            InvalidCharacter {
                position: 2,
                class: Control,
            },
        ),
        (
            "张\u{FE00}三",
            InvalidCharacter {
                position: 2,
                class: Control,
            },
        ),
        (
            "张三,",
            InvalidCharacter {
                position: 3,
                class: Other,
            },
        ),
        (
            "さくら",
            InvalidCharacter {
                position: 1,
                class: Other,
            },
        ),
        (
            "김민준",
            InvalidCharacter {
                position: 1,
                class: Other,
            },
        ),
        ("·张三", LeadingDot { position: 1 }),
        (" ·张三", LeadingDot { position: 2 }),
        ("张三·", TrailingDot { position: 3 }),
        ("阿卜杜··热合曼", DoubledDot { position: 5 }),
        ("阿卜杜·•热合曼", DoubledDot { position: 5 }),
        ("张", TooShort { found: 1, min: 2 }),
    ];
    for (input, expected) in cases {
        assert_eq!(Name::parse(input), Err(expected), "{input:?}");
    }
}

#[test]
fn length_bound() {
    let longest = "阿".repeat(Name::MAX_CHARS);
    assert_eq!(Name::parse(&longest).unwrap().char_count(), 32);
    let supplementary = "𠮷".repeat(Name::MAX_CHARS);
    assert_eq!(Name::parse(&supplementary).unwrap().as_str(), supplementary);
    assert_eq!(
        Name::parse(&"阿".repeat(40)),
        Err(NameError::TooLong { found: 40, max: 32 })
    );
    // Real long transliterated names fit.
    let uyghur = Name::parse("阿卜杜克热木·阿卜杜热合曼·买买提").unwrap();
    assert_eq!(uyghur.char_count(), 17);
}

#[test]
fn masked_everywhere() {
    let cases = [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),
        ("阿卜杜·热合曼", "阿卜杜·***"),
        ("爱新觉罗·启星", "爱新觉罗·**"),
        (
            "阿卜杜克热木·阿卜杜热合曼·买买提",
            "阿卜杜克热木·******·***",
        ),
        ("𠮷野家", "𠮷**"),
        // First and last of the compound surnames in code-point order, and near misses.
        ("万俟卨", "万俟*"),
        ("颛孙师", "颛孙*"),
        ("阳欧娜", "阳**"),
        ("欧小娜", "欧**"),
        ("上官婉儿", "上官**"),
        ("诸葛孔明", "诸葛**"),
        ("司马·光", "司马·*"),
    ];
    for (input, masked) in cases {
        let name = Name::parse(input).unwrap();
        assert_eq!(name.masked().to_string(), masked);
        assert_eq!(name.to_string(), masked);
        assert_eq!(format!("{name:?}"), format!("Name(\"{masked}\")"));
    }
}

#[test]
fn errors_never_show_the_name() {
    for input in ["张三丰3", "Zhang San", "张 三", "张三·", "张"] {
        let error = Name::parse(input).unwrap_err();
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains('张') && !shown.contains("Zhang"), "{shown}");
        }
    }
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_validates() {
    let name = Name::parse("阿卜杜•热合曼").unwrap();
    let json = serde_json::to_string(&name).unwrap();
    assert_eq!(json, r#""阿卜杜·热合曼""#);
    assert_eq!(serde_json::from_str::<Name>(&json).unwrap(), name);
    assert!(serde_json::from_str::<Name>(r#""张3""#).is_err());
}

/// A Han character from the BMP block, Extension A or Extension B.
fn han() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => 0x4E00u32..=0x9FFF,
        1 => 0x3400u32..=0x4DBF,
        1 => 0x20000u32..=0x2A6DF,
    ]
    .prop_map(|code| char::from_u32(code).unwrap())
}

/// One to three parts of Han characters joined by a random typed middle dot.
fn valid_name() -> impl Strategy<Value = (Vec<String>, String)> {
    let part = proptest::collection::vec(han(), 1..6)
        .prop_map(|chars| chars.into_iter().collect::<String>());
    let dot = proptest::sample::select(vec!['·', '•', '・', '‧', '．', '.']);
    (proptest::collection::vec(part, 1..4), dot)
        .prop_filter("at least two characters", |(parts, _)| {
            parts.iter().map(|p| p.chars().count()).sum::<usize>() + parts.len() > 2
        })
        .prop_map(|(parts, dot)| {
            let typed = parts.join(&dot.to_string());
            (parts, typed)
        })
}

proptest! {
    #[test]
    fn never_panics(input in "\\PC{0,50}") {
        let _ = Name::parse(&input);
    }

    #[test]
    fn never_panics_on_any_chars(input in proptest::collection::vec(any::<char>(), 0..40)) {
        let input: String = input.into_iter().collect();
        if let Ok(name) = Name::parse(&input) {
            prop_assert!(name.char_count() >= Name::MIN_CHARS && name.char_count() <= Name::MAX_CHARS);
            prop_assert_eq!(name.masked().to_string().chars().count(), name.char_count());
        }
    }

    #[test]
    fn valid_names_round_trip((parts, typed) in valid_name()) {
        let name = Name::parse(&typed).map_err(|e| TestCaseError::fail(format!("{typed:?}: {e}")))?;
        let normalised = parts.join("·");
        prop_assert_eq!(name.as_str(), normalised.as_str());
        prop_assert_eq!(Name::parse(name.as_str()), Ok(name.clone()));
        let masked = name.masked().to_string();
        prop_assert_eq!(masked.chars().count(), name.char_count());
        // Beyond the first part (or the surname), only stars and dots.
        let hidden_from = if parts.len() > 1 { parts[0].chars().count() } else { 2 };
        prop_assert!(masked.chars().skip(hidden_from).all(|c| c == '*' || c == '·'), "{}", masked);
    }

    #[test]
    fn an_inserted_bad_character_is_reported_where_it_is(
        (_, typed) in valid_name(),
        bad in prop_oneof![Just('3'), Just('a'), Just(' '), Just('😀'), Just('\u{200B}'), Just(',')],
        at in any::<prop::sample::Index>(),
    ) {
        let chars: Vec<char> = typed.chars().collect();
        let at = 1 + at.index(chars.len()); // not first: a leading space would be trimmed
        let mut broken: String = chars[..at].iter().collect();
        broken.push(bad);
        broken.extend(&chars[at..]);
        if at == chars.len() && (bad == ' ' || bad == '\u{200B}') {
            return Ok(()); // trailing whitespace is trimmed
        }
        match Name::parse(&broken) {
            Err(NameError::InvalidCharacter { position, .. }) => prop_assert_eq!(position, at + 1),
            other => prop_assert!(false, "{:?} gave {:?}", broken, other),
        }
    }
}
