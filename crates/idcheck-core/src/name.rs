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
        let trimmed = trim(input);
        let leading = trimmed.as_ptr() as usize - input.as_ptr() as usize;
        // Character positions are 1-based in the input as given (counted only for an error).
        let position = |offset: usize| input[..leading].chars().count() + 1 + offset;

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
        // The input is copied in runs: a run ends only at a dot typed as something other than
        // U+00B7, which is written as U+00B7. `run_from` is where the pending run starts in
        // `trimmed`, `run_to` where it goes in `bytes`.
        let (mut run_from, mut run_to) = (0, 0);
        let text = trimmed.as_bytes();
        let mut at = 0;
        while let Some((code_point, width)) = decode(text, at) {
            let offset = chars;
            // Han first: nearly every character is one (the two sets do not overlap), and it
            // needs nothing but counting.
            if is_han_code_point(code_point) {
                if chars == Self::MAX_CHARS {
                    return Err(NameError::TooLong {
                        found: trimmed.chars().count(),
                        max: Self::MAX_CHARS,
                    });
                }
                previous_was_dot = false;
                len += width;
                chars += 1;
                at += width;
                continue;
            }
            if char::from_u32(code_point).is_some_and(is_dot) {
                if chars == 0 {
                    return Err(NameError::LeadingDot {
                        position: position(offset),
                    });
                }
                if previous_was_dot {
                    return Err(NameError::DoubledDot {
                        position: position(offset),
                    });
                }
                previous_was_dot = true;
                first_dot_at.get_or_insert(len);
            } else {
                let c = char::from_u32(code_point).unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(NameError::InvalidCharacter {
                    position: position(offset),
                    class: CharClass::of(c),
                });
            }
            if chars == Self::MAX_CHARS {
                return Err(NameError::TooLong {
                    found: trimmed.chars().count(),
                    max: Self::MAX_CHARS,
                });
            }
            if code_point == u32::from(MIDDLE_DOT) {
                len += width;
            } else {
                // At most MAX_CHARS characters so far, each at most 4 bytes: within `bytes`.
                let run = &text[run_from..at];
                name.bytes[run_to..run_to + run.len()].copy_from_slice(run);
                run_to += run.len();
                run_to += MIDDLE_DOT.encode_utf8(&mut name.bytes[run_to..]).len();
                run_from = at + width;
                len += MIDDLE_DOT.len_utf8();
            }
            chars += 1;
            at += width;
        }
        // The last run; `len` (at most MAX_BYTES) is where it ends.
        name.bytes[run_to..len].copy_from_slice(&trimmed.as_bytes()[run_from..]);
        if chars == 0 {
            return Err(NameError::Empty);
        }
        if previous_was_dot {
            return Err(NameError::TrailingDot {
                position: position(chars - 1),
            });
        }
        if chars < Self::MIN_CHARS {
            return Err(NameError::TooShort {
                found: chars,
                min: Self::MIN_CHARS,
            });
        }
        // Without a dot, `text` is the name.
        let shown = first_dot_at.unwrap_or_else(|| surname_len(text, chars));
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

/// Slots of the compound-surname hash table (a power of two).
const SURNAME_SLOTS: usize = 512;
/// A multiplier under which the 61 keys land in 61 different slots, found at compile time.
const SURNAME_MULTIPLIER: u64 = surname_multiplier();
/// The keys at their slots (`EMPTY_SLOT` where none): a lookup is one multiply, one load, one compare,
/// whatever the name, instead of comparing against each surname in turn.
static SURNAME_TABLE: [u64; SURNAME_SLOTS] = surname_table();
/// Not a key: code points have at most 21 bits.
const EMPTY_SLOT: u64 = u64::MAX;

const fn surname_key(first: u32, second: u32) -> u64 {
    ((first as u64) << 32) | second as u64
}

#[allow(clippy::cast_possible_truncation)] // the top 9 bits
const fn surname_slot(key: u64, multiplier: u64) -> usize {
    (key.wrapping_mul(multiplier) >> (64 - SURNAME_SLOTS.trailing_zeros())) as usize
}

/// The compound surnames as `(first << 32) | second` code points, sorted: decodes the first two
/// characters of each surname (all in the Basic Multilingual Plane, three bytes of UTF-8 each,
/// as the unit test checks), at compile time.
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
        keys[i] = surname_key(three_byte_char(bytes, 0), three_byte_char(bytes, 3));
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

