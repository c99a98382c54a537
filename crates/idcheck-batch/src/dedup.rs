//! Identical requests within a run, found by an exact key: the ID number, the name and the
//! mobile packed into two or three 64-bit words where they fit (almost always), their bytes
//! otherwise. No keyed hash, no hex, no allocation for a packed key, and about 30 bytes for
//! each distinct request (the key, its first row, a slot of the index).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use idcheck_core::{IdNumber, Mobile, Name};

/// Rows are numbered in 32 bits in the index: a file of more rows is refused.
pub(crate) const MAX_ROWS: u64 = u32::MAX as u64;

/// The parts of a valid row that make its request what it is.
pub(crate) struct KeyParts<'a> {
    pub(crate) id: &'a IdNumber,
    pub(crate) name: &'a Name,
    pub(crate) mobile: Option<&'a Mobile>,
    /// The photo cell, as given (face checks).
    pub(crate) photo: Option<&'a str>,
}

/// Whether a request was seen before in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The first row with this request: its distinct index.
    First(usize),
    /// A request seen before: its distinct index and the first row that had it.
    Again { distinct: usize, first_row: u64 },
}

/// The distinct requests of a run, by exact key.
pub(crate) struct Dedup {
    /// Words of each packed key: 2 (ID number, name) or 3 (and a mobile).
    width: usize,
    /// One record per distinct request, in the order first seen: its packed key as pairs of
    /// 32-bit halves (the first word [`SPILLED`] for a key that did not pack), then the row it
    /// was first seen on; a lookup reads one record.
    records: Vec<u32>,
    /// Records so far.
    count: usize,
    /// Open addressing, linear probing: 0 for empty, else a tag (the top bits of the key's
    /// hash) above the distinct index + 1 of a packed key.
    slots: Vec<u32>,
    /// Keys that do not pack (long or rare names, photos), by their bytes.
    spilled: HashMap<Box<[u8]>, u32, foldhash::fast::RandomState>,
    hasher: foldhash::fast::RandomState,
    scratch: Vec<u8>,
}

/// The first word of a record whose key did not pack: no packed ID number reaches it.
const SPILLED: u64 = u64::MAX;

/// Slots at first (grows by doubling).
const INITIAL_SLOTS: usize = 1024;

impl Dedup {
    /// An empty index for keys with a mobile (`with_mobile`) or without.
    pub(crate) fn new(with_mobile: bool) -> Self {
        Self {
            width: if with_mobile { 3 } else { 2 },
            records: Vec::new(),
            count: 0,
            slots: vec![0; INITIAL_SLOTS],
            spilled: HashMap::default(),
            hasher: foldhash::fast::RandomState::default(),
            scratch: Vec::new(),
        }
    }

    /// `u32`s in a record.
    fn stride(&self) -> usize {
        self.width * 2 + 1
    }

