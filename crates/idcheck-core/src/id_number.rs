//! Chinese ID numbers: GB 11643-1999 (18 characters) and GB 11643-1989 (15 digits).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Datelike, Days, NaiveDate, TimeDelta, Utc};

use crate::region::{self, Region, RegionRecord, TAIWAN_PERMIT_CODE};
use crate::{IdError, Nationality, NationalityStatus};

/// The earliest birth year accepted.
///
/// Resident ID cards were first issued in 1984–1985, and nobody is known to have lived past 122,
/// so a person born before 1860 would have been older than anyone ever recorded when the first
/// cards were made. The bound sits well below that (real records of people born in the 1880s
/// exist, e.g. `440524188001010014`), because rejecting a real person costs more than one paid
/// call.
pub const EARLIEST_BIRTH_YEAR: u16 = 1860;

/// The year the foreigners' permanent residence ID took its current form (the 2023 edition):
/// [`IdNumber::issuing_province`] names provinces as they were then.
pub const FOREIGN_ID_EDITION_YEAR: u16 = 2023;

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
    /// unknown province (for a foreigners' permanent residence ID, an unknown issuing province),
    /// an impossible or implausible birthday, the check character, and in strict mode the
    /// address code (or the nationality code).
    pub fn parse(&self, input: &str) -> Result<IdNumber, IdError> {
        self.parse_inline(input)
    }

    /// [`parse`](Self::parse), inlined: [`IdNumber::parse`] gets its own copy in which the
    /// default rules (lenient, the clock's today) are constants, so their branches disappear.
    #[inline(always)]
    #[allow(clippy::inline_always)] // two copies on purpose (measured)
    fn parse_inline(self, input: &str) -> Result<IdNumber, IdError> {
        let bytes = input.as_bytes();
        let decided = if let Ok(bytes) = <&[u8; 18]>::try_from(bytes) {
            self.parse_ascii_18(bytes)
        } else if let Ok(bytes) = <&[u8; 15]>::try_from(bytes) {
            self.parse_ascii_15(bytes)
        } else if !bytes.is_empty() && all_ascii_digits(bytes) {
            // One ASCII byte is one character.
            return Err(IdError::WrongLength { found: bytes.len() });
        } else {
            return self.parse_general(input);
        };
        if matches!(decided, Err(IdError::Empty)) {
            return self.parse_general(input);
        }
        decided
    }

    /// The general path: normalise what people type, then check the digits one by one.
    #[inline(never)]
    fn parse_general(self, input: &str) -> Result<IdNumber, IdError> {
        let (digits, len) = normalize(input).map_err(|e| {
            if looks_like_a_number_in_scientific_notation(input) {
                IdError::StoredAsNumber
            } else {
                e
            }
        })?;
        let code = six_digits(&digits);
        if len == 18 && digits[0] == b'9' {
            let issuing = number(&digits[1..3]);
            if !region::is_known_province(issuing) {
                #[allow(clippy::cast_possible_truncation)] // two digits
                return Err(IdError::UnknownIssuingProvince {
                    code: issuing as u8,
                });
            }
        } else {
            let province = code / 10_000;
            if !(region::is_known_province(province) || len == 18 && code == TAIWAN_PERMIT_CODE) {
                #[allow(clippy::cast_possible_truncation)] // two digits
                return Err(IdError::UnknownProvince {
                    code: province as u8,
                });
            }
        }

        let birthday = if len == 18 {
            Ymd::new(
                number(&digits[6..10]),
                number(&digits[10..12]),
                number(&digits[12..14]),
            )
        } else {
            Ymd::new(
                1900 + number(&digits[6..8]),
                number(&digits[8..10]),
                number(&digits[10..12]),
            )
        };
        self.check_birthday(birthday)?;

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
        if len == 18 && digits[0] == b'9' {
            return self.finish_foreign(digits, birthday);
        }
        self.finish(digits, len, code, birthday)
    }

    /// The fast path for the common case, exactly 18 ASCII bytes: the digit check, the address
    /// code, the birthday and the MOD 11-2 sum all come from two 64-bit words, a few multiplies
    /// and no per-digit loop. [`UNDECIDED`] for anything else — a byte that is not a digit, a
    /// last character other than a digit or `X`/`x`, a foreigners' permanent residence ID —
    /// which the general path then parses; every result it does give is the one the general
    /// path gives (a property test checks this on every kind of input).
    #[inline(always)]
    #[allow(clippy::inline_always)] // one body per path, no moves of the result between calls (measured)
    fn parse_ascii_18(self, bytes: &[u8; 18]) -> Result<IdNumber, IdError> {
        let w1 = word(bytes, 0);
        let w2 = word(bytes, 8);
        let last = bytes[17];
        let check = if last.is_ascii_digit() {
            last
        } else if last | 0x20 == b'x' {
            b'X'
        } else {
            return UNDECIDED;
        };
        if !(is_eight_digits(w1) && is_eight_digits(w2) && bytes[16].is_ascii_digit())
            || bytes[0] == b'9'
        {
            return UNDECIDED;
        }
        // Digit values, one per byte (every byte is at least b'0': no borrow).
        let d1 = w1 - ASCII_ZEROS;
        let d2 = w2 - ASCII_ZEROS;
        // Two-digit numbers, one per 16-bit lane: `10 * b[2k] + b[2k + 1]`.
        let p1 = digit_pairs(d1);
        let p2 = digit_pairs(d2);
        let province = lane(p1, 0);
        let code = province * 10_000 + lane(p1, 1) * 100 + lane(p1, 2);
        #[allow(clippy::cast_possible_truncation)] // a lane is one byte
        if !region::is_known_province_byte(province as u8) && code != TAIWAN_PERMIT_CODE {
            #[allow(clippy::cast_possible_truncation)] // two digits
            return Err(IdError::UnknownProvince {
                code: province as u8,
            });
        }
        let birthday = Ymd::new(lane(p1, 3) * 100 + lane(p2, 0), lane(p2, 1), lane(p2, 2));
        self.check_birthday(birthday)?;
        let sum = weighted_sum(d1, d2) + 2 * u32::from(bytes[16] - b'0');
        let expected = CHECK_CHARS[(sum % 11) as usize];
        if check != expected {
            return Err(IdError::CheckCharacter {
                expected: char::from(expected),
                found: char::from(check),
            });
        }
        let mut digits = *bytes;
        digits[17] = check;
        self.finish(digits, 18, code, birthday)
    }

    /// The fast path for exactly 15 ASCII bytes (first generation): the same words as
    /// [`parse_ascii_18`](Self::parse_ascii_18), without a check character. [`UNDECIDED`]
    /// unless all 15 are digits.
    #[inline(always)]
    #[allow(clippy::inline_always)] // one body per path, no moves of the result between calls (measured)
    fn parse_ascii_15(self, bytes: &[u8; 15]) -> Result<IdNumber, IdError> {
        let Some((&w1, &w2)) = bytes.first_chunk::<8>().zip(bytes.last_chunk::<8>()) else {
            return UNDECIDED;
        };
        let w1 = u64::from_le_bytes(w1);
        // Bytes 7..15, shifted so that byte 8 is lowest (the top byte becomes 0).
        let w2 = u64::from_le_bytes(w2);
        if !(is_eight_digits(w1) && is_eight_digits(w2)) {
            return UNDECIDED;
        }
        let p1 = digit_pairs(w1 - ASCII_ZEROS);
        let p2 = digit_pairs((w2 - ASCII_ZEROS) >> 8);
        let province = lane(p1, 0);
        #[allow(clippy::cast_possible_truncation)] // a lane is one byte
        if !region::is_known_province_byte(province as u8) {
            #[allow(clippy::cast_possible_truncation)] // two digits
            return Err(IdError::UnknownProvince {
                code: province as u8,
            });
        }
        let code = province * 10_000 + lane(p1, 1) * 100 + lane(p1, 2);
        let birthday = Ymd::new(1900 + lane(p1, 3), lane(p2, 0), lane(p2, 1));
        self.check_birthday(birthday)?;
        let mut digits = [b'0'; 18];
        digits[..15].copy_from_slice(bytes);
        self.finish(digits, 15, code, birthday)
    }

    /// The calendar, the earliest plausible year and the future, in that order.
    #[inline(always)]
    #[allow(clippy::inline_always)] // one body per path, no moves of the result between calls (measured)
    fn check_birthday(self, date: Ymd) -> Result<(), IdError> {
        if !date.is_calendar_date() {
            return Err(IdError::ImpossibleDate {
                part: date.wrong_part(),
            });
        }
        if date.year < EARLIEST_BIRTH_YEAR {
            return Err(IdError::BirthdayTooEarly {
                earliest_year: EARLIEST_BIRTH_YEAR,
            });
        }
        let future = match self.today {
            Some(today) => date.packed() > today,
            None => after_today(date.packed()),
        };
        if future {
            return Err(IdError::BirthdayInFuture);
        }
        Ok(())
    }

    /// The kind, the region record and the strict rules, once the digits are known to be right
    /// (not for a foreigners' permanent residence ID: see `finish_foreign`).
    #[inline(always)]
    #[allow(clippy::inline_always)] // one body per path, no moves of the result between calls (measured)
    fn finish(
        self,
        digits: [u8; 18],
        len: u8,
        code: u32,
        birthday: Ymd,
    ) -> Result<IdNumber, IdError> {
        let kind = if len == 15 || code < 810_000 {
            IdKind::Resident
        } else {
            match code {
                810_000 => IdKind::HongKongPermit,
                820_000 => IdKind::MacauPermit,
                TAIWAN_PERMIT_CODE => IdKind::TaiwanPermit,
                _ => IdKind::Resident,
            }
        };
        let region = region::record(code);
        if self.strict {
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

    #[cold]
    fn finish_foreign(self, digits: [u8; 18], birthday: Ymd) -> Result<IdNumber, IdError> {
        if self.strict {
            let nationality = nationality_of(&digits);
            match nationality.status() {
                NationalityStatus::Unassigned => {
                    return Err(IdError::UnknownNationality {
                        code: nationality.numeric(),
                    });
                }
                NationalityStatus::China => return Err(IdError::ChineseNationality),
                _ => {}
            }
        }
        Ok(IdNumber {
            digits,
            len: 18,
            kind: IdKind::ForeignPermanentResident,
            birthday,
            region: None,
        })
    }
}

/// What a fast path returns when it leaves the input to the general path. It never decides
/// `Empty` itself (its input is 15 or 18 bytes, all digits), so the value is free to mean this.
const UNDECIDED: Result<IdNumber, IdError> = Err(IdError::Empty);

/// Eight bytes of the input as one little-endian word (byte `at` in the low byte).
#[inline]
fn word(bytes: &[u8; 18], at: usize) -> u64 {
    bytes[at..at + 8].try_into().map_or(0, u64::from_le_bytes)
}

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;
/// The low byte of each 16-bit lane.
const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;

/// Eight digit values (one per byte, first digit lowest) to four two-digit numbers, one per
/// 16-bit lane. No byte overflows: `10 * 9 + 9 < 256`.
#[inline]
const fn digit_pairs(digits: u64) -> u64 {
    (digits * 10 + (digits >> 8)) & LOW_BYTES
}

/// Lane `k` (0–3) of [`digit_pairs`]: the number made of digits `2k` and `2k + 1`.
#[inline]
#[allow(clippy::cast_possible_truncation)] // masked to 8 bits
const fn lane(pairs: u64, k: u32) -> u32 {
    (pairs >> (16 * k)) as u32 & 0xFF
}

/// Multipliers that put a weighted sum of four 16-bit lanes into the top lane: lane `j` holds
/// the weight of lane `3 - j`'s digit, so the product's top lane is `Σ digit[k] * weight[k]`.
/// The lanes below it hold partial sums of at most 4 × 9 × 10 = 360 each, which never carry
/// into the top lane; adding the four products keeps every lane under 4 × 360.
const fn lane_weights(first: usize) -> u64 {
    (WEIGHTS[first + 6] as u64)
        | (WEIGHTS[first + 4] as u64) << 16
        | (WEIGHTS[first + 2] as u64) << 32
        | (WEIGHTS[first] as u64) << 48
}
const W_EVEN_1: u64 = lane_weights(0);
const W_ODD_1: u64 = lane_weights(1);
const W_EVEN_2: u64 = lane_weights(8);
const W_ODD_2: u64 = lane_weights(9);

/// The MOD 11-2 weighted sum of the first 16 digits, from their digit values in two words.
#[inline]
#[allow(clippy::cast_possible_truncation)] // the top 16-bit lane
const fn weighted_sum(d1: u64, d2: u64) -> u32 {
    let sum = (d1 & LOW_BYTES).wrapping_mul(W_EVEN_1)
        + ((d1 >> 8) & LOW_BYTES).wrapping_mul(W_ODD_1)
        + (d2 & LOW_BYTES).wrapping_mul(W_EVEN_2)
        + ((d2 >> 8) & LOW_BYTES).wrapping_mul(W_ODD_2);
    (sum >> 48) as u32
}

fn nationality_of(digits: &[u8; 18]) -> Nationality {
    #[allow(clippy::cast_possible_truncation)] // three digits
    Nationality::lookup(number(&digits[3..6]) as u16)
}

fn number(ascii_digits: &[u8]) -> u32 {
    ascii_digits
        .iter()
        .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn six_digits(digits: &[u8; 18]) -> u32 {
    number(&digits[..6])
}

/// `1.10105E+17`, `1.1e17`, `1E+17`: how a spreadsheet shows (and a CSV saved from it keeps) a
/// long number stored as a number, its last digits already lost.
fn looks_like_a_number_in_scientific_notation(input: &str) -> bool {
    let text = input.trim().as_bytes();
    let Some(e) = text.iter().position(|b| matches!(b, b'e' | b'E')) else {
        return false;
    };
    let (mantissa, exponent) = (&text[..e], &text[e + 1..]);
    let exponent = exponent.strip_prefix(b"+").unwrap_or(exponent);
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    !whole.is_empty()
        && whole.iter().all(u8::is_ascii_digit)
        && fraction.iter().all(u8::is_ascii_digit)
        && (1..=3).contains(&exponent.len())
        && exponent.iter().all(u8::is_ascii_digit)
}

/// A calendar date as the number spells it; cheaper to check and compare than a `NaiveDate`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(test, derive(Debug))]
struct Ymd {
    year: u16,
    month: u8,
    day: u8,
}

impl Ymd {
    /// From the digits' values: a year of at most four digits, a month and a day of two.
    #[inline]
    #[allow(clippy::cast_possible_truncation)] // at most four digits
    const fn new(year: u32, month: u32, day: u32) -> Self {
        Self {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Whether the date exists. The leap-year rule is worked out only for 29 February.
    #[inline(always)]
    #[allow(clippy::inline_always)] // hot, small, and otherwise left out of line (measured)
    const fn is_calendar_date(self) -> bool {
        // Days in each month (29 for February), 0 for a month that does not exist; 256 entries,
        // so that the month byte indexes it without a bounds check.
        const DAYS: [u8; 256] = {
            let mut days = [0u8; 256];
            let months = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let mut m = 0;
            while m < 12 {
                days[m + 1] = months[m];
                m += 1;
            }
            days
        };
        if self.day.wrapping_sub(1) >= DAYS[self.month as usize] {
            return false;
        }
        let year = self.year;
        self.month != 2 || self.day != 29 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    }

    /// Which part makes it no calendar date (when it is none).
    #[cold]
    const fn wrong_part(self) -> crate::DatePart {
        if self.month == 0 || self.month > 12 {
            crate::DatePart::Month
        } else if self.month == 2 && self.day == 29 {
            crate::DatePart::LeapDay
        } else {
            crate::DatePart::Day
        }
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
/// read only for birthdays after the last day seen.
static KNOWN_PAST_DAY: AtomicU32 = AtomicU32::new(0);

/// The last clock reading as a calendar day: the day's index since 1970-01-01 (China Standard
/// Time) in the high half, its `yyyymmdd` in the low half (0 until the clock is first read). A
/// birthday after [`KNOWN_PAST_DAY`] costs one clock read and an integer division, not a
/// conversion to a calendar date, unless the day has changed since.
static TODAY: AtomicU64 = AtomicU64::new(0);

/// Whether `day` (`yyyymmdd`) is after today: one relaxed load for the usual birthday, the clock
/// only for one after the last day seen.
#[inline(always)]
#[allow(clippy::inline_always)] // the common case is one load and one compare (measured)
fn after_today(day: u32) -> bool {
    day > KNOWN_PAST_DAY.load(Ordering::Relaxed) && after_today_by_the_clock(day)
}

#[inline(never)]
fn after_today_by_the_clock(day: u32) -> bool {
    let today = today_packed();
    if today > KNOWN_PAST_DAY.load(Ordering::Relaxed) {
        KNOWN_PAST_DAY.fetch_max(today, Ordering::Relaxed);
    }
    day > today
}

/// Today in China Standard Time as `yyyymmdd`.
fn today_packed() -> u32 {
    const CST_OFFSET_SECS: u64 = 8 * 3600;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day_index = (secs + CST_OFFSET_SECS) / 86_400;
    let cached = TODAY.load(Ordering::Relaxed);
    if cached != 0 && cached >> 32 == day_index {
        #[allow(clippy::cast_possible_truncation)] // the low half
        return cached as u32;
    }
    let date = NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(Days::new(day_index)))
        .unwrap_or(NaiveDate::MAX);
    let today = Ymd::from_date(date).packed();
    TODAY.store(day_index << 32 | u64::from(today), Ordering::Relaxed);
    today
}

/// Today's date in China Standard Time (UTC+8, no daylight saving): the "today" that
/// [`IdParser`] judges birthdays against, for callers that compute ages the same way.
#[must_use]
pub fn today_in_china() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(8)).date_naive()
}

/// Whether all eight bytes are ASCII digits: each byte must be 0x30..=0x39, i.e. have high nibble
/// 3, and keep it after adding 6 (no byte can carry into the next: 0x3F + 6 < 0x100).
#[inline]
const fn is_eight_digits(x: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    x & HIGH_NIBBLES == THREES && x.wrapping_add(SIXES) & HIGH_NIBBLES == THREES
}

/// [`is_eight_digits`] of a slice: false unless it is eight bytes long.
#[inline]
fn eight_digits(chunk: &[u8]) -> bool {
    <[u8; 8]>::try_from(chunk).is_ok_and(|chunk| is_eight_digits(u64::from_le_bytes(chunk)))
}

/// Whether every byte is an ASCII digit, eight at a time.
#[inline]
fn all_ascii_digits(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    chunks.by_ref().all(eight_digits) && chunks.remainder().iter().all(u8::is_ascii_digit)
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
    /// The 18 characters of `input` as people type them, in ASCII (whitespace trimmed,
    /// full-width digits and `x` mapped, as [`IdNumber::parse`] reads them), with nothing
    /// checked: for looking at the shape of a column of numbers (one Excel rounded ends every
    /// number in `000`) whether or not they are valid. `None` for anything but 18 such
    /// characters.
    ///
    /// ```
    /// use idcheck_core::IdNumber;
    /// assert_eq!(IdNumber::typed_digits("１１０１０５１９４９１２３１００００"), Some(*b"110105194912310000"));
    /// assert_eq!(IdNumber::typed_digits("1.10105E+17"), None);
    /// ```
    #[must_use]
    pub fn typed_digits(input: &str) -> Option<[u8; 18]> {
        match normalize(input) {
            Ok((digits, 18)) => Some(digits),
            _ => None,
        }
    }

    /// Parse with the default, lenient rules (see [`IdParser`]).
    ///
    /// # Errors
    /// [`IdError`] says precisely what is wrong.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        IdParser::new().parse_inline(input)
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
        self.nationality().map(|n| n.numeric())
    }

    /// For a foreigners' permanent residence ID: the nationality (digits 4–6, ISO 3166-1 numeric
    /// as in GB/T 2659), with its alpha-3 code and Chinese name. A code that is not assigned, or
    /// 156 (China), is reported by [`Nationality::status`] and rejected only in strict mode.
    ///
    /// ```
    /// use idcheck_core::IdNumber;
    /// let id = IdNumber::parse("911840199001010018")?;
    /// let nationality = id.nationality().unwrap();
    /// assert_eq!((nationality.numeric(), nationality.alpha3()), (840, Some("USA")));
    /// assert_eq!(nationality.name_zh(), Some("美国"));
    /// assert_eq!(id.issuing_province().unwrap().to_string(), "北京市");
    /// # Ok::<(), idcheck_core::IdError>(())
    /// ```
    #[must_use]
    pub fn nationality(&self) -> Option<Nationality> {
        (self.kind == IdKind::ForeignPermanentResident).then(|| nationality_of(&self.digits))
    }

    /// For a foreigners' permanent residence ID: the province that issued it (digits 2–3, a
    /// GB/T 2260 province-level code, always known), named as in [`FOREIGN_ID_EDITION_YEAR`].
    #[must_use]
    pub fn issuing_province(&self) -> Option<Region> {
        (self.kind == IdKind::ForeignPermanentResident)
            .then(|| Region::lookup(number(&self.digits[1..3]) * 10_000, FOREIGN_ID_EDITION_YEAR))
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
    use proptest::prelude::*;

    /// Everything a parse result says, field by field (`IdNumber`'s `==` compares the digits only).
    type Projection = Result<([u8; 18], u8, IdKind, Ymd, Option<u32>), IdError>;

    fn project(result: Result<IdNumber, IdError>) -> Projection {
        result.map(|id| {
            (
                id.digits,
                id.len,
                id.kind,
                id.birthday,
                id.region.map(|r| r.code),
            )
        })
    }

    /// 18-byte inputs that reach every branch of the fast path: real, random, residence-permit
    /// and foreign address codes; real, impossible, too early and future dates; right, wrong and
    /// lower-case check characters; now and then one byte replaced by any ASCII byte.
    fn eighteen_bytes() -> impl Strategy<Value = String> {
        let codes: Vec<u32> = region::all_codes().collect();
        let address = prop_oneof![
            4 => (0..codes.len()).prop_map(move |i| codes[i]),
            2 => 0u32..1_000_000,
            1 => prop::sample::select(vec![810_000u32, 820_000, 830_000, 710_000, 830_001]),
            2 => (0u32..100, 0u32..1000).prop_map(|(p, n)| 900_000 + p * 1000 + n),
        ];
        let date = prop_oneof![
            4 => (1850u32..2120, 1u32..=12, 1u32..=31),
            1 => (0u32..10_000, 0u32..100, 0u32..100),
            1 => (1896u32..2104, Just(2u32), 28u32..=30),
        ];
        (
            address,
            date,
            0u32..1000,
            0u8..4,
            any::<u8>(),
            prop::option::weighted(0.2, (0usize..18, 0u8..128)),
        )
            .prop_map(|(code, (y, m, d), seq, check_kind, check_byte, typo)| {
                let first17 = format!("{code:06}{y:04}{m:02}{d:02}{seq:03}");
                let first17 = &first17[first17.len() - 17..];
                let right = check_char(first17.as_bytes().try_into().unwrap());
                let check = match check_kind {
                    0 | 1 => right,
                    2 if right == b'X' => b'x',
                    _ => b"0123456789Xx"[usize::from(check_byte) % 12],
                };
                let mut bytes = first17.as_bytes().to_vec();
                bytes.push(check);
                if let Some((at, byte)) = typo {
                    bytes[at] = byte;
                }
                String::from_utf8(bytes).unwrap()
            })
    }

    /// 15-byte inputs: real and random address codes, real and impossible dates, now and then
    /// one byte replaced by any ASCII byte.
    fn fifteen_bytes() -> impl Strategy<Value = String> {
        let codes: Vec<u32> = region::all_codes().collect();
        let address = prop_oneof![
            3 => (0..codes.len()).prop_map(move |i| codes[i]),
            1 => 0u32..1_000_000,
        ];
        let date = prop_oneof![
            3 => (0u32..100, 1u32..=12, 1u32..=31),
            1 => (0u32..100, 0u32..100, 0u32..100),
        ];
        (
            address,
            date,
            0u32..1000,
            prop::option::weighted(0.2, (0usize..15, 0u8..128)),
        )
            .prop_map(|(code, (y, m, d), seq, typo)| {
                let mut bytes = format!("{code:06}{y:02}{m:02}{d:02}{seq:03}").into_bytes();
                if let Some((at, byte)) = typo {
                    bytes[at] = byte;
                }
                String::from_utf8(bytes).unwrap()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The fast path decides only what the general path would decide, exactly as it would:
        /// the same number, kind, birthday and region, or the same error.
        #[test]
        fn fast_and_general_paths_agree(
            input in prop_oneof![
                8 => eighteen_bytes(),
                3 => fifteen_bytes(),
                1 => "\\PC{18}",
                1 => "[0-9xX]{18}",
                1 => "[0-9]{0,24}",
                1 => "[0-9 ]{13,20}",
            ],
            strict in any::<bool>(),
            fixed_today in prop::option::of(0i64..80_000),
        ) {
            let mut parser = IdParser::new().strict(strict);
            if let Some(days) = fixed_today {
                parser = parser.today(date(1860, 1, 1) + TimeDelta::days(days));
            }
            let general = project(parser.parse_general(&input));
            let fast = if let Ok(bytes) = <&[u8; 18]>::try_from(input.as_bytes()) {
                parser.parse_ascii_18(bytes)
            } else if let Ok(bytes) = <&[u8; 15]>::try_from(input.as_bytes()) {
                parser.parse_ascii_15(bytes)
            } else {
                UNDECIDED
            };
            if !matches!(fast, Err(IdError::Empty)) {
                prop_assert_eq!(project(fast), general, "{:?}", input);
            }
            prop_assert_eq!(project(parser.parse(&input)), general, "{:?}", input);
        }
    }

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
