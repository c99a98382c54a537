//! The synthetic people whose records decide the sandbox's answers.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use idcheck_core::{IdNumber, Mobile};

/// One person on record.
pub struct Person {
    /// The name on record.
    pub name: String,
    /// The ID number.
    pub id: IdNumber,
    /// The mobile registered to the person, if any.
    pub mobile: Option<Mobile>,
    /// The carrier serving the mobile today (`联通` …); the segment's carrier when empty.
    pub carrier: Option<String>,
    /// The photo on record, as image bytes; none means "no photo on file".
    pub photo: Option<Vec<u8>>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id)
            .field("has_mobile", &self.mobile.is_some())
            .field("has_photo", &self.photo.is_some())
            .finish_non_exhaustive()
    }
}

/// People by ID number.
#[derive(Debug, Default)]
pub struct Registry {
    people: HashMap<String, Person>,
}

const BUILTIN: &str = include_str!("../default_registry.csv");

impl Registry {
    /// The built-in registry: the valid people of `examples/people.csv`, except that 赵六 is on
    /// record as 赵大六 (a mismatch) and 孙七 is not on record (no record).
    ///
    /// # Panics
    ///
    /// Never: the built-in file is checked by a test.
    #[must_use]
    pub fn builtin() -> Self {
        Self::from_csv(BUILTIN, Path::new("."))
            .unwrap_or_else(|e| panic!("the built-in registry: {e}"))
    }

    /// A registry from CSV text with the header `name,id,mobile,carrier,photo` (the last three
    /// may be empty; `photo` is an image file path relative to `base_dir`).
    ///
    /// # Errors
    ///
    /// A malformed row, with its number and what is wrong.
    pub fn from_csv(text: &str, base_dir: &Path) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut people = HashMap::new();
        for (index, record) in reader.records().enumerate() {
            let row = index + 1;
            let record = record.map_err(|e| format!("registry row {row}: {e}"))?;
            let cell = |i: usize| record.get(i).unwrap_or_default();
            let id = IdNumber::parse(cell(1))
                .map_err(|e| format!("registry row {row}: ID number: {e}"))?;
            let mobile = match cell(2) {
                "" => None,
                text => Some(
                    Mobile::parse(text).map_err(|e| format!("registry row {row}: mobile: {e}"))?,
                ),
            };
            let photo = match cell(4) {
                "" => None,
                path => Some(
                    std::fs::read(base_dir.join(path))
                        .map_err(|e| format!("registry row {row}: photo: {e}"))?,
                ),
            };
            let person = Person {
                name: cell(0).to_owned(),
                id,
                mobile,
                carrier: Some(cell(3).to_owned()).filter(|c| !c.is_empty()),
                photo,
            };
            people.insert(id.to_18().as_str().to_owned(), person);
        }
        Ok(Self { people })
    }

    /// The person with this ID number.
    #[must_use]
    pub fn find(&self, id: &IdNumber) -> Option<&Person> {
        self.people.get(id.to_18().as_str())
    }

    /// How many people are on record.
    #[must_use]
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether nobody is on record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }
}