    /// Distinct requests so far.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Finds the request of `parts`, first seen on `row` if it is new. `row` is at most
    /// [`MAX_ROWS`].
    pub(crate) fn see(&mut self, parts: &KeyParts<'_>, row: u64) -> Seen {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        if let Some(key) = pack(parts, self.width) {
            return self.see_packed(&key, row);
        }
        spill(parts, &mut self.scratch);
        let next = self.len();
        if let Some(&distinct) = self.spilled.get(self.scratch.as_slice()) {
            let distinct = distinct as usize;
            return Seen::Again {
                distinct,
                first_row: u64::from(self.first_row(distinct)),
            };
        }
        self.spilled.insert(
            self.scratch.as_slice().into(),
            u32::try_from(next).unwrap_or(u32::MAX),
        );
        self.push(&[SPILLED; 3], row);
        self.grow_if_full();
        Seen::First(next)
    }

    fn push(&mut self, key: &[u64; 3], row: u32) {
        #[allow(clippy::cast_possible_truncation)] // the two halves
        let half = |i: usize, high: bool| (key[i] >> if high { 32 } else { 0 }) as u32;
        if self.width == 3 {
            self.records.extend_from_slice(&[
                half(0, false),
                half(0, true),
                half(1, false),
                half(1, true),
                half(2, false),
                half(2, true),
                row,
            ]);
        } else {
            self.records.extend_from_slice(&[
                half(0, false),
                half(0, true),
                half(1, false),
                half(1, true),
                row,
            ]);
        }
        self.count += 1;
    }

    fn key_of(&self, distinct: usize) -> [u64; 3] {
        let at = distinct * self.stride();
        let word =
            |i: usize| u64::from(self.records[at + i]) | u64::from(self.records[at + i + 1]) << 32;
        if self.width == 3 {
            [word(0), word(2), word(4)]
        } else {
            [word(0), word(2), 0]
        }
    }

    /// The hash of a packed key: its words, not its bytes.
    fn hash(&self, key: &[u64; 3]) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        hasher.write_u64(key[0]);
        hasher.write_u64(key[1]);
        if self.width == 3 {
            hasher.write_u64(key[2]);
        }
        hasher.finish()
    }

    fn first_row(&self, distinct: usize) -> u32 {
        self.records[distinct * self.stride() + self.width * 2]
    }

    /// Bits of a slot below its tag: the slots' count is `1 << shift`, and a slot holds a
    /// distinct index + 1, always below it.
    fn shift(&self) -> u32 {
        self.slots.len().trailing_zeros()
    }

    fn see_packed(&mut self, key: &[u64; 3], row: u32) -> Seen {
        let hash = self.hash(key);
        let (shift, mask) = (self.shift(), self.slots.len() - 1);
        // The hash's top bits tag the slot: most probes are settled without reading a key.
        let tag = tag(hash, shift);
        #[allow(clippy::cast_possible_truncation)] // the low bits pick the slot
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if slot >> shift == tag {
                let distinct = (slot & low_bits(shift)) as usize - 1;
                if self.key_of(distinct) == *key {
                    return Seen::Again {
                        distinct,
                        first_row: u64::from(self.first_row(distinct)),
                    };
                }
            }
            at = (at + 1) & mask;
        }
        let distinct = self.len();
        self.push(key, row);
        self.slots[at] = slot(tag, distinct, shift);
        self.grow_if_full();
        Seen::First(distinct)
    }

    /// Doubles the slots once the distinct requests (packed or not) fill three quarters:
    /// probes stay short, and every index + 1 stays below the tag.
    fn grow_if_full(&mut self) {
        if self.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
    }

    /// Doubles the slots and puts every packed key back, reading the records in order.
    fn grow(&mut self) {
        self.slots = vec![0; self.slots.len() * 2];
        let (shift, mask) = (self.shift(), self.slots.len() - 1);
        for distinct in 0..self.len() {
            let key = self.key_of(distinct);
            if key[0] == SPILLED {
                continue;
            }
            let hash = self.hash(&key);
            #[allow(clippy::cast_possible_truncation)] // the low bits pick the slot
            let mut at = hash as usize & mask;
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot(tag(hash, shift), distinct, shift);
        }
    }
}

/// The tag of `hash` in a slot whose low `shift` bits hold an index.
fn tag(hash: u64, shift: u32) -> u32 {
    #[allow(clippy::cast_possible_truncation)] // at most 32 bits
    let tag = hash.checked_shr(32 + shift).unwrap_or(0) as u32;
    tag
}

fn low_bits(shift: u32) -> u32 {
    1_u32.checked_shl(shift).map_or(u32::MAX, |b| b - 1)
}

/// A slot: the tag above the distinct index + 1.
fn slot(tag: u32, distinct: usize, shift: u32) -> u32 {
    let index = u32::try_from(distinct + 1).unwrap_or(u32::MAX);
    tag.checked_shl(shift).unwrap_or(0) | index
}

/// The key in `width` words, or `None` when it does not fit (a photo, a name of more than
/// four characters, or five with a mobile, or a character outside the BMP's CJK blocks).
fn pack(parts: &KeyParts<'_>, width: usize) -> Option<[u64; 3]> {
    if parts.photo.is_some() {
        return None;
    }
    let id = pack_id(parts.id.as_str())?;
    #[allow(clippy::cast_possible_truncation)] // the words' bits, by design
    if width == 3 {
        let mobile = pack_mobile(parts.mobile?.as_str())?;
        let name = pack_name(parts.name.as_str(), 5)?;
        Some([
            id,
            mobile | (name as u64 & 0x7FFF) << 37,
            (name >> 15) as u64,
        ])
    } else {
        Some([id, pack_name(parts.name.as_str(), 4)? as u64, 0])
    }
}

/// Up to `max` name characters (at most 8) in 15 bits each, the first lowest.
fn pack_name(name: &str, max: usize) -> Option<u128> {
    let mut packed = 0_u128;
    for (at, c) in name.chars().enumerate() {
        if at == max {
            return None;
        }
        packed |= u128::from(name_code(c)?) << (15 * at);
    }
    Some(packed)
}

