//! Chinese ID numbers: GB 11643-1999 (18 characters) and GB 11643-1989 (15 digits).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};

use crate::IdError;
use crate::region::{self, Region, RegionRecord, TAIWAN_PERMIT_CODE};

/// The earliest birth year accepted.
///
/// Resident ID cards were first issued in 1984–1985, and nobody is known to have lived past 122,
/// so a person born before 1860 would have been older than anyone ever recorded when the first
/// cards were made. The bound sits well below that (real records of people born in the 1880s
/// exist, e.g. `440524188001010014`), because rejecting a real person costs more than one paid
/// call.
pub const EARLIEST_BIRTH_YEAR: u16 = 1860;

/// ISO 7064 MOD 11-2 weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each weighted sum modulo 11.
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// The MOD 11-2 check character of the first 17 digits (ASCII `0`–`9`).
fn check_char(first17: &[u8; 17]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// What kind of document an 18-character number belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdKind {
    /// Resident identity card (居民身份证), 18 or 15 characters.
    Resident,
    /// Residence permit for Hong Kong residents (港澳台居民居住证), address code 810000.
    HongKongPermit,
    /// Residence permit for Macau residents, address code 820000.
    MacauPermit,
    /// Residence permit for Taiwan residents, address code 830000 (not a GB/T 2260 code).
    TaiwanPermit,
    /// Foreigners' permanent residence ID card, 2023 edition: starts with 9, then the issuing
    /// province, a three-digit nationality code, the birthday, a sequence and the check character.
    ForeignPermanentResident,
}

impl IdKind {
    /// A short English description, e.g. `resident ID`.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Resident => "resident ID",
            Self::HongKongPermit => "Hong Kong residents' residence permit",
            Self::MacauPermit => "Macau residents' residence permit",
            Self::TaiwanPermit => "Taiwan residents' residence permit",
            Self::ForeignPermanentResident => "foreigners' permanent residence ID (2023 edition)",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Sex as encoded by the parity of the sequence code (odd: male).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd sequence digit.
    Male,
    /// Even sequence digit.
    Female,
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Male => "male",
            Self::Female => "female",
        })
    }
}

/// How an ID number is checked. The default rejects only what is certainly wrong.
///
/// ```
/// use idcheck_core::IdParser;
/// let strict = IdParser::new().strict(true);
/// // 342401 was abolished in 1999; real, verified people born later carry it anyway.
/// assert!(IdParser::new().parse("342401200101010019").is_ok());
/// assert!(strict.parse("342401200101010019").is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdParser {
    strict: bool,
    /// A fixed "today" as `yyyymmdd` (see `Ymd::packed`), converted once rather than per parse.
    today: Option<u32>,
}

impl IdParser {
    /// Lenient rules, today's date from the system clock (China Standard Time).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            strict: false,
            today: None,
        }
    }

    /// Strict rules also reject an address code that is not in the region table, and a birth
    /// year after the year the address code was abolished. Real numbers break both (a code the
    /// sources missed; 342401, abolished 1999, on a verified person born 2001), so this is off
    /// by default.
    #[must_use]
    pub const fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Judge "birthday in the future" against this date instead of the clock.
    #[must_use]
    pub fn today(mut self, today: NaiveDate) -> Self {
        self.today = Some(Ymd::from_date(today).packed());
        self
    }

    /// Parse an ID number as people type it: surrounding whitespace, full-width digits and a
    /// lower-case or full-width `X` are accepted.
    ///
    /// # Errors
    /// The first thing found wrong, most precise first: length or a stray character, then an
    /// unknown province, an impossible or implausible birthday, the check character, and in
    /// strict mode the address code.
    pub fn parse(&self, input: &str) -> Result<IdNumber, IdError> {
        let (digits, len) = normalize(input)?;
        let foreign = len == 18 && digits[0] == b'9';
        let province = u32::from(digits[0] - b'0') * 10 + u32::from(digits[1] - b'0');
        if !foreign && !region::is_known_province(province) && !is_taiwan_permit(&digits, len) {
            #[allow(clippy::cast_possible_truncation)] // two digits
            return Err(IdError::UnknownProvince {
                code: province as u8,
            });
        }

        let birthday = self.birthday(&digits, len)?;

        if len == 18 {
            let first17: &[u8; 17] = digits[..17].try_into().unwrap_or(&[b'0'; 17]);
            let expected = check_char(first17);
            if digits[17] != expected {
                return Err(IdError::CheckCharacter {
                    expected: char::from(expected),
                    found: char::from(digits[17]),
                });
            }
        }

        let code = six_digits(&digits);
        let kind = if foreign {
            IdKind::ForeignPermanentResident
        } else if len == 15 {
            IdKind::Resident
        } else {
            match code {
                810_000 => IdKind::HongKongPermit,
                820_000 => IdKind::MacauPermit,
                TAIWAN_PERMIT_CODE => IdKind::TaiwanPermit,
                _ => IdKind::Resident,
            }
        };
        let region = if foreign { None } else { region::record(code) };

        if self.strict && !foreign {
            let Some(record) = region else {
                return Err(IdError::UnknownRegion { code });
            };
            if let Some(abolished_in) = record.abolished_in() {
                if birthday.year > abolished_in {
                    return Err(IdError::BornAfterRegionAbolished { code, abolished_in });
                }
            }
        }

        Ok(IdNumber {
            digits,
            len,
            kind,
            birthday,
            region,
        })
    }

    fn birthday(self, digits: &[u8; 18], len: u8) -> Result<Ymd, IdError> {
        let (year, month, day) = if len == 18 {
            (
                number(&digits[6..10]),
                number(&digits[10..12]),
                number(&digits[12..14]),
            )
        } else {
            (
                1900 + number(&digits[6..8]),
                number(&digits[8..10]),
                number(&digits[10..12]),
            )
        };
        #[allow(clippy::cast_possible_truncation)] // at most four digits
        let date = Ymd {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        };
        if !date.is_calendar_date() {
            return Err(IdError::ImpossibleDate {
                year: date.year,
                month: date.month,
                day: date.day,
            });
        }
        if date.year < EARLIEST_BIRTH_YEAR {
            return Err(IdError::BirthdayTooEarly {
                earliest_year: EARLIEST_BIRTH_YEAR,
            });
        }
        let future = match self.today {
            Some(today) => date.packed() > today,
            None => after_today(date),
        };
        if future {
            return Err(IdError::BirthdayInFuture);
        }
        Ok(date)
    }
}

