//! Why a string is not a mobile number the vendors can verify.

use crate::MobileKind;

/// Why a string is not a verifiable mainland mobile number. None carries the number itself.
/// Positions count characters from 1 in the input as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MobileError {
    /// Nothing but whitespace and separators.
    #[error("empty mobile number")]
    Empty,
    /// A character that is not a digit, a separator (space, hyphen) or a leading `+`.
    #[error("unexpected character at position {position}: {found:?}")]
    InvalidCharacter {
        /// 1-based character position in the input.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// An international number outside mainland China (`+852 …`, `+1 …`).
    #[error("not a mainland China number: the country code after + is not 86")]
    ForeignNumber,
    /// Not 11 digits once the `+86` / `0086` / `86` prefix is removed.
    #[error("wrong length: expected 11 digits, found {found}")]
    WrongLength {
        /// How many digits were found (after the country prefix, if any).
        found: usize,
    },
    /// Mainland mobile numbers start with 1; this is a landline or something else.
    #[error("not a mobile number: starts with {found}, not 1")]
    NotMobile {
        /// The first digit.
        found: u8,
    },
    /// The segment (the first three to five digits) was never allocated to a carrier.
    #[error("segment {segment} is not allocated to any carrier")]
    UnallocatedSegment {
        /// The first three digits, or five for the 174 block (which is split by the 4th and 5th).
        segment: u32,
    },
    /// An allocated segment whose numbers the verification vendors cannot check: 13-digit IoT
    /// numbers, data-only cards (unless accepted with
    /// [`MobileParser::accept_data_cards`](crate::MobileParser::accept_data_cards)), the MIIT
    /// emergency-communication block.
    #[error("segment {segment} is {}, which the verification vendors cannot check", .kind.describe())]
    Unverifiable {
        /// The segment's prefix as a number (e.g. 1440).
        segment: u32,
        /// What kind of number it is.
        kind: MobileKind,
    },
}
