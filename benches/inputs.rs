//! `Mobile::parse`, `Name::parse`, and face-photo header sniffing from bytes and from base64,
//! for a small photo and a 5 MB one with the same header (the two should cost about the same).

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BenchmarkId, Criterion, criterion_main};
use idcheck::{FaceImage, ImageInfo, Mobile, Name};

fn mobile(c: &mut Criterion) {
    let mut group = c.benchmark_group("mobile_parse");
    for (label, input) in [
        ("plain", "13800138000"),
        ("typed", "+86 138-0013-8000"),
        ("unallocated", "15400138000"),
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(label), input, |b, input| {
            b.iter(|| Mobile::parse(black_box(input)));
        });
    }
    group.finish();
}

fn name(c: &mut Criterion) {
    let mut group = c.benchmark_group("name_parse");
    for (label, input) in [
        ("han_2", "张三"),
        ("han_3", "王小明"),
        ("han_4", "王小明明"),
        ("han_4_compound", "欧阳娜娜"),
        ("dotted_7", "阿卜杜•热合曼"),
        ("space_inside", "张 三"),
    ] {
        // A small result: criterion's own black box (without its `real_blackbox` feature) reads
        // a returned value with volatile loads, which for a 136-byte `Result<Name, _>` costs
        // more than the parse and would hide the differences between lengths.
        group.bench_with_input(BenchmarkId::from_parameter(label), input, |b, input| {
            b.iter(|| Name::parse(black_box(input)).map(|n| n.char_count()));
        });
    }
    group.finish();
}

/// A real JPEG (640×480, progressive) with a 20 KB EXIF-like APP1 segment, as cameras write,
/// within the vendor's 100 KB base64 limit.
fn camera_jpeg() -> Vec<u8> {
    let (width, height) = (640u16, 480u16);
    // A smooth gradient compresses like a portrait: the file stays well under the limit.
    let pixels: Vec<u8> = (0..usize::from(height))
        .flat_map(|y| (0..usize::from(width)).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            let shade = u8::try_from((x + y) % 256).unwrap();
            [shade, shade / 2, 255 - shade]
        })
        .collect();
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 80);
    encoder.set_progressive(true);
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&20_002u16.to_be_bytes());
    out.extend(std::iter::repeat_n(0xAB, 20_000));
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn mime_base64(bytes: &[u8]) -> String {
    let plain = STANDARD.encode(bytes);
    let lines: Vec<&str> = plain
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!("data:image/jpeg;base64,{}", lines.join("\r\n"))
}

fn face(c: &mut Criterion) {
    let small = camera_jpeg();
    let mut large = small.clone();
    // Same header, 5 MB of image data after it.
    large.resize(5 * 1024 * 1024, 0x55);
    let small_text = mime_base64(&small);
    let large_text = mime_base64(&large);
    assert!(
        FaceImage::from_base64(&small_text).is_ok(),
        "the small photo must be accepted"
    );
    eprintln!(
        "photos: small {} bytes ({} of base64 text), large {} bytes ({} of base64 text)",
        small.len(),
        small_text.len(),
        large.len(),
        large_text.len()
    );

    let mut group = c.benchmark_group("face_sniff");
    for (label, bytes, text) in [("small", &small, &small_text), ("5MB", &large, &large_text)] {
        group.bench_with_input(BenchmarkId::new("bytes", label), bytes, |b, bytes| {
            b.iter(|| ImageInfo::sniff(black_box(bytes)));
        });
        group.bench_with_input(BenchmarkId::new("base64", label), text, |b, text| {
            b.iter(|| ImageInfo::sniff_base64(black_box(text)));
        });
    }
    group.finish();

    // Whole acceptance: the 5 MB photo is refused as too large (the size check counts the
    // base64 text's significant bytes; nothing is decoded); the small one is decoded once to
    // validate it and canonicalised.
    let mut group = c.benchmark_group("face_accept");
    group.bench_function("from_base64/small", |b| {
        b.iter(|| FaceImage::from_base64(black_box(&small_text)));
    });
    group.bench_function("from_base64/5MB_refused", |b| {
        b.iter(|| FaceImage::from_base64(black_box(&large_text)));
    });
    group.bench_function("from_bytes/5MB_refused", |b| {
        b.iter(|| FaceImage::from_bytes(black_box(&large)));
    });
    group.finish();
}

// The macro generates an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::mobile, super::name, super::face);
}
criterion_main!(group::benches);
