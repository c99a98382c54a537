//! Why a string is not a name the vendors accept.

use std::fmt;

/// Why a string is not a name as written on a Chinese ID card. No variant carries the name or
/// any of its characters. Positions count characters from 1 in the input as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing but whitespace.
    #[error("empty name")]
    Empty,
    /// A character that is neither a Chinese character nor a middle dot.
    #[error("{class} not allowed in a name, at position {position}")]
    InvalidCharacter {
        /// 1-based character position in the input.
        position: usize,
        /// What sort of character it is.
        class: CharClass,
    },
    /// The name starts with a middle dot.
    #[error("name starts with a middle dot, at position {position}")]
    LeadingDot {
        /// 1-based character position in the input.
        position: usize,
    },
    /// The name ends with a middle dot.
    #[error("name ends with a middle dot, at position {position}")]
    TrailingDot {
        /// 1-based character position in the input.
        position: usize,
    },
    /// Two middle dots in a row.
    #[error("two middle dots in a row, at position {position}")]
    DoubledDot {
        /// 1-based character position of the second dot.
        position: usize,
    },
    /// Fewer characters than a full name has (usually the surname alone).
    #[error("name too short: {found} character(s), at least {min}")]
    TooShort {
        /// Characters found (dots included).
        found: usize,
        /// The minimum, [`Name::MIN_CHARS`](crate::Name::MIN_CHARS).
        min: usize,
    },
    /// More characters than any registered name has.
    #[error("name too long: {found} characters, at most {max}")]
    TooLong {
        /// Characters found (dots included).
        found: usize,
        /// The maximum, [`Name::MAX_CHARS`](crate::Name::MAX_CHARS).
        max: usize,
    },
}

/// The sort of character that made a name invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CharClass {
    /// A digit, ASCII, full-width or other.
    Digit,
    /// A Latin letter (ASCII, accented or full-width).
    Latin,
    /// A space or other whitespace inside the name.
    Whitespace,
    /// A control or invisible formatting character (zero-width space, BOM, variation selector).
    Control,
    /// An emoji or pictograph.
    Emoji,
    /// Punctuation, a symbol, or a letter of another script (kana, hangul, Cyrillic …).
    Other,
}

impl CharClass {
    /// Classifies a character that is not allowed in a name.
    #[must_use]
    pub fn of(c: char) -> Self {
        let code = u32::from(c);
        if c.is_whitespace() {
            Self::Whitespace
        } else if c.is_control()
            || matches!(code, 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF
                | 0xFE00..=0xFE0F | 0xE0000..=0xE01EF | 0xAD)
        {
            Self::Control
        } else if c.is_numeric() {
            Self::Digit
        } else if c.is_ascii_alphabetic()
            || matches!(code, 0xC0..=0x24F | 0x1E00..=0x1EFF | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A)
                && c.is_alphabetic()
        {
            Self::Latin
        } else if matches!(code, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF) {
            Self::Emoji
        } else {
            Self::Other
        }
    }

    const fn describe(self) -> &'static str {
        match self {
            Self::Digit => "digit",
            Self::Latin => "latin letter",
            Self::Whitespace => "space",
            Self::Control => "control or invisible character",
            Self::Emoji => "emoji",
            Self::Other => "character that is not Chinese",
        }
    }
}

impl fmt::Display for CharClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}
