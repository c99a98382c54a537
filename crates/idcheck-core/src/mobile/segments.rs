//! The number-segment table (号段), written by hand.
//!
//! Facts: the carrier tables of VincentSit/ChinaMobilePhoneNumberRegex (MIT, README-CN.md at
//! commit 2da699d, 2022-05), plus 1610 (China Broadnet) from libphonenumber. Cross-checked with
//! `tools/check-mobile-segments/check_segments.py` against PyPI `phonenumbers` 9.0.43
//! (Apache-2.0, Google libphonenumber's carrier and validity data). Where they disagree:
//!
//! - 1349 and 1740x–1749: satellite. libphonenumber files 1740x/1749 under China Telecom's
//!   mobile range (and 1349 under none); the allocations are satellite services (Tiantong, 1349
//!   from China Satcom, 1749 Inmarsat maritime via MCN), so they are `Satellite` here.
//! - 17406–17412: the MIIT emergency-communication centre. libphonenumber calls them China
//!   Telecom but rejects them as invalid mobile numbers; here they parse to a segment whose kind
//!   is `Emergency`, which [`MobileParser`](super::MobileParser) refuses: nobody holds them as a
//!   personal line.
//! - 149 (Telecom data card): libphonenumber rejects it; it is allocated, so it is kept as a data
//!   card.
//! - 162 and 165 (virtual operators on Telecom and Mobile): libphonenumber accepts them but names
//!   no carrier; the host network is given here.
//! - 1410, 1440, 1441, 146, 148: 13-digit IoT numbers, which libphonenumber does not model.
//! - 154, 1611–1619, 174 13–48 and the other gaps: unallocated in both.
//!
//! Re-run the cross-check after editing: `python3 tools/check-mobile-segments/check_segments.py`.

use super::{Carrier, MobileKind, Segment};
use Carrier::{
    BeijingMarineCommunication as Mcn, ChinaBroadnet as Broadnet, ChinaMobile as Cmcc,
    ChinaTelecom as Telecom, ChinaUnicom as Unicom, EmergencyCommunication as Emergency,
};
use MobileKind::{DataCard, Iot, Mobile, Satellite, Virtual};

const fn seg(prefix: &'static str, carrier: Carrier, kind: MobileKind) -> Segment {
    let length = if matches!(kind, Iot) { 13 } else { 11 };
    Segment {
        prefix,
        carrier,
        kind,
        length,
    }
}