fn is_taiwan_permit(digits: &[u8; 18], len: u8) -> bool {
    len == 18 && six_digits(digits) == TAIWAN_PERMIT_CODE
}

fn number(ascii_digits: &[u8]) -> u32 {
    ascii_digits
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn six_digits(digits: &[u8; 18]) -> u32 {
    number(&digits[..6])
}

/// A calendar date as the number spells it; cheaper to check and compare than a `NaiveDate`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Ymd {
    year: u16,
    month: u8,
    day: u8,
}

impl Ymd {
    const fn is_calendar_date(self) -> bool {
        let leap = self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0);
        let days = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        self.day >= 1 && self.day <= days
    }

    /// `yyyymmdd` as one integer, ordered like the dates.
    const fn packed(self) -> u32 {
        self.year as u32 * 10_000 + self.month as u32 * 100 + self.day as u32
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to 0..=9999
    fn from_date(date: NaiveDate) -> Self {
        Self {
            year: date.year().clamp(0, 9999) as u16,
            month: date.month() as u8,
            day: date.day() as u8,
        }
    }

    fn to_date(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(
            i32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        )
        .unwrap_or(NaiveDate::MIN)
    }
}

/// A day (`yyyymmdd`) known to be today or earlier. Days only move forward, so once the clock has
/// said "today is D", every birthday up to D is in the past without asking again: the clock is
/// read only for birthdays after the last day seen, which keeps `parse` free of a system call
/// per number.
static KNOWN_PAST_DAY: AtomicU32 = AtomicU32::new(0);

fn after_today(date: Ymd) -> bool {
    let day = date.packed();
    if day <= KNOWN_PAST_DAY.load(Ordering::Relaxed) {
        return false;
    }
    let today = Ymd::from_date(today_in_china()).packed();
    KNOWN_PAST_DAY.fetch_max(today, Ordering::Relaxed);
    day > today
}

/// Today's date in China Standard Time (UTC+8, no daylight saving): the "today" that
/// [`IdParser`] judges birthdays against, for callers that compute ages the same way.
#[must_use]
pub fn today_in_china() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(8)).date_naive()
}

/// Whether all eight bytes are ASCII digits: each byte must be 0x30..=0x39, i.e. have high nibble
/// 3, and keep it after adding 6 (no byte can carry into the next: 0x3F + 6 < 0x100).
fn eight_digits(chunk: &[u8]) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
        return false;
    };
    let x = u64::from_le_bytes(chunk);
    x & HIGH_NIBBLES == THREES && x.wrapping_add(SIXES) & HIGH_NIBBLES == THREES
}