/// The first odd multiplier (from the golden ratio upwards) that gives every key its own slot.
/// With 61 keys in 512 slots about one candidate in 36 works.
const fn surname_multiplier() -> u64 {
    let keys = compound_surname_keys();
    let mut multiplier: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut tries = 0;
    while tries < 100_000 {
        let mut used = [false; SURNAME_SLOTS];
        let mut ok = true;
        let mut i = 0;
        while i < keys.len() {
            let slot = surname_slot(keys[i], multiplier);
            if used[slot] {
                ok = false;
                break;
            }
            used[slot] = true;
            i += 1;
        }
        if ok {
            return multiplier;
        }
        multiplier = multiplier.wrapping_add(2);
        tries += 1;
    }
    panic!("no collision-free multiplier for the compound surnames");
}

const fn surname_table() -> [u64; SURNAME_SLOTS] {
    let keys = compound_surname_keys();
    let mut table = [EMPTY_SLOT; SURNAME_SLOTS];
    let mut i = 0;
    while i < keys.len() {
        table[surname_slot(keys[i], SURNAME_MULTIPLIER)] = keys[i];
        i += 1;
    }
    table
}

#[inline]
fn is_compound_surname(first: u32, second: u32) -> bool {
    let key = surname_key(first, second);
    SURNAME_TABLE[surname_slot(key, SURNAME_MULTIPLIER)] == key
}

/// `input` without the characters [`is_trimmed`] takes from both ends. A name that starts and
/// ends with a character of U+4000–U+9FFF (three bytes of UTF-8, lead byte E4–E9: nearly every
/// name) has nothing to trim, which two byte comparisons tell.
#[inline]
fn trim(input: &str) -> &str {
    let bytes = input.as_bytes();
    let han_lead = |b: u8| (0xE4..=0xE9).contains(&b);
    match (bytes.first(), bytes.len().checked_sub(3).map(|i| bytes[i])) {
        (Some(&first), Some(last)) if han_lead(first) && han_lead(last) => input,
        _ => input.trim_matches(is_trimmed),
    }
}