/// Every allocated segment, sorted by prefix. A longer prefix never overlaps a shorter one.
#[rustfmt::skip]
pub(super) static SEGMENTS: [Segment; 91] = [
    seg("130", Unicom, Mobile), seg("131", Unicom, Mobile), seg("132", Unicom, Mobile),
    seg("133", Telecom, Mobile),
    seg("1340", Cmcc, Mobile), seg("1341", Cmcc, Mobile), seg("1342", Cmcc, Mobile),
    seg("1343", Cmcc, Mobile), seg("1344", Cmcc, Mobile), seg("1345", Cmcc, Mobile),
    seg("1346", Cmcc, Mobile), seg("1347", Cmcc, Mobile), seg("1348", Cmcc, Mobile),
    seg("1349", Telecom, Satellite),
    seg("135", Cmcc, Mobile), seg("136", Cmcc, Mobile), seg("137", Cmcc, Mobile),
    seg("138", Cmcc, Mobile), seg("139", Cmcc, Mobile),
    seg("1410", Telecom, Iot), seg("1440", Cmcc, Iot), seg("1441", Cmcc, Iot),
    seg("145", Unicom, DataCard), seg("146", Unicom, Iot), seg("147", Cmcc, DataCard),
    seg("148", Cmcc, Iot), seg("149", Telecom, DataCard),
    seg("150", Cmcc, Mobile), seg("151", Cmcc, Mobile), seg("152", Cmcc, Mobile),
    seg("153", Telecom, Mobile), seg("155", Unicom, Mobile), seg("156", Unicom, Mobile),
    seg("157", Cmcc, Mobile), seg("158", Cmcc, Mobile), seg("159", Cmcc, Mobile),
    seg("1610", Broadnet, Mobile), seg("162", Telecom, Virtual), seg("165", Cmcc, Virtual),
    seg("166", Unicom, Mobile), seg("167", Unicom, Virtual),
    seg("1700", Telecom, Virtual), seg("1701", Telecom, Virtual), seg("1702", Telecom, Virtual),
    seg("1703", Cmcc, Virtual), seg("1704", Unicom, Virtual), seg("1705", Cmcc, Virtual),
    seg("1706", Cmcc, Virtual), seg("1707", Unicom, Virtual), seg("1708", Unicom, Virtual),
    seg("1709", Unicom, Virtual),
    seg("171", Unicom, Virtual), seg("172", Cmcc, Mobile), seg("173", Telecom, Mobile),
    seg("17400", Telecom, Satellite), seg("17401", Telecom, Satellite),
    seg("17402", Telecom, Satellite), seg("17403", Telecom, Satellite),
    seg("17404", Telecom, Satellite), seg("17405", Telecom, Satellite),
    seg("17406", Emergency, MobileKind::Emergency), seg("17407", Emergency, MobileKind::Emergency),
    seg("17408", Emergency, MobileKind::Emergency), seg("17409", Emergency, MobileKind::Emergency),
    seg("17410", Emergency, MobileKind::Emergency), seg("17411", Emergency, MobileKind::Emergency),
    seg("17412", Emergency, MobileKind::Emergency),
    seg("1749", Mcn, Satellite),
    seg("175", Unicom, Mobile), seg("176", Unicom, Mobile), seg("177", Telecom, Mobile),
    seg("178", Cmcc, Mobile),
    seg("180", Telecom, Mobile), seg("181", Telecom, Mobile), seg("182", Cmcc, Mobile),
    seg("183", Cmcc, Mobile), seg("184", Cmcc, Mobile), seg("185", Unicom, Mobile),
    seg("186", Unicom, Mobile), seg("187", Cmcc, Mobile), seg("188", Cmcc, Mobile),
    seg("189", Telecom, Mobile),
    seg("190", Telecom, Mobile), seg("191", Telecom, Mobile), seg("192", Broadnet, Mobile),
    seg("193", Telecom, Mobile), seg("195", Cmcc, Mobile), seg("196", Unicom, Mobile),
    seg("197", Cmcc, Mobile), seg("198", Cmcc, Mobile), seg("199", Telecom, Mobile),
];

/// Index by the first five digits (10000–19999): 0 = unallocated, else the row in
/// [`SEGMENTS`] plus one. Built at compile time from the table, so the two cannot disagree.
pub(super) static BY_FIVE_DIGITS: [u8; 10_000] = build_index();

// `as` in a const fn: `From` is not const; the assert bounds the row.
#[allow(clippy::cast_possible_truncation, clippy::cast_lossless)]
const fn build_index() -> [u8; 10_000] {
    let mut index = [0u8; 10_000];
    let mut row = 0;
    while row < SEGMENTS.len() {
        let prefix = SEGMENTS[row].prefix.as_bytes();
        // The prefix as a five-digit number range: "134" covers 13400..=13499.
        let mut start = 0usize;
        let mut i = 0;
        while i < 5 {
            let digit = if i < prefix.len() {
                (prefix[i] - b'0') as usize
            } else {
                0
            };
            start = start * 10 + digit;
            i += 1;
        }
        let mut width = 1usize;
        let mut missing = 5 - prefix.len();
        while missing > 0 {
            width *= 10;
            missing -= 1;
        }
        let mut at = start - 10_000;
        while at < start - 10_000 + width {
            assert!(index[at] == 0, "overlapping segment prefixes");
            assert!(row < 255);
            index[at] = (row + 1) as u8;
            at += 1;
        }
        row += 1;
    }
    index
}
