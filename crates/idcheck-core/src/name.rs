//! Personal names as written on Chinese ID cards.

use std::fmt;
use std::str::FromStr;

use crate::{CharClass, NameError};

/// The middle dot every accepted dot form is normalised to (U+00B7).
pub const MIDDLE_DOT: char = '·';

/// Bytes of inline storage: every accepted character is at most 4 bytes of UTF-8.
const MAX_BYTES: usize = Name::MAX_CHARS * 4;

/// Two-character surnames (复姓) of the Hundred Family Surnames and a few common others, for
/// masking `欧阳娜娜` as `欧阳**` rather than `欧***`.
const COMPOUND_SURNAMES: [&str; 61] = [
    "万俟", "上官", "东方", "东郭", "东门", "乐正", "亓官", "令狐", "仲孙", "公冶", "公孙", "公羊",
    "公西", "公良", "单于", "南宫", "南门", "呼延", "夏侯", "夹谷", "太叔", "子车", "宇文", "完颜",
    "宗政", "宰父", "尉迟", "左丘", "巫马", "慕容", "拓跋", "澹台", "漆雕", "濮阳", "独孤", "申屠",
    "百里", "皇甫", "第五", "端木", "羊舌", "耶律", "诸葛", "谷梁", "赫连", "轩辕", "钟离", "长孙",
    "闻人", "闾丘", "司徒", "司空", "司寇", "司马", "西门", "欧阳", "段干", "淳于", "梁丘", "微生",
    "颛孙",
];

/// A personal name as the vendors accept it: Chinese characters (including those outside the
/// Basic Multilingual Plane, such as 𠮷 and 𡒄), optionally in parts joined by single middle dots
/// (`阿卜杜·热合曼`), trimmed.
///
/// Stored inline (no allocation). `Debug` and `Display` are masked (`张*`, `欧阳**`,
/// `阿卜杜·***`); the full name is only available through [`Name::as_str`].
///
/// # Rules
///
/// - Accepted: CJK Unified Ideographs (the BMP block, Extension A and the supplementary
///   Extensions B–I), CJK Compatibility Ideographs, and `〇`.
/// - Middle dots as people type them — `·` (U+00B7), `•`, `・`, `･`, `‧`, `∙`, `⋅`, `．` and
///   `.` — become U+00B7; a dot may not lead, trail or follow another dot.
/// - Whitespace around the name (and a stray BOM or zero-width space) is trimmed; anything else
///   is an error naming the character's position and class.
/// - Length: [`Name::MIN_CHARS`] to [`Name::MAX_CHARS`] characters, dots included.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name {
    bytes: [u8; MAX_BYTES],
    len: u8,
    chars: u8,
    /// Bytes shown in the masked form: the surname, or the first part of a dotted name.
    shown: u8,
}

impl Name {
    /// The shortest accepted name. A registered name has a surname and a given name; one
    /// character alone is almost always the surname typed without the rest (the Ministry of
    /// Public Security's 2007 draft naming rules also asked for at least two).
    pub const MIN_CHARS: usize = 2;

    /// The longest accepted name, dots included. Han names have 2–6 characters; transliterated
    /// minority and foreign names with two or three dotted parts reach about 20 (e.g.
    /// `阿卜杜克热木·阿卜杜热合曼·买买提` is 17). 32 leaves room for the rare longer ones while
    /// rejecting a pasted address or sentence.
    pub const MAX_CHARS: usize = 32;

    /// Parses a name: trims it, normalises middle dots, checks every character.
    ///
    /// # Errors
    ///
    /// A [`NameError`] with the offending character's position.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let trimmed = input.trim_start_matches(is_trimmed);
        let leading = input.len() - trimmed.len();
        let trimmed = trimmed.trim_end_matches(is_trimmed);
        // Character positions are 1-based in the input as given.
        let first_position = input[..leading].chars().count() + 1;

