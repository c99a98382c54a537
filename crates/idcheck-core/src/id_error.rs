//! Why a string is not an ID number.

/// Why a string is not a valid ID number. Each variant is something a UI can show as is; none
/// carries the number itself. Positions count characters from 1 in the input as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Nothing but whitespace.
    #[error("empty ID number")]
    Empty,
    /// Not 15 or 18 characters once surrounding whitespace is removed.
    #[error("wrong length: expected 18 (or 15) characters, found {found}")]
    WrongLength {
        /// How many characters were found.
        found: usize,
    },
    /// A character that is not a digit (or the final `X` of an 18-character number).
    #[error("not a digit at position {position}: {found:?}")]
    NonDigit {
        /// 1-based character position in the input.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The ISO 7064 MOD 11-2 check character does not match: a typo somewhere.
    #[error("check character expected {expected}, found {found}")]
    CheckCharacter {
        /// What the first 17 digits call for.
        expected: char,
        /// What the input has.
        found: char,
    },
    /// The birthday digits are not a calendar date (month 13, 30 February, 1900-02-29 …). It
    /// says which part is wrong, never the digits: with the rest of a masked number, they would
    /// give much of it back.
    #[error("impossible birthday: {part}")]
    ImpossibleDate {
        /// Which part of the date is wrong.
        part: DatePart,
    },
    /// A number a spreadsheet stored as a number and shows in scientific notation
    /// (`1.10105E+17`): the last digits are gone, and no check can bring them back.
    #[error(
        "stored as a number by Excel: its last digits are lost; format the column as Text and re-enter the numbers, or export from the source system"
    )]
    StoredAsNumber,
    /// The birthday is after today (China Standard Time).
    #[error("birthday in the future")]
    BirthdayInFuture,
    /// The birthday is before the oldest plausible one ([`EARLIEST_BIRTH_YEAR`](crate::EARLIEST_BIRTH_YEAR)).
    #[error("birthday before {earliest_year}: nobody that old was ever issued an ID number")]
    BirthdayTooEarly {
        /// The earliest accepted birth year.
        earliest_year: u16,
    },
    /// The first two digits are not a GB/T 2260 province.
    #[error("unknown province code {code:02}")]
    UnknownProvince {
        /// The two-digit province code.
        code: u8,
    },
    /// A foreigners' permanent residence ID (2023 edition) whose digits 2–3, the province that
    /// issued it, are not a GB/T 2260 province-level code.
    #[error("unknown issuing province code {code:02} in a foreigners' permanent residence ID")]
    UnknownIssuingProvince {
        /// The two-digit code (digits 2–3).
        code: u8,
    },
    /// Strict parsing only: a foreigners' permanent residence ID whose nationality code (digits
    /// 4–6) is not an assigned ISO 3166-1 numeric code.
    #[error("nationality code {code:03} is not an assigned ISO 3166-1 code (strict)")]
    UnknownNationality {
        /// The three-digit nationality code.
        code: u16,
    },
    /// Strict parsing only: a foreigners' permanent residence ID whose nationality code is 156,
    /// China.
    #[error(
        "nationality code 156 is China, which a foreigners' permanent residence ID cannot carry (strict)"
    )]
    ChineseNationality,
    /// Strict parsing only: the address code is not in the region table.
    #[error("unknown address code {code:06} (strict)")]
    UnknownRegion {
        /// The six-digit address code.
        code: u32,
    },
    /// Strict parsing only: born after the year the address code was abolished.
    #[error(
        "address code {code:06} was abolished in {abolished_in}, before the birth year (strict)"
    )]
    BornAfterRegionAbolished {
        /// The six-digit address code.
        code: u32,
        /// The year the code was abolished.
        abolished_in: u16,
    },
}

/// The part of an impossible birthday that is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatePart {
    /// The month is not 01 to 12.
    Month,
    /// The day is 00, or past the end of its month.
    Day,
    /// 29 February of a year that is not a leap year.
    LeapDay,
}

impl std::fmt::Display for DatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Month => "the month is not 01 to 12",
            Self::Day => "the day does not exist in its month",
            Self::LeapDay => "a leap day in a year that is not a leap year",
        })
    }
}
