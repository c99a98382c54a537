//! ID-number parsing speed.
//!
//! Group `parse`: our full parse (normalise, MOD 11-2, calendar date, not-future, province and
//! region lookup) against a bare hand-written floor loop (MOD 11-2 + calendar date, no region) on
//! the same inputs. Group `crates`: our parse against the published crates `id-card` 0.1.4 and
//! `idcard` 0.3.0 on one shared set of valid and invalid numbers.
//!
//! Run: `cargo bench --bench id_number`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use idcheck::IdNumber;
use std::hint::black_box;

const VALID_18: &str = "11010519491231002X";
const WRONG_CHECK: &str = "110105194912310021";
const VALID_15: &str = "130503670401001";

/// The floor: only what any validator must do (MOD 11-2 and a calendar date), nothing else.
fn floor(input: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let b = input.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = match b.len() {
        18 => {
            if !b[..17].iter().all(u8::is_ascii_digit) {
                return false;
            }
            let sum: u32 = b[..17]
                .iter()
                .zip(WEIGHTS)
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            if b"10X98765432"[(sum % 11) as usize] != b[17] {
                return false;
            }
            (digits(6..10), digits(10..12), digits(12..14))
        }
        15 => {
            if !b.iter().all(u8::is_ascii_digit) {
                return false;
            }
            (1900 + digits(6..8), digits(8..10), digits(10..12))
        }
        _ => return false,
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn parse_group(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, input) in [
        ("valid_18", VALID_18),
        ("wrong_check", WRONG_CHECK),
        ("valid_15", VALID_15),
    ] {
        assert_eq!(floor(input), IdNumber::parse(input).is_ok(), "{name}");
        group.bench_with_input(BenchmarkId::new("idcheck", name), input, |b, i| {
            b.iter(|| IdNumber::parse(black_box(i)).is_ok());
        });
        group.bench_with_input(BenchmarkId::new("floor", name), input, |b, i| {
            b.iter(|| floor(black_box(i)));
        });
    }
    group.finish();
}

/// Real-looking numbers (valid), common typos (invalid) and structurally broken input.
fn shared_set() -> Vec<&'static str> {
    vec![
        "11010519491231002X",
        "440524188001010014",
        "130503196704010016",
        "610104196209276908",
        "11010320050101001X",
        "370521199001010010",
        "500101198001010013",
        "342401200101010019",
        "110105194912310021",
        "440524188001010015",
        "130503196704010061",
        "11010519491231002",
        "1101051949123100X2",
        "110105190002290011",
        "11010519491331002X",
        "abcdefghijklmnopqr",
    ]
}

fn crates_group(c: &mut Criterion) {
    let set = shared_set();
    let mut group = c.benchmark_group("crates");
    group.throughput(Throughput::Elements(set.len() as u64));
    group.bench_function("idcheck", |b| {
        b.iter(|| {
            set.iter()
                .filter(|s| IdNumber::parse(black_box(s)).is_ok())
                .count()
        });
    });
    group.bench_function("id-card 0.1.4", |b| {
        b.iter(|| {
            set.iter()
                .filter(|s| id_card::validate(black_box(s)))
                .count()
        });
    });
    group.bench_function("idcard 0.3.0", |b| {
        b.iter(|| {
            set.iter()
                .filter(|s| idcard::validate(black_box(s)))
                .count()
        });
    });
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::parse_group, super::crates_group);
}
criterion_main!(group::benches);