        let mut name = Self {
            bytes: [0; MAX_BYTES],
            len: 0,
            chars: 0,
            shown: 0,
        };
        let mut len = 0usize;
        let mut chars = 0usize;
        let mut previous_was_dot = false;
        let mut first_dot_at = None;
        // The first two characters, for the compound-surname check.
        let mut first_two = ['\0'; 2];
        for (offset, c) in trimmed.chars().enumerate() {
            let position = first_position + offset;
            let c = if is_dot(c) {
                if chars == 0 {
                    return Err(NameError::LeadingDot { position });
                }
                if previous_was_dot {
                    return Err(NameError::DoubledDot { position });
                }
                previous_was_dot = true;
                first_dot_at.get_or_insert(len);
                MIDDLE_DOT
            } else if is_han(c) {
                previous_was_dot = false;
                c
            } else {
                return Err(NameError::InvalidCharacter {
                    position,
                    class: CharClass::of(c),
                });
            };
            if chars == Self::MAX_CHARS {
                return Err(NameError::TooLong {
                    found: trimmed.chars().count(),
                    max: Self::MAX_CHARS,
                });
            }
            if chars < 2 {
                first_two[chars] = c;
            }
            len += c.encode_utf8(&mut name.bytes[len..]).len();
            chars += 1;
        }
        if chars == 0 {
            return Err(NameError::Empty);
        }
        if previous_was_dot {
            return Err(NameError::TrailingDot {
                position: first_position + chars - 1,
            });
        }
        if chars < Self::MIN_CHARS {
            return Err(NameError::TooShort {
                found: chars,
                min: Self::MIN_CHARS,
            });
        }
        let shown = match first_dot_at {
            Some(dot) => dot,
            // A compound surname when a given name follows, else one character.
            None if chars >= 3 && is_compound_surname(first_two[0], first_two[1]) => {
                first_two[0].len_utf8() + first_two[1].len_utf8()
            }
            None => first_two[0].len_utf8(),
        };
        // MAX_BYTES (128) and MAX_CHARS fit in a byte.
        name.len = u8::try_from(len).unwrap_or(u8::MAX);
        name.chars = u8::try_from(chars).unwrap_or(u8::MAX);
        name.shown = u8::try_from(shown).unwrap_or(0);
        Ok(name)
    }

    /// The normalised name, e.g. `阿卜杜·热合曼`. Personal data: send it, don't log it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// Characters in the name, dots included.
    #[must_use]
    pub fn char_count(&self) -> usize {
        usize::from(self.chars)
    }

    /// Whether the name has dotted parts (minority and transliterated foreign names).
    #[must_use]
    pub fn is_transliterated(&self) -> bool {
        self.as_str().contains(MIDDLE_DOT)
    }

    /// The masked form: the surname (or the first part of a dotted name), then one `*` per
    /// remaining character, dots kept: `张*`, `欧阳**`, `阿卜杜·***`.
    #[must_use]
    pub fn masked(&self) -> MaskedName<'_> {
        MaskedName(self)
    }
}

/// The compound surnames as `(first << 32) | second` code points, sorted: a binary search of
/// 61 integers (six comparisons) instead of comparing the name against each surname in turn.
static COMPOUND_SURNAME_KEYS: [u64; COMPOUND_SURNAMES.len()] = compound_surname_keys();

const fn surname_key(first: char, second: char) -> u64 {
    ((first as u64) << 32) | second as u64
}

