//! ID-number parsing speed.
//!
//! Group `parse`: our full parse (normalise, MOD 11-2, calendar date, not-future, province and
//! region lookup) against a bare hand-written floor loop (MOD 11-2 + calendar date, no region) on
//! the same inputs. Group `crates`: our parse against the published crates `id-card` 0.1.4 and
//! `idcard` 0.3.0 on one shared set of valid and invalid numbers. Group `corpus`: a mixed corpus
//! of 100,000 numbers (see [`corpus`]) through our parse, the floor loop and `id-card` 0.1.4;
//! before criterion times them one after the other, the same three are timed in 30 interleaved
//! passes (ours, floor, id-card, ours, …) and the best pass of each is printed with the ratios.
//!
//! Run: `cargo bench --bench id_number` (`-- corpus` for the corpus alone; pin with
//! `taskset -c 1`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use idcheck::core::region;
use idcheck::{IdNumber, Region, RegionStatus};
use std::hint::black_box;
use std::time::{Duration, Instant};

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

/// A small deterministic generator (xorshift64*), so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` for a benchmark corpus.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() >> 33).unwrap() % n
    }
}

fn check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

fn with_check(first17: &str) -> String {
    format!("{first17}{}", check_char(first17))
}

/// 100,000 numbers, shuffled, in these shares:
///
/// | share | what |
/// |---|---|
/// | 45% | valid, an address code in force, born 1930–2009 |
/// | 10% | valid, an abolished address code, born before it was abolished |
/// | 12% | a wrong check character (otherwise valid) |
/// | 8% | an impossible date (month 00 or 13, day 00 or 32, 30 February), right check character |
/// | 8% | a bad region: half an unknown province (rejected), half an unknown county in a known province (accepted unless strict), right check character |
/// | 9% | a wrong length: 17 or 19 digits, or 16 |
/// | 8% | a birthday in the future (2030–2099), right check character |
fn corpus() -> Vec<&'static str> {
    let mut rng = Rng(0x1D_C4EC_2026);
    let mut current = Vec::new();
    let mut abolished = Vec::new();
    for code in region::all_codes() {
        match Region::lookup(code, 2000).status() {
            RegionStatus::Current => current.push((code, 2009)),
            RegionStatus::Abolished { year } if year > 1931 => abolished.push((code, year - 1)),
            _ => {}
        }
    }
    let bad_provinces: [u32; 16] = [
        10, 16, 20, 24, 30, 38, 40, 47, 55, 60, 66, 70, 72, 80, 84, 89,
    ];
    let mut out = Vec::with_capacity(100_000);
    let birthday = |rng: &mut Rng, last_year: u16| {
        let year = 1930 + rng.below(usize::from(last_year - 1930) + 1);
        format!("{year}{:02}{:02}", 1 + rng.below(12), 1 + rng.below(28))
    };
    for i in 0..100_000 {
        let seq = rng.below(1000);
        let share = i % 100;
        let number = if share < 55 {
            let (code, last_year) = if share < 45 {
                current[rng.below(current.len())]
            } else {
                abolished[rng.below(abolished.len())]
            };
            with_check(&format!(
                "{code:06}{}{seq:03}",
                birthday(&mut rng, last_year)
            ))
        } else if share < 67 {
            let (code, last_year) = current[rng.below(current.len())];
            let first17 = format!("{code:06}{}{seq:03}", birthday(&mut rng, last_year));
            let right = check_char(&first17);
            let wrong = b"0123456789X"
                .iter()
                .map(|&c| char::from(c))
                .filter(|&c| c != right)
                .nth(rng.below(10))
                .unwrap();
            format!("{first17}{wrong}")
        } else if share < 75 {
            let (code, _) = current[rng.below(current.len())];
            let date = [
                "19901300", "19900015", "19900132", "20010230", "19000229", "19851232",
            ][rng.below(6)];
            with_check(&format!("{code:06}{date}{seq:03}"))
        } else if share < 83 {
            let code = if share % 2 == 0 {
                bad_provinces[rng.below(bad_provinces.len())] * 10_000
                    + u32::try_from(rng.below(10_000)).unwrap()
            } else {
                // A county suffix no code in the table uses.
                let (code, _) = current[rng.below(current.len())];
                code / 100 * 100 + 99
            };
            with_check(&format!("{code:06}{}{seq:03}", birthday(&mut rng, 2009)))
        } else if share < 92 {
            let (code, last_year) = current[rng.below(current.len())];
            let full = with_check(&format!(
                "{code:06}{}{seq:03}",
                birthday(&mut rng, last_year)
            ));
            match rng.below(3) {
                0 => full[..17].to_owned(),
                1 => format!("{full}{}", rng.below(10)),
                _ => full[..16].to_owned(),
            }
        } else {
            let (code, _) = current[rng.below(current.len())];
            let year = 2030 + rng.below(70);
            with_check(&format!(
                "{code:06}{year}{:02}{:02}{seq:03}",
                1 + rng.below(12),
                1 + rng.below(28)
            ))
        };
        out.push(number);
    }
    // Shuffle (Fisher–Yates), so that branch prediction cannot learn the shares' order.
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    // One buffer in corpus order: the passes read memory sequentially, as from a file, and time
    // the parsers rather than cache misses on 100,000 scattered heap strings.
    let text: &'static str = out.concat().leak();
    let mut start = 0;
    out.iter()
        .map(|s| {
            start += s.len();
            &text[start - s.len()..start]
        })
        .collect()
}

