//! Worked examples from GB 11643 and the region timeline.

use chrono::NaiveDate;
use idcheck_core::{DatePart, IdError, IdKind, IdNumber, IdParser, RegionStatus, Sex};

fn parse(s: &str) -> Result<IdNumber, IdError> {
    IdNumber::parse(s)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn worked_example_female_beijing() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.kind(), IdKind::Resident);
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.birthday(), date(1949, 12, 31));
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(id.masked().as_str(), "110105********002X");
    let region = id.region().unwrap();
    assert_eq!(
        (region.province(), region.county()),
        (Some("北京市"), Some("朝阳区"))
    );
    assert_eq!(region.status(), RegionStatus::Current);
}

#[test]
fn worked_example_male_born_1880() {
    let id = parse("440524188001010014").unwrap();
    assert_eq!(id.sex(), Sex::Male);
    assert_eq!(id.birthday(), date(1880, 1, 1));
}

#[test]
fn wrong_check_character_says_what_was_expected() {
    assert_eq!(
        parse("110105194912310021").unwrap_err(),
        IdError::CheckCharacter {
            expected: 'X',
            found: '1'
        }
    );
}

#[test]
fn fifteen_digit_numbers_upgrade() {
    for (old, new) in [
        ("130503670401001", "130503196704010016"),
        ("610104620927690", "610104196209276908"),
    ] {
        let id = parse(old).unwrap();
        assert!(id.is_15_digit());
        assert_eq!(id.as_str(), old);
        assert_eq!(
            id.masked().as_str(),
            format!("{}******{}", &old[..6], &old[12..])
        );
        let upgraded = id.to_18();
        assert_eq!(upgraded.as_str(), new);
        assert_eq!(upgraded, parse(new).unwrap());
        assert_eq!(
            (upgraded.birthday(), upgraded.sex()),
            (id.birthday(), id.sex())
        );
    }
    assert_eq!(parse("130503670401001").unwrap().sex(), Sex::Male);
    assert_eq!(parse("610104620927690").unwrap().sex(), Sex::Female);
}

#[test]
fn leap_days() {
    // 1900 is not a leap year; 2000 is.
    assert_eq!(
        parse("110105190002290011").unwrap_err(),
        IdError::ImpossibleDate {
            part: DatePart::LeapDay
        }
    );
    assert_eq!(
        parse("110105000229001").unwrap_err(),
        IdError::ImpossibleDate {
            part: DatePart::LeapDay
        }
    );
    // Which part is wrong, never the digits.
    let error = parse("110105190002290011").unwrap_err();
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("1900") && !shown.contains("29"), "{shown}");
    }
    assert_eq!(
        parse("110105200002290013").unwrap().birthday(),
        date(2000, 2, 29)
    );
}

#[test]
fn numbers_excel_showed_in_scientific_notation_are_named_as_such() {
    for text in [
        "1.10105E+17",
        "1.1E+17",
        "1.10105e17",
        "1E+17",
        " 1.101051949E+17 ",
        "4.4E+14",
        // 18 and 15 characters: the lengths of ID numbers.
        "1.101051949123E+17",
        "1.101051949E+17",
    ] {
        assert_eq!(
            parse(text).map(|_| ()).unwrap_err(),
            IdError::StoredAsNumber,
            "{text}"
        );
    }
    let message = IdError::StoredAsNumber.to_string();
    assert!(
        message.contains("Excel") && message.contains("Text"),
        "{message}"
    );
    // Other stray characters keep their own error.
    for text in [
        "1.10105",
        "E+17",
        "11010519491231002E",
        "1.1E+1234",
        "1.1E-17",
    ] {
        assert_ne!(
            parse(text).map(|_| ()).unwrap_err(),
            IdError::StoredAsNumber,
            "{text}"
        );
    }
}

#[test]
fn an_impossible_day_names_the_day() {
    assert_eq!(
        parse("110105194902300011").map(|_| ()).unwrap_err(),
        IdError::ImpossibleDate {
            part: DatePart::Day
        }
    );
    assert_eq!(
        parse("110105194904310011")
            .map(|_| ())
            .unwrap_err()
            .to_string(),
        "impossible birthday: the day does not exist in its month"
    );
}

