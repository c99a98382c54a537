//! Mainland China mobile numbers: the 11-digit national number and its segment (号段).

mod segments;

use std::fmt;
use std::str::FromStr;

use crate::MobileError;
use segments::{BY_FIVE_DIGITS, SEGMENTS};

/// The carrier a segment was allocated to.
///
/// Since nationwide number portability (携号转网, late 2019) this is the carrier that
/// *originally* received the number, not necessarily the one serving it today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Carrier {
    /// 中国移动.
    ChinaMobile,
    /// 中国联通.
    ChinaUnicom,
    /// 中国电信.
    ChinaTelecom,
    /// 中国广电 (192, 1610).
    ChinaBroadnet,
    /// 工业和信息化部应急通信保障中心, the MIIT emergency-communication centre (17406–17412).
    EmergencyCommunication,
    /// 北京船舶通信导航有限公司 (MCN), Inmarsat maritime satellite (1749).
    BeijingMarineCommunication,
}

impl Carrier {
    /// The English name, e.g. `China Mobile`.
    #[must_use]
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::ChinaMobile => "China Mobile",
            Self::ChinaUnicom => "China Unicom",
            Self::ChinaTelecom => "China Telecom",
            Self::ChinaBroadnet => "China Broadnet",
            Self::EmergencyCommunication => "MIIT Emergency Communication Support Center",
            Self::BeijingMarineCommunication => "Beijing Marine Communication & Navigation",
        }
    }

    /// The Chinese name, e.g. `中国移动`.
    #[must_use]
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::ChinaMobile => "中国移动",
            Self::ChinaUnicom => "中国联通",
            Self::ChinaTelecom => "中国电信",
            Self::ChinaBroadnet => "中国广电",
            Self::EmergencyCommunication => "工业和信息化部应急通信保障中心",
            Self::BeijingMarineCommunication => "北京船舶通信导航有限公司",
        }
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_en())
    }
}

/// What a segment is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MobileKind {
    /// An ordinary mobile line of a network operator.
    Mobile,
    /// A virtual operator (MVNO) reselling a network operator's service; the carrier is the host
    /// network. Some vendors refuse these (checkphone answers 203).
    Virtual,
    /// A data card (上网卡: 145, 147, 149). Some are voice-capable, but vendors generally cannot
    /// verify them, so [`MobileParser`] refuses them unless told otherwise.
    DataCard,
    /// A 13-digit IoT number (物联网: 1410, 1440, 1441, 146, 148); never verifiable.
    Iot,
    /// A satellite phone (1349, 17400–17405, 1749).
    Satellite,
    /// The MIIT emergency-communication block (17406–17412); not a personal line.
    Emergency,
}

impl MobileKind {
    /// A noun phrase for messages, e.g. `a 13-digit IoT number`.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Mobile => "a mobile number",
            Self::Virtual => "a virtual-operator (MVNO) number",
            Self::DataCard => "a data card",
            Self::Iot => "a 13-digit IoT number",
            Self::Satellite => "a satellite phone number",
            Self::Emergency => "the MIIT emergency-communication block",
        }
    }

    /// A short label, e.g. `data card`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Virtual => "virtual operator",
            Self::DataCard => "data card",
            Self::Iot => "IoT",
            Self::Satellite => "satellite",
            Self::Emergency => "emergency",
        }
    }
}

impl fmt::Display for MobileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One allocated segment of the table: a 3-, 4- or 5-digit prefix.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    prefix: &'static str,
    carrier: Carrier,
    kind: MobileKind,
    length: u8,
}