/// An ID number in 62 bits: the 17 digits and the check character (0–10) of an 18-character
/// number, or bit 61 and the 15 digits of a first-generation one.
fn pack_id(id: &str) -> Option<u64> {
    let bytes = id.as_bytes();
    let (digits, check) = match bytes.len() {
        18 => (&bytes[..17], Some(bytes[17])),
        15 => (bytes, None),
        _ => return None,
    };
    let value = decimal(digits)?;
    match check {
        Some(check @ b'0'..=b'9') => Some(value * 11 + u64::from(check - b'0')),
        Some(b'X') => Some(value * 11 + 10),
        Some(_) => None,
        None => Some(value | 1 << 61),
    }
}

/// A mobile's 11 digits in 37 bits.
fn pack_mobile(mobile: &str) -> Option<u64> {
    let bytes = mobile.as_bytes();
    if bytes.len() != 11 {
        return None;
    }
    decimal(bytes)
}

/// The value of up to 19 ASCII digits, eight at a time; `None` for anything else.
fn decimal(digits: &[u8]) -> Option<u64> {
    let mut chunks = digits.chunks_exact(8);
    let mut value = 0_u64;
    for chunk in chunks.by_ref() {
        let mut eight = [0; 8];
        eight.copy_from_slice(chunk);
        value = value * 100_000_000 + u64::from(eight_digits(eight)?);
    }
    for &digit in chunks.remainder() {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
    }
    Some(value)
}

