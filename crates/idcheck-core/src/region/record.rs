//! The shape of one generated table row.

/// `last_year` of a name still in force.
pub(crate) const CURRENT: u16 = u16::MAX;

/// One name an address code carried, and the year-end lists that carried it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameSpan {
    name: &'static str,
    first_year: u16,
    last_year: u16,
}

impl NameSpan {
    /// The name, e.g. `崇文区`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The first year-end list that carried this name; 1980 means the earliest list or before.
    #[must_use]
    pub const fn first_year(&self) -> u16 {
        self.first_year
    }

    /// The last year-end list that carried this name, or `None` while it is still in force.
    #[must_use]
    pub const fn last_year(&self) -> Option<u16> {
        if self.last_year == CURRENT {
            None
        } else {
            Some(self.last_year)
        }
    }

    const fn contains(&self, year: u16) -> bool {
        self.first_year <= year && year <= self.last_year
    }
}

pub(crate) const fn span(name: &'static str, first_year: u16, last_year: u16) -> NameSpan {
    NameSpan {
        name,
        first_year,
        last_year,
    }
}

/// One address code and every name it carried, oldest first.
#[derive(Debug)]
pub(crate) struct RegionRecord {
    pub(crate) code: u32,
    pub(crate) names: &'static [NameSpan],
}

impl RegionRecord {
    pub(crate) const fn new(code: u32, names: &'static [NameSpan]) -> Self {
        Self { code, names }
    }

    pub(crate) fn first_year(&self) -> u16 {
        self.names.iter().map(|s| s.first_year).min().unwrap_or(0)
    }

    /// The last year-end list that carried the code under any name; `CURRENT` if it is in force.
    pub(crate) fn last_year(&self) -> u16 {
        self.names
            .iter()
            .map(|s| s.last_year)
            .max()
            .unwrap_or(CURRENT)
    }

    /// The name in force in `year`; a year outside the code's life gives the nearest name.
    /// Where two spans overlap (the source lists a short-lived rename inside a longer span),
    /// the later-starting, shorter one is the more specific answer.
    pub(crate) fn name_in(&self, year: u16) -> &'static str {
        let mut best: Option<&NameSpan> = None;
        for s in self.names {
            if s.contains(year) && best.is_none_or(|b| s.first_year >= b.first_year) {
                best = Some(s);
            }
        }
        if let Some(s) = best {
            return s.name;
        }
        let names = self.names;
        if names.is_empty() {
            return "";
        }
        if year < self.first_year() {
            names[0].name
        } else {
            // After the code's end: the name it last carried.
            let mut last = &names[0];
            for s in names {
                if s.last_year >= last.last_year {
                    last = s;
                }
            }
            last.name
        }
    }

    /// The first year whose year-end list no longer has the code, if it was abolished.
    pub(crate) fn abolished_in(&self) -> Option<u16> {
        let last = self.last_year();
        (last != CURRENT).then(|| last + 1)
    }

    pub(crate) fn current_name(&self) -> Option<&'static str> {
        self.names
            .iter()
            .rev()
            .find(|s| s.last_year == CURRENT)
            .map(|s| s.name)
    }
}