fn count_ours(corpus: &[&str]) -> usize {
    corpus
        .iter()
        .filter(|s| IdNumber::parse(black_box(s)).is_ok())
        .count()
}

fn count_floor(corpus: &[&str]) -> usize {
    corpus.iter().filter(|s| floor(black_box(s))).count()
}

fn count_id_card(corpus: &[&str]) -> usize {
    corpus
        .iter()
        .filter(|s| id_card::validate(black_box(s)))
        .count()
}

/// Whether the command line's filter (if any) selects one of `names`, as criterion's substring
/// filter does. The filter is the argument that is neither an option nor an option's value.
fn selected(names: &[&str]) -> bool {
    const SWITCHES: [&str; 10] = [
        "--bench",
        "--test",
        "--list",
        "--exact",
        "--verbose",
        "--quiet",
        "--noplot",
        "--discard-baseline",
        "--quick",
        "--ignored",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filters = args.iter().enumerate().filter(|&(i, a)| {
        let value_of_option = i > 0
            && args[i - 1].starts_with("--")
            && !args[i - 1].contains('=')
            && !SWITCHES.contains(&args[i - 1].as_str());
        !a.starts_with('-') && !value_of_option
    });
    let mut filters = filters.by_ref().map(|(_, f)| f).peekable();
    filters.peek().is_none() || filters.any(|f| names.iter().any(|name| name.contains(f.as_str())))
}

/// Interleaved passes: every pass times ours, the floor and id-card once each over the whole
/// corpus; the best pass of each is kept, so all three see the same machine state.
fn interleaved(corpus: &[&str]) {
    const PASSES: usize = 30;
    type Counter = fn(&[&str]) -> usize;
    let contenders: [(&str, Counter); 3] = [
        ("idcheck", count_ours),
        ("floor", count_floor),
        ("id-card 0.1.4", count_id_card),
    ];
    let mut best = [Duration::MAX; 3];
    let mut accepted = [0; 3];
    for _ in 0..PASSES {
        for (i, (_, count)) in contenders.iter().enumerate() {
            let start = Instant::now();
            accepted[i] = black_box(count(black_box(corpus)));
            best[i] = best[i].min(start.elapsed());
        }
    }
    let count = f64::from(u32::try_from(corpus.len()).unwrap());
    let per = |d: Duration| d.as_secs_f64() * 1e9 / count;
    eprintln!(
        "corpus/interleaved: {} numbers, best of {PASSES} interleaved passes",
        corpus.len()
    );
    for (i, (name, _)) in contenders.iter().enumerate() {
        eprintln!(
            "  {name:<14} {:>7.2} ns/number  {:>6} accepted  {:.2}x ours",
            per(best[i]),
            accepted[i],
            per(best[i]) / per(best[0]),
        );
    }
    eprintln!(
        "  ours / floor = {:.2}x (target <= 1.5x); id-card / ours = {:.2}x (target >= 3x)",
        per(best[0]) / per(best[1]),
        per(best[2]) / per(best[0]),
    );
}

fn corpus_group(c: &mut Criterion) {
    if !selected(&[
        "corpus/interleaved",
        "corpus/idcheck",
        "corpus/floor",
        "corpus/id-card 0.1.4",
    ]) {
        return;
    }
    let corpus = corpus();
    if selected(&["corpus/interleaved"]) {
        interleaved(&corpus);
    }
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("idcheck", |b| b.iter(|| count_ours(&corpus)));
    group.bench_function("floor", |b| b.iter(|| count_floor(&corpus)));
    group.bench_function("id-card 0.1.4", |b| b.iter(|| count_id_card(&corpus)));
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(
        benches,
        super::parse_group,
        super::crates_group,
        super::corpus_group
    );
}
criterion_main!(group::benches);