impl Segment {
    /// Every allocated segment, sorted by prefix (91 rows).
    #[must_use]
    pub fn all() -> &'static [Segment] {
        &SEGMENTS
    }

    /// The segment of a national number (its first five digits suffice), if allocated.
    #[must_use]
    pub fn of(national_number: &str) -> Option<&'static Segment> {
        let bytes = national_number.as_bytes();
        let first5 = bytes.get(..5)?;
        let mut value = 0usize;
        for &b in first5 {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + usize::from(b - b'0');
        }
        row_of(value).map(|row| &SEGMENTS[row])
    }

    /// The prefix, e.g. `138`, `1705` or `17400`.
    #[must_use]
    pub const fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The carrier the segment was allocated to. Since number portability (late 2019) a number
    /// may have moved to another carrier since; for a virtual operator this is the host network.
    #[must_use]
    pub const fn original_carrier(&self) -> Carrier {
        self.carrier
    }

    /// What the segment is used for.
    #[must_use]
    pub const fn kind(&self) -> MobileKind {
        self.kind
    }

    /// How many digits numbers in the segment have: 11, or 13 for IoT.
    #[must_use]
    pub const fn number_length(&self) -> u8 {
        self.length
    }

    fn prefix_value(&self) -> u32 {
        self.prefix
            .bytes()
            .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
    }
}

/// The table row of a five-digit prefix value (10000–19999).
fn row_of(first5: usize) -> Option<usize> {
    let slot = *BY_FIVE_DIGITS.get(first5.checked_sub(10_000)?)?;
    (slot != 0).then(|| usize::from(slot - 1))
}

/// The shortest prefix of `first5` that no segment starts with, for error messages.
fn unallocated_prefix(first5: usize) -> u32 {
    for width in [100, 10] {
        let start = first5 / width * width;
        if (start..start + width).all(|p| row_of(p).is_none()) {
            return u32::try_from(first5 / width).unwrap_or(0);
        }
    }
    u32::try_from(first5).unwrap_or(0)
}

/// Parses mobile numbers; [`Mobile::parse`] uses the defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct MobileParser {
    accept_data_cards: bool,
}

impl MobileParser {
    /// The default parser: refuses data cards, IoT numbers and the emergency block.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            accept_data_cards: false,
        }
    }

    /// Accept data cards (145, 147, 149). Many 147 numbers are used for voice today; accept them
    /// if your vendor verifies them.
    #[must_use]
    pub const fn accept_data_cards(mut self, accept: bool) -> Self {
        self.accept_data_cards = accept;
        self
    }

    /// Parses a number as people type it: `+86`, `0086` or `86` in front, spaces and hyphens
    /// anywhere, full-width digits.
    ///
    /// # Errors
    ///
    /// A [`MobileError`] saying precisely what is wrong.
    pub fn parse(&self, input: &str) -> Result<Mobile, MobileError> {
        // 0086 + 11 digits is the longest accepted form; more digits only need counting.
        let mut digits = [0u8; 15];
        let mut count = 0usize;
        let mut plus = false;
        for (index, c) in input.chars().enumerate() {
            let digit = match c {
                '0'..='9' => c as u32 - '0' as u32,
                '０'..='９' => c as u32 - '０' as u32,
                '+' | '＋' if count == 0 && !plus => {
                    plus = true;
                    continue;
                }
                c if is_separator(c) => continue,
                found => {
                    return Err(MobileError::InvalidCharacter {
                        position: index + 1,
                        found,
                    });
                }
            };
            if let Some(slot) = digits.get_mut(count) {
                *slot = u8::try_from(digit).unwrap_or(0);
            }
            count += 1;
        }
        if count == 0 {
            return Err(MobileError::Empty);
        }
        let country_prefix = if plus {
            if count < 2 || digits[..2] != [8, 6] {
                return Err(MobileError::ForeignNumber);
            }
            2
        } else if count == 15 && digits[..4] == [0, 0, 8, 6] {
            4
        } else if count == 13 && digits[..3] == [8, 6, 1] {
            2
        } else {
            0
        };
        let national_len = count - country_prefix;
        let national = &digits[country_prefix..count.min(digits.len())];
        match national.first() {
            None => return Err(MobileError::WrongLength { found: 0 }),
            Some(&first) if first != 1 => return Err(MobileError::NotMobile { found: first }),
            Some(_) => {}
        }
        let first5 = national
            .get(..5)
            .map(|d| d.iter().fold(0usize, |acc, &x| acc * 10 + usize::from(x)));
        let row = first5.and_then(row_of);
        if let Some(row) = row {
            let segment = &SEGMENTS[row];
            if segment.kind == MobileKind::Iot {
                return Err(MobileError::Unverifiable {
                    segment: segment.prefix_value(),
                    kind: MobileKind::Iot,
                });
            }
        }
        if national_len != 11 {
            return Err(MobileError::WrongLength {
                found: national_len,
            });
        }
        let Some(row) = row else {
            return Err(MobileError::UnallocatedSegment {
                segment: unallocated_prefix(first5.unwrap_or(0)),
            });
        };
        let segment = &SEGMENTS[row];
        let refused = match segment.kind {
            MobileKind::Emergency => true,
            MobileKind::DataCard => !self.accept_data_cards,
            _ => false,
        };
        if refused {
            return Err(MobileError::Unverifiable {
                segment: segment.prefix_value(),
                kind: segment.kind,
            });
        }
        let mut ascii = [0u8; 11];
        for (out, d) in ascii.iter_mut().zip(national) {
            *out = b'0' + d;
        }
        Ok(Mobile {
            digits: ascii,
            row: u8::try_from(row).unwrap_or(u8::MAX),
        })
    }
}