/// Decodes the first two characters of each surname (all in the Basic Multilingual Plane, three
/// bytes of UTF-8 each, as the unit test checks) and sorts the keys, at compile time.
const fn compound_surname_keys() -> [u64; COMPOUND_SURNAMES.len()] {
    const fn three_byte_char(bytes: &[u8], at: usize) -> u32 {
        assert!(bytes[at] & 0xF0 == 0xE0, "three-byte UTF-8 expected");
        ((bytes[at] as u32 & 0x0F) << 12)
            | ((bytes[at + 1] as u32 & 0x3F) << 6)
            | (bytes[at + 2] as u32 & 0x3F)
    }
    let mut keys = [0u64; COMPOUND_SURNAMES.len()];
    let mut i = 0;
    while i < keys.len() {
        let bytes = COMPOUND_SURNAMES[i].as_bytes();
        assert!(bytes.len() == 6, "two three-byte characters expected");
        keys[i] = ((three_byte_char(bytes, 0) as u64) << 32) | three_byte_char(bytes, 3) as u64;
        // Insertion sort: 61 keys, once, at compile time.
        let mut j = i;
        while j > 0 && keys[j - 1] > keys[j] {
            let t = keys[j - 1];
            keys[j - 1] = keys[j];
            keys[j] = t;
            j -= 1;
        }
        i += 1;
    }
    keys
}

fn is_compound_surname(first: char, second: char) -> bool {
    COMPOUND_SURNAME_KEYS
        .binary_search(&surname_key(first, second))
        .is_ok()
}

/// Characters trimmed from both ends: whitespace, and the invisible ones that ride along when a
/// name is pasted (BOM, zero-width space).
fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}')
}

/// The middle-dot forms people type between the parts of a transliterated name.
fn is_dot(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' // · middle dot
            | '\u{2022}' // • bullet
            | '\u{30FB}' // ・ katakana middle dot
            | '\u{FF65}' // ･ half-width katakana middle dot
            | '\u{2027}' // ‧ hyphenation point
            | '\u{2219}' // ∙ bullet operator
            | '\u{22C5}' // ⋅ dot operator
            | '\u{0387}' // · Greek ano teleia (canonically equal to U+00B7)
            | '\u{FF0E}' // ． full-width full stop
            | '.'
    )
}

/// Chinese characters, including every supplementary-plane extension.
fn is_han(c: char) -> bool {
    matches!(
        u32::from(c),
        0x3007 // 〇
            | 0x3400..=0x4DBF // Extension A
            | 0x4E00..=0x9FFF // CJK Unified Ideographs
            | 0xF900..=0xFAFF // CJK Compatibility Ideographs
            | 0x20000..=0x2A6DF // Extension B
            | 0x2A700..=0x2EE5F // Extensions C, D, E, F, I
            | 0x2F800..=0x2FA1F // CJK Compatibility Ideographs Supplement
            | 0x30000..=0x323AF // Extensions G, H
    )
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Name").field(&self.masked()).finish()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.masked(), f)
    }
}

impl FromStr for Name {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = NameError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

/// A masked name, `张*`: formats without allocating.
#[derive(Clone, Copy)]
pub struct MaskedName<'a>(&'a Name);

impl fmt::Display for MaskedName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let text = self.0.as_str();
        let shown = usize::from(self.0.shown);
        f.write_str(&text[..shown])?;
        for c in text[shown..].chars() {
            f.write_char(if c == MIDDLE_DOT { MIDDLE_DOT } else { '*' })?;
        }
        Ok(())
    }
}

impl fmt::Debug for MaskedName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a personal name in Chinese characters")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Name, E> {
                Name::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_surnames_are_two_han_characters() {
        for surname in COMPOUND_SURNAMES {
            assert_eq!(surname.chars().count(), 2, "{surname}");
            assert!(surname.chars().all(is_han), "{surname}");
        }
    }

    #[test]
    fn the_sorted_keys_find_every_compound_surname_and_nothing_else() {
        assert!(COMPOUND_SURNAME_KEYS.is_sorted());
        for surname in COMPOUND_SURNAMES {
            let mut chars = surname.chars();
            let (first, second) = (chars.next().unwrap(), chars.next().unwrap());
            assert!(is_compound_surname(first, second), "{surname}");
            assert!(!is_compound_surname(second, first), "{surname} reversed");
        }
        assert!(!is_compound_surname('王', '小'));
        assert!(!is_compound_surname('欧', '\0'));
    }
}
