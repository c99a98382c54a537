//! Property tests: no panic on any input; valid numbers round-trip; MOD 11-2 catches every
//! single substitution and every swap of two different adjacent characters.

use chrono::{Datelike, NaiveDate};
use idcheck_core::{IdNumber, IdParser, Sex, region};
use proptest::prelude::*;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn with_check(first17: &str) -> String {
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

fn codes() -> Vec<u32> {
    region::all_codes().collect()
}

/// A valid 18-character resident number: a real address code, a birthday 1900..=2020, any
/// sequence.
fn valid_18() -> impl Strategy<Value = (String, u32, NaiveDate, u32)> {
    let codes = codes();
    (0..codes.len(), 0i64..(121 * 365), 0u32..1000).prop_map(move |(i, days, seq)| {
        let birthday = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::TimeDelta::days(days);
        let code = codes[i];
        let number = with_check(&format!("{code:06}{}{seq:03}", birthday.format("%Y%m%d")));
        (number, code, birthday, seq)
    })
}

fn typed_chars() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('0', '9'),
            1 => Just('X'),
            1 => Just('x'),
            1 => proptest::char::range('０', '９'),
            1 => Just('Ｘ'),
            1 => Just(' '),
            1 => Just('\u{3000}'),
            1 => any::<char>(),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_panic_on_any_string(s in any::<String>()) {
        let _ = IdNumber::parse(&s);
        let _ = IdParser::new().strict(true).parse(&s);
    }

    #[test]
    fn no_panic_on_near_miss_input(s in typed_chars()) {
        if let Ok(id) = IdNumber::parse(&s) {
            // Whatever parses must re-parse from its own normalised form.
            prop_assert_eq!(IdNumber::parse(id.as_str()).unwrap(), id);
            let _ = (id.region().map(|r| r.to_string()), id.to_18(), id.masked());
        }
    }

    #[test]
    fn valid_numbers_parse_and_round_trip((number, code, birthday, seq) in valid_18()) {
        let id = IdNumber::parse(&number).unwrap();
        prop_assert_eq!(id.as_str(), number.as_str());
        prop_assert_eq!(id.birthday(), birthday);
        prop_assert_eq!(id.address_code(), code);
        prop_assert_eq!(id.sex(), if seq % 2 == 1 { Sex::Male } else { Sex::Female });
        prop_assert_eq!(id.to_18(), id);
        prop_assert_eq!(IdNumber::parse(&number.to_lowercase()).unwrap(), id);
        let masked = id.masked();
        prop_assert_eq!(&masked.as_str()[..6], &number[..6]);
        prop_assert_eq!(&masked.as_str()[14..], &number[14..]);
        prop_assert!(!masked.as_str()[6..14].contains(|c: char| c != '*'));
        let region = id.region().unwrap();
        prop_assert!(region.is_known());
        prop_assert!(region.name().is_some());
        // Strict parsing accepts every table code for people born before it was abolished.
        let abolished = matches!(region.status(), idcheck_core::RegionStatus::Abolished { year } if i32::from(year) < birthday.year());
        prop_assert_eq!(IdParser::new().strict(true).parse(&number).is_ok(), !abolished);
    }

    #[test]
    fn fifteen_digit_numbers_upgrade_to_valid_18((number, _, birthday, _) in valid_18()) {
        prop_assume!(birthday.year() < 2000);
        let old = format!("{}{}", &number[..6], &number[8..17]);
        let id = IdNumber::parse(&old).unwrap();
        prop_assert!(id.is_15_digit());
        prop_assert_eq!(id.birthday(), birthday);
        let upgraded = id.to_18();
        prop_assert_eq!(upgraded.as_str(), number.as_str());
        prop_assert_eq!(IdNumber::parse(&number).unwrap(), id.to_18());
    }

    #[test]
    fn every_single_substitution_is_rejected((number, _, _, _) in valid_18(), position in 0usize..18) {
        let original = number.as_bytes()[position];
        for replacement in b"0123456789X".iter().copied().filter(|&c| c != original) {
            let mut typo = number.clone().into_bytes();
            typo[position] = replacement;
            let typo = String::from_utf8(typo).unwrap();
            prop_assert!(IdNumber::parse(&typo).is_err(), "{} accepted", typo);
        }
    }

    #[test]
    fn every_adjacent_swap_is_rejected((number, _, _, _) in valid_18(), position in 0usize..17) {
        let mut swapped = number.clone().into_bytes();
        prop_assume!(swapped[position] != swapped[position + 1]);
        swapped.swap(position, position + 1);
        let swapped = String::from_utf8(swapped).unwrap();
        prop_assert!(IdNumber::parse(&swapped).is_err(), "{} accepted", swapped);
    }
}
