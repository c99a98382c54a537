//! GB/T 2260 address codes since 1980, with the names they carried and the years they were valid.
//!
//! An ID number keeps its address code for life, so a code abolished decades ago (110103 崇文区,
//! abolished 2010) is still a valid prefix, and a renamed code (130503: 桥西区 until 2019, 信都区
//! after) names the place as it was. The table is generated; see `table.rs` for its sources.

pub(crate) mod record;
// Generated: six-digit codes read best as written, and the file is regenerated, not formatted.
#[allow(clippy::unreadable_literal)]
#[rustfmt::skip]
mod table;

pub use record::NameSpan;
pub(crate) use record::RegionRecord;
use record::{CURRENT, span};
use table::{REGION_COUNT, REGIONS};

const _: () = assert!(REGION_COUNT == REGIONS.len());

/// How many distinct four-digit prefixes the table's codes have.
const ROW_COUNT: usize = count_prefixes(&REGIONS);
/// `PREFIX_ROW[p]` is 1 + the row of the codes starting with the four digits `p`, or 0 if none.
static PREFIX_ROW: [u16; 10_000] = build_prefix_rows(&REGIONS);
/// One row per four-digit prefix: where its records start in `REGIONS` and, for each last-two-
/// digit suffix, the record's offset from there (`NO_SLOT` if the code does not exist). A lookup
/// is three loads and no arithmetic beyond a division by 100: no scan, no search, no popcount.
static ROWS: [Row; ROW_COUNT] = build_rows(&REGIONS);
const NO_SLOT: u8 = u8::MAX;

struct Row {
    start: u16,
    slots: [u8; 100],
}

/// Which two-digit province codes exist in the table; 256 entries, so that a byte indexes it
/// without a bounds check.
static PROVINCES: [bool; 256] = build_provinces(&REGIONS);

/// The address code of Taiwan residents' residence permits. Not a GB/T 2260 code (that is 710000).
pub(crate) const TAIWAN_PERMIT_CODE: u32 = 830_000;
static TAIWAN_PERMIT: RegionRecord =
    RegionRecord::new(TAIWAN_PERMIT_CODE, &[span("台湾省", 2018, CURRENT)]);

const fn count_prefixes(regions: &[RegionRecord]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < regions.len() {
        assert!(
            i == 0 || regions[i - 1].code < regions[i].code,
            "table must be sorted"
        );
        assert!(regions[i].code < 1_000_000, "six digits");
        if i == 0 || regions[i - 1].code / 100 != regions[i].code / 100 {
            count += 1;
        }
        i += 1;
    }
    count
}

// Evaluated at compile time only, so the large local array never lives on a stack.
#[allow(clippy::cast_possible_truncation, clippy::large_stack_arrays)] // rows < 65,535 (asserted)
const fn build_prefix_rows(regions: &[RegionRecord]) -> [u16; 10_000] {
    assert!(ROW_COUNT < u16::MAX as usize);
    let mut rows = [0u16; 10_000];
    let mut row = 0usize;
    let mut i = 0;
    while i < regions.len() {
        let prefix = (regions[i].code / 100) as usize;
        if rows[prefix] == 0 {
            row += 1;
            rows[prefix] = row as u16;
        }
        i += 1;
    }
    rows
}

#[allow(clippy::cast_possible_truncation, clippy::large_stack_arrays)] // compile time; asserted
const fn build_rows(regions: &[RegionRecord]) -> [Row; ROW_COUNT] {
    assert!(regions.len() < u16::MAX as usize);
    let mut rows = [const {
        Row {
            start: 0,
            slots: [NO_SLOT; 100],
        }
    }; ROW_COUNT];
    let mut row = 0usize;
    let mut i = 0;
    while i < regions.len() {
        let code = regions[i].code;
        if i > 0 && regions[i - 1].code / 100 != code / 100 {
            row += 1;
            rows[row].start = i as u16;
        }
        let offset = i - rows[row].start as usize;
        assert!(offset < NO_SLOT as usize);
        rows[row].slots[(code % 100) as usize] = offset as u8;
        i += 1;
    }
    rows
}

const fn build_provinces(regions: &[RegionRecord]) -> [bool; 256] {
    let mut known = [false; 256];
    let mut i = 0;
    while i < regions.len() {
        if regions[i].code % 10_000 == 0 {
            known[(regions[i].code / 10_000) as usize] = true;
        }
        i += 1;
    }
    known
}