/// Spaces and the hyphens and dashes people put between digit groups.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '－' | '‐' | '‑' | '‒' | '–' | '—')
}

/// A mainland China mobile number: 11 ASCII digits in an allocated, verifiable segment.
///
/// `Copy` and stored inline. `Debug` and `Display` are masked (`138****8000`); the full number
/// is only available through [`Mobile::as_str`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile {
    digits: [u8; 11],
    row: u8,
}

impl Mobile {
    /// Parses with the default [`MobileParser`].
    ///
    /// # Errors
    ///
    /// A [`MobileError`] saying precisely what is wrong.
    pub fn parse(input: &str) -> Result<Self, MobileError> {
        MobileParser::new().parse(input)
    }

    /// The 11-digit national number, e.g. `13800138000`. Personal data: send it, don't log it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }

    /// The segment the number belongs to.
    #[must_use]
    pub fn segment(&self) -> &'static Segment {
        &SEGMENTS[usize::from(self.row)]
    }

    /// The carrier the number's segment was allocated to. Since number portability (late 2019)
    /// the number may be served by another carrier today: this is where it started, not where
    /// it is.
    #[must_use]
    pub fn original_carrier(&self) -> Carrier {
        self.segment().carrier
    }

    /// What the segment is used for.
    #[must_use]
    pub fn kind(&self) -> MobileKind {
        self.segment().kind
    }

    /// The masked form, `138****8000`.
    #[must_use]
    pub fn masked(&self) -> MaskedMobile {
        let mut masked = self.digits;
        masked[3..7].copy_from_slice(b"****");
        MaskedMobile(masked)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mobile").field(&self.masked()).finish()
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.masked(), f)
    }
}

impl FromStr for Mobile {
    type Err = MobileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Mobile {
    type Error = MobileError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

/// A masked mobile number, `138****8000`: the segment and the last four digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaskedMobile([u8; 11]);

impl MaskedMobile {
    /// The masked text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for MaskedMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for MaskedMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Mobile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Mobile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Mobile;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mainland China mobile number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Mobile, E> {
                Mobile::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_reachable_through_the_index() {
        for (row, segment) in SEGMENTS.iter().enumerate() {
            let mut number = segment.prefix.to_owned();
            while number.len() < 5 {
                number.push('0');
            }
            assert_eq!(
                Segment::of(&number).map(Segment::prefix),
                Some(segment.prefix),
                "row {row}"
            );
        }
    }

    #[test]
    fn table_is_sorted_and_prefixes_are_digits() {
        for pair in SEGMENTS.windows(2) {
            assert!(
                pair[0].prefix < pair[1].prefix,
                "{} before {}",
                pair[0].prefix,
                pair[1].prefix
            );
        }
        for segment in &SEGMENTS {
            assert!((3..=5).contains(&segment.prefix.len()));
            assert!(segment.prefix.bytes().all(|b| b.is_ascii_digit()));
            assert!(segment.prefix.starts_with('1'));
        }
    }

    #[test]
    fn unallocated_prefix_is_the_shortest_unused_one() {
        assert_eq!(unallocated_prefix(15_400), 154);
        assert_eq!(unallocated_prefix(16_110), 1611);
        assert_eq!(unallocated_prefix(17_413), 17413);
        assert_eq!(unallocated_prefix(10_000), 100);
    }
}