/// Turn what people type into ASCII digits: trim whitespace (including the ideographic space),
/// map full-width digits and `x`/`Ｘ`/`ｘ` to `0`–`9`/`X`. Allocates nothing.
fn normalize(input: &str) -> Result<([u8; 18], u8), IdError> {
    let bytes = input.as_bytes();
    // Fast path: ASCII digits as a machine writes them, checked eight bytes at a time.
    if let Ok(all) = <&[u8; 18]>::try_from(bytes) {
        if eight_digits(&all[..8]) && eight_digits(&all[8..16]) && all[16].is_ascii_digit() {
            match all[17] {
                b'0'..=b'9' => return Ok((*all, 18)),
                b'X' | b'x' => {
                    let mut digits = *all;
                    digits[17] = b'X';
                    return Ok((digits, 18));
                }
                _ => {}
            }
        }
    } else if let Ok(first) = <&[u8; 15]>::try_from(bytes) {
        if eight_digits(&first[..8]) && eight_digits(&first[7..]) {
            let mut digits = [b'0'; 18];
            digits[..15].copy_from_slice(first);
            return Ok((digits, 15));
        }
    } else if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        // One ASCII byte is one character.
        return Err(IdError::WrongLength { found: bytes.len() });
    }

    let leading = input.chars().take_while(|c| c.is_whitespace()).count();
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty);
    }
    let mut digits = [b'0'; 18];
    let mut count = 0usize;
    let mut x_at: Option<usize> = None;
    for (i, c) in trimmed.chars().enumerate() {
        let ascii = match c {
            '0'..='9' => c as u8,
            #[allow(clippy::cast_possible_truncation)] // 0..=9
            '０'..='９' => b'0' + (u32::from(c) - u32::from('０')) as u8,
            'X' | 'x' | 'Ｘ' | 'ｘ' => {
                x_at.get_or_insert(i);
                b'X'
            }
            _ => {
                return Err(IdError::NonDigit {
                    position: leading + i + 1,
                    found: c,
                });
            }
        };
        if i < 18 {
            digits[i] = ascii;
        }
        count = i + 1;
    }
    if count != 18 && count != 15 {
        return Err(IdError::WrongLength { found: count });
    }
    if let Some(i) = x_at {
        if count != 18 || i != 17 {
            return Err(IdError::NonDigit {
                position: leading + i + 1,
                found: trimmed.chars().nth(i).unwrap_or('X'),
            });
        }
    }
    #[allow(clippy::cast_possible_truncation)] // 15 or 18
    Ok((digits, count as u8))
}

/// A valid Chinese ID number: GB 11643-1999 (18 characters, check character verified) or
/// GB 11643-1989 (15 digits, born in the 1900s).
///
/// Parse, don't validate: once you hold one, it is valid. It is `Copy`, stores the characters
/// inline and allocates nothing. `Debug` and `Display` show only the masked form
/// (`110105********002X`); [`as_str`](Self::as_str) gives the full value, explicitly.
///
/// ```
/// use idcheck_core::{IdNumber, Sex};
/// let id = IdNumber::parse("11010519491231002X")?;
/// assert_eq!(id.sex(), Sex::Female);
/// assert_eq!(id.birthday().to_string(), "1949-12-31");
/// assert_eq!(id.to_string(), "110105********002X");
/// # Ok::<(), idcheck_core::IdError>(())
/// ```
#[derive(Clone, Copy)]
pub struct IdNumber {
    /// ASCII characters; a 15-digit number uses the first 15.
    digits: [u8; 18],
    len: u8,
    kind: IdKind,
    birthday: Ymd,
    region: Option<&'static RegionRecord>,
}

impl IdNumber {
    /// Parse with the default, lenient rules (see [`IdParser`]).
    ///
    /// # Errors
    /// [`IdError`] says precisely what is wrong.
    #[inline]
    pub fn parse(input: &str) -> Result<Self, IdError> {
        IdParser::new().parse(input)
    }

    /// The kind of document.
    #[must_use]
    pub const fn kind(&self) -> IdKind {
        self.kind
    }

    /// Whether this is a first-generation 15-digit number.
    #[must_use]
    pub const fn is_15_digit(&self) -> bool {
        self.len == 15
    }

    /// The birthday the number encodes.
    #[must_use]
    pub fn birthday(&self) -> NaiveDate {
        self.birthday.to_date()
    }