#[inline(always)]
#[allow(clippy::inline_always)] // three loads on the parse path (measured)
pub(crate) fn record(code: u32) -> Option<&'static RegionRecord> {
    if code == TAIWAN_PERMIT_CODE {
        return Some(&TAIWAN_PERMIT);
    }
    let row = usize::from(*PREFIX_ROW.get((code / 100) as usize)?);
    let row = ROWS.get(row.wrapping_sub(1))?;
    let offset = row.slots[(code % 100) as usize];
    if offset == NO_SLOT {
        return None;
    }
    REGIONS.get(usize::from(row.start) + usize::from(offset))
}

/// Names of codes that group counties rather than name a place.
fn is_grouping_name(name: &str) -> bool {
    name == "市辖区" || name == "县" || name.contains("直辖")
}

/// Whether `province` (the first two digits of an address code) is a GB/T 2260 province.
pub(crate) fn is_known_province(province: u32) -> bool {
    usize::try_from(province).is_ok_and(|p| p < 100 && PROVINCES[p])
}

/// [`is_known_province`] of a two-digit number held in a byte (the fast paths' lanes).
#[inline(always)]
#[allow(clippy::inline_always)] // one load on the parse path (measured)
pub(crate) fn is_known_province_byte(province: u8) -> bool {
    PROVINCES[usize::from(province)]
}

#[cfg(test)]
fn is_known(code: u32) -> bool {
    record(code).is_some()
}

/// Every address code in the table, ascending (the Taiwan residence-permit code 830000 is not a
/// region and is not included).
#[must_use]
pub fn all_codes() -> impl ExactSizeIterator<Item = u32> {
    REGIONS.iter().map(|r| r.code)
}

/// Whether an address code is in force, abolished, or not in the table at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionStatus {
    /// In the current list.
    Current,
    /// No longer listed; the code stays valid in ID numbers issued before.
    Abolished {
        /// The first year whose year-end list no longer has the code.
        year: u16,
    },
    /// Not in the table, though its province is known: a code the sources missed, or a typo
    /// that the check character happened to cover. Accepted unless parsing is strict.
    Unknown,
}

/// What an address code says, with names as they were in a given year (for an ID number: the
/// birth year). Cheap to copy; every accessor is a table lookup and allocates nothing.
#[derive(Clone, Copy)]
pub struct Region {
    code: u32,
    year: u16,
    record: Option<&'static RegionRecord>,
}

impl Region {
    /// Look up a six-digit address code, naming places as they were in `year`.
    #[must_use]
    pub fn lookup(code: u32, year: u16) -> Self {
        Self::from_record(code, year, record(code))
    }

    pub(crate) const fn from_record(
        code: u32,
        year: u16,
        record: Option<&'static RegionRecord>,
    ) -> Self {
        Self { code, year, record }
    }

    /// The six-digit address code.
    #[must_use]
    pub const fn code(&self) -> u32 {
        self.code
    }

    /// Whether the code is in the table.
    #[must_use]
    pub const fn is_known(&self) -> bool {
        self.record.is_some()
    }

    /// Current, abolished (and when) or unknown.
    #[must_use]
    pub fn status(&self) -> RegionStatus {
        match self.record {
            None => RegionStatus::Unknown,
            Some(r) => match r.last_year() {
                CURRENT => RegionStatus::Current,
                last => RegionStatus::Abolished { year: last + 1 },
            },
        }
    }

    /// The first year-end list that carried the code (1980 = the earliest list or before).
    #[must_use]
    pub fn first_year(&self) -> Option<u16> {
        self.record.map(RegionRecord::first_year)
    }

    /// The year the names are given for.
    #[must_use]
    pub const fn year(&self) -> u16 {
        self.year
    }

    /// The same code, naming places as they were in another year.
    #[must_use]
    pub const fn in_year(self, year: u16) -> Self {
        Self { year, ..self }
    }

    /// The code's own name as it was in [`year`](Self::year) (the nearest name if the code did
    /// not exist then), e.g. `桥西区` for 130503 in 1967.
    #[must_use]
    pub fn name(&self) -> Option<&'static str> {
        self.record.map(|r| r.name_in(self.year))
    }

    /// The name the code carries today, if it is still in force.
    #[must_use]
    pub fn current_name(&self) -> Option<&'static str> {
        self.record.and_then(RegionRecord::current_name)
    }

    /// Every name the code carried, oldest first.
    #[must_use]
    pub fn history(&self) -> &'static [NameSpan] {
        self.record.map_or(&[], |r| r.names)
    }

    /// The province (`XX0000`) as it was named in [`year`](Self::year).
    #[must_use]
    pub fn province(&self) -> Option<&'static str> {
        record(self.code / 10_000 * 10_000).map(|r| r.name_in(self.year))
    }

    /// The prefecture (`XXXX00`) as it was named in [`year`](Self::year); `None` for a province, a
    /// prefecture code itself, or a code directly under its province (including the grouping
    /// codes 市辖区, 县 and 省直辖县级行政单位, which name no place).
    #[must_use]
    pub fn prefecture(&self) -> Option<&'static str> {
        let prefecture = self.code / 100 * 100;
        if prefecture == self.code || prefecture % 10_000 == 0 {
            return None;
        }
        record(prefecture)
            .map(|r| r.name_in(self.year))
            .filter(|name| !is_grouping_name(name))
    }

    /// The county-level name (the code's own name) when the code is below prefecture level.
    #[must_use]
    pub fn county(&self) -> Option<&'static str> {
        if self.code % 100 == 0 {
            None
        } else {
            self.name()
        }
    }
}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Region")
            .field("code", &self.code)
            .field("year", &self.year)
            .field("province", &self.province())
            .field("prefecture", &self.prefecture())
            .field("name", &self.name())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Province / prefecture / county names, e.g. `北京市 朝阳区`, or the bare code when unknown.
impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for part in [self.province(), self.prefecture(), self.county()]
            .into_iter()
            .flatten()
        {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(part)?;
            first = false;
        }
        if first {
            write!(f, "{:06}", self.code)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_found_by_lookup() {
        for r in &REGIONS {
            assert!(is_known(r.code), "{}", r.code);
            assert!(!r.names.is_empty(), "{}", r.code);
        }
        assert_eq!(
            ROWS.iter()
                .map(|r| r.slots.iter().filter(|&&s| s != NO_SLOT).count())
                .sum::<usize>(),
            REGIONS.len()
        );
    }

    #[test]
    fn codes_not_in_the_table_are_unknown() {
        assert!(!is_known(110_199));
        assert!(!is_known(999_999));
        assert!(!is_known(0));
        assert!(!is_known(u32::MAX));
    }

    #[test]
    fn abolished_codes_keep_their_names_and_years() {
        let chongwen = Region::lookup(110_103, 1990);
        assert_eq!(chongwen.status(), RegionStatus::Abolished { year: 2010 });
        assert_eq!(chongwen.name(), Some("崇文区"));
        assert_eq!(chongwen.province(), Some("北京市"));
        assert_eq!(chongwen.current_name(), None);
        let kenli = Region::lookup(370_521, 1990);
        assert_eq!(kenli.status(), RegionStatus::Abolished { year: 2016 });
        assert_eq!(kenli.name(), Some("垦利县"));
        assert_eq!(kenli.prefecture(), Some("东营市"));
    }

    #[test]
    fn a_renamed_code_names_the_place_as_it_was() {
        let r = Region::lookup(130_503, 1967);
        assert_eq!(r.name(), Some("桥西区"));
        assert_eq!(r.in_year(2019).name(), Some("桥西区"));
        assert_eq!(r.in_year(2020).name(), Some("信都区"));
        assert_eq!(r.current_name(), Some("信都区"));
        assert_eq!(r.status(), RegionStatus::Current);
        assert_eq!(r.to_string(), "河北省 邢台市 桥西区");
    }

    #[test]
    fn codes_created_since_2021_come_from_the_current_list() {
        for (code, name) in [
            (330_113, "临平区"),
            (540_481, "米林市"),
            (653_228, "和康县"),
            (659_012, "白杨市"),
        ] {
            let r = Region::lookup(code, 2025);
            assert_eq!(r.name(), Some(name), "{code}");
            assert_eq!(r.status(), RegionStatus::Current, "{code}");
            assert!(r.first_year().is_some_and(|y| y > 2020), "{code}");
        }
        // Replaced in 2021 by 330113 / 330114 and 330102.
        assert_eq!(
            Region::lookup(330_104, 2000).status(),
            RegionStatus::Abolished { year: 2021 }
        );
    }

    #[test]
    fn grouping_codes_old_ids_carry_are_known() {
        assert_eq!(Region::lookup(110_100, 1970).name(), Some("市辖区"));
        assert_eq!(Region::lookup(130_200, 1970).name(), Some("唐山市"));
        assert_eq!(Region::lookup(110_105, 1990).prefecture(), None);
        assert_eq!(Region::lookup(429_004, 2000).to_string(), "湖北省 仙桃市");
    }

    #[test]
    fn provinces_are_known_and_residence_permit_codes_resolve() {
        for p in [11, 46, 50, 65, 71, 81, 82] {
            assert!(is_known_province(p), "{p}");
        }
        for p in [0, 10, 19, 83, 90, 99, 100] {
            assert!(!is_known_province(p), "{p}");
        }
        assert_eq!(Region::lookup(810_000, 2000).name(), Some("香港特别行政区"));
        assert_eq!(Region::lookup(830_000, 2000).province(), Some("台湾省"));
        assert_eq!(Region::lookup(830_000, 2000).name(), Some("台湾省"));
    }
}