/// Characters trimmed from both ends: whitespace, and the invisible ones that ride along when a
/// name is pasted (BOM, zero-width space). No whitespace lies above U+3000, so a Chinese
/// character is answered by one comparison instead of a Unicode table lookup.
#[inline]
fn is_trimmed(c: char) -> bool {
    if c > '\u{3000}' {
        c == '\u{FEFF}'
    } else {
        c.is_whitespace() || c == '\u{200B}'
    }
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

/// Bytes of the surname in a name without dots (`text`, `chars` characters): two characters
/// for a compound surname when a given name follows, else one.
fn surname_len(text: &[u8], chars: usize) -> usize {
    let (first, first_width) = decode(text, 0).unwrap_or_default();
    if chars < 3 {
        return first_width;
    }
    let (second, second_width) = decode(text, first_width).unwrap_or_default();
    if is_compound_surname(first, second) {
        first_width + second_width
    } else {
        first_width
    }
}

/// The code point starting at byte `at` of valid UTF-8 and its width in bytes; `None` at the
/// end. Decodes without the general iterator's bookkeeping: a name is a handful of characters.
#[inline]
fn decode(text: &[u8], at: usize) -> Option<(u32, usize)> {
    let low6 = |b: u8| u32::from(b & 0x3F);
    // One length check per pattern instead of one bounds check per byte; three bytes first.
    Some(match *text.get(at..)? {
        [] => return None,
        [lead @ 0xE0..0xF0, b1, b2, ..] => {
            ((u32::from(lead) & 0x0F) << 12 | low6(b1) << 6 | low6(b2), 3)
        }
        // A lone byte at the end is not reached for valid UTF-8 (a lead byte is followed by its
        // continuation bytes).
        [lead @ 0..0x80, ..] | [lead] => (u32::from(lead), 1),
        [lead @ 0xF0..=0xFF, b1, b2, b3, ..] => (
            (u32::from(lead) & 0x07) << 18 | low6(b1) << 12 | low6(b2) << 6 | low6(b3),
            4,
        ),
        [lead, b1, ..] => ((u32::from(lead) & 0x1F) << 6 | low6(b1), 2),
    })
}

/// [`is_han`] of a code point, the common block tested first.
#[inline]
fn is_han_code_point(code_point: u32) -> bool {
    (0x4E00..=0x9FFF).contains(&code_point) || char::from_u32(code_point).is_some_and(is_han)
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
    use proptest::prelude::*;

    /// The parse as first written (decode, re-encode every character, compare the first two
    /// with each compound surname in turn): the reference the faster one must match.
    fn reference(input: &str) -> Result<(String, usize, String), NameError> {
        let trimmed = input.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}')
        });
        let leading = input.len() - trimmed.len();
        let trimmed = trimmed
            .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}'));
        let first_position = input[..leading].chars().count() + 1;
        let mut text = String::new();
        let mut chars = 0;
        let mut previous_was_dot = false;
        let mut first_dot_at = None;
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
                first_dot_at.get_or_insert(text.len());
                MIDDLE_DOT
            } else if is_han(c) {
                previous_was_dot = false;
                c
            } else {
                let class = CharClass::of(c);
                return Err(NameError::InvalidCharacter { position, class });
            };
            if chars == Name::MAX_CHARS {
                let found = trimmed.chars().count();
                return Err(NameError::TooLong {
                    found,
                    max: Name::MAX_CHARS,
                });
            }
            text.push(c);
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
        if chars < Name::MIN_CHARS {
            return Err(NameError::TooShort {
                found: chars,
                min: Name::MIN_CHARS,
            });
        }
        let shown = first_dot_at.unwrap_or_else(|| {
            let two: String = text.chars().take(2).collect();
            if chars >= 3 && COMPOUND_SURNAMES.contains(&two.as_str()) {
                two.len()
            } else {
                text.chars().next().map_or(0, char::len_utf8)
            }
        });
        let masked: String = text[..shown]
            .chars()
            .chain(
                text[shown..]
                    .chars()
                    .map(|c| if c == MIDDLE_DOT { c } else { '*' }),
            )
            .collect();
        Ok((text, chars, masked))
    }

    fn typed_names() -> impl Strategy<Value = String> {
        let surnames: Vec<char> = COMPOUND_SURNAMES.iter().flat_map(|s| s.chars()).collect();
        let pieces = prop_oneof![
            6 => prop::sample::select(surnames),
            3 => proptest::char::range('\u{4E00}', '\u{9FFF}'),
            1 => proptest::char::range('\u{20000}', '\u{2000F}'),
            2 => prop::sample::select(vec!['·', '•', '.', '．', '・']),
            1 => prop::sample::select(vec![' ', '\u{3000}', '\u{FEFF}', '\u{200B}', 'a', '3']),
            1 => any::<char>(),
        ];
        proptest::collection::vec(pieces, 0..40).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        #[test]
        fn parse_matches_the_reference(input in typed_names()) {
            let parsed = Name::parse(&input)
                .map(|n| (n.as_str().to_owned(), n.char_count(), n.masked().to_string()));
            prop_assert_eq!(parsed, reference(&input), "{:?}", input);
        }
    }

    #[test]
    fn compound_surnames_are_two_han_characters() {
        for surname in COMPOUND_SURNAMES {
            assert_eq!(surname.chars().count(), 2, "{surname}");
            assert!(surname.chars().all(is_han), "{surname}");
        }
    }

    #[test]
    fn decode_agrees_with_chars() {
        let text: String = (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .collect();
        let mut at = 0;
        for c in text.chars() {
            let (code_point, width) = decode(text.as_bytes(), at).unwrap();
            assert_eq!((code_point, width), (u32::from(c), c.len_utf8()));
            at += width;
        }
        assert_eq!(decode(text.as_bytes(), at), None);
    }

    #[test]
    fn is_trimmed_is_whitespace_bom_and_zero_width_space() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(
                is_trimmed(c),
                c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}'),
                "{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn the_table_finds_every_compound_surname_and_nothing_else() {
        let keys = compound_surname_keys();
        assert!(keys.is_sorted() && keys.windows(2).all(|w| w[0] < w[1]));
        for surname in COMPOUND_SURNAMES {
            let mut chars = surname.chars();
            let (first, second) = (chars.next().unwrap(), chars.next().unwrap());
            let (first, second) = (u32::from(first), u32::from(second));
            assert!(is_compound_surname(first, second), "{surname}");
            assert!(!is_compound_surname(second, first), "{surname} reversed");
        }
        assert!(!is_compound_surname(u32::from('王'), u32::from('小')));
        assert!(!is_compound_surname(u32::from('欧'), 0));
        assert!(!is_compound_surname(0, 0));
        assert_eq!(
            SURNAME_TABLE.iter().filter(|&&k| k != EMPTY_SLOT).count(),
            61
        );
        // Every other pair of common characters is not a compound surname.
        let common = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘";
        for first in common.chars() {
            for second in common.chars() {
                assert!(!is_compound_surname(u32::from(first), u32::from(second)));
            }
        }
    }
}
