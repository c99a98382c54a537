//! Foreigners' permanent residence ID numbers, 2023 edition: `9`, the issuing province (digits
//! 2–3), the nationality (digits 4–6, ISO 3166-1 numeric as in GB/T 2659), the birthday, a
//! sequence and the MOD 11-2 check character.

use chrono::NaiveDate;
use idcheck_core::{
    IdError, IdKind, IdNumber, IdParser, Nationality, NationalityStatus, RegionStatus,
};

/// Append the MOD 11-2 check character to 17 digits.
fn with_check(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!(
        "{first17}{}",
        char::from(b"10X98765432"[(sum % 11) as usize])
    )
}

fn strict() -> IdParser {
    IdParser::new().strict(true)
}

#[test]
fn valid_numbers_say_province_and_nationality() {
    for (first17, province, numeric, alpha3, name) in [
        ("91184019900101001", "北京市", 840, "USA", "美国"),
        ("91239219850615002", "天津市", 392, "JPN", "日本"),
        ("91560019900101001", "内蒙古自治区", 600, "PRY", "巴拉圭"),
        ("94482620001231001", "广东省", 826, "GBR", "英国"),
        ("96541019770707002", "新疆维吾尔自治区", 410, "KOR", "韩国"),
        ("95000419660101003", "重庆市", 4, "AFG", "阿富汗"),
    ] {
        let number = with_check(first17);
        for parser in [IdParser::new(), strict()] {
            let id = parser
                .parse(&number)
                .unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(id.kind(), IdKind::ForeignPermanentResident, "{number}");
            assert!(id.region().is_none(), "{number}");
            let issuing = id.issuing_province().unwrap();
            assert_eq!(issuing.name(), Some(province), "{number}");
            assert_eq!(issuing.code() % 10_000, 0, "{number}");
            assert_eq!(issuing.status(), RegionStatus::Current, "{number}");
            let nationality = id.nationality().unwrap();
            assert_eq!(nationality.numeric(), numeric, "{number}");
            assert_eq!(nationality.alpha3(), Some(alpha3), "{number}");
            assert_eq!(nationality.name_zh(), Some(name), "{number}");
            assert_eq!(nationality.status(), NationalityStatus::Foreign, "{number}");
            assert_eq!(id.nationality_code(), Some(numeric), "{number}");
            assert_eq!(
                nationality.to_string(),
                format!("{name} ({alpha3}, {numeric:03})")
            );
        }
    }
    let id = IdNumber::parse("911840199001010018").unwrap();
    assert_eq!(id.birthday(), NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
    assert_eq!(id.masked().as_str(), "911840********0018");
}

#[test]
fn typed_forms_parse_the_same() {
    let expected = IdNumber::parse("91239219850615002X").unwrap();
    for typed in [
        "91239219850615002x",
        " 91239219850615002X\t",
        "９１２３９２１９８５０６１５００２ｘ",
    ] {
        let id = IdNumber::parse(typed).unwrap();
        assert_eq!(id, expected, "{typed:?}");
        assert_eq!(id.nationality(), expected.nationality());
    }
}

#[test]
fn residents_have_no_nationality_or_issuing_province() {
    for number in [
        "11010519491231002X",
        "130503670401001",
        "810000199001010019",
    ] {
        let id = IdNumber::parse(number).unwrap();
        assert_eq!(id.nationality(), None, "{number}");
        assert!(id.issuing_province().is_none(), "{number}");
        assert_eq!(id.nationality_code(), None, "{number}");
    }
}

#[test]
fn an_issuing_province_that_is_not_a_province_is_rejected_in_every_mode() {
    for code in [0u8, 10, 16, 20, 38, 47, 66, 70, 83, 90, 99] {
        let number = with_check(&format!("9{code:02}84019900101001"));
        for parser in [IdParser::new(), strict()] {
            assert_eq!(
                parser.parse(&number).unwrap_err(),
                IdError::UnknownIssuingProvince { code },
                "{number}"
            );
        }
    }
    // It is found before the birthday and the check character, like an unknown province.
    assert_eq!(
        IdNumber::parse("920840199013320011").unwrap_err(),
        IdError::UnknownIssuingProvince { code: 20 }
    );
    // Every province-level code of GB/T 2260 is accepted.
    for code in [11, 12, 15, 23, 31, 37, 46, 50, 54, 65] {
        let number = with_check(&format!("9{code}84019900101001"));
        assert!(IdNumber::parse(&number).is_ok(), "{number}");
    }
}

#[test]
fn an_unassigned_nationality_is_reported_and_rejected_only_when_strict() {
    for code in [0u16, 1, 530, 899, 900, 999] {
        let number = with_check(&format!("911{code:03}19900101001"));
        let id = IdNumber::parse(&number).unwrap_or_else(|e| panic!("{number}: {e}"));
        let nationality = id.nationality().unwrap();
        assert_eq!(nationality.numeric(), code);
        assert_eq!(nationality.status(), NationalityStatus::Unassigned);
        assert!(!nationality.is_assigned());
        assert_eq!((nationality.alpha3(), nationality.name_zh()), (None, None));
        assert_eq!(nationality.to_string(), format!("{code:03}"));
        assert_eq!(
            strict().parse(&number).unwrap_err(),
            IdError::UnknownNationality { code },
            "{number}"
        );
    }
}

#[test]
fn china_is_not_a_foreigners_nationality() {
    let number = "911156199001010010";
    let id = IdNumber::parse(number).unwrap();
    let nationality = id.nationality().unwrap();
    assert_eq!(nationality.status(), NationalityStatus::China);
    assert_eq!(nationality.alpha3(), Some("CHN"));
    assert_eq!(
        strict().parse(number).unwrap_err(),
        IdError::ChineseNationality
    );
}

#[test]
fn strict_checks_come_after_the_check_character() {
    // A wrong check character is reported as such, even when the nationality is bad too.
    assert_eq!(
        strict().parse("911999199001010015").unwrap_err(),
        IdError::CheckCharacter {
            expected: '4',
            found: '5'
        }
    );
}

#[test]
fn error_messages_are_lowercase_and_carry_no_number() {
    let errors = [
        IdNumber::parse("920840199001010019").unwrap_err(),
        strict().parse("911999199001010014").unwrap_err(),
        strict().parse("911156199001010010").unwrap_err(),
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.chars().next().unwrap().is_lowercase(), "{message}");
        assert!(!message.contains("19900101"), "{message}");
        assert!(!message.contains("1840199"), "{message}");
    }
    assert_eq!(
        errors[0].to_string(),
        "unknown issuing province code 20 in a foreigners' permanent residence ID"
    );
    assert_eq!(
        errors[1].to_string(),
        "nationality code 999 is not an assigned ISO 3166-1 code (strict)"
    );
}

#[test]
fn the_country_list_has_every_iso_3166_1_code() {
    assert_eq!(Nationality::all().len(), 249);
    assert!(Nationality::all().all(|n| n.is_assigned()));
    let codes: Vec<u16> = Nationality::all().map(|n| n.numeric()).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    for (numeric, alpha3) in [
        (728, "SSD"),
        (531, "CUW"),
        (535, "BES"),
        (807, "MKD"),
        (748, "SWZ"),
        (203, "CZE"),
        (158, "TWN"),
        (344, "HKG"),
        (446, "MAC"),
        (894, "ZMB"),
    ] {
        assert_eq!(Nationality::lookup(numeric).alpha3(), Some(alpha3));
    }
}
