//! Proves with a counting global allocator that parsing and every accessor allocate nothing.
//! Runs without the test harness so that no other thread allocates while we count.

use std::alloc::System;
use std::fmt::Write as _;

use chrono::NaiveDate;
use idcheck_core::{IdNumber, IdParser, ImageInfo, Mobile, Name, Region};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region as AllocRegion, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A `fmt::Write` sink on the stack, so formatting can be counted too.
struct StackBuf {
    bytes: [u8; 256],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn main() {
    let inputs = [
        "11010519491231002X",
        "440524188001010014",
        "130503670401001",
        " １１０１０５１９４９１２３１００２ｘ ",
        "110105194912310021",
        "1101051949123100",
        "11010519491231002A",
        "110105190002290011",
        "830000199001010012",
        "911840199001010018",
        "",
    ];
    let on = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let strict = IdParser::new().strict(true);
    // Warm up: the first clock read may initialise thread-locals in libc.
    for input in inputs {
        let _ = IdNumber::parse(input);
    }

    let mut sink = StackBuf {
        bytes: [0; 256],
        len: 0,
    };
    let counter = AllocRegion::new(GLOBAL);
    let mut valid = 0;
    for input in inputs {
        let lenient = IdNumber::parse(input);
        let _ = strict.parse(input);
        if let Err(e) = &lenient {
            sink.len = 0;
            write!(sink, "{e}").unwrap();
        }
        let Ok(id) = lenient else { continue };
        valid += 1;
        let region = id.region();
        std::hint::black_box((
            id.kind(),
            id.birthday(),
            id.sex(),
            id.age_on(on),
            id.as_str(),
            id.to_18(),
        ));
        std::hint::black_box((
            id.masked(),
            id.address_code(),
            id.nationality_code(),
            id.is_15_digit(),
        ));
        if let (Some(n), Some(p)) = (id.nationality(), id.issuing_province()) {
            std::hint::black_box((n.alpha3(), n.name_zh(), n.status(), p.name()));
            sink.len = 0;
            write!(sink, "{n} {n:?} {p}").unwrap();
        }
        if let Some(r) = region {
            std::hint::black_box((
                r.name(),
                r.province(),
                r.prefecture(),
                r.county(),
                r.status(),
            ));
            std::hint::black_box((
                r.current_name(),
                r.history(),
                r.first_year(),
                r.in_year(2000).name(),
            ));
            sink.len = 0;
            write!(sink, "{r}").unwrap();
        }
        sink.len = 0;
        write!(sink, "{id} {id:?} {} {}", id.masked(), id.kind()).unwrap();
    }
    std::hint::black_box(Region::lookup(110_103, 1990).name());

    let valid_others = exercise_mobiles_names_and_images(&mut sink);
    let stats = counter.change();
    assert_eq!(
        valid_others, 5,
        "two mobiles and three names should be valid"
    );
    assert_eq!(valid, 6, "the inputs should include six valid numbers");
    assert_eq!(
        (
            stats.allocations,
            stats.reallocations,
            stats.bytes_allocated
        ),
        (0, 0, 0),
        "parse and accessors must not allocate: {stats:?}"
    );
    // The counter itself must be able to see an allocation, or the zero above proves nothing.
    let control = AllocRegion::new(GLOBAL);
    std::hint::black_box(String::from(inputs[0]));
    assert!(
        control.change().allocations >= 1,
        "the counting allocator saw nothing"
    );
    println!(
        "1 passed, 0 failed: no_alloc (0 allocations over {} inputs)",
        inputs.len()
    );
}

/// Mobile numbers, names and image headers: parse, accessors and masked formatting. Returns
/// how many mobiles and names were valid.
fn exercise_mobiles_names_and_images(sink: &mut StackBuf) -> usize {
    let mobiles = [
        "+86 138-0013-8000",
        "１３８００１３８０００",
        "15400138000",
        "1440123456789",
        "138a",
    ];
    let names = [" 阿卜杜•热合曼 ", "欧阳娜娜", "𠮷野家", "张 三", "张"];
    let mut valid_others = 0;
    for input in mobiles {
        match Mobile::parse(input) {
            Ok(m) => {
                valid_others += 1;
                std::hint::black_box((m.as_str(), m.original_carrier(), m.kind(), m.segment()));
                sink.len = 0;
                write!(sink, "{m} {m:?} {}", m.original_carrier()).unwrap();
            }
            Err(e) => {
                sink.len = 0;
                write!(sink, "{e}").unwrap();
            }
        }
    }
    for input in names {
        match Name::parse(input) {
            Ok(n) => {
                valid_others += 1;
                std::hint::black_box((n.as_str(), n.char_count(), n.is_transliterated()));
                sink.len = 0;
                write!(sink, "{n} {n:?}").unwrap();
            }
            Err(e) => {
                sink.len = 0;
                write!(sink, "{e}").unwrap();
            }
        }
    }
    let images: [&[u8]; 3] = [
        b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x40\0\0\x01\xe0",
        b"\xff\xd8\xff\xe0\0\x04\0\0\xff\xc0\0\x11\x08\x00\xa0\x00\x78",
        b"GIF89a",
    ];
    for image in images {
        std::hint::black_box(ImageInfo::sniff(image)).ok();
    }
    let sniffed =
        ImageInfo::sniff_base64("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAUAAAAHg").unwrap();
    assert_eq!((sniffed.width(), sniffed.height()), (320, 480));
    valid_others
}