    /// Sex, from the parity of the sequence code.
    #[must_use]
    pub const fn sex(&self) -> Sex {
        let digit = if self.len == 18 {
            self.digits[16]
        } else {
            self.digits[14]
        };
        if (digit - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `date`, or `None` if `date` is before the birthday.
    #[must_use]
    pub fn age_on(&self, date: NaiveDate) -> Option<u32> {
        let b = self.birthday();
        let years =
            date.year() - b.year() - i32::from((date.month(), date.day()) < (b.month(), b.day()));
        u32::try_from(years).ok()
    }

    /// The six-digit address code (for a foreigners' permanent residence ID: `9`, the issuing
    /// province and the nationality code).
    #[must_use]
    pub fn address_code(&self) -> u32 {
        six_digits(&self.digits)
    }

    /// What the address code says, with names as they were in the birth year; `None` for a
    /// foreigners' permanent residence ID, whose leading digits are not a GB/T 2260 code.
    #[must_use]
    pub fn region(&self) -> Option<Region> {
        (self.kind != IdKind::ForeignPermanentResident)
            .then(|| Region::from_record(self.address_code(), self.birthday.year, self.region))
    }

    /// For a foreigners' permanent residence ID: the three-digit nationality code (digits 4–6).
    #[must_use]
    pub fn nationality_code(&self) -> Option<u16> {
        #[allow(clippy::cast_possible_truncation)] // three digits
        (self.kind == IdKind::ForeignPermanentResident).then(|| number(&self.digits[3..6]) as u16)
    }

    /// The full number, explicitly. Prefer [`masked`](Self::masked) for anything that may be
    /// logged or shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The masked form: the address code and the last four characters, e.g. `110105********002X`
    /// (for a 15-digit number the last three, `130503******001`, so that no birthday digit shows).
    #[must_use]
    pub fn masked(&self) -> MaskedId {
        let len = usize::from(self.len);
        let mut bytes = self.digits;
        for b in &mut bytes[6..len - if len == 18 { 4 } else { 3 }] {
            *b = b'*';
        }
        MaskedId {
            bytes,
            len: self.len,
        }
    }

    /// The 18-character form: a 15-digit number gains `19` in its year and a check character.
    #[must_use]
    pub fn to_18(&self) -> Self {
        if self.len == 18 {
            return *self;
        }
        let mut first17 = [b'0'; 17];
        first17[..6].copy_from_slice(&self.digits[..6]);
        first17[6..8].copy_from_slice(b"19");
        first17[8..17].copy_from_slice(&self.digits[6..15]);
        let mut digits = [b'0'; 18];
        digits[..17].copy_from_slice(&first17);
        digits[17] = check_char(&first17);
        Self {
            digits,
            len: 18,
            ..*self
        }
    }
}

impl PartialEq for IdNumber {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for IdNumber {}

impl std::hash::Hash for IdNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for IdNumber {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdNumber {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// The masked form, never the full number.
impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.masked(), f)
    }
}

impl FromStr for IdNumber {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for IdNumber {
    type Error = IdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

/// The masked form of an ID number (`110105********002X`), stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaskedId {
    bytes: [u8; 18],
    len: u8,
}

impl MaskedId {
    /// The masked text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for MaskedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for MaskedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Serializes as the full number (a serialized `IdNumber` must round-trip); deserializing parses
/// with the lenient rules, so an invalid number never deserializes.
#[cfg(feature = "serde")]
impl serde::Serialize for IdNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for IdNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IdNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Chinese ID number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IdNumber, E> {
                IdNumber::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn eight_digits_accepts_only_ascii_digits() {
        assert!(eight_digits(b"01234567"));
        assert!(eight_digits(b"99999999"));
        for bad in 0..=255u8 {
            let expected = bad.is_ascii_digit();
            for position in 0..8 {
                let mut chunk = *b"55555555";
                chunk[position] = bad;
                assert_eq!(eight_digits(&chunk), expected, "{bad:#x} at {position}");
            }
        }
        assert!(!eight_digits(b"1234567"));
    }

    #[test]
    fn check_char_of_known_numbers() {
        assert_eq!(check_char(b"11010519491231002"), b'X');
        assert_eq!(check_char(b"44052418800101001"), b'4');
    }

    #[test]
    fn age_counts_whole_years() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.age_on(date(1949, 12, 30)), None);
        assert_eq!(id.age_on(date(1949, 12, 31)), Some(0));
        assert_eq!(id.age_on(date(2026, 12, 30)), Some(76));
        assert_eq!(id.age_on(date(2026, 12, 31)), Some(77));
    }

    #[test]
    fn future_check_follows_the_clock_and_the_override() {
        let tomorrow = today_in_china() + TimeDelta::days(1);
        let first17 = format!("110105{}001", tomorrow.format("%Y%m%d"));
        let check = char::from(check_char(first17.as_bytes().try_into().unwrap()));
        let number = format!("{first17}{check}");
        assert_eq!(
            IdNumber::parse(&number).unwrap_err(),
            IdError::BirthdayInFuture
        );
        assert!(IdParser::new().today(tomorrow).parse(&number).is_ok());
        // Today itself is not the future.
        let today_parser = IdParser::new().today(tomorrow - TimeDelta::days(1));
        assert_eq!(
            today_parser.parse(&number).unwrap_err(),
            IdError::BirthdayInFuture
        );
    }
}