/// Eight ASCII digits (the first most significant) in a few word operations.
fn eight_digits(bytes: [u8; 8]) -> Option<u32> {
    let word = u64::from_le_bytes(bytes);
    // Every byte 0x30..=0x39: its high nibble is 3, and still 3 once 6 is added.
    if word & 0xF0F0_F0F0_F0F0_F0F0 != 0x3030_3030_3030_3030
        || (word + 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 != 0x3030_3030_3030_3030
    {
        return None;
    }
    let digits = word - 0x3030_3030_3030_3030;
    // Pairs, then fours, then eight (each step: the high part times 10^k plus the low).
    let pairs = (digits * 10 + (digits >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    let eight = (fours * 10_000 + (fours >> 32)) & 0xFFFF_FFFF;
    u32::try_from(eight).ok()
}

/// A name character in 15 bits, never 0: the middle dot, 〇, and the CJK blocks of the BMP
/// (Extension A, the unified ideographs, the compatibility ideographs).
fn name_code(c: char) -> Option<u16> {
    let c = u32::from(c);
    let code = match c {
        0xB7 => 1,
        0x3007 => 2,
        0x3400..=0x4DBF => 3 + (c - 0x3400),
        0x4E00..=0x9FFF => 0x19C3 + (c - 0x4E00),
        0xF900..=0xFAFF => 0x6BC3 + (c - 0xF900),
        _ => return None,
    };
    u16::try_from(code).ok()
}

/// The key's bytes: the check, then each part with its length.
fn spill(parts: &KeyParts<'_>, out: &mut Vec<u8>) {
    out.clear();
    let check = if parts.photo.is_some() {
        b'f'
    } else if parts.mobile.is_some() {
        b'm'
    } else {
        b'i'
    };
    out.push(check);
    let mut field = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    field(parts.id.as_str().as_bytes());
    field(parts.name.as_str().as_bytes());
    if let Some(mobile) = parts.mobile {
        field(mobile.as_str().as_bytes());
    }
    if let Some(photo) = parts.photo {
        field(photo.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn name_codes_are_distinct_and_fit_in_15_bits() {
        let mut seen = std::collections::HashSet::new();
        for c in ['\u{B7}', '\u{3007}']
            .into_iter()
            .chain('\u{3400}'..='\u{4DBF}')
            .chain('\u{4E00}'..='\u{9FFF}')
            .chain('\u{F900}'..='\u{FAFF}')
        {
            let code = name_code(c).unwrap();
            assert!(code > 0 && code < 1 << 15, "{c}");
            assert!(seen.insert(code), "{c}");
        }
        assert_eq!(name_code('𠮷'), None);
        assert_eq!(name_code('a'), None);
    }

    #[test]
    fn digits_are_read_eight_at_a_time_as_one_at_a_time() {
        for text in [
            "12345678",
            "00000000",
            "99999999",
            "1234567890123456789",
            "13800138000",
            "0",
            "",
        ] {
            assert_eq!(
                decimal(text.as_bytes()),
                text.parse().ok().or(Some(0).filter(|_| text.is_empty())),
                "{text}"
            );
        }
        for bad in [
            "1234567/",
            "123456:8",
            "12345 78",
            "1234567\u{0}",
            "１2345678",
        ] {
            assert_eq!(decimal(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn ids_pack_apart() {
        let a = pack_id("11010519491231002X").unwrap();
        assert_ne!(Some(a), pack_id("110105194912310021"));
        assert_ne!(pack_id("130503670401001"), pack_id("130503196704010012"));
        assert!(pack_id("999999999999999999").unwrap() < 1 << 62);
        assert!(pack_id("999999999999999").unwrap() < 1 << 62);
        assert_eq!(pack_id("1234"), None);
    }

    fn parts_see(dedup: &mut Dedup, id: &str, name: &str, mobile: Option<&str>, row: u64) -> Seen {
        let id = IdNumber::parse(id).unwrap();
        let name = Name::parse(name).unwrap();
        let mobile = mobile.map(|m| Mobile::parse(m).unwrap());
        dedup.see(
            &KeyParts {
                id: &id,
                name: &name,
                mobile: mobile.as_ref(),
                photo: None,
            },
            row,
        )
    }

    #[test]
    fn packed_and_spilled_keys_find_their_first_row() {
        let mut dedup = Dedup::new(true);
        let id = "11010519491231002X";
        for (name, spilled) in [
            ("张三", false),
            ("欧阳娜娜娜", false),
            ("欧阳娜娜娜娜", true),
            ("吉𠮷", true),
        ] {
            assert_eq!(
                pack(
                    &KeyParts {
                        id: &IdNumber::parse(id).unwrap(),
                        name: &Name::parse(name).unwrap(),
                        mobile: Some(&Mobile::parse("13800138000").unwrap()),
                        photo: None
                    },
                    3
                )
                .is_none(),
                spilled,
                "{name}"
            );
        }
        assert_eq!(
            parts_see(&mut dedup, id, "张三", Some("13800138000"), 1),
            Seen::First(0)
        );
        assert_eq!(
            parts_see(&mut dedup, id, "吉𠮷", Some("13800138000"), 2),
            Seen::First(1)
        );
        assert_eq!(
            parts_see(&mut dedup, id, "张三", Some("13800138001"), 3),
            Seen::First(2)
        );
        assert_eq!(
            parts_see(
                &mut dedup,
                "11010519491231002x",
                "张三",
                Some("138 0013 8000"),
                4
            ),
            Seen::Again {
                distinct: 0,
                first_row: 1
            }
        );
        assert_eq!(
            parts_see(&mut dedup, id, "吉𠮷", Some("13800138000"), 5),
            Seen::Again {
                distinct: 1,
                first_row: 2
            }
        );
        assert_eq!(dedup.len(), 3);
    }

    proptest! {
        #[test]
        fn the_index_agrees_with_a_map_of_the_full_strings(
            people in proptest::collection::vec((0..40_u32, 0..6_usize, 0..3_u32), 0..3000),
            with_mobile in any::<bool>(),
        ) {
            let names = ["张三", "李四", "欧阳娜娜", "阿卜杜·热合曼", "吉𠮷", "王五六七八"];
            let mut dedup = Dedup::new(with_mobile);
            let mut expected: HashMap<String, (usize, u64)> = HashMap::new();
            for (row, (person, name, mobile)) in people.into_iter().enumerate() {
                let row = row as u64 + 1;
                let id = format!("1101051949{:04}{:03}", 1201 + person % 30, person);
                let first17: Vec<u32> = id.bytes().map(|b| u32::from(b - b'0')).collect();
                let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
                let sum: u32 = first17.iter().zip(weights).map(|(d, w)| d * w).sum();
                let id = format!("{id}{}", char::from(b"10X98765432"[(sum % 11) as usize]));
                let mobile = with_mobile.then(|| format!("1380013800{mobile}"));
                let full = format!("{id}/{}/{mobile:?}", names[name]);
                let next = expected.len();
                let seen = parts_see(&mut dedup, &id, names[name], mobile.as_deref(), row);
                if let Some(&(distinct, first_row)) = expected.get(&full) {
                    prop_assert_eq!(seen, Seen::Again { distinct, first_row });
                } else {
                    prop_assert_eq!(seen, Seen::First(next));
                    expected.insert(full, (next, row));
                }
            }
            prop_assert_eq!(dedup.len(), expected.len());
        }
    }
}
