//! Requests, built only from parsed inputs: an invalid ID, name, mobile or photo cannot reach a
//! vendor because it cannot be put in a request.

use idcheck_core::{FaceImage, IdNumber, Mobile, Name};

/// What a verification asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// ID number + name (二要素).
    Identity,
    /// ID number + name + mobile (运营商三要素).
    Mobile,
    /// ID number + name + face photo (人证比对).
    Face,
}

impl Check {
    /// Every check, in a stable order.
    pub const ALL: [Check; 3] = [Check::Identity, Check::Mobile, Check::Face];

    /// A short label, e.g. `identity`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Mobile => "mobile",
            Self::Face => "face",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Identity => 1,
            Self::Mobile => 2,
            Self::Face => 4,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A set of [`Check`]s, `Copy`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Checks(u8);

impl Checks {
    /// No check.
    pub const NONE: Checks = Checks(0);

    /// Just `check`.
    #[must_use]
    pub const fn only(check: Check) -> Self {
        Self(check.bit())
    }

    /// This set plus `check`.
    #[must_use]
    pub const fn with(self, check: Check) -> Self {
        Self(self.0 | check.bit())
    }

    /// Whether `check` is in the set.
    #[must_use]
    pub const fn contains(self, check: Check) -> bool {
        self.0 & check.bit() != 0
    }

    /// The checks in the set.
    pub fn iter(self) -> impl Iterator<Item = Check> {
        Check::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// ID number and name: the two-element check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdentityRequest {
    /// The ID number.
    pub id: IdNumber,
    /// The name as on the ID card.
    pub name: Name,
}

/// ID number, name and mobile: the carrier three-element check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MobileRequest {
    /// The ID number.
    pub id: IdNumber,
    /// The name as on the ID card.
    pub name: Name,
    /// The mobile number registered to the person.
    pub mobile: Mobile,
}

/// ID number, name and a face photo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceRequest {
    /// The ID number.
    pub id: IdNumber,
    /// The name as on the ID card.
    pub name: Name,
    /// The photo, already checked for format and size.
    pub photo: FaceImage,
}

/// One verification request. `Debug` is masked: every field's own `Debug` is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// ID number + name.
    Identity(IdentityRequest),
    /// ID number + name + mobile.
    Mobile(MobileRequest),
    /// ID number + name + face photo.
    Face(FaceRequest),
}

impl Request {
    /// An identity request.
    #[must_use]
    pub fn identity(id: IdNumber, name: Name) -> Self {
        Self::Identity(IdentityRequest { id, name })
    }

    /// A mobile request.
    #[must_use]
    pub fn mobile(id: IdNumber, name: Name, mobile: Mobile) -> Self {
        Self::Mobile(MobileRequest { id, name, mobile })
    }

    /// A face request.
    #[must_use]
    pub fn face(id: IdNumber, name: Name, photo: FaceImage) -> Self {
        Self::Face(FaceRequest { id, name, photo })
    }

    /// Which check this is.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            Self::Identity(_) => Check::Identity,
            Self::Mobile(_) => Check::Mobile,
            Self::Face(_) => Check::Face,
        }
    }

    /// The ID number every request carries.
    #[must_use]
    pub fn id(&self) -> &IdNumber {
        match self {
            Self::Identity(r) => &r.id,
            Self::Mobile(r) => &r.id,
            Self::Face(r) => &r.id,
        }
    }

    /// The name every request carries.
    #[must_use]
    pub fn name(&self) -> &Name {
        match self {
            Self::Identity(r) => &r.name,
            Self::Mobile(r) => &r.name,
            Self::Face(r) => &r.name,
        }
    }
}