#[test]
fn impossible_and_implausible_birthdays() {
    assert!(matches!(
        parse("110105194913310024"),
        Err(IdError::ImpossibleDate {
            part: DatePart::Month
        })
    ));
    assert!(matches!(
        parse("110105194900000023"),
        Err(IdError::ImpossibleDate {
            part: DatePart::Month
        })
    ));
    assert_eq!(
        parse("110105185912310014").unwrap_err(),
        IdError::BirthdayTooEarly {
            earliest_year: 1860
        }
    );
    assert_eq!(
        parse("110105299912310017").unwrap_err(),
        IdError::BirthdayInFuture
    );
    let on = IdParser::new().today(date(1949, 12, 30));
    assert_eq!(
        on.parse("11010519491231002X").unwrap_err(),
        IdError::BirthdayInFuture
    );
    assert!(
        IdParser::new()
            .today(date(1949, 12, 31))
            .parse("11010519491231002X")
            .is_ok()
    );
}

#[test]
fn abolished_and_renamed_codes_are_valid_prefixes() {
    let chongwen = parse("11010320050101001X").unwrap();
    let region = chongwen.region().unwrap();
    assert_eq!(region.name(), Some("崇文区"));
    assert_eq!(region.status(), RegionStatus::Abolished { year: 2010 });

    let kenli = parse("370521199001010010").unwrap().region().unwrap();
    assert_eq!(kenli.name(), Some("垦利县"));
    assert_eq!(kenli.status(), RegionStatus::Abolished { year: 2016 });

    // 130503: 桥西区 until 2019, 信都区 after; the name follows the birth year.
    let old = parse("130503196704010016").unwrap().region().unwrap();
    assert_eq!(old.name(), Some("桥西区"));
    assert_eq!(old.current_name(), Some("信都区"));
    let young = parse(&with_check("13050320210101001"))
        .unwrap()
        .region()
        .unwrap();
    assert_eq!(young.name(), Some("信都区"));
}

#[test]
fn the_year_rule_is_strict_only() {
    // 342401 (六安市) was abolished in 1999; a verified person born 2001 carries it.
    let id = "342401200101010019";
    assert!(parse(id).is_ok());
    assert_eq!(
        IdParser::new().strict(true).parse(id).unwrap_err(),
        IdError::BornAfterRegionAbolished {
            code: 342_401,
            abolished_in: 1999
        }
    );
    // Chongqing's 50xxxx on a person born before 1997 is fine in both modes.
    assert!(
        IdParser::new()
            .strict(true)
            .parse("500101198001010013")
            .is_ok()
    );
}

#[test]
fn unknown_county_in_known_province_is_reported_not_rejected() {
    let id = parse("110199199001010010").unwrap();
    let region = id.region().unwrap();
    assert!(!region.is_known());
    assert_eq!(region.status(), RegionStatus::Unknown);
    assert_eq!(region.province(), Some("北京市"));
    assert_eq!(
        IdParser::new()
            .strict(true)
            .parse("110199199001010010")
            .unwrap_err(),
        IdError::UnknownRegion { code: 110_199 }
    );
}

#[test]
fn unknown_province_is_rejected() {
    assert_eq!(
        parse(&with_check("00010519491231002")).unwrap_err(),
        IdError::UnknownProvince { code: 0 }
    );
    assert_eq!(
        parse(&with_check("84000019900101001")).unwrap_err(),
        IdError::UnknownProvince { code: 84 }
    );
    assert_eq!(
        parse("830000900101001").unwrap_err(),
        IdError::UnknownProvince { code: 83 }
    );
}

#[test]
fn residence_permits() {
    for (number, kind, name) in [
        (
            "810000199001010019",
            IdKind::HongKongPermit,
            "香港特别行政区",
        ),
        ("820000199001010010", IdKind::MacauPermit, "澳门特别行政区"),
        ("830000199001010012", IdKind::TaiwanPermit, "台湾省"),
    ] {
        for parser in [IdParser::new(), IdParser::new().strict(true)] {
            let id = parser.parse(number).unwrap();
            assert_eq!(id.kind(), kind);
            assert_eq!(id.region().unwrap().name(), Some(name));
        }
    }
}

#[test]
fn foreign_permanent_residence_id() {
    let id = parse("91560019900101001X").unwrap();
    assert_eq!(id.kind(), IdKind::ForeignPermanentResident);
    assert_eq!(id.nationality_code(), Some(600));
    assert!(id.region().is_none());
    assert_eq!(id.birthday(), date(1990, 1, 1));
    assert!(
        IdParser::new()
            .strict(true)
            .parse("91560019900101001X")
            .is_ok()
    );
    assert_eq!(
        parse("915600199001010011").unwrap_err(),
        IdError::CheckCharacter {
            expected: 'X',
            found: '1'
        }
    );
    // Only the 18-character form exists.
    assert_eq!(
        parse("915600900101001").unwrap_err(),
        IdError::UnknownProvince { code: 91 }
    );
}

#[test]
fn input_as_people_type_it() {
    let expected = parse("11010519491231002X").unwrap();
    for typed in [
        "11010519491231002x",
        "  11010519491231002X\n",
        "\u{3000}１１０１０５１９４９１２３１００２Ｘ\u{3000}",
        "１１０１０５１９４９１２３１００２ｘ",
    ] {
        assert_eq!(parse(typed).unwrap(), expected, "{typed:?}");
    }
}

#[test]
fn precise_errors_for_what_cannot_be_normalised() {
    let non_digit = |position, found| IdError::NonDigit { position, found };
    let cases = [
        ("", IdError::Empty),
        (" \t ", IdError::Empty),
        ("1101051949123100", IdError::WrongLength { found: 16 }),
        ("11010519491231002X1", IdError::WrongLength { found: 19 }),
        (
            "110105１９４９1231002X9",
            IdError::WrongLength { found: 19 },
        ),
        ("1101051949-1231002X", non_digit(11, '-')),
        ("  11010a", non_digit(8, 'a')),
        ("110105194912X10021", non_digit(13, 'X')),
        ("13050367040100X", non_digit(15, 'X')),
        ("1101 0519491231002X", non_digit(5, ' ')),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input).unwrap_err(), expected, "{input:?}");
    }
}

#[test]
fn error_messages_are_lowercase_and_carry_no_number() {
    let inputs = [
        "110105194912310021",
        "",
        "1101051949123100",
        "11010a",
        "110105190002290011",
        "110105299912310017",
    ];
    for input in inputs {
        let message = parse(input).unwrap_err().to_string();
        assert!(message.chars().next().unwrap().is_lowercase(), "{message}");
        assert!(!message.ends_with('.'), "{message}");
        if !input.is_empty() {
            assert!(!message.contains(input), "{message}");
        }
    }
}

#[test]
fn debug_and_display_are_masked() {
    let id = parse("11010519491231002X").unwrap();
    for shown in [
        format!("{id}"),
        format!("{id:?}"),
        format!("{:?}", Some(id)),
        format!("{:?}", id.masked()),
    ] {
        assert!(!shown.contains("19491231"), "{shown}");
        assert!(shown.contains("110105********002X"), "{shown}");
    }
}

#[test]
fn age_on_a_date() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.age_on(date(2026, 11, 24)), Some(76));
    assert_eq!(id.age_on(date(1949, 12, 30)), None);
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trips_and_validates() {
    let id = parse("11010519491231002X").unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"11010519491231002X\"");
    assert_eq!(serde_json::from_str::<IdNumber>(&json).unwrap(), id);
    let err = serde_json::from_str::<IdNumber>("\"110105194912310021\"").unwrap_err();
    assert!(
        err.to_string().contains("check character expected X"),
        "{err}"
    );
}

/// Append the MOD 11-2 check character to 17 digits.
fn with_check(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    format!("{first17}{}", char::from(check))
}
